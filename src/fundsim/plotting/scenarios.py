"""The charts that compare scenarios: medians and bands, paired differences from the
baseline, and the waterfall of levers."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import xarray as xr
from matplotlib.axes import Axes

from ..source.diagnostics import InputError
from .common import QUANTILES, check_dataset, first_scenario, policy_marks, wrapped, year_label
from .style import (
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
from .text import t

Legend = tuple[list[Any], list[str]]  # handles and their labels


def _scenario_bands(
    ds: xr.Dataset,
    ax: Axes,
    q: xr.DataArray,
    names: Sequence[str],
    band: tuple[float, float],
    lang: Lang,
) -> Legend:
    """Each scenario's band (quantiles ``band``) and median, in its colour. Where bands
    overlap their colours mix, so each band also has its edges drawn in its own colour, and
    the legend shows each scenario's line over a patch of its band as drawn."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    colors, titles = scenario_colors(ds), scenario_titles(ds, lang)
    years = ds["year"].values
    for name in names:
        qs = q.sel(scenario=name)
        low, high = qs.sel(quantile=band[0]), qs.sel(quantile=band[1])
        ax.fill_between(years, low, high, color=colors[name], alpha=0.14, lw=0)
        for edge in (low, high):
            ax.plot(years, edge, color=colors[name], lw=0.6, ls="--", alpha=0.8)
        median = qs.sel(quantile=0.5)
        ax.plot(years, median, color=colors[name], lw=1.8)
    handles = [
        (
            Patch(facecolor=colors[n], alpha=0.14, edgecolor=colors[n], ls="--", lw=0.6),
            Line2D([], [], color=colors[n], lw=1.8),
        )
        for n in names
    ]
    return handles, [wrapped(titles[n]) for n in names]


def _legend_below(ax: Axes, lang: Lang, band: str, legend: Legend, marks: str = "") -> None:
    """The scenarios' legend under the axes, titled with what the lines and bands are (and
    the key of the policy marks)."""
    from matplotlib.legend_handler import HandlerTuple

    sep = "，" if lang == "zh" else ", "
    handles, names = legend
    ax.legend(
        handles,
        names,
        handler_map={tuple: HandlerTuple(ndivide=1)},
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncols=3 if lang == "zh" else 2,
        frameon=False,
        title=f"{t('median', lang)}{sep}{t(band, lang)}"
        + ("\n" + textwrap.fill(marks, 70 if lang == "zh" else 110) if marks else ""),
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
    check_dataset(ds, fund=fund)
    names = list(scenarios) if scenarios is not None else [str(s) for s in ds["scenario"].values]
    with chart_style(lang):
        ax = ax or new_axes(lang)
        balance = ds["balance"].sel(fund=fund, scenario=names)
        unit = money_unit(balance.quantile([0.25, 0.75], dim="run"), lang)
        q = (balance / unit.divisor).quantile(QUANTILES, dim="run")
        legend = _scenario_bands(ds, ax, q, names, (0.25, 0.75), lang)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(t("compare_title", lang, fund=fund_name(fund, lang)))
        ax.set_xlabel(year_label(ds, lang))
        ax.set_ylabel(label(ds, "balance", lang, unit.label))
        integer_years(ax)
        policy_marks(ax, ds, names, lang, fund=fund)  # its key: under the difference chart below
        _legend_below(ax, lang, "band_inner", legend)
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
    baseline = first_scenario(ds, baseline)
    check_dataset(ds, baseline, fund)
    others = [str(s) for s in ds["scenario"].values if str(s) != baseline]
    with chart_style(lang):
        ax = ax or new_axes(lang)
        balance = ds["balance"].sel(fund=fund)
        diff = balance.sel(scenario=others) - balance.sel(scenario=baseline)
        unit = money_unit(diff.quantile([0.05, 0.95], dim="run"), lang)
        q = (diff / unit.divisor).quantile(QUANTILES, dim="run")
        legend = _scenario_bands(ds, ax, q, others, (0.05, 0.95), lang)
        colors, titles = scenario_colors(ds), scenario_titles(ds, lang)
        ax.axhline(0, color=colors[baseline], lw=1.0)
        titles_b = titles[baseline]
        ax.set_title(t("difference_title", lang, baseline=titles_b))
        ax.set_xlabel(year_label(ds, lang))
        ax.set_ylabel(t("difference_ylabel", lang, unit=unit.label))
        integer_years(ax)
        marks = policy_marks(ax, ds, [baseline, *others], lang, fund=fund)
        _legend_below(ax, lang, "band_outer", legend, marks)
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
        files = _lever_titles(ds, after, lang)
        if added:
            return "+" + "+".join(
                titles[single[f]] if f in single else files.get(f, f.removesuffix(".yaml"))
                for f in sorted(added)
            )
    return "+" + titles[after]


def _lever_titles(ds: xr.Dataset, scenario: str, lang: Lang) -> dict[str, str]:
    """The titles of ``scenario``'s policy files (``scenario_lever_titles``), by file name."""
    import json

    if "scenario_lever_titles" not in ds.coords:
        return {}
    try:
        named = json.loads(str(ds["scenario_lever_titles"].sel(scenario=scenario).values))
        return {f: str(t[0 if lang == "zh" else 1]) for f, t in dict(named).items()}
    except (ValueError, TypeError, IndexError, KeyError):
        return {}


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
    check_dataset(ds, fund=fund)
    chain = list(chain) if chain is not None else lever_chain(ds)
    for name in chain:
        check_dataset(ds, name)
    if len(chain) < 2:
        raise InputError("a waterfall needs a chain of at least two scenarios")
    twice = next((name for k, name in enumerate(chain) if name in chain[:k]), None)
    if twice is not None:  # a step from a scenario to itself, or back, is no lever's effect
        raise InputError(
            f"the chain names scenario {twice!r} more than once: each step adds one lever to "
            "the scenario before it, so each scenario comes once (情景链中每个情景只能出现一次)"
        )
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
            ax.set_xticks(range(n + 1), [wrapped(x, 18) for x in labels], fontsize=7)
        ax.set_title(t("waterfall_title", lang, fund=fund_name(fund, lang), year=year))
        ax.set_ylabel(label(ds, "balance", lang, unit.label))
        ax.set_xlabel(t("waterfall_note", lang), fontsize=6.5, color="#555555", wrap=True)
        ax.grid(axis="y", alpha=0.3)
    return ax
