"""Sensitivity analysis over a scenario's uncertain inputs (``fundsim sensitivity``).

Sampling apart from evaluating, as for batches: a design (SALib's Sobol or Morris sample, or
the one-at-a-time tornado) on the inputs' probability scale [0, 1], mapped to values by each
input's quantile function (the distribution of its ``uncertainty:`` entry, or a uniform range
given apart); each design point is one run with those inputs held (``fixed``) and the same
process noise (run ``noise_run``: common random numbers across the points); the outcomes of
each run are read from its results; SALib computes the indices with bootstrap intervals.
Sobol and Morris indices do not change under a monotone map of an input, so the probability
scale gives the inputs' own indices.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray
from scipy import stats

from ..parameters.catalogue import load_catalogue
from ..scenario.loader import Scenario
from ..scenario.schema import Beta, Discrete, Lognormal, Normal, Triangular, Uniform

METHODS = ("tornado", "morris", "sobol")
POOLED = ("uebmi_pool", "urrbmi_pool")  # the funds whose outcomes are analysed
TAIL = 0.05  # the tornado's low and high: each input's 5% and 95% quantiles
EDGE = 1e-3  # design points are kept inside [EDGE, 1 - EDGE] (unbounded distributions)
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Factor:
    """One input of the analysis: its parameter path and distribution."""

    path: str
    distribution: Any

    def value(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """The input's values at probabilities ``u`` (its quantile function), kept within the
        parameter's valid range."""
        d = self.distribution
        u = np.clip(np.asarray(u, dtype=float), EDGE, 1 - EDGE)
        if isinstance(d, Normal):
            x = stats.norm(d.mean, d.sd).ppf(u)
        elif isinstance(d, Lognormal):
            x = stats.lognorm(s=d.sigma, scale=np.exp(d.mu)).ppf(u)
        elif isinstance(d, Uniform):
            x = d.low + (d.high - d.low) * u
        elif isinstance(d, Triangular):
            width = d.high - d.low
            if width == 0:
                x = np.full_like(u, d.low)
            else:
                x = stats.triang((d.mode - d.low) / width, loc=d.low, scale=width).ppf(u)
        elif isinstance(d, Beta):
            x = d.low + (d.high - d.low) * stats.beta(d.a, d.b).ppf(u)
        elif isinstance(d, Discrete):
            values = np.asarray(d.values, dtype=float)
            weights = np.asarray(d.weights if d.weights else [1.0] * len(values), dtype=float)
            cumulative = np.cumsum(weights / weights.sum())
            x = values[np.minimum(np.searchsorted(cumulative, u), len(values) - 1)]
        else:
            raise TypeError(f"unknown distribution {d!r}")
        catalogue = load_catalogue()
        if self.path in catalogue:
            entry = catalogue[self.path]
            x = np.clip(x, entry.lower, entry.upper)
        result: NDArray[np.float64] = np.asarray(x, dtype=float)
        return result


def factors(scenario: Scenario, ranges: Mapping[str, tuple[float, float]] = {}) -> list[Factor]:
    """The scenario's uncertain inputs and the extra ranges (uniform between their bounds)."""
    found = {p: Factor(p, u.distribution) for p, u in scenario.uncertainty.items()}
    for path, (low, high) in ranges.items():
        found[path] = Factor(path, Uniform(distribution="uniform", low=low, high=high))
    return [found[p] for p in sorted(found)]


@dataclass(frozen=True)
class Design:
    """The design points of an analysis: probabilities (points, factors) and values."""

    method: str
    factors: list[Factor]
    unit: NDArray[np.float64]
    levels: int = 4  # Morris's grid

    @property
    def problem(self) -> dict[str, Any]:
        k = len(self.factors)
        return {"num_vars": k, "names": [f.path for f in self.factors], "bounds": [[0, 1]] * k}

    @functools.cached_property
    def values(self) -> NDArray[np.float64]:
        """Every point's input values (points, factors), mapped once."""
        columns = [f.value(self.unit[:, j]) for j, f in enumerate(self.factors)]
        return np.column_stack(columns) if columns else np.empty((len(self.unit), 0))

    def point(self, i: int) -> dict[str, float]:
        """Design point ``i``: each input's value."""
        row = self.values[i]
        return {f.path: float(row[j]) for j, f in enumerate(self.factors)}


def point_count(method: str, k: int, n: int) -> int:
    """How many design points ``method`` makes for ``k`` inputs and ``n`` base samples (the
    sizes :func:`design` gives), known before any is drawn."""
    return {"tornado": 2 * k + 1, "morris": n * (k + 1), "sobol": n * (k + 2)}[method]


def design(chosen: Sequence[Factor], method: str, n: int, seed: int) -> Design:
    """The design of ``method`` with ``n`` base samples (Sobol: n(k + 2) points, n a power of
    2; Morris: n trajectories of k + 1 points; tornado: the median and each input at its 5%
    and 95% quantiles, 2k + 1 points)."""
    k = len(chosen)
    if k == 0:
        raise ValueError("no uncertain inputs to analyse")
    problem = Design(method, list(chosen), np.empty((0, k))).problem
    if method == "tornado":
        unit = np.full((2 * k + 1, k), 0.5)
        for j in range(k):
            unit[1 + 2 * j, j], unit[2 + 2 * j, j] = TAIL, 1 - TAIL
    elif method == "morris":
        from SALib.sample import morris

        unit = morris.sample(problem, n, num_levels=4, seed=seed)
    elif method == "sobol":
        from SALib.sample import sobol

        unit = sobol.sample(problem, n, calc_second_order=False, seed=seed)
    else:
        raise ValueError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    return Design(method, list(chosen), np.asarray(unit, dtype=float))


