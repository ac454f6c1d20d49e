r"""Simulation-verified recommendation: simulate the optimum, tighten what misses, solve again.

The analytic model (continued Erlang B over the real year) leaves out what the simulation has:
whole beds closed at each site, and the free-bed principle (``kan_bruke_andre``, ``reservert``),
under which respite and USK patients fill dementia beds. The loop, in the spirit of the iterative
staffing algorithm of Feldman, Mandelbaum, Massey and Whitt (2008):

1. solve the MIP;
2. simulate the plan with the case's own rules (seeded, so the loop is reproducible);
3. for every type whose simulated blocking exceeds its target beyond the 95 % interval, find the
   effective load factor :math:`k_t \ge 1` at which the analytic real-year blocking of its
   current beds equals the simulated one, :math:`\bar B_t(c_t;\, k_t m_t) = \hat B_t`, and keep
   the largest factor seen (factors only grow, so the loop ends);
4. solve again with the loads :math:`k_t m_t` (targets and costs both move), and repeat until the
   simulated plan meets every target or no plan within the rules is left;
5. search around the loop's best plan with the simulation as the judge (:mod:`~dimensioning.workflows.search`):
   the sharing rule's open choices (``Deling``, ``velg``) and one-bed moves between types, until
   the simulated plan holds at least cost, or, when nothing within the total holds, the smallest
   total that holds in simulation.

A lender whose beds are kept back by an open choice is left to step 5: its blocking in simulation
comes from the borrowers, which a higher load on its own curve cannot describe. Every plan is
judged on the case as given; the factors only steer the search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dimensioning import queueing
from dimensioning.common.labels import OPTIMUM
from dimensioning.inputs.case import Case
from dimensioning.inputs.sharing import open_choices, with_defaults
from dimensioning.model import BuildOptions, build_model, model_data, update_params
from dimensioning.queueing.seasons import arrivals_per_day, bed_matrix, mol_loads
from dimensioning.simulation.simulate import SimulationOptions, simulate
from dimensioning.solve import Placer, SolveOptions, Termination, allocation_from_model, run_solver
from dimensioning.workflows.evaluate import fixed_yearly_cost, targets_hold
from dimensioning.workflows.search import Search, SearchOptions, SearchRecord


@dataclass(frozen=True)
class VerifyOptions:
    """How to verify by simulation.

    Attributes:
        years: Simulated years per replication (after a one-year warm-up).
        replications: Independent replications (for the 95 % intervals).
        seed: Master seed; the same seed gives the same loop and the same numbers.
        max_iterations: Most re-solves.
        jobs: Worker processes for the simulation (default: every core).
        search: How far the search may go (:class:`~.search.SearchOptions`).
        improve: Tighten, re-solve and search until the simulated plan holds (the default); off,
            the model's plan is only simulated (``--ikke-verifiser``: the same evaluation of record,
            the plan called unverified).
    """

    years: float = 5.0
    replications: int = 10
    seed: int = 2024
    max_iterations: int = 8
    jobs: int | None = None
    search: SearchOptions | None = None
    improve: bool = True

    def simulation(self) -> SimulationOptions:
        """The simulation options of one verification run."""
        return SimulationOptions(years=self.years, replications=self.replications, seed=self.seed, jobs=self.jobs)


@dataclass(frozen=True)
class Verification:
    """What the simulation says about the recommendation and the alternatives.

    Attributes:
        iterations: One row per iteration and bed type: ``iteration, bed_type, beds,
            max_blocking, blocking_sim, blocking_ci, load_factor, holds``.
        simulated: Per plan (``alternative``) and type: ``max_blocking, blocking_sim,
            blocking_ci, worst_month_sim, borrowed_sim`` (share served in another type's bed),
            ``lent_per_year`` (other types' stays in this type's beds), the queue
            (``venter``: ``waiting_days_sim``, ``mean_wait_sim``, ``mean_wait_ci``, ``p_wait_sim``,
            ``wait_p90_sim``, ``share_wait_over_7_sim``; ``planlagt``: ``unmet_booked_days_sim``),
            ``max_mean_wait_days`` and ``holds``.
        holds: The recommended plan meets every target in the simulated real year; when not, the
            loop stopped because no plan within the rules was left (or at the iteration limit).
        options: The options used.
        rule: The sharing rule of the recommendation (``Deling``: every open choice chosen).
        steps: The search's accepted steps (:class:`~.search.SearchRecord`).
        larger: When no plan within the total holds: the smallest total that holds in simulation,
            as ``(allocation, rule)``; None otherwise, or when no such plan was found.
        rule_effects: What keeping beds back costs and saves: for each chosen
            ``reserverte_plasser``, the recommendation simulated with that pair at 0, 2, 4, 6 … beds
            (the rest as chosen): ``lender, bed_type, reserve_beds, lender_share, borrower_share,
            ukp_days_per_year, total_cost_nok, chosen``.
    """

    iterations: pd.DataFrame
    simulated: pd.DataFrame
    holds: bool
    options: VerifyOptions
    rule: pd.DataFrame | None = None
    steps: pd.DataFrame | None = None
    larger: tuple[pd.DataFrame, pd.DataFrame] | None = None
    rule_effects: pd.DataFrame | None = None


def simulated_table(
    case: Case, allocation: pd.DataFrame, name: str, options: VerifyOptions, sharing: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Simulated yearly and worst-month blocking per type of one plan, and whether each target holds.

    A target holds when the simulated share is at most the target plus the half-width of its 95 %
    interval (the simulation cannot tell it from the target); for a waiting type with
    ``maks_ventetid_dager`` the simulated mean wait must hold the same way. ``sharing`` is the
    plan's rule of who may use whose free bed (None: the case's, open choices at the free-bed
    principle).
    """
    sim = simulate(case, allocation, options.simulation(), sharing=sharing)
    per_type = sim.per_type.set_index("bed_type").reindex(case.bed_type_names)
    worst = sim.per_month.groupby("bed_type", sort=False)["blocking"].max().reindex(case.bed_type_names)
    target = case.bed_types["max_blocking"].reindex(case.bed_type_names).to_numpy(dtype=float)
    blocking = per_type["blocking"].to_numpy(dtype=float)
    ci = np.nan_to_num(per_type["blocking_ci"].to_numpy(dtype=float))
    wait = per_type["mean_wait_days"].to_numpy(dtype=float)
    wait_ci = per_type["mean_wait_days_ci"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "alternative": name,
            "bed_type": case.bed_type_names,
            "max_blocking": target,
            "blocking_sim": blocking,
            "blocking_ci": ci,
            "worst_month_sim": worst.to_numpy(dtype=float),
            "turned_away_sim": np.where(
                case.bed_types["when_full"].reindex(case.bed_type_names).to_numpy() == "planlagt",
                np.nan,
                blocking * per_type["arrivals_per_year"].to_numpy(dtype=float),
            ),
            "borrowed_sim": per_type["overflow_share"].to_numpy(dtype=float),
            "occupancy_sim": per_type["occupancy"].to_numpy(dtype=float),
            "lent_per_year": per_type["beds_lent_per_year"].to_numpy(dtype=float),
            "waiting_days_sim": per_type["waiting_days_per_year"].to_numpy(dtype=float),
            "mean_wait_sim": wait,
            "mean_wait_ci": wait_ci,
            "p_wait_sim": per_type["p_wait"].to_numpy(dtype=float),
            "wait_p90_sim": per_type["wait_p90_days"].to_numpy(dtype=float),
            "share_wait_over_7_sim": per_type["share_wait_over_7"].to_numpy(dtype=float),
            "unmet_booked_days_sim": per_type["unmet_booked_days_per_year"].to_numpy(dtype=float),
            "max_mean_wait_days": case.bed_types["max_mean_wait_days"]
            .reindex(case.bed_type_names)
            .astype(float)
            .to_numpy(),
            "holds": targets_hold(case, blocking, wait, share_margin=ci, wait_margin=wait_ci),
        }
    )


