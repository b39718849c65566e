"""Demography of one policy year, drawn at its start as event days (architecture §2).

For every member, one uniform draw decides whether and when they die, lapse (URRBMI) or move
away within the year, or switches scheme: a URRBMI member of working age joins UEBMI
through work, an active member leaves it for URRBMI (unemployment, informal work), at rates
by age (``population.uebmi_entry``, ``population.uebmi_exit``); a second decides retirement
when an employee reaches the retirement age in force at the year start (by sex, and for
women cadre or worker). Births come from the female members' ages × the total
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

from ..codes import POPULATION_FLOWS, SCHEMES
from ..scenario.regiondata import MAX_AGE, Table
from .arrays import (
    ACTIVE,
    DAYS_PER_YEAR,
    FEMALE,
    IDLE,
    MALE,
    N_CELLS,
    RETIRED,
    URRBMI,
    Population,
    cell_codes,
    draw_groups,
)
from .kernels import classify_events, retirements, scan_year

FLOWS = POPULATION_FLOWS
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
    """What happened in one year, in simulated persons (multiply by the weight).

    ``cell`` is every row's admission cell at the year start (``IDLE`` for rows no longer
    members), newcomers of the year included; the event arrays give the membership changes
    by day, for monthly member counts without another pass over everyone.
    """

    flows: NDArray[np.int64]  # shape (len(FLOWS), len(SCHEMES))
    births_by_mother: NDArray[np.int64]  # births to insured mothers, by the mother's scheme
    cell: NDArray[np.int16]
    exits: tuple[NDArray[np.float64], NDArray[np.int8]]  # day, scheme on leaving
    switches: tuple[NDArray[np.float64], NDArray[np.int8], NDArray[np.int8]]  # day, from, to
    entries: tuple[NDArray[np.float64], NDArray[np.int8]]  # day, scheme
    changing: NDArray[np.intp]  # rows that enter, leave or switch scheme within the year
    cell_sizes: NDArray[np.int64]  # rows per cell (``IDLE`` last), newcomers included
    urrbmi_groups: NDArray[np.int64]  # URRBMI members at the year start by special group


N_SCHEMES = len(SCHEMES)
_URRBMI_CELL = np.append(np.arange(N_CELLS) % N_SCHEMES == URRBMI, False)  # the idle cell: none


def retirement_ages(snapshot: Mapping[str, Any]) -> tuple[float, float, float]:
    """(male, female cadre, female worker) retirement ages in force."""
    base = "population.retirement_age"
    return (
        float(snapshot[f"{base}.male"]),
        float(snapshot[f"{base}.female_cadre"]),
        float(snapshot[f"{base}.female_worker"]),
    )


ENTRY_BANDS = (
    ("under_25", 16, 25),
    ("age25_34", 25, 35),
    ("age35_44", 35, 45),
    ("age45_up", 45, 999),
)
EXIT_BANDS = (("under_35", 16, 35), ("age35_49", 35, 50), ("age50_up", 50, 999))


def entry_rates(snapshot: Mapping[str, Any], retirement_age: float) -> NDArray[np.float64]:
    """Yearly rate of joining UEBMI from URRBMI by completed age, up to the retirement age."""
    ages = np.arange(MAX_AGE + 1)
    rates = np.zeros(MAX_AGE + 1)
    for name, first, stop in ENTRY_BANDS:
        band = (ages >= max(first, WORKING_AGE_FROM)) & (ages < stop) & (ages < retirement_age)
        rates[band] = float(snapshot[f"population.uebmi_entry.{name}"])
    level = float(snapshot["population.uebmi_entry_level"])
    return rates if level == 1.0 else np.minimum(rates * level, 1.0)


def exit_rates(snapshot: Mapping[str, Any]) -> NDArray[np.float64]:
    """Yearly rate of active members leaving UEBMI for URRBMI by completed age."""
    ages = np.arange(MAX_AGE + 1)
    rates = np.zeros(MAX_AGE + 1)
    for name, first, stop in EXIT_BANDS:
        rates[(ages >= first) & (ages < stop)] = float(snapshot[f"population.uebmi_exit.{name}"])
    return rates


def draw_year(
    population: Population,
    start: float,
    length: float,
    years_elapsed: float,
    snapshot: Mapping[str, Any],
    tables: LifeTables,
    rng: np.random.Generator,
) -> YearDemography:
    """Commit last year's events and draw this year's events.

    One uniform per member (counter-based, keyed by row) decides every exit and switch of
    scheme: per cell, [0, q) dies, [q, q + lapse) lapses, [q + lapse, q + lapse + move) moves
    away, the next ``join`` switches (URRBMI to active UEBMI, active UEBMI to URRBMI); the
    position within the band gives the day. Only the few people with an event
    are touched after that, so a year costs a handful of passes over the arrays.

    Parameters
    ----------
    start, length : first day of the year and its length in days
    years_elapsed : years from the horizon start (for mortality improvement)
    snapshot : parameters in force at ``start``
    """
    pop = population
    _commit(pop, start)
    end = start + length
    fraction = length / DAYS_PER_YEAR
    n0 = pop.n
    cell = pop.cell  # kept up to date by _commit: each member's cell at this year's start
    shape = (MAX_AGE + 1, 2, N_SCHEMES)

    # per-cell hazards of the year
    improvement = (1.0 - float(snapshot["population.mortality_improvement"])) ** years_elapsed
    q = np.minimum(tables.qx * improvement, 1.0) * fraction  # (age, sex)
    q_cell = np.broadcast_to(q[:, :, None], shape)
    lapse_cell = np.zeros(shape)
    lapse_cell[:, :, URRBMI] = float(snapshot["population.lapse_rate"]) * fraction
    migration = float(snapshot["population.net_migration_rate"]) + float(
        snapshot["population.migration_error"]
    )
    move = max(-migration, 0.0) * fraction
    male_age, cadre_age, worker_age = retirement_ages(snapshot)
    # active members who may reach the retirement age in force during the year
    candidates_mask = np.zeros(N_CELLS + 1, dtype=bool)
    for sex_code, ages_in_force in ((MALE, (male_age,)), (FEMALE, (cadre_age, worker_age))):
        for r in ages_in_force:
            # completed age at the year start is floor(r) − 1 or floor(r); one more below for
            # birthdays within a day of 1 January (ages advance by whole years)
            for a in (int(np.floor(r)) - 2, int(np.floor(r)) - 1, int(np.floor(r))):
                if 0 <= a <= MAX_AGE:
                    candidates_mask[(a * 2 + sex_code) * N_SCHEMES + ACTIVE] = True

    # switches of scheme by age: URRBMI members of working age join UEBMI through work,
    # active members leave it for URRBMI (none in cells that may retire this year: a person
    # changes scheme at most once a year)
    join_cell = np.zeros(shape)
    join_cell[:, MALE, URRBMI] = entry_rates(snapshot, male_age) * fraction
    join_cell[:, FEMALE, URRBMI] = entry_rates(snapshot, worker_age) * fraction
    join_cell[:, :, ACTIVE] = exit_rates(snapshot)[:, None] * fraction
    join_cell.reshape(-1)[candidates_mask[:N_CELLS]] = 0.0
    low = np.append((q_cell + lapse_cell + move).reshape(-1), 0.0)
    join_band = np.append(join_cell.reshape(-1), 0.0)

    # one pass: cell sizes, who has an event ([0, low) leaves, then joins), who may retire
    base = np.uint64(rng.integers(0, 2**63, dtype=np.int64))
    counts, events, ev_u, candidates, urrbmi_groups = scan_year(
        cell, base, low + join_band, candidates_mask, pop.group, _URRBMI_CELL
    )
    size = counts[:N_CELLS].reshape(shape)
    flows = np.zeros((len(FLOWS), N_SCHEMES), dtype=np.int64)
    flows[FLOWS.index("start")] = size.sum(axis=(0, 1))
    reason, event_day = classify_events(
        events,
        ev_u,
        cell,
        np.append(q_cell.reshape(-1), 0.0),
        np.append(lapse_cell.reshape(-1), 0.0),
        move,
        join_band,
        start,
        length,
    )
    leaving = reason > 0
    joining = ~leaving

    # retirement: active members who reach the age in force during the year, unless they
    # leave first
    retire_age = np.where(
        pop.sex[candidates] == MALE,
        male_age,
        np.where(pop.cadre[candidates], cadre_age, worker_age),
    )
    retirees, retire_day = retirements(
        candidates,
        pop.birth[candidates] + retire_age * DAYS_PER_YEAR,
        events,
        reason,
        event_day,
        start,
        end,
    )

    exit_rows, exit_days, exit_reasons = events[leaving], event_day[leaving], reason[leaving]
    pop.left = exit_rows
    pop.arrays["exit"][exit_rows] = exit_days
    pop.arrays["exit_reason"][exit_rows] = exit_reasons
    joiners, join_days = events[joining], event_day[joining]
    pop.arrays["switch_to"][joiners] = np.where(pop.scheme[joiners] == ACTIVE, URRBMI, ACTIVE)
    pop.arrays["switch_day"][joiners] = join_days
    pop.arrays["switch_to"][retirees] = RETIRED
    pop.arrays["switch_day"][retirees] = retire_day
    switched = np.concatenate([joiners, retirees])
    pop.switched = switched

    from_scheme = pop.scheme[switched]
    to_scheme = pop.switch_to[switched]
    switch_days = pop.switch_day[switched]
    flows[FLOWS.index("transfers_out")] = np.bincount(from_scheme, minlength=N_SCHEMES)
    flows[FLOWS.index("transfers_in")] = np.bincount(to_scheme, minlength=N_SCHEMES)
    exit_scheme = np.where(
        pop.switch_day[exit_rows] <= exit_days, pop.switch_to[exit_rows], pop.scheme[exit_rows]
    ).astype(np.int8)
    for code, name in ((1, "deaths"), (2, "lapses"), (3, "moved_out")):
        flows[FLOWS.index(name)] = np.bincount(
            exit_scheme[exit_reasons == code], minlength=N_SCHEMES
        )

    # births to female members: counts by cell × TFR × age pattern, exposure net of half the deaths
    tfr = float(snapshot["population.fertility_rate"])
    women = size[:, FEMALE, :] * (1.0 - q[:, FEMALE, None] / 2.0)  # (age, scheme)
    expected = (women * tables.fertility[:, None]).sum(axis=0) * tfr * fraction
    births_by_mother = rng.poisson(expected).astype(np.int64)
    coverage = float(snapshot["population.coverage_rate"])
    newborns = int(rng.binomial(int(births_by_mother.sum()), coverage))
    entry_days, entry_schemes = [np.empty(0)], [np.empty(0, dtype=np.int8)]
    if newborns:
        born = start + rng.random(newborns) * length
        srb = float(snapshot["population.sex_ratio_at_birth"])
        boys = int(rng.binomial(newborns, srb / (1.0 + srb)))
        # boys first, then girls (days are independent of sex): two runs of cells
        nsex = np.repeat(np.array([MALE, FEMALE], dtype=np.int8), [boys, newborns - boys])
        nscheme = np.full(newborns, URRBMI, dtype=np.int8)
        cadre = (nsex == FEMALE) & (
            rng.random(newborns) < float(snapshot["population.female_cadre_share"])
        )
        pop.append(
            birth=born,
            sex=nsex,
            scheme=nscheme,
            entry=born,
            group=draw_groups(nscheme, group_shares(snapshot), rng),
            cadre=cadre,
            cell=cell_codes(np.zeros(newborns, dtype=np.int64), nsex, nscheme),
        )
        pop.newborns = np.arange(pop.n - newborns, pop.n)
        entry_days.append(born)
        entry_schemes.append(nscheme)
    flows[FLOWS.index("births"), URRBMI] = newborns

    # moving in: newcomers like the current members, arriving through the year
    members = int(flows[FLOWS.index("start")].sum())
    arrivals = int(rng.poisson(max(migration, 0.0) * fraction * members))
    if arrivals:
        like = rng.integers(0, n0, arrivals)
        like = like[cell[like] != IDLE]
        like = like[np.argsort(cell[like], kind="stable")]  # by cell: runs for the yearly passes
        arrive = start + rng.random(len(like)) * length
        pop.append(
            birth=pop.birth[like],
            sex=pop.sex[like],
            scheme=pop.scheme[like],
            entry=arrive,
            group=pop.group[like],
            cadre=pop.cadre[like],
            cell=pop.cell[like],  # the same age at this year's start
        )
        entry_days.append(arrive)
        entry_schemes.append(pop.scheme[like])
        flows[FLOWS.index("moved_in")] = np.bincount(pop.scheme[like], minlength=N_SCHEMES)

    flows[FLOWS.index("end")] = (
        flows[FLOWS.index("start")]
        + flows[FLOWS.index("births")]
        + flows[FLOWS.index("moved_in")]
        + flows[FLOWS.index("transfers_in")]
        - flows[FLOWS.index("deaths")]
        - flows[FLOWS.index("lapses")]
        - flows[FLOWS.index("moved_out")]
        - flows[FLOWS.index("transfers_out")]
    )
    new_rows = np.arange(n0, pop.n)
    return YearDemography(
        flows=flows,
        births_by_mother=births_by_mother,
        cell=pop.cell,
        exits=(exit_days, exit_scheme),
        switches=(switch_days, from_scheme, to_scheme),
        entries=(np.concatenate(entry_days), np.concatenate(entry_schemes)),
        changing=np.concatenate([exit_rows, switched, new_rows]),
        cell_sizes=counts + np.bincount(pop.cell[n0:], minlength=N_CELLS + 1),
        urrbmi_groups=urrbmi_groups,
    )


def _commit(pop: Population, start: float) -> None:
    """Apply last year's switches; drop those who left once they are a fifth of the rows."""
    switched = pop.switched
    if len(switched):
        done = switched[pop.switch_day[switched] < start]
        pop.cell[done] += pop.switch_to[done] - pop.scheme[done]
        pop.scheme[done] = pop.switch_to[done]
        pop.switch_to[done] = -1
        pop.switch_day[done] = np.inf
    pop.switched = np.empty(0, dtype=np.intp)
    if start > 0:
        pop.age_one_year()
    if pop.departed > pop.n // 5:  # every leaver of an earlier year has exit < start
        pop.compact(start)


def group_shares(snapshot: Mapping[str, Any]) -> tuple[float, float]:
    base = "population.special_groups"
    return float(snapshot[f"{base}.extreme_poverty"]), float(snapshot[f"{base}.low_income"])
