"""Counter-based random numbers for compiled loops (DESIGN §2, §5).

Common random numbers need a draw that belongs to one thing (a candidate admission, a row of
the population in a year) whatever else a scenario does. A counter-based generator gives
that: SplitMix64 (Steele, Lea and Flood 2014, the generator behind Java's SplittableRandom)
applied to a 64-bit base drawn once from the run's stream, the thing's own 64-bit key and a
stream number. The base comes from numpy's seeded streams, so same seed, same numbers.

Normals come from the uniform by the inverse normal CDF (Wichura 1988, algorithm AS 241,
PPND16: relative error about 1e-16), one uniform per normal, so a key keeps its normal.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_STREAM = np.uint64(0xD1B54A32D192ED03)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2⁻⁵³


@njit(cache=True, nogil=True, inline="always")
def _mix(z: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    """SplitMix64's output function: a bijection of 64-bit words with full avalanche."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True, inline="always")
def hashed_uniform(base: np.uint64, key: np.int64, stream: int) -> float:  # pragma: no cover
    """A uniform on [0, 1) (53 bits) for ``key`` in ``stream`` under ``base``."""
    z = _mix(base + np.uint64(key) * _GOLDEN + np.uint64(stream) * _STREAM)
    return float(z >> np.uint64(11)) * _TO_UNIT


@njit(cache=True, nogil=True, inline="always")
def hashed_open_uniform(base: np.uint64, key: np.int64, stream: int) -> float:  # pragma: no cover
    """A uniform on (0, 1), the midpoints of the 2⁵³ cells: safe for a quantile function."""
    z = _mix(base + np.uint64(key) * _GOLDEN + np.uint64(stream) * _STREAM)
    return (float(z >> np.uint64(11)) + 0.5) * _TO_UNIT


@njit(cache=True, nogil=True, inline="always")
def normal_quantile(p: float) -> float:  # pragma: no cover - compiled
    """Φ⁻¹(p) for p in (0, 1): Wichura's AS 241 (PPND16), as scipy.special.ndtri to ~1e-15."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (
            (
                (
                    (
                        (
                            (r * 2509.0809287301226727 + 33430.575583588128105) * r
                            + 67265.770927008700853
                        )
                        * r
                        + 45921.953931549871457
                    )
                    * r
                    + 13731.693765509461125
                )
                * r
                + 1971.5909503065514427
            )
            * r
            + 133.14166789178437745
        ) * r + 3.387132872796366608
        den = (
            (
                (
                    (
                        (
                            (r * 5226.495278852545925 + 28729.085735721942674) * r
                            + 39307.89580009271061
                        )
                        * r
                        + 21213.794301586595867
                    )
                    * r
                    + 5394.1960214247511077
                )
                * r
                + 687.1870074920579083
            )
            * r
            + 42.313330701600911252
        ) * r + 1.0
        return q * num / den
    r = p if q < 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        num = (
            (
                (
                    (
                        (
                            (r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r
                            + 0.24178072517745061177
                        )
                        * r
                        + 1.27045825245236838258
                    )
                    * r
                    + 3.64784832476320460504
                )
                * r
                + 5.7694972214606914055
            )
            * r
            + 4.6303378461565452959
        ) * r + 1.42343711074968357734
        den = (
            (
                (
                    (
                        (
                            (r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r
                            + 0.0151986665636164571966
                        )
                        * r
                        + 0.14810397642748007459
                    )
                    * r
                    + 0.68976733498510000455
                )
                * r
                + 1.6763848301838038494
            )
            * r
            + 2.05319162663775882187
        ) * r + 1.0
    else:
        r -= 5.0
        num = (
            (
                (
                    (
                        (
                            (r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r
                            + 0.0012426609473880784386
                        )
                        * r
                        + 0.026532189526576123093
                    )
                    * r
                    + 0.29656057182850489123
                )
                * r
                + 1.7848265399172913358
            )
            * r
            + 5.4637849111641143699
        ) * r + 6.6579046435011037772
        den = (
            (
                (
                    (
                        (
                            (r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r
                            + 1.8463183175100546818e-5
                        )
                        * r
                        + 7.868691311456132591e-4
                    )
                    * r
                    + 0.0148753612908506148525
                )
                * r
                + 0.13692988092273580531
            )
            * r
            + 0.59983220655588793769
        ) * r + 1.0
    v = num / den
    return -v if q < 0.0 else v
