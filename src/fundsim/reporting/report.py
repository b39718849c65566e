"""``fundsim report``: every standard chart in PNG, SVG and PDF, ``report.xlsx`` (one sheet per
table, headers with units) and ``report.md`` (the key figures), in Chinese or English.

Charts (under ``figures/<lang>/``): a fan chart per scenario and pooled fund; for the
baseline (the first scenario) income-expenditure, reserve and cashflow per pooled fund; the
depletion chart per scenario; compare per pooled fund; a waterfall per pooled fund along the
chain of levers (:func:`~fundsim.plotting.charts.lever_chain`) when the batch has one.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..codes import POOLS
from ..plotting.charts import lever_chain
from ..plotting.figures import FORMATS, figure, write_figure
from ..plotting.style import FUNDS_SHOWN, Lang, fund_name, language, money_unit, scenario_titles
from ..plotting.text import REPORT, t
from ..results import headline
from ..results.areas import area_label
from ..results.io import move_into_place
from ..results.places import check_name, check_replaceable, mark
from ..results.summary import DEPLETION_PERCENTILES, depletion_percentile
from .areas import SHEET as AREA_SHEET

HEADERS = {
    "scenario": {"zh": "方案", "en": "scenario"},
    "fund": {"zh": "基金", "en": "fund"},
    "year": {"zh": "年份", "en": "year"},
    "p_depleted": {"zh": "至{year}年穿底概率", "en": "P(depleted by {year})"},
    "median_depletion": {"zh": "穿底年份中位数", "en": "median depletion year"},
    "balance_median": {
        "zh": "{year}年末累计结余中位数（{unit}）",
        "en": "median balance {year} [{unit}]",
    },
    "reserve_median": {
        "zh": "{year}年末可支付月数中位数（月）",
        "en": "median reserve {year} [months]",
    },
    "quantile": {"zh": "P{q}（{unit}）", "en": "P{q} [{unit}]"},
    "months_quantile": {"zh": "P{q}（月）", "en": "P{q} [months]"},
    "income": {"zh": "收入中位数（{unit}）", "en": "median income [{unit}]"},
    "expenditure": {"zh": "支出中位数（{unit}）", "en": "median expenditure [{unit}]"},
    "percentile": {"zh": "穿底年份P{p}", "en": "depletion year P{p}"},
    "never": {"zh": "期内未穿底比例", "en": "share never depleted"},
    "difference": {
        "zh": "与{baseline}结余差值中位数（{unit}）",
        "en": "median difference from {baseline} [{unit}]",
    },
    "difference_band": {"zh": "差值5%–95%区间（{unit}）", "en": "difference 5–95% [{unit}]"},
    "step": {"zh": "政策", "en": "lever"},
    "contribution": {
        "zh": "{year}年末结余贡献均值（{unit}）",
        "en": "mean contribution to the {year} balance [{unit}]",
    },
}
SHEETS = {
    "key": {"zh": "主要指标", "en": "key figures"},
    "balance": {"zh": "累计结余分位数", "en": "balance quantiles"},
    "flows": {"zh": "当期收支", "en": "income and expenditure"},
    "reserve": {"zh": "可支付月数", "en": "reserve months"},
    "depleted": {"zh": "穿底概率", "en": "P(depleted)"},
    "percentiles": {"zh": "穿底年份分位数", "en": "depletion years"},
    "compare": {"zh": "方案比较", "en": "scenario comparison"},
    "waterfall": {"zh": "政策贡献", "en": "policy contributions"},
}


def h(key: str, lang: Lang, **values: object) -> str:
    return HEADERS[key][lang].format(**values)


def _depletion_year(first: np.ndarray, p: float, last: int, lang: Lang) -> object:
    year = depletion_percentile(first, p)
    return t("after", lang, year=last) if np.isinf(year) else int(year)


def tables(
    ds: xr.Dataset, lang: Lang, chain: Sequence[str] | None = None
) -> dict[str, pd.DataFrame]:
    """The report's tables, keyed by sheet name in ``lang``."""
    names = [str(s) for s in ds["scenario"].values]
    titles = scenario_titles(ds, lang, short=False)
    funds = [str(f) for f in ds["fund"].values if str(f) in FUNDS_SHOWN]
    last = int(ds["year"].values[-1])
    unit = money_unit(ds["balance"].sel(fund=funds).median("run"), lang)
    depleted = ds.fundsim.prob_depleted()
    rows = []
    for s in names:
        for f in funds:
            first = ds["depletion_year"].sel(scenario=s, fund=f).values
            rows.append(
                {
                    h("scenario", lang): titles[s],
                    h("fund", lang): fund_name(f, lang),
                    h("p_depleted", lang, year=last): round(
                        float(depleted.sel(scenario=s, fund=f, year=last)), 3
                    ),
                    h("median_depletion", lang): _depletion_year(first, 50, last, lang),
                    h("balance_median", lang, year=last, unit=unit.label): round(
                        float(ds["balance"].sel(scenario=s, fund=f, year=last).median())
                        / unit.divisor,
                        2,
                    ),
                    h("reserve_median", lang, year=last): round(
                        float(ds["reserve_months"].sel(scenario=s, fund=f, year=last).median()), 1
                    ),
                }
            )
    out = {SHEETS["key"][lang]: pd.DataFrame(rows)}

    def quantile_table(variable: str, money: bool) -> pd.DataFrame:
        q = ds[variable].sel(fund=funds).quantile([0.05, 0.25, 0.5, 0.75, 0.95], dim="run")
        records = []
        for s in names:
            for f in funds:
                for y in ds["year"].values:
                    row = {
                        h("scenario", lang): titles[s],
                        h("fund", lang): fund_name(f, lang),
                        h("year", lang): int(y),
                    }
                    for qq in (5, 25, 50, 75, 95):
                        v = float(q.sel(scenario=s, fund=f, year=y, quantile=qq / 100))
                        key = (
                            h("quantile", lang, q=qq, unit=unit.label)
                            if money
                            else h("months_quantile", lang, q=qq)
                        )
                        row[key] = round(v / unit.divisor, 3) if money else round(v, 2)
                    records.append(row)
        return pd.DataFrame(records)

    out[SHEETS["balance"][lang]] = quantile_table("balance", True)
    flows = []
    for s in names:
        for f in funds:
            inc = ds["income"].sel(scenario=s, fund=f).median("run")
            exp = ds["expenditure"].sel(scenario=s, fund=f).median("run")
            for y in ds["year"].values:
                flows.append(
                    {
                        h("scenario", lang): titles[s],
                        h("fund", lang): fund_name(f, lang),
                        h("year", lang): int(y),
                        h("income", lang, unit=unit.label): round(
                            float(inc.sel(year=y)) / unit.divisor, 3
                        ),
                        h("expenditure", lang, unit=unit.label): round(
                            float(exp.sel(year=y)) / unit.divisor, 3
                        ),
                    }
                )
    out[SHEETS["flows"][lang]] = pd.DataFrame(flows)
    out[SHEETS["reserve"][lang]] = quantile_table("reserve_months", False)
    wide = depleted.sel(fund=funds).to_dataframe(name="p")["p"].unstack("year").round(3)
    wide.index = [f"{titles[str(s)]} · {fund_name(str(f), lang)}" for s, f in wide.index]
    wide.columns = [int(c) for c in wide.columns]
    out[SHEETS["depleted"][lang]] = wide.rename_axis(
        f"{h('scenario', lang)} · {h('fund', lang)}"
    ).reset_index()
    pct = []
    for s in names:
        for f in funds:
            first = ds["depletion_year"].sel(scenario=s, fund=f).values
            row: dict[str, object] = {
                h("scenario", lang): titles[s],
                h("fund", lang): fund_name(f, lang),
            }
            for p in DEPLETION_PERCENTILES:
                row[h("percentile", lang, p=p)] = _depletion_year(first, p, last, lang)
            row[h("never", lang)] = round(float(np.mean(np.isnan(first))), 3)
            pct.append(row)
    out[SHEETS["percentiles"][lang]] = pd.DataFrame(pct)
    if len(names) > 1:
        base = names[0]
        diff = ds["balance"].sel(fund=funds, year=last)
        diff = diff.sel(scenario=names[1:]) - diff.sel(scenario=base)
        dunit = money_unit(diff.quantile([0.05, 0.95], dim="run"), lang)
        cmp_rows = []
        for s in names[1:]:
            for f in funds:
                d = diff.sel(scenario=s, fund=f) / dunit.divisor
                lo, med, hi = (float(v) for v in d.quantile([0.05, 0.5, 0.95], dim="run"))
                cmp_rows.append(
                    {
                        h("scenario", lang): titles[s],
                        h("fund", lang): fund_name(f, lang),
                        h(
                            "difference",
                            lang,
                            baseline=scenario_titles(ds, lang)[base],
                            unit=dunit.label,
                        ): round(med, 3),
                        h("difference_band", lang, unit=dunit.label): f"{lo:.3f} – {hi:.3f}",
                        h("p_depleted", lang, year=last): round(
                            float(depleted.sel(scenario=s, fund=f, year=last)), 3
                        ),
                    }
                )
        out[SHEETS["compare"][lang]] = pd.DataFrame(cmp_rows)
    chain = list(chain) if chain is not None else lever_chain(ds)
    if len(chain) > 1:
        short = scenario_titles(ds, lang)
        steps = []
        bal = ds["balance"].sel(fund=funds, year=last) / unit.divisor
        for f in funds:
            steps.append(
                {
                    h("fund", lang): fund_name(f, lang),
                    h("step", lang): short[chain[0]],
                    h("contribution", lang, year=last, unit=unit.label): round(
                        float(bal.sel(scenario=chain[0], fund=f).mean()), 3
                    ),
                }
            )
            for a, b in itertools.pairwise(chain):
                delta = float((bal.sel(scenario=b, fund=f) - bal.sel(scenario=a, fund=f)).mean())
                steps.append(
                    {
                        h("fund", lang): fund_name(f, lang),
                        h("step", lang): "+" + short[b],
                        h("contribution", lang, year=last, unit=unit.label): round(delta, 3),
                    }
                )
        out[SHEETS["waterfall"][lang]] = pd.DataFrame(steps)
    return out


