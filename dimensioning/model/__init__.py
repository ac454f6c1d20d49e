"""The allocation MIP, built from small named pieces (sets, params, variables, constraints, objective).

Pyomo is imported only in this package and in :mod:`dimensioning.solve`.
"""

from __future__ import annotations

from dimensioning.model.build import BuildOptions, build_model, constraint_violations
from dimensioning.model.constraints import FAMILIES, RELAXABLE_FAMILIES
from dimensioning.model.params import ModelData, model_data, update_params

__all__ = [
    "FAMILIES",
    "RELAXABLE_FAMILIES",
    "BuildOptions",
    "ModelData",
    "build_model",
    "constraint_violations",
    "model_data",
    "update_params",
]
