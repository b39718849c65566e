"""The processes of a run: each waits, calls a pure function and posts what it returns.

One concern each, in the order of :class:`~.order.Order` on a shared day:

- :func:`policy_clock` puts the parameters of every dated breakpoint in force;
- :func:`policy_years` draws each policy year's deaths, births, retirements, joins and moves
  at its start, the members of every month, the year's shocks and its outpatient benefit;
- :func:`inpatient` draws each batch's admissions (a policy year, cut at dated policy
  changes), prices and settles them and books the claims by month of admission;
- :func:`prepayment` advances months of inpatient spending at each year start and recovers
  it at the year end;
- :func:`clearing` settles the global budget and the procurement retention the next spring;
- :func:`settlement` pays hospitals each month's claims after the lag;
- :func:`supervision` recovers the improper claims found, with the penalties, after the
  recovery lag (and :func:`supervision_cost` posts what the fund pays for supervision);
- :func:`campaign` collects next year's URRBMI premiums over this year's window;
- :func:`month_end` posts the month's contributions, benefits, transfers and interest.

A process reads the parameters in force when it acts (the snapshot the policy clock keeps,
or the tree on the day that fixes the figure: the settlement lag on the last day of the
month whose claims are paid, the clearing month as the clearing year begins, the campaign
window as its year begins).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator, Mapping
from itertools import pairwise
from typing import Any

import numpy as np

from ..benefits.rules import RunningTotals
from ..claims.batch import Batch, admit, candidates
from ..claims.inpatient import CellIndex
from ..claims.outpatient import outpatient_year
from ..codes import ACTIVE, FLOW_NAMES, POOLS, SETTLED_FLOWS, URRBMI
from ..finance import campaign as premiums
from ..finance.books import Posting
from ..finance.contributions import average_wage
from ..finance.monthly import Month
from ..finance.monthly import month_end as month_postings
from ..payment import effects as pay_effects
from ..payment import settlement as pay
from ..population.arrays import DAYS_PER_YEAR
from ..population.demography import draw_year
from ..population.members import monthly_members
from ..random.shocks import SHOCKS, next_shocks
from .model import FundModel
from .order import Order

Process = Generator[Any, Any, None]
LAG = "settlement.lag_days"


def policy_clock(m: FundModel) -> Process:
    for date in m.tree.breakpoints():
        day = m.calendar.day(date)
        if day <= 0:
            continue
        yield m.at(day, Order.POLICY)
        m.set_snapshot(m.tree.at(date))


def policy_years(m: FundModel) -> Process:
    for y in range(len(m.year_bounds) - 1):
        start, end = m.year_bounds[y], m.year_bounds[y + 1]
        yield m.at(start, Order.YEAR)
        m.year_index = y
        s = m.snapshot
        demo = draw_year(
            m.population, start, end - start, start / DAYS_PER_YEAR, s, m.life, m.rng["demography"]
        )
        m.demography = demo
        m.record.population[y] = demo.flows.T * m.weight
        m.record.births[y] = demo.births_by_mother * m.weight
        m.index = CellIndex.from_cells(demo.cell, demo.changing, demo.cell_sizes)
        m0, counts = monthly_members(demo, m.month_bounds, m.month_of_day, start, end)
        m.members_monthly[m0 : m0 + len(counts)] = counts
        m.record.insured[y] = counts[-1] * m.weight
        eps = m.rng["shocks"].standard_normal(len(SHOCKS))
        (m.shock, m.cost_shock, m.wage_shock), m.shock_state = next_shocks(
            s, eps, m.shock_state, first=y == 0
        )
        # a known year of unusual use (an epidemic year, care.utilisation) on top of the noise,
        # else, after the data year's, by chance a year of an epidemic episode
        known = float(s["care.utilisation"])
        data_year = m.scenario.region.data_year
        told = known != 1.0 or (data_year is not None and m.calendar.start.year + y <= data_year)
        m.shock *= known * epidemic_year(s, m, m.rng["epidemic"].random(), told)
        inflation = (
            (1 + float(s["care.cost_trend"])) ** ((start + m.since) / DAYS_PER_YEAR)
            * float(s["care.cost_level"])
            * m.cost_shock
        )
        members = m.members_monthly[m0] * m.weight
        m.outpatient_per_member = outpatient_year(s, inflation, members, m.rng["outpatient"])
        m.group_members = demo.urrbmi_groups.astype(np.float64) * m.weight


def batches(m: FundModel) -> list[tuple[float, float]]:
    """Spans of inpatient batches: each policy year, cut at every dated policy change
    (and into ticks of ``tick_days`` when one is set)."""
    changes = [m.calendar.day(d) for d in m.tree.breakpoints()]
    spans: list[tuple[float, float]] = []
    for y in range(len(m.year_bounds) - 1):
        begin, end = m.year_bounds[y], m.year_bounds[y + 1]
        cuts = {begin, end, *(c for c in changes if begin < c < end)}
        if m.tick is not None:
            cuts.update(np.arange(begin, end, m.tick).tolist())
        spans.extend(pairwise(sorted(cuts)))
    return spans


def inpatient(m: FundModel) -> Process:
    year = -1
    ends = set(m.year_bounds.tolist())
    for begin, finish in batches(m):
        yield m.at(begin, Order.INPATIENT)
        assert m.index is not None
        if m.year_index != year:  # a new benefit year: annual totals start again
            year = m.year_index
            m.totals = RunningTotals.empty()
            start, end = m.year_bounds[year], m.year_bounds[year + 1]
            m.candidates = candidates(
                m.care,
                m.index,
                m.cell_rate,
                m.shock,
                start,
                end - start,
                m.rng["inpatient"],
                since=m.since,
            )
        assert m.candidates is not None
        batch = admit(
            m.population,
            m.index,
            m.candidates,
            m.care,
            m.terms,
            m.totals,
            m.cell_cost,
            m.cost_shock,
            begin,
            finish - begin,
            finish not in ends,
            m.month_of_day,
            since=m.since,
        )
        if batch is not None:
            _record_batch(m, begin, batch)
        del batch  # not held across the wait: the next batch's arrays replace it
        m.drawn_until = finish


def _record_batch(m: FundModel, day: float, batch: Batch) -> None:
    """The batch's counts in the record and its claims booked for settlement."""
    m.totals = batch.totals
    w, y, rec = m.weight, m.year_of(day), m.record
    count, cost, extra = batch.by_status.T
    rec.admissions[y] += count * w
    rec.bed_days[y] += (count + m.rng["stays"].poisson(extra)) * w
    rec.inpatient_cost[y] += cost * w
    c = m.care
    saving = max(1.0 / c["procurement"] - 1.0, 0.0)
    # out-of-area stays not settled directly come in when the patient has filed them
    parts = [(batch.sums * w, 0)]
    if c["direct_share"] < 1.0:
        later = batch.away * ((1.0 - c["direct_share"]) * w)
        parts = [(parts[0][0] - later, 0), (later, c["reimbursement_months"])]
    for sums, delay in parts:
        m.payables.book(
            batch.first_month,
            sums,
            c["drg_share"],
            c["retention"] * saving,
            m.pool_years,
            y,
            rec.incurred[y],
            delay,
        )


