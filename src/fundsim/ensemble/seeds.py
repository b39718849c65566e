"""The seed tree (DESIGN §2 "Seeds and common random numbers").

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
}


def run_sequence(seed: int, run: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(run,))


def stream(seed: int, run: int, name: str) -> np.random.Generator:
    """The named child stream of run ``run``."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(run, STREAMS[name])))
    )


def parameter_stream(seed: int, run: int, path: str) -> np.random.Generator:
    """The stream of one uncertain parameter in run ``run``."""
    key = (run, STREAMS["uncertainty"], zlib.crc32(path.encode()))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
