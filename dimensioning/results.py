"""The result object: everything reports need, as tidy DataFrames, and nothing from Pyomo."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from dimensioning.common.labels import OPTIMUM
from dimensioning.inputs.case import Case
from dimensioning.solve import SolveStatus
from dimensioning.workflows.evaluate import Evaluation

if TYPE_CHECKING:
    from dimensioning.workflows.verify import Verification


@dataclass(frozen=True)
class Result:
    """Optimum and alternatives, evaluated alike. Every frame has an ``alternative`` column.

    Attributes:
        case: The case that was solved.
        status: What the solver reported.
        allocation: The optimum: ``site, bed_type, beds``.
        comparison: ``alternative, site, bed_type, beds`` for the optimum and every alternative.
        queueing: Per alternative and bed type (see :class:`~.evaluate.Evaluation`).
        staffing: Per alternative, unit and skill group.
        costs: One row per alternative.
        violations: Broken rules per alternative.
        smallest_total_beds: The fewest beds in all that meet every rule but the total (None if
            not computed, or if no number of beds would do).
        infeasibility_nb: When no allocation meets every rule, why (the bokmål explanation); the
            frames then hold only the workbook's alternatives.
        marginal: Per bed type, what one bed more or less of the optimum is worth
            (:func:`~dimensioning.workflows.explain.marginal_values`).
        moves: The steps from the reference alternative to the optimum with their effects
            (:func:`~dimensioning.workflows.explain.moves`); None without a reference alternative.
        verification: The simulation of the optimum and the alternatives, and the loop that
            tightened the targets (:mod:`~dimensioning.workflows.verify`); None when not verified.
        cold_time: What one day more (or less) of cold time per freed bed is worth with the optimum
            (:func:`~dimensioning.workflows.explain.cold_time_values`, computed).
    """

    case: Case
    status: SolveStatus
    allocation: pd.DataFrame
    comparison: pd.DataFrame
    queueing: pd.DataFrame
    staffing: pd.DataFrame
    costs: pd.DataFrame
    violations: pd.DataFrame
    smallest_total_beds: int | None = None
    infeasibility_nb: str = ""
    marginal: pd.DataFrame | None = None
    moves: pd.DataFrame | None = None
    verification: Verification | None = None
    cold_time: pd.DataFrame | None = None

    @property
    def has_optimum(self) -> bool:
        """False when no allocation meets every rule: then only the alternatives are evaluated."""
        return not self.infeasibility_nb

    @property
    def alternatives(self) -> list[str]:
        """Names in report order: the optimum first (if there is one), then the workbook's alternatives."""
        return list(dict.fromkeys(self.costs["alternative"]))

    @property
    def optimum_name(self) -> str:
        """Label of the optimum in every frame."""
        return OPTIMUM

    @classmethod
    def from_evaluations(
        cls,
        case: Case,
        status: SolveStatus,
        evaluations: list[Evaluation],
        smallest_total_beds: int | None = None,
        infeasibility_nb: str = "",
    ) -> Result:
        """Stack evaluations (the optimum first, unless ``infeasibility_nb`` says there is none)."""

        def stack(attribute: str) -> pd.DataFrame:
            frames = [
                getattr(e, attribute).assign(alternative=e.name)[["alternative", *getattr(e, attribute).columns]]
                for e in evaluations
            ]
            return pd.concat(frames, ignore_index=True)

        return cls(
            case=case,
            status=status,
            allocation=evaluations[0].allocation.iloc[0:0].copy()
            if infeasibility_nb
            else evaluations[0].allocation.copy(),
            comparison=stack("allocation"),
            queueing=stack("queueing"),
            staffing=stack("staffing"),
            costs=stack("costs"),
            violations=stack("violations"),
            smallest_total_beds=smallest_total_beds,
            infeasibility_nb=infeasibility_nb,
        )

    @property
    def optimum_total_beds(self) -> int:
        """Beds in all in the optimum (the fixed total, or the one the model chose)."""
        return int(self.allocation["beds"].sum())
