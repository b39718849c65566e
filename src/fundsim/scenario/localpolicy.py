"""The dozen rules every bureau knows, asked for in the figures file (``local_policy:``).

A planner states them in the words of the local notices; each maps onto the scenario's
parameters (``fundsim/parameters/catalogue.yaml``, by :mod:`.policymap`) over the region template
(``fundsim/templates/defaults.yaml``). What the figures leave out stays the template's, and
``init.md`` says which default stands for it (:mod:`.initreport`).

    local_policy:
      uebmi_employer_rate: 0.08              # or by year: {2019: 0.08, 2023: 0.075}
      uebmi_employee_rate: 0.02
      urrbmi_premium: {2022: 350, 2023: 380} # a number alone: the data year's
      urrbmi_subsidy: {2022: 610, 2023: 640}
      account_reform_date: 2023-01-01        # or false: not yet in force
      uebmi_inpatient: {deductible: {level1: 200, level2: 400, level3: 700},
                        ratio: {level1: 0.93, level2: 0.9, level3: 0.85},
                        ratio_retired: {...}, annual_cap: 300000}
      urrbmi_inpatient: {deductible: ..., ratio: ..., annual_cap: 150000}
      critical_illness_premium: 77           # or by year
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..source.diagnostics import Collector, did_you_mean, valid_names_hint

if TYPE_CHECKING:
    from .figures import Read

LOCAL_LEVELS = ("community", "level1", "level2", "level3")  # what one number for all sets
LEVELS = (*LOCAL_LEVELS, "out_of_area")


@dataclass(frozen=True)
class Figure:
    """One of the dozen: its key in ``local_policy:``, its names and the parameters it sets."""

    key: str
    zh: str
    en: str
    kind: str  # rate, money_by_year, date, money_by_level, ratio_by_level, money
    paths: tuple[str, ...]


DOZEN = (
    Figure(
        "uebmi_employer_rate",
        "职工医保单位缴费费率（含生育保险）",
        "UEBMI employer contribution rate (maternity included)",
        "rate",
        ("contributions.uebmi.employer_rate",),
    ),
    Figure(
        "uebmi_employee_rate",
        "职工医保个人缴费费率",
        "UEBMI employee contribution rate",
        "rate",
        ("contributions.uebmi.employee_rate",),
    ),
    Figure(
        "urrbmi_premium",
        "居民医保个人缴费标准（元/人/年）",
        "URRBMI individual premium [yuan/person/year]",
        "money_by_year",
        ("contributions.urrbmi.individual_premium",),
    ),
    Figure(
        "urrbmi_subsidy",
        "居民医保财政补助标准（元/人/年）",
        "URRBMI fiscal subsidy [yuan/person/year]",
        "money_by_year",
        ("contributions.urrbmi.fiscal_subsidy",),
    ),
    Figure(
        "account_reform_date",
        "门诊共济改革（个人账户改革）实施日期",
        "personal-account reform (门诊共济) date",
        "date",
        ("contributions.uebmi.account_reform",),
    ),
    Figure(
        "uebmi_inpatient.deductible",
        "职工医保住院起付线（元，按医院级别）",
        "UEBMI inpatient deductible by hospital level [yuan]",
        "money_by_level",
        ("benefits.uebmi.inpatient.deductible",),
    ),
    Figure(
        "uebmi_inpatient.ratio",
        "职工医保住院报销比例（在职 ratio、退休 ratio_retired）",
        "UEBMI inpatient reimbursement ratio by level (active; retired as ratio_retired)",
        "ratio_by_level",
        ("benefits.uebmi.inpatient.ratio.active", "benefits.uebmi.inpatient.ratio.retired"),
    ),
    Figure(
        "uebmi_inpatient.annual_cap",
        "职工医保统筹基金年度最高支付限额（元）",
        "UEBMI pool's annual cap [yuan]",
        "money",
        ("benefits.uebmi.inpatient.annual_cap",),
    ),
    Figure(
        "urrbmi_inpatient.deductible",
        "居民医保住院起付线（元，按医院级别）",
        "URRBMI inpatient deductible by hospital level [yuan]",
        "money_by_level",
        ("benefits.urrbmi.inpatient.deductible",),
    ),
    Figure(
        "urrbmi_inpatient.ratio",
        "居民医保住院报销比例（按医院级别）",
        "URRBMI inpatient reimbursement ratio by level",
        "ratio_by_level",
        ("benefits.urrbmi.inpatient.ratio",),
    ),
    Figure(
        "urrbmi_inpatient.annual_cap",
        "居民医保统筹基金年度最高支付限额（元）",
        "URRBMI pool's annual cap [yuan]",
        "money",
        ("benefits.urrbmi.inpatient.annual_cap",),
    ),
    Figure(
        "critical_illness_premium",
        "大病保险筹资标准（元/人/年）",
        "critical-illness premium [yuan/person/year]",
        "money_by_year",
        ("benefits.urrbmi.critical_illness.premium",),
    ),
)
TOP = ("uebmi_employer_rate", "uebmi_employee_rate", "urrbmi_premium", "urrbmi_subsidy",
       "account_reform_date", "uebmi_inpatient", "urrbmi_inpatient", "critical_illness_premium")  # fmt: skip
INPATIENT = {
    "uebmi_inpatient": ("deductible", "ratio", "ratio_retired", "annual_cap"),
    "urrbmi_inpatient": ("deductible", "ratio", "annual_cap"),
}
# beyond any region (the catalogue's limits, fundsim/parameters/catalogue.yaml)
MONEY_MAX = {"money_by_year": 100_000, "money_by_level": 1_000_000, "money": 5_000_000}


# --- reading ---------------------------------------------------------------------------------


def check_local_policy(read: Read, problems: Collector) -> None:
    """``local_policy:`` checked at its lines; the values read are kept in ``read.policy``."""
    raw = read.figures.local_policy
    read.policy = {}
    if not raw:
        return
    for key, value in raw.items():
        if key not in TOP:
            problems.error(
                read.shown,
                read.line("local_policy", key),
                f"local_policy.{key}",
                f"unknown figure '{key}' (未知项目)",
                did_you_mean(key, TOP) or valid_names_hint(TOP),
            )
            continue
        if key in INPATIENT:
            if not isinstance(value, dict):
                problems.error(
                    read.shown,
                    read.line("local_policy", key),
                    f"local_policy.{key}",
                    "is a mapping of the inpatient rules (住院待遇)",
                    f"{key}: {{{', '.join(f'{k}: …' for k in INPATIENT[key])}}}",
                )
                continue
            rules: dict[str, Any] = {}
            for sub, item in value.items():
                if sub not in INPATIENT[key]:
                    problems.error(
                        read.shown,
                        read.line("local_policy", key, sub),
                        f"local_policy.{key}.{sub}",
                        f"unknown rule '{sub}'",
                        did_you_mean(sub, INPATIENT[key]) or valid_names_hint(INPATIENT[key]),
                    )
                    continue
                kind = {"deductible": "money_by_level", "annual_cap": "money"}.get(
                    sub, "ratio_by_level"
                )
                got = _value(read, problems, ("local_policy", key, sub), kind, item)
                if got is not None:
                    rules[sub] = got
            read.policy[key] = rules
            continue
        kind = next(f.kind for f in DOZEN if f.key == key)
        got = _value(read, problems, ("local_policy", key), kind, value)
        if got is not None:
            read.policy[key] = got


def _value(read: Read, problems: Collector, path: tuple[str, ...], kind: str, value: Any) -> Any:
    """One figure of ``kind`` checked: a number, {YEAR: number}, {LEVEL: number}, a date."""
    where = ".".join(path)
    line = read.line(*path)

    def bad(message: str, hint: str) -> None:
        problems.error(read.shown, line, where, message, hint)

    if kind == "date":
        if value is False or isinstance(value, dt.date):
            return value
        bad(
            f"{value!r} is not a date (日期格式不对)",
            "the date the reform took effect, as 2023-01-01, or false if not yet",
        )
        return None
    keys: tuple[str, ...] = ()
    if kind in ("rate", "money_by_year"):
        keys = ("YEAR",)
    elif kind.endswith("by_level"):
        keys = LEVELS
    if isinstance(value, dict) and keys:
        out: dict[Any, float] = {}
        for k, v in value.items():
            at = (*path, k)
            if keys == ("YEAR",):
                if not (isinstance(k, str) and k.isdigit() and 1990 <= int(k) <= 2100):
                    problems.error(
                        read.shown,
                        read.line(*at),
                        ".".join(at),
                        f"'{k}' is not a year",
                        "by year: {2022: …, 2023: …} (values from 1 January of each year)",
                    )
                    continue
                key: Any = int(k)
            else:
                if k not in keys:
                    problems.error(
                        read.shown,
                        read.line(*at),
                        ".".join(at),
                        f"unknown hospital level '{k}' (医院级别)",
                        f"levels {', '.join(keys)} (社区/乡镇, 一级, 二级, 三级, 异地); "
                        "a provincial level: declare region.levels in baseline.yaml after init",
                    )
                    continue
                key = k
            checked = _number(read, problems, at, kind, v)
            if checked is not None:
                out[key] = checked
        return out if len(out) == len(value) and out else None
    return _number(read, problems, path, kind, value)


def _number(
    read: Read, problems: Collector, path: tuple[str, ...], kind: str, value: Any
) -> float | None:
    where, line = ".".join(path), read.line(*path)
    if isinstance(value, bool) or not isinstance(value, int | float):
        hint = "a number"
        if isinstance(value, str) and value.rstrip("%").replace(".", "", 1).isdigit():
            hint = "write the number alone: 0.08 for 8%, 2500 for 2,500 yuan"
        problems.error(read.shown, line, where, f"{value!r} is not a number (应为数字)", hint)
        return None
    number = float(value)
    if kind in ("rate", "ratio_by_level"):
        if 1 < number <= 100:
            problems.error(
                read.shown,
                line,
                where,
                f"{number:g} is not a share (比例应为小数)",
                f"write {number / 100:g} for {number:g}%",
            )
            return None
        if not 0 <= number <= 1:
            problems.error(read.shown, line, where, f"{number:g} is outside 0-1", "a share, 0-1")
            return None
        return number
    high = MONEY_MAX[kind]
    if not 0 <= number <= high:
        problems.error(
            read.shown,
            line,
            where,
            f"{number:g} yuan is outside 0-{high:,} (金额超出范围)",
            "yuan: write 2500 for 2,500 yuan",
        )
        return None
    return number
