"""The one solver boundary: run HiGHS (through Pyomo's highspy interface) and explain infeasibility.

No Pyomo result object leaves this module: callers get a typed :class:`SolveStatus`, or a
:class:`~dimensioning.common.errors.InfeasibleError` / :class:`~dimensioning.common.errors.SolverError`.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from dimensioning.common.errors import InfeasibleError, Interrupted, SolverError
from dimensioning.common.labels import FAMILY_LABELS, number, percent, with_unit
from dimensioning.inputs.case import Case
from dimensioning.model import BuildOptions, build_model
from dimensioning.model.build import add_pooled_upper_bounds, locate
from dimensioning.model.constraints import RELAXABLE_FAMILIES
from dimensioning.queueing.seasons import NEVER_STABLE

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class SolveOptions:
    """Solver settings. The defaults prove optimality (gap 0) on one thread, deterministically.

    A solve that needs more than ``node_limit`` branch-and-bound nodes stops there: a count, so
    the same plan on every machine however slow. ``time_limit_s`` is only a safety net; a solve it
    stops depends on the machine's speed, and the status says so (:attr:`SolveStatus.stopped`).

    Attributes:
        time_limit_s: Wall-clock limit for HiGHS (a safety net; reported when hit).
        node_limit: Most branch-and-bound nodes (deterministic).
        mip_rel_gap: Relative MIP gap at which HiGHS may stop.
        threads: Solver threads (1 keeps runs reproducible).
        random_seed: HiGHS random seed.
        sub_mip_heuristics: Run HiGHS's sub-MIP heuristics (RINS, RENS and the root
            reduced-cost fixing). Off by default: on these small models (a hundred rows after
            presolve) they take 60 % of the solve, and the search proves the same optimum without
            them (gap 0 either way; checked on Drammen's solve, plan and a 100-scenario sweep).
    """

    time_limit_s: float = 1800.0
    node_limit: int = 200_000
    mip_rel_gap: float = 0.0
    threads: int = 1
    random_seed: int = 0
    sub_mip_heuristics: bool = False


class Termination(enum.Enum):
    """How the solve ended."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # stopped (e.g. time limit) with a solution, optimality not proven
    INFEASIBLE = "infeasible"
    ERROR = "error"


@dataclass(frozen=True)
class SolveStatus:
    """What the solver reported.

    Attributes:
        termination: How the solve ended.
        objective_nok: Objective value of the solution (yearly NOK, tie-break included).
        bound_nok: Best proven lower bound.
        gap: Relative gap between objective and bound.
        runtime_s: Wall-clock time of build and solve.
        solver: Solver name and version.
        stopped: What stopped a solve before optimality was proven: ``"noder"`` (the node limit,
            the same on every machine), ``"tid"`` (the time limit: the plan may differ on a
            faster or slower machine) or ``""``.
        solver_s: HiGHS's own run time on the built model (the floor of any solve; NaN if unknown).
    """

    termination: Termination
    objective_nok: float
    bound_nok: float
    gap: float
    runtime_s: float
    solver: str
    stopped: str = ""
    solver_s: float = float("nan")

    @property
    def label_nb(self) -> str:
        """The status in bokmål."""
        if self.termination is Termination.FEASIBLE and self.stopped == "tid":
            return "gyldig, stoppet av tidsgrensen (ikke bevist optimal)"
        if self.termination is Termination.FEASIBLE and self.stopped == "noder":
            return "gyldig, stoppet av grensen for søket (ikke bevist optimal)"
        return {
            Termination.OPTIMAL: "optimal (bevist)",
            Termination.FEASIBLE: "gyldig, ikke bevist optimal",
            Termination.INFEASIBLE: "ingen gyldig løsning",
            Termination.ERROR: "feil i løseren",
        }[self.termination]

    @property
    def stop_note_nb(self) -> str:
        """What a planner must know about a solve that stopped early (empty when proven optimal)."""
        if self.termination is not Termination.FEASIBLE:
            return ""
        gap = percent(self.gap, 2) if self.gap == self.gap else "ukjent"
        if self.stopped == "tid":
            return (
                f"Løseren stoppet ved tidsgrensen etter {number(self.runtime_s, 0)} s før fordelingen var bevist "
                f"optimal (avstand til beste grense {gap}). En raskere eller tregere maskin kan stoppe et annet "
                "sted og gi en annen fordeling; tallene er da ikke garantert like fra maskin til maskin."
            )
        if self.stopped == "noder":
            return (
                f"Løseren stoppet ved grensen for søket før fordelingen var bevist optimal (avstand til beste "
                f"grense {gap}). Grensen er et antall steg, ikke tid, så svaret er det samme på alle maskiner."
            )
        return f"Fordelingen er gyldig, men ikke bevist optimal (avstand til beste grense {gap})."


def persistent_solver() -> Highs:
    """A persistent HiGHS interface to pass to :func:`run_solver` again and again (sweeps, the years).

    It keeps the model it was given and sends HiGHS only what changed since the last solve. Made
    here so that Pyomo stays behind the solver boundary (``model/`` and this module).
    """
    return Highs()


#: HiGHS's own default of ``mip_max_improving_sols`` (no limit), set back after a feasibility check.
_NO_SOLUTION_LIMIT = 2_147_483_647


def run_solver(
    m: pyo.ConcreteModel,
    options: SolveOptions | None = None,
    solver: Highs | None = None,
    first_solution: bool = False,
) -> SolveStatus:
    """Solve a built model with HiGHS and load the solution into it.

    Args:
        m: A model from :func:`~dimensioning.model.build_model`.
        options: Solver settings.
        solver: A persistent HiGHS interface to reuse (sweeps: it sends only what changed).
        first_solution: Stop at the first solution found: a feasibility check, whose solution is
            valid but not the optimum (HiGHS starts every MIP afresh, so a later full solve of
            the same model gives the same answer as it would have without the check).

    Returns:
        The status; the model's variables hold the solution unless infeasible.

    Raises:
        SolverError: If HiGHS is missing or stops without a solution for another reason.
    """
    options = options or SolveOptions()
    solver = solver or Highs()
    if not solver.available():
        msg = "Løseren HiGHS (pakken highspy) er ikke installert."
        raise SolverError(msg)
    config = {
        "load_solutions": False,
        "raise_exception_on_nonoptimal_result": False,
        "time_limit": options.time_limit_s,
        "rel_gap": options.mip_rel_gap,
        "threads": options.threads,
        "solver_options": {
            "random_seed": options.random_seed,
            "mip_abs_gap": 1e-6,
            "mip_max_nodes": options.node_limit,
            # options stay set on a persistent solver: always say which
            "mip_max_improving_sols": 1 if first_solution else _NO_SOLUTION_LIMIT,
            "mip_heuristic_run_rins": options.sub_mip_heuristics,
            "mip_heuristic_run_rens": options.sub_mip_heuristics,
            "mip_heuristic_run_root_reduced_cost": options.sub_mip_heuristics,
        },
    }
    started = time.perf_counter()
    # HiGHS's run clock adds up over a persistent solver's solves: this solve is the difference
    model = getattr(solver, "_solver_model", None)
    clock_before = model.getRunTime() if model is not None else 0.0
    with _noting_interrupts() as interrupts:
        results = solver.solve(m, **config)
    # Pyomo turns HiGHS's console log on for the solve (and captures it); off again, or the next
    # update of a persistent solver writes HiGHS's warnings straight to the terminal
    model = getattr(solver, "_solver_model", None)
    if model is not None:
        model.setOptionValue("log_to_console", False)
    runtime = time.perf_counter() - started
    if interrupts:  # HiGHS cancels on Ctrl-C and reports an error status: say what happened
        msg = f"Løsingen ble avbrutt etter {number(runtime, 1)} s (Ctrl-C eller stoppsignal)."
        raise Interrupted(msg)
    condition = results.termination_condition
    version = ".".join(str(v) for v in solver.version())
    has_solution = results.incumbent_objective is not None
    if condition in (
        TerminationCondition.provenInfeasible,
        TerminationCondition.infeasibleOrUnbounded,
    ):
        return SolveStatus(
            Termination.INFEASIBLE,
            float("nan"),
            float("nan"),
            float("nan"),
            runtime,
            f"HiGHS {version}",
        )
    if condition == TerminationCondition.interrupted:
        msg = f"Løsingen ble avbrutt etter {number(runtime, 1)} s (Ctrl-C eller stoppsignal)."
        raise Interrupted(msg)
    if not has_solution:
        reason = _STOP_REASONS.get(condition.name, condition.name)
        msg = f"HiGHS stoppet uten løsning etter {number(runtime, 1)} s: {reason}."
        raise SolverError(msg)
    results.solution_loader.load_vars()
    objective = float(results.incumbent_objective)
    bound = float(results.objective_bound) if results.objective_bound is not None else objective
    gap = abs(objective - bound) / max(abs(objective), 1e-9)
    termination = (
        Termination.OPTIMAL if condition == TerminationCondition.convergenceCriteriaSatisfied else Termination.FEASIBLE
    )
    stopped = {TerminationCondition.maxTimeLimit: "tid", TerminationCondition.iterationLimit: "noder"}
    LOGGER.info("HiGHS %s: %s, objective %.2f, gap %.2e", version, condition.name, objective, gap)
    highs_s = float(getattr(results.timing_info, "highs_time", None) or float("nan")) - clock_before
    return SolveStatus(
        termination, objective, bound, gap, runtime, f"HiGHS {version}", stopped.get(condition, ""), highs_s
    )


@contextlib.contextmanager
def _noting_interrupts() -> Iterator[list[int]]:
    """Record SIGINT while HiGHS runs, keeping Python's own handling (a KeyboardInterrupt).

    HiGHS catches the interruption itself, cancels, and returns an error status; the record is
    how the caller can tell an interruption from a solver failure. Only in the main thread, and
    not where SIGINT is ignored (pool workers, where the parent handles Ctrl-C).
    """
    seen: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield seen
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous in (signal.SIG_IGN, None):
        yield seen
        return

    def note(signum: int, frame: object) -> None:
        seen.append(signum)
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, note)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


