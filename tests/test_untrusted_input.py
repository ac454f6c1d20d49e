"""Untrusted input: user text written as text, identity numbers never echoed, bad files refused by name (issue 20)."""

from __future__ import annotations

import zipfile

import pytest
from openpyxl import load_workbook

from dimensioning import solve, write_excel
from dimensioning.inputs.template import write_template
from dimensioning.workflows.verify import VerifyOptions

from .conftest import small_case

SITE = "=cmd|' /C calc'!A0"
LINK = '=HYPERLINK("http://x.invalid","klikk")'
TYPE = "=1+1"


def formula_cells(path) -> list[str]:
    """Cells stored as formulas (``<f>`` in the sheet XML), read both ways."""
    found = []
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            found += [f"{sheet.title}!{c.coordinate}" for c in row if c.data_type == "f"]
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and b"<f>" in archive.read(name):
                found.append(name)
    return found


def test_names_that_look_like_formulas_are_written_as_text(tmp_path):
    sites = (
        "lokasjon,plasser,enerom_med_bad,enerom_uten_bad,dobbeltrom,skjermede_oppholdsrom,basseng,legekontor\n"
        f"{SITE},6,6,0,0,1,ja,ja\n"
        f'"{LINK.replace(chr(34), chr(34) * 2)}",6,2,4,0,0,nei,ja\n'
    )
    types = (
        "plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,krever_enerom,krever_bad,"
        "min_enhet,maks_lokasjoner,kostnad_per_avvist\n"
        f"{TYPE},300,3,0.2,1.1,ja,ja,2,1,40000\n"
        "Vanlig,200,14,0.5,0.8,nei,nei,2,,20000\n"
    )
    case = small_case(Lokasjoner=sites, Plasstyper=types)
    assert case.site_names == [SITE, LINK]
    result = solve(case, verify=VerifyOptions(years=2, replications=2, jobs=1, improve=False))
    report = write_excel(result, tmp_path / "r.xlsx")
    template = write_template(case, tmp_path / "mal.xlsx")
    for path in (report, template):
        assert formula_cells(path) == [], path
        texts = {c.value for s in load_workbook(path).worksheets for r in s.iter_rows() for c in r}
        assert {SITE, LINK, TYPE} <= texts  # the names themselves, as text


def test_names_with_markup_characters_are_printed_as_they_are_in_the_pdf(tmp_path):
    """«A & <B>» is a name, not markup: the report is written and shows it."""
    from pypdf import PdfReader

    from dimensioning.report import write_pdf

    sites = (
        "lokasjon,plasser,enerom_med_bad,enerom_uten_bad,dobbeltrom,skjermede_oppholdsrom,basseng,legekontor\n"
        "A & <B>,6,6,0,0,1,ja,ja\nB,6,2,4,0,0,nei,ja\n"
    )
    types = (
        "plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,krever_enerom,krever_bad,"
        "min_enhet,maks_lokasjoner,kostnad_per_avvist\n"
        "T<1> & co,300,3,0.2,1.1,ja,ja,2,1,40000\nVanlig,200,14,0.5,0.8,nei,nei,2,,20000\n"
    )
    alternatives = "alternativ,lokasjon,plasstype,plasser\nI <dag>,A & <B>,T<1> & co,4\nI <dag>,B,Vanlig,6\n"
    case = small_case(Lokasjoner=sites, Plasstyper=types, Alternativer=alternatives)
    result = solve(case, verify=VerifyOptions(years=2, replications=2, jobs=1, improve=False))
    files = write_pdf(result, tmp_path / "pdf")
    text = " ".join(page.extract_text() for page in PdfReader(files["rapport"]).pages)
    for name in ("A & <B>", "T<1> & co", "I <dag>"):
        assert name in text
    assert "&amp;" not in text
    assert "&lt;" not in text


