"""Monte Carlo batches through the real command line and the real backends (issue 4).

- serial, a 2-worker process pool and a Dask LocalCluster give identical data;
- a batch killed with SIGKILL part-way and resumed gives the data of an uninterrupted one,
  with no run lost or duplicated;
- a worker lost mid-batch is replaced and its runs are run again;
- under common random numbers the per-run difference between the baseline and the DRG
  scenario varies far less than with independent seeds;
- bad starts (an existing result, an unfinished batch, a different batch to resume) exit 2.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from fundsim.results.io import read_results

HERE = Path(__file__).resolve().parent / "batch"
SMALL = HERE / "small.yaml"
SMALL_DRG = HERE / "small-drg.yaml"

pytestmark = pytest.mark.slow


def fundsim(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "fundsim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def data(path: Path) -> xr.Dataset:
    ds = read_results(path)
    ds.attrs = {}
    return ds


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serial") / "out"
    fundsim("run", SMALL, "--runs", "8", "--seed", "11", "--workers", "1", "--out", out, "--quiet")
    return out


def test_serial_pool_and_dask_give_identical_results(serial: Path, tmp_path: Path) -> None:
    pool, dask = tmp_path / "pool", tmp_path / "dask"
    fundsim("run", SMALL, "--runs", "8", "--seed", "11", "--workers", "2", "--out", pool, "--quiet")
    fundsim(
        "run",
        SMALL,
        "--runs",
        "8",
        "--seed",
        "11",
        "--scheduler",
        "local",
        "--workers",
        "2",
        "--out",
        dask,
        "--quiet",
    )
    reference = data(serial)
    assert reference.sizes["run"] == 8 and not np.isnan(reference["balance"]).any()
    for other in (pool, dask):
        xr.testing.assert_identical(data(other), reference)  # bit for bit, coordinates too
    backends = [
        json.loads((d / "manifest.json").read_text())["backend"] for d in (serial, pool, dask)
    ]
    assert backends == ["serial", "process-pool", "dask"]


def test_a_killed_batch_resumes_to_the_same_data(serial: Path, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    runs_dir = out.with_name("killed.partial") / "store" / "runs"
    args = [
        sys.executable,
        "-m",
        "fundsim",
        "run",
        str(SMALL),
        "--runs",
        "8",
        "--seed",
        "11",
        "--workers",
        "2",
        "--out",
        str(out),
        "--quiet",
    ]
    process = subprocess.Popen(args, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        finished = list(runs_dir.glob("*.npy")) if runs_dir.exists() else []
        if len(finished) >= 3 or process.poll() is not None:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the batch ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)  # the driver and its workers, without warning
    process.wait()
    kept = len(list(runs_dir.glob("*.npy")))
    assert 3 <= kept < 8
    assert not out.exists()  # never a half-written result

    again = fundsim("run", SMALL, "--runs", "8", "--seed", "11", "--out", out, check=False)
    assert again.returncode == 2 and "--resume" in again.stderr
    fundsim(
        "run",
        SMALL,
        "--runs",
        "8",
        "--seed",
        "11",
        "--workers",
        "2",
        "--out",
        out,
        "--resume",
        "--quiet",
    )
    resumed = data(out)
    np.testing.assert_array_equal(resumed["run"], np.arange(8))  # none lost, none twice
    xr.testing.assert_identical(resumed, data(serial))
    assert not out.with_name("killed.partial").exists()


def test_a_lost_worker_is_replaced_and_its_runs_rerun(tmp_path: Path) -> None:
    from fundsim.ensemble.backends import ProcessPool, Serial
    from fundsim.scenario.loader import load_scenario

    scenarios = [load_scenario(SMALL)]
    tasks = [(0, r) for r in range(6)]
    pool = ProcessPool(scenarios, workers=2)
    results = {}
    try:
        for task, ds in pool.run(tasks, seed=5):
            if not results:  # after the first run lands, kill a worker mid-batch
                victim = next(iter(pool._pool._processes))
                os.kill(victim, signal.SIGKILL)
            results[task] = ds
    finally:
        pool.close()
    assert sorted(results) == tasks
    reference = dict(Serial(scenarios).run([(0, 4)], seed=5))
    xr.testing.assert_identical(results[(0, 4)], reference[(0, 4)])


def test_common_random_numbers_narrow_the_difference(tmp_path: Path) -> None:
    runs = "20"  # F(19, 19) at 0.999 is 3.9: an sd ratio below 0.5 holds when the true one is 0.25
    paired = tmp_path / "paired"
    compared = fundsim(
        "compare", SMALL, SMALL_DRG, "--runs", runs, "--seed", "3", "--out", paired, "--quiet"
    )
    assert "small-drg" in compared.stdout  # the table is printed
    other = tmp_path / "other-seed"
    fundsim("run", SMALL_DRG, "--runs", runs, "--seed", "4", "--out", other, "--quiet")
    both = data(paired)
    base = both["expenditure"].sel(scenario="small", fund="uebmi_pool").isel(year=-1)
    drg = both["expenditure"].sel(scenario="small-drg", fund="uebmi_pool").isel(year=-1)
    independent = (
        data(other)["expenditure"].sel(scenario="small-drg", fund="uebmi_pool").isel(year=-1)
    )
    sd_crn = float((drg - base).std())
    sd_independent = float((independent.values - base.values).std())
    assert sd_crn < 0.5 * sd_independent, (sd_crn, sd_independent)
    # the paired differences are what the comparison reports
    table = (paired / "comparison.csv").read_text(encoding="utf-8-sig")
    assert "balance_diff_median" in table and "p_depleted_change" in table


def test_bad_starts_exit_2_and_keep_everything(serial: Path, tmp_path: Path) -> None:
    before = (serial / "results.nc").stat().st_mtime_ns
    existing = fundsim("run", SMALL, "--runs", "8", "--out", serial, check=False)
    assert existing.returncode == 2 and "already exists" in existing.stderr
    assert (serial / "results.nc").stat().st_mtime_ns == before

    partial = tmp_path / "out.partial"
    partial.mkdir()
    (partial / "plan.json").write_text(
        json.dumps({"scenarios": [], "runs": 3, "seed": 1}), encoding="utf-8"
    )
    different = fundsim(
        "run", SMALL, "--runs", "8", "--out", tmp_path / "out", "--resume", check=False
    )
    assert different.returncode == 2 and "differs from this one" in different.stderr
    assert "Traceback" not in different.stderr


def test_the_batch_writes_summaries_and_fan_charts(serial: Path) -> None:
    ds = data(serial)
    csv = (serial / "summary.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel shows the Chinese
    assert "累计结余".encode() in csv and "可支付月数".encode() in csv
    from openpyxl import load_workbook

    book = load_workbook(serial / "summary.xlsx", read_only=True)
    assert len(book.sheetnames) == 2
    figures = sorted((serial / "figures").glob("fan_*.png"))
    assert len(figures) == ds.sizes["fund"] and all(f.stat().st_size > 10_000 for f in figures)


def test_an_unreachable_dask_scheduler_is_an_input_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = fundsim(
        "run",
        SMALL,
        "--runs",
        "2",
        "--out",
        out,
        "--scheduler",
        "tcp://127.0.0.1:1",
        check=False,
    )
    assert result.returncode == 2 and "cannot reach the Dask scheduler" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() and not out.with_name("out.partial").exists()  # nothing left
