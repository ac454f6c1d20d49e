"""The years ahead (issue 12, first slice): demand per year, «fast total» and «dekningsgrad» per year."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from dimensioning import queueing
from dimensioning.cli import main
from dimensioning.common.errors import InputError
from dimensioning.common.labels import number
from dimensioning.workflows.years import (
    COVERAGE_RATIO,
    FIXED_TOTAL,
    best_split,
    case_for_year,
    coverage_ratio_allocation,
    demand_by_year,
    plan_years,
)

from .conftest import SMALL, small_case

POPULATION = """
aar,aldersgruppe,innbyggere
2025,80+,1000
2025,0-79,9000
2030,80+,2000
2030,0-79,9000
"""

RATES = """
plasstype,aldersgruppe,innleggelser_per_1000,endring_liggetid_per_aar
Akutt,80+,100,0
Akutt,0-79,10,0
Vanlig,80+,150,0.01
"""

ALTERNATIVES = """
alternativ,lokasjon,plasstype,plasser
I dag,A,Akutt,4
I dag,B,Vanlig,6
"""


def years_case(**sheets: str):
    return small_case(Befolkning=POPULATION, Rater=RATES, Alternativer=ALTERNATIVES, **sheets)


def test_demand_is_calibrated_to_the_start_year_and_grows_with_the_age_groups():
    case = years_case()
    demand = demand_by_year(case).set_index(["year", "bed_type"])
    # the start year reproduces innleggelser_per_aar exactly
    assert demand.at[(2025, "Akutt"), "arrivals_per_year"] == pytest.approx(300)
    assert demand.at[(2025, "Vanlig"), "arrivals_per_year"] == pytest.approx(200)
    # Akutt: 100 per 1,000 aged 80+ and 10 per 1,000 under 80 -> raw 100 + 90 = 190 in 2025;
    # 2027 lies 2/5 of the way to 2030 (80+ 1,400): raw 140 + 90 = 230
    assert demand.at[(2027, "Akutt"), "arrivals_per_year"] == pytest.approx(300 * 230 / 190)
    # Vanlig is used by the 80+ only: it grows with them, and its stay grows 1 % a year
    assert demand.at[(2030, "Vanlig"), "arrivals_per_year"] == pytest.approx(400)
    assert demand.at[(2030, "Vanlig"), "los_days"] == pytest.approx(14 * 1.01**5)
    assert demand.at[(2030, "Vanlig"), "load_beds"] == pytest.approx(400 * 14 * 1.01**5 / 365)
    year_case = case_for_year(case, 2030)
    assert year_case.bed_types.at["Vanlig", "arrivals_per_year"] == pytest.approx(400)
    assert year_case.load_beds["Vanlig"] == pytest.approx(400 * 14 * 1.01**5 / 365)


def test_per_year_blocking_is_erlang_b_for_that_years_load():
    """Without seasons or closures each year's computed blocking is Erlang B at that year's load."""
    case = years_case()
    result = plan_years(case)
    demand = result.demand.set_index(["year", "bed_type"])
    for row in result.per_type.itertuples():
        load = demand.at[(row.year, row.bed_type), "load_beds"]
        assert row.blocking_year == pytest.approx(float(queueing.erlang_b(row.beds, load)), rel=1e-9)
    # the coverage ratio doubles today's 10 beds when the 80+ double (2025 -> 2030)
    ratio = result.per_year.set_index(["strategy", "year"])
    assert ratio.at[(COVERAGE_RATIO, 2025), "beds"] == 10
    assert ratio.at[(COVERAGE_RATIO, 2030), "beds"] == 20
    assert (result.per_year.loc[result.per_year["strategy"] == FIXED_TOTAL, "beds"] == 10).all()


def test_fixed_total_finds_the_cheapest_split_and_the_year_it_breaks():
    case = years_case()
    result = plan_years(case)
    fixed = result.per_type[result.per_type["strategy"] == FIXED_TOTAL]
    # brute force over the two pooled counts with 10 beds: the cheapest split that holds both targets
    for year in (2025, 2026):
        year_case = case_for_year(case, year)
        loads = year_case.load_beds
        holds = [
            (a, 10 - a)
            for a in range(2, 9)
            if queueing.erlang_b(a, loads["Akutt"]) <= 0.2 and queueing.erlang_b(10 - a, loads["Vanlig"]) <= 0.5
        ]
        got = fixed[fixed["year"] == year].set_index("bed_type")["beds"]
        assert (int(got["Akutt"]), int(got["Vanlig"])) in holds
    broken = fixed[~fixed["holds"]]
    expected = {
        t: (int(broken.loc[broken["bed_type"] == t, "year"].min()) if (broken["bed_type"] == t).any() else None)
        for t in case.bed_type_names
    }
    assert result.first_break == expected
    assert any(v is not None for v in expected.values())  # 10 beds do not last to 2030 here


def test_best_split_keeps_the_same_share_of_every_target_when_they_cannot_all_hold():
    case = case_for_year(years_case(), 2030)
    from dimensioning.model import model_data

    needed = model_data(case).min_beds_for_target
    assert sum(needed.values()) > 10  # the targets need more than the 10 beds
    split = best_split(case).groupby("bed_type")["beds"].sum()
    assert split.sum() == 10
    shares = [split[t] / needed[t] for t in needed]
    assert max(shares) - min(shares) < 0.5  # no type is closed to keep another whole


def test_coverage_ratio_rounds_by_largest_remainder():
    today = pd.DataFrame({"site": ["A", "A", "B"], "bed_type": ["X", "Y", "X"], "beds": [5, 3, 2]})
    scaled = coverage_ratio_allocation(today, 1.55)
    assert scaled["beds"].sum() == round(10 * 1.55)
    assert scaled["beds"].tolist() == [8, 5, 3]  # 7.75, 4.65, 3.1 -> 7, 4, 3 + the two largest remainders


@pytest.mark.parametrize(
    ("sheets", "fragment"),
    [
        ({"Rater": RATES.replace("Akutt,80+", "Akut,80+")}, "Rater"),
        ({"Rater": RATES.replace("Vanlig,80+", "Vanlig,90+")}, "aldersgruppe"),
        ({"Rater": RATES.replace("Vanlig,80+,150,0.01\n", "")}, "ingen rad i «Rater»"),
        ({"Befolkning": POPULATION.replace("2030,0-79,9000\n", "")}, "mangler året 2030"),
        ({"Rater": RATES.replace("0.01", "0.5")}, "endring_liggetid_per_aar"),
        ({"Befolkning": POPULATION.replace("2025,80+,1000", "2025,80+,-5")}, "innbyggere"),
        # a type whose rates are all 0 would keep today's demand every year without a word
        (
            {"Rater": RATES.replace("Vanlig,80+,150", "Vanlig,80+,0")},
            "ark «Rater», rad 4, kolonne «innleggelser_per_1000»: alle ratene for «Vanlig» er 0",
        ),
        # nobody in the start year: no demand to grow from (was: growth 1 everywhere)
        (
            {"Befolkning": POPULATION.replace("2025,80+,1000", "2025,80+,0").replace("2025,0-79,9000", "2025,0-79,0")},
            "ark «Befolkning», rad 2, kolonne «innbyggere»: ingen innbyggere i «80+» og «0-79» i startåret 2025, "
            "så «Akutt» har ingen innleggelser",
        ),
        (
            {"Befolkning": POPULATION.replace("2025,80+,1000", "2025,80+,0")},
            "ingen innbyggere i «80+» i startåret 2025, så «Vanlig» har ingen innleggelser",
        ),
    ],
)
def test_bad_years_sheets_get_cell_level_errors(sheets, fragment):
    base = {"Befolkning": POPULATION, "Rater": RATES, "Alternativer": ALTERNATIVES}
    with pytest.raises(InputError) as info:
        small_case(**{**base, **sheets})
    assert fragment in str(info.value)


def test_population_without_rates_is_refused():
    with pytest.raises(InputError) as info:
        small_case(Befolkning=POPULATION)
    assert "«Rater»" in str(info.value)


def test_plan_command_on_drammen_writes_the_plan_and_says_when_146_breaks(tmp_path):
    out = tmp_path / "plan.xlsx"
    result = CliRunner().invoke(main, ["plan", "--fra", "2025", "--til", "2028", "--ut", str(out)])
    assert result.exit_code == 0, result.output
    assert "Med 146 plasser holder kravene til og med" in result.output
    workbook = load_workbook(out)
    assert {"Plan per år", "Plasstyper per år", "Fordeling per år", "Etterspørsel per år"} <= set(workbook.sheetnames)
    rows = list(workbook["Plan per år"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Strategi", "År", "Senger")
    table = [r for r in rows[1:13] if r[0]]
    assert sorted({r[1] for r in table}) == [2025, 2026, 2027, 2028]
    fixed = [r for r in table if r[0].startswith("Fast total")]
    assert len(fixed) == 4
    assert all(r[2] == 146 for r in fixed)
    plan = [r for r in table if r[0].startswith("Plan")]
    assert [r[2] for r in plan][:2] == [146, 146]  # fast_total_til_aar 2026
    assert all(r[9] for r in plan)  # the plan holds every target in every year
    demand = list(workbook["Etterspørsel per år"].iter_rows(values_only=True))
    usk_2025 = next(r for r in demand if r[0] == 2025 and r[1] == "Forsterket (USK)")
    assert usk_2025[2] == pytest.approx(1720)
    sources = list(workbook["Befolkning (inndata)"].iter_rows(values_only=True))
    assert any("planstrategi" in str(r[3]) for r in sources[1:])
    options = list(workbook["Utbygging (inndata)"].iter_rows(values_only=True))
    assert options[0][:4] == ("navn", "lokasjon", "tidligst_aar", "plasser")
    assert [r[0] for r in options[1:]] == ["Tom fløy, Drammen helsehus", "Utvidelse Åskollen", "Nytt helsehus"]


def test_plan_command_on_the_template_and_without_the_sheets(tmp_path):
    runner = CliRunner()
    template = tmp_path / "mal.xlsx"
    assert runner.invoke(main, ["template", str(template)]).exit_code == 0
    result = runner.invoke(main, ["plan", str(template), "--ut", str(tmp_path / "plan.xlsx")])
    assert result.exit_code == 0, result.output
    assert "Dekningsgraden" in result.output
    # a workbook without Befolkning/Rater gets a Norwegian message and exit 2, no traceback
    from dimensioning.inputs.template import write_template

    bare = small_case(Alternativer=ALTERNATIVES)
    path = write_template(bare, tmp_path / "uten.xlsx")
    refused = runner.invoke(main, ["plan", str(path), "--ut", str(tmp_path / "p.xlsx")])
    assert refused.exit_code == 2
    assert "«Befolkning» og «Rater»" in refused.output
    assert not (tmp_path / "p.xlsx").exists()
    # years outside the population sheet
    outside = runner.invoke(main, ["plan", str(template), "--fra", "2019", "--ut", str(tmp_path / "q.xlsx")])
    assert outside.exit_code == 2
    assert "Befolkningen er gitt for 2025-2040" in outside.output
    # chosen years: only those rows, and a sentence that says which years were computed
    chosen = runner.invoke(main, ["plan", str(template), "--aar", "2040,2025,2030", "--ut", str(tmp_path / "c.xlsx")])
    assert chosen.exit_code == 0, chosen.output
    rows = list(load_workbook(tmp_path / "c.xlsx")["Plan per år"].iter_rows(values_only=True))
    assert sorted({r[1] for r in rows[1:] if isinstance(r[1], int)}) == [2025, 2030, 2040]
    assert "2025, 2030, 2040" in chosen.output
    bad = runner.invoke(main, ["plan", str(template), "--aar", "2025,tjue", "--ut", str(tmp_path / "d.xlsx")])
    assert bad.exit_code == 2
    assert "--aar må være årstall" in bad.output


TINY = {
    "Lokasjoner": """
