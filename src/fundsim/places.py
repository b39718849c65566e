"""Where fundsim writes, and what it may replace there: the one output rule.

Every command that writes (``run``, ``compare``, ``report``, ``plot``, ``calibrate``,
``backtest``, ``sensitivity``, ``benefit``, ``init`` and the workbench's save) goes through
:func:`check_output` before any work and :class:`Writing` to put its outputs in place:

- every file name built from data (a scenario or a fund read from a results file or a
  scenario) is a plain name, so no output leaves the folder the user chose
  (:func:`check_name`);
- an output place that cannot work (``--out /``, the working folder, a path under a file,
  a read-only place) is refused before any work (:func:`check_place`);
- an output is never one of the command's inputs, nor a folder holding one;
- an existing folder or file is replaced only when fundsim wrote it (its marker, manifest,
  chart tag or header: :data:`KINDS`) AND the user asked for it (``--force``) or it is
  fundsim's own default place; a folder holding anything fundsim did not write is never
  replaced, whatever the flags;
- everything is written under a temporary name beside its place and renamed when complete;
  the outputs a command writes together (a calibrated scenario and its report) are put in
  place together or not at all: SIGINT and SIGTERM wait until the renames are done, and a
  failed rename puts back what was there.

Folders and files are made with the modes the user's umask gives (755/644 by default).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .source.diagnostics import InputError
from .source.pathnames import name_problem, shown_path, what_is

MARKER = ".fundsim"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # the scenario contract's names
CHART_SUFFIXES = (".png", ".svg", ".pdf")
TAG = b"fundsim "  # in every chart's metadata: "fundsim 0.1.0"
MAX_CHART_BYTES = 64 * 2**20
# What fundsim writes in a folder of each kind, besides charts.
FILES = {
    "sensitivity": {"indices.csv", "indices.xlsx", "design.csv", "sensitivity.json", MARKER},
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
    "score": {"score.csv", "score.md", MARKER},
    "rolling": {"rolling.csv", "rolling.md", MARKER},
}
WHAT = {
    "batch": "batch results folder",
    "report": "report folder",
    "calibration": "calibration report folder",
    "backtest": "backtest folder",
    "sensitivity": "sensitivity analysis folder",
    "score": "forecast score folder",
    "rolling": "rolling backtest folder",
}
CHART_DEPTH = {"report": 3, "sensitivity": 3}  # figures/LANG/NAME; others figures/NAME


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
    if kind == "rolling" and parts[0] == "origins":
        # the regions init rebuilt at each origin, under a marked rolling folder (their own
        # files: figures, scenarios, region data)
        return tagged
    depth = CHART_DEPTH.get(kind, 2)
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
            f"its own folders, even with --force: choose another {option} (不是fundsim写的文件夹，"
            "即使加--force也不会替换，请另选输出位置)"
        )
    foreign = foreign_files(target, kind)
    if foreign:
        raise OutputError(
            f"{target} holds files fundsim did not write ({_listed(foreign, target)}"
            f"{', …' if len(foreign) > 3 else ''}); fundsim will not replace it, even with "
            f"--force: move them out or choose another {option} (文件夹中有非fundsim写的文件，"
            "不会替换)"
        )
    if not allowed:
        raise OutputError(
            f"{target} already exists; choose another {option} or pass --force to replace it "
            "(已存在；另选输出位置或加 --force 替换)"
        )


def check_replaceable_file(
    target: Path,
    allowed: bool,
    option: str = "--out",
    ours: Callable[[Path], bool] | None = None,
    what: str = "chart",
) -> None:
    """As :func:`check_replaceable`, for one file: ``ours`` tells whether fundsim wrote it
    (default: a chart carrying fundsim's tag); None of it, never replaced."""
    if not os.path.lexists(target):
        return
    if target.is_symlink() or not target.is_file():
        raise OutputError(f"{target} exists and is not a file; choose another {option}")
    recognise = is_fundsim_chart if ours is None else ours
    if not recognise(target):
        raise OutputError(
            f"{target} exists and is not a {what} fundsim wrote; fundsim replaces only its own "
            f"files, even with --force: choose another {option} (不是fundsim写的文件，即使加"
            "--force也不会覆盖，请另选输出位置)"
        )
    if not allowed:
        raise OutputError(
            f"{target} already exists; choose another {option} or pass --force to replace it "
            "(已存在；另选输出位置或加 --force 替换)"
        )


def check_place(target: Path, option: str = "--out", folder: bool = True) -> Path:
    """The absolute form of the output place ``target`` (a folder, or a file when
    ``folder`` is false); :class:`OutputError` before any work when it cannot be used."""
    shown = shown_path(target)
    absolute = Path(os.path.abspath(target))
    problem = name_problem(target) or name_problem(absolute)
    if problem:
        raise OutputError(f"{option} {shown}: {problem}; name another place")
    if absolute.parent == absolute:
        raise OutputError(
            f"{option} {shown}: the root of the file system cannot hold fundsim's output; "
            "name a new folder, e.g. outputs/NAME"
        )
    here = Path(os.path.abspath(Path.cwd()))
    if folder and (absolute == here or here.is_relative_to(absolute)):
        raise OutputError(
            f"{option} {shown}: that is the folder you are working in (or holds it); "
            "name a new folder for the output, e.g. outputs/NAME"
        )
    wanted = "folder" if folder else "file"
    kind = what_is(absolute, follow=False)
    if kind is not None and kind.startswith(("a broken link", "a symbolic link")):
        raise OutputError(
            f"{option} {shown}: is {kind}; fundsim never writes through a link: remove it or "
            f"name another {wanted}"
        )
    if kind is not None and kind.startswith("a path"):  # cannot even be looked at
        raise OutputError(f"{option} {shown}: is {kind}; choose a {wanted} you can write to")
    if folder and kind not in (None, "a folder"):
        raise OutputError(f"{option} {shown}: is {kind}, not a folder; name a folder")
    if not folder and kind == "a folder":
        raise OutputError(f"{option} {shown}: is a folder; name a file")
    if not folder and kind not in (None, "a file"):
        raise OutputError(f"{option} {shown}: is {kind}, not a file; name a file")
    ancestor = absolute.parent
    while not os.path.lexists(ancestor):
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(
            f"{option} {shown}: {shown_path(ancestor)} is {what_is(ancestor) or 'not a folder'}"
            ", so nothing can be written below it"
        )
    try:  # a real trial: permission bits say nothing to root, a read-only mount says no
        os.rmdir(tempfile.mkdtemp(prefix=".fundsim-trial-", dir=ancestor))
    except OSError as error:
        raise OutputError(
            f"{option} {shown}: cannot write in {shown_path(ancestor)} "
            f"({error.strerror or error}); choose a folder you can write to"
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


# --- the one output rule ---------------------------------------------------------------------

YAML_MARK = "# Written by fundsim"  # the first line of every YAML file fundsim writes
# Outputs that are never replaced when they hold anything: a new region (init), a form to fill.
NEW_FOLDER, NEW_FILE = "new-folder", "new-file"


def is_fundsim_yaml(path: Path) -> bool:
    """Whether ``path`` is a YAML file fundsim wrote (its first line is :data:`YAML_MARK`)."""
    try:
        if path.is_symlink() or not path.is_file():
            return False
        with open(path, "rb") as handle:
            return handle.read(len(YAML_MARK)) == YAML_MARK.encode()
    except OSError:
        return False


@dataclass(frozen=True)
class Output:
    """One place a command writes: a folder of a kind of :data:`FILES`, or a file.

    Parameters
    ----------
    target : the absolute place
    kind : a folder kind of :data:`FILES`, ``"file"`` (recognised by ``ours``), or
        :data:`NEW_FOLDER` / :data:`NEW_FILE` (never replaced when it holds anything)
    allowed : whether an existing output of fundsim's may be replaced (``--force`` given, or
        fundsim's own default place)
    option : the option that named it, for messages
    ours : for a file, whether fundsim wrote it
    what : for a file, what it is (in messages)
    """

    target: Path
    kind: str
    allowed: bool
    option: str = "--out"
    ours: Callable[[Path], bool] | None = None
    what: str = "file"

    @property
    def folder(self) -> bool:
        return self.kind in FILES or self.kind == NEW_FOLDER

    def check(self) -> None:
        """Raise :class:`OutputError` unless the place may be written now."""
        if self.kind in (NEW_FOLDER, NEW_FILE):
            if os.path.lexists(self.target) and (
                not self.target.is_dir() or self.target.is_symlink() or any(self.target.iterdir())
            ):
                raise OutputError(
                    f"{self.target} exists; fundsim writes a new one and never replaces yours, "
                    f"even with --force: choose another {self.option} (已存在，fundsim不会替换您的文件)"
                )
        elif self.folder:
            check_replaceable(self.target, self.kind, self.allowed, self.option)
        else:
            check_replaceable_file(self.target, self.allowed, self.option, self.ours, self.what)


def check_output(
    target: Path,
    kind: str,
    force: bool,
    *,
    option: str = "--out",
    inputs: Iterable[Path] = (),
    default: bool = False,
    ours: Callable[[Path], bool] | None = None,
    what: str = "file",
) -> Output:
    """The output place ``target`` checked before any work: a place that can be written
    (:func:`check_place`), none of the command's ``inputs`` (nor a folder holding one), and,
    when it exists, fundsim's own (``kind``; ``ours`` for a file) with ``force`` given or
    ``default`` (fundsim's own default place). :class:`OutputError` (exit 2) otherwise.

    Parameters
    ----------
    target : the place the user named (a folder for a folder kind, else a file)
    kind : a folder kind of :data:`FILES`, ``"file"``, :data:`NEW_FOLDER` or :data:`NEW_FILE`
    force : whether the user passed ``--force``
    option : the option naming it, for messages
    inputs : the files (and folders) the command reads
    default : ``target`` is fundsim's own default place (replaced without ``--force``)
    ours, what : for a file, how to tell fundsim wrote it, and what it is
    """
    output = Output(Path(os.path.abspath(target)), kind, force or default, option, ours, what)
    absolute = check_place(target, option, folder=output.folder)
    check_not_input(absolute, inputs, option)
    output.check()
    return output


def check_not_input(target: Path, inputs: Iterable[Path], option: str = "--out") -> None:
    """:class:`OutputError` when ``target`` is one of ``inputs`` or holds one (links
    followed): fundsim never writes over what it reads."""
    real = Path(os.path.realpath(target))
    for each in inputs:
        read = Path(os.path.realpath(each))
        if read == real or read.is_relative_to(real):
            raise OutputError(
                f"{option} {target}: that is (or holds) the input {each}; fundsim never writes "
                f"over what it reads: choose another {option} (输出位置不能是输入文件)"
            )


def missing_folders(path: Path) -> list[Path]:
    """The folders of ``path`` (itself included) that do not exist yet, deepest first: what
    a command that makes ``path`` makes, and removes again when it leaves nothing there."""
    found: list[Path] = []
    current = Path(os.path.abspath(path))
    while not os.path.lexists(current) and current.parent != current:
        found.append(current)
        current = current.parent
    return found


def remove_empty(folders: Iterable[Path]) -> None:
    """Remove each of ``folders`` (deepest first) that is empty: folders a command made and
    left unused. One that holds anything (someone else's file meanwhile) stays."""
    for folder in folders:
        with contextlib.suppress(OSError):  # not empty, or gone already
            os.rmdir(folder)


def staging_place(target: Path, folder: bool) -> Path:
    """A fresh temporary name beside ``target`` (hidden, marked ``.partial``: fundsim's own),
    made as an empty folder when ``folder`` (with the umask's mode)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        # a file keeps its suffix last (a staged scenario is still a .yaml file to the loader)
        stem, suffix = (target.name, "") if folder else (target.stem, target.suffix)
        place = target.with_name(f".{stem}.partial-{secrets.token_hex(4)}{suffix}")
        if folder:
            try:
                os.mkdir(place)
            except FileExistsError:
                continue
        elif os.path.lexists(place):
            continue
        return place


@contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends: what is done inside is done whole. Their
    handlers are set aside for the block (a signal's mask would hold it only from the thread
    that set it: the kernel gives a process's signal to any thread not masking it, a native
    pool's too, and Python runs the handler in the main thread all the same), then the first
    signal that came is raised again. Only the main thread sets handlers; elsewhere a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []

    def hold(number: int, frame: Any) -> None:
        came.append(number)

    before = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(number)
        if handler is not None:  # None: a handler set outside Python, left alone
            before[number] = handler
            signal.signal(number, hold)
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
        if came:
            signal.raise_signal(came[0])


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def put_in_place(moves: Sequence[tuple[Path, Output]]) -> None:
    """Put each staged file or folder at its output's place, all together or none: each
    place is checked again (nothing of the user's appeared meanwhile), then, with SIGINT and
    SIGTERM held, what is there is renamed aside, the staged one renamed in; a failure puts
    back what was there. The staged names are gone afterwards either way."""
    try:
        for _, output in moves:
            output.check()
    except BaseException:
        for staged, _ in moves:
            _remove(staged)
        raise
    done: list[tuple[Path, Path | None]] = []  # (target, what was there, renamed aside)
    placed = False
    try:
        with signals_held():
            try:
                for staged, output in moves:
                    target = output.target
                    aside = None
                    if os.path.lexists(target):
                        aside = target.with_name(f".{target.name}.old-{secrets.token_hex(4)}")
                        os.replace(target, aside)
                    done.append((target, aside))
                    os.replace(staged, target)
            except BaseException:
                for target, aside in reversed(done):
                    if aside is not None:
                        if os.path.lexists(target):  # the new one came in: take it out
                            _remove(target)
                        os.replace(aside, target)
                for staged, _ in moves:
                    if os.path.lexists(staged):
                        _remove(staged)
                raise
            placed = True
    finally:
        # a signal held during the renames is raised as they end: what was set aside still goes
        if placed:
            for _, aside in done:
                if aside is not None:
                    _remove(aside)


@dataclass
class Writing:
    """The outputs a command writes together, each written under a temporary name beside
    its place and put there together when the block ends without an error (nothing of
    them otherwise)::

        with Writing() as writing:
            folder = writing.stage(report_output)   # an empty folder to fill
            file = writing.stage(scenario_output)   # a file name to write
            ...
    """

    moves: list[tuple[Path, Output]] = field(default_factory=list)
    made: list[Path] = field(default_factory=list)  # folders made for the places, deepest first

    def stage(self, output: Output) -> Path:
        """The temporary place to write ``output`` in (a folder made empty, or a file name)."""
        self.made = missing_folders(output.target.parent) + self.made
        place = staging_place(output.target, output.folder)
        self.moves.append((place, output))
        return place

    def __enter__(self) -> Writing:
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        try:
            if error is None:
                put_in_place(self.moves)
            else:
                for staged, _ in self.moves:
                    _remove(staged)
        except BaseException:
            remove_empty(self.made)  # nothing put in place: no folder made for it stays
            raise
        if error is not None:
            remove_empty(self.made)


def write_output(output: Output, data: bytes) -> None:
    """Write ``data`` as the file ``output`` whole or not at all, by the output rule."""
    with Writing() as writing, open(writing.stage(output), "wb") as handle:
        handle.write(data)
