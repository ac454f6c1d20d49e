"""Sweep speed: our sweep per scenario against HiGHS's own solve of each scenario's model (the floor).

Prints, in one run on this machine:
- per-scenario wall time of one worker's :class:`ScenarioSolver` (validation, curves, model
  update, solve, evaluation, the result row), the first scenario apart: it builds the model and
  loads the compiled loops once per worker;
- per-scenario run time of HiGHS itself on the already-built model (``SolveStatus.solver_s``, as
  HiGHS reports it), collected from the same scenarios' own solves: the floor no Python work beats;
- their ratio (budget 1.5), and the same with the first scenario spread over the sample;
- wall time of 1,000 Drammen scenarios through ``sweep()`` on every core (budget 60 s on 2 cores),
  everything included (worker start, journal-free run, the final table).

Run: python benchmarks/sweep.py [--scenarios 1000] [--sample 200] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from dimensioning.inputs.case import read_case_tables
from dimensioning.inputs.examples import drammen_path
from dimensioning.inputs.scenarios import Scenario, parse_override
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenarios", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=200, help="scenarios for the per-scenario comparison")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    base = read_case_tables(drammen_path())
    sample = grid_scenarios(base, args.sample)

    import dimensioning.workflows.sweep as sweeping

    highs_times: list[float] = []
    real = sweeping.run_solver

    def timed_solver(*args, **kwargs):
        status = real(*args, **kwargs)
        highs_times.append(status.solver_s)
        return status

    sweeping.run_solver = timed_solver
    solver = sweeping.ScenarioSolver(base)
    walls = []
    for scenario in sample:
        started = time.perf_counter()
        row = solver.solve(scenario)
        walls.append(time.perf_counter() - started)
        assert row["status"] == sweeping.STATUS_OK, row
    sweeping.run_solver = real
    ours, floor = np.asarray(walls), np.asarray(highs_times)
    steady, steady_floor = ours[1:].mean(), floor[1:].mean()

    big = grid_scenarios(base, args.scenarios)
    started = time.perf_counter()
    sweep(base, big, jobs=args.jobs)
    big_wall = time.perf_counter() - started

    print(f"scenarios in sample              {len(sample)}")
    print(f"first scenario (model built)     {ours[0] * 1000:8.1f} ms")
    print(f"our sweep, one process           {steady * 1000:8.1f} ms per scenario after the first")
    print(f"HiGHS's own solve (the floor)    {steady_floor * 1000:8.1f} ms per scenario after the first")
    print(f"ratio ours / floor               {steady / steady_floor:8.2f}  (budget 1.5)")
    print(f"  with the first one spread      {ours.mean() / floor.mean():8.2f}")
    print(
        f"{args.scenarios} scenarios on {args.jobs} processes  {big_wall:8.1f} s wall "
        f"({big_wall / args.scenarios * 1000:.1f} ms per scenario)"
    )


if __name__ == "__main__":
    main()