lokasjon,plasser
A,4
B,4
""",
    "Plasstyper": """
plasstype,innleggelser_per_aar,liggetid_dager,maks_avvisning,pleiefaktor,kostnad_per_avvist
Akutt,300,3,0.3,1.1,40000
Vanlig,200,14,0.5,0.8,20000
""",
    "Befolkning": """
aar,aldersgruppe,innbyggere
2025,80+,1000
2026,80+,1600
""",
    "Rater": """
plasstype,aldersgruppe,innleggelser_per_1000
Akutt,80+,300
Vanlig,80+,200
""",
    "Utbygging": """
navn,lokasjon,tidligst_aar,plasser,investering,driftskostnad
Ny fløy,B,2026,4,2000000,100000
""",
    "Parametre": """
navn,verdi,enhet
totalt_antall_plasser,8,senger
startaar,2025,år
sluttaar,2026,år
fast_total_til_aar,2025,år
diskonteringsrente,0.04,andel
""",
}


def test_multi_year_plan_against_brute_force():
    """2 years, 2 sites, 2 types, one option: the plan is the cheapest discounted choice of all."""
    import itertools

    from dimensioning.workflows.evaluate import yearly_cost
    from dimensioning.workflows.years import plan_case, solve_plan

    case = small_case(**TINY)
    years = [2025, 2026]
    demand = demand_by_year(case, years)

    def best_year(year: int, opened: set[str]) -> float:
        year_case = plan_case(case, year, demand, opened)
        low, high = year_case.settings.total_bounds(int(year_case.sites["beds"].sum()))
        needed = year_case.min_beds_for_target
        best = np.inf
        capacity = year_case.sites["beds"]
        for beds in itertools.product(range(9), repeat=4):
            (a1, a2), (b1, b2) = beds[:2], beds[2:]
            if a1 + a2 > capacity["A"] or b1 + b2 > capacity["B"] or not low <= sum(beds) <= high:
                continue
            if a1 + b1 < needed["Akutt"] or a2 + b2 < needed["Vanlig"]:
                continue
            allocation = pd.DataFrame(
                [("A", "Akutt", a1), ("A", "Vanlig", a2), ("B", "Akutt", b1), ("B", "Vanlig", b2)],
                columns=["site", "bed_type", "beds"],
            )
            best = min(best, yearly_cost(year_case, allocation)[0])
        return best

    discount = 1 / 1.04
    closed = best_year(2025, set()) + discount * best_year(2026, set())
    opened = best_year(2025, set()) + discount * (best_year(2026, {"Ny fløy"}) + 2_000_000 + 100_000)
    allocations, in_service, status = solve_plan(case, years, demand)
    plan_cost = sum(
        (1.04 ** -(y - 2025)) * yearly_cost(plan_case(case, y, demand, in_service[y]), allocations[y])[0] for y in years
    )
    plan_cost += discount * (2_000_000 + 100_000) * ("Ny fløy" in in_service[2026])
    assert status.gap < 1e-9  # proven optimal
    assert plan_cost == pytest.approx(min(closed, opened), abs=2_000)  # the tie-break is at most ~700 NOK a year
    assert ("Ny fløy" in in_service[2026]) == (opened < closed)
    assert in_service[2025] == set()  # not before tidligst_aar


def test_an_opened_option_stays_open():
    """Demand peaks in the middle year: the option opens for it and stays open after (irreversible)."""
    from dimensioning.workflows.years import solve_plan

    sheets = {
        **TINY,
        "Befolkning": """
