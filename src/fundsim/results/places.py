"""Where fundsim writes, and what it may replace there.

Three promises (issue 12):

- every file name built from data (a scenario or a fund read from a results file or a
  scenario) is a plain name, so no output leaves the folder the user chose
  (:func:`check_name`);
- an output place that cannot work (``--out /``, the working folder, a path under a file,
  a read-only place) is refused before any work (:func:`check_place`);
- an existing folder or file is replaced only when fundsim wrote it, and only when the user
  asked for it (``--force``) or it is fundsim's own default place (:func:`check_replaceable`).
  fundsim's folders carry a marker file (:data:`MARKER`), its charts a tag in their metadata
  (:func:`chart_metadata`); a folder holding anything fundsim did not write is never
  replaced, whatever the flags.
"""

from __future__ import annotations

import errno
import json
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .. import __version__
from ..source.diagnostics import InputError

MARKER = ".fundsim"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # the scenario contract's names
CHART_SUFFIXES = (".png", ".svg", ".pdf")
TAG = b"fundsim "  # in every chart's metadata: "fundsim 0.1.0"
MAX_CHART_BYTES = 64 * 2**20
# What fundsim writes in a folder of each kind, besides charts.
FILES = {
    "batch": {
        "results.nc",
        "manifest.json",
        "summary.csv",
        "summary.xlsx",
        "depletion.csv",
        "comparison.csv",
        "comparison.xlsx",
        MARKER,
    },
    "report": {"report.md", "report.xlsx", "report.docx", MARKER},
    "calibration": {"calibration.csv", "calibration.md", MARKER},
    "backtest": {"backtest.csv", "backtest.md", "calibrated.yaml", MARKER},
}
WHAT = {
    "batch": "batch results folder",
    "report": "report folder",
    "calibration": "calibration report folder",
    "backtest": "backtest folder",
}


class OutputError(InputError):
    """An output place that cannot be used as asked (exit 2)."""


def check_name(name: str, what: str, where: str) -> str:
    """``name`` when it can be part of a file name; otherwise an :class:`InputError` saying
    which name, where it came from, and what a name may be."""
    if not NAME.match(name):
        raise InputError(
            f"{where}: {what} name {name!r} cannot name a file (a name is 1 to 64 lower-case "
            "letters, digits, '-' and '_', starting with a letter or digit); fundsim refuses "
            "it rather than write outside the chosen folder"
        )
    return name


def chart_metadata(fmt: str) -> dict[str, str]:
    """The metadata that marks a chart as fundsim's, for ``Figure.savefig``."""
    key = "Software" if fmt == "png" else "Creator"
    return {key: f"fundsim {__version__}"}


def is_fundsim_chart(path: Path) -> bool:
    """Whether ``path`` is a chart fundsim wrote (it carries the tag of :func:`chart_metadata`)."""
    try:
        if path.is_symlink() or path.stat().st_size > MAX_CHART_BYTES:
            return False
        return TAG in path.read_bytes()
    except OSError:
        return False


def mark(folder: Path, kind: str) -> None:
    """Say that ``folder`` is a ``kind`` folder fundsim wrote."""
    text = json.dumps({"kind": kind, "fundsim_version": __version__}) + "\n"
    (folder / MARKER).write_text(text, encoding="utf-8")


def _legacy(folder: Path, kind: str) -> bool:
    """A folder written before the marker: a batch's manifest, a report's report.md."""
    if kind == "report":
        return (folder / "report.md").is_file()
    try:
        meta = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "fundsim_version" in meta


def owned(folder: Path, kind: str) -> bool:
    """Whether fundsim wrote ``folder`` as a ``kind`` folder (its marker, or the files of a
    folder written before markers)."""
    return (folder / MARKER).is_file() or _legacy(folder, kind)


def foreign_files(folder: Path, kind: str) -> list[Path]:
    """The files and links under ``folder`` that fundsim did not write there."""
    tagged = (folder / MARKER).is_file()  # charts written since markers carry the tag
    found: list[Path] = []
    for top, dirs, names in os.walk(folder):
        here = Path(top)
        for name in [*names, *(d for d in dirs if (here / d).is_symlink())]:
            path = here / name
            parts = path.relative_to(folder).parts
            if not _written(path, parts, kind, tagged):
                found.append(path)
        if kind == "batch" and here == folder and "report" in dirs:  # reports: their own rules
            dirs.remove("report")
            found += _foreign_reports(folder / "report")
    return found


def _foreign_reports(reports: Path) -> list[Path]:
    found: list[Path] = []
    for entry in sorted(reports.iterdir()):
        if entry.is_dir() and not entry.is_symlink() and owned(entry, "report"):
            found += foreign_files(entry, "report")
        elif not _partial(entry.name):
            found.append(entry)
    return found


def _partial(name: str) -> bool:
    """A file or folder fundsim writes under a temporary name and renames when complete."""
    return name.startswith(".") and (".partial" in name or name.endswith(".tmp"))


