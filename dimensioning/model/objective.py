r"""Objective of the allocation model: yearly cost in NOK, with a documented tie-break.

.. math::
    \min \; \underbrace{\sum_{s,t} k^{other}_t x_{s,t} + \sum_{s,g} k^{nurse} n_{s,g}}_{\text{staffing}}
    + \underbrace{k^{bed} \sum_{s,t} x_{s,t}}_{\text{beds}}
    + \underbrace{\sum_t K_t(c_t)}_{\text{what patients miss}}
    + \epsilon \sum_{s,t} w_{s,t} x_{s,t} + \rho \sum \text{slack}

- :math:`k^{other}_t = \phi_t \sum_{g \ne nurse} \sigma_g k_g`: non-nurse staff cost per bed.
- :math:`k^{nurse}`: cost per nurse FTE; :math:`n_{s,g}` nurse FTE of ward *g* at site *s*.
- :math:`k^{bed}`: ``kostnad_per_plass``, yearly cost per bed besides care staff (0 by default; it
  is what a bed costs when the total is free).
- :math:`K_t(c)`: yearly cost of what the type's patients miss at *c* pooled beds: patients turned
  away (or who give up waiting) times ``kostnad_per_avvist``, plus days waited (or booked days not
  given) times ``kostnad_per_ventedogn`` (:attr:`~dimensioning.inputs.case.Case.shortfall_cost_curve`), through
  the steps of ``def_bed_steps``. Where the exact curve is not convex the model uses its lower convex
  envelope, and every plan is evaluated afterwards with the exact curve.
- Tie-break :math:`\epsilon = 1` NOK per bed times :math:`w_{s,t} = \ln p_i`, where the (site, type)
  pair is the i-th in workbook order (sites first) and :math:`p_i` the i-th prime. Among
  allocations of equal cost the one with beds at pairs listed earlier wins, so a planner can list
  preferred sites first. Unique factorisation makes the weights rationally independent, so two
  different allocations never tie. The whole term is at most about 700 NOK a year, 5-6 orders of
  magnitude below the cost terms. (A tie-break on beds moved from today's split was tried first:
  it made the MIP 2.6 times slower, see the commit history.)
- :math:`\rho = 10^9` NOK per unit of slack, in elastic mode only.
"""

from __future__ import annotations

import pyomo.environ as pyo

from dimensioning.model.params import ModelData

TIE_BREAK_NOK_PER_BED = 1.0
SLACK_PENALTY_NOK = 1e9


def add_objective(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Declare cost expressions and the objective (see the module docstring for the formula)."""
    m.e_staff_cost = pyo.Expression(
        expr=sum(m.p_other_cost_per_bed[t] * m.x[s, t] for s in m.S for t in m.T)
        + sum(m.p_nurse_cost * m.nurse_fte[s, g] for s in m.S for g in m.G),
        doc="Yearly staffing cost, NOK",
    )
    # K_t(c_t) written with one parameter per step coefficient (cheap to update in sweeps)
    m.e_shortfall_cost = pyo.Expression(
        expr=sum(m.p_shortfall_cost_at_zero[t] for t in m.T)
        + pyo.quicksum(m.p_step_cost[t, k] * m.step[t, k] for t in m.T for k in m.K),
        doc="Yearly cost of what patients miss (turned away, waiting, booked days not given), NOK",
    )
    m.e_bed_cost = pyo.Expression(
        expr=m.p_cost_per_bed * sum(m.x[s, t] for s in m.S for t in m.T),
        doc="Yearly cost of the beds besides care staff (kostnad_per_plass), NOK",
    )
    weights = data.tie_break_weight
    m.e_tie_break = pyo.Expression(
        expr=TIE_BREAK_NOK_PER_BED * sum(weights[s, t] * m.x[s, t] for s in m.S for t in m.T),
        doc="Tie-break: prefer pairs listed earlier, with prime-log weights",
    )
    m.e_moving_cost = pyo.Expression(
        expr=m.p_moving_cost * sum(m.moved[s, t] for s in m.S for t in m.T) if hasattr(m, "moved") else 0.0,
        doc="Yearly cost of the beds moved from the reference alternative (an annuity), NOK",
    )
    total = m.e_staff_cost + m.e_bed_cost + m.e_shortfall_cost + m.e_moving_cost + m.e_tie_break
    if m.elastic:
        m.e_slack_penalty = pyo.Expression(
            expr=SLACK_PENALTY_NOK * sum(m.slack[i] for i in m.slack), doc="Slack penalty"
        )
        total = total + m.e_slack_penalty
    m.obj = pyo.Objective(expr=total, sense=pyo.minimize, doc="Yearly cost, NOK")
