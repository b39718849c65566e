"""The run store: one record per finished run, read back into the batch's Dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from fundsim.results.store import RunStore


def one_run(run: int, rng: np.random.Generator, inputs: dict[str, float]) -> xr.Dataset:
    """A run as a backend returns it: scenario and run of length one, then its own dims."""
    data = {
        "balance": (("scenario", "run", "year", "fund"), rng.normal(size=(1, 1, 3, 2))),
        "depleted": (("scenario", "run", "fund"), rng.integers(0, 2, (1, 1, 2)).astype(float)),
    }
    for path, value in inputs.items():
        data[f"input__{path}"] = (("scenario", "run"), np.array([[value]]))
    return xr.Dataset(
        data,
        coords={
            "scenario": ["base"],
            "run": [run],
            "year": [2025, 2026, 2027],
            "fund": ["pool", "urrbmi"],
        },
        attrs={"title": "t"},
    )


def test_runs_come_back_exactly_with_missing_inputs_as_nan(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    store = RunStore(tmp_path / "store")
    runs = [one_run(r, rng, {"care.cost_trend": 0.05 + r} if r != 2 else {}) for r in range(4)]
    store.create(runs[0])
    for r in (0, 2, 3):
        store.write(runs[r], 0, r)
    np.testing.assert_array_equal(store.done(1, 4), [[True, False, True, True]])
    with pytest.raises(FileNotFoundError, match="1 run"):
        store.load(["base"], 4, ["care.cost_trend"])
    partial = store.load(["base"], 4, ["care.cost_trend"], partial=True)
    assert np.isnan(partial["balance"].sel(run=1)).all()
    store.write(runs[1], 0, 1)
    ds = store.load(["base"], 4, ["care.cost_trend"])
    for r in range(4):
        np.testing.assert_array_equal(ds["balance"].sel(run=r)[0], runs[r]["balance"][0, 0])
        np.testing.assert_array_equal(ds["depleted"].sel(run=r)[0], runs[r]["depleted"][0, 0])
    inputs = ds["input__care.cost_trend"].values[0]
    np.testing.assert_array_equal(inputs[[0, 1, 3]], [0.05, 1.05, 3.05])
    assert np.isnan(inputs[2])  # that run drew no such parameter
    assert ds.attrs == {"title": "t"} and list(ds.fund.values) == ["pool", "urrbmi"]
    assert not list((tmp_path / "store" / "runs").glob(".*"))  # no temporary file left


def test_runs_written_by_an_earlier_version_still_load(tmp_path: Path) -> None:
    """A batch begun before runs became single records (one .npz per run) resumes."""
    rng = np.random.default_rng(4)
    store = RunStore(tmp_path / "store")
    old, new = one_run(0, rng, {}), one_run(1, rng, {})
    store.create(old)
    with open(tmp_path / "store" / "runs" / "0-0.npz", "wb") as handle:
        np.savez(handle, **{str(n): v.values[0, 0] for n, v in old.data_vars.items()})
    store.write(new, 0, 1)
    ds = store.load(["base"], 2, [])
    np.testing.assert_array_equal(ds["balance"].sel(run=0)[0], old["balance"][0, 0])
    np.testing.assert_array_equal(ds["balance"].sel(run=1)[0], new["balance"][0, 0])
