"""The README's screenshots of the workbench (docs/images/workbench*.png): `fundsim serve` on
the Nanchuan scenarios, the calibrated baseline's 100 runs, then the DRG/DIP share as a path
(50% from 2023, 70% from 2025) compared with it. Needs Playwright and Debian's Chromium
(scripts/install-browser.sh). Run from the repository: python scripts/workbench_screenshots.py
"""

from __future__ import annotations

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


def main() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fundsim",
            "serve",
            str(ROOT / "scenarios" / "nanchuan"),
            "--port",
            str(port),
        ]
    )
    try:
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
            page.fill("#runs", "100")
            page.click("#run")
            page.wait_for_selector("#levers-panel:not([hidden])", timeout=300_000)
            page.wait_for_function("document.getElementById('fan').complete")
            time.sleep(1)
            page.screenshot(path=str(IMAGES / "workbench.png"))
            drg = '#levers tr[data-path="payment.drg.share"]'
            page.fill(f"{drg} input.year", "2023")
            page.fill(f"{drg} input.value", "0.5")
            page.click(f"{drg} button.more")
            page.fill(f"{drg} span.step:nth-of-type(2) input.year", "2025")
            page.fill(f"{drg} span.step:nth-of-type(2) input.value", "0.7")
            page.fill("#name", "drg-path")
            page.click("#make")
            page.wait_for_selector("#compare:not([hidden])", timeout=300_000)
            page.wait_for_function(
                "['difference', 'waterfall'].every(i => document.getElementById(i).complete)"
            )
            time.sleep(1)
            top = page.eval_on_selector(
                "#levers-panel", "e => e.getBoundingClientRect().top + window.scrollY"
            )
            bottom = page.eval_on_selector(
                "#compare", "e => e.getBoundingClientRect().bottom + window.scrollY"
            )
            page.screenshot(path=str(IMAGES / "workbench-compare.png"), full_page=True,
                            clip={"x": 0, "y": top - 10, "width": 1280, "height": bottom - top + 20})  # fmt: skip
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