def settlement(m: FundModel) -> Process:
    """Pay each month's claims ``lag`` working days after the month ends."""
    horizon = float(m.calendar.days)
    yield from _opening_payables(m)
    for month in range(len(m.month_bounds) - 1):
        # the lag in force when the month's claims are in (its last day)
        last_day = m.calendar.date(m.month_bounds[month + 1] - 1)
        lag = pay.lag_days({LAG: m.tree.value(LAG, last_day)})
        due = m.month_bounds[month + 1] - 1 + lag
        if due >= horizon:
            return
        yield m.at(due, Order.SETTLEMENT)
        deposit = float(m.snapshot["payment.global_budget.quality_deposit"])
        y = m.year_of(m.month_bounds[month])
        m.post(m.payables.settle(month, deposit, m.pool_years, y))


def _opening_payables(m: FundModel) -> Process:
    """Claims incurred before the horizon start and still unpaid on day 0.

    They are paid on their due days as if each earlier month cost what the first month
    costs (estimated from the first month's claims so far), so the first year's cash
    expenditure carries the previous year's tail as the bulletins' figures do.
    """
    month = DAYS_PER_YEAR / 12
    for due in pay.opening_due_days(m.start_snapshot, month):
        yield m.at(due, Order.SETTLEMENT)
        first_end = m.month_bounds[1]
        elapsed = max(min(m.drawn_until, first_end) - m.month_bounds[0], 1.0)
        m.post(m.payables.opening(month / elapsed))


