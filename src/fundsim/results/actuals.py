"""The region's actuals in a results file: the first scenario's published money figures
(its history: year, fund, indicator, value), kept in the ``history`` attribute as JSON so that
every chart of a region with history draws them beside the forecast."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import xarray as xr

from ..source.diagnostics import InputError

ATTR = "history"
DRAWN = ("income", "expenditure", "balance")
YEARS = (1990, 2200)


def encode(rows: Iterable[tuple[int, str, str, float]]) -> str:
    """The attribute's text for ``rows`` (only the money figures are kept)."""
    kept = [[int(y), f, i, float(v)] for y, f, i, v in rows if i in DRAWN and math.isfinite(v)]
    return json.dumps(sorted(kept), ensure_ascii=False)


def rows(ds: xr.Dataset, where: str = "the results") -> list[tuple[int, str, str, float]]:
    """Every actual of ``ds`` ([] when it has none); :class:`InputError` when the attribute is
    not what fundsim writes (a results file is input like any other)."""
    text = ds.attrs.get(ATTR)
    if text is None:
        return []
    try:
        data: Any = json.loads(str(text))
        assert isinstance(data, list) and len(data) <= 10_000
        out = []
        for row in data:
            assert isinstance(row, list) and len(row) == 4
            year, fund, indicator, value = row
            assert isinstance(year, int) and YEARS[0] <= year <= YEARS[1]
            assert isinstance(fund, str) and len(fund) <= 40 and fund.isascii()
            assert isinstance(indicator, str) and indicator in DRAWN
            assert isinstance(value, (int, float)) and math.isfinite(float(value))
            out.append((year, fund, indicator, float(value)))
        return out
    except (ValueError, AssertionError):
        raise InputError(
            f"{where}: the attribute {ATTR} is not fundsim's actuals (a JSON list of [year, fund, "
            "income|expenditure|balance, value])"
        ) from None


def series(ds: xr.Dataset, fund: str, indicator: str) -> Sequence[tuple[int, float]]:
    """The actuals of one account's series, by year (the account's own history fund)."""
    return sorted((y, v) for y, f, i, v in rows(ds) if f == fund and i == indicator)
