"""Members' use of their UEBMI personal accounts: what a year's credits buy when needs differ.

Each member needs some outpatient, pharmacy and family care a year that the account may pay
(``X``, lognormal across members with mean ``need`` and log-sd ``sigma``) and spends at most
the year's credit: the accounts pay E[min(X, credit)] a member. A member who needs more pays
the rest; one who needs less keeps the rest (the accounts' balances grow).

The rule explains what a single share of income cannot: when the personal-account reform
(国办发〔2021〕14号) cuts the credits, the members who spent all of theirs still do, so the
share of the credits spent rises (national UEBMI personal accounts kept about a quarter of
their income before the reform, balances 8,426 → 10,096 → 11,754亿 in 2019-2021). The pool's
general outpatient care after the reform does not take from the need: the same reform let
the accounts pay the members' own share of their care and their spouses', parents' and
children's. Every amount in yuan per member-year.
"""

from __future__ import annotations

import math

from scipy.optimize import brentq
from scipy.special import ndtr


def capped_mean(need: float, sigma: float, cap: float) -> float:
    """E[min(X, cap)] for X lognormal with mean ``need`` and log-sd ``sigma`` [yuan]."""
    if need <= 0.0 or cap <= 0.0:
        return 0.0
    if sigma <= 0.0:
        return min(need, cap)
    mu = math.log(need) - sigma * sigma / 2
    z = (math.log(cap) - mu) / sigma
    return need * float(ndtr(z - sigma)) + cap * float(ndtr(-z))


def need_for_share(share: float, credit: float, sigma: float) -> float:
    """The mean need a member whose capped use spends ``share`` of ``credit`` [yuan].

    ``share`` in [0, 1]; a share of 1 (every member spends every credit) has no finite need
    and is met within a millionth by a need a million times the credit.
    """
    if credit <= 0.0 or share <= 0.0:
        return 0.0
    top = credit * 1e6
    if share >= capped_mean(top, sigma, credit) / credit:
        return top
    return float(
        brentq(
            lambda n: capped_mean(n, sigma, credit) - share * credit,
            share * credit,
            top,
            xtol=credit * 1e-12,
            rtol=1e-14,
        )
    )
