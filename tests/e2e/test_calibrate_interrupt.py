"""Ctrl-C during ``fundsim calibrate --force`` over a previous calibration's outputs (issue
28): the calibrated scenario and its report are both the old ones or both the new ones,
never one of each, no temporary file is left, and the command exits 130.

The interrupt is a real SIGINT, sent by the calibrating process to itself at a chosen moment
(a hook wrapped around one of fundsim's functions in a small driver): during the trials,
during the check band (after its first run, on the staged scenario) and during the renames
that put the outputs in place (SIGINT is held there: the new outputs land whole, then the
interrupt)."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "statistical" / "toy" / "toy.yaml"
DRIVER = r"""
import os, signal, sys

moment, number = sys.argv[1], getattr(signal, sys.argv[2])
# a child inherits an ignored SIGINT and a blocked signal mask from whoever started it (the
# test run's process may carry either, left by a library): start as a terminal would
print("signal state at start:", signal.getsignal(signal.SIGINT),
      sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])), file=sys.stderr)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
signal.signal(signal.SIGINT, signal.default_int_handler)


def interrupt():
    os.kill(os.getpid(), number)


if moment == "trials":  # the fit's first step of trials (a fit may take only one)
    from fundsim.calibration import fit

    values = fit.Trials.values

    def trial(self, many):
        interrupt()
        return values(self, many)

    fit.Trials.values = trial
elif moment == "check":  # after the first run of the check band, on the staged scenario
    from fundsim.calibration import run

    run_points = run.run_points

    def points(backend, chosen, runs, seed, fixed=None, on_run=None):
        def tick(done, total):
            if done == 1:
                interrupt()

        return run_points(backend, chosen, runs, seed, fixed, tick)

    run.run_points = points
elif moment == "rename":  # the scenario in place, the report not yet
    from fundsim import places

    replace, put, calls = os.replace, places.put_in_place, []

    def counted(source, target):
        calls.append(source)
        if len(calls) == 3:
            interrupt()
        return replace(source, target)

    def put_in_place(moves):
        places.os.replace = counted
        return put(moves)

    places.put_in_place = put_in_place

from fundsim.cli.main import main

sys.exit(main(sys.argv[3:]))
"""


def calibrate(
    folder: Path, trial_runs: int, moment: str = "", sig: str = "SIGINT"
) -> subprocess.CompletedProcess[str]:
    args = ["calibrate", "fit.yaml", "--history", "history.csv", "--out", "fit-calibrated.yaml"]
    args += ["--trial-runs", str(trial_runs), "--check-runs", "3", "--workers", "1", "--quiet"]
    env = {**os.environ, "FUNDSIM_ALLOW_OUTSIDE": str(ROOT)}
    command = [sys.executable, "-c", DRIVER, moment or "none", sig, *args, "--force"]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A region calibrated once with 2 runs a trial: the outputs the next calibration replaces."""
    folder = tmp_path_factory.mktemp("previous")
    (folder / "fit.yaml").write_text(
        f"extends: {TOY}\nname: fit\ntitle: {{zh: 拟合, en: fit}}\n"
        "calibrate:\n  runs: 4\n  parameters:\n    care.admission_level: {low: 0.8, high: 1.8}\n",
        encoding="utf-8",
    )
    rows = [f"{2021 + i // 2},urrbmi_pool,{('expenditure', 'admissions')[i % 2]},{v},t" for i, v in
            enumerate([3.9e6, 390, 4.0e6, 400, 4.1e6, 410])]  # fmt: skip
    (folder / "history.csv").write_text(
        "# source: test\nyear,fund,indicator,value,source\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    first = calibrate(folder, 2)
    assert first.returncode == 0, first.stderr
    return folder


def state(folder: Path) -> tuple[bytes, bytes, list[str]]:
    """The calibrated scenario's bytes, the report's, and every file there."""
    report = folder / "fit-calibrated-report" / "calibration.md"
    listed = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    return (folder / "fit-calibrated.yaml").read_bytes(), report.read_bytes(), listed


def runs_a_trial(scenario: bytes, report: bytes) -> tuple[int, int]:
    """How many runs a trial the scenario and the report each say they came from."""
    said = re.search(rb"\((\d+) points, (\d+) runs a trial", scenario)
    page = re.search(r"每次试算同样的 (\d+) 次模拟", report.decode("utf-8"))
    assert said and page
    return int(said[2]), int(page[1])


@pytest.mark.parametrize(
    ("moment", "lands"),
    [("trials", "old"), ("check", "old"), ("rename", "new")],
)
def test_an_interrupted_calibration_leaves_both_outputs_old_or_both_new(
    previous: Path, tmp_path: Path, moment: str, lands: str
) -> None:
    folder = tmp_path / "region"
    shutil.copytree(previous, folder)
    before = state(folder)
    assert runs_a_trial(*before[:2]) == (2, 2)
    result = calibrate(folder, 3, moment)
    assert result.returncode == 130, result.stderr
    assert "interrupted" in result.stderr and "Traceback" not in result.stderr
    scenario, report, listed = state(folder)
    assert listed == before[2]  # no temporary file left, nothing missing
    if lands == "old":
        assert (scenario, report) == before[:2]
    else:  # the new ones, whole and together
        assert runs_a_trial(scenario, report) == (3, 3)


@pytest.mark.skipif(
    not hasattr(importlib.import_module("fundsim.cli.main"), "Terminated"),
    reason="the command line turns SIGTERM into an interrupt once cli/main.py has Terminated",
)
def test_sigterm_during_the_check_band_leaves_the_old_outputs(
    previous: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "region"
    shutil.copytree(previous, folder)
    before = state(folder)
    result = calibrate(folder, 3, "check", "SIGTERM")
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert state(folder) == before
