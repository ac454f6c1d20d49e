"""The MIP against brute-force enumeration, its parts against hand values, and infeasibility."""

from __future__ import annotations

import itertools

import pandas as pd
import pyomo.environ as pyo
import pytest

from dimensioning import InfeasibleError, evaluate, solve
from dimensioning.model import FAMILIES, BuildOptions, build_model, constraint_violations, model_data
from dimensioning.solve import run_solver

from .conftest import SMALL, small_case


def brute_force(case):
    """Cheapest rule-abiding allocation by enumerating every split of the total."""
    sites, types = case.site_names, case.bed_type_names
    pairs = [(s, t) for s in sites for t in types]
    total = case.settings.total_beds
    best = None
    for counts in itertools.product(range(total + 1), repeat=len(pairs) - 1):
        last = total - sum(counts)
        if last < 0:
            continue
        beds = [*counts, last]
        allocation = pd.DataFrame(
            [(s, t, b) for (s, t), b in zip(pairs, beds, strict=True)],
            columns=["site", "bed_type", "beds"],
        )
        if any(allocation.groupby("site")["beds"].sum() > case.sites["beds"]):
            continue  # quick pre-filter; the rule check below covers it too
        if not constraint_violations(case, allocation).empty:
            continue
        cost = float(evaluate(case, allocation).costs["total_cost_nok"].iloc[0])
        if best is None or cost < best[0] - 1e-6:
            best = (cost, allocation)
    return best


@pytest.mark.parametrize(
    "policy",
    [
        None,
        "lokasjon,plasstype,min,maks\nB,Vanlig,0,4\n",
        "lokasjon,plasstype,min,maks\nA,Vanlig,2,\n",
        "lokasjon,plasstype,min,maks\nA,Vanlig,3,\n",  # infeasible: Akutt needs 4 bath rooms at A
        "lokasjon,plasstype,min,maks\nB,Vanlig,0,2\n",  # infeasible: room for 8 beds only
    ],
)
def test_mip_equals_brute_force(policy):
    case = small_case(**({"Foringer": policy} if policy else {}))
    best = brute_force(case)
    if best is None:
        with pytest.raises(InfeasibleError):
            solve(case)
        return
    best_cost, _ = best
    result = solve(case)
    optimum = result.costs.iloc[0]
    assert optimum["total_cost_nok"] == pytest.approx(best_cost, rel=1e-9)
    assert optimum["broken_rules"] == 0
    per_type = result.allocation.groupby("bed_type")["beds"].sum()
    assert per_type.sum() == 10


def test_objective_equals_evaluated_cost_plus_tie_break(drammen_result):
    status, costs = drammen_result.status, drammen_result.costs.iloc[0]
    weights = model_data(drammen_result.case).tie_break_weight
    tie_break = sum(weights[r.site, r.bed_type] * r.beds for r in drammen_result.allocation.itertuples())
    assert status.objective_nok == pytest.approx(costs["total_cost_nok"] + tie_break, abs=1e-3)
    assert status.gap == pytest.approx(0.0, abs=1e-9)


def test_turned_away_linearisation_is_exact_at_integers():
    case = small_case()
    m = build_model(case, BuildOptions(derived_bounds=False))  # every bed count 0..6 allowed
    for beds in range(0, 7):  # site A holds 6
        for s in m.S:
            for t in m.T:
                m.x[s, t].fix(beds if (s, t) == ("A", "Akutt") else 0)
                m.y[s, t].fix(int(beds > 0) if (s, t) == ("A", "Akutt") else 0)
        for c in m.component_objects():
            if c.name.startswith("res_"):
                c.deactivate()
        run_solver(m)
        expected = evaluate(case, pd.DataFrame([("A", "Akutt", beds)], columns=["site", "bed_type", "beds"]))
        row = expected.queueing.set_index("bed_type").loc["Akutt"]
        assert pyo.value(m.turned_away["Akutt"]) == pytest.approx(row["turned_away_per_year"], rel=1e-7, abs=1e-7)


