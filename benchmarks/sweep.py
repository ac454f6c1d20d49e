"""Sweep speed: our sweep per scenario vs a bare highspy solve of the same MIP (the floor).

Prints, in one run on this machine:
- per-scenario wall time of `sweep()` on one process (validation, model update, solve, evaluation);
- per-scenario time of the same MIP built directly with highspy's API and solved (the floor),
  with a check that both find the same optimal cost;
- their ratio;
- wall time of 1,000 Drammen scenarios on every core.

Run: python benchmarks/sweep.py [--scenarios 1000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import time

import highspy
import numpy as np

from dimensioning.inputs.case import case_from_tables, read_case_tables
from dimensioning.inputs.examples import drammen_path
from dimensioning.inputs.scenarios import Scenario, apply, parse_override
from dimensioning.model import model_data
from dimensioning.model.objective import TIE_BREAK_NOK_PER_BED
from dimensioning.workflows.sweep import sweep


def grid_scenarios(base, count: int) -> list[Scenario]:
    """Pleiefaktor of the 0.79 types x demand growth, `count` points."""
    pleiefaktor = parse_override("Plasstyper:Forsterket (USK):pleiefaktor", base)
    growth = parse_override("vekst_etterspørsel", base)
    side = int(np.ceil(np.sqrt(count)))
    factors = np.linspace(0.68, 0.90, side)
    growths = np.linspace(0.85, 1.05, side)
    scenarios = []
    for i, (pf, g) in enumerate((p, q) for p in factors for q in growths):
        if i == count:
            break
        scenarios.append(Scenario(f"s{i:05d}", ((pleiefaktor, round(float(pf), 6)), (growth, round(float(g), 6)))))
    return scenarios


def highspy_floor(data) -> tuple[float, float]:
    """Build the same MIP with highspy's own API, solve it, return (objective, seconds)."""
    started = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-6)
    h.setOptionValue("random_seed", 0)
    sites, types, big = data.sites, data.bed_types, data.max_beds_per_type
    x = {(s, t): h.addIntegral(lb=0, ub=big) for s in sites for t in types}
    y = {(s, t): h.addBinary() for s in sites for t in types}
    nurse = {(s, t): h.addVariable(lb=0) for s in sites for t in types}
    step_costs = data.step_costs()
    step = {(t, k): h.addVariable(lb=0, ub=1) for t in types for k in range(big)}
    h.addConstr(sum(x.values()) == data.total_beds)
    for s in sites:
        h.addConstr(sum(x[s, t] for t in types) <= data.site_beds[s])
        if data.needs_single:
            h.addConstr(sum(x[s, t] for t in data.needs_single) <= data.single_rooms[s])
        if data.needs_bath:
            h.addConstr(sum(x[s, t] for t in data.needs_bath) <= data.bath_rooms[s])
        if data.needs_screened:
            h.addConstr(sum(y[s, t] for t in data.needs_screened) <= data.screened_rooms[s])
    for s, t in data.forbidden_pairs:
        h.addConstr(x[s, t] <= 0)
    for s in sites:
        for t in types:
            h.addConstr(x[s, t] - data.site_beds[s] * y[s, t] <= 0)
            if data.min_unit_beds[t] > 0:
                h.addConstr(x[s, t] - data.min_unit_beds[t] * y[s, t] >= 0)
            h.addConstr(nurse[s, t] - data.nurse_fte_per_bed[t] * x[s, t] >= 0)
            h.addConstr(nurse[s, t] - data.min_nurse_fte * y[s, t] >= 0)
    for t in types:
        if data.max_sites[t] is not None:
            h.addConstr(sum(y[s, t] for s in sites) <= data.max_sites[t])
        if data.min_beds_for_target[t] > 0:
            h.addConstr(sum(x[s, t] for s in sites) >= data.min_beds_for_target[t])
        h.addConstr(sum(step[t, k] for k in range(big)) - sum(x[s, t] for s in sites) == 0)
    objective = (
        sum(data.other_cost_per_bed[t] * x[s, t] + data.nurse_cost_per_fte * nurse[s, t] for s in sites for t in types)
        + sum(step_costs[t, k] * step[t, k] for t in types for k in range(big))
        + TIE_BREAK_NOK_PER_BED * sum(data.tie_break_weight[p] * x[p] for p in x)
    )
    constant = sum(float(data.shortfall_cost_curve[t][0]) for t in types)
    h.minimize(objective)
    elapsed = time.perf_counter() - started
    return h.getInfo().objective_function_value + constant, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenarios", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=60, help="scenarios for the per-scenario comparison")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    base = read_case_tables(drammen_path())
    sample = grid_scenarios(base, args.sample)

    started = time.perf_counter()
    ours = sweep(base, sample, jobs=1).table
    ours_per = (time.perf_counter() - started) / len(sample)

    floor_times, mismatches = [], 0
    for scenario, row in zip(sample, ours.itertuples(index=False), strict=True):
        data = model_data(case_from_tables(apply(base, scenario)))
        objective, seconds = highspy_floor(data)
        floor_times.append(seconds)
        # our table reports cost without the tie-break (at most ~700 NOK)
        if abs(objective - row.total_cost_nok) > 1000.0:
            mismatches += 1
    floor_per = float(np.mean(floor_times))

    big = grid_scenarios(base, args.scenarios)
    started = time.perf_counter()
    sweep(base, big, jobs=args.jobs)
    big_wall = time.perf_counter() - started

    print(f"scenarios in sample              {len(sample)}")
    print(f"our sweep, one process           {ours_per * 1000:8.1f} ms per scenario")
    print(f"bare highspy (build + solve)     {floor_per * 1000:8.1f} ms per scenario")
    print(f"ratio ours / floor               {ours_per / floor_per:8.2f}")
    print(f"objective mismatches             {mismatches}")
    print(
        f"{args.scenarios} scenarios on {args.jobs} processes  {big_wall:8.1f} s wall "
        f"({big_wall / args.scenarios * 1000:.1f} ms per scenario)"
    )


if __name__ == "__main__":
    main()
