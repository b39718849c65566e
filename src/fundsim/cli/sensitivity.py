"""``fundsim sensitivity``: which uncertain input moves each outcome most (SALib designs on
the batch backends, common random numbers across the design points)."""

from __future__ import annotations

import argparse
import errno
import gc
import math
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ..places import Output

from .parser import EXIT_OK, runs_option, seed_option, whole_number, workers_option

DEFAULT_N = {"tornado": 0, "morris": 10, "sobol": 64}  # base samples of each design


def add_command(commands: Any, allow: Any) -> None:
    command = commands.add_parser(
        "sensitivity",
        help="sensitivity of the funds' outcomes to the uncertain inputs (tornado, Morris, Sobol)",
        description="Which of the scenario's uncertain inputs (its uncertainty: section, and "
        "any --range) moves each pooled fund's depletion year, balance and reserve months and "
        "cumulative deficit most. tornado: each input at its 5%% and 95%% quantile, the others "
        "at their medians; morris: elementary effects (screening); sobol: first-order and "
        "total indices with 95%% bootstrap intervals. Every design point is one run with the "
        "same process noise (common random numbers). 敏感性分析：哪个不确定输入对基金穿底年份、"
        "累计结余、可支付月数和累计赤字影响最大。",
    )
    command.add_argument("scenario", type=Path, metavar="SCENARIO")
    command.add_argument("--method", choices=("tornado", "morris", "sobol"), default="tornado")
    command.add_argument(
        "--runs",
        type=runs_option,
        default=None,
        help="base samples: Sobol N (a power of 2; N×(k+2) runs, default 64), Morris "
        "trajectories (N×(k+1) runs, default 10); the tornado always runs 2k+1",
    )
    command.add_argument(
        "--range",
        action="append",
        default=[],
        metavar="PATH=LOW:HIGH",
        help="also vary the parameter PATH uniformly between LOW and HIGH (repeatable)",
    )
    command.add_argument(
        "--ranges",
        action="append",
        type=Path,
        default=[],
        metavar="FILE.yaml",
        help="ranges to vary from a file: PATH: {low: L, high: H, source: ...} (repeatable)",
    )
    command.add_argument(
        "--year",
        action="append",
        type=whole_number,
        default=[],
        help="a year whose balance and reserve months are outcomes (repeatable; default: "
        "the horizon's last)",
    )
    command.add_argument("--out", type=Path, required=True, help="output directory")
    command.add_argument("--seed", type=seed_option, default=None)
    command.add_argument("--workers", type=workers_option, default=None)
    command.add_argument("--scheduler", default=None, metavar="ADDRESS")
    command.add_argument("--force", action="store_true", help="replace an existing --out")
    command.add_argument("--quiet", action="store_true", help="no progress bar")
    allow(command)


def _range_problem(path: str, low: float, high: float) -> str | None:
    """What is wrong with varying ``path`` between ``low`` and ``high`` (None: nothing):
    the rules of ``uncertainty:`` (a true/false value, a choice or a count is not drawn)."""
    from ..parameters.catalogue import load_catalogue
    from ..scenario.uncertainty import DRAWABLE, not_drawable
    from ..source.diagnostics import did_you_mean

    catalogue = load_catalogue()
    if path not in catalogue:
        hint = did_you_mean(path, catalogue.paths)
        return f"unknown parameter '{path}'" + (f" ({hint})" if hint else "")
    entry = catalogue[path]
    refused = not_drawable(entry)
    if refused:
        return f"{refused} ({DRAWABLE}, as in uncertainty:)"
    if not low < high:
        return "LOW must be below HIGH"
    for value in (low, high):
        if (entry.lower is not None and value < entry.lower) or (
            entry.upper is not None and value > entry.upper
        ):
            return (
                f"{value:g} is outside the valid values of {path} ({entry.lower} to {entry.upper})"
            )
    return None


