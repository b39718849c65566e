"""Rolling-origin backtests: a region rebuilt at each origin from what was known then.

At an origin T the region is built by ``fundsim init`` from its figures of the end of T (the
insured and the balances of that year end, the income and spending of the years up to it),
calibrated to its history up to T, and forecast for the years T + 1 to T + H from the stocks
of the end of T; each published figure of those years then scores the forecast
(:mod:`fundsim.evaluation.scores`). Nothing dated after T enters the region, its calibration
or its forecast: the origin's figures are cut from the history, the national wage is taken up
to T, and the loader refuses a scenario whose data year lies after the fit's last year.

A region of the evaluation corpus (``calibration/corpus/<key>/``) is its published history
(``history.csv``: every figure with its publication and quoted sentence) and what else a
bureau knows about it (``figures.yaml``: its names, the source, the rules it states), the same
shape as a figures file of ``fundsim init``, without the year-dependent parts (data year,
insured, balances, history), which the origin fills.
"""

from __future__ import annotations

import functools
import math
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..calibration.observe import Point, points
from ..scenario.regiondata import read_table
from ..source.diagnostics import Collector, InputError
from ..source.document import read_yaml
from .scores import Scored, score

MIN_BEFORE = 3  # years of history before an origin (the issue: origins with >= 3 years before)
HORIZONS = 3  # years forecast from each origin
MONEY = ("income", "expenditure", "balance")
COUNTS = ("insured", "insured_active", "insured_retired")
SCORED = (*MONEY, "insured")  # the series scored (admissions, where given, are fitted only)
WINDOW = 5  # years of history to the origin given to init: the fit's 4 and the stocks before
SIMULATED = 150_000  # persons simulated at most: a larger region is a weighted sample


@dataclass(frozen=True)
class CorpusRegion:
    """A region of the evaluation corpus: its static figures and its published history."""

    key: str
    folder: Path
    figures: dict[str, Any]
    history: tuple[Point, ...]

    @classmethod
    def read(cls, folder: Path) -> CorpusRegion:
        """The region in ``folder`` (``figures.yaml`` and ``history.csv``)."""
        return cls.from_files(folder.name, folder / "figures.yaml", folder / "history.csv")

    @classmethod
    def from_files(cls, key: str, figures: Path, history: Path) -> CorpusRegion:
        """The region of a figures file of ``fundsim init`` and a history file (a region
        ``init`` wrote keeps them as ``figures.yaml`` and ``calibration/history.csv``)."""
        problems = Collector()
        document = read_yaml(figures, problems, display=str(figures))
        table = read_table("history", history, problems)
        problems.raise_if_errors()
        assert document is not None and table is not None
        if not isinstance(document.data, dict):
            raise InputError(f"{figures}: a mapping of the region's figures")
        return cls(key, figures.parent, dict(document.data), tuple(points(table)))

    def value(self, year: int, fund: str, indicator: str) -> float | None:
        for p in self.history:
            if (p.year, p.fund, p.indicator) == (year, fund, indicator):
                return p.value
        return None

    def series(self, fund: str, indicator: str) -> dict[int, float]:
        return {p.year: p.value for p in self.history if p.series == (fund, indicator)}


# each stock as init takes it: the first choice whose every figure the history gives (a split
# before its whole), each a mapping of init's key to the history's (fund, indicator)
STOCKS: dict[str, tuple[tuple[dict[str, tuple[str, str]], ...], ...]] = {
    "insured": (
        (
            {
                "uebmi_active": ("uebmi", "insured_active"),
                "uebmi_retired": ("uebmi", "insured_retired"),
            },
            {"uebmi": ("uebmi", "insured")},
        ),
        ({"urrbmi": ("urrbmi_pool", "insured")}, {"total": ("total", "insured")}),
    ),
    "balances": (
        (
            {
                "uebmi_pool": ("uebmi_pool", "balance"),
                "uebmi_personal": ("uebmi_personal", "balance"),
            },
            {"uebmi": ("uebmi", "balance")},
        ),
        ({"urrbmi_pool": ("urrbmi_pool", "balance")}, {"total": ("total", "balance")}),
    ),
}


