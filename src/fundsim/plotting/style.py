"""What every chart shares: language and fonts, money units, colours, size.

Languages: ``zh`` (the default; planning documents are Chinese) and ``en``. Chinese labels
need a CJK font. :func:`cjk_font` looks for one matplotlib can use, preferring fonts made for
simplified Chinese, and checks that it has every character the charts use. When none is
found, :func:`language` falls back to English with one warning: a chart never shows boxes
in place of characters. ``scripts/install-cjk-font.sh`` installs one where it can.

Money is shown in 亿元 or 万元 as fits the magnitude (Chinese), or in million yuan
(English); years are integers; each fund and each scenario keeps its colour on every chart.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import matplotlib
from matplotlib.typing import RcKeyType

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from ..codes import ALL_ACCOUNT_CODES, labels
from ..source.diagnostics import InputError

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

A4_WIDTH = 6.3  # inches: the text width of an A4 page with 2.5 cm margins
HEIGHT = 3.6

# fonts made for simplified Chinese first; a Japanese or traditional face only as a last resort
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Sarasa Gothic SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "Noto Sans CJK JP",
    "Source Han Sans",
)
# words in the file names of the same fonts, to find one matplotlib's font cache missed
_CJK_FILES = ("notosanscjk", "notosanssc", "sourcehansans", "wqy", "msyh", "simhei", "pingfang")

FUND_NAMES = {lang: labels(ALL_ACCOUNT_CODES, lang) for lang in ("zh", "en")}
FUND_COLORS = {a.name: a.colour for a in ALL_ACCOUNT_CODES}
# scenario colours by position in the batch: the baseline (first) is always the dark grey
SCENARIO_COLORS = (
    "#404040",
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
)
BAND_ALPHA = {"outer": 0.16, "inner": 0.34}


class FontWarning(UserWarning):
    """No CJK font: Chinese charts are drawn with English labels."""


def _has_glyphs(path: str, text: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(path)
    except (OSError, RuntimeError):
        return False
    return all(font.get_char_index(ord(ch)) for ch in set(text) if not ch.isspace())


@functools.cache
def cjk_font() -> str | None:
    """The family name of a CJK font matplotlib can draw every chart character with, or None.

    Looks through matplotlib's font list for :data:`CJK_FAMILIES`, then through the system's
    font files for ones its cache missed (a font installed after the cache was built)."""
    from .text import all_chinese_text

    sample = all_chinese_text()
    by_name = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in by_name and _has_glyphs(by_name[family], sample):
            return family
    for path in font_manager.findSystemFonts():
        name = Path(path).name.lower().replace("-", "").replace("_", "")
        if any(hint in name for hint in _CJK_FILES):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    by_name = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in by_name and _has_glyphs(by_name[family], sample):
            return family
    return None


_warned = False


def language(lang: str) -> Lang:
    """The language charts can be drawn in: ``lang``, or English when Chinese has no font
    (warned once per process)."""
    global _warned
    if lang not in LANGS:
        raise InputError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    if lang == "zh" and cjk_font() is None:
        if not _warned:
            warnings.warn(
                "no Chinese (CJK) font found: charts use English labels. Install one, e.g. "
                "`bash scripts/install-cjk-font.sh` or `apt-get install fonts-noto-cjk`.",
                FontWarning,
                stacklevel=2,
            )
            _warned = True
        return "en"
    return lang


@contextmanager
def chart_style(lang: Lang) -> Iterator[None]:
    """Matplotlib settings of every chart: the font for ``lang``, sizes for A4 print."""
    cjk = cjk_font()
    # matplotlib falls back along the list glyph by glyph: Chinese names in English charts
    # still draw when a CJK font exists
    families = (
        [cjk or "DejaVu Sans", "DejaVu Sans"]
        if lang == "zh"
        else ["DejaVu Sans", cjk or "DejaVu Sans"]
    )
    rc: dict[RcKeyType, Any] = {
        "font.family": "sans-serif",
        "font.sans-serif": families,
        "axes.unicode_minus": lang != "zh",  # CJK fonts may lack U+2212; use the hyphen
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.labelsize": 9,
        "legend.fontsize": 8,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.fonttype": "none" if lang == "en" else "path",
        "pdf.fonttype": 42,
        # every text is drawn as written: a title or a name from a scenario or a results file
        # holding '$' is not TeX (mathtext would misdraw it, or fail on '$\\frac{$')
        "text.parse_math": False,
        "text.usetex": False,
    }
    with plt.rc_context(rc):
        yield


def literal(fig: Figure) -> Figure:
    """``fig`` with every text drawn as written, never as mathtext or TeX: the texts made
    outside :func:`chart_style` too (a title from the data must never reach a TeX parser)."""
    for text in fig.findobj(Text):
        text.set_parse_math(False)
        text.set_usetex(False)
    return fig


def new_axes(lang: Lang, height: float = HEIGHT) -> Axes:
    """An Axes on a new A4-width figure, drawn with ``lang``'s style."""
    with chart_style(lang):
        _, ax = plt.subplots(figsize=(A4_WIDTH, height), layout="constrained")
    return ax


