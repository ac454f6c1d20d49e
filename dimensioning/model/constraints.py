r"""Constraint families of the allocation model, one small function each.

Every family is one Pyomo ``Constraint`` named ``res_<family>`` (a restriction the planner can
break) or ``def_<family>`` (a definition that links variables and is never relaxed). Each function
returns early when its family does not apply and indexes only the pairs where it applies.

In elastic mode (used to explain infeasibility) every ``res_`` family gets a non-negative slack
per constraint, penalised in the objective; the families whose slack ends up positive are the ones
that conflict. Notation: :math:`x_{s,t}` beds, :math:`y_{s,t}` unit indicator,
:math:`c_t = \sum_s x_{s,t}` pooled beds of type *t*.
"""

from __future__ import annotations

from collections.abc import Callable

import pyomo.environ as pyo

from dimensioning.model.params import ModelData

Rule = Callable[[pyo.ConcreteModel, ModelData], None]


def _soft(m: pyo.ConcreteModel, family: str, key: tuple[str, ...], lhs: object, sense: str, rhs: object) -> object:
    """Build ``lhs (sense) rhs``; in elastic mode add a penalised slack for this family and key.

    The unnormalised terms are recorded in ``m.terms[family, key]`` so that a breach can be
    reported in the planner's terms (beds, rooms, sites) rather than Pyomo's normal form.
    """
    m.terms[family, key] = (lhs, sense, rhs)
    if not m.elastic:
        return {"<=": lhs <= rhs, ">=": lhs >= rhs, "==": lhs == rhs}[sense]
    label = "|".join(key)
    if sense == "<=":
        return lhs - m.slack[family, label, "over"] <= rhs
    if sense == ">=":
        return lhs + m.slack[family, label, "under"] >= rhs
    return lhs + m.slack[family, label, "under"] - m.slack[family, label, "over"] == rhs


def add_total_beds_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Total beds: fixed (``totalt_antall_plasser``), or free within bounds.

    .. math:: \sum_{s \in S} \sum_{t \in T} x_{s,t} = N
        \quad\text{or}\quad N^{min} \le \sum_{s,t} x_{s,t} \le N^{max}

    Units: beds. Reads ``Parametre.totalt_antall_plasser``, or ``min_antall_plasser`` and
    ``maks_antall_plasser`` (a free total, priced by ``kostnad_per_plass`` in the objective).
    """
    total = sum(m.x[s, t] for s in m.S for t in m.T)
    if data.total_is_fixed:
        m.res_total_beds = pyo.Constraint(
            expr=_soft(m, "total_beds", ("",), total, "==", m.p_total_beds),
            doc="Total beds equal totalt_antall_plasser",
        )
        return

    def rule(m: pyo.ConcreteModel, side: str) -> object:
        if side == "min":
            return _soft(m, "total_beds", ("min",), total, ">=", m.p_total_beds)
        return _soft(m, "total_beds", ("max",), total, "<=", m.p_total_beds_max)

    m.res_total_beds = pyo.Constraint(["min", "max"], rule=rule, doc="Total beds within min and max")


def add_site_capacity_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Beds at a site fit the site.

    .. math:: \sum_{t} x_{s,t} \le P_s + A_s \quad \forall s \in S

    Units: beds. Reads ``Lokasjoner.plasser``; :math:`A_s` (``e_added_beds``) is 0 in one year and
    the beds of the opened capacity options in the multi-year plan.
    """

    def rule(m: pyo.ConcreteModel, s: str) -> object:
        lhs = sum(m.x[s, t] for t in m.T)
        return _soft(m, "site_capacity", (s,), lhs, "<=", m.p_site_beds[s] + m.e_added_beds[s])

    m.res_site_capacity = pyo.Constraint(m.S, rule=rule, doc="Beds per site at most plasser")