def _ranges_files(files: list[Path], scenario: Path, allowed: list[str]) -> None:
    """Each ``--ranges`` file judged by its name and place before it is read, as a scenario's
    files are: a .yaml/.yml file inside the scenario's project or an allowed folder, so no
    other file is read or quoted back (InputError otherwise)."""
    from ..scenario.paths import SCENARIO_SUFFIXES, Roots, outside_hint, suffix_problem
    from ..source.diagnostics import InputError

    roots = Roots.of(scenario, allowed)
    for file in files:
        wrong = suffix_problem(file, SCENARIO_SUFFIXES, "a ranges file")
        if wrong:
            raise InputError(f"--ranges: {wrong} (范围文件须为YAML文件)")
        if not roots.contain(file):
            raise InputError(
                f"--ranges {file.name!r} lies outside the scenario's project: "
                f"{outside_hint(roots)} (范围文件须在情景所在项目内)"
            )


def _ranges(texts: list[str], files: list[Path]) -> dict[str, tuple[float, float]]:
    """The extra ranges of ``--range PATH=LOW:HIGH`` and of ``--ranges FILE.yaml`` files
    (``PATH: {low: L, high: H, source: ...}``, judged first by :func:`_ranges_files`), each
    checked."""
    from ..scenario.paths import display_path
    from ..source.diagnostics import Collector, InputError
    from ..source.document import read_yaml

    found = {}
    for text in texts:
        path, _, bounds = text.partition("=")
        low_text, _, high_text = bounds.partition(":")
        try:
            low, high = float(low_text), float(high_text)
        except ValueError:
            raise InputError(
                f"--range {text!r}: write PATH=LOW:HIGH, e.g. care.cost_trend=0.03:0.08"
            ) from None
        problem = _range_problem(path, low, high)
        if problem:
            raise InputError(f"--range {text!r}: {problem}")
        found[path] = (low, high)
    problems = Collector()
    for file in files:
        shown = display_path(file)
        document = read_yaml(file, problems, shown)
        if document is None:
            continue
        if not isinstance(document.data, dict):
            problems.error(
                shown, 1, "", "a ranges file maps parameter paths to {low, high, source}"
            )
            continue
        for path, entry in document.data.items():
            line = document.line_of((path,))
            if not (isinstance(entry, dict) and {"low", "high"} <= set(entry)):
                problems.error(shown, line, str(path), "give {low: …, high: …, source: …}")
                continue
            unknown = set(entry) - {"low", "high", "source"}
            if unknown:
                problems.error(
                    shown, line, str(path), f"unknown key(s) {', '.join(sorted(unknown))}"
                )
                continue
            try:
                low, high = float(entry["low"]), float(entry["high"])
            except (TypeError, ValueError):
                problems.error(shown, line, str(path), "low and high are numbers")
                continue
            problem = _range_problem(str(path), low, high)
            if problem:
                problems.error(shown, line, str(path), problem)
                continue
            if not str(entry.get("source", "")).strip():
                problems.warning(
                    shown, line, str(path), "no source: say where the range comes from"
                )
            found[str(path)] = (low, high)
    problems.raise_if_errors()
    for warning in problems.items:  # a range without its source: said, not refused
        print(warning.format(), file=sys.stderr)
    return found


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import pandas as pd

    from ..ensemble import sensitivity as sa
    from ..ensemble.backends import make_backend
    from ..ensemble.evaluate import simulate
    from ..ensemble.progress import ProgressBar
    from ..places import check_output
    from ..scenario.loader import load_scenario
    from ..source.diagnostics import InputError

    scenario = load_scenario(args.scenario, args.allow_outside)
    if scenario.areas:
        raise InputError("a city scenario's sensitivity is not analysed yet: analyse an area's")
    read = [*scenario.files, *args.ranges]
    target = check_output(args.out, "sensitivity", args.force, inputs=read)  # before any work
    last = scenario.horizon.end.year
    years = sorted(set(args.year)) or [last]
    first_year = scenario.horizon.start.year
    for y in years:
        if not first_year <= y <= last:
            raise InputError(f"--year {y} is outside the horizon {first_year}-{last}")
    _ranges_files(args.ranges, args.scenario, args.allow_outside)
    chosen = sa.factors(scenario, _ranges(args.range, args.ranges))
    if not chosen:
        raise InputError(
            f"{args.scenario}: no uncertain inputs (uncertainty:) and no --range to vary"
        )
    n = args.runs if args.runs is not None else DEFAULT_N[args.method]
    if args.method == "sobol" and (n < 2 or n & (n - 1)):
        raise InputError(f"--runs {n}: Sobol's base sample is a power of 2 (e.g. 16, 64, 256)")
    _check_points(args.method, len(chosen), n)  # before any design point is drawn
    seed = scenario.monte_carlo.seed if args.seed is None else args.seed
    plan = sa.design(chosen, args.method, n, seed)
    points = len(plan.unit)
    noise_run = 0
    # one point first, here: its time prices the design before the rest starts
    started = time.perf_counter()
    first_ds = simulate(scenario, run=noise_run, seed=seed, fixed=plan.point(0))
    each = time.perf_counter() - started
    first = sa.outcomes(first_ds, years)
    backend = make_backend([scenario] * points, args.workers, args.scheduler)
    workers = backend.workers
    expected = each * (points - 1) / workers
    print(
        f"{args.method}: {len(chosen)} inputs, {points} runs (design points); about "
        f"{_duration(expected)} on {workers} worker(s) at {each:.1f} s a run "
        f"（{len(chosen)}个输入，{points}次模拟，预计约{_duration(expected, 'zh')}）",
        file=out,
        flush=True,
    )
    bar = None if args.quiet else ProgressBar(points, f"{backend.name} × {workers}", err)
    count = [1]

    def done() -> None:
        count[0] += 1
        if bar is not None:
            bar(count[0], points)

    try:
        results = sa.run_design(plan, backend, seed, noise_run, years, done, first=first)
    finally:
        backend.close()
        if bar is not None:
            bar.close()
    table = sa.indices(plan, results, seed)
    design_table = pd.DataFrame(plan.values, columns=[f.path for f in chosen])
    for name, values in results.items():
        design_table[name] = values
    meta = {
        "method": args.method,
        "scenario": {"name": scenario.name, "file": str(args.scenario), "sha256": scenario.sha256},
        "seed": seed,
        "points": points,
        "base_samples": n,
        "inputs": [f.path for f in chosen],
        "years": years,
        "horizon": [first_year, last],
    }
    _write(target, table, design_table, args.method, meta, out)
    _print(table, args.method, out)
    return EXIT_OK


