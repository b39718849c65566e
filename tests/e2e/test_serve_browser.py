"""The workbench in a real browser (issue 19): Debian's Chromium driven by Playwright,
headless, offline (every request not to the workbench's server refused). Load the page, run a
small batch, set a lever out of range (the located message beside it), set it right and see
the comparison, move it and see the difference chart change, save the scenario, load it back,
download the report; every request goes to 127.0.0.1. Skipped, saying why, where Chromium or
Playwright is not installed (the test command installs both where it can:
scripts/install-browser.sh)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
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


# as the machine's own check starts it: no sandbox (root), and no background connections
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, bench_baseline) -> tuple[str, Path]:  # type: ignore[no-untyped-def]
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
    yield f"http://127.0.0.1:{port}/", folder
    process.terminate()
    process.wait(timeout=10)


def shoot(page, folder: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """A screenshot of the step (kept with the test's files; FUNDSIM_SCREENSHOTS=DIR keeps
    them there too, to look at)."""
    page.screenshot(path=str(folder / name), full_page=True)
    keep = os.environ.get("FUNDSIM_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(keep) / name), full_page=True)


def drawn(page, *selectors: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until each chart <img> has loaded and drawn something."""
    for selector in selectors:
        page.wait_for_function(
            f"(i => i.complete && i.naturalWidth > 100)(document.querySelector('{selector}'))",
            timeout=60_000,
        )


def svg_of(page, selector: str) -> str:  # type: ignore[no-untyped-def]
    """The SVG an <img> of the page shows, fetched again from its address."""
    page.wait_for_function(f"document.querySelector('{selector}').complete")
    return str(
        page.evaluate(f"fetch(document.querySelector('{selector}').src).then(r => r.text())")
    )


def test_the_page_runs_compares_saves_loads_and_downloads_offline(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    url, folder = server
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
        page.goto(url)
        assert page.inner_text("h1") == "基金运行预测工作台"
        page.wait_for_selector("#baseline option", state="attached")  # the scenarios listed
        # 1. a small batch of the baseline: its headline, fan chart and warnings
        page.fill("#runs", "4")
        page.click("#run")
        page.wait_for_selector("#result:not([hidden])", timeout=120_000)
        drawn(page, "#fan", "#depletion")
        baseline_key = page.eval_on_selector("#fan", "i => i.src.split('/')[5]")
        for table in ("#indicators", "#warnings"):  # the header and a row a year
            assert page.eval_on_selector_all(f"{table} tr", "rows => rows.length") == 6
        shoot(page, tmp_path, "1-baseline.png")
        # 2. a lever out of range: validate's message beside the control, nothing run
        drg = '#levers tr[data-path="payment.drg.share"]'
        page.fill(f"{drg} input.value", "85")
        page.fill(f"{drg} input.year", "2023")
        page.click("#make")
        problem = f"{drg} td.problem"
        page.wait_for_function(f"document.querySelector('{problem}').textContent.length > 0")
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
        page.wait_for_function(
            f"document.querySelector('#comparison tr:nth-child(2)') && "
            f"document.querySelector('#comparison tr:nth-child(2)').innerText !== {first_row!r}",
            timeout=180_000,
        )
        assert "2024-01-01: 0.9" in page.inner_text("#yaml")
        drawn(page, "#difference", "#waterfall")
        second = svg_of(page, "#difference")
        assert second != first  # the difference chart moved with the lever
        shoot(page, tmp_path, "4-compare-path.png")
        # 5. save it as a scenario file of the folder
        page.click("#save")
        page.wait_for_function("document.getElementById('saved').textContent.length > 0")
        assert "drg-path.yaml" in page.inner_text("#saved")
        assert (folder / "drg-path.yaml").is_file()
        # 6. a stored batch of the folder (the first batch's files, as `fundsim run` leaves
        # them): opened, its baseline file found by its SHA-256, its runs and seed taken
        first_batch = folder / ".workbench" / baseline_key
        stored = folder / "outputs" / "first"
        stored.mkdir(parents=True)
        for name in ("results.nc", "manifest.json"):
            shutil.copy(first_batch / name, stored / name)
        page.reload()
        page.wait_for_selector("#stored-row:not([hidden])")
        page.select_option(
            "#baseline", "drg-path.yaml"
        )  # another file chosen: the open finds its own
        page.click("#open")
        page.wait_for_selector("#levers-panel:not([hidden])", timeout=60_000)
        assert "outputs/first" in page.inner_text("#status")
        assert page.input_value("#baseline") == "baseline.yaml" and page.input_value("#runs") == "4"
        drawn(page, "#fan", "#depletion")
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
        page.wait_for_function("document.getElementById('fan').src.includes('lang=en')")
        drawn(page, "#fan", "#difference")
        shoot(page, tmp_path, "7-english.png")
        browser.close()
    outside = [u for u in requested if not u.startswith(url)]
    assert requested and not outside, outside
