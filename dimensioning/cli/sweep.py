"""``dimension sweep``: every scenario of a scenario workbook, solved."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dimensioning.cli.shell import (
    DEFAULT_REPORT_DIR,
    guarded,
    handle_errors,
    jobs_option,
    main,
    out_option,
    progress_bar,
    read_base_tables,
)
from dimensioning.cli.texts import option
from dimensioning.common.errors import (
    count_words,
    safe_stem,
)
from dimensioning.inputs.examples import drammen_path
from dimensioning.inputs.scenarios import read_scenarios
from dimensioning.inputs.workbook import check_output_path


@main.command("sweep", options_metavar="[VALG]")
@click.argument("scenarios_path", metavar="SCENARIOFIL", type=click.Path(path_type=Path, dir_okay=False))
@option(
    "--grunnlag",
    "--base",
    "base_path",
    metavar="INNDATA",
    type=click.Path(path_type=Path),
    help="Inndatafilen scenariene endrer (standard: eksempelet Drammen).",
)
@out_option("file", "Resultatfil (standard: reports/<scenariofil>-resultat.xlsx). Figurene legges ved siden av.")
@jobs_option
@option(
    "--klynge",
    "--scheduler",
    "scheduler",
    metavar="ADRESSE",
    help="Adressen til en Dask-planlegger: kjør scenariene på en klynge i stedet for på denne maskinen.",
)
@handle_errors
def sweep_command(
    scenarios_path: Path,
    base_path: Path | None,
    out_path: Path | None,
    jobs: int | None,
    scheduler: str | None,
) -> None:
    """Løs hvert scenario i SCENARIOFIL (arkene Scenarier og Rutenett) og skriv én rad per scenario."""
    # imported here: matplotlib and the process pool are not needed by `dimension solve`
    from dimensioning.report.sweep_report import write_sweep_excel, write_sweep_figures
    from dimensioning.workflows.sweep import sweep

    out_path = out_path or DEFAULT_REPORT_DIR / f"{safe_stem(scenarios_path)}-resultat.xlsx"
    journal = out_path.with_name(out_path.name + ".delvis.jsonl")
    with guarded([scenarios_path, base_path or drammen_path()], [out_path], ".xlsx"):
        check_output_path(journal)
        base = read_base_tables(base_path)
        scenarios = read_scenarios(scenarios_path, base)
        with progress_bar(len(scenarios)) as update:
            try:
                run = sweep(base, scenarios, jobs=jobs, journal=journal, scheduler=scheduler, progress=update)
            except KeyboardInterrupt:
                message = f"Avbrutt. Ferdige scenarier er lagret i {journal}; kjør samme kommando for å fortsette."
                click.echo(message, err=True)
                sys.exit(130)
        write_sweep_excel(run.table, scenarios, out_path)
        figures = write_sweep_figures(run.table, scenarios, out_path.parent, out_path.stem)
    journal.unlink(missing_ok=True)
    if run.unreadable_journal_lines:
        lines = count_words(run.unreadable_journal_lines, "linje", "linjer")
        message = f"{lines} i journalen fra et avbrutt kjør kunne ikke leses; de scenariene ble løst på nytt."
        click.echo(message, err=True)
    failed = run.table[run.table["status"] != "optimal"]
    click.echo(
        f"{len(scenarios)} scenarier ({run.resumed} hentet fra et avbrutt kjør, {run.solved} løst nå), "
        f"{len(failed)} uten løsning."
    )
    for row in failed.head(20).itertuples():
        click.echo(f"  - {row.scenario}: {row.status}. {str(row.konflikt)[:300]}")
    click.echo(f"Resultater skrevet til {out_path}")
    for figure in figures:
        click.echo(f"Figur: {figure}")
