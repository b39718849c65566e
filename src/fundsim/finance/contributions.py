"""Contributions and premiums (architecture §2 "contributions").

UEBMI: members' contribution bases are lognormal around ``base_to_average_wage`` × the
average wage (sigma ``economy.wage_sigma``), clipped to the floor and cap (multiples of the
average wage, 国办发〔2021〕14号 keeps 60%–300%); the mean clipped base comes in closed form.
The average wage grows at ``economy.wage_growth`` from the date its value was set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..claims.outpatient import layer_moments
from ..parameters.tree import ParameterTree
from ..population.arrays import DAYS_PER_YEAR


def average_wage(
    tree: ParameterTree, snapshot: Mapping[str, Any], date: dt.date, horizon_start: dt.date
) -> float:
    """The average wage on ``date``: the value in force grown from when it was set."""
    step = tree.timeline("economy.average_wage").step_at(date)
    since = max(step.start, horizon_start)
    years = (date - since).days / DAYS_PER_YEAR
    growth = 1 + float(snapshot["economy.wage_growth"])
    return float(step.value) * float(growth**years)


def mean_base(snapshot: Mapping[str, Any], wage: float) -> float:
    """Mean yearly contribution base of an active member [yuan/year]."""
    u = "contributions.uebmi"
    floor = float(snapshot[f"{u}.wage_base_floor"]) * wage
    cap = float(snapshot[f"{u}.wage_base_cap"]) * wage
    mean = float(snapshot[f"{u}.base_to_average_wage"]) * wage
    clipped, _ = layer_moments(mean, float(snapshot["economy.wage_sigma"]), floor, cap)
    return floor + clipped
