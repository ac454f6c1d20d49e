"""Input validation: the bundled case, and bad input reported in bokmål with sheet, row, column."""

from __future__ import annotations

import numpy as np
import pytest

from dimensioning import InputError, load_case, queueing
from dimensioning.inputs.case import case_from_tables
from dimensioning.inputs.examples import drammen_csv_folder, drammen_path

from .conftest import SMALL, small_case, tables_from_csv


def test_drammen_workbook_matches_its_csv_source(drammen_case):
    from_csv = load_case(drammen_csv_folder())
    for attribute in ("sites", "bed_types", "skills", "alternatives", "parameters"):
        left = getattr(drammen_case, attribute).drop(columns="_row")
        right = getattr(from_csv, attribute).drop(columns="_row")
        assert left.equals(right), attribute
    assert drammen_case.settings == from_csv.settings


def test_drammen_facts(drammen_case):
    assert drammen_case.settings.total_beds == 146
    assert drammen_case.sites["beds"].to_dict() == {
        "Drammen helsehus": 66,
        "Bråta helse- og aktivitetssenter": 34,
        "Svelvik sykehjem": 20,
        "Åskollen bo- og servicesenter": 20,
        "Strømsø bo- og servicesenter": 6,
    }
    totals = drammen_case.alternatives.groupby("alternative")["beds"].sum()
    assert totals.to_dict() == {
        "Agenda Kaupang (2023)": 146,
        "Dagens (mars 2024)": 146,
        "Kommunedirektøren (2024)": 146,
    }
    today = drammen_case.alternatives.query("alternative == 'Dagens (mars 2024)'")
    per_type = today.groupby("bed_type")["beds"].sum()
    assert per_type["Lindrende"] == 21
    assert per_type["KAD"] == 8
    assert per_type["Rehabilitering"] == 12
    director = drammen_case.alternatives.query("alternative == 'Kommunedirektøren (2024)'")
    assert director.set_index(["site", "bed_type"])["beds"].to_dict()[("Drammen helsehus", "KAD")] == 10
    # every default has a source
    assert (drammen_case.bed_types["source"].str.len() > 20).all()
    assert (drammen_case.sites["source"].str.len() > 5).all()
    # documented demand facts: palliative 10-12 occupied in all (about half advanced), rehab ~16
    load = drammen_case.load_beds
    assert 5 <= load["Lindrende"] <= 6
    assert queueing.min_servers(load["Rehabilitering"], 0.10) == 16  # document 002: about 16 places
    # rehabilitation waits at home (ved_fullt venter): maks_avvisning is the share who give up
    # waiting (patience 14 days), which 15 beds meet in the real year where the loss model needed 17
    assert drammen_case.bed_types.at["Rehabilitering", "when_full"] == "venter"
    assert drammen_case.min_beds_for_target["Rehabilitering"] == 15
    # respite is booked (planlagt): 220 stays × 10 days, at most 5 % of the booked days not given
    # with beds filled to 85 %; summer has more bookings (index 1.2) and 90 % of beds open
    from dimensioning.queueing.seasons import MONTH_OF_DAY, arrivals_per_day

    booked = np.bincount(MONTH_OF_DAY, arrivals_per_day(drammen_case)["Avlastning"] * 10.0, 12)
    open_days = np.bincount(MONTH_OF_DAY, drammen_case.open_shares.min(axis=1), 12)
    unmet = [np.maximum(0, booked - 0.85 * c * open_days).sum() for c in range(20)]
    expected = next(c for c in range(20) if unmet[c] <= 0.05 * 2200 + 1e-9)
    assert drammen_case.min_beds_for_target["Avlastning"] == expected == 8
    assert drammen_case.settings.min_nurse_fte_per_unit == pytest.approx(5.3, abs=0.01)
    assert drammen_path().name == "drammen.xlsx"


