"""Scenario comparison under common random numbers: paired differences per run.

Run r of every scenario shares its random numbers (architecture §2), so ``other − baseline`` in run
r is the policy's effect in that run; its spread across runs is the uncertainty of the
effect itself, far narrower than the spread of either scenario.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..codes import ALL_ACCOUNT_CODES
from .areas import area_names, select_area
from .summary import depletion_percentile, shown_year

BANDS = (0.05, 0.25, 0.5, 0.75, 0.95)
SHOWN = [a.name for a in ALL_ACCOUNT_CODES if a.pooled]
COMPARED = ("balance", "income", "expenditure")


def paired_differences(ds: xr.Dataset, baseline: str) -> xr.Dataset:
    """``other − baseline`` per run for every other scenario (dim ``scenario`` = others)."""
    others = [str(s) for s in ds["scenario"].values if s != baseline]
    diff = ds[list(COMPARED)].sel(scenario=others) - ds[list(COMPARED)].sel(scenario=baseline)
    for name in COMPARED:
        diff[name].attrs = {
            **ds[name].attrs,
            "long_name": f"difference from {baseline}: {ds[name].attrs.get('long_name', name)}",
            "long_name_zh": f"与{baseline}之差：{ds[name].attrs.get('long_name_zh', name)}",
        }
    return diff


def comparison_table(ds: xr.Dataset, baseline: str, year: int | None = None) -> pd.DataFrame:
    """One row per other scenario and fund, at ``year`` (default: the last year).

    Columns: the median paired difference in balance with its 5–95% band, the same for the
    year's income and expenditure, the depletion probability by ``year`` in each scenario
    and its change, and the median depletion year in each (``after <last year>`` when
    fewer than half the runs deplete) and its change.
    """
    areas = area_names(ds)
    if areas:  # a city: each area with its own funds, the total last
        frames = [comparison_table(select_area(ds, a), baseline, year) for a in areas]
        for frame, area in zip(frames, areas, strict=True):
            frame.insert(1, "area", area)
        return pd.concat(frames, ignore_index=True)
    year = int(ds["year"].max()) if year is None else int(year)
    last = int(ds["year"].max())
    diff = paired_differences(ds, baseline).sel(year=year)
    q = diff.quantile(list(BANDS), dim="run")
    depleted = ds.fundsim.prob_depleted().sel(year=year)
    rows = []
    for other in diff["scenario"].values:
        for fund in ds["fund"].values:
            row: dict[str, object] = {
                "scenario": str(other),
                "baseline": baseline,
                "fund": str(fund),
                "year": year,
            }
            for name in COMPARED:
                band = q[name].sel(scenario=other, fund=fund)
                row[f"{name}_diff_median"] = float(band.sel(quantile=0.5))
                row[f"{name}_diff_p05"] = float(band.sel(quantile=0.05))
                row[f"{name}_diff_p95"] = float(band.sel(quantile=0.95))
            p_base = float(depleted.sel(scenario=baseline, fund=fund))
            p_other = float(depleted.sel(scenario=other, fund=fund))
            row["p_depleted_baseline"] = p_base
            row["p_depleted_scenario"] = p_other
            row["p_depleted_change"] = p_other - p_base
            years = ds["depletion_year"].sel(fund=fund)
            m_base = depletion_percentile(years.sel(scenario=baseline).values, 50)
            m_other = depletion_percentile(years.sel(scenario=other).values, 50)
            row["median_depletion_baseline"] = shown_year(m_base, last)
            row["median_depletion_scenario"] = shown_year(m_other, last)
            row["median_depletion_change_years"] = (
                m_other - m_base if np.isfinite(m_base) and np.isfinite(m_other) else None
            )
            rows.append(row)
    return pd.DataFrame(rows)


def format_table(table: pd.DataFrame) -> str:
    """A plain-text table for the terminal and for pasting (money in 10,000 yuan)."""
    lines = []
    area = "area" in table.columns
    header = (
        f"{'scenario':<18} " + (f"{'area':<10} " if area else "") + f"{'fund':<20} "
        f"{'Δ balance 万元 (5–95%)':>32} {'P(depleted) base→scen':>22} {'median depletion':>22}"
    )
    lines.append(header)
    lines.append("-" * len(header))
    if area:  # a city: the pooled funds and the reserves on the terminal (every fund in the files)
        table = table[table["fund"].isin(SHOWN)]
    for _, r in table.iterrows():
        band = (
            f"{r['balance_diff_median'] / 1e4:,.0f} "
            f"({r['balance_diff_p05'] / 1e4:,.0f} to {r['balance_diff_p95'] / 1e4:,.0f})"
        )
        prob = f"{r['p_depleted_baseline']:.0%} → {r['p_depleted_scenario']:.0%}"
        median = f"{r['median_depletion_baseline']} → {r['median_depletion_scenario']}"
        where = f"{r['area']:<10} " if area else ""
        lines.append(
            f"{r['scenario']:<18} {where}{r['fund']:<20} {band:>32} {prob:>22} {median:>22}"
        )
    return "\n".join(lines)


# the comparison's columns in the workbook: machine name -> (zh, en)
WORKBOOK_COLUMNS = {
    "scenario": ("方案", "scenario"),
    "area": ("区县", "area"),
    "baseline": ("基准方案", "baseline"),
    "fund": ("基金", "fund"),
    "year": ("年份", "year"),
    "p_depleted_baseline": ("基准方案穿底概率", "P(depleted) baseline"),
    "p_depleted_scenario": ("本方案穿底概率", "P(depleted) scenario"),
    "p_depleted_change": ("穿底概率变化", "change in P(depleted)"),
    "median_depletion_baseline": ("基准方案穿底年份中位数", "median depletion year, baseline"),
    "median_depletion_scenario": ("本方案穿底年份中位数", "median depletion year, scenario"),
    "median_depletion_change_years": ("穿底年份推迟（年）", "depletion later by [years]"),
}
MEASURES = {
    "balance": ("累计结余差值", "balance difference"),
    "income": ("当期收入差值", "income difference"),
    "expenditure": ("当期支出差值", "expenditure difference"),
}
STATISTICS = {"median": ("中位数", "median"), "p05": ("P5", "P5"), "p95": ("P95", "P95")}


def _named(values: pd.Series, column: str, lang: str) -> tuple[str, pd.Series]:
    """A machine-named column's header in ``lang`` and its values (funds in words)."""
    from ..codes import ALL_ACCOUNT_CODES, labels

    if column == "fund":
        values = values.map(labels(ALL_ACCOUNT_CODES, lang))
    return WORKBOOK_COLUMNS[column][0 if lang == "zh" else 1], values


