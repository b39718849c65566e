"""The workbench's page and JSON API (Starlette), behind its guard (:mod:`~fundsim.serve.guard`).

Every error a planner (or a hostile page) can cause is a 4xx JSON answer with its message in
Chinese and English (:mod:`~fundsim.serve.messages`; for a scenario, the located messages of
``fundsim validate``); the page never receives a traceback. Every step that may take time
(listing the folder, loading scenarios, reading results, drawing charts, writing the report)
runs in a worker thread, never on the event loop, so every request answers while others work.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..places import OutputError, write_failure
from ..source.diagnostics import InputError, ScenarioError
from . import bodies, saving
from .app import (
    MAX_JOBS,
    MAX_LISTED,
    MAX_QUEUED,
    MAX_REQUEST_RUNS,
    STATIC,
    Workbench,
    summary,
)
from .guard import MAX_BODY, Guard, allowed_hosts
from .levers import levers, loaded
from .messages import Refused, language, shown
from .stored import opened_inside, relative

DOWNLOADS = {
    "results.nc": "application/x-netcdf",
    "summary.csv": "text/csv; charset=utf-8",
    "summary.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "comparison.csv": "text/csv; charset=utf-8",
    "comparison.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "report.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
ASSETS = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}


def create_app(
    folder: Path,
    workers: int | None = None,
    public: bool = False,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
) -> Starlette:
    """The workbench over ``folder``, answering at ``host``:``port`` only (the Host check)
    and only to requests carrying ``token`` (a new secret when None: ``app.state.token``);
    ``public``: served on a network address (said on the page); ``workers``: the size of
    its one pool (default: one per core; 1 runs in a thread of the server)."""
    bench = Workbench(folder, workers)
    key = token or secrets.token_urlsafe(32)

    async def parsed(request: Request, model: type[bodies.Model]) -> bodies.Model:
        """The request's body read as ``model`` (a megabyte of JSON takes a while: in a
        worker thread)."""
        return await run_in_threadpool(bodies.read, model, await request.body())

    def lang_of(request: Request) -> str | None:
        return language(request.headers, request.query_params)

    async def refused(request: Request, error: Exception) -> Response:
        lang = lang_of(request)
        if isinstance(error, Refused):
            return error.response(lang)
        if isinstance(error, ScenarioError):
            found = saving.problems(error, bench.folder)
            first = found[0]["message"] if found else ""
            return Refused(f"invalid scenario: {first}", f"情景无效：{first}",
                           extra={"problems": found}).response(lang)  # fmt: skip
        if isinstance(error, HTTPException):
            if error.status_code == 405:
                return Refused(f"{request.method} is not taken here", f"此地址不接受 {request.method}",
                               status=405).response(lang)  # fmt: skip
            return Refused(
                f"no such address {shown(request.url.path, 80)} in the workbench",
                f"工作台没有地址 {shown(request.url.path, 80)}",
                status=error.status_code if 400 <= error.status_code < 500 else 404,
            ).response(lang)
        if isinstance(error, OSError):  # the disk, not the request: full, read-only, no access
            why = write_failure(error) or error.strerror or str(error)
            where = relative(bench.folder, Path(error.filename)) if error.filename else "a file"
            return Refused(f"{where} could not be read or written ({why})",
                           f"{where} 无法读写（{why}）", status=409).response(lang)  # fmt: skip
        return Refused(str(error), f"输入有误：{error}").response(lang)  # InputError

    async def failed(request: Request, error: Exception) -> Response:
        """A bug: said as one, never a traceback (the server's log keeps it)."""
        return JSONResponse(
            {"error": f"the workbench failed ({type(error).__name__}); this is a bug of fundsim",
             "zh": f"工作台出错（{type(error).__name__}）；这是 fundsim 的缺陷",
             "en": f"the workbench failed ({type(error).__name__}); this is a bug of fundsim"},
            500,
        )  # fmt: skip

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            raise HTTPException(404)
        return FileResponse(STATIC / name, media_type=ASSETS[name])

    async def about(request: Request) -> Response:
        bodies.query(request.query_params, ())
        limits = {"runs": bodies.MAX_RUNS, "files": bodies.MAX_FILES,
                  "batch_runs": MAX_REQUEST_RUNS, "queued_runs": MAX_QUEUED, "jobs": MAX_JOBS,
                  "body_bytes": MAX_BODY, "listed_files": MAX_LISTED}  # fmt: skip
        return JSONResponse({"folder": str(bench.folder), "public": public,
                             "workers": bench.runner.workers, "limits": limits})  # fmt: skip

    async def scenarios(request: Request) -> Response:
        bodies.query(request.query_params, ())
        return JSONResponse(await run_in_threadpool(bench.scenarios))

    async def scenario_levers(request: Request) -> Response:
        q = bodies.query(request.query_params, ("file",))

        def work() -> dict[str, Any]:
            scenario = bench.load(bench.inside(q.get("file", "")))
            return {"file": q["file"], "name": scenario.name, "levers": levers(scenario),
                    "years": [scenario.horizon.start.year, scenario.horizon.end.year]}  # fmt: skip

        return JSONResponse(await run_in_threadpool(work))

    async def scenario_file(request: Request) -> Response:
        """A scenario of the folder, loaded (checked as ``validate`` checks it): its text and
        its changes of the levers."""
        q = bodies.query(request.query_params, ("file",))

        def work() -> dict[str, Any]:
            path = bench.inside(q.get("file", ""))
            scenario = bench.load(path)
            return {"file": q["file"], "name": scenario.name, **loaded(path)}

        return JSONResponse(await run_in_threadpool(work))

    async def stored(request: Request) -> Response:
        bodies.query(request.query_params, ())
        return JSONResponse(await run_in_threadpool(bench.stored))

    async def adopt(request: Request) -> Response:
        """Open a stored batch, checked: its runs join the run cache (when its results are
        the ones fundsim wrote, by the same fundsim)."""
        await parsed(request, bodies.Empty)
        place = request.path_params["key"]
        if not place.startswith("s"):
            raise Refused(f"no stored batch {shown(place)}", f"没有已存结果 {shown(place)}", 404)
        return JSONResponse(await run_in_threadpool(bench.adopt, place))

    async def start(request: Request) -> Response:
        body = await parsed(request, bodies.BatchBody)
        job = await run_in_threadpool(bench.start, body.files, body.runs, body.seed)
        return JSONResponse(job.shown())

    async def jobs(request: Request) -> Response:
        bodies.query(request.query_params, ())
        return JSONResponse([j.shown() for j in list(bench.jobs.values())])

    async def job_state(request: Request) -> Response:
        return JSONResponse(bench.job(request.path_params["job"]).shown())

    async def cancel(request: Request) -> Response:
        await parsed(request, bodies.Empty)
        return JSONResponse(bench.cancel(request.path_params["job"]).shown())

    async def results(request: Request) -> Response:
        q = bodies.query(request.query_params, ("area", "lang"))

        def work() -> dict[str, Any]:
            return summary(bench.results(request.path_params["key"], q.get("area") or None))

        return JSONResponse(await run_in_threadpool(work))

    async def chart(request: Request) -> Response:
        q = bodies.query(request.query_params, ("fund", "scenario", "area", "lang"))
        svg = await run_in_threadpool(
            bench.chart, request.path_params["key"], request.path_params["kind"],
            q.get("fund", "urrbmi_pool"), q.get("scenario") or None, q.get("lang", "zh"),
            q.get("area") or None,
        )  # fmt: skip
        return Response(svg, media_type="image/svg+xml")

    async def make_draft(request: Request) -> Response:
        """The YAML a change of levers makes, checked as ``fundsim validate`` checks it."""
        body = await parsed(request, bodies.DraftBody)

        def work() -> dict[str, Any]:
            baseline = bench.inside(body.baseline, field="baseline")
            changes = [c.model_dump() for c in body.changes]
            return saving.make_draft(bench, baseline, body.name, changes)

        return JSONResponse(await run_in_threadpool(work))

    async def save(request: Request) -> Response:
        """Save a draft as a scenario file of the folder, by the output rule."""
        body = await parsed(request, bodies.SaveBody)
        file = await run_in_threadpool(saving.save, bench, body.name, body.as_, body.force)
        return JSONResponse({"file": file})

    async def download(request: Request) -> Response:
        what, batch = request.path_params["what"], request.path_params["key"]
        q = bodies.query(request.query_params, ("lang",))
        if what not in DOWNLOADS:
            raise Refused(
                f"no download {shown(what)}; one of {', '.join(DOWNLOADS)}",
                f"没有可下载的 {shown(what)}；可选：{', '.join(DOWNLOADS)}",
                status=404,
            )
        lang = "en" if q.get("lang") == "en" else "zh"

        def work() -> IO[bytes]:
            bench.checked(batch)  # a batch's files are given only when it checks
            place = bench.place(batch)
            path = bench.report(batch, lang) if what == "report.docx" else place / what
            return opened_inside(bench.folder, path)

        handle = await run_in_threadpool(work)
        size = os.fstat(handle.fileno()).st_size
        return StreamingResponse(
            _blocks(handle), media_type=DOWNLOADS[what],
            headers={"Content-Disposition": f'attachment; filename="{what}"',
                     "Content-Length": str(size)},
        )  # fmt: skip

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(bench.close)

    routes = [
        Route("/", page),
        Route("/static/{name}", asset),
        Route("/api/about", about),
        Route("/api/scenarios", scenarios),
        Route("/api/levers", scenario_levers),
        Route("/api/scenario", scenario_file),
        Route("/api/stored", stored),
        Route("/api/stored/{key}/open", adopt, methods=["POST"]),
        Route("/api/batch", start, methods=["POST"]),
        Route("/api/jobs", jobs),
        Route("/api/jobs/{job}", job_state),
        Route("/api/jobs/{job}/cancel", cancel, methods=["POST"]),
        Route("/api/results/{key}", results),
        Route("/api/results/{key}/chart/{kind}.svg", chart),
        Route("/api/results/{key}/download/{what}", download),
        Route("/api/draft", make_draft, methods=["POST"]),
        Route("/api/save", save, methods=["POST"]),
    ]
    handlers: dict[Any, Any] = {Refused: refused, ScenarioError: refused, InputError: refused,
                                OutputError: refused, HTTPException: refused, OSError: refused,
                                Exception: failed}  # fmt: skip
    hosts = allowed_hosts(host, port)
    app = Starlette(
        routes=routes,
        exception_handlers=handlers,
        middleware=[Middleware(Guard, token=key, hosts=hosts)],
        lifespan=lifespan,
    )
    app.state.token, app.state.bench, app.state.hosts = key, bench, hosts
    return app


def _blocks(handle: IO[bytes]) -> Iterator[bytes]:
    """A file's bytes in blocks, the file closed at the end (or when the client leaves)."""
    with handle:
        while block := handle.read(2**20):
            yield block
