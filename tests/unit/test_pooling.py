"""The city's risk adjustment reserve: who pays in, who draws, and in what order."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundsim.codes import POOLS
from fundsim.finance import pooling
from fundsim.finance.books import Posting

RULE: dict[str, Any] = {
    "pooling.reserve.share": 0.05,
    "pooling.reserve.fiscal_share": 0.4,
    "pooling.reserve.interest": True,
    "finance.interest_rate": 0.012,
}
UEBMI, URRBMI = (p.account for p in POOLS)
RESERVE = {p.account: p.reserve for p in POOLS}


def amount(postings: list[Posting], account: str, flow: str) -> float:
    return sum(p.amount for p in postings if p.account == account and p.flow == flow)


def test_areas_pay_their_share_of_income_and_nothing_of_a_loss() -> None:
    bases = [{UEBMI: 1e8, URRBMI: 2e7}, {UEBMI: -5e6, URRBMI: 0.0}]
    areas, city = pooling.contributions(RULE, bases)
    assert amount(areas[0], UEBMI, "reserve_contributions") == pytest.approx(5e6)
    assert amount(areas[0], URRBMI, "reserve_contributions") == pytest.approx(1e6)
    assert amount(areas[1], UEBMI, "reserve_contributions") == 0.0
    assert amount(city, RESERVE[UEBMI], "reserve_contributions_in") == pytest.approx(5e6)


def test_an_area_with_money_left_draws_nothing_whatever_its_years_result() -> None:
    # its own balance comes first: a positive balance is not a deficit to cover
    areas, city, short = pooling.deficit_cover(
        RULE, [{UEBMI: 1.0, URRBMI: 0.0}], {r: 1e9 for r in RESERVE.values()}
    )
    assert areas == [[]] and city == []
    assert short == [{UEBMI: 0.0, URRBMI: 0.0}]


def test_a_deficit_is_paid_by_the_budget_share_then_the_reserve() -> None:
    areas, city, short = pooling.deficit_cover(
        RULE, [{UEBMI: -1e6, URRBMI: 0.0}], {RESERVE[UEBMI]: 1e8, RESERVE[URRBMI]: 0.0}
    )
    assert amount(areas[0], UEBMI, "fiscal_deficit_cover") == pytest.approx(4e5)
    assert amount(areas[0], UEBMI, "reserve_draws_in") == pytest.approx(6e5)
    assert amount(city, RESERVE[UEBMI], "reserve_draws") == pytest.approx(6e5)
    assert short[0][UEBMI] == 0.0


def test_a_reserve_that_runs_short_leaves_the_rest_uncovered_first_come_first_served() -> None:
    balances = [{UEBMI: -1e6, URRBMI: 0.0}, {UEBMI: -1e6, URRBMI: 0.0}]
    areas, _city, short = pooling.deficit_cover(
        RULE, balances, {RESERVE[UEBMI]: 8e5, RESERVE[URRBMI]: 0.0}
    )
    assert amount(areas[0], UEBMI, "reserve_draws_in") == pytest.approx(6e5)
    assert amount(areas[1], UEBMI, "reserve_draws_in") == pytest.approx(2e5)
    assert short[1][UEBMI] == pytest.approx(4e5)
    assert amount(areas[1], UEBMI, "fiscal_deficit_cover") == pytest.approx(4e5)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-(10**9), 10**9), st.integers(-(10**9), 10**9)),
        min_size=1,
        max_size=6,
    ),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.floats(0, 1),
)
def test_covered_deficits_close_to_the_fen_and_the_reserve_never_goes_below_zero(
    fen: list[tuple[int, int]], reserve_u: int, reserve_r: int, fiscal_share: float
) -> None:
    rule = {**RULE, "pooling.reserve.fiscal_share": fiscal_share}
    balances = [{UEBMI: u / 100, URRBMI: r / 100} for u, r in fen]
    reserves = {RESERVE[UEBMI]: reserve_u / 100, RESERVE[URRBMI]: reserve_r / 100}
    areas, city, short = pooling.deficit_cover(rule, balances, reserves)
    for reserve, start in ((RESERVE[UEBMI], reserve_u), (RESERVE[URRBMI], reserve_r)):
        drawn = sum(round(p.amount * 100) for p in city if p.account == reserve)
        assert 0 <= drawn <= start
    for balance, postings, left in zip(balances, areas, short, strict=True):
        for account in (UEBMI, URRBMI):
            after = round(balance[account] * 100) + sum(
                round(p.amount * 100) for p in postings if p.account == account
            )
            # a deficit is closed to the fen unless the reserve ran short, by what it lacked
            assert after == (0 if balance[account] < 0 else round(balance[account] * 100)) - round(
                left[account] * 100
            )


def test_reserve_interest_on_positive_balances_only() -> None:
    got = pooling.reserve_interest(RULE, {RESERVE[UEBMI]: 1.2e8, RESERVE[URRBMI]: -1.0}, 1.0)
    assert got == [Posting(RESERVE[UEBMI], "interest", pytest.approx(1.2e8 * 0.012 / 12))]
    assert pooling.reserve_interest({**RULE, "pooling.reserve.interest": False}, {}, 1.0) == []
