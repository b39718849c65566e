"""Sampling the uncertain inputs, apart from evaluating runs (architecture §2 "Uncertainty").

Run r's inputs are drawn from each parameter's own stream (:func:`draw_inputs`); a batch's
draws form a sample matrix (:func:`sample_matrix`, one row per run) that
:func:`fundsim.ensemble.evaluate.evaluate` runs row by row, as it runs any other matrix (a
sensitivity design, a calibration's trial points).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..parameters.catalogue import load_catalogue
from ..random.streams import parameter_stream
from ..scenario.loader import Scenario
from ..scenario.schema import Beta, Discrete, Lognormal, Normal, Triangular, Uniform


def draw_one(distribution: Any, rng: np.random.Generator) -> float:
    """One value from a scenario's distribution."""
    d = distribution
    if isinstance(d, Normal):
        return float(rng.normal(d.mean, d.sd))
    if isinstance(d, Lognormal):
        return float(rng.lognormal(d.mu, d.sigma))
    if isinstance(d, Uniform):
        return float(rng.uniform(d.low, d.high))
    if isinstance(d, Triangular):
        if d.low == d.high:
            return float(d.low)
        return float(rng.triangular(d.low, d.mode, d.high))
    if isinstance(d, Beta):
        return float(d.low + (d.high - d.low) * rng.beta(d.a, d.b))
    if isinstance(d, Discrete):
        return float(rng.choice(np.asarray(d.values, dtype=float), p=d.weights))
    raise TypeError(f"unknown distribution {d!r}")


def quantile(distribution: Any, u: float) -> float:
    """The value of a scenario's distribution at probability ``u`` (its inverse CDF)."""
    from scipy import stats

    d = distribution
    if isinstance(d, Normal):
        return float(stats.norm.ppf(u, d.mean, d.sd))
    if isinstance(d, Lognormal):
        return float(np.exp(d.mu + d.sigma * stats.norm.ppf(u)))
    if isinstance(d, Uniform):
        return float(d.low + u * (d.high - d.low))
    if isinstance(d, Triangular):
        if d.low == d.high:
            return float(d.low)
        c = (d.mode - d.low) / (d.high - d.low)
        return float(stats.triang.ppf(u, c, loc=d.low, scale=d.high - d.low))
    if isinstance(d, Beta):
        return float(d.low + (d.high - d.low) * stats.beta.ppf(u, d.a, d.b))
    if isinstance(d, Discrete):
        values = np.asarray(d.values, dtype=float)
        weights = np.full(len(values), 1 / len(values)) if d.weights is None else np.asarray(d.weights)
        k = int(np.searchsorted(np.cumsum(weights), u, side="right"))
        return float(values[min(k, len(values) - 1)])
    raise TypeError(f"unknown distribution {d!r}")


def joint_draws(scenario: Scenario, seed: int, run: int) -> dict[str, float]:
    """The run's values of the parameters drawn together (``correlation:``), by a Gaussian
    copula: each path's own stream gives an independent normal score, the Cholesky factor
    correlates them, and each path's distribution is read at the correlated score's
    probability. Each keeps its marginal distribution; the others' draws are untouched."""
    from scipy import stats

    joint = scenario.joint
    if joint is None:
        return {}
    scores = np.array([parameter_stream(seed, run, p).standard_normal() for p in joint.paths])
    u = stats.norm.cdf(joint.factor @ scores)
    # a probability of exactly 0 or 1 has an infinite quantile for unbounded distributions
    u = np.clip(u, 1e-12, 1 - 1e-12)
    return {
        p: quantile(scenario.uncertainty[p].distribution, float(u[k]))
        for k, p in enumerate(joint.paths)
    }


def draw_inputs(scenario: Scenario, seed: int, run: int) -> dict[str, float]:
    """The run's value of every uncertain parameter, kept within the parameter's valid range.

    Unbounded distributions (normal, lognormal) can stray outside a ratio's [0, 1]; such a
    draw is clipped to the nearest valid value (the loader has already warned when that is
    more than a rare event).
    """
    catalogue = load_catalogue()
    values = {}
    together = joint_draws(scenario, seed, run)
    for path, uncertain in sorted(scenario.uncertainty.items()):
        if path in together:
            value = together[path]
        else:
            value = draw_one(uncertain.distribution, parameter_stream(seed, run, path))
        if path.endswith(".then") and path not in catalogue:  # a rule's growth or step:
            values[path] = value  # bounded, and checked at both ends when loaded
            continue
        entry = catalogue[path]
        if entry.lower is not None:
            value = max(value, entry.lower)
        if entry.upper is not None:
            value = min(value, entry.upper)
        if entry.kind.name in ("count",):
            value = round(value)
        values[path] = value
    return values


def sample_matrix(
    scenario: Scenario, seed: int, runs: range | list[int]
) -> tuple[list[str], NDArray[np.float64]]:
    """The uncertain parameters' paths and their draws, one row per run of ``runs``."""
    paths = sorted(scenario.uncertainty)
    rows = [draw_inputs(scenario, seed, r) for r in runs]
    return paths, np.array([[row[p] for p in paths] for row in rows], dtype=float).reshape(
        len(rows), len(paths)
    )
