"""Wall time of the Drammen solve: the MIP, the simulation of record, the search (issue budget: 20 s).

Prints the time to a recommendation with the search (the default of ``dimension solve``) and
without it (``--ikke-verifiser``: the MIP's plan, simulated), median of three runs in this process
after one warm-up (numba's kernel loaded, curves cached as in a fresh CLI run after the first).
Run: python benchmarks/solve.py
"""

from __future__ import annotations

import statistics
import time

from dimensioning import drammen, solve
from dimensioning.workflows.verify import VerifyOptions


def timed(improve: bool) -> tuple[float, object]:
    case = drammen()
    started = time.perf_counter()
    result = solve(case, verify=VerifyOptions(improve=improve))
    return time.perf_counter() - started, result


def main() -> None:
    timed(False)  # warm-up
    for improve, label in ((True, "with the search (default)"), (False, "without (--ikke-verifiser)")):
        runs = [timed(improve) for _ in range(3)]
        seconds = statistics.median(t for t, _ in runs)
        result = runs[0][1]
        steps = result.verification.steps
        judged = "" if steps is None else f", {len(steps)} steps accepted"
        print(f"{label:28s} {seconds:6.2f} s (median of 3){judged}, holds: {result.verification.holds}")


if __name__ == "__main__":
    main()
