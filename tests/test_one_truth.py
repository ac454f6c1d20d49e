"""One evaluation of record: every figure of a plan is the same in the terminal, every sheet and the PDF.

Read back from what a person reads: the terminal table (as the CLI prints it), the workbook's
sheets and chart data, and the PDF's text, for Drammen searched (the default) and with
``--ikke-verifiser``; and the written ``Fordeling`` and ``Deling`` sheets alone reproduce the plan.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from rich.console import Console

from dimensioning import solve, write_excel
from dimensioning.common.labels import holds_sentence, number, percent
from dimensioning.report import write_pdf
from dimensioning.workflows.verify import VerifyOptions, simulated_table


@pytest.fixture(scope="module")
def unverified(drammen_case):
    return solve(drammen_case, verify=VerifyOptions(improve=False))


def terminal(result, monkeypatch) -> str:
    from dimensioning.cli import solve as cli  # the solve command prints the summary

    buffer = io.StringIO()
    monkeypatch.setattr(
        cli, "Console", lambda **kw: Console(file=buffer, width=400, **{k: v for k, v in kw.items() if k != "width"})
    )
    cli._print_summary(result)
    return " ".join(buffer.getvalue().replace("\u2009", " ").split())


def sheet(book, name):
    return [list(r) for r in book[name].iter_rows(values_only=True)]


def pdf_text(result, folder) -> str:
    files = write_pdf(result, folder)
    return " ".join(
        " ".join(p.extract_text() for p in PdfReader(files["rapport"]).pages).replace("\u2009", " ").split()
    )


def plain(text: str) -> str:
    return " ".join(text.replace("\u2009", " ").split())


@pytest.mark.parametrize("which", ["searched", "unverified"])
def test_every_figure_has_one_value_everywhere(which, drammen_verified, unverified, tmp_path, monkeypatch):
    result = drammen_verified if which == "searched" else unverified
    costs = result.costs.set_index("alternative")
    queue = result.queueing.set_index(["alternative", "bed_type"])
    assert set(result.queueing["record_source"]) == {"simulert"}
    shown = terminal(result, monkeypatch)
    book = load_workbook(write_excel(result, tmp_path / "r.xlsx"))
    pdf = pdf_text(result, tmp_path / "pdf")
    summary = sheet(book, "Sammendrag")
    header = summary[0]
    rows = {r[0]: dict(zip(header, r, strict=False)) for r in summary[1 : 1 + len(costs)]}
    control = sheet(book, "Kontroll")
    control_rows = {(r[0], r[1]): dict(zip(control[0], r, strict=True)) for r in control[1:] if r[0] and r[1]}
    for name in result.alternatives:
        c = costs.loc[name]
        # total cost, UKP days and their cost, patients turned away: Sammendrag = the record
        assert rows[name]["Samlet kostnad (kr/år)"] == pytest.approx(c["total_cost_nok"], rel=1e-12)
        assert rows[name]["UKP-døgn per år"] == pytest.approx(c["ukp_days_per_year"], rel=1e-12)
        assert rows[name]["Kostnad UKP-døgn (kr/år)"] == pytest.approx(c["ukp_cost_nok"], rel=1e-12)
        assert rows[name]["Avviste pasienter per år"] == pytest.approx(c["turned_away_per_year"], rel=1e-12)
        # the same figures printed in the terminal and the PDF (rounded as printed)
        for text in (shown, pdf):
            assert plain(number(c["total_cost_nok"] / 1e6, 1)) in text
            assert plain(number(c["ukp_days_per_year"])) in text
        for bed_type in result.case.bed_type_names:
            q = queue.loc[(name, bed_type)]
            got = control_rows[(name, bed_type)]
            assert got["Andel uten plass i året (simulert)"] == pytest.approx(q["share_not_served"], rel=1e-12)
            assert got["Holder kravet (simulert)"] == ("ja" if q["target_holds"] else "nei")
            assert got["Ventedøgn per år"] == pytest.approx(q["waiting_days_per_year"], rel=1e-12, abs=1e-9)
            assert f"{int(q['beds'])} ({percent(q['share_not_served'], 0)})" in shown
            assert plain(percent(q["share_not_served"])) in pdf
    # the cost line on page 1 and the sentences use the same UKP figure as the total
    optimum = costs.loc[result.optimum_name]
    assert plain(f"({number(optimum['ukp_days_per_year'])} UKP-døgn i året)") in pdf
    assert plain(f"{number(optimum['total_cost_nok'] / 1e6, 1)} mill. kr") in pdf
    # no second set of shares: the formulas are only on the sheet labelled as a reference
    assert "beregnet" not in " ".join(str(h) for h in control[0])
    assert all(
        str(h).startswith(
            (
                "Referanse",
                "Krav",
                "Alternativ",
                "Plasstype",
                "Innleggelser",
                "Belastning",
                "Senger",
                "Ved fullt",
                "Ventested",
            )
        )
        for h in sheet(book, "Referanse")[0]
    )
    assert "ledig-seng-prinsippet (formel)" not in pdf


def test_alternatives_have_the_same_figures_with_and_without_the_search(drammen_verified, unverified):
    """--ikke-verifiser changes which plan is recommended, never the figures of the same split."""
    for name in drammen_verified.alternatives[1:]:
        a = drammen_verified.costs.set_index("alternative").loc[name]
        b = unverified.costs.set_index("alternative").loc[name]
        pd.testing.assert_series_equal(a, b)
    text = " ".join(holds_sentence(unverified).split())
    assert "ikke kontrollert" in text


def test_written_fordeling_and_deling_sheets_reproduce_the_plan(drammen_verified, drammen_case, tmp_path):
    """A planner who copies «Fordeling» and «Deling» back gets the same simulated figures."""
    book_path = write_excel(drammen_verified, tmp_path / "r.xlsx")
    book = load_workbook(book_path)
    allocation = sheet(book, "Fordeling")
    header = allocation[0]
    plan = pd.DataFrame(
        [(r[0], t, int(v)) for r in allocation[1:-1] for t, v in zip(header[1:-1], r[1:-1], strict=True)],
        columns=["site", "bed_type", "beds"],
    )
    # the case as an input workbook, its Deling sheet replaced by the one the report wrote
    from dimensioning.inputs.case import load_case
    from dimensioning.inputs.template import write_template

    template = load_workbook(write_template(drammen_case, tmp_path / "inn.xlsx"))
    target = template["Deling"]
    target.delete_rows(1, target.max_row)
    for row in sheet(book, "Deling"):
        target.append(row)
    template.save(tmp_path / "inn.xlsx")
    case = load_case(tmp_path / "inn.xlsx")
    rule = case.sharing
    assert not rule["reserve_beds"].isna().any()  # every choice written as a number
    again = simulated_table(case, plan, "tilbake", drammen_verified.verification.options, sharing=rule)
    record = drammen_verified.queueing[drammen_verified.queueing["alternative"] == drammen_verified.optimum_name]
    assert again["blocking_sim"].to_numpy() == pytest.approx(record["share_not_served"].to_numpy(), rel=1e-12)


def test_drammen_recommendation_is_not_beaten_by_a_cheaper_split_that_holds(drammen_verified):
    """A cheaper alternative is better type by type only where it breaks a target, and the report names it."""
    from dimensioning.report.pdf import key_sentences

    costs = drammen_verified.costs.set_index("alternative")
    queue = drammen_verified.queueing.set_index(["alternative", "bed_type"])
    mine = costs.at[drammen_verified.optimum_name, "total_cost_nok"]
    cheaper = [n for n in drammen_verified.alternatives[1:] if costs.at[n, "total_cost_nok"] < mine]
    assert cheaper  # the director's split and Agenda Kaupang's cost less
    sentences = " ".join(key_sentences(drammen_verified))
    for name in cheaper:
        broken = [t for t in drammen_verified.case.bed_type_names if not queue.at[(name, t), "target_holds"]]
        assert broken, name
        listed = drammen_verified.violations[drammen_verified.violations["alternative"] == name]
        assert set(broken) <= set(listed["bed_type"])
    decision = drammen_verified.case.reference_name
    assert f"«{decision}» bommer på kravet for" in sentences
