"""The ``fundsim`` command line.

Exit codes: 0 success; 2 bad input (an invalid scenario, a missing file, a bad option), with
located messages on stderr and never a traceback; 1 an internal error (a bug: please report it,
``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .scenario.diagnostics import ScenarioError, did_you_mean

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse exits 2 on usage errors; keep its wording
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fundsim",
        description="Forecast whether a Chinese basic medical insurance fund stays solvent.",
    )
    parser.add_argument("--version", action="version", version=f"fundsim {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    validate = commands.add_parser(
        "validate",
        help="check scenario files; exit 0 when all are valid, 2 otherwise",
        description="Check scenario files and everything they rely on (extends chain, region data). "
        "Errors and warnings go to stderr as FILE:LINE: severity: dotted.path: message.",
    )
    validate.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario YAML files")
    validate.add_argument("--strict", action="store_true", help="treat warnings as errors")
    validate.add_argument("--quiet", action="store_true", help="print nothing for valid files")

    explain = commands.add_parser(
        "explain",
        help="print every resolved parameter over time and where each value came from",
        description="The full reform description: each parameter's values by date, with the file "
        "and line each value came from (the catalogue's national default, the baseline, or an "
        "override) and its cited source.",
    )
    explain.add_argument("scenario", metavar="SCENARIO")
    explain.add_argument(
        "prefixes",
        nargs="*",
        metavar="PATH-PREFIX",
        help="only parameters under these dotted paths, e.g. payment",
    )
    explain.add_argument(
        "--lang", choices=["en", "zh"], default="en", help="language of the descriptions"
    )
    explain.add_argument("--no-source", action="store_true", help="leave out the cited sources")

    run = commands.add_parser(
        "run",
        help="simulate scenarios and write results.nc and manifest.json",
        description="Run every scenario RUNS times with the same seed key per run (common random "
        "numbers) and write DIR/results.nc (the results contract) and DIR/manifest.json. DIR is "
        "written atomically and an existing DIR is kept unless --force is given.",
    )
    run.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario YAML files")
    run.add_argument(
        "--runs",
        type=_positive_int,
        default=None,
        help="runs per scenario (default: the scenario's monte_carlo.runs)",
    )
    run.add_argument(
        "--seed",
        type=int,
        default=None,
        help="batch seed (default: the first scenario's monte_carlo.seed)",
    )
    run.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default: outputs/NAME of the first scenario)",
    )
    run.add_argument("--force", action="store_true", help="replace an existing output directory")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive whole number")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args, sys.stdout, sys.stderr)
        if args.command == "explain":
            return _explain(args, sys.stdout, sys.stderr)
        if args.command == "run":
            return _run(args, sys.stdout, sys.stderr, argv)
    except ScenarioError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("fundsim: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input
        if args.debug:
            traceback.print_exc()
        print(
            f"fundsim: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in fundsim; run again with --debug for the traceback and report it.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    parser.error(f"unknown command {args.command}")
    return EXIT_INPUT


def _validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .scenario.loader import validate_file

    failed = 0
    for name in args.scenarios:
        diagnostics = validate_file(name)
        errors = [d for d in diagnostics if d.severity == "error"]
        warnings = [d for d in diagnostics if d.severity == "warning"]
        for diagnostic in diagnostics:
            print(diagnostic.format(), file=err)
        if errors or (args.strict and warnings):
            failed += 1
            print(f"{name}: invalid ({len(errors)} errors, {len(warnings)} warnings)", file=err)
        elif not args.quiet:
            note = f" ({len(warnings)} warnings)" if warnings else ""
            print(f"{name}: valid{note}", file=out)
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
    from .parameters.catalogue import load_catalogue
    from .scenario.loader import display_path, load_scenario

    scenario = load_scenario(args.scenario)
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
        for date, step in [(start, first), *((s.start, s) for s in steps)]:
            line = f"  {date.isoformat()}  {_format_value(step.value):>14}  {step.origin.format()}"
            if step.origin.source and not args.no_source:
                line += f"\n  {'':10}  {'':>14}  source: {step.origin.source}"
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def _run(args: argparse.Namespace, out: TextIO, err: TextIO, argv: Sequence[str] | None) -> int:
    from .results.assemble import combine
    from .results.io import OutputExists, manifest, write_batch
    from .scenario.loader import display_path, load_scenario
    from .sim.allocator import keep_freed_memory
    from .sim.run import simulate

    keep_freed_memory()
    scenarios = [load_scenario(path) for path in args.scenarios]  # located errors exit 2
    names = [s.name for s in scenarios]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        print(
            f"fundsim: error: scenario name {duplicated[0]!r} is used by more than one file; "
            "give each scenario its own name:",
            file=err,
        )
        return EXIT_INPUT
    first = scenarios[0]
    runs = args.runs if args.runs is not None else first.monte_carlo.runs
    seed = args.seed if args.seed is not None else first.monte_carlo.seed
    target = args.out if args.out is not None else Path("outputs") / first.name
    if target.exists() and not args.force:
        print(
            f"fundsim: error: {target} already exists; choose another --out or pass --force to replace it",
            file=err,
        )
        return EXIT_INPUT
    started = time.perf_counter()
    datasets = []
    for scenario in scenarios:
        for r in range(runs):
            datasets.append(simulate(scenario, run=r, seed=seed))
            if not args.quiet:
                print(f"{scenario.name}: run {r + 1}/{runs} done", file=err)
    ds = combine(datasets)
    meta = manifest(
        {s.name: {"file": display_path(s.file), "sha256": s.sha256} for s in scenarios},
        seed,
        runs,
        "serial",
        ["fundsim", *(argv if argv is not None else sys.argv[1:])],
    )
    try:
        write_batch(target, ds, meta, force=args.force)
    except OutputExists:
        print(
            f"fundsim: error: {target} already exists; choose another --out or pass --force to replace it",
            file=err,
        )
        return EXIT_INPUT
    if not args.quiet:
        elapsed = time.perf_counter() - started
        print(
            f"wrote {target / 'results.nc'} and {target / 'manifest.json'} "
            f"({len(scenarios)} scenario(s) x {runs} run(s) in {elapsed:.1f} s)",
            file=out,
        )
    return EXIT_OK
