"""Peers beside the plan: the kommune's own figures next to the ``Nokkeltall`` it typed, from a Result.

The indicators are :data:`~dimensioning.inputs.schema.KEY_FIGURES` and ``plasser:<plasstype>``.
The kommune's own columns are computed from the result: today's split (the case's first
alternative), the recommendation and, with a plan, its last year. Short-term beds per 1,000 aged
80+ use ``Befolkning`` (the start year for today and the recommendation); the cost per bed is the
staffing and bed cost of record divided by the beds; the short-term share of all institution beds
needs the long-term beds, which the case does not hold, so only the peers' figures show it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dimensioning.common.labels import number, percent
from dimensioning.inputs.schema import BEDS_OF_TYPE, KEY_FIGURES
from dimensioning.results import Result
from dimensioning.workflows.years import PLAN, oldest_group, population_by_year

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

#: Column label of the recommendation among the kommune's own columns.
RECOMMENDED = "Anbefalt"


def indicator_label(indicator: str) -> str:
    """The bokmål label of an indicator («Korttidsplasser per 1 000 innbyggere 80 år og over»)."""
    if indicator.startswith(BEDS_OF_TYPE):
        return f"Plasser: {indicator[len(BEDS_OF_TYPE) :].strip()}"
    return KEY_FIGURES[indicator][0]


def show_value(indicator: str, value: float) -> str:
    """A figure in its unit: a share as a percentage, kroner whole, beds per 1,000 with one decimal."""
    if value != value:
        return "–"
    unit = KEY_FIGURES.get(indicator, ("", "plasser"))[1]
    if unit == "andel":
        return percent(value)
    if unit == "per 1 000":
        return number(value, 1)
    return number(value)


def _oldest_inhabitants(case: object, year: int) -> float:
    """Inhabitants of the plan's oldest age group in ``year``, NaN without ``Befolkning``.

    The same group and interpolation as the coverage ratio of :mod:`~.workflows.years`.
    """
    if case.population.empty:
        return float("nan")
    return float(population_by_year(case, [year]).at[year, oldest_group(case)])


def _figures(case: object, beds: pd.Series, cost_nok: float, year: int, indicators: list[str]) -> dict[str, float]:
    """The kommune's own value of each indicator for one split (``beds`` per bed type)."""
    total = float(beds.sum())
    out = {}
    for indicator in indicators:
        if indicator == "plasser":
            out[indicator] = total
        elif indicator.startswith(BEDS_OF_TYPE):
            out[indicator] = float(beds.get(indicator[len(BEDS_OF_TYPE) :].strip(), 0.0))
        elif indicator == "plasser_per_1000_80":
            old = _oldest_inhabitants(case, year)
            out[indicator] = total / old * 1000 if old > 0 else float("nan")
        elif indicator == "kostnad_per_plass":
            out[indicator] = cost_nok / total if total > 0 else float("nan")
        else:  # korttidsandel: needs the long-term beds
            out[indicator] = float("nan")
    return out


def peer_table(result: Result, years: object | None = None) -> pd.DataFrame:
    """One row per indicator the kommune typed in ``Nokkeltall``: the peers' figures, then its own.

    Returns:
        Index ``indicator``; columns ``label`` and one per peer figure («Asker 2023») in the sheet's
        order, then «<today>», «Anbefalt» and, with a plan, «Plan <last year>». Empty without
        ``Nokkeltall``.
    """
    case = result.case
    figures = case.key_figures
    if figures.empty:
        return pd.DataFrame()
    indicators = list(dict.fromkeys(figures["indicator"]))
    table = pd.DataFrame(
        {"label": [indicator_label(i) for i in indicators]}, index=pd.Index(indicators, name="indicator")
    )
    for (kommune, year), rows in figures.groupby(["municipality", "year"], sort=False):
        values = rows.set_index("indicator")["value"]
        table[f"{kommune} {int(year)}"] = [float(values.get(i, np.nan)) for i in indicators]
    start = int(case.settings.start_year or (case.population["year"].min() if not case.population.empty else 0))
    costs = result.costs.set_index("alternative")
    queue = result.queueing
    own = []
    if case.alternative_names:
        own.append((f"{case.alternative_names[0]}", case.alternative_names[0]))
    own.append((RECOMMENDED, result.optimum_name))
    for column, name in own:
        beds = queue[queue["alternative"] == name].set_index("bed_type")["beds"].astype(float)
        cost = float(costs.at[name, "staffing_cost_nok"] + costs.at[name, "bed_cost_nok"])
        values = _figures(case, beds, cost, start, indicators)
        table[column] = [values[i] for i in indicators]
    if years is not None and not years.allocations.empty:
        plan = years.allocations[years.allocations["strategy"] == PLAN]
        if len(plan):
            last = int(plan["year"].max())
            beds = plan[plan["year"] == last].groupby("bed_type")["beds"].sum().astype(float)
            values = _figures(case, beds, float("nan"), last, indicators)
            table[f"Plan {last}"] = [values[i] for i in indicators]
    return table


