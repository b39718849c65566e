"""The model error a calibrated forecast carries (issue 29): what fundsim's rolling backtests on
the evaluation corpus found its bands to lack, written by ``scripts/evaluate_corpus.py`` into
``templates/model_error.yaml`` and added by ``calibrate`` to every calibrated scenario.

The file holds, per yearly shock, the variance its sigma lacks (log², per year) — a scenario's
own sigma σ becomes √(σ² + Δ) — and the membership error's yearly sd τ, drawn per run as
``population.migration_error`` (a normal of mean 0). The calibration itself fits without them
(its trials are the scenario as written): the error is a forecast's, not the history's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "model_error.yaml"
COST_SHOCK = "care.cost_shock_sigma"
SHOCKS = (COST_SHOCK, "economy.wage_shock_sigma")
MEMBERS = "population.migration_error"


@dataclass(frozen=True)
class Template:
    """The corpus's model error: the variance each shock lacks, the members' sd, the source."""

    extra: dict[str, float]
    members_sd: float
    source: str


def read_template(path: Path = TEMPLATE) -> Template | None:
    """The shipped model error (None when the evaluation has not written one)."""
    import yaml

    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    extra = {str(k): float(v) for k, v in dict(data.get("extra_variance", {})).items()}
    if set(extra) - set(SHOCKS):
        raise ValueError(f"{path}: unknown shocks {sorted(set(extra) - set(SHOCKS))}")
    return Template(extra, float(data.get("members_sd", 0.0)), str(data.get("source", path.name)))


def additions(
    sigmas: dict[str, float],
    drawn: set[str],
    template: Template | None,
    members_sd: float | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a calibrated scenario adds for the model error: each shock's sigma widened from
    the scenario's own (``sigmas``), as ``parameters`` leaves by path, and the membership
    error's draw unless the scenario draws it already (``drawn``: its uncertain paths)."""
    if template is None:
        return {}, {}
    parameters: dict[str, Any] = {}
    for path, extra in template.extra.items():
        own = float(sigmas.get(path, 0.0))
        if extra > 0:
            parameters[path] = {
                "value": round(math.sqrt(own * own + extra), 4),
                "source": f"{own:g} widened by the model error: {template.source}",
            }
    uncertainty: dict[str, Any] = {}
    if template.members_sd > 0 and members_sd is not None:  # the region's own drift, widened
        uncertainty[MEMBERS] = {
            "distribution": "normal",
            "mean": 0.0,
            "sd": round(math.hypot(members_sd, template.members_sd), 5),
            "source": f"the scenario's {members_sd:g} widened by the model error: {template.source}",
        }
    elif template.members_sd > 0 and MEMBERS not in drawn:
        uncertainty[MEMBERS] = {
            "distribution": "normal",
            "mean": 0.0,
            "sd": template.members_sd,
            "source": template.source,
        }
    return parameters, uncertainty


def own_members_sd(uncertainty: dict[str, Any]) -> float | None:
    """The sd of a scenario's own draw of the membership drift (a normal of mean 0, as init
    writes it from the history), or None when it draws none or another shape."""
    from ..scenario.schema import Normal

    drawn = uncertainty.get(MEMBERS)
    distribution = getattr(drawn, "distribution", None)
    if isinstance(distribution, Normal) and distribution.mean == 0:
        return float(distribution.sd)
    return None
