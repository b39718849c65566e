"""Results files fundsim could not have written are refused, each with one line naming what
is wrong and what would be valid (issue 28); fundsim's own results pass, NaN reserve months
of a fund that spends nothing included; a file larger than a batch is refused before it is
loaded, and reading never shows a library's warning."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import fundsim
from fundsim.results.io import check_results, read_results
from fundsim.source.diagnostics import InputError

TOY = Path(__file__).resolve().parents[1] / "statistical" / "toy" / "toy.yaml"


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("checks") / "batch"
    fundsim.run_batch([TOY], runs=2, seed=7, out=out, workers=1)
    return out


@pytest.fixture
def ds(batch: Path) -> xr.Dataset:
    return read_results(batch)


def test_fundsims_own_results_pass(ds: xr.Dataset) -> None:
    assert bool(ds["reserve_months"].isnull().any())  # a fund without spending: by design
    check_results(ds, "results.nc")


def _set(name: str, value: object, **at: object) -> Callable[[xr.Dataset], xr.Dataset]:
    def change(ds: xr.Dataset) -> xr.Dataset:
        ds = ds.copy(deep=True)
        ds[name].loc[at or {}] = value
        return ds

    return change


def _coord(dim: str, values: Callable[[xr.Dataset], object]) -> Callable[[xr.Dataset], xr.Dataset]:
    return lambda ds: ds.assign_coords({dim: values(ds)})


def _attr(key: str, value: object) -> Callable[[xr.Dataset], xr.Dataset]:
    return lambda ds: ds.assign_attrs({key: value})


def _text(name: str, value: str) -> Callable[[xr.Dataset], xr.Dataset]:
    return lambda ds: ds.assign_coords({name: ("scenario", [value])})


CASES: dict[str, tuple[Callable[[xr.Dataset], xr.Dataset], str]] = {
    "run-repeated": (_coord("run", lambda ds: [0, 0]), "run 0 appears more than once"),
    "run-negative": (_coord("run", lambda ds: [-1, 0]), "run -1 is not a run number"),
    "run-text": (_coord("run", lambda ds: ["a", "b"]), "run holds <U1, not whole numbers"),
    "fund-repeated": (
        _coord("fund", lambda ds: ["uebmi_pool", *ds["fund"].values[:-1]]),
        "fund 'uebmi_pool' appears more than once",
    ),
    "fund-missing": (
        lambda ds: ds.isel(fund=slice(1, None)),
        "fund holds uebmi_personal, urrbmi_pool, critical_illness, medical_assistance, not",
    ),
    "year-text": (_coord("year", lambda ds: ds["year"].values.astype(str)), "year holds <U"),
    "year-fraction": (
        _coord("year", lambda ds: ds["year"].values + 0.5),
        "year holds float64, not whole years",
    ),
    "year-far": (_coord("year", lambda ds: ds["year"].values + 500), "is outside 1990–2200"),
    "year-gap": (
        _coord("year", lambda ds: [*ds["year"].values[:-1], ds["year"].values[-1] + 1]),
        "year 2026 follows 2024: years run one by one, oldest first",
    ),
    "year-reversed": (_coord("year", lambda ds: ds["year"].values[::-1]), "follows"),
    "month-outside-the-years": (
        _coord("month", lambda ds: ds["month"].values - np.timedelta64(3650, "D")),
        "month 2011-01-04 lies outside the years 2021–2025",
    ),
    "month-none": (lambda ds: ds.isel(month=slice(0, 0)), "the results are empty (no month)"),
    "scheme-unknown": (
        _coord("scheme", lambda ds: ["uebmi_active", "uebmi_retired", "other"]),
        "scheme holds an unknown scheme 'other'",
    ),
    "money-nan": (_set("balance", np.nan), "balance is nan at scenario 'toy', run 0, year 2021"),
    "money-inf": (_set("income", np.inf, year=2023), "income is inf at scenario 'toy', run 0"),
    "money-huge": (_set("cash_balance", -1e308), "fundsim writes finite amounts within ±4.6e+16"),
    "count-nan": (_set("insured", np.nan), "insured is nan"),
    "money-whole": (
        lambda ds: ds.assign(income=ds["income"].astype("int8")),
        "income holds int8, not floating-point numbers",
    ),
    "reserve-inf": (_set("reserve_months", np.inf), "reserve_months is inf"),
    "reserve-nan-with-spending": (
        _set("reserve_months", np.nan, fund="urrbmi_pool"),
        "NaN only in a year without spending",
    ),
    "depletion-before": (_set("depletion_year", -5.0), "depletion_year is -5 at"),
    "depletion-between": (_set("depletion_year", 2022.5), "one of the years 2021–2025, or NaN"),
    "warning-level": (_set("warning_level", 99.0), "warning_level is 99 at"),
    "weight-text": (_attr("weight", "abc"), "the attribute weight is 'abc', not a positive number"),
    "weight-zero": (_attr("weight", 0.0), "the attribute weight is 0.0"),
    "title-escape": (
        _text("scenario_title_zh", "\x1b]0;pwned\x07"),
        "scenario_title_zh of scenario 'toy' holds a control character U+001B (ESC)",
    ),
    "title-long": (_text("scenario_title_en", "a" * 201), "201 characters long, more than 200"),
    "events-garbage": (_text("scenario_events", "{{{"), "not a list of policy marks"),
    "campaign-garbage": (_text("scenario_campaign", "13-45/99-99"), "MM-DD/MM-DD"),
    "out-of-area-garbage": (_text("scenario_out_of_area", "nan/-1"), "a direct share (0 to 1)"),
    "levers-garbage": (_text("scenario_lever_titles", "[1]"), "not the titles of the policy"),
    "label-attribute": (
        lambda ds: ds.assign(balance=ds["balance"].assign_attrs(long_name=[1, 2])),
        "the attribute long_name of balance is not a text",
    ),
    "input-per-year": (
        lambda ds: ds.assign({"input__care.cost_trend": ("year", np.zeros(ds.sizes["year"]))}),
        "input__care.cost_trend is not a number for each scenario and run",
    ),
    "unknown-dimension": (
        lambda ds: ds.assign(extra=("junk", np.zeros(3))),
        "a dimension 'junk' fundsim never writes",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_results_fundsim_could_not_have_written_are_refused(ds: xr.Dataset, case: str) -> None:
    change, message = CASES[case]
    with pytest.raises(InputError) as refused:
        check_results(change(ds), "batch/results.nc")
    said = str(refused.value)
    assert said.startswith("batch/results.nc: "), said
    assert message in said, said
    assert "\n" not in said and "\x1b" not in said


def test_every_dimension_of_the_contract_is_checked_for_repeats(ds: xr.Dataset) -> None:
    for dim in ("scheme", "flow", "population_flow"):
        labels = ds[dim].values.copy()
        labels[1] = labels[0]
        with pytest.raises(InputError, match=f"{dim} '{labels[0]}' appears more than once"):
            check_results(ds.assign_coords({dim: labels}), "r.nc")


def test_a_file_larger_than_a_batch_is_refused_before_it_is_loaded(
    batch: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fundsim.ensemble.batch

    monkeypatch.setattr(fundsim.ensemble.batch, "MAX_RUNS", 1)

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("loaded")

    monkeypatch.setattr(xr.Dataset, "load", never)
    with pytest.raises(InputError, match="2 runs, more than a batch holds: at most 1 runs"):
        read_results(batch)


def test_reading_an_hdf5_file_that_is_not_netcdf_shows_no_warning(tmp_path: Path) -> None:
    import h5py

    path = tmp_path / "results.nc"
    with h5py.File(path, "w") as handle:
        handle["x"] = np.arange(3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        with pytest.raises(InputError, match="not fundsim results \\(no income\\)"):
            read_results(path)
