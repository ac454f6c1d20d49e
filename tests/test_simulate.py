"""Simulation: against Erlang B, reproducible seeds, holiday closures, reserved beds; the check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from dimensioning import queueing
from dimensioning.cli import main
from dimensioning.queueing.seasons import beds_open_per_day, day_of_year
from dimensioning.simulation.simulate import SimulationOptions, analytic_check, compare_reservation, simulate

from .conftest import small_case

ONE_TYPE = {
    "Lokasjoner": "lokasjon,plasser\nA,9\n",
    "Plasstyper": (
        "plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,kostnad_per_avvist,liggetid_cv\n"
        "Vanlig,182.5,10,1,0.8,1000,1.5\n"
    ),
    "Parametre": "navn,verdi\ntotalt_antall_plasser,9\n",
}


def allocation(rows):
    return pd.DataFrame(rows, columns=["site", "bed_type", "beds"])


def test_stationary_simulation_matches_erlang_b():
    case = small_case(**ONE_TYPE)  # load 5 beds, 9 beds, lognormal stays with CV 1.5 (insensitivity)
    result = simulate(case, allocation([("A", "Vanlig", 9)]), SimulationOptions(years=40, replications=8, jobs=1))
    row = result.per_type.iloc[0]
    expected = float(queueing.erlang_b(9, 5.0))
    assert abs(row["blocking"] - expected) <= row["blocking_ci"] + 0.003
    assert row["occupancy"] == pytest.approx(float(queueing.occupancy(9, 5.0)), abs=0.02)


def test_same_seed_same_numbers_on_any_number_of_processes(drammen_case, drammen_result):
    options = SimulationOptions(years=2, replications=4, seed=7, jobs=1)
    first = simulate(drammen_case, drammen_result.allocation, options)
    again = simulate(drammen_case, drammen_result.allocation, options)
    parallel = simulate(
        drammen_case, drammen_result.allocation, SimulationOptions(years=2, replications=4, seed=7, jobs=2)
    )
    pd.testing.assert_frame_equal(first.per_type, again.per_type)
    pd.testing.assert_frame_equal(first.per_month, parallel.per_month)
    other = simulate(
        drammen_case, drammen_result.allocation, SimulationOptions(years=2, replications=4, seed=8, jobs=1)
    )
    assert not np.allclose(first.per_type["blocking"], other.per_type["blocking"])


def test_holiday_closures_reduce_capacity_in_their_periods(drammen_case, drammen_result):
    open_beds = beds_open_per_day(drammen_case, drammen_result.allocation)
    usk = drammen_result.allocation.query("bed_type == 'Forsterket (USK)'")
    full = int(usk["beds"].sum())
    summer_bed_count = int(sum(np.floor(0.9 * b + 1e-9) for b in usk["beds"]))
    assert open_beds.at[day_of_year((15, 5)), "Forsterket (USK)"] == full
    assert open_beds.at[day_of_year((1, 7)), "Forsterket (USK)"] == summer_bed_count < full
    assert open_beds.at[day_of_year((23, 6)), "Forsterket (USK)"] == full  # the day before the closure
    assert open_beds.at[day_of_year((1, 1)), "Forsterket (USK)"] < full  # Christmas crosses new year
    # without seasons, July still turns more patients away than May because of the closure
    flat = drammen_case.replace(season=drammen_case.season.iloc[0:0])
    result = simulate(flat, drammen_result.allocation, SimulationOptions(years=6, replications=4, jobs=2))
    usk_months = result.per_month.query("bed_type == 'Forsterket (USK)'").set_index("month")["blocking"]
    assert usk_months[7] > usk_months[5] + 0.01


def test_reserved_beds_are_never_lent(drammen_case, drammen_result):
    options = SimulationOptions(years=3, replications=4, jobs=2)
    table = compare_reservation(drammen_case, drammen_result.allocation, ["Lindrende"], options)
    reserved = table[table["variant"] == "reservert"].set_index("bed_type")
    free = table[table["variant"] == "ledig seng"].set_index("bed_type")
    for bed_type in ("KAD", "Lindrende", "Rehabilitering"):  # reserved in the Drammen case
        assert reserved.at[bed_type, "beds_lent_per_year"] == 0
    assert free.at["Lindrende", "beds_lent_per_year"] > 0  # lifted: others use the palliative beds
    assert free.at["KAD", "beds_lent_per_year"] == 0  # still reserved
    assert free.at["Forsterket (USK)", "blocking"] < reserved.at["Forsterket (USK)", "blocking"]


def test_analytic_check_mol_close_to_simulation(drammen_case, drammen_result):
    check = analytic_check(drammen_case, drammen_result.allocation, SimulationOptions(years=8, replications=6, jobs=2))
    used = check[check["beds"] > 0].set_index("bed_type")
    # booked stays: the fluid curve (beds filled to maal_belegg) is the conservative side of the
    # simulation, where a booking postponed within its horizon is still given
    booked = used["when_full"] == "planlagt"
    assert (used.loc[booked, "mol"] >= used.loc[booked, "simulated"] - 1e-12).all()
    used = used[~booked]
    # the seasonal MOL approximation lies within the simulation's interval (plus a little slack)
    assert (used["difference_mol"].abs() <= used["simulated_ci"] + 0.01).all()
    # the stationary formula misses the winter peak for the seasonal types
    assert used.at["Forsterket (USK)", "erlang_b"] < used.at["Forsterket (USK)", "mol"] - 0.01
    # the real year of the evaluation (continued Erlang B: fractional open beds) is close to the
    # simulation, which closes whole beds; it interpolates, so it may sit a little below
    queue = drammen_result.queueing
    year = queue[queue["alternative"] == drammen_result.optimum_name].set_index("bed_type")["blocking_year"]
    gap = used["simulated"] - year.reindex(used.index)
    assert (gap.abs() <= used["simulated_ci"] + 0.01).all(), gap


def test_cli_simulate_and_check(tmp_path):
    runner = CliRunner()
    out = tmp_path / "sim"
    result = runner.invoke(main, ["simulate", "--years", "1", "--replications", "2", "--jobs", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Simulering av «Optimal fordeling (modell)»" in result.output
    assert (out / "simulering.xlsx").is_file()
    assert (out / "simulert-avvisning-per-maaned.png").is_file()
    from openpyxl import load_workbook

    assert load_workbook(out / "simulering.xlsx").sheetnames == [
        "Per plasstype",
        "Per måned",
        "Per lokasjon",
        "Reservert mot ledig seng",
    ]
    check = runner.invoke(
        main,
        [
            "check",
            "--years",
            "1",
            "--replications",
            "2",
            "--jobs",
            "1",
            "--out",
            str(tmp_path / "c"),
            "--alternativ",
            "Kommunedirektøren (2024)",
        ],
    )
    assert check.exit_code == 0, check.output
    assert "MOL" in check.output
    assert "SIPP" in check.output
    bad = runner.invoke(main, ["simulate", "--alternativ", "Finnes ikke", "--years", "1"])
    assert bad.exit_code != 0
    assert "Fant ikke alternativet «Finnes ikke»" in bad.output


def test_cold_beds_hold_a_bed_longer_in_the_curves_and_the_simulation_alike():
    """kalde_senger_dager 2: 182.5 admissions a year of 8 days hold a bed 10 days, the same load as
    a 10-day stay without cold time: Erlang B with 5 beds of load in the model and in the simulation."""
    from dimensioning.workflows.evaluate import evaluate

    sheets = {
        **ONE_TYPE,
        "Plasstyper": (
            "plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,kostnad_per_avvist,"
            "liggetid_cv,kalde_senger_dager\nVanlig,182.5,8,1,0.8,1000,1.5,2\n"
        ),
    }
    case = small_case(**sheets)
    assert case.load_beds["Vanlig"] == pytest.approx(5.0)
    assert case.holding_cv["Vanlig"] == pytest.approx(1.5 * 8 / 10)  # the stay varies, the cold time does not
    split = allocation([("A", "Vanlig", 9)])
    expected = float(queueing.erlang_b(9, 5.0))
    computed = evaluate(case, split, free_bed=False).queueing.iloc[0]
    assert computed["blocking_year"] == pytest.approx(expected, rel=1e-6)
    result = simulate(case, split, SimulationOptions(years=40, replications=8, jobs=1))
    row = result.per_type.iloc[0]
    assert abs(row["blocking"] - expected) <= row["blocking_ci"] + 0.003
    # without the cold time the same 9 beds turn away fewer
    warm = small_case(**{**sheets, "Plasstyper": sheets["Plasstyper"].replace(",2\n", ",0\n")})
    assert evaluate(warm, split, free_bed=False).queueing.iloc[0]["blocking_year"] < expected
