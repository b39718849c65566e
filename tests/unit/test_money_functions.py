"""Unit tests of the pure functions the processes call: the month end, the critical-illness
contract, the campaign, settlement, prepayment and clearing, monthly members, the shocks,
and the explicit order of a day's events."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from fundsim.codes import ACCOUNTS, ACTIVE, FLOW_NAMES, POOLS, RETIRED, SCHEMES, URRBMI
from fundsim.finance import campaign
from fundsim.finance.accounts import capped_mean
from fundsim.finance.books import Balances, Posting
from fundsim.finance.critical_illness import settle_contract
from fundsim.finance.ledger import Ledger
from fundsim.finance.monthly import Month, month_end
from fundsim.payment import settlement as pay
from fundsim.random.shocks import SHOCKS, next_shocks
from fundsim.scenario.loader import load_scenario
from fundsim.sim.order import Order, at

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def snapshot() -> dict[str, Any]:
    tree = load_scenario(SCENARIOS / "nanchuan" / "baseline.yaml").tree
    return dict(tree.at(dt.date(2023, 3, 1)))


def a_month(**changes: Any) -> Month:
    values: dict[str, Any] = dict(
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
    values.update(changes)
    return Month(**values)


def balances(**yuan: float) -> Balances:
    return Balances.of({a: yuan.get(a, 0.0) for a in ACCOUNTS})


def amounts(postings: list[Posting]) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for p in postings:
        out[(p.account, p.flow)] = out.get((p.account, p.flow), 0.0) + p.amount
    return out


def personal(postings: list[Posting]) -> tuple[float, float]:
    """The personal accounts' spending and credits (every other flow in but interest)."""
    got = {f: v for (a, f), v in amounts(postings).items() if a == "uebmi_personal"}
    spend = got.pop("personal_spend", 0.0)
    got.pop("interest", None)
    return spend, sum(got.values())


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(FLOW_NAMES), st.floats(-1e9, 1e9)),
        max_size=30,
    )
)
def test_balances_move_exactly_as_the_ledger(entries: list[tuple[str, str, float]]) -> None:
    ledger = Ledger.open({a: 1234.56 for a in ACCOUNTS})
    books = ledger.balances()
    postings = [Posting(*e) for e in entries]
    books.post(postings)
    ledger.post_all(0.0, postings)
    assert all(books.yuan(a) == ledger.balance(a) for a in ACCOUNTS)


def test_month_end_contributions_follow_members_base_and_rates(snapshot: dict[str, Any]) -> None:
    s = dict(snapshot, **{"contributions.uebmi.account_reform": True})
    month = a_month()
    postings, _, _ = month_end(s, month, balances(), None, (0.0, 0.0), 0.0)
    got = amounts(postings)
    u = "contributions.uebmi"
    base = month.wage * month.base_per_wage / 12 * float(s[f"{u}.compliance"])
    employer = month.members[ACTIVE] * base * float(s[f"{u}.employer_rate"])
    assert got[("uebmi_pool", "employer_contributions")] == pytest.approx(employer)
    assert got[("uebmi_personal", "employer_contributions")] == 0  # reformed: all to the pool
    credit = month.members[RETIRED] * float(s[f"{u}.retiree_personal_credit"])
    assert got[("uebmi_pool", "retiree_credit_out")] == pytest.approx(credit)
    assert got[("uebmi_personal", "retiree_credit_in")] == pytest.approx(credit)
    # URRBMI general outpatient care from the pool, per member and month
    urrbmi = month.outpatient_per_member[0, URRBMI] * month.members[URRBMI] / 12
    assert got[("urrbmi_pool", "outpatient")] == pytest.approx(urrbmi)


def test_month_end_personal_spending_never_exceeds_what_the_accounts_hold(
    snapshot: dict[str, Any],
) -> None:
    s = dict(snapshot, **{"contributions.uebmi.account_reform": False})
    # a need far above income on accounts overdrawn by half the month's credits: the members
    # would spend (nearly) all their credits, the accounts pay what they hold
    _, income = personal(month_end(s, a_month(), balances(), 1e9, (0.0, 0.0), 0.0)[0])
    postings, need, _ = month_end(
        s, a_month(), balances(uebmi_personal=-income / 2), 1e9, (0.0, 0.0), 0.0
    )
    spend, credits = personal(postings)
    assert credits == pytest.approx(income)
    assert spend == pytest.approx(income / 2)
    assert need == 1e9  # the need per member is kept once set


