"""Charts: every function returns Axes with titles and labels from the attrs, draws the
bands and lines it should, and writes non-empty files; Chinese falls back to English with
one warning when there is no CJK font, and never draws a missing glyph when there is one.

The Dataset here is synthetic (deterministic, in the results contract's shape and attrs), so
these tests and the opt-in image comparison do not move when the model does.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.collections import PolyCollection
from matplotlib.patches import Rectangle
from matplotlib.text import Text

import fundsim.results  # noqa: F401  (registers ds.fundsim)
from fundsim.codes import ACCOUNTS
from fundsim.plotting import charts, style
from fundsim.plotting.figures import FORMATS, figure, write_figure
from fundsim.plotting.style import money_unit
from fundsim.results.schema import COORD_ATTRS, VARIABLES

IMAGES = Path(__file__).resolve().parents[1] / "images"
HAS_CJK = style.cjk_font() is not None


def synthetic(runs: int = 40, seed: int = 0) -> xr.Dataset:
    """Three scenarios (baseline, +DRG, combined) over 2021–2030 in the contract's shape: the
    URRBMI pool runs dry around 2027 in the baseline, later with the reforms."""
    rng = np.random.default_rng(seed)
    scenarios = ["baseline", "drg", "combined"]
    years = np.arange(2021, 2031)
    months = pd.date_range("2021-01-01", periods=12 * len(years), freq="MS")
    shape = (len(scenarios), runs, len(years), len(ACCOUNTS))
    level = np.array([8e8, 2e8, 5e8, 3e7, 2e7])  # yearly income per fund [yuan]
    growth = 1.03 ** (years - 2021)
    income = level * growth[:, None] * (1 + 0.02 * rng.standard_normal(shape))
    cost_trend = np.array([1.0, 0.97, 0.95])[:, None, None, None]
    gap = np.array([0.95, 0.9, 1.04, 0.97, 1.0])  # expenditure / income at the start
    spend_growth = (1.07 + 0.01 * rng.standard_normal((1, runs, 1, 1))) ** (years - 2021)[:, None]
    expenditure = level * gap * spend_growth * cost_trend * (1 + 0.02 * rng.standard_normal(shape))
    opening = level * 0.7
    balance = opening + np.cumsum(income - expenditure, axis=2)
    reserve = balance / (expenditure / 12)
    negative = balance < 0
    first = np.where(negative.any(axis=2), years[np.argmax(negative, axis=2)], np.nan)
    # monthly cash: the year's path with a fourth-quarter premium bump for URRBMI
    bump = np.where(np.arange(12) >= 9, 0.3, -0.1)[:, None] * level[None, :] / 4  # (12, fund)
    monthly = np.repeat(balance, 12, axis=2) + np.tile(bump, (len(years), 1))
    # the default thresholds of reporting.warning, for every year
    from fundsim.results import early_warning

    limits = np.array([[[9.0, 6.0, 3.0], [0.0, -0.05, -0.10], [0.01, 0.03, 0.05]]] * len(years))
    pooled = np.array([f in ("uebmi_pool", "urrbmi_pool") for f in ACCOUNTS])
    warning = np.empty(shape, dtype=np.int8)
    for s in range(shape[0]):
        for r in range(runs):
            values = early_warning.indicators(income[s, r], expenditure[s, r], reserve[s, r])
            warning[s, r] = early_warning.levels(values, limits, pooled)
    data = {
        "income": income,
        "expenditure": expenditure,
        "balance": balance,
        "reserve_months": reserve,
        "cash_balance": monthly[:, :, : len(months)],
        "depletion_year": first,
        "warning_level": warning,
    }
    ds = xr.Dataset(
        {
            name: (
                VARIABLES[name].dims,
                values,
                {
                    "units": VARIABLES[name].units,
                    "long_name": VARIABLES[name].long_name,
                    "long_name_zh": VARIABLES[name].long_name_zh,
                },
            )
            for name, values in data.items()
        },
        coords={
            "scenario": scenarios,
            "run": np.arange(runs),
            "year": ("year", years, COORD_ATTRS["year"]),
            "fund": ("fund", list(ACCOUNTS), COORD_ATTRS["fund"]),
            "month": ("month", months.to_numpy(), COORD_ATTRS["month"]),
            "scenario_title_zh": ("scenario", ["基准情景", "DRG付费改革（70%）", "综合改革"]),
            "scenario_title_en": ("scenario", ["Baseline", "DRG payment (70%)", "Combined"]),
            "scenario_levers": ("scenario", ["", "drg.yaml", "drg.yaml|procurement.yaml"]),
        },
    )
    return ds


@pytest.fixture(scope="module")
def ds() -> xr.Dataset:
    return synthetic()


def polys(ax: plt.Axes) -> list[PolyCollection]:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def lines(ax: plt.Axes) -> list:  # type: ignore[type-arg]
    """Data lines (not the zero line, connectors or policy marks: two-point lines; not the
    dashed edges of bands)."""
    return [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2 and ln.get_linestyle() == "-"]


def edges(ax: plt.Axes) -> list:  # type: ignore[type-arg]
    """The dashed edges of bands."""
    return [ln for ln in ax.get_lines() if ln.get_linestyle() == "--" and len(ln.get_xdata()) > 2]


LANGS = ["zh", "en"] if HAS_CJK else ["en"]


@pytest.mark.parametrize("lang", LANGS)
def test_fan_bands_median_labels_and_depletion_note(ds: xr.Dataset, lang: str) -> None:
    ax = charts.fan(ds, "urrbmi_pool", "baseline", lang=lang)
    attrs = ds["balance"].attrs
    assert (attrs["long_name_zh"] if lang == "zh" else attrs["long_name"]) in ax.get_ylabel()
    unit = money_unit(ds["balance"].sel(scenario="baseline", fund="urrbmi_pool"), lang)
    assert unit.label in ax.get_ylabel()
    assert ax.get_xlabel() == ds["year"].attrs["long_name_zh" if lang == "zh" else "long_name"]
    assert ("Baseline" if lang == "en" else "基准情景") in ax.get_title()
    # the outer band as its two parts outside the inner one: three areas, none painted twice
    assert len(polys(ax)) == 3 and len(lines(ax)) == 1
    assert any(ln.get_ydata()[0] == 0 for ln in ax.get_lines())  # the zero line
    p = float(ds.fundsim.prob_depleted().sel(scenario="baseline", fund="urrbmi_pool")[-1])
    assert any(f"{p:.0%}" in text.get_text() for text in ax.texts)
    # the median drawn is the median over runs, in the unit shown
    median = ds["balance"].sel(scenario="baseline", fund="urrbmi_pool").median("run")
    np.testing.assert_allclose(lines(ax)[0].get_ydata(), median / unit.divisor)
    plt.close("all")


@pytest.mark.parametrize("lang", LANGS)
def test_income_expenditure_two_medians_with_bands(ds: xr.Dataset, lang: str) -> None:
    ax = charts.income_expenditure(ds, "urrbmi_pool", lang=lang)
    assert len(lines(ax)) == 2 and len(polys(ax)) == 2 and len(edges(ax)) == 4
    assert ax.get_ylim()[0] == 0  # money from zero
    names = [ln.get_label() for ln in lines(ax)]
    key = "long_name_zh" if lang == "zh" else "long_name"
    assert names[0] == ds["income"].attrs[key]
    assert ds["expenditure"].attrs[key].startswith(names[1])
    assert ax.get_title() and ax.get_ylabel() and ax.get_xlabel()
    plt.close("all")


@pytest.mark.parametrize("lang", LANGS)
def test_reserve_zones_bands_and_median(ds: xr.Dataset, lang: str) -> None:
    zones = charts.ReserveZones(short=2.0, target=(5.0, 8.0), excessive=12.0)
    ax = charts.reserve(ds, "urrbmi_pool", lang=lang, zones=zones)
    assert len(ax.patches) == 3  # the three zones
    assert len(polys(ax)) == 3 and len(lines(ax)) == 1  # the bands' three parts and the median
    assert [round(p.get_y(), 6) for p in ax.patches][1:] == [5.0, 12.0]
    assert len(ax.get_legend().legend_handles) == 6
    key = "long_name_zh" if lang == "zh" else "long_name"
    assert ds["reserve_months"].attrs[key] in ax.get_ylabel()
    assert any("2009" in text.get_text() for text in ax.texts)  # the guidance is cited
    plt.close("all")


@pytest.mark.parametrize("lang", LANGS)
def test_depletion_lines_per_fund_with_percentiles(ds: xr.Dataset, lang: str) -> None:
    ax = charts.depletion(ds, "baseline", funds=["uebmi_pool", "urrbmi_pool"], lang=lang)
    assert len(ax.get_lines()) == 2
    p = ds.fundsim.prob_depleted().sel(scenario="baseline", fund="urrbmi_pool")
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), p)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert all("P10" in t and "P50" in t and "P90" in t for t in legend)
    assert ax.get_title() and ax.get_ylabel() and ax.get_xlabel()
    plt.close("all")


@pytest.mark.parametrize("lang", LANGS)
def test_compare_and_difference_one_band_and_line_per_scenario(ds: xr.Dataset, lang: str) -> None:
    ax = charts.compare(ds, "urrbmi_pool", lang=lang)
    assert len(lines(ax)) == 3 and len(polys(ax)) == 3 and len(edges(ax)) == 6
    assert [ln.get_color() for ln in lines(ax)] == list(style.scenario_colors(ds).values())
    ax = charts.difference(ds, "urrbmi_pool", lang=lang)
    assert len(lines(ax)) == 2 and len(polys(ax)) == 2
    balance = ds["balance"].sel(fund="urrbmi_pool")
    paired = (balance.sel(scenario="drg") - balance.sel(scenario="baseline")).median("run")
    unit = money_unit(
        (balance.sel(scenario=["drg", "combined"]) - balance.sel(scenario="baseline")).quantile(
            [0.05, 0.95], dim="run"
        ),
        lang,
    )
    np.testing.assert_allclose(lines(ax)[0].get_ydata(), paired / unit.divisor)
    plt.close("all")


@pytest.mark.parametrize("lang", LANGS)
def test_waterfall_steps_add_up_along_the_lever_chain(ds: xr.Dataset, lang: str) -> None:
    assert charts.lever_chain(ds) == ["baseline", "drg", "combined"]
    ax = charts.waterfall(ds, "urrbmi_pool", 2030, lang=lang)
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 4  # start, two steps, total
    start, step1, step2, end = (b.get_height() for b in bars)
    assert start + step1 + step2 == pytest.approx(end, rel=1e-9)
    unit = money_unit(ds["balance"].sel(fund="urrbmi_pool", year=2030).mean("run"), lang)
    mean = ds["balance"].sel(fund="urrbmi_pool", year=2030).mean("run") / unit.divisor
    assert end == pytest.approx(float(mean.sel(scenario="combined")))
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[1].startswith("+") and ticks[2].startswith("+")
    assert ax.get_xlabel()  # the note that the order matters
    plt.close("all")


def test_a_waterfall_step_is_named_by_its_policy_files_title(ds: xr.Dataset) -> None:
    """combined adds procurement.yaml, which no scenario of the batch holds alone: its step
    is named by the file's own title (stored by the batch), not by the file name."""
    titles = ['{}', '{"drg.yaml": ["DRG付费改革", "DRG payment"]}',
              '{"drg.yaml": ["DRG付费改革", "DRG payment"], '
              '"procurement.yaml": ["集中带量采购扩面", "Extended procurement"]}']  # fmt: skip
    named = ds.assign_coords(scenario_lever_titles=("scenario", titles))
    ax = charts.waterfall(named, "urrbmi_pool", 2030, lang="en")
    labels = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
    assert "+Extended procurement" in labels and "+procurement" not in labels
    plt.close("all")
    ax = charts.waterfall(ds, "urrbmi_pool", 2030, lang="en")  # results made before: the file
    assert "+procurement" in [t.get_text() for t in ax.get_xticklabels()]
    plt.close("all")


