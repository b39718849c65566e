"""Counter-based random numbers for compiled loops (architecture §2, §5).

Common random numbers need a draw that belongs to one thing (a candidate admission, a row of
the population in a year) whatever else a scenario does. A counter-based generator gives
that: SplitMix64 (Steele, Lea and Flood 2014, the generator behind Java's SplittableRandom)
applied to a 64-bit base drawn once from the run's stream, the thing's own 64-bit key and a
stream number. The base comes from numpy's seeded streams, so same seed, same numbers.

Normals and exponentials come from ziggurats (:func:`hashed_normal`,
:func:`hashed_exponential`): a key keeps its draw, whatever other keys need. Their common
case is inlined into the caller's loop; a call per draw, or a ``log`` per exponential,
cost more than the draw itself.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_STREAM = np.uint64(0xD1B54A32D192ED03)
TO_UNIT = 1.0 / 9007199254740992.0  # 2⁻⁵³


@njit(cache=True, nogil=True, inline="always")
def _mix(z: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    """SplitMix64's output function: a bijection of 64-bit words with full avalanche."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True, inline="always")
def _hash(base: np.uint64, key: int | np.int64, stream: np.uint64) -> np.uint64:  # pragma: no cover
    """The 64-bit word of ``key`` in ``stream`` under ``base``: every draw starts here."""
    return _mix(base + np.uint64(key) * _GOLDEN + stream * _STREAM)


@njit(cache=True, nogil=True, inline="always")
def hashed_bits53(
    base: np.uint64, key: int | np.int64, stream: int | np.uint64
) -> np.int64:  # pragma: no cover
    """The 53 bits of :func:`hashed_uniform` as an integer m (the uniform is m × 2⁻⁵³)."""
    return np.int64(_hash(base, key, np.uint64(stream)) >> np.uint64(11))


@njit(cache=True, nogil=True, inline="always")
def hashed_uniform(
    base: np.uint64, key: int | np.int64, stream: int | np.uint64
) -> float:  # pragma: no cover
    """A uniform on [0, 1) (53 bits) for ``key`` in ``stream`` under ``base``."""
    return float(hashed_bits53(base, key, stream)) * TO_UNIT


@njit(cache=True, nogil=True, inline="always")
def hashed_open_uniform(
    base: np.uint64, key: int | np.int64, stream: int | np.uint64
) -> float:  # pragma: no cover
    """A uniform on (0, 1), the midpoints of the 2⁵³ cells: safe for a quantile function."""
    return (float(hashed_bits53(base, key, stream)) + 0.5) * TO_UNIT