_STOP_REASONS = {
    "maxTimeLimit": "tidsgrensen ble nådd før en gyldig fordeling var funnet",
    "iterationLimit": "grensen for antall iterasjoner ble nådd",
    "objectiveLimit": "grensen for målfunksjonen ble nådd",
    "unbounded": "modellen er ubegrenset (en kostnad er trolig negativ)",
    "error": "løseren meldte en intern feil (sjekk inndata for ekstreme tall)",
    "unknown": "ukjent årsak",
}


def allocation_from_model(m: pyo.ConcreteModel) -> pd.DataFrame:
    """Beds per (site, bed type) of a solved model, as a tidy table sorted in model order."""
    rows = [{"site": s, "bed_type": t, "beds": round(pyo.value(m.x[s, t]))} for s in m.S for t in m.T]
    return pd.DataFrame(rows, columns=["site", "bed_type", "beds"])


class Placer:
    """Places given pooled beds per type at the sites at least cost, within every rule but the targets.

    One model (built once, in sweep mode without derived bounds) and one persistent HiGHS serve
    every call, so a call costs one small MIP. The targets are the caller's business: the
    simulation-based search (:mod:`~dimensioning.workflows.search`) decides how many beds each type gets.
    """

    def __init__(self, case: Case, options: SolveOptions | None = None, new_premises: bool = False) -> None:
        """One placement model; with ``new_premises`` the total and the buildings' rules are left out.

        That is where beds beyond the total go: the plan that holds needs more beds than the case
        allows, and perhaps more than its premises hold (:data:`BUILDING_FAMILIES`).
        """
        self.model = build_model(case, BuildOptions(sweep=True, derived_bounds=False))
        add_pooled_upper_bounds(self.model)
        if new_premises:
            for family in ("total_beds", *BUILDING_FAMILIES):
                if hasattr(self.model, f"res_{family}"):
                    getattr(self.model, f"res_{family}").deactivate()
        self.solver = Highs()
        self.options = options
        self.types = list(case.bed_type_names)

    def place(self, pooled: dict[str, int]) -> pd.DataFrame | None:
        """``site, bed_type, beds`` with exactly ``pooled[t]`` beds of each type, or None if no placement is valid."""
        m = self.model
        counts = {t: int(pooled.get(t, 0)) for t in self.types}
        m.p_min_beds.store_values(counts)
        m.p_pooled_max.store_values(counts)
        if run_solver(m, self.options, self.solver).termination is Termination.INFEASIBLE:
            return None
        return allocation_from_model(m)