def own_columns(table: pd.DataFrame, result: Result) -> list[str]:
    """The kommune's own columns of :func:`peer_table` (the rest are the peers')."""
    first = result.case.alternative_names[:1]
    return [c for c in table.columns if c in (*first, RECOMMENDED) or c.startswith("Plan ")]


def peer_figure(result: Result, table: pd.DataFrame) -> plt.Figure:
    """Beds of each type beside the peers: one group per ``plasser:<plasstype>`` indicator, one bar per column.

    Peers in grey shades, today dark grey, the recommendation blue, the plan green; the other
    indicators, on other scales, are in the table. Without a bed-type indicator, the first one typed.
    """
    # matplotlib only here: the Excel report reads this module's table, not its figure
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from dimensioning.report.plots import PALETTE, nb_axis

    own = own_columns(table, result)
    peers = [c for c in table.columns if c != "label" and c not in own]
    panel = [i for i in table.index if i.startswith(BEDS_OF_TYPE)] or list(table.index[:1])
    names = [c for c in [*peers, *own] if table.loc[panel, c].notna().any()]
    greys = ["#c3cad2", "#a7b0ba", "#dde2e7", "#8d97a2"]
    colours = [
        PALETTE[0] if c == RECOMMENDED else PALETTE[2] if c.startswith("Plan ") else "#5f6f7f" if c in own else None
        for c in names
    ]
    colours = [c or greys[k % len(greys)] for k, c in enumerate(colours)]
    fig, ax = plt.subplots(figsize=(7.0, 3.4), layout="constrained")
    width = 0.8 / max(1, len(names))
    x = np.arange(len(panel))
    for k, (name, colour) in enumerate(zip(names, colours, strict=True)):
        values = table.loc[panel, name].astype(float).to_numpy()
        offset = (k - (len(names) - 1) / 2) * width
        ax.bar(
            x + offset, np.nan_to_num(values), width * 0.92, color=colour, edgecolor="black", linewidth=0.3, label=name
        )
        for xi, v in zip(x + offset, values, strict=True):
            if v == v:
                ax.text(xi, v, show_value(panel[0], v), ha="center", va="bottom", fontsize=6)
    ax.set_xticks(x, [table.loc[i, "label"] for i in panel], fontsize=8)
    unit = KEY_FIGURES.get(panel[0], ("", "plasser"))[1]
    ax.set_ylabel("Plasser" if unit == "plasser" else unit, fontsize=8)
    nb_axis(ax, "y", percent=unit == "andel")
    if unit == "plasser":
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", alpha=0.3)
    fig.legend(loc="outside lower center", ncol=2, fontsize=7, frameon=False)
    return fig


def sources(result: Result) -> list[str]:
    """The sources of the peers' figures, each once, in the sheet's order."""
    figures = result.case.key_figures
    return [] if figures.empty else [s for s in dict.fromkeys(figures["source"]) if s]


def table_rows(table: pd.DataFrame) -> list[list[str]]:
    """:func:`peer_table` as text rows (header first) for a PDF or sheet a person reads."""
    columns = [c for c in table.columns if c != "label"]
    rows = [["Indikator", *columns]]
    for indicator, row in table.iterrows():
        rows.append([row["label"], *[show_value(indicator, float(row[c])) for c in columns]])
    return rows
