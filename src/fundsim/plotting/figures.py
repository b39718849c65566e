"""Whole figures of each chart kind, and writing them (``fundsim plot``, the report)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import xarray as xr
from matplotlib.figure import Figure

from ..places import chart_metadata, check_name
from ..results.areas import area_names, select_area
from ..source.diagnostics import InputError
from . import charts, city
from .style import A4_WIDTH, HEIGHT, FontWarning, Lang, chart_style, language, literal

FORMATS = ("png", "svg", "pdf")


def figure(
    ds: xr.Dataset,
    kind: str,
    lang: str = "zh",
    fund: str = "urrbmi_pool",
    scenario: str | None = None,
    year: int | None = None,
    chain: Sequence[str] | None = None,
) -> tuple[Figure, Lang]:
    """A figure of ``kind`` (one of :data:`charts.KINDS`) and the language it is drawn in
    (English when Chinese has no font)."""
    shown = language(lang)
    with chart_style(shown):
        if kind == "compare":
            if ds.sizes["scenario"] < 2:
                names = ", ".join(map(str, ds["scenario"].values))
                raise InputError(
                    f"a comparison needs two or more scenarios; these results hold one ({names}): "
                    "run `fundsim compare BASELINE OTHER...`"
                )
            fig, (top, bottom) = plt.subplots(
                2, 1, figsize=(A4_WIDTH, 2 * HEIGHT - 0.4), layout="constrained", sharex=True
            )
            charts.compare(ds, fund, ax=top, lang=shown)
            top.set_xlabel("")
            charts.difference(ds, fund, baseline=scenario, ax=bottom, lang=shown)
            return literal(fig), shown
        height = 3.9 if kind in ("waterfall", "reserve") else HEIGHT
        fig, ax = plt.subplots(figsize=(A4_WIDTH, height), layout="constrained")
        if kind == "fan":
            charts.fan(ds, fund, scenario, ax=ax, lang=shown)
        elif kind == "income-expenditure":
            charts.income_expenditure(ds, fund, scenario, ax=ax, lang=shown)
        elif kind == "reserve":
            charts.reserve(ds, fund, scenario, ax=ax, lang=shown)
        elif kind == "depletion":
            charts.depletion(ds, scenario, ax=ax, lang=shown)
        elif kind == "waterfall":
            charts.waterfall(ds, fund, year, chain, ax=ax, lang=shown)
        elif kind == "draws":
            city.draws(ds, fund, scenario, ax=ax, lang=shown)
        elif kind == "cashflow":
            charts.cashflow(ds, fund, scenario, ax=ax, lang=shown)
        elif kind == "warnings":
            charts.warnings(ds, fund, scenario, ax=ax, lang=shown)
        else:
            plt.close(fig)
            raise InputError(f"unknown chart kind {kind!r}; one of: {', '.join(charts.KINDS)}")
    return literal(fig), shown


def write_figure(
    fig: Figure, lang: Lang, stem: Path, formats: Sequence[str] = ("png",), dpi: int = 200
) -> list[Path]:
    """Save ``fig`` as ``stem.<format>`` for each format (atomically: a failed write leaves
    no file behind), tagged as fundsim's in its metadata, then close it."""
    paths = []
    try:
        with chart_style(lang), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            literal(fig)
            for fmt in formats:
                if fmt not in FORMATS:
                    raise InputError(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")
                path = stem.with_name(f"{stem.name}.{fmt}")
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_name(f".{path.stem}.partial.{fmt}")
                try:
                    fig.savefig(partial, dpi=dpi, format=fmt, metadata=chart_metadata(fmt))
                    partial.replace(path)
                except BaseException:
                    partial.unlink(missing_ok=True)
                    raise
                paths.append(path)
    finally:
        plt.close(fig)
    _pass_on(caught)
    return paths


# matplotlib's (FreeType's) warning for a character no font of the chart can draw
MISSING_GLYPH = re.compile(r"Glyph (\d+) \(.*\) missing from font\(s\) (.+?)\.?$", re.S)


def _pass_on(caught: Sequence[warnings.WarningMessage]) -> None:
    """The warnings of drawing a chart, passed on: characters the fonts lack as one
    :class:`FontWarning` naming them (not matplotlib's, once a glyph and a format), the rest
    as they were."""
    from ..source.characters import describe

    missing: dict[str, str] = {}
    for warning in caught:
        found = MISSING_GLYPH.match(str(warning.message))
        if found and issubclass(warning.category, UserWarning):
            missing.setdefault(chr(int(found.group(1))), found.group(2))
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    if missing:
        fonts = ", ".join(sorted(set(missing.values())))
        characters = ", ".join(describe(c) for c in missing)
        warnings.warn(
            f"图表字体（{fonts}）没有字符 {characters}，显示为方框 / the charts' font "
            f"({fonts}) has no glyph for {characters}: drawn as a box",
            FontWarning,
            stacklevel=3,
        )


def write_fan_charts(ds: xr.Dataset, folder: Path, lang: str = "zh", dpi: int = 150) -> list[Path]:
    """The main job's charts: one fan chart PNG per scenario and fund,
    ``folder/fan_<scenario>_<fund>.png``; for a city, per area too,
    ``folder/fan_<scenario>_<area>_<fund>.png`` (each area, its reserves, the city total)."""
    written = []
    areas: list[str | None] = [*area_names(ds)] or [None]
    for area in areas:
        one = select_area(ds, area)
        for scenario in one["scenario"].values:
            for fund in one["fund"].values:
                parts = [str(scenario), *([area] if area else []), str(fund)]
                stem = "fan_" + "_".join(check_name(p, "name", "the results") for p in parts)
                fig, shown = figure(one, "fan", lang, str(fund), str(scenario))
                written += write_figure(fig, shown, folder / stem, ("png",), dpi)
    return written


__all__ = ["FORMATS", "figure", "write_fan_charts", "write_figure"]