def test_a_workbook_that_inflates_beyond_the_limit_is_refused_before_it_is_read(tmp_path):
    """A zip bomb: a small workbook with a part of 300 MB of zeros is refused at once, in bokmål."""
    import shutil
    import time

    from click.testing import CliRunner

    from dimensioning.cli import main
    from dimensioning.inputs.examples import drammen_path

    path = tmp_path / "bombe.xlsx"
    shutil.copy(drammen_path(), path)
    with (
        zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet99.xml", "w", force_zip64=True) as part,
    ):
        block = b"\0" * (1 << 20)
        for _ in range(300):
            part.write(block)
    assert path.stat().st_size < 5 * 1024 * 1024
    before = path.read_bytes()
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["solve", str(path), "--ut", str(tmp_path / "ut.xlsx")])
    assert time.perf_counter() - started < 20
    assert result.exit_code == 2
    assert "pakkes ut til 300 MB, mer enn de 200 MB" in result.output
    assert "Traceback" not in result.output
    assert path.read_bytes() == before
    assert not (tmp_path / "ut.xlsx").exists()


def test_start_year_after_end_year_is_named_not_an_internal_error():
    from dimensioning.common.errors import InputError

    with pytest.raises(InputError) as caught:
        small_case(Parametre="navn,verdi\ntotalt_antall_plasser,10\nstartaar,2035\nsluttaar,2030\n")
    assert "startaar (2035) er etter sluttaar (2030)" in str(caught.value)


def test_demand_in_a_year_does_not_depend_on_which_years_are_planned(drammen_case):
    """`dimension plan --aar 2040` once took 2040 as the start year, with today's demand."""
    from dimensioning.workflows.years import demand_by_year

    alone = demand_by_year(drammen_case, [2040]).set_index("bed_type")
    pair = demand_by_year(drammen_case, [2025, 2040])
    pair = pair[pair["year"] == 2040].set_index("bed_type")
    full = demand_by_year(drammen_case)
    full = full[full["year"] == 2040].set_index("bed_type")
    for column in ("arrivals_per_year", "los_days", "growth"):
        assert alone[column].to_numpy() == pytest.approx(pair[column].to_numpy(), rel=1e-12)
        assert alone[column].to_numpy() == pytest.approx(full[column].to_numpy(), rel=1e-12)
    assert (alone["growth"] > 1.2).all()  # 2040 is not today's demand


def test_identity_numbers_are_taken_out_of_messages_and_derived_file_names(tmp_path, monkeypatch):
    """A fødselsnummer in a stay file's name, or with a dash or spaces in a message, is never printed."""
    import shutil

    from click.testing import CliRunner

    from dimensioning.cli import main
    from dimensioning.common.errors import redact_ids, safe_stem
    from dimensioning.inputs.examples import drammen_path

    fnr = "01019010046"
    assert redact_ids(f"Bråta {fnr}") == "Bråta [fødselsnummer fjernet]"
    for spelling in ("010190-10046", "010190 10046", "010190.10046", "1019010046"):
        assert redact_ids(f"x {spelling} y") == "x [fødselsnummer fjernet] y", spelling
    assert redact_ids("146 plasser, 12345678901") == "146 plasser, 12345678901"  # check digits invalid
    assert safe_stem(f"opphold-{fnr}.csv") == "opphold-x"
    # the --case workbook's name: the default outputs are named without it, and nothing printed has it
    case = tmp_path / f"drammen-{fnr}.xlsx"
    shutil.copy(drammen_path(), case)
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["solve", str(case), "--ikke-verifiser"])
    assert result.exit_code == 0, result.output
    written = [p.name for p in (tmp_path / "reports").iterdir()]
    assert written == ["drammen-x-resultat-ukontrollert.xlsx"]  # --ikke-verifiser has its own name
    assert fnr not in result.output
    # a broken workbook with the number in its name: the message names the file without it
    broken = tmp_path / f"feil-{fnr}.xlsx"
    broken.write_bytes(b"not a workbook")
    result = runner.invoke(main, ["solve", str(broken)])
    assert result.exit_code == 2
    assert fnr not in result.output
    assert "[fødselsnummer fjernet]" in result.output


