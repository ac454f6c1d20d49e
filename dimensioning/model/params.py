"""Model data: everything the MIP needs, precomputed from a :class:`~dimensioning.inputs.case.Case`.

This module is pure pandas/numpy (no Pyomo objects are built here except in :func:`add_params`):
queueing outputs become tables before any model component exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from dimensioning import queueing
from dimensioning.inputs.case import Case
from dimensioning.inputs.schema import NURSE_SKILL

Pair = tuple[str, str]
STEP_GAIN_CUTOFF = 1e-9
STEP_COST_CUTOFF = 1e-6


@dataclass(frozen=True)
class ModelData:
    """Plain data for the model, keyed by site and bed-type names.

    Attributes:
        sites: Site names, in input order.
        bed_types: Bed-type names, in input order.
        total_beds: Fewest beds in all (the fixed total when ``total_beds_max`` equals it).
        total_beds_max: Most beds in all.
        cost_per_bed: Yearly NOK per bed besides care staff (the price of a bed when the total is free).
        site_beds: Bed capacity per site.
        single_rooms: Single rooms (with or without bath) per site.
        bath_rooms: Single rooms with own bath per site.
        screened_rooms: Screened day rooms per site.
        forbidden_pairs: ``(site, type) -> [missing facility labels]`` where a type needs a facility
            the site lacks.
        needs_single, needs_bath, needs_screened: Types with that room requirement.
        min_unit_beds: Smallest unit per type.
        ward_of: The ward each type belongs to at a site (``avdeling``; the type's own name when blank).
        max_sites: Largest number of sites per type (None = no limit).
        min_beds_for_target: Smallest pooled bed count meeting the blocking target.
        min_stable_beds: Fewest pooled beds whose waiting queue does not grow without bound
            (``venter`` types without patience; 0 for the others).
        care_fte_per_bed: ``pleiefaktor`` per type (care FTE per bed).
        skill_share: Share of the care FTE per skill group (``Bemanning.andel``).
        nurse_skill: The skill group whose FTE are the wards' nurses (with their minimum).
        available_fte: FTE the kommune can staff per skill group, where ``tilgjengelige_aarsverk``
            is given (a group without a limit is not a key).
        max_beds_per_type: Upper bound on pooled beds of one type (for the turned-away curve).
        turned_away_curve: ``type -> array`` of expected patients not served per year at
            ``0..max_beds_per_type`` beds (turned away, given up waiting, booked stays not given).
        shortfall_cost_curve: ``type -> array`` of the yearly NOK of what patients miss (turned
            away, days waited, booked days not given) at ``0..max_beds_per_type`` beds: the lower
            convex envelope of the exact curve (:attr:`~dimensioning.inputs.case.Case.shortfall_cost_curve`),
            equal to it wherever that is convex.
        other_cost_per_bed: Yearly NOK per bed for the non-nurse skill groups, per type.
        nurse_fte_per_bed: Nurse FTE per bed (pleiefaktor times nurse share), per type.
        nurse_cost_per_fte: Yearly NOK per nurse FTE.
        min_nurse_fte: Minimum nurse FTE per unit.
        policy_min, policy_max: Policy bounds per ``(site, type)``.
        tie_break_weight: Tie-break weight per ``(site, type)``: the natural logarithm of the
            i-th prime for the i-th pair in workbook order (see the objective).
        option_beds: Beds that capacity options may add per site (the multi-year plan; empty in
            one year): the unit link's bound is the site's beds plus these.
        reference_beds: Beds per ``(site, type)`` of the reference alternative, where moves are
            counted from (empty: no moves counted).
        moving_cost_per_bed_year: Yearly NOK per bed moved (the one-off cost as an annuity).
        max_moved_beds: Most beds moved (None: any).
    """

    sites: list[str]
    bed_types: list[str]
    total_beds: int
    total_beds_max: int
    cost_per_bed: float
    site_beds: dict[str, int]
    single_rooms: dict[str, int]
    bath_rooms: dict[str, int]
    screened_rooms: dict[str, int]
    forbidden_pairs: dict[Pair, list[str]]
    needs_single: list[str]
    needs_bath: list[str]
    needs_screened: list[str]
    min_unit_beds: dict[str, int]
    ward_of: dict[str, str]
    max_sites: dict[str, int | None]
    min_beds_for_target: dict[str, int]
    max_beds_per_type: int
    turned_away_curve: dict[str, np.ndarray]
    shortfall_cost_curve: dict[str, np.ndarray]
    other_cost_per_bed: dict[str, float]
    nurse_fte_per_bed: dict[str, float]
    nurse_cost_per_fte: float
    min_nurse_fte: float
    policy_min: dict[Pair, int]
    policy_max: dict[Pair, int]
    tie_break_weight: dict[Pair, float]
    option_beds: dict[str, int] = field(default_factory=dict)
    reference_beds: dict[Pair, int] = field(default_factory=dict)
    moving_cost_per_bed_year: float = 0.0
    max_moved_beds: int | None = None
    min_stable_beds: dict[str, int] = field(default_factory=dict)
    care_fte_per_bed: dict[str, float] = field(default_factory=dict)
    skill_share: dict[str, float] = field(default_factory=dict)
    nurse_skill: str = ""
    available_fte: dict[str, float] = field(default_factory=dict)

    @property
    def counts_moves(self) -> bool:
        """Moves from the reference alternative are priced or limited (the moved-beds family applies)."""
        return bool(self.reference_beds) and (self.moving_cost_per_bed_year > 0 or self.max_moved_beds is not None)

    @property
    def pairs(self) -> list[Pair]:
        """Every (site, bed type) pair, sites outermost."""
        return [(s, t) for s in self.sites for t in self.bed_types]

    @property
    def structure_key(self) -> tuple:
        """What fixes the model's shape in sweep mode; data with the same key only change parameters."""
        return (
            tuple(self.sites),
            tuple(self.bed_types),
            tuple(sorted(self.ward_of.items())),
            self.total_is_fixed,
            self.max_beds_per_type,
            tuple(sorted(self.forbidden_pairs)),
            tuple(self.needs_single),
            tuple(self.needs_bath),
            tuple(self.needs_screened),
            tuple(sorted(self.policy_min)),
            tuple(sorted(self.policy_max)),
            self.counts_moves,
            self.max_moved_beds is not None,
            tuple(self.skill_share),
        )

    @property
    def total_is_fixed(self) -> bool:
        """True when the total is one number (``totalt_antall_plasser``), not a range."""
        return self.total_beds == self.total_beds_max

    def step_gains(self) -> dict[tuple[str, int], float]:
        r"""Change in patients not served per year from the (k+1)-th bed, :math:`L_t(k+1) - L_t(k)`.

        Gains smaller than ``STEP_GAIN_CUTOFF`` patients per year are set to 0, which keeps the
        solver free of meaningless tiny coefficients (far out in the tail of the curve).
        """
        return _steps(self.turned_away_curve, self.bed_types, STEP_GAIN_CUTOFF)

    def step_costs(self) -> dict[tuple[str, int], float]:
        r"""Change in the yearly shortfall cost from the (k+1)-th bed, :math:`K_t(k+1) - K_t(k)` (NOK).

        Changes smaller than ``STEP_COST_CUTOFF`` NOK a year are set to 0, as for the gains.
        """
        return _steps(self.shortfall_cost_curve, self.bed_types, STEP_COST_CUTOFF)


#: What a skill group without ``tilgjengelige_aarsverk`` may use: more than any plan needs.
NO_STAFF_LIMIT = 1e7


def _steps(curves: dict[str, np.ndarray], bed_types: list[str], cutoff: float) -> dict[tuple[str, int], float]:
    """``(type, k) -> curve[k + 1] - curve[k]``, with changes smaller than ``cutoff`` set to 0."""
    steps = {}
    for t in bed_types:
        diff = np.diff(curves[t])
        diff[np.abs(diff) < cutoff] = 0.0
        for k, value in enumerate(diff):
            steps[t, k] = float(value)
    return steps


def model_data(case: Case) -> ModelData:
    """Precompute the model's data from a case.

    Args:
        case: The validated case.

    Returns:
        The model data.
    """
    sites, types = case.sites, case.bed_types
    names_s, names_t = case.site_names, case.bed_type_names
    total_low, total_high = case.settings.total_bounds(int(sites["beds"].sum()))
    max_beds = case.max_pooled_beds
    # the real year: seasons and holiday closures (the stationary Erlang B is a reference column only)
    yearly = case.real_year_curves.yearly
    curve = {t: yearly[:, i] for i, t in enumerate(names_t)}
    envelope = queueing.lower_convex_envelope(case.shortfall_cost_curve)
    cost_curve = {t: envelope[:, i] for i, t in enumerate(names_t)}

    skills = case.skills
    nurse_share = float(skills.at[NURSE_SKILL, "share"])
    others = skills.drop(index=NURSE_SKILL)
    other_cost_per_fte = float((others["share"] * others["cost_per_fte"]).sum())

    policies = case.policies
    policy_min = {(r.site, r.bed_type): int(r.min_beds) for r in policies.itertuples() if r.min_beds > 0}
    policy_max = {
        (r.site, r.bed_type): int(r.max_beds)
        for r in policies.itertuples()
        if r.max_beds is not None and not pd.isna(r.max_beds)
    }
    site_columns = ("beds", "single_rooms_bath", "single_rooms_no_bath", "screened_rooms")
    site = {name: sites[name].to_dict() for name in site_columns}
    kind = {
        name: types[name].to_dict()
        for name in ("needs_single_room", "needs_bath", "needs_screened_room", "min_unit_beds", "max_sites")
    }
    care = {t: float(v) for t, v in types["care_fte_per_bed"].to_dict().items()}
    return ModelData(
        sites=names_s,
        bed_types=names_t,
        total_beds=total_low,
        total_beds_max=total_high,
        cost_per_bed=float(case.settings.cost_per_bed),
        site_beds={s: int(site["beds"][s]) for s in names_s},
        single_rooms={s: int(site["single_rooms_bath"][s] + site["single_rooms_no_bath"][s]) for s in names_s},
        bath_rooms={s: int(site["single_rooms_bath"][s]) for s in names_s},
        screened_rooms={s: int(site["screened_rooms"][s]) for s in names_s},
        forbidden_pairs=dict(case.missing_facilities),
        needs_single=[t for t in names_t if kind["needs_single_room"][t]],
        needs_bath=[t for t in names_t if kind["needs_bath"][t]],
        needs_screened=[t for t in names_t if kind["needs_screened_room"][t]],
        min_unit_beds={t: int(kind["min_unit_beds"][t]) for t in names_t},
        ward_of=ward_of(case),
        max_sites={t: _optional_int(kind["max_sites"][t]) for t in names_t},
        min_beds_for_target={t: int(v) for t, v in case.min_beds_for_target.items()},
        max_beds_per_type=max_beds,
        turned_away_curve=curve,
        shortfall_cost_curve=cost_curve,
        other_cost_per_bed={t: care[t] * other_cost_per_fte for t in names_t},
        nurse_fte_per_bed={t: care[t] * nurse_share for t in names_t},
        nurse_cost_per_fte=float(skills.at[NURSE_SKILL, "cost_per_fte"]),
        min_nurse_fte=case.settings.min_nurse_fte_per_unit,
        policy_min=policy_min,
        policy_max=policy_max,
        tie_break_weight=_prime_log_weights([(s, t) for s in names_s for t in names_t]),
        reference_beds=case.reference_beds,
        moving_cost_per_bed_year=case.settings.moving_cost_per_bed_year,
        max_moved_beds=case.settings.max_moved_beds,
        min_stable_beds={t: int(v) for t, v in case.min_stable_beds.items()},
        care_fte_per_bed={t: care[t] for t in names_t},
        skill_share={str(k): float(v) for k, v in skills["share"].items()},
        nurse_skill=NURSE_SKILL,
        available_fte={
            str(k): float(v)
            for k, v in skills.get("available_fte", pd.Series(dtype=float)).items()
            if v is not None and not pd.isna(v)
        },
    )


def ward_of(case: Case) -> dict[str, str]:
    """The ward of each bed type: its ``avdeling``, or its own name when blank (a ward of its own)."""
    wards = case.bed_types["ward"].to_dict()
    return {t: str(wards[t] or "") or t for t in case.bed_type_names}


def wards(data: ModelData) -> list[str]:
    """Wards in the order their first type appears in the workbook."""
    return list(dict.fromkeys(data.ward_of[t] for t in data.bed_types))


def _optional_int(value: object) -> int | None:
    """None for a blank (None/NaN) cell, else the whole number."""
    if value is None or pd.isna(value):
        return None
    return int(value)


def _prime_log_weights(pairs: list[Pair]) -> dict[Pair, float]:
    r"""Weight :math:`\ln p_i` for the i-th pair, :math:`p_i` the i-th prime.

    By unique factorisation :math:`\sum_i d_i \ln p_i = 0` for integers :math:`d_i` only if every
    :math:`d_i = 0`, so two different allocations never have the same tie-break value.
    """
    primes: list[int] = []
    candidate = 2
    while len(primes) < len(pairs):
        if all(candidate % p for p in primes if p * p <= candidate):
            primes.append(candidate)
        candidate += 1
    return {pair: float(np.log(p)) for pair, p in zip(pairs, primes, strict=True)}


def param_values(data: ModelData) -> dict[str, object]:
    """Values of every mutable parameter, keyed by component name (scalars or dicts by index)."""
    n_sites = len(data.sites)
    gains = data.step_gains()
    step_costs = data.step_costs()
    return {
        "p_total_beds": data.total_beds,
        "p_total_beds_max": data.total_beds_max,
        "p_cost_per_bed": data.cost_per_bed,
        "p_site_beds": data.site_beds,
        "p_single_rooms": data.single_rooms,
        "p_bath_rooms": data.bath_rooms,
        "p_screened_rooms": data.screened_rooms,
        "p_min_beds": data.min_beds_for_target,
        "p_min_stable": {t: data.min_stable_beds.get(t, 0) for t in data.bed_types},
        "p_available_fte": {k: data.available_fte.get(k, NO_STAFF_LIMIT) for k in data.skill_share},
        "p_care_fte_per_bed": {t: data.care_fte_per_bed.get(t, 0.0) for t in data.bed_types},
        "p_skill_share": dict(data.skill_share),
        "p_min_unit": data.min_unit_beds,
        "p_max_sites": {t: n_sites if k is None else k for t, k in data.max_sites.items()},
        "p_policy_min": {pair: data.policy_min.get(pair, 0) for pair in _policy_pairs(data)},
        "p_policy_max": {pair: data.policy_max.get(pair, data.max_beds_per_type) for pair in _policy_pairs(data)},
        "p_other_cost_per_bed": data.other_cost_per_bed,
        "p_nurse_fte_per_bed": data.nurse_fte_per_bed,
        "p_nurse_cost": data.nurse_cost_per_fte,
        "p_min_nurse_fte": data.min_nurse_fte,
        "p_turned_away_at_zero": {t: float(data.turned_away_curve[t][0]) for t in data.bed_types},
        "p_shortfall_cost_at_zero": {t: float(data.shortfall_cost_curve[t][0]) for t in data.bed_types},
        "p_step_gain": gains,
        "p_step_cost": step_costs,
        "p_reference_beds": {pair: data.reference_beds.get(pair, 0) for pair in data.pairs},
        "p_moving_cost": data.moving_cost_per_bed_year,
        "p_max_moved": data.max_moved_beds
        if data.max_moved_beds is not None
        else data.max_beds_per_type * len(data.sites),
    }


def step_bounds(data: ModelData) -> tuple[dict[tuple[str, int], int], dict[tuple[str, int], int]]:
    r"""Bounds that fix the bed steps no feasible plan can change.

    The blocking target and a waiting queue's stability give :math:`c_t \ge c^{min}_t`, so the
    first :math:`c^{min}_t` steps are 1;
    the fixed total gives :math:`c_t \le N - \sum_{u \ne t} c^{min}_u`, so later steps are 0.
    Presolve then drops them, which halves HiGHS's time on the Drammen case. They are plain
    variable bounds, not parameters: a sweep changes only the few that move (see
    :func:`update_params`), which keeps the persistent solver's update cheap.
    """
    lower, upper = {}, {}
    needed = {t: max(data.min_beds_for_target[t], data.min_stable_beds.get(t, 0)) for t in data.bed_types}
    total_min = sum(needed.values())
    for t in data.bed_types:
        low = needed[t]
        high = data.total_beds_max - (total_min - low)
        for k in range(data.max_beds_per_type):
            lower[t, k] = int(k < low)
            upper[t, k] = int(k < max(high, low))
    return lower, upper


def _policy_pairs(data: ModelData) -> list[Pair]:
    """Pairs with a policy row (minimum or maximum), in sorted order."""
    return sorted(set(data.policy_min) | set(data.policy_max))


def add_params(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Declare the parameters that enter the constraints and the objective.

    Every parameter has a ``within=`` domain as a second guard behind input validation, and is
    mutable, so a sweep changes values with :func:`update_params` instead of rebuilding.
    """
    whole, real, anyreal = pyo.NonNegativeIntegers, pyo.NonNegativeReals, pyo.Reals
    m.POLICY = pyo.Set(initialize=_policy_pairs(data), dimen=2, ordered=True, doc="Policy pairs")
    specs = (
        ("p_total_beds", (), whole, "Fewest beds in all (totalt_antall_plasser or min_antall_plasser)"),
        ("p_total_beds_max", (), whole, "Most beds in all (totalt_antall_plasser or maks_antall_plasser)"),
        ("p_cost_per_bed", (), real, "Yearly NOK per bed besides care staff (kostnad_per_plass)"),
        ("p_site_beds", (m.S,), whole, "Bed capacity per site (plasser)"),
        ("p_single_rooms", (m.S,), whole, "Single rooms with or without bath"),
        ("p_bath_rooms", (m.S,), whole, "Single rooms with own bath"),
        ("p_screened_rooms", (m.S,), whole, "Screened day rooms"),
        ("p_min_beds", (m.T,), whole, "Pooled beds meeting the blocking target"),
        ("p_min_stable", (m.T,), whole, "Fewest pooled beds whose waiting queue is stable"),
        ("p_available_fte", (m.SKILLS,), real, "FTE the kommune can staff per skill group (tilgjengelige_aarsverk)"),
        ("p_care_fte_per_bed", (m.T,), real, "Care FTE per bed (pleiefaktor)"),
        ("p_skill_share", (m.SKILLS,), real, "Share of the care FTE per skill group (andel)"),
        ("p_min_unit", (m.T,), whole, "Smallest unit size (min_enhet)"),
        ("p_max_sites", (m.T,), whole, "Most sites per type (maks_lokasjoner; blank = all)"),
        ("p_policy_min", (m.POLICY,), whole, "Policy minimum (Foringer.min)"),
        ("p_policy_max", (m.POLICY,), whole, "Policy maximum (Foringer.maks)"),
        ("p_other_cost_per_bed", (m.T,), real, "Yearly NOK per bed, non-nurse staff"),
        ("p_nurse_fte_per_bed", (m.T,), real, "Nurse FTE per bed (pleiefaktor x share)"),
        ("p_nurse_cost", (), real, "Yearly NOK per nurse FTE"),
        ("p_min_nurse_fte", (), real, "Minimum nurse FTE per ward"),
        ("p_turned_away_at_zero", (m.T,), real, "Not served per year with no beds, L_t(0)"),
        ("p_shortfall_cost_at_zero", (m.T,), real, "Yearly shortfall cost with no beds, K_t(0), NOK"),
        ("p_step_gain", (m.T, m.K), anyreal, "L_t(k+1) - L_t(k), patients per year per bed"),
        ("p_step_cost", (m.T, m.K), anyreal, "K_t(k+1) - K_t(k): the step's change in shortfall cost, NOK"),
        ("p_reference_beds", (m.S, m.T), whole, "Beds of the reference alternative (where moves count from)"),
        ("p_moving_cost", (), real, "Yearly NOK per bed moved from the reference (kostnad_per_flyttet_plass)"),
        ("p_max_moved", (), whole, "Most beds moved from the reference (maks_flyttede_plasser)"),
    )
    values = param_values(data)
    for name, index, domain, doc in specs:
        m.add_component(name, pyo.Param(*index, initialize=values[name], within=domain, mutable=True, doc=doc))
    m.param_values = values


def update_params(m: pyo.ConcreteModel, data: ModelData) -> list:
    """Give a built model the values of new data with the same ``structure_key``.

    Only values that changed are set (parameters and the derived step bounds), so the persistent
    solver has little to send.

    Returns:
        The variables whose bounds changed (the only variables a new data set changes), for a
        persistent solver told not to look through them all (:class:`~.workflows.sweep.ScenarioSolver`).
    """
    new = param_values(data)
    for name, value in new.items():
        old = m.param_values[name]
        component = getattr(m, name)
        if isinstance(value, dict):
            changed = {k: v for k, v in value.items() if old.get(k) != v}
            if changed:
                component.store_values(changed)
        elif value != old:
            component.set_value(value)
    m.param_values = new
    moved = []
    if m.derived_bounds:
        lower, upper = step_bounds(data)
        for key, var in m.step.items():
            if var.lb != lower[key] or var.ub != upper[key]:
                var.setlb(lower[key])
                var.setub(upper[key])
                moved.append(var)
    m.data = data
    return moved
