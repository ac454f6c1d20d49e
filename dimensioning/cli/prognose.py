"""``dimension prognose``: the next weeks from the patients in the beds and in the queue on a given day."""

from __future__ import annotations

import datetime
from pathlib import Path

import click
import pandas as pd

from dimensioning.cli.shell import (
    DEFAULT_REPORT_DIR,
    case_option,
    guarded,
    handle_errors,
    main,
    out_option,
    progress_bar,
    seed_option,
    stays_argument,
    use_synthetic_stays,
)
from dimensioning.cli.texts import option
from dimensioning.common.errors import DimensioningError, safe_stem
from dimensioning.inputs.examples import drammen_path
from dimensioning.inputs.workbook import check_output_path


@main.command("prognose", options_metavar="[VALG]")
@stays_argument
@case_option(
    "Inndatafilen: etterspørsel, sesong, ferier, delingsregler (standard: eksempelet Drammen).",
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
@option(
    "--tilbakeblikk/--uten-tilbakeblikk",
    "look_back",
    default=False,
    help="Sammenlign prognosen fra en dag i oppholdsfilen med det filen viser skjedde ukene etter.",
)
@option(
    "--ekstra/--uten-ekstra",
    "extra",
    default=False,
    help="Si hvor mange midlertidige plasser av hver type som trengs hvilke uker for å holde kravene.",
)
@seed_option
@out_option("file", "Resultatfil (standard: reports/<opphold>-prognose.xlsx); figuren legges ved som PNG.")
@handle_errors
def forecast_command(
    stays_path: Path | None,
    case_path: Path | None,
    start: str | None,
    weeks: int,
    alternative: str | None,
    replications: int,
    look_back: bool,
    extra: bool,
    seed: int,
    out_path: Path | None,
) -> None:
    """Prognose for de neste ukene fra pasientene som ligger inne og venter på en gitt dag (OPPHOLD.xlsx/.csv).

    Uten OPPHOLD, men med arket «Belegg i dag» i inndatafilen, brukes antallene der (standard --fra: i
    dag). Ellers hentes tilstanden fra oppholdsfilen: hvert opphold som er åpent ved dagens begynnelse, med tiden
    pasienten alt har ligget, og pasientene som er meldt utskrivningsklare, men ikke innlagt. Resten av
    hvert opphold trekkes gitt tiden som har gått. Uten OPPHOLD brukes det SYNTETISKE eksempelet for
    Drammen (simulert, ingen ekte pasienter).
    """
    from dimensioning.inputs.case import load_case
    from dimensioning.inputs.stays import parse_date, read_stays
    from dimensioning.report.forecast_report import (
        extra_sentences,
        fan_chart,
        forecast_sentences,
        hindsight_sentence,
        write_forecast_excel,
    )
    from dimensioning.report.plots import save_figure
    from dimensioning.simulation.forecast import (
        census_by_day,
        extra_beds,
        forecast,
        hindsight,
        state_from_counts,
        state_from_stays,
    )

    case = load_case(case_path or drammen_path())
    counts_only = stays_path is None and not case.census_today.empty
    if stays_path is None and not counts_only:
        stays_path = use_synthetic_stays(case)
    stem = safe_stem(stays_path) if stays_path else safe_stem(case_path or drammen_path())
    out_path = out_path or DEFAULT_REPORT_DIR / f"{stem}-prognose.xlsx"
    day = None
    if start:
        parsed, problem = parse_date(start)
        if problem or parsed is None:
            raise DimensioningError(f"--fra: {problem or 'mangler dato'}")
        day = pd.Timestamp(parsed)
    figure = out_path.with_suffix(".png")
    with guarded([stays_path, case_path or drammen_path()], [out_path], ".xlsx"):
        check_output_path(figure, ".png")
        if counts_only:  # the sheet «Belegg i dag»: today's counts, the times spent unknown
            day = day or pd.Timestamp(datetime.date.today())
            counts = case.census_today.groupby("bed_type", sort=False)[["occupied", "waiting"]].sum().reset_index()
            state = state_from_counts(case, counts)
            click.echo(
                "Bruker arket «Belegg i dag» (bare antall: tiden pasientene alt har ligget er ukjent).", err=True
            )
        else:
            stays = read_stays(stays_path, case.bed_type_names, case.site_names)
            first, last = stays.first_day, stays.last_day
            day = day or last + pd.Timedelta(days=1)
            if not first < day <= last + pd.Timedelta(days=1):
                raise DimensioningError(
                    f"--fra {day:%d.%m.%Y} ligger utenfor oppholdsfilen, som går fra {first:%d.%m.%Y} til "
                    f"{last:%d.%m.%Y}: velg en dag etter første innleggelse og senest dagen etter siste dato."
                )
            state = state_from_stays(case, stays.frame, day.date())
            if look_back and day + pd.Timedelta(days=7 * weeks - 1) > last:
                raise DimensioningError(
                    f"--tilbakeblikk trenger {weeks} uker etter {day:%d.%m.%Y} i oppholdsfilen, men den slutter "
                    f"{last:%d.%m.%Y}: velg en tidligere --fra eller færre --uker."
                )
        names = case.alternative_names
        if not names:
            raise DimensioningError("Inndatafilen har ingen fordeling i «Alternativer» å lage prognosen for.")
        chosen = alternative or names[0]
        if chosen not in names:
            raise DimensioningError(f"«{chosen}» finnes ikke i «Alternativer» (der finnes: {', '.join(names)}).")
        rows = case.alternatives[case.alternatives["alternative"] == chosen][["site", "bed_type", "beds"]]
        _refuse_census_above_beds(state, rows, day)
        if look_back and counts_only:
            raise DimensioningError("--tilbakeblikk trenger en oppholdsfil å sammenligne med.")
        with progress_bar(replications, "Simuleringer") as progress:
            result = forecast(case, rows, state, day.date(), weeks, replications, seed, progress)
        actual = census_by_day(case, stays.frame, day.date(), 7 * weeks) if look_back else None
        looked = hindsight(result, actual) if actual is not None else None
        added = extra_beds(case, rows, state, day.date(), weeks, min(replications, 100), seed) if extra else None
        write_forecast_excel(result, chosen, out_path, looked, added)
        save_figure(fan_chart(result, actual), figure)
    for line in forecast_sentences(result, chosen):
        click.echo(line)
    if looked is not None:
        click.echo(hindsight_sentence(looked[1], result.start))
    for line in extra_sentences(added) if added is not None else []:
        click.echo(line)
    click.echo(f"Prognose skrevet til {out_path}; figur: {figure}")


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