@dataclass(frozen=True)
class MoneyUnit:
    divisor: float
    label: str


def money_unit(values: xr.DataArray | np.ndarray | float, lang: Lang) -> MoneyUnit:
    """亿元 from 1 亿 up, 万元 below (Chinese); million yuan (English), thousand below 1M."""
    peak = float(np.nanmax(np.abs(np.asarray(values, dtype=float)))) if np.size(values) else 0.0
    if lang == "zh":
        return MoneyUnit(1e8, "亿元") if peak >= 1e8 else MoneyUnit(1e4, "万元")
    return MoneyUnit(1e6, "million yuan") if peak >= 1e6 else MoneyUnit(1e3, "thousand yuan")


def fund_name(fund: str, lang: Lang) -> str:
    return FUND_NAMES[lang].get(fund, fund)


def scenario_titles(ds: xr.Dataset, lang: Lang, short: bool = True) -> dict[str, str]:
    """Each scenario's title in ``lang`` (from the batch's coordinates; else its name);
    ``short`` drops a parenthesised explanation, for legends and titles."""
    names = [str(s) for s in ds["scenario"].values]
    key = f"scenario_title_{lang}"
    if key not in ds.coords:
        return {n: n for n in names}
    titles = {n: str(t) or n for n, t in zip(names, ds[key].values, strict=True)}
    if short:
        titles = {n: t.split("（")[0].split(" (")[0].strip() or t for n, t in titles.items()}
    shown = ds.attrs.get(f"area_labels_{lang}")  # one area of a city's results
    if shown:
        titles = {n: f"{t} · {shown}" for n, t in titles.items()}
    return titles


def scenario_colors(ds: xr.Dataset) -> dict[str, str]:
    """A colour per scenario by its position in the batch (the baseline first)."""
    names = [str(s) for s in ds["scenario"].values]
    return {n: SCENARIO_COLORS[i % len(SCENARIO_COLORS)] for i, n in enumerate(names)}


def label(ds: xr.Dataset, variable: str, lang: Lang, unit: str | None = None) -> str:
    """Axis label of ``variable`` from its attrs: long name (zh or en) and the unit."""
    attrs = ds[variable].attrs
    name = attrs.get("long_name_zh" if lang == "zh" else "long_name", variable)
    units = unit or attrs.get("units", "")
    if lang == "zh":
        units = {"months": "月", "yuan": "元", "persons": "人", "cases": "人次"}.get(units, units)
        return f"{name}（{units}）" if units else name
    return f"{name} [{units}]" if units else name


def integer_years(ax: Axes) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def bands(
    ax: Axes,
    x: Sequence[float] | np.ndarray,
    q: xr.DataArray,
    color: str,
    lang: Lang,
    median_label: str | None = None,
    band_labels: bool = True,
) -> None:
    """5–95% and 25–75% bands and the median of quantiles ``q`` (dim ``quantile``).

    The outer band is drawn as its two parts outside the inner one (5–25% and 75–95%), so
    no area is painted twice: each band shows exactly the colour of its legend patch."""
    from .text import t

    outer = t("band_outer", lang) if band_labels else None
    for low, high, name in ((0.05, 0.25, outer), (0.75, 0.95, None)):
        ax.fill_between(
            x,
            q.sel(quantile=low),
            q.sel(quantile=high),
            color=color,
            alpha=BAND_ALPHA["outer"],
            lw=0,
            label=name,
        )
    ax.fill_between(
        x,
        q.sel(quantile=0.25),
        q.sel(quantile=0.75),
        color=color,
        alpha=BAND_ALPHA["inner"],
        lw=0,
        label=t("band_inner", lang) if band_labels else None,
    )
    ax.plot(x, q.sel(quantile=0.5), color=color, lw=1.8, label=median_label or t("median", lang))


FUNDS_SHOWN = tuple(a.name for a in ALL_ACCOUNT_CODES if a.pooled)
