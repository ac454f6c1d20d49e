"""Simulation speed: the Drammen optimum, compiled (numba) against the same loop as plain Python.

Prints events per second on one process for both engines (the compiled one after its first,
compiling call), and the wall time of the full run on every core.
Run: python benchmarks/simulate.py [--replications 100] [--years 10]
"""

from __future__ import annotations

import argparse
import os
import time

from dimensioning import drammen, solve
from dimensioning.simulation.simulate import SimulationOptions, simulate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    case = drammen()
    allocation = solve(case).allocation
    started = time.perf_counter()
    simulate(case, allocation, SimulationOptions(years=1, replications=1, jobs=1))
    print(f"first call (loads or compiles the kernel)   {time.perf_counter() - started:6.2f} s")
    speeds = {}
    for engine in ("python", "compiled"):
        started = time.perf_counter()
        one = simulate(case, allocation, SimulationOptions(years=args.years, replications=4, jobs=1, engine=engine))
        single = time.perf_counter() - started
        speeds[engine] = one.events / single
        print(f"{engine:9s} one process, 4 replications  {single:6.2f} s, {speeds[engine]:12,.0f} events per second")
    print(f"compiled / python                           {speeds['compiled'] / speeds['python']:6.1f} x")

    started = time.perf_counter()
    full = simulate(
        case, allocation, SimulationOptions(years=args.years, replications=args.replications, jobs=args.jobs)
    )
    wall = time.perf_counter() - started
    print(f"beds                                        {int(allocation['beds'].sum())}")
    print(
        f"{args.replications} replications x {args.years:g} years on {args.jobs} processes  {wall:6.2f} s "
        f"({full.events:,} events, {full.events / wall:,.0f} per second)"
    )


if __name__ == "__main__":
    main()
