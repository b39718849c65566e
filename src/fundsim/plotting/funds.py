"""The charts of one scenario's funds: fan, income and expenditure, reserve months,
depletion, monthly cash flow."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes

from ..results.summary import depletion_percentile
from ..source.diagnostics import InputError
from .common import (
    QUANTILES,
    RESERVE_ZONES,
    ReserveZones,
    check_dataset,
    first_scenario,
    footnote,
    percent_text,
    policy_marks,
    runs_note,
    year_label,
    year_ranges,
    zero_in_view,
)
from .style import (
    FUND_COLORS,
    FUNDS_SHOWN,
    Lang,
    chart_style,
    fund_name,
    integer_years,
    label,
    money_unit,
    new_axes,
    scenario_titles,
)
from .style import bands as draw_bands
from .text import t


def fan(
    ds: xr.Dataset,
    fund: str = "urrbmi_pool",
    scenario: str | None = None,
    ax: Axes | None = None,
    lang: Lang = "zh",
) -> Axes:
    """Balance of ``fund`` at each year end: 5–95% and 25–75% bands, the median, the zero
    line, and the probability that the fund is depleted by the final year."""
    scenario = first_scenario(ds, scenario)
    check_dataset(ds, scenario, fund)
    with chart_style(lang):
        ax = ax or new_axes(lang)
        balance = ds["balance"].sel(scenario=scenario, fund=fund)
        unit = money_unit(balance, lang)
        q = (balance / unit.divisor).quantile(QUANTILES, dim="run")
        years = ds["year"].values
        draw_bands(ax, years, q, FUND_COLORS.get(fund, "#1f77b4"), lang)
        _actuals(ax, ds, fund, "balance", unit.divisor, "black", t("actual", lang))
        ax.axhline(0, color="black", lw=0.8)
        last = int(years[-1])
        p = float(ds.fundsim.prob_depleted().sel(scenario=scenario, fund=fund, year=last))
        ax.text(
            0.01,
            0.02,
            f"{t('fan_note', lang, year=last, p=percent_text(p))}（{runs_note(ds, lang)}）"
            if lang == "zh"
            else f"{t('fan_note', lang, year=last, p=percent_text(p))} ({runs_note(ds, lang)})",
            transform=ax.transAxes,
            fontsize=7.5,
            va="bottom",
            zorder=5,  # over the zero line and the bands: no line runs through the note
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.9, "pad": 1.5},
        )
        titles = scenario_titles(ds, lang)
        ax.set_title(t("fan_title", lang, fund=fund_name(fund, lang)) + "\n" + titles[scenario])
        ax.set_xlabel(year_label(ds, lang))
        ax.set_ylabel(label(ds, "balance", lang, unit.label))
        integer_years(ax)
        footnote(ax, [policy_marks(ax, ds, [scenario], lang, fund=fund)], lang)
        ax.legend(loc="upper left", frameon=False, ncols=3)
        ax.grid(axis="y", alpha=0.3)
    return ax


def _actuals(
    ax: Axes, ds: xr.Dataset, fund: str, indicator: str, divisor: float, color: str, name: str
) -> None:
    """The region's published figures of ``fund``'s ``indicator`` (the results' actuals), as
    open markers beside the forecast: the years before it, and any it overlaps."""
    from ..results.actuals import series

    points = series(ds, fund, indicator)
    if points:
        x, y = zip(*points, strict=True)
        ax.plot(
            x, [v / divisor for v in y], ls=":", lw=0.9, marker="D", ms=3.5, mfc="white",
            color=color, label=name, zorder=4,
        )  # fmt: skip


def income_expenditure(
    ds: xr.Dataset,
    fund: str = "urrbmi_pool",
    scenario: str | None = None,
    ax: Axes | None = None,
    lang: Lang = "zh",
) -> Axes:
    """Yearly income and expenditure of ``fund`` (当期收支): medians with 25–75% bands; the
    years where the median expenditure exceeds the median income are noted."""
    scenario = first_scenario(ds, scenario)
    check_dataset(ds, scenario, fund)
    with chart_style(lang):
        ax = ax or new_axes(lang)
        income = ds["income"].sel(scenario=scenario, fund=fund)
        spent = ds["expenditure"].sel(scenario=scenario, fund=fund)
        unit = money_unit(xr.concat([income, spent], "kind"), lang)
        years = ds["year"].values
        medians = {}
        for name, values, color in (
            ("income", income, "#2b8a3e"),
            ("expenditure", spent, "#c92a2a"),
        ):
            q = (values / unit.divisor).quantile(QUANTILES, dim="run")
            # where the two bands overlap their colours mix: each band's edges, in its colour,
            # show where it runs
            ax.fill_between(
                years, q.sel(quantile=0.25), q.sel(quantile=0.75), color=color, alpha=0.25, lw=0
            )
            for edge in (0.25, 0.75):
                ax.plot(years, q.sel(quantile=edge), color=color, lw=0.6, ls="--", alpha=0.8)
            ax.plot(
                years,
                q.sel(quantile=0.5),
                color=color,
                lw=1.8,
                marker="o",
                ms=3,
                label=label(ds, name, lang).split("（")[0].split(" [")[0],
            )
            medians[name] = q.sel(quantile=0.5).values
            what = label(ds, name, lang).split("（")[0].split(" [")[0]
            _actuals(ax, ds, fund, name, unit.divisor, color, t("actual_series", lang, what=what))
        short = [
            int(y)
            for y, i, e in zip(years, medians["income"], medians["expenditure"], strict=True)
            if e > i
        ]
        zero_in_view(ax)  # money from zero: the gap between the lines is read against the whole
        titles = scenario_titles(ds, lang)
        ax.set_title(t("ie_title", lang, fund=fund_name(fund, lang)) + "\n" + titles[scenario])
        ax.set_xlabel(year_label(ds, lang))
        ax.set_ylabel(t("ie_ylabel", lang, unit=unit.label))
        integer_years(ax)
        surplus = t("surplus_note", lang, years=year_ranges(short, lang) or t("none", lang))
        footnote(ax, [surplus, policy_marks(ax, ds, [scenario], lang, fund=fund)], lang)
        ax.legend(loc="upper left", frameon=False, title=t("band_inner", lang), title_fontsize=7.5)
        ax.grid(axis="y", alpha=0.3)
    return ax


def reserve(
    ds: xr.Dataset,
    fund: str = "urrbmi_pool",
    scenario: str | None = None,
    ax: Axes | None = None,
    lang: Lang = "zh",
    zones: ReserveZones = RESERVE_ZONES,
) -> Axes:
    """Reserve months (可支付月数) of ``fund``: bands and median over the zones of
    :class:`ReserveZones` (short, target, excessive)."""
    scenario = first_scenario(ds, scenario)
    check_dataset(ds, scenario, fund)
    months = ds["reserve_months"].sel(scenario=scenario, fund=fund)
    if bool(months.isnull().all()):  # NaN where a year has no spending to count months of
        raise InputError(
            f"no reserve months to draw: the fund {fund} spends nothing in any year of "
            f"{scenario} (reserve months are the balance over a month's spending); "
            "choose another --fund, or draw its balance with --kind fan"
        )
    with chart_style(lang):
        ax = ax or new_axes(lang)
        q = months.quantile(QUANTILES, dim="run")
        years = ds["year"].values
        low = min(float(q.sel(quantile=0.05).min()), 0.0) - 1
        high = max(float(q.sel(quantile=0.95).max()), zones.excessive + 3)
        high = min(high, max(3 * zones.excessive, float(q.sel(quantile=0.75).max()) + 3))
        # the zones as a strip along the right edge and dotted bounds across: filled zones
        # under the bands would change the bands' colours from their legend's
        for (bottom, top), colour, name in (
            ((low, zones.short), "#e03131", "zone_short"),
            (zones.target, "#2f9e44", "zone_target"),
            ((zones.excessive, high), "#f08c00", "zone_excess"),
        ):
            ax.axhspan(bottom, top, xmin=0.985, xmax=1.0, color=colour, alpha=0.5, lw=0,
                       label=t(name, lang))  # fmt: skip
            for bound in (bottom, top):
                if low < bound < high:
                    ax.axhline(bound, color=colour, lw=0.6, ls=":", alpha=0.8)
        draw_bands(ax, years, q, FUND_COLORS.get(fund, "#1f77b4"), lang)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylim(low, high)
        titles = scenario_titles(ds, lang)
        ax.set_title(t("reserve_title", lang, fund=fund_name(fund, lang)) + "\n" + titles[scenario])
        ax.set_xlabel(year_label(ds, lang))
        ax.set_ylabel(label(ds, "reserve_months", lang))
        integer_years(ax)
        top = float(q.sel(quantile=0.95).max())
        clipped = t("clipped", lang, value=top) if top > high else ""
        notes = [clipped, t("zone_source", lang), policy_marks(ax, ds, [scenario], lang, fund=fund)]
        footnote(ax, notes, lang, width=55 if lang == "zh" else 95)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        ax.grid(axis="y", alpha=0.3)
    return ax


def depletion(
    ds: xr.Dataset,
    scenario: str | None = None,
    funds: Sequence[str] | None = None,
    ax: Axes | None = None,
    lang: Lang = "zh",
) -> Axes:
    """Probability that each fund is depleted (balance below zero at some year end) by each
    year, with its depletion-year percentiles (10, 50, 90) in the legend."""
    scenario = first_scenario(ds, scenario)
    check_dataset(ds, scenario)
    with chart_style(lang):
        ax = ax or new_axes(lang)
        p = ds.fundsim.prob_depleted().sel(scenario=scenario)
        years = ds["year"].values
        last = int(years[-1])
        shown = (
            list(funds)
            if funds is not None
            else [
                str(f)
                for f in ds["fund"].values
                if str(f) in FUNDS_SHOWN or float(p.sel(fund=f).max()) > 0
            ]
        )
        for fund in shown:
            check_dataset(ds, fund=fund)
            first = ds["depletion_year"].sel(scenario=scenario, fund=fund).values
            marks = []
            for pct in (10, 50, 90):
                year = depletion_percentile(first, pct)
                marks.append(
                    f"P{pct} " + (t("after", lang, year=last) if np.isinf(year) else str(int(year)))
                )
            ax.step(
                years,
                p.sel(fund=fund).values,
                where="post",
                color=FUND_COLORS.get(fund, "#333333"),
                lw=1.8,
                label=f"{fund_name(fund, lang)}：" + "，".join(marks)
                if lang == "zh"
                else f"{fund_name(fund, lang)}: " + ", ".join(marks),
            )
        ax.set_ylim(-0.02, 1.02)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        titles = scenario_titles(ds, lang)
        ax.set_title(t("depletion_title", lang) + "\n" + titles[scenario])
        ax.set_xlabel(year_label(ds, lang))
        ax.set_ylabel(t("depletion_ylabel", lang))
        integer_years(ax)
        footnote(ax, [policy_marks(ax, ds, [scenario], lang)], lang)  # every fund's
        ax.legend(
            loc="upper left", frameon=False, title=t("percentiles_head", lang), title_fontsize=7.5
        )
        ax.grid(alpha=0.3)
    return ax


def cashflow(
    ds: xr.Dataset,
    fund: str = "urrbmi_pool",
    scenario: str | None = None,
    years: int = 3,
    ax: Axes | None = None,
    lang: Lang = "zh",
) -> Axes:
    """Cash balance of ``fund`` at each month end over the first ``years`` years: bands and
    median; for the URRBMI fund, whose premiums arrive in the campaign, the campaign window
    shaded (claims are paid every month, after the settlement lag)."""
    scenario = first_scenario(ds, scenario)
    check_dataset(ds, scenario, fund)
    with chart_style(lang):
        ax = ax or new_axes(lang)
        months = pd.DatetimeIndex(ds["month"].values)
        first = int(months[0].year)
        last = min(first + years - 1, int(months[-1].year))
        keep = months.year <= last
        cash = ds["cash_balance"].sel(scenario=scenario, fund=fund).isel(month=np.flatnonzero(keep))
        unit = money_unit(cash, lang)
        q = (cash / unit.divisor).quantile(QUANTILES, dim="run")
        x = months[keep].to_period("M").to_timestamp(how="end").to_numpy()  # month ends
        draw_bands(ax, x, q, FUND_COLORS.get(fund, "#1f77b4"), lang)
        window = _campaign(ds, scenario) if fund == "urrbmi_pool" else None
        if window is not None:  # only the residents' fund collects in a campaign
            start, end = window
            for y in range(first, last + 1):
                ax.axvspan(
                    mdates.date2num(np.datetime64(f"{y}-{start}")),
                    mdates.date2num(np.datetime64(f"{y}-{end}")) + 1,
                    color="#fab005",
                    alpha=0.12,
                    lw=0,
                    label=f"{t('campaign', lang)}（{start}—{end}）"
                    if y == first and lang == "zh"
                    else (f"{t('campaign', lang)} ({start} to {end})" if y == first else None),
                )
        ax.axhline(0, color="black", lw=0.8)
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y年%-m月" if lang == "zh" else "%b %Y"))
        titles = scenario_titles(ds, lang)
        name = ds["cash_balance"].attrs.get("long_name_zh" if lang == "zh" else "long_name", "")
        ax.set_title(
            t("cashflow_title", lang, fund=fund_name(fund, lang), name=name, first=first, last=last)
            + "\n"
            + titles[scenario]
        )
        month_attrs = ds["month"].attrs
        ax.set_xlabel(
            str(month_attrs.get("long_name_zh" if lang == "zh" else "long_name", t("month", lang)))
        )
        ax.set_ylabel(label(ds, "cash_balance", lang, unit.label))
        notes = [
            _reimbursed(ds, scenario, lang),
            policy_marks(ax, ds, [scenario], lang, True, fund),
        ]
        footnote(ax, notes, lang)
        ax.legend(loc="upper left", frameon=False, ncols=2)
        ax.grid(axis="y", alpha=0.3)
    return ax


def _reimbursed(ds: xr.Dataset, scenario: str, lang: Lang) -> str:
    """What share of out-of-area stays the fund pays late (the patient files to be
    reimbursed), from the batch's ``scenario_out_of_area``; "" when all are settled directly."""
    if "scenario_out_of_area" not in ds.coords:
        return ""
    direct, _, lag = str(ds["scenario_out_of_area"].sel(scenario=scenario).values).partition("/")
    try:
        late, months = 1 - float(direct), float(lag)
    except ValueError:
        return ""
    return t("reimbursed", lang, share=percent_text(late), months=f"{months:g}") if late > 0 else ""


def _campaign(ds: xr.Dataset, scenario: str) -> tuple[str, str] | None:
    """The URRBMI premium campaign's first and last day (MM-DD) as the batch stored them."""
    if "scenario_campaign" not in ds.coords:
        return None
    start, _, end = str(ds["scenario_campaign"].sel(scenario=scenario).values).partition("/")
    return (start, end) if start and end else None


def warnings(
    ds: xr.Dataset,
    fund: str = "urrbmi_pool",
    scenario: str | None = None,
    ax: Axes | None = None,
    lang: Lang = "zh",
) -> Axes:
    """The probability of each early-warning level by year (the share of runs at it: yellow,
    orange, red stacked), with the indicators' thresholds in the note."""
    from ..codes import POOL_ACCOUNTS, WARNING_CODES, WARNING_COLOURS
    from ..results.early_warning import probabilities

    scenario = first_scenario(ds, scenario)
    check_dataset(ds, scenario, fund)
    if fund not in POOL_ACCOUNTS:  # its levels are 0 by design: a chart of no warnings misleads
        pooled = [str(f) for f in ds["fund"].values if f in POOL_ACCOUNTS]
        raise InputError(
            f"no early warnings to draw for the fund {fund}: warnings are given for the pooled "
            f"funds only ({', '.join(pooled) or 'none in these results'}); choose one with "
            "--fund (预警只针对统筹基金)"
        )
    if "warning_level" not in ds:
        raise InputError(
            "these results hold no early-warning levels (made before fundsim 0.1's warnings): run them again"
        )
    with chart_style(lang):
        ax = ax or new_axes(lang)
        p = probabilities(ds["warning_level"].sel(scenario=scenario, fund=fund))
        years = ds["year"].values
        bottom = np.zeros(len(years))
        for code in WARNING_CODES[1:]:
            share = p.sel(level=code.name).values
            ax.bar(
                years, share, bottom=bottom, color=WARNING_COLOURS[code.name], width=0.8,
                label=code.zh if lang == "zh" else code.en,
            )  # fmt: skip
            bottom = bottom + share
        ax.set_ylim(0, 1.0)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        titles = scenario_titles(ds, lang)
        ax.set_title(
            t("warnings_title", lang, fund=fund_name(fund, lang)) + "\n" + titles[scenario]
        )
        ax.set_xlabel(year_label(ds, lang))
        ax.set_ylabel(t("warnings_ylabel", lang))
        integer_years(ax)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        note = t("warnings_note", lang, runs=ds.sizes["run"])
        marks = policy_marks(ax, ds, [scenario], lang, fund=fund)
        footnote(ax, [note, marks], lang, width=60 if lang == "zh" else 110)
        ax.grid(alpha=0.3, axis="y")
    return ax
