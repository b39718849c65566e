"""The results contract (architecture §4): the one place that names, sizes and labels results.

Every variable carries ``units``, ``long_name`` and ``long_name_zh``. Money is yuan.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..codes import ACCOUNT_CODES, ACCOUNTS, POPULATION_FLOWS, SCHEME_CODES, SCHEMES


@dataclass(frozen=True)
class Variable:
    dims: tuple[str, ...]
    units: str
    long_name: str
    long_name_zh: str
    areal: bool = True  # a city's results hold it per area (after ``run``)


RUN = ("scenario", "run")
VARIABLES: dict[str, Variable] = {
    "income": Variable((*RUN, "year", "fund"), "yuan", "income", "基金收入"),
    "expenditure": Variable(
        (*RUN, "year", "fund"), "yuan", "expenditure (cash basis)", "基金支出（收付实现制）"
    ),
    "balance": Variable((*RUN, "year", "fund"), "yuan", "balance at year end", "年末累计结存"),
    "reserve_months": Variable(
        (*RUN, "year", "fund"), "months", "reserve in months of expenditure", "可支付月数"
    ),
    "cash_balance": Variable((*RUN, "month", "fund"), "yuan", "balance at month end", "月末结存"),
    "insured": Variable((*RUN, "year", "scheme"), "persons", "insured at year end", "年末参保人数"),
    "admissions": Variable((*RUN, "year", "scheme"), "cases", "inpatient admissions", "住院人次"),
    "depletion_year": Variable(
        (*RUN, "fund"), "year", "first year with a negative balance", "基金首次出现累计赤字年份"
    ),
    # beyond the contract
    "expenditure_incurred": Variable(
        (*RUN, "year", "fund"), "yuan", "expenditure (incurred basis)", "基金支出（权责发生制）"
    ),
    "monthly_income": Variable((*RUN, "month", "fund"), "yuan", "income in the month", "当月收入"),
    "monthly_expenditure": Variable(
        (*RUN, "month", "fund"), "yuan", "expenditure in the month", "当月支出"
    ),
    "by_flow": Variable(
        (*RUN, "year", "fund", "flow"), "yuan", "income or expenditure by flow", "分项收支"
    ),
    "bed_days": Variable((*RUN, "year", "scheme"), "days", "inpatient bed days", "住院床日"),
    "inpatient_cost": Variable(
        (*RUN, "year", "scheme"), "yuan", "total inpatient cost", "住院总费用"
    ),
    "population": Variable(
        (*RUN, "year", "scheme", "population_flow"),
        "persons",
        "population accounts",
        "参保人数变动",
    ),
    "deficit_uncovered": Variable(
        (*RUN, "year", "fund"),
        "yuan",
        "deficit left uncovered when the city's reserve ran short (city scenarios)",
        "风险调剂金不足、未能弥补的基金缺口",
    ),
    "pooling_mode": Variable(
        (*RUN, "year"),
        "1",
        "pooling between the areas at the year end (0 separate, 1 reserve, 2 one city fund)",
        "年末统筹模式（0各县分别统筹，1风险调剂金，2市级统收统支）",
        areal=False,
    ),
    "warning_level": Variable(
        (*RUN, "year", "fund"),
        "1",
        "early-warning level (0 none, 1 yellow, 2 orange, 3 red; results.early_warning)",
        "基金运行风险预警等级（0无，1黄色，2橙色，3红色）",
    ),
    "births_to_members": Variable(
        (*RUN, "year", "scheme"), "births", "births to insured mothers", "参保人生育数"
    ),
}
# The variables the results contract fixes (architecture §4) (the others are welcome additions): a results file without
# any of them is not fundsim's.
CONTRACT = (
    "income",
    "expenditure",
    "balance",
    "reserve_months",
    "cash_balance",
    "insured",
    "admissions",
    "depletion_year",
)
COORD_ATTRS = {
    "fund": {
        "long_name": "fund account",
        "long_name_zh": "基金账户",
        "labels_zh": ",".join(a.zh for a in ACCOUNT_CODES),
    },
    "scheme": {
        "long_name": "scheme",
        "long_name_zh": "参保类别",
        "labels_zh": ",".join(s.zh for s in SCHEME_CODES),
    },
    "year": {"long_name": "year", "long_name_zh": "年份"},
    "month": {"long_name": "month", "long_name_zh": "月份"},
}
FUNDS = ACCOUNTS
SCHEME_NAMES = SCHEMES
POPULATION_FLOW_NAMES = POPULATION_FLOWS
