"""The committee report: pages and text of the PDF, the PNG figures, numbers equal to the result."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from dimensioning.cli import main
from dimensioning.common.labels import number, percent
from dimensioning.report import write_pdf
from dimensioning.report.pdf import comparison_rows, key_sentences
from dimensioning.report.plots import DPI, FIGSIZE_IN


@pytest.fixture(scope="module")
def report(drammen_result, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rapport")
    return write_pdf(drammen_result, folder)


@pytest.fixture(scope="module")
def text(report):
    reader = PdfReader(report["rapport"])
    return [page.extract_text() for page in reader.pages]


def normalise(text: str) -> str:
    return " ".join(text.replace("\u2009", " ").split())


def test_pages_and_sections(text):
    assert 6 <= len(text) <= 20  # the assumptions echo every input sheet, Befolkning and Rater included
    assert "Korttidsplasser: anbefalt fordeling" in text[0]
    joined = normalise(" ".join(text))
    for heading in (
        "Mer om anbefalingen",
        "Om beregningen",
        "Fordeling av korttidsplasser",
        "Sammenligning av alternativene",
        "Hvorfor små enheter er dyre",
        "Bemanning",
        "Forutsetninger og kilder",
    ):
        assert heading in joined, heading
    assert "Helsedirektoratet" in joined  # sources are printed
    assert "Side 1" in text[0]


def test_summary_sentences_use_the_results(drammen_result, text):
    first = normalise(text[1] + " " + text[2])  # page 2, «Mer om anbefalingen»
    sentences = key_sentences(drammen_result)
    assert 3 <= len(sentences) <= 6
    for sentence in sentences:
        assert normalise(sentence)[:60] in first
    # the sentence about discharge-ready patients, in UKP days and kroner, from the computed figures
    ukp = next(s for s in sentences if "UKP-døgn" in s)
    costs = drammen_result.costs.set_index("alternative")
    optimum = costs.loc[drammen_result.optimum_name]
    assert f"({number(optimum['ukp_days_per_year'])} UKP-døgn i året)" in ukp
    assert f"koster kommunen {number(optimum['ukp_cost_nok'] / 1e6, 1)} mill. kr i året" in ukp
    assert "«Kommunedirektøren (2024)»" in ukp
    assert ukp.endswith("(beregnet).")
    cost = drammen_result.costs.iloc[0]["total_cost_nok"] / 1e6
    assert f"{number(cost, 1)} mill. kr" in first


def test_comparison_table_equals_the_result(drammen_result, text):
    rows = comparison_rows(drammen_result)
    names = drammen_result.alternatives
    queue = drammen_result.queueing.set_index(["alternative", "bed_type"])
    kad = next(r for r in rows if r[0] == "  KAD")
    assert kad[1:] == [number(queue.at[(n, "KAD"), "beds"]) for n in names]
    # one share per type: the evaluation of record (here computed: the library's solve does not simulate)
    assert not any("ledig-seng-prinsippet" in r[0] for r in rows)
    blocking = [r for r in rows if r[0] == "  KAD"][1]
    assert blocking[1:] == [
        percent(queue.at[(n, "KAD"), "share_not_served"]) + ("" if queue.at[(n, "KAD"), "target_holds"] else " bommer")
        for n in names
    ]
    ukp_days = next(r for r in rows if r[0] == "  UKP-døgn per år, beregnet")
    assert ukp_days[1:] == [number(d) for d in drammen_result.costs["ukp_days_per_year"]]
    assert sum(r[0].startswith("  UKP-døgn per år") for r in rows) == 1
    costs = next(r for r in rows if r[0] == "Kostnad (mill. kr/år)")
    assert costs[1:] == [number(c / 1e6, 1) for c in drammen_result.costs["total_cost_nok"]]
    page = normalise(next(t for t in text if "Sammenligning av alternativene" in t))
    assert " ".join(costs) in page
    assert normalise(" ".join(blocking)) in page


def png_size(path) -> tuple[int, int]:
    """Width and height from a PNG's signature and IHDR chunk (the first 24 bytes)."""
    import struct

    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def test_every_figure_is_a_png_of_the_set_size(report):
    expected = {"fordeling", "kostnad", "sma-enheter", "bemanning"}
    assert expected <= set(report)
    for name in expected:
        width, height = png_size(report[name])
        assert width == round(FIGSIZE_IN[0] * DPI), name
        assert height >= 2.5 * DPI


