"""Writing a batch's results: ``results.nc`` and ``manifest.json``, atomically.

Everything is first written to a hidden sibling directory, which is renamed into place only
when complete: a crash or a kill leaves either no ``DIR`` or the previous one, never a
half-written result.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from .. import __version__

RESULTS = "results.nc"
MANIFEST = "manifest.json"


class OutputExists(Exception):
    """The output directory exists and overwriting was not asked for."""


def git_commit() -> str | None:
    """The commit of the fundsim checkout, when it is one."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def manifest(
    scenarios: Mapping[str, Mapping[str, str]],
    seed: int,
    runs: int,
    backend: str,
    argv: Sequence[str] | None = None,
) -> dict[str, Any]:
    return {
        "fundsim_version": __version__,
        "git_commit": git_commit(),
        "scenarios": dict(scenarios),
        "seed": seed,
        "runs": runs,
        "backend": backend,
        "command_line": list(sys.argv if argv is None else argv),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def write_netcdf(ds: xr.Dataset, path: Path) -> None:
    encoding = {name: {"zlib": True, "complevel": 4} for name in ds.data_vars}
    ds.to_netcdf(path, engine="h5netcdf", encoding=encoding)


def write_batch(
    out: Path,
    ds: xr.Dataset,
    meta: Mapping[str, Any],
    force: bool = False,
    extra: Callable[[Path], None] | None = None,
) -> None:
    """Write ``ds`` and ``meta`` to ``out`` atomically; ``extra`` may add files first."""
    out = Path(out)
    if out.exists() and not force:
        raise OutputExists(str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        write_netcdf(ds, staging / RESULTS)
        (staging / MANIFEST).write_text(
            json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        if extra is not None:
            extra(staging)
        if out.exists():
            trash = out.with_name(f".{out.name}.old")
            shutil.rmtree(trash, ignore_errors=True)
            os.replace(out, trash)
            os.replace(staging, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def read_results(path: Path) -> xr.Dataset:
    """A results Dataset from a batch directory or a ``results.nc`` file."""
    path = Path(path)
    if path.is_dir():
        path = path / RESULTS
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()
