"""The ``fundsim`` command line.

Exit codes: 0 success; 2 bad input (an invalid scenario, a missing or damaged file, a bad
option, an output place that cannot be used, a disk that is full or refuses the write), with
located messages on stderr and never a traceback; 1 an internal error (a bug: please report it,
``--debug`` shows the traceback); 130 interrupted.

Only :class:`~fundsim.source.diagnostics.InputError` (and its kinds), a
:class:`~fundsim.source.diagnostics.ScenarioError` and an operating-system refusal to write
exit 2: any other exception raised inside fundsim is a bug and exits 1.
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from ..source.diagnostics import InputError, ScenarioError, did_you_mean
from ..source.pathnames import file_problem, shown_path
from .arguments import check_arguments
from .interrupts import batch_interrupted, interrupts_passed_on
from .parser import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, build_parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as an interrupt so that what was being written is cleaned up (or put
    in place whole) as on Ctrl-C; the command exits 143."""


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (a library call: the process's signal
    handling is left as it was, but for SIGTERM raised as an interrupt while it runs)."""
    previous = sys.unraisablehook
    running = threading.Event()
    running.set()
    sys.unraisablehook = interrupts_passed_on(previous, running, Terminated)
    main_thread = threading.current_thread() is threading.main_thread()
    terminate = signal.getsignal(signal.SIGTERM) if main_thread else None
    try:
        return _main(argv)
    finally:
        running.clear()
        sys.unraisablehook = previous
        if main_thread and terminate is not None:  # a library call leaves SIGTERM as it was
            signal.signal(signal.SIGTERM, terminate)


def entry() -> int:
    """The ``fundsim`` program (the console script and ``python -m fundsim``): :func:`main`,
    then a signal that comes once the command has finished, while Python tears down, is
    ignored: the command's outputs are complete and its message printed, and the exit status
    is the command's own (left at Python's default, the signal would kill the process
    silently with 130 or 143). Only the program does this: a test or a library calling
    :func:`main` would otherwise leave SIGINT ignored, which its child processes inherit."""
    code = main()
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_IGN)
    return code


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    # A variable NaN in every run (the reserve months of a fund that spends nothing) has NaN
    # quantiles by design; numpy's warning about it would only alarm a planner.
    warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)
    try:
        check_arguments(args)  # a path no file system could hold, for every command alike
        if args.command == "validate":
            return _validate(args, sys.stdout, sys.stderr)
        if args.command == "explain":
            return _explain(args, sys.stdout, sys.stderr)
        if args.command in ("run", "compare"):
            return _run(args, sys.stdout, sys.stderr, argv)
        if args.command in ("plot", "report"):
            return _chart(args, sys.stdout, sys.stderr)
        if args.command in ("calibrate", "backtest"):
            from .history import run as run_history

            return run_history(args, sys.stdout, sys.stderr)
        if args.command == "serve":
            from .serve import run as serve

            return serve(args, sys.stdout, sys.stderr)
        if args.command == "score":
            from .score import run as run_score

            return run_score(args, sys.stdout, sys.stderr)
        if args.command == "sensitivity":
            from .sensitivity import run as run_sensitivity

            return run_sensitivity(args, sys.stdout, sys.stderr)
        if args.command == "benefit":
            from .benefit import run as run_benefit

            return run_benefit(args, sys.stdout, sys.stderr)
        if args.command == "init":
            from .history import init

            return init(args, sys.stdout, sys.stderr)
    except ScenarioError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        return EXIT_INPUT
    except InputError as exc:
        print(f"fundsim: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        from ..places import write_failure

        refused = write_failure(exc)
        if refused is None and exc.errno in (errno.ENAMETOOLONG, errno.ELOOP):
            named = f"{shown_path(exc.filename)}: " if exc.filename else ""
            print(f"fundsim: error: {named}{exc.strerror}", file=sys.stderr)
            return EXIT_INPUT
        if refused is None:
            return _internal(exc, args.debug)
        where = f" {exc.filename}" if exc.filename else ""
        print(
            f"fundsim: error: cannot write{where}: {refused}; free space or choose another "
            "--out (nothing half-written is left; a batch keeps its finished runs for --resume)",
            file=sys.stderr,
        )
        return EXIT_INPUT
    except KeyboardInterrupt as exc:
        print("fundsim: interrupted (nothing half-written is left)", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except Exception as exc:  # a bug, not bad input
        from ..ensemble.backends import interrupt_behind

        interrupt = interrupt_behind(exc)  # Ctrl-C inside a compiled kernel: see there
        if interrupt is not None:
            print("fundsim: interrupted (nothing half-written is left)", file=sys.stderr)
            return 143 if isinstance(interrupt, Terminated) else 130
        return _internal(exc, args.debug)
    parser.error(f"unknown command {args.command}")
    return EXIT_INPUT


def _internal(exc: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exception(exc)
    print(
        f"fundsim: internal error: {type(exc).__name__}: {exc}\n"
        "This is a bug in fundsim; run again with --debug for the traceback and report it.",
        file=sys.stderr,
    )
    return EXIT_INTERNAL


def _validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..scenario.loader import validate_file

    failed = 0
    for name in args.scenarios:
        diagnostics = validate_file(name, args.allow_outside)
        errors = [d for d in diagnostics if d.severity == "error"]
        warnings = [d for d in diagnostics if d.severity == "warning"]
        for diagnostic in diagnostics:
            print(diagnostic.format(), file=err)
        if errors or (args.strict and warnings):
            failed += 1
            print(
                f"{shown_path(name)}: invalid ({len(errors)} errors, {len(warnings)} warnings)",
                file=err,
            )
        elif not args.quiet:
            note = f" ({len(warnings)} warnings)" if warnings else ""
            print(f"{shown_path(name)}: valid{note}", file=out)
    return EXIT_INPUT if failed else EXIT_OK


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:g}"
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return "; ".join(f"≥{low:,.0f}: {ratio:g}" for low, ratio in value)
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..parameters.catalogue import load_catalogue
    from ..scenario.loader import load_scenario
    from ..scenario.paths import display_path

    scenario = load_scenario(args.scenario, args.allow_outside)
    catalogue = load_catalogue()
    for prefix in args.prefixes:
        if not catalogue.under(prefix):
            hint = did_you_mean(prefix, [*catalogue.paths, *catalogue.groups])
            print(
                f"fundsim explain: no parameter under '{prefix}'" + (f" ({hint})" if hint else ""),
                file=err,
            )
            return EXIT_INPUT
    start, end = scenario.horizon.start, scenario.horizon.end
    title = scenario.title.zh if args.lang == "zh" else scenario.title.en
    print(f"{title}", file=out)
    print(
        f"scenario {args.scenario} · files: {' -> '.join(display_path(f) for f in scenario.files)}",
        file=out,
    )
    print(f"horizon {start.isoformat()} to {end.isoformat()}", file=out)
    for path, timeline in scenario.tree.explain(args.prefixes):
        entry = catalogue[path]
        description = (
            entry.description_zh
            if args.lang == "zh" and entry.description_zh
            else entry.description
        )
        print(f"\n{path}  [{entry.unit}]  {description}", file=out)
        steps = [s for s in timeline.steps if start < s.start <= end]
        first = timeline.step_at(start)
        shown_source = ""
        for date, step in [(start, first), *((s.start, s) for s in steps)]:
            line = f"  {date.isoformat()}  {_format_value(step.value):>14}  {step.origin.format()}"
            source = step.origin.source
            if source and source != shown_source and not args.no_source:  # once, till it changes
                line += f"\n  {'':10}  {'':>14}  source: {source}"
                shown_source = source
            print(line, file=out)
    chosen = [u for path, u in scenario.uncertainty.items() if _under(path, args.prefixes)]
    if chosen:
        print("\nuncertain (drawn once per run; the value above is the central case):", file=out)
        for item in chosen:
            shown = item.distribution.model_dump(
                exclude={"source", "distribution"}, exclude_none=True
            )
            params = ", ".join(
                f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in shown.items()
            )
            print(
                f"  {item.path}: {item.distribution.distribution}({params})  {item.origin.file}:{item.origin.line}",
                file=out,
            )
    return EXIT_OK


def _under(path: str, prefixes: Sequence[str]) -> bool:
    return not prefixes or any(path == p or path.startswith(p + ".") for p in prefixes)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO, argv: Sequence[str] | None) -> int:
    """``fundsim run`` and ``fundsim compare``: a batch, then its files."""
    from ..ensemble.backends import RunFailed, make_backend
    from ..ensemble.batch import Batch, run_batch
    from ..places import check_output
    from ..plotting.figures import write_fan_charts
    from ..plotting.style import FontWarning
    from ..results.compare import comparison_table, format_table, write_comparison
    from ..results.summary import write_summaries
    from ..scenario.loader import load_scenario
    from ..sim.allocator import keep_freed_memory

    keep_freed_memory()
    comparing = args.command == "compare"
    paths = [args.baseline, *args.others] if comparing else args.scenarios
    scenarios = [load_scenario(path, args.allow_outside) for path in paths]  # exit 2 if bad
    if comparing and not args.unpaired:
        _check_paired(scenarios)
    first = scenarios[0]
    runs = args.runs if args.runs is not None else first.monte_carlo.runs
    seed = args.seed if args.seed is not None else first.monte_carlo.seed
    year = getattr(args, "year", None)
    if comparing and year is not None:
        earliest = (first.reported_start or first.horizon.start).year
        if not earliest <= year <= first.horizon.end.year:
            raise InputError(
                f"--year {year} is outside the horizon {earliest}-{first.horizon.end.year}"
            )
    default = f"compare-{first.name}" if comparing else first.name
    shown = args.out if args.out is not None else Path("outputs") / default
    read = [f for s in scenarios for f in s.files]
    target = check_output(shown, "batch", args.force, inputs=read).target  # before any work
    command = ["fundsim", *(argv if argv is not None else sys.argv[1:])]

    def files(ds: Any, folder: Path) -> None:
        """The summaries and charts, after every run: a failure here keeps the runs."""
        kept = (
            f"the finished runs are kept in {shown}.partial, rerun the same command with --resume"
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FontWarning)
            try:
                write_summaries(ds, folder, args.lang)
                write_fan_charts(ds, folder / "figures", args.lang)
                if comparing:
                    write_comparison(ds, first.name, folder, args.lang)
            except InputError as error:
                raise InputError(f"{error}; {kept}") from None
            except OSError:  # a disk that refuses the write: main says the runs are kept
                raise
            except Exception:  # a bug (exit 1): the runs are not lost to it
                print(f"fundsim: {kept} once this is fixed", file=err)
                raise
        _font_warnings(caught, err)

    def tell(ds: Any) -> None:
        """What the batch found, on stdout (a signal here finds the batch complete)."""
        _continuity(ds, first, err)
        if comparing:
            print(format_table(comparison_table(ds, first.name, year)), file=out)
        if not args.quiet:
            elapsed = time.perf_counter() - started
            print(
                f"wrote {shown}/: results.nc, manifest.json, summary.csv, summary.xlsx, "
                f"depletion.csv, figures/ ({len(scenarios)} scenario(s) x {runs} run(s) in "
                f"{elapsed:.1f} s)",
                file=out,
            )
            from ..results.headline import explain, warning_lines

            for lang, heading in (
                ("zh", "基金为何穿底或不穿底"),
                ("en", "Why each fund does or does not run out"),
            ):
                print(f"\n{heading} ({first.name}):", file=out)
                for line in explain(ds, lang):
                    print(f"- {line}", file=out)
            for lang, heading in (("zh", "预警"), ("en", "Early warnings")):
                print(f"\n{heading} ({first.name}):", file=out)
                for line in warning_lines(ds, lang, args.warn_above):
                    print(f"- {line}", file=out)

    started = time.perf_counter()
    batch = Batch(scenarios, runs, seed, target, command)
    try:
        ds = run_batch(
            batch,
            lambda: make_backend(scenarios, args.workers, args.scheduler),
            force=args.force,
            resume=args.resume,
            quiet=args.quiet,
            err=err,
            extra=files,
        )
        tell(ds)
    except RunFailed as error:
        print(
            f"fundsim: error: {error}; the finished runs are kept, rerun with --resume",
            file=err,
        )
        return EXIT_INTERNAL
    except KeyboardInterrupt as exc:
        print(f"fundsim: {batch_interrupted(batch, shown)}", file=err)
        return 143 if isinstance(exc, Terminated) else 130
    return EXIT_OK


def _font_warnings(caught: Sequence[warnings.WarningMessage], err: TextIO) -> None:
    """The charts' font warnings (no Chinese font; a character no font has), each once."""
    from ..plotting.style import FontWarning

    said = dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, FontWarning))
    for message in said:
        print(f"fundsim: warning: {message}", file=err)


