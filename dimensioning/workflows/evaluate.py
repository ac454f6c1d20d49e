"""Evaluate any allocation (an alternative or the optimum) with one function: key figures as tidy frames.

Pure pandas and queueing math; the rule check asks the model (one definition of every rule).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dimensioning import queueing
from dimensioning.common.errors import SolverError
from dimensioning.common.labels import simulated_target_message, violation_message
from dimensioning.inputs.case import Case
from dimensioning.inputs.schema import NURSE_SKILL
from dimensioning.model import constraint_violations
from dimensioning.model.params import ward_of
from dimensioning.queueing.seasons import bed_matrix, real_year_blocking, shortfall_real_year, time_varying_blocking


@dataclass(frozen=True)
class Evaluation:
    """Key figures of one allocation.

    Attributes:
        name: Name of the allocation (alternative).
        allocation: ``site, bed_type, beds`` for every pair (zeros included), in case order.
        queueing: Per bed type: ``load_beds, beds, blocking_prob`` (stationary Erlang B),
            ``blocking_mol`` (yearly mean with seasons, modified offered load),
            ``blocking_worst_month``, ``blocking_year`` and ``blocking_year_worst_month`` (the real
            year: seasons and each site's holiday closures, :func:`~.seasons.real_year_blocking`),
            ``blocking_shared``, ``blocking_shared_worst_month`` and ``borrowed_share`` (the same
            year under the free-bed principle, analytic),
            ``max_blocking, occupancy_share, arrivals_per_year,
            when_full`` and what patients miss on the model's real-year curves
            (:func:`~.seasons.shortfall_real_year`, exact): ``turned_away_per_year`` (not served:
            turned away, given up waiting, booked stays not given), ``waiting_days_per_year``
            (``venter``: UKP days for USK), ``unmet_booked_days_per_year`` (``planlagt``),
            ``mean_wait_days`` (over all arrivals), ``p_wait``, ``mean_wait_if_waiting_days``,
            ``turned_away_cost_nok`` and ``waiting_cost_nok``.
        staffing: Per unit and skill group: ``site, bed_type, skill, fte, cost_nok``.
        costs: One row: ``beds, staff_fte, staffing_cost_nok, bed_cost_nok (kostnad_per_plass × beds),
            turned_away_per_year, turned_away_cost_nok, waiting_days_per_year (venter),
            ukp_days_per_year, ukp_cost_nok, ukp_mean_wait_days`` (types that wait in hospital,
            ``ventested`` sykehus: discharge-ready patients, UKP; the mean wait over their arrivals),
            ``unmet_booked_days_per_year (planlagt), waiting_cost_nok, total_cost_nok, broken_rules``.
        violations: Broken rules: ``family, site, bed_type, sense, value, bound, amount, message_nb``.
    """

    name: str
    allocation: pd.DataFrame
    queueing: pd.DataFrame
    staffing: pd.DataFrame
    costs: pd.DataFrame
    violations: pd.DataFrame


def evaluate(
    case: Case,
    allocation: pd.DataFrame,
    name: str = "",
    checker: object | None = None,
    *,
    free_bed: bool = True,
) -> Evaluation:
    """Compute every key figure of an allocation under the case's assumptions.

    Args:
        case: The validated case.
        allocation: ``site, bed_type, beds`` (missing pairs mean 0 beds).
        name: Label of the allocation.
        checker: A model built from the same case, reused for the rule check (saves a build).
        free_bed: Compute the year under the free-bed principle (``blocking_shared``); off, those
            columns equal the year without borrowing (faster; the multi-year tables).

    Returns:
        The evaluation. Its ``total_cost_nok`` equals the MIP objective without the tie-break
        wherever the shortfall cost curves are convex (elsewhere the MIP uses their envelope, which
        can only be lower).
    """
    full = _complete(case, allocation)
    per_type = _queueing_table(case, full, free_bed)
    staffing = _staffing_table(case, full)
    violations = constraint_violations(case, full, checker)
    violations["message_nb"] = [
        violation_message(r.family, r.site, r.bed_type, r.sense, r.value, r.bound, r.detail)
        for r in violations.itertuples()
    ]
    costs = _cost_row(case, per_type, staffing, full, violations)
    return Evaluation(name, full, per_type, staffing, costs, violations)


def targets_hold(
    case: Case,
    share: np.ndarray,
    wait: np.ndarray | None = None,
    share_margin: np.ndarray | float = 0.0,
    wait_margin: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Whether each type (case order) meets its targets: ``maks_avvisning`` and ``maks_ventetid_dager``.

    The share not served must be within ``maks_avvisning`` (1 = no target); a type with
    ``maks_ventetid_dager`` must also keep its mean wait within it.

    The margins are the half-widths of simulated 95 % intervals (0 for computed figures): a target
    holds while the simulation cannot tell the figure from it.
    """
    bt = case.bed_types.reindex(case.bed_type_names)
    target = bt["max_blocking"].to_numpy(dtype=float)
    holds = (target >= 1.0) | (np.asarray(share, dtype=float) - share_margin <= target + 1e-12)
    if wait is not None:
        max_wait = bt["max_mean_wait_days"].astype(float).to_numpy()
        wait = np.asarray(wait, dtype=float)
        holds &= np.isnan(max_wait) | np.isnan(wait) | (wait - np.nan_to_num(wait_margin) <= max_wait + 1e-12)
    return holds


def yearly_cost(case: Case, allocation: pd.DataFrame) -> tuple[float, float]:
    """Yearly cost (NOK) and patients turned away per year of an allocation, without the rule check.

    The same figures as :func:`evaluate`'s ``total_cost_nok`` and ``turned_away_per_year`` (one
    definition), for the many small what-ifs that explain a recommendation.
    """
    figures = yearly_figures(case, allocation)
    return figures["total_cost_nok"], figures["turned_away_per_year"]


def yearly_figures(case: Case, allocation: pd.DataFrame) -> dict[str, float]:
    """:func:`yearly_cost`'s figures and the UKP days (``ukp_days_per_year``), without the rule check."""
    full = _complete(case, allocation)
    per_type = _shortfall(case, full)
    shortfall_cost = float(per_type[["turned_away_cost_nok", "waiting_cost_nok"]].to_numpy().sum())
    hospital = per_type.reindex(case.ukp_types)  # indexed by bed type
    return {
        "total_cost_nok": fixed_yearly_cost(case, full) + shortfall_cost,
        "turned_away_per_year": float(per_type["turned_away_per_year"].sum()),
        "ukp_days_per_year": float(hospital["waiting_days_per_year"].sum()),
    }


def fixed_yearly_cost(case: Case, allocation: pd.DataFrame) -> float:
    """Yearly NOK of an allocation that does not depend on the patients: staff, ``kostnad_per_plass``, moves.

    The same figures as :func:`evaluate`'s ``staffing_cost_nok + bed_cost_nok + moving_cost_nok``
    (one definition).
    """
    full = _complete(case, allocation)
    staffing = float(_staffing_table(case, full)["cost_nok"].sum())
    moving = moved_beds(case, full) * case.settings.moving_cost_per_bed_year
    return staffing + float(case.settings.cost_per_bed) * int(full["beds"].sum()) + moving


def moved_beds(case: Case, allocation: pd.DataFrame) -> int:
    """Beds placed beyond the reference alternative's at each site and type (0 without a reference)."""
    reference = case.reference_beds
    if not reference:
        return 0
    beds: dict[tuple[str, str], int] = {}
    for key in zip(allocation["site"], allocation["bed_type"], allocation["beds"], strict=True):
        beds[key[:2]] = beds.get(key[:2], 0) + int(key[2])
    return int(sum(max(0, beds.get(key, 0) - ref) for key, ref in reference.items()))


def _complete(case: Case, allocation: pd.DataFrame) -> pd.DataFrame:
    """Every (site, type) pair in case order, with beds (0 where the allocation has none)."""
    beds = bed_matrix(case, allocation)  # (S, T), missing pairs 0
    sites, types = case.site_names, case.bed_type_names
    return pd.DataFrame(
        {"site": np.repeat(sites, len(types)), "bed_type": np.tile(types, len(sites)), "beds": beds.ravel()}
    )


def _pooled(case: Case, full: pd.DataFrame) -> pd.Series:
    """Pooled beds per bed type (case order) of an allocation."""
    return pd.Series(bed_matrix(case, full).sum(axis=0), index=pd.Index(case.bed_type_names, name="bed_type"))


def _shortfall(case: Case, full: pd.DataFrame) -> pd.DataFrame:
    """What patients miss per year and its cost per bed type, on the model's real-year curves."""
    return shortfall_real_year(case, _pooled(case, full))


def _queueing_table(case: Case, full: pd.DataFrame, free_bed: bool = True) -> pd.DataFrame:
    """Pooled beds, blocking, occupancy and patients turned away per bed type."""
    types = case.bed_types
    beds = _pooled(case, full)
    load = case.load_beds.reindex(case.bed_type_names)
    blocking = queueing.erlang_b(beds.to_numpy(), load.to_numpy())
    arrivals = types["arrivals_per_year"].to_numpy(dtype=float)
    varying = time_varying_blocking(case, beds).reindex(case.bed_type_names)
    year = real_year_blocking(case, full, free_bed=free_bed).reindex(case.bed_type_names)
    # the cost basis is the model's real-year curve, as in the MIP objective
    away = _shortfall(case, full)
    columns = {
        "bed_type": np.asarray(case.bed_type_names, dtype=object),
        "load_beds": load.to_numpy(),
        "beds": beds.to_numpy(dtype=int),
        "min_beds_for_target": case.min_beds_for_target.to_numpy(),
        "blocking_prob": blocking,
        "blocking_mol": varying["blocking_mol"].to_numpy(),
        "blocking_worst_month": varying["blocking_worst_month"].to_numpy(),
        "blocking_year": year["blocking_year"].to_numpy(),
        "blocking_year_worst_month": year["blocking_year_worst_month"].to_numpy(),
        "blocking_shared": year["blocking_shared"].to_numpy(),
        "blocking_shared_worst_month": year["blocking_shared_worst_month"].to_numpy(),
        "borrowed_share": year["borrowed_share"].to_numpy(),
        "max_blocking": types["max_blocking"].to_numpy(dtype=float),
        "occupancy_share": queueing.occupancy(beds.to_numpy(), load.to_numpy()),
        "arrivals_per_year": arrivals,
        "when_full": types["when_full"].to_numpy(),
        "wait_place": np.where(types["when_full"] == "venter", types["wait_place"], ""),
        **{column: away[column].to_numpy() for column in away.columns},
    }
    return pd.DataFrame(_computed_record(columns, case, year["blocking_year_worst_month"].to_numpy()))


SHORTFALL_COLUMNS = (
    "turned_away_per_year",
    "waiting_days_per_year",
    "unmet_booked_days_per_year",
    "mean_wait_days",
    "p_wait",
    "mean_wait_if_waiting_days",
    "turned_away_cost_nok",
    "waiting_cost_nok",
)
"""What patients miss, per type: figures of record, kept as ``<name>_computed`` from the model's curves."""


def _computed_record(columns: dict[str, np.ndarray], case: Case, worst_month: np.ndarray) -> dict[str, np.ndarray]:
    """The figures of record while nothing is simulated: the model's own curves (``record_source`` beregnet).

    ``share_not_served`` is the share of patients (booked stays: booked days) not served on the
    real-year curve the MIP prices, so the share, the counts and the costs are one evaluation.
    """
    out = dict(columns)
    for column in (*SHORTFALL_COLUMNS, "occupancy_share"):
        out[f"{column}_computed"] = out[column]
    booked = out["when_full"] == "planlagt"
    arrivals = out["arrivals_per_year"].astype(float)
    los = case.bed_types["los_days"].reindex(out["bed_type"]).to_numpy(dtype=float)
    demand = np.where(booked, arrivals * los, arrivals)
    missed = np.where(booked, out["unmet_booked_days_per_year"], out["turned_away_per_year"]).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(demand > 0, missed / demand, 0.0)
    n = len(share)
    out["share_not_served"] = share
    out["share_not_served_ci"] = np.zeros(n)
    out["share_worst_month"] = worst_month
    out["mean_wait_ci"] = np.where(out["when_full"] == "venter", 0.0, np.nan)
    out["lent_per_year"] = np.full(n, np.nan)
    out["target_holds"] = targets_hold(case, share, out["mean_wait_days"].astype(float))
    out["record_source"] = np.full(n, "beregnet", dtype=object)
    _mark_unbounded(case, out)
    return out


UNBOUNDED_COLUMNS = ("waiting_days_per_year", "mean_wait_days", "mean_wait_if_waiting_days", "waiting_cost_nok")
"""What a queue that grows without bound has no finite value of (``inf``; the reports say «ubegrenset»)."""


def _unbounded_queues(case: Case, queue: pd.DataFrame) -> pd.DataFrame:
    """Mark the waiting types whose queue grows without bound at these beds (``queue_unbounded``).

    A ``venter`` type without patience below :attr:`~.case.Case.min_stable_beds` has no mean
    wait: its days waited, waits and their cost are ``inf`` (the simulation's finite figures
    grow with its horizon, the model's are capped), its targets do not hold, and so the plan's
    total cost is ``inf`` too. The ``_computed`` references say the same.
    """
    out = queue.copy()
    _mark_unbounded(case, out)
    return out


def _mark_unbounded(case: Case, out: pd.DataFrame | dict[str, np.ndarray]) -> None:
    """:func:`_unbounded_queues` in place, on a per-type table or its columns."""
    needed = case.min_stable_beds.reindex(out["bed_type"]).to_numpy()
    unbounded = (needed > 0) & (np.asarray(out["beds"]) < needed)
    out["queue_unbounded"] = unbounded
    if unbounded.any():
        for column in UNBOUNDED_COLUMNS:
            for name in (column, f"{column}_computed"):
                if name in out:
                    out[name] = np.where(unbounded, np.inf, np.asarray(out[name], dtype=float))
        out["target_holds"] = np.asarray(out["target_holds"], dtype=bool) & ~unbounded


def of_record(case: Case, evaluation: Evaluation, simulated: pd.DataFrame) -> Evaluation:
    """The evaluation with what patients miss taken from the simulation: the evaluation of record.

    ``simulated`` is the plan's rows of :func:`~.verify.simulated_table` (the case's own rules:
    seasons, holiday closures with whole beds, the sharing rule, queues and bookings). Share not
    served, patients turned away or giving up, days waited (UKP days), booked days not given,
    mean wait and their costs, and so the total cost, all come from it; the model's own figures
    stay beside them as ``<name>_computed`` (a reference, labelled as such in the reports).
    """
    rows = simulated[simulated["alternative"] == evaluation.name].set_index("bed_type")
    queue = evaluation.queueing.copy()
    rows = rows.reindex(queue["bed_type"])
    kind = queue["when_full"].to_numpy()
    waits, booked = kind == "venter", kind == "planlagt"
    share = rows["blocking_sim"].to_numpy(dtype=float)
    arrivals = queue["arrivals_per_year"].to_numpy(dtype=float)
    away = np.where(booked, share * arrivals, rows["turned_away_sim"].to_numpy(dtype=float))
    days = np.where(waits, rows["waiting_days_sim"].to_numpy(dtype=float), 0.0)
    unmet = np.where(booked, rows["unmet_booked_days_sim"].to_numpy(dtype=float), 0.0)
    p_wait = np.where(waits, rows["p_wait_sim"].to_numpy(dtype=float), np.nan)
    mean_wait = np.where(waits, rows["mean_wait_sim"].to_numpy(dtype=float), np.nan)
    away_price, wait_price = case.shortfall_prices
    order = [case.bed_type_names.index(t) for t in queue["bed_type"]]
    with np.errstate(invalid="ignore", divide="ignore"):
        if_waiting = np.where(waits & (p_wait > 0), mean_wait / p_wait, np.where(waits, 0.0, np.nan))
    queue["turned_away_per_year"] = np.nan_to_num(away)
    queue["waiting_days_per_year"] = np.nan_to_num(days)
    queue["unmet_booked_days_per_year"] = np.nan_to_num(unmet)
    queue["mean_wait_days"] = mean_wait
    queue["p_wait"] = p_wait
    queue["mean_wait_if_waiting_days"] = if_waiting
    queue["turned_away_cost_nok"] = queue["turned_away_per_year"] * away_price[order]
    missed_days = queue["waiting_days_per_year"] + queue["unmet_booked_days_per_year"]
    queue["waiting_cost_nok"] = missed_days * wait_price[order]
    queue["share_not_served"] = share
    queue["share_not_served_ci"] = rows["blocking_ci"].to_numpy(dtype=float)
    queue["share_worst_month"] = rows["worst_month_sim"].to_numpy(dtype=float)
    queue["mean_wait_ci"] = np.where(waits, rows["mean_wait_ci"].to_numpy(dtype=float), np.nan)
    queue["lent_per_year"] = rows["lent_per_year"].to_numpy(dtype=float)
    queue["occupancy_share_computed"] = queue["occupancy_share"]
    queue["occupancy_share"] = rows["occupancy_sim"].to_numpy(dtype=float)  # NaN: no beds
    queue["target_holds"] = rows["holds"].to_numpy(dtype=bool)
    queue["record_source"] = "simulert"
    queue = _unbounded_queues(case, queue)
    costs = _cost_row(case, queue, evaluation.staffing, evaluation.allocation, evaluation.violations)
    return dataclasses.replace(evaluation, queueing=queue, costs=costs)


def _cost_row(
    case: Case, per_type: pd.DataFrame, staffing: pd.DataFrame, full: pd.DataFrame, violations: pd.DataFrame
) -> pd.DataFrame:
    """One row of totals: staffing, beds and what patients miss, as the per-type table says."""
    staffing_cost = float(staffing["cost_nok"].sum())
    bed_cost = float(case.settings.cost_per_bed) * int(full["beds"].sum())
    turned_away_cost = float(per_type["turned_away_cost_nok"].sum())
    waiting_cost = float(per_type["waiting_cost_nok"].sum())
    hospital = per_type[per_type["bed_type"].isin(case.ukp_types)]
    moved = moved_beds(case, full)
    moving_cost = moved * case.settings.moving_cost_per_bed_year
    return pd.DataFrame(
        [
            {
                "beds": int(full["beds"].sum()),
                "staff_fte": float(staffing["fte"].sum()),
                "staffing_cost_nok": staffing_cost,
                "bed_cost_nok": bed_cost,
                "turned_away_per_year": float(per_type["turned_away_per_year"].sum()),
                "turned_away_cost_nok": turned_away_cost,
                "waiting_days_per_year": float(per_type["waiting_days_per_year"].sum()),
                "ukp_days_per_year": float(hospital["waiting_days_per_year"].sum()),
                "ukp_cost_nok": float(hospital["waiting_cost_nok"].sum()),
                "ukp_mean_wait_days": _mean_wait(hospital),
                "unmet_booked_days_per_year": float(per_type["unmet_booked_days_per_year"].sum()),
                "waiting_cost_nok": waiting_cost,
                "moved_beds": moved,
                "moving_cost_nok": moving_cost,
                "total_cost_nok": staffing_cost + bed_cost + turned_away_cost + waiting_cost + moving_cost,
                "broken_rules": len(violations),
            }
        ]
    )


def _mean_wait(rows: pd.DataFrame) -> float:
    """Mean wait over all arrivals of these types (days); NaN when there are none."""
    arrivals = rows["arrivals_per_year"].sum()
    return float(rows["waiting_days_per_year"].sum() / arrivals) if arrivals > 0 else float("nan")


def _staffing_table(case: Case, full: pd.DataFrame) -> pd.DataFrame:
    r"""FTE and cost per unit and skill group, with the nurse minimum per ward.

    Care FTE of a unit is :math:`\phi_t x_{s,t}`, split by the skill mix. The nurses of a ward
    (the types sharing an ``avdeling`` at a site) are at least the minimum for one nurse on every
    shift: :math:`n_{s,g} = \max(\sigma_{nurse} \sum_{t \in g} \phi_t x_{s,t}, F^{min})`, the rule
    the MIP's staffing family encodes. The ward's nurses are shared among its units in proportion
    to their own nurse need (by beds when that is zero), so the units add up to the ward.
    """
    units = full[full["beds"] > 0].reset_index(drop=True)  # in case order: site, then type
    wards = ward_of(case)
    units["ward"] = units["bed_type"].map(wards)
    pleiefaktor = units["bed_type"].map(case.bed_types["care_fte_per_bed"]).to_numpy(dtype=float)
    care_fte = pleiefaktor * units["beds"].to_numpy(dtype=float)
    nurse_share = float(case.skills.at[NURSE_SKILL, "share"])
    nurse_fte = _nurses_per_unit(units, care_fte * nurse_share, case.settings.min_nurse_fte_per_unit)
    columns = ["site", "bed_type", "ward", "skill", "fte", "cost_nok"]
    skills = case.skills
    if skills.empty or units.empty:
        return pd.DataFrame(columns=columns)
    # one row per unit and skill group, unit by unit, the groups in workbook order
    shares = skills["share"].to_numpy(dtype=float)
    fte = care_fte[:, None] * shares[None, :]
    nurse = skills.index == NURSE_SKILL
    fte[:, nurse] = nurse_fte[:, None]
    cost = fte * skills["cost_per_fte"].to_numpy(dtype=float)[None, :]
    count = len(skills)
    return pd.DataFrame(
        {
            "site": np.repeat(units["site"].to_numpy(), count),
            "bed_type": np.repeat(units["bed_type"].to_numpy(), count),
            "ward": np.repeat(units["ward"].to_numpy(), count),
            "skill": np.tile(skills.index.to_numpy(), len(units)),
            "fte": fte.ravel(),
            "cost_nok": cost.ravel(),
        }
    )[columns]


def _nurses_per_unit(units: pd.DataFrame, need: np.ndarray, minimum: float) -> np.ndarray:
    """Each ward's nurses, ``max(sum of need, minimum)``, shared among its units by need (or beds)."""
    result = np.zeros(len(units))
    beds = units["beds"].to_numpy(dtype=float)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(units["site"], units["ward"], strict=True)):
        groups.setdefault(key, []).append(i)
    for index in groups.values():
        rows = np.asarray(index)
        weights = need[rows] if need[rows].sum() > 0 else beds[rows]
        result[rows] = max(need[rows].sum(), minimum) * weights / weights.sum()
    return result