def add_room_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Types that need single rooms (with bath) fit the site's single rooms (with bath).

    .. math::
        \sum_{t \in T^{single}} x_{s,t} \le R^{single}_s, \qquad
        \sum_{t \in T^{bath}} x_{s,t} \le R^{bath}_s \quad \forall s

    :math:`R^{single}_s` counts single rooms with and without bath. Units: beds (one per room).
    Reads ``Plasstyper.krever_enerom/krever_bad`` and ``Lokasjoner.enerom_med_bad/enerom_uten_bad``.
    """
    if data.needs_single:

        def single(m: pyo.ConcreteModel, s: str) -> object:
            lhs = sum(m.x[s, t] for t in data.needs_single)
            return _soft(m, "single_rooms", (s,), lhs, "<=", m.p_single_rooms[s] + m.e_added_single_rooms[s])

        m.res_single_rooms = pyo.Constraint(m.S, rule=single, doc="Single-room types fit rooms")
    if data.needs_bath:

        def bath(m: pyo.ConcreteModel, s: str) -> object:
            lhs = sum(m.x[s, t] for t in data.needs_bath)
            return _soft(m, "bath_rooms", (s,), lhs, "<=", m.p_bath_rooms[s] + m.e_added_bath_rooms[s])

        m.res_bath_rooms = pyo.Constraint(m.S, rule=bath, doc="Bath types fit rooms with bath")


def add_screened_room_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Each unit of a type that needs screening has a screened day room of its own.

    .. math:: \sum_{t \in T^{scr}} y_{s,t} \le R^{scr}_s \quad \forall s

    Units: units (rooms). Reads ``Plasstyper.krever_skjermet_rom``,
    ``Lokasjoner.skjermede_oppholdsrom``.
    """
    if not data.needs_screened:
        return

    def rule(m: pyo.ConcreteModel, s: str) -> object:
        lhs = sum(m.y[s, t] for t in data.needs_screened)
        return _soft(m, "screened_rooms", (s,), lhs, "<=", m.p_screened_rooms[s] + m.e_added_screened_rooms[s])

    m.res_screened_rooms = pyo.Constraint(m.S, rule=rule, doc="Screened rooms per unit")


def add_facility_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Types that need a facility are placed only where the site has it.

    Facilities: pool, training hall, doctor's office, overnight stay for relatives.

    .. math:: x_{s,t} \le 0 \quad \forall (s,t) \in F

    where :math:`F` holds the pairs whose site lacks a facility the type needs. Units: beds.
    Reads ``Plasstyper.krever_*`` and ``Lokasjoner.basseng/treningssal/legekontor/...``.
    """
    pairs = sorted(data.forbidden_pairs, key=lambda p: (data.sites.index(p[0]), data.bed_types.index(p[1])))
    if not pairs:
        return

    def rule(m: pyo.ConcreteModel, s: str, t: str) -> object:
        return _soft(m, "facilities", (s, t), m.x[s, t], "<=", 0)

    m.res_facilities = pyo.Constraint(pairs, rule=rule, doc="Facilities the type needs")


def add_unit_link_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Beds only where a unit exists (definition of :math:`y`).

    .. math:: x_{s,t} \le M_s \, y_{s,t} \quad \forall s, t

    with :math:`M_s` the site's capacity with every capacity option it may get (a tighter
    formulation), or the largest bed count where
    families are relaxed or switched off (elastic mode and the conflict search, which build without
    derived bounds): there the site's capacity must live only in ``res_site_capacity``, or switching
    that family off would leave its limit in force. Never relaxed.
    """
    big = data.max_beds_per_type

    def rule(m: pyo.ConcreteModel, s: str, t: str) -> object:
        bound = big if (m.elastic or not m.derived_bounds) else m.p_site_beds[s] + data.option_beds.get(s, 0)
        return m.x[s, t] <= bound * m.y[s, t]

    m.def_unit_link = pyo.Constraint(m.S, m.T, rule=rule, doc="x only where y = 1")


