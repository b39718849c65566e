"""The money of a month end: contributions, personal accounts, outpatient care, maternity,
subsidies, the critical-illness premium, medical assistance and interest (architecture §2).

:func:`month_end` is a pure function of the month's members and the parameters in force; it
returns the postings in the order the ledger takes them, and the personal accounts' need per
member (fixed in the first month, then carried by the caller).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..codes import ACTIVE, INTEREST_ACCOUNTS, POOL_OF_SCHEME, POOLS, RETIRED, SCHEMES, URRBMI
from .accounts import capped_mean, need_for_share
from .books import Balances, Posting, Postings, transfer
from .critical_illness import settle_contract


@dataclass(frozen=True)
class Month:
    """What a month end needs besides the parameters and the balances."""

    number: int  # calendar month, 1-12
    fraction: float  # of a full month (the horizon may start or end inside one)
    days: float  # the month's days inside the horizon
    year_days: float  # the year's days inside the horizon
    members: NDArray[np.float64]  # weighted member-months of each scheme (× fraction)
    residents_at_end: float  # weighted URRBMI members at the month's end
    wage: float  # the average wage in force, with the year's shock [yuan/year]
    wage_index: float  # the wage over the start's average wage
    base_per_wage: float  # mean contribution base per yuan of average wage
    inflation: float  # medical costs over the start's
    outpatient_per_member: NDArray[np.float64]  # (general, special) × scheme [yuan/year]
    active_births: float  # weighted births to active employees in the year (0 before any)


def month_end(
    s: Mapping[str, Any],
    month: Month,
    balances: Balances,
    account_need: float | None,
    ci: tuple[float, float],
    assistance_opening: float,
) -> tuple[Postings, float | None, float]:
    """Postings of one month end, the personal accounts' need per member-year (at the
    start's costs) and the critical-illness premiums of the contract year so far.

    ``balances`` are the accounts' before these postings (not changed); ``ci`` is the
    contract's (premiums of the year before this month, opening balance of its book).
    """
    out: Postings = []
    running = balances.copy()

    def add(postings: Postings) -> None:
        out.extend(postings)
        running.post(postings)

    members = month.members
    u = "contributions.uebmi"
    base = month.wage * month.base_per_wage / 12 * float(s[f"{u}.compliance"])
    # the personal-account reform (国办发〔2021〕14号), one switch: the employer's whole
    # contribution to the pool, the reformed retiree credit, general outpatient care paid
    # by the pool (before it, by the accounts: part of personal_spend)
    reformed = bool(s[f"{u}.account_reform"])
    employer = members[ACTIVE] * base * float(s[f"{u}.employer_rate"])
    to_personal = 0.0 if reformed else employer * float(s[f"{u}.employer_to_personal"])
    employee = members[ACTIVE] * base * float(s[f"{u}.employee_rate"])
    add(
        [
            Posting("uebmi_pool", "employer_contributions", employer - to_personal),
            Posting("uebmi_personal", "employer_contributions", to_personal),
            Posting("uebmi_personal", "employee_contributions", employee),
        ]
    )
    per_retiree = "retiree_personal_credit" if reformed else "retiree_credit_before_reform"
    credit = members[RETIRED] * float(s[f"{u}.{per_retiree}"])
    add(transfer("uebmi_pool", "retiree_credit_out", "uebmi_personal", "retiree_credit_in", credit))

    # the accounts pay what their members need (outpatient, pharmacy, family use), each as
    # far as the year's credit goes (finance/accounts.py), and no more than the accounts hold:
    # the members' mean need is fixed in the first month by the share of the credits spent
    # before the reform, then grows with medical costs. The pool's general outpatient care
    # after the reform leaves it whole: the reform let the accounts pay the members' own
    # share of their care and their families' (国办发〔2021〕14号)
    general = month.outpatient_per_member[0]
    personal_income = to_personal + employee + credit
    uebmi_members = members[ACTIVE] + members[RETIRED]
    sigma = float(s["finance.personal_account_need_sigma"])
    spend = 0.0
    if uebmi_members > 0:
        if account_need is None:
            before = (
                employer * float(s[f"{u}.employer_to_personal"])
                + employee
                + members[RETIRED] * float(s[f"{u}.retiree_credit_before_reform"])
            )
            share = float(s["finance.personal_account_spend"])
            account_need = need_for_share(share, before * 12 / uebmi_members, sigma)
            account_need /= month.inflation
        use = capped_mean(
            account_need * month.inflation, sigma, personal_income * 12 / uebmi_members
        )
        spend = use * uebmi_members / 12
    held = max(running.yuan("uebmi_personal"), 0.0)
    add([Posting("uebmi_personal", "personal_spend", min(spend, held))])

    # outpatient benefits, paid monthly in proportion to members (employees' general
    # outpatient care by the pool once the reform is in force, by the accounts before)
    for status in range(len(SCHEMES)):
        pool = POOLS[POOL_OF_SCHEME[status]].account
        if status == URRBMI or reformed:
            add([Posting(pool, "outpatient", general[status] * members[status] / 12)])
        special = month.outpatient_per_member[1, status] * members[status] / 12
        add([Posting(pool, "special_outpatient", special)])

    # maternity for births to active employees: medical cost and allowance
    if month.active_births:
        births = month.active_births * month.days / month.year_days
        per_birth = (
            float(s["care.maternity.cost_per_birth"])
            * month.inflation
            * float(s["benefits.uebmi.maternity.ratio"])
            + float(s["benefits.uebmi.maternity.allowance"]) * month.wage_index
        )
        add([Posting("uebmi_pool", "maternity", births * per_birth)])

    # URRBMI: fiscal subsidies in their months; the critical-illness premium monthly
    c = "contributions.urrbmi"
    months = list(s[f"{c}.subsidy_months"])
    if month.number in months:
        subsidy = float(s[f"{c}.fiscal_subsidy"]) * month.residents_at_end / len(months)
        add([Posting("urrbmi_pool", "fiscal_subsidies", subsidy)])
    premium = float(s["benefits.urrbmi.critical_illness.premium"]) * members[URRBMI] / 12
    add(transfer("urrbmi_pool", "ci_premiums_paid", "critical_illness", "ci_premiums", premium))
    premiums, ci_opening = ci[0] + premium, ci[1]
    if month.number == 12:
        add(settle_contract(s, premiums, running.yuan("critical_illness"), ci_opening))
        premiums = 0.0

    # medical assistance: a fixed budget paid monthly, or the month's need
    a = "benefits.medical_assistance"
    if bool(s[f"{a}.fixed_budget"]):
        # the year's budget in full, month by month (by days: leap years included)
        funding = float(s[f"{a}.budget"]) * month.days / month.year_days
    else:
        funding = assistance_opening - running.yuan("medical_assistance")
    add([Posting("medical_assistance", "assistance_budget", max(funding, 0.0))])

    # interest on the pooled funds and personal accounts (positive balances)
    rate = float(s["finance.interest_rate"]) / 12 * month.fraction
    for account in INTEREST_ACCOUNTS:
        balance = running.yuan(account)
        if balance > 0:
            add([Posting(account, "interest", balance * rate)])
    return out, account_need, premiums
