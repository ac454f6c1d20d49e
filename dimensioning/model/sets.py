"""Index sets of the allocation model."""

from __future__ import annotations

import pyomo.environ as pyo

from dimensioning.model.params import ModelData, wards


def add_sets(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Declare the sets: sites ``S``, bed types ``T``, wards ``G`` (groups of types), bed steps ``K``.

    Order follows the input workbook, so model output is deterministic.
    """
    m.S = pyo.Set(initialize=data.sites, ordered=True, doc="Sites (lokasjoner)")
    m.T = pyo.Set(initialize=data.bed_types, ordered=True, doc="Bed types (plasstyper)")
    m.G = pyo.Set(initialize=wards(data), ordered=True, doc="Wards (avdelinger): types sharing staff at a site")
    m.SKILLS = pyo.Set(initialize=list(data.skill_share), ordered=True, doc="Skill groups (fagkategorier)")
    m.K = pyo.RangeSet(0, data.max_beds_per_type - 1, doc="Segments of the turned-away curve")