def _money_header(words: tuple[str, str], lang: str, statistic: str = "") -> str:
    if lang == "zh":
        return f"{words[0]}{statistic}（亿元）"
    return f"{words[1]}{' ' + statistic if statistic else ''} [100 million yuan]"


def workbook_table(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The comparison with headers in ``lang``, fund names in words and money in 亿元 (the
    machine names and yuan stay in comparison.csv)."""
    out = pd.DataFrame(index=table.index)
    for column in table.columns:
        if column in WORKBOOK_COLUMNS:
            head, values = _named(table[column], column, lang)
            out[head] = values
            continue
        measure, _, statistic = column.partition("_diff_")
        stat = STATISTICS[statistic][0 if lang == "zh" else 1]
        out[_money_header(MEASURES[measure], lang, stat)] = table[column] / 1e8
    return out


def bands_table(long: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The paired differences' quantiles with headers in ``lang``, fund names in words and
    money in 亿元."""
    first = [c for c in ("scenario", "area", "fund", "year", "quantile") if c in long.columns]
    long = long[first + [c for c in long.columns if c not in first]]
    long = long.sort_values(first, kind="stable").reset_index(drop=True)
    out = pd.DataFrame(index=long.index)
    for column in long.columns:
        if column in WORKBOOK_COLUMNS:
            head, values = _named(long[column], column, lang)
            out[head] = values
        elif column == "quantile":
            out["分位点" if lang == "zh" else "quantile"] = [
                f"P{round(q * 100)}" for q in long[column]
            ]
        elif column in MEASURES:
            out[_money_header(MEASURES[column], lang)] = long[column] / 1e8
    return out


def write_comparison(ds: xr.Dataset, baseline: str, folder: Path, lang: str = "zh") -> list[Path]:
    """``comparison.csv`` (UTF-8 with BOM, machine names, yuan, the last year) and
    ``comparison.xlsx`` (every year, headers in ``lang``, money in 亿元 by number format, and
    the paired differences' bands)."""
    from .workbook import write_sheet

    table = comparison_table(ds, baseline)
    every = pd.concat(
        [comparison_table(ds, baseline, int(y)) for y in ds["year"].values], ignore_index=True
    )
    bands = paired_differences(ds, baseline).quantile(list(BANDS), dim="run")
    if "area" in bands.dims:  # each area with its own funds
        bands = bands.sel(area=area_names(ds))
    long = bands_table(bands.to_dataframe().reset_index(), lang)
    csv = folder / "comparison.csv"
    table.to_csv(csv, index=False, encoding="utf-8-sig")
    xlsx = folder / "comparison.xlsx"
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        sheet = "方案对比（各年）" if lang == "zh" else "comparison by year"
        write_sheet(writer, workbook_table(every, lang), sheet)
        write_sheet(writer, long, "配对差异分位数" if lang == "zh" else "paired bands")
    return [csv, xlsx]
