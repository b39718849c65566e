"""The batch summaries (``ds.fundsim``) on a synthetic batch whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

import fundsim.results  # noqa: F401 - registers the ds.fundsim accessor
from fundsim.results.compare import comparison_table, paired_differences

YEARS = np.arange(2021, 2031)


def batch(depletion: list[float | None], scenarios: tuple[str, ...] = ("base",)) -> xr.Dataset:
    """One fund whose balance in run r falls below zero in year depletion[r] (None: never)."""
    runs = len(depletion)
    balance = np.full((len(scenarios), runs, len(YEARS), 1), 100.0)
    dep = np.full((len(scenarios), runs, 1), np.nan)
    for r, year in enumerate(depletion):
        if year is not None:
            balance[:, r, year <= YEARS, 0] = -50.0
            dep[:, r, 0] = year
    coords = {"scenario": list(scenarios), "run": np.arange(runs), "year": YEARS, "fund": ["pool"]}
    dims = ("scenario", "run", "year", "fund")
    ds = xr.Dataset(
        {
            "balance": (dims, balance, {"units": "yuan"}),
            "income": (dims, np.ones_like(balance) * np.arange(runs)[None, :, None, None]),
            "expenditure": (dims, np.ones_like(balance), {"units": "yuan"}),
            "reserve_months": (dims, balance / 10, {"units": "month"}),
            "depletion_year": (("scenario", "run", "fund"), dep),
        },
        coords=coords,
    )
    return ds


def test_probabilities_and_depletion_percentiles() -> None:
    years: list[float | None] = [2023, 2025, 2025, 2027, 2029, None, None, None, None, None]
    ds = batch(years)
    p = ds.fundsim.prob_depleted().sel(scenario="base", fund="pool").to_series()
    assert p[2022] == 0.0 and p[2023] == 0.1 and p[2025] == 0.3 and p[2030] == 0.5
    assert (np.diff(p.values) >= 0).all()
    negative = ds.fundsim.prob_negative().sel(scenario="base", fund="pool")
    np.testing.assert_allclose(negative, p)  # once negative, it stays so in this batch
    table = ds.fundsim.depletion().set_index("fund").loc["pool"]
    assert table["p10"] == 2023 and table["p25"] == 2025 and table["p50"] == 2029
    assert table["p75"] == "after 2030" and table["never_depleted"] == 0.5


def test_quantiles_match_numpy_and_the_table_is_long() -> None:
    ds = batch([None] * 21)
    q = ds.fundsim.quantiles()
    income = ds["income"].sel(scenario="base", fund="pool", year=2021).values
    np.testing.assert_allclose(
        q["income"].sel(scenario="base", fund="pool", year=2021).values,
        np.quantile(income, [0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95]),
    )
    table = ds.fundsim.table()
    assert {"p05", "p50", "p95", "mean", "variable_zh"} <= set(table.columns)
    assert len(table) == len(YEARS) * 6  # four variables and two probabilities per year
    assert isinstance(table, pd.DataFrame)


def test_paired_differences_and_the_comparison_table() -> None:
    base = batch([2025, None, None, None])
    other = batch([2027, 2029, None, None])
    other["balance"] = other["balance"] + 10.0
    ds = xr.concat([base, other.assign_coords(scenario=["reform"])], dim="scenario")
    diff = paired_differences(ds, "base")
    assert list(diff["scenario"].values) == ["reform"]
    table = comparison_table(ds, "base", year=2030).iloc[0]
    assert table["p_depleted_baseline"] == 0.25 and table["p_depleted_scenario"] == 0.5
    assert table["p_depleted_change"] == 0.25
    assert table["median_depletion_baseline"] == "after 2030"
