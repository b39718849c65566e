"""The glossary: schemes, sexes, hospital levels, special groups, pools, accounts and flows.

Names as data, on the lowest floor: the model, the results schema, the charts and the reports
loop over these tables and read their labels (zh and en) and colours here, never a literal
of their own. Adding an account or a flow is one row below (and the arithmetic that posts to
it); its position is its code in the ledger and the results, so add rows at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

INCOME, EXPENDITURE = 0, 1


@dataclass(frozen=True)
class Code:
    """One name of the glossary with its labels."""

    name: str
    zh: str
    en: str


@dataclass(frozen=True)
class Account(Code):
    """A ledger account: a fund or a book kept beside one."""

    colour: str
    pooled: bool  # a pooled fund, shown by default on charts and in headlines
    interest: bool = True  # earns the funds' interest on a positive balance


@dataclass(frozen=True)
class Flow(Code):
    """A kind of ledger entry: income or expenditure of the account it is posted to.
    ``internal``: a transfer between the areas of a city and its reserve, left out of the
    city total's income and expenditure (its two sides cancel)."""

    direction: int
    internal: bool = False


@dataclass(frozen=True)
class Pool:
    """A pooled fund and the schemes it covers, with who pays each layer of its claims:
    the pooled fund, the second layer (UEBMI high-cost cover or URRBMI critical illness) and
    medical assistance, each as (account, flow); ``reserve`` is the city's risk adjustment
    reserve of the pool."""

    name: str
    account: str
    schemes: tuple[str, ...]
    payers: tuple[tuple[str, str], tuple[str, str], tuple[str, str]]
    reserve: str


def names(codes: tuple[Code, ...] | tuple[Pool, ...]) -> tuple[str, ...]:
    return tuple(c.name for c in codes)


def labels(codes: tuple[Code, ...], lang: str) -> dict[str, str]:
    """Name -> label in ``lang`` (``"zh"`` or ``"en"``)."""
    return {c.name: c.zh if lang == "zh" else c.en for c in codes}


# Membership status of a person: the first index of every per-scheme array.
SCHEME_CODES = (
    Code("uebmi_active", "职工医保在职", "UEBMI active"),
    Code("uebmi_retired", "职工医保退休", "UEBMI retired"),
    Code("urrbmi", "城乡居民医保", "URRBMI"),
)
SCHEMES = names(SCHEME_CODES)
ACTIVE, RETIRED, URRBMI = (SCHEMES.index(s) for s in ("uebmi_active", "uebmi_retired", "urrbmi"))

SEX_CODES = (Code("male", "男", "male"), Code("female", "女", "female"))
SEXES = names(SEX_CODES)

LEVEL_CODES = (
    Code("community", "基层医疗机构", "community"),
    Code("level1", "一级医院", "level 1"),
    Code("level2", "二级医院", "level 2"),
    Code("level3", "三级医院", "level 3"),
    Code("provincial", "省级/三级特等医院", "provincial"),
    Code("out_of_area", "异地就医", "out of area"),
)
# The hospital levels fundsim knows, lowest first, then the out-of-area place. A region
# declares the local ones its rules distinguish (``region.levels``, by default the four of
# most areas); a level it does not declare has no admissions, and its parameters are filled
# from the nearest declared level's (scenario/levels.py).
LEVELS = names(LEVEL_CODES)
LOCAL_LEVELS = LEVELS[:-1]  # where a member is treated inside the pooling area
DEFAULT_LEVELS = ("community", "level1", "level2", "level3")
# filing status of an out-of-area stay (异地就医), each with its factor on the ratio
FILING_CODES = (
    Code("filed", "已备案", "filed"),
    Code("unfiled", "未备案", "unfiled"),
    Code("emergency", "急诊抢救", "emergency"),
    Code("transfer", "转诊", "referred"),
)
FILINGS = names(FILING_CODES)

# URRBMI special groups (group code 0 is none, then these in order)
SPECIAL_GROUP_CODES = (
    Code("extreme_poverty", "特困人员", "extreme poverty"),
    Code("low_income", "低保对象", "low income"),
)
SPECIAL_GROUPS = names(SPECIAL_GROUP_CODES)