aar,aldersgruppe,innbyggere
2025,80+,1000
2026,80+,1500
2027,80+,800
""",
        "Utbygging": """
navn,lokasjon,tidligst_aar,plasser,investering,driftskostnad
Ny fløy,B,2026,4,0,3000000
""",
        "Parametre": TINY["Parametre"].replace("sluttaar,2026", "sluttaar,2027"),
    }
    case = small_case(**sheets)
    years = [2025, 2026, 2027]
    demand = demand_by_year(case, years)
    allocations, in_service, _ = solve_plan(case, years, demand)
    assert "Ny fløy" in in_service[2026]  # the targets need it in the peak year
    assert "Ny fløy" in in_service[2027]  # and it cannot close, though it costs 3 MNOK a year
    beds_2026 = allocations[2026].groupby("site")["beds"].sum()
    assert beds_2026["B"] > 4  # the option's beds are used


@pytest.mark.parametrize("investment", [0, 3_000_000, 40_000_000])
def test_year_by_year_plan_equals_the_one_mip(investment):
    """Two options at two sites over three years: the recursion over sets of options gives the MIP's plan."""
    from dimensioning.workflows.years import solve_plan

    sheets = {
        **TINY,
        "Befolkning": """
aar,aldersgruppe,innbyggere
2025,80+,1000
2026,80+,1400
2027,80+,1900
""",
        "Utbygging": f"""
navn,lokasjon,tidligst_aar,plasser,investering,driftskostnad
Ny fløy,B,2026,4,{investment},100000
Påbygg,A,2025,3,{investment // 2},50000
""",
        "Parametre": TINY["Parametre"].replace("sluttaar,2026", "sluttaar,2027"),
    }
    case = small_case(**sheets)
    years = [2025, 2026, 2027]
    demand = demand_by_year(case, years)
    by_years = solve_plan(case, years, demand, method="years")
    mip = solve_plan(case, years, demand, method="mip")
    assert by_years[2].objective_nok == pytest.approx(mip[2].objective_nok, rel=1e-9)
    assert by_years[1] == mip[1]  # the same options in service every year
    for year in years:
        pd.testing.assert_frame_equal(by_years[0][year].reset_index(drop=True), mip[0][year].reset_index(drop=True))
    assert all(by_years[1][a] <= by_years[1][b] for a, b in ((2025, 2026), (2026, 2027)))  # irreversible


