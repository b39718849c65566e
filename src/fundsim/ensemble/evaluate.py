"""Evaluating runs: one run of a scenario with given inputs, as a results Dataset.

:func:`evaluate` takes the uncertain inputs as values (a row of a sample matrix: the
run's own draws, a sensitivity design point, a calibration's trial); :func:`simulate` draws
the run's own inputs first (``fundsim.simulate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import xarray as xr

from ..parameters.timeline import Origin
from ..parameters.tree import ParameterTree
from ..results.assemble import city_dataset, run_dataset
from ..scenario.loader import Scenario, load_scenario
from ..sim.city import CityModel
from ..sim.model import FundModel
from .sampling import draw_inputs


def evaluate(
    scenario: Scenario,
    run: int,
    seed: int,
    inputs: Mapping[str, float],
    fixed: Mapping[str, float] | None = None,
    tick_days: float | None = None,
) -> xr.Dataset:
    """Run ``run`` (its process noise from ``seed`` and ``run``) with the uncertain
    parameters at ``inputs`` and the parameters of ``fixed`` held at their values; the
    Dataset records ``inputs`` as the run's drawn inputs."""
    if fixed:
        inputs = {p: v for p, v in inputs.items() if p not in fixed}

    def held(tree: ParameterTree) -> ParameterTree:
        if fixed:
            tree = tree.with_values(fixed, Origin("calibration", str(scenario.file), 0, "trial"))
        if inputs:
            tree = tree.with_values(inputs, Origin("draw", str(scenario.file), 0, f"run {run}"))
        return tree

    if scenario.areas:  # a city: every area draws the city's inputs
        city = CityModel(
            scenario,
            held(scenario.tree),
            [held(a.tree) for a in scenario.areas],
            seed,
            run,
            tick_days,
        )
        city.run()
        return city_dataset(city, scenario.name, run, inputs)
    model = FundModel(scenario, held(scenario.tree), seed, run, tick_days=tick_days)
    model.run()
    return run_dataset(model, scenario.name, run, inputs)


def simulate(
    scenario: Scenario | str | Path,
    run: int = 0,
    seed: int | None = None,
    tick_days: float | None = None,
    fixed: Mapping[str, float] | None = None,
) -> xr.Dataset:
    """Simulate run ``run`` of ``scenario`` and return its results (architecture §4).

    Parameters
    ----------
    scenario : a loaded scenario or the path of its YAML file
    run : the run number; with ``seed`` it fixes every random draw (architecture §2)
    seed : the batch seed (default: the scenario's ``monte_carlo.seed``)
    tick_days : cut inpatient batches into ticks of this many days (default: one batch per
        policy year, cut at dated policy changes; the same process, drawn in fewer pieces)
    fixed : parameters held at these values in this run instead of their scenario values or
        draws (a calibration's trial); every other draw is the run's own, as without them
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    seed = scenario.monte_carlo.seed if seed is None else seed
    inputs = draw_inputs(scenario, seed, run)
    return evaluate(scenario, run, seed, inputs, fixed=fixed, tick_days=tick_days)
