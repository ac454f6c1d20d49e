"""Multi-year plan speed: the Drammen plan 2025-2040 (every year, three capacity options).

Prints, for 4, 8 and 16 planned years, the time to a proven optimal plan by the two exact methods:

- year by year (the default): every year's single-year MIP for every set of options available
  that year, then the recursion over irreversible openings (``solve_plan_by_years``);
- one MIP over all years (``solve_plan_mip``; needed when ``maks_endring_per_lokasjon`` or
  ``maks_vekst_sykepleiere`` link the years).

Both include computing the real-year curves of every year (the same work for both), and the first
run of each count warms nothing for the second (the curve cache is cleared). Then the whole
``plan_years`` (the plan, «fast total» and «dekningsgrad» per year, evaluated) in one process and
on every core.

Run: python benchmarks/plan.py
"""

from __future__ import annotations

import os
import time

from dimensioning import drammen
from dimensioning.queueing.seasons import _CURVES
from dimensioning.workflows.years import demand_by_year, plan_years, planning_years, solve_plan


def main() -> None:
    case = drammen()
    every = planning_years(case)
    print(f"{'years':>5} {'by year s':>10} {'one MIP s':>10}  objectives equal  status")
    for count in (4, 8, 16):
        years = every[:count]
        demand = demand_by_year(case, years)
        times, results = {}, {}
        for method in ("years", "mip"):
            _CURVES.clear()
            started = time.perf_counter()
            results[method] = solve_plan(case, years, demand, method=method)
            times[method] = time.perf_counter() - started
        equal = abs(results["years"][2].objective_nok - results["mip"][2].objective_nok) < 1e-6 * abs(
            results["mip"][2].objective_nok
        )
        print(
            f"{count:>5} {times['years']:>10.2f} {times['mip']:>10.2f}  {str(equal):>16}  "
            f"{results['years'][2].label_nb}, gap {results['years'][2].gap:.1g}"
        )
    for jobs in (1, os.cpu_count() or 1):
        _CURVES.clear()
        started = time.perf_counter()
        plan_years(case, jobs=jobs)
        print(f"plan_years, 16 years, {jobs} process(es): {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
