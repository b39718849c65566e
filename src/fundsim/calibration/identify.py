"""Whether a calibration's history says anything about its parameters.

A fit of k parameters to n ≤ k figures can match them exactly whatever the parameters are
(the figures leave at least one direction of the parameters free): its residuals are about
zero and say nothing, and its standard deviations, made from them, are meaningless. Such a
fit is *underdetermined*. ``fundsim calibrate`` refuses it unless asked
(``--allow-underdetermined``), and then flags it everywhere and draws every parameter
uniformly over its bounds.

With more figures than parameters, a parameter is still *not identified* when the history
narrows it no further than its bounds do: the fit does not move it at all
(:attr:`Fit.unidentified <fundsim.calibration.fit.Fit>`), or its 90% interval (value ±
1.645 sd, the sd the history gives before it is capped at the bounds: ``Fit.spread``)
covers the whole range between its bounds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from .fit import Fit

Z90 = 1.6448536269514722  # the 90% interval of a normal: value ± Z90 · sd


@dataclass(frozen=True)
class Identification:
    """What a fit's history pins down.

    n : history figures fitted; k : free parameters
    weak : each parameter the history does not narrow within its bounds, with its 90%
        interval (infinite when the history does not move it at all)
    bounds : each parameter's calibration bounds
    """

    n: int
    k: int
    weak: dict[str, tuple[float, float]] = field(default_factory=dict)
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def underdetermined(self) -> bool:
        """No more figures than parameters: an exact fit whatever the parameters."""
        return self.n <= self.k

    @property
    def flagged(self) -> bool:
        return self.underdetermined or bool(self.weak)

    def open(self, path: str) -> bool:
        """Whether the history leaves ``path`` open (its value is not a finding)."""
        return self.underdetermined or path in self.weak

    def quality(self, rms: float, lang: str) -> str:
        """The fit's quality in words: its residual RMS, or (n ≤ k) that it has none."""
        if self.underdetermined:
            return (
                f"用{self.k}个参数拟合{self.n}个数据：参数不少于数据，必然恰好拟合，说明不了任何问题"
                if lang == "zh"
                else f"exact fit of {self.n} figures by {self.k} parameters: says nothing"
            )
        return f"残差均方根{rms:.1%}" if lang == "zh" else f"residual RMS {rms:.1%}"

    def warnings(self, lang: str) -> list[str]:
        """What a planner must know before using the fit, one sentence each (none when the
        history pins every parameter)."""
        zh = lang == "zh"
        out = []
        if self.underdetermined:
            out.append(
                f"拟合不成立：{self.n}个历史数据拟合{self.k}个参数，参数不少于数据，任何取值都能恰好拟合，"
                "拟合值和残差都说明不了任何问题；各参数按其整个取值范围均匀抽样。请补充历史数据"
                "（更多年份、更晚的 --until 或更早的 calibrate.first_year）或减少 calibrate: 中的参数。"
                if zh
                else f"NOT A FIT: {self.n} history figures for {self.k} free parameters; with no "
                "more figures than parameters any values can match them exactly, so neither the "
                "fitted values nor the residuals say anything; every parameter is drawn uniformly "
                "over its bounds. Give more history figures (more years, a later --until or an "
                "earlier calibrate.first_year) or fewer parameters in calibrate:."
            )
        for path, (a, b) in self.weak.items():
            low, high = self.bounds.get(path, (math.nan, math.nan))
            if not math.isfinite(a - b):
                out.append(
                    f"{path}：历史数据对它没有约束（改变它不影响任何拟合数据），拟合值没有意义。"
                    if zh
                    else f"{path}: NOT IDENTIFIED: the history figures do not move it at all; "
                    "its fitted value means nothing."
                )
                continue
            out.append(
                f"{path}：历史数据无法识别，90%区间 {a:.4g} 至 {b:.4g} 覆盖其整个取值范围 "
                f"{low:g}—{high:g}，拟合值只是范围内的猜测。"
                if zh
                else f"{path}: NOT IDENTIFIED: its 90% interval {a:.4g} to {b:.4g} covers its "
                f"whole range {low:g} to {high:g}; the history does not narrow it, its fitted "
                "value is a guess within the bounds."
            )
        return out


def identify(result: Fit, bounds: Mapping[str, tuple[float, float]]) -> Identification:
    """What ``result``'s history pins down (see the module text); ``bounds``: each fitted
    path's (low, high)."""
    weak: dict[str, tuple[float, float]] = {}
    for path, value in result.values.items():
        low, high = bounds[path]
        spread = result.spread.get(path, result.sd[path])
        if path in result.unidentified or not math.isfinite(spread):
            weak[path] = (-math.inf, math.inf)
            continue
        a, b = value - Z90 * spread, value + Z90 * spread
        if a <= low and b >= high:
            weak[path] = (a, b)
    return Identification(len(result.points), len(result.values), weak, dict(bounds))


def underdetermined_message(n: int, k: int, years: str, history: str, scenario: str) -> str:
    """Why a calibration of ``k`` parameters to ``n`` ≤ ``k`` figures is refused, and what to do."""
    return (
        f"{n} history figure(s) of {history} ({years}) for {k} free parameters in the "
        f"calibrate: section of {scenario}: with no more figures than parameters a fit matches "
        "them exactly whatever the parameters are, and says nothing about them "
        f"(历史数据{n}个，待拟合参数{k}个：参数不少于数据，拟合说明不了任何问题). Give more history "
        "figures (more years in the history, a later --until, an earlier calibrate.first_year) "
        f"or at most {max(n - 1, 0)} parameter(s) in calibrate: (请补充历史数据或减少参数); "
        "--allow-underdetermined runs it anyway, flagged as no fit, every parameter drawn over "
        "its whole bounds"
    )
