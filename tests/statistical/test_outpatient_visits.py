"""The model's closed form for general outpatient pooling by level against the claim
calculator's visit-by-visit rules: members' annual spend drawn as the model assumes it
(lognormal), made of visits at levels drawn by their visit shares, each visit settled by
:func:`fundsim.benefits.outpatient.settle_visits`; the mean payment per member agrees with
:func:`fundsim.claims.outpatient.general_terms` within four standard errors plus 4% (the
closed form spreads the annual deductible across the levels in proportion to their spend and
gives every member the average mix of levels; measured here 1.6-4.1% apart, the visits
paying more)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from fundsim.benefits.outpatient import VisitTotals, settle_visits, visit_terms
from fundsim.claims.outpatient import LOCAL, benefit_moments, general_terms
from fundsim.codes import ACTIVE, RETIRED, URRBMI
from fundsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "tests" / "cases" / "benefits" / "rules"


@pytest.mark.parametrize(
    ("scenario", "status"),
    [
        (RULES / "outpatient-visit-deductible.yaml", URRBMI),  # by level, per-visit deductibles
        (RULES / "beijing.yaml", ACTIVE),  # community 90%, elsewhere 70%, 1,800 a year
        (RULES / "beijing.yaml", RETIRED),
    ],
)
def test_visit_by_visit_rules_have_the_models_mean(scenario: Path, status: int) -> None:
    s = load_scenario(scenario).tree.at(dt.date(2023, 6, 1))
    scheme = "urrbmi" if status == URRBMI else "uebmi"
    rng = np.random.default_rng(17)
    members = 20_000
    sigma = float(s["care.outpatient_sigma"])
    spend = float(s[f"care.outpatient.{scheme}.spend"])
    if scheme == "uebmi":
        spend *= 3  # enough spend to pass Beijing's deductible of 1,800 and reach its cap
    x = spend * rng.lognormal(-0.5 * sigma**2, sigma, members)
    share = np.array(
        [float(s[f"care.outpatient_visits.level_share.{scheme}.{lv}"]) for lv in LOCAL]
    )
    cost = np.array([float(s[f"care.outpatient_visits.cost_per_visit.{lv}"]) for lv in LOCAL])
    # a member's visits: about X over the mean cost of a visit, each at a level drawn by the
    # levels' visit shares (spend share over cost per visit), their costs in the ratio of the
    # levels' costs and summing to X; in the order drawn
    visit_share = share / cost
    mean_cost = 1 / visit_share.sum()
    count = np.maximum(np.rint(x / mean_cost), 1).astype(int)
    person_a = np.repeat(np.arange(members), count)
    level_a = rng.choice(len(LOCAL), p=visit_share / visit_share.sum(), size=len(person_a))
    weight = cost[level_a]
    amount_a = weight * x[person_a] / np.bincount(person_a, weights=weight)[person_a]
    first = np.ones(len(person_a), dtype=bool)
    first[1:] = person_a[1:] != person_a[:-1]
    by_level = [visit_terms(s, status, lv, "outpatient") for lv in LOCAL]
    terms = {k: np.array([b[k] for b in by_level])[level_a] for k in by_level[0]}
    zero = np.zeros(len(person_a))
    paid = settle_visits(first, amount_a, amount_a, terms, VisitTotals(zero, zero))
    per_member = np.bincount(person_a, weights=paid.fund, minlength=members)
    deductible, ratio, cap = general_terms(s, status, 1.0)
    mean, _ = benefit_moments(spend, sigma, deductible, ratio, cap)
    se = per_member.std() / np.sqrt(members)
    assert per_member.max() <= cap + 1e-6  # no member above the annual cap
    assert abs(per_member.mean() - mean) < 4 * se + 0.04 * mean, (per_member.mean(), mean)
