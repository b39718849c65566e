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
import pandas as pd
import pytest
import xarray as xr

from fundsim.results.io import read_results

HERE = Path(__file__).resolve().parent / "batch"
SMALL = HERE / "small.yaml"
SMALL_DRG = HERE / "small-drg.yaml"

pytestmark = pytest.mark.slow


def fundsim(
    *args: str | Path, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "fundsim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
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


def _runs_kept(staging: Path) -> int:
    runs = staging / "store" / "runs"
    return len(list(runs.glob("*.npy"))) if runs.exists() else 0


# Where a kill lands: a test of the batch's working folder, polled every 2 ms.
KILL_POINTS = {
    "after-the-plan": lambda staging: (staging / "plan.json").exists(),
    "after-the-first-run": lambda staging: _runs_kept(staging) >= 1,
    "half-way": lambda staging: _runs_kept(staging) >= 4,
    "during-the-final-write": lambda staging: (staging / "final").exists(),
    "during-the-charts": lambda staging: (staging / "final" / "figures").exists(),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_killed_batch_resumes_to_the_same_data(serial: Path, tmp_path: Path, point: str) -> None:
    out = tmp_path / "killed"
    staging = out.with_name("killed.partial")
    args = [sys.executable, "-m", "fundsim", "run", str(SMALL), "--runs", "8", "--seed", "11"]
    args += ["--workers", "2", "--out", str(out), "--quiet"]
    process = subprocess.Popen(args, start_new_session=True)
    reached = KILL_POINTS[point]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if staging.exists() and reached(staging):
            break
        time.sleep(0.002)
    assert process.poll() is None, "the batch ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)  # the driver and its workers, without warning
    process.wait()
    assert not out.exists()  # never a half-written result
    assert staging.exists()

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
    assert not staging.exists()


def test_a_second_process_on_one_batch_gets_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "shared"
    # long enough (300 runs, one worker: about 12 s) to outlast the two refused starts (3 s each)
    args = [sys.executable, "-m", "fundsim", "run", str(SMALL), "--runs", "300", "--seed", "11"]
    args += ["--workers", "1", "--out", str(out), "--quiet"]
    first = subprocess.Popen(args, start_new_session=True)
    staging = out.with_name("shared.partial")
    try:
        deadline = time.monotonic() + 300
        while not (staging / "plan.json").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        second = fundsim(
            "run", SMALL, "--runs", "300", "--seed", "11", "--out", out, "--resume", check=False
        )
        assert second.returncode == 2, second.stderr
        assert "another fundsim process is writing the batch" in second.stderr
        forced = fundsim(
            "run", SMALL, "--runs", "300", "--seed", "11", "--out", out, "--force", check=False
        )
        assert forced.returncode == 2 and "another fundsim process" in forced.stderr
        assert first.poll() is None, "the first batch ended before the others tried"
        assert first.wait(timeout=300) == 0  # the first finishes undisturbed
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert (out / "results.nc").exists() and not staging.exists()


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
    # the workbook: every year, Chinese headers, money in 亿元 and probabilities by format
    import openpyxl

    book = openpyxl.load_workbook(paired / "comparison.xlsx")
    sheet = book["方案对比（各年）"]
    heads = [str(c.value) for c in sheet[1]]
    assert "方案" in heads and "累计结余差值中位数（亿元）" in heads and "穿底概率变化" in heads
    assert sheet.freeze_panes == "A2"
    years = {row[heads.index("年份")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert len(years) == both.sizes["year"]
    second = [c for c in sheet[2]]
    assert second[heads.index("累计结余差值中位数（亿元）")].number_format == "#,##0.00"
    assert second[heads.index("穿底概率变化")].number_format == "0.0%"
    csv_median = float(
        pd.read_csv(paired / "comparison.csv", encoding="utf-8-sig")["balance_diff_median"].iloc[0]
    )
    last = next(r for r in sheet.iter_rows(min_row=2, values_only=True)
            if r[heads.index("年份")] == int(both.year.max()))  # fmt: skip
    assert last[heads.index("累计结余差值中位数（亿元）")] == pytest.approx(csv_median / 1e8)
    bands = book["配对差异分位数"]
    assert [c.value for c in bands[1]][:4] == ["方案", "基金", "年份", "分位点"]
    assert bands.freeze_panes == "A2" and bands.cell(2, 5).number_format == "#,##0.00"
    # in English on request (--lang en), the CSV unchanged
    from fundsim.results.compare import write_comparison

    english = tmp_path / "en"
    english.mkdir()
    write_comparison(both, "small", english, "en")
    book = openpyxl.load_workbook(english / "comparison.xlsx")
    assert book.sheetnames == ["comparison by year", "paired bands"]
    heads = [str(c.value) for c in book["comparison by year"][1]]
    assert "scenario" in heads and "change in P(depleted)" in heads
    assert (english / "comparison.csv").read_bytes() == (paired / "comparison.csv").read_bytes()
    # --year outside the horizon is refused before any run
    bad = fundsim(
        "compare", SMALL, SMALL_DRG, "--year", "1999", "--out", tmp_path / "x", check=False
    )
    assert bad.returncode == 2 and "outside the horizon" in bad.stderr


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

    # the workbook: Chinese headers and names, money in 亿元 by each row's unit, the header
    # frozen; the CSV keeps machine names and yuan
    book = load_workbook(serial / "summary.xlsx")
    assert book.sheetnames == ["分位数", "穿底年份"]
    sheet = book["分位数"]
    heads = [c.value for c in sheet[1]]
    assert heads[:7] == ["方案", "基金", "年份", "指标", "单位", "均值", "P05"]
    assert sheet.freeze_panes == "A2"
    table = pd.read_csv(serial / "summary.csv", encoding="utf-8-sig")
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == len(table)
    formats = {"亿元": "#,##0.00", "月": "0.0", "%": "0.0%"}
    for row, (_, csv_row) in zip(rows, table.iterrows(), strict=True):
        unit = row[4].value
        assert row[5].number_format == formats[unit]
        divisor = 1e8 if unit == "亿元" else 1.0
        assert row[5].value == pytest.approx(csv_row["mean"] / divisor, nan_ok=True)
    assert {r[1].value for r in rows} >= {"职工医保统筹基金", "居民医保基金"}
    depleted = book["穿底年份"]
    assert [c.value for c in depleted[1]][-2:] == ["至期末未穿底的比例", "模拟次数"]
    assert depleted.cell(2, len(depleted[1]) - 1).number_format == "0.0%"
    from fundsim.results.summary import write_summaries

    english = serial.parent / "summary-en"
    english.mkdir(exist_ok=True)
    write_summaries(ds, english, "en")
    book = load_workbook(english / "summary.xlsx")
    assert book.sheetnames == ["quantiles", "depletion"]
    assert [c.value for c in book["quantiles"][1]][:5] == [
        "scenario",
        "fund",
        "year",
        "indicator",
        "unit",
    ]
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
        env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"},  # Dask's setting, honoured
    )
    assert result.returncode == 2 and "cannot reach the Dask scheduler" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() and not out.with_name("out.partial").exists()  # nothing left


class _Impostor:
    """A TCP server in a thread at 127.0.0.1 that is not a Dask scheduler: it accepts and
    then answers ``reply`` (None: stays silent, as a firewall or a web server waiting for
    its request does)."""

    def __init__(self, reply: bytes | None) -> None:
        import socket
        import threading

        self.reply = reply
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.held.append(connection)  # kept open: the client must not wait for ever
            if self.reply is not None:
                connection.sendall(self.reply)

    def close(self) -> None:
        self.server.close()
        for connection in self.held:
            connection.close()


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (None, "accepted the connection but said nothing within 10 s: not a Dask scheduler"),
        (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", "answered 'HTTP/1.1'"),
        (b"\xff" * 64, "answered bytes ff ff ff ff ff ff ff ff"),
    ],
    ids=["silent", "http", "garbage"],
)
def test_an_address_that_is_no_dask_scheduler_fails_fast(
    tmp_path: Path, reply: bytes | None, said: str
) -> None:
    """Red team A7, B2: a silent server hung the batch without end, an HTTP answer was read
    as a frame of 3 × 10^18 bytes (MemoryError, exit 1); then the message spoke of finished
    runs kept in o.partial, which did not exist."""
    impostor = _Impostor(reply)
    out = tmp_path / "new" / "out"
    started = time.monotonic()
    try:
        result = fundsim(
            "run",
            SMALL,
            "--runs",
            "1",
            "--workers",
            "1",
            "--quiet",
            "--out",
            out,
            "--scheduler",
            f"tcp://127.0.0.1:{impostor.port}",
            check=False,
        )
    finally:
        impostor.close()
    elapsed = time.monotonic() - started
    assert result.returncode == 2, result.stderr
    assert said in result.stderr and "cannot reach the Dask scheduler" in result.stderr
    assert "Traceback" not in result.stderr and "partial" not in result.stderr
    assert elapsed < 40  # 10 s to wait for the handshake, and the start of a process
    assert not (tmp_path / "new").exists()  # nothing left, not even the folder made for it


def test_a_running_dask_scheduler_is_joined(serial: Path, tmp_path: Path) -> None:
    """The check before Dask's client is trusted lets a real scheduler through: a cluster
    started apart (here in this process, one worker thread) runs the batch bit for bit."""
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        out = tmp_path / "joined"
        fundsim(
            "run",
            SMALL,
            "--runs",
            "8",
            "--seed",
            "11",
            "--quiet",
            "--out",
            out,
            "--scheduler",
            cluster.scheduler_address,
        )
    xr.testing.assert_identical(data(out), data(serial))


# --- interrupts: what they leave and what they say (issue 28) --------------------------------


def _numba_interrupt(kind: type[KeyboardInterrupt]) -> SystemError:
    """The exception numba's dispatcher leaves when a signal lands as a compiled kernel hands
    back its arrays (red team A13): two SystemErrors, the interrupt as their cause."""
    try:
        try:
            raise kind()
        except KeyboardInterrupt as interrupt:
            raise SystemError(
                "<function _numba_unpickle> returned a result with an exception set"
            ) from interrupt
    except SystemError as inner:
        outer = SystemError(
            "CPUDispatcher(<function book_by_month>) returned a result with an exception set"
        )
        outer.__cause__ = inner
        return outer


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_an_interrupt_inside_a_compiled_kernel_is_an_interrupt_and_resumes(
    serial: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    signal_name: str,
) -> None:
    """Red team A13: Ctrl-C in numba's kernels exited 1 ("internal error: SystemError") 2
    times in 9; it is exit 130 (143 for SIGTERM), the finished runs kept for --resume."""
    from fundsim.cli import main
    from fundsim.cli.main import Terminated
    from fundsim.ensemble import backends

    kind = Terminated if signal_name == "SIGTERM" else KeyboardInterrupt
    real = backends.run_task
    calls = []

    def interrupted_at_the_fourth(*args: object, **kwargs: object) -> xr.Dataset:
        calls.append(1)
        if len(calls) == 4:
            raise _numba_interrupt(kind)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(backends, "run_task", interrupted_at_the_fourth)
    out = tmp_path / "out"
    argv = ["run", str(SMALL), "--runs", "8", "--seed", "11", "--workers", "1", "--quiet"]
    code = main([*argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == (143 if signal_name == "SIGTERM" else 130), err
    assert "the 3 finished run(s) are kept in" in err and "--resume" in err
    assert "internal error" not in err and not out.exists()
    monkeypatch.setattr(backends, "run_task", real)
    assert main([*argv, "--out", str(out), "--resume"]) == 0
    xr.testing.assert_identical(data(out), data(serial))


def test_numba_leaves_the_interrupt_as_the_cause_of_its_system_error(tmp_path: Path) -> None:
    """The premise of the above, on the real thing: SIGINT sent while a compiled kernel that
    returns arrays is called in a loop surfaces as KeyboardInterrupt or as a SystemError with
    the interrupt behind it, never anything else (run apart: the signals are real)."""
    script = tmp_path / "kernel.py"
    script.write_text(
        "import json, os, signal, threading, time\n"
        "import numba, numpy as np\n"
        "from fundsim.ensemble.backends import interrupt_behind\n"
        "@numba.njit(nogil=True)\n"
        "def kernel(n):\n"
        "    a = np.zeros((3, 4, 3)); b = np.zeros((3, 4, 3))\n"
        "    for i in range(n):\n"
        "        a[i % 3, i % 4, i % 3] += np.sqrt(i)\n"
        "    return a, b\n"
        "kernel(10)\n"
        "seen = []\n"
        "for k in range(30):\n"
        "    timer = threading.Timer(0.01 + 0.004 * k, os.kill, (os.getpid(), signal.SIGINT))\n"
        "    try:\n"
        "        timer.start()\n"
        "        for _ in range(400):\n"
        "            kernel(100_000)\n"
        "        timer.join()\n"
        "        time.sleep(0.2)\n"
        "    except BaseException as error:\n"
        "        seen.append([type(error).__name__, interrupt_behind(error) is not None])\n"
        "        timer.join()\n"
        "print(json.dumps(seen))\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen and all(found for _, found in seen), seen
    assert {name for name, _ in seen} <= {"KeyboardInterrupt", "SystemError"}, seen


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_an_interrupt_once_the_results_are_in_place_says_they_are_complete(
    serial: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    signal_name: str,
) -> None:
    """Red team F6: a signal as the batch folder was put in place gave exit 130/143 and not
    a word (or "finished runs are kept in DIR.partial"). It still exits 130/143 (the command
    did not end as asked), says DIR is complete, and leaves no working folder."""
    from fundsim.cli import main
    from fundsim.ensemble import batch

    number = getattr(signal, signal_name)
    real = batch.put_in_place

    def signalled_while_renaming(*args: object) -> None:
        real(*args)  # type: ignore[arg-type]
        signal.raise_signal(number)  # held until the batch's working folder is gone too

    monkeypatch.setattr(batch, "put_in_place", signalled_while_renaming)
    out = tmp_path / "out"
    argv = ["run", str(SMALL), "--runs", "8", "--seed", "11", "--workers", "1", "--quiet"]
    code = main([*argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == (143 if signal_name == "SIGTERM" else 130), err
    assert f"interrupted after the results were written: {out} is complete" in err
    assert not out.with_name("out.partial").exists()
    xr.testing.assert_identical(data(out), data(serial))


def test_an_interrupt_lost_in_a_finaliser_is_raised_not_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team C3: a Ctrl-C that lands while Python runs a weak reference's callback printed
    "Exception ignored in: <function WeakValueDictionary…>" and a traceback; the interrupt is
    raised again in the main thread: exit 130, the finished runs kept, no noise."""
    from fundsim.cli import main
    from fundsim.ensemble import backends

    class Finaliser:
        def __del__(self) -> None:
            raise KeyboardInterrupt

    real = backends.run_task
    calls = []

    def interrupted_in_a_finaliser(*args: object, **kwargs: object) -> xr.Dataset:
        calls.append(1)
        if len(calls) == 2:
            Finaliser()  # collected at once: its interrupt is "ignored" by Python
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(backends, "run_task", interrupted_in_a_finaliser)
    argv = ["run", str(SMALL), "--runs", "8", "--seed", "11", "--workers", "1", "--quiet"]
    code = main([*argv, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 130, err
    assert "Exception ignored" not in err and "Traceback" not in err
    assert "finished run(s) are kept in" in err


def test_a_signal_after_the_command_has_finished_changes_nothing(tmp_path: Path) -> None:
    """A signal that comes while Python tears down, once the command has written and said
    everything, is ignored: the exit status is the command's own (it was 130/143 and no
    word, red team F6)."""
    code = (
        "import os, signal, sys\n"
        "from fundsim.cli import entry\n"  # the program: the console script's and -m's
        f"sys.argv = ['fundsim', 'validate', {str(SMALL)!r}]\n"
        "status = entry()\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "os.kill(os.getpid(), signal.SIGINT)\n"
        "sys.exit(status)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout and result.stderr == ""
