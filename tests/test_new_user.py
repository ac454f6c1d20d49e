"""A new municipality's first hour: the neutral template, its own names, two and nine sites, bokmål CLI."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from dimensioning import solve
from dimensioning.cli import main
from dimensioning.common.labels import cost_difference_phrase, turned_away_difference_phrase, with_unit
from dimensioning.inputs.case import case_from_tables
from dimensioning.inputs.examples import template_case, template_csv_folder
from dimensioning.inputs.workbook import read_csv_folder
from dimensioning.report.pdf import key_sentences

ENGLISH = re.compile(r"\b(Usage|Options|Error|Show this|Missing|Invalid value|No such|Try '|Aborted|Commands)\b")


def sheet_rows(path, sheet):
    return [tuple(c for c in row) for row in load_workbook(path)[sheet].iter_rows(values_only=True)]


def test_cli_speaks_bokmal_in_help_and_errors():
    runner = CliRunner()
    outputs = [
        runner.invoke(main, args, prog_name="dimension").output
        for args in (
            ["--help"],
            ["solve", "--help"],
            ["sweep", "--help"],
            ["simulate", "--help"],
            ["check", "--help"],
            ["template", "--help"],
            ["report", "--help"],
            ["solve", "--nope"],
            ["sweep"],
            ["simulate", "--aar", "-1"],
            ["solve", "--dimensjonering", "maks"],
            ["nokommando"],
        )
    ]
    for text in outputs:
        assert not ENGLISH.search(text), text
    assert "Bruk: dimension solve [VALG] [INNDATA]" in outputs[1]
    assert "--out" not in outputs[1]  # English aliases work but are not shown
    assert "MOL" in outputs[4]  # the terms are explained where they are used
    assert "SIPP" in outputs[4]
    version = runner.invoke(main, ["--versjon"], prog_name="dimension")
    assert version.exit_code == 0
    assert re.fullmatch(r"dimension \d+\.\d+\.\d+\n", version.output)


def test_neutral_template_solves_and_names_the_kommune(tmp_path):
    runner = CliRunner()
    template = tmp_path / "min-kommune.xlsx"
    written = runner.invoke(main, ["template", str(template)])
    assert written.exit_code == 0, written.output
    names = load_workbook(template).sheetnames
    assert names[:2] == ["Les meg", "Om"]
    sites = sheet_rows(template, "Lokasjoner")
    assert [r[0] for r in sites[1:]] == ["Helsehuset", "Sykehjemmet"]
    assert "Drammen" not in str([sheet_rows(template, s) for s in names[1:]])
    readme = [r[1] for r in sheet_rows(template, "Les meg") if r[0] == "Om"]
    assert {"felt", "verdi", "kommune", "referansealternativ", "kildemerknad"} <= set(readme)
    out = tmp_path / "ut.xlsx"
    solved = runner.invoke(main, ["solve", str(template), "--ut", str(out)])
    assert solved.exit_code == 0, solved.output
    facts = dict(r[:2] for r in sheet_rows(out, "Sammendrag") if r[0] and r[1] is not None)
    assert facts["Kommune"] == "Eksempel kommune"
    drammen = tmp_path / "drammen.xlsx"
    assert runner.invoke(main, ["template", "--eksempel", "drammen", str(drammen)]).exit_code == 0
    assert len(sheet_rows(drammen, "Lokasjoner")) == 6


def test_scenario_template_comes_from_the_users_workbook(tmp_path):
    runner = CliRunner()
    template = tmp_path / "min-kommune.xlsx"
    runner.invoke(main, ["template", str(template)])
    scenarios = tmp_path / "scenarier.xlsx"
    made = runner.invoke(main, ["template", "--scenarier", str(scenarios), "--fra", str(template)])
    assert made.exit_code == 0, made.output
    header = sheet_rows(scenarios, "Scenarier")[0]
    assert "Lokasjoner:Helsehuset:plasser" in header
    assert "Lokasjoner:Sykehjemmet:plasser" in header
    labels = [r[0] for r in sheet_rows(scenarios, "Scenarier")[1:]]
    assert "Pleiefaktor +10 % for alle plasstyper" in labels  # the label says what the scenario does
    out = tmp_path / "ut" / "resultat.xlsx"
    run = runner.invoke(main, ["sweep", str(scenarios), "--grunnlag", str(template), "--ut", str(out)])
    assert run.exit_code == 0, run.output
    rows = sheet_rows(out, "Resultater")
    named = [r for r in rows[1:] if not str(r[0]).startswith("Rutenett")]
    assert len(named) == len(labels)
    failed = [r[0] for r in named if r[1] != "optimal"]
    # more demand with the same beds, or a site closed, may not fit: such rows say why
    assert all(name.startswith(("Etterspørsel +20 %, samme", "Sykehjemmet stenger")) for name in failed), named
    reason = rows[0].index("Konflikt (hvis ingen løsning)")
    assert all(r[reason] and "Krav i konflikt" in r[reason] for r in named if r[1] != "optimal")


def widened(n_sites: int, beds_per_site: int):
    """The template kommune with ``n_sites`` sites (copies of the first), total and alternatives to match."""
    tables = read_csv_folder(template_csv_folder())
    first = tables["Lokasjoner"][0][1]
    tables["Lokasjoner"] = [
        (
            i + 2,
            {
                **first,
                "lokasjon": f"Sted {i + 1}",
                "plasser": str(beds_per_site),
                "enerom_med_bad": str(beds_per_site),
                "dobbeltrom": "0",
                "skjermede_oppholdsrom": "1",
            },
        )
        for i in range(n_sites)
    ]
    total = n_sites * beds_per_site
    tables["Parametre"] = [
        (r, {**c, "verdi": str(total)} if c["navn"] == "totalt_antall_plasser" else c) for r, c in tables["Parametre"]
    ]
    scale = total / 36
    tables["Plasstyper"] = [
        (r, {**c, "innleggelser_per_aar": str(float(c["innleggelser_per_aar"]) * scale)})
        for r, c in tables["Plasstyper"]
    ]
    tables["Foringer"] = [(1, dict.fromkeys(tables["Foringer"][0][1]))]
    half = total // 2
    tables["Alternativer"] = [
        (2, {"alternativ": "Jevnt", "lokasjon": "Sted 1", "plasstype": "KAD", "plasser": "4", "kilde": ""}),
        (3, {"alternativ": "Jevnt", "lokasjon": "Sted 1", "plasstype": "Korttid", "plasser": str(half), "kilde": ""}),
        (
            4,
            {
                "alternativ": "Jevnt",
                "lokasjon": "Sted 2",
                "plasstype": "Rehabilitering",
                "plasser": str(total - half - 4),
                "kilde": "",
            },
        ),
    ]
    tables["Om"] = [
        (2, {"felt": "kommune", "verdi": f"Kommune med {n_sites} lokasjoner"}),
        (3, {"felt": "referansealternativ", "verdi": "Jevnt"}),
    ]
    return case_from_tables(tables, name=f"k{n_sites}")


@pytest.mark.parametrize(("n_sites", "beds"), [(2, 12), (9, 46)])
def test_two_and_nine_site_kommuner(n_sites, beds):
    case = widened(n_sites, beds)
    result = solve(case)
    assert result.status.label_nb == "optimal (bevist)"
    assert int(result.allocation["beds"].sum()) == n_sites * beds
    sentences = " ".join(key_sentences(result))
    assert "Sammenlignet med «Jevnt»" in sentences
    assert "-" not in re.sub(r"[A-Za-zÆØÅæøå]-[A-Za-zÆØÅæøå]", "", sentences)  # no negative savings


def test_gains_and_losses_are_worded_both_ways():
    assert cost_difference_phrase(2.4e6) == "sparer den 2,4 mill. kr per år"
    assert cost_difference_phrase(-0.1e6) == "koster den 0,1 mill. kr mer per år"
    assert turned_away_difference_phrase(42) == "avviser 42 færre pasienter per år"
    assert turned_away_difference_phrase(-4) == "avviser 4 flere pasienter per år"
    assert with_unit(1, "enheter") == "1 enhet"
    assert with_unit(2, "enheter") == "2 enheter"


def test_reference_alternative_is_the_one_named_in_om():
    case = template_case()
    assert case.display_name == "Eksempel kommune"
    assert case.reference_name == "I dag"
    assert "Sammenlignet med «I dag»" in " ".join(key_sentences(solve(case)))


def test_no_feasible_allocation_still_writes_the_comparison_of_alternatives(tmp_path):
    runner = CliRunner()
    template = tmp_path / "k.xlsx"
    runner.invoke(main, ["template", str(template)])
    workbook = load_workbook(template)
    for row in workbook["Parametre"].iter_rows(min_row=2):
        if row[0].value == "totalt_antall_plasser":
            row[1].value = 20  # the blocking targets need more
    workbook.save(template)
    before = template.read_bytes()
    out = tmp_path / "ut.xlsx"
    result = runner.invoke(main, ["solve", str(template), "--ut", str(out)])
    assert result.exit_code == 2
    assert "Ingen fordeling oppfyller alle kravene i «Eksempel kommune»" in result.output
    assert f"Sammenligningen av alternativene er likevel skrevet til {out}" in result.output
    assert template.read_bytes() == before
    book = load_workbook(out)
    assert book.sheetnames[0] == "Ingen løsning"
    lines = [r[0] for r in book["Ingen løsning"].iter_rows(values_only=True) if r[0]]
    assert any(line.startswith("Alle de andre kravene kan oppfylles med") for line in lines)
    header = lines.index("Alternativ")
    # first the best split within the 20 beds (it breaks targets), then the workbook's alternatives
    assert lines[header + 1 : header + 3] == ["Beste innenfor rammen (bryter krav)", "I dag"]
    table = [r for r in book["Ingen løsning"].iter_rows(values_only=True) if r[0] in lines[header + 1 : header + 3]]
    assert table[0][1] == 20  # within the 20 beds
    assert table[0][4] > 0  # and it breaks rules


def test_report_for_a_new_kommune_names_it_and_its_reference(tmp_path):
    from pypdf import PdfReader

    runner = CliRunner()
    template = tmp_path / "k.xlsx"
    runner.invoke(main, ["template", str(template)])
    out = tmp_path / "rapport"
    made = runner.invoke(main, ["report", str(template), "--ikke-verifiser", "--ut", str(out)])
    assert made.exit_code == 0, made.output
    first = " ".join(PdfReader(out / "rapport.pdf").pages[0].extract_text().split())
    assert "Eksempel kommune · sak til hovedutvalget" in first
    assert "mill. kr mindre enn «I dag»" in first or "mill. kr mer enn «I dag»" in first
    everything = " ".join(p.extract_text() for p in PdfReader(out / "rapport.pdf").pages)
    assert "Drammen" not in everything
    assert "000-004" not in everything


def test_default_case_is_said_aloud(tmp_path):
    result = CliRunner().invoke(main, ["solve", "--ikke-verifiser", "--ut", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 0
    assert "Ingen inndatafil oppgitt: bruker eksempelet Drammen kommune" in result.output


@pytest.mark.parametrize(("n_sites", "beds"), [(2, 12), (9, 46)])
def test_cli_solve_and_report_for_two_and_nine_sites(tmp_path, n_sites, beds):
    from pypdf import PdfReader

    from dimensioning import write_template

    workbook = write_template(widened(n_sites, beds), tmp_path / f"k{n_sites}.xlsx")
    runner = CliRunner()
    out = tmp_path / "ut.xlsx"
    solved = runner.invoke(main, ["solve", str(workbook), "--ikke-verifiser", "--ut", str(out)])
    assert solved.exit_code == 0, solved.output
    allocation = sheet_rows(out, "Fordeling")
    assert [r[0] for r in allocation[1:-1]] == [f"Sted {i + 1}" for i in range(n_sites)]
    assert allocation[-1][-1] == n_sites * beds  # the Sum row adds up to the total
    rapport = str(tmp_path / "rapport")
    report = runner.invoke(main, ["report", str(workbook), "--uten-plan", "--ikke-verifiser", "--ut", rapport])
    assert report.exit_code == 0, report.output
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(tmp_path / "rapport" / "rapport.pdf").pages).split())
    assert f"Kommune med {n_sites} lokasjoner" in text
    assert f"Alle alternativene har {n_sites * beds} plasser til sammen" in text


def test_topp_on_drammen_reports_the_beds_the_targets_need_and_still_writes_the_pdf(tmp_path):
    """README step 5: every month's target needs more beds than Drammen's sites hold; say how many."""
    from pypdf import PdfReader

    out = tmp_path / "rapport"
    result = CliRunner().invoke(main, ["report", "--dimensjonering", "topp", "--ut", str(out)])
    assert result.exit_code == 2
    assert "når kravet til avvisning skal holde i hver måned (topp)" in result.output
    assert "Med nye eller utvidede lokaler trenger kravene minst 157 plasser til sammen (+11" in result.output
    assert f"Rapporten med sammenligningen av alternativene er likevel skrevet til {out / 'rapport.pdf'}" in (
        result.output
    )
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(out / "rapport.pdf").pages]
    assert "Korttidsplasser: kravene kan ikke oppfylles" in pages[0]
    assert "minst 157 plasser" in pages[0]
    assert "Beste innenfor rammen" in pages[1]


def test_a_site_closed_for_a_month_is_no_internal_error_and_says_which_target_cannot_be_met(tmp_path):
    """andel_aapne 0 (every bed closed in July) is valid input; KAD's 5 % then cannot be met at all."""
    runner = CliRunner()
    template = tmp_path / "k.xlsx"
    runner.invoke(main, ["template", str(template)])
    workbook = load_workbook(template)
    sheet = workbook["Kapasitet"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("andel_aapne") + 1, value=0)
    workbook.save(template)
    result = runner.invoke(main, ["solve", str(template), "--ut", str(tmp_path / "ut.xlsx")])
    assert result.exit_code == 2
    assert "Intern feil" not in result.output
    assert "«KAD»: selv med alle 36 plassene avvises 8,5 % (krav 5 %); kravet kan ikke nås med noe antall senger." in (
        result.output
    )
