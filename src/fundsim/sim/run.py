"""``fundsim.simulate``: one run of a scenario as a results Dataset."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import xarray as xr

from ..ensemble.draws import draw_inputs
from ..parameters.timeline import Origin
from ..scenario.loader import Scenario, load_scenario


def simulate(
    scenario: Scenario | str | Path,
    run: int = 0,
    seed: int | None = None,
    tick_days: float | None = None,
    fixed: Mapping[str, float] | None = None,
) -> xr.Dataset:
    """Simulate run ``run`` of ``scenario`` and return its results (DESIGN §4).

    Parameters
    ----------
    scenario : a loaded scenario or the path of its YAML file
    run : the run number; with ``seed`` it fixes every random draw (DESIGN §2)
    seed : the batch seed (default: the scenario's ``monte_carlo.seed``)
    tick_days : cut inpatient batches into ticks of this many days (default: one batch per
        policy year, cut at dated policy changes; the same process, drawn in fewer pieces)
    fixed : parameters held at these values in this run instead of their scenario values or
        draws (a calibration's trial); every other draw is the run's own, as without them
    """
    from ..results.assemble import run_dataset
    from .model import FundModel

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    seed = scenario.monte_carlo.seed if seed is None else seed
    inputs = draw_inputs(scenario, seed, run)
    tree = scenario.tree
    if fixed:
        inputs = {p: v for p, v in inputs.items() if p not in fixed}
        tree = tree.with_values(fixed, Origin("calibration", str(scenario.file), 0, "trial"))
    if inputs:
        tree = tree.with_values(inputs, Origin("draw", str(scenario.file), 0, f"run {run}"))
    model = FundModel(scenario, tree, seed, run, tick_days=tick_days)
    model.run()
    return run_dataset(model, scenario.name, run, inputs)
