"""Pooling between the areas of a city (DOMAIN "City pooling with a risk adjustment reserve").

Three modes, dated like any parameter (``pooling.mode``):

- ``separate``: each area's pooled funds stand alone; a deficit is the area's.
- ``reserve``: at the end of the months the rule names (``pooling.reserve.months``, by
  default December: the reserve is settled yearly, 年度调剂), each area pays a share of its
  pooled-fund income since the last payment (or of its balance) to the city's risk
  adjustment reserve (风险调剂金); then an area whose pooled fund is in deficit (below
  zero: its own balance used up) has ``fiscal_share`` of the deficit paid by its local
  budget and the rest by the reserve, as far as the reserve holds money (the reserve may
  run out: the rest stays the area's deficit). A payment is due on income whatever the
  balance, so an area may pay its share and draw in the same settlement.
- ``unified``: one city fund (统收统支), each area accounted for apart (单独核算): no
  transfers; the city total is the fund, and its balance is what runs out or not.

The functions return the postings of each side (area and city); the city process posts them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..codes import POOLS
from .books import Posting, Postings, to_fen

P = "pooling.reserve"


def contributions(
    s: Mapping[str, Any], bases: Sequence[Mapping[str, float]]
) -> tuple[list[Postings], Postings]:
    """Each area's payment to the reserve, ``share`` × its basis per pool (``bases``: per
    area, pool account -> its income since the last payment, or its balance, as
    ``pooling.reserve.basis`` says; a negative balance pays nothing), and the reserve's side."""
    share = float(s[f"{P}.share"])
    areas: list[Postings] = []
    city: Postings = []
    for basis in bases:
        out: Postings = []
        for pool in POOLS:
            amount = share * max(basis[pool.account], 0.0)
            out.append(Posting(pool.account, "reserve_contributions", amount))
            city.append(Posting(pool.reserve, "reserve_contributions_in", amount))
        areas.append(out)
    return areas, city


def deficit_cover(
    s: Mapping[str, Any],
    balances: Sequence[Mapping[str, float]],
    reserves: Mapping[str, float],
) -> tuple[list[Postings], Postings, list[dict[str, float]]]:
    """What covers each area's deficit (a pooled fund below zero: its own balance used up):
    the local budget ``fiscal_share`` of it, the reserve the rest while it holds money, areas
    in their order; and per area, pool account -> the deficit left uncovered (the reserve ran
    short). ``balances``: per area, pool account -> balance; ``reserves``: reserve account
    -> balance."""
    fiscal_share = float(s[f"{P}.fiscal_share"])
    # in whole fen, so a deficit covered is covered to the fen and a reserve never drawn
    # below zero by the rounding of its draws
    left = {pool.reserve: max(to_fen(reserves[pool.reserve]), 0) for pool in POOLS}
    areas: list[Postings] = []
    city: Postings = []
    short: list[dict[str, float]] = []
    for balance in balances:
        out: Postings = []
        uncovered = {pool.account: 0.0 for pool in POOLS}
        for pool in POOLS:
            deficit = -to_fen(balance[pool.account])
            if deficit <= 0:
                continue
            fiscal = round(deficit * fiscal_share)
            drawn = min(deficit - fiscal, left[pool.reserve])
            left[pool.reserve] -= drawn
            uncovered[pool.account] = (deficit - fiscal - drawn) / 100
            out.append(Posting(pool.account, "fiscal_deficit_cover", fiscal / 100))
            out.append(Posting(pool.account, "reserve_draws_in", drawn / 100))
            city.append(Posting(pool.reserve, "reserve_draws", drawn / 100))
        areas.append(out)
        short.append(uncovered)
    return areas, city, short


def reserve_interest(
    s: Mapping[str, Any], reserves: Mapping[str, float], fraction: float
) -> Postings:
    """Interest on the reserves' positive balances for ``fraction`` of a month."""
    if not bool(s[f"{P}.interest"]):
        return []
    rate = float(s["finance.interest_rate"]) / 12 * fraction
    return [
        Posting(pool.reserve, "interest", reserves[pool.reserve] * rate)
        for pool in POOLS
        if reserves[pool.reserve] > 0
    ]
