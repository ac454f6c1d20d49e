"""Sweep speed: our sweep per scenario against HiGHS's own solve of each scenario's model (the floor).

Prints, in one run on this machine:
- per-scenario wall time of `sweep()` on one process (validation, curves, model update, solve,
  evaluation);
- per-scenario run time of HiGHS itself on the already-built model (``SolveStatus.solver_s``, as
  HiGHS reports it), collected from the same sweep's own solves: the floor no Python work beats;
- their ratio (budget 1.5);
- wall time of 1,000 Drammen scenarios on every core (budget 60 s on 2 cores).

Run: python benchmarks/sweep.py [--scenarios 1000] [--jobs 2]
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
    parser.add_argument("--sample", type=int, default=60, help="scenarios for the per-scenario comparison")
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
    started = time.perf_counter()
    sweep(base, sample, jobs=1)
    ours_per = (time.perf_counter() - started) / len(sample)
    sweeping.run_solver = real
    floor_per = float(np.nansum(highs_times)) / len(sample)

    big = grid_scenarios(base, args.scenarios)
    started = time.perf_counter()
    sweep(base, big, jobs=args.jobs)
    big_wall = time.perf_counter() - started

    print(f"scenarios in sample              {len(sample)}")
    print(f"our sweep, one process           {ours_per * 1000:8.1f} ms per scenario")
    print(f"HiGHS's own solve (the floor)    {floor_per * 1000:8.1f} ms per scenario")
    print(f"ratio ours / floor               {ours_per / floor_per:8.2f}  (budget 1.5)")
    print(
        f"{args.scenarios} scenarios on {args.jobs} processes  {big_wall:8.1f} s wall "
        f"({big_wall / args.scenarios * 1000:.1f} ms per scenario)"
    )


if __name__ == "__main__":
    main()