def test_minimum_nurse_staffing_makes_small_units_expensive():
    case = small_case()
    one = evaluate(case, pd.DataFrame([("A", "Vanlig", 10)], columns=["site", "bed_type", "beds"]))
    two = evaluate(
        case,
        pd.DataFrame([("A", "Vanlig", 5), ("B", "Vanlig", 5)], columns=["site", "bed_type", "beds"]),
    )
    nurse = case.settings.min_nurse_fte_per_unit
    assert nurse == pytest.approx(168 / 35.5 * 1.12)
    nurse_fte_one = one.staffing.query("skill == 'sykepleier'")["fte"].sum()
    nurse_fte_two = two.staffing.query("skill == 'sykepleier'")["fte"].sum()
    assert nurse_fte_one == pytest.approx(nurse)  # 0.6 * 0.8 * 10 = 4.8 < 5.3
    assert nurse_fte_two == pytest.approx(2 * nurse)
    extra = float(two.costs["staffing_cost_nok"].iloc[0] - one.costs["staffing_cost_nok"].iloc[0])
    assert extra == pytest.approx(nurse * 900_000, rel=1e-9)


def test_each_family_is_reported_when_broken():
    case = small_case(Foringer="lokasjon,plasstype,min,maks\nB,Vanlig,0,2\n")
    allocation = pd.DataFrame(
        [("A", "Akutt", 1), ("B", "Akutt", 7), ("B", "Vanlig", 3)],
        columns=["site", "bed_type", "beds"],
    )
    found = constraint_violations(case, allocation)
    by_family = found.groupby("family")["amount"].sum().to_dict()
    assert by_family == {
        "total_beds": 1.0,  # 11 beds, total 10
        "site_capacity": 4.0,  # B holds 10 > 6
        "bath_rooms": 5.0,  # 7 Akutt need bath at B, 2 rooms
        "single_rooms": 1.0,  # B has 6 single rooms
        "min_unit": 1.0,  # Akutt at A has 1 < 2
        "max_sites": 1.0,  # Akutt at 2 sites, max 1
        "policy_max": 1.0,  # Vanlig at B max 2
        "blocking_target": 0.0 + by_family.get("blocking_target", 0.0),
    }


def test_infeasible_case_names_the_conflicting_families():
    # Akutt needs single rooms with bath and at least 6 beds for its target, but there are 3.
    sites = SMALL["Lokasjoner"].replace("A,6,6,0,0", "A,6,3,3,0").replace("B,6,2,4,0", "B,6,0,6,0")
    types = SMALL["Plasstyper"].replace("Akutt,300,3,0.2", "Akutt,300,3,0.05")
    case = small_case(Lokasjoner=sites, Plasstyper=types)
    with pytest.raises(InfeasibleError) as info:
        solve(case)
    conflicts = info.value.conflicts
    assert info.value.families == ["bath_rooms", "blocking_target"]  # minimal conflicting set
    assert set(conflicts["family"]) <= {"bath_rooms", "blocking_target"}
    assert conflicts["slack"].sum() == pytest.approx(int(case.min_beds_for_target["Akutt"]) - 3, abs=1e-6)
    message = str(info.value)
    assert "Ingen fordeling oppfyller alle kravene" in message
    assert "Enerom med bad" in message or "Krav til avvisning" in message


def test_every_family_builds_and_has_a_docstring_formula():
    case = small_case(Foringer="lokasjon,plasstype,min,maks\nA,Vanlig,1,3\n")
    m = build_model(case)
    names = {c.name for c in m.component_objects() if c.name.startswith(("res_", "def_"))}
    assert {
        "res_total_beds",
        "res_site_capacity",
        "res_bath_rooms",
        "res_min_unit",
        "res_max_sites",
        "res_policy_min",
        "res_policy_max",
        "res_blocking_target",
        "def_bed_steps",
        "def_nurse_share",
        "def_nurse_minimum",
        "def_unit_link",
    } <= names
    for _name, function, _relaxable in FAMILIES:
        assert ".. math::" in (function.__doc__ or ""), function.__name__


