"""The command line as a user runs it: a real process, real exit codes, stderr as printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_FILES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios").glob("*/*.yaml"))


def fundsim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fundsim", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_shipped_scenario_validates() -> None:
    assert len(SCENARIO_FILES) >= 6
    result = fundsim("validate", "--strict", *SCENARIO_FILES)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.count(": valid") == len(SCENARIO_FILES)


@pytest.mark.parametrize(
    ("case", "located"),
    [
        ("04-binary-file", "scenario.yaml:1: error:"),
        ("02-empty-file", "scenario.yaml:1: error: file is empty"),
        ("01-bad-yaml-syntax", "scenario.yaml:6:26: error: invalid YAML"),
        (
            "15-ratio-above-one",
            "scenario.yaml:6: error: policy.payment.drg.share.2025-01-01: ratio 70 is outside [0, 1]",
        ),
    ],
)
def test_broken_scenario_exits_2_without_traceback(case: str, located: str) -> None:
    result = fundsim("validate", f"tests/cases/invalid/{case}/scenario.yaml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert located in result.stderr
    assert result.stdout == ""


def test_one_bad_file_among_good_ones_fails_the_run() -> None:
    result = fundsim(
        "validate",
        "scenarios/nanchuan/baseline.yaml",
        "tests/cases/invalid/09-unknown-top-key/scenario.yaml",
    )
    assert result.returncode == 2
    assert "scenarios/nanchuan/baseline.yaml: valid" in result.stdout
    assert "did you mean 'policy'?" in result.stderr


def test_missing_scenario_file() -> None:
    result = fundsim("validate", "scenarios/nowhere.yaml")
    assert result.returncode == 2
    assert "scenarios/nowhere.yaml: error: file not found" in result.stderr


def test_usage_error_exits_2() -> None:
    result = fundsim("validate")
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_explain_lists_drg_share_by_date_with_file_and_line() -> None:
    result = fundsim("explain", "scenarios/nanchuan/drg.yaml", "payment")
    assert result.returncode == 0, result.stderr
    block = result.stdout.split("payment.drg.share ")[1].split("\n\n")[0]
    rows = re.findall(r"^  (\d{4}-\d{2}-\d{2})\s+(\S+)\s+(\w+) (\S+):(\d+)", block, flags=re.M)
    assert [(date, value, role) for date, value, role, _, _ in rows] == [
        ("2021-01-01", "0", "baseline"),
        ("2022-01-01", "0.3", "override"),
        ("2023-01-01", "0.45", "override"),
        ("2024-01-01", "0.6", "override"),
        ("2025-01-01", "0.7", "override"),
    ]
    # each value points at the line that wrote it
    for date, value, _, file, line in rows:
        text = (ROOT / file).read_text(encoding="utf-8").splitlines()[int(line) - 1]
        if date == "2021-01-01":
            assert "share:" in text and "0.0" in text
        else:
            assert text.strip().startswith(f"{date}: {value}")
    assert "source: seed 000" in block
    assert "payment.global_budget.enabled" in result.stdout
    assert "benefits." not in result.stdout


def test_explain_shows_default_from_catalogue_and_chinese_descriptions() -> None:
    result = fundsim(
        "explain",
        "--lang",
        "zh",
        "scenarios/nanchuan/baseline.yaml",
        "population.retirement_age.male",
    )
    assert result.returncode == 0, result.stderr
    assert "男职工法定退休年龄" in result.stdout
    assert "default fundsim/parameters/catalogue.yaml:" in result.stdout
    assert "2035-01-01" in result.stdout and "2036-01-01" not in result.stdout  # horizon ends 2035


def test_explain_unknown_prefix_suggests() -> None:
    result = fundsim("explain", "scenarios/nanchuan/drg.yaml", "paymnt")
    assert result.returncode == 2
    assert "did you mean 'payment'?" in result.stderr


def test_explain_invalid_scenario_exits_2() -> None:
    result = fundsim("explain", "tests/cases/invalid/13-unknown-policy-path/scenario.yaml")
    assert result.returncode == 2
    assert "did you mean 'payment.drg.share'?" in result.stderr


def test_the_cli_module_runs_as_a_program() -> None:
    """``python -m fundsim.cli`` works (its ``if __name__`` sits after every function)."""
    result = subprocess.run(
        [sys.executable, "-m", "fundsim.cli", "validate", "scenarios/nanchuan/drg.yaml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_explain_lists_the_indexed_financing_by_year_with_its_origin() -> None:
    """Issue 13: the values a then: rule writes after the last published standard, year by
    year, each pointing at the rule; the source once."""
    result = fundsim("explain", "scenarios/nanchuan/baseline.yaml", "contributions.urrbmi")
    assert result.returncode == 0, result.stderr
    block = result.stdout.split("contributions.urrbmi.fiscal_subsidy ")[1].split("\n\n")[0]
    rows = re.findall(r"^  (\d{4})-01-01\s+(\S+)\s+(\w+) (\S+):(\d+) \[(.*)\]$", block, flags=re.M)
    years = [int(y) for y, *_ in rows]
    assert years == list(range(2021, 2036))
    for year, value, role, file, line, label in rows:
        if int(year) <= 2025:  # the published standards
            assert role == "baseline" and label == f"{year}-01-01"
        else:  # then grow 0.064 from the 2025 value of 700
            assert role == "rule" and "then grow 0.064 a year from 2025-01-01" in label
            assert float(value) == pytest.approx(700 * 1.064 ** (int(year) - 2025), rel=1e-5)
            text = (ROOT / file).read_text(encoding="utf-8").splitlines()[int(line) - 1]
            assert text.strip() == "then: {grow: 0.064}"
    assert block.count("source:") == 1
    assert "contributions.urrbmi.fiscal_subsidy.then: triangular" in result.stdout
