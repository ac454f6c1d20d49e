"""Figures for the committee report, from a :class:`~dimensioning.results.Result` only.

Every figure uses the same colour and hatch per bed type (and per site), Norwegian labels and
number formats, and reads in black-and-white print thanks to the hatches.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from dimensioning import queueing  # noqa: E402
from dimensioning.common.labels import number, record_source  # noqa: E402
from dimensioning.inputs.schema import NURSE_SKILL  # noqa: E402
from dimensioning.inputs.workbook import write_bytes_atomic  # noqa: E402
from dimensioning.results import Result  # noqa: E402

FIGSIZE_IN = (7.0, 4.0)
DPI = 200
PALETTE = ["#1b6ca8", "#e07b00", "#2a9d4b", "#c0392b", "#7d4ea8", "#8c6d31", "#d45fa0", "#5f6f7f"]
HATCHES = ["", "//", "..", "xx", "\\\\", "++", "oo", "--"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]

plt.rcParams.update(
    {
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "hatch.linewidth": 0.6,
        "axes.formatter.use_locale": False,
    }
)


def style_of(names: list[str], name: str) -> dict[str, str]:
    """Colour and hatch of one bed type or site, fixed by its position in the case.

    The i-th name gets colour ``i mod 8`` and hatch ``(i + i div 8) mod 8``: every pair differs for
    the first 64 names, so the 9th site no longer looks like the 1st.
    """
    i = names.index(name)
    return {"color": PALETTE[i % len(PALETTE)], "hatch": HATCHES[(i + i // len(PALETTE)) % len(HATCHES)]}


def marker_of(i: int) -> tuple[str, str]:
    """Marker shape and fill of the i-th alternative, unique for the first 16.

    The optimum (first) is filled, the others hollow; the second round of shapes inverts the fill.
    """
    filled = (i % len(MARKERS) == 0) != ((i // len(MARKERS)) % 2 == 1)
    return MARKERS[i % len(MARKERS)], "black" if filled else "white"


def nb_axis(ax: plt.Axes, axis: str = "y", decimals: int = 0, percent: bool = False) -> None:
    """Norwegian tick labels: decimal comma, thin-space thousands, optional percent."""
    scale = 100.0 if percent else 1.0
    suffix = " %" if percent else ""
    formatter = FuncFormatter(lambda v, _pos: number(v * scale, decimals) + suffix)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def save_figure(figure: plt.Figure, path: Path) -> Path:
    """PNG at print quality, without a timestamp, written atomically; the figure is closed."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(figure)
    return write_bytes_atomic(buffer.getvalue(), path)


def allocation_figure(result: Result) -> plt.Figure:
    """Stacked bars per bed type, coloured by site, one panel per alternative."""
    case = result.case
    names = result.alternatives
    sites, types = case.site_names, case.bed_type_names
    fig, axes = plt.subplots(1, len(names), figsize=FIGSIZE_IN, sharey=True, layout="constrained")
    axes = np.atleast_1d(axes)
    top = result.comparison.groupby(["alternative", "bed_type"])["beds"].sum().max()
    for ax, name in zip(axes, names, strict=True):
        table = (
            result.comparison[result.comparison["alternative"] == name]
            .pivot_table(index="bed_type", columns="site", values="beds", aggfunc="sum")
            .reindex(index=types, columns=sites, fill_value=0)
        )
        bottom = np.zeros(len(types))
        for site in sites:
            values = table[site].to_numpy(dtype=float)
            ax.bar(
                range(len(types)),
                values,
                bottom=bottom,
                label=site,
                edgecolor="black",
                linewidth=0.4,
                **style_of(sites, site),
            )
            bottom += values
        for i, total in enumerate(bottom):
            if total:
                ax.text(i, total + top * 0.01, number(total), ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(types)), [short_name(t) for t in types], rotation=60, ha="right", fontsize=7)
        ax.set_title(_wrap(name), fontsize=8)
        ax.set_ylim(0, top * 1.12)
    axes[0].set_ylabel("Senger")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=7, frameon=False)
    return fig


