"""The SimPy model of one run: its state, and the processes that act on it (architecture §2).

:class:`FundModel` holds what a run carries from one event to the next: the population, the
parameters in force, the claims awaiting settlement, the ledger and the record. The
processes in :mod:`.processes` only schedule: each waits for its day (in the day's explicit
:class:`~.order.Order`), calls a pure function of the domain packages with the parameters in
force at that moment, and posts what it returns to the ledger.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import simpy
from numpy.typing import NDArray

from ..benefits.rules import RunningTotals
from ..benefits.tables import TermTables
from ..claims.batch import Care, care_terms
from ..claims.inpatient import AdmissionTable, Candidates, CellIndex
from ..codes import ACCOUNTS, POPULATION_FLOWS, SCHEMES, SPECIAL_GROUPS
from ..finance.books import Postings
from ..finance.contributions import mean_base
from ..finance.ledger import Ledger
from ..parameters.tree import ParameterTree, Snapshot
from ..payment.settlement import Payables, PoolYears
from ..population.arrays import initial_population
from ..population.demography import LifeTables, YearDemography, group_shares
from ..random.shocks import SHOCKS
from ..random.streams import stream
from ..scenario.loader import Scenario
from ..scenario.regiondata import Table
from .calendar import Calendar
from .order import At, Order

# the numpy streams a run draws from, each named in random.streams
STREAM_NAMES = (
    "population",
    "demography",
    "inpatient",
    "stays",
    "outpatient",
    "shocks",
    "epidemic",
)
CITY_STREAMS = ("shocks", "epidemic")  # the same in every area of a city


@dataclass
class RunRecord:
    """What a run leaves besides the ledger (counts in people, money in yuan; weighted)."""

    years: list[int]
    insured: NDArray[np.float64]
    admissions: NDArray[np.float64]
    bed_days: NDArray[np.float64]
    inpatient_cost: NDArray[np.float64]
    population: NDArray[np.float64]  # (year, scheme, POPULATION_FLOWS)
    births: NDArray[np.float64]  # (year, scheme of mother)
    incurred: NDArray[np.float64]  # (year, account) claims by admission date + adjustments
    inputs: dict[str, float] = field(default_factory=dict)

    @classmethod
    def empty(cls, years: list[int]) -> RunRecord:
        n = len(years)
        return cls(
            years=years,
            insured=np.zeros((n, len(SCHEMES))),
            admissions=np.zeros((n, len(SCHEMES))),
            bed_days=np.zeros((n, len(SCHEMES))),
            inpatient_cost=np.zeros((n, len(SCHEMES))),
            population=np.zeros((n, len(SCHEMES), len(POPULATION_FLOWS))),
            births=np.zeros((n, len(SCHEMES))),
            incurred=np.zeros((n, len(ACCOUNTS))),
        )


class FundModel:
    """One run of a scenario, or of one area of a city scenario.

    An area (``area``: its key and place in the city) shares the city's SimPy environment
    ``env``; its own draws come from streams keyed by its name, except the yearly shocks,
    which are the city's (wages and medical costs move together across its counties).
    """

    def __init__(
        self,
        scenario: Scenario,
        tree: ParameterTree,
        seed: int,
        run: int,
        tick_days: float | None = None,
        env: simpy.Environment | None = None,
        tables: dict[str, Table] | None = None,
        area: tuple[str, int] | None = None,
    ) -> None:
        self.scenario = scenario
        self.tree = tree
        self.calendar = Calendar(scenario.horizon.start, scenario.horizon.end)
        self.tick = tick_days
        key, self.area_index = area if area is not None else (None, 0)
        self.rng = {
            name: stream(seed, run, name, None if name in CITY_STREAMS else key)
            for name in STREAM_NAMES
        }
        self.env = env if env is not None else simpy.Environment()
        self.start_snapshot = tree.at(self.calendar.start)
        self.set_snapshot(self.start_snapshot)
        # days from the price year's 1 January to the first day simulated: the costs and levels
        # hold then, and the trends compound from it (care.price_year; 0: the first day)
        price_year = int(self.start_snapshot["care.price_year"])
        self.since = float(
            (self.calendar.start - dt.date(price_year, 1, 1)).days if price_year else 0
        )
        tables = scenario.region_tables if tables is None else tables
        self.life = LifeTables.from_tables(tables["mortality"], tables["fertility"])
        self.admission_table = AdmissionTable.from_table(tables["admission_rates"])
        # the residents' levels relative to the employees' (each scheme fitted apart; × 1.0,
        # the default, leaves every number as it was, bit for bit)
        rate_by_scheme, cost_by_scheme = np.ones(len(SCHEMES)), np.ones(len(SCHEMES))
        urrbmi = SCHEMES.index("urrbmi")
        rate_by_scheme[urrbmi] = float(self.start_snapshot["care.urrbmi_admission_level"])
        cost_by_scheme[urrbmi] = float(self.start_snapshot["care.urrbmi_cost_level"])
        self.cell_rate = self.admission_table.by_cell(self.admission_table.rate * rate_by_scheme)
        self.cell_cost = self.admission_table.by_cell(
            self.admission_table.cost_factor * cost_by_scheme
        )
        s = self.snapshot
        self.population = initial_population(
            tables["population"],
            float(s["population.sample"]),
            group_shares(s),
            float(s["population.female_cadre_share"]),
            self.rng["population"],
            need_by_cell=self.cell_rate,
        )
        self.weight = self.population.weight
        opening = {a: float(s[f"finance.opening_balance.{a}"]) for a in ACCOUNTS}
        # an inferred pool/personal split drawn (finance.opening_split_shift): the sum holds
        moved = float(s["finance.opening_split_shift"])
        moved *= opening["uebmi_pool"] + opening["uebmi_personal"]
        opening["uebmi_pool"] += moved
        opening["uebmi_personal"] -= moved
        self.ledger = Ledger.open(opening)
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
        self.record = RunRecord.empty(self.calendar.years)
        self.payables = Payables(n_months)  # claims awaiting settlement
        self.pool_years = PoolYears.empty(n_years)
        # state of the current year
        self.year_index = -1
        self.index: CellIndex | None = None
        self.totals = RunningTotals.empty()  # claimants' annual totals within the year
        self.candidates: Candidates | None = None  # the year's candidate admissions
        self.drawn_until = 0.0  # end of the last inpatient batch drawn
        self.demography: YearDemography | None = None
        self.members_monthly = np.zeros((n_months + 1, len(SCHEMES)))  # at each month bound
        self.account_need: float | None = None  # per UEBMI member-year, at the start's costs
        self.outpatient_per_member = np.zeros((2, len(SCHEMES)))  # (general, special)
        self.shock = self.cost_shock = self.wage_shock = 1.0
        self.shock_state = np.zeros(len(SHOCKS))
        self.epidemic_left = 0  # years of a drawn epidemic episode still to come
        self.group_members: NDArray[np.float64] = np.zeros(len(SPECIAL_GROUPS) + 1)

    def set_snapshot(self, snapshot: Snapshot) -> None:
        """Put ``snapshot`` in force, with its lookup tables (computed once per breakpoint)."""
        self.snapshot = snapshot
        # one block of terms per filing status of an out-of-area stay, filed first
        self.terms = TermTables.stacked_cached(snapshot)
        # the mean contribution base is proportional to the wage (floor, cap and mean are)
        self.base_per_wage = mean_base(snapshot, 1.0)
        self.care: Care = care_terms(snapshot, self.start_snapshot)

    def post(self, postings: Postings) -> None:
        """Post ``postings`` to the ledger today."""
        self.ledger.post_all(self.env.now, postings)

    def at(self, day: float, order: Order) -> At:
        """Wait until ``day``, in the day's ``order`` (this area's turn in it)."""
        return At(self.env, day, order, self.area_index)

    def month_of(self, day: float) -> int:
        return bisect.bisect_right(self._month_list, day) - 1

    def year_of(self, day: float) -> int:
        return bisect.bisect_right(self._year_list, day) - 1

    def members(self, month: int) -> NDArray[np.float64]:
        """Weighted members of each scheme over month ``month`` (mean of its two ends)."""
        ends = self.members_monthly[month] + self.members_monthly[month + 1]
        out: NDArray[np.float64] = 0.5 * ends * self.weight
        return out

    def start(self) -> None:
        """Register this model's processes with its environment."""
        from . import processes

        for process in processes.PROCESSES:
            self.env.process(process(self))

    def close(self) -> RunRecord:
        """The record, completed once the environment has run to the horizon's end."""
        from . import processes

        processes.close_incurred(self)
        return self.record

    def run(self) -> RunRecord:
        self.start()
        self.env.run(until=float(self.calendar.days))
        return self.close()
