"""The CLI as a user meets it: the default case, a template, broken workbooks."""

from __future__ import annotations

import shutil

from click.testing import CliRunner
from openpyxl import load_workbook

from dimensioning.cli import main
from dimensioning.inputs.examples import drammen_path


def test_solve_default_case_writes_report(tmp_path):
    out = tmp_path / "rapport.xlsx"
    result = CliRunner().invoke(main, ["solve", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Optimal fordeling (modell)" in result.output
    assert "optimal (bevist)" in result.output
    assert f"Rapport skrevet til {out}" in result.output
    assert load_workbook(out).sheetnames[0] == "Sammendrag"


def test_template_then_solve_it_and_input_is_untouched(tmp_path):
    runner = CliRunner()
    template = tmp_path / "mal.xlsx"
    assert runner.invoke(main, ["template", str(template)]).exit_code == 0
    before = template.read_bytes()
    refused = runner.invoke(main, ["template", str(template)])
    assert refused.exit_code != 0
    assert "finnes allerede" in refused.output
    solved = runner.invoke(main, ["solve", str(template), "--out", str(tmp_path / "r.xlsx")])
    assert solved.exit_code == 0, solved.output
    assert template.read_bytes() == before
    same = runner.invoke(main, ["solve", str(template), "--out", str(template)])
    assert same.exit_code != 0
    assert "er en av inndatafilene og blir ikke skrevet over" in same.output
    assert template.read_bytes() == before


def broken_copy(tmp_path, edit):
    path = tmp_path / "feil.xlsx"
    shutil.copy(drammen_path(), path)
    workbook = load_workbook(path)
    edit(workbook)
    workbook.save(path)
    return path


def test_broken_workbook_gives_norwegian_message_and_no_traceback(tmp_path):
    def edit(workbook):
        workbook["Plasstyper"]["C3"] = "fjorten"  # liggetid_dager, Lindrende
        workbook["Alternativer"]["B2"] = "Drammen sykehus"

    path = broken_copy(tmp_path, edit)
    result = CliRunner().invoke(main, ["solve", str(path), "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "ark «Plasstyper», rad 3, kolonne «liggetid_dager»: må være et tall, fikk «fjorten»" in result.output
    assert "ark «Alternativer», rad 2, kolonne «lokasjon»: «Drammen sykehus» finnes ikke" in result.output
    assert not (tmp_path / "r.xlsx").exists()


def test_missing_sheet_and_missing_file(tmp_path):
    path = broken_copy(tmp_path, lambda wb: wb.remove(wb["Bemanning"]))
    result = CliRunner().invoke(main, ["solve", str(path)])
    assert result.exit_code == 2
    assert "ark «Bemanning»: arket mangler i arbeidsboken" in result.output
    missing = CliRunner().invoke(main, ["solve", str(tmp_path / "finnes-ikke.xlsx")])
    assert missing.exit_code == 2
    assert "filen finnes ikke" in missing.output
    not_excel = tmp_path / "tekst.xlsx"
    not_excel.write_text("dette er ikke excel")
    garbage = CliRunner().invoke(main, ["solve", str(not_excel)])
    assert garbage.exit_code == 2
    assert "filen er ikke en Excel-arbeidsbok (.xlsx)" in garbage.output


def test_infeasible_workbook_names_conflicting_rules(tmp_path):
    def edit(workbook):
        sheet = workbook["Parametre"]
        for row in sheet.iter_rows(min_row=2):
            if row[0].value == "totalt_antall_plasser":
                row[1].value = 120  # fewer than the blocking targets need (133)

    path = broken_copy(tmp_path, edit)
    result = CliRunner().invoke(main, ["solve", str(path), "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 2
    assert "Ingen fordeling oppfyller alle kravene" in result.output
    # 120 beds in all, but the blocking targets need 133: the two rules conflict
    assert "kan ikke oppfylles samtidig: Totalt antall plasser, Krav til avvisning" in result.output
    assert "mangler" in result.output
    assert "Traceback" not in result.output


def test_default_outputs_differ_by_command_and_mode_so_none_replaces_another(tmp_path, monkeypatch):
    """README step 5: solve --dimensjonering topp wrote over step 1's result; every mode has its own name now."""
    from dimensioning.cli.shell import default_output

    source = tmp_path / "min-kommune.xlsx"
    names = {
        default_output(source, "resultat", ".xlsx").name,
        default_output(source, "resultat", ".xlsx", dimensjonering="topp").name,
        default_output(source, "resultat", ".xlsx", verify=False).name,
        default_output(source, "resultat", ".xlsx", dimensjonering="topp", verify=False).name,
        default_output(source, "rapport").name,
        default_output(source, "plan", ".xlsx").name,
    }
    assert names == {
        "min-kommune-resultat.xlsx",
        "min-kommune-resultat-topp.xlsx",
        "min-kommune-resultat-ukontrollert.xlsx",
        "min-kommune-resultat-topp-ukontrollert.xlsx",
        "min-kommune-rapport",
        "min-kommune-plan.xlsx",
    }
    shutil.copy(drammen_path(), source)
    monkeypatch.chdir(tmp_path)
    first = CliRunner().invoke(main, ["solve", str(source), "--ikke-verifiser"])
    assert "reports/min-kommune-resultat-ukontrollert.xlsx" in first.output
    before = (tmp_path / "reports" / "min-kommune-resultat-ukontrollert.xlsx").read_bytes()
    peak = CliRunner().invoke(main, ["solve", str(source), "--ikke-verifiser", "--dimensjonering", "topp"])
    assert "reports/min-kommune-resultat-topp-ukontrollert.xlsx" in peak.output
    assert (tmp_path / "reports" / "min-kommune-resultat-ukontrollert.xlsx").read_bytes() == before