def test_plan_years_gives_the_same_tables_in_one_process_and_in_a_pool():
    """The years are shared out over worker processes; the tables do not depend on it."""
    from dimensioning.workflows.years import plan_years

    today = "alternativ,lokasjon,plasstype,plasser\nI dag,A,Akutt,4\nI dag,B,Vanlig,4\n"
    case = small_case(**TINY, Alternativer=today)
    alone, pooled = plan_years(case, jobs=1), plan_years(case, jobs=2)
    pd.testing.assert_frame_equal(alone.per_type, pooled.per_type)
    pd.testing.assert_frame_equal(alone.per_year, pooled.per_year)
    pd.testing.assert_frame_equal(alone.allocations, pooled.allocations)
    assert alone.openings == pooled.openings


def test_real_year_curves_cut_from_longer_ones_equal_computed_ones():
    """The curve cache serves shorter tables by cutting longer ones: the values must be the same."""
    from dimensioning import drammen
    from dimensioning.queueing.seasons import _CURVES, real_year_curves

    case = drammen()
    _CURVES.clear()
    long = real_year_curves(case, 200)
    cut = real_year_curves(case, 120)
    _CURVES.clear()
    fresh = real_year_curves(case, 120)
    assert cut.turned_away.shape == fresh.turned_away.shape == (121, 12, len(case.bed_type_names))
    for name in ("turned_away", "waiting_days", "waited"):
        np.testing.assert_allclose(getattr(cut, name), getattr(fresh, name), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(long.turned_away[:121], fresh.turned_away, rtol=1e-12, atol=1e-12)
    changed = case.replace(bed_types=case.bed_types.assign(los_days=case.bed_types["los_days"] * 1.1))
    assert not np.allclose(real_year_curves(changed, 120).turned_away, fresh.turned_away)  # a new input, no cache hit


def test_report_has_the_chapter_on_the_years_ahead(tmp_path):
    """dimension report includes «Behov fram mot 2040» when the workbook has Befolkning and Rater."""
    from pypdf import PdfReader

    runner = CliRunner()
    template = tmp_path / "mal.xlsx"
    assert runner.invoke(main, ["template", str(template)]).exit_code == 0
    out = tmp_path / "rapport"
    result = runner.invoke(main, ["report", str(template), "--ikke-verifiser", "--ut", str(out)])
    assert result.exit_code == 0, result.output
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(out / "rapport.pdf").pages]
    chapter = next(p for p in pages if "Behov fram mot 2040" in p)
    assert "Dekningsgraden" in chapter
    assert "fast total" in chapter
    assert (out / "plan-senger.png").is_file()
    assert (out / "plan-venting.png").is_file()
    skipped = runner.invoke(
        main, ["report", str(template), "--ikke-verifiser", "--uten-plan", "--ut", str(tmp_path / "r2")]
    )
    assert skipped.exit_code == 0
    assert not (tmp_path / "r2" / "plan-senger.png").exists()


