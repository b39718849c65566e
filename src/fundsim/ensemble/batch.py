"""A Monte Carlo batch: every scenario × every run, on a backend, resumable, written atomically.

Run r of every scenario uses the same seed key (common random numbers, architecture §2), so the
difference between two scenarios in run r is the policy's effect, not noise.

On disk, a batch bound for ``DIR`` works in ``DIR.partial/``:

- ``plan.json`` says what the batch is (scenarios and their SHA-256, seed, runs);
- ``store/`` keeps every finished run as it lands (:class:`~fundsim.results.store.RunStore`);
- ``.lock`` is held (an operating-system lock, released when the process ends however it
  ends) by the one process that writes the batch: a second process on the same ``DIR``
  stops with exit 2 instead of writing into the same store.

When every run is done, the results, manifest, summaries and fan charts are written to
``DIR.partial/final/``, which is renamed to ``DIR`` in one step. A kill at any point leaves
``DIR`` absent (or the previous result, under ``--force``) and the finished runs in
``DIR.partial/``; ``--resume`` checks the finished runs (a damaged one is set aside and run
again) and runs only the missing runs. ``--force`` replaces an earlier ``DIR`` only when
fundsim wrote it and nothing else is in it (:mod:`fundsim.results.places`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import xarray as xr
from filelock import FileLock, Timeout

from ..places import (
    Output,
    OutputError,
    mark,
    missing_folders,
    put_in_place,
    remove_empty,
    signals_held,
)
from ..results.io import RESULTS, manifest, write_manifest, write_netcdf
from ..results.store import RunStore
from ..scenario import assumptions
from ..scenario.loader import Scenario
from ..scenario.paths import display_path
from ..source.diagnostics import InputError
from .backends import Backend
from .progress import ProgressBar

PLAN = "plan.json"
LOCK = ".lock"
MAX_RUNS = 100_000  # per scenario, as monte_carlo.runs
MAX_BATCH_RUNS = 200_000  # scenarios × runs: about 2 GB of results held in memory to finish


class BatchError(InputError):
    """The batch cannot start as asked (an input problem: exit code 2)."""


@dataclass
class Batch:
    """What to run and where the results go."""

    scenarios: Sequence[Scenario]
    runs: int
    seed: int
    out: Path
    argv: Sequence[str] = field(default_factory=list)
    # set once the results are in place at ``out`` (an interrupt after it loses nothing)
    complete: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        names = [s.name for s in self.scenarios]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise BatchError(
                f"scenario name {duplicated[0]!r} is used by more than one file; "
                "give each scenario its own name"
            )
        horizons = {(s.horizon.start, s.horizon.end) for s in self.scenarios}
        if len(horizons) > 1:
            listed = ", ".join(
                f"{s.name} {s.horizon.start}..{s.horizon.end}" for s in self.scenarios
            )
            raise BatchError(
                f"the scenarios of one batch must share their horizon to be compared ({listed})"
            )
        if not 1 <= self.runs <= MAX_RUNS:
            raise BatchError(f"--runs must be from 1 to {MAX_RUNS:,} (got {self.runs:,})")
        if self.runs * len(self.scenarios) > MAX_BATCH_RUNS:
            raise BatchError(
                f"{len(self.scenarios)} scenarios × {self.runs:,} runs is more than one batch "
                f"can hold ({MAX_BATCH_RUNS:,} runs in all); use fewer runs or scenarios"
            )

    @property
    def staging(self) -> Path:
        return self.out.with_name(self.out.name + ".partial")

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]

    @property
    def inputs(self) -> list[str]:
        """Every uncertain parameter drawn in the batch (the ``input__`` variables)."""
        return sorted({p for s in self.scenarios for p in s.uncertainty})

    def plan(self) -> dict[str, Any]:
        return {
            "scenarios": [
                {"name": s.name, "file": display_path(s.file), "sha256": s.sha256}
                for s in self.scenarios
            ],
            "runs": self.runs,
            "seed": self.seed,
        }


def prepare(batch: Batch, force: bool, resume: bool) -> tuple[RunStore, FileLock]:
    """Check the output directory, take the batch's lock, and return the store to fill
    (existing runs kept on ``resume``) with the lock. Raises :class:`BatchError` (or
    :class:`~fundsim.results.places.OutputError`) for anything the user must decide."""
    staging = batch.staging
    Output(batch.out, "batch", force).check()
    created = False
    if not os.path.lexists(staging):
        with contextlib.suppress(FileExistsError):  # another process made it a moment ago
            staging.mkdir(parents=True)
            created = True
    if staging.is_symlink() or not staging.is_dir():
        raise BatchError(
            f"{staging} is not a folder of a fundsim batch; remove it or choose another --out"
        )
    made = not (staging / LOCK).exists()
    lock = _take_lock(staging)
    try:
        if (staging / PLAN).exists():
            if resume:
                saved = _read_plan(staging)
                if not _same_batch(saved, batch.plan()):
                    was, now = _describe(saved), _describe(batch.plan())
                    how = (
                        f"its scenario files have changed since it began ({now})"
                        if was == now
                        else f"it was: {was}; this is: {now}"
                    )
                    raise BatchError(
                        f"{staging} holds an unfinished batch that differs from this one "
                        f"({how}); resume it with the same scenarios, --runs and --seed, or "
                        "pass --force to discard it"
                    )
                return RunStore(staging / "store"), lock
            if not force:
                raise BatchError(
                    f"{staging} holds an unfinished batch; pass --resume to finish it or "
                    "--force to discard it and start again"
                )
        elif any(p.name != LOCK for p in staging.iterdir()) and not force:
            raise BatchError(
                f"{staging} holds files but no batch plan; pass --force to discard it and "
                "start again"
            )
        for entry in staging.iterdir():  # discard, keeping the lock we hold
            if entry.name != LOCK:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        partial = staging / f".{PLAN}.tmp"
        partial.write_text(json.dumps(batch.plan(), indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, staging / PLAN)
    except BaseException:
        if made:  # leave the folder as it was
            (staging / LOCK).unlink(missing_ok=True)
        lock.release()
        if created:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    return RunStore(staging / "store"), lock


def _take_lock(staging: Path) -> FileLock:
    lock = FileLock(staging / LOCK, timeout=0)
    try:
        lock.acquire()
    except (Timeout, OSError):
        raise BatchError(
            f"another fundsim process is writing the batch in {staging}; wait for it to "
            "finish (or stop it), then run the command again (with --resume to continue it)"
        ) from None
    return lock


def _read_plan(staging: Path) -> dict[str, Any]:
    try:
        plan = json.loads((staging / PLAN).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BatchError(
            f"{staging} is not a fundsim batch in progress ({error}); remove it or pass --force"
        ) from None
    if not isinstance(plan, dict):
        raise BatchError(
            f"{staging} is not a fundsim batch in progress (its {PLAN} is not a plan); "
            "remove it or pass --force"
        )
    return plan


def _same_batch(saved: dict[str, Any], plan: dict[str, Any]) -> bool:
    """Whether two plans describe the same batch: the same scenarios (by name and the hash
    of every file they read), runs and seed, wherever the command is run from."""

    def key(p: dict[str, Any]) -> Any:
        scenarios = p.get("scenarios")
        if not isinstance(scenarios, list):
            return None
        return (
            [(s.get("name"), s.get("sha256")) for s in scenarios if isinstance(s, dict)],
            p.get("runs"),
            p.get("seed"),
        )

    return bool(key(saved) == key(plan))


def _describe(plan: dict[str, Any]) -> str:
    scenarios = plan.get("scenarios")
    listed = scenarios if isinstance(scenarios, list) else []
    names = ", ".join(str(s.get("name")) for s in listed if isinstance(s, dict))
    return f"{names} × {plan.get('runs')} runs, seed {plan.get('seed')}"


def execute(
    batch: Batch,
    store: RunStore,
    backend: Backend,
    progress: Callable[[int, int], Any] | None = None,
) -> None:
    """Run every missing run on ``backend`` and write each as it lands.

    ``progress(done, total)`` is called after every run."""
    shape = (len(batch.scenarios), batch.runs)
    done = store.done(*shape)
    if not store.exists and done.all():  # the template was set aside: one run remakes it
        done[0, 0] = False
    tasks = [(s, r) for r in range(batch.runs) for s in range(shape[0]) if not done[s, r]]
    count = int(done.sum())
    if progress is not None:
        progress(count, done.size)
    for (s, r), ds in backend.run(tasks, batch.seed):
        if not store.exists:
            store.create(ds)
        store.write(ds, s, r)
        count += 1
        if progress is not None:
            progress(count, done.size)


def with_scenario_coords(ds: xr.Dataset, scenarios: Sequence[Scenario]) -> xr.Dataset:
    """Each scenario's titles, its description and what it assumes after its last dated values
    (:mod:`fundsim.scenario.assumptions`), and its levers: the files whose ``policy`` changes
    it carries (``|``-joined names). Charts use them for legends in either language and to find the
    chain of levers of a waterfall; its dated policy changes (:mod:`fundsim.scenario.events`,
    JSON) mark their time axes, the URRBMI premium campaign (``MM-DD/MM-DD``) is shaded on
    the monthly cash chart and its note says what share of out-of-area stays is reimbursed
    late (``scenario_out_of_area``: direct share/lag in months, on the first shown day)."""
    from ..scenario import events

    levers = ["|".join(sorted({Path(o.origin.file).name for o in s.overrides})) for s in scenarios]
    lever_titles = []  # each policy file's title, for a waterfall step it adds alone
    for s in scenarios:
        named = {
            Path(o.origin.file).name: [events.short(t.zh), events.short(t.en)]
            for o in s.overrides
            if (t := s.file_titles.get(o.origin.file)) is not None
        }
        lever_titles.append(json.dumps(named, ensure_ascii=False, sort_keys=True))
    campaign, away = [], []
    for s in scenarios:
        day = s.reported_start or s.horizon.start
        window = [s.tree.value(f"contributions.urrbmi.campaign_{k}", day) for k in ("start", "end")]
        campaign.append("/".join(map(str, window)))
        o = "settlement.out_of_area"
        away.append(
            f"{float(s.tree.value(f'{o}.direct_share', day)):g}/"
            f"{float(s.tree.value(f'{o}.reimbursement_lag_months', day)):g}"
        )
    out = ds.assign_coords(
        scenario_events=("scenario", [events.to_json(events.events(s)) for s in scenarios]),
        scenario_campaign=("scenario", campaign),
        scenario_out_of_area=("scenario", away),
        scenario_title_zh=("scenario", [s.title.zh for s in scenarios]),
        scenario_title_en=("scenario", [s.title.en for s in scenarios]),
        scenario_levers=("scenario", levers),
        scenario_lever_titles=("scenario", lever_titles),
        scenario_description_zh=(
            "scenario",
            [s.description.zh if s.description else "" for s in scenarios],
        ),
        scenario_description_en=(
            "scenario",
            [s.description.en if s.description else "" for s in scenarios],
        ),
        scenario_assumptions_zh=("scenario", [assumptions.summary(s, "zh") for s in scenarios]),
        scenario_assumptions_en=("scenario", [assumptions.summary(s, "en") for s in scenarios]),
    )
    table = scenarios[0].region_tables.get("history") if not scenarios[0].areas else None
    if table is not None:  # the actuals, drawn beside the forecast on every chart
        from ..results.actuals import ATTR, encode

        data = [
            (int(r["year"]), str(r["fund"]), str(r["indicator"]), float(r["value"]))
            for r in table.rows()
        ]
        out = out.assign_attrs({ATTR: encode(data)})
    return out


def finish(
    batch: Batch,
    store: RunStore,
    backend: Backend,
    force: bool,
    started: float,
    extra: Callable[[xr.Dataset, Path], None] | None = None,
) -> xr.Dataset:
    """Assemble the finished batch and move it into place atomically."""
    ds = with_scenario_coords(store.load(batch.names, batch.runs, batch.inputs), batch.scenarios)
    final = batch.staging / "final"
    shutil.rmtree(final, ignore_errors=True)
    final.mkdir()
    try:
        digest = write_netcdf(ds, final / RESULTS)
        meta = manifest(
            {s.name: {"file": display_path(s.file), "sha256": s.sha256} for s in batch.scenarios},
            batch.seed,
            batch.runs,
            backend.name,
            batch.argv,
        )
        meta["results_sha256"] = digest  # a results file changed since is told by it
        meta["workers"] = backend.workers
        meta["elapsed_seconds"] = round(time.perf_counter() - started, 1)
        write_manifest(final, meta)
        if extra is not None:
            extra(ds, final)
        mark(final, "batch")
        try:
            # the results in place and the working folder gone, together: a signal waits
            with signals_held():
                put_in_place([(final, Output(batch.out, "batch", force))])
                batch.complete = True
                _remove_staging(batch.staging)
        except OutputError as error:
            raise BatchError(f"while the batch ran: {error}") from None
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)  # only the finished runs stay, for --resume
        raise
    return ds


def kept_runs(batch: Batch) -> int | None:
    """The finished runs an interrupted batch keeps in its working folder for ``--resume``;
    None when it has no working folder (nothing was kept)."""
    if not batch.staging.is_dir():
        return None
    return RunStore(batch.staging / "store").count()


def _remove_staging(staging: Path) -> None:
    """Remove the finished batch's working folder, the lock file last (we hold it)."""
    for entry in staging.iterdir():
        if entry.name != LOCK:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)