def supervision(m: FundModel) -> Process:
    """Recover the improper part of each month's inpatient claims that supervision finds, with
    the penalties, ``supervision.recovery_lag_months`` after the claims were paid.

    The improper share is that of the claims' month (DRG/DIP's incentives then), the share
    found that of the day of recovery (the supervision in force). Months before the horizon
    whose recoveries fall in it are taken to have cost what the first month costs."""
    month = DAYS_PER_YEAR / 12
    horizon = float(m.calendar.days)
    start = m.start_snapshot
    n_months = len(m.month_bounds) - 1

    def due(k: int) -> float:
        end = m.month_bounds[k + 1] - 1 if k >= 0 else -1.0 + (k + 1) * month
        date = m.calendar.date(max(end, 0.0))
        lag = pay.lag_days({LAG: m.tree.value(LAG, date)})
        months = float(m.tree.value("supervision.recovery_lag_months", date))
        return end + lag + months * month

    before = 0
    while due(-(before + 1)) >= 0:
        before += 1
    # in the order they fall due: a shorter lag from some date on brings later months first
    days = {k: due(k) for k in range(-before, n_months)}
    for k in sorted(days, key=lambda k: (days[k], k)):
        day = days[k]
        if day >= horizon:
            return
        yield m.at(max(day, 0.0), Order.SUPERVISION)
        claimed = m.calendar.date(m.month_bounds[max(k, 0)])
        values = {path: m.tree.value(path, claimed) for path in pay_effects.IMPROPER_PATHS}
        improper = pay_effects.improper_share(values, start)
        s = m.snapshot
        found = improper * float(s["supervision.detection"])
        penalty = float(s["supervision.penalty_multiple"])
        postings = []
        for p, pool in enumerate(POOLS):
            recovered = float(m.payables.booked[max(k, 0), p]) * found
            if recovered > 0:
                postings.append(Posting(pool.account, "recoveries", recovered))
                postings.append(Posting(pool.account, "penalties", recovered * penalty))
        m.post(postings)


def supervision_cost(m: FundModel) -> Process:
    """What the funds pay for supervision, a twelfth of the year's each month end."""
    for k in range(len(m.month_bounds) - 1):
        yield m.at(m.month_bounds[k + 1] - 1, Order.SUPERVISION)
        s = m.snapshot
        m.post(
            [
                Posting(
                    pool.account, "supervision_cost", float(s[f"supervision.cost.{pool.name}"]) / 12
                )
                for pool in POOLS
                if float(s[f"supervision.cost.{pool.name}"]) > 0
            ]
        )


def prepayment(m: FundModel) -> Process:
    """Advance months of inpatient spending at each year start; recover it at year end."""
    for y in range(1, len(m.year_bounds) - 1):
        yield m.at(m.year_bounds[y], Order.PREPAYMENT)
        months = float(m.snapshot["settlement.prepayment_months"])
        if months <= 0:
            continue
        advance = pay.advance(m.pool_years, y, months)
        m.post(pay.prepayment(advance))
        m.pool_years.prepaid[y] = advance
        yield m.at(m.year_bounds[y + 1] - 1, Order.PREPAYMENT)
        m.post(pay.prepayment(-advance))


