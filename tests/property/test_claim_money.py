"""Claim money adds up (Hypothesis): for any batch of claims, under Yangjiang's rules and each
rule of issue 16, fund + second layer + assistance + patient = total cost, no part is
negative, no layer pays a person more in a year than its cap, and settling a batch in two
halves with the running totals carried over (as the model carries them) gives the same
payments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundsim.benefits import build_claims, settle
from fundsim.benefits.rules import RunningTotals
from fundsim.codes import LEVELS
from fundsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
BASE = SNAPSHOT = load_scenario(ROOT / "scenarios" / "yangjiang" / "baseline.yaml").tree.at(
    dt.date(2020, 6, 1)
)
# the rules of issue 16, each on Yangjiang's other terms (tests/cases/benefits/rules)
RULES = {
    name: load_scenario(ROOT / "tests" / "cases" / "benefits" / "rules" / f"{name}.yaml").tree.at(
        dt.date(2023, 6, 1)
    )
    for name in (
        "maoming",  # a ladder and transfers paying the difference
        "ningbo",  # the deductible once a year
        "guangzhou",  # long stays, the high-cost cover above the pooled cap
        "uebmi-three-tiers",
        "ci-uncapped",
        "step-100-floor-200",
        "shaoyang",  # five local classes
        "hanzhong",  # a later stay 10% less, high-cost cover above the pooled cap
    )
}

claim = st.fixed_dictionaries(
    {
        "person": st.integers(0, 4),
        "scheme": st.sampled_from(["uebmi", "urrbmi"]),
        "level": st.sampled_from(LEVELS),
        "total": st.floats(0, 400_000, allow_nan=False),
        "in_range": st.floats(0.3, 1.0),
        "retired": st.booleans(),
        "group": st.sampled_from([None, "extreme_poverty", "low_income"]),
        "days": st.integers(1, 400),
        "transfer": st.booleans(),
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
                "days": d["days"],
                "transfer": d["transfer"],
            }
        )
    return out


def check_money(snapshot: dict, batch: list[dict]) -> None:  # type: ignore[type-arg]
    """Every claim's parts add up to its bill, none is negative, and no layer pays a person
    more in the year than its cap."""
    claims = build_claims(snapshot, batch)
    result = settle(claims)
    np.testing.assert_allclose(
        result.fund + result.layer + result.assistance + result.patient, claims.total, atol=1e-6
    )
    for part in (result.fund, result.layer, result.assistance, result.patient):
        assert (part >= -1e-9).all()
    assert (result.deductible_applied <= claims.policy_range + 1e-9).all()
    for person in set(claims.person.tolist()):
        mine = claims.person == person
        assert result.fund[mine].sum() <= claims.pool_cap[mine][0] + 1e-6
        assert result.layer[mine].sum() <= claims.layer_cap[mine][0] + 1e-6
        assert result.assistance[mine].sum() <= claims.assistance_cap[mine][0] + 1e-6


@pytest.mark.parametrize("rule", list(RULES))
@settings(max_examples=60, deadline=None)
@given(draws=st.lists(claim, min_size=1, max_size=30))
def test_claim_money_adds_up_and_caps_hold_under_every_rule(rule: str, draws: list[dict]) -> None:
    check_money(RULES[rule], rows(draws))


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


@pytest.mark.parametrize("rule", ["baseline", *RULES])
@settings(max_examples=40, deadline=None)
@given(draws=st.lists(claim, min_size=2, max_size=20), cut=st.integers(1, 19))
def test_splitting_a_batch_with_carried_totals_changes_nothing(
    rule: str, draws: list[dict], cut: int
) -> None:
    SNAPSHOT = RULES.get(rule, BASE)
    batch = rows(draws)
    cut = min(cut, len(batch) - 1)
    whole = settle(build_claims(SNAPSHOT, batch))
    head_claims = build_claims(SNAPSHOT, batch[:cut])
    head = settle(head_claims)
    # the head's totals carried as the model carries them from batch to batch
    totals = RunningTotals.empty().add(head_claims.person, head_claims.policy_range, head)
    tail_people = np.array([row["person"] for row in batch[cut:]], dtype=np.int64)
    prior = totals.prior(tail_people)
    assert prior is not None
    tail_rows = [
        {**row, **{f"prior_{k}": float(v[i]) for k, v in prior.items()}}
        for i, row in enumerate(batch[cut:])
    ]
    tail = settle(build_claims(SNAPSHOT, tail_rows))
    for name in ("fund", "layer", "assistance", "patient"):
        joined = np.concatenate([getattr(head, name), getattr(tail, name)])
        np.testing.assert_allclose(joined, getattr(whole, name), atol=1e-6)