def run_batch(
    batch: Batch,
    make_backend: Callable[[], Backend],
    force: bool = False,
    resume: bool = False,
    quiet: bool = True,
    err: TextIO | None = None,
    extra: Callable[[xr.Dataset, Path], None] | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> xr.Dataset:
    """Prepare, run what is missing, and finish a batch; returns its Dataset. ``progress(done,
    total)`` is called as runs land (besides the bar on ``err`` unless ``quiet``)."""
    started = time.perf_counter()
    fresh = not batch.staging.exists()
    made = missing_folders(batch.staging.parent)  # the folders above --out that do not exist

    def discard() -> None:
        """Leave nothing of a new batch that kept no run: no working folder, no folder made."""
        _remove_staging(batch.staging)
        remove_empty(made)

    try:
        store, lock = prepare(batch, force=force, resume=resume)
    except BaseException:
        remove_empty(made)
        raise
    try:
        # damaged files of a store being resumed are set aside; their runs run again
        for aside in store.check(len(batch.scenarios), batch.runs):
            if err is not None:
                print(
                    f"fundsim: warning: {batch.staging / 'store' / aside.name}: {aside.reason}; "
                    f"set aside in {batch.staging / 'store' / 'damaged'}, its run runs again",
                    file=err,
                )
        try:
            backend = make_backend()
        except BaseException:
            if fresh:  # nothing ran: leave no unfinished batch behind
                discard()
            raise
        try:
            bar = _progress_bar(batch, backend, quiet, err)

            def report(done: int, total: int) -> None:
                for each in (bar, progress):
                    if each is not None:
                        each(done, total)

            try:
                execute(batch, store, backend, report)
            except InputError:
                if fresh:  # the scenario cannot run: a new batch leaves nothing behind
                    discard()
                raise
            except KeyboardInterrupt:
                if fresh and store.count() == 0:  # stopped before a run finished: nothing kept
                    discard()
                raise
            finally:
                if bar is not None:
                    bar.close()
            return finish(batch, store, backend, force, started, extra)
        finally:
            backend.close()
    finally:
        lock.release()


def _progress_bar(
    batch: Batch, backend: Backend, quiet: bool, err: TextIO | None
) -> ProgressBar | None:
    if quiet:
        return None
    total = len(batch.scenarios) * batch.runs
    return ProgressBar(total, f"{backend.name} × {backend.workers}", err)
