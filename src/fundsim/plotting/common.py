"""What the standard charts share: bands, reserve zones, checks and notes."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import xarray as xr

from ..source.diagnostics import InputError
from .style import (
    Lang,
)
from .text import t

QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95]


@dataclass(frozen=True)
class ReserveZones:
    """Reserve adequacy in months of expenditure, as the national guidance commonly cited
    (人社部发〔2009〕67号, see DOMAIN.md) puts it: below ``short`` insufficient, ``target``
    the reasonable range, above ``excessive`` too much kept back."""

    short: float = 3.0
    target: tuple[float, float] = (6.0, 9.0)
    excessive: float = 15.0


RESERVE_ZONES = ReserveZones()


def first_scenario(ds: xr.Dataset, scenario: str | None) -> str:
    return str(ds["scenario"].values[0]) if scenario is None else scenario


def check_dataset(ds: xr.Dataset, scenario: str | None = None, fund: str | None = None) -> None:
    if scenario is not None and scenario not in ds["scenario"].values:
        names = ", ".join(map(str, ds["scenario"].values))
        raise InputError(f"no scenario {scenario!r} in these results; they have: {names}")
    if fund is not None and fund not in ds["fund"].values:
        raise InputError(
            f"no fund {fund!r} in these results; they have: {', '.join(map(str, ds['fund'].values))}"
        )


def runs_note(ds: xr.Dataset, lang: Lang) -> str:
    return t("runs", lang, runs=ds.sizes["run"])


def year_label(ds: xr.Dataset, lang: Lang) -> str:
    attrs = ds["year"].attrs
    return str(attrs.get("long_name_zh" if lang == "zh" else "long_name", t("year", lang)))


def year_ranges(years: Sequence[int], lang: Lang) -> str:
    """2025, 2026, 2027, 2030 → "2025–2027, 2030" (Chinese: "2025–2027年、2030年")."""
    runs: list[list[int]] = []
    for y in years:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    parts = [f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs]
    return "、".join(f"{p}年" for p in parts) if lang == "zh" else ", ".join(parts)


def wrapped(text: str, width: int = 32) -> str:
    """A legend entry on lines of at most ``width`` characters (English; Chinese titles are
    short and have no spaces to break at)."""
    return textwrap.fill(text, width) if " " in text else text


def percent_text(p: float) -> str:
    return f"{p:.0%}" if p >= 0.01 or p == 0 else "<1%"
