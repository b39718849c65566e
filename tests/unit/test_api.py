"""The Python API of ``import fundsim``: each function documented, cheap to import, and the
same numbers as the command line's batch; one scenario's results without its dimension."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fundsim
from fundsim.source.diagnostics import InputError

TOY = Path(__file__).resolve().parents[1] / "statistical" / "toy" / "toy.yaml"


def test_every_function_is_documented_and_importing_stays_cheap() -> None:
    for name in ("load_scenario", "simulate", "run_batch", "read_results", "calibrate"):
        function = getattr(fundsim, name)
        assert function.__doc__ and len(function.__doc__) > 40, name
    loaded = subprocess.run(
        [sys.executable, "-c", "import fundsim, sys; print('xarray' in sys.modules)"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert loaded.strip() == "False"


def test_a_batch_and_one_scenarios_results(tmp_path: Path) -> None:
    scenario = fundsim.load_scenario(TOY)
    out = tmp_path / "batch"
    ds = fundsim.run_batch(scenario, runs=2, seed=7, out=out, workers=1)
    assert ds.sizes["scenario"] == 1 and ds.sizes["run"] == 2
    one = fundsim.read_results(out, scenario=scenario.name)
    assert "scenario" not in one.dims
    np.testing.assert_array_equal(one["balance"].values, ds["balance"].isel(scenario=0).values)
    # the same run alone: the same numbers
    alone = fundsim.simulate(scenario, run=1, seed=7)
    np.testing.assert_array_equal(
        alone["balance"].isel(scenario=0, run=0).values, one["balance"].sel(run=1).values
    )
    with pytest.raises(InputError, match="no scenario 'other'"):
        fundsim.read_results(out, scenario="other")
    # without a folder: a temporary one, the same results
    again = fundsim.run_batch([TOY], runs=2, seed=7, workers=1)
    np.testing.assert_array_equal(again["balance"].values, ds["balance"].values)
