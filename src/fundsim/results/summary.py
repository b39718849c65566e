"""Summaries of a batch: what a planner reads off a thousand runs.

``ds.fundsim`` (an xarray accessor, registered on import of :mod:`fundsim.results`, which
:func:`fundsim.simulate` and :func:`fundsim.results.read_results` load; not ``ds.fund``,
which is the fund coordinate):

- ``ds.fundsim.quantiles()``: quantiles 5, 10, 25, 50, 75, 90, 95 of balance, income,
  expenditure and reserve months per scenario, fund and year;
- ``ds.fundsim.prob_negative()``: the share of runs whose balance is negative at each year end
  (the probability that the fund is in deficit that year);
- ``ds.fundsim.prob_depleted()``: the share of runs depleted by each year (balance negative at
  any year end so far);
- ``ds.fundsim.depletion()``: the depletion-year distribution as CBO reports its exhaustion
  dates: the 10th, 25th, 50th, 75th and 90th percentile depletion year (runs never depleted
  count as beyond the horizon: a percentile they decide is reported as "after <last year>"),
  and the share never depleted within the horizon;
- ``ds.fundsim.table()``: all of it as one long table (pandas), for ``summary.csv`` and
  ``summary.xlsx``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .areas import area_names, funds_of, select_area

QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
DEPLETION_PERCENTILES = (10, 25, 50, 75, 90)
SUMMARISED = ("balance", "income", "expenditure", "reserve_months")
LABELS_ZH = {
    "balance": "累计结余",
    "income": "收入",
    "expenditure": "支出",
    "reserve_months": "可支付月数",
    "prob_negative": "当年末结余为负的概率",
    "prob_depleted": "截至当年已穿底的概率",
}
LABELS_EN = {
    "balance": "balance at year end",
    "income": "income",
    "expenditure": "expenditure",
    "reserve_months": "reserve months",
    "prob_negative": "P(balance negative at year end)",
    "prob_depleted": "P(depleted by the year end)",
}


def depletion_percentile(years: np.ndarray, p: float) -> float:
    """The smallest year by which at least ``p``% of runs are depleted; ``inf`` when that
    falls among the runs never depleted (``years`` NaN) within the horizon."""
    ordered = np.sort(np.where(np.isnan(years), np.inf, years))
    return float(ordered[max(int(np.ceil(p / 100 * len(ordered))) - 1, 0)])


def shown_year(year: float, last: int) -> object:
    """A depletion year for a table: the year, or ``after <last year>``."""
    return f"after {last}" if np.isinf(year) else int(year)


@xr.register_dataset_accessor("fundsim")
class FundAccessor:
    """Batch summaries of a results Dataset (``ds.fundsim.…``)."""

    def __init__(self, ds: xr.Dataset) -> None:
        self._ds = ds

    def quantiles(
        self, variables: Sequence[str] = SUMMARISED, q: Sequence[float] = QUANTILES
    ) -> xr.Dataset:
        """Quantiles over runs (new dim ``quantile``) of each variable (NaN where a city's area
        has no such fund: every run NaN there, as expected)."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
            out = self._ds[list(variables)].quantile(list(q), dim="run")
        for name in variables:
            out[name].attrs = dict(self._ds[name].attrs)
        return out

    def prob_negative(self) -> xr.DataArray:
        """Share of runs with a negative balance at each year end."""
        p = (self._ds["balance"] < 0).mean("run")
        p.attrs = {
            "units": "1",
            "long_name": "probability that the balance is negative at the year end",
            "long_name_zh": LABELS_ZH["prob_negative"],
        }
        return p

    def prob_depleted(self) -> xr.DataArray:
        """Share of runs depleted by each year (negative at some year end so far)."""
        depleted = (self._ds["balance"] < 0).cumsum("year") > 0
        p = depleted.mean("run")
        p.attrs = {
            "units": "1",
            "long_name": "probability of depletion by the year end",
            "long_name_zh": LABELS_ZH["prob_depleted"],
        }
        return p

    def depletion(self, percentiles: Sequence[int] = DEPLETION_PERCENTILES) -> pd.DataFrame:
        """Depletion-year percentiles and the share never depleted, per scenario and fund.

        A run never depleted counts as depleting after the horizon; a percentile that falls
        among those runs is shown as ``after <last year>`` (CBO's "beyond the projection
        period")."""
        ds = self._ds
        last = int(ds["year"].max())
        rows = []
        for scenario in ds["scenario"].values:
            areas: list[str | None] = [*area_names(ds)] or [None]
            for area in areas:
                one = select_area(ds.sel(scenario=scenario), area)
                for fund in one["fund"].values:
                    years = one["depletion_year"].sel(fund=fund).values
                    never = np.isnan(years)
                    row: dict[str, object] = {"scenario": str(scenario)}
                    if area is not None:
                        row["area"] = area
                    row["fund"] = str(fund)
                    for p in percentiles:
                        row[f"p{p}"] = shown_year(depletion_percentile(years, p), last)
                    row["never_depleted"] = float(never.mean())
                    row["runs"] = len(years)
                    rows.append(row)
        return pd.DataFrame(rows)

    def table(self) -> pd.DataFrame:
        """One long table: scenario, fund, year, variable, mean and each quantile, and the
        probabilities as their own rows (their value in the ``mean`` column)."""
        q = self.quantiles()
        mean = self._ds[list(SUMMARISED)].mean("run")
        frames = []
        for name in SUMMARISED:
            wide = q[name].to_series().unstack("quantile")
            wide.columns = [f"p{round(c * 100):02d}" for c in wide.columns]
            wide.insert(0, "mean", mean[name].to_series())
            wide.insert(0, "variable_zh", LABELS_ZH[name])
            wide.insert(0, "units", self._ds[name].attrs.get("units", ""))
            wide.insert(0, "variable", name)
            frames.append(wide)
        for name, p in (
            ("prob_negative", self.prob_negative()),
            ("prob_depleted", self.prob_depleted()),
        ):
            wide = p.to_series().to_frame("mean")
            wide.insert(0, "variable_zh", LABELS_ZH[name])
            wide.insert(0, "units", "1")
            wide.insert(0, "variable", name)
            frames.append(wide)
        table = pd.concat(frames).reset_index()
        if "area" in table.columns:  # each area with its own funds
            own = [
                fund in funds_of(area)
                for area, fund in zip(table["area"], table["fund"], strict=True)
            ]
            table = table[own]
        where = ["scenario", "area"] if "area" in table.columns else ["scenario"]
        order = [*where, "fund", "year", "variable", "variable_zh", "units", "mean"]
        rest = [c for c in table.columns if c not in order]
        return table[order + rest].sort_values([*where, "fund", "variable", "year"], kind="stable")