def clearing(m: FundModel) -> Process:
    """Settle year y's global budget and procurement retention in the spring of y + 1."""
    g = "payment.global_budget"
    for y in range(len(m.year_bounds) - 2):
        year = m.record.years[y] + 1
        # the clearing month in force as the clearing year begins
        month = int(m.tree.value(f"{g}.clearing_month", dt.date(year, 1, 1)))
        due = m.calendar.day(dt.date(year + month // 12, month % 12 + 1, 1)) - 1
        if due >= m.calendar.days:
            return
        yield m.at(due, Order.CLEARING)
        day = m.calendar.date(m.year_bounds[y])
        values = {
            name: float(m.tree.value(f"{g}.{name}", day))
            for name in ("growth", "surplus_retained", "overrun_shared")
        }
        m.post(pay.clearing(m.pool_years, y, values, _drg_share_change(m, y), m.record.incurred[y]))


def _drg_share_change(m: FundModel, y: int) -> float:
    """Growth of the DRG share from last year to this (the budget covers the new share)."""
    if y == 0:
        return 1.0
    share = "payment.drg.share"
    now = float(m.tree.value(share, m.calendar.date(m.year_bounds[y])))
    before = float(m.tree.value(share, m.calendar.date(m.year_bounds[y - 1])))
    return now / before if before > 0 else 1.0


def campaign(m: FundModel) -> Process:
    """Collect next year's URRBMI premiums over the campaign window, month by month."""
    c = "contributions.urrbmi"
    for year in m.record.years:
        # the window in force as the year begins (or at the horizon start)
        opens = max(dt.date(year, 1, 1), m.calendar.start)
        window = {p: m.tree.value(p, opens) for p in premiums.WINDOW}
        next_year = dt.date(year + 1, 1, 1)
        premium = float(m.tree.value(f"{c}.individual_premium", min(next_year, m.calendar.end)))
        for month_end, share in premiums.collection_days(window, year):
            day = m.calendar.day(month_end)
            if day >= m.calendar.days:
                return
            if day < 0:
                continue
            yield m.at(day, Order.CAMPAIGN)
            residents = m.members_monthly[m.month_of(day) + 1, URRBMI] * m.weight
            m.post(premiums.collection(m.snapshot, residents, m.group_members, premium, share))


def month_end(m: FundModel) -> Process:
    """Monthly contributions, outpatient, maternity, subsidies, transfers and interest."""
    for month in range(len(m.month_bounds) - 1):
        begin, end = m.month_bounds[month], m.month_bounds[month + 1]
        yield m.at(end - 1, Order.MONTH_END)
        s = m.snapshot
        y = m.year_of(begin)
        date = m.calendar.date(begin)
        fraction = (end - begin) / (DAYS_PER_YEAR / 12)  # of a full month
        wage = average_wage(m.tree, s, date, m.calendar.start) * m.wage_shock
        births = 0.0
        if m.demography is not None:
            births = m.demography.births_by_mother[ACTIVE] * m.weight
        inputs = Month(
            number=date.month,
            fraction=fraction,
            days=end - begin,
            year_days=m.year_bounds[y + 1] - m.year_bounds[y],
            members=m.members(month) * fraction,
            residents_at_end=m.members_monthly[month + 1, URRBMI] * m.weight,
            wage=wage,
            wage_index=wage / float(m.start_snapshot["economy.average_wage"]),
            base_per_wage=m.base_per_wage,
            inflation=(1 + float(s["care.cost_trend"])) ** ((begin + m.since) / DAYS_PER_YEAR),
            outpatient_per_member=m.outpatient_per_member,
            active_births=births,
        )
        postings, m.account_need, m.ci_premiums_year = month_postings(
            s,
            inputs,
            m.ledger.balances(),
            m.account_need,
            (m.ci_premiums_year, m.ci_opening),
            m.assistance_opening,
        )
        m.post(postings)


def epidemic_year(s: Mapping[str, Any], m: FundModel, u: float, told: bool) -> float:
    """The year's admissions multiplier from a drawn epidemic episode (issue 29, item 4): an
    episode begins with probability ``care.epidemic_rate`` in a year without one whose use
    is not ``told`` (a history year, up to the data year, or one whose unusual use the
    scenario states in ``care.utilisation``), then lasts ``care.epidemic_years`` years at
    ``care.epidemic_factor``; ``u`` is the year's uniform, drawn every year whatever the rate
    (common random numbers). A told year ends a drawn episode: the scenario's word stands."""
    if told:
        m.epidemic_left = 0
        return 1.0
    if m.epidemic_left > 0:
        m.epidemic_left -= 1
        return float(s["care.epidemic_factor"])
    if u < float(s["care.epidemic_rate"]):
        m.epidemic_left = int(s["care.epidemic_years"]) - 1
        return float(s["care.epidemic_factor"])
    return 1.0


PROCESSES: tuple[Callable[[FundModel], Process], ...] = (
    policy_clock,
    policy_years,
    inpatient,
    settlement,
    prepayment,
    clearing,
    month_end,
    campaign,
    supervision,
    supervision_cost,
)


def close_incurred(m: FundModel) -> None:
    """Incurred basis: cash flows other than hospital settlements, plus claims by admission."""
    _, expenditure, _ = m.ledger.totals(m.year_bounds)
    e = m.ledger.entries()
    codes = [FLOW_NAMES.index(f) for f in SETTLED_FLOWS]
    year = np.searchsorted(m.year_bounds, e["day"], side="right") - 1
    pick = np.isin(e["flow"], codes) & (year >= 0) & (year < len(m.year_bounds) - 1)
    settled_cash = np.zeros_like(expenditure)
    np.add.at(settled_cash, (year[pick], e["account"][pick]), e["amount"][pick])
    m.record.incurred += (expenditure - settled_cash) / 100
