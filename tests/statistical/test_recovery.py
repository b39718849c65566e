"""A synthetic region with known parameters and known noise is recovered, and the bands of its
forecast cover at their stated rate (issue 29).

The region is a closed form, so that 200 replications take seconds: employees' spending
``S0 · level · (1 + trend)^t``, their contributions ``C0 · base · 1.06^t`` and residents' spending
``R0 · level · resident · (1 + trend)^t``, each year multiplied by an independent lognormal
shock of known σ (the "noise": the model's own yearly shocks, which the simulator draws in
every run as fundsim's runs draw theirs). Each replication draws a true parameter set and
a history of five years (the truth with one realisation of the noise), fits the four
parameters with fundsim's own least-squares fit (:func:`fundsim.calibration.fit.fit`,
16 runs a trial, common random numbers, relative residuals), then forecasts three years
ahead as a calibrated scenario does: each run draws its parameters from the fit (the
symmetric triangle of the fitted standard deviation, narrowed to the bounds, correlated by a
Gaussian copula with the fit's correlation, as ``calibrate`` writes them) and its own noise.
The actuals of those years (the truth with a fresh realisation of the noise) must fall
inside the 10-90% band in 80% ± 5% of the 200 × 3 × 3 figures (binomial sd of the rate over
1,800 figures about 1%; the figures of one replication share its fit, so the tolerance is
five times that); and the fitted parameters' z-scores (error ÷ stated sd) must have a
standard deviation near one, i.e. the fit's stated uncertainty is neither too narrow nor too
wide.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from fundsim.calibration.fit import fit
from fundsim.calibration.observe import Point
from fundsim.ensemble.sampling import quantile
from fundsim.scenario.calibrate import FreeParameter
from fundsim.scenario.schema import Triangular

SIGMA = 0.03  # the yearly shock of each flow (lognormal σ), known to the simulator
FITTED, AHEAD = 5, 3
RUNS, FORECAST_RUNS, REPLICATIONS = 16, 200, 200
BOUNDS = {
    "level": (0.6, 1.6),
    "trend": (-0.05, 0.15),
    "base": (0.3, 1.0),
    "resident": (0.4, 2.5),
}
SERIES = (("uebmi", "expenditure"), ("uebmi", "income"), ("urrbmi_pool", "expenditure"))


def flows(values: dict[str, float], years: NDArray[np.int64]) -> NDArray[np.float64]:
    """The three flows (series, year) of the synthetic region without noise."""
    t = years.astype(float)
    grow = (1 + values["trend"]) ** t
    return np.stack(
        [
            100.0 * values["level"] * grow,
            160.0 * values["base"] * 1.06**t,
            80.0 * values["level"] * values["resident"] * grow,
        ]
    )


def noisy(
    values: dict[str, float], years: NDArray[np.int64], shocks: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The flows with the shocks (standard normals of the same shape) of one realisation."""
    return flows(values, years) * np.exp(SIGMA * shocks - SIGMA**2 / 2)


class SyntheticTrials:
    """What :func:`fit` needs of :class:`fundsim.calibration.fit.Trials`: each trial's (run,
    point) values, the same runs' shocks in every trial (common random numbers)."""

    def __init__(self, points: list[Point], shocks: NDArray[np.float64]) -> None:
        self.points, self.shocks, self.runs = points, shocks, RUNS
        self.cache: dict[tuple[float, ...], NDArray[np.float64]] = {}

    def values(self, many: list[dict[str, float]]) -> list[NDArray[np.float64]]:
        out = []
        for fixed in many:
            key = tuple(round(v, 12) for v in fixed.values())
            if key not in self.cache:
                years = np.arange(1, FITTED + 1)
                runs = [noisy(fixed, years, s).ravel() for s in self.shocks]
                self.cache[key] = np.array(runs)
            out.append(self.cache[key])
        return out


def _points(actual: NDArray[np.float64]) -> list[Point]:
    return [
        Point(year, fund, indicator, float(actual[k, year - 1]), "synthetic", 0)
        for k, (fund, indicator) in enumerate(SERIES)
        for year in range(1, FITTED + 1)
    ]


def _draws(
    result: object, free: list[FreeParameter], rng: np.random.Generator
) -> list[dict[str, float]]:
    """FORECAST_RUNS parameter sets drawn as a calibrated scenario draws them."""
    paths = [p.path for p in free]
    marginals = {}
    for p in free:
        value, sd = result.values[p.path], result.sd[p.path]  # type: ignore[attr-defined]
        half = min(math.sqrt(6.0) * sd, value - p.low, p.high - value)
        marginals[p.path] = Triangular(
            distribution="triangular", low=value - half, mode=value, high=value + half
        )
    corr = np.eye(len(paths))
    for (a, b), r in result.correlation.items():  # type: ignore[attr-defined]
        i, j = paths.index(a), paths.index(b)
        corr[i, j] = corr[j, i] = r
    factor = np.linalg.cholesky(corr + 1e-9 * np.eye(len(paths)))
    u = stats.norm.cdf(rng.standard_normal((FORECAST_RUNS, len(paths))) @ factor.T)
    u = np.clip(u, 1e-12, 1 - 1e-12)
    return [
        {p: quantile(marginals[p], float(u[r, k])) for k, p in enumerate(paths)}
        for r in range(FORECAST_RUNS)
    ]


def test_a_synthetic_region_is_recovered_and_its_bands_cover_at_80_percent() -> None:
    rng = np.random.default_rng(20261207)
    free = [
        FreeParameter(k, lo, hi, (lo + hi) / 2, "synthetic", 0) for k, (lo, hi) in BOUNDS.items()
    ]
    ahead = np.arange(FITTED + 1, FITTED + AHEAD + 1)
    inside, z = [], []
    for _ in range(REPLICATIONS):
        truth = {
            k: float(rng.uniform(lo + 0.2 * (hi - lo), hi - 0.2 * (hi - lo)))
            for k, (lo, hi) in BOUNDS.items()
        }
        history = noisy(truth, np.arange(1, FITTED + 1), rng.standard_normal((3, FITTED)))
        points = _points(history)
        trials = SyntheticTrials(points, rng.standard_normal((RUNS, 3, FITTED)))
        result = fit(free, points, trials)  # type: ignore[arg-type]
        z += [(result.values[k] - truth[k]) / result.sd[k] for k in truth]
        later = noisy(truth, ahead, rng.standard_normal((3, AHEAD)))
        runs = np.array(
            [noisy(d, ahead, rng.standard_normal((3, AHEAD))) for d in _draws(result, free, rng)]
        )
        low, high = np.quantile(runs, [0.1, 0.9], axis=0)
        inside += list(((low <= later) & (later <= high)).ravel())
    coverage = float(np.mean(inside))
    assert abs(coverage - 0.80) <= 0.05, coverage
    spread = float(np.std(z))
    assert 0.7 < spread < 1.5, spread  # the stated sd is the error's, within a third
    assert abs(float(np.median(z))) < 0.25, np.median(z)  # and the fit is not biased
