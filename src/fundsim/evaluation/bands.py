"""The empirical band term: the model-error shocks sized from out-of-sample errors.

A forecast's runs carry the model's own noise (the yearly shocks, the drawn parameters) but
not the model's error: what its structure leaves out. The rolling backtests of the corpus
measure that error. For the spending of the funds and for the employees' contributions, the
log error of the median, e = log(actual ÷ median), has a mean square E[e²]; the runs' own
spread, s = log(p90 ÷ p10) ÷ (2 × 1.2816), has E[s²]. What the bands lack is their
difference, Δ = E[e²] − E[s²] (none when negative), and it is added to the yearly shocks the
model already draws: the cost per case's (spending) and the wage's (contributions), whose
lognormal sigma becomes √(σ² + Δ). The shocks enter the runs like any other draw, so every
output (balances, depletion, reserve months) carries the error, and the money still adds up.

Membership has no yearly shock: its error grows with the horizon h like a drift (a net
migration the history did not show). Its term is sized per year, τ² = E[e²/h²] − E[s²/h²] over
the insured figures, and drawn for each run as ``population.migration_error`` (a normal of
mean 0 and sd τ, added to the net migration rate).

A region's shocks are sized from the OTHER regions' errors only (leave one region out), so its
bands are never tuned on its own actuals; the whole corpus sizes the defaults a new region
gets (:data:`PATHS`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..calibration.modelerror import Template, additions
from .scores import Scored, Summary

Z80 = 1.2815515655446004  # the standard normal's 90% quantile
SPENDING = ("expenditure",)
CONTRIBUTIONS = (("uebmi", "income"),)
PATHS = {"cost": "care.cost_shock_sigma", "wage": "economy.wage_shock_sigma"}


MEMBERS = ("insured",)


@dataclass(frozen=True)
class ModelError:
    """The extra variance the bands lack, by shock: ``cost`` (spending) and ``wage``
    (employees' contributions) [log², per year], ``members`` (membership's drift, log² per
    year²), and the figures each rests on."""

    cost: float
    wage: float
    n_cost: int
    n_wage: int
    members: float = 0.0
    n_members: int = 0

    def __str__(self) -> str:
        return (
            f"spending +{math.sqrt(self.cost):.1%} ({self.n_cost} figures), "
            f"contributions +{math.sqrt(self.wage):.1%} ({self.n_wage} figures), "
            f"members +{math.sqrt(self.members):.1%} a year ({self.n_members} figures)"
        )


def _lack(scored: Iterable[Scored], per_year: bool = False) -> tuple[float, int]:
    """Δ = E[e²] − E[s²] of ``scored`` (0 when negative), and how many figures; ``per_year``:
    each figure's e and s divided by its horizon first (a drift's error)."""
    e2, s2 = [], []
    for s in scored:
        if s.actual <= 0 or s.median <= 0 or s.low_80 <= 0 or s.high_80 <= 0:
            continue
        h = max(1, s.horizon) if per_year else 1
        e2.append((math.log(s.actual / s.median) / h) ** 2)
        s2.append((math.log(s.high_80 / s.low_80) / (2 * Z80) / h) ** 2)
    if not e2:
        return 0.0, 0
    return max(0.0, float(np.mean(e2) - np.mean(s2))), len(e2)


def size(scored: Sequence[Scored]) -> ModelError:
    """The model error of ``scored`` (see the module text)."""
    cost, n_cost = _lack(s for s in scored if s.indicator in SPENDING)
    wage, n_wage = _lack(s for s in scored if (s.fund, s.indicator) in CONTRIBUTIONS)
    members, n_members = _lack((s for s in scored if s.indicator in MEMBERS), per_year=True)
    return ModelError(cost, wage, n_cost, n_wage, members, n_members)


def template(error: ModelError, source: str) -> Template:
    """The model error ``error`` in the form ``calibrate`` applies
    (:mod:`fundsim.calibration.modelerror`): each shock's lacking variance, the members' sd."""
    extra = {PATHS["cost"]: round(error.cost, 6), PATHS["wage"]: round(error.wage, 6)}
    return Template(extra, round(math.sqrt(error.members), 5), source)


def overrides(error: ModelError, calibrated: Path | None = None) -> dict[str, Any]:
    """What a forecast changes, as ``calibrate`` changes it (:func:`additions`) from the
    catalogue's shock sigmas: a ``parameters:`` mapping of the widened sigmas, and an
    ``uncertainty:`` entry that draws the membership term (a normal of mean 0)."""
    from ..parameters.catalogue import load_catalogue
    from ..scenario.regionplan import merge_leaf

    catalogue = load_catalogue()
    own = {path: float(catalogue[path].default or 0.0) for path in PATHS.values()}
    members = None
    if calibrated is not None:  # the region's own shocks and drift, widened (as calibrate does)
        from ..calibration.modelerror import own_members_sd
        from ..scenario.loader import load_scenario

        scenario = load_scenario(calibrated)
        start = scenario.tree.at(scenario.horizon.start)
        own = {path: float(start[path]) for path in PATHS.values()}
        members = own_members_sd(scenario.uncertainty)
    widened, drawn = additions(
        own, set(), template(error, f"evaluation: the model error ({error})"), members
    )
    parameters: dict[str, Any] = {}
    for path, leaf in widened.items():
        merge_leaf(parameters, path, leaf)
    changes: dict[str, Any] = {"parameters": parameters}
    if drawn:
        changes["uncertainty"] = drawn
    return changes


def document(
    regions: Sequence[Any],
    first: Sequence[Any],
    raw: Sequence[Scored],
    scored: Sequence[Scored],
    sized: dict[str, ModelError],
    pooled: ModelError,
    markdown: Callable[[Sequence[Scored], str, str], str],
    summarise: Callable[[Iterable[Scored]], Summary],
) -> str:
    """docs/evaluation.md: the corpus, the method, the results pooled, by horizon and by
    region, in Chinese and English, and where fundsim does not beat the naive forecasts."""
    lines = [
        "# fundsim out of sample / 样本外检验",
        "",
        "Written by `python scripts/evaluate_corpus.py` (issue 29); rerun it to renew every "
        "number below. 由 `scripts/evaluate_corpus.py` 生成。",
        "",
        "## The corpus / 检验样本",
        "",
        "| region 地区 | origins 预测起点 | figures scored 评分数据 | calibration RMS 校准残差 |",
        "|---|---|---:|---|",
    ]
    for region in regions:
        mine = [r for r in first if r.region == region.key]
        origins = ", ".join(str(r.origin) for r in mine) or "— (no origin with its stocks)"
        n = sum(1 for s in scored if s.region == region.key)
        rms = ", ".join(f"{r.rms:.1%}" for r in mine if math.isfinite(r.rms)) or "—"
        lines.append(f"| {region.key} | {origins} | {n} | {rms} |")
    lines += [
        "",
        "Each origin: the region rebuilt by `fundsim init` from its figures of that year end "
        "(nothing later), calibrated to its history up to the origin, forecast 1-3 years from "
        "the origin's actual stocks, 200 runs. Naive forecasts: the last actual grown at its "
        "mean growth of up to four years before the origin, and held flat. The model-error "
        "shocks of each region are sized from the other regions' first-pass errors (leave one "
        "region out): "
        + "; ".join(f"{k}: {v}" for k, v in sized.items())
        + f". From the whole corpus (a new region's defaults): {pooled}.",
        "",
    ]
    for lang in ("en", "zh"):
        title = "All regions, by horizon" if lang == "en" else "全部地区，按预测年数"
        lines.append(markdown(scored, lang, title).replace("# ", "## ", 1))
    for region in regions:
        mine = [s for s in scored if s.region == region.key]
        if not mine:
            lines += [
                f"## {region.key}",
                "",
                "No origin could be scored (no published stocks).",
                "",
            ]
            continue
        s = summarise(mine)
        loses = (
            ""
            if s.mape_vs_growth <= 0.8 * s.mape_growth
            else f" **fundsim does not beat the naive growth forecast by the 20% asked here: "
            f"MAPE {s.mape_vs_growth:.1%} against {s.mape_growth:.1%} on the same "
            f"{s.n_growth} figures.** "
            f"**未达到比增长外推低20%的要求。**"
        )
        lines.append(markdown(mine, "en", f"{region.key}").replace("# ", "## ", 1) + loses + "\n")
    before = summarise(raw)
    lines += [
        "## Without the model-error shocks / 不含模型误差项",
        "",
        f"The first pass, with the model's own noise only: inside 80% {before.coverage_80:.0%}, "
        f"MAPE {before.mape:.1%} (naive growth {before.mape_growth:.1%}, flat "
        f"{before.mape_flat:.1%}), {before.n} figures.",
        "",
    ]
    return "\n".join(lines)


def write_template(error: ModelError, path: Path, when: str) -> None:
    """``templates/model_error.yaml``: the whole corpus's model error, which ``calibrate``
    adds to every calibrated scenario (:mod:`fundsim.calibration.modelerror`)."""
    import yaml

    made = template(
        error,
        f"the model error of fundsim out of sample on the evaluation corpus ({error}; "
        f"scripts/evaluate_corpus.py, {when}; docs/evaluation.md)",
    )
    data = {"source": made.source, "extra_variance": made.extra, "members_sd": made.members_sd}
    text = "# Written by scripts/evaluate_corpus.py: rerun it to renew (issue 29).\n"
    path.write_text(
        text + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