def issues_of(**sheets: str) -> list[str]:
    with pytest.raises(InputError) as info:
        small_case(**sheets)
    return [str(issue) for issue in info.value.issues]


def test_wrong_type_negative_and_missing_values_are_located():
    bad = (
        SMALL["Plasstyper"]
        .replace("Akutt,300,3,0.2", "Akutt,mange,-3,0.2")
        .replace("Vanlig,200,14,0.5,0.8", "Vanlig,200,14,,0.8")
    )
    issues = issues_of(Plasstyper=bad)
    assert "ark «Plasstyper», rad 2, kolonne «innleggelser_per_aar»: må være et tall, fikk «mange»" in issues
    assert any("rad 2, kolonne «liggetid_dager»: må være minst 0,1" in i for i in issues)
    assert "ark «Plasstyper», rad 3, kolonne «maks_avvisning»: mangler verdi" in issues


def test_bad_yes_no_and_unknown_column():
    bad = SMALL["Lokasjoner"].replace("A,6,6,0,0,1,ja,ja", "A,6,6,0,0,1,kanskje,ja")
    issues = issues_of(Lokasjoner=bad)
    assert issues == ["ark «Lokasjoner», rad 2, kolonne «basseng»: må være «ja» eller «nei», fikk «kanskje»"]
    misspelt = SMALL["Lokasjoner"].replace("basseng", "bassen")
    issues = issues_of(Lokasjoner=misspelt)
    assert "ark «Lokasjoner», rad 1, kolonne «bassen»: ukjent kolonne (sjekk stavemåten)" in issues


def test_missing_sheet_and_missing_required_column():
    sheets = dict(SMALL)
    issues = issues_of(Bemanning="fagkategori,kostnad_per_aarsverk\nsykepleier,900000")
    assert "ark «Bemanning», rad 1, kolonne «andel»: påkrevd kolonne mangler" in issues
    del sheets["Parametre"]
    tables = tables_from_csv(sheets)
    with pytest.raises(InputError, match="ark «Parametre»: arket mangler i arbeidsboken"):
        case_from_tables(tables)


def test_duplicates_unknown_names_and_cross_checks():
    duplicated = SMALL["Lokasjoner"] + "A,4,4,0,0,0,nei,nei\n"
    issues = issues_of(Lokasjoner=duplicated)
    assert "ark «Lokasjoner», rad 4, kolonne «lokasjon»: «A» står allerede i rad 2 (duplikat)" in issues
    alternatives = "alternativ,lokasjon,plasstype,plasser\nI dag,C,Akutt,3\nI dag,A,Akut,2\n"
    issues = issues_of(Alternativer=alternatives)
    assert any(i.startswith("ark «Alternativer», rad 2, kolonne «lokasjon»: «C» finnes ikke") for i in issues)
    assert any(i.startswith("ark «Alternativer», rad 3, kolonne «plasstype»: «Akut» finnes ikke") for i in issues)
    shares = SMALL["Bemanning"].replace("0.6", "0.7")
    assert issues_of(Bemanning=shares) == [
        "ark «Bemanning», kolonne «andel»: andelene summerer til 1,1, men skal summere til 1"
    ]
    params = "navn,verdi\ntotalt_antall_plaser,10\n"
    issues = issues_of(Parametre=params)
    assert issues[0].startswith("ark «Parametre», rad 2, kolonne «navn»: ukjent parameter «totalt_antall_plaser»")


def test_all_problems_reported_at_once():
    bad_types = SMALL["Plasstyper"].replace("Akutt,300", "Akutt,x").replace("Vanlig,200", "Vanlig,y")
    bad_sites = SMALL["Lokasjoner"].replace("B,6,", "B,-6,")
    issues = issues_of(Plasstyper=bad_types, Lokasjoner=bad_sites)
    assert len(issues) == 3