ACCOUNT_CODES = (
    Account("uebmi_pool", "职工医保统筹基金", "UEBMI pooled fund", "#1f5fa6", True),
    Account("uebmi_personal", "职工医保个人账户", "UEBMI personal accounts", "#6baed6", False),
    Account("urrbmi_pool", "居民医保基金", "URRBMI fund", "#c2541b", True),
    # the insurer's book of the contract, and a budget paid as needed: no interest
    Account(
        "critical_illness", "居民大病保险", "critical-illness insurance", "#7b4ea3", False, False
    ),
    Account("medical_assistance", "医疗救助", "medical assistance", "#3b8a3e", False, False),
)
ACCOUNTS = names(ACCOUNT_CODES)
POOLED_ACCOUNTS = tuple(a.name for a in ACCOUNT_CODES if a.pooled)
INTEREST_ACCOUNTS = tuple(a.name for a in ACCOUNT_CODES if a.interest)
# the city's own accounts when a scenario holds several areas: the risk adjustment reserve
# (风险调剂金) of each pool
CITY_ACCOUNT_CODES = (
    Account(
        "uebmi_reserve", "职工医保风险调剂金", "UEBMI risk adjustment reserve", "#0b3d6e", True
    ),
    Account(
        "urrbmi_reserve", "居民医保风险调剂金", "URRBMI risk adjustment reserve", "#7a330f", True
    ),
)
CITY_ACCOUNTS = names(CITY_ACCOUNT_CODES)
ALL_ACCOUNT_CODES = ACCOUNT_CODES + CITY_ACCOUNT_CODES

POOLS = (
    Pool(
        "uebmi",
        "uebmi_pool",
        ("uebmi_active", "uebmi_retired"),
        (
            ("uebmi_pool", "inpatient"),
            ("uebmi_pool", "supplementary"),
            ("medical_assistance", "assistance_claims"),
        ),
        "uebmi_reserve",
    ),
    Pool(
        "urrbmi",
        "urrbmi_pool",
        ("urrbmi",),
        (
            ("urrbmi_pool", "inpatient"),
            ("critical_illness", "critical_illness_claims"),
            ("medical_assistance", "assistance_claims"),
        ),
        "urrbmi_reserve",
    ),
)
POOL_ACCOUNTS = tuple(p.account for p in POOLS)  # the pooled funds' accounts
# the pool of each scheme (by status index), and its name (the parameters' scheme prefix)
POOL_OF_SCHEME = tuple(next(i for i, p in enumerate(POOLS) if s in p.schemes) for s in SCHEMES)
SCHEME_POOL = tuple(POOLS[p].name for p in POOL_OF_SCHEME)  # uebmi, uebmi, urrbmi