def test_a_horizon_that_starts_after_the_reform_fixes_the_need_by_the_credits_before_it(
    snapshot: dict[str, Any],
) -> None:
    rich = balances(**{a: 1e12 for a in ACCOUNTS})
    share = float(snapshot["finance.personal_account_spend"])
    before = dict(snapshot, **{"contributions.uebmi.account_reform": False})
    after = dict(snapshot, **{"contributions.uebmi.account_reform": True})
    # started before the reform: the first month spends the stated share of its credits
    postings, need_before, _ = month_end(before, a_month(), rich, None, (0.0, 0.0), 0.0)
    spend, income = personal(postings)
    assert spend == pytest.approx(share * income, rel=1e-9)
    # started after it: the same members' need (fixed by the credits before the reform) ...
    postings, need_after, _ = month_end(after, a_month(), rich, None, (0.0, 0.0), 0.0)
    assert need_after == pytest.approx(need_before, rel=1e-12)
    # ... spent as far as the reformed credits go (the pool's outpatient care takes nothing)
    spend, income = personal(postings)
    m = a_month()
    members = m.members[ACTIVE] + m.members[RETIRED]
    sigma = float(snapshot["finance.personal_account_need_sigma"])
    expected = capped_mean(need_before, sigma, income * 12 / members) * members / 12
    assert spend == pytest.approx(expected, rel=1e-9)
    assert share < spend / income < 1  # the reformed credits are spent more fully


def test_month_end_pays_interest_on_the_balance_after_the_months_postings(
    snapshot: dict[str, Any],
) -> None:
    s = dict(snapshot, **{"finance.interest_rate": 0.012})
    opening = balances(uebmi_pool=1e8, urrbmi_pool=-5e6, uebmi_personal=2e7)
    postings, _, _ = month_end(s, a_month(), opening, None, (0.0, 0.0), 0.0)
    after = opening.copy()
    interest = [p for p in postings if p.flow == "interest"]
    after.post([p for p in postings if p.flow != "interest"])
    assert {p.account for p in interest} == {"uebmi_pool", "uebmi_personal"}  # URRBMI < 0
    for p in interest:
        assert p.amount == pytest.approx(after.yuan(p.account) * 0.012 / 12)


def test_subsidies_only_in_their_months(snapshot: dict[str, Any]) -> None:
    months = list(snapshot["contributions.urrbmi.subsidy_months"])
    outside = next(n for n in range(1, 12) if n not in months)
    for number, expected in ((months[0], True), (outside, False)):
        postings, _, _ = month_end(
            snapshot, a_month(number=number), balances(), None, (0.0, 0.0), 0.0
        )
        assert (("urrbmi_pool", "fiscal_subsidies") in amounts(postings)) is expected


def test_december_settles_the_critical_illness_book_back_to_its_opening(
    snapshot: dict[str, Any],
) -> None:
    opening = 1_000_000.0
    for claims in (0.0, 5e6):  # a surplus year and a loss year
        start = balances(critical_illness=opening - claims)
        postings, _, premiums = month_end(
            snapshot, a_month(number=12), start, None, (2e6, opening), 0.0
        )
        after = start.copy()
        after.post(postings)
        assert after.fen["critical_illness"] == Balances.of({"x": opening}).fen["x"]
        assert premiums == 0.0  # a new contract year


@pytest.mark.parametrize("claims", [0.0, 3.3e5, 9.99e5, 1.7e6])
def test_contract_surplus_and_loss_are_shared_as_the_contract_says(
    snapshot: dict[str, Any], claims: float
) -> None:
    c = "benefits.urrbmi.critical_illness.contract"
    premiums, opening = 1e6, 10.0
    balance = opening + premiums - claims
    got = amounts(settle_contract(snapshot, premiums, balance, opening))
    result = premiums - claims
    if result >= 0:
        margin = min(result, float(snapshot[f"{c}.margin"]) * premiums)
        refund = (result - margin) * float(snapshot[f"{c}.surplus_returned"])
        assert got[("urrbmi_pool", "ci_refund_in")] == pytest.approx(refund)
        assert got[("critical_illness", "ci_insurer_margin")] == pytest.approx(result - refund)
    else:
        shared = -result * float(snapshot[f"{c}.loss_shared"])
        assert got[("urrbmi_pool", "ci_loss_shared")] == pytest.approx(shared)
        assert got[("critical_illness", "ci_insurer_loss")] == pytest.approx(-result - shared)


