"""A failure while ``run`` writes its summaries and charts, after every run has finished
(issue 28, A2): the runs are kept for ``--resume`` and the message says so; an input's fault
exits 2, a bug 1; the resume finishes the batch."""

from __future__ import annotations

from pathlib import Path

import pytest

import fundsim.plotting.figures
from fundsim.cli import main
from fundsim.source.diagnostics import InputError

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "statistical" / "toy" / "toy.yaml"


@pytest.mark.parametrize(
    ("error", "code"), [(InputError("a chart cannot be drawn"), 2), (RuntimeError("bug"), 1)]
)
def test_a_failure_after_the_runs_keeps_them_for_resume(
    error: Exception,
    code: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(fundsim.plotting.figures, "write_fan_charts", fail)
    out = tmp_path / "out"
    argv = ["run", str(TOY), "--runs", "2", "--seed", "3", "--workers", "1", "--quiet"]
    assert main([*argv, "--out", str(out)]) == code
    said = capsys.readouterr().err
    assert (
        f"the finished runs are kept in {out}.partial, rerun the same command with --resume" in said
    )
    assert "Traceback" not in said
    assert not out.exists()
    assert len(list((tmp_path / "out.partial" / "store" / "runs").glob("*.npy"))) == 2
    monkeypatch.undo()
    assert main([*argv, "--out", str(out), "--resume"]) == 0
    assert (out / "results.nc").is_file() and not (tmp_path / "out.partial").exists()
