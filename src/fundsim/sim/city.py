"""A run of a city scenario: one model per area in one SimPy environment, and the city's
reserve (architecture §2 "Areas")."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np

from ..codes import ACCOUNTS, CITY_ACCOUNTS, FLOW_CODES, INCOME, POOL_ACCOUNTS
from ..finance import pooling
from ..finance.ledger import Ledger
from ..parameters.tree import ParameterTree
from ..population.arrays import DAYS_PER_YEAR
from ..scenario.loader import Scenario
from .calendar import Calendar
from .model import FundModel, RunRecord
from .order import Order, at

# the income a reserve's share is taken of: the pool's own, not transfers within the city
OWN_INCOME = tuple(
    f.name
    for f in FLOW_CODES
    if f.direction == INCOME and not f.internal and f.name != "fiscal_deficit_cover"
)


class CityModel:
    """The areas of a city scenario, run together, and the city's own accounts."""

    def __init__(
        self,
        scenario: Scenario,
        city_tree: ParameterTree,
        area_trees: list[ParameterTree],
        seed: int,
        run: int,
        tick_days: float | None = None,
    ) -> None:
        first = FundModel(
            scenario,
            area_trees[0],
            seed,
            run,
            tick_days,
            tables=scenario.areas[0].region_tables,
            area=(scenario.areas[0].key, 0),
        )
        self.env = first.env
        self.areas = [first] + [
            FundModel(
                scenario,
                tree,
                seed,
                run,
                tick_days,
                env=self.env,
                tables=plan.region_tables,
                area=(plan.key, i),
            )
            for i, (plan, tree) in enumerate(zip(scenario.areas, area_trees, strict=True))
            if i > 0
        ]
        self.scenario = scenario
        self.tree = city_tree
        self.calendar = Calendar(scenario.horizon.start, scenario.horizon.end)
        start = city_tree.at(self.calendar.start)
        self.ledger = Ledger.open(
            {a: float(start[f"pooling.opening_balance.{a}"]) for a in CITY_ACCOUNTS},
            CITY_ACCOUNTS,
        )
        self.year_bounds = self.calendar.year_bounds()
        self.month_bounds = self.calendar.month_bounds()
        # per area, year and account: deficits the reserve could not cover (it ran short)
        self.uncovered = np.zeros((len(self.areas), len(self.year_bounds) - 1, len(ACCOUNTS)))

    def run(self) -> list[RunRecord]:
        for area in self.areas:
            area.start()
        self.env.process(reserve_process(self))
        self.env.run(until=float(self.calendar.days))
        return [area.close() for area in self.areas]


def reserve_process(city: CityModel) -> Generator[Any, Any, None]:
    """At the end of each of the rule's months (``pooling.reserve.months``), after every
    area's money, in the mode in force that day: the areas' shares paid to the reserve, then
    their deficits covered (a balance below zero at a settlement of the reserve, not a
    seasonal dip between them: URRBMI premiums arrive in the campaign); at every month end
    the reserve's interest."""
    paid_until = -1.0  # the last day whose income has paid its share (or owed none)
    for month in range(len(city.month_bounds) - 1):
        begin, end = city.month_bounds[month], city.month_bounds[month + 1]
        day = end - 1
        yield at(city.env, day, Order.POOLING)
        date = city.calendar.date(day)
        s = city.tree.at(date)
        if s["pooling.mode"] == "reserve" and date.month in list(s["pooling.reserve.months"]):
            if s["pooling.reserve.basis"] == "income":
                bases = [
                    a.ledger.income(POOL_ACCOUNTS, paid_until, day, OWN_INCOME) for a in city.areas
                ]
            else:
                bases = [_pool_balances(a) for a in city.areas]
            _post(city, *pooling.contributions(s, bases))
            paid_until = day
            balances = [_pool_balances(a) for a in city.areas]
            reserves = {r: city.ledger.balance(r) for r in CITY_ACCOUNTS}
            areas, own, short = pooling.deficit_cover(s, balances, reserves)
            _post(city, areas, own)
            y = int(np.searchsorted(city.year_bounds, day, side="right")) - 1
            for a, uncovered in enumerate(short):
                for account, amount in uncovered.items():
                    city.uncovered[a, y, ACCOUNTS.index(account)] += amount
        elif s["pooling.mode"] != "reserve":
            paid_until = day  # no share is due on income earned before the reserve
        fraction = (end - begin) / (DAYS_PER_YEAR / 12)
        reserves = {r: city.ledger.balance(r) for r in CITY_ACCOUNTS}
        city.ledger.post_all(city.env.now, pooling.reserve_interest(s, reserves, fraction))


def _pool_balances(area: FundModel) -> dict[str, float]:
    return {account: area.ledger.balance(account) for account in POOL_ACCOUNTS}


def _post(city: CityModel, areas: list[Any], own: Any) -> None:
    for area, postings in zip(city.areas, areas, strict=True):
        area.post(postings)
    city.ledger.post_all(city.env.now, own)
