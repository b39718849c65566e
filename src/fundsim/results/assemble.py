"""From a run's ledgers and records to the results Dataset (architecture §4).

A one-area run gives the variables of :data:`~fundsim.results.schema.VARIABLES`; a city run
adds an ``area`` dimension after ``run``: each area, ``city`` (the city's own accounts, the
risk adjustment reserves) and ``total`` (the city consolidated: the areas' and the city's
books summed, each reserve counted in its pooled fund, the transfers within the city left
out of income and expenditure, so closing = opening + income − expenditure holds for it
too, in whole fen).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from .. import __version__
from ..codes import (
    ACCOUNTS,
    ALL_ACCOUNT_CODES,
    CITY_ACCOUNTS,
    FLOW_CODES,
    FLOW_NAMES,
    INCOME,
    POOL_ACCOUNTS,
    POOLS,
)
from ..finance.ledger import Ledger
from ..scenario.loader import Scenario
from ..sim.city import CityModel
from ..sim.model import FundModel, RunRecord
from . import early_warning
from .areas import CITY, CITY_LABELS, MODES, TOTAL
from .schema import COORD_ATTRS, POPULATION_FLOW_NAMES, SCHEME_NAMES, VARIABLES

FEN = 100.0
COUNTS = ("insured", "admissions", "bed_days", "inpatient_cost", "population", "births_to_members")


@dataclass
class Books:
    """A ledger's sums in whole fen: per year and per month, income, expenditure and closing
    balance by account; per year, each account's sums by flow."""

    income: NDArray[np.int64]
    expenditure: NDArray[np.int64]
    closing: NDArray[np.int64]
    m_income: NDArray[np.int64]
    m_expenditure: NDArray[np.int64]
    m_closing: NDArray[np.int64]
    by_flow: NDArray[np.int64]

    @classmethod
    def of(
        cls, ledger: Ledger, year_bounds: NDArray[np.float64], month_bounds: NDArray[np.float64]
    ) -> Books:
        income, expenditure, closing = ledger.totals(year_bounds)
        m_income, m_expenditure, m_closing = ledger.totals(month_bounds)
        e = ledger.entries()
        year = np.searchsorted(year_bounds, e["day"], side="right") - 1
        inside = (year >= 0) & (year < len(year_bounds) - 1)
        shape = (len(year_bounds) - 1, len(ledger.accounts), len(FLOW_NAMES))
        by_flow = np.zeros(shape, dtype=np.int64)
        np.add.at(
            by_flow, (year[inside], e["account"][inside], e["flow"][inside]), e["amount"][inside]
        )
        return cls(income, expenditure, closing, m_income, m_expenditure, m_closing, by_flow)

    def widened(self, accounts: Sequence[str], all_accounts: Sequence[str]) -> Books:
        """The same sums on ``all_accounts`` (zero where this ledger has no account)."""
        at = [list(all_accounts).index(a) for a in accounts]

        def widen(values: NDArray[np.int64]) -> NDArray[np.int64]:
            out = np.zeros((values.shape[0], len(all_accounts), *values.shape[2:]), np.int64)
            out[:, at] = values
            return out

        return Books(*(widen(getattr(self, f)) for f in self.__dataclass_fields__))


# the funds warned about: the pooled funds (not the city's reserves, which live on transfers)
POOLED = {a.name: a.name in POOL_ACCOUNTS for a in ALL_ACCOUNT_CODES}


