"""The README's screenshots of the workbench (docs/images/workbench*.png): `fundsim serve` on
the Nanchuan scenarios, the calibrated baseline's 100 runs, then the DRG/DIP share as a path
(50% from 2023, 70% from 2025) compared with it. Needs Playwright and Debian's Chromium
(scripts/install-browser.sh). Run from the repository: python scripts/workbench_screenshots.py
(--out DIR to write them elsewhere, --runs N for a quicker look). The page is opened at the
address `fundsim serve` prints, with its key.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def until(page, expression: str, timeout: float = 300) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``expression`` is true in the page (the page's Content-Security-Policy
    refuses the eval that Playwright's wait_for_function uses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {expression}")
        time.sleep(0.2)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--out", type=Path, default=IMAGES, help="folder of the screenshots")
    options.add_argument("--runs", type=int, default=100, help="runs of the baseline")
    args = options.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fundsim",
            "serve",
            str(ROOT / "scenarios" / "nanchuan"),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        printed = server.stdout.readline()  # the address, with this launch's key
        found = re.search(r"(http://\S+/\?token=[\w-]+)", printed)
        if found is None:
            raise SystemExit(f"fundsim serve printed no address: {printed!r}")
        url = found[1]
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1250})
            page.goto(url)
            page.wait_for_selector("#baseline option", state="attached")
            page.select_option("#baseline", "calibrated.yaml")
            page.fill("#runs", str(args.runs))
            page.click("#run")
            page.wait_for_selector("#levers-panel:not([hidden])", timeout=300_000)
            until(page, "document.getElementById('fan').dataset.drawn !== undefined")
            time.sleep(1)
            page.screenshot(path=str(args.out / "workbench.png"))
            drg = '#levers tr[data-path="payment.drg.share"]'
            page.fill(f"{drg} input.year", "2023")
            page.fill(f"{drg} input.value", "0.5")
            page.click(f"{drg} button.more")
            page.fill(f"{drg} span.step:nth-of-type(2) input.year", "2025")
            page.fill(f"{drg} span.step:nth-of-type(2) input.value", "0.7")
            page.fill("#name", "drg-path")
            page.click("#make")
            page.wait_for_selector("#compare:not([hidden])", timeout=300_000)
            until(
                page,
                "['difference', 'waterfall'].every(i => document.getElementById(i).dataset.drawn)",
            )
            time.sleep(1)
            top = page.eval_on_selector(
                "#levers-panel", "e => e.getBoundingClientRect().top + window.scrollY"
            )
            bottom = page.eval_on_selector(
                "#compare", "e => e.getBoundingClientRect().bottom + window.scrollY"
            )
            page.screenshot(path=str(args.out / "workbench-compare.png"), full_page=True,
                            clip={"x": 0, "y": top - 10, "width": 1280, "height": bottom - top + 20})  # fmt: skip
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
