"""Calibration as a workbook and figures. Reads only a :class:`~dimensioning.workflows.calibrate.Calibration`.

Every table is per bed type, month or bed count: no patient-level row or id is ever written.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from dimensioning.common.labels import MONTHS  # noqa: E402
from dimensioning.inputs.workbook import save_workbook  # noqa: E402
from dimensioning.report.excel import DAYS, FTE, SHARE, Col, _write_table  # noqa: E402
from dimensioning.report.plots import nb_axis, save_figure  # noqa: E402
from dimensioning.workflows.calibrate import Calibration, whole_day_pmf  # noqa: E402

NOTES = (
    "Estimatene er beregnet fra oppholdene i perioden, per plasstype, med 95 % konfidensintervall og antall opphold.",
    "Innleggelser som etterspørsel: pasienter som ble avvist (eller ga opp å vente) finnes ikke i oppholdene. For "
    "plasstyper som avviser er etterspørselen funnet med tapsmodellen (Erlang B) ved sengene da, måned for måned "
    "med ferienedtrapping; for plasstyper der pasienten venter med en tålmodighet, med modellens ventekø for året.",
    "Liggetid: lognormal tilpasset hele døgn, med opphold som ikke var avsluttet ved periodens slutt som sensurerte "
    "(de teller som «minst så lenge»). Snittet av avsluttede opphold vises ved siden av: det er for lavt når lange "
    "opphold ennå ikke er avsluttet.",
    "Sesong: innleggelser (som etterspørsel) per dag i hver kalendermåned delt på årssnittet, glattet med vektene "
    "1/4, 1/2, 1/4 over nabomånedene og skalert til snitt 1.",
    "Trend: innleggelser i siste halvdel av perioden mot første, justert for sesong, per år.",
    "Ventetid: observert fra meldt utskrivningsklar til innskrevet, for dem som ble innlagt; modellens snitt "
    "gjelder alle som ble meldt, også dem som ga opp å vente, og er regnet med de beregnede verdiene.",
    "Tilpasning: fordelingen av belagte senger ved midnatt (etter en innsvingning på tre liggetider) mot modellens "
    "fordeling med de beregnede verdiene.",
)


def write_calibration_excel(calibration: Calibration, path: str | Path) -> Path:
    """Write the sheets Estimater, Sesong, Tilpasning, Belegg, Liggetid, Datakvalitet and Om beregningen."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Estimater"
    _write_table(sheet, estimates_frame(calibration), _ESTIMATE_COLUMNS)
    seasonal = calibration.seasonal.assign(month=lambda f: [MONTHS[m - 1] for m in f["month"]])
    _write_table(
        workbook.create_sheet("Sesong"),
        seasonal,
        [
            Col("bed_type", "Plasstype"),
            Col("month", "Måned"),
            Col("admissions", "Innleggelser", "0"),
            Col("exposure_days", "Dager i perioden", "0"),
            Col("raw_index", "Indeks (rå)", "0.00"),
            Col("index", "Indeks (glattet)", "0.00"),
            Col("index_low", "95 % KI fra", "0.00"),
            Col("index_high", "95 % KI til", "0.00"),
        ],
    )
    _write_table(
        workbook.create_sheet("Tilpasning"),
        calibration.fit,
        [
            Col("bed_type", "Plasstype"),
            Col("beds", "Senger da", "0"),
            Col("census_days", "Dager talt", "0"),
            Col("observed_mean_occupied", "Belagte senger, observert snitt", FTE),
            Col("model_mean_occupied", "Belagte senger, modell", FTE),
            Col("observed_share_full", "Andel dager fullt, observert", SHARE),
            Col("model_share_full", "Andel tid fullt, modell", SHARE),
        ],
    )
    _write_table(
        workbook.create_sheet("Belegg"),
        calibration.occupancy,
        [
            Col("bed_type", "Plasstype"),
            Col("beds_occupied", "Belagte senger", "0"),
            Col("observed_share", "Andel dager, observert", SHARE),
            Col("model_share", "Andel tid, modell", SHARE),
        ],
    )
    _write_table(
        workbook.create_sheet("Liggetid"),
        calibration.los_histogram,
        [Col("bed_type", "Plasstype"), Col("days", "Liggetid (døgn)", "0"), Col("stays", "Avsluttede opphold", "0")],
    )
    _write_table(
        workbook.create_sheet("Datakvalitet"),
        calibration.quality,
        [Col("item", "Kontroll"), Col("value", "Antall", "0"), Col("detail", "Merknad")],
    )
    about = workbook.create_sheet("Om beregningen")
    about.append(["Periode", calibration.period_nb])
    about.append(["Opphold", calibration.stays])
    for line in NOTES:
        about.append([line])
    about.column_dimensions["A"].width = 120
    return save_workbook(workbook, path)


