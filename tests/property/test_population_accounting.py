"""Population accounting: start + births + moves in + transfers in − deaths − lapses − moves
out − transfers out = end, per scheme and year, and the end agrees with a direct count."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fundsim.parameters.timeline import Origin
from fundsim.population.arrays import IDLE, initial_population
from fundsim.population.demography import FLOWS, LifeTables, draw_year
from fundsim.scenario.regiondata import MAX_AGE

YEAR = 365.0


@settings(max_examples=15, deadline=None)
@given(
    lapse=st.floats(0, 0.2),
    migration=st.floats(-0.2, 0.2),
    join=st.floats(0, 0.2),
    tfr=st.floats(0.5, 3.0),
    coverage=st.floats(0, 1),
    improvement=st.floats(-0.05, 0.05),
    male_age=st.floats(55, 65),
    seed=st.integers(0, 2**32 - 1),
)
def test_flows_add_up_and_match_a_direct_count(
    nanchuan_small, lapse, migration, join, tfr, coverage, improvement, male_age, seed
) -> None:
    scenario = nanchuan_small
    tree = scenario.tree.with_values(
        {
            "population.lapse_rate": lapse,
            "population.net_migration_rate": migration,
            "population.uebmi_entry.under_25": join,
            "population.uebmi_entry.age25_34": join,
            "population.uebmi_entry.age35_44": join / 2,
            "population.uebmi_entry.age45_up": join / 4,
            "population.uebmi_exit.under_35": join / 2,
            "population.uebmi_exit.age35_49": join / 4,
            "population.uebmi_exit.age50_up": join / 8,
            "population.fertility_rate": tfr,
            "population.coverage_rate": coverage,
            "population.mortality_improvement": improvement,
            "population.retirement_age.male": male_age,
        },
        Origin("override", "test", 0),
    )
    snapshot = tree.at(scenario.horizon.start)
    rng = np.random.default_rng(seed)
    tables = scenario.region_tables
    pop = initial_population(tables["population"], 0.02, (0.01, 0.04), 0.3, rng)
    life = LifeTables.from_tables(tables["mortality"], tables["fertility"])
    previous_end = None
    for year in range(4):
        start = year * YEAR
        demo = draw_year(pop, start, YEAR, year, snapshot, life, rng)
        # the count that decides compaction: rows of earlier years' leavers
        assert pop.departed == np.count_nonzero(pop.exit < start)
        # each row's cell: its scheme and age at the year start while a member, else IDLE
        cell = demo.cell[: pop.n].astype(np.int64)
        member = (pop.entry <= start) & (pop.exit > start)
        assert (cell[~member & (pop.entry <= start)] == IDLE).all()
        assert (cell[member] % 3 == pop.scheme[member]).all()
        assert (cell[member] // 3 % 2 == pop.sex[member]).all()
        completed = np.clip(np.floor((start - pop.birth[member]) / 365.25), 0, MAX_AGE)
        drift = cell[member] // 6 - completed
        assert (np.abs(drift) <= 1).all() and np.mean(drift == 0) > 0.99
        f = {name: demo.flows[i] for i, name in enumerate(FLOWS)}
        balance = (
            f["start"]
            + f["births"]
            + f["moved_in"]
            + f["transfers_in"]
            - f["deaths"]
            - f["lapses"]
            - f["moved_out"]
            - f["transfers_out"]
        )
        assert np.array_equal(balance, f["end"])
        assert np.array_equal(f["end"], pop.members_by_scheme(start + YEAR))  # direct count
        assert np.array_equal(f["start"], pop.members_by_scheme(start))
        if previous_end is not None:
            assert np.array_equal(f["start"], previous_end)
        previous_end = f["end"]
        assert (demo.flows >= 0).all()
        # the monthly counts from events agree with direct counts too
        for day in (start + 45.5, start + 200.25):
            counted = f["start"].astype(float)
            for days, schemes, sign in (
                (demo.exits[0], demo.exits[1], -1),
                (demo.switches[0], demo.switches[1], -1),
                (demo.switches[0], demo.switches[2], 1),
                (demo.entries[0], demo.entries[1], 1),
            ):
                counted += sign * np.bincount(schemes[days <= day], minlength=3)
            assert np.array_equal(counted, pop.members_by_scheme(day))
