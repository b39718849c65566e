"""The standard charts. Each takes a results Dataset and an optional Axes and returns the Axes.

======================  =======================================================================
kind                    function
======================  =======================================================================
``fan``                 :func:`fan`: balance bands, median, zero line, P(depleted) by the end
``income-expenditure``  :func:`income_expenditure`: yearly income vs expenditure (当期收支)
``reserve``             :func:`reserve`: reserve months (可支付月数) with the official zones
``depletion``           :func:`depletion`: P(depleted by year) per fund, depletion percentiles
``compare``             :func:`compare` (scenarios' medians and bands) and :func:`difference`
                        (paired differences from the baseline)
``waterfall``           :func:`waterfall`: each lever's contribution along a chain of scenarios
``cashflow``            :func:`cashflow`: monthly cash balance, fourth-quarter premiums
======================  =======================================================================

Titles and axis labels come from the variables' attrs (``long_name``/``long_name_zh``,
``units``) and :mod:`fundsim.plotting.text`. Bands are over runs: 5–95% and 25–75%.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes

from ..results.summary import depletion_percentile
from ..source.diagnostics import InputError
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
    scenario_colors,
    scenario_titles,
)
from .style import bands as draw_bands
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


def _first(ds: xr.Dataset, scenario: str | None) -> str:
    return str(ds["scenario"].values[0]) if scenario is None else scenario


def _check(ds: xr.Dataset, scenario: str | None = None, fund: str | None = None) -> None:
    if scenario is not None and scenario not in ds["scenario"].values:
        names = ", ".join(map(str, ds["scenario"].values))
        raise InputError(f"no scenario {scenario!r} in these results; they have: {names}")
    if fund is not None and fund not in ds["fund"].values:
        raise InputError(
            f"no fund {fund!r} in these results; they have: {', '.join(map(str, ds['fund'].values))}"
        )


def _runs_note(ds: xr.Dataset, lang: Lang) -> str:
    return t("runs", lang, runs=ds.sizes["run"])


def _year_label(ds: xr.Dataset, lang: Lang) -> str:
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


def _wrap(text: str, width: int = 32) -> str:
    """A legend entry on lines of at most ``width`` characters (English; Chinese titles are
    short and have no spaces to break at)."""
    return textwrap.fill(text, width) if " " in text else text


def _percent(p: float) -> str:
    return f"{p:.0%}" if p >= 0.01 or p == 0 else "<1%"


def fan(
    ds: xr.Dataset,
    fund: str = "urrbmi_pool",
    scenario: str | None = None,
    ax: Axes | None = None,
    lang: Lang = "zh",
) -> Axes:
    """Balance of ``fund`` at each year end: 5–95% and 25–75% bands, the median, the zero
    line, and the probability that the fund is depleted by the final year."""
    scenario = _first(ds, scenario)
    _check(ds, scenario, fund)
    with chart_style(lang):
        ax = ax or new_axes(lang)
        balance = ds["balance"].sel(scenario=scenario, fund=fund)
        unit = money_unit(balance, lang)
        q = (balance / unit.divisor).quantile(QUANTILES, dim="run")
        years = ds["year"].values
        draw_bands(ax, years, q, FUND_COLORS.get(fund, "#1f77b4"), lang)
        ax.axhline(0, color="black", lw=0.8)
        last = int(years[-1])
        p = float(ds.fundsim.prob_depleted().sel(scenario=scenario, fund=fund, year=last))
        ax.text(
            0.01,
            0.02,
            f"{t('fan_note', lang, year=last, p=_percent(p))}（{_runs_note(ds, lang)}）"
            if lang == "zh"
            else f"{t('fan_note', lang, year=last, p=_percent(p))} ({_runs_note(ds, lang)})",
            transform=ax.transAxes,
            fontsize=7.5,
            va="bottom",
        )
        titles = scenario_titles(ds, lang)
        ax.set_title(t("fan_title", lang, fund=fund_name(fund, lang)) + "\n" + titles[scenario])
        ax.set_xlabel(_year_label(ds, lang))
        ax.set_ylabel(label(ds, "balance", lang, unit.label))
        integer_years(ax)
        ax.legend(loc="upper left", frameon=False, ncols=3)
        ax.grid(axis="y", alpha=0.3)
    return ax


def income_expenditure(
    ds: xr.Dataset,
    fund: str = "urrbmi_pool",
    scenario: str | None = None,
    ax: Axes | None = None,
    lang: Lang = "zh",
) -> Axes:
    """Yearly income and expenditure of ``fund`` (当期收支): medians with 25–75% bands; the
    years where the median expenditure exceeds the median income are noted."""
    scenario = _first(ds, scenario)
    _check(ds, scenario, fund)
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
            ax.fill_between(
                years, q.sel(quantile=0.25), q.sel(quantile=0.75), color=color, alpha=0.25, lw=0
            )
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
        short = [
            int(y)
            for y, i, e in zip(years, medians["income"], medians["expenditure"], strict=True)
            if e > i
        ]
        ax.text(
            0.01,
            0.02,
            t(
                "surplus_note",
                lang,
                years=year_ranges(short, lang) or t("none", lang),
            ),
            transform=ax.transAxes,
            fontsize=7.5,
            va="bottom",
        )
        titles = scenario_titles(ds, lang)
        ax.set_title(t("ie_title", lang, fund=fund_name(fund, lang)) + "\n" + titles[scenario])
        ax.set_xlabel(_year_label(ds, lang))
        ax.set_ylabel(t("ie_ylabel", lang, unit=unit.label))
        integer_years(ax)
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
    scenario = _first(ds, scenario)
    _check(ds, scenario, fund)
    with chart_style(lang):
        ax = ax or new_axes(lang)
        months = ds["reserve_months"].sel(scenario=scenario, fund=fund)
        q = months.quantile(QUANTILES, dim="run")
        years = ds["year"].values
        low = min(float(q.sel(quantile=0.05).min()), 0.0) - 1
        high = max(float(q.sel(quantile=0.95).max()), zones.excessive + 3)
        high = min(high, max(3 * zones.excessive, float(q.sel(quantile=0.75).max()) + 3))
        ax.axhspan(low, zones.short, color="#e03131", alpha=0.10, lw=0, label=t("zone_short", lang))
        ax.axhspan(*zones.target, color="#2f9e44", alpha=0.14, lw=0, label=t("zone_target", lang))
        ax.axhspan(
            zones.excessive, high, color="#f08c00", alpha=0.10, lw=0, label=t("zone_excess", lang)
        )
        draw_bands(ax, years, q, FUND_COLORS.get(fund, "#1f77b4"), lang)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylim(low, high)
        titles = scenario_titles(ds, lang)
        ax.set_title(t("reserve_title", lang, fund=fund_name(fund, lang)) + "\n" + titles[scenario])
        ax.set_xlabel(_year_label(ds, lang))
        ax.set_ylabel(label(ds, "reserve_months", lang))
        ax.text(
            1.0,
            -0.16,
            t("zone_source", lang),
            transform=ax.transAxes,
            fontsize=6.5,
            ha="right",
            va="top",
            color="#555555",
        )
        integer_years(ax)
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
    scenario = _first(ds, scenario)
    _check(ds, scenario)
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
            _check(ds, fund=fund)
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
        ax.set_xlabel(_year_label(ds, lang))
        ax.set_ylabel(t("depletion_ylabel", lang))
        integer_years(ax)
        ax.legend(
            loc="upper left", frameon=False, title=t("percentiles_head", lang), title_fontsize=7.5
        )
        ax.grid(alpha=0.3)
    return ax


def _scenario_bands(
    ds: xr.Dataset,
    ax: Axes,
    q: xr.DataArray,
    names: Sequence[str],
    band: tuple[float, float],
    lang: Lang,
) -> None:
    """Each scenario's band (quantiles ``band``) and median, in its colour."""
    colors, titles = scenario_colors(ds), scenario_titles(ds, lang)
    years = ds["year"].values
    for name in names:
        qs = q.sel(scenario=name)
        low, high = qs.sel(quantile=band[0]), qs.sel(quantile=band[1])
        ax.fill_between(years, low, high, color=colors[name], alpha=0.14, lw=0)
        median = qs.sel(quantile=0.5)
        ax.plot(years, median, color=colors[name], lw=1.8, label=_wrap(titles[name]))