def _continuity(ds: Any, scenario: Any, err: TextIO) -> None:
    """Warn (zh and en) where the first forecast year jumps away from the last actual of the
    scenario's history (:mod:`fundsim.evaluation.continuity`)."""
    from ..calibration.observe import points
    from ..evaluation.continuity import jumps
    from ..results.areas import select_area
    from ..scenario.paths import display_path

    table = scenario.region_tables.get("history")
    if table is None:
        return
    shown = display_path(scenario.region_files["history"])
    for jump in jumps(select_area(ds, None), points(table), shown):
        for lang in ("zh", "en"):
            print(jump.message(lang), file=err)


def _check_paired(scenarios: Sequence[Any]) -> None:
    """A comparison measures a policy only when each scenario extends the baseline (its chain
    of ``extends`` reaches the first scenario's file): two scenarios that merely share a
    region differ in everything their files set, and the paired difference would say so as
    the policy's effect. :class:`InputError` (exit 2) naming each that does not."""
    from ..scenario.paths import display_path

    base = scenarios[0].file.resolve()
    apart = [s for s in scenarios[1:] if base not in {f.resolve() for f in s.files}]
    if apart:
        listed = "; ".join(
            f"{display_path(s.file)} ({' -> '.join(display_path(f) for f in s.files)})"
            for s in apart
        )
        raise InputError(
            f"not a paired comparison: {listed} does not extend the baseline "
            f"{display_path(scenarios[0].file)} (its extends: chain does not reach it), so the "
            "difference would mix the policy with everything else the files set (情景并非由基准情景"
            "派生，差值不只是政策的作用); compare with the scenario it extends, make it extend the "
            "baseline, or pass --unpaired to compare them anyway"
        )