def _check_points(method: str, k: int, n: int) -> None:
    """Refuse a design of more points than a batch may hold runs (InputError), saying the
    largest ``--runs`` that fits."""
    from ..ensemble.batch import MAX_RUNS
    from ..ensemble.sensitivity import point_count
    from ..source.diagnostics import InputError

    points = point_count(method, k, n)
    if points <= MAX_RUNS:
        return
    if method == "tornado":  # 2k + 1 points whatever --runs says
        raise InputError(
            f"{k} inputs make {points:,} tornado points, more than a batch may hold "
            f"({MAX_RUNS:,} runs); vary fewer inputs"
        )
    per = k + (1 if method == "morris" else 2)
    largest = MAX_RUNS // per
    if method == "sobol":
        largest = 1 << (largest.bit_length() - 1)  # a power of 2
    raise InputError(
        f"--method {method} --runs {n:,}: {points:,} design points ({n:,} × {per} for "
        f"{k} inputs) is more than a batch may hold ({MAX_RUNS:,} runs); give --runs "
        f"{largest:,} or fewer (设计点数超过一个批次的上限{MAX_RUNS:,}次模拟)"
    )


def _duration(seconds: float, lang: str = "en") -> str:
    if seconds < 90:
        return f"{math.ceil(seconds)}秒" if lang == "zh" else f"{math.ceil(seconds)} s"
    minutes = math.ceil(seconds / 60)
    return f"{minutes}分钟" if lang == "zh" else f"{minutes} min"


