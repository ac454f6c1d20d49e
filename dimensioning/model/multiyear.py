r"""The multi-year plan: one block per year built by the single-year pieces, linked by capacity options.

Every year *y* is a block populated by :func:`~.build.populate` from that year's model data (its
demand, its total), so every single-year constraint family holds in every year without a copy.
The blocks are linked by:

- **Options** (``Utbygging``): :math:`o_{j,y} \in \{0, 1\}`, option *j* in service in year *y*;
  irreversible, :math:`o_{j,y} \ge o_{j,y-1}`, and 0 before ``tidligst_aar``. An option adds its
  beds and rooms to its site through the block's hooks: :math:`A_{s,y} = \sum_{j \in s} P_j o_{j,y}`.
- **Change per site** (``maks_endring_per_lokasjon``, optional):
  :math:`|\sum_t x_{s,t,y} - \sum_t x_{s,t,y-1}| \le \Delta`.
- **Nurse recruitment** (``maks_vekst_sykepleiere``, optional):
  :math:`\sum_{s,g} n_{s,g,y} - \sum_{s,g} n_{s,g,y-1} \le G`.

Objective: the discounted sum of each year's cost (staffing, beds, what patients miss, tie-break)
plus each option's fixed yearly cost while in service and its investment in the year it opens,

.. math:: \min \sum_y \Bigl(\omega_y \bigl(K_y + \sum_j F_j o_{j,y}\bigr)
    + \delta_y \sum_j I_j (o_{j,y} - o_{j,y-1})\Bigr),
    \qquad \delta_y = (1 + r)^{-(y - y_0)}, \qquad \omega_y = \sum_{k=y}^{y^+ - 1} \delta_k

(:math:`o_{j,y_0 - 1} = 0`; :math:`y^+` the next planned year, :math:`y + 1` for the last). When every
year is planned, :math:`\omega_y = \delta_y`. A plan over chosen years (every fifth, say) holds each
planned year's split until the next planned year, and counts its cost for each of those years
(:func:`year_weights`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pyomo.environ as pyo

from dimensioning.model.build import BuildOptions, populate
from dimensioning.model.params import ModelData


@dataclass(frozen=True)
class CapacityOption:
    """One row of ``Utbygging``: what it adds, where, from when, at what cost."""

    name: str
    site: str
    earliest_year: int
    beds: int
    single_rooms: int
    bath_rooms: int
    screened_rooms: int
    investment: float
    yearly_cost: float


def build_plan_model(
    year_data: dict[int, ModelData],
    options: list[CapacityOption],
    discount_rate: float = 0.04,
    max_site_change: int | None = None,
    max_nurse_growth: float | None = None,
) -> pyo.ConcreteModel:
    """Build the multi-year MIP (see the module docstring).

    Args:
        year_data: Model data per planned year (same sites and types in every year).
        options: Capacity options.
        discount_rate: Yearly discount rate.
        max_site_change: Most beds more or fewer per site between consecutive planned years.
        max_nurse_growth: Most nurse FTE more between consecutive planned years.

    Returns:
        The model; ``m.year[y]`` is year *y*'s block, ``m.open[j, y]`` the options in service.
    """
    years = sorted(year_data)
    m = pyo.ConcreteModel(name="korttidsplasser_plan")
    m.Y = pyo.Set(initialize=years, ordered=True, doc="Planned years")
    m.O = pyo.Set(initialize=[o.name for o in options], ordered=True, doc="Capacity options (Utbygging)")
    by_name = {o.name: o for o in options}

    def open_bounds(_m: pyo.ConcreteModel, j: str, y: int) -> tuple[int, int]:
        return (0, 0 if y < by_name[j].earliest_year else 1)

    m.open = pyo.Var(m.O, m.Y, within=pyo.Binary, bounds=open_bounds, doc="Option in service in the year")
    m.year = pyo.Block(m.Y)
    for y in years:
        block = m.year[y]
        data = year_data[y]
        populate(block, dataclasses.replace(data, option_beds=option_beds_by_site(options, data.sites)), BuildOptions())
        block.obj.deactivate()
        for s in block.S:
            at_site = [o for o in options if o.site == s]
            if at_site:
                block.e_added_beds[s].set_value(sum(o.beds * m.open[o.name, y] for o in at_site))
                block.e_added_single_rooms[s].set_value(sum(o.single_rooms * m.open[o.name, y] for o in at_site))
                block.e_added_bath_rooms[s].set_value(sum(o.bath_rooms * m.open[o.name, y] for o in at_site))
                block.e_added_screened_rooms[s].set_value(sum(o.screened_rooms * m.open[o.name, y] for o in at_site))
    previous = dict(zip(years[1:], years[:-1], strict=True))

    def irreversible(m: pyo.ConcreteModel, j: str, y: int) -> object:
        if y not in previous:
            return pyo.Constraint.Skip
        return m.open[j, y] >= m.open[j, previous[y]]

    m.def_irreversible = pyo.Constraint(m.O, m.Y, rule=irreversible, doc="An opened option stays open")
    if max_site_change is not None:
        sites = list(year_data[years[0]].sites)

        def change(m: pyo.ConcreteModel, s: str, y: int, side: str) -> object:
            if y not in previous:
                return pyo.Constraint.Skip
            now = sum(m.year[y].x[s, t] for t in m.year[y].T)
            before = sum(m.year[previous[y]].x[s, t] for t in m.year[y].T)
            return now - before <= max_site_change if side == "up" else before - now <= max_site_change

        m.res_site_change = pyo.Constraint(sites, m.Y, ["up", "down"], rule=change, doc="Change per site per year")
    if max_nurse_growth is not None:

        def recruitment(m: pyo.ConcreteModel, y: int) -> object:
            if y not in previous:
                return pyo.Constraint.Skip
            now = sum(m.year[y].nurse_fte[i] for i in m.year[y].nurse_fte)
            before = sum(m.year[previous[y]].nurse_fte[i] for i in m.year[previous[y]].nurse_fte)
            return now - before <= max_nurse_growth

        m.res_recruitment = pyo.Constraint(m.Y, rule=recruitment, doc="Nurse FTE growth per year")
    discount = {y: (1.0 + discount_rate) ** -(y - years[0]) for y in years}
    weight = year_weights(years, discount_rate)

    def investment(y: int) -> object:
        opened = {j: m.open[j, y] - (m.open[j, previous[y]] if y in previous else 0) for j in m.O}
        return sum(by_name[j].investment * opened[j] for j in m.O)

    m.e_year_cost = pyo.Expression(
        m.Y,
        rule=lambda m, y: (
            m.year[y].e_staff_cost
            + m.year[y].e_bed_cost
            + m.year[y].e_shortfall_cost
            + sum(by_name[j].yearly_cost * m.open[j, y] for j in m.O)
        ),
        doc="Cost of one year with the planned year's split and options (undiscounted), NOK",
    )
    m.e_investment = pyo.Expression(m.Y, rule=lambda m, y: investment(y), doc="Investment in the year, NOK")
    m.obj = pyo.Objective(
        expr=sum(
            weight[y] * (m.e_year_cost[y] + m.year[y].e_tie_break) + discount[y] * m.e_investment[y] for y in years
        ),
        sense=pyo.minimize,
        doc="Discounted cost over the planned years, NOK",
    )
    return m


def option_beds_by_site(options: list[CapacityOption], sites: list[str]) -> dict[str, int]:
    """Beds the options may add to each site (the bound of the unit link)."""
    return {s: sum(o.beds for o in options if o.site == s) for s in sites}


def year_weights(years: list[int], discount_rate: float) -> dict[int, float]:
    r"""Discount weight of each planned year, :math:`\omega_y`: the discount factors of the years its split holds."""
    ends = [*years[1:], years[-1] + 1]
    return {
        y: sum((1.0 + discount_rate) ** -(k - years[0]) for k in range(y, end))
        for y, end in zip(years, ends, strict=True)
    }


def opened_options(m: pyo.ConcreteModel) -> dict[int, set[str]]:
    """The options in service in each year of a solved plan model."""
    return {y: {j for j in m.O if round(pyo.value(m.open[j, y])) == 1} for y in m.Y}
