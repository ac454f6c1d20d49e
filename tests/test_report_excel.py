"""The Excel report read back: sheets, headers, values equal to the result, same bytes twice."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from dimensioning import write_excel


@pytest.fixture(scope="module")
def report(drammen_result, tmp_path_factory):
    path = tmp_path_factory.mktemp("rapport") / "drammen.xlsx"
    write_excel(drammen_result, path)
    return path


def rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_sheets_and_frozen_norwegian_headers(report):
    workbook = load_workbook(report)
    assert workbook.sheetnames == [
        "Sammendrag",
        "Diagrammer",
        "Nøkkeltall",  # Drammen's Nokkeltall: the peers
        "Hvorfor",
        "Fordeling",
        "Deling",
        "Delingsregel",
        "Sammenligning",
        "Kontroll",
        "Referanse",
        "Bemanning",
        "Regelbrudd",
        "Forutsetninger",
    ]
    assert workbook["Sammendrag"]["A1"].value == "Alternativ"
    assert workbook["Referanse"]["G1"].value == "Referanse: andel avvist B(c, a) uten sesong"
    assert workbook["Referanse"].freeze_panes == "A2"
    assert workbook["Referanse"]["G2"].number_format == "0.0%"


def test_summary_values_equal_the_result(report, drammen_result):
    table = rows(load_workbook(report)["Sammendrag"])
    costs = drammen_result.costs.set_index("alternative")
    header = table[0]
    read = {r[0]: dict(zip(header, r, strict=False)) for r in table[1:5]}
    assert list(read) == drammen_result.alternatives
    for name, row in read.items():
        assert row["Senger"] == 146
        assert row["Samlet kostnad (kr/år)"] == pytest.approx(costs.at[name, "total_cost_nok"], rel=1e-12)
        assert row["Regelbrudd"] == costs.at[name, "broken_rules"]
        assert row["Plasskostnad utenom pleien (kr/år)"] == 0
    assert read[drammen_result.optimum_name]["Merkostnad mot optimum (kr/år)"] == 0
    facts = {r[0]: r[1] for r in table if r and r[0]}
    assert (
        facts["Minste antall plasser som oppfyller alle krav (beregnet, uten deling, ikke kontrollert)"]
        == drammen_result.smallest_total_beds
        == 140  # 11 + 9 + 15 + 20 + 77 + 8: each type's fewest beds for its targets
    )
    assert facts["Totalen er"] == "fast: 146 plasser"


def test_allocation_and_comparison_sheets(report, drammen_result):
    workbook = load_workbook(report)
    allocation = rows(workbook["Fordeling"])
    assert allocation[0][0] == "Lokasjon"
    assert allocation[0][-1] == "Sum"
    assert allocation[-1][0] == "Sum"
    assert allocation[-1][-1] == 146
    opt = drammen_result.allocation.set_index(["site", "bed_type"])["beds"]
    header = allocation[0]
    for row in allocation[1:-1]:
        for bed_type, value in zip(header[1:-1], row[1:-1], strict=True):
            assert value == opt[(row[0], bed_type)]
    comparison = rows(workbook["Sammenligning"])
    total_row = next(r for r in comparison if r[1] == "Totalt")
    assert total_row[2:] == [146, 146, 146, 146]
    kad = next(r for r in comparison if r[0] == "Alle lokasjoner" and r[1] == "KAD")
    assert kad[2:] == [11, 8, 8, 10]  # optimum, today, Agenda Kaupang, the director


def test_staffing_and_violations_sheets(report, drammen_result):
    workbook = load_workbook(report)
    staffing = rows(workbook["Bemanning"])
    assert staffing[0][4] == "Sykepleier (årsverk)"
    fte = sum(r[7] for r in staffing[1:] if r[0] == drammen_result.optimum_name)
    assert fte == pytest.approx(drammen_result.costs.at[0, "staff_fte"], rel=1e-12)
    violations = rows(workbook["Regelbrudd"])
    assert len(violations) - 1 == len(drammen_result.violations)
    assert any("Krav til avvisning (KAD): 10 senger, skal være minst 11" in r[7] for r in violations[1:])


def test_assumptions_echo_every_input_with_source(report):
    text = [str(v) for r in rows(load_workbook(report)["Forutsetninger"]) for v in r if v is not None]
    assert "Kilde" in text
    assert "Innleggelser per år (pasienter/år)" in text  # headers a politician can read
    assert "innleggelser_per_aar" not in text
    assert any("Helsedirektoratet" in t for t in text)
    assert any("5,30 sykepleierårsverk per enhet" in t for t in text)


def test_same_result_gives_same_bytes(drammen_result, tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_excel(drammen_result, first)
    write_excel(drammen_result, second)
    assert first.read_bytes() == second.read_bytes()


def test_prints_landscape_with_repeated_headers(report):
    workbook = load_workbook(report)
    for sheet in workbook.worksheets:
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.fitToWidth >= 1  # pages wide: see the legibility test below
        assert sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$1"


def test_native_charts_of_beds_and_blocking(report, drammen_result):
    import zipfile

    with zipfile.ZipFile(report) as archive:
        charts = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        xml = [archive.read(n).decode() for n in charts]
    assert len(charts) == 2
    assert xml[0].count("<ser>") == len(drammen_result.alternatives)  # one series per alternative
    assert xml[1].count("<ser>") == len(drammen_result.alternatives) + 1  # and the target
    assert "Senger per plasstype" in xml[0]
    assert "Andel pasienter som ikke får plass, per plasstype (beregnet), og kravet" in xml[1]
    table = rows(load_workbook(report)["Diagrammer"])
    start = next(i for i, r in enumerate(table) if r[0] == "Plasstype" and i > 0)
    shares = {r[0]: r[1:] for r in table[start + 1 :] if r[0]}
    queue = drammen_result.queueing.set_index(["alternative", "bed_type"])
    for bed_type, values in shares.items():
        names = drammen_result.alternatives
        assert values[: len(names)] == pytest.approx([queue.at[(n, bed_type), "share_not_served"] for n in names])
        assert values[len(names)] == pytest.approx(drammen_result.case.bed_types.at[bed_type, "max_blocking"])
    table = rows(load_workbook(report)["Diagrammer"])
    kad = next(r for r in table if r[0] == "KAD")
    expected = drammen_result.queueing.set_index(["alternative", "bed_type"])["beds"]
    assert kad[1 : 1 + len(drammen_result.alternatives)] == [expected[(a, "KAD")] for a in drammen_result.alternatives]


def test_rule_breaches_are_whole_numbers_and_labels_fit(report):
    workbook = load_workbook(report)
    violations = workbook["Regelbrudd"]
    assert violations["E2"].number_format == "0"
    summary = workbook["Sammendrag"]
    labels = [c for c in summary["A"] if isinstance(c.value, str) and len(c.value) < 60]
    width = summary.column_dimensions["A"].width
    for cell in labels:  # a label fits its column, or wraps inside it
        assert len(cell.value) <= width or cell.alignment.wrap_text, cell.value


def test_every_sheet_prints_legibly_on_a4_landscape(report):
    """At most about 150 character widths per printed page: a wider sheet prints over more pages."""
    from dimensioning.inputs.workbook import PRINT_WIDTH

    workbook = load_workbook(report)
    for sheet in workbook.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape", sheet.title
        assert str(setup.paperSize) == str(sheet.PAPERSIZE_A4), sheet.title
        letters = [sheet.cell(row=1, column=k).column_letter for k in range(1, sheet.max_column + 1)]
        total = sum(sheet.column_dimensions[c].width or 8.43 for c in letters)
        assert total / int(setup.fitToWidth) <= PRINT_WIDTH, (sheet.title, total, setup.fitToWidth)
        if int(setup.fitToWidth) > 1:
            assert sheet.print_title_cols == "$A:$A", sheet.title  # the first column on every page
    summary = workbook["Sammendrag"]
    assert summary.column_dimensions["A"].width <= 40  # long labels wrap instead of widening the print