def stocks(region: CorpusRegion, year: int) -> tuple[dict[str, float], dict[str, float]] | None:
    """The insured and the balances of the end of ``year`` in the shapes ``fundsim init``
    takes (a part beside its total: init derives the other part), or None when they do not
    tell both schemes (employees, and residents or the total)."""
    found: dict[str, dict[str, float]] = {}
    for stock, schemes in STOCKS.items():
        found[stock] = {}
        for choices in schemes:
            for choice in choices:
                values = {key: region.value(year, *series) for key, series in choice.items()}
                if all(v is not None for v in values.values()):
                    found[stock] |= {k: float(v) for k, v in values.items() if v is not None}
                    break
            else:
                return None  # this scheme's stock is not in the history
    return found["insured"], found["balances"]


def origins(region: CorpusRegion, horizons: int = HORIZONS) -> list[int]:
    """The years a forecast can start from: the stocks of their end known, at least
    :data:`MIN_BEFORE` years of history before them, and a scored figure after them within
    ``horizons`` years."""
    return [y for y in sorted({p.year for p in region.history}) if not lacking(region, y, horizons)]


def lacking(region: CorpusRegion, year: int, horizons: int = HORIZONS) -> list[tuple[str, str]]:
    """What ``year`` lacks to be an origin (:func:`origins`), each (zh, en); empty for an
    origin."""
    out = []
    for schemes in STOCKS.values():
        for choices in schemes:
            if not any(
                all(region.value(year, *series) is not None for series in choice.values())
                for choice in choices
            ):
                named = " or ".join(
                    " and ".join(f"{f} {i}" for f, i in choice.values()) for choice in choices
                )
                out.append((f"{year}年末{named}", f"{named} at the end of {year}"))
    before = {p.year for p in region.history if p.year < year and p.indicator in MONEY}
    if len(before) < MIN_BEFORE:
        out.append(
            (
                f"此前{MIN_BEFORE}年的收支（仅有{len(before)}年）",
                f"income or spending of {MIN_BEFORE} years before it (the history has {len(before)})",
            )
        )
    if not [
        p for p in region.history if year < p.year <= year + horizons and p.indicator in SCORED
    ]:
        out.append(
            (
                f"{year + 1}—{year + horizons}年的实际数据",
                f"an actual figure of {year + 1}-{year + horizons}",
            )
        )
    return out


def name_of(region: CorpusRegion, lang: str) -> str:
    """The region's name in ``lang`` as its figures give it (its folder's name otherwise)."""
    names = region.figures.get("region")
    if isinstance(names, dict) and isinstance(names.get(lang), str) and names[lang].strip():
        return str(names[lang]).strip()
    return region.key


def figures_at(region: CorpusRegion, origin: int, horizons: int = HORIZONS) -> dict[str, Any]:
    """The figures file of ``fundsim init`` for the region as known at the end of ``origin``:
    its static figures, the stocks of that year end and the history up to it."""
    found = stocks(region, origin)
    if found is None:
        raise InputError(
            f"{region.key}: no insured and balances of both schemes at the end of {origin}"
        )
    insured, balances = found
    history: dict[int, dict[str, dict[str, float]]] = {}
    for p in region.history:
        if origin - WINDOW < p.year <= origin and p.indicator in (*MONEY, *COUNTS, "admissions"):
            history.setdefault(p.year, {}).setdefault(p.fund, {})[p.indicator] = p.value
    figures = {k: v for k, v in region.figures.items() if k not in ("insured", "balances")}
    if isinstance(figures.get("average_wage"), dict):  # the wages known at the origin only
        figures["average_wage"] = {
            y: w for y, w in figures["average_wage"].items() if int(y) <= origin
        } or None
        if figures["average_wage"] is None:
            del figures["average_wage"]
    total = sum(insured.values())
    if total > SIMULATED:  # a weighted sample of a large region (the same rule for every one)
        rules = dict(figures.get("rules") or {})
        population = dict(rules.get("population") or {})
        population["sample"] = {
            "value": float(f"{SIMULATED / total:.3g}"),
            "source": f"a weighted sample of about {SIMULATED:,} simulated persons (fundsim "
            "evaluation: the same for every region)",
        }
        rules["population"] = population
        figures["rules"] = rules
    figures |= {
        "data_year": origin,
        "insured": insured,
        "balances": balances,
        "history": history,
        "horizon_years": horizons,
    }
    return figures


@dataclass
class OriginResult:
    """One origin's forecast, scored: the figures scored, the fit's residual and the time."""

    region: str
    origin: int
    scored: list[Scored] = field(default_factory=list)
    rms: float = math.nan
    seconds: float = 0.0
    note: str = ""


