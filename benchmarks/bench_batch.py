"""Benchmark of a Monte Carlo batch (issue 4): not part of the test run; prints its figures.

    python benchmarks/bench_batch.py [--runs 1000] [--backends serial,pool,dask]

A 600,000-insured region (the Nanchuan baseline scaled) over 15 years, RUNS runs, through
the real batch machinery (run store, results.nc, summaries, fan charts) on three backends:
serial, a 2-worker process pool and a 2-worker Dask LocalCluster. Prints wall time, runs per
second and the parallel efficiency from 1 to 2 workers (serial time / (2 × 2-worker time)).
Targets: 1,000 runs in at most 3 minutes on 2 cores; efficiency at least 90%.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def scaled_scenario(insured: int, years: int):  # type: ignore[no-untyped-def]
    from fundsim.scenario.loader import load_scenario
    from fundsim.scenario.schema import Horizon

    scenario = load_scenario(ROOT / "scenarios" / "nanchuan" / "baseline.yaml")
    table = scenario.region_tables["population"]
    base = sum(table.columns["persons"])
    start = scenario.horizon.start
    scaled = dataclasses.replace(
        table,
        columns={
            **table.columns,
            "persons": [p * insured / base for p in table.columns["persons"]],
        },
    )
    return dataclasses.replace(
        scenario,
        horizon=Horizon(start=start, end=dt.date(start.year + years - 1, 12, 31)),
        region_tables={**scenario.region_tables, "population": scaled},
    )


def one_batch(backend: str, runs: int, scenario, folder: Path) -> float:  # type: ignore[no-untyped-def]
    from fundsim.ensemble.backends import DaskBackend, ProcessPool, Serial
    from fundsim.ensemble.batch import Batch, run_batch
    from fundsim.plotting.figures import write_fan_charts
    from fundsim.results.summary import write_summaries

    makers = {
        "serial": lambda: Serial([scenario]),
        "pool": lambda: ProcessPool([scenario], workers=2),
        "dask": lambda: DaskBackend([scenario], address="local", workers=2),
    }

    def files(ds, out: Path) -> None:  # type: ignore[no-untyped-def]
        write_summaries(ds, out)
        write_fan_charts(ds, out / "figures")

    import fundsim.ensemble.batch as batch_module

    finish, phases = batch_module.finish, {}

    def timed_finish(*args, **kwargs):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            return finish(*args, **kwargs)
        finally:
            phases["finish"] = time.perf_counter() - t

    batch_module.finish = timed_finish
    out = folder / backend
    start = time.perf_counter()
    try:
        run_batch(Batch([scenario], runs, 20260101, out), makers[backend], extra=files)
    finally:
        batch_module.finish = finish
    FINISH[backend] = phases.get("finish", float("nan"))
    return time.perf_counter() - start


FINISH: dict[str, float] = {}  # seconds spent assembling results.nc, summaries and charts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--backends", default="serial,pool,dask")
    args = parser.parse_args()
    from fundsim.sim.allocator import keep_freed_memory

    keep_freed_memory()
    scenario = scaled_scenario(600_000, 15)
    folder = Path(tempfile.mkdtemp(prefix="fundsim-bench-"))
    seconds = {}
    try:
        print(f"{args.runs} runs of 600,000 insured x 15 years")
        print(
            f"{'backend':>8} {'workers':>7} {'wall s':>8} {'runs/s':>7} {'s/run':>6} "
            f"{'finish s':>8}  targets"
        )
        for backend in args.backends.split(","):
            seconds[backend] = one_batch(backend, args.runs, scenario, folder)
            workers = 1 if backend == "serial" else 2
            target = "<= 180 s for 1000 runs" if workers == 2 else ""
            print(
                f"{backend:>8} {workers:>7} {seconds[backend]:>8.1f} "
                f"{args.runs / seconds[backend]:>7.2f} {seconds[backend] / args.runs:>6.3f} "
                f"{FINISH[backend]:>8.1f}  {target}",
                flush=True,
            )
        if "serial" in seconds:
            for backend in ("pool", "dask"):
                if backend in seconds:
                    efficiency = seconds["serial"] / (2 * seconds[backend])
                    print(
                        f"parallel efficiency 1 -> 2 workers, {backend}: {efficiency:.0%}  (target >= 90%)"
                    )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