FLOW_CODES = (
    Flow("employer_contributions", "单位缴费", "employer contributions", INCOME),
    Flow("employee_contributions", "个人缴费", "employee contributions", INCOME),
    Flow("individual_premiums", "个人缴费", "individual premiums", INCOME),
    Flow("fiscal_subsidies", "财政补助", "fiscal subsidies", INCOME),
    Flow("assistance_premiums", "医疗救助资助参保", "premiums paid by medical assistance", INCOME),
    Flow("ci_premiums", "大病保险保费", "critical-illness premiums", INCOME),
    Flow("assistance_budget", "医疗救助财政资金", "medical assistance budget", INCOME),
    Flow("ci_refund_in", "大病保险超额结余返还", "critical-illness surplus returned", INCOME),
    Flow(
        "ci_loss_shared_in",
        "基金分担大病保险亏损",
        "critical-illness loss shared by the fund",
        INCOME,
    ),
    Flow(
        "ci_insurer_loss", "承办机构承担亏损", "critical-illness loss borne by the insurer", INCOME
    ),
    Flow("retiree_credit_in", "退休人员个人账户划入", "credit to retirees' accounts", INCOME),
    Flow("interest", "利息收入", "interest", INCOME),
    Flow("inpatient", "住院待遇支出", "inpatient benefits", EXPENDITURE),
    Flow("supplementary", "大额医疗补助支出", "supplementary high-cost cover", EXPENDITURE),
    Flow("critical_illness_claims", "大病保险赔付", "critical-illness claims", EXPENDITURE),
    Flow("assistance_claims", "医疗救助支出", "medical assistance for care", EXPENDITURE),
    Flow("outpatient", "普通门诊统筹支出", "general outpatient benefits", EXPENDITURE),
    Flow(
        "special_outpatient",
        "门诊慢特病支出",
        "chronic and special outpatient benefits",
        EXPENDITURE,
    ),
    Flow("maternity", "生育待遇支出", "maternity benefits", EXPENDITURE),
    Flow("personal_spend", "个人账户支出", "personal-account spending", EXPENDITURE),
    Flow("retiree_credit_out", "退休人员个人账户划出", "credit to retirees' accounts", EXPENDITURE),
    Flow("ci_premiums_paid", "大病保险保费支出", "critical-illness premiums paid", EXPENDITURE),
    Flow(
        "ci_refund",
        "超额结余返还基金",
        "critical-illness surplus returned to the fund",
        EXPENDITURE,
    ),
    Flow(
        "ci_insurer_margin",
        "承办机构费用和盈利",
        "critical-illness margin kept by the insurer",
        EXPENDITURE,
    ),
    Flow(
        "ci_loss_shared",
        "分担大病保险亏损",
        "critical-illness loss shared with the insurer",
        EXPENDITURE,
    ),
    Flow(
        "assistance_premiums_paid", "资助参保支出", "premiums paid for special groups", EXPENDITURE
    ),
    Flow("prepayment", "预付金（净额）", "prepayment to hospitals (net)", EXPENDITURE),
    Flow("clearing", "年终清算", "year-end clearing with hospitals", EXPENDITURE),
    Flow(
        "procurement_retention",
        "集采结余留用",
        "procurement savings retained by hospitals",
        EXPENDITURE,
    ),
    # between the areas of a city and its risk adjustment reserve (pooling.*)
    Flow(
        "reserve_contributions",
        "上解调剂金",
        "paid to the risk adjustment reserve",
        EXPENDITURE,
        True,
    ),
    Flow("reserve_contributions_in", "调剂金收入", "contributions from the areas", INCOME, True),
    Flow("reserve_draws", "调剂金拨付", "paid to areas in deficit", EXPENDITURE, True),
    Flow(
        "reserve_draws_in", "调剂金补助收入", "drawn from the risk adjustment reserve", INCOME, True
    ),
    Flow("fiscal_deficit_cover", "地方财政补缺口", "deficit covered by the local budget", INCOME),
    # fund supervision (supervision.*): improper payments recovered, the contract penalties
    # paid into the fund, and what the fund pays for supervision
    Flow("recoveries", "追回违规基金", "improper payments recovered", INCOME),
    Flow("penalties", "违约金收入", "penalties paid into the fund", INCOME),
    Flow("supervision_cost", "基金监管费用", "supervision paid by the fund", EXPENDITURE),
)
FLOW_NAMES = names(FLOW_CODES)
# flows that settle hospital claims (cash basis), replaced by claims by admission date on the
# incurred basis
SETTLED_FLOWS = (
    "inpatient",
    "supplementary",
    "critical_illness_claims",
    "assistance_claims",
    "clearing",
    "prepayment",
    "procurement_retention",
)

# the population accounts of each scheme and year (start + ins − outs = end)
POPULATION_FLOW_CODES = (
    Code("start", "年初人数", "at the start"),
    Code("births", "出生", "births"),
    Code("moved_in", "迁入", "moved in"),
    Code("transfers_in", "转入", "transfers in"),
    Code("deaths", "死亡", "deaths"),
    Code("lapses", "断保", "lapses"),
    Code("moved_out", "迁出", "moved out"),
    Code("transfers_out", "转出", "transfers out"),
    Code("end", "年末人数", "at the end"),
)
POPULATION_FLOWS = names(POPULATION_FLOW_CODES)

# Early-warning levels of a fund in a year (results ``warning_level``: the code's index); each
# indicator's thresholds are parameters (``reporting.warning.*``)
WARNING_CODES = (
    Code("none", "无预警", "no warning"),
    Code("yellow", "黄色预警", "yellow"),
    Code("orange", "橙色预警", "orange"),
    Code("red", "红色预警", "red"),
)
WARNINGS = names(WARNING_CODES)
WARNING_COLOURS = {"none": "#d9d9d9", "yellow": "#f2c744", "orange": "#ee8a2e", "red": "#d62728"}