@pytest.mark.parametrize("lang", LANGS)
def test_cashflow_shades_the_campaign_of_the_residents_fund_only(ds: xr.Dataset, lang: str) -> None:
    marked = ds.assign_coords(scenario_campaign=("scenario", ["10-15/12-31"] * 3))
    ax = charts.cashflow(marked, "urrbmi_pool", years=3, lang=lang)
    assert len(lines(ax)) == 1 and len(lines(ax)[0].get_xdata()) == 36
    assert len(polys(ax)) == 3  # the bands' parts
    spans = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(spans) == 3  # one campaign a year, 15 October to 31 December
    import matplotlib.dates as mdates

    first = mdates.num2date(spans[0].get_x())
    assert (first.month, first.day) == (10, 15)
    key = "long_name_zh" if lang == "zh" else "long_name"
    name = ds["cash_balance"].attrs[key]
    assert name in ax.get_ylabel() and name in ax.get_title()  # the title says what the axis is
    plt.close("all")
    ax = charts.cashflow(marked, "uebmi_pool", years=3, lang=lang)
    assert not [p for p in ax.patches if isinstance(p, Rectangle)]  # employees pay monthly
    plt.close("all")
    # the lag of out-of-area stays reimbursed after the patient files: said under the chart
    for away, said in (("0.58/3", True), ("1/3", False)):
        late = ds.assign_coords(scenario_out_of_area=("scenario", [away] * 3))
        ax = charts.cashflow(late, "urrbmi_pool", years=3, lang=lang)
        notes = " ".join(t.get_text() for t in ax.texts)
        assert ("42%" in notes and "3" in notes) == said, notes
        plt.close("all")


