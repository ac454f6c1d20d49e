"""``dimension check``: the blocking formulas against the simulation, per type."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from dimensioning.cli.shell import (
    default_output,
    dimensioning_option,
    guarded,
    handle_errors,
    main,
    out_option,
    rich_table,
)
from dimensioning.cli.simulate import alternative_option, simulation_setup, with_simulation_options
from dimensioning.common.labels import (
    number,
    percent,
)
from dimensioning.inputs.examples import drammen_path


@main.command("check", options_metavar="[VALG]")
@click.argument("input_path", metavar="[INNDATA]", required=False, type=click.Path(path_type=Path))
@alternative_option
@out_option("folder", "Mappe for Excel og figur (standard: reports/<case>-sjekk).")
@with_simulation_options
@dimensioning_option
@handle_errors
def check_command(
    input_path: Path | None,
    alternative: str | None,
    out_dir: Path | None,
    years: float,
    replications: int,
    seed: int,
    jobs: int | None,
    dimensjonering: str,
) -> None:
    """Sammenlign formlene for avvisning med simulering, for hver plasstype.

    Erlang B: andelen som avvises når etterspørselen er jevn over året. SIPP ("stationary
    independent period by period"): Erlang B regnet måned for måned med månedens etterspørsel og
    åpne senger. MOL ("modified offered load"): som SIPP, men med hvor mange senger som faktisk er
    opptatt hver dag når pasienter blir liggende inn i neste periode. Simulert: en hendelsesstyrt
    simulering av hver pasient, med 95 % konfidensintervall.
    """
    from dimensioning.report.simulation_report import check_figure, write_simulation_excel, write_simulation_figures
    from dimensioning.simulation.simulate import analytic_check

    out_dir = out_dir or default_output(input_path or drammen_path(), "sjekk", dimensjonering=dimensjonering)
    with guarded([input_path or drammen_path()], [out_dir / "sjekk.xlsx"]):
        case, name, allocation, options = simulation_setup(
            input_path, alternative, dimensjonering, years=years, replications=replications, seed=seed, jobs=jobs
        )
        check = analytic_check(case, allocation, options)
        path = write_simulation_excel({"Analytisk mot simulert": check}, out_dir / "sjekk.xlsx")
        figures = write_simulation_figures({"analytisk-mot-simulert": check_figure(check)}, out_dir)
    table = rich_table(
        f"Avvisning for «{name}»: analytisk mot simulert (uten overløp)",
        ("Plasstype", "Senger", "Erlang B", "SIPP", "MOL", "Simulert", "Simulert − MOL"),
    )
    for row in check.itertuples():
        table.add_row(
            row.bed_type,
            str(row.beds),
            _percent_or_dash(row.erlang_b),
            _percent_or_dash(row.sipp),
            percent(row.mol),
            f"{percent(row.simulated)} ± {percent(row.simulated_ci)}",
            percent(row.difference_mol),
        )
    Console(width=120).print(table)
    queues = check[check["wait_simulated"].notna()]
    if len(queues):
        waits = rich_table(
            "Ventetid (snitt over alle innlagte): Erlang A mot simulert kø (uten overløp)",
            ("Plasstype", "Senger", "Erlang A", "Modellen (sesong, ferier)", "Simulert"),
        )
        for row in queues.itertuples():
            waits.add_row(
                row.bed_type,
                str(row.beds),
                f"{number(row.wait_erlang_a, 2)} døgn",
                f"{number(row.wait_model, 2)} døgn",
                f"{number(row.wait_simulated, 2)} ± {number(row.wait_simulated_ci, 2)} døgn",
            )
        Console(width=120).print(waits)
        click.echo(
            "For plasstyper som venter viser kolonnene Erlang B, MOL og Simulert andelen som gir opp å vente "
            "(Erlang A). Erlang A forutsetter eksponentiell liggetid; med lognormal liggetid vises avviket som det er."
        )
    click.echo(f"Resultater: {path}; figur: {figures[0]}")


def _percent_or_dash(share: float) -> str:
    """A share, or a dash where the formula does not apply (NaN)."""
    return "–" if share != share else percent(share)