def test_tie_break_weights_never_tie(drammen_case):
    import numpy as np

    weights = model_data(drammen_case).tie_break_weight
    values = np.array(list(weights.values()))
    assert len(set(values)) == len(values)
    assert np.exp(values[:5]).round().tolist() == [2, 3, 5, 7, 11]


SHARED_WARD_TYPES = """
plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,krever_enerom,krever_bad,min_enhet,maks_lokasjoner,kostnad_per_avvist,avdeling
Akutt,300,3,0.2,1.1,ja,ja,2,1,40000,Felles
Vanlig,200,14,0.5,0.8,nei,nei,2,,20000,Felles
"""


def test_shared_ward_mip_equals_brute_force_and_pays_one_nurse_minimum():
    shared = small_case(Plasstyper=SHARED_WARD_TYPES)
    best_cost, _ = brute_force(shared)
    result = solve(shared)
    assert result.costs.iloc[0]["total_cost_nok"] == pytest.approx(best_cost, rel=1e-9)
    # one nurse minimum per site and ward, however many types the ward holds
    nurses = result.staffing[(result.staffing["alternative"] == result.optimum_name)]
    nurses = nurses[nurses["skill"] == "sykepleier"].groupby(["site", "ward"])["fte"].sum()
    minimum = shared.settings.min_nurse_fte_per_unit
    for (site, _ward), fte in nurses.items():
        beds = result.allocation[result.allocation["site"] == site]
        own_need = sum(r.beds * shared.bed_types.at[r.bed_type, "care_fte_per_bed"] * 0.6 for r in beds.itertuples())
        assert fte == pytest.approx(max(own_need, minimum))
    separate = solve(small_case())
    assert result.costs.iloc[0]["total_cost_nok"] <= separate.costs.iloc[0]["total_cost_nok"] + 1e-6


def test_two_palliative_beds_in_the_short_term_ward_share_its_nurse():
    # the small kommune of issue 9: a unit of 2 beds of its own costs a full nurse minimum (5.3 FTE)
    def two_beds(ward):
        types = (
            SMALL["Plasstyper"]
            .replace(",20000\n", f",20000,{ward}\n")
            .replace("kostnad_per_avvist\n", "kostnad_per_avvist,avdeling\n")
            .replace(",40000\n", f",40000,{ward}\n")
        )
        case = small_case(Plasstyper=types)
        plan = pd.DataFrame([("A", "Akutt", 2), ("A", "Vanlig", 4)], columns=["site", "bed_type", "beds"])
        nurses = evaluate(case, plan).staffing
        return nurses[nurses["skill"] == "sykepleier"]["fte"].sum()

    minimum = small_case().settings.min_nurse_fte_per_unit
    assert two_beds("") == pytest.approx(2 * minimum)  # each type its own unit: two minimums
    assert two_beds("Korttid") == pytest.approx(minimum)  # one ward: one minimum


def free_total_case(low: int, high: int, cost_per_bed: float):
    return small_case(
        Parametre=f"navn,verdi\nmin_antall_plasser,{low}\nmaks_antall_plasser,{high}\nkostnad_per_plass,{cost_per_bed}\n"
    )


def brute_force_any_total(case, totals):
    """Cheapest rule-abiding allocation over several totals (each enumerated as a fixed total)."""
    from dataclasses import replace

    found = []
    for total in totals:
        fixed = case.replace(settings=replace(case.settings, total_beds=total, total_min=None, total_max=None))
        best = brute_force(fixed)
        if best is not None:
            found.append((best[0], total))  # the evaluated cost includes kostnad_per_plass × beds
    return min(found) if found else None


