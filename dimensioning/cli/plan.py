"""``dimension plan``: the years ahead, and ``--scenarier`` for several futures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console

from dimensioning.cli.shell import (
    DEFAULT_REPORT_DIR,
    default_output,
    dimensioning_option,
    guarded,
    handle_errors,
    jobs_option,
    load_input,
    main,
    out_option,
    progress_bar,
    read_base_tables,
    rich_table,
)
from dimensioning.cli.texts import option
from dimensioning.common.errors import (
    DimensioningError,
    safe_stem,
)
from dimensioning.common.labels import (
    number,
)
from dimensioning.inputs.case import Case
from dimensioning.inputs.examples import drammen_path
from dimensioning.inputs.scenarios import read_scenarios


@main.command("plan", options_metavar="[VALG]")
@click.argument("input_path", metavar="[INNDATA]", required=False, type=click.Path(path_type=Path))
@option("--fra", "first_year", type=click.IntRange(1900, 2200), metavar="ÅR", help="Første år (standard: startaar).")
@option("--til", "last_year", type=click.IntRange(1900, 2200), metavar="ÅR", help="Siste år (standard: sluttaar).")
@option(
    "--aar",
    "--år",
    "chosen_years",
    metavar="ÅR,ÅR,...",
    help="Bare disse årene, f.eks. 2025,2030,2035,2040 (hvert års fordeling gjelder til neste år i lista).",
)
@option(
    "--scenarier",
    "scenarios_path",
    metavar="FIL.xlsx",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Scenariofil (som for dimension sweep): planen for hvert scenario, f.eks. befolkningsvekst "
    "(vekstfaktor), diskonteringsrente eller Utbygging:navn:tidligst_aar.",
)
@out_option("file", "Excel-filen som skrives (standard: reports/<case>-plan.xlsx).")
@jobs_option
@dimensioning_option
@handle_errors
def plan_command(
    input_path: Path | None,
    first_year: int | None,
    last_year: int | None,
    chosen_years: str | None,
    scenarios_path: Path | None,
    out_path: Path | None,
    jobs: int | None,
    dimensjonering: str,
) -> None:
    """Behov fram mot 2040: fordeling, avvisning, UKP-døgn, årsverk og kostnad per år.

    Krever arkene «Befolkning» og «Rater» (og en fordeling i «Alternativer» som regnes som dagens).
    Sammenligner tre strategier per år: planen (optimal over alle årene, med utbyggingene i
    «Utbygging», som ikke kan angres), dagens total med den beste fordelingen hvert år, og
    dekningsgrad (dagens plasser per 1 000 innbyggere over 80 år holdt fast, dagens fordeling).
    """
    from dimensioning.report.plan_report import plan_sentences, write_plan_excel
    from dimensioning.workflows.years import FIXED_TOTAL, PLAN, plan_years, planning_years

    if scenarios_path is not None:

        def prepare(case: Case) -> tuple[Case, list[int]]:
            # the command's years and dimensioning hold for every scenario, each on its own years
            case = case.replace(peak_dimensioning=dimensjonering == "topp")
            return case, _plan_years_asked(case, planning_years(case), first_year, last_year, chosen_years)

        _plan_scenarios(input_path, scenarios_path, out_path, jobs, prepare)
        return
    out_path = out_path or default_output(input_path or drammen_path(), "plan", ".xlsx", dimensjonering=dimensjonering)
    with guarded([input_path or drammen_path()], [out_path], ".xlsx"):
        case = load_input(input_path, dimensjonering)
        if case.population.empty or case.rates.empty:
            raise DimensioningError(
                "Inndatafilen har ikke arkene «Befolkning» og «Rater», som planen for årene framover trenger. "
                "«dimension template --eksempel drammen drammen.xlsx» viser hvordan de fylles ut."
            )
        if not case.alternative_names:
            raise DimensioningError(
                "Planen trenger dagens fordeling: legg den inn som første fordeling i «Alternativer»."
            )
        chosen = _plan_years_asked(case, planning_years(case), first_year, last_year, chosen_years)
        with progress_bar(len(chosen), "År") as update:
            result = plan_years(case, chosen, jobs=jobs, progress=update)
        write_plan_excel(result, case, out_path)
    titles = {
        PLAN: "Plan: senger per plasstype og år (optimal over årene, med utbygging)",
        FIXED_TOTAL: f"Fast total ({number(case.settings.total_beds or 0)} plasser), beste fordeling hvert år",
    }
    for strategy, title in titles.items():
        if not (result.per_year["strategy"] == strategy).any():
            continue
        table = rich_table(title, ("År", *case.bed_type_names, "Senger", "UKP-døgn", "Kostnad (mill. kr)", "Holder"))
        per_type = result.per_type[result.per_type["strategy"] == strategy].set_index(["year", "bed_type"])
        for row in result.per_year[result.per_year["strategy"] == strategy].itertuples():
            cells = [
                f"{int(per_type.at[(row.year, t), 'beds'])}{'' if per_type.at[(row.year, t), 'holds'] else ' *'}"
                for t in case.bed_type_names
            ]
            table.add_row(
                str(row.year),
                *cells,
                str(row.beds),
                number(row.ukp_days_per_year),
                number(row.total_cost_nok / 1e6, 1),
                "ja" if row.meets_targets else "nei",
            )
        Console(width=150).print(table)
    click.echo("* = plasstypen bommer på kravet det året (beregnet med vintertopp og ferier).")
    for sentence in plan_sentences(result, int(case.settings.total_beds or 0)):
        click.echo(sentence)
    click.echo(f"Plan skrevet til {out_path}")


def _plan_scenarios(
    input_path: Path | None,
    scenarios_path: Path,
    out_path: Path | None,
    jobs: int | None,
    prepare: Callable[[Case], tuple[Case, list[int]]],
) -> None:
    """``dimension plan --scenarier``: the plan for every scenario, one row each, on the years asked."""
    from dimensioning.report.plan_report import write_plan_sweep_excel
    from dimensioning.workflows.years import plan_sweep

    out_path = out_path or DEFAULT_REPORT_DIR / f"{safe_stem(scenarios_path)}-planscenarier.xlsx"
    with guarded([scenarios_path, input_path or drammen_path()], [out_path], ".xlsx"):
        base = read_base_tables(input_path)
        scenarios = read_scenarios(scenarios_path, base, years=True)
        with progress_bar(len(scenarios)) as update:
            table = plan_sweep(base, scenarios, jobs=jobs, progress=update, prepare=prepare)
        write_plan_sweep_excel(table, out_path)
    summary = rich_table(
        "Planen per scenario",
        ("Scenario", "Dagens total holder ikke fra", "Planen åpner", "Senger siste år", "UKP-døgn siste år", "Status"),
    )
    for row in table.itertuples():
        ok = row.status == "ok"
        summary.add_row(
            row.scenario,
            str(int(row.first_break_year))
            if ok and row.first_break_year == row.first_break_year and row.first_break_year is not None
            else "–",
            (row.openings or "ingen") if ok else "–",
            number(row.plan_beds_last) if ok else "–",
            number(row.plan_ukp_days_last) if ok else "–",
            row.status,
        )
    Console(width=150).print(summary)
    for row in table[table["status"] != "ok"].itertuples():
        click.echo(f"{row.scenario}: {row.reason}")
    click.echo(f"Planscenarier skrevet til {out_path}")


def _plan_years_asked(
    case: Case, default: list[int], first_year: int | None, last_year: int | None, chosen: str | None
) -> list[int]:
    """The years ``dimension plan`` computes: ``--aar``, or ``--fra``..``--til`` (every year), or the defaults."""
    known = sorted(int(y) for y in case.population["year"].unique())
    if chosen:
        try:
            years = sorted({int(part) for part in chosen.replace(";", ",").split(",") if part.strip()})
        except ValueError:
            message = f"--aar må være årstall skilt med komma, f.eks. 2025,2030,2040 (fikk «{chosen}»)."
            raise DimensioningError(message) from None
        if not years:
            raise DimensioningError("--aar må ha minst ett årstall.")
    elif first_year or last_year:
        first, last = first_year or default[0], last_year or default[-1]
        if first > last:
            raise DimensioningError(f"--fra {first} er etter --til {last}.")
        years = list(range(first, last + 1))
    else:
        years = default
    if years[0] < known[0] or years[-1] > known[-1]:
        raise DimensioningError(
            f"Befolkningen er gitt for {known[0]}-{known[-1]}; velg år innenfor det (fikk {years[0]}-{years[-1]})."
        )
    return years
