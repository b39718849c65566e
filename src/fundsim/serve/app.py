"""``fundsim serve``: a local web workbench over a folder of scenarios (issue 19; made safe to
leave running in issue 28).

Starlette (an ASGI toolkit) serves one page and a JSON API; uvicorn runs it. Every asset
(the page, its script and style) is fundsim's own and every chart is drawn by fundsim's own
chart code as SVG, so the page requests nothing outside the server: it works on a bureau's
network with no internet. Only the page the command's address opens may use the API
(:mod:`~fundsim.serve.guard`). Scenario files are read and written only inside the chosen
folder; batches run on the same code as ``fundsim compare`` (same scenarios, seed and runs:
the same numbers, bit for bit), in the server's one queue and pool of workers
(:mod:`~fundsim.serve.jobs`). Every run is kept under ``FOLDER/.workbench/runs/`` by its
scenario's SHA-256 (of every file it reads), the seed, the run's number and a digest of
fundsim's code (:func:`~fundsim.results.io.code_digest`): a run's numbers depend on nothing
else (common random numbers), so a batch takes the runs it finds there and runs only the
others. The baseline's runs serve every comparison with it, 200 runs after 100 run 100 more,
and a stored batch of the folder (``fundsim run`` output) lends its runs when the same code
ran it and its results file is the one fundsim wrote (:mod:`~fundsim.serve.stored`). A
finished batch is kept under ``FOLDER/.workbench/KEY`` (its scenarios, seed and runs), so a
second look costs nothing.

Every method here may block (files, scenarios, results): the routes call them off the event
loop, so they guard what they share with locks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ..results.io import MANIFEST, RESULTS, code_digest
from ..results.store import RUNS, TEMPLATE, RunStore
from ..source.diagnostics import InputError, ScenarioError
from . import stored as stored_batches
from .bodies import MAX_FILES, MAX_PATH, MAX_RUNS
from .jobs import Job, JobCancelled, Queued, Runner
from .messages import Refused, shown
from .stored import WORKBENCH, Checked, relative, signature
from .views import CHART_KINDS, chart_svg, summary

__all__ = ["CHART_KINDS", "STATIC", "WORKBENCH", "Refused", "Workbench", "chart_svg", "summary"]

STATIC = Path(__file__).resolve().parent / "static"
KEPT_RESULTS = 4  # results files held in memory (a 100-run Nanchuan batch: about 10 MB)
MAX_REQUEST_RUNS = 4000  # scenarios × runs of one batch: two scenarios × 2,000 runs
MAX_QUEUED = 10_000  # runs waiting in the server's queue, over every batch
MAX_JOBS = 8  # batches waiting or running at once
MAX_LISTED = 500  # scenario files listed
KEPT_JOBS = 200  # finished jobs remembered
KEY = re.compile(r"^[0-9a-f]{20}$")  # a batch the workbench ran
STORED_KEY = re.compile(r"^s[0-9a-f]{19}$")  # a batch stored in the folder
log = logging.getLogger("fundsim.serve")


def _link(source: Path, target: Path) -> None:
    """``target`` as a hard link to ``source`` (a run file is never changed once written),
    or a copy on a file system without hard links."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


class Caching:
    """A backend that keeps every run it makes in its scenario's run cache as it lands."""

    def __init__(self, backend: Any, caches: list[RunStore], lock: threading.Lock) -> None:
        self.backend, self.caches, self.lock = backend, caches, lock
        self.name, self.workers = backend.name, backend.workers

    def run(self, tasks: Any, seed: int, fixed: Any = None, fixed_by_task: Any = None) -> Any:
        for (s, r), ds in self.backend.run(tasks, seed, fixed, fixed_by_task):
            cache = self.caches[s]
            with self.lock:  # one thread writes the caches (a run's file has one name)
                if not cache.exists:
                    cache.create(ds)
                cache.write(ds, 0, r)
            yield (s, r), ds

    def close(self) -> None:
        self.backend.close()