def effective_load_factor(case: Case, allocation: pd.DataFrame, bed_type: str, blocking: float) -> float:
    r"""The effective load factor of one type: the ISA's estimate of what the simulation saw.

    The factor :math:`k \ge 1` on the type's load at which the analytic real-year blocking of its
    beds in ``allocation`` equals ``blocking`` (bisection; the blocking increases with the load).
    """
    i = case.bed_type_names.index(bed_type)
    open_beds = case.open_shares.to_numpy() @ bed_matrix(case, allocation)[:, i]
    base = mol_loads(case)[bed_type].to_numpy()  # as given, without the loop's factors
    weight = arrivals_per_day(case)[bed_type].to_numpy()

    def year(k: float) -> float:
        return float(queueing.erlang_b_continuous(open_beds, k * base) @ weight / weight.sum())

    low, high = 1.0, 2.0
    if year(low) >= blocking:
        return 1.0
    while year(high) < blocking and high < 1e3:
        low, high = high, 2.0 * high
    for _ in range(60):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if year(middle) < blocking else (low, middle)
    return high


def tightened(case: Case, factors: dict[str, float]) -> Case:
    """The case with the loop's load factors (types at 1 left out)."""
    pairs = tuple((t, float(factors[t])) for t in case.bed_type_names if factors.get(t, 1.0) > 1.0)
    return case.replace(load_factors=pairs)


ITERATION_COLUMNS = [
    "iteration",
    "bed_type",
    "beds",
    "max_blocking",
    "blocking_sim",
    "blocking_ci",
    "load_factor",
    "holds",
]


