"""The fund ledger: dated entries in whole fen, so the accounts add up exactly.

Every entry is (day, account, flow, amount). A flow is either income or expenditure of its
account; a transfer between accounts is two entries, expenditure of one and income of the
other, on the same day. An amount may be negative (a recovered advance reduces
expenditure). Balances may go negative: depletion is observed, never blocked. Amounts are
kept as integers in fen (0.01 yuan), so for every account and period
closing = opening + income − expenditure holds exactly, not to rounding.

Each account's turnover (the sum of its entries' sizes) is held below :data:`MAX_FEN`, so no
total of a period and no balance can leave the 64-bit integers the totals are kept in; a
scenario whose money grows past it (amounts and growth rates each within their bounds,
compounded beyond any region) stops with a :class:`MoneyOverflow`, an input error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..scenario.diagnostics import InputError

ACCOUNTS = ("uebmi_pool", "uebmi_personal", "urrbmi_pool", "critical_illness", "medical_assistance")
ACCOUNT_NAMES_ZH = {
    "uebmi_pool": "职工医保统筹基金",
    "uebmi_personal": "职工医保个人账户",
    "urrbmi_pool": "居民医保基金",
    "critical_illness": "居民大病保险",
    "medical_assistance": "医疗救助",
}
ACCOUNT_NAMES_EN = {
    "uebmi_pool": "UEBMI pooled fund",
    "uebmi_personal": "UEBMI personal accounts",
    "urrbmi_pool": "URRBMI fund",
    "critical_illness": "critical-illness insurance",
    "medical_assistance": "medical assistance",
}
INCOME, EXPENDITURE = 0, 1
MAX_FEN = 2**62  # 4.6e16 yuan: 5,000 years of China's health spending


class MoneyOverflow(InputError):
    """An account's money grew beyond what the ledger holds (exit 2)."""


# flow name -> (direction, English, Chinese)
FLOWS: dict[str, tuple[int, str, str]] = {
    "employer_contributions": (INCOME, "employer contributions", "单位缴费"),
    "employee_contributions": (INCOME, "employee contributions", "个人缴费"),
    "individual_premiums": (INCOME, "individual premiums", "个人缴费"),
    "fiscal_subsidies": (INCOME, "fiscal subsidies", "财政补助"),
    "assistance_premiums": (INCOME, "premiums paid by medical assistance", "医疗救助资助参保"),
    "ci_premiums": (INCOME, "critical-illness premiums", "大病保险保费"),
    "assistance_budget": (INCOME, "medical assistance budget", "医疗救助财政资金"),
    "ci_refund_in": (INCOME, "critical-illness surplus returned", "大病保险超额结余返还"),
    "ci_loss_shared_in": (
        INCOME,
        "critical-illness loss shared by the fund",
        "基金分担大病保险亏损",
    ),
    "ci_insurer_loss": (INCOME, "critical-illness loss borne by the insurer", "承办机构承担亏损"),
    "retiree_credit_in": (INCOME, "credit to retirees' accounts", "退休人员个人账户划入"),
    "interest": (INCOME, "interest", "利息收入"),
    "inpatient": (EXPENDITURE, "inpatient benefits", "住院待遇支出"),
    "supplementary": (EXPENDITURE, "supplementary high-cost cover", "大额医疗补助支出"),
    "critical_illness_claims": (EXPENDITURE, "critical-illness claims", "大病保险赔付"),
    "assistance_claims": (EXPENDITURE, "medical assistance for care", "医疗救助支出"),
    "outpatient": (EXPENDITURE, "general outpatient benefits", "普通门诊统筹支出"),
    "special_outpatient": (
        EXPENDITURE,
        "chronic and special outpatient benefits",
        "门诊慢特病支出",
    ),
    "maternity": (EXPENDITURE, "maternity benefits", "生育待遇支出"),
    "personal_spend": (EXPENDITURE, "personal-account spending", "个人账户支出"),
    "retiree_credit_out": (EXPENDITURE, "credit to retirees' accounts", "退休人员个人账户划出"),
    "ci_premiums_paid": (EXPENDITURE, "critical-illness premiums paid", "大病保险保费支出"),
    "ci_refund": (EXPENDITURE, "critical-illness surplus returned to the fund", "超额结余返还基金"),
    "ci_insurer_margin": (
        EXPENDITURE,
        "critical-illness margin kept by the insurer",
        "承办机构费用和盈利",
    ),
    "ci_loss_shared": (
        EXPENDITURE,
        "critical-illness loss shared with the insurer",
        "分担大病保险亏损",
    ),
    "assistance_premiums_paid": (EXPENDITURE, "premiums paid for special groups", "资助参保支出"),
    "prepayment": (EXPENDITURE, "prepayment to hospitals (net)", "预付金（净额）"),
    "clearing": (EXPENDITURE, "year-end clearing with hospitals", "年终清算"),
    "procurement_retention": (
        EXPENDITURE,
        "procurement savings retained by hospitals",
        "集采结余留用",
    ),
}
FLOW_NAMES = tuple(FLOWS)
_ACCOUNT_INDEX = {name: i for i, name in enumerate(ACCOUNTS)}
_FLOW_INDEX = {name: i for i, name in enumerate(FLOW_NAMES)}
_FLOW_SIGN = {name: 1 if FLOWS[name][0] == INCOME else -1 for name in FLOW_NAMES}


