"""The SimPy model of one run: processes decide WHEN, the pure modules decide WHAT (DESIGN §2).

Processes, one concern each:

- ``policy_clock`` swaps the parameter snapshot at every dated breakpoint;
- ``demography`` draws each policy year's deaths, births, retirements, joins and moves at its
  start and sorts the population into admission cells;
- ``inpatient`` draws each batch's admissions (a policy year, cut at dated policy changes),
  their care and cost, applies payment effects and the benefit rules on each person's
  running annual totals, and books the claims by month of admission;
- ``settlement`` pays hospitals each month's claims after the lag (DRG claims net of the
  quality deposit), with the yearly prepayment advanced and recovered;
- ``clearing`` settles the global budget and the procurement retention the following spring;
- ``money`` posts the monthly contributions, outpatient benefits, maternity, personal-account
  flows, subsidies, transfers and interest; ``campaign`` collects next year's URRBMI premiums;
- ``recorder`` keeps the year-end counts; the ledger's dated entries give every money figure.

Ordering on a shared day is fixed by small offsets: the policy clock acts 2 µday and the
year start 1 µday before midnight, so every process of that day sees the new snapshot and
the new year; no money is posted at those instants.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

from ..benefits.kernel import settle_grouped
from ..benefits.rules import RunningTotals
from ..benefits.tables import TermTables
from ..benefits.terms import LEVELS
from ..claims.inpatient import (
    VOLUME_BOUND,
    AdmissionTable,
    Candidates,
    CellIndex,
    draw_admissions,
    draw_care,
)
from ..claims.kernels import book_by_month
from ..claims.outpatient import benefit_moments, yearly_total
from ..finance.contributions import average_wage, mean_base
from ..finance.ledger import ACCOUNTS, FLOW_NAMES, Ledger
from ..parameters.tree import ParameterTree, Snapshot
from ..payment import budget as global_budget
from ..payment.effects import drg_multipliers, procurement_multiplier
from ..population.arrays import (
    ACTIVE,
    DAYS_PER_YEAR,
    RETIRED,
    URRBMI,
    initial_population,
)
from ..population.demography import FLOWS, LifeTables, YearDemography, draw_year
from ..random.streams import stream
from ..scenario.loader import Scenario
from ..scenario.regiondata import SCHEMES
from .calendar import Calendar

EPS = 1e-6
WORKDAYS_TO_DAYS = 7 / 5
POOLS = {ACTIVE: "uebmi_pool", RETIRED: "uebmi_pool", URRBMI: "urrbmi_pool"}
# yearly shocks (DESIGN §2): admissions, costs, wages, each (sigma, persistence)
SHOCKS = (
    ("care.shock_sigma", "care.shock_persistence"),
    ("care.cost_shock_sigma", "care.cost_shock_persistence"),
    ("economy.wage_shock_sigma", "economy.wage_shock_persistence"),
)
# claim flows: (ledger account, ledger flow) of each paying layer, per scheme status
PAYERS = (  # per pool (UEBMI, URRBMI): who pays the fund, second-layer and assistance parts
    (
        ("uebmi_pool", "inpatient"),
        ("uebmi_pool", "supplementary"),
        ("medical_assistance", "assistance_claims"),
    ),
    (
        ("urrbmi_pool", "inpatient"),
        ("critical_illness", "critical_illness_claims"),
        ("medical_assistance", "assistance_claims"),
    ),
)


@dataclass
class RunRecord:
    """What a run leaves besides the ledger (counts in people, money in yuan; weighted)."""

    years: list[int]
    insured: NDArray[np.float64]
    admissions: NDArray[np.float64]
    bed_days: NDArray[np.float64]
    inpatient_cost: NDArray[np.float64]
    population: NDArray[np.float64]  # (year, scheme, FLOWS)
    births: NDArray[np.float64]  # (year, scheme of mother)
    incurred: NDArray[np.float64]  # (year, account) claims by admission date + adjustments
    inputs: dict[str, float] = field(default_factory=dict)


class FundModel:
    """One run of a scenario."""

    def __init__(
        self,
        scenario: Scenario,
        tree: ParameterTree,
        seed: int,
        run: int,
        tick_days: float | None = None,
    ) -> None:
        self.scenario = scenario
        self.tree = tree
        self.calendar = Calendar(scenario.horizon.start, scenario.horizon.end)
        self.tick = tick_days
        self.rng = {
            name: stream(seed, run, name)
            for name in ("population", "demography", "inpatient", "stays", "outpatient", "shocks")
        }
        self.env = simpy.Environment()
        self.start_snapshot = tree.at(self.calendar.start)
        self.snapshot = self.start_snapshot
        self._on_snapshot()
        tables = scenario.region_tables
        self.life = LifeTables.from_tables(tables["mortality"], tables["fertility"])
        self.admission_table = AdmissionTable.from_table(tables["admission_rates"])
        self.cell_rate = self.admission_table.by_cell(self.admission_table.rate)
        self.cell_cost = self.admission_table.by_cell(self.admission_table.cost_factor)
        s = self.snapshot
        self.population = initial_population(
            tables["population"],
            float(s["population.sample"]),
            (
                float(s["population.special_groups.extreme_poverty"]),
                float(s["population.special_groups.low_income"]),
            ),
            float(s["population.female_cadre_share"]),
            self.rng["population"],
            need_by_cell=self.cell_rate,
        )
        self.weight = self.population.weight
        self.ledger = Ledger.open({a: float(s[f"finance.opening_balance.{a}"]) for a in ACCOUNTS})
        self.ci_opening = self.ledger.balance("critical_illness")
        self.assistance_opening = self.ledger.balance("medical_assistance")
        self.ci_premiums_year = 0.0
        self.year_bounds = self.calendar.year_bounds()
        self.month_bounds = self.calendar.month_bounds()
        self._year_list = self.year_bounds.tolist()  # for bisect: quicker than numpy per call
        self._month_list = self.month_bounds.tolist()
        # month index of every day of the horizon (a lookup instead of a search per claim)
        self.month_of_day = (
            np.searchsorted(self.month_bounds, np.arange(self.calendar.days), side="right") - 1
        ).astype(np.intp)
        n_years, n_months = len(self.year_bounds) - 1, len(self.month_bounds) - 1
        self.record = RunRecord(
            years=self.calendar.years,
            insured=np.zeros((n_years, len(SCHEMES))),
            admissions=np.zeros((n_years, len(SCHEMES))),
            bed_days=np.zeros((n_years, len(SCHEMES))),
            inpatient_cost=np.zeros((n_years, len(SCHEMES))),
            population=np.zeros((n_years, len(SCHEMES), len(FLOWS))),
            births=np.zeros((n_years, len(SCHEMES))),
            incurred=np.zeros((n_years, len(ACCOUNTS))),
        )
        # claims awaiting settlement: per month, per account and flow [yuan]
        self.pending: list[dict[tuple[str, str], float]] = [{} for _ in range(n_months)]
        self.pending_drg: NDArray[np.float64] = np.zeros((n_months, 2))  # DRG part of pool claims
        # per year and pool (0 UEBMI, 1 URRBMI): DRG claims incurred and paid in the year
        self.drg_incurred = np.zeros((n_years, 2))
        self.drg_paid = np.zeros((n_years, 2))
        self.pool_incurred = np.zeros((n_years, 2))
        self.drg_budget = np.full((n_years, 2), np.nan)
        self.retention_due = np.zeros((n_years, 2))
        self.prepaid = np.zeros((n_years, 2))
        # state of the current year
        self.year_index = -1
        self.index: CellIndex | None = None
        self.totals = RunningTotals.empty()  # claimants' annual totals within the year
        self.candidates: Candidates | None = None  # the year's candidate admissions
        self.drawn_until = 0.0  # end of the last inpatient batch drawn
        self.demography: YearDemography | None = None
        self.members_monthly = np.zeros((n_months + 1, len(SCHEMES)))  # at each month bound
        self.account_need: float | None = None  # per UEBMI member-year, at the start's costs
        self.outpatient_per_member = np.zeros(
            (2, len(SCHEMES))
        )  # (general, special) per member-year
        self.shock = self.cost_shock = self.wage_shock = 1.0
        self.shock_state = np.zeros(len(SHOCKS))
        self.group_members = np.zeros(3)

    # ------------------------------------------------------------------ helpers
    def _on_snapshot(self) -> None:
        """Lookup tables of the snapshot in force, computed once per breakpoint."""
        s, start = self.snapshot, self.start_snapshot
        self.terms = TermTables.cached(s)
        # the mean contribution base is proportional to the wage (floor, cap and mean are)
        self.base_per_wage = mean_base(s, 1.0)
        mix = np.array(
            [
                [float(s[f"care.level_mix.{sch}.{lv}"]) for lv in LEVELS]
                for sch in ("uebmi", "urrbmi")
            ]
        )
        drg_cost, drg_volume = drg_multipliers(s, start)
        procurement = procurement_multiplier(s, start)
        self.care = {
            "cost_per_case": np.array([float(s[f"care.cost_per_case.{lv}"]) for lv in LEVELS]),
            "level_cumulative": np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1),
            "stay": np.array([float(s[f"care.length_of_stay.{lv}"]) for lv in LEVELS]),
            "policy_range_share": np.array(
                [float(s["benefits.policy_range_share.uebmi"])] * 2
                + [float(s["benefits.policy_range_share.urrbmi"])]
            ),
            "drg_cost": drg_cost,
            "drg_volume": drg_volume,
            "procurement": procurement,
            "admission_trend": float(s["care.admission_trend"]),
            "cost_trend": float(s["care.cost_trend"]),
            "cost_sigma": float(s["care.cost_sigma"]),
            "admission_level": float(s["care.admission_level"]),
            "cost_level": float(s["care.cost_level"]),
            "tcm_share": float(s["care.tcm_share"]),
            "drg_share": float(s["payment.drg.share"])
            if bool(s["payment.global_budget.enabled"])
            else 0.0,
            "retention": float(s["payment.procurement.retention"]),
        }

    def post(self, account: str, flow: str, amount: float) -> None:
        self.ledger.post(self.env.now, account, flow, amount)

    def years_elapsed(self, day: float) -> float:
        return day / DAYS_PER_YEAR

    def month_of(self, day: float) -> int:
        return bisect.bisect_right(self._month_list, day) - 1

    def year_of(self, day: float) -> int:
        return bisect.bisect_right(self._year_list, day) - 1

    def members(self, month: int) -> NDArray[np.float64]:
        """Weighted members of each scheme over month ``month`` (mean of its two ends)."""
        return 0.5 * (self.members_monthly[month] + self.members_monthly[month + 1]) * self.weight

    # ------------------------------------------------------------------ processes
    def policy_clock(self) -> simpy.events.ProcessGenerator:
        for date in self.tree.breakpoints():
            day = self.calendar.day(date)
            if day <= 0:
                continue
            yield self.env.timeout(day - 2 * EPS - self.env.now)
            self.snapshot = self.tree.at(date)
            self._on_snapshot()

    def demography_process(self) -> simpy.events.ProcessGenerator:
        for y in range(len(self.year_bounds) - 1):
            start, end = self.year_bounds[y], self.year_bounds[y + 1]
            yield self.env.timeout(max(start - EPS - self.env.now, 0.0))
            self.year_index = y
            s = self.snapshot
            demo = draw_year(
                self.population,
                start,
                end - start,
                self.years_elapsed(start),
                s,
                self.life,
                self.rng["demography"],
            )
            self.demography = demo
            self.record.population[y] = demo.flows.T * self.weight
            self.record.births[y] = demo.births_by_mother * self.weight
            self.index = CellIndex.from_cells(demo.cell, demo.changing, demo.cell_sizes)
            self._member_counts(y, start, end, demo)
            self._draw_shocks(s)
            self._outpatient_year(s, start, end)
            self.group_members = demo.urrbmi_groups * self.weight

    def _draw_shocks(self, s: Snapshot) -> None:
        """The year's multipliers on admissions, costs and wages: each log an AR(1) with
        stationary spread σ, z = ρ·z₋₁ + √(1−ρ²)·σ·ε (z₀ = σ·ε), the multiplier exp(z − σ²/2)
        of mean 1. Three normals a year in a fixed order, whatever the scenario's policy."""
        eps = self.rng["shocks"].standard_normal(3)
        multipliers = []
        for k, (sigma_path, rho_path) in enumerate(SHOCKS):
            sigma, rho = float(s[sigma_path]), float(s[rho_path])
            if self.year_index == 0:
                z = sigma * eps[k]
            else:
                z = rho * self.shock_state[k] + np.sqrt(1 - rho * rho) * sigma * eps[k]
            self.shock_state[k] = z
            multipliers.append(float(np.exp(z - 0.5 * sigma * sigma)))
        self.shock, self.cost_shock, self.wage_shock = multipliers

    def _member_counts(self, y: int, start: float, end: float, demo: YearDemography) -> None:
        """Members of each scheme at every month bound of the year, from the year's events."""
        m0 = int(np.searchsorted(self.month_bounds, start))
        m1 = int(np.searchsorted(self.month_bounds, end))
        bounds = self.month_bounds[m0 : m1 + 1]
        base = demo.flows[FLOWS.index("start")].astype(float)
        delta = np.zeros((len(bounds) + 1, len(SCHEMES)))

        def add(days: NDArray[np.float64], schemes: NDArray[np.integer[Any]], sign: float) -> None:
            # an event on day d counts at every bound b > d: bounds are whole days from the
            # year start, so those at or before d are the year's months up to d's month
            after = self.month_of_day[days.astype(np.intp)] + (1 - m0)
            flat = after * len(SCHEMES) + schemes
            delta[...] += sign * np.bincount(flat, minlength=delta.size).reshape(delta.shape)

        add(demo.exits[0], demo.exits[1], -1.0)
        add(demo.switches[0], demo.switches[1], -1.0)
        add(demo.switches[0], demo.switches[2], 1.0)
        add(demo.entries[0], demo.entries[1], 1.0)
        counts = base + np.cumsum(delta, axis=0)[: len(bounds)]
        self.members_monthly[m0 : m1 + 1] = counts
        self.record.insured[y] = counts[-1] * self.weight

    def _outpatient_year(self, s: Snapshot, start: float, end: float) -> None:
        """Per-member outpatient benefit of the year, with its noise drawn once."""
        inflation = (
            (1 + float(s["care.cost_trend"])) ** self.years_elapsed(start)
            * float(s["care.cost_level"])
            * self.cost_shock
        )
        sigma = float(s["care.outpatient_sigma"])
        members = self.members_monthly[int(np.searchsorted(self.month_bounds, start))] * self.weight
        rng = self.rng["outpatient"]
        for status in range(len(SCHEMES)):
            scheme = "urrbmi" if status == URRBMI else "uebmi"
            b = f"benefits.{scheme}"
            c = f"care.outpatient.{scheme}"
            ratio = "retiree_ratio" if status == RETIRED else "ratio"
            mean, var = benefit_moments(
                float(s[f"{c}.spend"]) * inflation,
                sigma,
                float(s[f"{b}.outpatient.deductible"]),
                float(s[f"{b}.outpatient.{ratio}"]),
                float(s[f"{b}.outpatient.annual_cap"]),
            )
            n = max(members[status], 1.0)
            self.outpatient_per_member[0, status] = yearly_total(n, mean, var, rng) / n
            prevalence = float(s[f"{c}.special_prevalence"])
            smean, svar = benefit_moments(
                float(s[f"{c}.special_spend"]) * inflation,
                sigma,
                0.0,
                float(s[f"{b}.special_outpatient.ratio"]),
                float(s[f"{b}.special_outpatient.annual_cap"]),
            )
            # per member: a patient with probability p; mean p·m, variance p·v + p(1−p)·m²
            pm, pv = (
                prevalence * smean,
                prevalence * svar + prevalence * (1 - prevalence) * smean**2,
            )
            self.outpatient_per_member[1, status] = yearly_total(n, pm, pv, rng) / n

    def batches(self) -> list[tuple[float, float]]:
        """Spans of inpatient batches: each policy year, cut at every dated policy change
        (and into ticks of ``tick_days`` when one is set)."""
        changes = [self.calendar.day(d) for d in self.tree.breakpoints()]
        spans = []
        for y in range(len(self.year_bounds) - 1):
            begin, end = self.year_bounds[y], self.year_bounds[y + 1]
            cuts = {begin, end, *(c for c in changes if begin < c < end)}
            if self.tick is not None:
                cuts.update(np.arange(begin, end, self.tick).tolist())
            edges = sorted(cuts)
            spans.extend(pairwise(edges))
        return spans

    def inpatient_process(self) -> simpy.events.ProcessGenerator:
        year = -1
        ends = set(self.year_bounds.tolist())
        for begin, finish in self.batches():
            yield self.env.timeout(begin - self.env.now)
            if self.year_index != year:  # a new benefit year: annual totals start again
                year, self.totals = self.year_index, RunningTotals.empty()
                self._draw_candidates(year)
            self._admit(begin, finish - begin, carry=finish not in ends)
            self.drawn_until = finish

    def _draw_candidates(self, y: int) -> None:
        """The year's candidate admissions, on the multipliers every scenario shares."""
        assert self.index is not None
        c = self.care
        start, end = self.year_bounds[y], self.year_bounds[y + 1]
        shared = (
            (1 + c["admission_trend"]) ** self.years_elapsed(start)
            * self.shock
            * c["admission_level"]
        )
        bound = max(VOLUME_BOUND, float(c["drg_volume"]))
        self.candidates = Candidates.draw(
            self.index,
            self.cell_rate,
            shared,
            start,
            end - start,
            c["admission_trend"],
            self.rng["inpatient"],
            bound=bound,
        )

    def _admit(self, day: float, length: float, carry: bool) -> None:
        """Select, price and settle the admissions of ``[day, day + length)`` and book them.

        ``carry``: later batches of the same benefit year follow, so keep the claimants'
        annual totals."""
        c = self.care
        assert self.index is not None and self.candidates is not None
        years = self.years_elapsed(day)
        person, first, when, cell, status, keys = draw_admissions(
            self.population,
            self.index,
            self.candidates,
            day,
            day + length,
            float(c["drg_volume"]),
        )
        if len(person) == 0:
            return
        cost_level = (
            (1 + c["cost_trend"]) ** years
            * c["drg_cost"]
            * c["procurement"]
            * c["cost_level"]
            * self.cost_shock
        )
        adm = draw_care(
            self.population,
            person,
            first,
            when,
            cell,
            status,
            keys,
            self.candidates.base,
            day,
            c["level_cumulative"],
            c["cost_per_case"] * cost_level,
            c["cost_trend"],
            self.cell_cost,
            c["cost_sigma"],
            c["tcm_share"],
            c["stay"],
            c["policy_range_share"],
            self.terms.deductible.shape,
        )
        prior = self.totals.prior(person)
        paid = settle_grouped(self.terms, adm.first, adm.total, adm.policy_range, adm.key, prior)
        if carry:
            self.totals = self.totals.add(person, adm.policy_range, paid)

        w = self.weight
        y = self.year_of(day)
        rec = self.record
        count, cost, extra = adm.by_status.T
        rec.admissions[y] += count * w
        rec.bed_days[y] += (count + self.rng["stays"].poisson(extra)) * w
        rec.inpatient_cost[y] += cost * w

        # book by month of admission and paying layer
        m0 = int(self.month_of_day[int(day)])
        m1 = int(self.month_of_day[min(int(np.ceil(day + length)), self.calendar.days) - 1])
        sums = book_by_month(
            adm.day, adm.status, paid.fund, paid.layer, paid.assistance, self.month_of_day, m0, m1
        )
        sums = sums * w
        n_months = len(sums)
        saving = max(1.0 / c["procurement"] - 1.0, 0.0)
        for pool_index, accounts in enumerate(PAYERS):
            for layer, (account, flow) in enumerate(accounts):
                for k in range(n_months):
                    amount = float(sums[k, pool_index, layer])
                    if amount:
                        slot = self.pending[m0 + k]
                        slot[(account, flow)] = slot.get((account, flow), 0.0) + amount
                total = float(sums[:, pool_index, layer].sum())
                rec.incurred[y, ACCOUNTS.index(account)] += total
            inpatient = sums[:, pool_index, 0]
            total = float(inpatient.sum())
            self.pool_incurred[y, pool_index] += total
            if c["drg_share"] > 0:
                self.pending_drg[m0 : m0 + n_months, pool_index] += inpatient * c["drg_share"]
                self.drg_incurred[y, pool_index] += total * c["drg_share"]
            if saving > 0 and c["retention"] > 0:
                bonus = c["retention"] * saving * total
                self.retention_due[y, pool_index] += bonus
                rec.incurred[y, ACCOUNTS.index(accounts[0][0])] += bonus

    def settlement_process(self) -> simpy.events.ProcessGenerator:
        """Pay each month's claims ``lag`` working days after the month ends."""
        horizon = float(self.calendar.days)
        yield from self._opening_payables()
        for m in range(len(self.month_bounds) - 1):
            lag = int(self.snapshot["settlement.lag_days"]) * WORKDAYS_TO_DAYS
            due = self.month_bounds[m + 1] - 1 + lag
            if due >= horizon:
                return
            yield self.env.timeout(max(due - self.env.now, 0.0))
            deposit = float(self.snapshot["payment.global_budget.quality_deposit"])
            y = self.year_of(self.month_bounds[m])
            for (account, flow), amount in sorted(self.pending[m].items()):
                if flow == "inpatient":
                    pool_index = 0 if account == "uebmi_pool" else 1
                    drg = self.pending_drg[m, pool_index]
                    withheld = drg * deposit
                    self.drg_paid[y, pool_index] += drg - withheld
                    amount -= withheld
                self.post(account, flow, amount)
            self.pending[m].clear()

    def _opening_payables(self) -> simpy.events.ProcessGenerator:
        """Claims incurred before the horizon start and still unpaid on day 0.

        They are paid on their due days as if each earlier month cost what the first month
        costs (estimated from the first month's claims so far), so the first year's cash
        expenditure carries the previous year's tail as the bulletins' figures do.
        """
        lag = int(self.start_snapshot["settlement.lag_days"]) * WORKDAYS_TO_DAYS
        month = DAYS_PER_YEAR / 12
        ends = [-1.0 - k * month for k in range(int(lag // month) + 1)]
        for end in sorted(ends):
            due = end + lag
            if due < 0:
                continue
            yield self.env.timeout(max(due - self.env.now, 0.0))
            first_end = self.month_bounds[1]
            elapsed = max(min(self.drawn_until, first_end) - self.month_bounds[0], 1.0)
            scale = month / elapsed
            for (account, flow), amount in sorted(self.pending[0].items()):
                self.post(account, flow, amount * scale)

    def prepayment_process(self) -> simpy.events.ProcessGenerator:
        """Advance months of inpatient spending at each year start; recover it at year end."""
        for y in range(1, len(self.year_bounds) - 1):
            yield self.env.timeout(self.year_bounds[y] - self.env.now)
            months = float(self.snapshot["settlement.prepayment_months"])
            if months <= 0:
                continue
            advance = self.pool_incurred[y - 1] / 12 * months
            for pool_index, pool in enumerate(("uebmi_pool", "urrbmi_pool")):
                self.post(pool, "prepayment", advance[pool_index])
            self.prepaid[y] = advance
            yield self.env.timeout(self.year_bounds[y + 1] - 1 - self.env.now)
            for pool_index, pool in enumerate(("uebmi_pool", "urrbmi_pool")):
                self.post(pool, "prepayment", -advance[pool_index])

    def clearing_process(self) -> simpy.events.ProcessGenerator:
        """Settle year y's global budget and procurement retention in the spring of y + 1."""
        for y in range(len(self.year_bounds) - 2):
            s = self.snapshot
            month = int(s["payment.global_budget.clearing_month"])
            year = self.record.years[y] + 1
            next_month = dt.date(year + month // 12, month % 12 + 1, 1)
            due = self.calendar.day(next_month) - 1
            if due >= self.calendar.days:
                return
            yield self.env.timeout(max(due - self.env.now, 0.0))
            day = self.calendar.date(self.year_bounds[y])

            def value(path: str, day: dt.date = day) -> float:
                return float(self.tree.value(path, day))

            for pool_index, pool in enumerate(("uebmi_pool", "urrbmi_pool")):
                incurred = self.drg_incurred[y, pool_index]
                if incurred > 0:
                    growth = value("payment.global_budget.growth")
                    previous = self.drg_incurred[y - 1, pool_index] if y > 0 else 0.0
                    budget = previous * (1 + growth) if previous > 0 else incurred
                    budget = budget * self._drg_share_change(y)
                    self.drg_budget[y, pool_index] = budget
                    final = global_budget.final_amount(
                        incurred,
                        budget,
                        value("payment.global_budget.surplus_retained"),
                        value("payment.global_budget.overrun_shared"),
                    )
                    self.post(pool, "clearing", final - self.drg_paid[y, pool_index])
                    self.record.incurred[y, ACCOUNTS.index(pool)] += final - incurred
                self.post(pool, "procurement_retention", self.retention_due[y, pool_index])

    def _drg_share_change(self, y: int) -> float:
        """Growth of the DRG share from last year to this (the budget covers the new share)."""
        if y == 0:
            return 1.0
        share = "payment.drg.share"
        now = float(self.tree.value(share, self.calendar.date(self.year_bounds[y])))
        before = float(self.tree.value(share, self.calendar.date(self.year_bounds[y - 1])))
        return now / before if before > 0 else 1.0

    def money_process(self) -> simpy.events.ProcessGenerator:
        """Monthly contributions, outpatient, maternity, subsidies, transfers and interest."""
        for m in range(len(self.month_bounds) - 1):
            begin, end = self.month_bounds[m], self.month_bounds[m + 1]
            yield self.env.timeout(end - 1 - self.env.now)
            self._month(m, begin, end)

    def _month(self, m: int, begin: float, end: float) -> None:
        s = self.snapshot
        fraction = (end - begin) / (DAYS_PER_YEAR / 12)  # of a full month
        members = self.members(m) * fraction
        date = self.calendar.date(begin)
        y = self.year_of(begin)
        year_days = self.year_bounds[y + 1] - self.year_bounds[y]
        u = "contributions.uebmi"
        wage = average_wage(self.tree, s, date, self.calendar.start) * self.wage_shock
        base = wage * self.base_per_wage / 12 * float(s[f"{u}.compliance"])
        # the personal-account reform (国办发〔2021〕14号), one switch: the employer's whole
        # contribution to the pool, the reformed retiree credit, general outpatient care paid
        # by the pool (before it, by the accounts: part of personal_spend)
        reformed = bool(s[f"{u}.account_reform"])
        employer = members[ACTIVE] * base * float(s[f"{u}.employer_rate"])
        to_personal = 0.0 if reformed else employer * float(s[f"{u}.employer_to_personal"])
        employee = members[ACTIVE] * base * float(s[f"{u}.employee_rate"])
        self.post("uebmi_pool", "employer_contributions", employer - to_personal)
        self.post("uebmi_personal", "employer_contributions", to_personal)
        self.post("uebmi_personal", "employee_contributions", employee)
        per_retiree = "retiree_personal_credit" if reformed else "retiree_credit_before_reform"
        credit = members[RETIRED] * float(s[f"{u}.{per_retiree}"])
        self.ledger.transfer(
            self.env.now,
            "uebmi_pool",
            "retiree_credit_out",
            "uebmi_personal",
            "retiree_credit_in",
            credit,
        )
        # the accounts pay what their members need (outpatient, pharmacy, family use), less
        # the general outpatient care the pool pays after the reform, as far as they hold
        # money: the need per member is the share of income spent in the first month
        # (gross of the pool's part), growing with medical costs
        personal_income = to_personal + employee + credit
        uebmi_members = members[ACTIVE] + members[RETIRED]
        pooled = 0.0
        if reformed:
            pooled = (
                self.outpatient_per_member[0, ACTIVE] * members[ACTIVE]
                + self.outpatient_per_member[0, RETIRED] * members[RETIRED]
            ) / 12
        inflation = (1 + float(s["care.cost_trend"])) ** self.years_elapsed(begin)
        if self.account_need is None and uebmi_members > 0:
            spent = personal_income * float(s["finance.personal_account_spend"])
            self.account_need = (spent + pooled) * 12 / uebmi_members / inflation
        need = (self.account_need or 0.0) * inflation * uebmi_members / 12 - pooled
        held = max(self.ledger.balance("uebmi_personal"), 0.0)
        self.post("uebmi_personal", "personal_spend", min(max(need, 0.0), held))

        # outpatient benefits, paid monthly in proportion to members (employees' general
        # outpatient care by the pool once the reform is in force, by the accounts before)
        for status in range(len(SCHEMES)):
            pool = POOLS[status]
            if status == URRBMI or reformed:
                general = self.outpatient_per_member[0, status] * members[status] / 12
                self.post(pool, "outpatient", general)
            self.post(
                pool,
                "special_outpatient",
                self.outpatient_per_member[1, status] * members[status] / 12,
            )

        # maternity for births to active employees: medical cost and allowance
        if self.demography is not None:
            births = (
                self.demography.births_by_mother[ACTIVE] * self.weight * (end - begin) / year_days
            )
            wage_index = wage / float(self.start_snapshot["economy.average_wage"])
            per_birth = (
                float(s["care.maternity.cost_per_birth"])
                * inflation
                * float(s["benefits.uebmi.maternity.ratio"])
                + float(s["benefits.uebmi.maternity.allowance"]) * wage_index
            )
            self.post("uebmi_pool", "maternity", births * per_birth)

        # URRBMI: fiscal subsidies in their months; the critical-illness premium monthly
        month_number = self.calendar.date(begin).month
        c = "contributions.urrbmi"
        months = list(s[f"{c}.subsidy_months"])
        if month_number in months:
            residents = self.members_monthly[m + 1, URRBMI] * self.weight
            self.post(
                "urrbmi_pool",
                "fiscal_subsidies",
                float(s[f"{c}.fiscal_subsidy"]) * residents / len(months),
            )
        ci = float(s["benefits.urrbmi.critical_illness.premium"]) * members[URRBMI] / 12
        self.ledger.transfer(
            self.env.now, "urrbmi_pool", "ci_premiums_paid", "critical_illness", "ci_premiums", ci
        )
        self.ci_premiums_year += ci
        if month_number == 12:
            self._settle_ci_contract(s)

        # medical assistance: a fixed budget paid monthly, or the month's need
        a = "benefits.medical_assistance"
        if bool(s[f"{a}.fixed_budget"]):
            # the year's budget in full, month by month (by days: leap years included)
            funding = float(s[f"{a}.budget"]) * (end - begin) / year_days
        else:
            funding = self.assistance_opening - self.ledger.balance("medical_assistance")
        self.post("medical_assistance", "assistance_budget", max(funding, 0.0))

        # interest on the pooled funds and personal accounts (positive balances)
        rate = float(s["finance.interest_rate"]) / 12 * fraction
        for account in ("uebmi_pool", "uebmi_personal", "urrbmi_pool"):
            balance = self.ledger.balance(account)
            if balance > 0:
                self.post(account, "interest", balance * rate)

    def _settle_ci_contract(self, s: Snapshot) -> None:
        """The critical-illness contract year, settled on 31 December (保本微利): the insurer
        keeps at most its margin of the premium; the surplus beyond it goes back to the
        URRBMI fund in the agreed share; a loss (claims above the premium) is shared. The
        account, the insurer's book of the contract, is back at its opening balance after."""
        c = "benefits.urrbmi.critical_illness.contract"
        premium = self.ci_premiums_year
        result = self.ledger.balance("critical_illness") - self.ci_opening  # premium − claims
        now = self.env.now
        if result >= 0:
            margin = min(result, float(s[f"{c}.margin"]) * premium)
            surplus = result - margin
            refund = surplus * float(s[f"{c}.surplus_returned"])
            self.ledger.transfer(
                now, "critical_illness", "ci_refund", "urrbmi_pool", "ci_refund_in", refund
            )
            # what the insurer keeps: the rest, to the fen (the book back at its opening)
            kept = self.ledger.balance("critical_illness") - self.ci_opening
            self.post("critical_illness", "ci_insurer_margin", kept)
        else:
            shared = -result * float(s[f"{c}.loss_shared"])
            self.ledger.transfer(
                now,
                "urrbmi_pool",
                "ci_loss_shared",
                "critical_illness",
                "ci_loss_shared_in",
                shared,
            )
            # what the insurer bears: the rest, to the fen (the book back at its opening; a
            # fen short of it would read as a depleted account)
            borne = self.ci_opening - self.ledger.balance("critical_illness")
            self.post("critical_illness", "ci_insurer_loss", borne)
        self.ci_premiums_year = 0.0

    def campaign_process(self) -> simpy.events.ProcessGenerator:
        """Collect next year's URRBMI premiums over the campaign window, month by month."""
        for year in self.record.years:
            s = self.snapshot
            c = "contributions.urrbmi"
            first = _month_day(year, s[f"{c}.campaign_start"])
            last = _month_day(year, s[f"{c}.campaign_end"])
            days = (last - first).days + 1
            next_year = dt.date(year + 1, 1, 1)
            premium = float(
                self.tree.value(f"{c}.individual_premium", min(next_year, self.calendar.end))
            )
            d = first
            while d <= last:
                month_end = min(
                    dt.date(d.year + d.month // 12, d.month % 12 + 1, 1) - dt.timedelta(days=1),
                    last,
                )
                day = self.calendar.day(month_end)
                if day >= self.calendar.days:
                    return
                if day < 0:
                    d = month_end + dt.timedelta(days=1)
                    continue
                yield self.env.timeout(max(day - self.env.now, 0.0))
                share = ((month_end - d).days + 1) / days
                residents = self.members_monthly[self.month_of(day) + 1, URRBMI] * self.weight
                groups = self.group_members  # weighted URRBMI members by group at the year start
                total_groups = groups.sum()
                ratio = residents / total_groups if total_groups > 0 else 0.0
                paid_by_assistance = sum(
                    groups[g]
                    * ratio
                    * float(self.snapshot[f"benefits.medical_assistance.premium_share.{name}"])
                    for g, name in ((1, "extreme_poverty"), (2, "low_income"))
                )
                self.ledger.transfer(
                    self.env.now,
                    "medical_assistance",
                    "assistance_premiums_paid",
                    "urrbmi_pool",
                    "assistance_premiums",
                    paid_by_assistance * premium * share,
                )
                self.post(
                    "urrbmi_pool",
                    "individual_premiums",
                    (residents - paid_by_assistance) * premium * share,
                )
                d = month_end + dt.timedelta(days=1)

    # ------------------------------------------------------------------ run
    def run(self) -> RunRecord:
        env = self.env
        for process in (
            self.policy_clock,
            self.demography_process,
            self.inpatient_process,
            self.settlement_process,
            self.prepayment_process,
            self.clearing_process,
            self.money_process,
            self.campaign_process,
        ):
            env.process(process())
        env.run(until=float(self.calendar.days))
        self._close_incurred()
        return self.record

    def _close_incurred(self) -> None:
        """Incurred basis: cash flows other than hospital settlements, plus claims by admission."""
        _, expenditure, _ = self.ledger.totals(self.year_bounds)
        e = self.ledger.entries()
        settled = {
            "inpatient",
            "supplementary",
            "critical_illness_claims",
            "assistance_claims",
            "clearing",
            "prepayment",
            "procurement_retention",
        }
        codes = [FLOW_NAMES.index(f) for f in settled]
        year = np.searchsorted(self.year_bounds, e["day"], side="right") - 1
        pick = np.isin(e["flow"], codes) & (year >= 0) & (year < len(self.year_bounds) - 1)
        settled_cash = np.zeros_like(expenditure)
        np.add.at(settled_cash, (year[pick], e["account"][pick]), e["amount"][pick])
        self.record.incurred += (expenditure - settled_cash) / 100


def _month_day(year: int, text: str) -> dt.date:
    month, day = (int(part) for part in str(text).split("-"))
    return dt.date(year, month, day)
