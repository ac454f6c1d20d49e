"""The speed budgets of issue 21, each measured as a whole process on this machine (imports included).

Prints, per command on the bundled Drammen case, the median wall time of ``--runs`` runs (after one
warm-up run that fills numba's cache, as any second run on a machine does) against its budget:

- importing the CLI;
- ``dimension solve --ikke-verifiser`` (budget 1 s) and ``dimension solve`` (the search, 20 s);
- ``dimension plan`` (16 years, three strategies; 10 s);
- ``dimension report`` (with the simulation check; 30 s).

The sweep's ratio to HiGHS's own solve is printed by ``benchmarks/sweep.py``; the test suite's time
by ``.ci/run``. Run: python benchmarks/budgets.py [--runs 3] [--only solve-fast,plan]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "dimension"
COMMANDS = {
    "import": ([sys.executable, "-c", "import dimensioning.cli"], None),
    "solve-fast": ([str(BIN), "solve", "--ikke-verifiser", "--ut", "{out}/r.xlsx"], 1.0),
    "solve": ([str(BIN), "solve", "--ut", "{out}/r.xlsx"], 20.0),
    "plan": ([str(BIN), "plan", "--ut", "{out}/p.xlsx"], 10.0),
    "report": ([str(BIN), "report", "--ut", "{out}/rapport"], 30.0),
}


def timed(command: list[str]) -> float:
    with tempfile.TemporaryDirectory() as folder:
        args = [part.replace("{out}", folder) for part in command]
        started = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, env={**os.environ, "COLUMNS": "150"})
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default=",".join(COMMANDS))
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; median of {args.runs} whole-process runs after one warm-up")
    print(f"{'command':12s} {'median s':>9s} {'budget s':>9s}  met")
    for name in args.only.split(","):
        command, budget = COMMANDS[name]
        timed(command)  # warm-up: numba's cache, the OS file cache
        seconds = statistics.median(timed(command) for _ in range(args.runs))
        verdict = "" if budget is None else ("ja" if seconds <= budget else "nei")
        shown = "" if budget is None else f"{budget:9.1f}"
        print(f"{name:12s} {seconds:9.2f} {shown:>9s}  {verdict}")


if __name__ == "__main__":
    main()
