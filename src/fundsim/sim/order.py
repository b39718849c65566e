"""The order of events on one day, explicit: each wait names its place in :class:`Order`.

SimPy runs the events of one moment by (time, priority, the order they were scheduled in);
:func:`at` schedules a process's next step at a day with its :class:`Order` as the priority,
so what happens first on a shared day is fixed here, not by when each wait was made.
"""

from __future__ import annotations

from enum import IntEnum

import simpy
from simpy.events import EventPriority


class Order(IntEnum):
    """What happens first on a day (the lower, the earlier). SimPy's own events (a process
    starting) come before all of these."""

    POLICY = 2  # the parameters in force from this day
    YEAR = 3  # a policy year begins: demography, member counts, shocks, outpatient year
    INPATIENT = 4  # a batch of admissions is drawn, priced and booked
    PREPAYMENT = 5  # the yearly advance to hospitals, and its recovery
    CLEARING = 6  # last year's global budget and procurement retention settled
    SETTLEMENT = 7  # a month's claims paid to hospitals
    SUPERVISION = 8  # improper payments recovered and penalties paid in
    CAMPAIGN = 9  # a month's part of next year's URRBMI premiums
    MONTH_END = 10  # the month's contributions, benefits, transfers and interest
    POOLING = 11  # the city's reserve: the areas' shares paid in, deficits covered


AREA_SLOTS = 64  # areas of a city, in their order within each place of the day


class At(simpy.events.Event):
    """An event at ``day`` with a place in the day's order (the areas of a city one after
    another in each place, in the scenario's order)."""

    def __init__(self, env: simpy.Environment, day: float, order: Order, area: int = 0) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        priority = EventPriority(int(order) * AREA_SLOTS + area)
        env.schedule(self, priority, max(day - env.now, 0.0))


def at(env: simpy.Environment, day: float, order: Order, area: int = 0) -> At:
    """Wait until ``day`` (not earlier than now), in the day's ``order``."""
    return At(env, day, order, area)
