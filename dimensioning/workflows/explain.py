"""Why this split: what one bed more or less of each type is worth, and what each move does.

Planners and politicians ask why. Both answers come from the same yearly cost the optimisation
minimises (:func:`~dimensioning.workflows.evaluate.yearly_cost`: staffing with the nurse minimum per ward,
patients turned away at their cost), so they add up to the figures in the comparison.
"""

from __future__ import annotations

import pandas as pd

from dimensioning.inputs.case import Case
from dimensioning.workflows.evaluate import yearly_cost

MARGINAL_COLUMNS = [
    "bed_type",
    "site",
    "beds",
    "cost_one_more_nok",
    "turned_away_one_more",
    "cost_one_less_nok",
    "turned_away_one_less",
]
MOVE_COLUMNS = ["step", "beds", "from_site", "from_type", "to", "cost_change_nok", "turned_away_change"]


def marginal_values(case: Case, allocation: pd.DataFrame) -> pd.DataFrame:
    """For each bed type: the change in yearly cost and patients turned away from one bed more or less.

    The bed is added at (or taken from) the site with the most beds of the type, where its unit
    already is; the total changes by one bed, and no rule is checked: this is the worth of a bed,
    not a plan. A type with no beds has no bed to take (``NaN``).

    Returns:
        One row per type: ``bed_type, site, beds, cost_one_more_nok, turned_away_one_more,
        cost_one_less_nok, turned_away_one_less`` (changes against ``allocation``).
    """
    base_cost, base_away = yearly_cost(case, allocation)
    beds = allocation.set_index(["site", "bed_type"])["beds"]
    rows = []
    for bed_type in case.bed_type_names:
        own = beds.xs(bed_type, level="bed_type").reindex(case.site_names, fill_value=0)
        site = str(own.idxmax()) if own.max() > 0 else case.site_names[0]
        row = {"bed_type": bed_type, "site": site, "beds": int(own.sum())}
        for delta, name in ((1, "one_more"), (-1, "one_less")):
            if own[site] + delta < 0:
                row[f"cost_{name}_nok"], row[f"turned_away_{name}"] = float("nan"), float("nan")
                continue
            changed = _with_change(allocation, site, bed_type, delta)
            cost, away = yearly_cost(case, changed)
            row[f"cost_{name}_nok"], row[f"turned_away_{name}"] = cost - base_cost, away - base_away
        rows.append(row)
    return pd.DataFrame(rows, columns=MARGINAL_COLUMNS)


def cold_time_values(case: Case, allocation: pd.DataFrame) -> pd.DataFrame:
    r"""What a day of cold time is worth with this split: every freed bed filled one day later or sooner.

    Every type that admits as beds free up (``avvises``, ``venter``; booked stays follow each
    other) gets ``kalde_senger_dager`` :math:`k_t \pm 1` (not below 0), the split kept, and the
    real year evaluated as always: the change in patients without a bed, in UKP days (discharge-
    ready patients waiting in hospital) and in yearly cost (their prices; the staff is the same).

    Returns:
        Rows ``change`` (+1, and -1 when some type has cold time to lose), ``turned_away_change``,
        ``ukp_days_change``, ``cost_change_nok``.
    """
    from dimensioning.workflows.evaluate import yearly_figures

    def figures(shift: float) -> tuple[float, float, float]:
        bed_types = case.bed_types.copy()
        admits = bed_types["when_full"] != "planlagt"
        bed_types.loc[admits, "cold_days"] = (bed_types.loc[admits, "cold_days"] + shift).clip(lower=0.0)
        costs = yearly_figures(case.replace(bed_types=bed_types), allocation)
        return costs["turned_away_per_year"], costs["ukp_days_per_year"], costs["total_cost_nok"]

    base = figures(0.0)
    shifts = [1.0] + ([-1.0] if (case.bed_types["cold_days"] > 0).any() else [])
    rows = []
    for shift in shifts:
        changed = figures(shift)
        rows.append(
            {
                "change": shift,
                "turned_away_change": changed[0] - base[0],
                "ukp_days_change": changed[1] - base[1],
                "cost_change_nok": changed[2] - base[2],
            }
        )
    return pd.DataFrame(rows)


