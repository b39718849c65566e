"""``fundsim benefit``: the claim calculator on a CSV of claims."""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path
from typing import Any, TextIO

from .parser import EXIT_OK

MAX_CLAIMS_BYTES = 2 * 2**30  # ASSUMPTION: 2 GiB, tens of millions of claims


def add_command(commands: Any, allow: Any) -> None:
    benefit = commands.add_parser(
        "benefit",
        help="settle claims under a scenario's rules: what each layer pays (the claim calculator)",
        description="Settle the claims of CLAIMS.csv under the scenario's rules on "
        "each claim's date (or --date): policy range, deductible, pooled fund, high-cost cover, "
        "critical illness, assistance and the patient's part, a person's claims of a year in "
        "date order with their annual totals. Columns: person, date, scheme, retired, level, "
        "total; optional non_insured, class_b, tcm, special_group, filing, kind (inpatient, "
        "outpatient, two_diseases). "
        "按情景政策逐笔计算住院及门诊待遇（政策范围、起付线、统筹基金、大额/大病、救助、个人负担）。",
    )
    benefit.add_argument("scenario", type=Path, metavar="SCENARIO")
    benefit.add_argument("--claims", type=Path, required=True, metavar="CLAIMS.csv")
    benefit.add_argument(
        "--date", type=dt.date.fromisoformat, help="settle every claim under the rules of this day"
    )
    benefit.add_argument("--out", type=Path, metavar="OUT.csv", help="write every claim's payments")
    benefit.add_argument("--force", action="store_true", help="replace OUT.csv if it exists")
    allow(benefit)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import pandas as pd

    from ..benefits.calculator import check_claims, settle_claims
    from ..places import check_place
    from ..results.io import write_atomically
    from ..scenario.loader import load_scenario
    from ..scenario.paths import display_path
    from ..source.diagnostics import Collector, InputError, ScenarioError

    scenario = load_scenario(args.scenario, args.allow_outside)
    target = None
    if args.out is not None:
        target = check_place(args.out, option="--out", folder=False)
        if target.exists() and not args.force:
            raise InputError(f"{args.out} exists; add --force to replace it (您的文件不会被覆盖)")
    path: Path = args.claims
    shown = display_path(path)
    if not path.is_file():
        raise InputError(f"{shown}: no such claims file")
    if path.stat().st_size > MAX_CLAIMS_BYTES:
        raise InputError(f"{shown}: larger than {MAX_CLAIMS_BYTES // 2**30} GiB")
    started = time.perf_counter()
    try:
        raw = pd.read_csv(
            path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
        )
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InputError(f"{shown}: not a UTF-8 CSV file of claims ({error})") from None
    blank = (raw == "").all(axis=1)  # an empty line (read as a row of empty cells)
    lines = raw.index.to_numpy() + 2  # the header is line 1
    raw, lines = raw[~blank.to_numpy()], lines[~blank.to_numpy()]
    if raw.empty:
        raise InputError(f"{shown}: no claims (a header and no rows)")
    problems = Collector()
    horizon = (scenario.horizon.start, scenario.horizon.end)
    if args.date is not None and not horizon[0] <= args.date <= horizon[1]:
        raise InputError(
            f"--date {args.date} lies outside the scenario's horizon {horizon[0]} to {horizon[1]}"
        )
    # with --date every claim is settled on that day: its own date need only be a date
    within = horizon if args.date is None else None
    claims = check_claims(
        raw.reset_index(drop=True),
        shown,
        problems,
        lines=lines,
        horizon=within,
        levels=scenario.levels,
    )
    if problems.has_errors:
        raise ScenarioError(problems.items)
    if args.date is not None:
        claims["date"] = pd.Timestamp(args.date)
    result = settle_claims(scenario.tree, claims)
    elapsed = time.perf_counter() - started
    if target is not None:
        write_atomically(target, result.to_csv(index=False).encode("utf-8-sig"))
    _summary(result, len(set(result["person"])), elapsed, out)
    if target is not None:
        print(f"wrote {args.out} ({len(result):,} claims)", file=out)
    return EXIT_OK


def _summary(result: Any, persons: int, elapsed: float, out: TextIO) -> None:
    total = float(result["total"].sum())
    stays = int((result["kind"] == "inpatient").sum())
    visits = len(result) - stays
    print(
        f"{len(result):,} claims ({stays:,} stays, {visits:,} outpatient) of {persons:,} "
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
        value = float(result[column].sum())
        share = value / total if total else 0.0
        print(f"  {column:<17} {zh:<8} {value:>18,.2f} yuan  {share:6.1%}", file=out)
