"""The workbench in a real browser (issue 19): Debian's Chromium driven by Playwright,
headless, offline (every request not to the workbench's server refused). Load the page, run a
small batch, set a lever out of range (the located message beside it), set it right and see
the comparison, move it and see the difference chart change, save the scenario, load it back,
download the report; every request goes to 127.0.0.1, opened at the address `fundsim serve`
printed (its key). Then a page of another origin (a second local server) tries to save, draft
and start a batch through the browser: nothing is saved, drafted or started. Skipped, saying
why, where Chromium or Playwright is not installed (the test command installs both where it
can: scripts/install-browser.sh)."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed here")
if CHROMIUM is None:
    pytest.skip(
        "no Chromium here (Debian: apt-get install chromium); the browser tests need it",
        allow_module_level=True,
    )


# as the machine's own check starts it: no sandbox (root), and no background connections
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """`fundsim serve` running: the address it printed (with its key), its base address,
    its folder, its key and the file its log goes to."""

    address: str
    base: str
    folder: Path
    token: str
    log: Path

    def api(self, path: str) -> Any:
        """GET an API address with the key, as the page does."""
        asked = urllib.request.Request(self.base + path.lstrip("/"),
                                       headers={"X-Fundsim-Token": self.token})  # fmt: skip
        with urllib.request.urlopen(asked, timeout=30) as answer:
            return json.loads(answer.read())

    def post(self, path: str, body: Any) -> Any:
        """POST a JSON body to an API address with the key, as the page does."""
        asked = urllib.request.Request(
            self.base + path.lstrip("/"), data=json.dumps(body).encode(), method="POST",
            headers={"X-Fundsim-Token": self.token, "Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(asked, timeout=60) as answer:
            return json.loads(answer.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, bench_baseline) -> Served:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("browser")
    bench_baseline(folder)
    port = free_port()
    env = {**os.environ, "FUNDSIM_ALLOW_OUTSIDE": str(ROOT)}
    log = folder.parent / f"{folder.name}-serve.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fundsim",
            "serve",
            str(folder),
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),  # read after: a pipe nobody reads would stop the server when full
        text=True,
    )
    assert process.stdout is not None
    printed = process.stdout.readline()  # the address with this launch's key
    address = re.search(r"(http://\S+/\?token=[\w-]+)", printed)
    assert address, printed
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    token = address[1].split("?token=")[1]
    yield Served(address[1], f"http://127.0.0.1:{port}/", folder, token, log)
    process.terminate()
    process.wait(timeout=30)


def shoot(page, folder: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """A screenshot of the step (kept with the test's files; FUNDSIM_SCREENSHOTS=DIR keeps
    them there too, to look at)."""
    page.screenshot(path=str(folder / name), full_page=True)
    keep = os.environ.get("FUNDSIM_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(keep) / name), full_page=True)


def until(page, expression: str, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``expression`` is true in the page. (Playwright's wait_for_function builds
    its test with eval, which the workbench's Content-Security-Policy refuses, as it should;
    evaluate goes through the browser's debugging protocol.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {expression}")
        time.sleep(0.1)


def drawn(page, *selectors: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until each chart <img> shows the chart last asked for, drawn."""
    for selector in selectors:
        until(
            page,
            f"(i => i.dataset.src && i.dataset.drawn === i.dataset.src && i.complete && "
            f"i.naturalWidth > 100)(document.querySelector('{selector}'))",
            60,
        )


def svg_of(page, selector: str) -> str:  # type: ignore[no-untyped-def]
    """The SVG an <img> of the page shows, fetched again from its API address with the
    page's key (the <img> shows it from memory: an <img> cannot send the key)."""
    drawn(page, selector)
    return str(
        page.evaluate(
            f"fetch(document.querySelector('{selector}').dataset.src, {{headers: "
            "{'X-Fundsim-Token': sessionStorage.getItem('fundsim-token')}}).then(r => r.text())"
        )
    )


