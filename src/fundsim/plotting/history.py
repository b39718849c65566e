"""The model's band against a region's history (``fundsim calibrate`` and ``backtest``).

One chart per series (a fund and an indicator): the 10–90% and 25–75% bands and the median
of the runs by year, the actual figures as points, and, for a backtest, a line where the
fitted years end. Money in 亿元/万元 (million yuan in English), persons in 万人 (thousands).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from ..calibration.observe import label
from .common import zero_in_view
from .figures import write_figure
from .style import A4_WIDTH, HEIGHT, chart_style, language, money_unit

MONEY = ("income", "expenditure", "balance")
WORDS = {
    "band80": ("模型10%—90%区间", "model 10-90% band"),
    "band50": ("模型25%—75%区间", "model 25-75% band"),
    "median": ("模型中位数", "model median"),
    "actual": ("实际值", "actual"),
    "fitted": ("拟合截止", "fitted up to here"),
    "persons": ("万人", "thousand persons"),
    "year": ("年份", "year"),
}


def _word(key: str, lang: str) -> str:
    return WORDS[key][0 if lang == "zh" else 1]


def series_chart(
    rows: Sequence[Mapping[str, Any]], lang: str, until: int | None = None
) -> tuple[Any, str]:
    """A figure of one series' rows (from :func:`fundsim.calibration.run.band_table`)."""
    shown = language(lang)
    rows = sorted(rows, key=lambda r: r["year"])
    fund, indicator = rows[0]["fund"], rows[0]["indicator"]
    years = np.array([r["year"] for r in rows])
    if indicator in MONEY:
        unit = money_unit(np.array([r["p90"] for r in rows] + [r["actual"] for r in rows]), shown)
        divisor, unit_label = unit.divisor, unit.label
    else:
        divisor = 1e4 if shown == "zh" else 1e3
        unit_label = _word("persons", shown)

    def col(name: str) -> Any:
        return np.array([r[name] for r in rows]) / divisor

    with chart_style(shown):
        fig, ax = plt.subplots(figsize=(A4_WIDTH, HEIGHT * 0.8), layout="constrained")
        if len(years) > 1:
            # the outer band in its two parts outside the inner one: no area painted twice,
            # so each band has its legend patch's colour
            for low, high, name in (("p10", "p25", _word("band80", shown)), ("p75", "p90", None)):
                ax.fill_between(years, col(low), col(high), alpha=0.2, color="C0", lw=0, label=name)
            ax.fill_between(
                years,
                col("p25"),
                col("p75"),
                alpha=0.35,
                color="C0",
                lw=0,
                label=_word("band50", shown),
            )
            ax.plot(years, col("p50"), color="C0", label=_word("median", shown))
        else:
            ax.errorbar(
                years,
                col("p50"),
                yerr=[col("p50") - col("p10"), col("p90") - col("p50")],
                fmt="s",
                color="C0",
                capsize=6,
                label=_word("band80", shown),
            )
        ax.plot(years, col("actual"), "o", color="black", label=_word("actual", shown))
        if until is not None and years.min() <= until < years.max():
            ax.axvline(until + 0.5, color="grey", linestyle="--", linewidth=1)
            ax.text(
                until + 0.5,
                ax.get_ylim()[1],
                _word("fitted", shown),
                ha="right",
                va="top",
                fontsize=7,
                color="grey",
            )
        zero_in_view(ax)  # money and members from zero: a gap is read against the whole
        ax.set_title(label(fund, indicator, shown))
        ax.set_ylabel(unit_label)
        ax.set_xlabel(_word("year", shown))
        ax.set_xticks(years, [str(y) for y in years])  # every year, no offset notation
        ax.legend(loc="best", frameon=False)
    return fig, shown


def write_series_charts(
    rows: Sequence[Mapping[str, Any]], folder: Path, lang: str, until: int | None = None
) -> list[Path]:
    """A PNG per series under ``folder``: ``figures/<fund>_<indicator>.png``."""
    by_series: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for r in rows:
        by_series.setdefault((r["fund"], r["indicator"]), []).append(r)
    written = []
    for (fund, indicator), chosen in by_series.items():
        fig, shown_lang = series_chart(chosen, lang, until)
        written += write_figure(
            fig, language(shown_lang), folder / "figures" / f"{fund}_{indicator}", ("png",), dpi=150
        )
    return written