_ESTIMATE_COLUMNS: list[Col] = [
    Col("bed_type", "Plasstype"),
    Col("stays", "Opphold", "0"),
    Col("open_stays", "Ikke avsluttet ved slutt", "0"),
    Col("beds_then", "Senger da (brukt i beregningen)", "0"),
    Col("beds_in_case", "Senger da etter caset", "0"),
    Col("carried_per_year", "Innlagt per år", FTE),
    Col("offered_per_year", "Etterspørsel per år (innleggelser_per_aar)", FTE),
    Col("offered_per_year_low", "95 % KI fra", FTE),
    Col("offered_per_year_high", "95 % KI til", FTE),
    Col("blocking_then", "Andel uten plass da (modell)", SHARE),
    Col("los_days", "Liggetid, døgn (liggetid_dager)", "0.00"),
    Col("los_days_low", "95 % KI fra", "0.00"),
    Col("los_days_high", "95 % KI til", "0.00"),
    Col("los_closed_mean_days", "Snitt av avsluttede opphold", "0.00"),
    Col("los_cv", "Variasjonskoeffisient (liggetid_cv)", "0.00"),
    Col("los_cv_low", "95 % KI fra", "0.00"),
    Col("los_cv_high", "95 % KI til", "0.00"),
    Col("trend_per_year", "Trend per år", SHARE),
    Col("trend_per_year_low", "95 % KI fra", SHARE),
    Col("trend_per_year_high", "95 % KI til", SHARE),
    Col("waits_observed", "Ventetider observert", "0"),
    Col("mean_wait_days", "Snitt ventetid (døgn)", DAYS),
    Col("mean_wait_days_low", "95 % KI fra", "0.00"),
    Col("mean_wait_days_high", "95 % KI til", "0.00"),
    Col("model_mean_wait_days", "Snitt ventetid, modell (døgn)", DAYS),
    Col("share_wait_over_1", "Andel venter > 1 døgn", SHARE),
    Col("share_wait_over_7", "Andel venter > 7 døgn", SHARE),
    Col("note", "Merknad"),
]


def _grid(count: int) -> tuple[plt.Figure, list[plt.Axes]]:
    """A figure with one small panel per bed type."""
    cols = min(3, max(count, 1))
    rows = math.ceil(max(count, 1) / cols)
    figure, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[count:]:
        ax.set_visible(False)
    return figure, flat[:count]


def _panels(types: list[str], draw: Callable[[plt.Axes, str], None], title: str) -> plt.Figure:
    """One panel per bed type drawn by ``draw(ax, type)``, the first panel's legend and a title."""
    figure, axes = _grid(len(types))
    for ax, t in zip(axes, types, strict=True):
        draw(ax, t)
        ax.set_title(t, fontsize=9)
    if axes:
        axes[0].legend(fontsize=7)
    figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    return figure


def calibration_figures(calibration: Calibration) -> dict[str, plt.Figure]:
    """``belegg`` (occupied beds, observed against the model), ``sesong`` and ``liggetid``."""
    fitted = estimates_frame(calibration).dropna(subset=["offered_per_year"])
    types = list(fitted["bed_type"])
    fits = fitted.set_index("bed_type")

    def occupancy(ax: plt.Axes, t: str) -> None:
        rows = calibration.occupancy[calibration.occupancy["bed_type"] == t]
        ax.bar(rows["beds_occupied"], rows["observed_share"], color="#9ecae1", label="Observert")
        ax.plot(rows["beds_occupied"], rows["model_share"], color="#08519c", marker=".", label="Modell")
        ax.set_xlabel("Belagte senger ved midnatt", fontsize=8)
        nb_axis(ax, "y", percent=True)

    def season(ax: plt.Axes, t: str) -> None:
        rows = calibration.seasonal[calibration.seasonal["bed_type"] == t]
        per_day = rows["admissions"] / rows["exposure_days"].where(rows["exposure_days"] > 0)
        mean = float(rows["admissions"].sum() / max(rows["exposure_days"].sum(), 1))
        ax.bar(rows["month"], per_day, color="#c7e9c0", label="Innlagt per dag")
        ax.plot(rows["month"], rows["index"] * mean, color="#006d2c", marker="o", label="Tilpasset indeks")
        ax.fill_between(rows["month"], rows["index_low"] * mean, rows["index_high"] * mean, color="#006d2c", alpha=0.15)
        ax.set_xticks(range(1, 13), [m[0].upper() for m in MONTHS], fontsize=7)
        nb_axis(ax, "y", decimals=1)

    def stay(ax: plt.Axes, t: str) -> None:
        rows = calibration.los_histogram[calibration.los_histogram["bed_type"] == t]
        e = fits.loc[t]
        total = rows["stays"].sum()
        top = int(max(rows["days"].max() if total else 1, 3 * e["los_days"]))
        days = np.arange(0, top + 1, dtype=float)
        ax.bar(rows["days"], rows["stays"] / max(total, 1), color="#fdd0a2", label="Avsluttede opphold")
        ax.plot(days, whole_day_pmf(days, e["los_mu"], e["los_sigma"]), color="#a63603", label="Tilpasset lognormal")
        ax.set_xlim(-0.5, top + 0.5)
        ax.set_xlabel("Liggetid (døgn)", fontsize=8)
        nb_axis(ax, "y", percent=True)

    return {
        "kalibrering-belegg": _panels(types, occupancy, "Belagte senger: observert mot modellen"),
        "kalibrering-sesong": _panels(types, season, "Innleggelser per måned og tilpasset sesongindeks"),
        "kalibrering-liggetid": _panels(
            types, stay, "Liggetid: avsluttede opphold og tilpasset fordeling (med åpne opphold)"
        ),
    }


def write_calibration_figures(calibration: Calibration, folder: str | Path, stem: str) -> dict[str, Path]:
    """Save the calibration figures as ``<stem>-<name>.png`` in ``folder``."""
    folder = Path(folder)
    written = {}
    for name, figure in calibration_figures(calibration).items():
        written[name] = save_figure(figure, folder / f"{stem}-{name.removeprefix('kalibrering-')}.png")
        plt.close(figure)
    return written


def estimates_frame(calibration: Calibration) -> pd.DataFrame:
    """The estimates with every column of the workbook (missing ones as NaN), for the terminal."""
    frame = calibration.estimates.copy()
    for column in _ESTIMATE_COLUMNS:
        if column.field not in frame:
            frame[column.field] = np.nan
    return frame
