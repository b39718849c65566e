"""``fundsim backtest REGION_DIR --rolling`` (issue 29): a region ``init`` wrote, rebuilt at
every origin its history allows, calibrated up to it, forecast 1-3 years and scored; nothing
after an origin enters its forecast; wrong uses are refused with exit 2."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

GROWTH = 1.06
FIGURES = """\
region: {zh: 小城, en: Small Town}
data_year: 2022
source: "test figures"
insured: {uebmi_active: 4000, uebmi_retired: 1500, urrbmi: 14500}
balances: {uebmi_pool: 30000000, uebmi_personal: 12000000, urrbmi_pool: 9000000}
history:
  2022:
    uebmi: {income: 29000000, expenditure: 25000000}
    urrbmi_pool: {income: 14500000, expenditure: 13800000}
average_wage: {2019: 86000, 2020: 90000, 2021: 95000, 2022: 100000}
horizon_years: 5
"""


def fundsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fundsim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _history() -> str:
    """A made-up town's history 2017-2022 ending at the figures of 2022 (money growing 6% a
    year, balances accumulating the surpluses, members growing 2%, 3% and 0% a year)."""
    rows = [
        "# source: made-up test history (not a real region), ending at the figures of 2022",
        "year,fund,indicator,value,source",
    ]
    flows = {("uebmi", "income"): 29e6, ("uebmi", "expenditure"): 25e6}
    flows |= {("urrbmi_pool", "income"): 14.5e6, ("urrbmi_pool", "expenditure"): 13.8e6}
    balance = {"uebmi": 42e6, "urrbmi_pool": 9e6}
    members = {
        ("uebmi", "insured_active"): (4000, 1.02),
        ("uebmi", "insured_retired"): (1500, 1.03),
        ("urrbmi_pool", "insured"): (14500, 1.0),
    }
    for year in range(2022, 2016, -1):
        k = 2022 - year
        for (fund, indicator), value in flows.items():
            rows.append(f"{year},{fund},{indicator},{value / GROWTH**k:.0f},made-up")
        for fund in balance:
            surplus = sum(
                (flows[(fund, "income")] - flows[(fund, "expenditure")]) / GROWTH**j
                for j in range(k)
            )
            rows.append(f"{year},{fund},balance,{balance[fund] - surplus:.0f},made-up")
        for (fund, indicator), (last, growth) in members.items():
            rows.append(f"{year},{fund},{indicator},{round(last / growth**k)},made-up")
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rolling")
    (folder / "figures.yaml").write_text(FIGURES, encoding="utf-8")
    made = fundsim("init", "town", "--figures", "figures.yaml", cwd=folder)
    assert made.returncode == 0, made.stderr
    (folder / "town" / "calibration" / "history.csv").write_text(_history(), encoding="utf-8")
    return folder


@pytest.mark.slow
def test_every_origin_is_rebuilt_calibrated_forecast_and_scored(town: Path) -> None:
    done = fundsim(
        "backtest", "town", "--rolling", "--out", "roll", "--runs", "8", "--trial-runs", "2",
        "--workers", "1", cwd=town,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "origins 2020, 2021" in done.stderr
    assert "median APE" in done.stdout and "中位数误差" in done.stdout
    roll = town / "roll"
    rows = list(csv.DictReader((roll / "rolling.csv").open(encoding="utf-8")))
    assert {int(r["origin"]) for r in rows} == {2020, 2021}
    for r in rows:  # each figure after its origin, within three years
        assert 1 <= int(r["year"]) - int(r["origin"]) == int(r["horizon"]) <= 3
    # the naive growth forecast of the made-up money series (exact 6% a year) is exact
    money = [r for r in rows if r["indicator"] == "income"]
    assert money and all(float(r["ape_growth"]) < 1e-6 for r in money)
    text = (roll / "rolling.md").read_text(encoding="utf-8")
    assert "滚动回测" in text and "rolling backtest" in text and "提前2年" in text
    assert "小城 滚动回测" in text and "Small Town: rolling backtest" in text  # named, not keyed
    assert "town 2020: calibrate 校准" in done.stderr  # progress in both languages
    # nothing after an origin entered its region: the 2020 rebuild knows 2017-2020 only
    history = (roll / "origins" / "town" / "town-2020" / "calibration" / "history.csv").read_text(
        encoding="utf-8"
    )
    years = {int(line.split(",")[0]) for line in history.splitlines() if line[:2] == "20"}
    assert years and max(years) == 2020
    again = fundsim("backtest", "town", "--rolling", "--out", "roll", cwd=town)
    assert again.returncode == 2 and "--force" in again.stderr  # not replaced without it
    (roll / "notes.txt").write_text("mine", encoding="utf-8")
    mine = fundsim("backtest", "town", "--rolling", "--out", "roll", "--force", cwd=town)
    assert mine.returncode == 2 and "notes.txt" in mine.stderr  # a file of the user's: never
    (roll / "notes.txt").unlink()
    forced = fundsim(
        "backtest", "town", "--rolling", "--out", "roll", "--force", "--runs", "8",
        "--trial-runs", "2", "--workers", "1", cwd=town,
    )  # fmt: skip
    assert forced.returncode == 0, forced.stderr  # its own folder, with --force: replaced


def test_wrong_uses_of_rolling_are_refused(town: Path) -> None:
    scenario = fundsim("backtest", "town/scenarios/baseline.yaml", "--rolling", "--out", "x", cwd=town)
    assert scenario.returncode == 2 and "fundsim init" in scenario.stderr
    until = fundsim("backtest", "town", "--rolling", "--until", "2020", "--out", "x", cwd=town)
    assert until.returncode == 2 and "--until" in until.stderr
    short = town / "short.csv"
    short.write_text(
        "\n".join(_history().splitlines()[:2] + [r for r in _history().splitlines() if r.startswith("2022")])
        + "\n",
        encoding="utf-8",
    )
    missing = fundsim("backtest", "nowhere", "--rolling", "--out", "x", cwd=town)
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    none = fundsim("backtest", "town", "--rolling", "--history", "short.csv", "--out", "x", cwd=town)
    assert none.returncode == 2 and "no year to forecast from" in none.stderr
    # each year says what it lacks: here the one year has nothing before or after it
    assert "2022: lacks income or spending of 3 years before it (the history has 0)" in none.stderr
    assert "an actual figure of 2023-2025" in none.stderr and "缺此前3年的收支" in none.stderr
    assert not (town / "x").exists()
