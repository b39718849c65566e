"""The workbench's one queue of runs and its one pool of workers, shared by every batch.

A batch asked for from the page is a :class:`Job`: a thread that runs it as ``fundsim
compare`` does (:func:`~fundsim.ensemble.batch.run_batch`, the same files, the same numbers
bit for bit) on a :class:`Queued` backend, which hands its runs to the server's
:class:`Runner` instead of starting workers of its own. The runner keeps one pool for the
whole server, started at the first run and reused by every batch: ``--workers 1`` runs in a
thread of the server (:func:`~fundsim.ensemble.backends.run_task`, as the Serial backend
does), more runs in that many worker processes (spawned once). A worker receives the
scenario with each run (100 KB pickled once per batch) and keeps the last few by their
SHA-256, so a run costs what it costs in ``fundsim compare``.

Order: jobs are taken first-in-first-out and share the pool in turns (round robin): each
time a worker is free it takes the next run of the next job in the ring, so every running
job advances at the same pace and a small job started behind a large one finishes in a few
turns instead of waiting for it. The runner keeps exactly one run per worker in flight, so
a cancelled job's queued runs never start; its runs already finished stay in the run cache.
"""

from __future__ import annotations

import multiprocessing
import pickle
import queue
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from ..ensemble.backends import Task, run_task
from ..scenario.loader import Scenario

KEPT_SCENARIOS = 8  # scenarios a worker process keeps between runs
RETRIES = 2  # times a run lost with its worker (killed, out of memory) is run again


class JobCancelled(Exception):
    """The job was cancelled from the page: its queued runs were dropped."""


@dataclass
class Job:
    """A batch asked for from the page: queued, running, done, failed or cancelled."""

    id: str
    key: str
    total: int
    done: int = 0
    state: str = "queued"  # queued, running, done, failed, cancelled
    error: str = ""
    error_zh: str = ""
    cached: int | None = None  # runs found done when it started (run cache, earlier try)
    needed: int = 0  # runs it had to run when it was accepted
    cancelled: bool = False  # cancel asked for: its waiting runs never start
    feed: Feed | None = None

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def waiting(self) -> int:
        """Runs of it not yet run (what it holds of the server's queue)."""
        return max(self.needed - max(self.done - (self.cached or 0), 0), 0) if self.active else 0

    def shown(self) -> dict[str, Any]:
        return {"id": self.id, "key": self.key, "done": self.done, "total": self.total,
                "state": self.state, "error": self.error, "error_zh": self.error_zh,
                "cached": self.cached or 0}  # fmt: skip


@dataclass(eq=False)  # a feed is itself: found in the ring by identity, never by its fields
class Feed:
    """One batch's runs in the runner: those waiting, and the results as they land."""

    scenarios: Sequence[Scenario]
    seed: int
    tasks: deque[Task]
    results: queue.Queue[Any] = field(default_factory=queue.Queue)
    flying: int = 0
    cancelled: bool = False
    attempts: dict[Task, int] = field(default_factory=dict)
    payloads: list[tuple[str, bytes]] = field(default_factory=list)  # (key, pickled scenario)


_END = object()  # a feed's last result: every run was handed out and came back
_CANCELLED = object()


