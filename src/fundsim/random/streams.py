"""The seed tree and the one table of stream numbers (common random numbers).

Run r of a batch with seed S uses ``SeedSequence(S, spawn_key=(r,))``; each process of the
model draws from its own named child stream ``SeedSequence(S, spawn_key=(r, k))`` with k the
stream's fixed number below. The scenario is not part of the key, so run r of every
scenario sees the same draws (common random numbers), and a stream added later never shifts
the others. Uncertain parameters get one stream each, keyed by a stable hash of their path,
so adding an uncertain parameter to a scenario leaves the draws of the others unchanged.
"""

from __future__ import annotations

import zlib

import numpy as np

# Never renumber: the numbers are part of every stored result's reproducibility.
STREAMS = {
    "population": 1,
    "demography": 2,
    "inpatient": 3,
    "care": 4,
    "outpatient": 5,
    "shocks": 6,
    "uncertainty": 7,
    "stays": 8,
    "epidemic": 9,
}

# Counter-based streams of the compiled loops (the third argument of ``hashing.hashed_*``),
# each under the base its process draws from its numpy stream above. Never renumber either.
ROW_YEAR = 0  # demography: a population row's uniform of the year
THIN = 1  # inpatient: whether a volume effect keeps a candidate admission
LEVEL = 2  # inpatient: a candidate's hospital level (and TCM)
COST = 3  # inpatient: a candidate's cost
POSITION = 4  # inpatient: the spacing of the candidates' times within the year
POSITION_END = 5  # inpatient: the last spacing (the year's end)
FILING = 6  # inpatient: an out-of-area stay's filing status


def run_sequence(seed: int, run: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(run,))


def stream(seed: int, run: int, name: str, area: str | None = None) -> np.random.Generator:
    """The named child stream of run ``run`` (of one area of a city: keyed by its name, so
    an area keeps its draws whatever other areas the city lists)."""
    key: tuple[int, ...] = (run, STREAMS[name])
    if area is not None:
        key = (*key, zlib.crc32(area.encode()))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def parameter_stream(seed: int, run: int, path: str) -> np.random.Generator:
    """The stream of one uncertain parameter in run ``run``."""
    key = (run, STREAMS["uncertainty"], zlib.crc32(path.encode()))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
