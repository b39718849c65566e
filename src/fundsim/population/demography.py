"""Demography of one policy year, drawn at its start as event days (DESIGN §2).

For every member, one uniform draw decides whether and when they die, lapse (URRBMI) or move
away within the year; a second decides a switch of scheme: retirement when an employee
reaches the retirement age in force at the year start (by sex, and for women cadre or
worker), or joining UEBMI from work. Births come from the female members' ages × the total
fertility rate × the age pattern of fertility; newborns join URRBMI with the coverage rate.
A positive net migration rate brings newcomers who resemble the current members.

Simplifications, stated: the retirement age is that in force on 1 January of the year of
retirement; members already past the age in the region's data keep working (people who
still contribute to complete their years); a person changes scheme at most once a year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..scenario.regiondata import MAX_AGE, SCHEMES, Table
from .arrays import (
    ACTIVE,
    DAYS_PER_YEAR,
    FEMALE,
    MALE,
    RETIRED,
    URRBMI,
    Population,
    draw_groups,
)

FLOWS = (
    "start",
    "births",
    "moved_in",
    "transfers_in",
    "deaths",
    "lapses",
    "moved_out",
    "transfers_out",
    "end",
)
WORKING_AGE_FROM = 16  # 劳动法 第十五条: no employment under 16


@dataclass(frozen=True)
class LifeTables:
    """Mortality (qx by single age and sex at the horizon start) and fertility shares by age."""

    qx: NDArray[np.float64]  # shape (MAX_AGE + 1, 2)
    fertility: NDArray[np.float64]  # shape (MAX_AGE + 1,), sums to 1

    @classmethod
    def from_tables(cls, mortality: Table, fertility: Table) -> LifeTables:
        qx = np.ones((MAX_AGE + 1, 2))
        ages = np.asarray(mortality.columns["age"], dtype=np.int64)
        qx[ages, MALE] = mortality.columns["qx_male"]
        qx[ages, FEMALE] = mortality.columns["qx_female"]
        shares = np.zeros(MAX_AGE + 1)
        shares[np.asarray(fertility.columns["age"], dtype=np.int64)] = fertility.columns["share"]
        return cls(qx=qx, fertility=shares)


@dataclass
class YearDemography:
    """What happened in one year, in simulated persons (multiply by the weight)."""

    flows: NDArray[np.int64]  # shape (len(FLOWS), len(SCHEMES))
    births_by_mother: NDArray[np.int64]  # births to insured mothers, by the mother's scheme


def retirement_ages(snapshot: Mapping[str, Any]) -> tuple[float, float, float]:
    """(male, female cadre, female worker) retirement ages in force."""
    base = "population.retirement_age"
    return (
        float(snapshot[f"{base}.male"]),
        float(snapshot[f"{base}.female_cadre"]),
        float(snapshot[f"{base}.female_worker"]),
    )


def draw_year(
    population: Population,
    start: float,
    length: float,
    years_elapsed: float,
    snapshot: Mapping[str, Any],
    tables: LifeTables,
    rng: np.random.Generator,
) -> YearDemography:
    """Commit last year's events, reset annual totals and draw this year's events.

    Parameters
    ----------
    start, length : first day of the year and its length in days
    years_elapsed : years from the horizon start (for mortality improvement)
    snapshot : parameters in force at ``start``
    """
    pop = population
    _commit(pop, start)
    for name in ("acc_fund", "acc_selfpay", "acc_selfpay_net", "acc_assistance"):
        pop.arrays[name][: pop.n] = 0.0
    end = start + length
    flows = np.zeros((len(FLOWS), len(SCHEMES)), dtype=np.int64)
    members = np.flatnonzero(pop.exit >= start)  # after _commit: everyone kept is a member
    flows[FLOWS.index("start")] = np.bincount(pop.scheme[members], minlength=len(SCHEMES))

    age = pop.age_years(start)[members]
    sex = pop.sex[members]
    scheme = pop.scheme[members]
    fraction = length / DAYS_PER_YEAR

    # deaths, lapses and moves out: one uniform per member
    improvement = (1.0 - float(snapshot["population.mortality_improvement"])) ** years_elapsed
    q = np.minimum(tables.qx[age, sex] * improvement, 1.0) * fraction
    lapse = float(snapshot["population.lapse_rate"]) * fraction * (scheme == URRBMI)
    migration = float(snapshot["population.net_migration_rate"])
    move = max(-migration, 0.0) * fraction
    u = rng.random(len(members))
    exit_reason = np.where(u < q, 1, np.where(u < q + lapse, 2, np.where(u < q + lapse + move, 3, 0)))
    lower = np.where(exit_reason == 1, 0.0, np.where(exit_reason == 2, q, q + lapse))
    width = np.where(exit_reason == 1, q, np.where(exit_reason == 2, lapse, move))
    leaving = exit_reason > 0
    exit_day = start + (u - lower) / np.where(leaving, width, 1.0) * length
    pop.arrays["exit"][members[leaving]] = exit_day[leaving]
    pop.arrays["exit_reason"][members[leaving]] = exit_reason[leaving]
    exit_full = np.where(leaving, exit_day, np.inf)

    # retirement at the age in force; joining UEBMI from work
    male_age, cadre_age, worker_age = retirement_ages(snapshot)
    retire_age = np.where(
        sex == MALE, male_age, np.where(pop.cadre[members], cadre_age, worker_age)
    )
    retire_day = pop.birth[members] + retire_age * DAYS_PER_YEAR
    retires = (scheme == ACTIVE) & (retire_day >= start) & (retire_day < end)
    retires &= retire_day < exit_full
    join_rate = float(snapshot["population.uebmi_join_rate"]) * fraction
    age_exact = (start - pop.birth[members]) / DAYS_PER_YEAR
    working = (scheme == URRBMI) & (age_exact >= WORKING_AGE_FROM) & (age_exact < retire_age)
    v = rng.random(len(members))
    join_day = start + v / max(join_rate, 1e-300) * length
    joins = working & (v < join_rate) & (join_day < exit_full)
    switch = retires | joins
    pop.arrays["switch_to"][members[switch]] = np.where(retires[switch], RETIRED, ACTIVE)
    pop.arrays["switch_day"][members[switch]] = np.where(
        retires[switch], retire_day[switch], join_day[switch]
    )

    to_scheme = np.where(retires, RETIRED, ACTIVE)
    flows[FLOWS.index("transfers_out")] = np.bincount(scheme[switch], minlength=len(SCHEMES))
    flows[FLOWS.index("transfers_in")] = np.bincount(to_scheme[switch], minlength=len(SCHEMES))
    scheme_at_exit = np.where(switch & (exit_full > np.where(retires, retire_day, join_day)),
                              to_scheme, scheme)
    for reason, name in ((1, "deaths"), (2, "lapses"), (3, "moved_out")):
        picked = exit_reason == reason
        flows[FLOWS.index(name)] = np.bincount(scheme_at_exit[picked], minlength=len(SCHEMES))

    # births: female members by age and scheme × TFR × age pattern, exposure net of half the deaths
    tfr = float(snapshot["population.fertility_rate"])
    female = sex == FEMALE
    exposure = (1.0 - q / 2.0)[female]
    births_by_mother = np.zeros(len(SCHEMES), dtype=np.int64)
    for s in range(len(SCHEMES)):
        mothers = female & (scheme == s)
        expected = np.sum(tables.fertility[age[mothers]] * exposure[scheme[female] == s])
        births_by_mother[s] = rng.poisson(expected * tfr * fraction)
    coverage = float(snapshot["population.coverage_rate"])
    newborns = int(rng.binomial(int(births_by_mother.sum()), coverage))
    if newborns:
        born = start + rng.random(newborns) * length
        srb = float(snapshot["population.sex_ratio_at_birth"])
        nsex = np.where(rng.random(newborns) < srb / (1.0 + srb), MALE, FEMALE).astype(np.int8)
        nscheme = np.full(newborns, URRBMI, dtype=np.int8)
        shares = _group_shares(snapshot)
        pop.append(birth=born, sex=nsex, scheme=nscheme, entry=born,
                   group=draw_groups(nscheme, shares, rng),
                   cadre=(nsex == FEMALE) & (rng.random(newborns) < float(snapshot["population.female_cadre_share"])))
    flows[FLOWS.index("births"), URRBMI] = newborns

    # moving in: newcomers like the current members, arriving through the year
    arrivals = int(rng.poisson(max(migration, 0.0) * fraction * len(members)))
    if arrivals:
        like = members[rng.integers(0, len(members), arrivals)]
        arrive = start + rng.random(arrivals) * length
        pop.append(birth=pop.birth[like], sex=pop.sex[like], scheme=pop.scheme[like],
                   entry=arrive, group=pop.group[like], cadre=pop.cadre[like])
        flows[FLOWS.index("moved_in")] = np.bincount(pop.scheme[-arrivals:], minlength=len(SCHEMES))

    flows[FLOWS.index("end")] = pop.members_by_scheme(end)
    return YearDemography(flows=flows, births_by_mother=births_by_mother)


def _commit(pop: Population, start: float) -> None:
    """Apply last year's switches and drop those who left."""
    switched = pop.switch_day < start
    pop.scheme[switched] = pop.switch_to[switched]
    pop.switch_to[switched] = -1
    pop.switch_day[switched] = np.inf
    pop.compact(start)


def _group_shares(snapshot: Mapping[str, Any]) -> tuple[float, float]:
    base = "population.special_groups"
    return float(snapshot[f"{base}.extreme_poverty"]), float(snapshot[f"{base}.low_income"])
