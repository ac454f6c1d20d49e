"""The web app's speed budgets (issue 24), measured in a real browser on this machine.

Starts ``dimension web`` on a free port, drives Debian's chromium with Playwright, and prints:

- the first view of Drammen after the click (the analytic evaluation; budget 3 s);
- the verified recommendation after the click (the simulation's search, with its progress bar);
- a what-if edit until its new cost is on the page (budget 1 s), the median of ``--edits`` edits.

With ``--skjermbilde FIL.png`` it also saves the main page (the README's screenshot).
Run: python benchmarks/web.py [--edits 5] [--skjermbilde reports/examples/web-anbefaling.png]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_web import Server  # noqa: E402 - the suite's own server fixture, started the same way


def main() -> None:
    """Measure and print."""
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--skjermbilde", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(server.url)
                started = time.perf_counter()
                page.click("#drammen")
                page.wait_for_selector("#fordeling", timeout=60_000)
                first = time.perf_counter() - started
                page.wait_for_selector("#status-anbefaling.ferdig", timeout=300_000)
                verified = time.perf_counter() - started
                if args.skjermbilde:
                    page.screenshot(path=str(args.skjermbilde), full_page=False)
                page.click("a.nav-link:has-text('Hva om')")
                page.wait_for_selector("#hvaom-tall")
                cell = "#hvaom-tall tbody tr td:nth-child(3)"
                times = []
                for i in range(args.edits):
                    before = page.eval_on_selector(cell, "c => c.dataset.verdi")
                    value = int(page.input_value("#hva_s0_t0")) + (1 if i % 2 == 0 else -1)
                    started = time.perf_counter()
                    page.fill("#hva_s0_t0", str(value))
                    page.locator("#hva_s0_t0").blur()
                    page.wait_for_function(f"b => document.querySelector('{cell}').dataset.verdi !== b", arg=before)
                    times.append(time.perf_counter() - started)
                browser.close()
        finally:
            server.stop()
    print(f"{os.cpu_count()} cores; Drammen in headless chromium")
    print(f"{'step':34s} {'seconds':>8s} {'budget':>7s}  met")
    print(f"{'first view after the click':34s} {first:8.2f} {3.0:7.1f}  {'ja' if first <= 3 else 'nei'}")
    print(f"{'verified recommendation':34s} {verified:8.2f} {'':>7s}")
    edit = statistics.median(times)
    print(f"{'what-if edit (median)':34s} {edit:8.2f} {1.0:7.1f}  {'ja' if edit <= 1 else 'nei'}")


if __name__ == "__main__":
    main()