def with_simulated_targets(evaluation: Evaluation, simulated: pd.DataFrame) -> Evaluation:
    """The rules an allocation breaks, with its targets judged by the simulation (the evaluation of record).

    The analytic blocking-target rows (``blocking_target``: the model's curve of each type alone)
    are replaced by one row per type whose simulated share not served, or mean wait, misses its
    target beyond the 95 % interval, so "rules broken" says what the simulation says.
    """
    rows = simulated[(simulated["alternative"] == evaluation.name) & ~simulated["holds"]]
    kept = evaluation.violations[evaluation.violations["family"] != "blocking_target"]
    added = pd.DataFrame(
        [
            {
                "family": "blocking_target",
                "site": "",
                "bed_type": r.bed_type,
                "sense": "<=",
                "value": float(r.blocking_sim),
                "bound": float(r.max_blocking),
                "amount": max(0.0, float(r.blocking_sim - r.max_blocking)),
                "message_nb": simulated_target_message(r),
            }
            for r in rows.itertuples()
        ],
        columns=kept.columns,
    )
    violations = pd.concat([kept, added], ignore_index=True) if not added.empty else kept.reset_index(drop=True)
    costs = evaluation.costs.assign(broken_rules=len(violations))
    return dataclasses.replace(evaluation, violations=violations, costs=costs)


def refuse_rule_breaking_optimum(evaluation: Evaluation, judged_by_simulation: bool = False) -> None:
    """Never call a solution optimal when the model's own rules, checked afresh, say it breaks them.

    The solver works in floating point; absurd but valid-looking numbers could in principle let
    it report a plan that rounds into a breach. Input domains make this unlikely; this is the
    second guard.

    Raises:
        SolverError: Naming the rules the plan breaks.
    """
    broken = evaluation.violations
    if judged_by_simulation:  # the targets are the simulation's to judge, and its verdict is reported
        broken = broken[broken["family"] != "blocking_target"]
    if broken.empty:
        return
    lines = ["Løseren fant en fordeling som ikke holder modellens egne krav (numerisk usikkert svar):"]
    lines += [f"  - {message}" for message in broken["message_nb"].head(10)]
    lines.append("Sjekk inndata for svært store eller svært små tall.")
    raise SolverError("\n".join(lines))