def moves(case: Case, reference: pd.DataFrame, target: pd.DataFrame) -> pd.DataFrame:
    """The steps from ``reference`` to ``target`` as moves of beds, each with its effect.

    Beds are taken where the target has fewer and put where it has more. Moves of one type between
    sites come first, then changes of type at one site, then the rest, each in workbook order, and
    the beds leaving one (site, type) make one step even when they go to several places, so no
    step passes through a one-bed unit that no plan would have. Each step is applied on top of the
    ones before it and valued by the change in yearly cost and patients turned away, so the effects
    add up to the whole difference. Where the totals differ, the surplus opens new beds (no
    source) or closes beds (no destination).

    Returns:
        One row per step (``MOVE_COLUMNS``); ``to`` lists the destinations with their beds.
    """
    index = pd.MultiIndex.from_product([case.site_names, case.bed_type_names], names=["site", "bed_type"])
    before = reference.groupby(["site", "bed_type"])["beds"].sum().reindex(index, fill_value=0)
    after = target.groupby(["site", "bed_type"])["beds"].sum().reindex(index, fill_value=0)
    change = after - before
    sources = [[pair, -int(n)] for pair, n in change.items() if n < 0]
    sinks = [[pair, int(n)] for pair, n in change.items() if n > 0]
    current = before.copy()
    cost, away = yearly_cost(case, _frame(current))
    rows = []
    while sources or sinks:
        source, destinations = _next_step(sources, sinks)
        count = sum(n for _, n in destinations) if destinations else source[1]
        if source is not None:
            current[source[0]] -= count
            source[1] -= count
            if source[1] == 0:
                sources.remove(source)
        for pair, n in destinations:
            current[pair] += n
        new_cost, new_away = yearly_cost(case, _frame(current))
        rows.append(
            {
                "step": len(rows) + 1,
                "beds": count,
                "from_site": source[0][0] if source else "",
                "from_type": source[0][1] if source else "",
                "to": ", ".join(f"{t} på {site} ({n})" for (site, t), n in destinations),
                "cost_change_nok": new_cost - cost,
                "turned_away_change": new_away - away,
            }
        )
        cost, away = new_cost, new_away
    return pd.DataFrame(rows, columns=MOVE_COLUMNS)


def _next_step(sources: list, sinks: list) -> tuple[list | None, list[tuple[tuple[str, str], int]]]:
    """The next source and where all its beds go (taken from ``sinks``), in the order a planner names them.

    The source whose best destination ranks first (the same type elsewhere, then another type at
    the same site, then the rest) goes next, and all its beds are placed, best destinations first.
    Without sources, the remaining sinks are new beds; without sinks, the source's beds close.
    """

    def kind(source: list, sink: list) -> int:
        (from_site, from_type), (to_site, to_type) = source[0], sink[0]
        return 0 if from_type == to_type else 1 if from_site == to_site else 2

    if not sources:
        opened = [(sink[0], sink[1]) for sink in sinks]
        sinks.clear()
        return None, opened
    if not sinks:
        return sources[0], []
    source = min(sources, key=lambda src: min(kind(src, sink) for sink in sinks))
    placed, left = [], source[1]
    for sink in sorted(sinks, key=lambda snk: kind(source, snk)):  # sorted is stable: workbook order
        if left == 0:
            break
        n = min(left, sink[1])
        placed.append((sink[0], n))
        sink[1] -= n
        left -= n
    sinks[:] = [sink for sink in sinks if sink[1] > 0]
    return source, placed


def move_text(row: object) -> str:
    """One step in bokmål: «8 senger fra Demens på Åskollen til Rehabilitering på Bråta (8)»."""
    beds = f"{row.beds} {'seng' if row.beds == 1 else 'senger'}"
    if not row.from_site:
        return f"{beds} nye: {row.to}"
    origin = f"{row.from_type} på {row.from_site}"
    return f"{beds} fra {origin} til {row.to}" if row.to else f"{beds} færre: {origin}"


def _with_change(allocation: pd.DataFrame, site: str, bed_type: str, delta: int) -> pd.DataFrame:
    """The allocation with ``delta`` beds more of ``bed_type`` at ``site``."""
    extra = pd.DataFrame([{"site": site, "bed_type": bed_type, "beds": delta}])
    return pd.concat([allocation[["site", "bed_type", "beds"]], extra], ignore_index=True)


def _frame(beds: pd.Series) -> pd.DataFrame:
    """A (site, type) series of beds as an allocation table."""
    return beds.rename("beds").reset_index()