def add_min_unit_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""A unit, if it exists, has at least the type's smallest size.

    .. math:: x_{s,t} \ge m_t \, y_{s,t} \quad \forall s, t: m_t > 0

    Units: beds. Reads ``Plasstyper.min_enhet``.
    """
    types = _types_where(m, data, lambda t: data.min_unit_beds[t] > 0)
    if not types:
        return

    def rule(m: pyo.ConcreteModel, s: str, t: str) -> object:
        return _soft(m, "min_unit", (s, t), m.x[s, t], ">=", m.p_min_unit[t] * m.y[s, t])

    m.res_min_unit = pyo.Constraint(m.S, types, rule=rule, doc="Smallest unit size")


def add_max_sites_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""A type is at no more than its allowed number of sites.

    .. math:: \sum_s y_{s,t} \le K_t \quad \forall t: K_t \text{ given}

    Units: sites. Reads ``Plasstyper.maks_lokasjoner``.
    """
    types = _types_where(m, data, lambda t: data.max_sites[t] is not None)
    if not types:
        return

    def rule(m: pyo.ConcreteModel, t: str) -> object:
        lhs = sum(m.y[s, t] for s in m.S)
        return _soft(m, "max_sites", (t,), lhs, "<=", m.p_max_sites[t])

    m.res_max_sites = pyo.Constraint(types, rule=rule, doc="Sites per type at most maks_lokasjoner")


def add_policy_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Policy bounds from ``Foringer``.

    .. math:: \underline{x}_{s,t} \le x_{s,t} \le \overline{x}_{s,t}

    only for the pairs that have a row. Units: beds.
    """
    lower_pairs = [p for p in m.POLICY if m.sweep or p in data.policy_min]
    upper_pairs = [p for p in m.POLICY if m.sweep or p in data.policy_max]
    if lower_pairs:

        def lower(m: pyo.ConcreteModel, s: str, t: str) -> object:
            return _soft(m, "policy_min", (s, t), m.x[s, t], ">=", m.p_policy_min[s, t])

        m.res_policy_min = pyo.Constraint(lower_pairs, rule=lower, doc="Policy minimum")
    if upper_pairs:

        def upper(m: pyo.ConcreteModel, s: str, t: str) -> object:
            return _soft(m, "policy_max", (s, t), m.x[s, t], "<=", m.p_policy_max[s, t])

        m.res_policy_max = pyo.Constraint(upper_pairs, rule=upper, doc="Policy maximum")


def add_blocking_target_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""The pooled beds of each type meet its blocking target.

    Beds of one type at all sites form one loss system (the allocation office places a patient
    wherever a bed of the type is free), so :math:`B(c_t, a_t) \le \beta_t`. Erlang B decreases in
    :math:`c`, so this is the linear bound

    .. math:: c_t \ge c^{min}_t = \min\{c : B(c, a_t) \le \beta_t\} \quad \forall t

    Units: beds. Reads ``Plasstyper.maks_avvisning``, ``innleggelser_per_aar``, ``liggetid_dager``.
    """
    types = _types_where(m, data, lambda t: data.min_beds_for_target[t] > 0)
    if not types:
        return

    def rule(m: pyo.ConcreteModel, t: str) -> object:
        return _soft(m, "blocking_target", (t,), m.beds_of_type[t], ">=", m.p_min_beds[t])

    m.res_blocking_target = pyo.Constraint(types, rule=rule, doc="Blocking at most maks_avvisning")


