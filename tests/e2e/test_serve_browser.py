"""The workbench in a real browser (issue 19): Debian's Chromium driven by Playwright,
headless, offline. Load the page, run a small batch, set a lever out of range (the located
message beside it), set it right, see the comparison and its charts; every request goes to
127.0.0.1. Skipped, saying why, where Chromium or Playwright is not installed."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed here")
if CHROMIUM is None:
    pytest.skip(
        "no Chromium here (Debian: apt-get install chromium); the browser tests need it",
        allow_module_level=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, bench_baseline) -> str:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("browser")
    bench_baseline(folder)
    port = free_port()
    env = {**__import__("os").environ, "FUNDSIM_ALLOW_OUTSIDE": str(ROOT)}
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
        stderr=subprocess.PIPE,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/"
    process.terminate()
    process.wait(timeout=10)


def test_the_page_runs_a_batch_compares_a_lever_and_stays_local(
    server: str, tmp_path: Path
) -> None:
    requested: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.on("request", lambda r: requested.append(r.url))
        page.goto(server)
        assert page.inner_text("h1") == "基金运行预测工作台"
        page.wait_for_selector("#baseline option", state="attached")  # the scenarios listed
        page.fill("#runs", "4")
        page.click("#run")
        page.wait_for_selector("#result:not([hidden])", timeout=120_000)
        page.wait_for_function("document.getElementById('fan').complete", timeout=30_000)
        assert page.eval_on_selector("#fan", "img => img.naturalWidth") > 100  # the chart drew
        page.screenshot(path=str(tmp_path / "1-result.png"), full_page=True)
        page.fill('#levers input[data-path="payment.drg.share"]', "85")
        page.fill('#levers input[data-year="payment.drg.share"]', "2023")
        page.click("#make")
        row = '#levers tr[data-path="payment.drg.share"] td.problem'
        page.wait_for_function(f"document.querySelector('{row}').textContent.length > 0")
        assert "outside [0, 1]" in page.inner_text(row)  # validate's message, beside the control
        page.fill('#levers input[data-path="payment.drg.share"]', "0.8")
        page.fill("#name", "drg80")
        page.click("#make")
        page.wait_for_selector("#compare:not([hidden])", timeout=180_000)
        rows = page.eval_on_selector_all("#comparison tr", "rows => rows.length")
        assert rows >= 3  # the header and the two pooled funds
        page.screenshot(path=str(tmp_path / "2-compare.png"), full_page=True)
        page.click("#lang")
        assert page.inner_text("h1") == "Fund forecast workbench"
        browser.close()
    outside = [u for u in requested if not u.startswith(server)]
    assert requested and not outside, outside
