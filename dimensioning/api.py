"""The public workflow: solve a case and evaluate the optimum beside every alternative."""

from __future__ import annotations

import time
from dataclasses import replace

import pandas as pd

from dimensioning.common.labels import BEST_WITHIN, OPTIMUM
from dimensioning.inputs.case import Case
from dimensioning.model import build_model
from dimensioning.results import Result
from dimensioning.solve import (
    SolveOptions,
    SolveStatus,
    Termination,
    allocation_from_model,
    diagnose_infeasible,
    run_solver,
    smallest_total_beds,
)
from dimensioning.workflows.evaluate import (
    Evaluation,
    evaluate,
    of_record,
    refuse_rule_breaking_optimum,
    with_simulated_targets,
)
from dimensioning.workflows.explain import cold_time_values, marginal_values, moves
from dimensioning.workflows.shortfall import staff_limit_report
from dimensioning.workflows.verify import VerifyOptions, simulated_table, verified_plan


def solve(case: Case, options: SolveOptions | None = None, verify: VerifyOptions | None = None) -> Result:
    """Find the cheapest allocation that meets every rule, and compare it with the alternatives.

    Args:
        case: A validated case (see :func:`~dimensioning.inputs.case.load_case`).
        options: Solver settings.
        verify: Simulate the optimum with the case's own rules and tighten the targets of the types
            that miss, until the simulated plan holds (:mod:`~dimensioning.workflows.verify`); the
            alternatives are simulated too. None (the default) skips the simulation.

    Returns:
        The result: optimum first, then each alternative of the case, all evaluated alike.

    Raises:
        InfeasibleError: If no allocation meets every rule; the message names the rules that
            conflict, found by the elastic model.
        SolverError: If the solver fails for another reason.
    """
    started = time.perf_counter()
    m = build_model(case)
    status = run_solver(m, options)
    if status.termination is Termination.INFEASIBLE:
        error = diagnose_infeasible(case, options)
        if "staff_available" in getattr(error, "families", ()):  # which targets the staff there is can hold
            staff = staff_limit_report(case, options)
            if staff is not None:
                error.args = (f"{error.args[0]}\n" + "\n".join(staff.sentences_nb()),)
                error.staff_limit = staff
        best = getattr(error, "best_within", None)
        if case.alternative_names or best is not None:  # the comparison is still worth having
            # the split that breaks the fewest targets within the rules that hold, then each alternative
            first = [] if best is None else [evaluate(case, best, BEST_WITHIN, checker=m)]
            error.result = Result.from_evaluations(
                case,
                status,
                first + _alternatives(case, m),
                getattr(error, "smallest_total_beds", None),
                infeasibility_nb=str(error),
            )
        raise error
    optimum = allocation_from_model(m)
    verification = None
    if verify is not None:
        optimum, verification = verified_plan(case, optimum, options, verify)
    # the solved model is reused to check every plan against the rules (values are overwritten)
    evaluations = [evaluate(case, optimum, OPTIMUM, checker=m)]
    refuse_rule_breaking_optimum(evaluations[0], judged_by_simulation=verification is not None)
    evaluations += _alternatives(case, m)
    if verification is not None:
        simulated = [verification.simulated] + [
            simulated_table(case, e.allocation, e.name, verify) for e in evaluations[1:]
        ]
        verification = replace(verification, simulated=pd.concat(simulated, ignore_index=True))
        evaluations = [
            of_record(case, with_simulated_targets(e, verification.simulated), verification.simulated)
            for e in evaluations
        ]
    status = _with_runtime(status, time.perf_counter() - started)
    result = Result.from_evaluations(case, status, evaluations, smallest_total_beds(case, options))
    return _with_explanation(replace(result, verification=verification))


def _with_explanation(result: Result) -> Result:
    """Add why this split: the worth of a bed per type, and the moves from the reference alternative."""
    case = result.case
    reference = case.reference_name
    steps = None
    if reference is not None:
        rows = case.alternatives[case.alternatives["alternative"] == reference]
        steps = moves(case, rows[["site", "bed_type", "beds"]], result.allocation)
    return replace(
        result,
        marginal=marginal_values(case, result.allocation),
        moves=steps,
        cold_time=cold_time_values(case, result.allocation),
    )


def _alternatives(case: Case, checker: object) -> list[Evaluation]:
    """Every alternative of the workbook, evaluated against the same model."""
    evaluations = []
    for name in case.alternative_names:
        rows = case.alternatives[case.alternatives["alternative"] == name]
        evaluations.append(evaluate(case, rows[["site", "bed_type", "beds"]], name, checker=checker))
    return evaluations


def _with_runtime(status: SolveStatus, runtime_s: float) -> SolveStatus:
    """Report the wall time of build, solve and evaluation together."""
    return replace(status, runtime_s=runtime_s)
