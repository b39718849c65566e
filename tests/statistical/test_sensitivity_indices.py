"""Sensitivity indices recovered where they are known: the Ishigami function through the same
design, quantile mapping, evaluation and analysis code as a fund model's design points
(``fundsim.ensemble.sensitivity``), with its inputs as a scenario's ``uncertainty:`` entries.

Ishigami, f = sin x1 + a sin² x2 + b x3⁴ sin x1 with xᵢ ~ U(−π, π), a = 7, b = 0.1, has
S1 = (0.3139, 0.4424, 0) and ST = (0.5576, 0.4424, 0.2437) (Sobol' and Levitan 1999); each
estimate must lie within its bootstrap interval widened by four times its half-width (the
intervals are 95%: one in twenty would miss the plain interval), and the ranking must hold.
"""

from __future__ import annotations

import numpy as np

from fundsim.ensemble.sensitivity import Factor, design, evaluate_design, indices
from fundsim.scenario.schema import Uniform

S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}


def ishigami(point: dict[str, float]) -> dict[str, float]:
    x1, x2, x3 = point["x1"], point["x2"], point["x3"]
    return {"f": np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)}


def test_sobol_indices_of_the_ishigami_function_are_recovered() -> None:
    inputs = [
        Factor(f"x{i}", Uniform(distribution="uniform", low=-np.pi, high=np.pi)) for i in (1, 2, 3)
    ]
    plan = design(inputs, "sobol", 1024, seed=11)
    assert plan.unit.shape == (1024 * 5, 3)  # n(k + 2) points
    table = indices(plan, evaluate_design(plan, ishigami), seed=3).set_index("input")
    for name in S1:
        s1, s1_conf = table.loc[name, "S1"], table.loc[name, "S1_conf"]
        st, st_conf = table.loc[name, "ST"], table.loc[name, "ST_conf"]
        assert abs(s1 - S1[name]) <= 4 * s1_conf + 0.01, (name, s1, s1_conf)
        assert abs(st - ST[name]) <= 4 * st_conf + 0.01, (name, st, st_conf)
        assert 0 < s1_conf < 0.15 and 0 < st_conf < 0.15  # intervals are given, and narrow
    assert table["ST"].idxmax() == "x1" and table["S1"].idxmax() == "x2"


def test_morris_and_tornado_rank_a_linear_function_by_its_coefficients() -> None:
    weights = {"a": 5.0, "b": 2.0, "c": 0.0}
    inputs = [Factor(p, Uniform(distribution="uniform", low=0, high=1)) for p in weights]

    def linear(point: dict[str, float]) -> dict[str, float]:
        return {"y": sum(weights[p] * v for p, v in point.items())}

    morris = indices(m := design(inputs, "morris", 40, seed=2), evaluate_design(m, linear), 1)
    mu = morris.set_index("input")["mu_star"]
    # on the probability scale the elementary effect of a uniform input is its coefficient
    # (less 0.2%: the design's edges are kept 0.001 inside [0, 1])
    np.testing.assert_allclose(mu.to_numpy(), [5.0, 2.0, 0.0], rtol=0.003, atol=1e-9)
    tornado = indices(t := design(inputs, "tornado", 0, seed=0), evaluate_design(t, linear), 1)
    swing = tornado.set_index("input")["swing"]
    np.testing.assert_allclose(swing.to_numpy(), [5.0 * 0.9, 2.0 * 0.9, 0.0], atol=1e-9)