def test_every_fifth_year_and_the_weight_of_the_years_between():
    """planaar_hvert 5 plans 2025, 2030, ... and the end year; a planned year counts until the next."""
    from dimensioning.model.multiyear import year_weights
    from dimensioning.workflows.years import planning_years

    step = "navn,verdi,enhet\ntotalt_antall_plasser,10,senger\nstartaar,2025,år\nsluttaar,2042,år\nplanaar_hvert,5,år\n"
    population = POPULATION.replace("2030,", "2042,")
    case = small_case(Befolkning=population, Rater=RATES, Alternativer=ALTERNATIVES, Parametre=step)
    assert planning_years(case) == [2025, 2030, 2035, 2040, 2042]
    assert year_weights([2025, 2026, 2027], 0.0) == {2025: 1.0, 2026: 1.0, 2027: 1.0}
    assert year_weights([2025, 2030, 2040], 0.0) == {2025: 5.0, 2030: 10.0, 2040: 1.0}
    weights = year_weights([2025, 2027], 0.04)
    assert weights[2025] == pytest.approx(1 + 1 / 1.04)
    assert weights[2027] == pytest.approx(1.04**-2)


def test_plan_scenarios_change_growth_discount_rate_and_options(tmp_path):
    """dimension plan --scenarier: growth, discount rate and rates move the plan; dimension sweep refuses them."""
    from openpyxl import Workbook

    from dimensioning.inputs.case import read_case_tables
    from dimensioning.inputs.scenarios import apply, read_scenarios

    runner = CliRunner()
    template = tmp_path / "mal.xlsx"
    assert runner.invoke(main, ["template", str(template)]).exit_code == 0
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Scenarier"
    sheet.append(["scenario", "befolkningsvekst", "diskonteringsrente", "Rater:*/80+:innleggelser_per_1000 (faktor)"])
    sheet.append(["Som i dag", None, None, None])
    sheet.append(["Ingen vekst", 0, None, None])
    sheet.append(["Dobbel vekst", 2, 0.02, 1.0])
    sheet.append(["Feil", None, 2, None])
    scenarios_path = tmp_path / "plan-scenarier.xlsx"
    workbook.save(scenarios_path)
    # the growth factor scales the change since the first year, per age group
    base = read_case_tables(template)
    refused = runner.invoke(
        main, ["plan", str(template), "--scenarier", str(scenarios_path), "--ut", str(tmp_path / "r.xlsx")]
    )
    assert refused.exit_code == 2  # diskonteringsrente 2 (200 %) is named by sheet, row and column
    assert "ark «Scenarier», rad 5, kolonne «diskonteringsrente»" in refused.output
    sheet.delete_rows(5)
    workbook.save(scenarios_path)
    scenarios = read_scenarios(scenarios_path, base, years=True)
    none, double = scenarios[1], scenarios[2]
    rows = {r: c for r, c in apply(base, none)["Befolkning"] if r > 1}
    firsts = {}
    for r, cells in sorted(apply(base, double)["Befolkning"]):
        if r == 1:
            continue
        group = cells["aldersgruppe"]
        original = next(c for rr, c in base["Befolkning"] if rr == r)
        firsts.setdefault(group, original["innbyggere"])
        assert cells["innbyggere"] == pytest.approx(firsts[group] + 2 * (original["innbyggere"] - firsts[group]))
        assert rows[r]["innbyggere"] == pytest.approx(firsts[group])  # no growth: every year as the first
    out = tmp_path / "plan-resultat.xlsx"
    result = runner.invoke(main, ["plan", str(template), "--scenarier", str(scenarios_path), "--ut", str(out)])
    assert result.exit_code == 0, result.output
    table = list(load_workbook(out)["Planscenarier"].iter_rows(values_only=True))
    header, body = table[0], {r[0]: dict(zip(table[0], r, strict=True)) for r in table[1:] if r[0]}
    assert header[:3] == ("Scenario", "Endringer", "Status")
    assert set(body) == {"Som i dag", "Ingen vekst", "Dobbel vekst"}
    beds = {name: row["Plan: senger siste år"] for name, row in body.items()}
    assert beds["Ingen vekst"] <= beds["Som i dag"] <= beds["Dobbel vekst"]
    assert beds["Ingen vekst"] < beds["Dobbel vekst"]
    # dimension sweep refuses the sheets of the years ahead, with the pointer to plan --scenarier
    swept = runner.invoke(
        main, ["sweep", str(scenarios_path), "--grunnlag", str(template), "--ut", str(tmp_path / "s.xlsx")]
    )
    assert swept.exit_code == 2
    assert "dimension plan --scenarier" in swept.output