def explain_infeasibility(case: Case, options: SolveOptions | None = None) -> pd.DataFrame:
    """Find which restriction families conflict, by solving the elastic model.

    Every restriction gets a slack penalised far above any cost, so the solver breaks as few
    units of rules as it can; the rules it had to break are the conflict.

    Returns:
        One row per relaxed constraint: ``family, site, bed_type, slack, message_nb``, sorted.
    """
    return elastic_solution(case, options)[0]


def elastic_solution(case: Case, options: SolveOptions | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The elastic model's slack per broken rule, and its allocation.

    The allocation is the best split within the rules that can hold: it breaks as few units of the
    others as possible, then costs the least.

    Returns:
        ``(slack, allocation)``: the table of :func:`explain_infeasibility` and ``site, bed_type, beds``.
    """
    m = build_model(case, BuildOptions(elastic=True))
    status = run_solver(m, options)
    if status.termination is Termination.INFEASIBLE:  # cannot happen: every rule has slack
        msg = "Selv den elastiske modellen er uløselig: kontakt utviklerne."
        raise SolverError(msg)
    sites, types = set(m.S), set(m.T)
    rows = []
    for (family, label, direction), var in m.slack.items():
        amount = float(pyo.value(var))
        if amount <= 1e-6:
            continue
        rows.append(
            {
                "family": family,
                **locate(label.split("|"), sites, types),
                "group": label if family == "staff_available" else "",  # the skill group
                "direction": direction,
                "slack": amount,
            }
        )
    frame = pd.DataFrame(rows, columns=["family", "site", "bed_type", "group", "direction", "slack"])
    order = {name: i for i, name in enumerate(RELAXABLE_FAMILIES)}
    frame["_order"] = frame["family"].map(order)
    frame = frame.sort_values(["_order", "site", "bed_type"]).drop(columns="_order")
    frame["message_nb"] = [_slack_message(r) for r in frame.itertuples()]
    return frame.reset_index(drop=True), allocation_from_model(m)


# Rules about the buildings: dropped when asking how many beds new or larger premises would need.
BUILDING_FAMILIES = ("site_capacity", "single_rooms", "bath_rooms", "screened_rooms")


def smallest_total_beds(case: Case, options: SolveOptions | None = None, new_premises: bool = False) -> int | None:
    """The fewest beds in all that meet every rule but the total: "how many beds do we need?".

    The allocation model without its total, minimising the number of beds: blocking targets,
    smallest units, rooms, facilities, policies and site capacities all still hold. None if even
    that is impossible (then another rule than the total is the conflict).

    Args:
        case: The case.
        options: Solver settings.
        new_premises: Also drop the rules about the buildings (:data:`BUILDING_FAMILIES`): the
            beds the targets need when the municipality may build or extend.
    """
    m = build_model(case, BuildOptions(derived_bounds=False))
    m.res_total_beds.deactivate()
    if new_premises:
        for family in BUILDING_FAMILIES:
            if hasattr(m, f"res_{family}"):
                getattr(m, f"res_{family}").deactivate()
    m.obj.deactivate()
    m.obj_fewest_beds = pyo.Objective(expr=sum(m.x[s, t] for s in m.S for t in m.T), sense=pyo.minimize)
    status = run_solver(m, options)
    if status.termination is Termination.INFEASIBLE:
        return None
    return round(status.objective_nok)


def conflicting_families(case: Case, options: SolveOptions | None = None) -> list[str]:
    """An irreducible set of restriction families that cannot all hold (a family-level IIS).

    Deletion filter: starting from the full (infeasible) model, each family in turn is switched
    off; if the model stays infeasible the family is not needed for the conflict and stays off,
    otherwise it is switched back on. What remains on is a minimal conflicting set: dropping any
    one of its families makes the case solvable. Costs one solve per family.

    Returns:
        Family names (as in :data:`~dimensioning.model.constraints.RELAXABLE_FAMILIES`).
    """
    m = build_model(case, BuildOptions(derived_bounds=False))
    present = [f for f in RELAXABLE_FAMILIES if hasattr(m, f"res_{f}")]
    needed = []
    for family in present:
        component = getattr(m, f"res_{family}")
        component.deactivate()
        if run_solver(m, options).termination is not Termination.INFEASIBLE:
            component.activate()
            needed.append(family)
    return needed


def solvable_without(case: Case, families: list[str], options: SolveOptions | None = None) -> dict[str, bool]:
    """For each family, whether the whole case becomes solvable when that family alone is dropped.

    A minimal conflicting set only promises that its own members conflict; another conflict may
    remain elsewhere. This check re-solves, so what the message claims is what was seen.
    """
    m = build_model(case, BuildOptions(derived_bounds=False))
    answer = {}
    for family in families:
        component = getattr(m, f"res_{family}")
        component.deactivate()
        answer[family] = run_solver(m, options).termination is not Termination.INFEASIBLE
        component.activate()
    return answer


def _slack_message(row: object) -> str:
    """Say in bokmål how much one rule had to give."""
    label, unit, explanation = FAMILY_LABELS.get(row.family, (row.family, "", ""))
    where = " / ".join(p for p in (row.site, row.bed_type, getattr(row, "group", "")) if p)
    where = f" ({where})" if where else ""
    verb = "mangler" if row.direction == "under" else "over grensen med"
    decimals = 0 if abs(row.slack - round(row.slack)) < 1e-6 else 1
    return f"{label}{where}: {verb} {with_unit(row.slack, unit, decimals)} – {explanation}"


def infeasible_error(
    case: Case, conflicts: pd.DataFrame, families: list[str], solvable: dict[str, bool] | None = None
) -> InfeasibleError:
    """Build the bokmål error for an infeasible case.

    Args:
        case: The case.
        conflicts: The elastic model's slack per constraint (:func:`explain_infeasibility`).
        families: A minimal conflicting set of families (:func:`conflicting_families`).
        solvable: For each family, whether dropping it alone makes the case solvable
            (:func:`solvable_without`); every sentence about it is what a re-solve showed.
    """
    labels = [FAMILY_LABELS[f][0] for f in families]
    when = " når kravet til avvisning skal holde i hver måned (topp)" if case.peak_dimensioning else ""
    lines = [
        f"Ingen fordeling oppfyller alle kravene i «{case.display_name}»{when}.",
        f"Disse kravene kan ikke oppfylles samtidig: {', '.join(labels)} "
        "(et minimalt sett: hvert av dem trengs for at de står mot hverandre).",
    ]
    if solvable:
        enough = [FAMILY_LABELS[f][0] for f in families if solvable.get(f)]
        if enough:
            names = " eller ".join(f"«{label}»" for label in enough)
            lines.append(f"Kontrollert ved ny løsning: lempes {names} alene, finnes det en løsning.")
        else:
            lines.append(
                "Kontrollert ved ny løsning: å lempe bare ett av dem er ikke nok; flere krav må endres samtidig."
            )
    lines.append("Minste brudd som gjør problemet løsbart (funnet av modellen med straffet slakk):")
    lines += [f"  - {message}" for message in conflicts["message_nb"]]
    return InfeasibleError("\n".join(lines), conflicts, families)


def _unreachable_targets(case: Case) -> list[str]:
    """One sentence per type whose blocking target no bed count up to the largest possible meets."""
    curves, types = case.real_year_curves, case.bed_types
    most = curves.yearly.shape[0] - 1
    lines = []
    for i, t in enumerate(case.bed_type_names):
        if case.min_beds_for_target[t] <= most:
            continue
        if case.peak_dimensioning:
            months = curves.arrivals[:, i] > 0
            best = float((curves.turned_away[most, months, i] / curves.arrivals[months, i]).max())
        else:
            best = float(curves.yearly[most, i] / curves.arrivals[:, i].sum())
        why = " Perioder med stengte senger i arket «Kapasitet» teller med." if not case.capacity.empty else ""
        lines.append(
            f"«{t}»: selv med alle {most} plassene avvises {percent(best)} "
            f"(krav {percent(float(types.at[t, 'max_blocking']), 0)}); kravet kan ikke nås med noe antall senger.{why}"
        )
    return lines


def unstable_queue_lines(case: Case) -> list[str]:
    """One sentence per waiting type without patience whose stable bed count the total cannot give."""
    most = case.settings.total_bounds(int(case.sites["beds"].sum()))[1]
    lines = []
    for t, needed in case.min_stable_beds.items():
        if needed <= most:
            continue
        if needed >= NEVER_STABLE:
            lines.append(f"«{t}»: sengene er stengt hele året, så køen vokser uten grense.")
            continue
        lines.append(
            f"«{t}»: pasientene venter uten å gi opp, så køen vokser uten grense med færre enn "
            f"{with_unit(needed, 'senger')} (belastning {number(float(case.load_beds[t]), 1)} senger, "
            f"sesong og stengte senger regnet med); uten grense finnes ingen gjennomsnittlig ventetid. "
            f"Gi plasstypen minst {needed} plasser, eller oppgi i «Plasstyper» hvor lenge pasientene i snitt venter "
            "før de gir opp (gir_opp_etter_dager)."
        )
    return lines


def diagnose_infeasible(case: Case, options: SolveOptions | None = None) -> InfeasibleError:
    """The bokmål error for an infeasible case.

    It holds the elastic slack, a minimal conflicting set, a re-solve check of each member, the
    smallest total that would meet every other rule (or, when the buildings are the limit, the
    beds new premises would need), and the elastic model's allocation (``best_within``).
    """
    families = conflicting_families(case, options)
    slack, best_within = elastic_solution(case, options)
    error = infeasible_error(case, slack, families, solvable_without(case, families, options))
    fewest = smallest_total_beds(case, options)
    unstable = unstable_queue_lines(case)
    site_beds = int(case.sites["beds"].sum())
    low, high = case.settings.total_bounds(site_beds)
    if fewest is not None and not low <= fewest <= high:
        error.args = (f"{error.args[0]}\nAlle de andre kravene kan oppfylles med {fewest} plasser til sammen.",)
    elif fewest is None:
        needed = smallest_total_beds(case, options, new_premises=True)
        if needed is None and unstable:
            line = "Køen under kan ikke bli stabil innenfor det antallet plasser modellen regner med; se under."
        elif needed is None:
            line = "Kravene kan ikke oppfylles med noe antall plasser, heller ikke i nye lokaler; se kravene over."
        else:
            line = (
                f"Lokasjonene har plass til {site_beds} senger. Med nye eller utvidede lokaler trenger kravene "
                f"minst {needed} plasser til sammen ({needed - site_beds:+d} mot dagens lokaler)."
            )
        error.args = (f"{error.args[0]}\n{line}",)
    unreachable = _unreachable_targets(case) + unstable
    if unreachable:
        error.args = (f"{error.args[0]}\n" + "\n".join(unreachable),)
    error.smallest_total_beds = fewest
    error.best_within = best_within
    return error