def test_decimal_comma_and_whole_numbers_from_excel():
    text = SMALL["Plasstyper"].replace("Vanlig,200,14,0.5,0.8", 'Vanlig,200,14,"0,5","0,8"')
    case = small_case(Plasstyper=text)
    assert case.bed_types.at["Vanlig", "care_fte_per_bed"] == pytest.approx(0.8)
    assert case.bed_types.at["Vanlig", "max_blocking"] == pytest.approx(0.5)


def test_committed_workbook_is_regenerated_from_csv(tmp_path):
    from dimensioning.workflows.bundled import rebuild_drammen_workbook

    fresh = rebuild_drammen_workbook(tmp_path / "drammen.xlsx")
    assert fresh.read_bytes() == drammen_path().read_bytes(), "run: python -m dimensioning.workflows.bundled"


def test_valid_rows_of_a_broken_sheet_are_still_cross_checked():
    policies = "lokasjon,plasstype,min,maks\nA,Vanlig,x,\nC,Vanlig,0,1\n"
    issues = issues_of(Foringer=policies)
    assert "ark «Foringer», rad 2, kolonne «min»: må være et heltall, fikk «x»" in issues
    assert any(i.startswith("ark «Foringer», rad 3, kolonne «lokasjon»: «C» finnes ikke") for i in issues)


@pytest.mark.parametrize(
    ("indicator", "fragment"),
    [("plasser_per_innbygger", "ukjent indikator «plasser_per_innbygger»"), ("plasser:Hospice", "«Hospice»")],
)
def test_an_unknown_key_figure_is_named_at_its_cell(indicator, fragment):
    sheet = f"kommune,aar,indikator,verdi,kilde\nAsker,2023,plasser:Akutt,4,KOSTRA\nAsker,2023,{indicator},5,KOSTRA\n"
    with pytest.raises(InputError) as raised:
        small_case(Nokkeltall=sheet)
    issue = raised.value.issues[0]
    assert (issue.sheet, issue.row, issue.column) == ("Nokkeltall", 3, "indikator")
    assert fragment in issue.message_nb
    valid = small_case(Nokkeltall="\n".join(sheet.splitlines()[:2]))
    assert valid.key_figures["value"].tolist() == [4]


def test_a_sweeps_validation_cache_gives_what_a_fresh_validation_gives():
    """Rows validated before are reused by their cells: a changed cell, a bad cell at another row, a kept sheet."""
    import copy

    cache: dict = {}
    base = tables_from_csv(SMALL)
    first = case_from_tables(base, cache=cache)
    changed = dict(base)
    changed["Plasstyper"] = copy.deepcopy(base["Plasstyper"])
    changed["Plasstyper"][0][1]["pleiefaktor"] = "0.95"  # Akutt, row 2
    again = case_from_tables(changed, cache=cache)
    assert again.bed_types.at["Akutt", "care_fte_per_bed"] == 0.95
    assert first.bed_types.at["Akutt", "care_fte_per_bed"] == 1.1  # the first case is untouched
    assert again.sites is first.sites  # the unchanged sheet is shaped once
    # a bad cell, seen first at one row and then at another: each message names its own row
    bad = dict(base)
    bad["Plasstyper"] = copy.deepcopy(base["Plasstyper"])
    bad["Plasstyper"][0][1]["pleiefaktor"] = "mye"
    with pytest.raises(InputError) as one:
        case_from_tables(bad, cache=cache)
    moved = dict(bad)
    moved["Plasstyper"] = [bad["Plasstyper"][1], (7, bad["Plasstyper"][0][1])]
    with pytest.raises(InputError) as other:
        case_from_tables(moved, cache=cache)
    fresh = pytest.raises(InputError, case_from_tables, moved).value
    rows = [(i.sheet, i.row, i.column, i.message_nb) for i in other.value.issues]
    assert rows == [(i.sheet, i.row, i.column, i.message_nb) for i in fresh.issues]
    assert [i.row for i in one.value.issues] == [2]
    assert [i.row for i in other.value.issues] == [7]
