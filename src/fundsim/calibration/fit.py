"""Fitting a scenario's free parameters to its region's history (``fundsim calibrate``).

The target is the Monte Carlo mean of each history figure over the same runs for every
trial (common random numbers: the same seed and run numbers, so two trials differ by their
parameters only and the mean is a smooth function of them, not a fresh sample each time).
The free parameters are scaled to [0, 1] over their bounds and fitted by
``scipy.optimize.least_squares`` (trust-region reflective, which keeps to the bounds) on the
relative residuals (model mean − actual) ÷ |actual|. Its Jacobian is a forward difference of
4% of each parameter's range, wide enough to average over the discrete events of a finite
sample; the k + 1 trials of a step run as one batch on the backend.

What the fit leaves unexplained becomes uncertainty: the residual standard deviation
s = √(Σr² / (n − k)) (s = the root-mean-square residual when n ≤ k), and each parameter's
standard error s·√diag((JᵀJ)⁻¹) (in its own units; what the others' errors let it move too,
with their correlation kept and drawn jointly), combined with the Monte Carlo error of the
runs carried to the parameters (pinv(J) · cov(runs) / R · pinv(J)ᵀ): the runs are the same
in every trial, so their shared sampling error is absorbed by the fit, not seen in the
residuals. A parameter the history does not move is not
identified: it keeps a uniform spread over its bounds and is reported so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from ..ensemble.backends import Backend
from ..scenario.calibrate import FreeParameter
from .observe import Point, matrix

STEP = 0.04  # forward-difference step, as a share of each parameter's range
MAX_STEPS = 12  # least_squares iterations (each k + 1 trials)
IDENTIFIED = 1e-3
ANCHOR_WEIGHT = 10.0  # the weight of an anchored level's base-year figure (see fit)
# directions of the Jacobian weaker than this share of its strongest (parameters the history
# cannot tell apart, e.g. admission and cost levels seen through spending alone) carry no
# sampling error: a plain pseudo-inverse would blow it up along them
PINV_RCOND = 0.05  # a Jacobian column norm below this: the history does not move the parameter


@dataclass
class Fit:
    """A finished calibration.

    values : fitted value per path; ``sd`` its standard deviation (see the module text)
    start : the scenario's value per path
    points : the history points fitted; ``mean`` the model's mean at each, ``relative`` its
        relative residual
    rms : root-mean-square relative residual; ``s`` the residual standard deviation
    trials : trials evaluated; ``runs`` runs per trial
    unidentified : paths the history does not move; ``at_bound`` those fitted to a bound
        (the history asks for more than the bounds allow: widen them, or question the model)
    spread : each path's standard deviation as the history gives it, before ``sd`` caps it
        at the spread of a uniform draw over the bounds (infinite when not identified):
        :mod:`fundsim.calibration.identify` tells from it whether the history narrows the
        bounds at all
    """

    values: dict[str, float]
    sd: dict[str, float]
    start: dict[str, float]
    points: list[Point]
    mean: NDArray[np.float64]
    relative: NDArray[np.float64]
    rms: float
    s: float
    trials: int
    runs: int
    unidentified: list[str] = field(default_factory=list)
    at_bound: list[str] = field(default_factory=list)  # fitted to (within 0.5% of) a bound
    message: str = ""
    spread: dict[str, float] = field(default_factory=dict)
    # the identified parameters' correlation in the fit, s²·(JᵀJ)⁻¹ scaled to unit diagonal
    correlation: dict[tuple[str, str], float] = field(default_factory=dict)
    # the parameters anchored on a figure of the last year fitted (the base year): that figure
    anchored: dict[str, Point] = field(default_factory=dict)


def scale_of(points: Sequence[Point]) -> NDArray[np.float64]:
    """What each residual is divided by: |actual|; for a balance, at least a twentieth of its
    series' mean size (a balance near zero would otherwise weigh without limit)."""
    out = np.array([abs(p.value) for p in points], dtype=float)
    for k, p in enumerate(points):
        if p.indicator == "balance":
            same = [abs(q.value) for q in points if q.series == p.series]
            out[k] = max(out[k], 0.05 * float(np.mean(same)))
    floor: NDArray[np.float64] = np.maximum(out, 1.0)
    return floor


