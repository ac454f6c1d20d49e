"""dimensioning: how many short-term nursing-home beds of each type to place at each site.

Public API::

    from dimensioning import load_case, solve, evaluate, write_excel
    case = load_case("data/drammen.xlsx")
    result = solve(case)
    write_excel(result, "reports/drammen-resultat.xlsx")
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

# Names are imported on first use, so that ``dimension --help`` starts fast and a
# Ctrl-C while pandas and Pyomo load is caught by the entry point instead of printing a traceback.
_EXPORTS = {
    "solve": ".api",
    "Calibration": ".workflows.calibrate",
    "calibrate": ".workflows.calibrate",
    "calibrated_case": ".workflows.calibrate",
    "Case": ".inputs.case",
    "Settings": ".inputs.case",
    "load_case": ".inputs.case",
    "DimensioningError": ".common.errors",
    "InfeasibleError": ".common.errors",
    "InputError": ".common.errors",
    "SolverError": ".common.errors",
    "ValidationIssue": ".common.errors",
    "Evaluation": ".workflows.evaluate",
    "evaluate": ".workflows.evaluate",
    "drammen": ".inputs.examples",
    "write_template": ".inputs.template",
    "write_excel": ".report",
    "write_pdf": ".report",
    "Result": ".results",
    "SolveOptions": ".solve",
    "read_stays": ".inputs.stays",
    "YearsResult": ".workflows.years",
    "plan_years": ".workflows.years",
    "SolveStatus": ".solve",
    "Termination": ".solve",
}
__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


class _Package(types.ModuleType):
    """The package module: public names resolve to the exported objects, imported on first use.

    Two submodules share a name with a function (``solve``, ``evaluate``); importing a submodule
    sets the package attribute to the module, so the exported function must win on lookup, as it
    did with eager imports.
    """

    def __getattribute__(self, name: str) -> Any:
        exports = super().__getattribute__("_EXPORTS")
        if name not in exports:
            return super().__getattribute__(name)
        loaded = super().__getattribute__("_LOADED")
        if name not in loaded:
            loaded[name] = getattr(importlib.import_module(exports[name], __name__), name)
        return loaded[name]

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(__all__))


_LOADED: dict[str, Any] = {}
sys.modules[__name__].__class__ = _Package
