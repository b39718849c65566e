"""``fundsim serve`` (issue 19, first part): the workbench's page and API over a folder of
scenarios. The page's assets are fundsim's own and name no outside address; a batch run from
the page gives the numbers `fundsim compare` gives (same scenarios, seed and runs); a lever
set out of range comes back with the located message `validate` gives; files stay inside
the folder. Every request carries the launch's key (test_serve_security.py: what happens
without it)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fundsim.cli import main
from fundsim.results import read_results

starlette = pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from fundsim.serve.app import STATIC  # noqa: E402
from fundsim.serve.routes import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def client_of(folder: Path, **options: object) -> TestClient:
    """A client of the workbench over ``folder`` as its own page is: at its address, with
    its key (one worker unless said)."""
    app = create_app(folder, **{"workers": 1, **options})  # type: ignore[arg-type]
    return TestClient(
        app, base_url="http://127.0.0.1:8765", headers={"X-Fundsim-Token": app.state.token}
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, bench_baseline) -> Path:  # type: ignore[no-untyped-def]
    here = tmp_path_factory.mktemp("bench")
    bench_baseline(here)
    return here


@pytest.fixture(scope="module")
def client(folder: Path) -> TestClient:
    mp = pytest.MonkeyPatch()
    mp.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))  # the test scenario extends the repository's
    with client_of(folder) as client:  # its batches stopped at the end
        yield client
    mp.undo()


@pytest.fixture
def clients() -> Iterator[Callable[..., TestClient]]:
    """Clients of workbenches made in a test, their batches stopped at its end (a thread
    left running inside HDF5 at exit would hang the process)."""
    made: list[TestClient] = []

    def make(folder: Path, **options: object) -> TestClient:
        made.append(client_of(folder, **options))
        return made[-1]

    yield make
    for client in made:
        client.app.state.bench.close()  # type: ignore[attr-defined]


def wait(client: TestClient, job: dict) -> dict:
    for _ in range(600):
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.2)
        job = client.get(f"/api/jobs/{job['id']}").json()
    raise AssertionError("the batch did not finish")


def same_numbers(page: Path, command: Path) -> None:
    """Every variable of the two batches' results equal, value for value (NaN where NaN)."""
    mine, theirs = read_results(page), read_results(command)
    for name in theirs.data_vars:
        assert np.array_equal(mine[name].values, theirs[name].values, equal_nan=True), name


def test_the_page_and_its_assets_name_no_outside_address(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "基金运行预测工作台" in page.text
    names = [p.name for p in STATIC.iterdir() if p.name != "index.html"]
    assets = [page.text] + [client.get(f"/static/{name}").text for name in names]
    for text in assets:
        for url in re.findall(r"(?:https?:)?//[\w.-]+", text):
            assert re.match(r"(?:https?:)?//(127\.0\.0\.1|localhost)\b", url), url
        assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"(?!/)", text)  # local paths only