def summary_figure(result: Result) -> plt.Figure:
    """Page 1: beds per type today and recommended, each bar marked by whether its target holds.

    Horizontal bars, one pair per bed type (today's split is the case's first alternative; without
    one, the recommendation alone). A filled bar's target holds; a hatched one's does not, with
    «✗» after its number instead of «✓»; both from the evaluation of record (``target_holds``).
    """
    case = result.case
    types = case.bed_type_names
    queue = result.queueing.set_index(["alternative", "bed_type"])
    series = [(result.optimum_name, "Anbefalt", PALETTE[0])]
    if case.alternative_names:
        series.append((case.alternative_names[0], case.alternative_names[0], "#8a96a3"))
    height = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(7.0, 0.22 * len(types) * len(series) + 1.1), layout="constrained")
    top = max(float(queue.at[(n, t), "beds"]) for n, _, _ in series for t in types) or 1.0
    for j, (name, _, colour) in enumerate(series):
        for i, t in enumerate(types):
            beds = float(queue.at[(name, t), "beds"])
            holds = bool(queue.at[(name, t), "target_holds"])
            y = i + (j - (len(series) - 1) / 2) * height
            ax.barh(
                y,
                beds,
                height=height * 0.9,
                color=colour if holds else "white",
                edgecolor=colour,
                hatch="" if holds else "////",
                linewidth=0.8,
            )
            ax.text(
                beds + top * 0.01,
                y,
                f"{number(beds)} {'✓' if holds else '✗'}",
                va="center",
                fontsize=8,
                color="black" if holds else "#b03a2e",
            )
    ax.set_yticks(range(len(types)), types, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.12)
    ax.set_xlabel("Senger", fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    nb_axis(ax, "x")
    ax.grid(axis="x", alpha=0.3)
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=colour, edgecolor=colour) for _, _, colour in series]
    texts = [label for _, label, _ in series]
    handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="#555555", hatch="////"))
    texts.append(f"✗ kravet holder ikke, ✓ kravet holder ({record_source(result)})")
    fig.legend(handles, texts, loc="outside lower center", ncol=len(handles), fontsize=8, frameon=False)
    return fig


def short_name(name: str) -> str:
    """Short bed-type label for crowded axes and table headers."""
    return name.replace("Forsterket (USK)", "USK").replace("Rehabilitering", "Rehab.")


