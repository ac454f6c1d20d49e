"""Waiting and booked bed types (``ved_fullt``): curves, targets, the MIP, the simulation and the input.

Issue 11: a discharge-ready patient who finds no bed waits in hospital, and the municipality pays
the state's daily rate for every such day; booked respite stays are scheduled, not random.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from dimensioning import queueing, solve
from dimensioning.common.errors import InputError
from dimensioning.queueing.seasons import DAYS
from dimensioning.simulation.simulate import SimulationOptions, analytic_check, simulate
from dimensioning.workflows.evaluate import evaluate

from .conftest import small_case

WAITING_TYPES = """
plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,krever_enerom,krever_bad,min_enhet,maks_lokasjoner,kostnad_per_avvist,ved_fullt,ventested,kostnad_per_ventedogn,gir_opp_etter_dager,maks_ventetid_dager,maal_belegg,liggetid_cv
Akutt,300,3,0.2,1.1,ja,ja,2,1,40000,avvises,,,,,,1
Vanlig,200,14,0.5,0.8,nei,nei,2,,0,venter,sykehus,5745,10,,,1
"""

FLAT_WAITING = """
plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,kostnad_per_avvist,ved_fullt,ventested,kostnad_per_ventedogn,gir_opp_etter_dager,liggetid_cv
Akutt,300,3,0.2,1.1,40000,avvises,,,,1
Vanlig,300,14,0.5,0.8,20000,venter,sykehus,5745,5,{cv}
"""

TWELVE_BEDS = """
navn,verdi,enhet
totalt_antall_plasser,12,senger
"""


def plan(*rows: tuple[str, str, int]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["site", "bed_type", "beds"])


def test_waiting_curve_is_stationary_erlang_a_without_seasons():
    """No seasons and no closures: the real-year waiting curve is Erlang A at every bed count."""
    case = small_case(Plasstyper=WAITING_TYPES)
    curves = case.real_year_curves
    i = case.bed_type_names.index("Vanlig")
    beds = np.arange(curves.yearly.shape[0])
    expected = queueing.wait_metrics(beds, 200 / DAYS, 14.0, 10.0)
    assert curves.yearly_waiting_days[:, i] == pytest.approx(expected["mean_wait_days"] * 200, rel=1e-9)
    assert curves.yearly[:, i] == pytest.approx(expected["p_abandon"] * 200, rel=1e-9)
    assert curves.waited.sum(axis=1)[:, i] == pytest.approx(expected["p_wait"] * 200, rel=1e-9)
    # the cost is the waiting days at the daily rate (those who give up cost kostnad_per_avvist = 0 here)
    assert case.shortfall_cost_curve[:, i] == pytest.approx(5745 * expected["mean_wait_days"] * 200, rel=1e-9)


def test_waiting_target_sets_the_fewest_beds():
    """maks_ventetid_dager is the mean wait over all arrivals; the fewest beds meeting it, by Erlang A."""
    text = WAITING_TYPES.replace("venter,sykehus,5745,10,,", "venter,sykehus,5745,10,0.5,")
    case = small_case(Plasstyper=text)
    waits = queueing.wait_metrics(np.arange(60), 200 / DAYS, 14.0, 10.0)["mean_wait_days"]
    gives_up = queueing.wait_metrics(np.arange(60), 200 / DAYS, 14.0, 10.0)["p_abandon"]
    expected = int(np.argmax((waits <= 0.5) & (gives_up <= 0.5)))
    assert case.min_beds_for_target["Vanlig"] == expected
    assert waits[expected] <= 0.5 < waits[expected - 1]


def test_every_drammen_curve_is_convex_and_the_envelope_is_exact():
    """The step linearisation needs convex curves: checked over the whole bed range, for every type."""
    from dimensioning import drammen
    from dimensioning.queueing.seasons import one_site_types

    for peak in (False, True):
        case = drammen().replace(peak_dimensioning=peak)
        exact = case.shortfall_cost_curve
        assert exact.shape[0] == case.max_pooled_beds + 1
        spread = ~one_site_types(case)  # types kept at one site close whole beds: not convex
        assert spread.sum() == 3
        assert queueing.is_convex(exact[:, spread]).all()
        envelope = queueing.lower_convex_envelope(exact)
        assert envelope[:, spread] == pytest.approx(exact[:, spread], rel=1e-12, abs=1e-9)
        assert (envelope <= exact + 1e-9).all()


def test_lower_convex_envelope_of_a_non_convex_curve():
    values = np.array([10.0, 4.0, 3.5, 1.0, 0.8, 0.0])
    envelope = queueing.lower_convex_envelope(values)
    assert queueing.is_convex(envelope)
    assert (envelope <= values + 1e-12).all()
    # the hull passes through (0, 10), (1, 4), (3, 1), (5, 0): 3.5 at k = 2 becomes 2.5, 0.8 at k = 4 becomes 0.5
    assert envelope == pytest.approx([10.0, 4.0, 2.5, 1.0, 0.5, 0.0])
    assert not queueing.is_convex(values)
    columns = queueing.lower_convex_envelope(np.column_stack([values, values[::-1]]))
    assert columns[:, 0] == pytest.approx(envelope)


def test_unbounded_erlang_c_queue_is_capped_and_the_model_uses_the_envelope():
    """Without patience a queue at or above capacity grows without bound: a finite cap, then the envelope."""
    text = WAITING_TYPES.replace("venter,sykehus,5745,10,,", "venter,sykehus,5745,,,")
    case = small_case(Plasstyper=text)
    i = case.bed_type_names.index("Vanlig")
    days = case.real_year_curves.yearly_waiting_days[:, i]
    load = 200 * 14 / DAYS  # 7.7 beds
    assert np.isfinite(days).all()
    assert days[7] == pytest.approx(200 * 365.0)  # c = 7 < a: capped at a year per patient
    assert days[9] == pytest.approx(float(queueing.wait_metrics(9, 200 / DAYS, 14.0)["mean_wait_days"]) * 200)
    assert load < 8
    from dimensioning.model.params import model_data

    data = model_data(case)
    assert (data.shortfall_cost_curve["Vanlig"] <= case.shortfall_cost_curve[:, i] + 1e-6).all()
    assert queueing.is_convex(data.shortfall_cost_curve["Vanlig"])


def test_mip_with_waiting_type_against_brute_force():
    """The optimum of a small case with a waiting type is the cheapest rule-abiding split (exact costs)."""
    case = small_case(Plasstyper=WAITING_TYPES)
    result = solve(case)
    assert result.has_optimum
    best_cost, best = np.inf, None
    sites, types = case.site_names, case.bed_type_names
    for beds in itertools.product(range(7), repeat=4):
        if sum(beds) != 10:
            continue
        allocation = plan(*[(s, t, b) for (s, t), b in zip(itertools.product(sites, types), beds, strict=True)])
        evaluation = evaluate(case, allocation)
        if len(evaluation.violations):
            continue
        cost = float(evaluation.costs["total_cost_nok"].iloc[0])
        if cost < best_cost - 1e-6:
            best_cost, best = cost, allocation
    optimum = result.costs.set_index("alternative").at[result.optimum_name, "total_cost_nok"]
    assert optimum == pytest.approx(best_cost, abs=1.0)
    got = result.allocation.groupby("bed_type")["beds"].sum()
    assert got.to_dict() == best.groupby("bed_type")["beds"].sum().to_dict()
    # the waiting days are priced: the optimum's cost includes them, at the daily rate
    costs = result.costs.set_index("alternative").loc[result.optimum_name]
    assert costs["ukp_days_per_year"] > 0
    assert costs["ukp_cost_nok"] == pytest.approx(5745 * costs["ukp_days_per_year"])
    assert costs["total_cost_nok"] == pytest.approx(
        costs["staffing_cost_nok"] + costs["turned_away_cost_nok"] + costs["waiting_cost_nok"]
    )


def test_booked_stays_need_the_beds_their_bookings_fill():
    """planlagt: the booked bed-days over beds filled to maal_belegg; unmet booked days are priced."""
    text = """
plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,kostnad_per_avvist,ved_fullt,kostnad_per_ventedogn,maal_belegg,min_enhet
Akutt,300,3,0.2,1.1,40000,avvises,,,2
Avlastning,200,10,0.05,0.8,5000,planlagt,2000,0.8,2
"""
    case = small_case(Plasstyper=text)
    i = case.bed_type_names.index("Avlastning")
    unmet = case.real_year_curves.yearly_waiting_days[:, i]
    booked = 200 * 10.0
    for c in range(8):
        assert unmet[c] == pytest.approx(max(0.0, booked - 0.8 * c * DAYS), abs=1e-6)
    # 5 % of 2,000 booked days may go ungiven: 0.8 * 365 * c >= 1,900 first at c = 7
    assert case.min_beds_for_target["Avlastning"] == 7
    # the cost is the unmet days at 2,000 kr (not also the stays at kostnad_per_avvist)
    assert case.shortfall_cost_curve[5, i] == pytest.approx(2000 * (booked - 0.8 * 5 * DAYS))
    result = solve(case.replace(settings=small_case(Parametre=TWELVE_BEDS).settings))
    assert result.allocation.groupby("bed_type")["beds"].sum()["Avlastning"] >= 7


def test_simulated_queue_agrees_with_erlang_a_for_exponential_stays():
    """check: Erlang A beside the simulated queue; exponential stays and patience must agree within the CI."""
    case = small_case(Plasstyper=FLAT_WAITING.format(cv=1))
    allocation = plan(("A", "Akutt", 4), ("B", "Vanlig", 11))
    check = analytic_check(case, allocation, SimulationOptions(years=20, replications=8, jobs=2)).set_index("bed_type")
    row = check.loc["Vanlig"]
    expected = queueing.wait_metrics(11, 300 / DAYS, 14.0, 5.0)
    assert row["wait_erlang_a"] == pytest.approx(float(expected["mean_wait_days"]))
    assert row["erlang_b"] == pytest.approx(float(expected["p_abandon"]))
    assert abs(row["wait_simulated"] - row["wait_erlang_a"]) <= 1.5 * row["wait_simulated_ci"]
    assert abs(row["simulated"] - row["erlang_b"]) <= 1.5 * row["simulated_ci"]
    assert check.at["Akutt", "when_full"] == "avvises"
    assert np.isnan(check.at["Akutt", "wait_simulated"])


def test_simulated_queue_reports_waits_and_lognormal_patience():
    case = small_case(Plasstyper=FLAT_WAITING.format(cv=1))
    allocation = plan(("A", "Akutt", 4), ("B", "Vanlig", 10))
    options = SimulationOptions(years=10, replications=4, jobs=1)
    per_type = simulate(case, allocation, options).per_type.set_index("bed_type")
    row = per_type.loc["Vanlig"]
    assert 0 < row["p_wait"] < 1
    assert row["share_wait_over_7"] <= row["share_wait_over_1"] <= row["p_wait"]
    assert row["wait_p90_days"] > 0
    assert row["waiting_days_per_year"] == pytest.approx(row["mean_wait_days"] * row["arrivals_per_year"], rel=0.05)
    assert np.isnan(per_type.at["Akutt", "mean_wait_days"])
    # a lognormal patience with a small CV gives up later than the exponential of the same mean
    lognormal = simulate(case, allocation, SimulationOptions(years=10, replications=4, jobs=1, patience_cv=0.3))
    assert lognormal.per_type.set_index("bed_type").at["Vanlig", "blocking"] < row["blocking"]


def test_booked_stays_in_the_simulation_wait_for_their_own_beds():
    """Bookings follow a schedule; a booking without a free bed is postponed, and lost past its horizon."""
    text = """
plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,kostnad_per_avvist,ved_fullt,kostnad_per_ventedogn,liggetid_cv
Akutt,300,3,0.2,1.1,40000,avvises,,1
Avlastning,220,10,0.05,0.8,5000,planlagt,2000,0.3
"""
    case = small_case(Plasstyper=text)
    options = SimulationOptions(years=5, replications=2, jobs=1)
    few = simulate(case, plan(("A", "Akutt", 4), ("B", "Avlastning", 7)), options).per_type.set_index("bed_type")
    many = simulate(case, plan(("A", "Akutt", 4), ("B", "Avlastning", 10)), options).per_type.set_index("bed_type")
    assert few.at["Avlastning", "arrivals_per_year"] == pytest.approx(220, abs=1)  # scheduled: no Poisson noise
    # 7 beds hold 2,555 bed-days for 2,200 booked: bookings are postponed, but given within 14 days
    assert (
        few.at["Avlastning", "postponed_booked_days_per_year"] > many.at["Avlastning", "postponed_booked_days_per_year"]
    )
    assert few.at["Avlastning", "unmet_booked_days_per_year"] >= many.at["Avlastning", "unmet_booked_days_per_year"]
    assert many.at["Avlastning", "blocking"] < 0.01
    # 5 beds hold 1,825: bookings postponed past 14 days are lost, about the volume the beds cannot hold
    short = simulate(case, plan(("A", "Akutt", 4), ("B", "Avlastning", 5)), options).per_type.set_index("bed_type")
    assert 0.12 < short.at["Avlastning", "blocking"] < 0.3
    assert short.at["Avlastning", "unmet_booked_days_per_year"] == pytest.approx(
        short.at["Avlastning", "blocking"] * 2200, rel=0.1
    )


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("ved_fullt", "kanskje", "må være «avvises», «venter» eller «planlagt», fikk «kanskje»"),
        ("ventested", "bil", "må være «sykehus» eller «hjemme», fikk «bil»"),
        ("gir_opp_etter_dager", "-3", "gir_opp_etter_dager"),
        ("maal_belegg", "1,5", "maal_belegg"),
        ("kostnad_per_ventedogn", "mye", "kostnad_per_ventedogn"),
        ("maks_ventetid_dager", "-1", "maks_ventetid_dager"),
    ],
)
def test_bad_waiting_columns_get_cell_level_errors(column, value, fragment):
    header, akutt, vanlig = WAITING_TYPES.strip().splitlines()
    names = header.split(",")
    cells = vanlig.split(",")
    cells[names.index(column)] = f'"{value}"' if "," in value else value
    with pytest.raises(InputError) as info:
        small_case(Plasstyper="\n".join([header, akutt, ",".join(cells)]))
    messages = [str(issue) for issue in info.value.issues]
    hit = [m for m in messages if fragment in m or column in m]
    assert hit, messages
    assert any("Plasstyper" in m and "rad 3" in m and column in m for m in messages), messages


NO_PATIENCE = WAITING_TYPES.replace("Vanlig,200,14,0.5,0.8,nei,nei,2,,0,venter,sykehus,5745,10,,,1", "{vanlig}")
CLOSED_FIFTH = """
lokasjon,fra,til,andel_aapne
alle,01.06,11.08,0.5
"""


def _no_patience(arrivals: int = 200, price: int = 0) -> str:
    """The small case's waiting type without a patience (nobody gives up), at a daily price."""
    return NO_PATIENCE.format(vanlig=f"Vanlig,{arrivals},14,0.5,0.8,nei,nei,2,,0,venter,sykehus,{price},,,,1")