def verified_plan(
    case: Case, plan: pd.DataFrame, options: SolveOptions | None, verify: VerifyOptions
) -> tuple[pd.DataFrame, Verification]:
    """The loop of this module: simulate, tighten the types that miss, solve again; then search.

    Returns the plan to recommend (the search's: the cheapest it found that holds in simulation;
    if none does, the one that misses least) and the record, whose ``rule`` is the plan's sharing
    rule. Every plan is judged on the case as given; the load factors only steer the model.
    """
    rule = with_defaults(case.sharing)
    if not verify.improve:
        simulated = simulated_table(case, plan, OPTIMUM, verify, sharing=rule)
        beds = plan.groupby("bed_type", sort=False)["beds"].sum().reindex(case.bed_type_names).to_numpy()
        iterations = simulated.assign(iteration=0, beds=beds, load_factor=1.0)[ITERATION_COLUMNS]
        return plan, Verification(iterations, simulated, bool(simulated["holds"].all()), verify, rule)
    chosen_lenders = set(open_choices(case.sharing)["lender"])
    factors: dict[str, float] = {}
    rows, tried = [], []
    model = None  # built once; later tightenings only change its parameters (as in a sweep)
    for iteration in range(verify.max_iterations + 1):
        simulated = simulated_table(case, plan, OPTIMUM, verify, sharing=rule)
        beds = plan.groupby("bed_type", sort=False)["beds"].sum().reindex(case.bed_type_names).to_numpy()
        rows.append(
            simulated.assign(
                iteration=iteration, beds=beds, load_factor=[factors.get(t, 1.0) for t in case.bed_type_names]
            )
        )
        tried.append((plan, simulated))
        missing = simulated[~simulated["holds"]]
        if missing.empty:
            break
        # the loop steers loss types (the effective load factor is an Erlang B inverse) whose beds
        # no open choice keeps back; the search takes the rest
        loss = case.bed_types["when_full"].reindex(missing["bed_type"]).to_numpy() == "avvises"
        missing = missing[loss & ~missing["bed_type"].isin(chosen_lenders).to_numpy()]
        if iteration == verify.max_iterations or missing.empty:
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
    # the plan that holds (the last one tried), or else the least bad one the loop saw
    plan, _ = min(tried, key=lambda pair: _shortfall(pair[1]))
    record, search = _search(case, plan, rule, options, verify)
    state = record.state
    simulated = state.table  # the judge's simulation of this very plan and rule (not run again)
    iterations = pd.concat(rows, ignore_index=True)[ITERATION_COLUMNS]
    larger = None if record.larger is None else (record.larger.allocation, record.larger.rule)
    verification = Verification(
        iterations,
        simulated,
        bool(simulated["holds"].all()),
        verify,
        state.rule,
        record.steps,
        larger,
        _rule_effects(case, search, state),
    )
    return state.allocation, verification


RESERVE_LEVELS = (0, 2, 4, 6, 8)


def _rule_effects(case: Case, search: Search, state: object) -> pd.DataFrame:
    """The recommendation with each chosen number of beds kept back set to 0, 2, 4, 6, 8 (the rest as chosen)."""
    rows = []
    chosen = open_choices(case.sharing)
    pooled = state.pooled()
    for c in chosen[chosen["what"] == "reserve_beds"].itertuples():
        mask = (state.rule["bed_type"] == c.bed_type) & (state.rule["lender"] == c.lender)
        now = int(state.rule.loc[mask, "reserve_beds"].iloc[0])
        for level in sorted({*RESERVE_LEVELS, now}):
            if level > pooled.get(c.lender, 0):
                continue
            rule = state.rule.copy()
            rule.loc[mask, "reserve_beds"] = float(level)
            judged = search.state(state.allocation, rule, "")
            table = judged.table.set_index("bed_type")
            ukp = sum(float(np.nan_to_num(table.at[t, "waiting_days_sim"])) for t in case.ukp_types)
            rows.append(
                {
                    "lender": c.lender,
                    "bed_type": c.bed_type,
                    "reserve_beds": level,
                    "lender_share": float(table.at[c.lender, "blocking_sim"]),
                    "borrower_share": float(table.at[c.bed_type, "blocking_sim"]),
                    "ukp_days_per_year": ukp,
                    "total_cost_nok": judged.cost_nok,
                    "chosen": level == now,
                }
            )
    columns = [
        "lender",
        "bed_type",
        "reserve_beds",
        "lender_share",
        "borrower_share",
        "ukp_days_per_year",
        "total_cost_nok",
        "chosen",
    ]
    return pd.DataFrame(rows, columns=columns)


def _search(
    case: Case, plan: pd.DataFrame, rule: pd.DataFrame, options: SolveOptions | None, verify: VerifyOptions
) -> tuple[SearchRecord, Search]:
    """Step 5 of the module: the search around ``plan`` with this module's simulation as the judge."""
    placer = Placer(case, options)
    growth: list[Placer] = []

    def place_more(pooled: dict[str, int]) -> pd.DataFrame | None:
        if not growth:
            growth.append(Placer(case, options, new_premises=True))
        return growth[0].place(pooled)

    search = Search(
        case,
        judge=lambda allocation, r: simulated_table(case, allocation, OPTIMUM, verify, sharing=r),
        place=placer.place,
        fixed_cost=lambda allocation: fixed_yearly_cost(case, allocation),
        options=verify.search,
        place_more=place_more,
    )
    return search.run(plan, rule), search


def _shortfall(simulated: pd.DataFrame) -> tuple[int, float]:
    """Types missing their target in simulation, and by how much in all (for ranking plans)."""
    missing = simulated[~simulated["holds"]]
    return len(missing), float((missing["blocking_sim"] - missing["max_blocking"]).sum())
