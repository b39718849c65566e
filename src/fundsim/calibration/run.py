"""``fundsim calibrate`` and ``fundsim backtest``: from a scenario and a history to a fitted
scenario, its bands against the history, and (backtest) a score on later years.

A calibration simulates the history's years (from ``calibrate.first_year``, default the
first history year, to ``until``) with the scenario's rules for them, fits the free
parameters (:mod:`fundsim.calibration.fit`), writes a scenario that ``extends:`` the
original with the fitted values and their uncertainty, then runs that scenario as a user
would (with every draw) to draw its bands against the history.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from ..ensemble.backends import make_backend
from ..parameters.catalogue import load_catalogue
from ..places import YAML_MARK, Output, OutputError, check_output, is_fundsim_yaml
from ..scenario.loader import Scenario, load_scenario
from ..scenario.paths import Roots, display_path
from ..scenario.regiondata import Table, read_table
from ..scenario.regionplan import merge_leaf, merge_tree
from ..scenario.schema import Horizon
from ..source.diagnostics import Collector, InputError, ScenarioError
from .fit import Fit, Trials, fit, run_points
from .identify import identify
from .modelerror import COST_SHOCK, MEMBERS
from .observe import Point, observable, points

EPIDEMIC = "care.epidemic_rate"  # a forecast's chance of an epidemic episode
SPLIT = "finance.opening_split_shift"  # an inferred pool/personal split's draw

MARK = f"{YAML_MARK} calibrate"  # the first line of a calibrated scenario (places.YAML_MARK)
# the ledger accounts a history fund is made of (its balance is theirs together)
ACCOUNTS_OF = {
    "uebmi": ("uebmi_pool", "uebmi_personal"),
    "uebmi_pool": ("uebmi_pool",),
    "uebmi_personal": ("uebmi_personal",),
    "urrbmi_pool": ("urrbmi_pool",),
    "total": ("uebmi_pool", "uebmi_personal", "urrbmi_pool"),
    "critical_illness": ("critical_illness",),
    "medical_assistance": ("medical_assistance",),
}
QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)


@dataclass
class Plan:
    """What a calibration fits: the scenario, its history and the points up to ``until``."""

    scenario: Scenario
    history_file: Path
    history: Table
    fitted: list[Point]  # compared points up to until, from first_year
    later: list[Point]  # points after until (a backtest's test set)
    skipped: list[tuple[Point, str]]  # points a run cannot give, with why
    first_year: int
    until: int
    warnings: list[str]


def plan(
    scenario_file: str | Path,
    history_file: str | Path | None,
    until: int | None,
    allow_outside: Sequence[str | Path] = (),
) -> Plan:
    """Read the scenario and its history and choose the points (InputError when the
    calibration cannot start)."""
    scenario = load_scenario(scenario_file, allow_outside)
    if scenario.areas:
        raise InputError(
            f"{display_path(scenario.file)} is a city of {len(scenario.areas)} areas: a "
            "calibration or backtest takes one area's history (城市情景暂不能整体校准); "
            "calibrate each area as a region of its own (fundsim init), then give its fitted "
            "values in areas.<key>.parameters"
        )
    if scenario.calibrate is None:
        raise InputError(
            f"{display_path(scenario.file)} has no calibrate: section; add one naming the "
            "free parameters and their bounds, e.g.\n  calibrate:\n    parameters:\n"
            "      care.admission_level: {low: 0.7, high: 1.4}"
        )
    if history_file is not None:
        problems = Collector()
        path = Path(history_file)
        table = read_table("history", path, problems, display=display_path(path))
        problems.raise_if_errors()
        assert table is not None
    elif "history" in scenario.region_tables:
        table = scenario.region_tables["history"]
        path = scenario.region_files["history"]
    else:
        raise InputError(
            f"{display_path(scenario.file)} names no history (region.data.history); give "
            "--history FILE or add the region's history.csv"
        )
    every = points(table)
    if not every:
        raise InputError(f"{display_path(path)} has no rows")
    check_observed(every, display_path(path))
    last = max(p.year for p in every)
    until = last if until is None else until
    first = scenario.calibrate.first_year or min(p.year for p in every)
    if until < first:
        raise InputError(
            f"--until {until} lies before the first year fitted ({first}); the history "
            f"{display_path(path)} runs {min(p.year for p in every)}-{last}"
        )
    fitted, later, skipped = [], [], []
    data_year = scenario.region.data_year
    if data_year is not None and data_year > until:
        raise InputError(
            f"{_data_year_place(scenario)}: region.data_year {data_year} is after --until {until}: "
            f"the scenario's population and balances describe the end of {data_year}, which a "
            f"fit or a forecast made at the end of {until} could not know (数据年份晚于 --until，"
            "会用到当时尚不知道的数据); build the region from the figures up to "
            f"{until} (fundsim init), or use --until {data_year} or later"
        )
    # a window over the history starts from the history's own stocks of the year before it
    # (scenario/start.py): a balance is compared only when its accounts opened with them
    rebased: tuple[str, ...] = ()
    note: tuple[str, str] | None = None
    if data_year is not None and first <= data_year:
        window = over_history(scenario.file, first, until, allow_outside)
        rebased, note = window.rebased, window.start_note
    # a relative error needs a size to be relative to: a balance series of zeros has none
    # (the other figures are never 0: the history file refuses it)
    sized = {p.series for p in every if p.value != 0}
    for p in every:
        why = observable(p.fund, p.indicator)
        if why is None and p.series not in sized:
            why = (
                f"every {p.fund} {p.indicator} of the history is 0: a relative error against "
                "0 has no meaning (give the balances reported)"
            )
        if (
            why is None
            and p.indicator == "balance"
            and data_year is not None
            and first <= data_year
            and p.year <= data_year
            and not set(ACCOUNTS_OF[p.fund]) <= set(rebased)
        ):
            why = (
                f"the fit starts in {first}, before the data year {data_year}, and the history "
                f"gives no balance of {p.fund} at the end of {first - 1} (nor the income and "
                "spending to project it from the data year's): balances up to then cannot be "
                "compared"
            )
        if why is not None:
            skipped.append((p, why))
        elif first <= p.year <= until:
            fitted.append(p)
        elif p.year > until:
            later.append(p)
    if len(fitted) == 0:
        raise InputError(
            f"no history point of {display_path(path)} lies in {first}-{until}; choose "
            "another --until or calibrate.first_year"
        )
    warnings = [
        f"{display_path(path)}:{p.line}: {p.fund} {p.indicator} {p.year} not compared: {why}"
        for p, why in skipped
    ]
    if note is not None:
        warnings.append(note[1])
    fitted_series = {(p.fund, p.indicator) for p in fitted}
    for free in scenario.calibrate.parameters:
        if free.anchor is not None and free.anchor not in fitted_series:
            warnings.append(
                f"{free.file}:{free.line}: calibrate.parameters.{free.path}.anchor: the history "
                f"fits no {' '.join(free.anchor)} in {first}-{until}, so nothing anchors it "
                f"(历史数据中没有该序列，锚定不起作用)"
            )
    return Plan(scenario, path, table, fitted, later, skipped, first, until, warnings)


def check_observed(every: Sequence[Point], shown: str, today: dt.date | None = None) -> None:
    """A located error (exit 2) for every history row of a year that has not ended: a history
    figure is an observed one, whether it is fitted or (a backtest's later years) scored."""
    today = today or dt.date.today()
    problems = Collector()
    for p in every:
        if p.year > today.year:
            problems.error(
                shown,
                p.line,
                "year",
                f"{p.fund} {p.indicator} of {p.year}, after this year ({today.year}): a history "
                f"figure is an observed one (历史数据的年份晚于今年{today.year}年，不可能是实际数据)",
                "correct the year, or leave the row out until the figure is published",
            )
    problems.raise_if_errors()


def bounds_of(chosen: Plan) -> dict[str, tuple[float, float]]:
    """Each free parameter's calibration bounds."""
    assert chosen.scenario.calibrate is not None  # a plan comes from the calibrate section
    return {p.path: (p.low, p.high) for p in chosen.scenario.calibrate.parameters}


def _data_year_place(scenario: Scenario) -> str:
    """FILE:LINE of the scenario's ``region.data_year`` (the last file of its chain that
    sets it), for a message."""
    import re

    for file in reversed(scenario.files):
        try:
            lines = Path(file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, text in enumerate(lines, start=1):
            if re.match(r"\s*data_year\s*:", text):
                return f"{display_path(Path(file))}:{number}"
    return display_path(scenario.file)


def horizon_of(first: int, last: int) -> Horizon:
    return Horizon(start=dt.date(first, 1, 1), end=dt.date(last, 12, 31))


def calibrate(
    chosen: Plan,
    workers: int | None = None,
    scheduler: str | None = None,
    allow_outside: Sequence[str | Path] = (),
    on_trial: Callable[[int, int], None] | None = None,
    runs: int | None = None,
) -> tuple[Fit, Scenario]:
    """Fit the plan's free parameters; returns the fit and the scenario over the fitted years."""
    scenario = chosen.scenario
    assert scenario.calibrate is not None
    over = over_history(scenario.file, chosen.first_year, chosen.until, allow_outside)
    assert over.calibrate is not None
    free = over.calibrate.parameters
    if not free:
        raise InputError("the calibrate: section names no parameter that can be fitted")
    n_runs = runs or over.calibrate.runs
    backend = make_backend([over], workers, scheduler)
    expected = (len(free) + 1) * 13

    def tick(done: int) -> None:
        if on_trial:
            on_trial(done, expected)

    try:
        # the members' drift is a forecast's noise (of mean 0), not the history's: the fit's
        # runs hold it at 0, or its draws over a few runs would bend the fitted levels
        held = {MEMBERS: 0.0} if MEMBERS in over.uncertainty else {}
        # and a drawn epidemic (the history's own unusual years are known, care.utilisation)
        held[EPIDEMIC] = 0.0
        # and the draw of an inferred pool/personal split (the history's fit is of the sum)
        if SPLIT in over.uncertainty:
            held[SPLIT] = 0.0
        # so is a cost shock wider than the catalogue's (init sizes it from the history's
        # spread): the trials draw the catalogue's, the forecast the region's
        standard = float(load_catalogue()[COST_SHOCK].default or 0.0)
        if float(over.tree.at(over.horizon.start)[COST_SHOCK]) > standard:
            held[COST_SHOCK] = standard
        trials = Trials(backend, chosen.fitted, n_runs, over.monte_carlo.seed, tick, held)
        result = fit(free, chosen.fitted, trials)
        if on_trial:  # the expected count was an estimate: the bar ends at what was done
            on_trial(result.trials, result.trials)
    finally:
        backend.close()
    return result, over


def over_history(
    scenario_file: Path,
    first: int,
    last: int,
    allow_outside: Sequence[str | Path] = (),
    start_from: str | None = None,
) -> Scenario:
    """The scenario over the history's years ``first``-``last`` (InputError, saying why, when
    it cannot be simulated over them: a policy dated after them, a value only from later);
    ``start_from``: instead of the scenario's (a forecast from the history's stocks)."""
    try:
        return load_scenario(
            scenario_file, allow_outside, horizon=horizon_of(first, last), start_from=start_from
        )
    except ScenarioError as error:
        shown = "\n".join(d.format() for d in error.diagnostics)
        raise InputError(
            f"{display_path(scenario_file)} cannot be simulated over the history's years "
            f"{first}-{last}, as calibrating and backtesting do:\n{shown}\n"
            "calibrate the region's baseline (its rules of those years), then let policy "
            "scenarios extend the calibrated file"
        ) from error


def band(
    scenario_file: Path,
    chosen: Sequence[Point],
    horizon: Horizon,
    runs: int,
    workers: int | None,
    scheduler: str | None,
    allow_outside: Sequence[str | Path] = (),
    on_run: Callable[[int, int], None] | None = None,
    start_from: str | None = None,
) -> NDArray[np.float64]:
    """The (run, point) values of ``runs`` runs of a scenario over ``horizon``, every draw on;
    ``start_from``: instead of the scenario's (a backtest's forecast: ``"history"``)."""
    scenario = over_history(
        scenario_file, horizon.start.year, horizon.end.year, allow_outside, start_from
    )
    backend = make_backend([scenario], workers, scheduler)
    try:
        return run_points(backend, chosen, runs, scenario.monte_carlo.seed, on_run=on_run)
    finally:
        backend.close()


def forecast_start(scenario: Scenario, history: Table, until: int) -> str | None:
    """How a backtest's forecast from ``until + 1`` starts: from the scenario's own data year
    when it is ``until`` (None), else from the history's stocks of the end of ``until``
    (``"history"``) when it holds them, else by rolling the data year forward
    (``"roll_forward"``)."""
    from ..scenario.start import Stocks

    data_year = scenario.region.data_year
    if data_year is None or data_year == until:
        return None
    population = scenario.region_tables.get("population")
    if population is None:
        return "roll_forward"
    opening = {
        a: float(scenario.tree.value(f"finance.opening_balance.{a}", scenario.horizon.start))
        for a in ("uebmi_pool", "uebmi_personal", "urrbmi_pool")
    }
    stocks = Stocks.find(history, population, until, data_year, opening)
    if stocks.missing_members or stocks.missing_balances:
        return "roll_forward"
    return "history"


def band_table(chosen: Sequence[Point], values: NDArray[np.float64]) -> list[dict[str, Any]]:
    """One row per point: actual, mean, quantiles 5-95%, relative error of the median."""
    q = np.nanquantile(values, QUANTILES, axis=0)
    rows = []
    for k, p in enumerate(chosen):
        row: dict[str, Any] = {
            "year": p.year,
            "fund": p.fund,
            "indicator": p.indicator,
            "actual": p.value,
            "mean": float(np.nanmean(values[:, k])),
        }
        for level, value in zip(QUANTILES, q[:, k], strict=True):
            row[f"p{round(level * 100):02d}"] = float(value)
        median = row["p50"]
        row["error"] = (median - p.value) / abs(p.value) if p.value else math.nan
        row["inside_50"] = row["p25"] <= p.value <= row["p75"]
        row["inside_80"] = row["p10"] <= p.value <= row["p90"]
        row["inside_90"] = row["p05"] <= p.value <= row["p95"]
        rows.append(row)
    return rows


# --- the calibrated scenario --------------------------------------------------------------


def _round(value: float, sd: float) -> float:
    """A fitted value rounded to a hundredth of its standard deviation (5 figures at least)."""
    if sd <= 0 or not math.isfinite(sd):
        return float(f"{value:.6g}")
    digits = max(0, -math.floor(math.log10(sd)) + 2)
    return round(value, digits)


def scenario_text(chosen: Plan, result: Fit, out: Path, model_error: bool = True) -> str:
    """The calibrated scenario's YAML: extends the original, the fitted values and their
    uncertainty, each with its source; with ``model_error``, the forecast's bands widened by
    the model error the evaluation corpus measured (:mod:`.modelerror`; off for the
    evaluation's own first pass, which measures it)."""
    scenario = chosen.scenario
    history = os.path.relpath(chosen.history_file, out.parent)
    extends = os.path.relpath(scenario.file, out.parent)
    n, k = len(result.points), len(result.values)
    bounds = bounds_of(chosen)
    known = identify(result, bounds)
    where = f"calibrated to {history} {chosen.first_year}-{chosen.until}"
    parameters: dict[str, Any] = {}
    uncertainty: dict[str, Any] = {}
    for path, value in result.values.items():
        sd = result.sd[path]
        value, sd = _round(value, sd), float(f"{sd:.3g}")
        uniform = path in result.unidentified or known.underdetermined
        if known.underdetermined:
            note = f"NOT A FIT: {known.quality(result.rms, 'en')}; its draws range uniformly over the bounds"
        elif path in result.unidentified:
            note = "NOT IDENTIFIED by the history: its draws range uniformly over the bounds"
        elif path in known.weak:
            a, b = known.weak[path]
            note = (
                f"NOT IDENTIFIED by the history: its 90% interval {a:.4g} to {b:.4g} covers its "
                f"bounds; residual RMS {result.rms:.1%} over {n} points, {k} parameters"
            )
        else:
            note = f"residual RMS {result.rms:.1%} over {n} points, {k} parameters"
        if path in result.anchored:
            base = result.anchored[path]
            note += (
                f"; anchored on the {base.fund} {base.indicator} of {base.year}, the base year (the fit "
                "meets it, so the forecast carries on from the last actual flow)"
            )
        if path in result.at_bound:
            note += "; AT A BOUND of the calibration (the history asks for more)"
        source = (
            f"{where} ({n} points, {result.runs} runs a trial, common random numbers), "
            f"{note}; was {result.start[path]:g}"
        )
        if not path.endswith(".then"):
            merge_leaf(parameters, path, {"value": value, "source": source})
        low, high = bounds[path]
        if uniform:
            uncertainty[path] = {
                "distribution": "uniform",
                "low": low,
                "high": high,
                "source": source,
            }
            continue
        # a symmetric triangle of this standard deviation (half-width √6 sd), narrowed to stay
        # within the calibration's bounds: its mean is the fitted value, every draw valid, none
        # clipped; a value on a bound is held there (its source says so)
        half = min(math.sqrt(6.0) * sd, value - low, high - value)
        if half < 0.05 * sd:
            if path in scenario.uncertainty:  # the original draws it: held here instead
                uncertainty[path] = "none"
        else:
            uncertainty[path] = {
                "distribution": "triangular",
                "low": _round(value - half, sd),
                "mode": value,
                "high": _round(value + half, sd),
                "source": f"standard deviation {sd:.3g}: the calibration's residual standard "
                f"deviation {result.s:.1%} carried to this parameter (its standard error, "
                "counting what the other parameters' errors let it move) with the runs' sampling "
                "error; a symmetric triangle of that "
                f"spread, narrowed to stay within the bounds [{low:g}, {high:g}] ({where})",
            }
    if not int(scenario.tree.value("care.price_year", scenario.horizon.start)):
        # the levels were fitted with the costs of the window's first year: a forecast that
        # starts later applies the trend in between (levels carry their date)
        merge_tree(
            parameters,
            {
                "care": {
                    "price_year": {
                        "value": chosen.first_year,
                        "source": f"{where}: the costs and levels fitted hold on 1 January "
                        f"{chosen.first_year}, the first year fitted; the trends compound from then",
                    }
                }
            },
        )
    title = scenario.title
    document: dict[str, Any] = {
        "extends": extends,
        "name": f"{scenario.name}-calibrated"[:64],
        "title": {
            "zh": f"{title.zh}（已按历史数据校准）"[:200],
            "en": f"{title.en} (calibrated)"[:200],
        },
        "description": {
            "zh": f"在{scenario.file.name}基础上，按{history}中{chosen.first_year}—{chosen.until}年的"
            f"{n}个实际数据拟合{k}个参数（{', '.join(result.values)}），{known.quality(result.rms, 'zh')}；"
            + (
                "各参数按其整个取值范围均匀抽样。"
                if known.underdetermined
                else "拟合未能解释的部分作为这些参数的不确定性。"
            ),
            "en": f"{scenario.file.name} with {k} parameters ({', '.join(result.values)}) fitted "
            f"to {n} actual figures of {history}, {chosen.first_year}-{chosen.until}; "
            f"{known.quality(result.rms, 'en')}; "
            + (
                "every parameter is drawn uniformly over its bounds."
                if known.underdetermined
                else "what the fit leaves unexplained is these parameters' uncertainty."
            ),
        },
    }
    if known.flagged:  # said first, where a planner reads the description
        for lang in ("zh", "en"):
            said = " ".join(known.warnings(lang))
            document["description"][lang] = f"{said} {document['description'][lang]}"[:2000]
    if model_error:
        from .modelerror import SHOCKS, additions, own_members_sd, read_template

        start = scenario.horizon.start
        own = {p: float(scenario.tree.value(p, start)) for p in SHOCKS}
        widened, drawn = additions(
            own, set(scenario.uncertainty), read_template(), own_members_sd(scenario.uncertainty)
        )
        for path, leaf in widened.items():
            merge_leaf(parameters, path, leaf)
        uncertainty |= drawn
    if parameters:
        document["parameters"] = parameters
    document["uncertainty"] = uncertainty
    joint = _joint(result, uncertainty, where)
    if joint:
        document["correlation"] = joint
    header = (
        f"{MARK} on {dt.date.today().isoformat()} from {_comment(display_path(scenario.file))} "
        f"and {_comment(display_path(chosen.history_file))} (up to {chosen.until}).\n"
        "# Edit the original scenario and calibrate again rather than this file.\n"
    )
    for lang in ("en", "zh"):
        header += "".join(f"# WARNING 警告: {_comment(w)}\n" for w in known.warnings(lang))
    return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


def _joint(result: Fit, uncertainty: dict[str, Any], where: str) -> dict[str, Any] | None:
    """The ``correlation:`` section of the fitted parameters drawn by triangles: the fit's
    correlation of their estimates (rounded to two places, shrunk towards 0 until the matrix
    is positive definite), so a run that draws a high admission level draws the cost level the
    history then asks for. None when no pair correlates by 0.1 or more."""
    paths = [
        p for p in result.values if isinstance(uncertainty.get(p), dict)
        and uncertainty[p].get("distribution") == "triangular"
    ]  # fmt: skip
    pairs = {k: v for k, v in result.correlation.items() if k[0] in paths and k[1] in paths}
    if not pairs or max(abs(v) for v in pairs.values()) < 0.1:
        return None
    order = [p for p in paths if any(p in k for k in pairs)]
    n = len(order)
    m = np.eye(n)
    for (a, b), r in pairs.items():
        i, k = order.index(a), order.index(b)
        m[i, k] = m[k, i] = r
    for shrink in (1.0, 0.95, 0.9, 0.8, 0.6, 0.4):
        trial = np.round(np.eye(n) + shrink * (m - np.eye(n)), 2)
        try:
            np.linalg.cholesky(trial)
        except np.linalg.LinAlgError:
            continue
        return {
            "paths": order,
            "matrix": [[float(x) for x in row] for row in trial],
            "source": f"the correlation of the fitted values' estimates ({where}): what one "
            "parameter explains, another need not"
            + ("" if shrink == 1.0 else f" (shrunk by {shrink:g} to hold together)"),
        }
    return None


def _comment(text: str) -> str:
    """``text`` on one line, for a YAML comment."""
    return " ".join(text.splitlines())


def check_calibrated(
    out: Path,
    scenario: Scenario,
    force: bool,
    allow_outside: Sequence[str | Path],
    inputs: Sequence[Path],
) -> Output:
    """The calibrated scenario's place, by the output rule (:func:`fundsim.places.check_output`:
    never an input, replaced only when fundsim wrote it and --force was given), and what is
    specific to it: a .yaml file inside the scenario's project (it extends the scenario)."""
    output = check_output(
        out,
        "file",
        force,
        option="--out",
        inputs=inputs,
        ours=is_fundsim_yaml,
        what="calibrated scenario",
    )
    if output.target.suffix not in (".yaml", ".yml"):
        raise OutputError(f"--out {out}: name a .yaml file (the calibrated scenario)")
    roots = Roots.of(output.target, allow_outside)
    if not roots.contain(scenario.file):
        raise OutputError(
            f"--out {out}: the calibrated scenario extends {display_path(scenario.file)}, "
            f"which must lie in the same project ({roots.describe()}); write it beside the "
            "scenario, e.g. --out "
            + display_path(scenario.file.with_name(scenario.file.stem + "-calibrated.yaml"))
        )
    return output


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (:func:`fundsim.results.io.write_atomically`)."""
    from ..results.io import write_atomically

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text.encode("utf-8"))


def write_scenario(path: Path, text: str, allow_outside: Sequence[str | Path]) -> None:
    """Write the calibrated scenario at ``path`` (its staged place, beside its target, so its
    extends: path is the same there) and check that it loads: one that does not is a bug of
    fundsim (the output rule then leaves nothing behind)."""
    write_text(path, text)
    try:
        load_scenario(path, allow_outside)
    except ScenarioError as error:
        shown = "; ".join(d.format() for d in error.diagnostics[:3])
        raise RuntimeError(f"the calibrated scenario does not load: {shown}") from error