def test_campaign_days_cover_the_window_once() -> None:
    window = dict(zip(campaign.WINDOW, ("10-15", "12-20"), strict=True))
    days = campaign.collection_days(window, 2024)
    assert [d for d, _ in days] == [
        dt.date(2024, 10, 31),
        dt.date(2024, 11, 30),
        dt.date(2024, 12, 20),
    ]
    assert sum(share for _, share in days) == pytest.approx(1.0)
    assert days[0][1] == pytest.approx(17 / 67)


def test_assistance_pays_the_special_groups_share_of_premiums(snapshot: dict[str, Any]) -> None:
    s = dict(
        snapshot,
        **{
            "benefits.medical_assistance.premium_share.extreme_poverty": 1.0,
            "benefits.medical_assistance.premium_share.low_income": 0.5,
        },
    )
    groups = np.array([900.0, 60.0, 40.0])  # none, extreme poverty, low income
    got = amounts(campaign.collection(s, 2000.0, groups, 380.0, 0.5))
    assisted = (60 + 0.5 * 40) * 2.0  # the groups' shares, scaled to 2,000 residents
    assert got[("medical_assistance", "assistance_premiums_paid")] == pytest.approx(
        assisted * 380 * 0.5
    )
    assert got[("urrbmi_pool", "individual_premiums")] == pytest.approx(
        (2000 - assisted) * 380 * 0.5
    )


def test_settlement_withholds_the_deposit_of_drg_claims_and_clears_the_month() -> None:
    payables, years = pay.Payables(3), pay.PoolYears.empty(1)
    sums = np.zeros((2, len(POOLS), 3))
    sums[0, 0] = (1000.0, 200.0, 50.0)
    sums[1, 1] = (800.0, 100.0, 0.0)
    incurred = np.zeros(len(ACCOUNTS))
    payables.book(1, sums, 0.5, 0.0, years, 0, incurred)
    assert incurred[ACCOUNTS.index("uebmi_pool")] == 1200.0
    assert incurred[ACCOUNTS.index("medical_assistance")] == 50.0
    assert years.drg_incurred[0].tolist() == [500.0, 400.0]
    got = amounts(payables.settle(1, 0.05, years, 0))
    assert got[("uebmi_pool", "inpatient")] == pytest.approx(1000 - 0.05 * 500)
    assert got[("uebmi_pool", "supplementary")] == 200.0
    assert years.drg_paid[0, 0] == pytest.approx(500 * 0.95)
    assert payables.settle(1, 0.05, years, 0) == []  # paid once


def test_clearing_pays_the_budget_difference_and_the_retention() -> None:
    years = pay.PoolYears.empty(2)
    years.drg_incurred[:] = [[100.0, 0.0], [120.0, 0.0]]
    years.drg_paid[1, 0] = 114.0
    years.retention_due[1] = (3.0, 1.0)
    values = {"growth": 0.1, "surplus_retained": 0.5, "overrun_shared": 0.5}
    incurred = np.zeros(len(ACCOUNTS))
    got = amounts(pay.clearing(years, 1, values, 1.0, incurred))
    # budget 110, incurred 120: the fund pays 110 + 0.5 × 10 = 115, 114 paid during the year
    assert years.drg_budget[1, 0] == pytest.approx(110.0)
    assert got[("uebmi_pool", "clearing")] == pytest.approx(1.0)
    assert got[("uebmi_pool", "procurement_retention")] == 3.0
    assert got[("urrbmi_pool", "procurement_retention")] == 1.0
    assert ("urrbmi_pool", "clearing") not in got  # no DRG claims in that pool
    assert incurred[ACCOUNTS.index("uebmi_pool")] == pytest.approx(-5.0)


def test_prepayment_is_advanced_and_recovered_per_pool() -> None:
    years = pay.PoolYears.empty(2)
    years.pool_incurred[0] = (1200.0, 600.0)
    advance = pay.advance(years, 1, 1.5)
    assert advance.tolist() == [150.0, 75.0]
    out = pay.prepayment(advance) + pay.prepayment(-advance)
    assert sum(p.amount for p in out) == 0.0
    assert [p.account for p in out[:2]] == [p.account for p in POOLS]


