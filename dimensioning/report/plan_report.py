"""The years ahead as a workbook: strategies per year side by side, inputs echoed with sources.

Reads only a :class:`~dimensioning.workflows.years.YearsResult` (and the case's own input tables for the echo).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from dimensioning.common.labels import number
from dimensioning.inputs.workbook import save_workbook
from dimensioning.report.excel import DAYS, FTE, NOK, SHARE, Col, _write_table
from dimensioning.workflows.years import COVERAGE_RATIO, FIXED_TOTAL, PLAN, YearsResult, plan_shortfall

STRATEGY_NB = {
    PLAN: "Plan (optimal over årene, med utbygging)",
    FIXED_TOTAL: "Fast total, beste fordeling hvert år",
    COVERAGE_RATIO: "Dekningsgrad (plasser per 1 000 innbyggere 80+ holdt fast)",
}


def plan_sentences(result: YearsResult, total_beds: int) -> list[str]:
    """Sentences a politician can repeat about the years ahead (computed, the real year)."""
    per_year = result.per_year.set_index(["strategy", "year"])
    years = sorted(result.per_year["year"].unique())
    first, last = years[0], years[-1]
    lines = []
    broken = {t: y for t, y in result.first_break.items() if y is not None}
    every_year = years == list(range(first, last + 1))
    if broken:
        year = min(broken.values())
        types = ", ".join(t for t, y in broken.items() if y == year)
        if year == first:
            lines.append(
                f"Med {number(total_beds)} plasser holder kravene ikke for {types} allerede i {first}, selv med den "
                "beste fordelingen."
            )
        elif every_year:
            lines.append(
                f"Med {number(total_beds)} plasser holder kravene til og med {year - 1}; fra {year} "
                f"holder de ikke lenger for {types}, selv med den beste fordelingen."
            )
        else:
            held = [y for y in years if y < year]
            since = f"holder kravene i {held[-1]}, men i {year}" if held else f"holder kravene ikke i {year}"
            lines.append(
                f"Med {number(total_beds)} plasser {since} holder de ikke lenger for {types}, selv med den "
                f"beste fordelingen (regnet for årene {', '.join(str(y) for y in years)})."
            )
    elif every_year:
        lines.append(f"Med {number(total_beds)} plasser holder kravene hvert år fram til {last}.")
    else:
        lines.append(
            f"Med {number(total_beds)} plasser holder kravene i alle årene som er regnet "
            f"({', '.join(str(y) for y in years)})."
        )
    fixed_first, fixed_last = per_year.loc[(FIXED_TOTAL, first)], per_year.loc[(FIXED_TOTAL, last)]
    if result.per_year["ukp_days_per_year"].max() <= 0:
        lines.append(
            f"Med {number(total_beds)} plasser får {number(fixed_last['turned_away_per_year'])} pasienter i året "
            f"ikke plass i {last}, mot {number(fixed_first['turned_away_per_year'])} i {first}."
        )
    else:
        lines.append(
            f"Med {number(total_beds)} plasser går utskrivningsklare pasienters venting på sykehuset fra "
            f"{number(fixed_first['ukp_days_per_year'])} UKP-døgn i {first} til "
            f"{number(fixed_last['ukp_days_per_year'])} i {last} "
            f"({number(fixed_last['ukp_cost_nok'] / 1e6, 1)} mill. kr i året), og "
            f"{number(fixed_last['turned_away_per_year'])} pasienter i året får ikke plass i {last}."
        )
    lines += [result.plan_note] if result.plan_note else _plan_lines(result, per_year, last)
    lines += shortfall_sentences(result)
    ratio_last = per_year.loc[(COVERAGE_RATIO, last)]
    lines.append(
        f"Dekningsgraden (dagens plasser per innbygger over 80 år holdt fast) gir {number(ratio_last['beds'])} "
        f"plasser i {last} med dagens fordeling mellom plasstypene"
        + (
            f", {number(ratio_last['beds'] - result.site_capacity)} flere enn lokalene har plass til."
            if ratio_last["beds"] > result.site_capacity
            else "."
        )
    )
    return lines


def shortfall_sentences(result: YearsResult) -> list[str]:
    """When no schedule of the options holds every target: when each target breaks, and what is missing."""
    broken = {t: y for t, y in result.plan_first_break.items() if y is not None}
    if not broken:
        return []
    by_year = sorted(broken.items(), key=lambda pair: (pair[1], list(broken).index(pair[0])))
    when = "; ".join(f"for {t} fra {y}" for t, y in by_year)
    last = int(result.per_year["year"].max())
    rows = result.per_type[
        (result.per_type["strategy"] == PLAN) & (result.per_type["year"] == last) & ~result.per_type["holds"]
    ]
    plan_last = result.per_year.set_index(["strategy", "year"]).loc[(PLAN, last)]
    lines = [
        "Ingen rekkefølge av utbyggingene i «Utbygging» holder alle kravene hvert år. Planen er den som bommer i "
        "færrest år, og blant dem den billigste, med pasientene uten plass og ventedøgnene priset inn; hver "
        f"plasstype får samme andel av sengene kravet trenger. Kravet holder ikke {when}."
    ]
    beds = result.per_year.pivot(index="year", columns="strategy", values="beds")
    fewer = beds[beds[PLAN] < beds[FIXED_TOTAL]] if PLAN in beds else beds.iloc[0:0]
    if len(fewer):
        listed = ", ".join(f"{number(int(b))} i {y}" for y, b in fewer[PLAN].items())
        lines.append(
            f"Årsverkene kommunen kan bemanne rekker ikke til {number(int(fewer[FIXED_TOTAL].iloc[0]))} plasser: "
            f"planen driver {listed}."
        )
    if len(rows):
        ukp = (
            f", og utskrivningsklare pasienter venter {number(plan_last['ukp_days_per_year'])} UKP-døgn i året på "
            f"sykehuset ({number(plan_last['ukp_cost_nok'] / 1e6, 1)} mill. kr)"
            if plan_last["ukp_days_per_year"] > 0
            else ""
        )
        lines.append(
            f"I {last} får {number(rows['turned_away_per_year'].sum())} pasienter i året ikke plass der kravet ikke "
            f"holder ({', '.join(rows['bed_type'])}){ukp}. Se arket «Mangler i planen»."
        )
    return lines


def _plan_lines(result: YearsResult, per_year: pd.DataFrame, last: int) -> list[str]:
    """How the plan was solved, and what it opens when (a plan was found)."""
    status = result.plan_status
    gap = f" (gap {number(100 * status.gap, 2)} %)" if status.gap > 1e-9 else ""
    lines = [f"Planen over alle årene er løst {status.label_nb} med {status.solver}{gap}."]
    if status.stop_note_nb:
        lines.append(status.stop_note_nb)
    if not result.openings:
        if any(y is not None for y in result.plan_first_break.values()):
            return [*lines, f"Planen bygger ikke ut fram til {last}."]
        return [*lines, f"Planen klarer seg uten utbygging fram til {last}."]
    opened = "; ".join(f"{option} i {year}" for option, year in sorted(result.openings.items(), key=lambda p: p[1]))
    plan_last = per_year.loc[(PLAN, last)]
    holds = "; alle kravene holder hvert år" if per_year.loc[PLAN, "meets_targets"].all() else ""
    lines.append(
        f"Planen åpner {opened}, og har {number(plan_last['beds'])} plasser i {last} "
        f"({number(plan_last['ukp_days_per_year'])} UKP-døgn i året{holds})."
    )
    return lines


def write_plan_excel(result: YearsResult, case: object, path: str | Path) -> Path:
    """Write ``Plan per år``, ``Plasstyper per år``, ``Fordeling per år``, ``Etterspørsel per år`` and the inputs."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Plan per år"
    per_year = result.per_year.assign(strategy=result.per_year["strategy"].map(STRATEGY_NB))
    _write_table(
        sheet,
        per_year,
        [
            Col("strategy", "Strategi"),
            Col("year", "År"),
            Col("beds", "Senger", "0"),
            Col("staff_fte", "Årsverk i pleien", FTE),
            Col("total_cost_nok", "Samlet kostnad (kr/år, beregnet)", NOK),
            Col("turned_away_per_year", "Ikke fått plass per år", FTE),
            Col("ukp_days_per_year", "UKP-døgn per år", DAYS),
            Col("ukp_cost_nok", "Kostnad UKP-døgn (kr/år)", NOK),
            Col("broken_rules", "Regelbrudd", "0"),
            Col("meets_targets", "Holder alle kravene"),
        ],
    )
    row = len(per_year) + 3
    if result.openings:
        openings = pd.DataFrame(
            [{"option": o, "year": y} for o, y in sorted(result.openings.items(), key=lambda p: p[1])]
        )
        _write_table(
            workbook.create_sheet("Utbygging i planen"),
            openings,
            [Col("option", "Utbygging"), Col("year", "I drift fra")],
        )
    notes = [
        *plan_sentences(result, int(case.settings.total_beds or result.per_year["beds"].iloc[0])),
        f"Dagens fordeling er «{result.today_name}». Dekningsgraden regnes mot aldersgruppen «{result.oldest_group}».",
        "Etterspørselen per år: ratene i «Rater» ganger befolkningen i «Befolkning», skalert slik at startåret "
        "gir innleggelsene per år i «Plasstyper». Alle tall er beregnet for det virkelige året (vintertopp og "
        "ferier), uten ledig-seng-prinsippet.",
    ]
    for offset, line in enumerate(notes):
        sheet.cell(row=row + offset, column=1, value=line)
    sheet.cell(row=row - 1, column=1, value="Hovedfunn").font = Font(bold=True)

    shortfall = plan_shortfall(result, case.ukp_types)
    if len(shortfall):
        _write_table(
            workbook.create_sheet("Mangler i planen"),
            shortfall,
            [
                Col("year", "År"),
                Col("bed_type", "Plasstype"),
                Col("beds", "Senger i planen", "0"),
                Col("max_blocking", "Krav: maks andel uten plass", SHARE),
                Col("blocking_year", "Andel uten plass i året", SHARE),
                Col("turned_away_per_year", "Pasienter uten plass per år", FTE),
                Col("ukp_days_per_year", "UKP-døgn per år", DAYS),
                Col("shortfall_cost_nok", "Kostnad av mangelen (kr/år)", NOK),
            ],
        )
    per_type = result.per_type.assign(strategy=result.per_type["strategy"].map(STRATEGY_NB))
    _write_table(
        workbook.create_sheet("Plasstyper per år"),
        per_type,
        [
            Col("strategy", "Strategi"),
            Col("year", "År"),
            Col("bed_type", "Plasstype"),
            Col("beds", "Senger", "0"),
            Col("max_blocking", "Krav: maks andel uten plass", SHARE),
            Col("blocking_year", "Andel uten plass i året", SHARE),
            Col("holds", "Holder kravet"),
            Col("turned_away_per_year", "Ikke fått plass per år", FTE),
            Col("waiting_days_per_year", "Ventedøgn per år", DAYS),
            Col("mean_wait_days", "Snitt ventetid, alle innlagte (døgn)", "0.00"),
            Col("unmet_booked_days_per_year", "Bookede døgn som ikke kan gis", DAYS),
        ],
    )
    allocations = result.allocations.assign(strategy=result.allocations["strategy"].map(STRATEGY_NB))
    _write_table(
        workbook.create_sheet("Fordeling per år"),
        allocations,
        [
            Col("strategy", "Strategi"),
            Col("year", "År"),
            Col("site", "Lokasjon"),
            Col("bed_type", "Plasstype"),
            Col("beds", "Senger", "0"),
        ],
    )
    _write_table(
        workbook.create_sheet("Etterspørsel per år"),
        result.demand,
        [
            Col("year", "År"),
            Col("bed_type", "Plasstype"),
            Col("arrivals_per_year", "Innleggelser per år", FTE),
            Col("los_days", "Liggetid (døgn)", "0.00"),
            Col("load_beds", "Belastning (senger)", "0.00"),
            Col("growth", "Vekst fra startåret", "0.000"),
        ],
    )
    population = result.population.reset_index().melt(id_vars="year", var_name="age_group", value_name="inhabitants")
    _write_table(
        workbook.create_sheet("Befolkning per år"),
        population.sort_values(["year", "age_group"], kind="stable"),
        [Col("year", "År"), Col("age_group", "Aldersgruppe"), Col("inhabitants", "Innbyggere (interpolert)", "#,##0")],
    )
    echo = [
        (
            "Befolkning (inndata)",
            case.population,
            [("year", "aar"), ("age_group", "aldersgruppe"), ("inhabitants", "innbyggere"), ("source", "kilde")],
        ),
        (
            "Rater (inndata)",
            case.rates,
            [
                ("bed_type", "plasstype"),
                ("age_group", "aldersgruppe"),
                ("admissions_per_1000", "innleggelser_per_1000"),
                ("los_change_per_year", "endring_liggetid_per_aar"),
                ("source", "kilde"),
            ],
        ),
    ]
    if not case.capacity_options.empty:
        echo.append(
            (
                "Utbygging (inndata)",
                case.capacity_options,
                [
                    ("option", "navn"),
                    ("site", "lokasjon"),
                    ("earliest_year", "tidligst_aar"),
                    ("beds", "plasser"),
                    ("investment", "investering"),
                    ("yearly_cost", "driftskostnad"),
                    ("source", "kilde"),
                ],
            )
        )
    for title, frame, columns in echo:
        _write_table(workbook.create_sheet(title), pd.DataFrame(frame), [Col(f, h) for f, h in columns])
    return save_workbook(workbook, path)