def run_points(
    backend: Backend,
    points: Sequence[Point],
    runs: int,
    seed: int,
    fixed: dict[str, float] | None = None,
    on_run: Callable[[int, int], None] | None = None,
) -> NDArray[np.float64]:
    """Runs 0 to ``runs`` - 1 of the backend's scenario (with ``fixed`` held), each run's
    value of every point: an array (run, point), in run order whatever order they land."""
    rows: dict[int, NDArray[np.float64]] = {}
    for (_, run), ds in backend.run([(0, r) for r in range(runs)], seed, fixed):
        rows[run] = matrix(ds, points)[0]
        if on_run:
            on_run(len(rows), runs)
    return np.array([rows[r] for r in range(runs)])


class Trials:
    """Evaluates trial values on the backend: each trial the same runs, cached."""

    def __init__(
        self,
        backend: Backend,
        points: Sequence[Point],
        runs: int,
        seed: int,
        on_trial: Callable[[int], None] | None = None,
        held: dict[str, float] | None = None,
    ) -> None:
        self.backend, self.points, self.runs, self.seed = backend, list(points), runs, seed
        self.on_trial = on_trial
        self.held = dict(held or {})  # drawn inputs held in every trial (a forecast's noise)
        self.cache: dict[tuple[float, ...], NDArray[np.float64]] = {}

    def values(self, many: Sequence[dict[str, float]]) -> list[NDArray[np.float64]]:
        """Each trial's (run, point) matrix."""
        out = []
        for fixed in many:
            key = tuple(round(v, 12) for v in fixed.values())
            if key not in self.cache:
                self.cache[key] = run_points(
                    self.backend, self.points, self.runs, self.seed, {**self.held, **fixed}
                )
                if self.on_trial:
                    self.on_trial(len(self.cache))
            out.append(self.cache[key])
        return out


def fit(
    free: Sequence[FreeParameter],
    points: Sequence[Point],
    trials: Trials,
    max_steps: int = MAX_STEPS,
) -> Fit:
    """Fit ``free`` to ``points`` (see the module text)."""
    low = np.array([p.low for p in free])
    span = np.array([p.high - p.low for p in free])
    actual = np.array([p.value for p in points])
    scale = scale_of(points)

    def to_values(u: NDArray[np.float64]) -> dict[str, float]:
        x = low + np.clip(u, 0.0, 1.0) * span
        return {p.path: float(v) for p, v in zip(free, x, strict=True)}

    def residuals_of(m: NDArray[np.float64]) -> NDArray[np.float64]:
        residual: NDArray[np.float64] = (np.nanmean(m, axis=0) - actual) / scale
        return residual

    # the base year's figures that anchored levels meet weigh ANCHOR_WEIGHT² points each: the
    # fit meets them and fits the other figures as well as it can with the rest
    anchored = anchors(free, points)
    weight = np.ones(len(points))
    weight[list(anchored.values())] = ANCHOR_WEIGHT

    def fun(u: NDArray[np.float64]) -> NDArray[np.float64]:
        return residuals_of(trials.values([to_values(u)])[0]) * weight

    def jac(u: NDArray[np.float64]) -> NDArray[np.float64]:
        steps = np.where(u + STEP <= 1.0, STEP, -STEP)
        shifted = []
        for j in range(len(free)):
            v = u.copy()
            v[j] += steps[j]
            shifted.append(to_values(v))
        base, *moved = trials.values([to_values(u), *shifted])
        r0 = residuals_of(base)
        return np.column_stack(
            [(residuals_of(m) - r0) / h for m, h in zip(moved, steps, strict=True)]
        )

    u0 = np.array([(p.start - p.low) / (p.high - p.low) for p in free])
    result: Any = least_squares(
        fun,
        u0,
        jac=lambda u: jac(u) * weight[:, None],
        bounds=(0.0, 1.0),
        method="trf",
        x_scale=1.0,
        ftol=1e-4,
        xtol=1e-3,
        max_nfev=max_steps,
    )
    u = np.clip(result.x, 0.0, 1.0)
    values = to_values(u)
    best = trials.values([values])[0]
    r = residuals_of(best)
    n, k = len(points), len(free)
    rms = float(np.sqrt(np.mean(r**2)))
    s = float(np.sqrt(np.sum(r**2) / (n - k))) if n > k else rms
    J = jac(u)
    norms = np.linalg.norm(J, axis=0)
    # the Monte Carlo error of the mean of these runs, carried to the parameters: the same
    # runs in every trial share one sampling error, which the fit absorbs, unseen in r
    deviations = (best - np.nanmean(best, axis=0)) / scale
    sampling = np.atleast_2d(np.cov(np.nan_to_num(deviations), rowvar=False)) / len(best)
    A = np.linalg.pinv(J, rcond=PINV_RCOND)
    mc = np.sqrt(np.clip(np.diag(A @ sampling @ A.T), 0.0, None))
    correlation = _correlation(J, norms, [p.path for p in free])
    standard = _marginal(J, norms)
    sd, unidentified, spreads = {}, [], {}
    for j, p in enumerate(free):
        if norms[j] < IDENTIFIED:
            sd[p.path] = float(span[j] / np.sqrt(12.0))
            spreads[p.path] = float("inf")
            unidentified.append(p.path)
        else:
            spread = np.hypot(s * standard[j], mc[j])
            sd[p.path] = float(min(spread, 1.0 / np.sqrt(12.0)) * span[j])
            spreads[p.path] = float(spread * span[j])
    return Fit(
        values=values,
        sd=sd,
        start={p.path: p.start for p in free},
        points=list(points),
        mean=np.nanmean(best, axis=0),
        relative=(np.nanmean(best, axis=0) - actual) / np.abs(np.where(actual == 0, 1, actual)),
        rms=rms,
        s=s,
        trials=len(trials.cache),
        runs=trials.runs,
        unidentified=unidentified,
        at_bound=[p.path for p, v in zip(free, u, strict=True) if v < 0.005 or v > 0.995],
        message=str(result.message),
        spread=spreads,
        correlation=correlation,
        anchored={free[j].path: points[k] for j, k in anchored.items()},
    )