def test_opening_payables_are_due_within_the_lag() -> None:
    month = 365.25 / 12
    due = pay.opening_due_days({"settlement.lag_days": 30}, month)
    assert due == sorted(due) and all(0 <= d <= 42 for d in due)
    assert pay.opening_due_days({"settlement.lag_days": 0}, month) == []


def test_shocks_have_mean_one_and_the_stated_persistence() -> None:
    s = {path: 0.1 for path, _ in SHOCKS} | {rho: 0.6 for _, rho in SHOCKS}
    rng = np.random.default_rng(5)
    n = 40_000
    first = np.empty((n, 3))
    second = np.empty((n, 3))
    for i in range(n):
        m1, state = next_shocks(s, rng.standard_normal(3), np.zeros(3), first=True)
        m2, _ = next_shocks(s, rng.standard_normal(3), state, first=False)
        first[i], second[i] = m1, m2
    # mean exp(z − σ²/2) = 1 within 4 standard errors; log correlation ρ
    se = np.sqrt(np.exp(0.01) - 1) / np.sqrt(n)
    assert np.all(np.abs(first.mean(axis=0) - 1) < 4 * se)
    corr = np.corrcoef(np.log(first[:, 0]), np.log(second[:, 0]))[0, 1]
    assert corr == pytest.approx(0.6, abs=4 / np.sqrt(n))


def test_a_days_events_run_in_their_order_not_the_order_they_were_made() -> None:
    env = simpy.Environment()
    seen: list[Order] = []

    def wait(order: Order, day: float) -> Any:
        yield at(env, day, order)
        seen.append(order)

    for order in reversed(Order):  # made last-first
        env.process(wait(order, 5.0))
    env.run()
    assert seen == sorted(Order)


def test_every_scheme_has_one_pool() -> None:
    assert sorted(s for p in POOLS for s in p.schemes) == sorted(SCHEMES)


def test_members_count_every_event_from_the_month_after_its_day() -> None:
    from types import SimpleNamespace

    from fundsim.codes import POPULATION_FLOWS
    from fundsim.population.members import monthly_members

    bounds = np.array([0.0, 31.0, 59.0, 90.0])  # Jan, Feb, Mar and the day after
    month_of_day = (np.searchsorted(bounds, np.arange(90), side="right") - 1).astype(np.intp)
    flows = np.zeros((len(POPULATION_FLOWS), len(SCHEMES)), dtype=np.int64)
    flows[POPULATION_FLOWS.index("start")] = (10, 5, 20)
    demo = SimpleNamespace(
        flows=flows,
        exits=(
            np.array([3.0, 40.0]),
            np.array([URRBMI, ACTIVE]),
        ),  # a death in Jan, a leaver in Feb
        switches=(np.array([35.0]), np.array([ACTIVE]), np.array([RETIRED])),  # a retirement
        entries=(np.array([60.0]), np.array([URRBMI])),  # a newborn in March
    )
    m0, counts = monthly_members(demo, bounds, month_of_day, 0.0, 90.0)  # type: ignore[arg-type]
    assert m0 == 0
    assert counts.tolist() == [
        [10, 5, 20],  # 1 January
        [10, 5, 19],  # 1 February: the January death
        [8, 6, 19],  # 1 March: the leaver and the retirement
        [8, 6, 20],  # the year's end: the newborn
    ]


def test_the_outpatient_year_has_the_closed_form_mean(snapshot: dict[str, Any]) -> None:
    from fundsim.claims.outpatient import benefit_moments, general_terms, outpatient_year

    members = np.array([4e4, 2e4, 1e5])
    draws = np.array(
        [outpatient_year(snapshot, 1.0, members, np.random.default_rng(i)) for i in range(400)]
    )
    mean, var = benefit_moments(
        float(snapshot["care.outpatient.urrbmi.spend"]),
        float(snapshot["care.outpatient_sigma"]),
        *general_terms(snapshot, URRBMI, 1.0),
    )
    got = draws[:, 0, URRBMI]
    # the mean per member within 4 standard errors of the yearly draw's spread sqrt(var / n)
    se = np.sqrt(var / members[URRBMI]) / np.sqrt(len(got))
    assert abs(got.mean() - mean) < 4 * se + 1e-9
    assert got.std() == pytest.approx(np.sqrt(var / members[URRBMI]), rel=0.15)