@dataclass
class Ledger:
    """Dated entries of every account; opening balances in fen."""

    opening: NDArray[np.int64]
    _day: list[float] = field(default_factory=list)
    _account: list[int] = field(default_factory=list)
    _flow: list[int] = field(default_factory=list)
    _amount: list[int] = field(default_factory=list)
    running: list[int] = field(init=False)  # balance of each account [fen], Python ints
    turnover: list[int] = field(init=False)  # sum of each account's entry sizes [fen]

    def __post_init__(self) -> None:
        self.running = [int(x) for x in self.opening]
        self.turnover = [abs(int(x)) for x in self.opening]

    @classmethod
    def open(cls, balances: dict[str, float]) -> Ledger:
        return cls(opening=np.array([to_fen(balances[a]) for a in ACCOUNTS], dtype=np.int64))

    def post(self, day: float, account: str, flow: str, amount: float) -> None:
        """Record ``amount`` yuan of ``flow`` on ``account`` on ``day`` (rounded to the fen)."""
        fen = to_fen(amount)
        if fen == 0:
            return
        a = _ACCOUNT_INDEX[account]
        self._day.append(day)
        self._account.append(a)
        self._flow.append(_FLOW_INDEX[flow])
        self.turnover[a] += abs(fen)
        if self.turnover[a] > MAX_FEN:
            raise MoneyOverflow(
                f"the {account} account's money passed {MAX_FEN / 100:.2g} yuan in year "
                f"{int(day // 365.25) + 1} of the horizon: the scenario's amounts, populations "
                "and growth rates compound far beyond any region's; check the trends "
                "(care.cost_trend, care.admission_trend, economy.wage_growth, "
                "finance.interest_rate), the wages and the population"
            )
        self._amount.append(fen)
        self.running[a] += _FLOW_SIGN[flow] * fen

    def transfer(
        self, day: float, source: str, out_flow: str, target: str, in_flow: str, amount: float
    ) -> None:
        self.post(day, source, out_flow, amount)
        self.post(day, target, in_flow, amount)

    def entries(self) -> dict[str, NDArray[np.generic]]:
        """All entries as arrays: day, account, flow, direction and amount [fen]."""
        flow = np.asarray(self._flow, dtype=np.int64)
        directions = np.array([FLOWS[name][0] for name in FLOW_NAMES], dtype=np.int64)
        return {
            "day": np.asarray(self._day, dtype=np.float64),
            "account": np.asarray(self._account, dtype=np.int64),
            "flow": flow,
            "direction": directions[flow] if len(flow) else flow,
            "amount": np.asarray(self._amount, dtype=np.int64),
        }

    def totals(
        self, bounds: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Income, expenditure and closing balance [fen] per period and account.

        ``bounds`` are the periods' first days followed by the day after the last; entries
        outside them are left out. Closing balances start from the opening balances and
        count only the periods given, so they are exact for contiguous periods from day 0.
        """
        e = self.entries()
        period = np.searchsorted(bounds, e["day"], side="right") - 1
        inside = (period >= 0) & (period < len(bounds) - 1)
        shape = (len(bounds) - 1, len(ACCOUNTS))
        income = np.zeros(shape, dtype=np.int64)
        expenditure = np.zeros(shape, dtype=np.int64)
        for direction, target in ((INCOME, income), (EXPENDITURE, expenditure)):
            pick = inside & (e["direction"] == direction)
            np.add.at(target, (period[pick], e["account"][pick]), e["amount"][pick])
        closing = self.opening + np.cumsum(income - expenditure, axis=0)
        return income, expenditure, closing

    def balance(self, account: str) -> float:
        """Balance [yuan] of ``account`` after every entry posted so far."""
        return self.running[_ACCOUNT_INDEX[account]] / 100


def to_fen(amount: float) -> int:
    """Yuan to whole fen, rounding half to even.

    ``float`` first: the same double, but ``round`` of a numpy scalar takes ten times as
    long, and the model posts thousands of entries a run."""
    return round(float(amount) * 100)
