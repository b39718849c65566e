"""Whether a results file is one fundsim could have written (a shared results file is input
like any other): what ``plot``, ``report`` and the workbench read is refused with a one-line
message naming the variable, coordinate or attribute and what would be valid, never drawn
as nonsense or failed on as a bug.

:func:`check_size` looks only at the names and dimensions, before anything is loaded (a file
of 200,000 compressed runs is small on disk and gigabytes in memory); :func:`check_results`
looks at everything: the contract's variables (architecture §4) with their dimensions and
types; each coordinate (unique labels, whole consecutive years, runs, months in order inside
the years); the numbers (money finite and within what the ledger can hold, depletion years
among the years, warning levels among the levels); and, by :mod:`fundsim.results.metadata`,
the texts charts draw and workbooks hold and the attributes fundsim reads.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..codes import ACCOUNTS, ALL_ACCOUNT_CODES, FLOW_NAMES, POPULATION_FLOWS, SCHEMES, WARNINGS
from ..source.diagnostics import InputError
from .areas import MODES
from .metadata import check_attrs, check_texts, refusal, shown
from .schema import CONTRACT, VARIABLES

FIRST_YEAR, LAST_YEAR = 1990, 2200  # a year of results outside these is no forecast
ALL_ACCOUNTS = tuple(a.name for a in ALL_ACCOUNT_CODES)
# the labels fundsim writes on each dimension (the area's and the scenario's are names)
LABELS: dict[str, tuple[str, ...]] = {
    "scheme": SCHEMES,
    "flow": FLOW_NAMES,
    "population_flow": POPULATION_FLOWS,
}
DIMENSIONS = ("scenario", "run", "area", "year", "month", "fund", *LABELS)
INPUT = "input__"  # a drawn input of each run (results.headline)


def check_size(ds: xr.Dataset, where: str) -> None:
    """Refuse results without the contract's variables or larger than a batch can be, from
    their names and dimensions alone (``ds`` may be opened lazily: nothing is loaded)."""
    from ..ensemble.batch import MAX_BATCH_RUNS, MAX_RUNS
    from ..scenario.schema import MAX_AREAS

    for name in CONTRACT:
        if name not in ds:
            raise refusal(where, f"no {name}")
    unknown = [str(d) for d in ds.dims if d not in DIMENSIONS]
    if unknown:
        raise refusal(
            where,
            f"a dimension '{unknown[0]}' fundsim never writes; its dimensions are "
            + ", ".join(DIMENSIONS),
        )
    sizes = {str(d): int(n) for d, n in ds.sizes.items()}
    runs, scenarios = sizes.get("run", 0), sizes.get("scenario", 0)
    if runs > MAX_RUNS or runs * scenarios > MAX_BATCH_RUNS:
        raise refusal(
            where,
            f"{scenarios:,} scenario(s) × {runs:,} runs, more than a batch holds: at most "
            f"{MAX_RUNS:,} runs a scenario and {MAX_BATCH_RUNS:,} in all",
        )
    years = LAST_YEAR - FIRST_YEAR + 1
    bounds = {
        "year": years,
        "month": 12 * years,  # within the years: check_results
        "fund": len(ALL_ACCOUNTS),
        "area": MAX_AREAS + 2,  # and the city's own accounts and its total
        **{dim: len(labels) for dim, labels in LABELS.items()},
    }
    for dim, bound in bounds.items():
        if sizes.get(dim, 0) > bound:
            raise refusal(
                where, f"{sizes[dim]:,} {dim} labels, more than fundsim writes ({bound:,})"
            )


def check_results(ds: xr.Dataset, where: str) -> None:
    """Raise :class:`~fundsim.source.diagnostics.InputError` unless ``ds`` holds results
    fundsim could have written (the module says what is checked), with names that can name
    files."""
    check_size(ds, where)
    city = "area" in ds.dims  # a city's results: the area after the run
    present = [name for name in VARIABLES if name in ds]
    for name in present:
        _check_variable(ds, name, city, where)
    for drawn in [ds[n] for n in ds.data_vars if str(n).startswith(INPUT)]:
        # NaN where a scenario draws no such input
        if drawn.dims != ("scenario", "run") or not np.issubdtype(drawn.dtype, np.floating):
            raise refusal(where, f"{drawn.name} is not a number for each scenario and run")
    used = {str(d) for name in present for d in ds[name].dims}
    empty = [d for d in DIMENSIONS if d in used and ds.sizes[d] == 0]
    if empty:
        raise InputError(f"{where}: the results are empty (no {', '.join(empty)})")
    for dim in sorted(used, key=DIMENSIONS.index):
        _check_coordinate(ds, dim, city, where)
    for name in present:
        _check_values(ds, name, where)
    check_texts(ds, where)
    check_attrs(ds, city, where)
    from .actuals import rows as actual_rows

    actual_rows(ds, where)  # refused when not what fundsim writes


def _check_variable(ds: xr.Dataset, name: str, city: bool, where: str) -> None:
    spec = VARIABLES[name]
    dims = (*spec.dims[:2], "area", *spec.dims[2:]) if city and spec.areal else spec.dims
    if ds[name].dims != dims:
        raise refusal(where, f"{name} has dimensions {ds[name].dims}, not {dims}")
    if not np.issubdtype(ds[name].dtype, np.number):
        raise refusal(where, f"{name} holds {ds[name].dtype}, not numbers")
    if not np.issubdtype(ds[name].dtype, np.floating):  # whole numbers would wrap around
        raise refusal(where, f"{name} holds {ds[name].dtype}, not floating-point numbers")


def _check_coordinate(ds: xr.Dataset, dim: str, city: bool, where: str) -> None:
    from ..places import check_name

    if dim not in ds.indexes:
        raise refusal(where, f"the dimension {dim} has no coordinate (labels)")
    values = ds[dim].values
    index = ds.indexes[dim]
    if not index.is_unique:
        repeated = index[index.duplicated()][0]
        raise refusal(where, f"{dim} {shown(repeated)} appears more than once")
    if dim == "run":
        _check_runs(values, where)
    elif dim == "year":
        _check_years(values, where)
    elif dim == "month":
        _check_months(values, ds["year"].values, where)
    elif dim in ("scenario", "area"):
        for label in values:
            check_name(str(label), dim, where)
    elif dim == "fund":
        funds = ALL_ACCOUNTS if city else ACCOUNTS
        if sorted(map(str, values)) != sorted(funds):
            odd = [str(f) for f in values if str(f) not in ALL_ACCOUNTS]
            if odd:
                raise InputError(
                    f"{where}: unknown fund {odd[0]!r} in the results (funds are: "
                    f"{', '.join(ALL_ACCOUNTS)})"
                )
            raise refusal(
                where, f"fund holds {', '.join(map(str, values))}, not {', '.join(funds)}"
            )
    elif dim in LABELS and sorted(map(str, values)) != sorted(LABELS[dim]):
        odd = [str(v) for v in values if str(v) not in LABELS[dim]]
        what = f"an unknown {dim} {odd[0]!r}" if odd else f"{len(values)} of the {len(LABELS[dim])}"
        raise refusal(where, f"{dim} holds {what}; fundsim writes {', '.join(LABELS[dim])}")


def _check_runs(values: np.ndarray, where: str) -> None:
    from ..ensemble.batch import MAX_RUNS

    if not np.issubdtype(values.dtype, np.integer):
        raise refusal(where, f"run holds {values.dtype}, not whole numbers 0, 1, 2, …")
    if int(values.min()) < 0 or int(values.max()) >= MAX_RUNS:
        raise refusal(
            where,
            f"run {int(values.min()) if values.min() < 0 else int(values.max())} is not a run "
            f"number (runs are numbered 0 to {MAX_RUNS - 1:,})",
        )


def _check_years(values: np.ndarray, where: str) -> None:
    if not np.issubdtype(values.dtype, np.integer):
        raise refusal(where, f"year holds {values.dtype}, not whole years")
    low, high = int(values.min()), int(values.max())
    if low < FIRST_YEAR or high > LAST_YEAR:
        raise refusal(
            where,
            f"year {low if low < FIRST_YEAR else high} is outside {FIRST_YEAR}–{LAST_YEAR}",
        )
    steps = np.diff(values)
    if (steps != 1).any():
        at = int(np.argmax(steps != 1))
        raise refusal(
            where,
            f"year {int(values[at + 1])} follows {int(values[at])}: years run one by one, "
            "oldest first",
        )


def _check_months(values: np.ndarray, years: np.ndarray, where: str) -> None:
    if not np.issubdtype(values.dtype, np.datetime64):
        raise refusal(where, f"month holds {values.dtype}, not dates")
    if np.isnat(values).any():
        raise refusal(where, "month holds a missing date (NaT)")
    if (np.diff(values) <= np.timedelta64(0)).any():
        raise refusal(where, "month is not in order, oldest first")
    first = np.datetime64(f"{int(years[0]):04d}-01-01")
    end = np.datetime64(f"{int(years[-1]) + 1:04d}-01-01")
    if values[0] < first or values[-1] >= end:
        outside = values[0] if values[0] < first else values[-1]
        raise refusal(
            where,
            f"month {str(outside)[:10]} lies outside the years {int(years[0])}–{int(years[-1])}",
        )


def _check_values(ds: xr.Dataset, name: str, where: str) -> None:
    """Each variable's numbers as fundsim writes them."""
    from ..finance.ledger import MAX_FEN

    data = ds[name]
    values = data.values
    bad: np.ndarray
    if name == "reserve_months":  # NaN for a fund that spends nothing in the year
        spent = ds["expenditure"].values > 0
        bad = np.isinf(values) | (np.isnan(values) & spent)
        valid = "finite months, NaN only in a year without spending"
    elif name == "depletion_year":
        years = ds["year"].values
        bad = ~(np.isnan(values) | np.isin(values, years))
        valid = f"one of the years {int(years[0])}–{int(years[-1])}, or NaN when never depleted"
    elif name == "warning_level":
        bad, valid = ~np.isin(values, np.arange(len(WARNINGS))), f"0 to {len(WARNINGS) - 1}"
    elif name == "pooling_mode":
        bad, valid = ~np.isin(values, np.arange(len(MODES))), f"0 to {len(MODES) - 1}"
    elif VARIABLES[name].units == "yuan":  # the ledger holds each account below MAX_FEN
        limit = MAX_FEN / 100
        with np.errstate(invalid="ignore"):
            bad = ~(np.abs(values) <= limit)
        valid = f"finite amounts within ±{limit:.2g} yuan"
    else:
        bad, valid = ~np.isfinite(values), "finite numbers"
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        value = float(values[at])
        raise refusal(
            where, f"{name} is {value:g} at {_position(data, at)}; fundsim writes {valid}"
        )


def _position(data: xr.DataArray, at: tuple[int, ...]) -> str:
    parts = []
    for dim, i in zip(data.dims, at, strict=True):
        label = data[dim].values[i]
        parts.append(f"{dim} {str(label)[:10] if dim == 'month' else shown(label)}")
    return ", ".join(parts)
