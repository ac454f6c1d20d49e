"""The web app in a real browser: ``dimension web`` served on a free port, headless Chromium driving it.

Playwright drives Debian's ``chromium`` (no browser download; ``.ci/run`` installs the package when it
is missing). The page is checked against the command line and the library: the recommended split
against ``dimension solve``'s Excel file, a what-if's cost against
:func:`~dimensioning.workflows.evaluate.evaluate`, the downloaded Excel file read back with openpyxl;
two sessions must not see each other's files, a broken workbook gets its cell-level message on the
page, and text from a workbook is shown as text.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from dimensioning.inputs.case import load_case
from dimensioning.inputs.data import drammen_path
from dimensioning.inputs.examples import template_case
from dimensioning.inputs.template import write_template
from dimensioning.workflows.evaluate import evaluate

playwright_api = pytest.importorskip("playwright.sync_api", reason="the test extras install Playwright")

DIMENSION = str(Path(sys.executable).parent / "dimension")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
VERIFIED_S = 240  # the verified search on a loaded 2-core machine, with the CLI's solve beside it


class Server:
    """``dimension web`` in a subprocess, with its own temporary folder (to look at the sessions' folders)."""

    def __init__(self, tmp: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.tmp = tmp
        env = {**os.environ, "TMPDIR": str(tmp)}
        self.process = subprocess.Popen(
            [DIMENSION, "web", "--port", str(self.port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self.url = f"http://127.0.0.1:{self.port}/"
        for _ in range(300):
            try:
                with urllib.request.urlopen(self.url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("dimension web did not answer within 30 s")

    def session_folders(self) -> list[Path]:
        return sorted(self.tmp.glob("dimensjonering-*"))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("web"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    assert CHROMIUM, "the browser tests need Debian's chromium: apt-get install chromium (.ci/run does)"
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def page_table(page: object, selector: str) -> list[list[object]]:
    """A table of the page: each row's name, then its cells (``data-verdi`` when the cell has one)."""
    return page.eval_on_selector(
        selector,
        """t => [...t.querySelectorAll('tbody tr')].map(r => [r.querySelector('th').innerText,
             ...[...r.querySelectorAll('td')].map(c => c.dataset.verdi ?? c.innerText)])""",
    )


def sheet_rows(path: Path, sheet: str) -> list[list[object]]:
    rows = openpyxl.load_workbook(path, read_only=True)[sheet].iter_rows(values_only=True)
    return [list(r) for r in rows if r and r[0] is not None]


def test_drammen_in_the_browser_gives_the_command_lines_numbers_and_files(server, browser, tmp_path):
    cli_excel = tmp_path / "cli.xlsx"  # the command line's answer, computed beside the page's
    command = [DIMENSION, "solve", "--ut", str(cli_excel)]
    cli = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    page = browser.new_page()
    page.goto(server.url)
    page.click("#drammen")
    page.wait_for_selector("#fordeling", timeout=60_000)  # the first, analytic view
    assert page.inner_text("#kommune") == "Korttidsplasser – Drammen kommune"
    page.wait_for_selector("#status-anbefaling.ferdig", timeout=VERIFIED_S * 1000)
    assert cli.wait(VERIFIED_S) == 0, cli.stderr.read().decode()

    # the split per site and type is the one `dimension solve` writes (sheet «Fordeling»)
    expected = sheet_rows(cli_excel, "Fordeling")[1:]
    shown = [[row[0], *[int(v) for v in row[1:]]] for row in page_table(page, "#fordeling")]
    assert shown == expected
    assert shown[-1][0] == "Sum"
    assert shown[-1][-1] == 146

    # the Excel file the page offers is the command line's, byte for byte
    page.wait_for_selector("#excel")
    with page.expect_download() as download:
        page.click("#excel")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "drammen-kommune-resultat.xlsx"
    assert sheet_rows(saved, "Fordeling") == sheet_rows(cli_excel, "Fordeling")
    assert saved.read_bytes() == cli_excel.read_bytes()

    # a what-if: two more KAD beds at the first site; the cost is the library's evaluation of that split
    page.click("a.nav-link:has-text('Hva om')")
    page.wait_for_selector("#hvaom-tall")
    before = page_table(page, "#hvaom-tall")[0][2]
    case = load_case(drammen_path())
    allocation = sheet_rows(cli_excel, "Fordeling")
    beds = {(row[0], t): row[1 + j] for row in allocation[1:-1] for j, t in enumerate(case.bed_type_names)}
    site, bed_type = case.site_names[0], case.bed_type_names[0]
    beds[site, bed_type] += 2
    page.fill("#hva_s0_t0", str(beds[site, bed_type]))
    page.locator("#hva_s0_t0").blur()
    page.wait_for_function(
        "b => document.querySelector('#hvaom-tall tbody tr td:nth-child(3)')?.dataset.verdi !== b", arg=before
    )
    import pandas as pd

    frame = pd.DataFrame([(s, t, n) for (s, t), n in beds.items()], columns=["site", "bed_type", "beds"])
    library = evaluate(case, frame, "Hva om").costs.iloc[0]
    figures = {row[0]: row for row in page_table(page, "#hvaom-tall")}
    assert float(figures["Kostnad (mill. kr/år)"][2]) == pytest.approx(library.total_cost_nok, rel=1e-12)
    assert float(figures["UKP-døgn per år"][2]) == pytest.approx(library.ukp_days_per_year, rel=1e-12)
    assert int(figures["Senger i alt"][2]) == 148
    page.close()


def test_sessions_apart_text_escaped_and_a_broken_workbook_named_to_the_cell(server, browser, tmp_path):
    # a kommune that is not Drammen, whose name carries markup: the page must show it as text
    other = tmp_path / "eksempel.xlsx"
    write_template(template_case().replace(municipality="Eksempel <b>kommune</b>"), other)
    broken = tmp_path / "ødelagt.xlsx"
    book = openpyxl.load_workbook(drammen_path())
    sheet = book["Plasstyper"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=3, column=header.index("innleggelser_per_aar") + 1, value="mange")
    book.save(broken)

    first, second = browser.new_context(), browser.new_context()
    a, b = first.new_page(), second.new_page()
    a.goto(server.url)
    b.goto(server.url)
    a.set_input_files("#arbeidsbok", str(other))
    b.set_input_files("#arbeidsbok", str(broken))
    a.wait_for_selector("#kommune", timeout=60_000)
    assert a.inner_text("#kommune") == "Korttidsplasser – Eksempel <b>kommune</b>"
    assert a.locator("#kommune b").count() == 0
    a.wait_for_selector("#fordeling")

    message = b.wait_for_selector("#feil", timeout=60_000).inner_text()
    assert "ødelagt.xlsx" in message
    assert "Plasstyper" in message
    assert "rad 3" in message
    assert "kolonne «innleggelser_per_aar»" in message
    assert "mange" in message
    assert str(server.tmp) not in message  # the file by its name, not by the server's folder
    assert b.locator("#kommune").count() == 0
    assert a.locator("#feil").count() == 0

    # each session has its own folder with only its own upload; a closed session's folder is gone
    folders = server.session_folders()
    holding = {f: sorted(p.name for p in f.rglob("*.xlsx")) for f in folders}
    with_other = [f for f, names in holding.items() if "eksempel.xlsx" in names]
    with_broken = [f for f, names in holding.items() if "ødelagt.xlsx" in names]
    assert len(with_other) == 1
    assert len(with_broken) == 1
    assert with_other != with_broken
    second.close()
    for _ in range(100):
        if not with_broken[0].exists():
            break
        time.sleep(0.1)
    assert not with_broken[0].exists()
    assert with_other[0].exists()
    first.close()


def test_a_job_reports_progress_and_a_cancelled_job_leaves_no_file(tmp_path):
    from dimensioning.web import tasks
    from dimensioning.web.jobs import Job

    out = tmp_path / "plan.xlsx"
    job = Job("Plan", tasks.command, ["plan", str(drammen_path()), "--ut", str(out)], tmp_path)
    for _ in range(1200):  # the plan's years come one by one: cancel after the first
        state = job.poll()
        if state.done >= 1 or not state.running:
            break
        time.sleep(0.1)
    assert state.running
    assert state.total == 16
    assert job.stop().cancelled
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_failing_command_brings_its_bokmal_message_back(tmp_path):
    from dimensioning.web import tasks
    from dimensioning.web.jobs import Job

    argv = [
        "prognose",
        "--inndata",
        str(drammen_path()),
        "--alternativ",
        "Finnes ikke",
        "--ut",
        str(tmp_path / "p.xlsx"),
    ]
    job = Job("Prognose", tasks.command, argv, tmp_path)
    for _ in range(600):
        if not job.poll().running:
            break
        time.sleep(0.1)
    assert job.state.error.splitlines()[-1].startswith(
        "«Finnes ikke» finnes ikke i «Alternativer» (der finnes: Dagens (mars 2024)"
    )
    assert "Traceback" not in job.state.error
    assert list(tmp_path.iterdir()) == []


def test_an_upload_over_the_limit_is_refused_before_the_app_sees_it():
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from dimensioning.web.app import limit_uploads

    reached: list[bytes] = []

    async def app(scope, receive, send):
        message = await receive()
        reached.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guarded = limit_uploads(app, 10)

    def call(body: bytes, declared: bool) -> list[dict]:
        sent: list[dict] = []
        headers = [(b"content-length", str(len(body)).encode())] if declared else []

        async def receive() -> dict:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        # in a thread of its own: Playwright's sync API may hold this thread's event loop
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, guarded({"type": "http", "headers": headers}, receive, send)).result()
        return sent

    assert call(b"x" * 11, declared=True)[0]["status"] == 413
    assert reached == []
    assert call(b"x" * 10, declared=True)[0]["status"] == 200
    with pytest.raises(ValueError, match="for stor"):  # a body that does not declare its length is cut off
        call(b"x" * 11, declared=False)
    assert reached == [b"x" * 10]
