"""The shapes a bureau's stocks come in, and how their parts add up.

Bulletins and final accounts (决算) print the insured and the balances of a year end whole or
in parts: the UEBMI insured with or without the active/retired split, one UEBMI balance or the
pool and the personal accounts apart, a total of basic insurance (基本医疗保险合计) beside or
instead of the schemes. The region's own identities (a whole = its parts) give what they
can (:func:`solve`); :func:`check_stocks` refuses, at the figures' lines, what cannot be: a
negative count, a whole that is not its parts, a part larger than its whole, and a stock
neither given nor found (what to add is named). What is still missing, the UEBMI whole's own
split, is filled by national shares (:mod:`.filling`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..source.diagnostics import Collector

if TYPE_CHECKING:
    from .figures import Read

# How the parts of a stock add up (the region's own identities): a whole = its parts.
INSURED_SUMS = (("uebmi", ("uebmi_active", "uebmi_retired")), ("total", ("uebmi", "urrbmi")))
BALANCE_SUMS = (("uebmi", ("uebmi_pool", "uebmi_personal")), ("total", ("uebmi", "urrbmi_pool")))
# the stocks a region is built from; the UEBMI whole is split by a national share when needed
INSURED_PARTS = ("uebmi_active", "uebmi_retired", "urrbmi")
BALANCE_PARTS = ("uebmi_pool", "uebmi_personal", "urrbmi_pool")
NAMES = {  # (zh, en) of the figures' keys, for messages
    "uebmi_active": ("在职职工", "UEBMI active"),
    "uebmi_retired": ("退休职工", "UEBMI retired"),
    "uebmi": ("职工医保", "UEBMI"),
    "urrbmi": ("居民医保", "URRBMI"),
    "urrbmi_pool": ("居民医保", "URRBMI"),
    "uebmi_pool": ("职工医保统筹基金", "UEBMI pool"),
    "uebmi_personal": ("职工医保个人账户", "UEBMI personal accounts"),
    "total": ("基本医疗保险合计", "basic insurance total"),
}
# two printed figures whose sum and printed whole differ by less than this agree (bulletins
# round each figure to 万人 or to 0.01亿元 apart)
SUM_TOLERANCE = 0.005


@dataclass
class Solved:
    """A stock's parts from the figures by the region's own identities (before any national
    share): ``values`` every key known, ``derived`` how each key not written was found."""

    values: dict[str, float]
    derived: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


def solve(given: dict[str, float], sums: tuple[tuple[str, tuple[str, ...]], ...]) -> Solved:
    """Every part and whole ``given`` implies by ``whole = a + b`` (e.g. URRBMI = total − UEBMI,
    UEBMI = active + retired); ``derived[key] = (whole, (minuend, subtrahend...))`` or
    ``(sum, parts)``."""
    values = dict(given)
    derived: dict[str, tuple[str, tuple[str, ...]]] = {}
    changed = True
    while changed:
        changed = False
        for whole, parts in sums:
            known = [p for p in parts if p in values]
            if whole not in values and len(known) == len(parts):
                values[whole] = sum(values[p] for p in parts)
                derived[whole] = ("sum", parts)
                changed = True
            elif whole in values and len(known) == len(parts) - 1:
                (missing,) = [p for p in parts if p not in values]
                values[missing] = values[whole] - sum(values[p] for p in known)
                derived[missing] = ("difference", (whole, *known))
                changed = True
    return Solved(values, derived)


def agree(whole: float, parts: float) -> bool:
    return abs(whole - parts) <= SUM_TOLERANCE * max(abs(whole), abs(parts), 1.0)


def check_stocks(read: Read, problems: Collector) -> None:
    """The data year's insured and balances: no negative count, each whole at least its parts
    and agreeing with them, and enough given to find every stock the region is built from."""
    figures = read.figures
    insured = {k: v for k, v in figures.insured.model_dump().items() if v is not None}
    balances = {k: v for k, v in figures.balances.model_dump().items() if v is not None}
    for key, value in insured.items():
        if value < 0:
            problems.error(
                read.shown,
                read.line("insured", key),
                f"insured.{key}",
                f"{value:g} persons is negative (参保人数不能为负数)",
                "insured are the members at the end of the data year, a count of persons",
            )
    if any(v < 0 for v in insured.values()):
        return
    for section, given, sums in (
        ("insured", insured, INSURED_SUMS),
        ("balances", balances, BALANCE_SUMS),
    ):
        solved = solve(given, sums)
        for whole, members in sums:
            if whole in given and all(p in given for p in members):
                total = sum(given[p] for p in members)
                if not agree(given[whole], total):
                    problems.error(
                        read.shown,
                        read.line(section, whole),
                        f"{section}.{whole}",
                        f"{given[whole]:,.0f} is not {' + '.join(members)} = {total:,.0f} "
                        f"({NAMES[whole][0]}不等于各部分之和)",
                        f"give the whole or its parts, or correct one of them ({section}."
                        f"{', '.join(members)} on lines "
                        f"{', '.join(str(read.line(section, p)) for p in members)})",
                    )
        for key, (how, terms) in solved.derived.items():
            if how == "difference" and section == "insured" and solved.values[key] < 0:
                problems.error(
                    read.shown,
                    read.line(section, terms[0]),
                    f"{section}.{terms[0]}",
                    f"{given[terms[0]]:,.0f} is less than {' + '.join(terms[1:])} "
                    f"= {sum(given[t] for t in terms[1:]):,.0f}: {key} would be negative "
                    f"(合计小于其中部分之和)",
                    "check the figures' units and years",
                )
        if section == "insured":
            missing = _missing_insured(solved.values)
        else:
            missing = _missing_balances(solved.values)
        if missing:
            zh, en = missing
            problems.error(
                read.shown,
                read.line(section),
                section,
                f"{en} ({zh})",
                SHAPES[section],
            )


SHAPES = {
    "insured": "insured in any of these shapes: {uebmi_active: A, uebmi_retired: R, urrbmi: U}, "
    "{uebmi: E, urrbmi: U} (split by the national active:retired ratio), {total: T, urrbmi: U} "
    "or {total: T, uebmi: E}",
    "balances": "balances in any of these shapes: {uebmi_pool: P, uebmi_personal: A, "
    "urrbmi_pool: U}, {uebmi: E, urrbmi_pool: U} (split by the national pool share), "
    "{total: T, urrbmi_pool: U} or {total: T, uebmi: E}",
}


def _missing_insured(values: dict[str, float]) -> tuple[str, str] | None:
    if "urrbmi" not in values:
        return (
            "缺少居民医保参保人数：请填写 urrbmi，或同时填写合计 total 和职工医保 uebmi",
            "the URRBMI insured are missing: add urrbmi, or the total together with uebmi",
        )
    if "uebmi" in values or ("uebmi_active" in values and "uebmi_retired" in values):
        return None
    if "uebmi_active" in values or "uebmi_retired" in values:
        return (
            "只有在职或退休职工之一：请补填另一项，或改填职工医保合计 uebmi",
            "only one of uebmi_active and uebmi_retired: add the other, or give the UEBMI "
            "total as uebmi",
        )
    return (
        "缺少职工医保参保人数：请填写 uebmi（或在职 uebmi_active 和退休 uebmi_retired），或合计 total",
        "the UEBMI insured are missing: add uebmi (or uebmi_active and uebmi_retired), or the "
        "total",
    )


def _missing_balances(values: dict[str, float]) -> tuple[str, str] | None:
    if "urrbmi_pool" not in values:
        return (
            "缺少居民医保累计结余：请填写 urrbmi_pool，或同时填写合计 total 和职工医保 uebmi",
            "the URRBMI balance is missing: add urrbmi_pool, or the total together with uebmi",
        )
    if "uebmi" in values or ("uebmi_pool" in values and "uebmi_personal" in values):
        return None
    if "uebmi_pool" in values or "uebmi_personal" in values:
        return (
            "职工医保统筹基金和个人账户只填了一项：请补填另一项，或改填职工医保结余合计 uebmi",
            "only one of uebmi_pool and uebmi_personal: add the other, or give the UEBMI "
            "balance whole as uebmi",
        )
    return (
        "缺少职工医保累计结余：请填写 uebmi（或统筹 uebmi_pool 和个人账户 uebmi_personal），或合计 total",
        "the UEBMI balance is missing: add uebmi (or uebmi_pool and uebmi_personal), or the total",
    )
