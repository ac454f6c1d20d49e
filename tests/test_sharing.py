"""Who may use whose free bed (sheet ``Deling``): the short form, validation, and the simulation's rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dimensioning.common.errors import InputError
from dimensioning.inputs.sharing import open_choices, rule_arrays, with_defaults
from dimensioning.simulation.simulate import SimulationOptions, simulate

from .conftest import small_case
from .test_verify import HEADER as LOSS_HEADER
from .test_verify import SITES

HEADER = LOSS_HEADER.rstrip("\n") + ",ved_fullt,ventested,kostnad_per_ventedogn,gir_opp_etter_dager\n"
# dementia lends its free beds to USK patients who wait in hospital
TYPES = (
    HEADER
    + """Demens,250,24,0.1,0.8,2,20000,1,nei,nei,avvises,,,
USK,900,17,0.1,0.8,2,0,1,nei,ja,venter,sykehus,5745,30
"""
)
PLAN = pd.DataFrame([("A", "Demens", 20), ("B", "USK", 40)], columns=["site", "bed_type", "beds"])


def deling(*rows: str) -> str:
    return "plasstype,kan_bruke,reserverte_plasser,ventende_kan_laane\n" + "\n".join(rows) + "\n"


def test_short_form_expands_to_every_unreserved_lender_with_nothing_kept_back(drammen_case):
    rule = drammen_case.replace(sharing_input=pd.DataFrame()).sharing
    pairs = list(zip(rule["bed_type"], rule["lender"], strict=True))
    # Plasstyper: Lindrende, USK and Avlastning may borrow; KAD, Lindrende and Rehabilitering are reserved
    assert pairs == [
        ("Lindrende", "Demens"),
        ("Lindrende", "Forsterket (USK)"),
        ("Lindrende", "Avlastning"),
        ("Forsterket (USK)", "Demens"),
        ("Forsterket (USK)", "Avlastning"),
        ("Avlastning", "Demens"),
        ("Avlastning", "Forsterket (USK)"),
    ]
    assert (rule["reserve_beds"] == 0).all()
    assert rule["waiting_may_borrow"].tolist() == [True] * 7
    assert open_choices(rule).empty


def test_deling_sheet_replaces_the_short_form_and_keeps_open_choices():
    case = small_case(Plasstyper=TYPES, Lokasjoner=SITES, Deling=deling("USK,Demens,velg,", "Demens,USK,3,nei"))
    rule = case.sharing
    assert list(zip(rule["bed_type"], rule["lender"], strict=True)) == [("Demens", "USK"), ("USK", "Demens")]
    assert rule["reserve_beds"].iloc[0] == 3
    assert rule["waiting_may_borrow"].iloc[0] is False
    assert np.isnan(rule["reserve_beds"].iloc[1])
    assert rule["waiting_may_borrow"].iloc[1] is None
    assert open_choices(rule)["what"].tolist() == ["reserve_beds", "waiting_may_borrow"]
    reserve, waiting = rule_arrays(case.bed_type_names, rule)
    # open choices count as the free-bed principle until the model chooses them
    assert reserve.tolist() == [[-1, 3], [0, -1]]
    assert waiting.tolist() == [[False, False], [True, False]]
    assert with_defaults(rule)["waiting_may_borrow"].tolist() == [False, True]


def test_bad_deling_rows_are_named_by_row_and_column():
    reserved = TYPES.replace("Demens,250,24,0.1,0.8,2,20000,1,nei", "Demens,250,24,0.1,0.8,2,20000,1,ja")
    sheet = deling("USK,Demens,2,ja", "USK,USK,0,ja", "Ukjent,Demens,0,ja", "USK,Demens,-1,ja", "Demens,USK,1,kanskje")
    with pytest.raises(InputError) as caught:
        small_case(Plasstyper=reserved, Lokasjoner=SITES, Deling=sheet)
    text = str(caught.value)
    assert "Deling" in text
    messages = {(i.row, i.column): i.message_nb for i in caught.value.issues if i.sheet == "Deling"}
    assert "reservert" in messages[(2, "kan_bruke")]
    assert "sine egne senger" in messages[(3, "kan_bruke")]
    assert "finnes ikke" in messages[(4, "plasstype")]
    assert (5, "reserverte_plasser") in messages
    assert (6, "ventende_kan_laane") in messages


def _simulate(case, sharing=None, years=20):
    options = SimulationOptions(years=years, replications=6, jobs=1, seed=11)
    return simulate(case, PLAN, options, sharing=sharing).per_type.set_index("bed_type")


@pytest.fixture(scope="module")
def shared_case():
    return small_case(Plasstyper=TYPES, Lokasjoner=SITES, Deling=deling("USK,Demens,velg,velg"))


def test_beds_kept_back_protect_the_lender_step_by_step(shared_case):
    """Trunk reservation: the more dementia beds kept back, the fewer USK stays in them and the fewer turned away."""
    rule = shared_case.sharing
    runs = [_simulate(shared_case, rule.assign(reserve_beds=float(r))) for r in (0, 2, 4, 20)]
    lent = [run.at["Demens", "beds_lent_per_year"] for run in runs]
    blocked = [run.at["Demens", "blocking"] for run in runs]
    assert lent[0] > lent[1] > lent[2] > 0
    assert lent[3] == 0  # keeping back all 20 beds: nobody borrows
    assert blocked[0] > blocked[1] > blocked[2] > blocked[3]
    # keeping back every bed is the same year, draw for draw, as nobody borrowing at all
    options = SimulationOptions(years=20, replications=6, jobs=1, seed=11, overflow=False)
    alone = simulate(shared_case, PLAN, options).per_type.set_index("bed_type")
    assert runs[3].at["Demens", "blocking"] == pytest.approx(alone.at["Demens", "blocking"], abs=1e-12)
    # the short form (USK kan_bruke_andre, dementia not reserved) is the rule with nothing kept back
    short = _simulate(shared_case.replace(sharing_input=pd.DataFrame()))
    assert short.at["Demens", "blocking"] == pytest.approx(runs[0].at["Demens", "blocking"], abs=1e-12)


def test_waiting_patients_may_be_kept_out_of_lent_beds(shared_case):
    """ventende_kan_laane = nei: only a USK patient who arrives while USK is full takes a free dementia bed."""
    rule = shared_case.sharing.assign(reserve_beds=0.0)
    waiting = _simulate(shared_case, rule.assign(waiting_may_borrow=pd.Series([True], dtype=object)))
    arriving = _simulate(shared_case, rule.assign(waiting_may_borrow=pd.Series([False], dtype=object)))
    assert 0 < arriving.at["Demens", "beds_lent_per_year"] < waiting.at["Demens", "beds_lent_per_year"]
    assert arriving.at["Demens", "blocking"] < waiting.at["Demens", "blocking"]
    assert arriving.at["USK", "waiting_days_per_year"] > waiting.at["USK", "waiting_days_per_year"]


BOOKED = (
    "plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,min_enhet,kostnad_per_avvist,"
    "liggetid_cv,ved_fullt,kostnad_per_ventedogn,maal_belegg\n"
    "Avlastning,220,10,0.05,0.8,0,0,0.3,planlagt,2000,0.85\n"
    "Demens,250,24,0.1,0.8,2,20000,1,avvises,,\n"
)


@pytest.mark.parametrize(("beds", "low", "high"), [(0, 1.0, 1.0), (3, 0.4, 0.7), (9, 0.0, 0.05)])
def test_booked_days_not_given_are_a_share_of_the_booked_days(beds, low, high):
    """0 beds: every booked day is lost (100 %, not more); too few beds: a bounded share; enough: almost none."""
    case = small_case(Plasstyper=BOOKED, Lokasjoner=SITES)
    plan = pd.DataFrame([("A", "Avlastning", beds), ("B", "Demens", 20)], columns=["site", "bed_type", "beds"])
    result = simulate(case, plan, SimulationOptions(years=10, replications=4, jobs=1)).per_type.set_index("bed_type")
    share = result.at["Avlastning", "blocking"]
    assert low - 1e-12 <= share <= high + 1e-12
    booked_days = result.at["Avlastning", "arrivals_per_year"] * 10
    assert result.at["Avlastning", "unmet_booked_days_per_year"] <= booked_days + 1e-9


def test_compiled_event_loop_equals_the_python_loop_on_the_same_draws():
    """numba's kernel and the same source as plain Python: equal counts, to the last bit.

    The case exercises every branch: closures (Drammen's holidays), a rule with beds kept back and
    waiting patients kept out, a queue with patience, a queue without, and booked stays.
    """
    from dimensioning import drammen

    case = drammen()
    rule = case.replace(sharing_input=pd.DataFrame()).sharing.assign(reserve_beds=[0.0, 2.0, 1.0, 3.0, 0.0, 2.0, 0.0])
    rule["waiting_may_borrow"] = pd.Series([True, False, True, False, True, True, False], dtype=object)
    bt = case.bed_types.copy()
    bt.loc["Rehabilitering", "patience_days"] = np.nan  # waits until served
    case = case.replace(bed_types=bt)
    plan = case.alternatives[case.alternatives["alternative"] == case.alternative_names[-1]]
    plan = pd.concat(
        [plan, pd.DataFrame([{"site": "Åskollen bo- og servicesenter", "bed_type": "Avlastning", "beds": 6}])]
    )
    runs = {
        engine: simulate(
            case, plan, SimulationOptions(years=3, replications=2, jobs=1, seed=5, engine=engine), sharing=rule
        )
        for engine in ("python", "compiled")
    }
    for frame in ("per_type", "per_month", "per_site"):
        left, right = getattr(runs["python"], frame), getattr(runs["compiled"], frame)
        pd.testing.assert_frame_equal(left, right, check_exact=True)
    per_type = runs["compiled"].per_type.set_index("bed_type")
    assert per_type.at["Demens", "beds_lent_per_year"] > 0
    assert per_type.at["Avlastning", "unmet_booked_days_per_year"] >= 0


# --- the search: the split and the rule chosen together, judged by the simulation ---------------

SEARCH_SITES = """lokasjon,plasser,enerom_med_bad,enerom_uten_bad,dobbeltrom,skjermede_oppholdsrom,basseng,legekontor
A,13,13,0,0,1,ja,ja
B,11,11,0,0,0,nei,ja
"""
SEARCH_TYPES = (
    HEADER
    + """Demens,120,20,0.1,0.8,2,20000,1,nei,nei,avvises,,,
USK,260,12,0.1,0.8,2,0,1,nei,ja,venter,sykehus,5745,20
Akutt,200,3,0.1,1.1,2,15000,1,ja,nei,avvises,,,
"""
)


@pytest.fixture(scope="module")
def search_case():
    return small_case(
        Plasstyper=SEARCH_TYPES,
        Lokasjoner=SEARCH_SITES,
        Deling=deling("USK,Demens,velg,ja"),
        Parametre="navn,verdi\ntotalt_antall_plasser,24\n",
    )


def _search(case, years=3, replications=4):
    from dimensioning.common.labels import OPTIMUM
    from dimensioning.solve import Placer
    from dimensioning.workflows.evaluate import fixed_yearly_cost
    from dimensioning.workflows.search import Search
    from dimensioning.workflows.verify import VerifyOptions, simulated_table

    verify = VerifyOptions(years=years, replications=replications, jobs=1, seed=3)
    return Search(
        case,
        judge=lambda allocation, rule: simulated_table(case, allocation, OPTIMUM, verify, sharing=rule),
        place=Placer(case).place,
        fixed_cost=lambda allocation: fixed_yearly_cost(case, allocation),
    )


def test_search_finds_the_cheapest_plan_that_holds_as_brute_force_does(search_case):
    """Every split of the 24 beds × every number of dementia beds kept back, judged on the same patients."""
    from dimensioning import solve
    from dimensioning.inputs.sharing import with_defaults

    search = _search(search_case)
    start = solve(search_case).allocation
    found = search.run(start).state
    rule = with_defaults(search_case.sharing)
    best = None
    for dementia in range(0, 25):
        for usk in range(0, 25 - dementia):
            pooled = {"Demens": dementia, "USK": usk, "Akutt": 24 - dementia - usk}
            allocation = search.place(pooled)
            if allocation is None:
                continue
            for kept in range(0, dementia + 1):
                state = search.state(allocation, rule.assign(reserve_beds=float(kept)), "")
                if state.holds and (best is None or state.cost_nok < best.cost_nok - 1e-6):
                    best = state
    assert best is not None
    assert found.holds
    assert found.cost_nok == pytest.approx(best.cost_nok, rel=1e-9)
    assert found.pooled() == best.pooled()
    assert found.rule["reserve_beds"].iloc[0] == best.rule["reserve_beds"].iloc[0]


# --- a bed moved has a cost ----------------------------------------------------------------------

MOVES_ALTERNATIVES = """alternativ,lokasjon,plasstype,plasser
I dag,A,Akutt,3
I dag,A,Vanlig,3
I dag,B,Vanlig,4
"""


def _moves_case(parameters: str):
    return small_case(
        Alternativer=MOVES_ALTERNATIVES,
        Parametre="navn,verdi\ntotalt_antall_plasser,10\n" + parameters,
        Om="felt,verdi\nreferansealternativ,I dag\n",
    )


def test_a_move_has_a_cost_and_a_limit():
    from dimensioning import solve
    from dimensioning.workflows.evaluate import moved_beds

    free = solve(_moves_case(""))
    moved_free = moved_beds(free.case, free.allocation)
    assert moved_free > 0  # the cheapest split differs from today's
    # priced: the annuity of the one-off cost is in the total, and the MIP moves fewer beds
    priced = solve(_moves_case("kostnad_per_flyttet_plass,2000000\n"))
    costs = priced.costs.set_index("alternative")
    annuity = 2_000_000 * 0.04 / (1 - 1.04**-10)
    assert costs.at[priced.optimum_name, "moving_cost_nok"] == pytest.approx(
        costs.at[priced.optimum_name, "moved_beds"] * annuity, rel=1e-12
    )
    assert costs.at["I dag", "moved_beds"] == 0
    assert costs.at[priced.optimum_name, "moved_beds"] <= moved_free
    # limited: at most one bed moved
    limited = solve(_moves_case("maks_flyttede_plasser,1\n"))
    assert moved_beds(limited.case, limited.allocation) <= 1
    assert (
        limited.costs.set_index("alternative").at[limited.optimum_name, "total_cost_nok"]
        >= free.costs.iloc[0]["total_cost_nok"] - 1e-6
    )
    # no step from today's split to the recommendation is worth nothing
    steps = priced.moves
    assert steps is not None
    assert (steps["cost_change_nok"].abs() > 1.0).all() or steps.empty


# --- whole beds in small units ---------------------------------------------------------------------


def test_a_one_site_type_closes_whole_beds_in_the_curve_as_in_the_simulation():
    """11 KAD beds at one site, 90 % open in the summer: 9 beds open, not 9.9; the curve and the simulation agree."""
    from dimensioning import queueing
    from dimensioning.queueing.seasons import arrivals_per_day, one_site_types

    types = (
        "plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,min_enhet,maks_lokasjoner,"
        "kostnad_per_avvist,liggetid_cv\n"
        "KAD,640,3.58,0.05,1.15,6,1,17235,1\n"
        "Vanlig,300,14,0.3,0.8,2,,20000,1\n"
    )
    case = small_case(
        Plasstyper=types,
        Lokasjoner=SITES,
        Kapasitet="lokasjon,fra,til,andel_aapne\nalle,24.06,18.08,0.9\n",
        Parametre="navn,verdi\ntotalt_antall_plasser,30\n",
    )
    assert one_site_types(case).tolist() == [True, False]
    curves = case.real_year_curves
    rates = arrivals_per_day(case)["KAD"].to_numpy()
    loads = case.mol_loads["KAD"].to_numpy()
    share = case.open_shares["A"].to_numpy()
    whole = np.floor(11 * share + 1e-9).astype(int)
    assert set(whole) == {9, 11}
    expected = sum(float(queueing.erlang_b(int(c), float(a))) * r for c, a, r in zip(whole, loads, rates, strict=True))
    assert curves.yearly[11, 0] == pytest.approx(expected, rel=1e-9)
    continued = float(queueing.erlang_b_continuous(11 * share, loads) @ rates)
    assert curves.yearly[11, 0] > continued  # whole beds turn more away than 9.9 beds would
    plan = pd.DataFrame([("A", "KAD", 11), ("B", "Vanlig", 19)], columns=["site", "bed_type", "beds"])
    options = SimulationOptions(years=20, replications=8, jobs=1, seed=3, overflow=False)
    sim = simulate(case, plan, options).per_type.set_index("bed_type")
    share_curve = curves.yearly[11, 0] / 640
    assert sim.at["KAD", "blocking"] == pytest.approx(share_curve, abs=sim.at["KAD", "blocking_ci"] + 0.004)


@pytest.mark.parametrize("kept", [0, 2, 4, 8])
def test_trunk_reservation_chain_against_the_simulation(kept):
    """Respite with no beds of its own borrows dementia beds only while more than ``kept`` stand free.

    The two-class birth-death chain (queueing.trunk_reservation) against the simulation: the
    lender's share turned away and the share of borrowers admitted, inside the simulation's 95 %
    interval (plus half a point: the chain has exponential stays, the simulation lognormal ones).
    """
    from dimensioning import queueing

    types = (
        "plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,min_enhet,kostnad_per_avvist,"
        "liggetid_cv\nDemens,250,24,0.1,0.8,2,20000,1\nAvlast,220,10,1,0.8,0,5000,1\n"
    )
    case = small_case(Plasstyper=types, Lokasjoner=SITES, Deling=deling(f"Avlast,Demens,{kept},ja"))
    plan = pd.DataFrame([("A", "Demens", 20)], columns=["site", "bed_type", "beds"])
    sim = simulate(case, plan, SimulationOptions(years=40, replications=10, jobs=1, seed=9)).per_type
    sim = sim.set_index("bed_type")
    chain = queueing.trunk_reservation(20, 250 * 24 / 365, 220 * 10 / 365, kept, 24.0, 10.0)
    assert chain["lender_blocking"] == pytest.approx(
        sim.at["Demens", "blocking"], abs=sim.at["Demens", "blocking_ci"] + 0.005
    )
    assert chain["borrower_admitted"] == pytest.approx(
        sim.at["Avlast", "overflow_share"], abs=sim.at["Avlast", "overflow_ci"] + 0.005
    )
    if kept == 0:  # nothing kept back: one loss system of both loads
        assert chain["lender_blocking"] == pytest.approx(
            float(queueing.erlang_b(20, (250 * 24 + 220 * 10) / 365)), rel=1e-9
        )


def test_an_alternative_that_moves_more_beds_than_allowed_breaks_the_limit():
    """The rule check sets the beds moved that the split implies, in a fresh model and in a solved one."""
    from dimensioning import solve
    from dimensioning.model.build import constraint_violations

    alternatives = MOVES_ALTERNATIVES + "Flytt,A,Akutt,6\nFlytt,B,Vanlig,4\n"
    case = small_case(
        Alternativer=alternatives,
        Parametre="navn,verdi\ntotalt_antall_plasser,10\nmaks_flyttede_plasser,1\n",
        Om="felt,verdi\nreferansealternativ,I dag\n",
    )
    moving = case.alternatives[case.alternatives["alternative"] == "Flytt"][["site", "bed_type", "beds"]]
    fresh = constraint_violations(case, moving).set_index("family")
    assert fresh.at["max_moved", "value"] == 3  # A/Akutt 6 against 3 today
    assert fresh.at["max_moved", "bound"] == 1
    result = solve(case)  # the alternatives are checked on the model solved for the optimum (1 bed moved)
    costs = result.costs.set_index("alternative")
    assert costs.at["Flytt", "moved_beds"] == 3
    broken = result.violations[(result.violations["alternative"] == "Flytt")]
    row = broken[broken["family"] == "max_moved"].iloc[0]
    assert (row["value"], row["bound"]) == (3, 1)
    assert "maks_flyttede_plasser" not in row["message_nb"]
    assert costs.at[result.optimum_name, "broken_rules"] == 0
