"""What the standard charts share: bands, reserve zones, checks and notes."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.dates as mdates
import numpy as np
import xarray as xr
from matplotlib.axes import Axes

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


def zero_in_view(ax: Axes) -> None:
    """Money axes start from zero: widen the y limits to include it."""
    low, high = ax.get_ylim()
    if low > 0 or high < 0:
        ax.set_ylim(*((0.0, high) if low > 0 else (low, 0.0)))


def footnote(ax: Axes, parts: Sequence[str], lang: Lang, width: int | None = None) -> None:
    """Notes under the axes and their label, at the left, wrapped to the chart's width."""
    shown = [p for p in parts if p]
    if not shown:
        return
    sep = "；" if lang == "zh" else "; "
    text = textwrap.fill(sep.join(shown), width or (70 if lang == "zh" else 125))
    ax.annotate(
        text,
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, -30),
        textcoords="offset points",
        va="top",
        ha="left",
        fontsize=6.5,
        color="#555555",
        annotation_clip=False,
    )


def _event_x(date: dt.date, monthly: bool) -> float:
    """Where a change on ``date`` sits: on a monthly axis the day itself; on a yearly axis (a
    point per year: its flows, its year-end balance) the fraction of the way from the year
    before's point (2023-01-01 at 2022.5, between the points of 2022 and 2023)."""
    if monthly:
        return float(mdates.date2num(np.datetime64(date.isoformat())))
    days = (dt.date(date.year + 1, 1, 1) - dt.date(date.year, 1, 1)).days
    return date.year - 0.5 + (date.timetuple().tm_yday - 1) / days


CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"


def policy_marks(
    ax: Axes,
    ds: xr.Dataset,
    scenarios: Sequence[str],
    lang: Lang,
    monthly: bool = False,
    fund: str | None = None,
) -> str:
    """Mark the dated policy changes of ``scenarios`` (``scenario_events``, written by the
    batch) on the time axis: a dotted line and a circled number above the axes at each (only
    the changes of ``fund``'s pool, when one is given); returns the key ("政策节点：①…") for
    the chart's note, "" when there is none."""
    from ..codes import POOLS
    from ..scenario.events import from_json

    if "scenario_events" not in ds.coords:
        return ""
    pool = next(
        (p.name for p in POOLS if fund in (p.account, p.reserve)),
        "urrbmi" if fund == "critical_illness" else None,
    )
    found: dict[dt.date, list[str]] = {}
    for name in scenarios:
        text = str(ds["scenario_events"].sel(scenario=name).values)
        for event in from_json(text):
            if pool is not None and pool not in event.pools:
                continue
            label = event.zh if lang == "zh" else event.en
            names = found.setdefault(event.date, [])
            if label not in names:
                names.append(label)
    low, high = ax.get_xlim()
    keys: list[str] = []
    for date in sorted(found):
        x = _event_x(date, monthly)
        if not low <= x <= high:
            continue
        n = len(keys)
        number = CIRCLED[n] if n < len(CIRCLED) else f"({n + 1})"
        ax.axvline(x, color="#868e96", lw=0.8, ls=(0, (2, 2)), zorder=1)
        ax.annotate(
            number,
            xy=(x, 1.0),
            xycoords=ax.get_xaxis_transform(),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
            color="#343a40",
            annotation_clip=False,
        )
        when = t("month_of", lang, year=date.year, month=date.month, date=date)
        keys.append(f"{number}{when} " + ("、" if lang == "zh" else "; ").join(found[date]))
    ax.set_xlim(low, high)
    if not keys:
        return ""
    ax.set_title(ax.get_title(), pad=14)  # room for the circles above the axes
    sep = "，" if lang == "zh" else ", "
    return t("policy_marks", lang, marks=sep.join(keys))
