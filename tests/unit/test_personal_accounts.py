"""The members' use of their personal accounts (finance/accounts.py): each member spends
their need as far as the year's credit goes, so the share of the credits spent rises when the
personal-account reform cuts them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fundsim.codes import ACCOUNTS, ACTIVE, RETIRED
from fundsim.finance.accounts import capped_mean, need_for_share
from fundsim.finance.books import Balances
from fundsim.finance.monthly import Month, month_end
from fundsim.scenario.loader import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("sigma", [0.5, 1.0, 1.645])
@pytest.mark.parametrize("cap", [300.0, 1500.0, 6000.0])
def test_capped_mean_is_the_monte_carlo_mean_of_the_capped_draws(sigma: float, cap: float) -> None:
    need, n = 1500.0, 400_000
    rng = np.random.default_rng(7)
    x = need * np.exp(sigma * rng.standard_normal(n) - sigma * sigma / 2)
    capped = np.minimum(x, cap)
    se = capped.std() / np.sqrt(n)
    assert abs(capped_mean(need, sigma, cap) - capped.mean()) < 4 * se  # 4 standard errors


@pytest.mark.parametrize("share", [0.3, 0.75, 0.95])
def test_the_need_for_a_share_spends_that_share_and_a_smaller_credit_spends_a_larger_share(
    share: float,
) -> None:
    credit, sigma = 2000.0, 1.645
    need = need_for_share(share, credit, sigma)
    assert capped_mean(need, sigma, credit) == pytest.approx(share * credit, rel=1e-10)
    assert need > share * credit  # some members need more than their credit
    # the reform halves the credit: those who spent it all still do, the share rises
    half = capped_mean(need, sigma, credit / 2) / (credit / 2)
    assert share < half < 1.0
    assert need_for_share(1.0, credit, sigma) >= credit * 1e5  # everyone spends everything
    assert need_for_share(0.0, credit, sigma) == 0.0


@pytest.fixture(scope="module")
def snapshot() -> dict[str, Any]:
    tree = load_scenario(SCENARIOS / "nanchuan" / "baseline.yaml").tree
    return dict(tree.at(dt.date(2023, 3, 1)))


def a_month() -> Month:
    return Month(
        number=3,
        fraction=1.0,
        days=31.0,
        year_days=365.0,
        members=np.array([1000.0, 400.0, 2000.0]),
        residents_at_end=2000.0,
        wage=80_000.0,
        wage_index=1.0,
        base_per_wage=0.9,
        inflation=1.0,
        outpatient_per_member=np.array([[100.0, 150.0, 50.0], [30.0, 90.0, 20.0]]),
        active_births=12.0,
    )


def spending(postings: list[Any]) -> tuple[float, float]:
    spend = sum(
        p.amount for p in postings if p.account == "uebmi_personal" and p.flow == "personal_spend"
    )
    income = sum(
        p.amount
        for p in postings
        if p.account == "uebmi_personal" and p.flow not in ("personal_spend", "interest")
    )
    return spend, income


def test_a_horizon_that_starts_after_the_reform_fixes_the_need_by_the_credits_before_it(
    snapshot: dict[str, Any],
) -> None:
    rich = Balances.of({a: 1e12 for a in ACCOUNTS})
    share = float(snapshot["finance.personal_account_spend"])
    before = dict(snapshot, **{"contributions.uebmi.account_reform": False})
    after = dict(snapshot, **{"contributions.uebmi.account_reform": True})
    # started before the reform: the first month spends the stated share of its credits
    postings, need_before, _ = month_end(before, a_month(), rich, None, (0.0, 0.0), 0.0)
    spend, income = spending(postings)
    assert spend == pytest.approx(share * income, rel=1e-9)
    # started after it: the same members' need (fixed by the credits before the reform) ...
    postings, need_after, _ = month_end(after, a_month(), rich, None, (0.0, 0.0), 0.0)
    assert need_after == pytest.approx(need_before, rel=1e-12)
    # ... spent as far as the reformed credits go (the pool's outpatient care takes nothing)
    spend, income = spending(postings)
    m = a_month()
    members = m.members[ACTIVE] + m.members[RETIRED]
    sigma = float(snapshot["finance.personal_account_need_sigma"])
    expected = capped_mean(need_before, sigma, income * 12 / members) * members / 12
    assert spend == pytest.approx(expected, rel=1e-9)
    assert share < spend / income < 1  # the reformed credits are spent more fully


def test_a_drawn_split_moves_the_opening_between_pool_and_accounts_and_keeps_the_sum() -> None:
    """finance.opening_split_shift moves that share of the UEBMI balance (pool and personal
    accounts together) from the accounts to the pool on the first day: the two together end
    the first year the same to the fen (both earn the same interest while positive; later,
    a pool run dry earns none); the pool's first year-end lies higher by the share moved,
    grown by a year's interest (paid monthly) at most."""
    from fundsim.ensemble.evaluate import simulate

    scenario = load_scenario(SCENARIOS / "nanchuan" / "baseline.yaml")
    tree = scenario.tree
    start = scenario.horizon.start
    total = sum(
        float(tree.value(f"finance.opening_balance.{a}", start))
        for a in ("uebmi_pool", "uebmi_personal")
    )
    fixed = {"population.sample": 0.02}
    plain = simulate(scenario, run=0, seed=3, fixed=fixed).balance
    moved = simulate(
        scenario, run=0, seed=3, fixed={**fixed, "finance.opening_split_shift": 0.1}
    ).balance
    both = ["uebmi_pool", "uebmi_personal"]
    first = {"year": moved.year[0]}
    assert float(moved.sel(fund=both, **first).sum()) == pytest.approx(
        float(plain.sel(fund=both, **first).sum()), abs=0.02
    )
    gap = float((moved - plain).sel(fund="uebmi_pool", **first).sum())
    rate = float(tree.value("finance.interest_rate", start))
    assert 0.1 * total <= gap <= 0.1 * total * (1 + rate / 12) ** 12 + 1  # monthly interest
