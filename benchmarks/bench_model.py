"""Benchmarks of one run (issue 3): not part of the test run; prints its figures.

    python benchmarks/bench_model.py [--quick]

Two regions built from the Nanchuan baseline, scaled: 600,000 insured over 15 years and
3,000,000 insured over 20 years. For each: seconds per run, nanoseconds per claim, peak
memory (resident set growth of a fresh process), and beside them the numpy floor measured
in the same process: drawing the same number of lognormal claim costs and applying the
per-claim deductible/ratio/cap rule, nothing else. Targets (issue 3): the full model within
3x the floor per claim; the 3M 20-year run under 3 s on one core and under 1 GB.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def floor_ns_per_claim(n: int, seed: int = 1) -> float:
    """Draw n lognormal costs and apply deductible, ratio and cap: the numpy floor."""
    rng = np.random.default_rng(seed)
    best = np.inf
    for _ in range(3):
        t = time.perf_counter()
        done = 0
        while done < n:
            m = min(1_000_000, n - done)
            cost = rng.lognormal(np.log(9000) - 0.405, 0.9, m)
            fund = np.minimum(np.maximum(cost - 700.0, 0.0) * 0.6, 100_000.0)
            fund.sum()
            done += m
        best = min(best, time.perf_counter() - t)
    return best / n * 1e9


def one_run(insured: int, years: int, warm: bool = True) -> dict[str, float]:
    """Run in this process (called in a fresh child for a clean memory figure).

    The compiled kernels load once per process (from numba's cache; compiled on the very
    first use): a small run first takes that one-time cost, reported apart as ``warmup``,
    so ``seconds`` is what every run of a batch costs.
    """
    from fundsim.scenario.loader import load_scenario
    from fundsim.scenario.schema import Horizon
    from fundsim.sim import processes
    from fundsim.sim.allocator import keep_freed_memory
    from fundsim.sim.model import FundModel

    keep_freed_memory()  # as ``fundsim run`` does
    warmup = 0.0
    if warm:
        t = time.perf_counter()
        one_run(20_000, 1, warm=False)
        warmup = time.perf_counter() - t

    scenario = load_scenario(ROOT / "scenarios" / "nanchuan" / "baseline.yaml")
    base = sum(scenario.region_tables["population"].columns["persons"])
    start = scenario.horizon.start
    horizon = Horizon(start=start, end=dt.date(start.year + years - 1, 12, 31))
    table = scenario.region_tables["population"]
    scaled = dataclasses.replace(
        table,
        columns={
            **table.columns,
            "persons": [p * insured / base for p in table.columns["persons"]],
        },
    )
    scenario = dataclasses.replace(
        scenario, horizon=horizon, region_tables={**scenario.region_tables, "population": scaled}
    )
    tree = scenario.tree
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    model = FundModel(scenario, tree, seed=1, run=0)
    admit, in_claims = processes.admit, [0.0]

    def timed_admit(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        batch = admit(*args, **kwargs)
        in_claims[0] += time.perf_counter() - start
        return batch

    processes.admit = timed_admit  # the inpatient process's pricing and settling of a batch
    try:
        model.run()
    finally:
        processes.admit = admit
    seconds = time.perf_counter() - t
    claims = float(model.record.admissions.sum())
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024  # MiB (Linux: KiB)
    return {
        "seconds": seconds,
        "claim_seconds": in_claims[0],
        "claims": claims,
        "peak_mib": peak,
        "warmup": warmup,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="smaller regions, for a smoke test")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(*args.child)))
        return
    cases = [(600_000, 15, None, None), (3_000_000, 20, 3.0, 1024.0)]
    if args.quick:
        cases = [(60_000, 3, None, None)]
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    print(
        f"{'region':>22} {'s/run':>7} {'claims':>11} {'ns/claim':>9} {'floor ns':>9} {'x floor':>8} {'claim path':>11} {'x floor':>8} {'peak MiB':>9} {'warm-up s':>9}  targets"
    )
    for insured, years, max_seconds, max_mib in cases:
        out = subprocess.run(
            ["taskset", "-c", "0", sys.executable, __file__, "--child", str(insured), str(years)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        per_claim = r["seconds"] / r["claims"] * 1e9
        path = r["claim_seconds"] / r["claims"] * 1e9
        floor = floor_ns_per_claim(int(r["claims"]))
        targets = "model <= 3x floor per claim"
        if max_seconds is not None:
            targets += f"; < {max_seconds:g} s on one core; < {max_mib:g} MiB"
        print(
            f"{insured:>12,} x {years:>2} yr {r['seconds']:>7.2f} {r['claims']:>11,.0f} {per_claim:>9.0f} {floor:>9.1f} {per_claim / floor:>8.1f} {path:>8.0f} ns {path / floor:>8.1f} {r['rss_mib']:>9.0f} {r['warmup']:>9.2f}  {targets}"
        )


if __name__ == "__main__":
    main()