def write_plan_sweep_excel(table: pd.DataFrame, path: str | Path) -> Path:
    """Write ``Planscenarier``: one row per scenario of ``dimension plan --scenarier``."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Planscenarier"
    _write_table(
        sheet,
        table,
        [
            Col("scenario", "Scenario"),
            Col("changes", "Endringer"),
            Col("status", "Status"),
            Col("first_break_year", "Dagens total holder ikke fra", "0"),
            Col("first_break_types", "Plasstyper som bommer først"),
            Col("openings", "Planen åpner (år)"),
            Col("last_year", "Siste år", "0"),
            Col("plan_beds_last", "Plan: senger siste år", "0"),
            Col("plan_ukp_days_last", "Plan: UKP-døgn siste år", DAYS),
            Col("fixed_ukp_days_last", "Dagens total: UKP-døgn siste år", DAYS),
            Col("fixed_turned_away_last", "Dagens total: ikke fått plass siste år", FTE),
            Col("ratio_beds_last", "Dekningsgrad: senger siste år", "0"),
            Col("plan_cost_nok", "Plan: nåverdi av kostnadene (kr)", NOK),
            Col("plan_meets_targets", "Plan holder alle kravene"),
            Col("reason", "Årsak"),
        ],
    )
    return save_workbook(workbook, path)
