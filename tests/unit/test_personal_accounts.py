"""The members' use of their personal accounts (finance/accounts.py): each member spends
their need as far as the year's credit goes, so the share of the credits spent rises when the
personal-account reform cuts them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fundsim.finance.accounts import capped_mean, need_for_share
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
