"""Why this split: the worth of one bed, and the steps from the reference alternative to the optimum."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from dimensioning import solve, write_excel
from dimensioning.common.labels import number
from dimensioning.workflows.explain import marginal_values, move_text, moves

from .conftest import small_case


def test_steps_rebuild_the_optimum_and_add_up_to_the_whole_difference(drammen_result):
    result, case = drammen_result, drammen_result.case
    reference = case.reference_name
    costs = result.costs.set_index("alternative")
    steps = result.moves
    assert steps["cost_change_nok"].sum() == pytest.approx(
        costs.at[result.optimum_name, "total_cost_nok"] - costs.at[reference, "total_cost_nok"], abs=1e-3
    )
    assert steps["turned_away_change"].sum() == pytest.approx(
        costs.at[result.optimum_name, "turned_away_per_year"] - costs.at[reference, "turned_away_per_year"], abs=1e-9
    )
    # replaying the steps on the reference gives the optimum, bed for bed
    beds = case.alternatives[case.alternatives["alternative"] == reference].groupby(["site", "bed_type"])["beds"].sum()
    beds = beds.to_dict()
    for row in steps.itertuples():
        beds[(row.from_site, row.from_type)] -= row.beds
        for to_type, to_site, n in re.findall(r"(.+?) på (.+?) \((\d+)\)(?:, |$)", row.to):
            beds[(to_site, to_type)] = beds.get((to_site, to_type), 0) + int(n)
    optimum = result.allocation.set_index(["site", "bed_type"])["beds"]
    assert {k: v for k, v in beds.items() if v} == {k: v for k, v in optimum.items() if v}
    assert move_text(steps.iloc[1]).startswith("10 senger fra Demens på Bråta helse- og aktivitetssenter til Demens")


def test_one_bed_more_turns_away_what_the_real_year_curve_says(drammen_result):
    case, marginal = drammen_result.case, drammen_result.marginal.set_index("bed_type")
    for bed_type in ("KAD", "Demens", "Avlastning"):  # respite: booked stays not given (planlagt)
        c = int(marginal.at[bed_type, "beds"])
        curve = case.real_year_curves.yearly[:, case.bed_type_names.index(bed_type)]
        expected_more = curve[c + 1] - curve[c]
        expected_less = curve[c - 1] - curve[c]
        assert marginal.at[bed_type, "turned_away_one_more"] == pytest.approx(float(expected_more), rel=1e-9)
        assert marginal.at[bed_type, "turned_away_one_less"] == pytest.approx(float(expected_less), rel=1e-9)


def test_a_larger_total_shows_new_beds():
    case = small_case()
    reference = pd.DataFrame([("A", "Akutt", 4), ("B", "Vanlig", 4)], columns=["site", "bed_type", "beds"])
    target = pd.DataFrame([("A", "Akutt", 4), ("B", "Vanlig", 6)], columns=["site", "bed_type", "beds"])
    steps = moves(case, reference, target)
    assert move_text(steps.iloc[0]) == "2 senger nye: Vanlig på B (2)"
    fewer = moves(case, target, reference)
    assert move_text(fewer.iloc[0]) == "2 senger færre: Vanlig på B"
    assert fewer["cost_change_nok"].sum() == pytest.approx(-steps["cost_change_nok"].sum())


def test_why_sheet_in_excel(drammen_result, tmp_path):
    path = write_excel(drammen_result, tmp_path / "r.xlsx")
    sheet = load_workbook(path)["Hvorfor"]
    rows = [r for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Plasstype"
    assert [r[0] for r in rows[1:7]] == drammen_result.case.bed_type_names
    moves_header = next(i for i, r in enumerate(rows) if r[0] == "Steg")
    total = sum(r[2] for r in rows[moves_header + 1 :] if r[2] is not None)
    assert total == pytest.approx(drammen_result.moves["cost_change_nok"].sum())


def test_marginal_values_of_a_small_case_against_a_direct_evaluation():
    from dimensioning.workflows.evaluate import evaluate

    case = small_case()
    result = solve(case)
    marginal = marginal_values(case, result.allocation).set_index("bed_type")
    base = evaluate(case, result.allocation).costs.iloc[0]["total_cost_nok"]
    site = marginal.at["Vanlig", "site"]
    more = pd.concat([result.allocation, pd.DataFrame([(site, "Vanlig", 1)], columns=["site", "bed_type", "beds"])])
    direct = evaluate(case, more).costs.iloc[0]["total_cost_nok"] - base
    assert marginal.at["Vanlig", "cost_one_more_nok"] == pytest.approx(direct, rel=1e-12)


def test_reports_say_which_targets_the_real_year_misses(drammen_result):
    """Without a simulation the model's own curves are the record, and every sentence says so."""
    from dimensioning.common.labels import real_year_sentence
    from dimensioning.report.pdf import key_sentences

    queue = drammen_result.queueing
    rows = queue[queue["alternative"] == drammen_result.optimum_name]
    # the model dimensions on the real year, so its optimum meets every target there
    sentence = real_year_sentence(rows)
    assert sentence.startswith("Kravene til avvisning holder i det virkelige året")
    assert sentence.endswith("(beregnet, ikke kontrollert med simulering).")
    assert sentence in key_sentences(drammen_result)
    director = queue[queue["alternative"] == "Kommunedirektøren (2024)"]
    sentence = real_year_sentence(director)
    missed = director[(director["max_blocking"] < 1) & (director["share_not_served"] > director["max_blocking"])]
    # the director gives respite no beds: all its booked days go ungiven (planlagt)
    assert set(missed["bed_type"]) == {"KAD", "Lindrende", "Rehabilitering", "Avlastning"}
    assert director.set_index("bed_type").at["Avlastning", "share_not_served"] == pytest.approx(1.0)
    for bed_type in missed["bed_type"]:
        assert bed_type in sentence
    assert "Lindrende 11,0 % (krav 10 %)" in sentence  # 8 beds at one site: whole beds close in the summer
    near = director.assign(share_not_served=director["max_blocking"] + 0.0003)
    assert "Lindrende 10,03 % (krav 10 %)" in real_year_sentence(near)  # never «10,0 % (krav 10 %)»