def test_each_band_has_its_legend_patchs_colour(ds: xr.Dataset) -> None:
    """No area is painted twice: the outer band is drawn as the two parts outside the inner
    one, so what the reader sees is the colour the legend shows."""
    from matplotlib.colors import to_rgba

    ax = charts.fan(ds, "urrbmi_pool", "baseline", lang="en")
    q = (
        ds["balance"]
        .sel(scenario="baseline", fund="urrbmi_pool")
        .quantile([0.05, 0.25, 0.75, 0.95], dim="run")
    )
    unit = money_unit(ds["balance"].sel(scenario="baseline", fund="urrbmi_pool"), "en")
    q = (q / unit.divisor).values
    bands = polys(ax)
    assert len(bands) == 3
    legend = {t.get_text(): h for t, h in zip(ax.get_legend().get_texts(),
                                               ax.get_legend().legend_handles, strict=True)}  # fmt: skip
    outer, inner = legend["5–95%"], legend["25–75%"]
    colours = [tuple(to_rgba(b.get_facecolor()[0])) for b in bands]
    assert colours[0] == colours[1] == tuple(to_rgba(outer.get_facecolor()))
    assert colours[2] == tuple(to_rgba(inner.get_facecolor()))
    # the parts meet the inner band at its edges: 5–25%, 75–95%, then 25–75%
    for band, (low, high) in zip(bands, ((q[0], q[1]), (q[2], q[3]), (q[1], q[2])), strict=True):
        ys = band.get_paths()[0].vertices[:, 1]
        assert np.isclose(ys.min(), low.min()) and np.isclose(ys.max(), high.max())
    plt.close("all")


