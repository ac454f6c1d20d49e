"""``dimension simulate``: one plan simulated with the case's own rules."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import numpy as np
from rich.console import Console

from dimensioning.api import solve
from dimensioning.cli.shell import (
    default_output,
    dimensioning_option,
    guarded,
    handle_errors,
    load_input,
    main,
    out_option,
    rich_table,
    simulation_options,
)
from dimensioning.cli.texts import option
from dimensioning.common.errors import (
    DimensioningError,
)
from dimensioning.common.labels import (
    number,
    percent,
)
from dimensioning.inputs.case import Case
from dimensioning.inputs.examples import drammen_path

alternative_option = option(
    "--alternativ",
    "alternative",
    metavar="NAVN",
    help="Alternativ fra arket Alternativer (standard: optimal fordeling).",
)


def with_simulation_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Shared options of the simulation commands, defined once."""
    for decorator in reversed(simulation_options):
        command = decorator(command)
    return command


def _allocation_for(case: Case, name: str | None) -> tuple[str, Any]:
    """The allocation to simulate: a named alternative, or the optimum."""
    if name:
        rows = case.alternatives[case.alternatives["alternative"] == name]
        if rows.empty:
            known = ", ".join(case.alternative_names)
            msg = f"Fant ikke alternativet «{name}» (kjente: {known})."
            raise DimensioningError(msg)
        return name, rows[["site", "bed_type", "beds"]]
    result = solve(case)
    return result.optimum_name, result.allocation


def simulation_setup(
    input_path: Path | None, alternative: str | None, dimensjonering: str, **simulation: Any
) -> tuple[Case, str, Any, Any]:
    """Case, allocation (named alternative or optimum) and options shared by simulate and check."""
    from dimensioning.simulation.simulate import SimulationOptions

    case = load_input(input_path, dimensjonering)
    name, allocation = _allocation_for(case, alternative)
    return case, name, allocation, SimulationOptions(**simulation)


@main.command("simulate", options_metavar="[VALG]")
@click.argument("input_path", metavar="[INNDATA]", required=False, type=click.Path(path_type=Path))
@alternative_option
@option(
    "--ledig-seng",
    "lift",
    metavar="PLASSTYPE",
    multiple=True,
    help="Plasstype som sammenlignes med ledig seng-prinsippet (standard: alle reserverte).",
)
@out_option("folder", "Mappe for Excel og figurer (standard: reports/<case>-simulering).")
@with_simulation_options
@dimensioning_option
@handle_errors
def simulate_command(
    input_path: Path | None,
    alternative: str | None,
    lift: tuple[str, ...],
    out_dir: Path | None,
    years: float,
    replications: int,
    seed: int,
    jobs: int | None,
    dimensjonering: str,
) -> None:
    """Simuler en fordeling med sesong, ferier og ledig seng-prinsippet (95 % konfidensintervall)."""
    out_dir = out_dir or default_output(input_path or drammen_path(), "simulering", dimensjonering=dimensjonering)
    with guarded([input_path or drammen_path()], [out_dir / "simulering.xlsx"]):
        _simulate(input_path, alternative, lift, out_dir, dimensjonering, years, replications, seed, jobs)


def _simulate(
    input_path: Path | None,
    alternative: str | None,
    lift: tuple[str, ...],
    out_dir: Path,
    dimensjonering: str,
    years: float,
    replications: int,
    seed: int,
    jobs: int | None,
) -> None:
    """The work of ``dimension simulate`` (inside the overwrite guard)."""
    from dimensioning.report.simulation_report import monthly_figure, write_simulation_excel, write_simulation_figures
    from dimensioning.simulation.simulate import compare_reservation, simulate

    case, name, allocation, options = simulation_setup(
        input_path, alternative, dimensjonering, years=years, replications=replications, seed=seed, jobs=jobs
    )
    reserved = [t for t in case.bed_type_names if case.bed_types.at[t, "reserved"]]
    lift_types = list(lift) or reserved
    unknown = [t for t in lift_types if t not in case.bed_type_names]
    if unknown:
        msg = f"Ukjent plasstype i --ledig-seng: {', '.join(unknown)}."
        raise DimensioningError(msg)
    started = time.perf_counter()
    result = simulate(case, allocation, options)
    comparison = compare_reservation(case, allocation, lift_types, options) if lift_types else None
    elapsed = time.perf_counter() - started
    sheets = {"Per plasstype": result.per_type, "Per måned": result.per_month, "Per lokasjon": result.per_site}
    if comparison is not None:
        sheets["Reservert mot ledig seng"] = comparison
    path = write_simulation_excel(sheets, out_dir / "simulering.xlsx")
    figures = write_simulation_figures(
        {"simulert-avvisning-per-maaned": monthly_figure(result.per_month, case.bed_type_names)}, out_dir
    )
    table = rich_table(
        f"Simulering av «{name}»: {number(years, 0)} år × {replications} gjentak",
        ("Plasstype", "Andel avvist", "I annen seng", "Belegg"),
    )
    for row in result.per_type.itertuples():
        table.add_row(
            row.bed_type,
            f"{percent(row.blocking)} ± {percent(row.blocking_ci)}",
            percent(row.overflow_share),
            "-" if np.isnan(row.occupancy) else percent(row.occupancy),
        )
    Console(width=120).print(table)
    queues = result.per_type[result.per_type["mean_wait_days"].notna()]
    if len(queues):
        waits = rich_table(
            "Ventende pasienter (simulert)",
            ("Plasstype", "Ventedøgn per år", "Snitt ventetid", "90-persentil", "Venter > 7 døgn", "Gir opp"),
        )
        for row in queues.itertuples():
            waits.add_row(
                row.bed_type,
                f"{number(row.waiting_days_per_year)} ± {number(row.waiting_days_per_year_ci)}",
                f"{number(row.mean_wait_days, 2)} ± {number(row.mean_wait_days_ci, 2)} døgn",
                f"{number(row.wait_p90_days, 1)} døgn",
                percent(row.share_wait_over_7),
                f"{percent(row.blocking)} ± {percent(row.blocking_ci)}",
            )
        Console(width=120).print(waits)
    click.echo(f"{number(result.events)} hendelser på {number(elapsed, 1)} s. Resultater: {path}; figur: {figures[0]}")