def test_stay_files_saved_as_unicode_text_or_random_bytes_get_a_message(tmp_path):
    """Excel's «Unicode-tekst» (UTF-16) is read; bytes that are no text are refused by name, never an internal error."""
    from click.testing import CliRunner

    from dimensioning.cli import main

    text = (
        "pasient;plasstype;lokasjon;innskrevet;utskrevet\n"
        "P1;KAD;Drammen helsehus;01.01.2024;04.01.2024\n"
        "P2;KAD;Drammen helsehus;02.01.2024;03.01.2024\n"
    )
    unicode_text = tmp_path / "opphold-utf16.csv"
    unicode_text.write_bytes(text.encode("utf-16"))
    noise = tmp_path / "stoy.csv"
    noise.write_bytes(bytes(range(256)) * 40)
    runner = CliRunner()
    for path in (unicode_text, noise):
        result = runner.invoke(main, ["kalibrer", str(path), "--ut", str(tmp_path / f"{path.stem}-ut.xlsx")])
        assert "Intern feil" not in result.output, result.output
        assert "Traceback" not in result.output
    assert result.exit_code == 2
    assert "ikke tekst i et kjent tegnsett" in result.output


def test_a_name_too_long_to_lay_out_is_refused_at_its_cell():
    from dimensioning.common.errors import InputError

    long_name = "Lokasjon " + "x" * 10_000
    sites = (
        "lokasjon,plasser,enerom_med_bad,enerom_uten_bad,dobbeltrom,skjermede_oppholdsrom,basseng,legekontor\n"
        f"{long_name},6,6,0,0,1,ja,ja\nB,6,2,4,0,0,nei,ja\n"
    )
    with pytest.raises(InputError) as caught:
        small_case(Lokasjoner=sites)
    text = str(caught.value)
    assert "ark «Lokasjoner», rad 2, kolonne «lokasjon»: navnet har 10009 tegn; høyst 100 er tillatt" in text
    assert long_name not in text


def _synthetic_record(tmp_path, edit, name):
    from openpyxl import load_workbook as load

    from dimensioning.inputs.data import SYNTHETIC_STAYS, data_dir

    book = load(data_dir() / SYNTHETIC_STAYS)
    sheet = book["Opphold"]
    header = [c.value for c in sheet[1]]
    edit(sheet, header)
    path = tmp_path / name
    book.save(path)
    return path


