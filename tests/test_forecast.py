"""The next weeks from today's state (issue 23): steady state kept, the first day is the census, bad input refused."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from dimensioning.cli import main
from dimensioning.simulation.forecast import (
    forecast,
    residual_stays,
    state_from_counts,
    state_from_stays,
)

from .conftest import small_case

MANY_BEDS = {
    "Lokasjoner": "lokasjon,plasser\nA,400\n",
    "Plasstyper": (
        "plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,kostnad_per_avvist,liggetid_cv\n"
        "Vanlig,36500,0.5,1,0.8,1000,1.0\n"
    ),
    "Parametre": "navn,verdi\ntotalt_antall_plasser,400\n",
}


def test_a_steady_state_started_from_its_own_census_stays_there_every_day():
    """100 arrivals a day of 0.5 days on 400 beds: 50 in bed on average. Started from 50 whose times
    already spent are the steady state's, the mean census stays within 2 % of 50 on every day."""
    case = small_case(**MANY_BEDS)
    beds = pd.DataFrame([("A", "Vanlig", 400)], columns=["site", "bed_type", "beds"])
    state = state_from_counts(case, pd.DataFrame({"bed_type": ["Vanlig"], "occupied": [50], "waiting": [0]}))
    result = forecast(case, beds, state, datetime.date(2025, 3, 1), weeks=2, replications=400, seed=3)
    means = result.daily["occupancy_mean"].to_numpy()
    assert means[0] == 50  # the first day is the census itself
    assert np.all(np.abs(means - 50) <= 0.02 * 50), means
    assert result.daily["p_full"].max() == 0  # never full


def test_the_rest_of_a_stay_is_drawn_given_the_days_already_spent():
    """E[S - a | S > a] of a lognormal stay, against the integral of its survival function."""
    from scipy import integrate, stats

    mu, sigma, a = np.log(10.0) - 0.5 * np.log(2.0), np.sqrt(np.log(2.0)), 20.0  # mean 10 days, CV 1
    rng = np.random.default_rng(5)
    draws = residual_stays(np.full(200_000, mu), np.full(200_000, sigma), np.full(200_000, a), rng)
    law = stats.lognorm(s=sigma, scale=np.exp(mu))
    expected = integrate.quad(law.sf, a, np.inf)[0] / law.sf(a)
    assert draws.mean() == pytest.approx(expected, rel=0.02)
    assert draws.min() > 0
    fresh = residual_stays(np.full(200_000, mu), np.full(200_000, sigma), np.zeros(200_000), rng)
    assert fresh.mean() == pytest.approx(10.0, rel=0.02)  # day 0: a whole stay


def test_the_first_day_is_the_census_of_the_record():
    from dimensioning import load_case
    from dimensioning.inputs.data import drammen_path, synthetic_stays_path
    from dimensioning.inputs.stays import read_stays

    case = load_case(drammen_path())
    stays = read_stays(synthetic_stays_path(), case.bed_type_names, case.site_names)
    day = datetime.date(2024, 6, 3)
    state = state_from_stays(case, stays.frame, day)
    frame = stays.frame
    inside = frame[(frame["admitted"] < pd.Timestamp(day)) & ~(frame["discharged"] < pd.Timestamp(day))]
    census = inside.groupby("bed_type").size()
    beds = pd.DataFrame(
        [(s, t, 200) for s, t in [(case.site_names[0], t) for t in case.bed_type_names]],
        columns=["site", "bed_type", "beds"],
    )
    result = forecast(case, beds, state, day, weeks=1, replications=20, seed=1)
    first = result.daily[result.daily["date"] == day].set_index("bed_type")["occupancy_mean"]
    for t in case.bed_type_names:
        assert first[t] == census.get(t, 0), t
    assert (state.in_bed["elapsed_days"] >= 1).all()  # admitted before the day: at least a day in


def test_prognose_writes_the_sheet_and_refuses_a_day_outside_the_record(tmp_path):
    from openpyxl import load_workbook

    runner = CliRunner()
    out = tmp_path / "p.xlsx"
    made = runner.invoke(main, ["prognose", "--uker", "2", "--simuleringer", "20", "--ut", str(out)])
    assert made.exit_code == 0, made.output
    assert "Prognose fra 31.12.2024 for 2 uker" in made.output
    book = load_workbook(out)
    rows = list(book["Prognose"].iter_rows(values_only=True))
    assert rows[0] == (
        "dato",
        "plasstype",
        "belegg_snitt",
        "belegg_p05",
        "belegg_p95",
        "sannsynlighet_fullt",
        "ventende_snitt",
        "ukp_dogn_snitt",
    )
    assert len(rows) - 1 == 14 * 6  # every day and type
    assert {"Per uke", "Om prognosen"} <= set(book.sheetnames)
    late = tmp_path / "late.xlsx"
    refused = runner.invoke(main, ["prognose", "--fra", "01.06.2030", "--ut", str(late)])
    assert refused.exit_code != 0
    assert "ligger utenfor oppholdsfilen, som går fra 01.01.2023 til 30.12.2024" in refused.output
    assert "Traceback" not in refused.output
    assert not late.exists()