class Workbench:
    """The folder, its batches and the jobs running them."""

    def __init__(self, folder: Path, workers: int | None = None) -> None:
        self.folder = folder.resolve()
        own = self.folder / WORKBENCH
        if os.path.lexists(own) and (own.is_symlink() or not own.is_dir()):
            raise InputError(
                f"{own} is not a folder fundsim made (a link or a file); move it away: the "
                "workbench keeps its batches there"
            )
        self.runner = Runner(workers or os.cpu_count() or 1)
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()  # jobs, opened batches, the caches below
        self.caching = threading.Lock()  # writes into the run cache
        self.drawing = threading.Lock()  # matplotlib's pyplot is not thread-safe
        self.drafts = own / "drafts"  # the scenarios the levers make
        self.opened: dict[str, Path] = {}  # stored batches listed, by key
        self.checked_: OrderedDict[Path, tuple[Any, Checked]] = OrderedDict()
        self.reading: dict[Path, threading.Lock] = {}  # one check of a batch at a time
        self.listed: dict[Path, tuple[Any, dict[str, Any]]] = {}  # scenarios, by file
        self.reports: dict[tuple[str, str], threading.Lock] = {}
        self.threads: list[threading.Thread] = []  # the batches' threads

    # --- files ------------------------------------------------------------------------------

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

    # --- batches ----------------------------------------------------------------------------

    def batch_key(
        self, files: list[str], runs: int, seed: int | None
    ) -> tuple[str, list[Any], int]:
        """The batch's key (its scenarios' SHA-256, seed, runs), its scenarios and its seed."""
        if not 1 <= len(files) <= MAX_FILES or not 1 <= runs <= MAX_RUNS:
            raise Refused(
                f"a batch is 1 to {MAX_FILES} scenarios × 1 to {MAX_RUNS:,} runs",
                f"一个批次为 1 到 {MAX_FILES} 个情景 × 1 到 {MAX_RUNS} 次模拟",
            )
        scenarios = [
            self.load(self.inside(f, drafts=True, field=f"files.{i}")) for i, f in enumerate(files)
        ]
        seed = scenarios[0].monte_carlo.seed if seed is None else seed
        text = json.dumps([[s.name, s.sha256] for s in scenarios] + [seed, runs, code_digest()])
        return hashlib.sha256(text.encode()).hexdigest()[:20], scenarios, seed

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

    def adopt(self, key: str) -> dict[str, Any]:
        """Keep the runs of the stored batch ``key`` in the run cache, when its results file
        is the one fundsim wrote (its digest) and fundsim's code is the same as when it ran:
        a comparison with one of its scenarios then runs only the other. How many runs were
        kept, and why none when none."""
        checked = self.checked(key)
        meta = checked.meta
        if not checked.verified:
            return {"kept": 0, "verified": False,
                    "en": "written by an older fundsim that recorded no digest of its results: "
                          "shown, its runs not reused",
                    "zh": "由未记录结果摘要的旧版 fundsim 写出：仅显示，不复用其模拟结果"}  # fmt: skip
        if meta.get("fundsim_code") != code_digest():
            return {"kept": 0, "verified": True,
                    "en": "run by another version of fundsim: shown, its runs not reused",
                    "zh": "由其他版本的 fundsim 运行：仅显示，不复用其模拟结果"}  # fmt: skip
        extra = [str(c) for c in checked.ds.coords if str(c).startswith("scenario_")]
        ds = checked.ds.drop_vars(extra)
        kept = 0
        for s, name in enumerate(ds["scenario"].values):
            cache = self._cache(str(meta["scenarios"][str(name)]["sha256"]), int(meta["seed"]),
                                code_digest())  # fmt: skip
            for r in range(ds.sizes["run"]):
                with self.caching:
                    if cache.exists and cache.done(1, r + 1)[0][r]:
                        continue
                    one = ds.isel(scenario=[s], run=[r])
                    if not cache.exists:
                        cache.create(one)
                    cache.write(one, 0, r)
                kept += 1
        return {"kept": kept, "verified": True}

    def start(self, files: list[str], runs: int, seed: int | None) -> Job:
        """Queue the batch (or find it running, or done); refused beyond the caps."""
        key, scenarios, seed = self.batch_key(files, runs, seed)
        total = len(scenarios) * runs
        if total > MAX_REQUEST_RUNS:
            raise Refused(
                f"{len(scenarios)} scenarios × {runs:,} runs = {total:,} runs; one batch of the "
                f"workbench holds at most {MAX_REQUEST_RUNS:,} (e.g. 2 scenarios × 2,000 runs)",
                f"{len(scenarios)} 个情景 × {runs} 次 = {total} 次模拟；工作台一个批次最多 "
                f"{MAX_REQUEST_RUNS} 次（如 2 个情景 × 2000 次）",
                field="runs",
            )
        with self.lock:
            for job in self.jobs.values():
                if job.key == key and job.active:
                    return job
        finished = os.path.lexists(self.place(key) / RESULTS)
        if finished:
            try:
                self.checked(key)
            except Refused as refused:  # our own batch, changed since: run it again
                log.warning("%s; running it again", refused.en)
                self._discard(self.place(key))
                finished = False
        caches = [self.cache(s, seed) for s in scenarios]
        needed = 0 if finished else sum(runs - self._done(c, runs) for c in caches)
        with self.lock:
            for job in self.jobs.values():
                if job.key == key and job.active:
                    return job
            active = [j for j in self.jobs.values() if j.active]
            if needed and len(active) >= MAX_JOBS:
                raise Refused(
                    f"{len(active)} batches are waiting or running already (at most {MAX_JOBS}): "
                    "wait for one to finish, or cancel one",
                    f"已有 {len(active)} 个批次在等待或运行（最多 {MAX_JOBS} 个）：请等待完成或取消一个",
                    status=429,
                )
            waiting = sum(j.waiting for j in active)
            if waiting + needed > MAX_QUEUED:
                raise Refused(
                    f"{waiting:,} runs are waiting already; with this batch's {needed:,} the "
                    f"queue would hold more than {MAX_QUEUED:,} runs: wait for a batch to "
                    "finish, cancel one, or ask for fewer runs",
                    f"已有 {waiting} 次模拟在排队；加上本批次的 {needed} 次将超过队列上限 "
                    f"{MAX_QUEUED} 次：请等待、取消一个批次或减少模拟次数",
                    status=429,
                )
            job = Job(uuid.uuid4().hex[:12], key, total, needed=needed)
            self.jobs[job.id] = job
            ended = [i for i, j in self.jobs.items() if not j.active]
            for old in ended[: max(0, len(ended) - KEPT_JOBS)]:
                del self.jobs[old]
        if finished:
            job.done, job.state, job.cached = total, "done", 0
            return job
        thread = threading.Thread(
            target=self._run, args=(job, scenarios, runs, seed, caches), daemon=True
        )
        with self.lock:
            self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()
        return job

    def close(self, timeout: float = 30) -> None:
        """Cancel every batch and wait for their threads (the server stops): a thread frozen
        at exit inside HDF5 would hold its lock and hang the process's own exit."""
        for job in list(self.jobs.values()):
            if job.active:
                self.cancel(job.id)
        self.runner.close()
        with self.lock:
            threads = list(self.threads)
        for thread in [*threads, self.runner.thread]:
            if thread is not None:
                thread.join(timeout)

    def cancel(self, job_id: str) -> Job:
        """Cancel the job ``job_id``: its waiting runs never start; those finished stay in
        the run cache (and in its unfinished batch, resumed when asked for again)."""
        job = self.job(job_id)
        if job.active:
            job.cancelled = True  # a job not yet queued (Queued.run) queues nothing
            if job.feed is not None:
                self.runner.cancel(job.feed)
        return job

    def job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise Refused(
                f"no job {shown(job_id)} (the workbench forgets jobs when it stops)",
                f"没有任务 {shown(job_id)}（工作台停止后会忘记任务）",
                status=404,
            )
        return job

    @staticmethod
    def _done(cache: RunStore, runs: int) -> int:
        return int(cache.done(1, runs).sum()) if cache.exists else 0

    def cache(self, scenario: Any, seed: int) -> RunStore:
        """The store of every run of ``scenario`` with ``seed`` run here so far (scenario
        index 0, the run's number)."""
        return self._cache(scenario.sha256, seed, code_digest())

    def _cache(self, sha256: str, seed: int, code: str) -> RunStore:
        return RunStore(self.folder / WORKBENCH / RUNS / f"{sha256[:24]}-{seed}-{code}")

    def _discard(self, place: Path) -> None:
        """Remove a batch folder of the workbench's own (one that no longer checks)."""
        if place.is_symlink() or not place.is_dir():
            place.unlink(missing_ok=True)
        else:
            shutil.rmtree(place, ignore_errors=True)
        with self.lock:
            self.checked_.pop(place, None)

    def share_runs(self, draft: Path, saved: Path) -> int:
        """Give the runs cached for ``draft`` to ``saved``, the same scenario written
        elsewhere (only its ``extends`` rewritten to reach the same file: the same values,
        so the same numbers; its SHA-256 differs as its text does). How many runs."""
        before = self.load(draft).sha256[:24]
        after = self.load(saved).sha256[:24]
        shared = 0
        with self.caching:
            for cache in (self.folder / WORKBENCH / RUNS).glob(f"{before}-*"):
                target = cache.with_name(after + cache.name[len(before) :])
                for source in sorted(cache.rglob("*")):
                    place = target / source.relative_to(cache)
                    if source.is_dir() or place.exists():
                        continue
                    place.parent.mkdir(parents=True, exist_ok=True)
                    _link(source, place)
                    shared += source.suffix == ".npy"
        return shared

    def _seed(self, batch: Any, caches: list[RunStore]) -> None:
        """Give ``batch``'s store the runs cached for its scenarios that it lacks (linked,
        not copied: a run file is never changed once written): a new batch starts from them,
        an unfinished one (cancelled) resumes with them."""
        from ..ensemble.batch import PLAN

        store = batch.staging / "store"
        with self.caching:
            found = []
            for s, cache in enumerate(caches):
                if cache.exists:
                    found += [(s, int(r), cache) for r in cache.done(1, batch.runs)[0].nonzero()[0]]  # fmt: skip
            if not found:
                return
            (store / RUNS).mkdir(parents=True, exist_ok=True)
            if not (store / TEMPLATE).exists():
                shutil.copyfile(found[0][2].path / TEMPLATE, store / TEMPLATE)
            for s, r, cache in found:
                target = store / RUNS / f"{s}-{r}.npy"
                if not target.exists():
                    _link(cache.path / RUNS / f"0-{r}.npy", target)
        if not (batch.staging / PLAN).exists():
            plan = json.dumps(batch.plan(), indent=2, ensure_ascii=False)
            (batch.staging / PLAN).write_text(plan, encoding="utf-8")

    def _run(
        self, job: Job, scenarios: list[Any], runs: int, seed: int, caches: list[RunStore]
    ) -> None:
        from ..ensemble.batch import PLAN, Batch, run_batch

        def progress(done: int, total: int) -> None:
            if job.cached is None:
                job.cached = done
            job.done, job.total = done, total
            if job.state == "queued":
                job.state = "running"

        def files(ds: Any, folder: Path) -> None:  # what fundsim run and compare write beside
            from ..results.compare import write_comparison
            from ..results.summary import write_summaries

            write_summaries(ds, folder)
            if len(scenarios) > 1:
                write_comparison(ds, scenarios[0].name, folder)

        try:
            out = self.place(job.key)
            out.parent.mkdir(parents=True, exist_ok=True)
            batch = Batch(scenarios, runs, seed, out, ["fundsim", "serve"])
            self._seed(batch, caches)
            run_batch(
                batch,
                lambda: Caching(Queued(self.runner, scenarios, job), caches, self.caching),
                resume=(batch.staging / PLAN).exists(),
                extra=files,
                progress=progress,
            )
            job.state = "done"
        except JobCancelled:
            job.state = "cancelled"
        except (InputError, ScenarioError) as error:  # shown beside the button
            job.state, job.error, job.error_zh = "failed", str(error), f"运行失败：{error}"
        except Exception as error:  # a bug: said, never a traceback on the page
            log.exception("the batch %s failed", job.key)
            job.state = "failed"
            job.error = f"the batch failed ({type(error).__name__}: {error}); this is a bug of fundsim"  # fmt: skip
            job.error_zh = f"批次运行失败（{type(error).__name__}：{error}）；这是 fundsim 的缺陷"

    def results(self, key: str, area: str | None = None) -> Any:
        """A finished batch's results, checked: of one area of a city (``area``; by default
        its total, as the report shows first), and the areas it may show (name, zh, en: each
        area and the total; [] for one area)."""
        from ..results.areas import CITY, area_label, area_names, select_area

        checked = self.checked(key)
        whole = checked.ds
        names = area_names(whole)
        areas = [{"name": a, "zh": area_label(whole, a, "zh"), "en": area_label(whole, a, "en")}
                 for a in names if a != CITY]  # fmt: skip
        if area == CITY:  # the city's own book holds its reserves only, no pooled fund
            raise Refused(
                f"area: {CITY!r} holds the reserves only; choose an area or the total",
                f"area：{CITY!r} 只有市级调剂金账户；请选择一个区县或合计",
                field="area",
            )
        valid = [a["name"] for a in areas] or ["total"]
        if area is not None and area not in valid:
            raise Refused(
                f"area: no area {shown(area)} in this batch; valid: {', '.join(valid)}",
                f"area：本批次中没有区县 {shown(area)}；可选：{', '.join(valid)}",
                field="area",
            )
        return select_area(whole, area).assign_attrs(  # a new Dataset: the one read stays as read
            workbench_areas=json.dumps(areas, ensure_ascii=False),
            workbench_verified=int(checked.verified),
        )

    def report(self, key: str, lang: str) -> Path:
        """The batch's report.docx (written once, kept in the workbench's own folder: a
        stored batch's folder is the planner's and is not written to)."""
        from ..reporting.report import write_report

        checked = self.checked(key)
        folder = self.folder / WORKBENCH / "reports" / key / lang
        with self.lock:
            writing = self.reports.setdefault((key, lang), threading.Lock())
        with writing:
            if not (folder / "report.docx").is_file():
                with self.drawing:
                    write_report(self.results(key), folder, lang, formats=("png",), dpi=150,
                                 manifest=checked.meta, replace=True)  # fmt: skip
        return folder / "report.docx"

    def chart(self, key: str, kind: str, fund: str, scenario: str | None, lang: str, area: str | None) -> bytes:  # fmt: skip
        """One chart of the batch as SVG (one drawing at a time: pyplot is not thread-safe)."""
        ds = self.results(key, area)
        with self.drawing:
            return chart_svg(ds, kind, fund, scenario, lang)
