"""``dimension kalibrer``: demand, stay and season from the kommune's own stay records."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd
from rich.console import Console

from dimensioning.cli.shell import (
    DEFAULT_REPORT_DIR,
    case_option,
    guarded,
    handle_errors,
    main,
    out_option,
    rich_table,
    stays_argument,
    use_synthetic_stays,
)
from dimensioning.cli.texts import option
from dimensioning.common.errors import (
    DimensioningError,
    InputError,
    redact_ids,
    safe_stem,
)
from dimensioning.common.labels import (
    number,
    percent,
)
from dimensioning.inputs.case import load_case
from dimensioning.inputs.examples import drammen, drammen_path
from dimensioning.inputs.template import read_back, write_template


@main.command("kalibrer", options_metavar="[VALG]")
@stays_argument
@case_option(
    "Inndatafilen oppholdene hører til; den nye inndatafilen er en kopi med de beregnede verdiene "
    "(standard: eksempelet Drammen).",
)
@option(
    "--til-og-med",
    "until",
    metavar="DATO",
    help="Siste dag som regnes med (dd.mm.åååå; standard: siste dato i filen). Senere opphold tas ikke med.",
)
@out_option("file", "Ny inndatafil (standard: reports/<opphold>-kalibrert.xlsx); beregningen og figurene legges ved.")
@handle_errors
def calibrate_command(
    stays_path: Path | None, case_path: Path | None, until: str | None, out_path: Path | None
) -> None:
    """Beregn etterspørsel, liggetid og sesong fra kommunens egne opphold (OPPHOLD.xlsx eller .csv).

    Én rad per opphold: pasient (pseudonymt løpenummer, aldri fødselsnummer), plasstype, lokasjon,
    innskrevet, utskrevet (tom: fortsatt innlagt) og eventuelt meldt_utskrivningsklar. Skriver en ny
    inndatafil med verdiene i «Plasstyper» og «Sesong», en beregningsfil med alle estimater og
    konfidensintervaller, og figurer som sammenligner det observerte med modellen. Uten OPPHOLD brukes
    et SYNTETISK eksempel for Drammen (simulert, ingen ekte pasienter).
    """
    from dimensioning.inputs.data import synthetic_stays_path
    from dimensioning.inputs.stays import parse_date, read_stays
    from dimensioning.report.calibration_report import (
        estimates_frame,
        write_calibration_excel,
        write_calibration_figures,
    )
    from dimensioning.workflows.calibrate import calibrate, calibrated_case

    synthetic = stays_path is None
    stays_path = stays_path or synthetic_stays_path()
    out_path = out_path or DEFAULT_REPORT_DIR / f"{safe_stem(stays_path)}-kalibrert.xlsx"
    details = out_path.with_name(f"{out_path.stem}-beregning.xlsx")
    cutoff = None
    if until:
        day, problem = parse_date(until)
        if problem or day is None:
            raise DimensioningError(f"--til-og-med: {problem or 'mangler dato'}")
        cutoff = day
    with guarded([stays_path, case_path or drammen_path()], [out_path, details], ".xlsx"):
        case = load_case(case_path) if case_path else drammen()
        if synthetic:
            use_synthetic_stays(case)
        stays = read_stays(stays_path, case.bed_type_names, case.site_names)
        calibration = calibrate(stays, case, None if cutoff is None else pd.Timestamp(cutoff))
        _print_data_quality(calibration.quality, stays_path)
        new_case = calibrated_case(case, calibration)
        try:  # never write an input file that the tool's own validation refuses
            read_back(new_case)
        except InputError as refused:
            problems = "\n".join(f"  - {issue}" for issue in refused.issues)
            raise DimensioningError(
                "Kalibreringen ga tall som verktøyet selv ikke godtar som inndata, så ingen fil er skrevet:\n"
                f"{problems}\nSjekk oppholdsfilen og at caset har de sengene og stengingene som gjaldt i perioden."
            ) from refused
        write_template(new_case, out_path)
        write_calibration_excel(calibration, details)
        figures = write_calibration_figures(calibration, out_path.parent, out_path.stem)
    table = rich_table(
        f"Beregnet fra {number(calibration.stays)} opphold {calibration.period_nb}",
        (
            "Plasstype",
            "Opphold",
            "Etterspørsel per år (95 % KI)",
            "Uten plass da",
            "Liggetid (95 % KI)",
            "CV",
            "Belagt: observert / modell",
        ),
    )
    fit = calibration.fit.set_index("bed_type") if not calibration.fit.empty else None
    for row in estimates_frame(calibration).itertuples():
        if row.offered_per_year != row.offered_per_year:
            table.add_row(row.bed_type, number(row.stays), "–", "–", "–", "–", row.note or "")
            continue
        occupied = (
            f"{number(fit.at[row.bed_type, 'observed_mean_occupied'], 1)} / "
            f"{number(fit.at[row.bed_type, 'model_mean_occupied'], 1)}"
        )
        table.add_row(
            row.bed_type,
            number(row.stays),
            f"{number(row.offered_per_year)} ({number(row.offered_per_year_low)}-{number(row.offered_per_year_high)})",
            percent(row.blocking_then),
            f"{number(row.los_days, 1)} ({number(row.los_days_low, 1)}-{number(row.los_days_high, 1)}) døgn",
            number(row.los_cv, 2),
            occupied,
        )
    Console(width=150).print(table)
    for row in estimates_frame(calibration).itertuples():
        if row.note and row.offered_per_year == row.offered_per_year:
            click.echo(f"Merk, {row.bed_type}: {row.note}.")
    for row in estimates_frame(calibration).itertuples():
        if row.model_mean_wait_days == row.model_mean_wait_days and row.waits_observed:
            click.echo(
                f"Ventetid {row.bed_type}: observert {number(row.mean_wait_days, 1)} døgn "
                f"({number(row.mean_wait_days_low, 1)}-{number(row.mean_wait_days_high, 1)}) for de innlagte, "
                f"{percent(row.share_wait_over_7)} over 7 døgn; modellen {number(row.model_mean_wait_days, 1)} døgn."
            )
    click.echo(f"Ny inndatafil skrevet til {out_path} (oppholdsfilen og {case_path or 'eksempelet'} er ikke endret).")
    click.echo(
        f"Estimater, intervaller og tilpasning: {details}; figurer: {', '.join(p.name for p in figures.values())}"
    )


def _print_data_quality(quality: pd.DataFrame, path: Path) -> None:
    """The stay file's data-quality summary (aggregates only), before the estimates."""
    table = rich_table(f"Datakvalitet i {redact_ids(path.name)}", ("Kontroll", "Antall", "Merknad"))
    for row in quality.itertuples():
        table.add_row(row.item, number(row.value), row.detail)
    Console(width=150).print(table)
