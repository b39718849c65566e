"""Every word the charts and the report print, in Chinese and English, in one table."""

from __future__ import annotations

from typing import Literal

from ..codes import ACCOUNT_CODES

TEXT: dict[str, dict[str, str]] = {
    "year": {"zh": "年份", "en": "year"},
    "warnings_title": {"zh": "{fund}：各年预警概率", "en": "{fund}: early warnings by year"},
    "warnings_ylabel": {"zh": "模拟中的占比", "en": "share of runs"},
    "warnings_note": {
        "zh": "各年处于各预警等级的模拟占比（{runs}次模拟）；等级取可支付月数、当期结余率和收支增长率差（三年平均）中最严重者，阈值见参数 reporting.warning",
        "en": "Share of the {runs} runs at each level in each year; a year's level is the worst of the reserve months, the year's balance over income and the growth gap (3-year mean), thresholds in reporting.warning",
    },
    "month": {"zh": "月份", "en": "month"},
    "median": {"zh": "中位数", "en": "median"},
    "mean": {"zh": "均值", "en": "mean"},
    "band_outer": {"zh": "5%–95%区间", "en": "5–95%"},
    "band_inner": {"zh": "25%–75%区间", "en": "25–75%"},
    "runs": {"zh": "{runs}次模拟", "en": "{runs} runs"},
    "zero": {"zh": "零线", "en": "zero"},
    "policy_marks": {"zh": "政策节点：{marks}", "en": "policy changes: {marks}"},
    "month_of": {"zh": "{year}年{month}月", "en": "{date:%b %Y}"},
    "clipped": {
        "zh": "5%–95%区间上端超出纵轴（最高{value:.0f}个月）",
        "en": "the 5–95% band runs above the axis (up to {value:.0f} months)",
    },
    "campaign": {"zh": "居民医保集中征缴期", "en": "URRBMI premium campaign"},
    "reimbursed": {
        "zh": "异地住院{share}未直接结算，由参保人垫付、约{months}个月后报销，相应支出随之推后",
        "en": "{share} of out-of-area stays are not settled directly: reimbursed about {months} months later, so paid later",
    },
    # fan
    "fan_title": {"zh": "{fund}累计结余预测", "en": "{fund}: balance at year end"},
    "fan_note": {
        "zh": "至{year}年末累计结余为负的概率：{p}",
        "en": "probability of a negative balance by the end of {year}: {p}",
    },
    "actual": {"zh": "实际", "en": "actual"},
    "actual_series": {"zh": "{what}实际", "en": "{what}, actual"},
    # income-expenditure
    "ie_title": {"zh": "{fund}当期收支", "en": "{fund}: income and expenditure"},
    "income": {"zh": "收入", "en": "income"},
    "expenditure": {"zh": "支出", "en": "expenditure"},
    "ie_ylabel": {"zh": "年度收支（{unit}）", "en": "per year [{unit}]"},
    "surplus_note": {
        "zh": "当期收不抵支的年份（支出中位数高于收入中位数）：{years}",
        "en": "years with expenditure above income (medians): {years}",
    },
    "none": {"zh": "无", "en": "none"},
    # reserve
    "reserve_title": {"zh": "{fund}可支付月数", "en": "{fund}: reserve in months"},
    "reserve_ylabel": {"zh": "可支付月数（月）", "en": "reserve [months of expenditure]"},
    "zone_short": {"zh": "不足3个月：支付风险", "en": "under 3 months: at risk"},
    "zone_target": {"zh": "6–9个月：合理区间", "en": "6–9 months: target"},
    "zone_excess": {"zh": "超过15个月：结余过多", "en": "over 15 months: excessive"},
    "zone_source": {
        "zh": "区间依据：人社部发〔2009〕67号",
        "en": "zones: MOHRSS guidance Ren She Bu Fa [2009] No. 67",
    },
    # depletion
    "depletion_title": {"zh": "各基金累计结余穿底概率", "en": "Probability of depletion by year"},
    "depletion_ylabel": {
        "zh": "截至当年累计结余已为负的概率",
        "en": "probability depleted by the year end",
    },
    "percentiles_head": {"zh": "穿底年份分位数", "en": "depletion-year percentiles"},
    "never": {"zh": "{year}年前未穿底：{share}", "en": "not depleted by {year}: {share}"},
    "after": {"zh": "{year}年后", "en": "after {year}"},
    # compare
    "compare_title": {"zh": "{fund}累计结余：各方案比较", "en": "{fund}: balance by scenario"},
    "difference_title": {
        "zh": "与基准方案（{baseline}）的配对差值（同一随机数）",
        "en": "paired difference from the baseline (common random numbers)",
    },
    "difference_ylabel": {"zh": "结余差值（{unit}）", "en": "difference in balance [{unit}]"},
    # waterfall
    "waterfall_title": {
        "zh": "{fund}{year}年末累计结余：各项政策的贡献",
        "en": "{fund}: contribution of each policy to the {year} balance",
    },
    "waterfall_ylabel": {"zh": "累计结余（{unit}）", "en": "balance [{unit}]"},
    "waterfall_note": {
        "zh": "按所示顺序逐项叠加（各次模拟的均值，误差线为配对差值5%–95%区间）；顺序不同，各项贡献也不同。",
        "en": "Levers added in the order shown (means over runs; bars: 5–95% of the paired "
        "differences). Another order gives other contributions.",
    },
    "waterfall_start": {"zh": "{scenario}", "en": "{scenario}"},
    "waterfall_end": {"zh": "合计：{scenario}", "en": "total: {scenario}"},
    # cashflow
    "cashflow_title": {
        "zh": "{fund}{name}（{first}–{last}年）",
        "en": "{fund}: {name}, {first}–{last}",
    },
    # generic y labels
    "balance_ylabel": {"zh": "年末累计结余（{unit}）", "en": "balance at year end [{unit}]"},
    # draws (a city's reserve)
    "draws_title": {
        "zh": "{fund}：各地区调剂补助与调剂金结余",
        "en": "{fund}: draws by area and the reserve's balance",
    },
    "drawn_by": {"zh": "{area}获得补助（中位数）", "en": "drawn by {area} (median)"},
    "reserve_balance": {"zh": "调剂金年末结余（中位数）", "en": "the reserve at year end (median)"},
    "money_ylabel": {"zh": "金额（{unit}）", "en": "amount [{unit}]"},
}