# the summary's columns in its workbook: machine name -> (zh, en)
SUMMARY_COLUMNS = {
    "scenario": ("方案", "scenario"),
    "area": ("区县", "area"),
    "fund": ("基金", "fund"),
    "year": ("年份", "year"),
    "variable": ("指标", "indicator"),
    "units": ("单位", "unit"),
    "mean": ("均值", "mean"),
    "never_depleted": ("至期末未穿底的比例", "share never depleted"),
    "runs": ("模拟次数", "runs"),
}
# a summarised variable's unit in the workbook and the divisor of its stored value
WORKBOOK_UNITS = {
    "yuan": (("亿元", "100 million yuan"), 1e8),
    "months": (("月", "months"), 1.0),
    "1": (("%", "%"), 1.0),
}


def summary_workbook(
    table: pd.DataFrame, depletion: pd.DataFrame, lang: str = "zh"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The summary and the depletion table as the workbook shows them: headers, indicator
    and fund names in ``lang``, money in 亿元 (probabilities stay fractions: a number format
    shows them as percentages); ``summary.csv`` keeps the machine names and yuan."""
    from ..codes import ALL_ACCOUNT_CODES, labels

    zh = lang == "zh"
    k = 0 if zh else 1
    funds = labels(ALL_ACCOUNT_CODES, lang)
    names = LABELS_ZH if zh else LABELS_EN
    out = table.drop(columns=["variable_zh"]).copy()
    stats = [c for c in out.columns if c == "mean" or (c.startswith("p") and c[1:].isdigit())]
    units = {u: WORKBOOK_UNITS.get(u, ((u, u), 1.0)) for u in out["units"].astype(str).unique()}
    out[stats] = out[stats].div(out["units"].astype(str).map(lambda u: units[u][1]), axis=0)
    out["units"] = out["units"].astype(str).map(lambda u: units[u][0][k])
    out["variable"] = out["variable"].map(lambda v: names.get(v, v))
    out["fund"] = out["fund"].map(lambda f: funds.get(f, f))
    out = out.rename(
        columns={c: SUMMARY_COLUMNS[c][k] for c in out.columns if c in SUMMARY_COLUMNS}
    )
    out = out.rename(columns={c: c.upper() for c in stats if c != "mean"})
    shown = depletion.copy()
    shown["fund"] = shown["fund"].map(lambda f: funds.get(f, f))
    percentiles = [c for c in shown.columns if c.startswith("p") and c[1:].isdigit()]
    if zh:  # "after 2035" -> "2035年后"
        for c in percentiles:
            shown[c] = shown[c].map(
                lambda v: f"{v.removeprefix('after ')}年后" if isinstance(v, str) else v
            )
    shown = shown.rename(
        columns={
            c: f"{c.upper()}穿底年份" if zh else f"{c.upper()} depletion year" for c in percentiles
        }
    )
    shown = shown.rename(
        columns={c: SUMMARY_COLUMNS[c][k] for c in shown.columns if c in SUMMARY_COLUMNS}
    )
    return out, shown


def write_summaries(ds: xr.Dataset, folder: Path, lang: str = "zh") -> list[Path]:
    """``summary.csv`` (UTF-8 with BOM, so Excel shows the Chinese; machine names, yuan),
    ``depletion.csv`` and ``summary.xlsx`` (headers and names in ``lang``, money in 亿元 by
    number format, probabilities as percentages, header rows frozen)."""
    from .workbook import PERCENT, write_sheet

    table = ds.fundsim.table()
    depletion = ds.fundsim.depletion()
    csv = folder / "summary.csv"
    table.to_csv(csv, index=False, encoding="utf-8-sig")
    xlsx = folder / "summary.xlsx"
    quantiles, depleted = summary_workbook(table, depletion, lang)
    never = SUMMARY_COLUMNS["never_depleted"][0 if lang == "zh" else 1]
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        write_sheet(writer, quantiles, "分位数" if lang == "zh" else "quantiles")
        write_sheet(writer, depleted, "穿底年份" if lang == "zh" else "depletion", {never: PERCENT})
    depletion_csv = folder / "depletion.csv"
    depletion.to_csv(depletion_csv, index=False, encoding="utf-8-sig")
    return [csv, depletion_csv, xlsx]