def add_stable_queue_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""A waiting queue whose patients never give up must not grow without bound.

    For a ``venter`` type without ``gir_opp_etter_dager`` the open beds over the year must give
    more bed-days than its patients need (:func:`~dimensioning.queueing.seasons.min_stable_beds`):

    .. math:: c_t \ge c^{stable}_t \quad \forall t

    Below it there is no mean wait, only the model's capped curve, which must never decide a plan.
    Units: beds. Reads ``Plasstyper.ved_fullt``, ``gir_opp_etter_dager``, ``innleggelser_per_aar``,
    ``liggetid_dager``, ``Sesong`` and ``Kapasitet``.
    """
    types = _types_where(m, data, lambda t: data.min_stable_beds.get(t, 0) > 0)
    if not types:
        return

    def rule(m: pyo.ConcreteModel, t: str) -> object:
        return _soft(m, "stable_queue", (t,), m.beds_of_type[t], ">=", m.p_min_stable[t])

    m.res_stable_queue = pyo.Constraint(types, rule=rule, doc="A queue without patience is stable")


def add_bed_step_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Exact linearisation of the patients turned away per year, :math:`L_t(c) = \lambda_t B(c, a_t)`.

    The pooled beds are split into unit steps :math:`\delta_{t,k} \in [0, 1]`:

    .. math::
        \sum_{k=0}^{C-1} \delta_{t,k} = c_t, \qquad
        z_t = L_t(0) + \sum_k \bigl(L_t(k+1) - L_t(k)\bigr)\, \delta_{t,k}

    :math:`L_t` is convex and decreasing in the integer :math:`c` (Erlang B is convex in the
    number of servers), so the step gains :math:`L_t(k+1) - L_t(k)` increase with *k*. A minimising
    objective with :math:`k^{away}_t > 0` therefore fills the steps in order, and at every integer
    :math:`c_t` the sum is :math:`L_t(c_t)` exactly (not a sampled approximation). The curve enters
    only through objective coefficients, so a sweep changes demand without touching the matrix.
    Units: beds (steps), patients per year (:math:`z_t`). Never relaxed.
    """

    def rule(m: pyo.ConcreteModel, t: str) -> object:
        return sum(m.step[t, k] for k in m.K) == m.beds_of_type[t]

    m.def_bed_steps = pyo.Constraint(m.T, rule=rule, doc="Steps add up to the pooled beds")


def add_staffing_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Nurse FTE per ward: the skill-mix share of its types' care staff, and at least the minimum.

    .. math::
        y_{s,t} \le w_{s,g(t)}, \qquad
        n_{s,g} \ge \sigma_{nurse} \sum_{t \in g} \phi_t x_{s,t}, \qquad
        n_{s,g} \ge F^{min} w_{s,g}

    A ward *g* is a group of bed types that share staff at a site (``Plasstyper.avdeling``; a type
    with a blank ``avdeling`` is a ward of its own, the unit of the earlier model). :math:`\phi_t` is
    ``pleiefaktor``, :math:`\sigma_{nurse}` the nurse share (``Bemanning.andel``), :math:`F^{min}`
    the nurse FTE for one nurse on every shift (``Parametre``). So two palliative beds in the
    short-term ward share its nurse instead of paying for one of their own. The other skill groups
    scale with beds and need no variable. Units: FTE. Never relaxed.
    """
    members = {g: [t for t in m.T if data.ward_of[t] == g] for g in m.G}

    def link(m: pyo.ConcreteModel, s: str, t: str) -> object:
        return m.y[s, t] <= m.ward_open[s, data.ward_of[t]]

    def share(m: pyo.ConcreteModel, s: str, g: str) -> object:
        return m.nurse_fte[s, g] >= sum(m.p_nurse_fte_per_bed[t] * m.x[s, t] for t in members[g])

    def minimum(m: pyo.ConcreteModel, s: str, g: str) -> object:
        return m.nurse_fte[s, g] >= m.p_min_nurse_fte * m.ward_open[s, g]

    m.def_ward_link = pyo.Constraint(m.S, m.T, rule=link, doc="A unit's ward is open")
    m.def_nurse_share = pyo.Constraint(m.S, m.G, rule=share, doc="Nurse FTE from skill mix")
    m.def_nurse_minimum = pyo.Constraint(m.S, m.G, rule=minimum, doc="Minimum nurse FTE per ward")


def add_staff_available_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""The plan needs no more FTE of a skill group than the kommune can staff (``tilgjengelige_aarsverk``).

    .. math::
        \sum_{s,g} n_{s,g} \le A_{nurse}, \qquad
        \sigma_k \sum_{s,t} \phi_t x_{s,t} \le A_k \quad \forall k \ne nurse

    The nurses are the wards' nurse FTE (skill share or the minimum for one nurse on every shift);
    the other groups scale with the beds. Only the groups with a limit get a row. Units: FTE.
    Reads ``Bemanning.tilgjengelige_aarsverk``, ``andel`` and ``Plasstyper.pleiefaktor``.
    """
    skills = [k for k in data.skill_share if m.sweep or k in data.available_fte]
    if not skills:
        return

    def rule(m: pyo.ConcreteModel, k: str) -> object:
        if k == data.nurse_skill:
            need = sum(m.nurse_fte[s, g] for s in m.S for g in m.G)
        else:
            need = m.p_skill_share[k] * sum(m.p_care_fte_per_bed[t] * m.x[s, t] for s in m.S for t in m.T)
        return _soft(m, "staff_available", (k,), need, "<=", m.p_available_fte[k])

    m.res_staff_available = pyo.Constraint(skills, rule=rule, doc="FTE per skill group within what can be staffed")


