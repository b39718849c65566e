"""What a pure function of the model returns: postings, and the balances they move.

A :class:`Posting` is one ledger entry without its day (the process that posts it gives the
day). :class:`Balances` keeps each account's balance in whole fen exactly as the ledger does,
so a function that needs a balance after some of its own postings (interest at the month
end, the critical-illness book back at its opening) computes it on a copy, without the
ledger, and gets the figure the ledger will hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from ..codes import ACCOUNTS, FLOW_CODES, INCOME


class Posting(NamedTuple):
    account: str
    flow: str
    amount: float  # yuan; rounded to the fen when posted


Postings = list[Posting]

SIGN = {f.name: 1 if f.direction == INCOME else -1 for f in FLOW_CODES}


def transfer(source: str, out_flow: str, target: str, in_flow: str, amount: float) -> Postings:
    """A transfer between two accounts: expenditure of one, income of the other."""
    return [Posting(source, out_flow, amount), Posting(target, in_flow, amount)]


def to_fen(amount: float) -> int:
    """Yuan to whole fen, rounding half to even.

    ``float`` first: the same double, but ``round`` of a numpy scalar takes ten times as
    long, and the model posts thousands of entries a run."""
    return round(float(amount) * 100)


class Balances:
    """Each account's balance in fen, moved by postings as the ledger moves it."""

    def __init__(self, fen: Mapping[str, int]) -> None:
        self.fen = dict(fen)

    @classmethod
    def of(cls, balances: Mapping[str, float]) -> Balances:
        return cls({a: to_fen(balances[a]) for a in balances})

    def post(self, postings: Iterable[Posting]) -> None:
        for p in postings:
            self.fen[p.account] += SIGN[p.flow] * to_fen(p.amount)

    def yuan(self, account: str) -> float:
        return self.fen[account] / 100

    def copy(self) -> Balances:
        return Balances(self.fen)


__all__ = ["ACCOUNTS", "Balances", "Posting", "Postings", "to_fen", "transfer"]
