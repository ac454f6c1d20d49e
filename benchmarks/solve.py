"""Time `dimension solve` on the Drammen case: import, load, solve + evaluate, Excel, whole CLI.

Run: python benchmarks/solve.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main(repeats: int = 5) -> None:
    started = time.perf_counter()
    from dimensioning import drammen, solve, write_excel

    imported = time.perf_counter() - started
    loads, solves, excels = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeats):
            t0 = time.perf_counter()
            case = drammen()
            t1 = time.perf_counter()
            result = solve(case)
            t2 = time.perf_counter()
            write_excel(result, Path(folder) / "r.xlsx")
            t3 = time.perf_counter()
            loads.append(t1 - t0)
            solves.append(t2 - t1)
            excels.append(t3 - t2)
        walls = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "dimensioning.cli", "solve", "--out", str(Path(folder) / "c.xlsx")],
                check=True,
                capture_output=True,
            )
            walls.append(time.perf_counter() - t0)
    print(f"import dimensioning      {imported:6.3f} s")
    print(f"load workbook (median)   {statistics.median(loads):6.3f} s")
    print(f"build+solve+evaluate     {statistics.median(solves):6.3f} s")
    print(f"write Excel (median)     {statistics.median(excels):6.3f} s")
    print(f"dimension solve, wall    {statistics.median(walls):6.3f} s (median of {repeats})")


if __name__ == "__main__":
    main()
