"""``fundsim benefit``: the claim calculator on a CSV of claims."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path
from typing import Any, TextIO

from .parser import EXIT_OK

# ASSUMPTION: 2 GiB, about 25 million claims. Read in chunks, a claim still keeps about 140
# bytes (its arrays and payments, its share of the identifiers and of the working memory)
# until its file is written, as the settling orders the whole file: 10 million claims peak
# at 1.6 GiB (benchmarks/bench_calculator.py), a file at the limit at about 3.7 GiB. Kept,
# not raised.
MAX_CLAIMS_BYTES = 2 * 2**30
CHUNK_ENV = "FUNDSIM_CLAIMS_CHUNK"  # claims read, settled and written at a time


def add_command(commands: Any, allow: Any) -> None:
    benefit = commands.add_parser(
        "benefit",
        help="settle claims under a scenario's rules: what each layer pays (the claim calculator)",
        description="Settle the claims of CLAIMS.csv under the scenario's rules on "
        "each claim's date (or --date): policy range, deductible, pooled fund, high-cost cover, "
        "critical illness, assistance and the patient's part, a person's claims of a year in "
        "date order with their annual totals. Columns: person, date, scheme, retired, level, "
        "total; optional non_insured, class_b, tcm, special_group, filing, kind (inpatient, "
        "outpatient, two_diseases), days, transfer; an empty cell of an optional column is "
        "its default (text such as nan or null is refused). CLAIMS.csv in UTF-8 (with or without BOM) or GB18030/GBK, "
        "found by itself; OUT.csv in UTF-8 with BOM, text cells that a spreadsheet would take "
        "for a formula (=, +, -, @) written with a leading quote. "
        "按情景政策逐笔计算住院及门诊待遇（政策范围、起付线、统筹基金、大额/大病、救助、个人负担）；"
        "理赔文件可为UTF-8或GBK编码；选填列留空即取默认值。",
    )
    benefit.add_argument("scenario", type=Path, metavar="SCENARIO")
    benefit.add_argument("--claims", type=Path, required=True, metavar="CLAIMS.csv")
    benefit.add_argument(
        "--date", type=dt.date.fromisoformat, help="settle every claim under the rules of this day"
    )
    benefit.add_argument("--out", type=Path, metavar="OUT.csv", help="write every claim's payments")
    benefit.add_argument(
        "--force",
        action="store_true",
        help="replace OUT.csv if it exists and fundsim wrote it (a settled claims file); a file "
        "of yours is never replaced (仅替换fundsim写的结算结果文件)",
    )
    allow(benefit)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..benefits.calculator import is_settled_claims
    from ..benefits.claimsfile import read_claims, sums, write_settled
    from ..benefits.settling import day_number, settle_arrays
    from ..places import Writing, check_output
    from ..scenario.loader import load_scenario
    from ..scenario.paths import display_path
    from ..sim.allocator import give_back_freed_memory
    from ..source.diagnostics import InputError
    from ..source.pathnames import file_problem, shown_path

    scenario = load_scenario(args.scenario, args.allow_outside)
    path: Path = args.claims
    shown = display_path(path)
    output = None
    if args.out is not None:  # before any work: never an input, never a file of the user's
        output = check_output(
            args.out,
            "file",
            args.force,
            inputs=[path, *scenario.files, *scenario.region_files.values()],
            ours=is_settled_claims,
            what="settled claims file",
        )
    if not path.is_file():
        problem = file_problem(path)  # a folder, a pipe, a device or a link: say which
        said = (
            f"{problem} (不是理赔数据文件)"
            if problem
            else "no such claims file (找不到理赔数据文件)"
        )
        raise InputError(f"{shown_path(shown)}: {said}")
    if path.stat().st_size > MAX_CLAIMS_BYTES:
        raise InputError(
            f"{shown}: larger than {MAX_CLAIMS_BYTES // 2**30} GiB; split it by year or area "
            f"(文件超过{MAX_CLAIMS_BYTES // 2**30} GiB，请按年度或地区拆分)"
        )
    horizon = (scenario.horizon.start, scenario.horizon.end)
    if args.date is not None and not horizon[0] <= args.date <= horizon[1]:
        raise InputError(
            f"--date {args.date} lies outside the scenario's horizon {horizon[0]} to {horizon[1]} "
            "(日期超出情景期限)"
        )
    rows = chunk_rows()
    started = time.perf_counter()
    # with --date every claim is settled on that day: its own date need only be a date
    within = horizon if args.date is None else None
    read = read_claims(path, shown, horizon=within, levels=scenario.levels, rows=rows)
    give_back_freed_memory()  # the chunks' text: not to be held while settling
    if args.date is not None:
        read.claims.date[:] = day_number(args.date)
    paid = settle_arrays(scenario.tree, read.claims, batch=rows)
    elapsed = time.perf_counter() - started
    if output is not None:
        with Writing() as writing:
            write_settled(writing.stage(output), read, paid, rows)
    print(f"读取编码 / encoding: {read.encoding}", file=out)
    claims = read.claims
    stays = int((claims.kind == 0).sum())
    _summary(sums(read, paid, rows), len(claims), stays, len(read.people), elapsed, out)
    if output is not None:
        print(f"wrote {args.out} ({len(claims):,} claims)", file=out)
    return EXIT_OK


def chunk_rows() -> int:
    """Claims read, settled and written at a time: :data:`CHUNK_ENV` when set (a smaller
    number, less memory), else :data:`fundsim.benefits.claimsfile.ROWS`."""
    from ..benefits.claimsfile import ROWS
    from ..source.diagnostics import InputError

    given = os.environ.get(CHUNK_ENV, "").strip()
    if not given:
        return ROWS
    if not given.isdigit() or int(given) < 1:
        raise InputError(
            f"{CHUNK_ENV}={given!r}: not a whole number of claims of at least 1 (应为不小于1的整数)"
        )
    return int(given)


def _summary(
    totals: dict[str, float], claims: int, stays: int, persons: int, elapsed: float, out: TextIO
) -> None:
    total = totals["total"]
    visits = claims - stays
    print(
        f"{claims:,} claims ({stays:,} stays, {visits:,} outpatient) of {persons:,} "
        f"persons, settled in {elapsed:.1f} s ({stays:,}笔住院、{visits:,}笔门诊，{persons:,}人):",
        file=out,
    )
    rows = (
        ("total", "医疗总费用"),
        ("policy_range", "政策范围内费用"),
        ("fund", "统筹基金支付"),
        ("high_cost", "大额医疗补助"),
        ("critical_illness", "大病保险"),
        ("assistance", "医疗救助"),
        ("patient", "个人负担"),
    )
    for column, zh in rows:
        value = totals[column]
        share = value / total if total else 0.0
        print(f"  {column:<17} {zh:<8} {value:>18,.2f} yuan  {share:6.1%}", file=out)
