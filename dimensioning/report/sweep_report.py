"""Sweep output: one workbook row per scenario, and PNG figures against the swept parameters.

Reads only the sweep table (and the scenarios), never the model.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from openpyxl.styles import Font  # noqa: E402

from dimensioning.inputs.scenarios import GRID_NAME_PREFIX, Scenario  # noqa: E402
from dimensioning.inputs.workbook import HEADER_FILL, save_workbook, style_table, write_bytes_atomic  # noqa: E402

FIXED_HEADERS = {
    "scenario": ("Scenario", None),
    "status": ("Status", None),
    "konflikt": ("Konflikt (hvis ingen løsning)", None),
    "total_cost_nok": ("Samlet kostnad (kr/år)", "#,##0"),
    "staffing_cost_nok": ("Bemanningskostnad (kr/år)", "#,##0"),
    "turned_away_cost_nok": ("Kostnad avviste (kr/år)", "#,##0"),
    "turned_away_per_year": ("Avviste pasienter per år", "0.0"),
    "waiting_cost_nok": ("Kostnad ventedøgn og bookede døgn ikke gitt (kr/år)", "#,##0"),
    "waiting_days_per_year": ("Ventedøgn per år", "#,##0"),
    "ukp_days_per_year": ("UKP-døgn per år (utskrivningsklare på sykehus)", "#,##0"),
    "ukp_cost_nok": ("Kostnad UKP-døgn (kr/år)", "#,##0"),
    "ukp_mean_wait_days": ("Snitt ventetid UKP, alle innlagte (døgn)", "0.00"),
    "unmet_booked_days_per_year": ("Bookede døgn som ikke kan gis per år", "#,##0"),
    "staff_fte": ("Årsverk i pleien", "0.0"),
}
GRID_PREFIX = GRID_NAME_PREFIX  # grid scenarios are named "Rutenett 001", ...
PREFIXES = {
    "endring: ": ("Endring: ", None),
    "fte: ": ("Årsverk: ", "0.0"),
    "beds: ": ("Senger: ", "0"),
    "blocking: ": ("Andel avvist i året: ", "0.0%"),
    "shared: ": ("Andel avvist med ledig-seng-prinsippet: ", "0.0%"),
    "occupancy: ": ("Belegg: ", "0.0%"),
    "waitdays: ": ("Ventedøgn per år: ", "#,##0"),
    "wait: ": ("Snitt ventetid (døgn): ", "0.00"),
}


def header_of(column: str) -> tuple[str, str | None]:
    """Bokmål header and number format of a sweep-table column."""
    if column in FIXED_HEADERS:
        return FIXED_HEADERS[column]
    for prefix, (label, fmt) in PREFIXES.items():
        if column.startswith(prefix):
            return label + column[len(prefix) :], fmt
    return column, None


def read_sweep_table(path: str | Path) -> pd.DataFrame:
    """Read the ``Resultater`` sheet of a sweep workbook back into the sweep table (English columns)."""
    from dimensioning.inputs.workbook import read_workbook

    tables = read_workbook(path, ["Resultater"])
    if "Resultater" not in tables:
        from dimensioning.common.errors import InputError, ValidationIssue

        issue = ValidationIssue("Resultater", None, None, "arket mangler: er dette en fil fra dimension sweep?")
        raise InputError(str(path), [issue])
    inverse = {label: key for key, (label, _fmt) in FIXED_HEADERS.items()}
    rows = []
    for _row, cells in tables["Resultater"]:
        rows.append({_column_of(h, inverse): v for h, v in cells.items()})
    return pd.DataFrame(rows)


def _column_of(header: str, inverse: dict[str, str]) -> str:
    """Sweep-table column of a bokmål header (inverse of :func:`header_of`)."""
    if header in inverse:
        return inverse[header]
    for prefix, (label, _fmt) in PREFIXES.items():
        if header.startswith(label):
            return prefix + header[len(label) :]
    return header


def write_sweep_excel(table: pd.DataFrame, scenarios: list[Scenario], path: str | Path) -> Path:
    """Write the sweep workbook: ``Resultater`` (one row per scenario) and ``Scenarier``."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Resultater"
    columns = list(table.columns)
    headers = [header_of(c)[0] for c in columns]
    sheet.append(headers)
    formats = [header_of(c)[1] for c in columns]
    for record in table.itertuples(index=False):
        sheet.append([_plain(v) for v in record])
    for j, fmt in enumerate(formats, start=1):
        if fmt:
            for row in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                row[0].number_format = fmt
    style_table(sheet, headers, widths={"Konflikt (hvis ingen løsning)": 60})
    listing = workbook.create_sheet("Scenarier")
    listing.append(["Scenario", "Endring", "Verdi"])
    for scenario in scenarios:
        if not scenario.values:
            listing.append([scenario.name, "(ingen endring)", None])
        for override, value in scenario.values:
            listing.append([scenario.name, override.header, value])
    style_table(listing, ["Scenario", "Endring", "Verdi"])
    for cell in listing[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    return save_workbook(workbook, path)


def _plain(value: object) -> object:
    """NaN as an empty cell; numpy scalars as Python numbers."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def swept_parameters(table: pd.DataFrame) -> list[str]:
    """Change columns that are numeric where set and take more than one value (the sweep's axes).

    A column may be blank in scenarios that do not change it (named scenarios beside a grid).
    """
    axes = []
    for column in table.columns:
        if not column.startswith("endring: "):
            continue
        given = table[column].dropna()
        values = pd.to_numeric(given, errors="coerce")
        if len(given) > 1 and values.notna().all() and values.nunique() > 1:
            axes.append(column)
    return axes


def write_sweep_figures(table: pd.DataFrame, scenarios: list[Scenario], folder: str | Path, stem: str) -> list[Path]:
    """PNG figures of cost and patients turned away against the swept parameters.

    The named scenarios (sheet ``Scenarier``) get a bar chart of cost; the grid (``Rutenett``)
    gets line plots for one swept parameter (cost, patients turned away, beds per type) or heat
    maps for two.
    """
    folder = Path(folder)
    is_grid = pd.Series([s.row is None for s in scenarios], index=table.index)
    figures: list[tuple[str, plt.Figure]] = []
    named = table[~is_grid]
    if not named.empty:
        figures.append(("scenarier", _bars(named)))
    grid = table[is_grid]
    axes = swept_parameters(grid) if not grid.empty else []
    if len(axes) == 1:
        figures += _line_figures(grid, axes[0])
    elif len(axes) == 2:
        figures += _heatmaps(grid, axes[0], axes[1])
    paths = []
    for name, figure in figures:
        paths.append(save_png(figure, folder / f"{stem}-{name}.png"))
    return paths


def save_png(figure: plt.Figure, path: Path) -> Path:
    """Save a figure as PNG atomically, without a timestamp, and close it."""
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
    plt.close(figure)
    return write_bytes_atomic(buffer.getvalue(), path)


def _label(column: str) -> str:
    """Axis label of a change column, in words: «Pleiefaktor (Forsterket (USK))», not the override's name."""
    return change_label(column.removeprefix("endring: "))


def change_label(header: str) -> str:
    """A scenario override's header in words (``Sheet:key:column``, ``Sheet:column`` or a named change)."""
    from dimensioning.inputs.schema import column_label, parameter_label

    named = {
        "vekst_etterspørsel": "Etterspørsel (faktor, alle plasstyper)",
        "befolkningsvekst": "Befolkning (vekstfaktor)",
        "liggetid (faktor)": "Liggetid (faktor, alle plasstyper)",
    }
    if header in named:
        return named[header]
    factor = ""
    for suffix, said in ((" (faktor)", " (faktor)"), (" (vekstfaktor)", " (vekstfaktor)")):
        if header.endswith(suffix):
            header, factor = header.removesuffix(suffix), said
    parts = [p.strip() for p in header.split(":")]
    if len(parts) == 3 and parts[0] == "Parametre":
        return parameter_label(parts[1]) + factor
    if len(parts) == 3:
        sheet, key, column = parts
        what = column_label(column) + factor
        return f"{what}, alle" if key == "*" else f"{what}, {key}"
    if len(parts) == 2:
        return (parameter_label(parts[1]) if parts[0] == "Parametre" else column_label(parts[1])) + factor
    return parameter_label(header) + factor


INFEASIBLE_LABEL = "ingen løsning"


def _mark_infeasible(ax: plt.Axes, xs: pd.Series) -> None:
    """Red crosses along the bottom of a line plot where a scenario has no solution."""
    if xs.empty:
        return
    ax.plot(
        xs,
        [0.03] * len(xs),
        linestyle="none",
        marker="x",
        markersize=9,
        color="tab:red",
        transform=ax.get_xaxis_transform(),
        clip_on=False,
        label=INFEASIBLE_LABEL,
    )
    ax.legend(loc="best", frameon=False)


def _line_figures(table: pd.DataFrame, axis: str) -> list[tuple[str, plt.Figure]]:
    """Cost and turned away against one parameter; beds per type against it (infeasible points marked)."""
    every = table.assign(_x=pd.to_numeric(table[axis])).sort_values("_x")
    failed = every.loc[every["status"] != "optimal", "_x"]
    data = every[every["status"] == "optimal"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    left.plot(data["_x"], data["total_cost_nok"] / 1e6, marker="o", color="black")
    left.set_ylabel("Samlet kostnad (mill. kr/år)")
    right.plot(data["_x"], data["turned_away_per_year"], marker="s", color="tab:red")
    right.set_ylabel("Avviste pasienter per år")
    from dimensioning.report.plots import nb_axis

    for ax, decimals in ((left, 1), (right, 0)):
        ax.set_xlabel(_label(axis))
        ax.grid(alpha=0.3)
        _mark_infeasible(ax, failed)
        nb_axis(ax, "x", 0 if np.allclose(every["_x"], np.round(every["_x"])) else 2)
        nb_axis(ax, "y", decimals)
    fig.suptitle("Kostnad og avviste pasienter")
    beds_columns = [c for c in data.columns if c.startswith("beds: ") and " / " not in c]
    fig2, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    markers = "os^vD<>p*h"
    for i, column in enumerate(beds_columns):
        ax.plot(data["_x"], data[column], marker=markers[i % len(markers)], label=column.removeprefix("beds: "))
    ax.set_xlabel(_label(axis))
    ax.set_ylabel("Senger")
    ax.grid(alpha=0.3)
    if not failed.empty:
        ax.plot(
            failed,
            [0.03] * len(failed),
            "x",
            color="tab:red",
            markersize=9,
            label=INFEASIBLE_LABEL,
            transform=ax.get_xaxis_transform(),
            clip_on=False,
        )
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    ax.set_title("Senger per plasstype")
    return [("kostnad", fig), ("senger", fig2)]


def _heatmaps(table: pd.DataFrame, first: str, second: str) -> list[tuple[str, plt.Figure]]:
    """Heat maps of cost and turned away over a two-parameter grid (blank where infeasible)."""
    figures = []
    for column, title, name in (
        ("total_cost_nok", "Samlet kostnad (mill. kr/år)", "kostnad"),
        ("turned_away_per_year", "Avviste pasienter per år", "avviste"),
    ):
        values = pd.to_numeric(table.get(column), errors="coerce")
        if column == "total_cost_nok":
            values = values / 1e6
        frame = pd.DataFrame({"x": pd.to_numeric(table[first]), "y": pd.to_numeric(table[second]), "v": values})
        grid = frame.pivot_table(index="y", columns="x", values="v", aggfunc="first", dropna=False)
        fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
        image = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(grid.columns)), [f"{v:g}".replace(".", ",") for v in grid.columns], rotation=45)
        ax.set_yticks(range(len(grid.index)), [f"{v:g}".replace(".", ",") for v in grid.index])
        ax.set_xlabel(_label(first))
        ax.set_ylabel(_label(second))
        fig.colorbar(image, ax=ax, label=title)
        for row, col in zip(*np.nonzero(np.isnan(grid.to_numpy(dtype=float))), strict=True):
            ax.text(col, row, "×", ha="center", va="center", color="tab:red", fontsize=12)
        ax.set_title(f"{title} (× = ingen løsning)")
        figures.append((name, fig))
    return figures


def _bars(table: pd.DataFrame) -> plt.Figure:
    """Cost per named scenario; a scenario without a solution keeps its row, marked in red."""
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(table) + 1.5), layout="constrained")
    solved = table["status"] == "optimal"
    cost = pd.to_numeric(table.get("total_cost_nok"), errors="coerce").where(solved, 0.0).fillna(0.0) / 1e6
    ax.barh(table["scenario"], cost, color="tab:blue", hatch="//", edgecolor="black")
    for position, (ok, status) in enumerate(zip(solved, table["status"], strict=True)):
        if not ok:
            ax.text(0, position, f"  {status}", va="center", ha="left", color="tab:red", fontweight="bold")
    ax.invert_yaxis()
    ax.set_xlabel("Samlet kostnad (mill. kr/år)")
    ax.set_title("Kostnad per scenario (rødt: uten løsning)")
    ax.grid(axis="x", alpha=0.3)
    return fig
