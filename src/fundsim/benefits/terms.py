"""The terms that apply to a claim, looked up in a parameter snapshot.

Schemes: ``uebmi`` (employees, active or retired) and ``urrbmi`` (residents). Special groups
(URRBMI): ``extreme_poverty`` (特困供养人员、孤儿) and ``low_income`` (建档立卡、低保).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..codes import FILINGS, LEVELS, POOLS, SPECIAL_GROUPS, names
from .fields import FLAGS, LADDER_FIELDS, PRIOR_FIELDS, STAY_FIELDS, TERM_NAMES, TIER_FIELDS
from .rules import Claims

__all__ = ["FILINGS", "build_claims", "claim_terms", "ladder"]


def claim_terms(snapshot: Mapping[str, Any], claim: Mapping[str, Any]) -> dict[str, Any]:
    """Deductible, ratio, caps, second-layer tiers and assistance for one claim.

    Parameters
    ----------
    snapshot : parameter values on the claim's date
    claim : ``scheme`` (uebmi|urrbmi), ``level`` (one of LEVELS), optional ``retired`` (bool),
        ``tcm`` (bool), ``group`` (one of SPECIAL_GROUPS) and, for an out-of-area stay,
        ``filing`` (one of FILINGS, default filed: its factor on the ratio)
    """
    scheme, level = claim["scheme"], claim["level"]
    if scheme not in names(POOLS) or level not in LEVELS:
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
        starts = [t[0] for t in snapshot[f"{supplementary}.tiers"]]
        ratios = [t[1] for t in snapshot[f"{supplementary}.tiers"]]
        layer_cap = snapshot[f"{supplementary}.annual_cap"]
        above_cap = snapshot[f"{supplementary}.basis"] == "above_cap"
        net = not above_cap
    else:
        ratio = snapshot[f"{base}.ratio.{level}"] + (
            snapshot[f"{base}.tcm_bonus.{level}"] if tcm else 0.0
        )
        ci = "benefits.urrbmi.critical_illness"
        tiers = snapshot[f"{ci}.tiers"]
        starts = [t[0] for t in tiers]
        ratios = [t[1] for t in tiers]
        layer_cap = np.inf if snapshot[f"{ci}.uncapped"] else snapshot[f"{ci}.annual_cap"]
        net = above_cap = False
        if group is not None:
            special = f"{ci}.special_groups.{group}"
            starts = [starts[0] * (1 - snapshot[f"{special}.threshold_cut"])]
            ratios = [snapshot[f"{special}.ratio"]]
            if snapshot[f"{special}.uncapped"]:
                layer_cap = np.inf
    if level == "out_of_area":  # the ratio by filing status (异地就医备案)
        filing = claim.get("filing") or "filed"
        if filing not in FILINGS:
            raise ValueError(f"unknown filing status {filing!r}; valid: {', '.join(FILINGS)}")
        ratio *= snapshot[f"{base}.filing_factor.{filing}"]
    assistance = snapshot[f"benefits.medical_assistance.inpatient_ratio.{group}"] if group else 0.0
    return {
        "deductible": snapshot[f"{base}.deductible.{level}"],
        "ratio": min(ratio, 1.0),
        "pool_cap": snapshot[f"{base}.annual_cap"],
        "layer_starts": starts,
        "layer_ratios": ratios,
        "layer_cap": layer_cap,
        "layer_net": net,
        "layer_above_cap": above_cap,
        "assistance_ratio": assistance,
        "assistance_cap": snapshot["benefits.medical_assistance.annual_cap"],
        "assistance_outside": bool(snapshot["benefits.medical_assistance.outside_policy_range"]),
        "repeat_factors": [float(f) for f in snapshot[f"{base}.repeat.factors"]],
        "repeat_step": snapshot[f"{base}.repeat.step"],
        "repeat_floor": snapshot[f"{base}.repeat.floor"],
        "once_a_year": bool(snapshot[f"{base}.repeat.once_a_year"]),
        "transfer_difference": bool(snapshot[f"{base}.repeat.transfer_difference"]),
        "long_stay_days": float(snapshot[f"{base}.repeat.long_stay_days"]),
    }


def build_claims(snapshot: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> Claims:
    """A :class:`Claims` batch from claim records (person, total, policy_range, scheme, level,
    …, and optionally the person's ``prior_*`` totals of the year).

    Tier tables of different lengths are padded with zero-ratio tiers at infinity.
    """
    terms = [claim_terms(snapshot, row) for row in rows]
    width = max(len(t["layer_starts"]) for t in terms)
    tiers = {"layer_starts": np.full((len(rows), width), np.inf)}
    tiers["layer_ratios"] = np.zeros((len(rows), width))
    for i, t in enumerate(terms):
        for name in TIER_FIELDS:
            tiers[name][i, : len(t[name])] = t[name]
    for name in LADDER_FIELDS:
        tiers[name] = ladder([t[name] for t in terms])
    scalars = {
        name: np.array([t[name] for t in terms], dtype=bool if name in FLAGS else float)
        for name in TERM_NAMES
    }
    return Claims(
        person=np.array([row["person"] for row in rows], dtype=np.int64),
        total=np.array([row["total"] for row in rows], dtype=float),
        policy_range=np.array([row.get("policy_range", row["total"]) for row in rows], dtype=float),
        terms={**scalars, **tiers},
        prior={
            name: np.array([row.get(f"prior_{name}", 0.0) for row in rows], dtype=float)
            for name in PRIOR_FIELDS
        },
        stay={
            name: np.array([float(row.get(name, 0.0)) for row in rows], dtype=float)
            for name in STAY_FIELDS
        },
    )


def ladder(rows: Sequence[Sequence[float]]) -> np.ndarray:
    """Ladders of different lengths as one table, each padded with its last factor."""
    width = max(len(r) for r in rows)
    table = np.empty((len(rows), width))
    for i, r in enumerate(rows):
        table[i, : len(r)] = r
        table[i, len(r) :] = r[-1]
    return table