def test_plan_scenarios_plan_the_years_and_dimensioning_asked(tmp_path):
    """--aar and --dimensjonering hold for every scenario of plan --scenarier (they were ignored)."""
    from openpyxl import Workbook

    runner = CliRunner()
    template = tmp_path / "mal.xlsx"
    assert runner.invoke(main, ["template", str(template)]).exit_code == 0
    workbook = Workbook()
    workbook.active.title = "Scenarier"
    workbook.active.append(["scenario", "befolkningsvekst"])
    workbook.active.append(["Som i dag", 1])
    scenarios_path = tmp_path / "s.xlsx"
    workbook.save(scenarios_path)

    def last_year(*options: str) -> dict:
        out = tmp_path / f"r{len(options)}.xlsx"
        args = ["plan", str(template), "--scenarier", str(scenarios_path), *options, "--ut", str(out)]
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        table = list(load_workbook(out)["Planscenarier"].iter_rows(values_only=True))
        return dict(zip(table[0], table[1], strict=True))

    whole = last_year()
    asked = last_year("--aar", "2025,2027")
    assert asked["Siste år"] == 2027
    assert whole["Siste år"] > 2027
    assert asked["Endringer"] == "befolkningsvekst = 1"


def test_solve_one_future_year_from_befolkning_and_rater(tmp_path, monkeypatch):
    """dimension solve --aar: that year's demand (the plan's own figure), its own default output, years named."""
    from dimensioning.inputs.examples import drammen

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["solve", "--aar", "2035", "--ikke-verifiser"])
    assert result.exit_code == 2, result.output  # 146 beds cannot hold 2035's demand
    demand = demand_by_year(drammen(), [2035]).set_index("bed_type")["arrivals_per_year"]
    assert "Etterspørselen i 2035 etter «Befolkning» og «Rater»" in result.output
    assert f"Demens {number(demand['Demens'])} innleggelser" in result.output
    assert "«Drammen kommune, 2035»" in result.output
    assert "Med nye eller utvidede lokaler trenger kravene minst" in result.output
    assert (tmp_path / "reports" / "drammen-resultat-ukontrollert-2035.xlsx").exists()
    assert not (tmp_path / "reports" / "drammen-resultat-ukontrollert.xlsx").exists()
    outside = runner.invoke(main, ["solve", "--aar", "2050"])
    assert outside.exit_code == 2
    assert "«Befolkning» har tall for 2023-2040" in outside.output


