"""Where a scenario may read from: its project tree, and folders the user allows explicitly.

A scenario names other files (``extends:`` and ``region.data``). Read blindly, a shared
scenario could make fundsim read any file the user can (``extends: /etc/passwd``) and quote
it back in a message. So every such path must lie, after symbolic links are followed, inside
the scenario's *project root* or a folder allowed with ``--allow-outside DIR`` (or the
``FUNDSIM_ALLOW_OUTSIDE`` environment variable, folders separated by ``os.pathsep``).

The project root of a scenario is the nearest folder at or above the scenario's own that
holds a ``scenarios`` or ``calibration`` folder, a ``.git`` or a ``fundsim.toml`` (the
layout of a fundsim project: ``scenarios/<region>/*.yaml`` beside
``calibration/<region>/*.csv``); when no folder above it does, the scenario's own folder.
The root is that of the file named on the command line; the files it extends are held to it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..source.pathnames import real_path

MARKERS = ("scenarios", "calibration", ".git", "fundsim.toml")
ENVIRONMENT = "FUNDSIM_ALLOW_OUTSIDE"
SCENARIO_SUFFIXES = (".yaml", ".yml")
REGION_SUFFIXES = (".csv",)


def project_root(scenario: Path) -> Path:
    """The project root of ``scenario`` (see the module's text)."""
    folder = real_path(scenario).parent
    for candidate in (folder, *folder.parents):
        # os.path.exists: a path too long to look up holds no marker (Path.exists would raise)
        if any(os.path.exists(candidate / marker) for marker in MARKERS):
            if candidate.parent == candidate:  # never the file system's root
                break
            return candidate
    return folder


@dataclass(frozen=True)
class Roots:
    """The folders a scenario may read from."""

    folders: tuple[Path, ...]

    @classmethod
    def of(cls, scenario: Path, allowed: Iterable[str | Path] = ()) -> Roots:
        """The project root of ``scenario``, the ``allowed`` folders and those of the
        environment variable."""
        extra = [*allowed, *(p for p in os.environ.get(ENVIRONMENT, "").split(os.pathsep) if p)]
        folders = [project_root(scenario), *(real_path(p) for p in extra)]
        return cls(tuple(dict.fromkeys(folders)))

    def contain(self, path: Path) -> bool:
        """Whether ``path`` (symbolic links followed) lies inside one of the folders."""
        real = real_path(path)
        return any(real == f or real.is_relative_to(f) for f in self.folders)

    def describe(self) -> str:
        return " or ".join(str(f) for f in self.folders)


def outside_hint(roots: Roots) -> str:
    return (
        f"files a scenario names must lie inside its project ({roots.describe()}); "
        "copy the file there, or allow its folder with --allow-outside DIR"
    )


def suffix_problem(path: Path, suffixes: Sequence[str], what: str) -> str | None:
    """Why ``path`` cannot be a ``what`` file, judged by its name alone, or None."""
    if path.suffix.lower() in suffixes:
        return None
    return f"{what} must be a {' or '.join(suffixes)} file, not {path.name!r}"


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
