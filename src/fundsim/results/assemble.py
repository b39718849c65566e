"""From a run's ledger and record to the results Dataset (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from .. import __version__
from ..codes import ACCOUNTS, FLOW_CODES, FLOW_NAMES, INCOME
from ..sim.model import FundModel
from .schema import COORD_ATTRS, POPULATION_FLOW_NAMES, SCHEME_NAMES, VARIABLES


def run_dataset(
    model: FundModel, scenario_name: str, run: int, inputs: Mapping[str, float]
) -> xr.Dataset:
    """The Dataset of one finished run (dims scenario and run of length 1)."""
    ledger, record = model.ledger, model.record
    income, expenditure, closing = ledger.totals(model.year_bounds)
    m_income, m_expenditure, m_closing = ledger.totals(model.month_bounds)
    fen = 100.0
    balance = closing / fen
    yearly_expenditure = expenditure / fen
    with np.errstate(divide="ignore", invalid="ignore"):
        reserve = np.where(yearly_expenditure > 0, balance / (yearly_expenditure / 12), np.nan)
    depletion = np.full(len(ACCOUNTS), np.nan)
    for a in range(len(ACCOUNTS)):
        negative = np.flatnonzero(closing[:, a] < 0)
        if len(negative):
            depletion[a] = record.years[negative[0]]

    # income and expenditure by flow and year
    e = ledger.entries()
    year = np.searchsorted(model.year_bounds, e["day"], side="right") - 1
    inside = (year >= 0) & (year < len(record.years))
    by_flow = np.zeros((len(record.years), len(ACCOUNTS), len(FLOW_NAMES)), dtype=np.int64)
    np.add.at(by_flow, (year[inside], e["account"][inside], e["flow"][inside]), e["amount"][inside])

    months = pd.DatetimeIndex([np.datetime64(d, "ns") for d in model.calendar.months])
    data: dict[str, NDArray[Any]] = {
        "income": income / fen,
        "expenditure": yearly_expenditure,
        "balance": balance,
        "reserve_months": reserve,
        "cash_balance": m_closing / fen,
        "insured": record.insured,
        "admissions": record.admissions,
        "depletion_year": depletion,
        "expenditure_incurred": record.incurred,
        "monthly_income": m_income / fen,
        "monthly_expenditure": m_expenditure / fen,
        "by_flow": by_flow / fen,
        "bed_days": record.bed_days,
        "inpatient_cost": record.inpatient_cost,
        "population": record.population,
        "births_to_members": record.births,
    }
    coords: dict[str, Any] = {
        "scenario": [scenario_name],
        "run": [run],
        "year": np.asarray(record.years, dtype=np.int64),
        "month": months,
        "fund": list(ACCOUNTS),
        "scheme": list(SCHEME_NAMES),
        "flow": list(FLOW_NAMES),
        "population_flow": list(POPULATION_FLOW_NAMES),
    }
    variables = {}
    for name, values in data.items():
        spec = VARIABLES[name]
        attrs = {
            "units": spec.units,
            "long_name": spec.long_name,
            "long_name_zh": spec.long_name_zh,
        }
        variables[name] = (spec.dims, np.asarray(values, dtype=np.float64)[None, None, ...], attrs)
    for path, value in sorted(inputs.items()):
        variables[f"input__{path}"] = (
            ("scenario", "run"),
            np.array([[value]]),
            {
                "units": "1",
                "long_name": f"drawn value of {path}",
                "long_name_zh": f"{path} 本次抽样值",
            },
        )
    ds = xr.Dataset(variables, coords=coords)
    for coord, attrs in COORD_ATTRS.items():
        ds[coord].attrs.update(attrs)
    ds["flow"].attrs.update(
        long_name="ledger flow",
        long_name_zh="收支项目",
        direction=",".join(
            "income" if f.direction == INCOME else "expenditure" for f in FLOW_CODES
        ),
        labels_zh=",".join(f.zh for f in FLOW_CODES),
    )
    ds.attrs.update(fundsim_version=__version__, weight=model.weight)
    reported = model.scenario.reported_start
    if reported is not None:  # rolled forward from the data year: keep the horizon's years
        ds = ds.sel(year=ds.year >= reported.year, month=ds.month >= np.datetime64(reported, "ns"))
        closing_kept = ds["balance"].isel(scenario=0, run=0).values
        years = ds.year.values
        for a in range(len(ACCOUNTS)):
            negative = np.flatnonzero(closing_kept[:, a] < 0)
            ds["depletion_year"][0, 0, a] = years[negative[0]] if len(negative) else np.nan
    return ds


def combine(datasets: Sequence[xr.Dataset]) -> xr.Dataset:
    """Runs and scenarios of a batch in one Dataset."""
    # xarray's defaults of today, written out (they are to change: a FutureWarning otherwise)
    return xr.combine_by_coords(  # type: ignore[return-value]
        list(datasets), combine_attrs="drop_conflicts", join="outer", compat="no_conflicts"
    )