def money(
    books: Books,
    years: Sequence[int],
    limits: NDArray[np.float64] | None = None,
    accounts: Sequence[str] = ACCOUNTS,
) -> dict[str, NDArray[Any]]:
    """The money variables of one area's (or the total's) books; with the early-warning
    thresholds ``limits`` (year, indicator, level) each fund's warning level too."""
    balance = books.closing / FEN
    yearly_expenditure = books.expenditure / FEN
    with np.errstate(divide="ignore", invalid="ignore"):
        reserve = np.where(yearly_expenditure > 0, balance / (yearly_expenditure / 12), np.nan)
    depletion = np.full(books.closing.shape[1], np.nan)
    for a in range(books.closing.shape[1]):
        negative = np.flatnonzero(books.closing[:, a] < 0)
        if len(negative):
            depletion[a] = years[negative[0]]
    out = {
        "income": books.income / FEN,
        "expenditure": yearly_expenditure,
        "balance": balance,
        "reserve_months": reserve,
        "cash_balance": books.m_closing / FEN,
        "depletion_year": depletion,
        "monthly_income": books.m_income / FEN,
        "monthly_expenditure": books.m_expenditure / FEN,
        "by_flow": books.by_flow / FEN,
    }
    if limits is not None:
        values = early_warning.indicators(out["income"], yearly_expenditure, reserve)
        pooled = np.array([POOLED[a] for a in accounts])
        out["warning_level"] = early_warning.levels(values, limits, pooled)
    return out


def counts(record: RunRecord) -> dict[str, NDArray[Any]]:
    return {
        "insured": record.insured,
        "admissions": record.admissions,
        "expenditure_incurred": record.incurred,
        "bed_days": record.bed_days,
        "inpatient_cost": record.inpatient_cost,
        "population": record.population,
        "births_to_members": record.births,
    }


def run_dataset(
    model: FundModel, scenario_name: str, run: int, inputs: Mapping[str, float]
) -> xr.Dataset:
    """The Dataset of one finished run (dims scenario and run of length 1)."""
    record = model.record
    books = Books.of(model.ledger, model.year_bounds, model.month_bounds)
    limits = early_warning.thresholds(model.tree.at, record.years)
    data = {**money(books, record.years, limits), **counts(record)}
    ds = _dataset(data, model, scenario_name, run, inputs, list(ACCOUNTS), None)
    ds.attrs.update(weight=model.weight)
    return _trimmed(ds, model.scenario)


def city_dataset(
    city: CityModel, scenario_name: str, run: int, inputs: Mapping[str, float]
) -> xr.Dataset:
    """The Dataset of one finished run of a city scenario, with its ``area`` dimension."""
    funds = tuple(a.name for a in ALL_ACCOUNT_CODES)
    years, months = city.year_bounds, city.month_bounds
    record_years = city.areas[0].record.years
    limits = early_warning.thresholds(city.tree.at, record_years)
    rows = []
    for area in city.areas:
        books = Books.of(area.ledger, years, months).widened(ACCOUNTS, funds)
        rows.append({**money(books, record_years, limits, funds), **counts(area.record)})
        rows[-1]["expenditure_incurred"] = _widened(area.record.incurred, funds)
    own = Books.of(city.ledger, years, months).widened(CITY_ACCOUNTS, funds)
    rows.append({**money(own, record_years, limits, funds)})
    rows[-1].update({k: np.zeros_like(v) for k, v in rows[0].items() if k in COUNTS})
    rows[-1]["expenditure_incurred"] = np.zeros_like(rows[0]["expenditure_incurred"])
    # the total: every book in one, each reserve in its pooled fund, the transfers within the
    # city left out (both sides land on the folded fund); the reserve rows are the city's
    folded = {pool.reserve: pool.account for pool in POOLS}
    whole = Ledger.consolidated(
        [(a.ledger, {}) for a in city.areas] + [(city.ledger, folded)],
        funds,
        [f.name for f in FLOW_CODES if f.internal],
    )
    total = Books.of(whole, years, months)
    at = [funds.index(r) for r in CITY_ACCOUNTS]
    for name in total.__dataclass_fields__:
        getattr(total, name)[:, at] = getattr(own, name)[:, at]
    rows.append({**money(total, record_years, limits, funds)})
    for a, row in enumerate(rows):
        row["deficit_uncovered"] = (
            _widened(city.uncovered[a], funds) if a < len(city.areas) else 0 * row["balance"]
        )
    for k in (*COUNTS, "expenditure_incurred", "deficit_uncovered"):
        rows[-1][k] = np.sum([r[k] for r in rows[: len(city.areas)]], axis=0)
    data = {k: np.stack([np.asarray(r[k], dtype=np.float64) for r in rows]) for k in rows[0]}
    ends = [city.calendar.date(day - 1) for day in city.year_bounds[1:]]
    data["pooling_mode"] = np.array(
        [MODES.index(str(city.tree.value("pooling.mode", end))) for end in ends], dtype=float
    )
    keys = [a.key for a in city.scenario.areas]
    ds = _dataset(
        data, city.areas[0], scenario_name, run, inputs, list(funds), [*keys, CITY, TOTAL]
    )
    ds.attrs.update(weight=",".join(f"{a.weight:g}" for a in city.areas))
    ds["area"].attrs.update(
        long_name="area",
        long_name_zh="统筹地区",
        # JSON lists: a name may hold a comma
        labels_zh=json.dumps(
            [*(a.name.zh for a in city.scenario.areas), *(z for z, _ in CITY_LABELS.values())],
            ensure_ascii=False,
        ),
        labels_en=json.dumps(
            [*(a.name.en for a in city.scenario.areas), *(e for _, e in CITY_LABELS.values())]
        ),
    )
    return _trimmed(ds, city.scenario)