@pytest.mark.parametrize("case", ["discharge-2100", "zero-length", "cut-off-before-every-stay"])
def test_stay_records_that_cannot_be_calibrated_get_a_message_not_an_internal_error(tmp_path, case):
    import datetime

    from click.testing import CliRunner

    from dimensioning.cli import main

    def in_2100(sheet, header):
        sheet.cell(row=5, column=header.index("utskrevet") + 1, value=datetime.datetime(2100, 1, 1))

    def same_day(sheet, header):
        admitted, discharged = header.index("innskrevet") + 1, header.index("utskrevet") + 1
        for row in range(2, sheet.max_row + 1):
            sheet.cell(row=row, column=discharged, value=sheet.cell(row=row, column=admitted).value)

    edits = {"discharge-2100": in_2100, "zero-length": same_day, "cut-off-before-every-stay": lambda s, h: None}
    path = _synthetic_record(tmp_path, edits[case], f"{case}.xlsx")
    args = ["kalibrer", str(path), "--ut", str(tmp_path / "ny.xlsx")]
    if case == "cut-off-before-every-stay":
        args += ["--til-og-med", "01.01.2000"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "Intern feil" not in result.output
    assert "Traceback" not in result.output
    expected = {
        "discharge-2100": "rad 5, kolonne «utskrevet»: 01.01.2100 er mer enn et år etter siste innskrivning",
        "zero-length": "ingen plasstype kan kalibreres",
        "cut-off-before-every-stay": "ingen opphold er innskrevet til og med 01.01.2000",
    }[case]
    assert expected in result.output
    assert not list(tmp_path.glob("ny*"))


def test_a_report_that_cannot_be_written_whole_leaves_nothing(tmp_path):
    """Under a 300 KB file-size limit the figures fit and the PDF does not: then none of them is left."""
    from .conftest import run_with_file_limit

    out = tmp_path / "rapport"
    done = run_with_file_limit(["report", "--ut", str(out), "--uten-plan", "--ikke-verifiser"], 300_000)
    assert done.returncode != 0, done.stderr
    assert "Ingenting halvferdig er lagt igjen" in done.stderr
    assert "Traceback" not in done.stderr
    left = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert left == [], left


@pytest.mark.parametrize("separator", [";", ",", "\t"])
def test_a_10000_character_cell_in_a_stay_csv_is_named_at_its_cell(tmp_path, separator):
    """One long cell in row 11 (with commas, as free text has) is that cell's problem, not «every column missing»."""
    from click.testing import CliRunner

    from dimensioning.cli import main

    lines = [separator.join(["pasient", "plasstype", "lokasjon", "innskrevet", "utskrevet"])]
    for i in range(12):
        lines.append(separator.join([f"P{i}", "KAD", "Drammen helsehus", f"0{1 + i % 9}.01.2024", "20.01.2024"]))
    long_cell = "tekst, med komma " * 600
    if separator == ",":
        long_cell = f'"{long_cell}"'
    lines[10] = separator.join(["P9", "KAD", long_cell, "01.01.2024", "05.01.2024"])
    path = tmp_path / "opphold.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["kalibrer", str(path), "--ut", str(tmp_path / "ut" / "k.xlsx")])
    assert result.exit_code == 2, result.output
    assert "rad 11, kolonne «lokasjon»" in result.output
    assert "mangler" not in result.output
    assert "Intern feil" not in result.output
    assert len(result.output) < 2000  # the cell is cut short, not repeated whole
    assert path.read_bytes() == before
    assert not (tmp_path / "ut").exists() or not any((tmp_path / "ut").iterdir())


def test_a_queue_that_can_never_keep_up_is_named_by_the_cli_not_optimised(tmp_path):
    """USK waiting without patience at three times today's demand (240 beds busy, 146 in all): exit 2, named.

    Before: «optimal (bevist)», a capped 365-day wait for every alternative and USK cut to 38 beds.
    """
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from dimensioning.cli import main
    from dimensioning.inputs.examples import drammen_path

    workbook = load_workbook(drammen_path())
    sheet = workbook["Plasstyper"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "Forsterket (USK)":
            row[header.index("innleggelser_per_aar")].value = 5160
            row[header.index("gir_opp_etter_dager")].value = None
    case = tmp_path / "usk.xlsx"
    workbook.save(case)
    before = case.read_bytes()
    out = tmp_path / "ut" / "r.xlsx"
    result = CliRunner().invoke(main, ["solve", str(case), "--ut", str(out)])
    assert result.exit_code == 2, result.output
    assert "optimal (bevist)" not in result.output
    assert "«Forsterket (USK)»: pasientene venter uten å gi opp, så køen vokser uten grense" in result.output
    assert "Køen må ikke vokse uten grense" in result.output
    assert "Intern feil" not in result.output
    assert case.read_bytes() == before
    # the comparison written beside it says «ubegrenset» where a wait has no mean, never 365 days
    check = load_workbook(out)["Kontroll"]
    header = [c.value for c in check[1]]
    usk = [r for r in check.iter_rows(min_row=2, values_only=True) if r[1] == "Forsterket (USK)"]
    waits = [r[header.index("Snitt ventetid over alle innlagte (døgn)")] for r in usk]
    assert len(waits) == 4  # the three alternatives and the best split within the rules
    assert set(waits) == {"ubegrenset"}
    assert formula_cells(out) == []