def evaluate_origin(
    region: CorpusRegion,
    origin: int,
    folder: Path,
    runs: int = 200,
    workers: int | None = None,
    trial_runs: int | None = None,
    horizons: int = HORIZONS,
    on_step: Callable[[str], None] | None = None,
    reuse: bool = False,
    overrides: Callable[[Path], dict[str, Any] | None] | None = None,
    model_error: bool = False,
) -> OriginResult:
    """Rebuild ``region`` at ``origin`` in ``folder`` (init), calibrate it to its history up
    to the origin, forecast ``horizons`` years from the origin's stocks with ``runs`` runs, and
    score every published figure of those years. ``reuse``: keep a region calibrated in
    ``folder`` before (only the forecast runs again); ``overrides``: of the calibrated scenario's path, what the
    forecast changes (``parameters:`` and ``uncertainty:`` mappings, e.g. the model-error terms
    sized without the region); ``model_error``: the calibrated region's bands widened as
    ``calibrate`` widens them (the corpus's model error; off for the corpus's own first pass,
    which sizes it)."""
    import yaml

    from ..calibration.run import band, calibrate, horizon_of, plan, scenario_text, write_scenario
    from ..scenario.newregion import init_region

    started = time.perf_counter()
    say = on_step or (lambda text: None)
    place = folder / f"{region.key}-{origin}"
    calibrated = place / "scenarios" / "calibrated.yaml"
    rms = math.nan
    if not (reuse and calibrated.is_file()):
        figures_file = folder / f"{region.key}-{origin}-figures.yaml"
        folder.mkdir(parents=True, exist_ok=True)
        figures = figures_at(region, origin, horizons)
        figures_file.write_text(
            yaml.safe_dump(figures, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        if place.exists():
            shutil.rmtree(place)
        say(f"{region.key} {origin}: init 建模")
        init_region(place, figures_file)
        chosen = plan(place / "scenarios" / "baseline.yaml", None, origin, [place])
        say(
            f"{region.key} {origin}: calibrate 校准 {len(chosen.fitted)} figures 个数据 "
            f"{chosen.first_year}-{origin}"
        )
        result, _ = calibrate(chosen, workers, None, [place], None, trial_runs)
        text = scenario_text(chosen, result, calibrated, model_error)
        write_scenario(calibrated, text, [place])
        rms = result.rms
    forecast = calibrated
    changes = overrides(calibrated) if overrides else None
    if changes:
        forecast = place / "scenarios" / "forecast.yaml"
        forecast.write_text(
            yaml.safe_dump(
                {
                    "extends": "calibrated.yaml",
                    "name": "forecast",
                    "title": {"zh": "预测", "en": "forecast"},
                    **changes,
                },
                allow_unicode=True,
                sort_keys=False,
            ),
            encoding="utf-8",
        )
    later = [
        p for p in region.history if origin < p.year <= origin + horizons and p.indicator in SCORED
    ]
    say(
        f"{region.key} {origin}: forecast 预测 {origin + 1}-{origin + horizons}, "
        f"{len(later)} figures 个数据"
    )
    last = max(p.year for p in later)
    values = band(forecast, later, horizon_of(origin + 1, last), runs, workers, None, [place])
    rng = np.random.default_rng(origin)
    scored = []
    for k, p in enumerate(later):
        column = values[:, k]
        if not np.isfinite(column).any():
            continue
        past = {y: v for y, v in region.series(p.fund, p.indicator).items() if y <= origin}
        scored.append(
            score(region.key, p.fund, p.indicator, origin, p.year, p.value, column, past, rng)
        )
    return OriginResult(region.key, origin, scored, rms, time.perf_counter() - started)


def evaluate(
    regions: Iterable[CorpusRegion],
    folder: Path,
    runs: int = 200,
    workers: int | None = None,
    trial_runs: int | None = None,
    horizons: int = HORIZONS,
    on_step: Callable[[str], None] | None = None,
    only: Sequence[int] | None = None,
    reuse: bool = False,
    overrides: Callable[[str, Path], dict[str, Any] | None] | None = None,
    model_error: bool = False,
) -> list[OriginResult]:
    """Every origin of every region (or the origins ``only``), one after another;
    ``overrides(region, calibrated)``: what a region's forecast changes (see
    :func:`evaluate_origin`)."""
    out = []
    for region in regions:
        for origin in origins(region, horizons):
            if only and origin not in only:
                continue
            out.append(
                evaluate_origin(
                    region,
                    origin,
                    folder / region.key,
                    runs,
                    workers,
                    trial_runs,
                    horizons,
                    on_step,
                    reuse,
                    functools.partial(overrides, region.key) if overrides else None,
                    model_error,
                )
            )
    return out
