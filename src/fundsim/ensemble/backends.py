"""Where the runs of a batch execute (architecture §6): one small interface, three implementations.

A backend takes the batch's scenarios once (each worker keeps them) and a list of tasks
``(scenario index, run)``, and yields ``(task, result)`` as runs finish, in any order. A run
depends only on its scenario, its run number and the seed (architecture §2), so every backend and
every worker count gives the same numbers, bit for bit.

- :class:`Serial`: in this process (``--workers 1``).
- :class:`ProcessPool`: a local pool of worker processes, one per core by default, no
  services. A worker that dies (killed, out of memory) breaks the pool; the pool is rebuilt
  and the unfinished runs are submitted again, up to ``retries`` times each.
- :class:`DaskBackend`: Dask distributed, on a ``LocalCluster`` (``--scheduler local``) or
  an existing cluster (``--scheduler tcp://HOST:PORT``, or the ``DASK_SCHEDULER_ADDRESS``
  environment variable that Dask itself reads). Dask reschedules the runs of a lost worker;
  a run that raises is retried ``retries`` times.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

import xarray as xr

from ..scenario.loader import Scenario
from ..source.diagnostics import InputError
from ..source.pathnames import shown_path

Task = tuple[int, int]  # (scenario index, run)

_SCENARIOS: Sequence[Scenario] = ()


class RunFailed(Exception):
    """A run failed on every attempt."""


class BackendUnavailable(InputError):
    """The backend asked for cannot be reached (an input problem: exit code 2)."""


def _prepare(scenarios: Sequence[Scenario]) -> None:
    """Per worker: keep the scenarios, tune the allocator, load the compiled kernels."""
    global _SCENARIOS
    from ..sim.allocator import keep_freed_memory

    _SCENARIOS = scenarios
    keep_freed_memory()


def run_task(
    task: Task,
    seed: int,
    scenarios: Sequence[Scenario] | None = None,
    fixed: Mapping[str, float] | None = None,
) -> xr.Dataset:
    """Simulate one run of one scenario (in whichever process the backend chose), with the
    parameters in ``fixed`` held at their values (a calibration's trial)."""
    from .evaluate import simulate

    index, run = task
    chosen = (scenarios if scenarios is not None else _SCENARIOS)[index]
    return simulate(chosen, run=run, seed=seed, fixed=fixed)


def interrupt_behind(error: BaseException) -> KeyboardInterrupt | None:
    """The interrupt (Ctrl-C, or SIGTERM raised as one) behind ``error``, or None.

    A signal that arrives while a compiled kernel hands its arrays back to Python raises
    its KeyboardInterrupt inside numba's own call (unpickling a cached value), which numba
    does not check: Python then reports ``SystemError: CPUDispatcher(...) returned a result
    with an exception set``, the interrupt as its cause (two SystemErrors deep)."""
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 10:
        if isinstance(current, KeyboardInterrupt):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None


class Backend(Protocol):
    name: str
    workers: int

    def run(
        self,
        tasks: Sequence[Task],
        seed: int,
        fixed: Mapping[str, float] | None = None,
        fixed_by_task: Mapping[Task, Mapping[str, float]] | None = None,
    ) -> Iterator[tuple[Task, xr.Dataset]]: ...

    def close(self) -> None: ...


class Serial:
    """Runs one after another in this process."""

    name = "serial"

    def __init__(self, scenarios: Sequence[Scenario]) -> None:
        self.scenarios = scenarios
        self.workers = 1
        _prepare(scenarios)

    def run(
        self,
        tasks: Sequence[Task],
        seed: int,
        fixed: Mapping[str, float] | None = None,
        fixed_by_task: Mapping[Task, Mapping[str, float]] | None = None,
    ) -> Iterator[tuple[Task, xr.Dataset]]:
        for task in tasks:
            try:
                result = run_task(task, seed, self.scenarios, _held(task, fixed, fixed_by_task))
            except SystemError as error:
                interrupt = interrupt_behind(error)
                if interrupt is None:
                    raise
                raise interrupt from None  # Ctrl-C in a compiled kernel: an interrupt still
            yield task, result

    def close(self) -> None:
        pass


class ProcessPool:
    """A pool of local worker processes (spawned, so no state is inherited by accident)."""

    name = "process-pool"

    def __init__(
        self, scenarios: Sequence[Scenario], workers: int | None = None, retries: int = 2
    ) -> None:
        self.scenarios = scenarios
        self.workers = workers or os.cpu_count() or 1
        self.retries = retries
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_prepare,
            initargs=(self.scenarios,),
        )

    def run(
        self,
        tasks: Sequence[Task],
        seed: int,
        fixed: Mapping[str, float] | None = None,
        fixed_by_task: Mapping[Task, Mapping[str, float]] | None = None,
    ) -> Iterator[tuple[Task, xr.Dataset]]:
        attempts = dict.fromkeys(tasks, 0)
        waiting = list(tasks)
        running: dict[Future[xr.Dataset], Task] = {}
        while waiting or running:
            # keep a few runs queued per worker: enough to stay busy, few to redo on a crash
            while waiting and len(running) < 2 * self.workers:
                task = waiting.pop(0)
                attempts[task] += 1
                held = _held(task, fixed, fixed_by_task)
                running[self._pool.submit(run_task, task, seed, None, held)] = task
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            broken = False
            for future in finished:
                task = running.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    self._retry(task, attempts, waiting)
                    continue
                yield task, result
            if broken:
                # every run still in the pool was lost with it: rebuild and submit them again
                for future, task in running.items():
                    future.cancel()
                    self._retry(task, attempts, waiting)
                running.clear()
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._start()

    def _retry(self, task: Task, attempts: dict[Task, int], waiting: list[Task]) -> None:
        if attempts[task] > self.retries:
            raise RunFailed(
                f"run {task[1]} of scenario {self.scenarios[task[0]].name} was lost with its "
                f"worker {attempts[task]} times"
            )
        waiting.insert(0, task)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


