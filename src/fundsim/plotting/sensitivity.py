"""Charts of a sensitivity analysis: the tornado (each input at its 5% and 95% quantile, the
others at their medians) and the indices of Sobol (first order and total, with their 95%
intervals) or Morris (μ*, with its interval); in zh or en."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ..codes import ACCOUNT_CODES
from ..results.headline import input_name
from .style import Lang, new_axes

OUTCOME_TEXT = {
    "depletion_year": {"zh": "{fund}穿底年份", "en": "{fund}: depletion year"},
    "balance": {
        "zh": "{fund}{year}年末累计结余（亿元）",
        "en": "{fund}: balance end {year} [100 million yuan]",
    },
    "reserve_months": {
        "zh": "{fund}{year}年末可支付月数",
        "en": "{fund}: reserve months end {year}",
    },
    "cumulative_deficit": {
        "zh": "{fund}累计当期赤字（亿元）",
        "en": "{fund}: cumulative yearly deficit [100 million yuan]",
    },
}
CHART_TEXT = {
    "tornado": {
        "zh": "{outcome}\n各输入取5%与95%分位数，其余取中位数（竖线：均取中位数时 {base:.2f}）",
        "en": "{outcome}\neach input at its 5% and 95% quantile, the others at their medians "
        "(line: all at medians, {base:.2f})",
    },
    "low": {"zh": "取5%分位数", "en": "input at its 5% quantile"},
    "not_from_zero": {"zh": "（横轴不从零开始）", "en": " (axis not from zero)"},
    "high": {"zh": "取95%分位数", "en": "input at its 95% quantile"},
    "sobol": {
        "zh": "{outcome}\nSobol敏感性指数（误差线为95%置信区间）",
        "en": "{outcome}\nSobol indices (error bars: 95% intervals)",
    },
    "S1": {"zh": "一阶指数 S1", "en": "first order S1"},
    "ST": {"zh": "总效应指数 ST", "en": "total ST"},
    "morris": {
        "zh": "{outcome}\nMorris筛选 μ*（误差线为95%置信区间）",
        "en": "{outcome}\nMorris μ* (error bars: 95% intervals)",
    },
    "mu_star": {
        "zh": "μ*（输入按概率尺度每单位变化）",
        "en": "μ* (per unit of the input's probability)",
    },
}


def outcome_name(outcome: str, lang: Lang) -> str:
    """The outcome's name, e.g. ``urrbmi_pool.balance_2035`` -> 居民医保基金2035年末累计结余."""
    fund, measure = outcome.split(".", 1)
    names = {a.name: (a.zh if lang == "zh" else a.en) for a in ACCOUNT_CODES}
    kind, _, year = measure.rpartition("_") if measure[-4:].isdigit() else (measure, "", "")
    return OUTCOME_TEXT[kind][lang].format(fund=names.get(fund, fund), year=year)


# what ranks the inputs of each design: the tornado's swing, Morris' μ*, Sobol's total index
RANKED_BY = {"tornado": "swing", "morris": "mu_star", "sobol": "ST"}


def ordered(rows: pd.DataFrame, method: str, largest_first: bool = False) -> pd.DataFrame:
    """``rows`` in the order of their effect (by :data:`RANKED_BY`): smallest first, as a
    horizontal bar chart draws them from the bottom up, or largest first, as a table lists."""
    by = rows[RANKED_BY[method]].abs()
    return rows.reindex(by.sort_values(ascending=not largest_first).index)


def _labels(rows: pd.DataFrame, lang: Lang) -> list[str]:
    """The inputs' names, wrapped so that long English names leave the bars their room."""
    width = 18 if lang == "zh" else 34
    return [textwrap.fill(input_name(p, lang), width) for p in rows["input"]]


def _finish(ax: Axes, title: str, legend: bool) -> None:
    """The title across the figure (the axes are narrowed by the labels), the legend below."""
    figure = ax.get_figure(root=True)
    assert figure is not None
    figure.suptitle(title, x=0.01, ha="left", fontsize=10)
    if legend:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)


