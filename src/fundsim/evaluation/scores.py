"""Scores of probabilistic forecasts against what happened (architecture §3, evaluation).

A forecast of one figure (a fund's income, spending or balance, or the insured, in one year)
is the sample of its runs. Against the actual it is scored by:

- **coverage**: whether the actual lies inside the central 50%, 80% and 90% bands (the runs'
  quantiles): over many figures, a calibrated forecast holds the actual inside its 80% band
  80% of the time;
- **APE** of the median: |median − actual| ÷ |actual|; its median over figures is the MAPE
  reported (robust to the odd outlier of a small fund);
- **CRPS** (continuous ranked probability score; Gneiting & Raftery 2007, JASA 102:359), from
  the runs (the ensemble form, ``scoringrules.crps_ensemble``), divided by |actual| so that
  funds of every size are comparable: it rewards sharpness and calibration together and equals
  the absolute error for a single-valued forecast;
- **interval score** of the 80% band (Gneiting & Raftery 2007 eq. 43: width plus 2/α times
  the miss; ``scoringrules.interval_score``), divided by |actual|;
- **PIT** (probability integral transform): the share of runs below the actual (ties split at
  random, seeded): uniform over many figures when the bands are right; too many 0s and 1s when
  they are too narrow.

``scoringrules`` (a maintained library of proper scoring rules on numpy, with numba kernels)
computes CRPS and the interval score; ``properscoring`` is unmaintained since 2015.

Two naive forecasts are the bar to clear (an actuary's first sketch): the last actual **grown**
at the mean yearly growth of the years before the origin (over the fit window, at most
``GROWTH_YEARS`` steps), and the last actual held **flat**. Skill = 1 − MAPE(fundsim) ÷
MAPE(naive): positive when fundsim does better.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

LEVELS = (0.5, 0.8, 0.9)  # central bands scored
GROWTH_YEARS = 4  # the naive growth forecast's window: at most four yearly steps before the origin
PIT_BINS = 10


@dataclass(frozen=True)
class Scored:
    """One forecast figure scored against its actual.

    Parameters
    ----------
    region, fund, indicator : the series
    origin : the last year whose actuals the forecast knew
    year : the year forecast; ``horizon`` = year − origin [years]
    actual : the published figure [yuan or persons]
    median, low_80, high_80 : the runs' median and 10%/90% quantiles
    inside_50, inside_80, inside_90 : whether the actual lies in each central band
    ape : |median − actual| ÷ |actual|
    crps : CRPS of the runs ÷ |actual|
    interval_80 : interval score of the 80% band ÷ |actual|
    pit : share of runs below the actual
    naive_growth, naive_flat : the two naive forecasts; ``ape_growth``, ``ape_flat`` their APE
    """

    region: str
    fund: str
    indicator: str
    origin: int
    year: int
    horizon: int
    actual: float
    median: float
    low_80: float
    high_80: float
    inside_50: bool
    inside_80: bool
    inside_90: bool
    ape: float
    crps: float
    interval_80: float
    pit: float
    naive_growth: float
    naive_flat: float
    ape_growth: float
    ape_flat: float

    def row(self) -> dict[str, object]:
        return asdict(self)


def _inside(actual: float, samples: NDArray[np.float64], level: float) -> bool:
    low, high = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2])
    return bool(low <= actual <= high)


def pit(actual: float, samples: NDArray[np.float64], rng: np.random.Generator) -> float:
    """The share of ``samples`` below ``actual``, ties split uniformly at random."""
    below = float(np.count_nonzero(samples < actual))
    ties = float(np.count_nonzero(samples == actual))
    return (below + rng.uniform() * ties) / len(samples)


def naive(history: Mapping[int, float], origin: int, year: int) -> tuple[float, float]:
    """The naive forecasts of ``year`` from the actuals up to ``origin``: (grown, flat).

    grown: the last actual times (1 + g)^(year − origin), g the geometric mean yearly growth
    over the consecutive years up to the origin (at most :data:`GROWTH_YEARS` steps); a value
    at or below zero among them (a balance in deficit) makes it the mean yearly change, added
    per year. flat: the last actual. NaN when the origin has no actual."""
    last = history.get(origin)
    if last is None or not math.isfinite(last):
        return math.nan, math.nan
    run = [origin]  # the consecutive years up to the origin, at most GROWTH_YEARS steps
    while len(run) <= GROWTH_YEARS and run[-1] - 1 in history:
        run.append(run[-1] - 1)
    values = [history[y] for y in sorted(run)]
    ahead = year - origin
    if len(values) < 2:
        return last, last
    steps = len(values) - 1
    if all(v > 0 for v in values):
        growth = (values[-1] / values[0]) ** (1 / steps) - 1
        return last * (1 + growth) ** ahead, last
    return last + (values[-1] - values[0]) / steps * ahead, last


def score(
    region: str,
    fund: str,
    indicator: str,
    origin: int,
    year: int,
    actual: float,
    samples: ArrayLike,
    history: Mapping[int, float],
    rng: np.random.Generator,
) -> Scored:
    """Score the runs ``samples`` of one figure against ``actual`` (see the module text);
    ``history`` holds the series' actuals up to the origin (for the naive forecasts)."""
    import scoringrules as sr

    values = np.asarray(samples, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError(f"no finite run of {fund} {indicator} {year}")
    scale = abs(actual) if actual != 0 else 1.0
    median = float(np.median(values))
    low, high = (float(v) for v in np.quantile(values, [0.1, 0.9]))
    grown, flat = naive(history, origin, year)
    return Scored(
        region=region,
        fund=fund,
        indicator=indicator,
        origin=origin,
        year=year,
        horizon=year - origin,
        actual=actual,
        median=median,
        low_80=low,
        high_80=high,
        inside_50=_inside(actual, values, 0.5),
        inside_80=_inside(actual, values, 0.8),
        inside_90=_inside(actual, values, 0.9),
        ape=abs(median - actual) / scale,
        crps=float(sr.crps_ensemble(actual, values, backend="numpy")) / scale,
        interval_80=float(sr.interval_score(actual, low, high, 0.2, backend="numpy")) / scale,
        pit=pit(actual, values, rng),
        naive_growth=grown,
        naive_flat=flat,
        ape_growth=abs(grown - actual) / scale,
        ape_flat=abs(flat - actual) / scale,
    )


@dataclass(frozen=True)
class Summary:
    """Scores of many figures together (one horizon, one region, or all).

    n : figures; coverage_50/80/90 : shares inside each band; mape, mape_growth, mape_flat :
    median APE of fundsim and of the naive forecasts; skill_growth, skill_flat : 1 − ratio;
    crps, interval_80 : means; pit : the PIT histogram (:data:`PIT_BINS` counts)
    """

    n: int
    coverage_50: float
    coverage_80: float
    coverage_90: float
    mape: float
    mape_growth: float
    mape_flat: float
    skill_growth: float
    skill_flat: float
    crps: float
    interval_80: float
    pit: tuple[int, ...]
    # fundsim's median APE over the figures each naive forecast has (the same figures: a
    # naive growth needs a growth before the origin, which a series begun late has not)
    mape_vs_growth: float = math.nan
    mape_vs_flat: float = math.nan
    n_growth: int = 0

    @property
    def beats_naive(self) -> bool:
        """Whether fundsim's MAPE is below both naive forecasts', each on its own figures."""
        return self.mape_vs_growth < self.mape_growth and self.mape_vs_flat < self.mape_flat


def summarise(scored: Iterable[Scored]) -> Summary:
    """Coverage, MAPEs, skill, mean CRPS and interval score and the PIT histogram."""
    rows = list(scored)
    n = len(rows)
    if n == 0:
        nan = math.nan
        return Summary(0, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, (0,) * PIT_BINS)

    def share(values: Sequence[bool]) -> float:
        return float(np.mean(values))

    mape = float(np.median([r.ape for r in rows]))
    with_growth = [r for r in rows if math.isfinite(r.ape_growth)]
    with_flat = [r for r in rows if math.isfinite(r.ape_flat)]
    nan = math.nan
    growth = float(np.median([r.ape_growth for r in with_growth])) if with_growth else nan
    flat = float(np.median([r.ape_flat for r in with_flat])) if with_flat else nan
    vs_growth = float(np.median([r.ape for r in with_growth])) if with_growth else nan
    vs_flat = float(np.median([r.ape for r in with_flat])) if with_flat else nan
    counts, _ = np.histogram([r.pit for r in rows], bins=PIT_BINS, range=(0.0, 1.0))
    return Summary(
        n=n,
        coverage_50=share([r.inside_50 for r in rows]),
        coverage_80=share([r.inside_80 for r in rows]),
        coverage_90=share([r.inside_90 for r in rows]),
        mape=mape,
        mape_growth=growth,
        mape_flat=flat,
        skill_growth=1 - vs_growth / growth if growth > 0 else math.nan,
        skill_flat=1 - vs_flat / flat if flat > 0 else math.nan,
        crps=float(np.mean([r.crps for r in rows])),
        interval_80=float(np.mean([r.interval_80 for r in rows])),
        pit=tuple(int(c) for c in counts),
        mape_vs_growth=vs_growth,
        mape_vs_flat=vs_flat,
        n_growth=len(with_growth),
    )
