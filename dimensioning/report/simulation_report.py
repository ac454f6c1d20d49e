"""Simulation output: workbook and PNG figures, from simulation results only."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from dimensioning.common.labels import MONTHS  # noqa: E402
from dimensioning.inputs.workbook import save_workbook, style_table  # noqa: E402
from dimensioning.report.plots import PALETTE, nb_axis, save_figure  # noqa: E402

HEADERS = {
    "variant": ("Variant", None),
    "bed_type": ("Plasstype", None),
    "site": ("Lokasjon", None),
    "month": ("Måned", None),
    "beds": ("Senger", "0"),
    "arrivals_per_year": ("Innleggelser per år", "0.0"),
    "blocking": ("Andel avvist (simulert)", "0.0%"),
    "blocking_ci": ("± 95 % KI", "0.0%"),
    "overflow_share": ("Andel i annen type seng", "0.0%"),
    "overflow_ci": ("± 95 % KI (overløp)", "0.0%"),
    "occupancy": ("Belegg", "0.0%"),
    "occupancy_ci": ("± 95 % KI (belegg)", "0.0%"),
    "beds_lent_per_year": ("Egne senger lånt ut per år", "0.0"),
    "erlang_b": ("Erlang B (uten sesong)", "0.0%"),
    "sipp": ("SIPP (måned for måned)", "0.0%"),
    "mol": ("MOL (sesong og ferier)", "0.0%"),
    "simulated": ("Simulert", "0.0%"),
    "simulated_ci": ("± 95 % KI", "0.0%"),
    "difference_mol": ("Simulert − MOL", "0.0%"),
    "when_full": ("Ved fullt", None),
    "waiting_days_per_year": ("Ventedøgn per år", "#,##0"),
    "waiting_days_per_year_ci": ("± 95 % KI (ventedøgn)", "#,##0"),
    "mean_wait_days": ("Snitt ventetid over alle innlagte (døgn)", "0.00"),
    "mean_wait_days_ci": ("± 95 % KI (ventetid)", "0.00"),
    "p_wait": ("Andel som må vente", "0.0%"),
    "p_wait_ci": ("± 95 % KI (andel som venter)", "0.0%"),
    "wait_p90_days": ("90-persentil ventetid (døgn)", "0.00"),
    "wait_p90_days_ci": ("± 95 % KI (90-persentil)", "0.00"),
    "share_wait_over_1": ("Andel som venter mer enn 1 døgn", "0.0%"),
    "share_wait_over_1_ci": ("± 95 % KI (> 1 døgn)", "0.0%"),
    "share_wait_over_7": ("Andel som venter mer enn 7 døgn", "0.0%"),
    "share_wait_over_7_ci": ("± 95 % KI (> 7 døgn)", "0.0%"),
    "unmet_booked_days_per_year": ("Bookede døgn utsatt per år", "#,##0"),
    "unmet_booked_days_per_year_ci": ("± 95 % KI (bookede døgn)", "#,##0"),
    "wait_erlang_a": ("Erlang A: snitt ventetid (døgn, uten sesong)", "0.00"),
    "wait_model": ("Modellen: snitt ventetid (døgn, sesong og ferier)", "0.00"),
    "wait_simulated": ("Simulert: snitt ventetid (døgn)", "0.00"),
    "wait_simulated_ci": ("± 95 % KI (ventetid)", "0.00"),
}


def write_table_sheet(workbook: Workbook, title: str, frame: pd.DataFrame) -> None:
    """One sheet: bokmål headers, number formats, frozen header."""
    sheet = workbook.create_sheet(title)
    columns = list(frame.columns)
    headers = [HEADERS.get(c, (c, None))[0] for c in columns]
    sheet.append(headers)
    for record in frame.itertuples(index=False):
        sheet.append(
            [None if isinstance(v, float) and np.isnan(v) else (v.item() if hasattr(v, "item") else v) for v in record]
        )
    for j, column in enumerate(columns, start=1):
        fmt = HEADERS.get(column, (None, None))[1]
        if fmt:
            for row in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                row[0].number_format = fmt
    style_table(sheet, headers)


def write_simulation_excel(sheets: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write several result tables, one sheet each, atomically."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, frame in sheets.items():
        write_table_sheet(workbook, title, frame)
    return save_workbook(workbook, path)


def monthly_figure(per_month: pd.DataFrame, bed_types: list[str]) -> plt.Figure:
    """Simulated share turned away per month and bed type, with 95 % confidence bands."""
    fig, ax = plt.subplots(figsize=(7.0, 4.0), layout="constrained")
    for i, t in enumerate(bed_types):
        part = per_month[per_month["bed_type"] == t].sort_values("month")
        if part["blocking"].isna().all() or (part["blocking"] >= 0.999).all():
            continue
        x = part["month"].to_numpy()
        y = part["blocking"].to_numpy()
        ci = part["blocking_ci"].to_numpy()
        color = PALETTE[i % len(PALETTE)]
        ax.plot(x, y, marker="osD^vP"[i % 6], color=color, label=t)
        ax.fill_between(x, np.maximum(y - ci, 0.0), y + ci, color=color, alpha=0.15)
    ax.set_xticks(range(1, 13), MONTHS)
    nb_axis(ax, "y", 0, percent=True)
    ax.set_ylabel("Andel avvist (simulert)")
    ax.set_title("Avvisning gjennom året, med 95 % konfidensintervall")
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", ncol=3, fontsize=7, frameon=False)
    return fig


def check_figure(check: pd.DataFrame) -> plt.Figure:
    """Analytic against simulated blocking per bed type (bars with the simulation's CI)."""
    data = check[check["beds"] > 0]
    fig, ax = plt.subplots(figsize=(7.0, 3.6), layout="constrained")
    x = np.arange(len(data))
    ax.bar(x - 0.27, data["erlang_b"], width=0.27, color="white", edgecolor="black", hatch="//", label="Erlang B")
    ax.bar(x, data["mol"], width=0.27, color=PALETTE[0], edgecolor="black", label="MOL (sesong, ferier)")
    ax.bar(
        x + 0.27,
        data["simulated"],
        width=0.27,
        yerr=data["simulated_ci"],
        color=PALETTE[1],
        edgecolor="black",
        capsize=3,
        label="Simulert",
    )
    ax.set_xticks(x, data["bed_type"], fontsize=8)
    nb_axis(ax, "y", 0, percent=True)
    ax.set_ylabel("Andel avvist")
    ax.grid(axis="y", alpha=0.3)
    fig.legend(loc="outside lower center", ncol=3, fontsize=7, frameon=False)
    return fig


def write_simulation_figures(figures: dict[str, plt.Figure], folder: str | Path) -> list[Path]:
    """Save figures as PNG in ``folder``; returns their paths."""
    return [save_figure(fig, Path(folder) / f"{name}.png") for name, fig in figures.items()]