# Our own LocalCluster shares the machine's cores with its runs, so its housekeeping is
# kept rare: no statistical profiler sampling every 10 ms (about 5% of a run on two cores),
# the event-loop health check every second instead of every 20 ms, memory checks every
# second instead of every 100 ms, and the dashboard's system samples every 5 s. An existing
# cluster keeps its own settings.
QUIET_LOCAL_CLUSTER = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}


class DaskBackend:
    """Dask distributed: a LocalCluster, or a running cluster at ``address``."""

    name = "dask"

    def __init__(
        self,
        scenarios: Sequence[Scenario],
        address: str | None = None,
        workers: int | None = None,
        retries: int = 2,
    ) -> None:
        from dask.distributed import Client, LocalCluster

        self.scenarios = scenarios
        self.retries = retries
        self._cluster: Any = None
        if address is None or address == "local":
            import dask

            with dask.config.set(QUIET_LOCAL_CLUSTER):
                self._cluster = LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
            self._client = Client(self._cluster)
        else:
            import dask
            from dask.utils import parse_timedelta

            from .scheduler import CONNECT_SECONDS, probe

            # how long to try: Dask's own setting when shorter, else CONNECT_SECONDS
            configured = dask.config.get("distributed.comm.timeouts.connect")
            seconds = min(float(parse_timedelta(configured, "s") or 0) or 1e9, CONNECT_SECONDS)
            problem = probe(address, seconds)
            if problem is not None:
                raise BackendUnavailable(_unreachable(address, problem))
            try:
                self._client = Client(address, timeout=seconds)
            # what a service on the far side sends is not fundsim's bug, whatever Dask
            # raises reading it (OSError, TimeoutError, ValueError, MemoryError for a
            # frame length read from another protocol, msgpack's errors)
            except Exception as error:
                reason = (str(error).splitlines() or [""])[0][:160] or type(error).__name__
                raise BackendUnavailable(_unreachable(address, reason)) from error
        scheduler = self._client.scheduler
        assert scheduler is not None  # a connected client has one
        self.address = scheduler.address
        self.workers = max(len(self._client.scheduler_info()["workers"]), 1)
        self._client.run(keep_freed_memory_on_worker)
        self._scenarios = self._client.scatter(list(scenarios), broadcast=True)

    def run(
        self,
        tasks: Sequence[Task],
        seed: int,
        fixed: Mapping[str, float] | None = None,
        fixed_by_task: Mapping[Task, Mapping[str, float]] | None = None,
    ) -> Iterator[tuple[Task, xr.Dataset]]:
        """Runs go to Dask in small chunks of one scenario (and one set of held values): a task per run costs the
        scheduler more than the run on a small machine; about ten chunks per worker keep
        every worker busy. The last few runs go one per task, so no worker idles through
        the last chunk of another (up to 8 runs: 2.6 s of a 2-core batch)."""
        from dask.distributed import as_completed

        size = max(1, min(8, len(tasks) // (10 * self.workers)))
        ordered = sorted(tasks)  # scenario by scenario, so chunks fill up
        tail = len(ordered) - min(len(ordered), 4 * self.workers)
        chunks: list[list[Task]] = []
        for k, task in enumerate(ordered):
            same = chunks and chunks[-1][0][0] == task[0]
            if same and fixed_by_task is not None:  # a chunk holds one set of held values
                same = fixed_by_task.get(chunks[-1][0]) == fixed_by_task.get(task)
            if k < tail and chunks and len(chunks[-1]) < size and same:
                chunks[-1].append(task)
            else:
                chunks.append([task])
        futures = {}
        for chunk in chunks:
            first = chunk[0]
            held = _held(first, fixed, fixed_by_task)
            future = self._client.submit(
                _dask_chunk,
                [run for _, run in chunk],
                seed,
                self._scenarios[first[0]],
                dict(held or {}),
                key=f"fundsim-runs-{first[0]}-{first[1]}-{len(chunk)}-{seed}-{_key(held)}",
                retries=self.retries,
                pure=False,
            )
            futures[future] = chunk
        for future in as_completed(futures):
            chunk = futures[future]
            try:
                results = future.result()
            except InputError:  # the scenario's fault (e.g. money beyond the ledger): exit 2
                raise
            except Exception as error:
                runs = ", ".join(str(r) for _, r in chunk)
                raise RunFailed(
                    f"runs {runs} of scenario {self.scenarios[chunk[0][0]].name} failed: {error}"
                ) from error
            future.release()
            yield from zip(chunk, results, strict=True)

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def _unreachable(address: str, reason: str) -> str:
    return (
        f"cannot reach the Dask scheduler at {shown_path(address)}: {reason}; start it, fix "
        "--scheduler (tcp://HOST:PORT or 'local') or DASK_SCHEDULER_ADDRESS, or leave both out "
        "to run on a local process pool (无法连接Dask调度器)"
    )


def _held(
    task: Task,
    fixed: Mapping[str, float] | None,
    fixed_by_task: Mapping[Task, Mapping[str, float]] | None,
) -> Mapping[str, float] | None:
    """The values held in ``task``'s run: its own (a sensitivity design point), or the
    batch's (a calibration trial)."""
    if fixed_by_task is not None and task in fixed_by_task:
        return {**(fixed or {}), **fixed_by_task[task]}
    return fixed


def keep_freed_memory_on_worker() -> bool:
    from ..sim.allocator import keep_freed_memory

    return keep_freed_memory()


def _dask_chunk(
    runs: Sequence[int], seed: int, scenario: Scenario, fixed: Mapping[str, float]
) -> list[xr.Dataset]:
    from .evaluate import simulate

    return [simulate(scenario, run=run, seed=seed, fixed=fixed or None) for run in runs]


def _key(fixed: Mapping[str, float] | None) -> str:
    """A short key of a trial's fixed values (Dask task keys must differ between trials)."""
    import hashlib

    text = repr(sorted((fixed or {}).items()))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def make_backend(
    scenarios: Sequence[Scenario], workers: int | None, scheduler: str | None
) -> Backend:
    """The backend the command line asked for.

    ``scheduler`` (or the ``DASK_SCHEDULER_ADDRESS`` environment variable) selects Dask;
    otherwise ``workers == 1`` runs serially and anything else uses a local process pool.
    """
    if scheduler is not None and not scheduler.strip():
        raise BackendUnavailable(
            f"--scheduler {scheduler!r}: an empty address; give tcp://HOST:PORT (e.g. "
            "tcp://10.0.0.5:8786) or 'local', or leave --scheduler out to run on a local "
            "process pool"
        )
    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    if address is not None:
        return DaskBackend(scenarios, address=address, workers=workers)
    if workers == 1:
        return Serial(scenarios)
    return ProcessPool(scenarios, workers=workers)