@pytest.mark.parametrize("cost_per_bed", [0.0, 400_000.0])
def test_free_total_mip_equals_brute_force(cost_per_bed):
    case = free_total_case(8, 11, cost_per_bed)
    assert case.settings.total_is_free
    best_cost, best_total = brute_force_any_total(case, range(8, 12))
    result = solve(case)
    assert result.costs.iloc[0]["total_cost_nok"] == pytest.approx(best_cost, rel=1e-9)
    assert result.optimum_total_beds == best_total
    assert result.costs.iloc[0]["bed_cost_nok"] == pytest.approx(cost_per_bed * best_total)


def test_smallest_total_is_the_fewest_beds_that_meet_every_rule():
    from dataclasses import replace

    case = small_case()
    fewest = solve(case).smallest_total_beds
    for total in range(fewest):  # nothing smaller passes every rule
        fixed = case.replace(settings=replace(case.settings, total_beds=total))
        assert brute_force(fixed) is None
    assert brute_force(case.replace(settings=replace(case.settings, total_beds=fewest))) is not None


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ("totalt_antall_plasser,10\nmaks_antall_plasser,12\n", "oppgi enten «totalt_antall_plasser»"),
        (
            "min_antall_plasser,12\nmaks_antall_plasser,10\n",
            "min_antall_plasser (12) er større enn maks_antall_plasser (10)",
        ),
        ("kostnad_per_plass,1000\n", "parameteren «totalt_antall_plasser» mangler"),
    ],
)
def test_total_parameters_are_one_way_or_the_other(parameters, message):
    from dimensioning import InputError

    with pytest.raises(InputError) as info:
        small_case(Parametre="navn,verdi\n" + parameters)
    assert message in str(info.value)


