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
@option(
    "--opphold",
    "stays_path",
    metavar="OPPHOLD",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Oppholdsfil: gir siden «De neste ukene», en prognose fra dagen etter siste dato i filen med "
    "dagens fordeling.",
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
    stays_path: Path | None,
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
    with guarded([input_path or drammen_path(), sweep_path, stays_path], [out_dir / "rapport.pdf"]):
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
        ahead = _weeks_ahead(case, stays_path, seed) if stays_path else None
        written = write_pdf(result, out_dir, sweep_table, years, ahead)
    click.echo(f"Rapport skrevet til {written['rapport']}")
    click.echo(f"{len(written) - 1} figurer (PNG) i {out_dir}")


def _weeks_ahead(case: object, stays_path: Path, seed: int) -> tuple[object, str] | None:
    """The forecast for «De neste ukene»: 12 weeks from the day after the record, today's split (first alternative)."""
    import pandas as pd

    from dimensioning.common.errors import DimensioningError
    from dimensioning.inputs.stays import read_stays
    from dimensioning.simulation.forecast import forecast, state_from_stays

    if not case.alternative_names:
        raise DimensioningError("--opphold trenger dagens fordeling som første fordeling i «Alternativer».")
    stays = read_stays(stays_path, case.bed_type_names, case.site_names)
    day = (stays.last_day + pd.Timedelta(days=1)).date()
    name = case.alternative_names[0]
    rows = case.alternatives[case.alternatives["alternative"] == name][["site", "bed_type", "beds"]]
    with progress_bar(200, "Prognose") as progress:
        result = forecast(case, rows, state_from_stays(case, stays.frame, day), day, 12, 200, seed, progress)
    return result, name