def _write(
    target: Output,
    table: Any,
    design_table: Any,
    method: str,
    meta: dict[str, Any],
    out: TextIO,
) -> None:
    """indices.csv (machine names), indices.xlsx (zh and en names), design.csv, the charts in
    zh and en and sensitivity.json (what was analysed, for ``fundsim report --sensitivity``),
    written under a temporary name beside ``target`` and put in place by the output rule."""
    import json

    from ..places import Writing, mark
    from ..plotting.sensitivity import write_sensitivity_charts
    from ..reporting.sensitivity import META

    with Writing() as writing:
        staging = writing.stage(target)
        table.to_csv(staging / "indices.csv", index=False)
        (staging / META).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        design_table.to_csv(staging / "design.csv", index=False)
        _write_workbook(staging / "indices.xlsx", table, Path(target.target) / "indices.xlsx")
        for lang in ("zh", "en"):
            write_sensitivity_charts(table, method, staging / "figures" / lang, lang)
        mark(staging, "sensitivity")
    print(
        f"wrote {target.target}/: indices.csv, indices.xlsx, design.csv, figures/ (zh, en)",
        file=out,
    )


# lxml's names for a write the system refused, as openpyxl's XML writer raises them
_LXML_REFUSALS = {"IO_EFBIG": errno.EFBIG, "IO_ENOSPC": errno.ENOSPC, "IO_EDQUOT": errno.EDQUOT}


def _write_workbook(path: Path, table: Any, shown: Path) -> None:
    """indices.xlsx at ``path`` (``shown`` in messages: where it was to go): a write the system refuses (the disk full, a file larger
    than the process may write) is raised as the OSError it is, so that it is said as one
    (exit 2), though it reaches openpyxl as lxml's ``SerialisationError: IO_EFBIG``. The
    half-written workbook, collected here, fails again as its XML writer and zip file close:
    those echoes of the refusal are not printed (they would come as tracebacks)."""
    previous = sys.unraisablehook
    refused: list[int] = []

    def quiet(unraisable: Any) -> None:
        if not refused:
            previous(unraisable)

    sys.unraisablehook = quiet
    try:
        try:
            _sheets(path, table)
        except Exception as error:
            number = _refused(error)
            if number is None:
                raise
            refused.append(number)
        gc.collect()  # the workbook, its traceback gone, closed now while the hook is quiet
    finally:
        sys.unraisablehook = previous
    if refused:
        raise OSError(refused[0], os.strerror(refused[0]), str(shown))


def _refused(error: BaseException) -> int | None:
    """The errno of a write the system refused, from an OSError or lxml's text, or None."""
    from ..places import WRITE_ERRNOS

    if isinstance(error, OSError):
        return error.errno if error.errno in WRITE_ERRNOS else None
    text = str(error)
    return next((n for name, n in _LXML_REFUSALS.items() if name in text), None)


def _sheets(path: Path, table: Any) -> None:
    from ..reporting.sensitivity import number_formats, shown_table
    from ..results.workbook import write_sheet

    with _excel(path) as book:
        for lang in ("zh", "en"):
            shown = shown_table(table, lang)
            formats = number_formats(table, lang)
            name = "敏感性" if lang == "zh" else "sensitivity"
            write_sheet(book, shown, name, formats)


def _excel(path: Path) -> Any:
    import pandas as pd

    return pd.ExcelWriter(path, engine="openpyxl")


def _print(table: Any, method: str, out: TextIO) -> None:
    """The indices, each outcome's inputs in order of their effect, with the intervals."""
    from ..plotting.sensitivity import outcome_name
    from ..results.headline import input_name

    key = {"tornado": "swing", "morris": "mu_star", "sobol": "ST"}[method]
    for outcome, rows in table.groupby("outcome", sort=False):
        print(
            f"\n{outcome_name(str(outcome), 'zh')} / {outcome_name(str(outcome), 'en')}", file=out
        )
        for r in rows.reindex(rows[key].abs().sort_values(ascending=False).index).itertuples():
            if method == "tornado":
                text = f"low {r.low:10.3f}  high {r.high:10.3f}  swing {r.swing:+10.3f}"
            elif method == "morris":
                text = f"mu* {r.mu_star:9.3f} ± {r.mu_star_conf:.3f}  sigma {r.sigma:9.3f}"
            else:
                text = f"S1 {r.S1:6.3f} ± {r.S1_conf:.3f}  ST {r.ST:6.3f} ± {r.ST_conf:.3f}"
            print(f"  {input_name(str(r.input), 'zh')}（{r.input}）", file=out)
            print(f"      {text}", file=out)
