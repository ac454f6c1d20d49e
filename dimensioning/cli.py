"""Command line: a thin bokmål shell over the library API."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from .api import solve
from .case import load_case
from .errors import DimensioningError
from .examples import drammen
from .io_template import write_template
from .labels import number, percent
from .report import write_excel
from .results import Result

DEFAULT_REPORT_DIR = Path("reports")


def _handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """One place for errors: a bokmål message and a non-zero exit; a traceback only with --debug."""

    @functools.wraps(command)
    def wrapper(*args: Any, debug: bool = False, **kwargs: Any) -> Any:
        logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING)
        try:
            return command(*args, **kwargs)
        except DimensioningError as error:
            if debug:
                raise
            click.echo(str(error), err=True)
            sys.exit(2)
        except (OSError, ValueError) as error:
            if debug:
                raise
            click.echo(f"Feil: {error}", err=True)
            sys.exit(1)

    return click.option("--debug", is_flag=True, help="Vis full feilsporing.")(wrapper)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Dimensjonering av korttidsplasser: køteori og optimering (MIP med HiGHS)."""


@main.command("solve")
@click.argument("input_path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Excel-rapporten som skrives (standard: reports/<case>-resultat.xlsx).",
)
@_handle_errors
def solve_command(input_path: Path | None, out_path: Path | None) -> None:
    """Finn optimal fordeling og sammenlign med alternativene i INPUT (standard: Drammen)."""
    case = load_case(input_path) if input_path else drammen()
    result = solve(case)
    out_path = out_path or DEFAULT_REPORT_DIR / f"{case.name}-resultat.xlsx"
    if input_path is not None and out_path.resolve() == input_path.resolve():
        msg = "Rapporten kan ikke skrives over inndatafilen. Velg en annen --out."
        raise ValueError(msg)
    write_excel(result, out_path)
    _print_summary(result)
    click.echo(f"Rapport skrevet til {out_path}")


@main.command("template")
@click.argument("out_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--overskriv", is_flag=True, help="Overskriv filen hvis den finnes.")
@_handle_errors
def template_command(out_path: Path, overskriv: bool) -> None:
    """Skriv en inndatamal (kopi av Drammen-caset) til OUT_PATH for utfylling."""
    if out_path.exists() and not overskriv:
        msg = f"{out_path} finnes allerede. Bruk --overskriv eller et annet filnavn."
        raise ValueError(msg)
    write_template(drammen(), out_path)
    click.echo(f"Inndatamal skrevet til {out_path}")


def _print_summary(result: Result) -> None:
    """A short table in the terminal: beds per type for every alternative, then cost lines."""
    console = Console(width=140)
    names = result.alternatives
    table = Table(title=f"Korttidsplasser – {result.case.name} ({result.status.label_nb})")
    table.add_column("Plasstype")
    for name in names:
        table.add_column(name, justify="right")
    beds = result.comparison.pivot_table(
        index="bed_type", columns="alternative", values="beds", aggfunc="sum", sort=False
    )
    blocking = result.queueing.set_index(["alternative", "bed_type"])["blocking_prob"]
    for bed_type in result.case.bed_type_names:
        cells = [f"{int(beds.at[bed_type, n])} ({percent(blocking[n, bed_type], 0)})" for n in names]
        table.add_row(bed_type, *cells)
    costs = result.costs.set_index("alternative")
    table.add_section()
    table.add_row("Kostnad (mill. kr/år)", *[number(costs.at[n, "total_cost_nok"] / 1e6, 1) for n in names])
    table.add_row("Avviste per år", *[number(costs.at[n, "turned_away_per_year"]) for n in names])
    table.add_row("Regelbrudd", *[str(int(costs.at[n, "broken_rules"])) for n in names])
    console.print(table)
    console.print("Senger per plasstype (andel avviste i parentes).")
    console.print(f"Løst på {number(result.status.runtime_s, 2)} s med {result.status.solver}.")


if __name__ == "__main__":
    main()