def tornado_chart(rows: pd.DataFrame, outcome: str, lang: Lang, ax: Axes | None = None) -> Axes:
    """Bars from the outcome at the inputs' medians to its value with each input at its 5%
    and 95% quantile, the widest swing on top."""
    rows = ordered(rows, "tornado")
    ax = ax if ax is not None else new_axes(lang, height=max(2.5, 0.35 * len(rows) + 1.2))
    base = float(rows["base"].iloc[0])
    y = np.arange(len(rows))
    labels = _labels(rows, lang)
    ax.barh(y, rows["low"] - base, left=base, color="#4c78a8", label=CHART_TEXT["low"][lang])
    ax.barh(y, rows["high"] - base, left=base, color="#e45756", label=CHART_TEXT["high"][lang])
    ax.axvline(base, color="black", linewidth=0.8)
    ax.set_yticks(y, labels)
    name = outcome_name(outcome, lang)
    low, high = ax.get_xlim()
    money = outcome.split(".", 1)[1].startswith(("balance", "cumulative_deficit"))
    # the bars swing about the medians' value: a money axis that leaves out zero says so
    ax.set_xlabel(name + (CHART_TEXT["not_from_zero"][lang] if money and low * high > 0 else ""))
    _finish(ax, CHART_TEXT["tornado"][lang].format(outcome=name, base=base), legend=True)
    return ax


def index_chart(
    rows: pd.DataFrame, outcome: str, method: str, lang: Lang, ax: Axes | None = None
) -> Axes:
    """Sobol S1 and ST, or Morris μ*, per input with their 95% intervals, largest on top."""
    rows = ordered(rows, method)
    ax = ax if ax is not None else new_axes(lang, height=max(2.5, 0.4 * len(rows) + 1.2))
    y = np.arange(len(rows))
    labels = _labels(rows, lang)
    if method == "sobol":
        ax.barh(y + 0.2, rows["ST"], 0.4, xerr=rows["ST_conf"], color="#e45756",
                label=CHART_TEXT["ST"][lang], capsize=2)  # fmt: skip
        ax.barh(y - 0.2, rows["S1"], 0.4, xerr=rows["S1_conf"], color="#4c78a8",
                label=CHART_TEXT["S1"][lang], capsize=2)  # fmt: skip
        ax.axvline(0, color="black", linewidth=0.8)
    else:
        ax.barh(y, rows["mu_star"], xerr=rows["mu_star_conf"], color="#4c78a8", capsize=2)
        ax.set_xlabel(CHART_TEXT["mu_star"][lang])
    ax.set_yticks(y, labels)
    title = CHART_TEXT[method][lang].format(outcome=outcome_name(outcome, lang))
    _finish(ax, title, legend=method == "sobol")
    return ax


def write_sensitivity_charts(
    table: pd.DataFrame,
    method: str,
    folder: Path,
    lang: str,
    formats: Sequence[str] = ("png",),
    dpi: int = 150,
    prefix: str = "",
) -> list[Path]:
    """A chart per outcome of an indices table (the tornado, or the Sobol or Morris indices)
    as ``folder/<prefix><method>_<outcome>.<format>``, drawn in ``lang`` (English without a CJK font)
    and tagged as fundsim's."""
    from matplotlib.figure import Figure

    from .figures import write_figure
    from .style import chart_style, language

    shown = language(lang)
    written: list[Path] = []
    for outcome, rows in table.groupby("outcome", sort=False):
        with chart_style(shown):  # the font is chosen when the figure is drawn
            if method == "tornado":
                ax = tornado_chart(rows, str(outcome), shown)
            else:
                ax = index_chart(rows, str(outcome), method, shown)
        figure = ax.get_figure(root=True)
        assert isinstance(figure, Figure)
        written += write_figure(figure, shown, folder / f"{prefix}{method}_{outcome}", formats, dpi)
    return written
