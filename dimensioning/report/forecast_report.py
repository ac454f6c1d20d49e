"""The weeks ahead as a workbook and in sentences a ward manager acts on (reads a ForecastResult only)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.dates import DateFormatter
from openpyxl import Workbook
from openpyxl.styles import Font

from dimensioning.common.labels import number, percent
from dimensioning.inputs.workbook import save_workbook
from dimensioning.report.excel import DAYS, FTE, SHARE, Col, _write_table
from dimensioning.report.plots import PALETTE, nb_axis
from dimensioning.simulation.forecast import FROM_RECORD, ForecastResult, weekly

#: The columns of the sheet «Prognose», exactly (issue 23): one row per day and bed type.
FORECAST_COLUMNS = (
    "dato",
    "plasstype",
    "belegg_snitt",
    "belegg_p05",
    "belegg_p95",
    "sannsynlighet_fullt",
    "ventende_snitt",
    "ukp_dogn_snitt",
)

#: A week whose chance of full beds is at least this is named in the sentences.
FULL_WARNING = 0.5


def forecast_sentences(result: ForecastResult, alternative: str) -> list[str]:
    """What the weeks ahead hold, for a ward manager: the weeks and types that run full, and the UKP days."""
    weeks = weekly(result)
    source = (
        "tiden de inneliggende alt har ligget er hentet fra oppholdsfilen, og resten av oppholdet trukket gitt den"
        if result.source == FROM_RECORD
        else "bare antallene er kjent, så tiden de har ligget er trukket som for en tilfeldig inneliggende pasient"
    )
    lines = [
        f"Prognose fra {result.start:%d.%m.%Y} for {number(len(result.daily['date'].unique()) / 7)} uker med "
        f"fordelingen «{alternative}», "
        f"{number(result.replications)} simuleringer: {source}."
    ]
    flagged = weeks[weeks["p_full_max"] >= FULL_WARNING]
    for r in flagged.itertuples():
        ukp = f"; forventet {number(r.ukp_days)} UKP-døgn" if r.ukp_days >= 0.5 else ""
        lines.append(f"Uke {r.week}: {percent(r.p_full_max, 0)} sjanse for at {r.bed_type}-plassene er fulle{ukp}.")
    if flagged.empty:
        lines.append(f"Ingen plasstype har over {percent(FULL_WARNING, 0)} sjanse for å være full noen dag i perioden.")
    total = weeks["ukp_days"].sum()
    if total >= 0.5:
        lines.append(f"Utskrivningsklare pasienter venter til sammen {number(total)} UKP-døgn i perioden (forventet).")
    return lines


def extra_sentences(extra: pd.DataFrame) -> list[str]:
    """Per type: the temporary beds that keep its target, and in which weeks (from :func:`~.forecast.extra_beds`)."""
    lines = []
    for t, rows in extra.groupby("bed_type", sort=False):
        needed = rows[rows["extra_beds"].fillna(np.inf) > 0]
        if rows["extra_beds"].isna().all() or needed.empty:
            continue
        known = needed["extra_beds"].dropna()
        most = "over 15" if needed["extra_beds"].isna().any() else number(known.max())
        weeks = ", ".join(str(int(w)) for w in needed["week"])
        lines.append(
            f"{t}: {number(known.min()) if len(known) else most}–{most} ekstra plasser i uke {weeks} holder kravet "
            f"(høyst {percent(float(rows['target'].iloc[0]), 0)} sjanse for at plassene er fulle)."
        )
    return lines or ["Ingen plasstype trenger ekstra plasser for å holde kravet i disse ukene."]


def hindsight_sentence(summary: pd.DataFrame, start: object) -> str:
    """How the forecast from a past day compares with what the record shows happened."""
    overall = summary.set_index("bed_type").loc["Alle"]
    return (
        f"Tilbakeblikk fra {start:%d.%m.%Y}: det faktiske belegget lå innenfor 90 %-båndet på "
        f"{percent(overall['inside_share'], 0)} av dagene (alle plasstyper), og prognosen bommet i snitt med "
        f"{number(overall['mean_error'], 1)} senger per plasstype og dag (prognose minus faktisk)."
    )


def fan_chart(result: ForecastResult, actual: pd.DataFrame | None = None) -> plt.Figure:
    """Per bed type: the census with its 50 % and 90 % bands, the beds open each day, closures shaded.

    With ``actual`` (``date, bed_type, actual``: :func:`~.forecast.census_by_day`), what happened, as dots.
    """
    daily = result.daily
    has_beds = daily.groupby("bed_type", sort=False)["open_beds"].max() > 0
    types = [t for t in dict.fromkeys(daily["bed_type"]) if has_beds[t]]  # a type without beds has no fan
    columns = 2
    rows = int(np.ceil(len(types) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(7.0, 1.9 * rows + 0.6), layout="constrained", squeeze=False)
    for ax, t in zip(axes.ravel(), types, strict=False):
        mine = daily[daily["bed_type"] == t]
        x = pd.to_datetime(mine["date"])
        ax.fill_between(x, mine["occupancy_p05"], mine["occupancy_p95"], color=PALETTE[0], alpha=0.18, lw=0)
        ax.fill_between(x, mine["occupancy_p25"], mine["occupancy_p75"], color=PALETTE[0], alpha=0.35, lw=0)
        ax.plot(x, mine["occupancy_mean"], color=PALETTE[0], lw=1.2)
        ax.step(x, mine["open_beds"], where="post", color="black", lw=0.9)
        fewer = mine["open_beds"] < mine["open_beds"].max()
        for day in x[fewer.to_numpy()]:
            ax.axvspan(day, day + pd.Timedelta(days=1), color="#f0c36d", alpha=0.35, lw=0)
        if actual is not None:
            seen = actual[actual["bed_type"] == t]
            ax.plot(pd.to_datetime(seen["date"]), seen["actual"], ".", color="#b03a2e", markersize=2.5)
        ax.set_title(t, fontsize=8)
        ax.tick_params(labelsize=6)
        nb_axis(ax, "y")
        ax.xaxis.set_major_formatter(DateFormatter("%d.%m"))
        ax.set_ylim(bottom=0)
    for ax in axes.ravel()[len(types) :]:
        ax.set_visible(False)
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=PALETTE[0], alpha=0.35),
        plt.Rectangle((0, 0), 1, 1, color=PALETTE[0], alpha=0.18),
        plt.Line2D([], [], color="black", lw=0.9),
        plt.Rectangle((0, 0), 1, 1, color="#f0c36d", alpha=0.35),
    ]
    labels = ["50 % av simuleringene", "90 % av simuleringene", "Åpne senger", "Ferie: færre senger"]
    if actual is not None:
        handles.append(plt.Line2D([], [], marker=".", color="#b03a2e", lw=0))
        labels.append("Faktisk (oppholdsfilen)")
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=7, frameon=False)
    return fig


def write_forecast_excel(
    result: ForecastResult,
    alternative: str,
    path: str | Path,
    hindsight: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    extra: pd.DataFrame | None = None,
) -> Path:
    """Write ``Prognose`` (per day and type: :data:`FORECAST_COLUMNS`), ``Per uke`` and ``Om prognosen``."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Prognose"
    daily = result.daily
    frame = pd.DataFrame(
        {
            "dato": daily["date"],
            "plasstype": daily["bed_type"],
            "belegg_snitt": daily["occupancy_mean"],
            "belegg_p05": daily["occupancy_p05"],
            "belegg_p95": daily["occupancy_p95"],
            "sannsynlighet_fullt": daily["p_full"],
            "ventende_snitt": daily["waiting_mean"],
            "ukp_dogn_snitt": daily["ukp_days_mean"],
        }
    )
    formats = {"sannsynlighet_fullt": SHARE, "dato": "dd.mm.yyyy"}
    _write_table(sheet, frame, [Col(c, c, formats.get(c, FTE if c != "plasstype" else None)) for c in FORECAST_COLUMNS])
    _write_table(
        workbook.create_sheet("Per uke"),
        weekly(result),
        [
            Col("week", "Uke"),
            Col("from_date", "Fra", "dd.mm.yyyy"),
            Col("bed_type", "Plasstype"),
            Col("open_beds", "Åpne senger (færrest)", "0"),
            Col("occupancy_mean", "Belegg, snitt", FTE),
            Col("occupancy_p95", "Belegg, 95-persentil (høyeste dag)", FTE),
            Col("p_full_max", "Størst sjanse for fullt en dag", SHARE),
            Col("ukp_days", "UKP-døgn i uken (forventet)", DAYS),
        ],
    )
    lines = forecast_sentences(result, alternative)
    if hindsight is not None:
        daily, summary = hindsight
        _write_table(
            workbook.create_sheet("Tilbakeblikk"),
            daily,
            [
                Col("date", "Dato", "dd.mm.yyyy"),
                Col("bed_type", "Plasstype"),
                Col("actual", "Faktisk belegg", "0"),
                Col("occupancy_mean", "Prognose, snitt", FTE),
                Col("occupancy_p05", "Prognose, 5 %", FTE),
                Col("occupancy_p95", "Prognose, 95 %", FTE),
                Col("inside", "Innenfor 90 %-båndet"),
            ],
        )
        _write_table(
            workbook.create_sheet("Tilbakeblikk per type"),
            summary,
            [
                Col("bed_type", "Plasstype"),
                Col("days", "Dager", "0"),
                Col("inside_share", "Andel dager innenfor 90 %-båndet", SHARE),
                Col("mean_error", "Snittfeil (prognose minus faktisk, senger)", "0.00"),
            ],
        )
        lines.append(hindsight_sentence(summary, result.start))
    if extra is not None:
        _write_table(
            workbook.create_sheet("Ekstra plasser"),
            extra,
            [
                Col("week", "Uke"),
                Col("from_date", "Fra", "dd.mm.yyyy"),
                Col("bed_type", "Plasstype"),
                Col("extra_beds", "Ekstra plasser som holder kravet", "0"),
                Col("target", "Krav: høyst sjanse for fullt", SHARE),
            ],
        )
        lines += extra_sentences(extra)
    about = workbook.create_sheet("Om prognosen")
    about.cell(row=1, column=1, value="Hovedfunn").font = Font(bold=True)
    for offset, line in enumerate(lines, start=2):
        about.cell(row=offset, column=1, value=line)
    about.column_dimensions["A"].width = 120
    return save_workbook(workbook, path)