def _written(path: Path, parts: tuple[str, ...], kind: str, tagged: bool) -> bool:
    if path.is_symlink():
        return False
    if len(parts) == 1:
        return parts[0] in FILES[kind] or _partial(parts[0])
    depth = 3 if kind == "report" else 2  # figures/NAME, figures/LANG/NAME
    if parts[0] != "figures" or len(parts) != depth:
        return False
    if _partial(parts[-1]):
        return True
    return path.suffix in CHART_SUFFIXES and (not tagged or is_fundsim_chart(path))


def _listed(paths: Iterable[Path], folder: Path) -> str:
    shown = [str(p.relative_to(folder)) for p in list(paths)[:3]]
    return ", ".join(shown)


def check_replaceable(target: Path, kind: str, allowed: bool, option: str = "--out") -> None:
    """Raise :class:`OutputError` unless the folder ``target`` may be written: it does not
    exist, it is empty, or fundsim wrote it, nothing else is in it, and ``allowed`` (the
    user passed ``--force``, or ``target`` is fundsim's own default place)."""
    if not os.path.lexists(target):
        return
    if target.is_symlink() or not target.is_dir():
        raise OutputError(f"{target} exists and is not a folder; choose another {option}")
    if not any(target.iterdir()):
        return  # an empty folder: nothing to lose
    if not owned(target, kind):
        raise OutputError(
            f"{target} exists and is not a {WHAT[kind]} fundsim wrote; fundsim replaces only "
            f"its own folders, even with --force: choose another {option}"
        )
    foreign = foreign_files(target, kind)
    if foreign:
        raise OutputError(
            f"{target} holds files fundsim did not write ({_listed(foreign, target)}"
            f"{', …' if len(foreign) > 3 else ''}); fundsim will not replace it, even with "
            f"--force: move them out or choose another {option}"
        )
    if not allowed:
        raise OutputError(
            f"{target} already exists; choose another {option} or pass --force to replace it"
        )


def check_replaceable_file(target: Path, allowed: bool, option: str = "--out") -> None:
    """As :func:`check_replaceable`, for one chart file."""
    if not os.path.lexists(target):
        return
    if target.is_symlink() or not target.is_file():
        raise OutputError(f"{target} exists and is not a file; choose another {option}")
    if not is_fundsim_chart(target):
        raise OutputError(
            f"{target} exists and is not a chart fundsim wrote; fundsim replaces only its own "
            f"files, even with --force: choose another {option}"
        )
    if not allowed:
        raise OutputError(
            f"{target} already exists; choose another {option} or pass --force to replace it"
        )


def check_place(target: Path, option: str = "--out", folder: bool = True) -> Path:
    """The absolute form of the output place ``target`` (a folder, or a file when
    ``folder`` is false); :class:`OutputError` before any work when it cannot be used."""
    absolute = Path(os.path.abspath(target))
    if absolute.parent == absolute:
        raise OutputError(
            f"{option} {target}: the root of the file system cannot hold fundsim's output; "
            "name a new folder, e.g. outputs/NAME"
        )
    here = Path(os.path.abspath(Path.cwd()))
    if folder and (absolute == here or here.is_relative_to(absolute)):
        raise OutputError(
            f"{option} {target}: that is the folder you are working in (or holds it); "
            "name a new folder for the output, e.g. outputs/NAME"
        )
    if os.path.lexists(absolute):
        if folder and not absolute.is_dir():
            raise OutputError(f"{option} {target}: is a file, not a folder; name a folder")
        if not folder and absolute.is_dir():
            raise OutputError(f"{option} {target}: is a folder; name a file")
    ancestor = absolute.parent
    while not os.path.lexists(ancestor):
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(
            f"{option} {target}: {ancestor} is a file, so nothing can be written below it"
        )
    try:  # a real trial: permission bits say nothing to root, a read-only mount says no
        os.rmdir(tempfile.mkdtemp(prefix=".fundsim-trial-", dir=ancestor))
    except OSError as error:
        raise OutputError(
            f"{option} {target}: cannot write in {ancestor} ({error.strerror or error}); "
            "choose a folder you can write to"
        ) from None
    return absolute


# OS errors that mean the place refused the write, not that fundsim is wrong.
WRITE_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file is larger than this system allows",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}
_WRITE_TEXTS = {
    "No space left": errno.ENOSPC,
    "File too large": errno.EFBIG,
    "Disk quota": errno.EDQUOT,
    "Read-only file system": errno.EROFS,
    "Permission denied": errno.EACCES,
}


def write_failure(error: BaseException) -> str | None:
    """What an OS error raised while writing says, when the place refused the write (disk
    full, too large, read-only, no permission); None for anything else. HDF5 reports such
    failures as an OSError whose text holds the system's message."""
    if not isinstance(error, OSError):
        return None
    if error.errno in WRITE_ERRNOS:
        return WRITE_ERRNOS[error.errno]
    text = str(error)
    for needle, number in _WRITE_TEXTS.items():
        if needle in text:
            return WRITE_ERRNOS[number]
    return None
