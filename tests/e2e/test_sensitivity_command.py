"""``fundsim sensitivity`` from the command line: a small Sobol design of the Nanchuan
combined scenario finishes with its intervals printed and its tables and charts written;
bad options exit 2 and leave nothing behind."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fundsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
COMBINED = str(ROOT / "scenarios" / "nanchuan" / "combined.yaml")


def test_a_small_sobol_design_of_the_combined_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sens"
    args = ["sensitivity", COMBINED, "--method", "sobol", "--runs", "2", "--out", str(out)]
    assert main([*args, "--workers", "2", "--quiet"]) == 0
    said = capsys.readouterr().out
    from fundsim.scenario.loader import load_scenario

    k = len(load_scenario(COMBINED).uncertainty)  # the scenario's uncertain inputs
    assert k >= 12
    points = 2 * (k + 2)  # N(k + 2)
    assert f"{k} inputs, {points} runs" in said and f"{k}个输入，{points}次模拟" in said
    assert "居民医保基金2035年末累计结余" in said and " ± " in said  # indices with intervals
    table = pd.read_csv(out / "indices.csv")
    assert set(table.columns) == {"outcome", "input", "S1", "S1_conf", "ST", "ST_conf"}
    assert len(table) == k * 8  # k inputs x (4 outcomes x 2 pooled funds)
    assert len(pd.read_csv(out / "design.csv")) == points
    for lang in ("zh", "en"):
        assert len(list((out / "figures" / lang).glob("sobol_*.png"))) == 8
    sheets = pd.read_excel(out / "indices.xlsx", sheet_name=None)
    assert "敏感性" in sheets and "一阶指数S1" in sheets["敏感性"].columns
    import openpyxl

    sheet = openpyxl.load_workbook(out / "indices.xlsx")["敏感性"]
    heads = [c.value for c in sheet[1]]
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(2, heads.index("一阶指数S1") + 1).number_format == "0.000"
    # an existing folder is kept without --force
    assert main([*args, "--workers", "1", "--quiet"]) == 2
    assert "pass --force" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--method", "sobol", "--runs", "6"], "power of 2"),
        (["--range", "care.cost_trand=0.01:0.05"], "unknown parameter"),
        (["--range", "care.cost_trend=0.05:0.01"], "LOW must be below HIGH"),
        (["--year", "2050"], "outside the horizon"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    out = tmp_path / "sens"
    assert main(["sensitivity", COMBINED, *extra, "--out", str(out), "--quiet"]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_a_ranges_file_is_checked_line_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ranges = tmp_path / "ranges.yaml"
    ranges.write_text(
        "care.cost_trend: {low: 0.02, high: 0.09, source: test}\n"
        "care.cost_levl: {low: 0.9, high: 1.1, source: test}\n",
        encoding="utf-8",
    )
    out = tmp_path / "sens"
    args = ["sensitivity", COMBINED, "--ranges", str(ranges), "--out", str(out), "--quiet"]
    assert main([*args, "--allow-outside", str(tmp_path)]) == 2  # outside the project
    err = capsys.readouterr().err
    assert "ranges.yaml:2" in err and "did you mean 'care.cost_level'" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--method", "morris", "--runs", "100000"],
            "1,600,000 design points (100,000 × 16 for 15 inputs) is more than a batch may "
            "hold (100,000 runs); give --runs 6,250 or fewer",
        ),
        (
            ["--method", "sobol", "--runs", "65536"],
            "1,114,112 design points (65,536 × 17 for 15 inputs) is more than a batch may "
            "hold (100,000 runs); give --runs 4,096 or fewer",
        ),
        (
            ["--range", "payment.global_budget.enabled=0:1"],
            "a true/false value cannot be drawn from a distribution",
        ),
        (["--range", "settlement.lag_days=10:20"], "a count cannot be drawn"),
        (["--range", "pooling.mode=0:1"], "cannot be drawn from a distribution"),
    ],
)
def test_designs_beyond_a_batch_and_ranges_on_no_number_are_refused_before_any_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    out = tmp_path / "sens"
    tiny = ROOT / "scenarios" / "nanchuan" / "baseline.yaml"
    assert main(["sensitivity", str(tiny), *extra, "--out", str(out), "--quiet"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "design points)" not in captured.out  # nothing priced
    assert not out.exists()


@pytest.mark.parametrize("name", ["secrets.txt", "ranges.yaml"])
def test_a_ranges_file_is_judged_by_name_and_place_before_it_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    secret = tmp_path / name  # outside the scenario's project, and not allowed
    secret.write_text("db_password: hunter2\n", encoding="utf-8")
    out = tmp_path / "sens"
    args = ["sensitivity", COMBINED, "--ranges", str(secret), "--out", str(out), "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    said = "must be a .yaml or .yml file" if name.endswith(".txt") else "outside the scenario's"
    assert said in err and "db_password" not in err and "hunter2" not in err
    assert not out.exists()