def _ziggurat_tables(layers: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Layer edges X (layers + 1) and ratios X[i+1]/X[i] of the normal ziggurat (Marsaglia
    and Tsang 2000, with Doornik's 2005 layout): 128 layers of equal area ``V``, the base
    layer holding the tail beyond ``R``."""
    r, v = 3.442619855899, 9.91256303526217e-3
    x = np.zeros(layers + 1)
    f = np.exp(-0.5 * r * r)
    x[0], x[1] = v / f, r
    for i in range(2, layers):
        x[i] = np.sqrt(-2.0 * np.log(v / x[i - 1] + f))
        f = np.exp(-0.5 * x[i] * x[i])
    return x, x[1:] / x[:-1]


_ZIG_X, _ZIG_RATIO = _ziggurat_tables()
_ZIG_R = 3.442619855899
_ATTEMPT = np.uint64(1 << 12)  # stream numbers of a normal's later attempts


@njit(cache=True, nogil=True)
def _normal_from_start(
    base: np.uint64, key: int | np.int64, stream: int | np.uint64
) -> float:  # pragma: no cover
    """The whole ziggurat draw of :func:`hashed_normal`, its first attempt included (called
    for the 1.2% of draws that leave the fast path, which repeats that attempt's hash)."""
    s = np.uint64(stream) << np.uint64(24)
    attempt = np.uint64(0)
    while True:
        z = _hash(base, key, s + attempt)
        layer = np.intp(z & np.uint64(127))
        u = 2.0 * (float(z >> np.uint64(11)) * TO_UNIT) - 1.0
        if abs(u) < _ZIG_RATIO[layer]:
            return float(u * _ZIG_X[layer])
        if layer == 0:  # the tail beyond R
            tries = np.uint64(0)
            while True:
                a = hashed_open_uniform(base, key, s + attempt + np.uint64(1) + tries)
                b = hashed_open_uniform(base, key, s + attempt + np.uint64(2) + tries)
                x = math.log(a) / _ZIG_R
                y = math.log(b)
                if -2.0 * y >= x * x:
                    return x - _ZIG_R if u < 0.0 else _ZIG_R - x
                tries += np.uint64(2)
        x = u * _ZIG_X[layer]
        top = math.exp(-0.5 * (_ZIG_X[layer] * _ZIG_X[layer] - x * x))
        bottom = math.exp(-0.5 * (_ZIG_X[layer + 1] * _ZIG_X[layer + 1] - x * x))
        if (
            bottom + hashed_open_uniform(base, key, s + attempt + np.uint64(1)) * (top - bottom)
            < 1.0
        ):
            return float(x)
        attempt += _ATTEMPT


@njit(cache=True, nogil=True, inline="always")
def hashed_normal(
    base: np.uint64, key: int | np.int64, stream: int | np.uint64
) -> float:  # pragma: no cover
    """A standard normal for ``key`` in ``stream`` under ``base``, by the ziggurat.

    One hash gives the layer (7 bits) and a uniform (53 bits); about 98.8% of draws end
    there, with a multiply and a compare. The rest take further hashes of the same key on
    derived stream numbers (the wedge test, or the tail beyond R by Marsaglia's method), so
    a key always gets the same normal, whatever other keys need.

    The fast path is inlined into the caller's loop (a call per draw cost more than the
    draw); the rest is :func:`_normal_from_start`, which gives the same number.
    """
    z = _hash(base, key, np.uint64(stream) << np.uint64(24))
    layer = np.intp(z & np.uint64(127))
    u = 2.0 * (float(z >> np.uint64(11)) * TO_UNIT) - 1.0
    if abs(u) < _ZIG_RATIO[layer]:
        return float(u * _ZIG_X[layer])
    return _normal_from_start(base, key, stream)


def _exponential_tables(layers: int = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Layer edges X (layers + 1), ratios X[i+1]/X[i] and densities exp(-X) of the
    exponential ziggurat (Marsaglia and Tsang 2000): 256 layers of equal area ``V``, layer i
    the box [0, X[i]] × [exp(-X[i]), exp(-X[i+1])], the base layer holding the tail beyond
    ``R`` (X[0] = V / exp(-R) is its width as a box of area V)."""
    r, v = _EXP_R, 3.949659822581572e-3
    x = np.zeros(layers + 1)
    x[0], x[1] = v / math.exp(-r), r
    for i in range(2, layers):
        x[i] = -math.log(v / x[i - 1] + math.exp(-x[i - 1]))
    return x, x[1:] / x[:-1], np.exp(-x)


_EXP_R = 7.69711747013104972
_EXP_X, _EXP_RATIO, _EXP_F = _exponential_tables()


@njit(cache=True, nogil=True)
def _exponential_from_start(
    base: np.uint64, key: int | np.int64, stream: int | np.uint64
) -> float:  # pragma: no cover - compiled
    """The whole ziggurat draw of :func:`hashed_exponential`, its first attempt included."""
    s = np.uint64(stream) << np.uint64(24)
    attempt = np.uint64(0)
    while True:
        z = _hash(base, key, s + attempt)
        layer = np.intp(z & np.uint64(255))
        u = float(z >> np.uint64(11)) * TO_UNIT
        if u < _EXP_RATIO[layer]:
            return float(u * _EXP_X[layer])
        if layer == 0:  # the tail beyond R: R plus an exponential (memoryless)
            return _EXP_R - math.log(hashed_open_uniform(base, key, s + attempt + np.uint64(1)))
        x = u * _EXP_X[layer]
        y = _EXP_F[layer] + hashed_uniform(base, key, s + attempt + np.uint64(1)) * (
            _EXP_F[layer + 1] - _EXP_F[layer]
        )
        if y < math.exp(-x):
            return float(x)
        attempt += _ATTEMPT


@njit(cache=True, nogil=True, inline="always")
def hashed_exponential(
    base: np.uint64, key: int | np.int64, stream: int | np.uint64
) -> float:  # pragma: no cover
    """A standard exponential for ``key`` in ``stream`` under ``base``, by the ziggurat.

    One hash gives the layer (8 bits) and a uniform (53 bits); about 98% of draws end
    there, with a multiply and a compare (``-log(u)`` costs five times as much). The rest
    (the wedge test, or the tail beyond R) take further hashes of the same key on derived
    stream numbers (:func:`_exponential_from_start`).
    """
    z = _hash(base, key, np.uint64(stream) << np.uint64(24))
    layer = np.intp(z & np.uint64(255))
    u = float(z >> np.uint64(11)) * TO_UNIT
    if u < _EXP_RATIO[layer]:
        return float(u * _EXP_X[layer])
    return _exponential_from_start(base, key, stream)
