"""Batches stored in the folder, and every results file the workbench shows, checked first.

A stored batch (``fundsim run`` or ``compare`` output: ``results.nc`` beside the
``manifest.json`` fundsim wrote) lends its runs to the workbench's run cache and is shown on
the page, so before either its files are checked (:func:`check`):

- every file is read only when its real path (links followed) lies inside the folder and it
  is not itself a link (:func:`open_inside`: the file opened is the file checked);
- ``results.nc``'s SHA-256 equals the manifest's ``results_sha256`` (written by fundsim when
  it wrote the file): a file edited since is refused. A manifest without it (an older
  fundsim) is shown, marked unverified, and its runs are never reused;
- the file reads whole as fundsim's results (a truncated file is refused), and the manifest's
  scenarios are exactly its scenario coordinate, its runs its run coordinate.

Any mismatch is a :class:`~fundsim.serve.messages.Refused` (409, 403 for a file outside the
folder) naming what differs, in Chinese and English.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..results.io import MANIFEST, RESULTS
from ..source.diagnostics import InputError
from .messages import Refused, shown

WORKBENCH = ".workbench"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
MAX_STORED = 200  # stored batches listed
MAX_WALKED = 20_000  # folders looked into for them (a folder holding a whole disk: stop)
MAX_MANIFEST = 2**20  # bytes
MAX_RUNS = 100_000  # as monte_carlo.runs
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Checked:
    """A batch's results as checked: the Dataset, its manifest, and whether its digest was
    verified (False: written by a fundsim that recorded none; shown, never reused)."""

    ds: Any
    meta: dict[str, Any]
    verified: bool


def relative(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def outside(root: Path, path: Path) -> Refused:
    name = relative(root, path)
    return Refused(
        f"{name}: a link, or a file lying outside the folder {root}; the workbench reads "
        "only the folder's own files",
        f"{name}：是链接，或位于文件夹 {root} 之外；工作台只读取本文件夹内的文件",
        status=403,
    )


def opened_inside(root: Path, path: Path) -> IO[bytes]:
    """``path`` opened for reading when it is a regular file, not a link, whose real path lies
    inside ``root``; :class:`Refused` (403; 404 when there is none) otherwise. The check is
    of the file opened (its descriptor), so a file swapped for a link meanwhile is refused."""
    try:
        info = os.lstat(path)
    except OSError:
        raise Refused(
            f"{relative(root, path)}: no such file", f"{relative(root, path)}：文件不存在", 404
        ) from None
    real = Path(os.path.realpath(path))
    if stat.S_ISLNK(info.st_mode) or not real.is_relative_to(root):
        raise outside(root, path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        raise outside(root, path) from None
    handle = os.fdopen(fd, "rb")
    opened = Path(f"/proc/self/fd/{fd}")
    if not stat.S_ISREG(os.fstat(fd).st_mode) or (
        opened.exists() and not Path(os.path.realpath(opened)).is_relative_to(root)
    ):
        handle.close()
        raise outside(root, path)
    return handle


@contextmanager
def open_inside(root: Path, path: Path) -> Iterator[IO[bytes]]:
    """:func:`opened_inside` as a context: the file closed at the end."""
    with opened_inside(root, path) as handle:
        yield handle


def signature(path: Path) -> tuple[int, int, int]:
    """What changes when a file changes (its inode, size and time), for caches."""
    info = os.stat(path)
    return info.st_ino, info.st_size, info.st_mtime_ns


def damaged(root: Path, place: Path, en: str, zh: str) -> Refused:
    name = relative(root, place)
    return Refused(
        f"stored batch {name}: {en}; it is not shown and its runs are not reused (run it again "
        "with fundsim run, or remove it)",
        f"已存结果 {name}：{zh}；不予显示，其模拟结果也不会被复用（请用 fundsim run 重新运行，或删除）",
        status=409,
    )


def read_manifest(root: Path, place: Path) -> dict[str, Any]:
    """The manifest of the batch in ``place``, its shape checked (the scenarios' SHA-256 name
    the run cache's folders: they must be hex); :class:`Refused` otherwise."""
    with open_inside(root, place / MANIFEST) as handle:
        text = handle.read(MAX_MANIFEST + 1)
    try:
        meta = json.loads(text)
        if len(text) > MAX_MANIFEST or not isinstance(meta, dict):
            raise ValueError("not an object")
        scenarios = meta["scenarios"]
        runs, seed = meta["runs"], meta["seed"]
        if not (isinstance(scenarios, dict) and scenarios):
            raise ValueError("no scenarios")
        for entry in scenarios.values():
            if not (isinstance(entry, dict) and HEX64.match(str(entry.get("sha256", "")))):
                raise ValueError("a scenario without its SHA-256")
        if not (type(runs) is int and 1 <= runs <= MAX_RUNS):
            raise ValueError(f"runs {shown(runs)}")
        if not (type(seed) is int and 0 <= seed <= MAX_SEED):
            raise ValueError(f"seed {shown(seed)}")
        digest = meta.get("results_sha256")
        if digest is not None and not HEX64.match(str(digest)):
            raise ValueError(f"results_sha256 {shown(digest)}")
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        raise damaged(
            root,
            place,
            f"its {MANIFEST} is not a batch manifest fundsim wrote ({shown(str(error), 60)})",
            f"其 {MANIFEST} 不是 fundsim 写的批次清单（{shown(str(error), 60)}）",
        ) from None
    return meta


def check(root: Path, place: Path) -> Checked:
    """The batch in ``place`` checked as the module says, and its results read."""
    import xarray as xr

    from ..results.io import check_results

    meta = read_manifest(root, place)
    expected = meta.get("results_sha256")
    with open_inside(root, place / RESULTS) as handle:
        digest = hashlib.sha256()
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
        actual = digest.hexdigest()
        if expected is not None and actual != expected:
            raise damaged(
                root,
                place,
                f"{RESULTS} has changed since fundsim wrote it (its SHA-256 is {actual[:12]}…, "
                f"its manifest records {str(expected)[:12]}…)",
                f"{RESULTS} 在 fundsim 写入后被修改过（其 SHA-256 为 {actual[:12]}…，清单记录为 "
                f"{str(expected)[:12]}…）",
            )
        handle.seek(0)
        try:
            with xr.open_dataset(handle, engine="h5netcdf") as opened:
                ds = opened.load()
            check_results(ds, RESULTS)
        except InputError as error:
            raise damaged(root, place, str(error), f"不是 fundsim 的结果文件（{error}）") from None
        except Exception as error:  # any failure to read it: truncated, not HDF5, …
            what = shown(str(error).splitlines()[0] if str(error) else type(error).__name__, 80)
            raise damaged(
                root,
                place,
                f"{RESULTS} cannot be read (truncated or damaged: {what})",
                f"{RESULTS} 无法读取（文件不完整或已损坏：{what}）",
            ) from None
    named = [str(n) for n in meta["scenarios"]]
    held = [str(s) for s in ds["scenario"].values]
    if named != held:
        raise damaged(
            root,
            place,
            f"its manifest names the scenarios {', '.join(named)}, but {RESULTS} holds "
            f"{', '.join(held)}",
            f"其清单列出的情景为 {', '.join(named)}，而 {RESULTS} 中为 {', '.join(held)}",
        )
    runs = [int(r) for r in ds["run"].values]
    if runs != list(range(meta["runs"])):
        raise damaged(
            root,
            place,
            f"its manifest says {meta['runs']} runs, but {RESULTS} holds {len(runs)} "
            f"(runs {shown(runs)})",
            f"其清单记录 {meta['runs']} 次模拟，而 {RESULTS} 中有 {len(runs)} 次",
        )
    return Checked(ds, meta, expected is not None)


def listing(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every batch stored under ``root`` (a ``manifest.json`` fundsim wrote beside a
    ``results.nc``; not in the workbench's own folder nor in hidden folders, links not
    followed), with its manifest (shape checked), at most :data:`MAX_STORED`."""
    found: list[tuple[Path, dict[str, Any]]] = []
    for walked, (top, dirs, names) in enumerate(os.walk(root), 1):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(top)
        if MANIFEST in names and RESULTS in names:
            with contextlib.suppress(Refused):  # not a batch's manifest, or a link: not listed
                found.append((here, read_manifest(root, here)))
        if len(found) >= MAX_STORED or walked >= MAX_WALKED:
            break
    return found
