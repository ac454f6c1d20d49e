"""Shared fixtures: the Drammen case solved once per session, and small inline cases."""

from __future__ import annotations

import csv
import io

import pytest

from dimensioning import drammen, solve
from dimensioning.inputs.case import Case, case_from_tables
from dimensioning.inputs.workbook import RawTables, _rows_to_raw


def tables_from_csv(sheets: dict[str, str]) -> RawTables:
    """Raw tables from inline CSV text, one string per sheet (as if read from a workbook)."""
    tables: RawTables = {}
    for name, text in sheets.items():
        rows = [
            tuple(None if cell.strip() == "" else cell.strip() for cell in row)
            for row in csv.reader(io.StringIO(text.strip()))
        ]
        tables[name] = _rows_to_raw(iter(rows))
    return tables


SMALL = {
    "Lokasjoner": """
lokasjon,plasser,enerom_med_bad,enerom_uten_bad,dobbeltrom,skjermede_oppholdsrom,basseng,legekontor
A,6,6,0,0,1,ja,ja
B,6,2,4,0,0,nei,ja
""",
    "Plasstyper": """
plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,krever_enerom,krever_bad,min_enhet,maks_lokasjoner,kostnad_per_avvist
Akutt,300,3,0.2,1.1,ja,ja,2,1,40000
Vanlig,200,14,0.5,0.8,nei,nei,2,,20000
""",
    "Bemanning": """
fagkategori,andel,kostnad_per_aarsverk
sykepleier,0.6,900000
helsefagarbeider,0.3,800000
ufaglært,0.1,600000
""",
    "Parametre": """
navn,verdi,enhet
totalt_antall_plasser,10,senger
""",
}


def small_case(**overrides: str) -> Case:
    """A 2-site x 2-type case; keyword arguments replace whole sheets (CSV text)."""
    sheets = {**SMALL, **overrides}
    return case_from_tables(tables_from_csv(sheets), name="liten")


@pytest.fixture(scope="session")
def drammen_case() -> Case:
    return drammen()


@pytest.fixture(scope="session")
def drammen_result(drammen_case):
    return solve(drammen_case)


@pytest.fixture(scope="session")
def drammen_verified(drammen_case):
    """Drammen solved and verified by simulation (as ``dimension solve`` does by default)."""
    from dimensioning.workflows.verify import VerifyOptions

    return solve(drammen_case, verify=VerifyOptions())


def scenario_book(tmp_path, rows=None, grid=None, name="s.xlsx"):
    """A scenario workbook with a ``Scenarier`` sheet (``rows``) and/or a ``Rutenett`` sheet (``grid``)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, table in (("Scenarier", rows), ("Rutenett", grid)):
        if table:
            sheet = workbook.create_sheet(title)
            for row in table:
                sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


def run_with_file_limit(args: list[str], limit_bytes: int, timeout: float = 300):
    """Run ``dimension ARGS`` in a child process whose files may not grow beyond ``limit_bytes`` (a full disk)."""
    import resource
    import subprocess
    import sys

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run(
        [sys.executable, "-c", "from dimensioning._entry import run; run()", *args],
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Each test process keeps freed memory for reuse, as the CLI does (dimensioning.common.memory)."""
    from dimensioning.common.memory import keep_freed_memory

    keep_freed_memory()
