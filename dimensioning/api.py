"""The public workflow: solve a case and evaluate the optimum beside every alternative."""

from __future__ import annotations

import time
from dataclasses import replace

import pandas as pd

from .case import Case
from .errors import SolverError
from .evaluate import Evaluation, evaluate
from .explain import marginal_values, moves
from .labels import BEST_WITHIN, OPTIMUM
from .model import BuildOptions, build_model, model_data, update_params
from .results import Result
from .solve import (
    SolveOptions,
    SolveStatus,
    Termination,
    allocation_from_model,
    diagnose_infeasible,
    run_solver,
    smallest_total_beds,
)
from .verify import Verification, VerifyOptions, effective_load_factor, simulated_table, tightened


def solve(case: Case, options: SolveOptions | None = None, verify: VerifyOptions | None = None) -> Result:
    """Find the cheapest allocation that meets every rule, and compare it with the alternatives.

    Args:
        case: A validated case (see :func:`~dimensioning.case.load_case`).
        options: Solver settings.
        verify: Simulate the optimum with the case's own rules and tighten the targets of the types
            that miss, until the simulated plan holds (:mod:`~dimensioning.verify`); the
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
        optimum, verification = _verified(case, optimum, options, verify)
    # the solved model is reused to check every plan against the rules (values are overwritten)
    evaluations = [evaluate(case, optimum, OPTIMUM, checker=m)]
    refuse_rule_breaking_optimum(evaluations[0])
    evaluations += _alternatives(case, m)
    if verification is not None:
        simulated = [verification.simulated] + [
            simulated_table(case, e.allocation, e.name, verify) for e in evaluations[1:]
        ]
        verification = replace(verification, simulated=pd.concat(simulated, ignore_index=True))
    status = _with_runtime(status, time.perf_counter() - started)
    result = Result.from_evaluations(case, status, evaluations, smallest_total_beds(case, options))
    return _with_explanation(replace(result, verification=verification))


def _verified(
    case: Case, plan: pd.DataFrame, options: SolveOptions | None, verify: VerifyOptions
) -> tuple[pd.DataFrame, Verification]:
    """The loop of :mod:`~dimensioning.verify`: simulate, tighten the types that miss, solve again.

    Returns the plan to recommend (the first that holds in simulation; if none does, the one
    with the fewest types missing, then the smallest total excess) and the record of the loop.
    """
    factors: dict[str, float] = {}
    rows, tried = [], []
    model = None  # built once; later tightenings only change its parameters (as in a sweep)
    exhausted = True
    for iteration in range(verify.max_iterations + 1):
        simulated = simulated_table(case, plan, OPTIMUM, verify)
        beds = plan.groupby("bed_type", sort=False)["beds"].sum().reindex(case.bed_type_names).to_numpy()
        rows.append(
            simulated.assign(
                iteration=iteration, beds=beds, load_factor=[factors.get(t, 1.0) for t in case.bed_type_names]
            )
        )
        tried.append((plan, simulated))
        missing = simulated[~simulated["holds"]]
        if missing.empty:
            exhausted = False
            break
        if iteration == verify.max_iterations:
            break
        for row in missing.itertuples():
            factor = effective_load_factor(case, plan, row.bed_type, row.blocking_sim)
            factors[row.bed_type] = max(factors.get(row.bed_type, 1.0) * 1.02, factor)  # at least a step
        data = model_data(tightened(case, factors))
        if model is None:
            model = build_model(data, BuildOptions(sweep=True))
        else:
            update_params(model, data)
        if run_solver(model, options).termination is Termination.INFEASIBLE:
            break  # no plan within the rules meets the tightened targets
        plan = allocation_from_model(model)
    if exhausted:  # recommend the least bad plan the loop saw
        plan, simulated = min(tried, key=lambda pair: _shortfall(pair[1]))
    else:
        plan, simulated = tried[-1]
    columns = ["iteration", "bed_type", "beds", "max_blocking", "blocking_sim", "blocking_ci", "load_factor", "holds"]
    iterations = pd.concat(rows, ignore_index=True)[columns]
    return plan, Verification(iterations, simulated, not exhausted, exhausted, verify)


def _shortfall(simulated: pd.DataFrame) -> tuple[int, float]:
    """Types missing their target in simulation, and by how much in all (for ranking plans)."""
    missing = simulated[~simulated["holds"]]
    return len(missing), float((missing["blocking_sim"] - missing["max_blocking"]).sum())


def _with_explanation(result: Result) -> Result:
    """Add why this split: the worth of a bed per type, and the moves from the reference alternative."""
    case = result.case
    reference = case.reference_name
    steps = None
    if reference is not None:
        rows = case.alternatives[case.alternatives["alternative"] == reference]
        steps = moves(case, rows[["site", "bed_type", "beds"]], result.allocation)
    return replace(result, marginal=marginal_values(case, result.allocation), moves=steps)


def _alternatives(case: Case, checker: object) -> list[Evaluation]:
    """Every alternative of the workbook, evaluated against the same model."""
    evaluations = []
    for name in case.alternative_names:
        rows = case.alternatives[case.alternatives["alternative"] == name]
        evaluations.append(evaluate(case, rows[["site", "bed_type", "beds"]], name, checker=checker))
    return evaluations


def refuse_rule_breaking_optimum(evaluation: Evaluation) -> None:
    """Never call a solution optimal when the model's own rules, checked afresh, say it breaks them.

    The solver works in floating point; absurd but valid-looking numbers could in principle let
    it report a plan that rounds into a breach. Input domains make this unlikely; this is the
    second guard.

    Raises:
        SolverError: Naming the rules the plan breaks.
    """
    broken = evaluation.violations
    if broken.empty:
        return
    lines = ["Løseren fant en fordeling som ikke holder modellens egne krav (numerisk usikkert svar):"]
    lines += [f"  - {message}" for message in broken["message_nb"].head(10)]
    lines.append("Sjekk inndata for svært store eller svært små tall.")
    raise SolverError("\n".join(lines))


def _with_runtime(status: SolveStatus, runtime_s: float) -> SolveStatus:
    """Report the wall time of build, solve and evaluation together."""
    return replace(status, runtime_s=runtime_s)