def chart_list(ds: xr.Dataset) -> list[tuple[str, dict[str, object]]]:
    """(kind, arguments) of every chart of the report."""
    names = [str(s) for s in ds["scenario"].values]
    funds = [str(f) for f in ds["fund"].values if str(f) in FUNDS_SHOWN]
    charts: list[tuple[str, dict[str, object]]] = []
    for s in names:
        charts += [("fan", {"fund": f, "scenario": s}) for f in funds]
        charts.append(("depletion", {"scenario": s}))
    for kind in ("income-expenditure", "reserve", "cashflow"):
        for f in funds:
            months = ds["reserve_months"].sel(scenario=names[0], fund=f)
            if kind == "reserve" and bool(months.isnull().all()):  # a fund that spends nothing
                continue
            charts.append((kind, {"fund": f, "scenario": names[0]}))
    if len(names) > 1:
        charts += [("compare", {"fund": f}) for f in funds]
    if len(lever_chain(ds)) > 1:
        charts += [("waterfall", {"fund": f}) for f in funds]
    return charts


def _stem(kind: str, args: dict[str, object]) -> str:
    """A chart's file name; names from the results must be plain (no '/' or '..')."""
    parts = [kind] + [
        check_name(str(args[k]), k, "the results") for k in ("scenario", "fund") if k in args
    ]
    return "_".join(parts)