# report headings
REPORT: dict[str, dict[str, str]] = {
    "title": {"zh": "基金运行预测报告", "en": "Fund forecast report"},
    "batch": {
        "zh": "{runs}次蒙特卡洛模拟，种子{seed}，{first}–{last}年",
        "en": "{runs} Monte Carlo runs, seed {seed}, {first}–{last}",
    },
    "scenarios": {"zh": "方案与假设", "en": "Scenarios and what they assume"},
    "assumes": {
        "zh": "已公布标准之后的假设：",
        "en": "After the last published values:",
    },
    "why": {"zh": "基金为何穿底或不穿底", "en": "Why each fund does or does not run out"},
    "key_figures": {"zh": "主要指标", "en": "Key figures"},
    "charts": {"zh": "图表", "en": "Charts"},
    "tables": {"zh": "表格（report.xlsx）", "en": "Tables (report.xlsx)"},
}


def t(key: str, lang: Literal["zh", "en"], **values: object) -> str:
    """The text ``key`` in ``lang``, with ``values`` filled in."""
    return TEXT[key][lang].format(**values)


def all_chinese_text() -> str:
    """Every Chinese character a chart or the report may print (for the font check)."""
    parts = [v["zh"] for v in TEXT.values()] + [v["zh"] for v in REPORT.values()]
    parts += [a.zh for a in ACCOUNT_CODES]
    parts += ["亿元万元月人次", "0123456789.-%（）：，、", "①②③④⑤⑥⑦⑧⑨⑩"]
    return "".join(parts)
