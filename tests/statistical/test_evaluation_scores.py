"""The out-of-sample scores and the model-error term, tested statistically (issue 29).

- A forecast whose runs are drawn from the same law as the actual is calibrated: its 80% band
  holds 80% of the actuals, its PIT is uniform. Tolerance: 1,000 figures, the binomial sd of an
  80% share is 1.3 points (of a 50% share 1.6); the assertions allow 4 and 5 points (3 sd).
- The model-error term recovers a known extra variance: runs of spread s, actuals off the
  median by N(0, s² + Δ); Δ = 0.01 (a 10% error the runs lack) is recovered within ±0.002 (the
  estimator's sd over 1,000 figures is about 0.0005).
- Membership's term is per year: errors growing as τ·h recover τ² at 1,000 figures within 20%
  (the estimator's relative sd is about 5%).
- A forecast widened by the recovered term covers its 80% band again (within 4 points).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from fundsim.evaluation.bands import size
from fundsim.evaluation.scores import score, summarise

N = 1000
RUNS = 400


def _figures(  # type: ignore[no-untyped-def]
    seed: int, s: float, extra: float, indicator: str = "expenditure", per_year: bool = False,
    actual_sd: float | None = None,
):  # fmt: skip
    rng = np.random.default_rng(seed)
    out = []
    for k in range(N):
        h = 1 + k % 3
        median = 1e9 * (1 + 0.1 * rng.random())
        spread = s * (h if per_year else 1)
        runs = median * np.exp(rng.normal(0.0, spread, RUNS))
        sd = math.sqrt(spread**2 + extra * (h * h if per_year else 1))
        error = rng.normal(0.0, sd if actual_sd is None else actual_sd)
        actual = median * math.exp(error)
        history = {2015: median * 0.9, 2016: median * 0.95, 2017: median}
        out.append(score("r", "urrbmi_pool", indicator, 2017, 2017 + h, actual, runs, history, rng))
    return out


def test_runs_drawn_as_the_actual_cover_at_their_levels_and_their_pit_is_uniform() -> None:
    scored = _figures(1, 0.05, 0.0)
    summary = summarise(scored)
    assert abs(summary.coverage_80 - 0.80) < 0.04
    assert abs(summary.coverage_50 - 0.50) < 0.05
    assert stats.kstest([s.pit for s in scored], "uniform").pvalue > 0.001


def test_the_model_error_term_recovers_the_variance_the_runs_lack() -> None:
    scored = _figures(2, 0.05, 0.01)
    assert summarise(scored).coverage_80 < 0.65  # the runs alone are far too narrow
    error = size(scored)
    assert abs(error.cost - 0.01) < 0.002
    assert error.n_cost == N and error.wage == 0.0
    # runs widened by the term cover again
    widened = _figures(2, math.sqrt(0.05**2 + error.cost), 0.0)
    assert abs(summarise(widened).coverage_80 - 0.80) < 0.04


def test_membership_error_is_sized_per_year_of_horizon() -> None:
    tau2 = 0.02**2  # a 2% a year drift the runs lack
    scored = _figures(3, 0.005, tau2, indicator="insured", per_year=True)
    error = size(scored)
    assert error.cost == 0.0 and error.n_members == N
    assert abs(error.members / tau2 - 1) < 0.2


def test_runs_wider_than_the_errors_add_nothing() -> None:
    error = size(_figures(4, 0.10, 0.0, actual_sd=0.05))  # runs twice as wide as the errors
    assert error.cost == 0.0  # Δ is never negative


def test_the_membership_term_is_drawn_as_a_migration_error_in_every_run(
    tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import yaml
    from pathlib import Path

    from fundsim.calibration.modelerror import MEMBERS as MIGRATION
    from fundsim.evaluation.bands import ModelError, overrides
    from fundsim.scenario.loader import load_scenario

    root = Path(__file__).resolve().parents[2]
    calibrated = root / "scenarios" / "nanchuan" / "calibrated.yaml"
    error = ModelError(0.01, 0.0, 10, 0, members=0.015**2, n_members=10)
    changes = overrides(error)
    drawn = changes["uncertainty"][MIGRATION]
    assert drawn["distribution"] == "normal" and drawn["mean"] == 0.0
    assert math.isclose(drawn["sd"], 0.015)
    assert "care" in changes["parameters"]  # the spending shock
    assert overrides(ModelError(0.01, 0.0, 10, 0)).keys() == {"parameters"}
    # the forecast scenario that carries it is valid and draws it
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(root))
    forecast = tmp_path / "forecast.yaml"
    forecast.write_text(
        yaml.safe_dump(
            {
                "extends": str(calibrated),
                "name": "f",
                "title": {"zh": "预测", "en": "f"},
                **changes,
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    scenario = load_scenario(forecast)
    assert MIGRATION in {str(k) for k in scenario.uncertainty}


def test_a_migration_error_moves_the_members_as_the_net_migration_rate_does() -> None:
    """The error adds to the rate: rate r with error e gives the members of rate r + e (the
    same runs, common random numbers), and an error of 0 changes nothing, bit for bit."""
    from pathlib import Path

    from fundsim.ensemble.evaluate import simulate

    toy = Path(__file__).resolve().parent / "toy" / "toy.yaml"
    base = simulate(str(toy), run=0, seed=3)
    none = simulate(str(toy), run=0, seed=3, fixed={"population.migration_error": 0.0})
    assert np.array_equal(base["insured"].values, none["insured"].values)
    moved = simulate(
        str(toy), run=0, seed=3,
        fixed={"population.net_migration_rate": 0.02, "population.migration_error": -0.03},
    )  # fmt: skip
    same = simulate(str(toy), run=0, seed=3, fixed={"population.net_migration_rate": -0.01})
    assert np.array_equal(moved["insured"].values, same["insured"].values)


def test_fundsim_and_the_naive_forecasts_are_compared_on_the_same_figures() -> None:
    """A naive forecast needs the series' actual at the origin: a series first published after
    it (the personal accounts' spending, say) has none. fundsim's skill is taken over the figures the naive forecast has,
    not over all of them: adding hard figures the naive cannot forecast moves fundsim's
    overall MdAPE but neither its paired MdAPE nor its skill."""
    rng = np.random.default_rng(11)
    easy = [
        score("r", "uebmi", "income", 2017, 2018, 1.0e9 * (1 + e), np.full(50, 1.0e9),
              {2015: 0.9e9, 2016: 0.95e9, 2017: 1.0e9}, rng)
        for e in rng.normal(0.0, 0.02, 200)
    ]  # fmt: skip
    hard = [  # a series published after the origin: nothing to extrapolate, a large error
        score("r", "uebmi_personal", "expenditure", 2017, 2018, 1.0e9 * (1 + e), np.full(50, 1.0e9),
              {}, rng)
        for e in rng.normal(0.3, 0.02, 200)
    ]  # fmt: skip
    alone, mixed = summarise(easy), summarise(easy + hard)
    assert all(math.isnan(s.ape_growth) for s in hard)
    assert mixed.mape > 5 * alone.mape  # the overall MdAPE takes the hard figures in
    assert mixed.n_growth == 200 and mixed.mape_vs_growth == alone.mape_vs_growth
    assert mixed.skill_growth == alone.skill_growth
