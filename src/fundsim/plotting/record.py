"""The out-of-sample record as a chart (issue 29): by horizon, the error of fundsim's median
beside the naive forecasts', and the share of actuals inside the 80% band against its 80%."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..evaluation.scores import Scored, summarise
from .style import Lang, chart_style, language, new_axes

TEXT = {
    "title": {"zh": "样本外检验：按预测年数", "en": "Out of sample, by years ahead"},
    "fundsim": {"zh": "本模型中位数（同样的数据）", "en": "fundsim median (same figures)"},
    "growth": {"zh": "按近年增长外推", "en": "naive: recent growth"},
    "flat": {"zh": "保持不变", "en": "naive: held flat"},
    "mape": {"zh": "绝对百分比误差的中位数", "en": "median absolute % error"},
    "ahead": {"zh": "提前{h}年", "en": "{h} yr ahead"},
    "coverage": {"zh": "80%区间覆盖率", "en": "inside the 80% band"},
    "nominal": {"zh": "名义80%", "en": "nominal 80%"},
}


def write_record_chart(
    scored: Sequence[Scored],
    stem: Path,
    lang: str,
    formats: Sequence[str] = ("png",),
    dpi: int = 150,
) -> list[Path]:
    """Bars of the three forecasts' MAPE per horizon, the 80% band's coverage as points on a
    second axis, saved as ``stem.<format>``."""
    from matplotlib.figure import Figure

    from .figures import write_figure

    shown: Lang = language(lang)
    horizons = sorted({s.horizon for s in scored})
    rows = [summarise(s for s in scored if s.horizon == h) for h in horizons]
    x = np.arange(len(horizons))
    with chart_style(shown):
        ax = new_axes(shown, height=3.2)
        width = 0.26
        for k, (key, values, colour) in enumerate(
            (
                ("fundsim", [r.mape_vs_growth for r in rows], "#4c78a8"),
                ("growth", [r.mape_growth for r in rows], "#bab0ac"),
                ("flat", [r.mape_flat for r in rows], "#e8e8e8"),
            )
        ):
            ax.bar(x + (k - 1) * width, np.array(values) * 100, width, color=colour,
                   edgecolor="#555555", linewidth=0.5, label=TEXT[key][shown])  # fmt: skip
        ax.set_xticks(x, [TEXT["ahead"][shown].format(h=h) for h in horizons])
        ax.set_ylabel(TEXT["mape"][shown] + " (%)")
        right = ax.twinx()
        right.plot(x, [r.coverage_80 * 100 for r in rows], "o", color="#e45756",
                   label=TEXT["coverage"][shown])  # fmt: skip
        right.axhline(
            80, color="#e45756", linestyle="--", linewidth=0.8, label=TEXT["nominal"][shown]
        )
        right.set_ylim(0, 100)
        right.set_ylabel(TEXT["coverage"][shown] + " (%)")
        handles = ax.get_legend_handles_labels()
        more = right.get_legend_handles_labels()
        ax.legend(handles[0] + more[0], handles[1] + more[1], loc="upper center",
                  bbox_to_anchor=(0.5, -0.15), ncol=3, frameon=False, fontsize=8)  # fmt: skip
        figure = ax.get_figure(root=True)
        assert isinstance(figure, Figure)
        figure.suptitle(TEXT["title"][shown], x=0.01, ha="left", fontsize=10)
    return write_figure(figure, shown, stem, formats, dpi)
