"""A process acts on the parameters in force when it acts: a dated change of the settlement
lag, the clearing month or the campaign window moves the payments from its date on, not a
year late (before issue 15 they were read one wait early)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from fundsim.codes import FLOW_NAMES
from fundsim.scenario.loader import load_scenario
from fundsim.sim.model import FundModel

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "nanchuan" / "drg.yaml"


@pytest.fixture(autouse=True)
def allow_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))


def entry_dates(tmp_path: Path, policy: str, flow: str, account: str) -> list[dt.date]:
    path = tmp_path / "timed.yaml"
    path.write_text(
        f"extends: {BASE}\nname: timed\ntitle: {{zh: 时点, en: timing}}\n"
        "parameters:\n  population:\n    sample: {value: 0.01, source: test}\n"
        f"policy:\n{policy}",
        encoding="utf-8",
    )
    scenario = load_scenario(path)
    model = FundModel(scenario, scenario.tree, seed=1, run=0)
    model.run()
    e = model.ledger.entries()
    account_code = ["uebmi_pool", "uebmi_personal", "urrbmi_pool"].index(account)
    pick = (e["flow"] == FLOW_NAMES.index(flow)) & (e["account"] == account_code)
    days = np.unique(e["day"][pick])
    return [model.calendar.date(d) for d in days]


def test_a_new_settlement_lag_applies_to_the_months_ending_after_its_date(
    tmp_path: Path,
) -> None:
    paid = entry_dates(
        tmp_path,
        "  settlement.lag_days: {source: test, 2024-01-01: 10}\n",
        "inpatient",
        "uebmi_pool",
    )
    # December 2023's claims under the old lag (30 working days = 42 days after 31 Dec),
    # January 2024's under the new one (10 working days = 14 days after 31 Jan)
    assert dt.date(2024, 2, 11) in paid
    assert dt.date(2024, 2, 14) in paid
    assert paid.index(dt.date(2024, 2, 11)) < paid.index(dt.date(2024, 2, 14))


def test_a_new_campaign_window_applies_from_its_year(tmp_path: Path) -> None:
    paid = entry_dates(
        tmp_path,
        '  contributions.urrbmi.campaign_start: {source: test, 2025-01-01: "11-01"}\n'
        '  contributions.urrbmi.campaign_end: {source: test, 2025-01-01: "11-20"}\n',
        "individual_premiums",
        "urrbmi_pool",
    )
    in_2025 = [d for d in paid if d.year == 2025]
    assert in_2025 == [dt.date(2025, 11, 20)]
    assert len([d for d in paid if d.year == 2024]) > 1  # the old window the year before


def test_a_new_clearing_month_applies_to_the_clearing_of_its_year(tmp_path: Path) -> None:
    paid = entry_dates(
        tmp_path,
        "  payment.global_budget.clearing_month: {source: test, 2025-01-01: 9}\n",
        "clearing",
        "uebmi_pool",
    )
    assert dt.date(2025, 9, 30) in paid
    assert not [d for d in paid if d.year == 2025 and d.month != 9]
