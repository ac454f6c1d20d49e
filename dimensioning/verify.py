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
   simulated plan meets every target or no plan within the rules is left.

Every plan is judged on the case as given; the factors only steer the search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import queueing
from .case import Case
from .seasons import arrivals_per_day, bed_matrix, mol_loads
from .simulate import SimulationOptions, simulate


@dataclass(frozen=True)
class VerifyOptions:
    """How to verify by simulation.

    Attributes:
        years: Simulated years per replication (after a one-year warm-up).
        replications: Independent replications (for the 95 % intervals).
        seed: Master seed; the same seed gives the same loop and the same numbers.
        max_iterations: Most re-solves.
        jobs: Worker processes for the simulation (default: every core).
    """

    years: float = 5.0
    replications: int = 10
    seed: int = 2024
    max_iterations: int = 8
    jobs: int | None = None

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
            ``lent_per_year`` (other types' stays in this type's beds) and ``holds``.
        holds: The recommended plan meets every target in the simulated real year.
        exhausted: The loop stopped because no plan within the rules was left (or it hit the
            iteration limit) before the simulation held.
        options: The options used.
    """

    iterations: pd.DataFrame
    simulated: pd.DataFrame
    holds: bool
    exhausted: bool
    options: VerifyOptions


def simulated_table(case: Case, allocation: pd.DataFrame, name: str, options: VerifyOptions) -> pd.DataFrame:
    """Simulated yearly and worst-month blocking per type of one plan, and whether each target holds.

    A target holds when the simulated share is at most the target plus the half-width of its 95 %
    interval (the simulation cannot tell it from the target).
    """
    sim = simulate(case, allocation, options.simulation())
    per_type = sim.per_type.set_index("bed_type").reindex(case.bed_type_names)
    worst = sim.per_month.groupby("bed_type", sort=False)["blocking"].max().reindex(case.bed_type_names)
    target = case.bed_types["max_blocking"].reindex(case.bed_type_names).to_numpy(dtype=float)
    blocking = per_type["blocking"].to_numpy(dtype=float)
    ci = np.nan_to_num(per_type["blocking_ci"].to_numpy(dtype=float))
    return pd.DataFrame(
        {
            "alternative": name,
            "bed_type": case.bed_type_names,
            "max_blocking": target,
            "blocking_sim": blocking,
            "blocking_ci": ci,
            "worst_month_sim": worst.to_numpy(dtype=float),
            "borrowed_sim": per_type["overflow_share"].to_numpy(dtype=float),
            "lent_per_year": per_type["beds_lent_per_year"].to_numpy(dtype=float),
            "holds": (target >= 1.0) | (blocking - ci <= target + 1e-12),
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