def add_moved_beds_constraints(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Beds moved from the reference alternative: priced, and at most ``maks_flyttede_plasser``.

    .. math::
        v_{s,t} \ge x_{s,t} - x^{ref}_{s,t}, \quad v_{s,t} \ge 0, \qquad
        \sum_{s,t} v_{s,t} \le V^{max}

    :math:`v_{s,t}` are the beds of type *t* at site *s* beyond the reference alternative's (with a
    fixed total, half of every bed that changes type or site); the objective adds
    :math:`k^{move} \sum v_{s,t}` with the one-off cost as a yearly annuity, so a move worth
    nothing is never made. Units: beds. Reads ``Parametre.kostnad_per_flyttet_plass``,
    ``maks_flyttede_plasser`` and ``Om.referansealternativ``. Applies only when moves are priced
    or limited and there is a reference alternative.
    """
    if not data.counts_moves:
        return
    m.moved = pyo.Var(m.S, m.T, within=pyo.NonNegativeReals, doc="Beds beyond the reference alternative's")
    m.def_moved = pyo.Constraint(
        m.S, m.T, rule=lambda m, s, t: m.moved[s, t] >= m.x[s, t] - m.p_reference_beds[s, t], doc="Beds moved"
    )
    if data.max_moved_beds is not None:
        total = sum(m.moved[s, t] for s in m.S for t in m.T)
        m.res_max_moved = pyo.Constraint(
            expr=_soft(m, "max_moved", ("",), total, "<=", m.p_max_moved), doc="At most maks_flyttede_plasser moved"
        )


def _types_where(m: pyo.ConcreteModel, data: ModelData, applies: Callable[[str], bool]) -> list[str]:
    """Types where a family applies; in sweep mode all types (parameters may change later)."""
    return [t for t in data.bed_types if m.sweep or applies(t)]


# Families in build order: (name, function, relaxable).
FAMILIES: tuple[tuple[str, Rule, bool], ...] = (
    ("total_beds", add_total_beds_constraints, True),
    ("site_capacity", add_site_capacity_constraints, True),
    ("rooms", add_room_constraints, True),
    ("screened_rooms", add_screened_room_constraints, True),
    ("facilities", add_facility_constraints, True),
    ("unit_link", add_unit_link_constraints, False),
    ("min_unit", add_min_unit_constraints, True),
    ("max_sites", add_max_sites_constraints, True),
    ("policy", add_policy_constraints, True),
    ("blocking_target", add_blocking_target_constraints, True),
    ("stable_queue", add_stable_queue_constraints, True),
    ("bed_steps", add_bed_step_constraints, False),
    ("staffing", add_staffing_constraints, False),
    ("staff_available", add_staff_available_constraints, True),
    ("moved_beds", add_moved_beds_constraints, True),
)

# Names of the res_ components whose breach is reported to the planner.
RELAXABLE_FAMILIES: tuple[str, ...] = (
    "total_beds",
    "site_capacity",
    "single_rooms",
    "bath_rooms",
    "screened_rooms",
    "facilities",
    "min_unit",
    "max_sites",
    "policy_min",
    "policy_max",
    "blocking_target",
    "stable_queue",
    "staff_available",
    "max_moved",
)
