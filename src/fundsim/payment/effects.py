"""Payment reforms as multipliers on admissions and cost per case (architecture §1).

The region's cost per case and admission rates are observed at the horizon start, under the
payment mix of that day. A reform acts through its change since then:

- DRG/DIP: with share s of inpatient spending paid by group, cost per case × (1 + s·e_cost)
  and admissions × (1 + s·e_volume), each relative to the share at the horizon start;
- out-of-area stays paid under the treating place's DRG/DIP (share s_a): their cost per case
  × (1 + s_a·e_a), relative to the share at the start;
- volume-based procurement: procured drugs and consumables cost (1 − cut) and their use
  grows by the rebound, so the cost of an admission falls by
  Σ share × coverage × (1 − (1 − cut)(1 + rebound)), again relative to the start;
  hospitals keep ``retention`` of the fund's part of that saving (结余留用), paid at clearing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def drg_multipliers(snapshot: Mapping[str, Any], start: Mapping[str, Any]) -> tuple[float, float]:
    """(cost per case, admissions) multipliers of DRG/DIP at ``snapshot`` vs the start."""
    s, s0 = float(snapshot["payment.drg.share"]), float(start["payment.drg.share"])
    cost, volume = (
        float(snapshot["payment.drg.cost_effect"]),
        float(snapshot["payment.drg.volume_effect"]),
    )
    return (1 + s * cost) / (1 + s0 * cost), (1 + s * volume) / (1 + s0 * volume)


def out_of_area_multiplier(snapshot: Mapping[str, Any], start: Mapping[str, Any]) -> float:
    """Cost per case multiplier of out-of-area stays at ``snapshot`` vs the start."""
    p = "payment.out_of_area"
    effect = float(snapshot[f"{p}.cost_effect"])
    s, s0 = float(snapshot[f"{p}.drg_share"]), float(start[f"{p}.drg_share"])
    return (1 + s * effect) / (1 + s0 * effect)


def improper_share(snapshot: Mapping[str, Any], start: Mapping[str, Any]) -> float:
    """Share of inpatient claims that is improper at ``snapshot``: each kind's share, changed
    by DRG/DIP's incentives since the start (``supervision.drg_uplift``)."""
    s, s0 = float(snapshot["payment.drg.share"]), float(start["payment.drg.share"])
    total = 0.0
    for kind in IMPROPER_KINDS:
        uplift = float(snapshot[f"supervision.drg_uplift.{kind}"])
        total += (
            float(snapshot[f"supervision.improper.{kind}"]) * (1 + s * uplift) / (1 + s0 * uplift)
        )
    return total


IMPROPER_KINDS = ("unnecessary_admissions", "split_admissions", "upcoding", "over_testing")
# the parameters the improper share reads
IMPROPER_PATHS = (
    "payment.drg.share",
    *(
        f"supervision.{part}.{kind}"
        for part in ("improper", "drg_uplift")
        for kind in IMPROPER_KINDS
    ),
)


def procurement_saving(snapshot: Mapping[str, Any]) -> float:
    """Share of inpatient cost saved by procurement in force at ``snapshot``."""
    p = "payment.procurement"
    rebound = float(snapshot[f"{p}.volume_rebound"])
    saving = 0.0
    for item in ("drug", "consumable"):
        share = float(snapshot[f"{p}.{item}_share"]) * float(snapshot[f"{p}.{item}_coverage"])
        saving += share * (1 - (1 - float(snapshot[f"{p}.{item}_price_cut"])) * (1 + rebound))
    return saving


def procurement_multiplier(snapshot: Mapping[str, Any], start: Mapping[str, Any]) -> float:
    """Cost per case multiplier of procurement at ``snapshot`` vs the start."""
    return (1 - procurement_saving(snapshot)) / (1 - procurement_saving(start))