def test_prognose_refuses_more_patients_in_bed_than_the_alternative_has(tmp_path):
    """The synthetic record fills 74 USK beds at the cut-off; an alternative with 60 cannot hold them."""
    from openpyxl import load_workbook

    from dimensioning.inputs.data import drammen_path

    book = load_workbook(drammen_path())
    sheet = book["Alternativer"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        values = {h: c for h, c in zip(header, row, strict=False)}
        if values["alternativ"].value == "Dagens (mars 2024)" and values["plasstype"].value == "Forsterket (USK)":
            values["plasser"].value = 0
    case_path = tmp_path / "case.xlsx"
    book.save(case_path)
    out = tmp_path / "p.xlsx"
    refused = CliRunner().invoke(main, ["prognose", "--case", str(case_path), "--ut", str(out)])
    assert refused.exit_code != 0
    assert "ligger flere pasienter inne enn fordelingen har senger (Forsterket (USK):" in refused.output
    assert not out.exists()


def test_prognose_from_todays_counts_alone(tmp_path):
    """A kommune without a stay record types its counts in «Belegg i dag»: the first day is those counts."""
    from openpyxl import load_workbook

    from dimensioning.inputs.data import drammen_path

    book = load_workbook(drammen_path())
    if "Belegg i dag" in book.sheetnames:
        del book["Belegg i dag"]
    sheet = book.create_sheet("Belegg i dag")
    sheet.append(["plasstype", "lokasjon", "belagte_plasser", "ventende"])
    sheet.append(["KAD", "Drammen helsehus", 6, 0])
    sheet.append(["Forsterket (USK)", "Drammen helsehus", 40, 3])
    sheet.append(["Forsterket (USK)", "Bråta helse- og aktivitetssenter", 20, 0])
    case_path = tmp_path / "case.xlsx"
    book.save(case_path)
    out = tmp_path / "p.xlsx"
    made = CliRunner().invoke(
        main, ["prognose", "--case", str(case_path), "--fra", "01.12.2026", "--uker", "1", "--ut", str(out)]
    )
    assert made.exit_code == 0, made.output
    assert "likevekt" not in made.output  # said in words
    assert "bare antallene er kjent" in made.output
    rows = [r for r in load_workbook(out)["Prognose"].iter_rows(values_only=True)][1:]
    first = {r[1]: r for r in rows if r[0].date() == datetime.date(2026, 12, 1)}
    assert first["KAD"][2] == 6
    # the morning's state as typed: 60 in bed and 3 waiting (they find free beds just after)
    assert first["Forsterket (USK)"][2] == 60
    assert first["Forsterket (USK)"][6] == 3


def test_hindsight_keeps_the_truth_inside_the_90_percent_band_on_about_nine_days_of_ten(tmp_path):
    """--tilbakeblikk on the synthetic record (made by the same simulation): the record's census lies
    inside the forecast's 5-95 % band on about 90 % of days, and the mean error is small."""
    from openpyxl import load_workbook

    out = tmp_path / "t.xlsx"
    made = CliRunner().invoke(
        main,
        ["prognose", "--fra", "02.09.2024", "--uker", "8", "--tilbakeblikk", "--simuleringer", "100", "--ut", str(out)],
    )
    assert made.exit_code == 0, made.output
    book = load_workbook(out)
    summary = {r[0]: r for r in book["Tilbakeblikk per type"].iter_rows(values_only=True)}
    overall = summary["Alle"]
    assert 0.8 <= overall[2] <= 1.0, overall
    assert abs(overall[3]) < 1.5
    assert "Tilbakeblikk fra 02.09.2024: det faktiske belegget lå innenfor 90 %-båndet på" in made.output
    assert (tmp_path / "t.png").is_file()
    too_late = CliRunner().invoke(
        main, ["prognose", "--fra", "01.12.2024", "--tilbakeblikk", "--ut", str(tmp_path / "late.xlsx")]
    )
    assert too_late.exit_code != 0
    assert "--tilbakeblikk trenger 12 uker etter 01.12.2024" in too_late.output


def test_extra_beds_keep_the_target_as_erlang_b_says_in_steady_state():
    """One loss type of load 5 beds on 6 beds, target 5 %: Erlang B needs 9 beds, so about 3 extra each week."""
    from dimensioning import queueing
    from dimensioning.simulation.forecast import extra_beds

    sheets = {
        "Lokasjoner": "lokasjon,plasser\nA,40\n",
        "Plasstyper": (
            "plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,kostnad_per_avvist,liggetid_cv\n"
            "Vanlig,182.5,10,0.05,0.8,1000,1.0\n"
        ),
        "Parametre": "navn,verdi\ntotalt_antall_plasser,6\n",
    }
    case = small_case(**sheets)
    needed = int(queueing.min_servers(5.0, 0.05))
    assert needed == 9
    beds = pd.DataFrame([("A", "Vanlig", 6)], columns=["site", "bed_type", "beds"])
    state = state_from_counts(case, pd.DataFrame({"bed_type": ["Vanlig"], "occupied": [5], "waiting": [0]}))
    extra = extra_beds(case, beds, state, datetime.date(2025, 3, 3), weeks=4, replications=200, seed=2)
    assert extra["extra_beds"].notna().all()
    assert extra["extra_beds"].between(needed - 6 - 1, needed - 6 + 1).all(), extra


def test_the_report_gets_the_page_on_the_weeks_ahead_from_a_stay_record(tmp_path):
    from pypdf import PdfReader

    from dimensioning.inputs.data import synthetic_stays_path

    out = tmp_path / "rapport"
    args = ["report", "--ikke-verifiser", "--uten-plan", "--opphold", str(synthetic_stays_path()), "--ut", str(out)]
    made = CliRunner().invoke(main, args)
    assert made.exit_code == 0, made.output
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(out / "rapport.pdf").pages]
    page = next(p for p in pages if "De neste ukene" in p)
    assert "Prognose fra 31.12.2024 for 12 uker med fordelingen «Dagens (mars 2024)»" in page
    assert (out / "neste-uker.png").is_file()


