"""The ``fundsim`` command line's parser: its commands, options and their bounds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .. import __version__

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2
AREA_HELP = "a city's results: the area shown, its key, 'city' (the reserves) or 'total' (default)"
# Bounds of the options, beside those of the scenario contract (monte_carlo.runs and .seed).
MAX_RUNS = 100_000


MAX_SEED = 2**63 - 1


MAX_WORKERS = 256


DPI = (50, 1200)


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse exits 2 on usage errors; keep its wording
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="fundsim",
        description="Forecast whether a Chinese basic medical insurance fund stays solvent.",
    )
    parser.add_argument("--version", action="version", version=f"fundsim {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
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
    allow_option(validate)

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
    allow_option(explain)

    run = commands.add_parser(
        "run",
        help="run a Monte Carlo batch and write results, summaries and fan charts",
        description="Run every scenario RUNS times with the same seed key per run (common random "
        "numbers) and write DIR/results.nc (the results contract), DIR/manifest.json, "
        "DIR/summary.csv, DIR/summary.xlsx, DIR/depletion.csv and fan charts under "
        "DIR/figures/. Each finished run is kept in DIR.partial/ as it lands, so a killed "
        "batch continues with --resume; DIR itself appears complete or not at all, and an "
        "existing DIR is kept unless --force is given.",
    )
    run.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario YAML files")
    batch_options(run, "outputs/NAME of the first scenario")

    compare = commands.add_parser(
        "compare",
        help="compare scenarios with a baseline: paired differences under common random numbers",
        description="Run BASELINE and every OTHER scenario as one batch (run r of each shares its "
        "random numbers), then report per run the difference from the baseline: its median "
        "and 5-95% band for balance, income and expenditure, the change in the probability of "
        "depletion and in the median depletion year. Writes everything `fundsim run` writes, "
        "plus DIR/comparison.csv and DIR/comparison.xlsx, and prints the table.",
    )
    compare.add_argument("baseline", metavar="BASELINE", help="the baseline scenario")
    compare.add_argument("others", nargs="+", metavar="OTHER", help="scenarios to compare")
    compare.add_argument(
        "--year",
        type=whole_number,
        default=None,
        help="the year of the printed table (default: the last; comparison.xlsx holds every year)",
    )
    compare.add_argument(
        "--unpaired",
        action="store_true",
        help="compare scenarios that do not extend BASELINE (each from its own starting "
        "values: the differences then mix the policy with everything else that differs; "
        "不是由基准情景派生的情景也进行比较)",
    )
    batch_options(compare, "outputs/compare-BASELINE")

    from ..plotting.charts import CITY_KINDS, KINDS
    from ..plotting.figures import FORMATS

    plot = commands.add_parser(
        "plot",
        help="draw one chart of a batch's results",
        description="Draw one chart of a batch (a directory with results.nc, or the file) in "
        "Chinese or English: fan, income-expenditure, reserve, depletion, compare, waterfall "
        "or cashflow. Writes RESULTS/figures/KIND_....FORMAT unless --out is given.",
    )
    plot.add_argument("results", type=Path, metavar="RESULTS", help="batch directory or results.nc")
    plot.add_argument(
        "--kind", choices=(*KINDS, *CITY_KINDS), required=True, help="the chart (draws: a city's)"
    )
    plot.add_argument("--fund", default="urrbmi_pool", help="fund account (default urrbmi_pool)")
    plot.add_argument("--scenario", help="scenario (default: the first, the baseline)")
    plot.add_argument("--area", help=AREA_HELP)
    plot.add_argument("--year", type=whole_number, help="waterfall: the year (default: the last)")
    plot.add_argument(
        "--chain", help="waterfall: scenarios in order, comma-separated (default: found)"
    )
    plot.add_argument("--lang", choices=["zh", "en"], default="zh", help="labels (default zh)")
    plot.add_argument("--format", choices=FORMATS, default="png", help="file format")
    plot.add_argument(
        "--dpi", type=dpi_option, default=200, help=f"resolution (png; {DPI[0]}-{DPI[1]})"
    )
    plot.add_argument("--out", type=Path, help="output file (its suffix is replaced by FORMAT)")
    plot.add_argument(
        "--force",
        action="store_true",
        help="replace the --out file when it is a chart fundsim wrote",
    )

    report = commands.add_parser(
        "report",
        help="write every standard chart (PNG, SVG, PDF), report.xlsx and report.md",
        description="Write the report of a batch: every standard chart in PNG, SVG and PDF, a "
        "workbook report.xlsx (one sheet per table, headers with units) and report.md with "
        "the key figures, into RESULTS/report/LANG/ unless --out is given.",
    )
    report.add_argument(
        "results", type=Path, metavar="RESULTS", help="batch directory or results.nc"
    )
    report.add_argument("--lang", choices=["zh", "en"], default="zh", help="language (default zh)")
    report.add_argument("--area", help=AREA_HELP)
    report.add_argument(
        "--sensitivity",
        type=Path,
        metavar="DIR",
        help="also report the results `fundsim sensitivity ... --out DIR` wrote (the indices "
        "and their charts in report.docx, report.xlsx and report.md)",
    )
    report.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help="the forecast's out-of-sample record: the rolling.csv of `fundsim backtest REGION_DIR "
        "--rolling` or the score.csv of `fundsim score` (its table and chart in the report; "
        "样本外检验记录)",
    )
    report.add_argument("--out", type=Path, help="output directory")
    report.add_argument(
        "--dpi", type=dpi_option, default=200, help=f"resolution (png; {DPI[0]}-{DPI[1]})"
    )
    report.add_argument(
        "--force",
        action="store_true",
        help="replace the --out folder when it is a report fundsim wrote (and holds nothing else)",
    )
    from .history import add_commands

    add_commands(commands, allow_option, runs_option, workers_option)
    from .benefit import add_command

    add_command(commands, allow_option)
    from .sensitivity import add_command as add_sensitivity

    add_sensitivity(commands, allow_option)
    from .score import add_command as add_score

    add_score(commands, allow_option)
    from .serve import add_command as add_serve

    add_serve(commands)
    return parser


def allow_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--allow-outside",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="let scenarios read files (extends:, region.data) under DIR, outside their "
        "project; may be given more than once (also FUNDSIM_ALLOW_OUTSIDE)",
    )


def whole_number(text: str, low: int | None = None, high: int | None = None) -> int:
    """``text`` as an integer written in the ASCII digits 0-9 with an optional sign (Python's
    ``int`` would also take ``1_000``, full-width digits and spaces), within ``low``-``high``."""
    from ..scenario.csvtable import WHOLE, number_problem

    if not WHOLE.fullmatch(text):
        raise argparse.ArgumentTypeError(number_problem(text, "a whole number"))
    value = int(text)
    if low is not None and high is not None and not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{value} is outside {low:,}-{high:,}")
    return value


def runs_option(text: str) -> int:
    return whole_number(text, 1, MAX_RUNS)


def seed_option(text: str) -> int:
    return whole_number(text, 0, MAX_SEED)


def workers_option(text: str) -> int:
    return whole_number(text, 1, MAX_WORKERS)


def probability_option(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{value:g} is not a probability from 0 to below 1")
    return value


def dpi_option(text: str) -> int:
    return whole_number(text, *DPI)


def batch_options(command: argparse.ArgumentParser, default_out: str) -> None:
    command.add_argument(
        "--lang",
        choices=["zh", "en"],
        default="zh",
        help="language of the workbooks' headers and the fan charts (default zh; the CSVs keep "
        "machine names)",
    )
    command.add_argument(
        "--runs",
        type=runs_option,
        default=None,
        help="runs per scenario (default: the first scenario's monte_carlo.runs)",
    )
    command.add_argument(
        "--seed",
        type=seed_option,
        default=None,
        help="batch seed, 0 to 2^63-1 (default: the first scenario's monte_carlo.seed)",
    )
    command.add_argument(
        "--out", type=Path, default=None, help=f"output directory (default: {default_out})"
    )
    command.add_argument(
        "--workers",
        type=workers_option,
        default=None,
        help=f"worker processes, 1 to {MAX_WORKERS} (default: one per core; 1 runs serially "
        "in this process)",
    )
    command.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on Dask: 'local' starts a LocalCluster, tcp://HOST:PORT joins a running "
        "cluster (default: DASK_SCHEDULER_ADDRESS if set, else a local process pool)",
    )
    command.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted batch, running only missing runs",
    )
    command.add_argument(
        "--force",
        action="store_true",
        help="replace an existing output directory (and discard an unfinished batch)",
    )
    command.add_argument(
        "--warn-above",
        type=probability_option,
        default=0.5,
        metavar="P",
        help="print the first year in which a red early warning is more likely than P "
        "(default 0.5; 红色预警概率阈值)",
    )
    command.add_argument("--quiet", action="store_true", help="no progress bar; errors only")
    allow_option(command)
