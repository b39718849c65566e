"""Claim money adds up (Hypothesis): for any batch of claims, fund + second layer + assistance +
patient = total cost, no part is negative, annual caps are never exceeded, and settling a
batch in two halves with the running totals carried over gives the same payments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fundsim.benefits import build_claims, settle
from fundsim.codes import LEVELS
from fundsim.scenario import load_scenario

SNAPSHOT = load_scenario(
    Path(__file__).resolve().parents[2] / "scenarios" / "yangjiang" / "baseline.yaml"
).tree.at(dt.date(2020, 6, 1))

claim = st.fixed_dictionaries(
    {
        "person": st.integers(0, 4),
        "scheme": st.sampled_from(["uebmi", "urrbmi"]),
        "level": st.sampled_from(LEVELS),
        "total": st.floats(0, 400_000, allow_nan=False),
        "in_range": st.floats(0.3, 1.0),
        "retired": st.booleans(),
        "group": st.sampled_from([None, "extreme_poverty", "low_income"]),
    }
)


def rows(draws: list[dict]) -> list[dict]:
    # a person keeps one scheme and one group all year
    first = {}
    out = []
    for d in draws:
        scheme, group = first.setdefault(d["person"], (d["scheme"], d["group"]))
        out.append(
            {
                "person": d["person"],
                "scheme": scheme,
                "level": d["level"],
                "total": d["total"],
                "policy_range": d["total"] * d["in_range"],
                "retired": d["retired"],
                "group": group if scheme == "urrbmi" else None,
            }
        )
    return out


@settings(max_examples=200)
@given(st.lists(claim, min_size=1, max_size=30))
def test_claim_money_adds_up_and_caps_hold(draws: list[dict]) -> None:
    batch = rows(draws)
    claims = build_claims(SNAPSHOT, batch)
    result = settle(claims)
    np.testing.assert_allclose(
        result.fund + result.layer + result.assistance + result.patient, claims.total, atol=1e-6
    )
    for part in (result.fund, result.layer, result.assistance, result.patient):
        assert (part >= -1e-9).all()
    # outside the policy range only medical assistance helps, where it pays on that part
    outside = claims.total - claims.policy_range
    helped = claims.assistance_ratio * claims.assistance_outside
    assert (result.patient >= outside * (1 - helped) - 1e-6).all()
    assert (
        result.patient[~claims.assistance_outside] >= outside[~claims.assistance_outside] - 1e-6
    ).all()
    for person in set(claims.person.tolist()):
        mine = claims.person == person
        assert result.fund[mine].sum() <= claims.pool_cap[mine][0] + 1e-6
        assert result.layer[mine].sum() <= claims.layer_cap[mine][0] + 1e-6
        assert result.assistance[mine].sum() <= claims.assistance_cap[mine][0] + 1e-6


@settings(max_examples=100)
@given(st.lists(claim, min_size=2, max_size=20), st.integers(1, 19))
def test_splitting_a_batch_with_carried_totals_changes_nothing(draws: list[dict], cut: int) -> None:
    batch = rows(draws)
    cut = min(cut, len(batch) - 1)
    whole = settle(build_claims(SNAPSHOT, batch))
    head = settle(build_claims(SNAPSHOT, batch[:cut]))
    carried = {}
    head_claims = build_claims(SNAPSHOT, batch[:cut])
    for i, row in enumerate(batch[:cut]):
        t = carried.setdefault(
            row["person"],
            {
                "prior_fund": 0.0,
                "prior_selfpay": 0.0,
                "prior_selfpay_net": 0.0,
                "prior_assistance": 0.0,
                "prior_admissions": 0.0,
            },
        )
        selfpay = head_claims.policy_range[i] - head.fund[i]
        t["prior_fund"] += head.fund[i]
        t["prior_selfpay"] += selfpay
        t["prior_selfpay_net"] += selfpay - head.deductible_applied[i]
        t["prior_assistance"] += head.assistance[i]
        t["prior_admissions"] += 1
    tail_rows = [{**row, **carried.get(row["person"], {})} for row in batch[cut:]]
    tail = settle(build_claims(SNAPSHOT, tail_rows))
    for name in ("fund", "layer", "assistance", "patient"):
        joined = np.concatenate([getattr(head, name), getattr(tail, name)])
        np.testing.assert_allclose(joined, getattr(whole, name), atol=1e-6)
