"""The terms that apply to a claim, looked up in a parameter snapshot.

Schemes: ``uebmi`` (employees, active or retired) and ``urrbmi`` (residents). Special groups
(URRBMI): ``extreme_poverty`` (特困供养人员、孤儿) and ``low_income`` (建档立卡、低保).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..codes import LEVELS, SPECIAL_GROUPS
from .rules import Claims


def claim_terms(snapshot: Mapping[str, Any], claim: Mapping[str, Any]) -> dict[str, Any]:
    """Deductible, ratio, caps, second-layer tiers and assistance for one claim.

    Parameters
    ----------
    snapshot : parameter values on the claim's date
    claim : ``scheme`` (uebmi|urrbmi), ``level`` (one of LEVELS), optional ``retired`` (bool),
        ``tcm`` (bool) and ``group`` (one of SPECIAL_GROUPS)
    """
    scheme, level = claim["scheme"], claim["level"]
    if scheme not in ("uebmi", "urrbmi") or level not in LEVELS:
        raise ValueError(f"unknown scheme or level: {scheme!r}, {level!r}")
    group = claim.get("group")
    if group is not None and group not in SPECIAL_GROUPS:
        raise ValueError(f"unknown special group {group!r}; valid: {', '.join(SPECIAL_GROUPS)}")
    tcm = bool(claim.get("tcm", False))
    base = f"benefits.{scheme}.inpatient"
    if scheme == "uebmi":
        status = "retired" if claim.get("retired", False) else "active"
        ratio = snapshot[f"{base}.ratio.{status}.{level}"] + (
            snapshot[f"{base}.tcm_bonus"] if tcm else 0.0
        )
        supplementary = "benefits.uebmi.supplementary"
        starts = [snapshot[f"{supplementary}.threshold"]]
        ratios = [snapshot[f"{supplementary}.ratio"]]
        layer_cap = snapshot[f"{supplementary}.annual_cap"]
        net = True
    else:
        ratio = snapshot[f"{base}.ratio.{level}"] + (
            snapshot[f"{base}.tcm_bonus.{level}"] if tcm else 0.0
        )
        ci = "benefits.urrbmi.critical_illness"
        tiers = snapshot[f"{ci}.tiers"]
        starts = [t[0] for t in tiers]
        ratios = [t[1] for t in tiers]
        layer_cap = snapshot[f"{ci}.annual_cap"]
        net = False
        if group is not None:
            special = f"{ci}.special_groups.{group}"
            starts = [starts[0] * (1 - snapshot[f"{special}.threshold_cut"])]
            ratios = [snapshot[f"{special}.ratio"]]
            if snapshot[f"{special}.uncapped"]:
                layer_cap = np.inf
    assistance = snapshot[f"benefits.medical_assistance.inpatient_ratio.{group}"] if group else 0.0
    return {
        "deductible": snapshot[f"{base}.deductible.{level}"],
        "ratio": min(ratio, 1.0),
        "pool_cap": snapshot[f"{base}.annual_cap"],
        "layer_starts": starts,
        "layer_ratios": ratios,
        "layer_cap": layer_cap,
        "layer_net_of_deductible": net,
        "assistance_ratio": assistance,
        "assistance_cap": snapshot["benefits.medical_assistance.annual_cap"],
        "assistance_outside": bool(snapshot["benefits.medical_assistance.outside_policy_range"]),
    }


def build_claims(snapshot: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> Claims:
    """A :class:`Claims` batch from claim records (person, total, policy_range, scheme, level, …).

    Tier tables of different lengths are padded with zero-ratio tiers at infinity.
    """
    terms = [claim_terms(snapshot, row) for row in rows]
    width = max(len(t["layer_starts"]) for t in terms)
    starts = np.full((len(rows), width), np.inf)
    ratios = np.zeros((len(rows), width))
    for i, t in enumerate(terms):
        starts[i, : len(t["layer_starts"])] = t["layer_starts"]
        ratios[i, : len(t["layer_ratios"])] = t["layer_ratios"]

    def column(name: str, default: float | None = None) -> np.ndarray:
        return np.array([row.get(name, default) for row in rows], dtype=float)

    total = column("total")
    return Claims(
        person=np.array([row["person"] for row in rows], dtype=np.int64),
        total=total,
        policy_range=np.array([row.get("policy_range", row["total"]) for row in rows], dtype=float),
        deductible=np.array([t["deductible"] for t in terms]),
        ratio=np.array([t["ratio"] for t in terms]),
        pool_cap=np.array([t["pool_cap"] for t in terms]),
        prior_fund=column("prior_fund", 0.0),
        prior_selfpay=column("prior_selfpay", 0.0),
        prior_selfpay_net=column("prior_selfpay_net", 0.0),
        prior_assistance=column("prior_assistance", 0.0),
        layer_starts=starts,
        layer_ratios=ratios,
        layer_cap=np.array([t["layer_cap"] for t in terms], dtype=float),
        layer_net_of_deductible=np.array([t["layer_net_of_deductible"] for t in terms]),
        assistance_ratio=np.array([t["assistance_ratio"] for t in terms]),
        assistance_cap=np.array([t["assistance_cap"] for t in terms]),
        assistance_outside=np.array([t["assistance_outside"] for t in terms], dtype=bool),
    )
