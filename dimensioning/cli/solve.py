"""``dimension solve``: the recommendation and the comparison with the case's alternatives."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from dimensioning.api import solve
from dimensioning.cli.shell import (
    default_output,
    dimensioning_option,
    guarded,
    handle_errors,
    load_input,
    main,
    out_option,
    seed_option,
    verify_option,
)
from dimensioning.cli.texts import option
from dimensioning.common.errors import (
    DimensioningError,
    InfeasibleError,
)
from dimensioning.common.labels import (
    holds_sentence,
    larger_plan_sentence,
    number,
    sharing_sentences,
    staff_use_sentence,
    ukp_figures,
    ukp_sentence,
)
from dimensioning.inputs.case import Case
from dimensioning.inputs.examples import drammen_path
from dimensioning.report import write_excel
from dimensioning.report.summary import comparison_rows
from dimensioning.results import Result


def solve_with_status(case: Case, verify: bool = False, seed: int = 2024) -> Result:
    """Solve with a status line on the terminal (large cases take a while; nothing shown when piped)."""
    from dimensioning.workflows.verify import VerifyOptions

    sites, types = len(case.site_names), len(case.bed_type_names)
    text = f"Bygger og løser modellen ({sites} lokasjoner × {types} plasstyper)"
    if verify:
        text += " og kontrollerer med simulering"
    with Console(stderr=True).status(f"{text} …"):
        # the simulation is the evaluation of record either way; --ikke-verifiser only skips the search
        return solve(case, verify=VerifyOptions(seed=seed, improve=verify))


@main.command("solve", options_metavar="[VALG]")
@click.argument("input_path", metavar="[INNDATA]", required=False, type=click.Path(path_type=Path))
@out_option("file", "Excel-rapporten som skrives (standard: reports/<case>-resultat.xlsx).")
@dimensioning_option
@verify_option
@seed_option
@option(
    "--aar",
    "year",
    type=click.IntRange(1900, 2200),
    metavar="ÅR",
    help="Løs et framtidig år: etterspørselen det året etter «Befolkning» og «Rater»; lokalene, totalen "
    "og alt annet som i INNDATA.",
)
@handle_errors
def solve_command(
    input_path: Path | None, out_path: Path | None, dimensjonering: str, verify: bool, seed: int, year: int | None
) -> None:
    """Finn optimal fordeling og sammenlign med alternativene i INNDATA (standard: eksempelet Drammen)."""
    suffix = f"-{year}.xlsx" if year else ".xlsx"
    out_path = out_path or default_output(
        input_path or drammen_path(), "resultat", suffix, dimensjonering=dimensjonering, verify=verify
    )
    with guarded([input_path or drammen_path()], [out_path], ".xlsx"):
        case = load_input(input_path, dimensjonering)
        if year is not None:
            case = _case_in(case, year)
        try:
            result = solve_with_status(case, verify, seed)
        except InfeasibleError as error:
            if getattr(error, "result", None) is not None:
                write_excel(error.result, out_path)
                _print_summary(error.result)
                error.args = (f"{error}\nSammenligningen av alternativene er likevel skrevet til {out_path}.",)
            raise
        write_excel(result, out_path)
    _print_summary(result)
    click.echo(f"Rapport skrevet til {out_path}")


def _case_in(case: Case, year: int) -> Case:
    """The case with the demand of ``year`` from «Befolkning» and «Rater» (``--aar``), said aloud."""
    from dimensioning.workflows.years import case_for_year, demand_by_year

    if case.population.empty or case.rates.empty:
        raise DimensioningError(
            "--aar trenger arkene «Befolkning» og «Rater» i inndatafilen (etterspørselen i et framtidig år regnes "
            "fra dem); «dimension template --eksempel drammen drammen.xlsx» viser hvordan de fylles ut."
        )
    known = sorted(int(y) for y in case.population["year"].unique())
    if not known[0] <= year <= known[-1]:
        raise DimensioningError(
            f"--aar {year}: «Befolkning» har tall for {known[0]}-{known[-1]}; velg et år i den perioden."
        )
    demand = demand_by_year(case, [year])
    click.echo(
        f"Etterspørselen i {year} etter «Befolkning» og «Rater» (lokalene, totalen og alt annet som i inndatafilen): "
        + ", ".join(f"{r.bed_type} {number(r.arrivals_per_year)} innleggelser" for r in demand.itertuples())
        + "."
    )
    return case_for_year(case, year, demand).replace(municipality=f"{case.display_name}, {year}")


def _print_summary(result: Result) -> None:
    """A short table in the terminal: beds per type for every alternative, then cost lines."""
    console = Console(width=140)
    headers, rows, legend, type_rows = comparison_rows(result)
    table = Table(title=f"Korttidsplasser – {result.case.display_name} ({result.status.label_nb})")
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i == 0 else "right")
    for i, row in enumerate(rows):
        if i == type_rows:
            table.add_section()
        table.add_row(*row)
    console.print(table)
    console.print(legend)
    names = result.alternatives
    ukp = {n: ukp_figures(result, n) for n in names}
    if all(ukp.values()):
        decision = result.case.reference_name
        shown_names = [n for n in (result.optimum_name if result.has_optimum else None, decision) if n]
        console.print(ukp_sentence(result, shown_names or names[:1]))
    if not result.has_optimum:
        return
    console.print(holds_sentence(result))
    for sentence in sharing_sentences(result):
        console.print(sentence)
    for extra in (staff_use_sentence(result), larger_plan_sentence(result)):
        if extra:
            console.print(extra)
    if result.smallest_total_beds is not None and result.verification is None:
        console.print(
            f"Minste antall plasser som oppfyller alle kravene (beregnet, ikke kontrollert med simulering): "
            f"{result.smallest_total_beds} (optimum: {result.optimum_total_beds})."
        )
    console.print(f"Løst på {number(result.status.runtime_s, 2)} s med {result.status.solver}.")
    if result.status.stop_note_nb:
        console.print(result.status.stop_note_nb)
