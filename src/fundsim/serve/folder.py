"""The workbench's folder: its scenario files, the batches stored in it, and every batch's
results checked before use (:mod:`~fundsim.serve.stored`). Its methods may block (files,
scenarios, results): the routes call them off the event loop, so they guard what they share
with locks."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ..results.io import MANIFEST, RESULTS
from ..source.diagnostics import InputError, ScenarioError
from . import stored as stored_batches
from .bodies import MAX_PATH
from .messages import Refused, shown
from .stored import WORKBENCH, Checked, relative, signature

KEPT_RESULTS = 4  # results files held in memory (a 100-run Nanchuan batch: about 10 MB)
MAX_LISTED = 500  # scenario files listed
KEY = re.compile(r"^[0-9a-f]{20}$")  # a batch the workbench ran
STORED_KEY = re.compile(r"^s[0-9a-f]{19}$")  # a batch stored in the folder


class Folder:
    """The folder of scenarios the workbench serves, and the batches in it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        own = self.folder / WORKBENCH
        if os.path.lexists(own) and (own.is_symlink() or not own.is_dir()):
            raise InputError(
                f"{own} is not a folder fundsim made (a link or a file); move it away: the "
                "workbench keeps its batches there"
            )
        self.lock = threading.Lock()  # what the threads share: the caches below, the jobs
        self.drafts = own / "drafts"  # the scenarios the levers make
        self.opened: dict[str, Path] = {}  # stored batches listed, by key
        self.checked_: OrderedDict[Path, tuple[Any, Checked]] = OrderedDict()
        self.reading: dict[Path, threading.Lock] = {}  # one check of a batch at a time
        self.listed: dict[Path, tuple[Any, dict[str, Any]]] = {}  # scenarios, by file

    def inside(self, name: str, drafts: bool = False, field: str = "file") -> Path:
        """The scenario file ``name`` (relative to the folder) if it lies inside it (links
        followed), not among the workbench's own files (but for its drafts when
        ``drafts``) nor hidden; else refused, naming ``field``."""
        if any(ord(c) < 32 for c in name) or len(name) > MAX_PATH or not name:
            raise Refused(
                f"{field}: {shown(name)} is not a file name (empty, too long, or holding "
                "control characters)",
                f"{field}：{shown(name)} 不是文件名（为空、过长或含控制字符）",
                field=field,
            )
        path = Path(os.path.realpath(self.folder / name))
        parts = path.relative_to(self.folder).parts if path.is_relative_to(self.folder) else ()
        allowed = bool(parts) and (
            not any(p.startswith(".") for p in parts)
            or (drafts and path.parent == self.drafts.resolve())
        )
        if not allowed:
            raise Refused(
                f"{field}: {shown(name)} lies outside the workbench's folder {self.folder} (or "
                "in its hidden folders); name a scenario file inside it",
                f"{field}：{shown(name)} 不在工作台文件夹 {self.folder} 内（或在隐藏文件夹中）；"
                "请指定其中的情景文件",
                status=403,
                field=field,
            )
        if path.suffix not in (".yaml", ".yml"):
            raise Refused(
                f"{field}: {shown(name)} is not a scenario file (a .yaml file)",
                f"{field}：{shown(name)} 不是情景文件（.yaml 文件）",
                field=field,
            )
        if not path.is_file():
            raise Refused(
                f"{field}: no scenario file {shown(name)} in the folder",
                f"{field}：文件夹中没有情景文件 {shown(name)}",
                status=404,
                field=field,
            )
        return path

    def load(self, path: Path) -> Any:
        """The scenario ``path`` loaded as ``fundsim validate`` loads it (its folder allowed)."""
        from ..scenario.loader import load_scenario

        return load_scenario(path, [self.folder])

    def scenarios(self) -> list[dict[str, Any]]:
        """Every scenario YAML under the folder (not the workbench's own, not hidden, links
        out of the folder left out; the first :data:`MAX_LISTED`): name, titles, and whether
        it loads. A scenario whose files are unchanged since the last listing is not loaded
        again."""
        found = []
        for top, dirs, names in os.walk(self.folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(n for n in names if n.endswith((".yaml", ".yml"))):
                path = Path(top) / name
                if name.startswith(".") or not Path(os.path.realpath(path)).is_relative_to(
                    self.folder
                ):
                    continue
                found.append(self._listed(path))
                if len(found) >= MAX_LISTED:
                    return found
        return found

    def _listed(self, path: Path) -> dict[str, Any]:
        kept = self.listed.get(path)
        if kept is not None:
            try:
                if [signature(f) for f in kept[0][0]] == kept[0][1]:
                    return kept[1]
            except OSError:
                pass
        entry: dict[str, Any] = {"file": path.relative_to(self.folder).as_posix()}
        try:
            s = self.load(path)
        except ScenarioError as error:
            return entry | {"valid": False, "problems": [p.format() for p in error.errors][:5]}
        except (InputError, OSError, ValueError) as error:
            return entry | {"valid": False, "problems": [str(error)]}
        entry |= {"valid": True, "name": s.name, "title_zh": s.title.zh, "title_en": s.title.en,
                  "areas": len(s.areas), "sha256": s.sha256}  # fmt: skip
        areas = [p for a in s.areas for p in a.region_files.values()]
        read = [path, *s.files, *s.region_files.values(), *areas]
        with contextlib.suppress(OSError):  # a file gone meanwhile: listed, not kept
            self.listed[path] = ((read, [signature(f) for f in read]), entry)
        return entry

    def place(self, key: str) -> Path:
        """The folder of the batch ``key``: one the workbench ran, or a stored one."""
        if STORED_KEY.match(key):
            if key not in self.opened:
                self.stored()
            if key in self.opened:
                return self.opened[key]
        elif KEY.match(key):
            return self.folder / WORKBENCH / key
        raise Refused(f"no batch {shown(key)}", f"没有批次 {shown(key)}", status=404)

    def stored(self) -> list[dict[str, Any]]:
        """Every batch stored in the folder (:func:`~fundsim.serve.stored.listing`), newest
        first: its key, folder, scenarios (name and SHA-256), seed, runs, and whether its
        manifest records its results' digest (else: shown, never reused)."""
        found = []
        for place, meta in stored_batches.listing(self.folder):
            name = relative(self.folder, place)
            key = "s" + hashlib.sha256(name.encode()).hexdigest()[:19]
            with self.lock:
                self.opened[key] = place
            scenarios = [{"name": str(n), "sha256": str(s["sha256"])}
                         for n, s in meta["scenarios"].items()]  # fmt: skip
            found.append({"key": key, "folder": name, "scenarios": scenarios,
                          "created": str(meta.get("created", "")), "runs": meta["runs"],
                          "seed": meta["seed"], "digest": "results_sha256" in meta})  # fmt: skip
        return sorted(found, key=lambda e: e["created"], reverse=True)

    def checked(self, key: str) -> Checked:
        """The batch ``key``'s results, checked (:func:`~fundsim.serve.stored.check`) once
        for every request about it (again when its files change); the last few are kept."""
        place = self.place(key)
        if not os.path.lexists(place / RESULTS) and KEY.match(key):
            raise Refused(
                f"no finished batch {key}", f"批次 {key} 尚未完成", status=404, field="key"
            )
        with self.lock:
            reading = self.reading.setdefault(place, threading.Lock())
        with reading:
            try:
                stamp = (signature(place / MANIFEST), signature(place / RESULTS))
            except OSError:
                stamp = None
            with self.lock:
                kept = self.checked_.get(place)
            if kept is not None and stamp is not None and kept[0] == stamp:
                return kept[1]
            result = stored_batches.check(self.folder, place)
            with self.lock:
                self.checked_.pop(place, None)
                self.checked_[place] = (stamp, result)
                while len(self.checked_) > KEPT_RESULTS:
                    self.checked_.popitem(last=False)
            return result