def test_the_page_runs_compares_saves_loads_and_downloads_offline(
    server: Served, tmp_path: Path
) -> None:
    url, folder = server.base, server.folder
    requested: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 1000}, accept_downloads=True
        )
        # offline: anything not asked of the workbench's own server is refused (and recorded)
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url)
                      else route.abort())  # fmt: skip
        page = context.new_page()
        page.on("request", lambda r: requested.append(r.url))
        page.goto(server.address)
        assert "token" not in page.url  # the key kept by the page, out of the address bar
        assert page.inner_text("h1") == "基金运行预测工作台"
        page.wait_for_selector("#baseline option", state="attached")  # the scenarios listed
        # 1. a small batch of the baseline: its headline, fan chart and warnings
        page.fill("#runs", "4")
        page.click("#run")
        page.wait_for_selector("#result:not([hidden])", timeout=120_000)
        drawn(page, "#fan", "#depletion")
        baseline_key = page.eval_on_selector("#fan", "i => i.dataset.src.split('/')[3]")
        for table in ("#indicators", "#warnings"):  # the header and a row a year
            assert page.eval_on_selector_all(f"{table} tr", "rows => rows.length") == 6
        shoot(page, tmp_path, "1-baseline.png")
        # 2. a lever out of range: validate's message beside the control, nothing run
        drg = '#levers tr[data-path="payment.drg.share"]'
        page.fill(f"{drg} input.value", "85")
        page.fill(f"{drg} input.year", "2023")
        page.click("#make")
        problem = f"{drg} td.problem"
        until(page, f"document.querySelector('{problem}').textContent.length > 0")
        assert "outside [0, 1]" in page.inner_text(problem)
        shoot(page, tmp_path, "2-out-of-range.png")
        # 3. set right: the draft's YAML extends the baseline; compared under common random
        # numbers (the baseline's runs taken from the first batch)
        page.fill(f"{drg} input.value", "0.5")
        page.fill("#name", "drg50")
        page.click("#make")
        page.wait_for_selector("#compare:not([hidden])", timeout=180_000)
        assert "extends: ../../baseline.yaml" in page.inner_text("#yaml")
        assert "4" in page.inner_text("#status")  # "…（其中4次取自已运行结果）"
        drawn(page, "#difference", "#waterfall")
        first = svg_of(page, "#difference")
        first_row = page.inner_text("#comparison tr:nth-child(2)")
        shoot(page, tmp_path, "3-compare-drg50.png")
        # 4. move the lever (a path: 0.5 from 2023, 0.9 from 2024): the difference changes
        page.fill(f"{drg} input.value", "0.5")
        page.click(f"{drg} button.more")
        page.fill(f"{drg} span.step:nth-of-type(2) input.value", "0.9")
        page.fill("#name", "drg-path")
        page.click("#make")
        until(
            page,
            f"document.querySelector('#comparison tr:nth-child(2)') && "
            f"document.querySelector('#comparison tr:nth-child(2)').innerText !== {first_row!r}",
            180,
        )
        assert "2024-01-01: 0.9" in page.inner_text("#yaml")
        drawn(page, "#difference", "#waterfall")
        second = svg_of(page, "#difference")
        assert second != first  # the difference chart moved with the lever
        shoot(page, tmp_path, "4-compare-path.png")
        # 5. save it as a scenario file of the folder
        page.click("#save")
        until(page, "document.getElementById('saved').textContent.length > 0")
        assert "drg-path.yaml" in page.inner_text("#saved")
        assert (folder / "drg-path.yaml").is_file()
        # 6. a stored batch of the folder (the first batch's files, as `fundsim run` leaves
        # them): opened, its baseline file found by its SHA-256, its runs and seed taken
        first_batch = folder / ".workbench" / baseline_key
        stored = folder / "outputs" / "first"
        stored.mkdir(parents=True)
        for name in ("results.nc", "manifest.json"):
            shutil.copy(first_batch / name, stored / name)
        changed = folder / "outputs" / "changed"  # the same, its results changed since
        shutil.copytree(stored, changed)
        meta = json.loads((changed / "manifest.json").read_text(encoding="utf-8"))
        meta["results_sha256"] = "0" * 64
        (changed / "manifest.json").write_text(json.dumps(meta), encoding="utf-8")
        page.reload()
        page.wait_for_selector("#stored-row:not([hidden])")
        key = "s" + hashlib.sha256(b"outputs/changed").hexdigest()[:19]
        page.select_option("#stored", key)
        page.click("#open")  # refused, and said beside the batch
        until(page, "document.getElementById('stored-error').textContent.length > 0")
        assert "被修改过" in page.inner_text("#stored-error") and page.is_hidden("#result")
        page.select_option("#stored", "s" + hashlib.sha256(b"outputs/first").hexdigest()[:19])
        page.select_option(
            "#baseline", "drg-path.yaml"
        )  # another file chosen: the open finds its own
        page.click("#open")
        page.wait_for_selector("#levers-panel:not([hidden])", timeout=60_000)
        assert "outputs/first" in page.inner_text("#status")
        assert page.input_value("#baseline") == "baseline.yaml" and page.input_value("#runs") == "4"
        drawn(page, "#fan", "#depletion")
        assert page.inner_text("#stored-error") == ""
        shoot(page, tmp_path, "5-stored.png")
        # 7. the saved scenario loaded back: its changes fill the controls, compared with the
        # baseline (every run cached: the saved file has its draft's runs)
        page.select_option("#load", "drg-path.yaml")
        page.click("#load-button")
        page.wait_for_selector("#compare:not([hidden])", timeout=60_000)
        values = page.eval_on_selector_all(
            f"{drg} input.value", "inputs => inputs.map(i => i.value)"
        )
        assert values == ["0.5", "0.9"]
        assert "8/8" in page.inner_text("#status") and "其中8次" in page.inner_text("#status")
        assert page.inner_text("#comparison tr:nth-child(2)") != first_row
        drawn(page, "#difference", "#waterfall")
        shoot(page, tmp_path, "6-loaded.png")
        # 8. download the report of what is on the screen
        with page.expect_download(timeout=300_000) as download:
            page.click('#compare a[data-file="report.docx"]')
        saved = tmp_path / "report.docx"
        download.value.save_as(saved)
        with zipfile.ZipFile(saved) as docx:
            text = docx.read("word/document.xml").decode("utf-8")
        assert "drg-path" in text or "工作台方案" in text  # the compared scenario is in it
        page.click("#lang")
        assert page.inner_text("h1") == "Fund forecast workbench"
        assert "baseline (test)" in page.inner_text("#baseline")  # the titles in English
        assert "run before" in page.inner_text("#status")  # "8/8 (4 of them run before)"
        until(page, "document.getElementById('fan').dataset.src.includes('lang=en')")
        drawn(page, "#fan", "#difference")
        shoot(page, tmp_path, "7-english.png")
        # 9. a large batch cancelled from the page: its queued runs never run
        page.fill("#runs", "2000")
        page.click("#run")
        page.wait_for_selector("#cancel:not([hidden])")
        page.click("#cancel")
        until(page, "document.getElementById('status').textContent.startsWith('cancelled')", 60)
        assert page.is_hidden("#cancel")
        cancelled = [j for j in server.api("/api/jobs") if j["total"] == 2000]
        assert [j["state"] for j in cancelled] == ["cancelled"] and cancelled[0]["done"] < 2000
        browser.close()
    outside = [u for u in requested if not u.startswith((url, f"blob:{url}"))]
    assert requested and not outside, outside


