"""``fundsim serve``: a local web workbench over a folder of scenarios (issue 19).

Starlette (an ASGI toolkit) serves one page and a JSON API; uvicorn runs it. Every asset
(the page, its script and style) is fundsim's own and every chart is drawn by fundsim's own
chart code as SVG, so the page requests nothing outside the server: it works on a bureau's
network with no internet. Scenario files are read and written only inside the chosen folder;
batches run on the same code as ``fundsim compare`` (same scenarios, seed and runs: the same
numbers, bit for bit). Every run is kept under ``FOLDER/.workbench/runs/`` by its scenario's
SHA-256 (of every file it reads), the seed, the run's number and a digest of fundsim's code
(:func:`~fundsim.results.io.code_digest`): a run's numbers depend on nothing else (common
random numbers), so a batch takes the runs it finds there and runs only the others. The
baseline's runs serve every comparison with it, 200 runs after 100 run 100 more, and a stored
batch of the folder (``fundsim run`` output) lends its runs when the same code ran it. A
finished batch is kept under ``FOLDER/.workbench/KEY`` (its scenarios, seed and runs), so a
second look costs nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..results.io import MANIFEST, code_digest
from ..results.store import RUNS, TEMPLATE, RunStore
from ..source.diagnostics import InputError, ScenarioError

STATIC = Path(__file__).resolve().parent / "static"
WORKBENCH = ".workbench"
MAX_RUNS = 2000
KEPT_RESULTS = 4  # results files held in memory (a 100-run Nanchuan batch: about 10 MB)
CHART_KINDS = ("fan", "depletion", "warnings", "compare", "waterfall", "income-expenditure")


class Refused(Exception):
    """A request the workbench will not do (outside the folder, bad input): a 400 with the
    message, never a traceback."""


@dataclass
class Job:
    """A batch running (or done) in a worker thread."""

    id: str
    key: str
    total: int
    done: int = 0
    state: str = "running"  # running, done, failed
    error: str = ""
    cached: int = 0  # runs found in the workbench's run cache


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
            with self.lock:  # one thread makes a cache's template
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
        self.workers = workers
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.drafts = self.folder / WORKBENCH / "drafts"  # the scenarios the levers make
        self.opened: dict[str, Path] = {}  # stored batches listed, by key
        self.loaded: dict[Path, tuple[int, Any]] = {}  # results read, by file: (mtime, Dataset)

    # --- files ------------------------------------------------------------------------------

    def inside(self, name: str, drafts: bool = False) -> Path:
        """The file ``name`` (relative to the folder) if it lies inside it (and not among the
        workbench's own files, but for its drafts when ``drafts``); else refused."""
        path = (self.folder / name).resolve()
        allowed = path.is_relative_to(self.folder) and (
            not path.is_relative_to(self.folder / WORKBENCH)
            or (drafts and path.parent == self.drafts)
        )
        if not allowed:
            raise Refused(f"{name}: outside the workbench's folder {self.folder}")
        return path

    def scenarios(self) -> list[dict[str, Any]]:
        """Every scenario YAML under the folder (not the workbench's own): name, titles,
        and whether it loads."""
        from ..scenario.loader import load_scenario

        found = []
        for path in sorted(self.folder.rglob("*.yaml")):
            relative = path.relative_to(self.folder)
            if WORKBENCH in relative.parts or relative.parts[0].startswith("."):
                continue
            entry: dict[str, Any] = {"file": relative.as_posix()}
            try:
                s = load_scenario(path, [self.folder])
            except ScenarioError as error:
                entry |= {"valid": False, "problems": [p.format() for p in error.errors][:5]}
            except (InputError, OSError, ValueError) as error:
                entry |= {"valid": False, "problems": [str(error)]}
            else:
                entry |= {"valid": True, "name": s.name, "title_zh": s.title.zh,
                          "title_en": s.title.en, "areas": len(s.areas), "sha256": s.sha256}  # fmt: skip
            found.append(entry)
        return found

    # --- batches ----------------------------------------------------------------------------

    def batch_key(
        self, files: list[str], runs: int, seed: int | None
    ) -> tuple[str, list[Any], int]:
        """The batch's key (its scenarios' SHA-256, seed, runs), its scenarios and its seed."""
        from ..scenario.loader import load_scenario

        if not files:
            raise Refused("choose a scenario")
        if not 1 <= runs <= MAX_RUNS:
            raise Refused(f"runs must be from 1 to {MAX_RUNS}, not {runs}")
        scenarios = [load_scenario(self.inside(f, drafts=True), [self.folder]) for f in files]
        seed = scenarios[0].monte_carlo.seed if seed is None else seed
        text = json.dumps([[s.name, s.sha256] for s in scenarios] + [seed, runs, code_digest()])
        return hashlib.sha256(text.encode()).hexdigest()[:20], scenarios, seed

    def place(self, key: str) -> Path:
        """The folder of the batch ``key``: one the workbench ran, or a stored one."""
        if key in self.opened:
            return self.opened[key]
        if not key.isalnum() or key.startswith("s"):
            raise Refused(f"no batch {key!r}")
        return self.folder / WORKBENCH / key

    def stored(self) -> list[dict[str, Any]]:
        """Every batch stored in the folder (a ``results.nc`` beside the manifest fundsim
        wrote: ``fundsim run`` and ``compare`` outputs), newest first: its key, folder,
        scenarios (name and SHA-256), seed and runs."""
        found = []
        for path in self.folder.rglob(MANIFEST):
            relative = path.parent.relative_to(self.folder)
            if WORKBENCH in relative.parts or any(p.startswith(".") for p in relative.parts):
                continue
            try:
                meta = json.loads(path.read_text(encoding="utf-8"))
                scenarios = [{"name": str(n), "sha256": str(s["sha256"])}
                             for n, s in meta["scenarios"].items()]  # fmt: skip
                entry = {"runs": int(meta["runs"]), "seed": int(meta["seed"])}
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue  # not a batch's manifest
            if not (path.parent / "results.nc").is_file():
                continue
            key = "s" + hashlib.sha256(relative.as_posix().encode()).hexdigest()[:19]
            self.opened[key] = path.parent
            found.append({"key": key, "folder": relative.as_posix(), "scenarios": scenarios,
                          "created": str(meta.get("created", "")), **entry})  # fmt: skip
        return sorted(found, key=lambda e: e["created"], reverse=True)

    def adopt(self, key: str) -> int:
        """Keep the runs of the stored batch ``key`` in the run cache, when fundsim's code
        is the same as when it ran (its manifest's digest): a comparison with one of its
        scenarios then runs only the other. How many runs were kept."""
        place = self.place(key)
        meta = json.loads((place / MANIFEST).read_text(encoding="utf-8"))
        if meta.get("fundsim_code") != code_digest():
            return 0  # another version of fundsim: its runs are shown, not reused
        ds = self.read(place / "results.nc")
        extra = [str(c) for c in ds.coords if str(c).startswith("scenario_")]
        ds = ds.drop_vars(extra)
        kept = 0
        for s, name in enumerate(ds["scenario"].values):
            cache = self._cache(str(meta["scenarios"][str(name)]["sha256"]), int(meta["seed"]),
                                code_digest())  # fmt: skip
            done = cache.done(1, ds.sizes["run"])[0] if cache.exists else None
            for r in range(ds.sizes["run"]):
                if done is not None and done[r]:
                    continue
                one = ds.isel(scenario=[s], run=[r])
                with self.lock:
                    if not cache.exists:
                        cache.create(one)
                cache.write(one, 0, r)
                kept += 1
        return kept

    def start(self, files: list[str], runs: int, seed: int | None) -> Job:
        """Run the batch in a thread (or find it done)."""
        key, scenarios, seed = self.batch_key(files, runs, seed)
        total = len(scenarios) * runs
        with self.lock:
            for job in self.jobs.values():
                if job.key == key and job.state == "running":
                    return job
            job = Job(uuid.uuid4().hex[:12], key, total)
            self.jobs[job.id] = job
        if (self.place(key) / "results.nc").exists():
            job.done, job.state = total, "done"
            return job
        threading.Thread(target=self._run, args=(job, scenarios, runs, seed), daemon=True).start()
        return job

    def cache(self, scenario: Any, seed: int) -> RunStore:
        """The store of every run of ``scenario`` with ``seed`` run here so far (scenario
        index 0, the run's number)."""
        return self._cache(scenario.sha256, seed, code_digest())

    def _cache(self, sha256: str, seed: int, code: str) -> RunStore:
        return RunStore(self.folder / WORKBENCH / RUNS / f"{sha256[:24]}-{seed}-{code}")

    def share_runs(self, draft: Path, saved: Path) -> int:
        """Give the runs cached for ``draft`` to ``saved``, the same scenario written
        elsewhere (only its ``extends`` rewritten to reach the same file: the same values,
        so the same numbers; its SHA-256 differs as its text does). How many runs."""
        from ..scenario.loader import load_scenario

        before = load_scenario(draft, [self.folder]).sha256[:24]
        after = load_scenario(saved, [self.folder]).sha256[:24]
        shared = 0
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

    def _seed(self, batch: Any, caches: list[RunStore]) -> int:
        """Start ``batch``'s store from the runs cached for its scenarios (linked, not
        copied: a run file is never changed once written); how many it found."""
        from ..ensemble.batch import PLAN

        found = []
        for s, cache in enumerate(caches):
            if cache.exists:
                found += [(s, int(r), cache) for r in cache.done(1, batch.runs)[0].nonzero()[0]]
        if not found:
            return 0
        store = batch.staging / "store"
        (store / RUNS).mkdir(parents=True)
        shutil.copyfile(found[0][2].path / TEMPLATE, store / TEMPLATE)
        for s, r, cache in found:
            _link(cache.path / RUNS / f"0-{r}.npy", store / RUNS / f"{s}-{r}.npy")
        plan = json.dumps(batch.plan(), indent=2, ensure_ascii=False)
        (batch.staging / PLAN).write_text(plan, encoding="utf-8")
        return len(found)

    def _run(self, job: Job, scenarios: list[Any], runs: int, seed: int) -> None:
        from ..ensemble.backends import make_backend
        from ..ensemble.batch import Batch, run_batch

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

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
            caches = [self.cache(s, seed) for s in scenarios]
            if not batch.staging.exists():
                job.cached = self._seed(batch, caches)
            run_batch(
                batch,
                lambda: Caching(make_backend(scenarios, self.workers, None), caches, self.lock),
                resume=batch.staging.exists(),
                extra=files,
                progress=progress,
            )
            job.state = "done"
        except Exception as error:  # shown beside the button, never as a traceback
            job.state, job.error = "failed", str(error)

    def results(self, key: str, area: str | None = None) -> Any:
        """A finished batch's results: of one area of a city (``area``; by default its
        total, as the report shows first), and the areas it may show (name, zh, en: each area
        and the total; [] for one area)."""
        from ..results.areas import CITY, area_label, area_names, select_area

        path = self.place(key) / "results.nc"
        if not path.exists():
            raise Refused(f"no finished batch {key!r}")
        whole = self.read(path)
        areas = [{"name": a, "zh": area_label(whole, a, "zh"), "en": area_label(whole, a, "en")}
                 for a in area_names(whole) if a != CITY]  # fmt: skip
        if area == CITY:  # the city's own book holds its reserves only, no pooled fund
            raise Refused(f"area {CITY!r} holds the reserves only; choose an area or the total")
        return select_area(whole, area).assign_attrs(  # a new Dataset: the one read stays as read
            workbench_areas=json.dumps(areas, ensure_ascii=False)
        )

    def read(self, path: Path) -> Any:
        """The results file ``path``, read once for every request about it (the page asks
        for a batch's summary and each of its charts; a file replaced since is read again).
        The last few files are kept."""
        from ..results import read_results

        stamp = path.stat().st_mtime_ns
        kept = self.loaded.get(path)
        if kept is None or kept[0] != stamp:
            kept = (stamp, read_results(path))
            self.loaded.pop(path, None)
            self.loaded[path] = kept
            while len(self.loaded) > KEPT_RESULTS:
                self.loaded.pop(next(iter(self.loaded)))
        return kept[1]


# --- what the page shows -------------------------------------------------------------------


def summary(ds: Any) -> dict[str, Any]:
    """The headline, the depletion probabilities and the early warnings of a batch."""
    from ..codes import ALL_ACCOUNT_CODES, labels
    from ..plotting.style import scenario_titles
    from ..results import headline
    from ..results.early_warning import probabilities

    names = [str(s) for s in ds["scenario"].values]
    years = [int(y) for y in ds["year"].values]
    pooled = [f for f in ("uebmi_pool", "urrbmi_pool") if f in ds["fund"].values]
    p = ds.fundsim.prob_depleted()
    out: dict[str, Any] = {
        "areas": json.loads(str(ds.attrs.get("workbench_areas", "[]"))),
        "scenarios": names,
        "titles": {lang: scenario_titles(ds, lang) for lang in ("zh", "en")},
        "funds": {lang: {f: labels(ALL_ACCOUNT_CODES, lang)[f] for f in pooled} for lang in ("zh", "en")},
        "years": years,
        "runs": int(ds.sizes["run"]),
        "depleted": {s: {f: [round(float(v), 4) for v in p.sel(scenario=s, fund=f).values]
                         for f in pooled} for s in names},
        "headline": {lang: {s: headline.explain(ds, lang, scenario=i) for i, s in enumerate(names)}
                     for lang in ("zh", "en")},
    }  # fmt: skip
    shown = ("income", "expenditure", "balance", "reserve_months")
    q = ds.fundsim.quantiles([v for v in shown if v in ds], (0.05, 0.5, 0.95))

    def listed(values: Any) -> list[float | None]:
        return [round(float(v), 2) if math.isfinite(v) else None for v in values]

    out["indicators"] = {  # the key indicators' medians by year, the balance's 5-95% band
        s: {f: {f"{v}_{c}": listed(q[v].sel(scenario=s, fund=f, quantile=at).values)
                for v in q.data_vars for c, at in (("p05", 0.05), ("p50", 0.5), ("p95", 0.95))}
            for f in pooled}
        for s in names
    }  # fmt: skip
    if "warning_level" in ds:
        warned = {}
        for s in names:
            w = probabilities(ds["warning_level"].sel(scenario=s))
            warned[s] = {
                f: {lv: [round(float(v), 4) for v in w.sel(fund=f, level=lv).values]
                    for lv in ("yellow", "orange", "red")}
                for f in pooled
            }  # fmt: skip
        out["warnings"] = warned
    if len(names) > 1:
        from ..results.compare import comparison_table

        table = comparison_table(ds, names[0])
        out["comparison"] = json.loads(table.to_json(orient="records"))
    return out


def chart_svg(ds: Any, kind: str, fund: str, scenario: str | None, lang: str) -> bytes:
    """One chart of the batch as SVG, drawn by the report's own chart code."""
    from ..plotting.figures import figure

    if kind not in CHART_KINDS:
        raise Refused(f"unknown chart {kind!r}; one of {', '.join(CHART_KINDS)}")
    if scenario is not None and scenario not in ds["scenario"].values:
        raise Refused(f"no scenario {scenario!r} in this batch")
    import matplotlib.pyplot as plt

    from ..plotting.style import chart_style

    fig, shown = figure(ds, kind, lang, fund, scenario)
    buffer = io.BytesIO()
    try:
        with chart_style(shown):  # the fonts are found when the figure is drawn
            fig.savefig(buffer, format="svg")
    finally:
        plt.close(fig)
    return buffer.getvalue()
