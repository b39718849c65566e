"""Unit tests of the model's pure parts: term tables, lognormal layers, budget clearing,
payment multipliers, contribution bases, the seed tree."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats

from fundsim.benefits.fields import PRIOR_FIELDS
from fundsim.benefits.tables import GROUP_CODES, STATUS, TermTables
from fundsim.benefits.terms import claim_terms
from fundsim.claims.outpatient import benefit_moments, layer_moments
from fundsim.codes import LEVELS
from fundsim.payment.budget import final_amount
from fundsim.payment.effects import drg_multipliers, procurement_saving
from fundsim.random.streams import parameter_stream, stream
from fundsim.scenario.loader import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("region", ["nanchuan", "yangjiang"])
def test_term_tables_agree_with_claim_terms_in_every_cell(region: str) -> None:
    snapshot = load_scenario(SCENARIOS / region / "baseline.yaml").tree.at(dt.date(2024, 6, 1))
    tables = TermTables.from_snapshot(snapshot)
    for s, _status in enumerate(STATUS):
        for lv, level in enumerate(LEVELS):
            for tcm in (0, 1):
                for g, group in enumerate(GROUP_CODES):
                    claim = {
                        "scheme": "urrbmi" if s == 2 else "uebmi",
                        "level": level,
                        "retired": s == 1,
                        "tcm": bool(tcm),
                        "group": group if s == 2 else None,
                    }
                    want = claim_terms(snapshot, claim)
                    got = tables.claims(
                        np.array([0]),
                        np.array([1000.0]),
                        np.array([900.0]),
                        np.array([s]),
                        np.array([lv]),
                        np.array([tcm]),
                        np.array([g]),
                        {k: np.zeros(1) for k in PRIOR_FIELDS},
                    )
                    assert got.deductible[0] == want["deductible"] and got.ratio[0] == want["ratio"]
                    assert (
                        got.layer_cap[0] == want["layer_cap"]
                        and got.pool_cap[0] == want["pool_cap"]
                    )
                    k = len(want["layer_starts"])
                    assert list(got.layer_starts[0][:k]) == list(want["layer_starts"])
                    assert list(got.layer_ratios[0][:k]) == list(want["layer_ratios"])
                    assert got.assistance_ratio[0] == want["assistance_ratio"]


@pytest.mark.parametrize(
    ("mean", "sigma", "lo", "hi"),
    [(1000, 1.2, 200, 3000), (5000, 0.5, 0, 4000), (300, 2.0, 50, math.inf), (800, 0.8, 900, 901)],
)
def test_layer_moments_match_numerical_integration(
    mean: float, sigma: float, lo: float, hi: float
) -> None:
    x = stats.lognorm(s=sigma, scale=mean * math.exp(-(sigma**2) / 2))
    y = lambda v: min(v, hi) - min(v, lo)  # noqa: E731
    upper = hi if math.isfinite(hi) else np.inf
    m1 = integrate.quad(lambda v: (v - lo) * x.pdf(v), lo, upper, limit=200)[0] + (
        hi - lo if math.isfinite(hi) else 0
    ) * x.sf(hi)
    m2 = integrate.quad(lambda v: (v - lo) ** 2 * x.pdf(v), lo, upper, limit=200)[0] + (
        (hi - lo) ** 2 if math.isfinite(hi) else 0
    ) * x.sf(hi)
    got_mean, got_var = layer_moments(mean, sigma, lo, hi)
    assert got_mean == pytest.approx(m1, rel=1e-6)
    assert got_var == pytest.approx(m2 - m1 * m1, rel=1e-5)
    assert y(lo) == 0


def test_benefit_moments_of_an_outpatient_rule() -> None:
    # 50% of spend above 200, at most 2,000 a year: the cap binds above spend 4,200
    mean, _ = benefit_moments(1062, 1.2, 200, 0.5, 2000)
    direct, _ = layer_moments(1062, 1.2, 200, 4200)
    assert mean == pytest.approx(0.5 * direct)
    assert benefit_moments(1062, 1.2, 200, 0.0, 2000) == (0.0, 0.0)


def test_budget_clearing_shares_surplus_and_overrun() -> None:
    # below the budget: the hospital keeps half the saving
    assert final_amount(90.0, 100.0, 0.5, 0.5) == 95.0
    # above it: the fund pays half the overrun
    assert final_amount(120.0, 100.0, 0.5, 0.5) == 110.0
    # 5% deposit withheld during the year comes back at clearing (on budget)
    assert final_amount(100.0, 100.0, 0.5, 0.5) - 95.0 == 5.0
    # hospitals owe the fund when paid more than the final amount
    assert final_amount(120.0, 100.0, 0.5, 0.0) - 114.0 == -14.0


def test_payment_multipliers_are_relative_to_the_start() -> None:
    start = {
        "payment.drg.share": 0.2,
        "payment.drg.cost_effect": -0.1,
        "payment.drg.volume_effect": 0.05,
    }
    later = {**start, "payment.drg.share": 0.7}
    cost, volume = drg_multipliers(later, start)
    assert cost == pytest.approx(0.93 / 0.98) and volume == pytest.approx(1.035 / 1.01)
    assert drg_multipliers(start, start) == (1.0, 1.0)
    p = {
        "payment.procurement.drug_share": 0.3,
        "payment.procurement.drug_coverage": 0.5,
        "payment.procurement.drug_price_cut": 0.5,
        "payment.procurement.consumable_share": 0.2,
        "payment.procurement.consumable_coverage": 0.0,
        "payment.procurement.consumable_price_cut": 0.7,
        "payment.procurement.volume_rebound": 0.1,
    }
    assert procurement_saving(p) == pytest.approx(0.15 * (1 - 0.5 * 1.1))


def test_streams_are_named_and_independent_of_the_scenario() -> None:
    a = stream(1, 0, "inpatient").random(3)
    assert np.array_equal(a, stream(1, 0, "inpatient").random(3))
    assert not np.array_equal(a, stream(1, 1, "inpatient").random(3))
    assert not np.array_equal(a, stream(1, 0, "care").random(3))
    assert not np.array_equal(
        parameter_stream(1, 0, "care.cost_trend").random(2),
        parameter_stream(1, 0, "payment.drg.cost_effect").random(2),
    )


def test_term_tables_are_reused_only_while_the_benefit_rules_are_the_same() -> None:
    scenario = load_scenario(SCENARIOS / "nanchuan" / "benefit-raise.yaml")
    before, after = scenario.tree.at(dt.date(2021, 6, 1)), scenario.tree.at(dt.date(2025, 6, 1))
    assert TermTables.cached(before) is TermTables.cached(scenario.tree.at(dt.date(2021, 7, 1)))
    raised = TermTables.cached(after)
    assert raised is not TermTables.cached(before)
    assert (raised.ratio >= TermTables.cached(before).ratio).all()
    assert (raised.ratio > TermTables.cached(before).ratio).any()


def test_refiled_tables_equal_a_full_lookup_for_every_filing_status() -> None:
    from fundsim.codes import FILINGS

    snapshot = dict(
        load_scenario(SCENARIOS / "yangjiang" / "rules-2024.yaml").tree.at(dt.date(2025, 1, 1))
    )
    snapshot["benefits.urrbmi.inpatient.filing_factor.unfiled"] = 0.6
    snapshot["benefits.uebmi.inpatient.filing_factor.emergency"] = 0.8
    filed = TermTables.from_snapshot(snapshot, "filed")
    for filing in FILINGS:
        full, quick = TermTables.from_snapshot(snapshot, filing), filed.refiled(snapshot, filing)
        np.testing.assert_array_equal(quick.scalars, full.scalars)
        np.testing.assert_array_equal(quick.layer_starts, full.layer_starts)
        np.testing.assert_array_equal(quick.repeat_factors, full.repeat_factors)
    assert not np.array_equal(filed.ratio, filed.refiled(snapshot, "unfiled").ratio)
