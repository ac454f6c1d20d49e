"""Assemble the allocation model from its pieces, and check a given allocation against it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyomo.environ as pyo

from dimensioning.inputs.case import Case
from dimensioning.model.constraints import FAMILIES
from dimensioning.model.objective import add_objective
from dimensioning.model.params import ModelData, add_params, model_data
from dimensioning.model.sets import add_sets
from dimensioning.model.variables import add_variables


@dataclass(frozen=True)
class BuildOptions:
    """How to build the model.

    Attributes:
        elastic: Add penalised slack to every restriction family (to explain infeasibility).
        derived_bounds: Fix the bed steps that the blocking targets and the total already decide
            (faster). Off when families are switched off one by one to find a conflict, since the
            bounds carry those families' consequences.
        sweep: Build every constraint a parameter change could need, so that later data with
            the same ``structure_key`` only updates parameters (:func:`update_params`).
    """

    elastic: bool = False
    derived_bounds: bool = True
    sweep: bool = False


def build_model(case: Case | ModelData, options: BuildOptions | None = None) -> pyo.ConcreteModel:
    """Build the allocation MIP: sets, params, variables, each constraint family, objective.

    Args:
        case: A validated case (or model data already derived from one).
        options: Build options.

    Returns:
        The Pyomo model, not yet solved. ``m.data`` holds the :class:`ModelData`.
    """
    options = options or BuildOptions()
    data = case if isinstance(case, ModelData) else model_data(case)
    m = pyo.ConcreteModel(name="korttidsplasser")
    populate(m, data, options)
    return m


def populate(m: pyo.Block, data: ModelData, options: BuildOptions) -> None:
    """Add one year's model (sets, params, variables, every family, objective) to a model or block.

    The multi-year plan (:mod:`.multiyear`) populates one block per year with this same function,
    then links the blocks; ``e_added_*`` are the hooks through which capacity options add beds and
    rooms to a site (zero in a single year).
    """
    m.elastic = options.elastic
    m.sweep = options.sweep
    m.derived_bounds = options.derived_bounds and not options.elastic
    m.terms = {}
    m.data = data
    add_sets(m, data)
    add_params(m, data)
    add_capacity_hooks(m)
    add_variables(m, data)
    for _name, add_family, _relaxable in FAMILIES:
        add_family(m, data)
    add_objective(m, data)


def add_capacity_hooks(m: pyo.Block) -> None:
    """Beds and rooms added to each site by capacity options: named expressions, 0 unless a plan sets them."""
    for name, doc in (
        ("e_added_beds", "Beds added to the site by opened capacity options"),
        ("e_added_single_rooms", "Single rooms (with or without bath) added by options"),
        ("e_added_bath_rooms", "Single rooms with bath added by options"),
        ("e_added_screened_rooms", "Screened day rooms added by options"),
    ):
        m.add_component(name, pyo.Expression(m.S, initialize=0.0, doc=doc))


def add_pooled_upper_bounds(m: pyo.ConcreteModel) -> None:
    r"""Placement of given pooled beds: :math:`c_t \le \bar c_t`, with :math:`\bar c_t` a mutable parameter.

    Together with the blocking-target family, whose :math:`c^{min}_t` is then set to the same
    :math:`\bar c_t`, this fixes the beds of every type and leaves the model to place them at the
    sites (rooms, facilities, units, staffing): the simulation-based search of
    :mod:`~dimensioning.workflows.search` chooses the pooled beds, the model places them. Added once to a
    model built with ``BuildOptions(sweep=True, derived_bounds=False)``.
    """
    m.p_pooled_max = pyo.Param(m.T, initialize=0, within=pyo.NonNegativeIntegers, mutable=True, doc="Beds per type")
    m.res_pooled_max = pyo.Constraint(
        m.T, rule=lambda m, t: m.beds_of_type[t] <= m.p_pooled_max[t], doc="Pooled beds at most the given count"
    )


def locate(keys: tuple[str, ...] | list[str], sites: set[str], types: set[str]) -> dict[str, str]:
    """Name the site and the bed type among a constraint's index keys ('' where there is none)."""
    return {
        "site": next((k for k in keys if k in sites), ""),
        "bed_type": next((k for k in keys if k in types), ""),
    }


def _set_implied(m: pyo.ConcreteModel, beds: dict[tuple[str, str], int]) -> None:
    """The wards, nurse FTE and moved beds a given allocation implies, as the MIP would choose them.

    A ward is open where any of its types has beds; its nurses are the skill share of its care
    FTE or the minimum for one nurse on every shift, whichever is more (``def_nurse_*``). The beds
    moved are those beyond the reference alternative's at each site and type (``def_moved``).
    """
    data = m.data
    if hasattr(m, "moved"):
        for s in m.S:
            for t in m.T:
                reference = pyo.value(m.p_reference_beds[s, t])
                m.moved[s, t].set_value(max(0.0, beds.get((s, t), 0) - reference), skip_validation=True)
    for s in m.S:
        for g in m.G:
            types = [t for t in m.T if data.ward_of[t] == g]
            is_open = any(beds.get((s, t), 0) > 0 for t in types)
            need = sum(data.nurse_fte_per_bed[t] * beds.get((s, t), 0) for t in types)
            m.ward_open[s, g].set_value(int(is_open))
            m.nurse_fte[s, g].set_value(max(need, data.min_nurse_fte) if is_open else 0.0, skip_validation=True)


def constraint_violations(case: Case, allocation: pd.DataFrame, model: pyo.ConcreteModel | None = None) -> pd.DataFrame:
    """Which restrictions a given allocation breaks, by how much, evaluated by the model itself.

    The model is built as for a solve, the beds are fixed to the allocation (a unit exists where
    it has beds) and every ``res_`` constraint is evaluated, so the check and the optimisation
    share one definition of each rule.

    Args:
        case: The validated case.
        allocation: Long table with columns ``site, bed_type, beds``.
        model: A model built from the same case to reuse (its variable values are overwritten).

    Returns:
        One row per broken constraint: ``family, site, bed_type, sense, value, bound, amount,
        detail``:
        the rule is ``value (sense) bound``, ``amount`` is how far it is broken and
        ``detail`` names missing facilities. Rows follow
        the model's build order. Empty if nothing is broken.
    """
    m = model if model is not None else build_model(case)
    beds = {(r.site, r.bed_type): int(r.beds) for r in allocation.itertuples()}
    for s in m.S:
        for t in m.T:
            count = beds.get((s, t), 0)
            m.x[s, t].set_value(count, skip_validation=True)
            m.y[s, t].set_value(int(count > 0))
    _set_implied(m, beds)
    sites, types = set(m.S), set(m.T)
    rows = []
    for (family, key), (lhs, sense, rhs) in m.terms.items():
        value, bound = float(pyo.value(lhs)), float(pyo.value(rhs))
        amount = {"<=": value - bound, ">=": bound - value, "==": abs(value - bound)}[sense]
        if amount <= 1e-9:
            continue
        detail = ", ".join(m.data.forbidden_pairs.get(key, [])) if family == "facilities" else ""
        if family == "staff_available":
            detail = key[0]  # the skill group
        rows.append(
            {
                "family": family,
                **locate(key, sites, types),
                "sense": sense,
                "value": value,
                "bound": bound,
                "amount": amount,
                "detail": detail,
            }
        )
    columns = ["family", "site", "bed_type", "sense", "value", "bound", "amount", "detail"]
    return pd.DataFrame(rows, columns=columns)