def test_a_queue_without_patience_is_stable_only_with_more_bed_days_than_it_needs():
    """Fewest stable beds: sum over days of open beds above arrivals times stay (exact arithmetic)."""
    case = small_case(Plasstyper=_no_patience())
    stable = case.min_stable_beds
    assert stable["Akutt"] == 0  # a loss type has no queue
    assert stable["Vanlig"] == 8  # 200 × 14 / 365 = 7.67 beds busy on average
    closed = small_case(Plasstyper=_no_patience(), Kapasitet=CLOSED_FIFTH)
    open_days = 365 - 72 * 0.5  # 1 June to 11 August is 72 days at half the beds
    assert closed.min_stable_beds["Vanlig"] == int(np.floor(200 * 14 / open_days)) + 1 == 9
    # a patience makes every queue stable
    assert small_case(Plasstyper=WAITING_TYPES).min_stable_beds["Vanlig"] == 0


def test_the_mip_never_leaves_a_queue_without_patience_unstable_against_brute_force():
    """No price on waiting: before, the model gave the queue as few beds as it liked (a capped wait).

    The optimum is the cheapest split that breaks no rule, and a split below the stable beds breaks
    «Køen må ikke vokse uten grense»; its waits and cost are unbounded, never a capped number.
    """
    case = small_case(Plasstyper=_no_patience(), Parametre=TWELVE_BEDS)
    result = solve(case)
    sites, types = case.site_names, case.bed_type_names
    best_cost, best, unstable_seen = np.inf, None, False
    for beds in itertools.product(range(7), repeat=4):
        if sum(beds) != 12:
            continue
        allocation = plan(*[(s, t, b) for (s, t), b in zip(itertools.product(sites, types), beds, strict=True)])
        evaluation = evaluate(case, allocation)
        row = evaluation.queueing.set_index("bed_type").loc["Vanlig"]
        if row["beds"] < 8:
            unstable_seen = True
            assert row["queue_unbounded"]
            assert not row["target_holds"]
            assert row["mean_wait_days"] == np.inf
            assert evaluation.costs["total_cost_nok"].iloc[0] == np.inf
            assert "stable_queue" in set(evaluation.violations["family"])
        if len(evaluation.violations):
            continue
        cost = float(evaluation.costs["total_cost_nok"].iloc[0])
        if cost < best_cost - 1e-6:
            best_cost, best = cost, allocation
    assert unstable_seen
    got = result.allocation.groupby("bed_type")["beds"].sum()
    assert got["Vanlig"] >= 8
    assert got.to_dict() == best.groupby("bed_type")["beds"].sum().to_dict()
    optimum = result.costs.set_index("alternative").at[result.optimum_name, "total_cost_nok"]
    assert optimum == pytest.approx(best_cost, abs=1.0)