def test_a_batch_from_the_page_equals_fundsim_compare(
    client: TestClient, folder: Path, tmp_path: Path
) -> None:
    listed = client.get("/api/scenarios").json()
    assert [s["file"] for s in listed if s["valid"]] == ["baseline.yaml"]
    levers = client.get("/api/levers", params={"file": "baseline.yaml"}).json()
    paths = [lever["path"] for lever in levers["levers"]]
    assert "payment.drg.share" in paths and "benefits.urrbmi.inpatient.ratio" in paths
    # a lever out of range: the message validate gives, at its path; nothing run
    bad = client.post("/api/draft", json={"baseline": "baseline.yaml", "name": "bad",
                                          "changes": [{"path": "payment.drg.share", "date": "2023-01-01", "value": 85}]})  # fmt: skip
    assert bad.status_code == 400
    problem = bad.json()["problems"][0]
    assert "payment.drg.share" in problem["path"] and "outside [0, 1]" in problem["message"]
    assert problem["message"].startswith(".workbench/drafts/bad.yaml:")  # file:line, in the folder
    late = client.post("/api/draft", json={"baseline": "baseline.yaml", "name": "late", "changes": [
        {"path": "payment.drg.share", "date": "2040-01-01", "value": 0.5}]})  # fmt: skip
    assert (
        late.status_code == 400 and "outside the horizon" in late.json()["problems"][0]["message"]
    )
    budget = next(lv for lv in levers["levers"] if lv["path"] == "payment.global_budget.enabled")
    assert budget["choices"] == [True, False]  # a yes/no lever is a choice
    made = client.post("/api/draft", json={"baseline": "baseline.yaml", "name": "drg80",
                                           "changes": [{"path": "payment.drg.share", "date": "2023-01-01", "value": 0.8}]})  # fmt: skip
    assert made.status_code == 200, made.text
    assert "extends:" in made.json()["yaml"] and "payment.drg.share" in made.json()["yaml"]
    # the baseline alone first: its runs are kept, and the comparison takes them
    alone = wait(client, client.post("/api/batch", json={"files": ["baseline.yaml"], "runs": 4,
                                                         "seed": 7}).json())  # fmt: skip
    assert alone["state"] == "done" and alone["cached"] == 0, alone
    job = client.post("/api/batch", json={"files": ["baseline.yaml", made.json()["file"]],
                                          "runs": 4, "seed": 7}).json()  # fmt: skip
    job = wait(client, job)
    assert job["state"] == "done" and job["cached"] == 4, job  # only the draft's 4 runs ran
    shown = client.get(f"/api/results/{job['key']}").json()
    # the same scenarios, seed and runs with the command: the same numbers, bit for bit
    saved = client.post("/api/save", json={"name": "drg80"}).json()
    assert (folder / saved["file"]).read_text(encoding="utf-8").startswith("# Written by fundsim")
    out = tmp_path / "cli"
    code = main(["compare", str(folder / "baseline.yaml"), str(folder / saved["file"]), "--runs",
                 "4", "--seed", "7", "--workers", "1", "--quiet", "--out", str(out),
                 "--allow-outside", str(ROOT)])  # fmt: skip
    assert code == 0
    cli = pd.read_csv(out / "comparison.csv", encoding="utf-8-sig")
    page = pd.DataFrame(shown["comparison"])
    for column in ("balance_diff_median", "balance_diff_p05", "p_depleted_scenario"):
        assert page[column].tolist() == cli[column].tolist(), column
    same_numbers(folder / ".workbench" / job["key"], out)  # every run, the cached ones too
    more = wait(client, client.post("/api/batch", json={"files": ["baseline.yaml"], "runs": 6,
                                                        "seed": 7}).json())  # fmt: skip
    assert more["state"] == "done" and more["cached"] == 4  # 6 runs after 4: 2 more ran
    # a second look costs nothing: the same batch is found done
    again = client.post("/api/batch", json={"files": ["baseline.yaml", made.json()["file"]],
                                            "runs": 4, "seed": 7}).json()  # fmt: skip
    assert again["state"] == "done" and again["key"] == job["key"]
    svg = client.get(f"/api/results/{job['key']}/chart/compare.svg", params={"lang": "en"})
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    # a Chinese chart drawn with the Chinese font: no glyph missing (boxes in the browser)
    import warnings

    from fundsim.plotting import style
    from fundsim.serve.app import chart_svg

    if style.cjk_font() is not None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            chart_svg(
                read_results(folder / ".workbench" / job["key"]), "fan", "urrbmi_pool", None, "zh"
            )
        assert not [w for w in caught if "missing from font" in str(w.message)]
    for what in ("results.nc", "summary.csv", "summary.xlsx", "comparison.csv", "comparison.xlsx"):
        assert client.get(f"/api/results/{job['key']}/download/{what}").status_code == 200, what
    table = client.get(f"/api/results/{job['key']}/download/comparison.csv").content
    assert table == (out / "comparison.csv").read_bytes()  # the file the command writes
    report = client.get(f"/api/results/{job['key']}/download/report.docx")
    assert report.status_code == 200 and report.content[:2] == b"PK"  # a Word (zip) file
    # saving never replaces a file unasked
    assert client.post("/api/save", json={"name": "drg80"}).status_code == 409


def test_files_stay_inside_the_folder(client: TestClient) -> None:
    for bad in ("../outside.yaml", "/etc/passwd", ".workbench/drafts/x.yaml"):
        answer = client.get("/api/levers", params={"file": bad})
        assert answer.status_code == 403 and "outside" in answer.json()["en"]
    saved = client.post("/api/save", json={"name": "nope", "as": "../escape.yaml"})
    assert saved.status_code == 404  # no such draft (and the name would be refused too)
    for name in ("../../etc/x", "a/b"):  # a draft's name is a plain name
        assert client.post("/api/save", json={"name": name}).status_code == 400
    assert client.get("/api/results/nonesuch").status_code == 404  # a message, no traceback


