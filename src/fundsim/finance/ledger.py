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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..codes import ACCOUNTS, EXPENDITURE, FLOW_CODES, FLOW_NAMES, INCOME
from ..source.diagnostics import InputError
from .books import SIGN, Balances, Posting, to_fen

MAX_FEN = 2**62  # 4.6e16 yuan: 5,000 years of China's health spending


class MoneyOverflow(InputError):
    """An account's money grew beyond what the ledger holds (exit 2)."""


_FLOW_INDEX = {name: i for i, name in enumerate(FLOW_NAMES)}


@dataclass
class Ledger:
    """Dated entries of every account; opening balances in fen. ``accounts``: an area's
    (:data:`~fundsim.codes.ACCOUNTS`) or the city's (``CITY_ACCOUNTS``)."""

    opening: NDArray[np.int64]
    accounts: tuple[str, ...] = ACCOUNTS
    _day: list[float] = field(default_factory=list)
    _account: list[int] = field(default_factory=list)
    _flow: list[int] = field(default_factory=list)
    _amount: list[int] = field(default_factory=list)
    running: list[int] = field(init=False)  # balance of each account [fen], Python ints
    turnover: list[int] = field(init=False)  # sum of each account's entry sizes [fen]
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.running = [int(x) for x in self.opening]
        self.turnover = [abs(int(x)) for x in self.opening]
        self._index = {name: i for i, name in enumerate(self.accounts)}

    @classmethod
    def open(cls, balances: dict[str, float], accounts: tuple[str, ...] = ACCOUNTS) -> Ledger:
        opening = np.array([to_fen(balances[a]) for a in accounts], dtype=np.int64)
        return cls(opening=opening, accounts=accounts)

    @classmethod
    def consolidated(
        cls,
        parts: Sequence[tuple[Ledger, Mapping[str, str]]],
        accounts: tuple[str, ...],
        leave_out: Iterable[str],
    ) -> Ledger:
        """One ledger of several: each part's accounts renamed by its mapping (a name it
        leaves out keeps its own), the entries of the ``leave_out`` flows dropped. Closing =
        opening + income − expenditure holds for it when the dropped entries net to zero on
        each account of the result (a transfer whose two sides land on one account)."""
        index = {name: i for i, name in enumerate(accounts)}
        dropped = [_FLOW_INDEX[f] for f in leave_out]
        opening = np.zeros(len(accounts), dtype=np.int64)
        days, codes, flows, amounts = [], [], [], []
        for ledger, rename in parts:
            target = np.array([index[rename.get(a, a)] for a in ledger.accounts], dtype=np.int64)
            np.add.at(opening, target, ledger.opening)
            e = ledger.entries()
            keep = ~np.isin(e["flow"], dropped)
            days.append(e["day"][keep])
            codes.append(target[e["account"][keep]] if len(e["account"]) else e["account"][keep])
            flows.append(e["flow"][keep])
            amounts.append(e["amount"][keep])
        out = cls(opening=opening, accounts=accounts)
        out._day = np.concatenate(days).tolist()
        out._account = np.concatenate(codes).astype(np.int64).tolist()
        out._flow = np.concatenate(flows).astype(np.int64).tolist()
        out._amount = np.concatenate(amounts).astype(np.int64).tolist()
        signs = np.array([SIGN[f] for f in FLOW_NAMES], dtype=np.int64)
        balance = opening.copy()  # exact: whole fen in 64-bit integers
        np.add.at(balance, out._account, signs[out._flow] * np.asarray(out._amount, dtype=np.int64))
        out.running = [int(x) for x in balance]
        return out

    def post(self, day: float, account: str, flow: str, amount: float) -> None:
        """Record ``amount`` yuan of ``flow`` on ``account`` on ``day`` (rounded to the fen)."""
        fen = to_fen(amount)
        if fen == 0:
            return
        a = self._index[account]
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
        self.running[a] += SIGN[flow] * fen

    def transfer(
        self, day: float, source: str, out_flow: str, target: str, in_flow: str, amount: float
    ) -> None:
        self.post(day, source, out_flow, amount)
        self.post(day, target, in_flow, amount)

    def post_all(self, day: float, postings: Iterable[Posting]) -> None:
        """Record every posting on ``day``, in order."""
        for account, flow, amount in postings:
            self.post(day, account, flow, amount)

    def balances(self) -> Balances:
        """A copy of every account's balance now, for a pure function to work on."""
        return Balances({a: self.running[i] for i, a in enumerate(self.accounts)})

    def entries(self) -> dict[str, NDArray[Any]]:
        """All entries as arrays: day, account, flow, direction and amount [fen]."""
        flow = np.asarray(self._flow, dtype=np.int64)
        directions = np.array([f.direction for f in FLOW_CODES], dtype=np.int64)
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
        shape = (len(bounds) - 1, len(self.accounts))
        income = np.zeros(shape, dtype=np.int64)
        expenditure = np.zeros(shape, dtype=np.int64)
        for direction, target in ((INCOME, income), (EXPENDITURE, expenditure)):
            pick = inside & (e["direction"] == direction)
            np.add.at(target, (period[pick], e["account"][pick]), e["amount"][pick])
        closing = self.opening + np.cumsum(income - expenditure, axis=0)
        return income, expenditure, closing

    def income(
        self, accounts: Sequence[str], after: float, until: float, flows: Iterable[str]
    ) -> dict[str, float]:
        """Income [yuan] of each of ``accounts`` from the ``flows`` given, on days in
        (after, until]."""
        codes = [_FLOW_INDEX[f] for f in flows]
        e = self.entries()
        pick = np.isin(e["flow"], codes) & (e["day"] > after) & (e["day"] <= until)
        sums = np.zeros(len(self.accounts), dtype=np.int64)
        np.add.at(sums, e["account"][pick], e["amount"][pick])
        return {a: int(sums[self._index[a]]) / 100 for a in accounts}

    def balance(self, account: str) -> float:
        """Balance [yuan] of ``account`` after every entry posted so far."""
        return self.running[self._index[account]] / 100
