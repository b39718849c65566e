"""Benchmark of the claim calculator (issue 28): not part of the test run; prints its figures.

    python benchmarks/bench_calculator.py [--claims 1000000,10000000] [--src PATH]
        [--encoding utf-8|gb18030] [--folder DIR]

Writes a claims file of N claims in a temporary folder (one person per five claims, two
years, a third of them stays, the rest outpatient and 两病 visits, some person names in
Chinese), then runs ``fundsim benefit`` on it under the Yangjiang baseline in a child
process (``python -m fundsim benefit ... --out``) and prints the wall time and the child's
peak resident memory (``getrusage`` of the child: ``ru_maxrss``), with its CPU time (user +
system: a fairer figure than the wall time on a shared machine). ``--src`` runs another
checkout's code (e.g. the code before issue 28: ``--src /work/base/src``) on the same file;
``--folder`` keeps the files for that. The command's own line "settled in N s" is the time
to read, check and settle; the rest of the wall time is starting Python and writing the file.
Target: 10 million claims with peak RSS under 2 GiB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "yangjiang" / "baseline.yaml"
LEVELS = ("community", "level1", "level2", "level3", "out_of_area")
FILINGS = ("filed", "unfiled", "emergency", "transfer")
SURNAMES = np.array(["张", "王", "李", "赵", "陈", "刘", "杨", "黄"], dtype=object)


def write_claims(path: Path, n: int, encoding: str, seed: int = 28) -> None:
    """``n`` claims of ``n // 5`` persons over 2023 and 2024, written in pieces of 500,000."""
    rng = np.random.default_rng(seed)
    people = max(1, n // 5)
    urrbmi = rng.random(people) < 0.4
    retired = ~urrbmi & (rng.random(people) < 0.3)
    group = np.where(urrbmi, rng.choice(3, people, p=[0.9, 0.05, 0.05]), 0)
    named = rng.random(people) < 0.2  # a fifth of the ids are Chinese names
    ids = np.array([f"P{i:08d}" for i in range(people)], dtype=object)
    ids[named] = SURNAMES[rng.integers(0, len(SURNAMES), int(named.sum()))] + ids[named]
    first_day = np.datetime64("2023-01-01")
    with open(path, "w", encoding=encoding, newline="") as handle:
        for start in range(0, n, 500_000):
            m = min(500_000, n - start)
            who = rng.integers(0, people, m)
            kind = rng.choice(3, m, p=[0.3, 0.6, 0.1])
            kind = np.where((kind == 2) & ~urrbmi[who], 1, kind)
            stay = kind == 0
            level = np.where(stay, rng.integers(0, 5, m), rng.integers(0, 4, m))
            away = level == 4
            total = np.round(
                np.where(stay, rng.lognormal(9.0, 0.9, m), rng.lognormal(5.0, 0.8, m)), 2
            )
            table = pd.DataFrame(
                {
                    "person": ids[who],
                    "date": (first_day + rng.integers(0, 731, m)).astype(str),
                    "scheme": np.where(urrbmi[who], "urrbmi", "uebmi"),
                    "retired": retired[who].astype(int),
                    "level": np.array(LEVELS)[level],
                    "total": total,
                    "non_insured": np.round(total * rng.random(m) * 0.2, 2),
                    "class_b": np.where(
                        rng.random(m) < 0.3, np.round(total * rng.random(m) * 0.1, 2), 0.0
                    ),
                    "tcm": (stay & (rng.random(m) < 0.05)).astype(int),
                    "special_group": np.array(["none", "extreme_poverty", "low_income"])[
                        group[who]
                    ],
                    "filing": np.where(away, np.array(FILINGS)[rng.integers(0, 4, m)], "local"),
                    "kind": np.array(["inpatient", "outpatient", "two_diseases"])[kind],
                    "days": np.where(stay, rng.integers(1, 30, m), 0),
                    "transfer": (stay & ~away & (rng.random(m) < 0.02)).astype(int),
                }
            )
            table.to_csv(handle, index=False, header=start == 0, lineterminator="\n")


def settle(src: Path, claims: Path, out: Path, env: dict[str, str]) -> dict[str, float]:
    """Run ``fundsim benefit`` on ``claims`` in a child process: its wall and CPU seconds,
    peak RSS [bytes] and exit code."""
    command = [
        sys.executable,
        "-m",
        "fundsim",
        "benefit",
        str(SCENARIO),
        "--claims",
        str(claims),
        "--out",
        str(out),
        "--force",
    ]
    started = time.perf_counter()
    child = subprocess.Popen(
        command, env={**env, "PYTHONPATH": str(src)}, stdout=subprocess.PIPE, cwd=ROOT
    )
    said = child.stdout.read().decode() if child.stdout else ""  # before waiting: no deadlock
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    print("    " + said.strip().replace("\n", "\n    "))
    return {
        "seconds": elapsed,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak": usage.ru_maxrss * 1024,
        "exit": os.waitstatus_to_exitcode(status),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--claims", default="1000000,10000000", help="claim counts, comma-separated"
    )
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the code to measure")
    parser.add_argument("--encoding", default="utf-8", choices=("utf-8", "gb18030"))
    parser.add_argument(
        "--folder",
        type=Path,
        help="keep the claims files here and reuse them on the next run (default: a temporary "
        "folder, removed)",
    )
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-calculator-"))
    folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    try:
        for n in (int(x) for x in args.claims.split(",")):
            claims = folder / f"claims-{n}-{args.encoding}.csv"
            if not claims.exists():
                # in a child process: a child forked from a big parent would count the
                # parent's pages in its peak RSS
                started = time.perf_counter()
                writer = [sys.executable, __file__, "--write", str(claims), str(n), args.encoding]
                subprocess.run(writer, check=True, env=env)
                print(f"{n:,} claims written in {time.perf_counter() - started:.0f} s")
            size = claims.stat().st_size / 2**20
            print(f"{n:,} claims ({size:,.0f} MiB, {args.encoding}), settled with {args.src}:")
            out = folder / f"paid-{n}.csv"
            got = settle(args.src, claims, out, env)
            out.unlink(missing_ok=True)
            print(
                f"  {n:>12,} claims: {got['seconds']:7.1f} s wall, {got['cpu']:7.1f} s CPU, "
                f"peak RSS {got['peak'] / 2**30:5.2f} GiB, {n / got['seconds']:,.0f} claims/s, "
                f"exit {got['exit']:.0f}"
            )
    finally:
        if args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        write_claims(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        main()