def test_the_page_says_when_it_is_served_on_the_network(folder: Path) -> None:
    public = client_of(folder, public=True).get("/api/about").json()
    assert public["public"] is True
    assert client_of(folder).get("/api/about").json()["public"] is False


def test_serve_refuses_a_folder_that_is_not_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_a_city_offers_its_pooling_levers_and_runs_a_draft_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clients: Callable[..., TestClient]
) -> None:
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))
    city = ROOT / "scenarios" / "hengshui" / "baseline.yaml"
    (tmp_path / "city.yaml").write_text(
        f"extends: {city}\nname: city\ntitle: {{zh: 城市, en: city}}\n", encoding="utf-8"
    )
    client = clients(tmp_path)
    levers = {
        lv["path"]: lv
        for lv in client.get("/api/levers", params={"file": "city.yaml"}).json()["levers"]
    }
    mode = levers["pooling.mode"]
    assert mode["value"] == "separate" and mode["choices"] == ["separate", "reserve", "unified"]
    assert levers["pooling.reserve.share"]["upper"] == 0.5
    assert [year for year, _ in levers["payment.drg.share"]["steps"]] == [2021, 2022, 2023]
    bad = client.post("/api/draft", json={"baseline": "city.yaml", "name": "bad", "changes": [
        {"path": "pooling.mode", "date": "2026-01-01", "value": "county"}]})  # fmt: skip
    assert bad.status_code == 400
    assert "separate" in bad.json()["problems"][0]["message"]  # what would be valid
    made = client.post("/api/draft", json={"baseline": "city.yaml", "name": "one-fund", "changes": [
        {"path": "pooling.mode", "date": "2024-01-01", "value": "reserve"},
        {"path": "pooling.mode", "date": "2026-01-01", "value": "unified"},
        {"path": "pooling.reserve.share", "date": "2024-01-01", "value": 0.03}]})  # fmt: skip
    assert made.status_code == 200, made.text
    assert "2026-01-01: unified" in made.json()["yaml"]
    job = wait(client, client.post("/api/batch", json={"files": ["city.yaml", made.json()["file"]],
                                                       "runs": 1, "seed": 3}).json())  # fmt: skip
    assert job["state"] == "done", job
    shown = client.get(f"/api/results/{job['key']}").json()
    assert shown["scenarios"] == ["city", "one-fund"] and shown["comparison"]  # the city's total
    # each area of the city on its own, by its name in either language
    names = [a["name"] for a in shown["areas"]]
    assert names[-1] == "total" and "city" not in names and len(names) == 5
    assert shown["areas"][0]["zh"] != shown["areas"][0]["en"]
    one = client.get(f"/api/results/{job['key']}", params={"area": names[0]}).json()
    assert one["comparison"] and one["indicators"]["city"]["urrbmi_pool"]["balance_p50"]
    assert one["indicators"] != shown["indicators"]  # an area's figures, not the total's
    fan = client.get(f"/api/results/{job['key']}/chart/fan.svg", params={"area": names[0]})
    assert fan.status_code == 200
    for bad in ("city", "nowhere"):
        answer = client.get(f"/api/results/{job['key']}", params={"area": bad})
        assert answer.status_code == 400 and bad in answer.json()["error"]
    assert client.get(f"/api/results/{job['key']}/chart/waterfall.svg").status_code == 200


