"""Golden results (issue 15, item 1): small runs of both baselines and one policy scenario,
stored as NetCDF, that every restructuring must reproduce.

    python tests/regression/golden.py [NAME ...]   # writes tests/regression/golden/NAME.nc

A golden file records the machine it was made on (numpy and numba versions, the CPU features
numpy dispatches to). On the same kind of machine the test asks for the same numbers bit for
bit; on another (CI's hardware may differ) for agreement to 1e-9 relative, since the vector
paths of exp and log may differ in the last bit between CPUs. Regenerate only in a commit
that fixes a bug, and say which.
"""

from __future__ import annotations

import hashlib
import os
import platform
import sys
from pathlib import Path

import numpy as np
import xarray as xr

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GOLDEN = HERE / "golden"
RUNS = (0, 1)
SAMPLE = {
    "nanchuan-baseline": 0.05,
    "yangjiang-baseline": 0.02,
    "nanchuan-drg": 0.05,
    "hengshui-unified": 0.01,
}
SOURCES = {
    "nanchuan-baseline": "scenarios/nanchuan/baseline.yaml",
    "yangjiang-baseline": "scenarios/yangjiang/baseline.yaml",
    "nanchuan-drg": "scenarios/nanchuan/drg.yaml",
    # a city of four areas: the reserve from 2022, one city fund from 2026 (added with them)
    "hengshui-unified": "scenarios/hengshui/unified.yaml",
}
VARIABLES = ("income", "expenditure", "balance", "cash_balance", "insured", "admissions", "by_flow")


def machine() -> str:
    """What decides the last bits: numpy, numba, the CPU features numpy uses."""
    import numba

    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as features
    text = repr(
        (
            np.__version__,
            numba.__version__,
            platform.machine(),
            sorted(k for k, v in features.items() if v),
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def scenario_file(name: str, folder: Path) -> Path:
    """A small copy of the scenario: a weighted sample of its population."""
    path = folder / f"{name}.yaml"
    path.write_text(
        f"extends: {ROOT / SOURCES[name]}\nname: {name}\ntitle: {{zh: 回归基准, en: golden}}\n"
        f"parameters:\n  population:\n    sample: {{value: {SAMPLE[name]}, source: golden results (tests/regression)}}\n",
        encoding="utf-8",
    )
    return path


def results(name: str, folder: Path) -> xr.Dataset:
    from fundsim.ensemble.evaluate import simulate
    from fundsim.results.assemble import combine

    os.environ.setdefault("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))
    path = scenario_file(name, folder)
    ds = combine([simulate(path, run=r) for r in RUNS])
    return ds[list(VARIABLES)]


def main() -> None:
    import tempfile

    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in sys.argv[1:] or SOURCES:
            ds = results(name, Path(tmp))
            ds.attrs = {"machine": machine(), "made_by": "tests/regression/golden.py"}
            ds.to_netcdf(GOLDEN / f"{name}.nc", engine="h5netcdf")
            print(f"wrote {GOLDEN / f'{name}.nc'}", file=sys.stderr)


if __name__ == "__main__":
    main()
