"""Sensitivity designs on the fund model: every design point one run with the same process
noise (common random numbers), the same numbers on every backend, inputs held at their
points, and extra ranges checked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fundsim.ensemble import sensitivity as sa
from fundsim.ensemble.backends import ProcessPool, Serial
from fundsim.scenario import load_scenario

TOY = Path(__file__).resolve().parents[1] / "statistical" / "toy" / "toy.yaml"
RANGES = {"care.cost_level": (0.8, 1.2), "care.admission_level": (0.9, 1.1)}


@pytest.fixture(scope="module")
def scenario():  # type: ignore[no-untyped-def]
    return load_scenario(TOY)


def test_points_share_their_noise_and_every_backend_gives_the_same_numbers(scenario) -> None:  # type: ignore[no-untyped-def]
    chosen = sa.factors(scenario, RANGES)
    assert [f.path for f in chosen][:2] == ["care.admission_level", "care.cost_level"]
    plan = sa.design(chosen, "tornado", 0, seed=5)
    points = len(plan.unit)
    serial = sa.run_design(plan, Serial([scenario] * points), 5, 0, [2025])
    pool = ProcessPool([scenario] * points, workers=2)
    try:
        pooled = sa.run_design(plan, pool, 5, 0, [2025])
    finally:
        pool.close()
    for name in serial:
        np.testing.assert_array_equal(serial[name], pooled[name])  # bit for bit
    table = sa.indices(plan, serial, seed=1).set_index(["outcome", "input"])
    balance = table.loc["urrbmi_pool.balance_2025"]
    # the toy's own inputs are single values: moving "them" changes nothing, to the last
    # digit, because every point has the same process noise
    for path in ("care.cost_trend", "payment.drg.cost_effect"):
        assert balance.loc[path, "low"] == balance.loc[path, "high"] == balance.loc[path, "base"]
    # dearer care, more admissions: a lower balance
    assert balance.loc["care.cost_level", "swing"] < 0
    assert balance.loc["care.admission_level", "swing"] < 0


def test_a_design_point_holds_its_inputs(scenario) -> None:  # type: ignore[no-untyped-def]
    from fundsim.ensemble.evaluate import simulate

    plan = sa.design(sa.factors(scenario, RANGES), "tornado", 0, seed=5)
    point = plan.point(3)  # care.cost_level at its 5% quantile
    assert point["care.cost_level"] == pytest.approx(0.8 + 0.4 * sa.TAIL)
    ds = simulate(scenario, run=0, seed=5, fixed=point)
    low = sa.outcomes(ds, [2025])
    high = sa.outcomes(simulate(scenario, run=0, seed=5, fixed=plan.point(4)), [2025])
    assert low["urrbmi_pool.balance_2025"] > high["urrbmi_pool.balance_2025"]


def test_quantiles_follow_each_distribution() -> None:
    from fundsim.scenario.schema import Discrete, Triangular

    tri = sa.Factor(
        "care.cost_trend", Triangular(distribution="triangular", low=0.0, mode=0.05, high=0.1)
    )
    np.testing.assert_allclose(tri.value(np.array([0.5])), [0.05])
    two = sa.Factor("care.cost_trend", Discrete(distribution="discrete", values=[0.01, 0.03]))
    np.testing.assert_allclose(two.value(np.array([0.2, 0.8])), [0.01, 0.03])
