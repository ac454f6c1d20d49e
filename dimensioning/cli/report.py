"""``dimension report``: the PDF for hovedutvalget and its figures."""

from __future__ import annotations

from pathlib import Path

import click

from dimensioning.cli.shell import (
    default_output,
    dimensioning_option,
    guarded,
    handle_errors,
    load_input,
    main,
    out_option,
    progress_bar,
    seed_option,
    verify_option,
)
from dimensioning.cli.solve import solve_with_status
from dimensioning.cli.texts import option
from dimensioning.common.errors import (
    InfeasibleError,
)
from dimensioning.inputs.examples import drammen_path


@main.command("report", options_metavar="[VALG]")
@click.argument("input_path", metavar="[INNDATA]", required=False, type=click.Path(path_type=Path))
@option(
    "--scenarioresultat",
    "--sweep",
    "sweep_path",
    metavar="FIL.xlsx",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Resultatfil fra dimension sweep: gir et kapittel om følsomhet.",
)
@out_option("folder", "Mappe for PDF og figurer (standard: reports/<case>-rapport).")
@option(
    "--plan/--uten-plan",
    "with_plan",
    default=True,
    show_default=True,
    help="Ta med kapitlet «Behov fram mot …» når inndatafilen har arkene «Befolkning» og «Rater».",
)
@dimensioning_option
@verify_option
@seed_option
@handle_errors
def report_command(
    input_path: Path | None,
    sweep_path: Path | None,
    out_dir: Path | None,
    with_plan: bool,
    dimensjonering: str,
    verify: bool,
    seed: int,
) -> None:
    """Lag rapporten til hovedutvalget (PDF og PNG-figurer) fra INNDATA (standard: eksempelet Drammen)."""
    from dimensioning.report import write_pdf
    from dimensioning.report.sweep_report import read_sweep_table

    out_dir = out_dir or default_output(
        input_path or drammen_path(), "rapport", dimensjonering=dimensjonering, verify=verify
    )
    with guarded([input_path or drammen_path(), sweep_path], [out_dir / "rapport.pdf"]):
        case = load_input(input_path, dimensjonering)
        sweep_table = read_sweep_table(sweep_path) if sweep_path else None
        try:
            result = solve_with_status(case, verify, seed)
        except InfeasibleError as error:
            if getattr(error, "result", None) is not None:
                written = write_pdf(error.result, out_dir)
                error.args = (
                    f"{error}\nRapporten med sammenligningen av alternativene er likevel skrevet til "
                    f"{written['rapport']}.",
                )
            raise
        years = None
        if with_plan and not case.population.empty and not case.rates.empty and case.alternative_names:
            from dimensioning.workflows.years import plan_years, planning_years

            with progress_bar(len(planning_years(case)), "År i planen") as update:
                years = plan_years(case, progress=update)
        written = write_pdf(result, out_dir, sweep_table, years)
    click.echo(f"Rapport skrevet til {written['rapport']}")
    click.echo(f"{len(written) - 1} figurer (PNG) i {out_dir}")
