"""The golden results are reproduced (see tests/regression/golden.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from .golden import GOLDEN, SOURCES, VARIABLES, machine, results


@pytest.fixture(autouse=True)
def allow_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(Path(__file__).resolve().parents[2]))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SOURCES))
def test_the_golden_results_are_reproduced(name: str, tmp_path: Path) -> None:
    with xr.open_dataset(GOLDEN / f"{name}.nc", engine="h5netcdf") as stored:
        golden = stored.load()
    now = results(name, tmp_path)
    same_machine = golden.attrs.get("machine") == machine()
    for variable in VARIABLES:
        # a flow or account added since the golden file was made must be zero here; every
        # one it holds must be as it was
        added = {
            dim: sorted(set(now[dim].values.tolist()) - set(golden[dim].values.tolist()))
            for dim in now[variable].dims
            if dim in ("flow", "fund")
        }
        for dim, names in added.items():
            if names:
                assert not now[variable].sel({dim: names}).any(), (variable, dim, names)
        aligned = now[variable].sel({d: golden[d].values for d in added})
        expected, got = golden[variable].values, aligned.values
        assert expected.shape == got.shape, variable
        if same_machine:
            np.testing.assert_array_equal(got, expected, err_msg=variable)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=0.02, err_msg=variable)
