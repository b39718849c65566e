"""``fundsim run`` as a user runs it: results, manifest, calibration, bad input, no overwrite."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fundsim.results.io import read_results
from fundsim.results.metrics import basic_insurance
from fundsim.results.schema import VARIABLES

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = [
    "income",
    "expenditure",
    "balance",
    "reserve_months",
    "cash_balance",
    "insured",
    "admissions",
    "depletion_year",
]


def fundsim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fundsim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def nanchuan_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "nanchuan"
    result = fundsim("run", "scenarios/nanchuan/baseline.yaml", "--runs", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.slow
def test_nanchuan_run_writes_every_contract_variable(nanchuan_run: Path) -> None:
    ds = read_results(nanchuan_run)
    for name in CONTRACT:
        assert name in ds, name
        assert ds[name].dims == VARIABLES[name].dims
        for attr in ("units", "long_name", "long_name_zh"):
            assert ds[name].attrs[attr], (name, attr)
    assert list(ds.fund.values) == [
        "uebmi_pool",
        "uebmi_personal",
        "urrbmi_pool",
        "critical_illness",
        "medical_assistance",
    ]
    assert list(ds.scheme.values) == ["uebmi_active", "uebmi_retired", "urrbmi"]
    assert list(ds.year.values) == list(range(2021, 2036))
    assert ds.sizes["month"] == 15 * 12
    manifest = json.loads((nanchuan_run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["runs"] == 1 and manifest["seed"] == 20260101
    assert len(manifest["scenarios"]["baseline"]["sha256"]) == 64
    assert {
        "fundsim_version",
        "git_commit",
        "fundsim_code",
        "command_line",
        "created",
        "backend",
    } <= set(manifest)


@pytest.mark.slow
def test_nanchuan_first_year_is_near_the_2020_figures_of_seed_000(nanchuan_run: Path) -> None:
    """Seed 000 (南川区医疗保障“十四五”规划): 2020 fund income 7.98亿, expenditure 8.4亿; ±15%."""
    first = basic_insurance(read_results(nanchuan_run)).sel(year=2021).squeeze()
    assert float(first.income) == pytest.approx(7.98e8, rel=0.15)
    assert float(first.expenditure) == pytest.approx(8.4e8, rel=0.15)


@pytest.mark.slow
def test_yangjiang_run_writes_every_contract_variable(tmp_path: Path) -> None:
    out = tmp_path / "yangjiang"
    result = fundsim(
        "run", "scenarios/yangjiang/baseline.yaml", "--runs", "1", "--out", str(out), "--quiet"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    ds = read_results(out)
    for name in CONTRACT:
        assert name in ds and ds[name].attrs["long_name_zh"]
    assert float(ds.insured.sum()) > 0 and float(ds.admissions.sum()) > 0


def test_an_existing_output_directory_is_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    for force in ([], ["--force"]):  # a folder fundsim did not write: never, even with --force
        result = fundsim(
            "run", "scenarios/nanchuan/baseline.yaml", "--runs", "1", "--out", str(out), *force
        )
        assert result.returncode == 2
        assert "not a batch results folder fundsim wrote" in result.stderr, result.stderr
        assert [p.name for p in out.iterdir()] == ["keep.txt"]
        assert not out.with_name("taken.partial").exists()


def test_a_missing_region_data_file_is_a_located_error(tmp_path: Path) -> None:
    region = tmp_path / "scenarios" / "nanchuan"
    shutil.copytree(ROOT / "scenarios" / "nanchuan", region)
    shutil.copytree(ROOT / "calibration", tmp_path / "calibration")
    (tmp_path / "calibration" / "nanchuan" / "mortality.csv").unlink()
    out = tmp_path / "out"
    result = fundsim(
        "run", "scenarios/nanchuan/baseline.yaml", "--runs", "1", "--out", str(out), cwd=tmp_path
    )
    assert result.returncode == 2, result.stderr
    assert "mortality" in result.stderr and "not found" in result.stderr
    assert "baseline.yaml:" in result.stderr or "mortality.csv" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_a_malformed_region_data_file_is_a_located_error(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "scenarios" / "nanchuan", tmp_path / "scenarios" / "nanchuan")
    shutil.copytree(ROOT / "calibration", tmp_path / "calibration")
    table = tmp_path / "calibration" / "nanchuan" / "admission_rates.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("age_from"))
    cells = lines[header + 3].split(",")
    cells[3] = "-1"  # a negative admission rate
    lines[header + 3] = ",".join(cells)
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = fundsim(
        "run",
        "scenarios/nanchuan/baseline.yaml",
        "--runs",
        "1",
        "--out",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert f"admission_rates.csv:{header + 4}:" in result.stderr
    assert "Traceback" not in result.stderr


def test_same_seed_same_numbers(nanchuan_small) -> None:
    from fundsim.ensemble.evaluate import simulate

    a = simulate(nanchuan_small, run=3, seed=99)
    b = simulate(nanchuan_small, run=3, seed=99)
    c = simulate(nanchuan_small, run=4, seed=99)
    assert a.identical(b)
    assert not a.balance.equals(c.balance)
