"""Decision and auxiliary variables of the allocation model."""

from __future__ import annotations

import pyomo.environ as pyo

from dimensioning.model.params import ModelData, step_bounds


def add_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Declare the variables.

    - ``x[s,t]`` (integer, beds): beds of type *t* at site *s*.
    - ``y[s,t]`` (binary): 1 if type *t* has a unit at site *s*.
    - ``step[t,k]`` in [0, 1]: use of the (k+1)-th bed of type *t*; ``sum_k step[t,k] = c_t``.
    - ``turned_away[t]`` (expression, patients/year): :math:`\lambda_t B(c_t, a_t)` through the
      steps, :math:`L_t(0) + \sum_k (L_t(k+1) - L_t(k))\, \delta_{t,k}` (see the constraint
      family ``def_bed_steps`` for why this is exact).
    - ``ward_open[s,g]`` (binary): 1 if ward *g* is open at site *s* (any of its types has beds).
    - ``nurse_fte[s,g]`` (FTE): nurse FTE of the ward, at least the proportional share of its
      types' beds and at least the minimum per ward.
    - ``slack[...]`` (elastic mode only): created on demand by relaxed constraint families.

    Beds are bounded by the largest bed count only: the site's capacity is a constraint
    (``res_site_capacity``), so it can be relaxed (elastic mode) or changed (sweeps).
    """
    bounds = (0, data.max_beds_per_type)
    m.x = pyo.Var(m.S, m.T, within=pyo.NonNegativeIntegers, bounds=bounds, doc="Beds")
    m.y = pyo.Var(m.S, m.T, within=pyo.Binary, doc="Unit exists")

    # without derived bounds (elastic mode, conflict search) every step stays free
    lower, upper = step_bounds(data) if m.derived_bounds else ({}, {})

    def bounds(_m: pyo.ConcreteModel, t: str, k: int) -> tuple[int, int]:
        return (lower.get((t, k), 0), upper.get((t, k), 1))

    m.step = pyo.Var(m.T, m.K, bounds=bounds, doc="Use of the (k+1)-th bed of the type")
    m.ward_open = pyo.Var(m.S, m.G, within=pyo.Binary, doc="Ward open")
    m.nurse_fte = pyo.Var(m.S, m.G, within=pyo.NonNegativeReals, doc="Nurse FTE per ward")
    if m.elastic:
        m.slack = pyo.Var(pyo.Any, dense=False, within=pyo.NonNegativeReals, doc="Elastic slack")
    m.beds_of_type = pyo.Expression(m.T, rule=lambda m, t: sum(m.x[s, t] for s in m.S), doc="Pooled beds per type c_t")
    m.turned_away = pyo.Expression(
        m.T,
        rule=lambda m, t: m.p_turned_away_at_zero[t] + pyo.quicksum(m.p_step_gain[t, k] * m.step[t, k] for k in m.K),
        doc="Patients turned away per year, L_t(c_t)",
    )