class Runner:
    """The server's one queue of runs and its one pool of workers (see the module)."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self.ring: deque[Feed] = deque()  # feeds with runs waiting, in turn
        self.flying = 0
        self.started = 0  # runs started, ever (the tests count them)
        self.pools = 0  # pools started, ever
        self.lock = threading.Condition()
        self.pool: ProcessPoolExecutor | None = None
        self.thread: threading.Thread | None = None
        self.closed = False

    def submit(self, scenarios: Sequence[Scenario], tasks: Sequence[Task], seed: int) -> Feed:
        """Queue ``tasks`` (scenario index, run) of a batch; their results come in the feed's
        ``results`` as ``(task, Dataset)``, then an end mark."""
        feed = Feed(scenarios, seed, deque(tasks))
        if self.workers > 1:
            feed.payloads = [(f"{s.sha256}:{s.file}", pickle.dumps(s)) for s in scenarios]
        with self.lock:
            if self.closed:
                raise JobCancelled()
            if not feed.tasks:
                feed.results.put(_END)
                return feed
            self.ring.append(feed)
            if self.thread is None:
                self.thread = threading.Thread(target=self._dispatch, name="fundsim-runs", daemon=True)  # fmt: skip
                self.thread.start()
            self.lock.notify_all()
        return feed

    def cancel(self, feed: Feed) -> None:
        """Drop the feed's waiting runs; its runs in flight come back, then the cancel mark."""
        with self.lock:
            if feed.cancelled:
                return
            feed.cancelled = True
            feed.tasks.clear()
            if feed in self.ring:
                self.ring.remove(feed)
            if feed.flying == 0:
                feed.results.put(_CANCELLED)

    def close(self) -> None:
        """Cancel everything waiting and stop the pool (the server is stopping)."""
        with self.lock:
            self.closed = True
            for feed in list(self.ring):
                feed.cancelled = True
                feed.tasks.clear()
                if feed.flying == 0:
                    feed.results.put(_CANCELLED)
            self.ring.clear()
            self.lock.notify_all()
            pool, self.pool = self.pool, None
        if pool is not None:  # the runs under way finish (a worker killed leaks its locks)
            pool.shutdown(wait=True, cancel_futures=True)

    # --- the dispatcher: one thread hands out runs, one per free worker ---------------------

    def _next(self) -> tuple[Feed, Task] | None:
        """The next run to start, in turn (the lock held); None when the runner closes."""
        while not self.closed and (not self.ring or self.flying >= self.workers):
            self.lock.wait()
        if self.closed:
            return None
        feed = self.ring.popleft()
        task = feed.tasks.popleft()
        if feed.tasks:
            self.ring.append(feed)  # its next run waits for its turn
        feed.flying += 1
        self.flying += 1
        self.started += 1
        feed.attempts[task] = feed.attempts.get(task, 0) + 1
        return feed, task

    def _dispatch(self) -> None:
        while True:
            with self.lock:
                chosen = self._next()
            if chosen is None:
                return
            feed, task = chosen
            try:
                if self.workers > 1:
                    self._send(feed, task)
                    continue
                result: Any = run_task(task, feed.seed, feed.scenarios)
            except Exception as error:  # given to the job, which fails with it
                result = error
            self._landed(feed, task, result)

    def _send(self, feed: Feed, task: Task) -> None:
        key, payload = feed.payloads[task[0]]
        try:
            with self.lock:
                if self.closed:  # the server is stopping: no new pool
                    raise RuntimeError("the workbench is stopping")
                if self.pool is None:
                    self.pool = ProcessPoolExecutor(
                        max_workers=self.workers,
                        mp_context=multiprocessing.get_context("spawn"),
                        initializer=_prepare,
                    )
                    self.pools += 1
                pool = self.pool
            future = pool.submit(_work, key, payload, task[1], feed.seed)
        except (BrokenProcessPool, RuntimeError) as error:
            self._lost(feed, task, error)
            return
        future.add_done_callback(lambda done: self._came_back(feed, task, done))

    def _came_back(self, feed: Feed, task: Task, future: Future[Any]) -> None:
        if future.cancelled():  # the pool stopped before it began (the server stops)
            self._landed(feed, task, JobCancelled())
            return
        try:
            result: Any = future.result()
        except BrokenProcessPool as error:
            self._lost(feed, task, error)
            return
        except BaseException as error:  # a run that raised: the job fails with it
            result = error
        self._landed(feed, task, result)

    def _lost(self, feed: Feed, task: Task, error: BaseException) -> None:
        """A run lost with its worker: the pool is made again, the run queued again (first
        in its feed) unless it was lost too often."""
        with self.lock:
            if self.pool is not None:
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = None
        if feed.cancelled or self.closed:
            self._landed(feed, task, JobCancelled())
            return
        if feed.attempts.get(task, 0) > RETRIES:
            self._landed(feed, task, RuntimeError(f"run {task[1]} was lost with its worker: {error}"))  # fmt: skip
            return
        with self.lock:
            feed.flying -= 1
            self.flying -= 1
            feed.tasks.appendleft(task)
            if feed not in self.ring:
                self.ring.appendleft(feed)
            self.lock.notify_all()

    def _landed(self, feed: Feed, task: Task, result: Any) -> None:
        with self.lock:
            feed.flying -= 1
            self.flying -= 1
            feed.results.put((task, result))
            if feed.flying == 0 and not feed.tasks:
                feed.results.put(_CANCELLED if feed.cancelled else _END)
            self.lock.notify_all()


class Queued:
    """A backend (:class:`~fundsim.ensemble.backends.Backend`) whose runs go to the server's
    :class:`Runner`; ``cancel()`` drops the runs still waiting."""

    name = "serve-queue"

    def __init__(self, runner: Runner, scenarios: Sequence[Scenario], job: Job) -> None:
        self.runner, self.scenarios, self.job = runner, scenarios, job
        self.workers = runner.workers

    def run(
        self,
        tasks: Sequence[Task],
        seed: int,
        fixed: Mapping[str, float] | None = None,
        fixed_by_task: Mapping[Task, Mapping[str, float]] | None = None,
    ) -> Iterator[tuple[Task, Any]]:
        feed = self.runner.submit(self.scenarios, tasks, seed)
        self.job.feed = feed
        if self.job.cancelled:  # cancelled while it was being prepared
            self.runner.cancel(feed)
        try:
            while True:
                item = feed.results.get()
                if item is _END:
                    return
                if item is _CANCELLED:
                    raise JobCancelled()
                task, result = item
                if isinstance(result, BaseException):
                    raise result
                yield task, result
        finally:
            self.runner.cancel(feed)  # a batch stopped for any reason starts no more runs

    def close(self) -> None:
        pass


# --- in a worker process -----------------------------------------------------------------

_KEPT: OrderedDict[str, Scenario] = OrderedDict()


def _prepare() -> None:
    from ..sim.allocator import keep_freed_memory

    keep_freed_memory()


def _work(key: str, payload: bytes, run: int, seed: int) -> Any:
    """One run of a scenario, in a worker process that keeps the scenarios it has seen."""
    scenario = _KEPT.get(key)
    if scenario is None:
        scenario = pickle.loads(payload)
        _KEPT[key] = scenario
        while len(_KEPT) > KEPT_SCENARIOS:
            _KEPT.popitem(last=False)
    _KEPT.move_to_end(key)
    return run_task((0, run), seed, [scenario])
