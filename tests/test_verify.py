"""The free-bed principle (analytic overflow against the simulation) and the simulation-verified loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dimensioning import queueing
from dimensioning.api import solve
from dimensioning.common.labels import holds_sentence
from dimensioning.queueing.seasons import real_year_blocking
from dimensioning.simulation.simulate import SimulationOptions, simulate
from dimensioning.workflows.verify import VerifyOptions, effective_load_factor

from .conftest import small_case

SITES = """lokasjon,plasser,enerom_med_bad,enerom_uten_bad,dobbeltrom,skjermede_oppholdsrom,basseng,legekontor
A,25,25,0,0,1,ja,ja
B,25,25,0,0,0,nei,ja
"""

HEADER = (
    "plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,min_enhet,kostnad_per_avvist,"
    "liggetid_cv,reservert,kan_bruke_andre\n"
)

TWO_TYPES = (
    HEADER
    + """Demens,250,24,0.1,0.8,2,20000,1,nei,nei
Avlast,220,10,1,0.8,0,5000,1,nei,ja
"""
)

THREE_TYPES = (
    HEADER
    + """Demens,250,24,0.1,0.8,2,20000,1,nei,nei
Avlast,220,10,1,0.8,4,3000,1,nei,ja
Vanlig,300,14,0.3,0.8,2,20000,1,ja,nei
"""
)


def test_free_bed_blocking_is_erlang_b_when_nobody_borrows():
    beds, load = np.array([[20.0, 5.0], [3.5, 9.0]]), np.array([[16.4, 6.0], [2.0, 7.7]])
    result = queueing.free_bed_blocking(beds, load, [False, False], [True, True])
    assert result["blocking"] == pytest.approx(queueing.erlang_b_continuous(beds, load), rel=1e-12)
    assert not result["borrowed"].any()


@pytest.mark.parametrize(("dementia", "respite"), [(20, 0), (20, 3), (18, 6)])
def test_overflow_approximation_against_simulation_on_a_two_type_case(dementia, respite):
    """Respite patients borrow free dementia beds; the lender's blocking rises, the borrower's falls."""
    case = small_case(Plasstyper=TWO_TYPES, Lokasjoner=SITES)
    plan = pd.DataFrame([("A", "Demens", dementia), ("B", "Avlast", respite)], columns=["site", "bed_type", "beds"])
    analytic = real_year_blocking(case, plan)
    sim = simulate(case, plan, SimulationOptions(years=20, replications=10, jobs=1)).per_type.set_index("bed_type")
    # the dementia beds' own patients: within 1 percentage point of the simulation
    assert analytic.at["Demens", "blocking_shared"] == pytest.approx(sim.at["Demens", "blocking"], abs=0.01)
    # overflow lifts dementia's blocking well above its own Erlang B, as in the simulation
    assert analytic.at["Demens", "blocking_shared"] > analytic.at["Demens", "blocking_year"] + 0.03
    # the borrower: share served in a dementia bed and share lost, within 2 points
    assert analytic.at["Avlast", "borrowed_share"] == pytest.approx(sim.at["Avlast", "overflow_share"], abs=0.02)
    assert analytic.at["Avlast", "blocking_shared"] == pytest.approx(sim.at["Avlast", "blocking"], abs=0.02)


def test_effective_load_factor_reproduces_the_simulated_blocking():
    case = small_case(Plasstyper=TWO_TYPES, Lokasjoner=SITES)
    plan = pd.DataFrame([("A", "Demens", 20)], columns=["site", "bed_type", "beds"])
    factor = effective_load_factor(case, plan, "Demens", 0.20)
    load = case.load_beds["Demens"]
    assert factor > 1
    assert float(queueing.erlang_b(20, factor * load)) == pytest.approx(0.20, abs=1e-9)
    assert effective_load_factor(case, plan, "Demens", 0.01) == 1.0  # never loosened


@pytest.fixture(scope="module")
def verified():
    case = small_case(Plasstyper=THREE_TYPES, Lokasjoner=SITES, Parametre="navn,verdi\ntotalt_antall_plasser,40\n")
    return solve(case, verify=VerifyOptions(years=5, replications=8, jobs=1))


def test_verification_loop_tightens_the_type_that_misses_in_simulation_until_it_holds(verified):
    steps = verified.verification.iterations
    first, last = (
        steps[steps["iteration"] == 0].set_index("bed_type"),
        steps[steps["iteration"] == steps["iteration"].max()].set_index("bed_type"),
    )
    # the real-year optimum without overflow: the model says dementia meets 10 %, the simulation says no
    stationary = solve(verified.case)
    analytic = stationary.queueing.set_index(["alternative", "bed_type"])
    assert analytic.at[(stationary.optimum_name, "Demens"), "blocking_year"] <= 0.10
    assert first.at["Demens", "blocking_sim"] - first.at["Demens", "blocking_ci"] > 0.10
    assert not first.at["Demens", "holds"]
    # the verified plan: more dementia beds, and every target holds in simulation
    assert last.at["Demens", "beds"] > first.at["Demens", "beds"]
    assert last.at["Demens", "load_factor"] > 1
    assert last["holds"].all()
    assert verified.verification.holds
    final = verified.allocation.groupby("bed_type")["beds"].sum()
    assert final["Demens"] == last.at["Demens", "beds"]
    assert holds_sentence(verified).endswith("Kontrollen strammet inn kravet for Demens og løste modellen 1 gang til.")
    assert "alle kravene til avvisning holder" in holds_sentence(verified)


def test_verification_is_reproducible_with_its_seed(verified):
    again = solve(verified.case, verify=VerifyOptions(years=5, replications=8, jobs=1))
    pd.testing.assert_frame_equal(again.verification.iterations, verified.verification.iterations)
    pd.testing.assert_frame_equal(again.verification.simulated, verified.verification.simulated)


def test_drammen_verified_report_says_what_the_simulation_says(drammen_verified, tmp_path):
    """The recommendation and its sharing rule hold in simulation, and page 1, the terminal and Excel say so."""
    from openpyxl import load_workbook

    from dimensioning import write_excel
    from dimensioning.report.pdf import comparison_rows, key_sentences

    result, verification = drammen_verified, drammen_verified.verification
    simulated = verification.simulated.set_index(["alternative", "bed_type"])
    optimum = result.optimum_name
    # the search keeps dementia beds back from the borrowers: every target holds in simulation
    mine = simulated.xs(optimum, level="alternative")
    assert mine["holds"].all()
    assert (mine["blocking_sim"] <= mine["max_blocking"] + 1e-12).all()  # the point estimates too
    assert verification.holds
    rule = verification.rule.set_index(["bed_type", "lender"])
    assert rule.at[("Forsterket (USK)", "Demens"), "reserve_beds"] > 0
    assert not rule["reserve_beds"].isna().any()  # every open choice chosen
    # the three splits simulated under today's practice (nothing kept back): dementia misses in each
    for name in result.alternatives[1:]:
        assert not simulated.at[(name, "Demens"), "holds"]
    sentence = holds_sentence(result)
    assert "alle kravene til avvisning holder" in sentence
    assert sentence in key_sentences(result)
    # the plan recommended is the last state of the search
    final_beds = result.allocation.groupby("bed_type", sort=False)["beds"].sum()
    assert int(final_beds.sum()) == 146
    assert verification.steps["missing"].iloc[-1] == 0
    # the PDF comparison has the simulated rows, without «bommer» for the recommendation
    rows = comparison_rows(result)
    start = next(i for i, r in enumerate(rows) if r[0] == "Andel som ikke får plass i året, simulert")
    dementia = next(r for r in rows[start:] if r[0] == "  Demens")
    assert not dementia[1].endswith("bommer")
    assert dementia[2].endswith("bommer")
    assert dementia[1].startswith(f"{simulated.at[(optimum, 'Demens'), 'blocking_sim'] * 100:.1f}".replace(".", ","))
    # Excel «Kontroll» read back: the same numbers and verdicts
    book = load_workbook(write_excel(result, tmp_path / "r.xlsx"))
    table = list(book["Kontroll"].iter_rows(values_only=True))
    header = table[0]
    read = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in table[1:] if r[0] and r[1]}
    for (name, bed_type), row in simulated.iterrows():
        got = read[(name, bed_type)]
        assert got["Andel uten plass i året (simulert)"] == pytest.approx(row["blocking_sim"], rel=1e-12)
        assert got["Holder kravet (simulert)"] == ("ja" if row["holds"] else "nei")
    assert any(r[0] == sentence for r in table)