# A page of another origin, as any web page the planner visits while the workbench runs: it
# tries, through the browser, to save a draft over a scenario file, to draft, to start a
# batch and to read a scenario: with a text/plain body in no-cors mode (sent, as a form's
# post is), with a JSON body (a CORS preflight, which must not be granted), with a guessed key.
HOSTILE = """<!doctype html><html><head><meta charset="utf-8"><title>waiting</title></head>
<body><pre id="out"></pre><script>
const W = "WORKBENCH";
const bodies = {
  "/api/save": {name: "hostile", as: "hacked.yaml"},
  "/api/draft": {baseline: "baseline.yaml", name: "evil", changes: []},
  "/api/batch": {files: ["baseline.yaml"], runs: 7, seed: 99},
};
const tries = [];
for (const [path, body] of Object.entries(bodies)) {
  const text = JSON.stringify(body);
  tries.push(fetch(W + path, {method: "POST", mode: "no-cors", body: text,
    headers: {"Content-Type": "text/plain"}}).then(r => `${path} text: sent ${r.type}`, e => `${path} text: blocked`));
  tries.push(fetch(W + path, {method: "POST", body: text,
    headers: {"Content-Type": "application/json"}}).then(r => `${path} json: ${r.status}`, e => `${path} json: blocked`));
  tries.push(fetch(W + path, {method: "POST", body: text, headers: {"Content-Type": "application/json",
    "X-Fundsim-Token": "guess"}}).then(r => `${path} key: ${r.status}`, e => `${path} key: blocked`));
}
tries.push(fetch(W + "/api/scenario?file=baseline.yaml").then(r => r.text()).then(
  t => `read: ${t.slice(0, 60)}`, e => "read: blocked"));
// a form's post into a frame: the oldest way, a text/plain body with the page's Origin
const frame = document.createElement("iframe");
frame.name = "sink";
document.body.appendChild(frame);
tries.push(new Promise((resolve) => {
  setTimeout(() => resolve("form: posted"), 2000);
  const form = document.createElement("form");
  form.method = "POST"; form.enctype = "text/plain"; form.target = "sink";
  form.action = W + "/api/save";
  const field = document.createElement("input");
  field.name = '{"name": "hostile", "as": "target.yaml", "force": true, "x": "';
  field.value = '"}';
  form.appendChild(field); document.body.appendChild(form); form.submit();
}));
Promise.all(tries).then((results) => {
  document.getElementById("out").textContent = JSON.stringify(results);
  document.title = "done";
});
</script></body></html>
"""


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under ``folder`` with its inode, size and time."""
    out = {}
    for top, _, names in os.walk(folder):
        for name in names:
            info = (Path(top) / name).lstat()
            out[str(Path(top, name).relative_to(folder))] = (info.st_ino, info.st_size, info.st_mtime_ns)  # fmt: skip
    return out


def test_a_page_of_another_origin_can_neither_save_nor_draft_nor_start_a_batch(
    server: Served, tmp_path: Path
) -> None:
    # what the hostile page goes after: a draft, and a scenario file the workbench saved
    # (replaceable with force by the output rule: only the page's key and origin protect it)
    made = server.post("/api/draft", {"baseline": "baseline.yaml", "name": "hostile", "changes": [
        {"path": "payment.drg.share", "date": "2023-01-01", "value": 0.55}]})  # fmt: skip
    assert made["file"] == ".workbench/drafts/hostile.yaml"
    assert server.post("/api/save", {"name": "hostile", "as": "target.yaml"}) == {"file": "target.yaml"}  # fmt: skip
    before, jobs = snapshot(server.folder), server.api("/api/jobs")
    served = tmp_path / "hostile"
    served.mkdir()
    (served / "index.html").write_text(
        HOSTILE.replace("WORKBENCH", server.base.rstrip("/")), "utf-8"
    )

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args: Any) -> None:
            pass

    hostile = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=hostile.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{hostile.server_address[1]}"
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page()
            page.goto(origin + "/index.html")
            until(page, "document.title === 'done'")
            tried = json.loads(page.inner_text("#out"))
            # the workbench's own address without its key: the page says which one to use
            bare = browser.new_page()
            bare.goto(server.base)
            bare.wait_for_selector("#no-token:not([hidden])")
            assert "fundsim serve" in bare.inner_text("#no-token")
            assert bare.is_hidden("#setup")
            browser.close()
    finally:
        hostile.shutdown()
    for path in ("/api/save", "/api/draft", "/api/batch"):
        # the text/plain post is sent (its answer, refused, is not the page's to read)
        assert f"{path} text: blocked" in tried or f"{path} text: sent opaque" in tried
        assert f"{path} json: blocked" in tried  # the preflight was not granted
        assert f"{path} key: blocked" in tried
    assert "read: blocked" in tried and "form: posted" in tried
    # nothing saved, drafted, replaced or started
    assert snapshot(server.folder) == before
    assert not (server.folder / "hacked.yaml").exists()
    assert server.api("/api/jobs") == jobs
    # the requests did reach the workbench, and were refused there (its log says so)
    log = server.log.read_text(encoding="utf-8")
    for path, posts in (
        ("/api/save", 2),
        ("/api/draft", 1),
        ("/api/batch", 1),
    ):  # save: the form's too
        refused = f"refused POST {path} (Host '127.0.0.1:{server.base.split(':')[2].strip('/')}', Origin '{origin}')"  # fmt: skip
        assert log.count(refused) == posts, log
        assert log.count(f"refused OPTIONS {path} (Host") == 2  # the JSON fetch, the keyed one
    assert "refused GET /api/scenario (Host '127.0.0.1:" in log
