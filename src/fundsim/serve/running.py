"""How the workbench runs batches: each asked for from the page is a job (a thread running
it as ``fundsim compare`` does, on the server's one queue and pool: :mod:`~fundsim.serve.jobs`),
admitted within the caps, cancellable, its runs kept in the run cache as they land
(``FOLDER/.workbench/runs/``: by scenario SHA-256, seed, run and fundsim's code digest) so
that a later batch takes them instead of running them again."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

from ..results.io import RESULTS, code_digest
from ..results.store import RUNS, TEMPLATE, RunStore
from ..source.diagnostics import InputError, ScenarioError
from .bodies import MAX_FILES, MAX_RUNS
from .folder import Folder
from .jobs import Job, JobCancelled, Queued, Runner
from .messages import Refused, shown
from .stored import WORKBENCH

MAX_REQUEST_RUNS = 4000  # scenarios × runs of one batch: two scenarios × 2,000 runs
MAX_QUEUED = 10_000  # runs waiting in the server's queue, over every batch
MAX_JOBS = 8  # batches waiting or running at once
KEPT_JOBS = 200  # finished jobs remembered
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


class Running(Folder):
    """The folder's batches: the jobs running them, and the run cache."""

    def __init__(self, folder: Path, workers: int | None = None) -> None:
        super().__init__(folder)
        self.runner = Runner(workers or os.cpu_count() or 1)
        self.jobs: dict[str, Job] = {}
        self.caching = threading.Lock()  # writes into the run cache
        self.threads: list[threading.Thread] = []  # the batches' threads

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