def test_a_queue_that_cannot_be_stable_within_the_total_is_named_with_the_beds_it_needs():
    """400 arrivals × 14 days need 16 beds; the total is 10: no solution, and the message says why."""
    from dimensioning.common.errors import InfeasibleError

    case = small_case(Plasstyper=_no_patience(arrivals=400))
    assert case.min_stable_beds["Vanlig"] == 16
    with pytest.raises(InfeasibleError) as raised:
        solve(case)
    message = str(raised.value)
    assert "Køen må ikke vokse uten grense" in message
    assert "«Vanlig»: pasientene venter uten å gi opp, så køen vokser uten grense med færre enn 16 senger" in message
    assert "heller ikke i nye lokaler" not in message  # it can: with 16 beds more


def test_an_alternative_whose_queue_grows_reads_unbounded_in_every_report(tmp_path):
    """«I dag» has 6 Vanlig beds against 8 stable: its waits, costs and sentences say «ubegrenset»."""
    from openpyxl import load_workbook

    from dimensioning import write_excel
    from dimensioning.report.plots import cost_figure

    today = """
alternativ,lokasjon,plasstype,plasser
I dag,A,Akutt,6
I dag,B,Vanlig,6
"""
    case = small_case(Plasstyper=_no_patience(price=5745), Parametre=TWELVE_BEDS, Alternativer=today)
    result = solve(case)
    costs = result.costs.set_index("alternative")
    assert costs.at["I dag", "total_cost_nok"] == np.inf
    assert costs.at["I dag", "ukp_days_per_year"] == np.inf
    assert np.isfinite(costs.at[result.optimum_name, "total_cost_nok"])
    path = write_excel(result, tmp_path / "r.xlsx")
    sheet = load_workbook(path)["Sammendrag"]
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True) if r[0]}
    header = list(rows["Alternativ"])
    assert rows["I dag"][header.index("Samlet kostnad (kr/år)")] == "ubegrenset"
    assert rows["I dag"][header.index("UKP-døgn per år")] == "ubegrenset"
    lines = [r[0] for r in sheet.iter_rows(values_only=True) if isinstance(r[0], str) and r[0].startswith("I dag:")]
    assert lines == [lines[0]]
    assert "køen for Vanlig vokser uten grense" in lines[0]
    texts = [t.get_text() for t in cost_figure(result).axes[0].texts]
    assert "ubegrenset: køen vokser" in texts


def test_the_compiled_palm_series_gives_the_same_bits_as_the_vectorised_reference():
    """The per-element loop numba compiles and the vectorised sum do the same steps, so equal bits."""
    from dimensioning.queueing import erlang

    rng = np.random.default_rng(7)
    a = rng.uniform(0.05, 5000.0, 3000)
    x = a * rng.uniform(0.0, 0.9999, a.size)  # x < a: the series side of Palm's sums
    compiled = erlang._falling_series(x, a, 1e-12)
    reference = erlang._falling_series_numpy(x, a, 1e-12)
    assert np.array_equal(compiled[0], reference[0])
    assert np.array_equal(compiled[1], reference[1])
    # and the sums are Palm's: S_1 = (x - a) S_0 + a, checked where it has no cancellation
    calm = x < 0.5 * a
    assert np.allclose(compiled[1][calm], ((x - a) * compiled[0] + a)[calm], rtol=1e-8, atol=1e-9)