def anchors(free: Sequence[FreeParameter], points: Sequence[Point]) -> dict[int, int]:
    """Each anchored parameter's index, to the index of the point it meets: its series'
    figure of the last year fitted that has it (none when the history lacks the series)."""
    out = {}
    for j, p in enumerate(free):
        if p.anchor is None:
            continue
        same = [k for k, q in enumerate(points) if (q.fund, q.indicator) == p.anchor]
        if same:
            out[j] = max(same, key=lambda k: points[k].year)
    return out


def _marginal(J: NDArray[np.float64], norms: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each identified parameter's standard error per unit of residual sd: √diag((JᵀJ)⁻¹)
    over the identified parameters, which counts what the others' errors let it move (a level
    and a trend fitted together move each other: each alone, 1/‖Jⱼ‖, understates both by half
    and more; tests/statistical/test_recovery.py); infinite along a direction the history
    does not fix (the caller caps it at the spread of a uniform draw over the bounds)."""
    out = np.full(len(norms), np.inf)
    keep = [j for j in range(len(norms)) if norms[j] >= IDENTIFIED]
    if not keep:
        return out
    sub = J[:, keep]
    try:
        cov = np.linalg.inv(sub.T @ sub)
    except np.linalg.LinAlgError:
        return out
    diag = np.diag(cov)
    good = np.isfinite(diag) & (diag > 0)  # a ridge's rounding may leave it at or below 0
    out[keep] = np.where(good, np.sqrt(np.where(good, diag, 1.0)), np.inf)
    return out


def _correlation(
    J: NDArray[np.float64], norms: NDArray[np.float64], paths: list[str]
) -> dict[tuple[str, str], float]:
    """The correlation of the identified parameters' estimates, from (JᵀJ)⁻¹ over them (the
    residual variance cancels): admission and cost levels that trade along a ridge of the fit
    come out strongly negative. Empty when fewer than two are identified or the product is
    singular."""
    keep = [j for j in range(len(paths)) if norms[j] >= IDENTIFIED]
    if len(keep) < 2:
        return {}
    sub = J[:, keep]
    try:
        cov = np.linalg.inv(sub.T @ sub)
    except np.linalg.LinAlgError:
        return {}
    d = np.sqrt(np.diag(cov))
    if not np.all(np.isfinite(d)) or np.any(d <= 0):
        return {}
    corr = cov / np.outer(d, d)
    return {
        (paths[a], paths[b]): float(corr[i, k])
        for i, a in enumerate(keep)
        for k, b in enumerate(keep)
        if i < k
    }
