"""The chart of a city's reserve: what each area draws from it, and what it holds."""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.axes import Axes

from ..codes import POOLS
from ..results.areas import CITY, TOTAL, area_label, area_names
from ..source.diagnostics import InputError
from .common import QUANTILES, first_scenario, runs_note
from .style import (
    FUND_COLORS,
    Lang,
    chart_style,
    fund_name,
    integer_years,
    money_unit,
    new_axes,
    scenario_titles,
)
from .style import bands as draw_bands
from .text import t

AREA_COLOURS = ("#4c6ef5", "#f76707", "#37b24d", "#ae3ec9", "#1098ad", "#f59f00", "#e64980")


def draws(
    ds: xr.Dataset,
    fund: str = "urrbmi_pool",
    scenario: str | None = None,
    ax: Axes | None = None,
    lang: Lang = "zh",
) -> Axes:
    """The reserve of ``fund``'s pool (a city's results): each area's draws a year (median
    over runs, stacked bars) and the reserve's balance at the year end (bands, median)."""
    names = [a for a in area_names(ds) if a not in (CITY, TOTAL)]
    if not names:
        raise InputError("the draws chart is a city's: these results hold one area")
    pool = next((p for p in POOLS if fund in (p.account, p.reserve)), None)
    if pool is None:
        raise InputError(f"the draws chart shows a pooled fund's reserve, not {fund!r}")
    scenario = first_scenario(ds, scenario)
    with chart_style(lang):
        ax = ax or new_axes(lang)
        d = ds.sel(scenario=scenario)
        balance = d["balance"].sel(area=CITY, fund=pool.reserve)
        flows = d["by_flow"].sel(fund=pool.account, flow="reserve_draws_in")
        unit = money_unit(np.concatenate([balance.values.ravel(), flows.values.ravel()]), lang)
        years = d["year"].values
        bottom = np.zeros(len(years))
        for i, area in enumerate(names):
            drawn = (flows.sel(area=area) / unit.divisor).median("run").values
            if not drawn.any():
                continue  # an area that never draws (in the median run)
            ax.bar(
                years,
                drawn,
                bottom=bottom,
                width=0.6,
                color=AREA_COLOURS[i % len(AREA_COLOURS)],
                alpha=0.85,
                zorder=3,
                label=t("drawn_by", lang, area=area_label(ds, area, lang)),
            )
            bottom += drawn
        q = (balance / unit.divisor).quantile(QUANTILES, dim="run")
        draw_bands(
            ax,
            years,
            q,
            FUND_COLORS.get(pool.reserve, "#404040"),
            lang,
            median_label=t("reserve_balance", lang),
        )
        ax.axhline(0, color="black", lw=0.8)
        title = t("draws_title", lang, fund=fund_name(pool.reserve, lang))
        ax.set_title(title + "\n" + scenario_titles(ds, lang)[scenario])
        ax.set_ylabel(t("money_ylabel", lang, unit=unit.label))
        integer_years(ax)
        ax.legend(loc="upper left", frameon=False, fontsize=7.5, ncols=2)
        ax.grid(axis="y", alpha=0.3)
        ax.text(1.0, -0.16, runs_note(ds, lang), transform=ax.transAxes, ha="right", fontsize=7)
    return ax
