"""The URRBMI campaign: next year's premiums collected over a window of this year
(集中参保缴费期), month by month, with medical assistance paying for special groups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..codes import SPECIAL_GROUPS
from .books import Posting, Postings, transfer

C = "contributions.urrbmi"
WINDOW = (f"{C}.campaign_start", f"{C}.campaign_end")  # the parameters of the window


def month_day(year: int, text: str) -> dt.date:
    month, day = (int(part) for part in str(text).split("-"))
    return dt.date(year, month, day)


def collection_days(s: Mapping[str, Any], year: int) -> list[tuple[dt.date, float]]:
    """The window's month ends (or its last day) in ``year``, each with its share of the
    window's days."""
    first = month_day(year, s[f"{C}.campaign_start"])
    last = month_day(year, s[f"{C}.campaign_end"])
    days = (last - first).days + 1
    out = []
    d = first
    while d <= last:
        month_end = min(
            dt.date(d.year + d.month // 12, d.month % 12 + 1, 1) - dt.timedelta(days=1), last
        )
        out.append((month_end, ((month_end - d).days + 1) / days))
        d = month_end + dt.timedelta(days=1)
    return out


def collection(
    s: Mapping[str, Any],
    residents: float,
    groups: NDArray[np.float64],
    premium: float,
    share: float,
) -> Postings:
    """A month's part (``share``) of next year's premiums (``premium`` per resident) for
    ``residents`` (weighted); ``groups``: weighted URRBMI members by special group at the year
    start (none first), whose shares medical assistance pays."""
    total_groups = groups.sum()
    ratio = residents / total_groups if total_groups > 0 else 0.0
    paid_by_assistance = sum(
        groups[g] * ratio * float(s[f"benefits.medical_assistance.premium_share.{name}"])
        for g, name in enumerate(SPECIAL_GROUPS, start=1)
    )
    return [
        *transfer(
            "medical_assistance",
            "assistance_premiums_paid",
            "urrbmi_pool",
            "assistance_premiums",
            paid_by_assistance * premium * share,
        ),
        Posting(
            "urrbmi_pool", "individual_premiums", (residents - paid_by_assistance) * premium * share
        ),
    ]
