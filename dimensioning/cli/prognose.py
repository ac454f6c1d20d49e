"""``dimension prognose``: the next weeks from the patients in the beds and in the queue on a given day."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from dimensioning.cli.shell import (
    DEFAULT_REPORT_DIR,
    guarded,
    handle_errors,
    main,
    out_option,
    progress_bar,
    seed_option,
)
from dimensioning.cli.texts import option
from dimensioning.common.errors import DimensioningError, safe_stem
from dimensioning.inputs.examples import drammen_path


@main.command("prognose", options_metavar="[VALG]")
@click.argument("stays_path", metavar="[OPPHOLD]", required=False, type=click.Path(path_type=Path, dir_okay=False))
@option(
    "--case",
    "--inndata",
    "case_path",
    metavar="INNDATA",
    type=click.Path(path_type=Path),
    help="Inndatafilen: etterspørsel, sesong, ferier, delingsregler (standard: eksempelet Drammen).",
)
@option("--fra", "start", metavar="DATO", help="Første dag (dd.mm.åååå; standard: dagen etter siste dato i filen).")
@option("--uker", "weeks", type=click.IntRange(1, 52), default=12, show_default=True, help="Uker framover.")
@option(
    "--alternativ",
    "alternative",
    metavar="NAVN",
    help="Fordelingen av senger fra «Alternativer» (standard: den første, dagens).",
)
@option(
    "--simuleringer",
    "replications",
    type=click.IntRange(10, 10_000),
    default=200,
    show_default=True,
    help="Antall simuleringer bak hvert tall.",
)
@seed_option
@out_option("file", "Resultatfil (standard: reports/<opphold>-prognose.xlsx).")
@handle_errors
def forecast_command(
    stays_path: Path | None,
    case_path: Path | None,
    start: str | None,
    weeks: int,
    alternative: str | None,
    replications: int,
    seed: int,
    out_path: Path | None,
) -> None:
    """Prognose for de neste ukene fra pasientene som ligger inne og venter på en gitt dag (OPPHOLD.xlsx/.csv).

    Tilstanden hentes fra oppholdsfilen: hvert opphold som er åpent ved dagens begynnelse, med tiden
    pasienten alt har ligget, og pasientene som er meldt utskrivningsklare, men ikke innlagt. Resten av
    hvert opphold trekkes gitt tiden som har gått. Uten OPPHOLD brukes det SYNTETISKE eksempelet for
    Drammen (simulert, ingen ekte pasienter).
    """
    from dimensioning.inputs.case import load_case
    from dimensioning.inputs.data import synthetic_stays_path
    from dimensioning.inputs.stays import parse_date, read_stays
    from dimensioning.report.forecast_report import forecast_sentences, write_forecast_excel
    from dimensioning.simulation.forecast import forecast, state_from_stays

    if stays_path is None:
        stays_path = synthetic_stays_path()
        click.echo(f"Ingen oppholdsfil oppgitt: bruker det syntetiske eksempelet ({stays_path.name}).", err=True)
    out_path = out_path or DEFAULT_REPORT_DIR / f"{safe_stem(stays_path)}-prognose.xlsx"
    with guarded([stays_path, case_path or drammen_path()], [out_path], ".xlsx"):
        case = load_case(case_path or drammen_path())
        stays = read_stays(stays_path, case.bed_type_names, case.site_names)
        first, last = stays.first_day, stays.last_day
        if start:
            day, problem = parse_date(start)
            if problem or day is None:
                raise DimensioningError(f"--fra: {problem or 'mangler dato'}")
            day = pd.Timestamp(day)
        else:
            day = last + pd.Timedelta(days=1)
        if not first < day <= last + pd.Timedelta(days=1):
            raise DimensioningError(
                f"--fra {day:%d.%m.%Y} ligger utenfor oppholdsfilen, som går fra {first:%d.%m.%Y} til "
                f"{last:%d.%m.%Y}: velg en dag etter første innleggelse og senest dagen etter siste dato."
            )
        names = case.alternative_names
        if not names:
            raise DimensioningError("Inndatafilen har ingen fordeling i «Alternativer» å lage prognosen for.")
        chosen = alternative or names[0]
        if chosen not in names:
            raise DimensioningError(f"«{chosen}» finnes ikke i «Alternativer» (der finnes: {', '.join(names)}).")
        rows = case.alternatives[case.alternatives["alternative"] == chosen][["site", "bed_type", "beds"]]
        state = state_from_stays(case, stays.frame, day.date())
        _refuse_census_above_beds(state, rows, day)
        with progress_bar(replications, "Simuleringer") as progress:
            result = forecast(case, rows, state, day.date(), weeks, replications, seed, progress)
        write_forecast_excel(result, chosen, out_path)
    for line in forecast_sentences(result, chosen):
        click.echo(line)
    click.echo(f"Prognose skrevet til {out_path}")


def _refuse_census_above_beds(state: object, allocation: pd.DataFrame, day: pd.Timestamp) -> None:
    """More patients in a type's beds than the alternative has is a mismatch, not a forecast."""
    census = state.in_bed.groupby("bed_type").size()
    beds = allocation.groupby("bed_type")["beds"].sum()
    over = [(t, int(n), int(beds.get(t, 0))) for t, n in census.items() if n > beds.get(t, 0)]
    if over:
        said = "; ".join(f"{t}: {n} pasienter, {b} senger" for t, n, b in over)
        raise DimensioningError(
            f"Ved begynnelsen av {day:%d.%m.%Y} ligger flere pasienter inne enn fordelingen har senger ({said}). "
            "Velg fordelingen som gjaldt den dagen med --alternativ, eller rett oppholdsfilen."
        )