def test_a_reserve_band_clipped_by_the_axis_says_so(ds: xr.Dataset) -> None:
    ax = charts.reserve(ds, "urrbmi_pool", lang="en")
    notes = " ".join(t.get_text() for t in ax.texts)
    top = float(ds["reserve_months"].sel(scenario="baseline", fund="urrbmi_pool")
                .quantile(0.95, dim="run").max())  # fmt: skip
    assert ("runs above the axis" in notes) == (top > ax.get_ylim()[1])
    plt.close("all")
    high = ds.copy()
    high["reserve_months"] = high["reserve_months"] * 20  # far above the excessive zone
    ax = charts.reserve(high, "urrbmi_pool", lang="en")
    top = float(high["reserve_months"].sel(scenario="baseline", fund="urrbmi_pool")
                .quantile(0.95, dim="run").max())  # fmt: skip
    assert top > ax.get_ylim()[1]
    assert f"up to {top:.0f} months" in " ".join(t.get_text() for t in ax.texts)
    plt.close("all")


EVENTS = [
    '[["2023-01-01", "职工医保个人账户改革", "personal-account reform", ["uebmi"]]]',
    '[["2022-01-01", "DRG付费改革", "DRG payment reform", ["uebmi", "urrbmi"]],'
    ' ["2023-01-01", "职工医保个人账户改革", "personal-account reform", ["uebmi"]]]',
    '[["2022-01-01", "DRG付费改革", "DRG payment reform", ["uebmi", "urrbmi"]],'
    ' ["2040-01-01", "after the horizon", "after the horizon", ["uebmi", "urrbmi"]]]',
]