def _legend_below(ax: Axes, lang: Lang, band: str) -> None:
    """The scenarios' legend under the axes, titled with what the lines and bands are."""
    sep = "，" if lang == "zh" else ", "
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncols=3 if lang == "zh" else 2,
        frameon=False,
        title=f"{t('median', lang)}{sep}{t(band, lang)}",
        title_fontsize=7.5,
    )


def compare(
    ds: xr.Dataset,
    fund: str = "urrbmi_pool",
    scenarios: Sequence[str] | None = None,
    ax: Axes | None = None,
    lang: Lang = "zh",
) -> Axes:
    """Balance of ``fund`` in several scenarios: each one's median and 25–75% band."""
    _check(ds, fund=fund)
    names = list(scenarios) if scenarios is not None else [str(s) for s in ds["scenario"].values]
    with chart_style(lang):
        ax = ax or new_axes(lang)
        balance = ds["balance"].sel(fund=fund, scenario=names)
        unit = money_unit(balance.quantile([0.25, 0.75], dim="run"), lang)
        q = (balance / unit.divisor).quantile(QUANTILES, dim="run")
        _scenario_bands(ds, ax, q, names, (0.25, 0.75), lang)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(t("compare_title", lang, fund=fund_name(fund, lang)))
        ax.set_xlabel(_year_label(ds, lang))
        ax.set_ylabel(label(ds, "balance", lang, unit.label))
        integer_years(ax)
        _legend_below(ax, lang, "band_inner")
        ax.grid(axis="y", alpha=0.3)
    return ax


