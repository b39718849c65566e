"""A batch's files: ``results.nc``, ``manifest.json``, and putting a finished directory in
place atomically (a crash or a kill leaves either no ``DIR`` or the previous one, never a
half-written result; :mod:`fundsim.ensemble.batch` builds the directory beside it)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from .. import __version__
from .checks import check_results as check_results
from .checks import check_size

RESULTS = "results.nc"
MANIFEST = "manifest.json"


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


@functools.cache
def code_digest() -> str:
    """A digest of fundsim's own code and data files as installed (SHA-256 of every ``.py``
    and ``.yaml`` file of the package, first 16 hex digits): two runs with the same scenario,
    seed and digest are the same numbers. Finer than the version (which a development
    checkout keeps across changes) and than the commit (blind to uncommitted edits)."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


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
        "fundsim_code": code_digest(),
        "scenarios": dict(scenarios),
        "seed": seed,
        "runs": runs,
        "backend": backend,
        "command_line": list(sys.argv if argv is None else argv),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def write_netcdf(ds: xr.Dataset, path: Path, compress: bool = True) -> str:
    """Write ``ds`` to ``path`` under a temporary name, renamed only when complete (a failed
    or killed write leaves no file at ``path``); returns the file's SHA-256 (hex), which the
    manifest records so that a results file changed since can be told (:func:`check_digest`).

    The file is built in memory and written with plain file I/O: HDF5 writing straight to a
    disk that refuses a write (full, over a size limit) leaves its library in a state that
    crashes the process at exit, where a failed ``write`` is a clean ``OSError``."""
    encoding = {name: {"zlib": True, "complevel": 4} for name in ds.data_vars} if compress else None
    import dask

    # xarray takes a Dask distributed lock named after the target when a Dask client is the
    # default scheduler (the Dask backend's is), and an in-memory target has no such name
    with dask.config.set(scheduler="synchronous"):
        data = bytes(ds.to_netcdf(engine="h5netcdf", encoding=encoding))
    write_atomically(path, data)
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    """The SHA-256 (hex) of the file ``path``, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary name in the same folder."""
    partial = path.with_name(f".{path.name}.tmp")
    try:
        with open(partial, "wb") as handle:
            handle.write(data)
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        if error.filename is None:  # say which file could not be written
            raise OSError(error.errno, error.strerror, str(path)) from error
        raise
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_manifest(folder: Path, meta: Mapping[str, Any]) -> None:
    (folder / MANIFEST).write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def move_into_place(finished: Path, out: Path) -> None:
    """Rename the complete directory ``finished`` to ``out``, replacing an existing ``out``
    (the caller has checked that replacing it was asked for)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if not os.path.lexists(out):
        os.replace(finished, out)
        return
    trash = out.with_name(f".{out.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
    os.replace(out, trash)  # a fresh name: nothing of anyone's is there
    try:
        os.replace(finished, out)
    except BaseException:
        os.replace(trash, out)
        raise
    shutil.rmtree(trash, ignore_errors=True)


def read_results(path: Path) -> xr.Dataset:
    """A results Dataset from a batch directory or a ``results.nc`` file; results larger than
    a batch can be are refused (:class:`~fundsim.source.diagnostics.InputError`) before they
    are loaded. The reading libraries' warnings (an HDF5 file that is not netCDF, dates
    that cannot be decoded) are not shown: what they warn of is refused by
    :func:`check_results` as not fundsim's."""
    path = Path(path)
    if path.is_dir():
        path = path / RESULTS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with xr.open_dataset(path, engine="h5netcdf", phony_dims="access") as ds:
            check_size(ds, str(path))
            return ds.load()
