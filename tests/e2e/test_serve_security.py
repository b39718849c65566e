"""The workbench trusts only its own page, checks stored batches before it uses them, and
bounds its work (issue 28): each class of attack or clumsy request of the review, refused
with a located message in Chinese and English, nothing written, nothing started, nothing
read outside the folder; a positive control beside each refusal (the same request done
right succeeds), so no test passes by refusing everything."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fundsim.cli import main

starlette = pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from fundsim.serve.routes import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BASE = "http://127.0.0.1:8765"
EVIL = "http://evil.example"


def client_of(app: Any, token: str | None = "own") -> TestClient:
    """A client at the workbench's address, with its key (``"own"``), another, or none."""
    key = app.state.token if token == "own" else token
    return TestClient(app, base_url=BASE, headers={} if key is None else {"X-Fundsim-Token": key})


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file and link under ``folder`` with its size and time: what a refusal must leave."""
    out = {}
    for top, _, names in os.walk(folder):
        for name in names:
            path = Path(top) / name
            info = path.lstat()
            out[path.relative_to(folder).as_posix()] = (info.st_size, info.st_mtime_ns)
    return out


def stored_key(name: str) -> str:
    return "s" + hashlib.sha256(name.encode()).hexdigest()[:19]


@pytest.fixture(scope="module")
def allow_root() -> Iterator[None]:
    mp = pytest.MonkeyPatch()
    mp.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))  # the test scenario extends the repository's
    yield
    mp.undo()


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, allow_root: None, bench_baseline) -> Path:  # type: ignore[no-untyped-def]
    """A stored batch of the test scenario, as ``fundsim run`` leaves it (2 runs)."""
    here = tmp_path_factory.mktemp("made")
    bench_baseline(here)
    out = here / "base"
    assert main(["run", str(here / "baseline.yaml"), "--runs", "2", "--seed", "5", "--out",
                 str(out), "--allow-outside", str(ROOT), "--workers", "1", "--quiet"]) == 0  # fmt: skip
    return out


@pytest.fixture
def bench(tmp_path: Path, batch: Path, bench_baseline) -> Path:  # type: ignore[no-untyped-def]
    """A fresh folder with the scenario and a copy of the stored batch in outputs/base."""
    folder = tmp_path / "bench"
    folder.mkdir()
    bench_baseline(folder)
    shutil.copytree(batch, folder / "outputs" / "base")
    return folder


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, batch: Path, bench_baseline) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """One workbench for the tests that change nothing: the folder, a stored batch, a draft."""
    folder = tmp_path_factory.mktemp("shared")
    bench_baseline(folder)
    shutil.copytree(batch, folder / "outputs" / "base")
    (folder / "plans").mkdir()
    app = create_app(folder, workers=1)
    client = client_of(app)
    client.__enter__()  # its batches stopped at the end (lifespan)
    made = client.post("/api/draft", json={"baseline": "baseline.yaml", "name": "ok", "changes": [
        {"path": "payment.drg.share", "date": "2023-01-01", "value": 0.6}]})  # fmt: skip
    assert made.status_code == 200, made.text
    yield folder, app, client
    client.__exit__(None, None, None)


# --- only the workbench's own page ----------------------------------------------------------


def test_a_foreign_origin_can_neither_save_nor_draft_nor_start_a_batch(shared: Any) -> None:
    folder, app, client = shared
    before = snapshot(folder)
    attempts = [
        ("/api/save", {"name": "ok", "as": "baseline.yaml", "force": True}),
        ("/api/save", {"name": "ok", "as": "hacked.yaml"}),
        ("/api/draft", {"baseline": "baseline.yaml", "name": "evil", "changes": []}),
        ("/api/batch", {"files": ["baseline.yaml"], "runs": 2, "seed": 1}),
    ]
    for path, body in attempts:
        text = json.dumps(body)
        # as a page's form or no-cors fetch sends it: text/plain, its Origin, no key
        plain = client_of(app, None).post(path, content=text, headers={
            "Content-Type": "text/plain", "Origin": EVIL})  # fmt: skip
        # even with the key (which a foreign page cannot know) and JSON: its Origin refuses it
        keyed = client.post(path, content=text, headers={"Content-Type": "application/json",
                                                         "Origin": EVIL})  # fmt: skip
        same_site = client.post(path, json=body, headers={"Sec-Fetch-Site": "same-site"})
        for answer in (plain, keyed, same_site):
            assert answer.status_code == 403, (path, answer.text)
            assert "another page" in answer.json()["en"] and "其他网页" in answer.json()["zh"]
        # a CORS preflight is never granted: the JSON fetch of a foreign page never leaves
        preflight = client_of(app, None).options(path, headers={
            "Origin": EVIL, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})  # fmt: skip
        assert preflight.status_code == 403
        assert not [h for h in preflight.headers if h.lower().startswith("access-control")]
    assert snapshot(folder) == before  # nothing saved, nothing drafted, no batch folder
    assert client.get("/api/jobs").json() == []  # no batch started
    # the same request from the page's own origin is done (the refusals above are the Origin's)
    own = client.post("/api/save", json={"name": "ok", "as": "plans/own.yaml"},
                      headers={"Origin": BASE, "Sec-Fetch-Site": "same-origin"})  # fmt: skip
    assert own.status_code == 200, own.text
    (folder / "plans" / "own.yaml").unlink()


def test_another_host_name_is_refused_even_for_the_page(shared: Any) -> None:
    folder, _, client = shared
    text = (folder / "baseline.yaml").read_text(encoding="utf-8")
    for host in ("attacker.example:8765", "attacker.example", "127.0.0.1:9999", "127.0.0.1"):
        for path in ("/", "/static/app.js", "/api/scenario?file=baseline.yaml", "/api/scenarios"):
            answer = client.get(path, headers={"Host": host})
            assert answer.status_code == 400, (host, path)
            assert "own address" in answer.json()["en"] and "small" not in answer.text
        assert client.post("/api/draft", json={}, headers={"Host": host}).status_code == 400
    for host in ("localhost:8765", "[::1]:8765", "LOCALHOST:8765"):  # its own names
        answer = client.get("/api/scenario?file=baseline.yaml", headers={"Host": host})
        assert answer.status_code == 200 and answer.json()["yaml"] == text
    on_lan = create_app(folder, workers=1, host="192.168.7.9", port=9000, public=True)
    lan = TestClient(on_lan, base_url="http://192.168.7.9:9000",
                     headers={"X-Fundsim-Token": on_lan.state.token})  # fmt: skip
    assert lan.get("/api/about").status_code == 200  # the --host given, with its port
    assert lan.get("/api/about", headers={"Host": "192.168.7.9:8765"}).status_code == 400


def test_without_the_key_nothing_is_read_or_done(shared: Any) -> None:
    folder, app, client = shared
    key = stored_key("outputs/base")
    reads = ["/api/about", "/api/scenarios", "/api/scenario?file=baseline.yaml",
             "/api/levers?file=baseline.yaml", "/api/stored", "/api/jobs",
             f"/api/results/{key}", f"/api/results/{key}/download/summary.csv",
             f"/api/results/{key}/chart/fan.svg"]  # fmt: skip
    for token in (None, "wrong", app.state.token[:-1], app.state.token + "x", ""):
        other = client_of(app, token)
        for path in reads:
            answer = other.get(path)
            assert answer.status_code == 403, (token, path)
            assert answer.json()["reason"] == "key" and "baseline" not in answer.text
        for path, body in (("/api/batch", {"files": ["baseline.yaml"]}),
                           ("/api/save", {"name": "ok"}), (f"/api/stored/{key}/open", {})):  # fmt: skip
            assert other.post(path, json=body).status_code == 403
    assert client.get("/api/jobs").json() == [] and not (folder / "ok.yaml").exists()
    for path in reads:  # with the key, every one answers
        assert client.get(path).status_code == 200, path
    # the page itself loads without the key; it holds no data, and says which address to use
    page = client_of(app, None).get("/")
    assert page.status_code == 200 and "fundsim serve" in page.text and 'id="no-token"' in page.text
    for answer in (page, client.get("/api/about"), client_of(app, None).get("/api/about")):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"
        csp = answer.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
    # the messages in the page's language, both without one
    for lang, expected in (("en", "lacks the workbench's key"), ("zh", "缺少工作台密钥")):
        said = client_of(app, None).get("/api/about", headers={"X-Fundsim-Lang": lang}).json()
        assert expected in said["error"] and said["zh"] != said["en"]
    both = client_of(app, None).get("/api/about").json()["error"]
    assert "缺少工作台密钥" in both and "lacks the workbench's key" in both


# --- files outside the folder, stored batches checked ---------------------------------------


def test_links_out_of_the_folder_are_not_followed(bench: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "passwords.csv").write_text("SECRET,hunter2\n", encoding="utf-8")
    shutil.copy(bench / "outputs" / "base" / "results.nc", secret / "results.nc")
    linked = bench / "outputs" / "linked"
    shutil.copytree(bench / "outputs" / "base", linked)
    (linked / "summary.csv").unlink()
    (linked / "summary.csv").symlink_to(secret / "passwords.csv")
    out = bench / "outputs" / "out"
    shutil.copytree(bench / "outputs" / "base", out)
    (out / "results.nc").unlink()
    (out / "results.nc").symlink_to(secret / "results.nc")  # the same bytes: its digest matches
    (bench / "link.yaml").symlink_to(secret / "passwords.csv")
    (bench / "away").symlink_to(secret, target_is_directory=True)
    client = client_of(create_app(bench, workers=1))
    listed = {e["folder"]: e["key"] for e in client.get("/api/stored").json()}
    assert "away" not in listed and set(listed) == {"outputs/base", "outputs/linked", "outputs/out"}
    # a link beside genuine results: the batch shows, the link is not served
    assert client.get(f"/api/results/{listed['outputs/linked']}").status_code == 200
    answer = client.get(f"/api/results/{listed['outputs/linked']}/download/summary.csv")
    assert answer.status_code == 403 and "SECRET" not in answer.text
    assert "outside the folder" in answer.json()["en"] and "文件夹" in answer.json()["zh"]
    base = client.get(f"/api/results/{listed['outputs/base']}/download/summary.csv")
    assert (
        base.status_code == 200
        and base.content == (bench / "outputs/base/summary.csv").read_bytes()
    )
    # results.nc a link out: neither shown, opened, nor downloaded
    for answer in (client.get(f"/api/results/{listed['outputs/out']}"),
                   client.post(f"/api/stored/{listed['outputs/out']}/open", json={}),
                   client.get(f"/api/results/{listed['outputs/out']}/download/results.nc")):  # fmt: skip
        assert answer.status_code == 403 and "results.nc" in answer.json()["en"]
    assert not (bench / ".workbench" / "runs").exists()  # nothing entered the run cache
    for file in ("link.yaml", "away/results.nc"):  # nor read as a scenario
        answer = client.get("/api/scenario", params={"file": file})
        assert answer.status_code == 403 and "SECRET" not in answer.text
    assert [s["file"] for s in client.get("/api/scenarios").json()] == ["baseline.yaml"]


def tamper(place: Path, results: Any = None, **meta: Any) -> None:
    """Change a stored batch: its results file (``results(ds) -> ds`` or bytes), its manifest."""
    import xarray as xr

    if callable(results):
        with xr.open_dataset(place / "results.nc", engine="h5netcdf") as ds:
            changed = results(ds.load())
        (place / "results.nc").unlink()
        changed.to_netcdf(place / "results.nc", engine="h5netcdf")
    elif results is not None:
        (place / "results.nc").write_bytes(results)
    if meta:
        data = json.loads((place / "manifest.json").read_text(encoding="utf-8"))
        for name, value in meta.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value(data) if callable(value) else value
        (place / "manifest.json").write_text(json.dumps(data), encoding="utf-8")


def test_a_stored_batch_changed_by_hand_is_refused_and_lends_no_runs(bench: Path) -> None:
    base = bench / "outputs" / "base"
    original = (base / "results.nc").read_bytes()
    digest = hashlib.sha256

    def tenfold(ds: Any) -> Any:
        return ds.assign(balance=ds["balance"] * 10)

    def renamed(meta: dict[str, Any]) -> dict[str, Any]:
        return {"other": meta["scenarios"]["baseline"]}

    # fmt: off
    cases = {  # folder: (how it was changed, what the message names)
        "tenfold": ({"results": tenfold}, "has changed since fundsim wrote it"),
        "truncated": ({"results": original[: len(original) // 2]}, "has changed"),
        # truncated, and its digest made to match: the file's reading refuses it
        "cut": ({"results": original[:4096],
                 "results_sha256": digest(original[:4096]).hexdigest()}, "cannot be read"),
        "renamed": ({"scenarios": renamed}, "names the scenarios other, but results.nc holds baseline"),
        "more-runs": ({"runs": 3}, "says 3 runs, but results.nc holds 2"),
        "bad-sha": ({"scenarios": {"baseline": {"sha256": "../../../../tmp/x"}}}, "manifest"),
        "bad-digest": ({"results_sha256": "0" * 64}, "has changed since"),
    }
    # fmt: on
    for name, (change, _) in cases.items():
        shutil.copytree(base, bench / "outputs" / name)
        tamper(bench / "outputs" / name, **change)
    client = client_of(create_app(bench, workers=1))
    listed = {e["folder"]: e["key"] for e in client.get("/api/stored").json()}
    for name, (_, said) in cases.items():
        key = listed.get(f"outputs/{name}", stored_key(f"outputs/{name}"))
        for answer in (client.post(f"/api/stored/{key}/open", json={}),
                       client.get(f"/api/results/{key}"),
                       client.get(f"/api/results/{key}/chart/fan.svg"),
                       client.get(f"/api/results/{key}/download/results.nc")):  # fmt: skip
            assert 400 <= answer.status_code < 500 and answer.status_code != 403, (
                name,
                answer.text,
            )
            if name != "bad-sha":  # not listed at all: no batch by that key
                assert said in answer.json()["en"] and "已存结果" in answer.json()["zh"], name
    assert not (bench / ".workbench" / "runs").exists()  # the run cache never saw them
    # an older fundsim's batch (no digest): shown, its runs never reused
    tamper(bench / "outputs" / "base", results_sha256=None)
    older = client.post(f"/api/stored/{listed['outputs/base']}/open", json={}).json()
    assert older["kept"] == 0 and older["verified"] is False and "older fundsim" in older["en"]
    assert client.get(f"/api/results/{listed['outputs/base']}").json()["verified"] is False
    assert not (bench / ".workbench" / "runs").exists()
    # the genuine batch lends its runs (the refusals above are the checks')
    tamper(bench / "outputs" / "base", results_sha256=digest(original).hexdigest())
    assert client.post(f"/api/stored/{listed['outputs/base']}/open", json={}).json()["kept"] == 2
    assert client.get(f"/api/results/{listed['outputs/base']}").json()["verified"] is True


# --- bounded work -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live(folder: Path) -> Iterator[tuple[str, Any]]:
    """The workbench over ``folder`` served by uvicorn in a thread: its address and app."""
    import uvicorn

    port = free_port()
    app = create_app(folder, workers=1, port=port)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(10)


def fetch(url: str, token: str, lang: str = "en") -> tuple[int, bytes, float]:
    """GET ``url`` with the key: status, body, seconds taken."""
    start = time.perf_counter()
    request = urllib.request.Request(
        url, headers={"X-Fundsim-Token": token, "X-Fundsim-Lang": lang}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return status, body, time.perf_counter() - start


def test_a_body_over_the_limit_is_refused_unread(shared: Any) -> None:
    folder, app, client = shared
    token = app.state.token
    large = client.post("/api/draft", content=b" " * (2 * 2**20),
                        headers={"Content-Type": "application/json"})  # fmt: skip
    assert large.status_code == 413 and "at most 1024 KiB" in large.json()["en"]

    import anyio

    async def endless() -> tuple[int, list[Any]]:
        """A body sent in 64 KiB pieces without end and without a length: how many were read."""
        pieces = 0
        sent: list[Any] = []

        async def receive() -> dict[str, Any]:
            nonlocal pieces
            pieces += 1  # 40 pieces (2.5 MiB) at the most, so a server reading on ends
            return {"type": "http.request", "body": b" " * 2**16, "more_body": pieces < 40}

        async def send(message: Any) -> None:
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "POST", "scheme": "http", "path": "/api/draft", "raw_path": b"/api/draft",
                 "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1),
                 "server": ("127.0.0.1", 8765),
                 "headers": [(b"host", b"127.0.0.1:8765"), (b"x-fundsim-token", token.encode()),
                             (b"content-type", b"application/json")]}  # fmt: skip
        await app(scope, receive, send)
        return pieces, sent

    pieces, sent = anyio.run(endless)
    assert sent[0]["status"] == 413 and pieces == 17  # 1 MiB and one piece more, then no more
    with live(folder) as (url, served):
        port = url.rsplit(":", 1)[1]
        with socket.create_connection(("127.0.0.1", int(port))) as s:
            s.settimeout(10)  # the headers say 2 MiB; not a byte of it is sent
            s.sendall(f"POST /api/draft HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      f"X-Fundsim-Token: {served.state.token}\r\nContent-Type: application/json\r\n"
                      "Content-Length: 2097152\r\n\r\n".encode())  # fmt: skip
            answer = s.recv(65536)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_request_answers_while_a_slow_step_works(
    shared: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, _, _ = shared
    import fundsim.reporting.report as report
    from fundsim.serve.app import Workbench

    pause = 2.0

    def slow_report(ds: Any, place: Path, *args: Any, **kwargs: Any) -> None:
        time.sleep(pause)  # on the event loop, this would stop every other answer
        place.mkdir(parents=True)
        (place / "report.docx").write_bytes(b"PK slow")

    slow_load = Workbench.load

    def slow_listing(self: Workbench, path: Path) -> Any:
        time.sleep(pause / 4)
        return slow_load(self, path)

    monkeypatch.setattr(report, "write_report", slow_report)
    monkeypatch.setattr(Workbench, "load", slow_listing)
    key = stored_key("outputs/base")
    with live(folder) as (url, served):
        token = served.state.token
        slow: dict[str, tuple[int, bytes, float]] = {}
        workers = [
            threading.Thread(target=lambda p=p: slow.__setitem__(p, fetch(url + p, token)))
            for p in (f"/api/results/{key}/download/report.docx", "/api/scenarios")
        ]
        for worker in workers:
            worker.start()
        time.sleep(0.3)  # both slow steps under way
        quick = [fetch(url + "/api/about", token) for _ in range(5)]
        for worker in workers:
            worker.join(30)
    assert all(status == 200 for status, _, _ in quick)
    assert max(seconds for _, _, seconds in quick) < 0.5, quick
    report_status, body, took = slow[f"/api/results/{key}/download/report.docx"]
    assert report_status == 200 and body == b"PK slow" and took >= pause
    assert slow["/api/scenarios"][0] == 200 and slow["/api/scenarios"][2] >= pause / 4


def test_queue_limits_and_cancel(bench: Path, allow_root: None) -> None:
    app = create_app(bench, workers=1)
    with client_of(app) as client:  # its batches stopped at the end, whatever happens
        queue_and_cancel(app, client, bench)


def queue_and_cancel(app: Any, client: TestClient, bench: Path) -> None:
    runner = app.state.bench.runner
    too_many = client.post("/api/batch", json={"files": ["baseline.yaml"] * 3, "runs": 2000})
    assert too_many.status_code == 400 and "at most 4,000" in too_many.json()["en"]
    assert too_many.json()["field"] == "runs"
    jobs = []
    try:
        for seed in range(1, 6):  # 5 × 2,000 runs: the whole queue (10,000)
            answer = client.post("/api/batch", json={"files": ["baseline.yaml"], "runs": 2000,
                                                     "seed": seed})  # fmt: skip
            assert answer.status_code == 200, answer.text
            jobs.append(answer.json())
        full = client.post("/api/batch", json={"files": ["baseline.yaml"], "runs": 2000, "seed": 6})
        assert full.status_code == 429, full.text
        assert "10,000" in full.json()["en"] and "10000" in full.json()["zh"]
        for _ in range(300):  # some runs started (each job takes its turn)
            if runner.started >= 5:
                break
            time.sleep(0.05)
    finally:
        for job in jobs:
            assert client.post(f"/api/jobs/{job['id']}/cancel", json={}).status_code == 200
    for _ in range(200):
        states = [client.get(f"/api/jobs/{j['id']}").json() for j in jobs]
        if all(s["state"] == "cancelled" for s in states):
            break
        time.sleep(0.05)
    assert [s["state"] for s in states] == ["cancelled"] * 5, states
    started = runner.started
    time.sleep(0.5)
    assert runner.started == started < 2000  # the queued runs never ran
    # every run that ran is kept in the run cache, and the batch resumes from them
    cache = bench / ".workbench" / "runs"
    kept = sorted(cache.glob("*/runs/*.npy"))
    assert len(kept) == started == sum(s["done"] for s in states)
    again = client.post("/api/batch", json={"files": ["baseline.yaml"], "runs": 2000, "seed": 1})
    first = states[0]["done"]
    for _ in range(100):
        state = client.get(f"/api/jobs/{again.json()['id']}").json()
        if state["cached"]:
            break
        time.sleep(0.05)
    assert state["cached"] == first > 0
    client.post(f"/api/jobs/{again.json()['id']}/cancel", json={})
    assert client.post("/api/jobs/nonesuch/cancel", json={}).status_code == 404


@pytest.mark.slow
def test_every_batch_shares_one_pool_and_gives_the_same_numbers(
    bench: Path, allow_root: None
) -> None:
    """Two batches at once on a pool of two workers: one pool, started once; each run's
    numbers equal those of the run made in this process (as --workers 1 makes it)."""
    from fundsim.ensemble.backends import run_task
    from fundsim.results import read_results
    from fundsim.scenario.loader import load_scenario

    app = create_app(bench, workers=2)
    runner = app.state.bench.runner
    with client_of(app) as client:  # the pool stopped at the end
        jobs = [client.post("/api/batch", json={"files": ["baseline.yaml"], "runs": 3,
                                                "seed": seed}).json() for seed in (11, 12)]  # fmt: skip
        for _ in range(600):
            jobs = [client.get(f"/api/jobs/{j['id']}").json() for j in jobs]
            if all(j["state"] not in ("queued", "running") for j in jobs):
                break
            time.sleep(0.1)
        assert [j["state"] for j in jobs] == ["done", "done"], jobs
        assert runner.pools == 1 and runner.started == 6 and runner.pool._max_workers == 2
    scenario = load_scenario(bench / "baseline.yaml", [bench])
    for job, seed in zip(jobs, (11, 12), strict=True):
        ds = read_results(bench / ".workbench" / job["key"])
        for run in range(3):
            mine = run_task((0, run), seed, [scenario])
            for name in mine.data_vars:
                pooled = ds[name].isel(scenario=[0], run=[run]).values
                assert np.array_equal(pooled, mine[name].values, equal_nan=True), name


# --- malformed requests: a 4xx naming the field, never a 500 ----------------------------------

DEEP = ("[" * 10_000 + "]" * 10_000).encode()
OK = {"files": ["baseline.yaml"], "runs": 2}


def body(**changes: Any) -> bytes:
    return json.dumps({**OK, **changes}).encode()


# fmt: off
MALFORMED = [  # (method, path, body, status, what the English message holds)
    ("POST", "/api/batch", b"not json", 400, "not JSON"),
    ("POST", "/api/batch", b"", 400, "no body"),
    ("POST", "/api/batch", b"\xff\xfe", 400, "not UTF-8"),
    ("POST", "/api/batch", b"[1, 2]", 400, "not a JSON object"),
    ("POST", "/api/batch", b'"files"', 400, "not a JSON object"),
    ("POST", "/api/batch", DEEP, 400, "nested more than 16"),
    ("POST", "/api/batch", body(files=[[[[[[[[[[[[[[[[["a"]]]]]]]]]]]]]]]]]), 400, "nested"),
    ("POST", "/api/batch", body(runs="x"), 400, "runs: must be a whole number"),
    ("POST", "/api/batch", b'{"files": ["baseline.yaml"], "runs": Infinity}', 400, "Infinity"),
    ("POST", "/api/batch", b'{"files": ["baseline.yaml"], "runs": NaN}', 400, "NaN"),
    ("POST", "/api/batch", b'{"files": ["baseline.yaml"], "runs": 1e999}', 400, "1e999"),
    ("POST", "/api/batch", body(runs=1e9), 400, "runs: must be a whole number"),
    ("POST", "/api/batch", body(runs=0), 400, "runs: must be at least 1"),
    ("POST", "/api/batch", body(runs=2001), 400, "runs: must be at most 2000"),
    ("POST", "/api/batch", body(runs=True), 400, "runs: must be a whole number"),
    ("POST", "/api/batch", body(seed=-1), 400, "seed: must be at least 0"),
    ("POST", "/api/batch", body(seed=2**63), 400, "seed: must be at most"),
    ("POST", "/api/batch", body(files="a.yaml"), 400, "files: must be a list"),
    ("POST", "/api/batch", body(files=[]), 400, "files: must hold at least 1"),
    ("POST", "/api/batch", body(files=["a.yaml"] * 5), 400, "files: must hold at most 4"),
    ("POST", "/api/batch", body(runz=3), 400, "runz: is not a field of this request (its fields: files, runs, seed)"),
    ("POST", "/api/batch", body(files=["../x.yaml"]), 403, "files.0: '../x.yaml' lies outside"),
    ("POST", "/api/batch", body(files=["a\x00.yaml"]), 400, "files.0"),
    ("POST", "/api/batch", body(files=["x" * 600]), 400, "files.0: must be at most 512"),
    ("POST", "/api/batch", body(files=["missing.yaml"]), 404, "files.0: no scenario file"),
    ("POST", "/api/batch", body(files=["calibration.md"]), 400, "not a scenario file"),
    ("POST", "/api/draft", b'{"baseline": "baseline.yaml", "name": "../x"}', 400, "name: '../x' cannot name"),
    ("POST", "/api/draft", b'{"baseline": "baseline.yaml", "name": "x", "changes": "x"}', 400, "changes: must be a list"),
    ("POST", "/api/draft", b'{"baseline": "baseline.yaml", "name": "x", "changes": [{"path": "payment.drg.share", "date": "2023-01-01", "value": [1]}]}', 400, "changes.0.value: must be a number"),
    ("POST", "/api/draft", b'{"baseline": "baseline.yaml", "name": "x", "changes": [{"path": "payment.drg.share", "date": "soon", "value": 1}]}', 400, "YYYY-MM-DD"),
    ("POST", "/api/draft", b'{"baseline": "baseline.yaml", "name": "x", "changes": [{"path": "p", "date": "2023-01-01", "value": 1, "when": 1}]}', 400, "changes.0.when: is not a field of this request (its fields: path, date, value)"),
    ("POST", "/api/draft", b'{"name": "x"}', 400, "baseline: is missing"),
    ("POST", "/api/save", json.dumps({"name": "x" * 65}).encode(), 400, "name: must be at most 64"),
    ("POST", "/api/save", b'{"name": "ok", "as": "nosuch/ok.yaml"}', 404, "the folder nosuch does not exist"),
    ("POST", "/api/save", b'{"name": "ok", "as": "ok.txt"}', 400, "as: 'ok.txt': a scenario is saved as a .yaml"),
    ("POST", "/api/save", b'{"name": "ok", "as": "plans/../ok.yaml"}', 400, "'..'"),
    ("POST", "/api/save", b'{"name": "ok", "as": "ok\\u0000.yaml"}', 400, "control characters"),
    ("POST", "/api/save", b'{"name": "ok", "as": "/tmp/ok.yaml"}', 400, "absolute path"),
    ("POST", "/api/save", b'{"name": "ok", "as": ".workbench/ok.yaml"}', 400, "hidden folder"),
    ("POST", "/api/save", json.dumps({"name": "ok", "as": "x" * 101 + ".yaml"}).encode(), 400, "longer than 100"),
    ("POST", "/api/save", b'{"name": "ok", "force": "yes"}', 400, "force: must be true or false"),
    ("POST", "/api/save", b'{"name": "nodraft"}', 404, "no draft 'nodraft'"),
    ("POST", "/api/stored/{stored}/open", b'{"x": 1}', 400, "x: is not a field"),
    ("POST", "/api/stored/s0000000000000000000/open", b"{}", 404, "no batch"),
    ("POST", "/api/jobs/nonesuch/cancel", b"{}", 404, "no job 'nonesuch'"),
    ("GET", "/api/jobs/nonesuch", None, 404, "no job 'nonesuch'"),
    ("GET", "/api/results/s0000000000000000000", None, 404, "no batch"),
    ("GET", "/api/results/{stored}?area=nowhere", None, 400, "area: no area 'nowhere'"),
    ("GET", "/api/results/{stored}?x=1", None, 400, "unknown query parameter 'x'"),
    ("GET", "/api/results/{stored}/chart/pie.svg", None, 400, "kind: no chart 'pie'"),
    ("GET", "/api/results/{stored}/chart/fan.svg?fund=nofund", None, 400, "fund: no fund 'nofund'"),
    ("GET", "/api/results/{stored}/chart/fan.svg?scenario=other", None, 400, "scenario: no scenario 'other'"),
    ("GET", "/api/results/{stored}/chart/fan.svg?lang=fr", None, 400, "lang: no language 'fr'"),
    ("GET", "/api/results/{stored}/download/secrets.txt", None, 404, "no download 'secrets.txt'"),
    ("GET", "/api/levers?file=baseline.yaml&file=x.yaml", None, 400, "file is given twice"),
    ("GET", "/api/levers?file=baseline.yaml&x=1", None, 400, "unknown query parameter 'x'"),
    ("GET", "/api/levers?file=" + "a" * 600, None, 400, "longer than 512"),
    ("GET", "/api/scenario?file=%00", None, 400, "control characters"),
    ("GET", "/api/nonesuch", None, 404, "no such address"),
    ("PUT", "/api/batch", OK, 405, "method 'PUT' is not served"),
    ("GET", "/api/batch", None, 405, "GET is not taken here"),
]
# fmt: on


@pytest.mark.parametrize(("method", "path", "sent", "status", "said"), MALFORMED)
def test_a_malformed_request_gets_a_located_message(
    shared: Any, method: str, path: str, sent: Any, status: int, said: str
) -> None:
    _, _, client = shared
    path = path.replace("{stored}", stored_key("outputs/base"))
    if isinstance(sent, dict):
        sent = json.dumps(sent).encode()
    answer = client.request(method, path, content=sent, headers={
        "Content-Type": "application/json", "X-Fundsim-Lang": "en"})  # fmt: skip
    assert answer.status_code == status, answer.text
    data = answer.json()
    assert said in data["en"], data["en"]
    assert data["error"] == data["en"] and data["zh"] and data["zh"] != data["en"]
    assert "Traceback" not in answer.text


def test_a_request_that_is_not_json_is_refused_415(shared: Any) -> None:
    _, _, client = shared
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        answer = client.post("/api/batch", content=json.dumps(OK), headers={"Content-Type": kind})
        assert answer.status_code == 415 and "application/json" in answer.json()["en"]
    assert client.get("/api/jobs").json() == []


# --- saving by the output rule ----------------------------------------------------------------


def test_saving_writes_only_its_own_yaml_files(shared: Any) -> None:
    folder, _, client = shared
    mine = folder / "mine.yaml"
    mine.write_text("name: mine  # the planner's own file\n", encoding="utf-8")
    (folder / "link.yaml").symlink_to(mine)
    before = snapshot(folder)
    for target in ("mine.yaml", "link.yaml"):  # never replaced, even with force
        for force in (False, True):
            answer = client.post("/api/save", json={"name": "ok", "as": target, "force": force})
            assert answer.status_code == 409, answer.text
    said = client.post("/api/save", json={"name": "ok", "as": "mine.yaml", "force": True}).json()
    assert "never replaces a file of yours" in said["en"] and "绝不替换" in said["zh"]
    assert "could not" not in said["en"]
    for target in ("calibration.md", ".workbench/x.yaml", "nosuch/x.yaml", "../x.yaml"):
        assert client.post("/api/save", json={"name": "ok", "as": target, "force": True}).status_code in (400, 403, 404)  # fmt: skip
    assert snapshot(folder) == before and not (folder / "nosuch").exists()
    # a draft that no longer loads: nothing written
    draft = folder / ".workbench" / "drafts" / "ok.yaml"
    good = draft.read_text(encoding="utf-8")
    assert good.startswith("# Written by fundsim serve: a draft")
    draft.write_text(good.replace("0.6", "85"), encoding="utf-8")
    before = snapshot(folder)
    bad = client.post("/api/save", json={"name": "ok", "as": "plans/bad.yaml"})
    assert bad.status_code == 400 and "outside [0, 1]" in bad.json()["problems"][0]["message"]
    assert bad.json()["problems"][0]["message"].startswith("plans/bad.yaml:")
    assert snapshot(folder) == before
    draft.write_text(good, encoding="utf-8")
    # a new file in a sub-folder: written with fundsim's mark, and it loads
    saved = client.post("/api/save", json={"name": "ok", "as": "plans/ok.yaml"})
    assert saved.status_code == 200 and saved.json()["file"] == "plans/ok.yaml"
    text = (folder / "plans" / "ok.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Written by fundsim serve on ") and "extends: ../baseline.yaml" in text
    assert client.get("/api/scenario", params={"file": "plans/ok.yaml"}).status_code == 200
    # the workbench's own file: replaced only with force
    assert client.post("/api/save", json={"name": "ok", "as": "plans/ok.yaml"}).status_code == 409
    changed = client.post("/api/draft", json={"baseline": "baseline.yaml", "name": "ok", "changes": [
        {"path": "payment.drg.share", "date": "2023-01-01", "value": 0.7}]})  # fmt: skip
    assert changed.status_code == 200
    again = client.post("/api/save", json={"name": "ok", "as": "plans/ok.yaml", "force": True})
    assert again.status_code == 200
    assert "0.7" in (folder / "plans" / "ok.yaml").read_text(encoding="utf-8")
    assert mine.read_text(encoding="utf-8") == "name: mine  # the planner's own file\n"
    (folder / "plans" / "ok.yaml").unlink()
    (folder / "link.yaml").unlink()
    mine.unlink()


def test_a_full_disk_is_said_not_a_bug(shared: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import fundsim.results.io as io

    _, _, client = shared

    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(io, "write_atomically", full)
    answer = client.post("/api/draft", json={"baseline": "baseline.yaml", "name": "full"})
    assert answer.status_code == 409 and "the disk is full" in answer.json()["en"]
    assert ".workbench/drafts/full.yaml" in answer.json()["en"]