@pytest.mark.parametrize("lang", LANGS)
def test_dated_policy_changes_are_marked_on_the_time_axis(ds: xr.Dataset, lang: str) -> None:
    marked = ds.assign_coords(scenario_events=("scenario", EVENTS))

    def marks(ax: plt.Axes) -> list[float]:
        vertical = [ln for ln in ax.get_lines() if len(set(map(float, ln.get_xdata()))) == 1]
        return [float(ln.get_xdata()[0]) for ln in vertical]

    ax = charts.fan(marked, "uebmi_pool", "drg", lang=lang)
    assert marks(ax) == [2021.5, 2022.5]  # between the points of the year before and the year
    notes = " ".join(t.get_text() for t in ax.texts)
    reform = "职工医保个人账户改革" if lang == "zh" else "personal-account reform"
    assert "①" in notes and "②" in notes and reform in notes
    plt.close("all")
    # the residents' fund: the employees' reform is not its change
    ax = charts.fan(marked, "urrbmi_pool", "drg", lang=lang)
    assert marks(ax) == [2021.5] and reform not in " ".join(t.get_text() for t in ax.texts)
    plt.close("all")
    # a change after the shown years is not drawn, and the axis keeps its limits
    ax = charts.fan(marked, "urrbmi_pool", "combined", lang=lang)
    assert marks(ax) == [2021.5] and ax.get_xlim()[1] < 2032
    plt.close("all")
    # the depletion chart shows every fund: every fund's changes (the employees' reform too)
    ax = charts.depletion(marked, "drg", funds=["uebmi_pool", "urrbmi_pool"], lang=lang)
    assert marks(ax) == [2021.5, 2022.5]
    plt.close("all")
    # results without the coordinate (made before the marks) draw none
    ax = charts.fan(ds, "uebmi_pool", "drg", lang=lang)
    assert marks(ax) == []
    plt.close("all")


