"""Multi-year plan speed: the Drammen plan 2025-2040 (every year, three capacity options).

Prints, for 4, 8 and 16 planned years: the time to build the year cases and their model data
(real-year curves), to build the Pyomo model (one block per year), and HiGHS's solve time, with
the solver's status and gap, so the growth with the number of years can be read off.

Run: python benchmarks/plan.py
"""

from __future__ import annotations

import time

from dimensioning import drammen
from dimensioning.model import model_data
from dimensioning.model.multiyear import build_plan_model
from dimensioning.solve import run_solver
from dimensioning.years import capacity_options, demand_by_year, plan_case, planning_years


def main() -> None:
    case = drammen()
    every = planning_years(case)
    print(f"{'years':>5} {'data s':>8} {'build s':>8} {'solve s':>8} {'total s':>8}  status")
    for count in (4, 8, 16):
        years = every[:count]
        started = time.perf_counter()
        demand = demand_by_year(case, years)
        data = {y: model_data(plan_case(case, y, demand)) for y in years}
        built = time.perf_counter()
        m = build_plan_model(data, capacity_options(case), discount_rate=case.settings.discount_rate)
        solving = time.perf_counter()
        status = run_solver(m)
        done = time.perf_counter()
        print(
            f"{count:>5} {built - started:>8.2f} {solving - built:>8.2f} {done - solving:>8.2f} {done - started:>8.2f}"
            f"  {status.termination.value}, gap {status.gap:.2g}"
        )


if __name__ == "__main__":
    main()
