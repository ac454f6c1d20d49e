"""Sweep faults: a killed parent leaves no workers, a damaged journal is survived, bad scenario
cells are named where they were typed, one failing scenario does not stop the others, and an
interrupted command ends in bokmål."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dimensioning import InputError
from dimensioning.inputs.case import read_case_tables
from dimensioning.inputs.examples import drammen_path
from dimensioning.inputs.scenarios import MAX_SCENARIOS, read_scenarios
from dimensioning.workflows.sweep import STATUS_ERROR, sweep

from .conftest import scenario_book

ENTRY = [sys.executable, "-c", "from dimensioning._entry import run; run()"]


@pytest.fixture(scope="module")
def base():
    return read_case_tables(drammen_path())


def children_of(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux)")
def test_kill_9_of_the_parent_leaves_no_workers(tmp_path):
    scenarios = scenario_book(tmp_path, grid=[["parameter", "fra", "til", "steg"], ["pleiefaktor", 0.6, 1.2, 0.0005]])
    out = tmp_path / "ut" / "r.xlsx"
    parent = subprocess.Popen(
        [*ENTRY, "sweep", str(scenarios), "--out", str(out), "--jobs", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    journal = out.with_name(out.name + ".delvis.jsonl")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (journal.is_file() and journal.stat().st_size > 0):
        time.sleep(0.1)
    workers = children_of(parent.pid)
    assert len(workers) >= 2, "the pool did not start"
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(w) for w in workers):
        time.sleep(0.1)
    assert not any(alive(w) for w in workers)


def test_interrupt_ends_in_bokmal_without_traceback(tmp_path):
    out = tmp_path / "r.xlsx"
    # the child says when it is about to run, so the signal lands in our code (the heavy imports, the
    # solve), not in Python's own start-up, which no program can handle
    announced = [
        sys.executable,
        "-c",
        "import sys; from dimensioning._entry import run; print('klar', file=sys.stderr, flush=True); run()",
    ]
    for delay in (0.0, 1.2):  # while importing, then while solving or writing
        run = subprocess.Popen([*announced, "solve", "--out", str(out)], stderr=subprocess.PIPE, text=True)
        assert run.stderr.readline() == "klar\n"
        time.sleep(delay)
        run.send_signal(signal.SIGINT)
        stderr = run.stderr.read()
        run.wait(timeout=60)
        assert "Traceback" not in stderr
        # 130: interrupted and said so; 0: finished first; -SIGINT: the signal came while Python was
        # shutting down after the work was done (it restores the default handler then)
        assert run.returncode in (0, 130, -signal.SIGINT), stderr
        if run.returncode == 130:
            assert "Avbrutt" in stderr
        if out.exists():  # written whole or not at all
            assert load_workbook(out).sheetnames[0] == "Sammendrag"
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_damaged_journal_lines_are_skipped_and_counted(tmp_path, base):
    scenarios = read_scenarios(
        scenario_book(tmp_path, rows=[["scenario", "pleiefaktor"], ["A", 0.79], ["B", 0.85], ["C", 0.9]]), base
    )
    journal = tmp_path / "j.jsonl"
    first = sweep(base, scenarios, jobs=1, journal=journal)
    lines = journal.read_bytes().splitlines(keepends=True)
    damaged = [
        lines[0],
        b"42\n",
        b'{"fingerprint": "x", "row": 3}\n',
        lines[1][: lines[1].index(b"\xc3") + 1] if b"\xc3" in lines[1] else lines[1][:10],  # torn mid-character
    ]
    journal.write_bytes(b"".join(damaged) + b"\n")
    again = sweep(base, scenarios, jobs=1, journal=journal)
    assert again.resumed == 1
    assert again.unreadable_journal_lines == 3
    assert again.table.equals(first.table)


def test_bad_scenario_cells_are_named_where_typed(tmp_path, base):
    path = scenario_book(
        tmp_path,
        rows=[
            ["scenario", "Plasstyper:KAD:pleiefaktor", "Parametre:timer_per_aarsverk_per_uke:verdi"],
            ["Dato", datetime(2024, 5, 1), None],
            ["Null timer", None, 0],
            ["Ok", 1.2, None],
        ],
        grid=[["parameter", "verdier"], ["Plasstyper:*:liggetid_dager", "10; -3; 20"]],
    )
    with pytest.raises(InputError) as info:
        read_scenarios(path, base)
    messages = [str(issue) for issue in info.value.issues]
    assert messages == [
        "ark «Scenarier», rad 2, kolonne «Plasstyper:KAD:pleiefaktor»: gir en ugyldig verdi i ark «Plasstyper», "
        "rad 2: må være et tall, fikk datoen 01.05.2024",
        "ark «Scenarier», rad 3, kolonne «Parametre:timer_per_aarsverk_per_uke:verdi»: gir en ugyldig verdi i ark "
        "«Parametre», rad 5: «timer_per_aarsverk_per_uke» må være minst 10 og høyst 60, fikk 0",
        "ark «Rutenett», rad 2, kolonne «verdier»: verdien -3: gir en ugyldig verdi i ark «Plasstyper», rad 2: "
        "må være minst 0,1, fikk -3",
    ]


def test_a_growth_factor_that_gives_an_absurd_population_names_the_derived_value_plainly(tmp_path):
    """befolkningsvekst 1e6: the message is about the population it gives, in whole numbers (not 5e+07)."""
    path = scenario_book(tmp_path, rows=[["scenario", "befolkningsvekst"], ["Stor", 1e6], ["Krymper", -3]])
    with pytest.raises(InputError) as info:
        read_scenarios(path, read_case_tables(drammen_path()), years=True)
    messages = [str(issue) for issue in info.value.issues]
    assert messages[0].startswith(
        "ark «Scenarier», rad 2, kolonne «befolkningsvekst»: gir en ugyldig verdi i ark «Befolkning», rad "
    )
    assert "må være høyst 50 000 000 (øvre grense for en rimelig verdi), fikk " in messages[0]
    assert "e+" not in messages[0]
    assert messages[1].startswith("ark «Scenarier», rad 3, kolonne «befolkningsvekst»: gir en ugyldig verdi i ark")
    assert "må være minst 0, fikk -" in messages[1]


def test_huge_grid_is_refused_before_it_is_expanded(tmp_path, base):
    path = scenario_book(
        tmp_path,
        grid=[
            ["parameter", "fra", "til", "steg"],
            ["pleiefaktor", 0.5, 1.5, 0.001],
            ["totalt_antall_plasser", 100, 1000, 1],
            ["vekst_etterspørsel", 0, 1e12, 1e-3],
        ],
    )
    started = time.perf_counter()
    with pytest.raises(InputError) as info:
        read_scenarios(path, base)
    assert time.perf_counter() - started < 30
    text = str(info.value)
    assert "ark «Rutenett», rad 4, kolonne «steg»: fra 0 til 1 000 000 000 000 med steg 0,001 gir for mange" in text
    assert f"rutenettet gir {1001 * 901} scenarier, flere enn de {MAX_SCENARIOS}" in text


def test_one_failing_scenario_is_named_and_the_rest_go_on(tmp_path, base, monkeypatch):
    import dimensioning.workflows.sweep as sweep_module

    real = sweep_module.evaluate

    def flaky(case, allocation, name, checker=None):
        if name == "B":
            raise RuntimeError("boom")
        return real(case, allocation, name, checker=checker)

    monkeypatch.setattr(sweep_module, "evaluate", flaky)
    scenarios = read_scenarios(
        scenario_book(tmp_path, rows=[["scenario", "pleiefaktor"], ["A", 0.79], ["B", 0.85], ["C", 0.9]]), base
    )
    run = sweep(base, scenarios, jobs=1)
    table = run.table.set_index("scenario")
    assert table.loc["A", "status"] == "optimal"
    assert table.loc["C", "status"] == "optimal"
    assert table.loc["B", "status"] == STATUS_ERROR
    assert "intern feil (RuntimeError)" in table.loc["B", "konflikt"]
    json.dumps(run.table.to_dict("records"), default=str)  # the rows stay writable to a journal


def test_sweep_never_writes_over_its_inputs(tmp_path):
    scenarios = scenario_book(tmp_path, rows=[["scenario", "pleiefaktor"], ["A", 0.79]])
    base_copy = tmp_path / "base.xlsx"
    base_copy.write_bytes(drammen_path().read_bytes())
    before = {p: p.read_bytes() for p in (scenarios, base_copy)}
    for extra in (["--out", str(scenarios)], ["--base", str(base_copy), "--out", str(base_copy)]):
        done = subprocess.run([*ENTRY, "sweep", str(scenarios), *extra], capture_output=True, text=True, timeout=120)
        assert done.returncode == 2
        assert "er en av inndatafilene og blir ikke skrevet over" in done.stderr
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.xlsx", "s.xlsx"]