def write_report(
    ds: xr.Dataset,
    folder: Path,
    lang: str = "zh",
    formats: Sequence[str] = FORMATS,
    dpi: int = 200,
    manifest: dict[str, object] | None = None,
    replace: bool = False,
    areas: pd.DataFrame | None = None,
    city: xr.Dataset | None = None,
) -> list[Path]:
    """Write the report into ``folder``: built beside it, marked as fundsim's, then moved into
    place in one step; a failure leaves nothing behind.

    ``replace``: whether an existing report fundsim wrote at ``folder`` may be replaced (a
    folder holding anything else never is: :func:`~fundsim.results.places.check_replaceable`).
    """
    check_replaceable(folder, "report", replace)
    shown = language(lang)
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        figures = _write_contents(ds, partial, shown, formats, dpi, manifest, areas, city)
        check_replaceable(folder, "report", replace)  # nothing appeared meanwhile
        move_into_place(partial, folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    written = [folder / p.relative_to(partial) for p in figures]
    written += [folder / "report.xlsx", folder / "report.md"]
    return written


def _write_contents(
    ds: xr.Dataset,
    partial: Path,
    shown: Lang,
    formats: Sequence[str],
    dpi: int,
    manifest: dict[str, object] | None,
    areas: pd.DataFrame | None = None,
    city: xr.Dataset | None = None,
) -> list[Path]:
    figures: list[Path] = []
    if city is not None:  # the reserve: every area's draws
        for pool in POOLS:
            for s in [str(x) for x in city["scenario"].values]:
                fig, used = figure(city, "draws", shown, pool.account, s)
                named: dict[str, object] = {"fund": pool.account, "scenario": s}
                stem = partial / "figures" / shown / _stem("draws", named)
                figures += write_figure(fig, used, stem, formats, dpi)
    for kind, args in chart_list(ds):
        fig, used = figure(ds, kind, shown, **args)  # type: ignore[arg-type]
        paths = write_figure(
            fig, used, partial / "figures" / shown / _stem(kind, args), formats, dpi
        )
        figures += paths
    sheets = tables(ds, shown)
    if areas is not None:  # a city's: every area, whichever the report shows
        sheets[AREA_SHEET[0 if shown == "zh" else 1]] = areas
    with pd.ExcelWriter(partial / "report.xlsx", engine="openpyxl") as writer:
        for name, table in sheets.items():
            table.to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            for column in sheet.columns:
                width = max(len(str(c.value or "")) for c in column)
                sheet.column_dimensions[column[0].column_letter].width = min(
                    max(10, width * 1.6 + 2), 60
                )
            sheet.freeze_panes = "A2"
    (partial / "report.md").write_text(
        _markdown(ds, shown, sheets, figures, partial, manifest, areas), encoding="utf-8"
    )
    mark(partial, "report")
    return figures


def _markdown(
    ds: xr.Dataset,
    lang: Lang,
    sheets: dict[str, pd.DataFrame],
    figures: list[Path],
    root: Path,
    manifest: dict[str, object] | None,
    areas: pd.DataFrame | None = None,
) -> str:
    years = ds["year"].values
    meta = manifest or {}
    lines = [
        f"# {REPORT['title'][lang]}",
        "",
        REPORT["batch"][lang].format(
            runs=ds.sizes["run"],
            seed=meta.get("seed", "?"),
            first=int(years[0]),
            last=int(years[-1]),
        ),
        "",
    ]
    titles = scenario_titles(ds, lang, short=False)
    lines += [f"- `{n}`: {titles[n]}" for n in titles]
    lines += ["", f"## {REPORT['scenarios'][lang]}", ""]
    for i, n in enumerate(titles):
        lines += [f"### {titles[n]}", ""]
        for key in ("description", "assumptions"):
            coord = f"scenario_{key}_{lang}"
            text = str(ds[coord].values[i]) if coord in ds.coords else ""
            if not text:
                continue
            if key == "assumptions":
                lines += [REPORT["assumes"][lang], ""]
                lines += [f"- {line}" for line in text.splitlines()]
            else:
                lines.append(text)
            lines.append("")
    why = headline.explain(ds, lang)
    if why:
        lines += [f"## {REPORT['why'][lang]}", ""]
        lines += [f"- {line}" for line in why]
        lines.append("")
    lines += [
        "",
        f"## {REPORT['key_figures'][lang]}",
        "",
        _md_table(sheets[SHEETS["key"][lang]]),
        "",
    ]
    if areas is not None:
        shown = area_label(ds, str(ds.attrs.get("area", "total")), lang)
        lines += [
            f"## {AREA_SHEET[0 if lang == 'zh' else 1]}",
            "",
            (
                f"本报告的图表为：{shown}。"
                if lang == "zh"
                else f"The charts of this report show: {shown}."
            ),
            "",
            _md_table(areas),
            "",
        ]
    lines += [f"## {REPORT['charts'][lang]}", ""]
    stems: dict[Path, list[str]] = {}
    for p in figures:
        stems.setdefault(p.with_suffix(""), []).append(p.suffix[1:])
    for stem, kinds in stems.items():
        rel = stem.relative_to(root).as_posix()
        lines.append(f"- `{rel}`: " + ", ".join(f"[{k}]({rel}.{k})" for k in kinds))
    lines += ["", f"## {REPORT['tables'][lang]}", ""]
    lines += [f"- {name}" for name in sheets]
    return "\n".join(lines) + "\n"


def _md_table(table: pd.DataFrame) -> str:
    """A pandas table as Markdown (no extra dependency)."""
    head = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    rows = ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def read_manifest(results: Path) -> dict[str, object] | None:
    path = (
        results.parent / "manifest.json" if results.suffix == ".nc" else results / "manifest.json"
    )
    try:
        manifest: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
        return manifest
    except (OSError, ValueError):
        return None
