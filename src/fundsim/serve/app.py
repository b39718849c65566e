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

import json
import threading
from pathlib import Path
from typing import Any

from ..results.io import code_digest
from .folder import MAX_LISTED
from .messages import Refused, shown
from .running import MAX_JOBS, MAX_QUEUED, MAX_REQUEST_RUNS, Running
from .stored import WORKBENCH
from .views import CHART_KINDS, chart_svg, summary

__all__ = [
    "CHART_KINDS",
    "MAX_JOBS",
    "MAX_LISTED",
    "MAX_QUEUED",
    "MAX_REQUEST_RUNS",
    "STATIC",
    "WORKBENCH",
    "Refused",
    "Workbench",
    "chart_svg",
    "summary",
]

STATIC = Path(__file__).resolve().parent / "static"


class Workbench(Running):
    """The folder, its batches and the jobs running them, and what the page shows of them."""

    def __init__(self, folder: Path, workers: int | None = None) -> None:
        super().__init__(folder, workers)
        self.drawing = threading.Lock()  # matplotlib's pyplot is not thread-safe
        self.reports: dict[tuple[str, str], threading.Lock] = {}

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
