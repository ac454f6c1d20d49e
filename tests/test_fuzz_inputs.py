"""Fuzz of malformed input workbooks: every family of damage a planner's file can carry.

Each case edits a copy of the bundled Drammen workbook and runs ``dimension solve`` on it. For
every case: no traceback; the input's bytes are unchanged; either a non-zero exit with a bokmål
message that names the cell (and no output or temporary file left behind), or, where the tool
normalises (a decomposed «Å», a trailing space in a sheet name, a stale size tag), the very same
report as for the clean workbook.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from dimensioning.cli import main
from dimensioning.inputs.examples import drammen_csv_folder, drammen_path
from dimensioning.inputs.schema import OPTIONAL_SHEETS, SHEETS, column_doc

INPUT_NAME = "feil.xlsx"
REQUIRED_SHEETS = [spec.name for spec in SHEETS if spec.name not in OPTIONAL_SHEETS]
Edit = Callable[[object], None]


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def column_index(sheet, header: str) -> int:
    for cell in sheet[1]:
        if cell.value == header:
            return cell.column
    raise AssertionError(f"no column {header} in {sheet.title}")


def set_cell(sheet_name: str, row: int, header: str, value) -> Edit:
    def edit(workbook):
        sheet = workbook[sheet_name]
        sheet.cell(row=row, column=column_index(sheet, header), value=value)

    return edit


def parameter_row(name: str) -> int:
    sheet = load_workbook(drammen_path())["Parametre"]
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=1).value == name)


def make_input(folder: Path, edit: Edit | None = None) -> Path:
    path = folder / INPUT_NAME
    shutil.copy(drammen_path(), path)
    if edit is not None:
        workbook = load_workbook(path)
        edit(workbook)
        workbook.save(path)
    return path


def run_solve(folder: Path, path: Path, *extra: str):
    """Run the CLI and check what must hold whatever the input: no traceback, input untouched.

    Without the verification by simulation (what is tested here is reading, not the optimum).
    """
    before = path.read_bytes() if path.is_file() else None
    out = folder / "ut" / "resultat.xlsx"
    result = CliRunner().invoke(main, ["solve", str(path), "--out", str(out), "--ikke-verifiser", *extra])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if before is not None:
        assert path.read_bytes() == before
    return result, out


def assert_refused(folder: Path, path: Path, *expected: str, extra: tuple[str, ...] = ()) -> None:
    inputs_before = files_under(folder)
    result, _out = run_solve(folder, path, *extra)
    assert result.exit_code != 0, result.output
    for text in expected:
        assert text in result.output, result.output
    assert files_under(folder) == inputs_before  # no output, no temporary file


@pytest.fixture(scope="module")
def clean_report(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("ren")
    result, out = run_solve(folder, make_input(folder))
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def assert_same_as_clean(folder: Path, path: Path, clean: bytes) -> None:
    result, out = run_solve(folder, path)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == clean


# --- sheets and columns removed or misspelt ---------------------------------------------------


@pytest.mark.parametrize("sheet", REQUIRED_SHEETS)
def test_required_sheet_removed(tmp_path, sheet):
    path = make_input(tmp_path, lambda wb: wb.remove(wb[sheet]))
    assert_refused(tmp_path, path, f"ark «{sheet}»: arket mangler i arbeidsboken")


REQUIRED_COLUMNS = [
    (spec.name, doc["header"]) for spec in SHEETS for doc in column_doc(spec.row_model) if doc["required"]
]
ALL_COLUMNS = [
    (spec.name, doc["header"])
    for spec in SHEETS
    for doc in column_doc(spec.row_model)
    if spec.name in load_workbook(drammen_path()).sheetnames
]


@pytest.mark.parametrize(("sheet", "header"), REQUIRED_COLUMNS)
def test_required_column_removed(tmp_path, sheet, header):
    def edit(workbook):
        workbook[sheet].delete_cols(column_index(workbook[sheet], header))

    path = make_input(tmp_path, edit)
    assert_refused(tmp_path, path, f"ark «{sheet}», rad 1, kolonne «{header}»: påkrevd kolonne mangler")


@pytest.mark.parametrize(("sheet", "header"), ALL_COLUMNS)
def test_column_misspelt(tmp_path, sheet, header):
    def edit(workbook):
        workbook[sheet].cell(row=1, column=column_index(workbook[sheet], header), value=header + "x")

    path = make_input(tmp_path, edit)
    assert_refused(tmp_path, path, f"ark «{sheet}», rad 1, kolonne «{header}x»: ukjent kolonne")


# --- bad values: text, booleans, negatives, zero divisors, inf/nan/huge, dates ------------------

NUMBER_CELLS = [
    ("Plasstyper", "innleggelser_per_aar"),
    ("Plasstyper", "liggetid_dager"),
    ("Plasstyper", "maks_avvisning"),
    ("Plasstyper", "pleiefaktor"),
    ("Plasstyper", "min_enhet"),
    ("Plasstyper", "kostnad_per_avvist"),
    ("Plasstyper", "liggetid_cv"),
    ("Lokasjoner", "plasser"),
    ("Lokasjoner", "enerom_med_bad"),
    ("Bemanning", "andel"),
    ("Bemanning", "kostnad_per_aarsverk"),
    ("Alternativer", "plasser"),
    ("Sesong", "jan"),
]
BAD_VALUES = {
    "tekst": "fjorten",
    "SANN": True,
    "negativ": -1,
    "inf": "inf",
    "nan": "nan",
    "stor": 1e300,
    "dato": datetime(2024, 3, 1),
}


@pytest.mark.parametrize(("sheet", "header"), NUMBER_CELLS)
@pytest.mark.parametrize("kind", list(BAD_VALUES))
def test_bad_number_is_named_by_its_cell(tmp_path, sheet, header, kind):
    path = make_input(tmp_path, set_cell(sheet, 2, header, BAD_VALUES[kind]))
    assert_refused(tmp_path, path, f"ark «{sheet}», rad 2, kolonne «{header}»")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("timer_per_aarsverk_per_uke", 0, "må være minst 10"),
        ("sykepleiere_per_vakt", "inf", "må være et endelig tall"),
        ("sykepleiere_per_vakt", 1e17, "høyst 20"),
        ("totalt_antall_plasser", 1e300, "høyst 5000"),
        ("totalt_antall_plasser", 146.5, "må være et heltall"),
        ("aapningstimer_per_uke", True, "sannhetsverdien SANN"),
        ("fravaerstillegg", -0.1, "må være minst 0"),
    ],
)
def test_bad_parameter_is_named_by_its_cell(tmp_path, name, value, expected):
    row = parameter_row(name)
    path = make_input(tmp_path, set_cell("Parametre", row, "verdi", value))
    assert_refused(tmp_path, path, f"ark «Parametre», rad {row}, kolonne «verdi»", expected)


def test_zero_stay_and_blocking_target_are_refused(tmp_path):
    def edit(workbook):
        set_cell("Plasstyper", 2, "liggetid_dager", 0)(workbook)
        set_cell("Plasstyper", 3, "maks_avvisning", 0)(workbook)

    assert_refused(
        tmp_path,
        make_input(tmp_path, edit),
        "ark «Plasstyper», rad 2, kolonne «liggetid_dager»: må være minst 0,1",
        "ark «Plasstyper», rad 3, kolonne «maks_avvisning»: må være minst 0,0001",
    )


def test_absurd_demand_is_named(tmp_path):
    def edit(workbook):
        set_cell("Plasstyper", 2, "innleggelser_per_aar", 900_000)(workbook)
        set_cell("Plasstyper", 2, "liggetid_dager", 3000)(workbook)

    assert_refused(tmp_path, make_input(tmp_path, edit), "rad 2, kolonne «innleggelser_per_aar»: etterspørselen")


def test_bad_recurring_date_is_named(tmp_path):
    path = make_input(tmp_path, set_cell("Kapasitet", 2, "fra", "31.02"))
    assert_refused(tmp_path, path, "ark «Kapasitet», rad 2, kolonne «fra»: må være en dato som dd.mm")


def test_huge_number_is_printed_briefly(tmp_path):
    path = make_input(tmp_path, set_cell("Lokasjoner", 2, "plasser", int("9" * 301)))
    result, _ = run_solve(tmp_path, path)
    assert result.exit_code == 2
    assert "fikk 1e+301" in result.output
    assert "9" * 20 not in result.output


# --- what a workbook can hide -------------------------------------------------------------------


def test_formula_without_calculated_value(tmp_path):
    path = make_input(tmp_path, set_cell("Plasstyper", 3, "liggetid_dager", "=7*2"))
    assert_refused(
        tmp_path,
        path,
        "ark «Plasstyper», rad 3, kolonne «liggetid_dager»: cellen har formelen «=7*2», men Excel har ikke regnet",
    )


def test_excel_error_value(tmp_path):
    path = make_input(tmp_path, set_cell("Plasstyper", 3, "liggetid_dager", "#DIV/0!"))
    assert_refused(tmp_path, path, "rad 3, kolonne «liggetid_dager»: cellen viser Excel-feilen #DIV/0!")


def test_merged_cells(tmp_path):
    path = make_input(tmp_path, lambda wb: wb["Lokasjoner"].merge_cells("B3:B4"))
    assert_refused(tmp_path, path, "ark «Lokasjoner», rad 3, kolonne «plasser»: cellene B3:B4 er slått sammen")


def test_hidden_row_sheet_and_column(tmp_path):
    def edit(workbook):
        workbook["Plasstyper"].row_dimensions[4].hidden = True
        workbook["Bemanning"].sheet_state = "hidden"
        workbook["Lokasjoner"].column_dimensions["F"].hidden = True

    assert_refused(
        tmp_path,
        make_input(tmp_path, edit),
        "ark «Plasstyper», rad 4: raden er skjult",
        "ark «Bemanning»: arket er skjult",
        "ark «Lokasjoner», rad 1, kolonne «skjermede_oppholdsrom»: kolonnen er skjult",
    )


def test_column_without_header_and_duplicated_header(tmp_path):
    def edit(workbook):
        sheet = workbook["Plasstyper"]
        free = sheet.max_column + 1
        sheet.cell(row=3, column=free, value=42)
        sheet.cell(row=1, column=free + 1, value="pleiefaktor")
        sheet.cell(row=2, column=free + 1, value=2.0)

    assert_refused(
        tmp_path,
        make_input(tmp_path, edit),
        "ark «Plasstyper», rad 1: kolonne",
        "har verdier (fra rad 3), men ingen overskrift i rad 1",
        "ark «Plasstyper», rad 1, kolonne «pleiefaktor»: kolonnen står to ganger",
    )


def test_duplicate_rows_and_names_differing_in_case(tmp_path):
    def edit(workbook):
        sites = workbook["Lokasjoner"]
        sites.append([c.value for c in sites[2]])
        sites.append(["drammen helsehus"] + [c.value for c in sites[2]][1:])

    assert_refused(
        tmp_path,
        make_input(tmp_path, edit),
        "ark «Lokasjoner», rad 7, kolonne «lokasjon»: «Drammen helsehus» står allerede i rad 2 (duplikat)",
        "ark «Lokasjoner», rad 8, kolonne «lokasjon»: «drammen helsehus» er samme navn som «Drammen helsehus» "
        "i rad 2 (bare store/små bokstaver skiller)",
    )


def test_reference_differing_only_in_case(tmp_path):
    path = make_input(tmp_path, set_cell("Alternativer", 2, "lokasjon", "drammen helsehus"))
    assert_refused(
        tmp_path,
        path,
        "ark «Alternativer», rad 2, kolonne «lokasjon»: «drammen helsehus» finnes ikke i arket «Lokasjoner»; "
        "der står «Drammen helsehus»",
    )


def test_zero_width_space_is_shown(tmp_path):
    path = make_input(tmp_path, set_cell("Alternativer", 2, "lokasjon", "Drammen\u200b helsehus"))
    assert_refused(tmp_path, path, "ark «Alternativer», rad 2, kolonne «lokasjon»", "Drammen⟨U+200B⟩ helsehus")


def test_sheet_name_with_invisible_character_is_shown(tmp_path):
    path = make_input(tmp_path, lambda wb: setattr(wb["Bemanning"], "title", "Beman\u200bning"))
    assert_refused(tmp_path, path, "ark «Bemanning»: arket «Bemanning» mangler, men et ark heter «Beman⟨U+200B⟩ning»")


def test_misspelt_optional_sheet_is_not_silently_ignored(tmp_path):
    path = make_input(tmp_path, lambda wb: setattr(wb["Sesong"], "title", "Sesonger"))
    assert_refused(tmp_path, path, "ark «Sesong»: arket «Sesong» mangler, men et ark heter «Sesonger»")


def test_too_many_rows(tmp_path):
    def edit(workbook):
        sites = workbook["Lokasjoner"]
        for i in range(250):
            sites.append([f"Sted {i}", 1])

    assert_refused(tmp_path, make_input(tmp_path, edit), "ark «Lokasjoner»: arket har 255 rader; høyst 200")


def test_many_problems_are_capped_at_fifty(tmp_path):
    def edit(workbook):
        sheet = workbook["Alternativer"]
        for row in range(2, 70):
            sheet.cell(row=row, column=column_index(sheet, "plasser"), value="mange")

    result, _ = run_solve(tmp_path, make_input(tmp_path, edit))
    assert result.exit_code == 2
    listed = [line for line in result.output.splitlines() if line.startswith("  - ")]
    assert len(listed) == 50
    assert re.search(r"… og \d+ problemer til", result.output)


# --- normalised: the same report as the clean workbook ------------------------------------------


def test_decomposed_letters_are_the_same_name(tmp_path, clean_report):
    def edit(workbook):
        for sheet in ("Lokasjoner", "Alternativer"):
            for row in workbook[sheet].iter_rows(min_row=2):
                if isinstance(row[0].value, str):
                    row[0].value = unicodedata.normalize("NFD", row[0].value)
                if sheet == "Alternativer" and isinstance(row[1].value, str):
                    row[1].value = unicodedata.normalize("NFD", row[1].value) + "  "

    assert_same_as_clean(tmp_path, make_input(tmp_path, edit), clean_report)


def test_sheet_name_with_trailing_space_and_other_case(tmp_path, clean_report):
    def edit(workbook):
        workbook["Bemanning"].title = "Bemanning "
        workbook["Sesong"].title = "midlertidig"  # openpyxl would rename «sesong» to «sesong1» directly
        workbook["midlertidig"].title = "sesong"

    assert_same_as_clean(tmp_path, make_input(tmp_path, edit), clean_report)


def test_stale_dimension_tag_reads_every_row(tmp_path, clean_report):
    path = make_input(tmp_path)
    data = zipfile.ZipFile(path)
    stale = tmp_path / "stale.zip"
    with zipfile.ZipFile(stale, "w", zipfile.ZIP_DEFLATED) as target:
        for info in data.infolist():
            content = data.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                content = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:B2"/>', content)
            target.writestr(info, content)
    data.close()
    stale.replace(path)
    assert_same_as_clean(tmp_path, path, clean_report)


# --- damaged files and wrong formats ------------------------------------------------------------


def test_truncated_file(tmp_path):
    path = make_input(tmp_path)
    path.write_bytes(path.read_bytes()[:5000])
    assert_refused(tmp_path, path, "filen er ikke en Excel-arbeidsbok (.xlsx), eller den er skadet")


def test_damaged_sheet_xml_inside_a_valid_zip(tmp_path):
    path = make_input(tmp_path)
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info.filename) for info in source.infolist()}
    members["xl/worksheets/sheet3.xml"] = b"<worksheet><sheetData><row><c r='A1'><v>1</v></row>"
    with zipfile.ZipFile(path, "w") as target:
        for name, content in members.items():
            target.writestr(name, content)
    assert_refused(tmp_path, path, "filen er skadet eller ikke en Excel-arbeidsbok (.xlsx)", "lagre den på nytt")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("tom.xlsx", b"", "filen er ikke en Excel-arbeidsbok"),
        ("tekst.xlsx", b"lokasjon;plasser\n", "filen er ikke en Excel-arbeidsbok"),
        ("gammel.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "det gamle Excel-formatet (.xls): åpne den i Excel og lagre"),
        ("regneark.ods", b"PK\x03\x04", "OpenDocument-regneark (.ods)"),
    ],
)
def test_wrong_format(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    assert_refused(tmp_path, path, expected)


def test_missing_file_folder_and_device(tmp_path):
    result, _ = run_solve(tmp_path, tmp_path / "finnes-ikke.xlsx")
    assert result.exit_code == 2
    assert "filen finnes ikke" in result.output
    device, _ = run_solve(tmp_path, Path("/dev/null"))
    assert device.exit_code == 2
    assert "«/dev/null» er ikke en vanlig fil" in device.output
    assert files_under(tmp_path) == []


def test_csv_folder_with_bom_and_one_not_utf8(tmp_path, clean_report):
    folder = tmp_path / "feil"
    shutil.copytree(drammen_csv_folder(), folder)
    sites = folder / "Lokasjoner.csv"
    sites.write_bytes(b"\xef\xbb\xbf" + sites.read_bytes())
    result, _out = run_solve(tmp_path, folder)
    assert result.exit_code == 0, result.output
    skills = folder / "Bemanning.csv"
    skills.write_bytes(skills.read_text(encoding="utf-8").encode("latin-1"))
    bad, _ = run_solve(tmp_path, folder)
    assert bad.exit_code == 2
    assert "ark «Bemanning.csv»: filen er ikke lagret som UTF-8" in bad.output


# --- outputs: never over an input, never the wrong kind, never half-written ---------------------


def test_output_over_the_input_or_of_the_wrong_kind_is_refused(tmp_path):
    path = make_input(tmp_path)
    same = CliRunner().invoke(main, ["solve", str(path), "--out", str(path)])
    assert same.exit_code == 2
    assert "er en av inndatafilene og blir ikke skrevet over" in same.output
    link = tmp_path / "lenke.xlsx"
    link.hardlink_to(path)
    linked = CliRunner().invoke(main, ["solve", str(path), "--out", str(link)])
    assert linked.exit_code == 2
    assert "er en av inndatafilene" in linked.output
    csv_out = CliRunner().invoke(main, ["solve", str(path), "--out", str(tmp_path / "x.csv")])
    assert csv_out.exit_code == 2
    assert "må slutte på .xlsx" in csv_out.output
    blocker = tmp_path / "fil"
    blocker.write_text("")
    under_file = CliRunner().invoke(main, ["solve", str(path), "--out", str(blocker / "r.xlsx")])
    assert under_file.exit_code == 2
    assert "er en fil, ikke en mappe" in under_file.output
    assert files_under(tmp_path) == sorted(["feil.xlsx", "fil", "lenke.xlsx"])
    assert path.read_bytes() == drammen_path().read_bytes()


def test_full_disk_leaves_nothing_behind(tmp_path):
    from .conftest import run_with_file_limit

    path = make_input(tmp_path)
    out = tmp_path / "ut.xlsx"
    # 8 KiB: the report cannot be written
    done = run_with_file_limit(["solve", str(path), "--out", str(out), "--ikke-verifiser"], 8192, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Kunne ikke skrive «" in done.stderr
    assert "grense for filstørrelse" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr
    assert files_under(tmp_path) == ["feil.xlsx"]
