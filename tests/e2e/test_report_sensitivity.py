"""``fundsim report --sensitivity DIR`` takes only what ``fundsim sensitivity`` wrote, of the
batch's own scenario (issue 28): an edited indices.csv is said at its line and column, an
analysis of another scenario (or of the scenario as it was before a change) names both; all
exit 2 before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fundsim.cli.main import main
from fundsim.reporting.report import read_manifest
from fundsim.reporting.sensitivity import read_sensitivity

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "statistical" / "toy" / "toy.yaml"
INPUTS = ["care.cost_level", "care.admission_level"]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("batch") / "toy"
    args = ["run", str(TOY), "--runs", "2", "--workers", "1", "--quiet", "--out", str(out)]
    assert main([*args, "--allow-outside", str(ROOT)]) == 0
    return out


def analysis(folder: Path, batch: Path, **scenario: str) -> Path:
    """A tornado of the batch's scenario, as fundsim sensitivity writes it (``scenario``
    changes what sensitivity.json says was analysed)."""
    folder.mkdir()
    recorded = read_manifest(batch)
    assert recorded is not None
    toy = recorded["scenarios"]["toy"]  # type: ignore[index]
    table = pd.DataFrame(
        {
            "outcome": ["urrbmi_pool.balance_2025"] * 2 + ["urrbmi_pool.depletion_year"] * 2,
            "input": INPUTS * 2,
            "base": [3.1, 3.1, 2026.0, 2026.0],
            "low": [3.9, 3.0, 2026.0, 2026.0],
            "high": [2.2, 3.3, 2026.0, 2026.0],
        }
    ).assign(swing=lambda t: t["high"] - t["low"])
    table.to_csv(folder / "indices.csv", index=False)
    meta = {
        "method": "tornado",
        "scenario": {"name": "toy", "file": str(TOY), "sha256": toy["sha256"], **scenario},
        "seed": 7,
        "points": 5,
        "inputs": INPUTS,
        "years": [2025],
        "horizon": [2021, 2025],
    }
    (folder / "sensitivity.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return folder


def report(batch: Path, folder: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["report", str(batch), "--out", str(out), "--sensitivity", str(folder)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert not out.exists() and "Traceback" not in err
    return err


def test_the_batchs_own_analysis_is_read(batch: Path, tmp_path: Path) -> None:
    read = read_sensitivity(analysis(tmp_path / "sa", batch), read_manifest(batch))
    assert read.method == "tornado" and len(read.table) == 4
    assert read.table["swing"].tolist() == pytest.approx([-1.7, 0.3, 0.0, 0.0])


def test_an_edited_indices_file_is_said_at_its_line_and_column(
    batch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = analysis(tmp_path / "sa", batch)
    indices = folder / "indices.csv"
    text = indices.read_text(encoding="utf-8")
    edits = {
        "a text among numbers": (text.replace(",3.9,", ",lots,"), ":2: error: low: 'lots' is not"),
        "a column renamed": (text.replace(",swing", ",Swing"), ":1: error: swing: missing"),
        "an input not analysed": (
            text.replace("care.cost_level", "care.cost_trend", 1),
            ":2: error: input: unknown input 'care.cost_trend'",
        ),
        "an outcome unknown": (
            text.replace("urrbmi_pool.depletion_year", "urrbmi.depletion", 1),
            ":4: error: outcome: unknown outcome",
        ),
        "another method's columns": (
            text.replace("base,low,high,swing", "S1,S1_conf,ST,ST_conf"),
            ":1: error: S1: a column of a sobol analysis, but sensitivity.json says tornado",
        ),
    }
    for what, (edited, said) in edits.items():
        indices.write_text(edited, encoding="utf-8")
        err = report(batch, folder, tmp_path / "report", capsys)
        assert f"indices.csv{said}" in err, (what, err)


def test_another_scenarios_analysis_is_refused_naming_both(
    batch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = analysis(tmp_path / "other", batch, name="drg", file="scenarios/drg.yaml")
    err = report(batch, other, tmp_path / "report", capsys)
    assert "is of scenario drg (scenarios/drg.yaml)" in err and "the batch holds toy" in err
    changed = analysis(tmp_path / "changed", batch, sha256="0" * 64)
    err = report(batch, changed, tmp_path / "report", capsys)
    assert "the batch's toy has SHA-256" in err and "changed between the two" in err
