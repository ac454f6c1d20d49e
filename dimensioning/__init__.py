"""dimensioning: how many short-term nursing-home beds of each type to place at each site.

Public API::

    from dimensioning import load_case, solve, evaluate, write_excel
    case = load_case("data/drammen.xlsx")
    result = solve(case)
    write_excel(result, "reports/drammen-resultat.xlsx")
"""

from __future__ import annotations

from .api import solve
from .case import Case, Settings, load_case
from .errors import DimensioningError, InfeasibleError, InputError, SolverError, ValidationIssue
from .evaluate import Evaluation, evaluate
from .examples import drammen
from .io_template import write_template
from .report import write_excel, write_pdf
from .results import Result
from .solve import SolveOptions, SolveStatus, Termination

__all__ = [
    "Case",
    "DimensioningError",
    "Evaluation",
    "InfeasibleError",
    "InputError",
    "Result",
    "Settings",
    "SolveOptions",
    "SolveStatus",
    "SolverError",
    "Termination",
    "ValidationIssue",
    "drammen",
    "evaluate",
    "load_case",
    "solve",
    "write_excel",
    "write_pdf",
    "write_template",
]
__version__ = "0.1.0"