def test_a_stored_batch_is_shown_and_its_runs_serve_a_comparison(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    bench_baseline,  # type: ignore[no-untyped-def]
    clients: Callable[..., TestClient],
) -> None:
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))
    folder = tmp_path / "bench"
    folder.mkdir()
    bench_baseline(folder)
    allow = ["--allow-outside", str(ROOT), "--workers", "1", "--quiet"]
    stored = folder / "outputs" / "base"
    assert main(["run", str(folder / "baseline.yaml"), "--runs", "3", "--seed", "5",
                 "--out", str(stored), *allow]) == 0  # fmt: skip
    before = sorted(p.relative_to(stored) for p in stored.rglob("*"))
    client = clients(folder)
    [entry] = client.get("/api/stored").json()
    [listed] = [s for s in client.get("/api/scenarios").json() if s["valid"]]
    assert entry["folder"] == "outputs/base" and entry["runs"] == 3 and entry["seed"] == 5
    assert entry["scenarios"][0]["sha256"] == listed["sha256"]  # the page finds its baseline
    shown = client.get(f"/api/results/{entry['key']}").json()
    assert shown["scenarios"] == ["baseline"] and len(shown["indicators"]["baseline"]) == 2
    assert client.post(f"/api/stored/{entry['key']}/open", json={}).json()["kept"] == 3
    made = client.post("/api/draft", json={"baseline": "baseline.yaml", "name": "vbp", "changes": [
        {"path": "payment.procurement.drug_coverage", "date": "2023-01-01", "value": 0.5}]}).json()  # fmt: skip
    assert "file" in made, made
    job = wait(client, client.post("/api/batch", json={"files": ["baseline.yaml", made["file"]],
                                                       "runs": 3, "seed": 5}).json())  # fmt: skip
    assert job["state"] == "done" and job["cached"] == 3, job  # the stored runs, reused
    saved = client.post("/api/save", json={"name": "vbp"}).json()["file"]
    out = tmp_path / "cli"
    assert main(["compare", str(folder / "baseline.yaml"), str(folder / saved), "--runs", "3",
                 "--seed", "5", "--out", str(out), *allow]) == 0  # fmt: skip
    same_numbers(folder / ".workbench" / job["key"], out)  # the stored runs among them
    # the stored batch's report is written in the workbench's folder, not in the planner's
    report = client.get(f"/api/results/{entry['key']}/download/report.docx")
    assert report.status_code == 200 and report.content[:2] == b"PK"
    assert sorted(p.relative_to(stored) for p in stored.rglob("*")) == before
    # a batch another fundsim ran (another code digest) is shown but gives no runs
    import json
    import shutil

    other = folder / "outputs" / "older"
    shutil.copytree(stored, other)
    meta = json.loads((other / "manifest.json").read_text(encoding="utf-8"))
    meta["fundsim_code"] = "0" * 16
    (other / "manifest.json").write_text(json.dumps(meta), encoding="utf-8")
    older = next(e for e in client.get("/api/stored").json() if e["folder"] == "outputs/older")
    assert client.get(f"/api/results/{older['key']}").status_code == 200
    shutil.rmtree(folder / ".workbench" / "runs")  # nothing cached: only the digest refuses
    assert client.post(f"/api/stored/{older['key']}/open", json={}).json()["kept"] == 0
    assert client.post(f"/api/stored/{entry['key']}/open", json={}).json()["kept"] == 3


# --- starting: the address and its key are printed only by a server that listens (issue 28) ---


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_on_a_port_in_use_says_so_and_prints_no_key(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team F1: with the port taken, serve printed its address and key (a page of another
    program), then uvicorn's ERROR, then exited 3."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        code = main(["serve", str(folder), "--port", str(port)])
    captured = capsys.readouterr()
    assert code == 2
    assert f"--port {port}: port {port} is in use" in captured.err and "端口" in captured.err
    assert "token" not in captured.out + captured.err and captured.out == ""


@pytest.mark.parametrize(
    ("host", "said"),
    [
        ("evil.invalid", "--host evil.invalid: no such host or address"),
        ("999.1.1.1", "--host 999.1.1.1: no such host or address"),
        ("192.0.2.1", "--host 192.0.2.1: not an address of this machine"),  # TEST-NET-1
    ],
)
def test_serve_on_a_host_that_is_not_this_machine_says_so(
    folder: Path, capsys: pytest.CaptureFixture[str], host: str, said: str
) -> None:
    code = main(["serve", str(folder), "--host", host, "--port", str(_free_port())])
    captured = capsys.readouterr()
    assert code == 2 and said in captured.err, captured.err
    assert captured.out == "" and "Traceback" not in captured.err


def test_serve_prints_its_address_once_it_listens(folder: Path) -> None:
    """The printed address answers at once: the socket is bound and listening before the
    line is printed (the page is served as soon as the server has started)."""
    import os
    import socket
    import subprocess
    import sys
    import urllib.request

    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "fundsim", "serve", str(folder), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "FUNDSIM_ALLOW_OUTSIDE": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        address = re.search(r"(http://127\.0\.0\.1:\d+/\?token=[\w-]+)", line)
        assert address, line
        socket.create_connection(("127.0.0.1", port), timeout=5).close()  # no retry needed
        with urllib.request.urlopen(address[1], timeout=60) as page:
            assert page.status == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