def test_a_tornado_of_money_not_from_zero_says_so() -> None:
    from fundsim.plotting.sensitivity import tornado_chart

    rows = pd.DataFrame(
        {"input": ["care.cost_trend", "wage_growth"], "base": [5.0, 5.0], "low": [4.0, 4.5],
         "high": [6.5, 5.2], "swing": [2.5, 0.7]}
    )  # fmt: skip
    ax = tornado_chart(rows, "urrbmi_pool.balance_2030", "en")
    assert "not from zero" in ax.get_xlabel()
    plt.close("all")
    ax = tornado_chart(rows.assign(low=[-1.0, 4.5]), "urrbmi_pool.balance_2030", "en")
    assert "not from zero" not in ax.get_xlabel()
    plt.close("all")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_warnings_stack_each_levels_share_of_runs(ds: xr.Dataset, lang: str) -> None:
    from fundsim.plotting.funds import warnings

    ax = warnings(ds, "urrbmi_pool", "baseline", lang=lang)
    bars = [p for p in ax.patches if p.get_height() > 0]
    level = ds["warning_level"].sel(scenario="baseline", fund="urrbmi_pool")
    assert bars and max(p.get_y() + p.get_height() for p in bars) <= 1.0 + 1e-9
    last = [p for p in bars if round(p.get_x() + p.get_width() / 2) == 2030]
    assert sum(p.get_height() for p in last) == pytest.approx(
        float((level.isel(year=-1) > 0).mean())
    )
    plt.close("all")


def test_money_units_fit_the_magnitude() -> None:
    assert money_unit(np.array([3e8, -1e8]), "zh").label == "亿元"
    assert money_unit(np.array([5e6]), "zh").label == "万元"
    assert money_unit(np.array([5e6]), "en").label == "million yuan"
    assert money_unit(np.array([5e5]), "en").label == "thousand yuan"
    assert charts.year_ranges([2025, 2026, 2027, 2030], "en") == "2025–2027, 2030"
    assert charts.year_ranges([2025, 2026, 2030], "zh") == "2025–2026年、2030年"


def test_bad_names_are_clear_errors(ds: xr.Dataset) -> None:
    with pytest.raises(ValueError, match=r"no fund 'x'.*urrbmi_pool"):
        charts.fan(ds, "x")
    with pytest.raises(ValueError, match=r"no scenario 'y'.*baseline"):
        charts.fan(ds, "urrbmi_pool", "y")
    with pytest.raises(ValueError, match=r"no year 1999"):
        charts.waterfall(ds, "urrbmi_pool", 1999)
    with pytest.raises(ValueError, match=r"the chain names scenario 'baseline' more than once"):
        charts.waterfall(ds, "urrbmi_pool", chain=["baseline", "drg", "baseline"])  # red team E10
    with pytest.raises(ValueError, match="unknown chart kind"):
        figure(ds, "pie")


@pytest.mark.parametrize("kind", charts.KINDS)
def test_every_kind_writes_non_empty_files_in_every_format(
    ds: xr.Dataset, kind: str, tmp_path: Path
) -> None:
    fig, shown = figure(ds, kind, "en", "urrbmi_pool")
    paths = write_figure(fig, shown, tmp_path / kind, FORMATS, dpi=60)
    assert [p.suffix for p in paths] == [".png", ".svg", ".pdf"]
    assert all(p.stat().st_size > 1000 for p in paths)
    assert not list(tmp_path.glob(".*partial*"))