def test_one_day_of_cold_time_is_worth_what_the_evaluation_says(drammen_result, drammen_case):
    """Every freed bed filled a day later: the change in patients, UKP days and kroner, and the sentence."""
    from dimensioning.common.labels import cold_time_sentence
    from dimensioning.inputs.case import read_case_tables
    from dimensioning.inputs.examples import drammen_path
    from dimensioning.inputs.scenarios import parse_override
    from dimensioning.workflows.evaluate import evaluate

    table = drammen_result.cold_time.set_index("change")
    assert list(table.index) == [1.0]  # Drammen's beds have no cold time to lose
    bed_types = drammen_case.bed_types.copy()
    admits = bed_types["when_full"] != "planlagt"
    bed_types.loc[admits, "cold_days"] += 1
    later = evaluate(drammen_case.replace(bed_types=bed_types), drammen_result.allocation, free_bed=False).costs.iloc[0]
    now = evaluate(drammen_case, drammen_result.allocation, free_bed=False).costs.iloc[0]
    assert table.at[1.0, "ukp_days_change"] == pytest.approx(later["ukp_days_per_year"] - now["ukp_days_per_year"])
    assert table.at[1.0, "cost_change_nok"] == pytest.approx(later["total_cost_nok"] - now["total_cost_nok"])
    assert table.at[1.0, "turned_away_change"] > 0
    sentence = cold_time_sentence(drammen_result)
    assert sentence.startswith("Kalde senger: står hver ledige seng ett døgn lenger tom")
    assert f"{number(table.at[1.0, 'cost_change_nok'] / 1e6, 1)} mill. kr i året" in sentence
    # a lever in sweeps: the column is an override like any other
    override = parse_override("Plasstyper:*:kalde_senger_dager", read_case_tables(drammen_path()))
    assert not isinstance(override, str)
    assert override.column == "kalde_senger_dager"
