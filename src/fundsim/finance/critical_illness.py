"""The critical-illness contract year, settled on 31 December (保本微利)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .books import Posting, Postings, to_fen, transfer


def settle_contract(
    s: Mapping[str, Any], premiums: float, balance: float, opening: float
) -> Postings:
    """The insurer keeps at most its margin of the year's premiums; the surplus beyond it
    goes back to the URRBMI fund in the agreed share; a loss (claims above the premiums) is
    shared. ``balance`` is the contract's book after the year's premiums and claims; after
    these postings it is back at ``opening`` to the fen (a fen short of it would read as a
    depleted account)."""
    c = "benefits.urrbmi.critical_illness.contract"
    result = balance - opening  # premiums − claims
    if result >= 0:
        margin = min(result, float(s[f"{c}.margin"]) * premiums)
        refund = (result - margin) * float(s[f"{c}.surplus_returned"])
        out = transfer("critical_illness", "ci_refund", "urrbmi_pool", "ci_refund_in", refund)
        # what the insurer keeps: the rest
        kept = (to_fen(balance) - to_fen(refund)) / 100 - opening
        return [*out, Posting("critical_illness", "ci_insurer_margin", kept)]
    shared = -result * float(s[f"{c}.loss_shared"])
    out = transfer("urrbmi_pool", "ci_loss_shared", "critical_illness", "ci_loss_shared_in", shared)
    # what the insurer bears: the rest
    borne = opening - (to_fen(balance) + to_fen(shared)) / 100
    return [*out, Posting("critical_illness", "ci_insurer_loss", borne)]
