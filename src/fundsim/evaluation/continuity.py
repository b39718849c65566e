"""The first forecast year against the last actual: a forecast that jumps away from the
history it starts from is the first sign of a level applied at the wrong date, a unit slip or
a default that does not fit the region (issue 29: a made-up city's spending fell 28% from its
last actual year to its first forecast year, and nothing warned).

For each money series of the region's history (a fund's income and spending) whose last
actual year is the year before the forecast's first, the median of the first year is set
beside the last actual: the change is compared with the series' own year-to-year changes in
the history (their range, widened by :data:`SLACK` on each side, and never narrower than
±:data:`FLOOR`). A series printed for one year only (a plan's total of the last year) has no
changes of its own: the changes of every fund's series of the same figure stand in (Nanchuan's
schemes' income moved −12%…+33% a year in 2016–2020; its total income is printed for 2020). Outside it: a warning located at the history row of the last actual.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from ..calibration.observe import Point, label, matrix, observable

SLACK = 0.05  # the history's range of yearly changes, widened by 5 points each side
FLOOR = 0.10  # and never narrower than ±10%
SERIES = ("income", "expenditure")


@dataclass(frozen=True)
class Jump:
    """A first forecast year outside its history's range of yearly changes."""

    point: Point  # the last actual
    median: float  # the first forecast year's median
    low: float  # the range of changes allowed
    high: float
    file: str  # the history file, for the location

    @property
    def change(self) -> float:
        return self.median / self.point.value - 1

    def message(self, lang: str) -> str:
        name = label(self.point.fund, self.point.indicator, lang)
        first = self.point.year + 1
        where = f"{self.file}:{self.point.line}"
        if lang == "zh":
            return (
                f"{where}: 警告: {name}{first}年预测中位数较{self.point.year}年实际值变化"
                f"{self.change:+.1%}，超出历史逐年变化范围（{self.low:+.1%}至{self.high:+.1%}）："
                "请检查水平参数的年份、单位和默认值是否适合本地区"
            )
        return (
            f"{where}: warning: {name}: the first forecast year {first} moves {self.change:+.1%} "
            f"from the last actual ({self.point.year}), outside the history's own yearly changes "
            f"({self.low:+.1%} to {self.high:+.1%}): check the levels' year (care.price_year), "
            "the units and the defaults the region still uses"
        )


def jumps(ds: xr.Dataset, history: Sequence[Point], file: str) -> list[Jump]:
    """The jumps of the first scenario of ``ds`` (one area, or a city's total) from
    ``history`` (the region's history points; ``file`` names it)."""
    years = [int(y) for y in ds["year"].values]
    if not years:
        return []
    first = years[0]
    out = []
    series = {(p.fund, p.indicator) for p in history if p.indicator in SERIES}
    for fund, indicator in sorted(series):
        if observable(fund, indicator) is not None:
            continue
        by_year = {p.year: p for p in history if (p.fund, p.indicator) == (fund, indicator)}
        last = by_year.get(first - 1)
        if last is None or last.value <= 0:
            continue
        changes = _changes(history, {(fund, indicator)})
        if not changes:
            changes = _changes(history, {(f, i) for f, i in series if i == indicator})
        low = min([*changes, 0.0]) - SLACK
        high = max([*changes, 0.0]) + SLACK
        low, high = min(low, -FLOOR), max(high, FLOOR)
        target = Point(first, fund, indicator, last.value, "", last.line)
        values = matrix(ds.isel(scenario=[0]), [target])[:, 0]
        if not np.isfinite(values).any():
            continue
        median = float(np.nanmedian(values))
        if not low <= median / last.value - 1 <= high:
            out.append(Jump(last, median, low, high, file))
    return out


def _changes(history: Sequence[Point], keys: set[tuple[str, str]]) -> list[float]:
    """The year-to-year changes of the history's series named by ``keys``."""
    out = []
    for key in sorted(keys):
        by_year = {p.year: p.value for p in history if (p.fund, p.indicator) == key}
        out += [v / by_year[y - 1] - 1 for y, v in by_year.items() if by_year.get(y - 1, 0) > 0]
    return out