def test_without_a_cjk_font_chinese_falls_back_to_english_once(
    ds: xr.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(style, "cjk_font", lambda: None)
    monkeypatch.setattr(style, "_warned", False)
    with pytest.warns(style.FontWarning, match="no Chinese"):
        fig, shown = figure(ds, "fan", "zh")
    assert shown == "en"
    assert "balance" in fig.axes[0].get_ylabel()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig2, _ = figure(ds, "depletion", "zh")  # warned once only, no missing glyphs
        fig2.canvas.draw()
    plt.close("all")


@pytest.mark.skipif(not HAS_CJK, reason="no CJK font on this machine")
@pytest.mark.parametrize("kind", charts.KINDS)
def test_chinese_charts_have_every_glyph(ds: xr.Dataset, kind: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        fig, shown = figure(ds, kind, "zh", "urrbmi_pool")
        with style.chart_style(shown):
            fig.canvas.draw()
    assert shown == "zh"
    assert any("基金" in t.get_text() for ax in fig.axes for t in [ax.title])
    plt.close("all")


@pytest.mark.parametrize("kind", ["fan", "compare", "waterfall"])
def test_titles_from_the_data_are_drawn_as_written_never_as_tex(
    ds: xr.Dataset, kind: str, tmp_path: Path
) -> None:
    hostile = ["$\\frac{$", "cost $5 and $", "$x^{$"]
    titled = ds.assign_coords(scenario_title_en=("scenario", hostile))
    fig, shown = figure(titled, kind, "en", "urrbmi_pool")
    texts = [t for t in fig.findobj(Text) if t.get_text()]
    assert texts and not any(t.get_parse_math() or t.get_usetex() for t in texts)
    drawn = " ".join(t.get_text() for t in texts)
    assert "$\\frac{$" in drawn or "$x^{$" in drawn or "cost $5 and $" in drawn
    paths = write_figure(fig, shown, tmp_path / kind, ("png", "svg"), dpi=60)  # no ParseError
    assert all(p.stat().st_size > 1000 for p in paths)


def test_a_character_no_font_has_is_one_fundsim_warning(ds: xr.Dataset, tmp_path: Path) -> None:
    titled = ds.assign_coords(scenario_title_en=("scenario", ["\U00013000 test", "b", "c"]))
    fig, shown = figure(titled, "fan", "en", "urrbmi_pool")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write_figure(fig, shown, tmp_path / "fan", ("png", "svg"), dpi=60)
    assert [w.category for w in caught] == [style.FontWarning]  # one, and not matplotlib's
    assert "no glyph for U+13000 (EGYPTIAN HIEROGLYPH A001): drawn as a box" in str(
        caught[0].message
    )


def test_reserve_months_of_a_fund_without_spending_are_refused_not_drawn(
    ds: xr.Dataset,
) -> None:
    empty = ds.copy(deep=True)
    empty["reserve_months"].loc[{"fund": "critical_illness"}] = np.nan
    with pytest.raises(ValueError, match="no reserve months to draw: the fund critical_illness"):
        figure(empty, "reserve", "en", "critical_illness")
    plt.close("all")


def test_early_warnings_of_a_fund_that_is_not_pooled_are_refused_not_drawn(
    ds: xr.Dataset,
) -> None:
    """Only the pooled funds are warned about (red team E10): a personal account's levels are
    0 by design, and a chart of them would read as "no risk"."""
    with pytest.raises(ValueError, match="no early warnings to draw for the fund uebmi_personal"):
        figure(ds, "warnings", "en", "uebmi_personal")
    plt.close("all")


# --- opt-in image comparison: FUNDSIM_IMAGE_TESTS=1 compares, =update rewrites the baselines
IMAGE_MODE = os.environ.get("FUNDSIM_IMAGE_TESTS", "")


@pytest.mark.skipif(not IMAGE_MODE, reason="image comparison is opt-in: FUNDSIM_IMAGE_TESTS=1")
@pytest.mark.parametrize("kind", charts.KINDS)
def test_layout_matches_the_reference_image(ds: xr.Dataset, kind: str, tmp_path: Path) -> None:
    from matplotlib.testing.compare import compare_images

    fig, shown = figure(ds, kind, "en", "urrbmi_pool")
    out = write_figure(fig, shown, tmp_path / kind, ("png",), dpi=80)[0]
    reference = IMAGES / f"{kind}.png"
    if IMAGE_MODE == "update" or not reference.exists():
        IMAGES.mkdir(exist_ok=True)
        reference.write_bytes(out.read_bytes())
        pytest.skip(f"wrote the reference {reference}")
    assert compare_images(str(reference), str(out), tol=2.0) is None