def _widened(values: NDArray[np.float64], funds: Sequence[str]) -> NDArray[np.float64]:
    out = np.zeros((values.shape[0], len(funds)))
    out[:, [list(funds).index(a) for a in ACCOUNTS]] = values
    return out


def _dataset(
    data: dict[str, NDArray[Any]],
    model: FundModel,
    scenario_name: str,
    run: int,
    inputs: Mapping[str, float],
    funds: list[str],
    areas: list[str] | None,
) -> xr.Dataset:
    months = pd.DatetimeIndex([np.datetime64(d, "ns") for d in model.calendar.months])
    coords: dict[str, Any] = {
        "scenario": [scenario_name],
        "run": [run],
        "year": np.asarray(model.record.years, dtype=np.int64),
        "month": months,
        "fund": funds,
        "scheme": list(SCHEME_NAMES),
        "flow": list(FLOW_NAMES),
        "population_flow": list(POPULATION_FLOW_NAMES),
    }
    if areas is not None:
        coords["area"] = areas
    variables = {}
    for name, values in data.items():
        spec = VARIABLES[name]
        areal = areas is not None and spec.areal
        dims = (*spec.dims[:2], "area", *spec.dims[2:]) if areal else spec.dims
        attrs = {
            "units": spec.units,
            "long_name": spec.long_name,
            "long_name_zh": spec.long_name_zh,
        }
        variables[name] = (dims, np.asarray(values, dtype=np.float64)[None, None, ...], attrs)
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
        if coord in ds.coords:
            ds[coord].attrs.update(attrs)
    ds["flow"].attrs.update(
        long_name="ledger flow",
        long_name_zh="收支项目",
        direction=",".join(
            "income" if f.direction == INCOME else "expenditure" for f in FLOW_CODES
        ),
        labels_zh=",".join(f.zh for f in FLOW_CODES),
    )
    ds.attrs.update(fundsim_version=__version__)
    return ds


def _trimmed(ds: xr.Dataset, scenario: Scenario) -> xr.Dataset:
    """Rolled forward from the data year: keep the horizon's years (depletion recounted)."""
    reported = scenario.reported_start
    if reported is None:
        return ds
    ds = ds.sel(year=ds.year >= reported.year, month=ds.month >= np.datetime64(reported, "ns"))
    balance = ds["balance"].isel(scenario=0, run=0)
    negative = (balance < 0).values
    years = ds.year.values
    first = np.where(negative.any(axis=-2), years[np.argmax(negative, axis=-2)], np.nan)
    ds["depletion_year"][0, 0] = first
    return ds


def combine(datasets: Sequence[xr.Dataset]) -> xr.Dataset:
    """Runs and scenarios of a batch in one Dataset."""
    # xarray's defaults of today, written out (they are to change: a FutureWarning otherwise)
    return xr.combine_by_coords(  # type: ignore[return-value]
        list(datasets), combine_attrs="drop_conflicts", join="outer", compat="no_conflicts"
    )
