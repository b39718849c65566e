"""The report's tables: key figures, quantiles, depletion by year and percentiles, in
zh or en with units in the headers."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from ..codes import ACCOUNTS, FLOW_CODES, INCOME, POOL_ACCOUNTS, POOLS, WARNING_CODES
from ..plotting.charts import lever_chain
from ..plotting.style import FUNDS_SHOWN, Lang, fund_name, money_unit, scenario_titles
from ..plotting.text import t
from ..results.early_warning import probabilities
from ..results.summary import DEPLETION_PERCENTILES, depletion_percentile

ACCOUNTS_SHOWN = ACCOUNTS  # the five funds of an area (a city's reserves have their own table)

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
    "difference_low": {"zh": "差值P5（{unit}）", "en": "difference P5 [{unit}]"},
    "difference_high": {"zh": "差值P95（{unit}）", "en": "difference P95 [{unit}]"},
    "step": {"zh": "政策", "en": "lever"},
    "p_level": {"zh": "{level}概率", "en": "P({level})"},
    "indicator": {"zh": "指标", "en": "indicator"},
    "unit": {"zh": "单位", "en": "unit"},
    "median": {"zh": "中位数", "en": "median"},
    "median_money": {"zh": "中位数（亿元）", "en": "median [100 million yuan]"},
    "p5": {"zh": "P5", "en": "P5"},
    "p95": {"zh": "P95", "en": "P95"},
    "flow": {"zh": "收支项目", "en": "flow"},
    "direction": {"zh": "收入/支出", "en": "income or spending"},
    "p_any": {"zh": "出现预警的概率", "en": "P(any warning)"},
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
    "warnings": {"zh": "预警概率", "en": "early warnings"},
    "indicators": {"zh": "关键指标", "en": "key indicators"},
    "by_flow": {"zh": "分项收支", "en": "income and spending by flow"},
    "waterfall": {"zh": "政策贡献", "en": "policy contributions"},
}


# the key indicators (issue 17): (key, zh, en, unit zh, unit en, divisor)
KEY_INDICATORS = (
    ("income", "当期收入", "income", "亿元", "100 million yuan", 1e8),
    ("expenditure", "当期支出", "expenditure", "亿元", "100 million yuan", 1e8),
    ("surplus", "当期结余", "yearly balance", "亿元", "100 million yuan", 1e8),
    ("surplus_rate", "当期结余率", "yearly balance over income", "%", "%", 1.0),
    ("balance", "累计结余", "balance at year end", "亿元", "100 million yuan", 1e8),
    ("reserve_months", "累计结余可支付月数", "reserve months", "月", "months", 1.0),
    ("income_per_member", "人均筹资", "income per member", "元", "yuan", 1.0),
    ("spending_per_member", "人均支出", "spending per member", "元", "yuan", 1.0),
    ("members", "参保人数", "members", "万人", "10,000 persons", 1e4),
    ("active_per_retired", "在职退休比", "active members per retiree", "", "", 1.0),
)
# the members of each fund (its schemes' insured)
SCHEMES_OF = {pool.name: pool.schemes for pool in POOLS}
FUND_MEMBERS = {
    **{pool.account: pool.schemes for pool in POOLS},
    "uebmi_personal": SCHEMES_OF["uebmi"],  # the employees' accounts
    "critical_illness": SCHEMES_OF["urrbmi"],  # the residents' cover
}


def indicator_values(one: xr.Dataset, fund: str) -> dict[str, xr.DataArray]:
    """The key indicators of ``fund`` by run and year (of one scenario's results)."""
    f = one.sel(fund=fund)
    surplus = f["income"] - f["expenditure"]
    out = {
        "income": f["income"],
        "expenditure": f["expenditure"],
        "surplus": surplus,
        "surplus_rate": (surplus / f["income"]).where(f["income"] > 0),
        "balance": f["balance"],
        "reserve_months": f["reserve_months"],
    }
    schemes = FUND_MEMBERS.get(fund)
    if schemes is not None and "insured" in one:
        members = one["insured"].sel(scheme=list(schemes)).sum("scheme")
        out["income_per_member"] = (f["income"] / members).where(members > 0)
        out["spending_per_member"] = (f["expenditure"] / members).where(members > 0)
        out["members"] = members
        if "uebmi_retired" in schemes:
            retired = one["insured"].sel(scheme="uebmi_retired")
            out["active_per_retired"] = (one["insured"].sel(scheme="uebmi_active") / retired).where(
                retired > 0
            )
    return out


def indicator_table(
    ds: xr.Dataset, names: Sequence[str], titles: dict[str, str], lang: Lang
) -> pd.DataFrame:
    """The key indicators per scenario, fund and year: the median and the 5–95% band over runs
    (two numeric columns), in the indicator's unit."""
    rows = []
    funds = [str(f) for f in ds["fund"].values if str(f) in ACCOUNTS_SHOWN]
    for s in names:
        one = ds.sel(scenario=s)
        for f in funds:
            values = indicator_values(one, f)
            for key, zh, en, unit_zh, unit_en, divisor in KEY_INDICATORS:
                if key not in values:
                    continue
                q = values[key].quantile([0.05, 0.5, 0.95], dim="run") / divisor
                for y in ds["year"].values:
                    at = q.sel(year=y)
                    rows.append(
                        {
                            h("scenario", lang): titles[s],
                            h("fund", lang): fund_name(f, lang),
                            h("indicator", lang): zh if lang == "zh" else en,
                            h("unit", lang): unit_zh if lang == "zh" else unit_en,
                            h("year", lang): int(y),
                            h("median", lang): _number(at.sel(quantile=0.5)),
                            h("p5", lang): _number(at.sel(quantile=0.05)),
                            h("p95", lang): _number(at.sel(quantile=0.95)),
                        }
                    )
    return pd.DataFrame(rows)


def flow_table(
    ds: xr.Dataset, names: Sequence[str], titles: dict[str, str], lang: Lang
) -> pd.DataFrame:
    """Income and spending by flow: the median over runs per scenario, fund, flow and year
    [亿元 / 100 million yuan], the flows a fund has."""
    rows = []
    funds = [str(f) for f in ds["fund"].values if str(f) in ACCOUNTS_SHOWN]
    direction = {f.name: f.direction for f in FLOW_CODES}
    for s in names:
        flows = ds["by_flow"].sel(scenario=s).median("run") / 1e8
        for f in funds:
            for code in FLOW_CODES:
                series = flows.sel(fund=f, flow=code.name)
                if not bool((series != 0).any()):
                    continue
                for y in ds["year"].values:
                    rows.append(
                        {
                            h("scenario", lang): titles[s],
                            h("fund", lang): fund_name(f, lang),
                            h("flow", lang): code.zh if lang == "zh" else code.en,
                            h("direction", lang): (
                                ("收入" if lang == "zh" else "income")
                                if direction[code.name] == INCOME
                                else ("支出" if lang == "zh" else "spending")
                            ),
                            h("year", lang): int(y),
                            h("median_money", lang): _number(series.sel(year=y)),
                        }
                    )
    return pd.DataFrame(rows)


def _number(value: xr.DataArray) -> float | None:
    x = float(value)
    return None if np.isnan(x) else x


def warning_table(
    ds: xr.Dataset, names: Sequence[str], titles: dict[str, str], lang: Lang
) -> pd.DataFrame:
    """The probability of each early-warning level by scenario, pooled fund and year (the
    share of runs at it), and of any warning."""
    p = probabilities(ds["warning_level"])
    rows = []
    for s in names:
        for f in POOL_ACCOUNTS:
            for y in ds["year"].values:
                at = p.sel(scenario=s, fund=f, year=y)
                row: dict[str, object] = {
                    h("scenario", lang): titles[s],
                    h("fund", lang): fund_name(f, lang),
                    h("year", lang): int(y),
                }
                for code in WARNING_CODES[1:]:
                    level = code.zh if lang == "zh" else code.en
                    row[h("p_level", lang, level=level)] = round(float(at.sel(level=code.name)), 3)
                row[h("p_any", lang)] = round(1 - float(at.sel(level="none")), 3)
                rows.append(row)
    return pd.DataFrame(rows)


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
    if "warning_level" in ds:
        out[SHEETS["warnings"][lang]] = warning_table(ds, names, titles, lang)
    out[SHEETS["indicators"][lang]] = indicator_table(ds, names, titles, lang)
    if "by_flow" in ds:
        out[SHEETS["by_flow"][lang]] = flow_table(ds, names, titles, lang)
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
                        h("difference_low", lang, unit=dunit.label): round(lo, 3),
                        h("difference_high", lang, unit=dunit.label): round(hi, 3),
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