def _results(path: Path) -> Any:
    """The results Dataset at ``path`` (a batch directory or its ``results.nc``), checked to
    be fundsim's results with names that can name files; :class:`InputError` otherwise."""
    from ..results.io import RESULTS, check_results, read_results

    file = path / RESULTS if path.is_dir() else path
    if not file.is_file():
        problem = file_problem(file)  # a folder, a pipe, a device or a link: say which
        raise InputError(
            f"{shown_path(file)}: {problem or 'no such results file'}; give a batch directory "
            f"(with {RESULTS}) or a results.nc written by `fundsim run`"
        )
    try:
        ds = read_results(path)
    except InputError:  # too large to be a batch's: refused before it was loaded
        raise
    except Exception as error:  # h5py and xarray raise many kinds for a damaged file
        reason = (str(error).splitlines() or [type(error).__name__])[0][:160]
        raise InputError(
            f"{file}: not a readable results file ({reason}); write it again with `fundsim run`"
        ) from None
    check_results(ds, str(file))
    return ds


def _chart(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``fundsim plot`` and ``fundsim report``."""

    from ..places import check_output, check_place, is_fundsim_chart
    from ..plotting.charts import CITY_KINDS
    from ..plotting.figures import figure, write_figure
    from ..plotting.style import FontWarning
    from ..reporting.areas import area_table
    from ..reporting.report import read_manifest, write_report
    from ..results.areas import area_names, select_area

    whole = _results(args.results)
    # a city's: the area chosen (the total by default); the draws chart shows every area
    every = args.command == "plot" and args.kind in CITY_KINDS
    ds = whole if every else select_area(whole, args.area)
    folder = args.results if args.results.is_dir() else args.results.parent
    if args.command == "plot":
        chain = args.chain.split(",") if args.chain else None
        for name in [*(chain or []), *([args.scenario] if args.scenario else [])]:
            if name not in ds["scenario"].values:
                raise InputError(
                    f"no scenario {name!r} in {args.results}; it has: "
                    f"{', '.join(map(str, ds['scenario'].values))}"
                )
        if args.fund not in ds["fund"].values:
            raise InputError(
                f"no fund {args.fund!r} in {args.results}; it has: "
                f"{', '.join(map(str, ds['fund'].values))}"
            )
        area = args.area if area_names(whole) and args.area else None
        parts = [args.kind, *(x for x in (args.scenario, area, args.fund) if x)]
        stem = args.out.with_suffix("") if args.out else folder / "figures" / "_".join(parts)
        target = stem.with_name(f"{stem.name}.{args.format}")
        if args.out:  # a folder named as the file is refused as such, before its suffix changes
            check_place(args.out, option="--out", folder=False)
        # the file written is the stem with the format's suffix; the default place, in the
        # batch's own figures folder, is replaced without --force (when fundsim drew it)
        target = check_output(
            target,
            "file",
            args.force,
            inputs=[args.results],
            default=not args.out,
            ours=is_fundsim_chart,
            what="chart",
        ).target
        stem = target.with_suffix("")
    else:
        from ..reporting.sensitivity import read_sensitivity

        # read before anything is written: a bad folder is an input error, with no report left
        sensitivity = (  # of one of the batch's scenarios, as its manifest records them
            read_sensitivity(args.sensitivity, read_manifest(args.results))
            if args.sensitivity
            else None
        )
        from ..evaluation.record import read_csv as read_record
        from ..scenario.paths import display_path

        if args.record and not args.record.is_file():
            raise InputError(
                f"--record {args.record}: no such file (文件不存在); give the rolling.csv of "
                "`fundsim backtest REGION_DIR --rolling` or the score.csv of `fundsim score`"
            )
        record = read_record(args.record, display_path(args.record)) if args.record else None
        shown_area = [args.area] if area_names(whole) and args.area else []
        place = args.out or folder / "report" / "-".join([args.lang, *shown_area])
        inputs = [args.results, *([args.sensitivity] if args.sensitivity else [])]
        inputs += [args.record] if args.record else []
        target = check_output(
            place, "report", args.force, inputs=inputs, default=not args.out
        ).target
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FontWarning)
        if args.command == "plot":
            fig, shown = figure(
                ds, args.kind, args.lang, args.fund, args.scenario, args.year, chain
            )
            written = write_figure(fig, shown, stem, (args.format,), args.dpi)
        else:
            written = write_report(
                ds,
                target,
                args.lang,
                dpi=args.dpi,
                manifest=read_manifest(args.results),
                replace=args.force or not args.out,
                areas=area_table(whole, "zh" if args.lang == "zh" else "en"),
                city=whole if area_names(whole) else None,
                sensitivity=sensitivity,
                record=record,
            )
    _font_warnings(caught, err)
    if args.command == "plot":
        print(f"wrote {written[0]}", file=out)
    else:
        shown_target = args.out or target
        print(
            f"wrote {shown_target}/: report.md, report.xlsx, report.docx and {len(written) - 3} chart files",
            file=out,
        )
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