def difference(
    ds: xr.Dataset,
    fund: str = "urrbmi_pool",
    baseline: str | None = None,
    ax: Axes | None = None,
    lang: Lang = "zh",
) -> Axes:
    """Paired difference of each scenario's balance from the baseline's (run by run, common
    random numbers): median and 5–95% band."""
    baseline = _first(ds, baseline)
    _check(ds, baseline, fund)
    others = [str(s) for s in ds["scenario"].values if str(s) != baseline]
    with chart_style(lang):
        ax = ax or new_axes(lang)
        balance = ds["balance"].sel(fund=fund)
        diff = balance.sel(scenario=others) - balance.sel(scenario=baseline)
        unit = money_unit(diff.quantile([0.05, 0.95], dim="run"), lang)
        q = (diff / unit.divisor).quantile(QUANTILES, dim="run")
        _scenario_bands(ds, ax, q, others, (0.05, 0.95), lang)
        colors, titles = scenario_colors(ds), scenario_titles(ds, lang)
        ax.axhline(0, color=colors[baseline], lw=1.0)
        titles_b = titles[baseline]
        ax.set_title(t("difference_title", lang, baseline=titles_b))
        ax.set_xlabel(_year_label(ds, lang))
        ax.set_ylabel(t("difference_ylabel", lang, unit=unit.label))
        integer_years(ax)
        _legend_below(ax, lang, "band_outer")
        ax.grid(axis="y", alpha=0.3)
    return ax


def _levers(ds: xr.Dataset) -> dict[str, frozenset[str]] | None:
    if "scenario_levers" not in ds.coords:
        return None
    names = [str(s) for s in ds["scenario"].values]
    return {
        n: frozenset(x for x in str(v).split("|") if x)
        for n, v in zip(names, ds["scenario_levers"].values, strict=True)
    }


def lever_chain(ds: xr.Dataset) -> list[str]:
    """The longest chain of scenarios, from the first, in which each adds policy levers to
    the one before (its ``policy`` files include all of the previous one's): baseline →
    +DRG → +procurement → +benefit raise.

    Needs the ``scenario_levers`` coordinate a batch writes; without it, the scenarios in
    their order."""
    names = [str(s) for s in ds["scenario"].values]
    levers = _levers(ds)
    if levers is None:
        return names
    best: list[str] = [names[0]]

    def extend(chain: list[str]) -> None:
        nonlocal best
        if len(chain) > len(best):
            best = chain
        for n in names:
            if n not in chain and levers[chain[-1]] < levers[n]:
                extend([*chain, n])

    extend([names[0]])
    return best


def _step_name(ds: xr.Dataset, before: str, after: str, lang: Lang) -> str:
    """What ``after`` adds to ``before``: the titles of the scenarios that are exactly the
    added levers, else the added files' names, else ``after``'s title."""
    titles = scenario_titles(ds, lang)
    levers = _levers(ds)
    if levers is not None:
        added = levers[after] - levers[before]
        single = {next(iter(v)): n for n, v in levers.items() if len(v) == 1}
        if added:
            return "+" + "+".join(
                titles[single[f]] if f in single else f.removesuffix(".yaml") for f in sorted(added)
            )
    return "+" + titles[after]


