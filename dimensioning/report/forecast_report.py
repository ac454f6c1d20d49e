"""The weeks ahead as a workbook and in sentences a ward manager acts on (reads a ForecastResult only)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from dimensioning.common.labels import number, percent
from dimensioning.inputs.workbook import save_workbook
from dimensioning.report.excel import DAYS, FTE, SHARE, Col, _write_table
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


def write_forecast_excel(result: ForecastResult, alternative: str, path: str | Path) -> Path:
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
    about = workbook.create_sheet("Om prognosen")
    about.cell(row=1, column=1, value="Hovedfunn").font = Font(bold=True)
    for offset, line in enumerate(forecast_sentences(result, alternative), start=2):
        about.cell(row=offset, column=1, value=line)
    about.column_dimensions["A"].width = 120
    return save_workbook(workbook, path)