def test_a_plan_that_cannot_hold_every_target_is_the_best_effort_with_its_shortfall(tmp_path):
    """Demand triples and the option adds only 4 beds: no schedule holds in 2026, yet there is a plan.

    It is the schedule that misses in the fewest years and then costs least with the shortfall
    priced in (here: opening the option, whose beds take patients who would be turned away at
    40,000 NOK each); its shortfall per year and type is the plan's own evaluation.
    """
    from dimensioning.workflows.years import PLAN, plan_shortfall

    sheets = {
        **TINY,
        "Befolkning": "aar,aldersgruppe,innbyggere\n2025,80+,1000\n2026,80+,3000\n",
        "Alternativer": "alternativ,lokasjon,plasstype,plasser\nI dag,A,Akutt,4\nI dag,B,Vanlig,4\n",
    }
    case = small_case(**sheets)
    result = plan_years(case, jobs=1)
    assert result.plan_note == ""  # a plan, not «Planen har ingen løsning»
    assert result.plan_first_break == {"Akutt": 2026, "Vanlig": 2026}
    assert result.openings == {"Ny fløy": 2026}
    plan = result.per_type[result.per_type["strategy"] == PLAN].set_index(["year", "bed_type"])
    assert plan.loc[2025, "holds"].all()
    shortfall = plan_shortfall(result, case.ukp_types).set_index(["year", "bed_type"])
    assert list(shortfall.index) == [(2026, "Akutt"), (2026, "Vanlig")]
    for key in shortfall.index:
        assert shortfall.at[key, "turned_away_per_year"] == plan.at[key, "turned_away_per_year"]
        assert shortfall.at[key, "shortfall_cost_nok"] == pytest.approx(plan.at[key, "turned_away_cost_nok"])
    # the 12 beds split so that both types keep the same share of the beds their targets need
    beds = plan.loc[2026, "beds"]
    assert beds.sum() == 12
    # not opening the option is worse: the same 8 beds as 2025 turn more patients away
    fixed = result.per_type[(result.per_type["strategy"] == FIXED_TOTAL) & (result.per_type["year"] == 2026)]
    assert fixed["turned_away_per_year"].sum() > shortfall["turned_away_per_year"].sum()
    # the command says so and writes the sheet
    book = tmp_path / "k.xlsx"
    _write_sheets({**SMALL, **sheets}, book)
    out = tmp_path / "plan.xlsx"
    ran = CliRunner().invoke(main, ["plan", str(book), "--ut", str(out)])
    assert ran.exit_code == 0, ran.output
    said = " ".join(ran.output.split())
    assert "Ingen rekkefølge av utbyggingene i «Utbygging» holder alle kravene hvert år" in said
    assert "Kravet holder ikke for Akutt fra 2026; for Vanlig fra 2026." in said
    sheet = load_workbook(out)["Mangler i planen"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("År", "Plasstype", "Senger i planen")
    assert [(r[0], r[1]) for r in rows[1:]] == [(2026, "Akutt"), (2026, "Vanlig")]


def _write_sheets(sheets: dict[str, str], path) -> None:
    """A workbook from inline CSV sheets, as a planner would type them."""
    import csv
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, text in sheets.items():
        sheet = book.create_sheet(name)
        for row in csv.reader(io.StringIO(text.strip())):
            sheet.append([_typed(cell) for cell in row])
    book.save(path)


def _typed(cell: str):
    try:
        return int(cell)
    except ValueError:
        try:
            return float(cell)
        except ValueError:
            return cell or None


def test_the_staff_the_kommune_can_hire_grows_by_its_own_rate_in_the_plan():
    """Nurses grow 1 % a year while the 80+ double: each year's split stays within that year's nurses."""
    from dimensioning.workflows.evaluate import evaluate
    from dimensioning.workflows.years import PLAN, case_for_year

    staff = (
        "fagkategori,andel,kostnad_per_aarsverk,tilgjengelige_aarsverk\n"
        "sykepleier,0.6,900000,6\nhelsefagarbeider,0.3,800000,\nufaglært,0.1,600000,\n"
    )
    parameters = (
        TINY["Parametre"].replace("sluttaar,2026", "sluttaar,2027") + "vekst_tilgjengelige_aarsverk,0.01,andel\n"
    )
    sheets = {
        **TINY,
        "Bemanning": staff,
        "Parametre": parameters,
        "Befolkning": "aar,aldersgruppe,innbyggere\n2025,80+,1000\n2027,80+,2000\n",
        "Alternativer": "alternativ,lokasjon,plasstype,plasser\nI dag,A,Akutt,4\nI dag,B,Vanlig,4\n",
    }
    case = small_case(**sheets)
    assert case.settings.staff_growth == 0.01
    limits = {
        y: float(case_for_year(case, y, demand_by_year(case)).skills.at["sykepleier", "available_fte"])
        for y in (2025, 2026, 2027)
    }
    assert limits == pytest.approx({2025: 6.0, 2026: 6.06, 2027: 6.0 * 1.01**2})
    result = plan_years(case, jobs=1)
    assert result.plan_note == ""
    plan = result.allocations[result.allocations["strategy"] == PLAN]
    for year, limit in limits.items():
        year_case = case_for_year(case, year, demand_by_year(case))
        split = plan[plan["year"] == year][["site", "bed_type", "beds"]]
        nurses = evaluate(year_case, split, free_bed=False).staffing.query("skill == 'sykepleier'")["fte"].sum()
        assert nurses <= limit + 1e-6, (year, nurses, limit)