def _wrap(name: str, width: int = 18) -> str:
    """Break a long title over lines."""
    words, lines, line = name.split(), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def erlang_figure(result: Result, bed_types: list[str] | None = None) -> plt.Figure:
    """Why small units are expensive: share turned away and occupancy against beds, per type.

    For each type the Erlang curves at its demand, with the alternatives marked on the curve.
    """
    case = result.case
    types = bed_types or [t for t in case.bed_type_names if case.bed_types.at[t, "arrivals_per_year"] > 0]
    columns = min(3, len(types))
    rows = int(np.ceil(len(types) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(7.0, 2.3 * rows + 0.6), layout="constrained", squeeze=False)
    names = result.alternatives
    for ax, bed_type in zip(axes.flat, types, strict=False):
        load = float(case.load_beds[bed_type])
        beds_used = result.queueing[result.queueing["bed_type"] == bed_type].set_index("alternative")["beds"]
        c_max = int(max(beds_used.max(), np.ceil(load * 1.6) + 3, 6))
        beds = np.arange(1, c_max + 1)
        blocking = queueing.erlang_b(beds, load)
        occupancy = queueing.occupancy(beds, load)
        ax.plot(beds, blocking, color="#c0392b", label="Andel avvist (formel, referanse)")
        ax.plot(beds, occupancy, color="#1b6ca8", linestyle="--", label="Belegg")
        target = float(case.bed_types.at[bed_type, "max_blocking"])
        if target < 1:
            ax.axhline(target, color="#c0392b", linewidth=0.6, linestyle=":")
        for i, name in enumerate(names):
            c = int(beds_used[name])
            marker, fill = marker_of(i)
            ax.plot(
                [c],
                [float(queueing.erlang_b(c, load))],
                marker=marker,
                color="black",
                markerfacecolor=fill,
                linestyle="none",
                markersize=5 + 1.5 * (len(names) - 1 - i) / max(1, len(names) - 1),  # later ones on top, smaller
                label=name,
                clip_on=False,
                zorder=3 + i,
            )
        ax.set_title(f"{short_name(bed_type)}\nbelastning {number(load, 1)} senger", fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_xlim(0, c_max + 1)  # room for a marker at the last bed count
        nb_axis(ax, "y", 0, percent=True)
        nb_axis(ax, "x", 0)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.set_xlabel("Senger", fontsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(types) :]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=7, frameon=False)
    return fig


def staffing_figure(result: Result) -> plt.Figure:
    """FTE per site and skill group for the optimum, with the minimum-nurse top-up shown apart."""
    case = result.case
    staffing = result.staffing[result.staffing["alternative"] == result.optimum_name]
    allocation = result.allocation.set_index(["site", "bed_type"])["beds"]
    nurse_share = float(case.skills.at[NURSE_SKILL, "share"])
    sites = [s for s in case.site_names if s in set(staffing["site"])]
    skills = list(case.skills.index)
    fig, ax = plt.subplots(figsize=FIGSIZE_IN, layout="constrained")
    bottom = np.zeros(len(sites))
    for skill in skills:
        part = staffing[staffing["skill"] == skill]
        if skill == NURSE_SKILL:
            proportional = part.apply(
                lambda r: (
                    case.bed_types.at[r.bed_type, "care_fte_per_bed"] * nurse_share * allocation[r.site, r.bed_type]
                ),
                axis=1,
            )
            base = part.assign(fte=proportional).groupby("site")["fte"].sum().reindex(sites, fill_value=0)
            extra = part.groupby("site")["fte"].sum().reindex(sites, fill_value=0) - base
            ax.barh(sites, base, left=bottom, color=PALETTE[0], edgecolor="black", linewidth=0.4, label="Sykepleier")
            bottom += base.to_numpy()
            ax.barh(
                sites,
                extra,
                left=bottom,
                color="white",
                edgecolor=PALETTE[0],
                hatch="////",
                linewidth=0.8,
                label="Sykepleier utover fagandel (minstebemanning)",
            )
            bottom += extra.to_numpy()
        else:
            values = part.groupby("site")["fte"].sum().reindex(sites, fill_value=0)
            ax.barh(
                sites,
                values,
                left=bottom,
                edgecolor="black",
                linewidth=0.4,
                label=skill.capitalize(),
                **style_of(skills, skill),
            )
            bottom += values.to_numpy()
    for i, total in enumerate(bottom):
        ax.text(total + 0.3, i, number(total, 1), va="center", fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("Årsverk")
    nb_axis(ax, "x", 0)
    ax.set_title("Bemanning per lokasjon i optimal fordeling")
    fig.legend(loc="outside lower center", ncol=2, fontsize=7, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


def cost_figure(result: Result) -> plt.Figure:
    """Yearly cost per alternative: staffing, patients turned away and waiting (UKP days), stacked."""
    costs = result.costs.set_index("alternative").reindex(result.alternatives)
    fig, ax = plt.subplots(figsize=(7.0, 3.0), layout="constrained")
    labels = [_wrap(n, 24) for n in costs.index]
    staff = costs["staffing_cost_nok"] / 1e6
    away = costs["turned_away_cost_nok"] / 1e6
    ax.barh(labels, staff, color=PALETTE[0], edgecolor="black", linewidth=0.4, label="Bemanning")
    ax.barh(
        labels,
        away,
        left=staff,
        color="white",
        edgecolor=PALETTE[3],
        hatch="xx",
        linewidth=0.6,
        label="Avviste pasienter",
    )
    waiting = costs["waiting_cost_nok"] / 1e6
    finite = (costs["total_cost_nok"] / 1e6)[np.isfinite(waiting)]
    limit = (float(finite.max()) if len(finite) else float((staff + away).max())) * 1.18
    unbounded = ~np.isfinite(waiting)
    # a queue that grows without bound: its bar runs to the edge and says so
    fixed = (costs["bed_cost_nok"] + costs["moving_cost_nok"]) / 1e6
    waiting = waiting.where(~unbounded, limit - staff - away - fixed)
    ax.barh(
        labels,
        waiting,
        left=staff + away,
        color=PALETTE[1],
        edgecolor="black",
        hatch="..",
        linewidth=0.4,
        label="Ventende pasienter (UKP-døgn o.l.)",
    )
    other = fixed
    if (other > 0).any():
        ax.barh(
            labels,
            other,
            left=staff + away + waiting,
            color=PALETTE[2],
            edgecolor="black",
            linewidth=0.4,
            label="Plasser utenom pleien og flytting",
        )
    ends = staff + away + waiting + other
    # the label is the total of record (the same figure as every table), not a sum of the bars
    for i, (end, endless) in enumerate(zip(ends, unbounded, strict=True)):
        if endless:
            ax.text(
                end - 0.5,
                i,
                "ubegrenset: køen vokser",
                va="center",
                ha="right",
                fontsize=7,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
            )
        else:
            total = float(costs["total_cost_nok"].iloc[i]) / 1e6
            ax.text(end + 0.5, i, f"{number(total, 1)} mill. kr", va="center", fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(f"Mill. kr per år ({record_source(result)})")
    ax.set_xlim(0, limit)
    fig.legend(loc="outside lower center", ncol=3, fontsize=7, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


def sensitivity_figures(table: pd.DataFrame) -> dict[str, plt.Figure]:
    """Per swept parameter: the cost and the patients turned away, each in its own panel with one axis.

    The mean over the other swept parameters at each value; a value where some scenario has no
    solution is marked with a red cross on the axis and named in the chapter's table.
    """
    from dimensioning.report.sweep_report import GRID_PREFIX, _label, _mark_infeasible, swept_parameters

    grid = table["scenario"].astype(str).str.startswith(GRID_PREFIX)
    if grid.any():  # a grid varies its parameters on purpose; named scenarios change several things at once
        table = table[grid]
    ok = table[table["status"] == "optimal"]
    figures = {}
    for i, axis in enumerate(swept_parameters(table)):
        rows = ok[ok[axis].notna()]
        data = (
            rows.assign(_x=pd.to_numeric(rows[axis])).groupby("_x")[["total_cost_nok", "turned_away_per_year"]].mean()
        )
        failed = pd.to_numeric(table.loc[(table["status"] != "optimal") & table[axis].notna(), axis]).unique()
        label = _label(axis)
        every = np.concatenate([data.index.to_numpy(dtype=float), failed.astype(float)])
        whole = bool(np.all(np.isclose(every, np.round(every))))
        fig, (cost, away) = plt.subplots(1, 2, figsize=FIGSIZE_IN, layout="constrained")
        cost.plot(data.index, data["total_cost_nok"] / 1e6, marker="o", color="black")
        cost.set_title("Samlet kostnad (mill. kr i året)", fontsize=9)
        away.plot(data.index, data["turned_away_per_year"], marker="s", color=PALETTE[3])
        away.set_title("Pasienter uten plass per år", fontsize=9)
        for ax, decimals in ((cost, 1), (away, 0)):
            ax.set_xlabel(label, fontsize=8)
            nb_axis(ax, "x", 0 if whole else 2)
            nb_axis(ax, "y", decimals)
            ax.grid(alpha=0.3)
            _mark_infeasible(ax, pd.Series(failed, dtype=float))
        fig.suptitle(f"Følsomhet: {label}", fontsize=10)
        figures[f"folsomhet-{i + 1}"] = fig
    return figures


def write_figures(result: Result, folder: str | Path, sweep_table: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write every report figure as PNG; return their paths by name, in report order."""
    folder = Path(folder)
    figures = {
        "side-1": summary_figure(result),
        "fordeling": allocation_figure(result),
        "kostnad": cost_figure(result),
        "sma-enheter": erlang_figure(result),
        "bemanning": staffing_figure(result),
    }
    if sweep_table is not None:
        figures.update(sensitivity_figures(sweep_table))
    return {name: save_figure(fig, folder / f"{name}.png") for name, fig in figures.items()}


def plan_figures(years_result: object, bed_types: list[str]) -> dict[str, plt.Figure]:
    """The years ahead: the plan's beds per type per year, and what patients miss per strategy.

    ``plan-senger``: stacked beds per type per year, with the year each option opens marked.
    ``plan-venting``: UKP days and patients not served per year under each strategy.
    """
    from dimensioning.workflows.years import COVERAGE_RATIO, FIXED_TOTAL, PLAN

    per_type, per_year = years_result.per_type, years_result.per_year
    figures = {}
    plan = per_type[per_type["strategy"] == PLAN]
    if len(plan):
        table = plan.pivot_table(index="year", columns="bed_type", values="beds", aggfunc="sum").reindex(
            columns=bed_types, fill_value=0
        )
        fig, ax = plt.subplots(figsize=FIGSIZE_IN, layout="constrained")
        bottom = np.zeros(len(table))
        for t in bed_types:
            values = table[t].to_numpy(dtype=float)
            ax.bar(
                table.index, values, bottom=bottom, label=t, edgecolor="black", linewidth=0.4, **style_of(bed_types, t)
            )
            bottom += values
        top = float(bottom.max()) if len(bottom) else 1.0
        for option, year in sorted(years_result.openings.items(), key=lambda p: p[1]):
            ax.annotate(
                _wrap(option, 18),
                xy=(year, float(bottom[list(table.index).index(year)])),
                xytext=(0, 14),
                textcoords="offset points",
                ha="center",
                fontsize=6.5,
                arrowprops={"arrowstyle": "-", "linewidth": 0.5},
            )
        ax.set_ylim(0, top * 1.25)
        ax.set_ylabel("Senger")
        ax.set_xticks(table.index, [str(y) for y in table.index], rotation=60, fontsize=7)
        nb_axis(ax)
        fig.legend(loc="outside lower center", ncol=3, fontsize=7, frameon=False)
        figures["plan-senger"] = fig
    labels = {PLAN: "Plan (med utbygging)", FIXED_TOTAL: "Fast total", COVERAGE_RATIO: "Dekningsgrad"}
    fig, (left, right) = plt.subplots(1, 2, figsize=FIGSIZE_IN, layout="constrained")
    for i, (strategy, label) in enumerate(labels.items()):
        rows = per_year[per_year["strategy"] == strategy]
        if rows.empty:
            continue
        marker, face = marker_of(i)
        style = {"marker": marker, "markerfacecolor": face, "color": "black", "linewidth": 1.0, "markersize": 4}
        left.plot(rows["year"], rows["ukp_days_per_year"], label=label, linestyle=["-", "--", ":"][i], **style)
        right.plot(rows["year"], rows["turned_away_per_year"], linestyle=["-", "--", ":"][i], **style)
    left.set_title("UKP-døgn per år")
    right.set_title("Pasienter uten plass per år")
    years = sorted(per_year["year"].unique())
    ticks = years[:: max(1, len(years) // 5)]
    for ax in (left, right):
        nb_axis(ax)
        ax.set_xticks(ticks, [str(y) for y in ticks], fontsize=7)
        ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", ncol=3, fontsize=7, frameon=False)
    figures["plan-venting"] = fig
    return figures