def test_cli_report_with_sweep(tmp_path):
    runner = CliRunner()
    scenarios = tmp_path / "s.xlsx"
    assert runner.invoke(main, ["template", "--sweep", str(scenarios)]).exit_code == 0
    from openpyxl import load_workbook

    workbook = load_workbook(scenarios)
    workbook.remove(workbook["Scenarier"])
    grid = workbook["Rutenett"]
    grid.delete_rows(2, grid.max_row)
    grid.append(["Plasstyper:Forsterket (USK):pleiefaktor", None, None, None, "0,75; 0,79; 0,85"])
    grid.append(["totalt_antall_plasser", None, None, None, "120; 146"])  # 120 beds cannot hold the targets
    workbook.save(scenarios)
    sweep_out = tmp_path / "sweep.xlsx"
    assert runner.invoke(main, ["sweep", str(scenarios), "--out", str(sweep_out), "--jobs", "1"]).exit_code == 0
    out = tmp_path / "rapport"
    args = ["report", "--sweep", str(sweep_out), "--uten-plan", "--ikke-verifiser", "--out", str(out)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (out / "rapport.pdf").is_file()
    assert (out / "folsomhet-1.png").is_file()
    pages = [normalise(p.extract_text()) for p in PdfReader(out / "rapport.pdf").pages]
    chapter = next(p for p in pages if "Følsomhet" in p and "Beregnet for 6 scenarier" in p)
    assert "3 av dem har ingen gyldig fordeling" in chapter
    assert "Når pleiefaktor, Forsterket (USK) går fra 0,75 til 0,85, går den samlede kostnaden fra" in chapter
    assert "Med 120 finnes ingen gyldig fordeling." in chapter
    assert "Plasstyper:" not in " ".join(pages)  # the override's name is said in words
    unsolved = " ".join(pages)[" ".join(pages).index("Scenarier uten løsning") :]
    assert "Rutenett 1 (Pleiefaktor, Forsterket (USK) = 0,75; Plasser i alt = 120)" in unsolved
    assert "Krav i konflikt" in unsolved


def test_table_headers_never_break_inside_a_word(text):
    page_one = text[0]
    for word in ("Lindrende", "Avlastning", "Demens"):
        assert word in page_one  # a word split over two lines would read «Lindrend» + «e»
    assert "Drammen kommune · sak til hovedutvalget" in normalise(page_one)
    assert "case «" not in page_one


def test_hyphenation_marks_a_word_too_long_for_its_column():
    from dimensioning.report.pdf import _cell_text

    cell = _cell_text("Rehabiliteringsavdelingene", right=True, width=40)
    assert "-<br/>" in cell.text  # broken with a visible hyphen, not silently
    assert cell.text.replace("-<br/>", "") == "Rehabiliteringsavdelingene"


def test_every_site_of_nine_has_its_own_look_and_markers_of_sixteen_differ():
    from dimensioning.report.plots import marker_of, style_of

    sites = [f"Sted {i}" for i in range(1, 65)]
    looks = {tuple(style_of(sites, s).values()) for s in sites}
    assert len(looks) == 64
    assert len({marker_of(i) for i in range(16)}) == 16
    assert marker_of(0)[1] == "black"  # the optimum stays the filled one


def test_years_print_as_years_not_with_a_thousands_separator(text):
    """«startaar 2 025» in the assumptions table was a count's format; a year reads 2025."""
    whole = normalise(" ".join(text))
    after = whole[whole.index("Første planår") :][:40]
    assert "2025" in after, after
    for year in ("2 025", "2 026", "2 040"):
        assert year not in whole


def _input_names() -> set[str]:
    """Every input-column header and Parametre/Om name: what a person must never read in the report."""
    from dimensioning.inputs.schema import ABOUT_FIELDS, PARAMETERS, SHEETS, column_doc

    names = {d["header"] for spec in SHEETS for d in column_doc(spec.row_model)}
    return names | {p.name for p in PARAMETERS} | set(ABOUT_FIELDS)


def test_page_one_has_one_figure_five_bullets_and_no_solver_or_input_name(drammen_verified, tmp_path):
    """Page 1 can be presented: one figure, at most five bullets, the numbers of record, no jargon."""
    import re

    from dimensioning.report.summary import page_one_bullets

    paths = write_pdf(drammen_verified, tmp_path)
    page = PdfReader(paths["rapport"]).pages[0]
    assert len(page.images) == 1
    first = normalise(page.extract_text())
    bullets = page_one_bullets(drammen_verified)
    assert 3 <= len(bullets) <= 5
    from dimensioning.report.pdf import key_sentences

    assert normalise(key_sentences(drammen_verified)[0])[:50] not in first  # the long sentences are on page 2
    for bullet in bullets:
        assert normalise(bullet)[:50] in first
    for jargon in ("HiGHS", "bevist", "løst optimal", "heltallsmodell", "Optimal fordeling (modell)"):
        assert jargon not in first, jargon
    words = set(re.findall(r"[\wæøåÆØÅ]+", first))
    leaked = {name for name in _input_names() if "_" in name and name in first}
    # a name without «_» is an identifier when it spells å, ø or æ the ASCII way («startaar», «maal»)
    spelled = {name for name in _input_names() if any(pair in name for pair in ("aa", "oe", "ae"))}
    leaked |= spelled & words
    assert not leaked, leaked
    assert not re.search(r"\b2 0[2-9]\d\b", first)  # no year printed «2 025»
    costs = drammen_verified.costs.set_index("alternative")
    total = costs.at[drammen_verified.optimum_name, "total_cost_nok"]
    assert f"Det koster {number(total / 1e6, 1)} mill. kr i året" in first
    today = drammen_verified.case.alternative_names[0]
    assert f"{number((costs.at[today, 'total_cost_nok'] - total) / 1e6, 1)} mill. kr mindre enn «{today}»" in first
    assert "Hovedutvalget bes ta stilling til" in first
    assert "Om beregningen" in normalise(" ".join(p.extract_text() for p in PdfReader(paths["rapport"]).pages[-3:]))


def test_every_table_header_is_a_bokmaal_label_and_no_word_is_broken(drammen_result, tmp_path, monkeypatch):
    """Read every table's header row as the PDF builds it, then find each header word whole in the PDF."""
    import re

    from dimensioning.report import pdf

    headers: list[str] = []
    real_table = pdf._table

    def recording(rows, *args, **kwargs):
        for cell in rows[0]:
            headers.append(cell.text if hasattr(cell, "text") else str(cell))
        return real_table(rows, *args, **kwargs)

    monkeypatch.setattr(pdf, "_table", recording)
    paths = pdf.write_pdf(drammen_result, tmp_path)
    assert len(headers) > 40  # the comparison, the why, the units and every input sheet
    names = _input_names()
    whole = normalise(" ".join(p.extract_text() for p in PdfReader(paths["rapport"]).pages))
    for header in headers:
        plain = re.sub(r"<[^>]+>", " ", header)
        assert "-<br/>" not in header, f"hyphenated header: {plain}"
        assert "_" not in plain, plain
        assert plain.strip() not in names, plain
        for word in re.findall(r"[\wæøåÆØÅ]{5,}", plain):
            assert re.search(rf"(?<![\wæøåÆØÅ]){re.escape(word)}(?![\wæøåÆØÅ])", whole), (word, plain)


def test_peers_stand_beside_today_and_the_recommendation(drammen_result, tmp_path):
    """Nokkeltall: the peers as typed, the kommune's own columns computed from the result."""
    from openpyxl import load_workbook

    from dimensioning.report import write_excel
    from dimensioning.report.peers import peer_table

    table = peer_table(drammen_result)
    assert "Asker, Fredrikstad og Kristiansand (lavest) 2023" in table.columns
    assert table.at["plasser:KAD", "Asker, Fredrikstad og Kristiansand (høyest) 2023"] == 6
    queue = drammen_result.queueing.set_index(["alternative", "bed_type"])
    optimum, today = drammen_result.optimum_name, drammen_result.case.alternative_names[0]
    assert table.at["plasser:KAD", "Anbefalt"] == queue.at[(optimum, "KAD"), "beds"]
    assert table.at["plasser:Lindrende", today] == queue.at[(today, "Lindrende"), "beds"]
    old = drammen_result.case.population.query("age_group == '80+' and year == 2025")["inhabitants"].iloc[0]
    assert table.at["plasser_per_1000_80", "Anbefalt"] == pytest.approx(146 / old * 1000)
    assert table.at["korttidsandel", "Anbefalt"] != table.at["korttidsandel", "Anbefalt"]  # needs long-term beds
    pages = [normalise(p.extract_text()) for p in PdfReader(write_pdf(drammen_result, tmp_path)["rapport"]).pages]
    page = next(p for p in pages if "Sammenlignet med andre kommuner" in p)
    assert "Plasser: KAD 8 3 6" in page
    assert "Kilde: Dokument 000 (Agenda Kaupang 2023)" in page
    sheet = load_workbook(write_excel(drammen_result, tmp_path / "r.xlsx"))["Nøkkeltall"]
    rows = {r[0]: r[1:] for r in sheet.iter_rows(values_only=True) if r[0]}
    assert rows["Plasser: KAD"][-1] == queue.at[(optimum, "KAD"), "beds"]
