"""The workbench's page and JSON API (Starlette). Every error a planner can cause is a 400
with its message (and, for a scenario, the located messages of ``fundsim validate``); the
page never receives a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..source.diagnostics import InputError, ScenarioError
from .app import STATIC, WORKBENCH, Refused, Workbench, chart_svg, summary
from .levers import NAME, draft, levers, loaded, moved

DOWNLOADS = {
    "results.nc": "application/x-netcdf",
    "summary.csv": "text/csv",
    "summary.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "comparison.csv": "text/csv",
    "comparison.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "report.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _problems(error: ScenarioError, folder: Path | None = None) -> list[dict[str, Any]]:
    """The located messages of ``error``, each file named relative to ``folder`` (the page's
    folder) when it lies inside it."""
    import dataclasses

    out = []
    for p in error.diagnostics:
        if folder is not None:
            path = Path(p.file).resolve()
            if path.is_relative_to(folder):
                p = dataclasses.replace(p, file=path.relative_to(folder).as_posix())
        out.append({"path": p.path, "line": p.line, "message": p.format(), "severity": p.severity})
    return out


def create_app(folder: Path, workers: int | None = None, public: bool = False) -> Starlette:
    """The workbench over ``folder``; ``public``: served on a network address (said on the
    page)."""
    bench = Workbench(folder, workers)

    async def refused(request: Request, error: Exception) -> Response:
        if isinstance(error, ScenarioError):
            problems = _problems(error, bench.folder)
            return JSONResponse({"error": "invalid scenario", "problems": problems}, 400)
        return JSONResponse({"error": str(error)}, 400)

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    async def about(request: Request) -> Response:
        return JSONResponse({"folder": str(bench.folder), "public": public})

    async def scenarios(request: Request) -> Response:
        return JSONResponse(bench.scenarios())

    async def scenario_levers(request: Request) -> Response:
        from ..scenario.loader import load_scenario

        file = request.query_params.get("file", "")
        scenario = load_scenario(bench.inside(file), [bench.folder])
        return JSONResponse({"file": file, "name": scenario.name, "levers": levers(scenario),
                             "years": [scenario.horizon.start.year, scenario.horizon.end.year]})  # fmt: skip

    async def scenario_file(request: Request) -> Response:
        """A scenario of the folder, loaded (checked as ``validate`` checks it): its text and
        its changes of the levers."""
        from ..scenario.loader import load_scenario

        file = request.query_params.get("file", "")
        path = bench.inside(file)
        scenario = load_scenario(path, [bench.folder])
        return JSONResponse({"file": file, "name": scenario.name, **loaded(path)})

    async def stored(request: Request) -> Response:
        return JSONResponse(bench.stored())

    async def adopt(request: Request) -> Response:
        """Open a stored batch: its runs join the run cache (when the same fundsim ran them)."""
        key = request.path_params["key"]
        if key not in bench.opened:
            bench.stored()
        if key not in bench.opened:
            raise Refused(f"no stored batch {key!r}")
        return JSONResponse({"kept": bench.adopt(key)})

    async def start(request: Request) -> Response:
        body = await request.json()
        files = [str(f) for f in body.get("files", [])]
        runs = int(body.get("runs", 100))
        seed = body.get("seed")
        job = bench.start(files, runs, None if seed in (None, "") else int(seed))
        return JSONResponse(_job(job))

    async def job_state(request: Request) -> Response:
        job = bench.jobs.get(request.path_params["job"])
        if job is None:
            raise Refused("no such job")
        return JSONResponse(_job(job))

    async def results(request: Request) -> Response:
        area = request.query_params.get("area") or None
        return JSONResponse(summary(bench.results(request.path_params["key"], area)))

    async def chart(request: Request) -> Response:
        q = request.query_params
        ds = bench.results(request.path_params["key"], q.get("area") or None)
        svg = chart_svg(ds, request.path_params["kind"], q.get("fund", "urrbmi_pool"),
                        q.get("scenario") or None, q.get("lang", "zh"))  # fmt: skip
        return Response(svg, media_type="image/svg+xml")

    async def make_draft(request: Request) -> Response:
        """The YAML a change of levers makes, checked as ``fundsim validate`` checks it."""
        from ..scenario.loader import load_scenario

        body = await request.json()
        baseline = bench.inside(str(body.get("baseline", "")))
        name = str(body.get("name", "draft"))
        drafts = bench.drafts
        drafts.mkdir(parents=True, exist_ok=True)
        try:
            text = draft(baseline, name, list(body.get("changes", [])), drafts)
        except (ValueError, KeyError) as error:
            raise Refused(str(error)) from None
        final = drafts / f"{name}.yaml"  # its messages name the draft as the planner named it
        final.write_text(text, encoding="utf-8")
        try:
            load_scenario(final, [bench.folder])
        except ScenarioError as error:
            final.unlink(missing_ok=True)
            return JSONResponse({"yaml": text, "problems": _problems(error, bench.folder)}, 400)
        return JSONResponse({"yaml": text, "file": final.relative_to(bench.folder).as_posix()})

    async def save(request: Request) -> Response:
        """Save a draft as a scenario file of the folder (never over another file)."""
        body = await request.json()
        name = str(body.get("name", ""))
        if not NAME.match(name):
            raise Refused(f"name {name!r}: letters, digits, '-' and '_'")
        source = bench.drafts / f"{name}.yaml"
        if not source.is_file():
            raise Refused(f"no draft {name!r}: make it first")
        target = bench.inside(str(body.get("as", f"{name}.yaml")))
        if target.exists() and not body.get("force"):
            raise Refused(f"{target.relative_to(bench.folder)} exists; fundsim does not replace it")
        target.write_text(moved(source, target.parent), encoding="utf-8")
        bench.share_runs(source, target)
        return JSONResponse({"file": target.relative_to(bench.folder).as_posix()})

    async def download(request: Request) -> Response:
        what = request.path_params["what"]
        if what not in DOWNLOADS:
            raise Refused(f"no download {what!r}")
        place = bench.place(request.path_params["key"])
        if what == "report.docx":
            path = _report(
                bench, request.path_params["key"], request.query_params.get("lang", "zh")
            )
        else:
            path = place / what
        if not path.is_file():
            raise Refused(f"{what} is not in this batch")
        return FileResponse(path, media_type=DOWNLOADS[what], filename=what)

    routes = [
        Route("/", page),
        Route("/api/about", about),
        Route("/api/scenarios", scenarios),
        Route("/api/levers", scenario_levers),
        Route("/api/scenario", scenario_file),
        Route("/api/stored", stored),
        Route("/api/stored/{key}/open", adopt, methods=["POST"]),
        Route("/api/batch", start, methods=["POST"]),
        Route("/api/jobs/{job}", job_state),
        Route("/api/results/{key}", results),
        Route("/api/results/{key}/chart/{kind}.svg", chart),
        Route("/api/results/{key}/download/{what}", download),
        Route("/api/draft", make_draft, methods=["POST"]),
        Route("/api/save", save, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers: dict[Any, Any] = {Refused: refused, ScenarioError: refused, InputError: refused,
                                ValueError: refused}  # fmt: skip
    return Starlette(routes=routes, exception_handlers=handlers)


def _job(job: Any) -> dict[str, Any]:
    return {"id": job.id, "key": job.key, "done": job.done, "total": job.total,
            "state": job.state, "error": job.error, "cached": job.cached}  # fmt: skip


def _report(bench: Workbench, key: str, lang: str) -> Path:
    """The batch's report.docx (written once, kept in the workbench's own folder: a stored
    batch's folder is the planner's and is not written to)."""
    from ..reporting.report import read_manifest, write_report

    place = bench.place(key)
    folder = bench.folder / WORKBENCH / "reports" / key / ("en" if lang == "en" else "zh")
    if not (folder / "report.docx").is_file():
        write_report(bench.results(key), folder, lang, formats=("png",), dpi=150,
                     manifest=read_manifest(place), replace=True)  # fmt: skip
    return folder / "report.docx"