def test_the_queue_at_the_start_is_counted_once_and_the_patients_in_bed_not_at_all():
    """Two beds taken by long stays, three patients waiting who never give up, almost no new arrivals:
    three wait on day 0 and still three on day 1 (the beds cannot free up that soon)."""
    sheets = {
        "Lokasjoner": "lokasjon,plasser\nA,2\n",
        "Plasstyper": (
            "plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,kostnad_per_avvist,"
            "liggetid_cv,ved_fullt,ventested\nVanlig,0.01,200,1,0.8,1000,0.1,venter,sykehus\n"
        ),
        "Parametre": "navn,verdi\ntotalt_antall_plasser,2\n",
    }
    case = small_case(**sheets)
    beds = pd.DataFrame([("A", "Vanlig", 2)], columns=["site", "bed_type", "beds"])
    state = state_from_counts(case, pd.DataFrame({"bed_type": ["Vanlig"], "occupied": [2], "waiting": [3]}))
    daily = forecast(case, beds, state, datetime.date(2025, 3, 3), weeks=1, replications=20, seed=4).daily
    assert daily["occupancy_mean"].iloc[0] == 2
    assert daily["waiting_mean"].iloc[0] == 3
    assert daily["waiting_mean"].iloc[1] == 3
    assert daily["ukp_days_mean"].iloc[0] == 3  # they wait in hospital


def test_without_a_stay_file_another_kommune_is_asked_for_its_own(tmp_path):
    """The synthetic record is Drammen's: for a case without its types and sites, a message, not 9 000 issues."""
    from dimensioning.inputs.examples import template_case
    from dimensioning.inputs.template import write_template

    case_path = write_template(template_case(), tmp_path / "eksempel.xlsx")
    for command in (["prognose"], ["kalibrer"]):
        out = tmp_path / f"{command[0]}.xlsx"
        refused = CliRunner().invoke(main, [*command, "--inndata", str(case_path), "--ut", str(out)])
        assert refused.exit_code == 2, refused.output
        assert "som hører til Drammen kommune, men «Eksempel kommune» har ikke «Lindrende»" in refused.output
        assert "Oppgi kommunens egen oppholdsfil" in refused.output
        assert "problemer funnet" not in refused.output
        assert not out.exists()