def _knapsack(n: int = 60):
    """A knapsack with two rows that needs many branch-and-bound nodes (no presolve help)."""
    import random

    import pyomo.environ as pyo

    rng = random.Random(1)
    weight = [rng.randint(1000, 2000) for _ in range(n)]
    value = [w + rng.randint(-50, 50) for w in weight]
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(n), domain=pyo.Binary)
    m.cap = pyo.Constraint(expr=sum(w * m.x[i] for i, w in enumerate(weight)) <= sum(weight) // 2 + 1)
    m.side = pyo.Constraint(expr=sum((3 * w) % 17 * m.x[i] for i, w in enumerate(weight)) <= 200)
    m.obj = pyo.Objective(expr=sum(v * m.x[i] for i, v in enumerate(value)), sense=pyo.maximize)
    return m


def test_a_solve_stopped_by_the_node_limit_is_reported_and_the_same_every_time():
    """The node limit is a count: the same incumbent on every run (and machine), never «optimal (bevist)»."""
    from dimensioning.solve import SolveOptions, Termination, run_solver

    options = SolveOptions(node_limit=50)
    first, second = run_solver(_knapsack(), options), run_solver(_knapsack(), options)
    assert first.termination is Termination.FEASIBLE
    assert first.stopped == "noder"
    assert first.objective_nok == second.objective_nok
    assert first.label_nb == "gyldig, stoppet av grensen for søket (ikke bevist optimal)"
    assert "det samme på alle maskiner" in first.stop_note_nb
    proven = run_solver(_knapsack())
    assert proven.termination is Termination.OPTIMAL
    assert proven.stopped == ""
    assert proven.stop_note_nb == ""


def test_a_solve_stopped_by_the_clock_says_the_plan_may_differ_on_another_machine(tmp_path):
    """The time limit depends on the machine: the status, the terminal, Excel and the PDF say so."""
    import dataclasses

    from openpyxl import load_workbook

    from dimensioning import write_excel
    from dimensioning.solve import Termination

    result = solve(small_case())
    stopped = dataclasses.replace(result.status, termination=Termination.FEASIBLE, stopped="tid", gap=0.0123)
    assert stopped.label_nb == "gyldig, stoppet av tidsgrensen (ikke bevist optimal)"
    assert "avstand til beste grense 1,23 %" in stopped.stop_note_nb
    assert "annen fordeling" in stopped.stop_note_nb
    path = write_excel(dataclasses.replace(result, status=stopped), tmp_path / "r.xlsx")
    facts = {r[0]: r[1] for r in load_workbook(path)["Sammendrag"].iter_rows(values_only=True) if r[0]}
    assert facts["Løserstatus"] == stopped.label_nb
    assert facts["Merknad om løsningen"] == stopped.stop_note_nb


STAFF = """
fagkategori,andel,kostnad_per_aarsverk,tilgjengelige_aarsverk
sykepleier,0.6,900000,{nurses}
helsefagarbeider,0.3,800000,{helpers}
ufaglært,0.1,600000,
"""


def test_staff_limit_mip_equals_brute_force_and_names_the_group():
    """tilgjengelige_aarsverk: the optimum is the cheapest split within the FTE the kommune can staff.

    Unlimited, the optimum needs 2.85 helsefagarbeider FTE (0.3 × pleiefaktor × beds); at most 2.8
    moves beds to the type with the lower pleiefaktor, and every split brute force keeps (the
    evaluation's rule check counts the limit too) costs at least the optimum. Nurses limited below
    two wards' minimum (2 × 5.3 FTE) leave no split, and the message names the group.
    """
    free = solve(small_case()).costs.iloc[0]
    case = small_case(Bemanning=STAFF.format(nurses="", helpers="2.8"))
    best = brute_force(case)
    assert best is not None
    result = solve(case)
    optimum = result.costs.iloc[0]
    assert optimum["total_cost_nok"] == pytest.approx(best[0], rel=1e-9)
    assert optimum["total_cost_nok"] > free["total_cost_nok"]
    assert optimum["broken_rules"] == 0
    staff = result.staffing
    helpers = staff[(staff["alternative"] == result.optimum_name) & (staff["skill"] == "helsefagarbeider")]
    assert helpers["fte"].sum() <= 2.8 + 1e-9
    with pytest.raises(InfeasibleError) as raised:
        solve(small_case(Bemanning=STAFF.format(nurses="10", helpers="")))
    assert "Tilgjengelige årsverk (sykepleier): over grensen med" in str(raised.value)


def test_staff_limit_says_which_targets_break_and_what_one_more_nurse_is_worth():
    """10 nurse FTE run one ward (two need 2 × 5.3): the report's split stays within the 10 FTE, names
    the type it leaves without its target, and one more FTE is the same computation at 11 FTE."""
    from dimensioning.workflows.evaluate import evaluate
    from dimensioning.workflows.shortfall import staff_limit_report

    case = small_case(Bemanning=STAFF.format(nurses="10", helpers=""))
    report = staff_limit_report(case)
    within = evaluate(case, report.split, free_bed=False)
    assert within.staffing.query("skill == 'sykepleier'")["fte"].sum() <= 10 + 1e-9
    # only the total (fewer beds than asked) and the targets give way; the staff limit and the rest hold
    assert set(within.violations["family"]) == {"total_beds", "blocking_target"}
    missed = within.queueing.loc[~within.queueing["target_holds"], "bed_type"].tolist()
    assert report.broken["bed_type"].tolist() == missed == ["Akutt"]
    more = staff_limit_report(small_case(Bemanning=STAFF.format(nurses="11", helpers="")))
    richer = evaluate(case, more.split, free_bed=False)
    row = report.one_more_fte.set_index("skill").loc["sykepleier"]
    assert row["patients_served"] == pytest.approx(
        within.costs.iloc[0]["turned_away_per_year"] - richer.costs.iloc[0]["turned_away_per_year"]
    )
    assert row["patients_served"] > 100  # the second ward opens
    text = " ".join(report.sentences_nb())
    assert "kan den drive 6 plasser, ikke 10" in text
    assert "holder ikke kravet for Akutt (0 senger" in text
    assert "Ett årsverk mer sykepleier (fra 10,0) gir" in text
    with pytest.raises(InfeasibleError) as raised:  # and solve says it, in the message of the infeasible case
        solve(case)
    assert "Innenfor årsverkene holder ikke kravet for Akutt" in str(raised.value)