def waterfall(
    ds: xr.Dataset,
    fund: str = "urrbmi_pool",
    year: int | None = None,
    chain: Sequence[str] | None = None,
    ax: Axes | None = None,
    lang: Lang = "zh",
) -> Axes:
    """The contribution of each policy lever to ``fund``'s balance at the end of ``year``,
    along a chain of scenarios (each adds one lever to the one before): the first
    scenario's mean balance, each step's mean paired difference (5–95% as error bars), and
    the last scenario's. Means add up exactly; the order of the chain matters."""
    _check(ds, fund=fund)
    chain = list(chain) if chain is not None else lever_chain(ds)
    for name in chain:
        _check(ds, name)
    if len(chain) < 2:
        raise InputError("a waterfall needs a chain of at least two scenarios")
    year = int(ds["year"].values[-1]) if year is None else year
    if year not in ds["year"].values:
        raise InputError(
            f"no year {year} in these results ({int(ds['year'][0])}–{int(ds['year'][-1])})"
        )
    with chart_style(lang):
        ax = ax or new_axes(lang, height=3.9)
        balance = ds["balance"].sel(fund=fund, year=year)
        unit = money_unit(balance.sel(scenario=chain).mean("run"), lang)
        values = balance / unit.divisor
        titles = scenario_titles(ds, lang)
        labels = [t("waterfall_start", lang, scenario=titles[chain[0]])]
        start = float(values.sel(scenario=chain[0]).mean("run"))
        ax.bar(0, start, color="#868e96", width=0.6)
        running = start
        for k in range(1, len(chain)):
            step = values.sel(scenario=chain[k]) - values.sel(scenario=chain[k - 1])
            delta = float(step.mean("run"))
            low, high = (float(v) for v in step.quantile([0.05, 0.95], dim="run"))
            color = "#2f9e44" if delta >= 0 else "#e03131"
            ax.bar(k, delta, bottom=running, color=color, width=0.6)
            ax.errorbar(
                k,
                running + delta,
                yerr=[[max(delta - low, 0)], [max(high - delta, 0)]],
                color="black",
                lw=0.8,
                capsize=3,
            )
            ax.plot([k - 1 + 0.3, k - 0.3], [running, running], color="#495057", lw=0.6)
            running += delta
            labels.append(_step_name(ds, chain[k - 1], chain[k], lang))
            # the step's value beside its bar, clear of the error bar
            ax.text(k + 0.32, running - delta / 2, f"{delta:+.2f}", va="center", fontsize=7)
        end = float(values.sel(scenario=chain[-1]).mean("run"))
        n = len(chain)
        ax.plot([n - 1 + 0.3, n - 0.3], [running, running], color="#495057", lw=0.6)
        ax.bar(n, end, color="#343a40", width=0.6)
        labels.append(t("waterfall_end", lang, scenario=titles[chain[-1]]))
        for x, v in ((0, start), (n, end)):
            ax.text(x, v / 2, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white")
        ax.margins(x=0.06, y=0.08)
        ax.axhline(0, color="black", lw=0.8)
        if lang == "zh":
            ax.set_xticks(range(n + 1), labels, rotation=20, ha="right")
        else:  # long English names: wrapped, level
            ax.set_xticks(range(n + 1), [_wrap(x, 18) for x in labels], fontsize=7)
        ax.set_title(t("waterfall_title", lang, fund=fund_name(fund, lang), year=year))
        ax.set_ylabel(label(ds, "balance", lang, unit.label))
        ax.set_xlabel(t("waterfall_note", lang), fontsize=6.5, color="#555555", wrap=True)
        ax.grid(axis="y", alpha=0.3)
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
    median, with the fourth quarters shaded (URRBMI premiums arrive in the campaign; claims
    are paid every month, after the settlement lag)."""
    scenario = _first(ds, scenario)
    _check(ds, scenario, fund)
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
        for y in range(first, last + 1):
            ax.axvspan(
                mdates.date2num(np.datetime64(f"{y}-09-30")),
                mdates.date2num(np.datetime64(f"{y}-12-31")),
                color="#fab005",
                alpha=0.12,
                lw=0,
                label=t("quarter4", lang) if y == first else None,
            )
        ax.axhline(0, color="black", lw=0.8)
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y年%-m月" if lang == "zh" else "%b %Y"))
        titles = scenario_titles(ds, lang)
        ax.set_title(
            t("cashflow_title", lang, fund=fund_name(fund, lang), first=first, last=last)
            + "\n"
            + titles[scenario]
        )
        month_attrs = ds["month"].attrs
        ax.set_xlabel(
            str(month_attrs.get("long_name_zh" if lang == "zh" else "long_name", t("month", lang)))
        )
        ax.set_ylabel(label(ds, "cash_balance", lang, unit.label))
        ax.legend(loc="upper left", frameon=False, ncols=2)
        ax.grid(axis="y", alpha=0.3)
    return ax


KINDS = ("fan", "income-expenditure", "reserve", "depletion", "compare", "waterfall", "cashflow")