def outcomes(ds: xr.Dataset, years: Sequence[int]) -> dict[str, float]:
    """A run's outcomes: per pooled fund, the depletion year (the year after the horizon when
    it never runs out), the balance [亿元] and reserve months at each of ``years``, and the
    cumulative deficit (the years' spending above income, summed) [亿元]."""
    one = ds.isel(scenario=0, run=0) if "scenario" in ds.dims else ds.isel(run=0)
    last = int(one.year.max())
    out = {}
    for fund in POOLED:
        f = one.sel(fund=fund)
        year = float(f.depletion_year)
        out[f"{fund}.depletion_year"] = last + 1.0 if np.isnan(year) else year
        for y in years:
            out[f"{fund}.balance_{y}"] = float(f.balance.sel(year=y)) / 1e8
            out[f"{fund}.reserve_months_{y}"] = float(f.reserve_months.sel(year=y))
        gap = (f.expenditure - f.income).clip(min=0)
        out[f"{fund}.cumulative_deficit"] = float(gap.sum()) / 1e8
    return out


def analyse(plan: Design, y: NDArray[np.float64], seed: int) -> pd.DataFrame:
    """The indices of one outcome ``y`` (one value per design point), one row per input.

    tornado: the outcome at the input's 5% (low) and 95% (high) quantile, others at their
    medians, and the swing high − low; morris: μ* with its interval and σ; sobol: first-order
    S1 and total ST with their bootstrap intervals (half-widths at 95%).
    """
    names = [f.path for f in plan.factors]
    if plan.method == "tornado":
        low, high = y[1::2], y[2::2]
        return pd.DataFrame(
            {"input": names, "base": y[0], "low": low, "high": high, "swing": high - low}
        )
    if np.ptp(y) == 0:  # an outcome that does not move: no input matters
        zero = np.zeros(len(names))
        if plan.method == "morris":
            return pd.DataFrame(
                {"input": names, "mu_star": zero, "mu_star_conf": zero, "sigma": zero}
            )
        return pd.DataFrame(
            {"input": names, "S1": zero, "S1_conf": zero, "ST": zero, "ST_conf": zero}
        )
    if plan.method == "morris":
        from SALib.analyze import morris

        m = morris.analyze(
            plan.problem, plan.unit, y, num_levels=plan.levels, conf_level=CONFIDENCE, seed=seed
        )
        return pd.DataFrame(
            {
                "input": names,
                "mu_star": np.asarray(m["mu_star"]),
                "mu_star_conf": np.asarray(m["mu_star_conf"]),
                "sigma": np.asarray(m["sigma"]),
            }
        )
    from SALib.analyze import sobol

    s = sobol.analyze(plan.problem, y, calc_second_order=False, conf_level=CONFIDENCE, seed=seed)
    return pd.DataFrame(
        {
            "input": names,
            "S1": s["S1"],
            "S1_conf": s["S1_conf"],
            "ST": s["ST"],
            "ST_conf": s["ST_conf"],
        }
    )


def indices(plan: Design, results: Mapping[str, NDArray[np.float64]], seed: int) -> pd.DataFrame:
    """Every outcome's indices, one row per outcome and input."""
    parts = [analyse(plan, y, seed).assign(outcome=name) for name, y in results.items()]
    table = pd.concat(parts, ignore_index=True)
    return table[["outcome", *[c for c in table.columns if c != "outcome"]]]


def evaluate_design(
    plan: Design, evaluate: Callable[[dict[str, float]], Mapping[str, float]]
) -> dict[str, NDArray[np.float64]]:
    """Each outcome at every design point, by ``evaluate`` (a point's inputs -> outcomes): the
    same code whether a point is a fund model's run or a test function."""
    rows = [evaluate(plan.point(i)) for i in range(len(plan.unit))]
    return {name: np.array([r[name] for r in rows]) for name in rows[0]}


def run_design(
    plan: Design,
    backend: Any,
    seed: int,
    noise_run: int,
    years: Sequence[int],
    done: Callable[[], None] | None = None,
    first: Mapping[str, float] | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Each outcome at every design point, each point one run of the backend's scenario
    (built for ``len(plan.unit)`` copies of it: task (i, noise_run) is point i) with the
    point's inputs held and run ``noise_run``'s process noise (common random numbers);
    ``first``: point 0's outcomes when already evaluated (the timing run)."""
    points = len(plan.unit)
    rows: dict[int, Mapping[str, float]] = {}
    if first is not None:
        rows[0] = first
    tasks = [(i, noise_run) for i in range(points) if i not in rows]
    held = {task: plan.point(task[0]) for task in tasks}
    for task, ds in backend.run(tasks, seed, fixed_by_task=held):
        rows[task[0]] = outcomes(ds, years)
        if done is not None:
            done()
    return {name: np.array([rows[i][name] for i in range(points)]) for name in rows[0]}
