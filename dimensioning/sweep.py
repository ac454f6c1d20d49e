"""What-if sweeps: solve many scenarios fast, on every core, resumable after an interruption.

Each scenario is solved and evaluated as ``dimension solve`` would (same validation, same model,
same evaluation), but a worker keeps one model built in sweep mode and a persistent HiGHS
interface, and only updates the parameters when the next scenario has the same model shape.
Finished rows are appended to a journal as they arrive; a rerun with the same arguments skips
them, and the final table is the same as an uninterrupted run's.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .case import case_from_tables
from .errors import DimensioningError, InputError, SolverError
from .evaluate import evaluate
from .io_excel import RawTables
from .labels import FAMILY_LABELS
from .model import BuildOptions, build_model, model_data, update_params
from .scenarios import Scenario, apply
from .solve import (
    SolveOptions,
    Termination,
    allocation_from_model,
    diagnose_infeasible,
    run_solver,
)

LOGGER = logging.getLogger(__name__)

STATUS_OK = "optimal"
STATUS_INFEASIBLE = "ingen løsning"
STATUS_BAD_INPUT = "ugyldig inndata"
STATUS_ERROR = "feil i løseren"


class ScenarioSolver:
    """Solves scenarios one after another, reusing the model while its shape stays the same."""

    def __init__(self, base: RawTables, options: SolveOptions | None = None) -> None:
        from pyomo.contrib.solver.solvers.highs import Highs

        self.base = base
        self.options = options or SolveOptions()
        self._highs_class = Highs
        self._model = None
        self._solver = None
        self._key: tuple | None = None
        self._validated: dict = {}
        self.builds = 0

    def solve(self, scenario: Scenario) -> dict[str, Any]:
        """Solve one scenario and return its flat result row (see :func:`result_row`)."""
        try:
            tables = apply(self.base, scenario)
            case = case_from_tables(tables, name=scenario.name, source=scenario.name, cache=self._validated)
        except InputError as error:
            return _failed_row(scenario, STATUS_BAD_INPUT, "; ".join(str(i) for i in error.issues))
        data = model_data(case)
        if self._model is None or data.structure_key != self._key:
            self._model = build_model(data, BuildOptions(sweep=True))
            self._solver = self._highs_class()
            # the model's shape is fixed for this key: skip the scans for new or removed components
            updates = self._solver.config.auto_updates
            updates.check_for_new_or_removed_constraints = False
            updates.check_for_new_or_removed_vars = False
            updates.check_for_new_or_removed_params = False
            updates.check_for_new_objective = False
            updates.update_constraints = False
            updates.update_named_expressions = False
            self._key = data.structure_key
            self.builds += 1
        else:
            update_params(self._model, data)
        try:
            status = run_solver(self._model, self.options, self._solver)
        except SolverError as error:
            return _failed_row(scenario, STATUS_ERROR, str(error))
        if status.termination is Termination.INFEASIBLE:
            error = diagnose_infeasible(case, self.options)
            families = ", ".join(FAMILY_LABELS[f][0] for f in error.families)
            details = "; ".join(error.conflicts["message_nb"])
            return _failed_row(scenario, STATUS_INFEASIBLE, f"Krav i konflikt: {families}. {details}")
        allocation = allocation_from_model(self._model)
        evaluation = evaluate(case, allocation, scenario.name, checker=self._model)
        return result_row(scenario, evaluation)


def result_row(scenario: Scenario, evaluation: Any) -> dict[str, Any]:
    """Flatten one evaluated scenario: changes, costs, FTE by skill, beds, blocking, occupancy."""
    row: dict[str, Any] = {"scenario": scenario.name, "status": STATUS_OK, "konflikt": ""}
    row.update({f"endring: {k}": v for k, v in scenario.changes.items()})
    costs = evaluation.costs.iloc[0]
    for column in (
        "total_cost_nok",
        "staffing_cost_nok",
        "turned_away_cost_nok",
        "turned_away_per_year",
        "staff_fte",
    ):
        row[column] = float(costs[column])
    by_skill = evaluation.staffing.groupby("skill", sort=False)["fte"].sum()
    for skill, fte in by_skill.items():
        row[f"fte: {skill}"] = float(fte)
    for q in evaluation.queueing.itertuples():
        row[f"beds: {q.bed_type}"] = int(q.beds)
        row[f"blocking: {q.bed_type}"] = float(q.blocking_prob)
        row[f"occupancy: {q.bed_type}"] = float(q.occupancy_share)
    for a in evaluation.allocation.itertuples():
        if a.beds:
            row[f"beds: {a.site} / {a.bed_type}"] = int(a.beds)
    return row


def _failed_row(scenario: Scenario, status: str, message: str) -> dict[str, Any]:
    """The row of a scenario that has no solution, with the reason in words."""
    row: dict[str, Any] = {"scenario": scenario.name, "status": status, "konflikt": message}
    row.update({f"endring: {k}": v for k, v in scenario.changes.items()})
    return row


def _solve_chunk(base: RawTables, scenarios: list[Scenario], options: SolveOptions) -> list[tuple[str, dict]]:
    """Task: solve a chunk of scenarios with one reused model (Dask and in-process runs)."""
    solver = ScenarioSolver(base, options)
    return [(s.name, solver.solve(s)) for s in scenarios]


# One solver per worker process of the local pool, so the built model and the persistent HiGHS
# interface survive from chunk to chunk. This state lives only in pool worker processes.
_WORKER_SOLVER: ScenarioSolver | None = None


def _init_worker(base: RawTables, options: SolveOptions) -> None:
    """Pool initializer: create the worker's solver once."""
    global _WORKER_SOLVER  # noqa: PLW0603 - per-process worker state, see above
    _WORKER_SOLVER = ScenarioSolver(base, options)


def _solve_chunk_in_worker(scenarios: list[Scenario]) -> list[tuple[str, dict]]:
    """Pool task: solve a chunk with the worker's long-lived solver."""
    assert _WORKER_SOLVER is not None
    return [(s.name, _WORKER_SOLVER.solve(s)) for s in scenarios]


def fingerprint(base: RawTables, scenario: Scenario, options: SolveOptions) -> str:
    """A hash of everything a scenario's result depends on (base input, overrides, options)."""
    payload = json.dumps(
        [
            {k: [(r, sorted((h, repr(v)) for h, v in c.items())) for r, c in rows] for k, rows in sorted(base.items())},
            [(o.header, repr(v)) for o, v in scenario.values],
            scenario.name,
            repr(options),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class SweepRun:
    """Outcome of a sweep.

    Attributes:
        table: One row per scenario, in scenario order (see :func:`result_row`).
        resumed: Scenarios taken from the journal of an earlier, interrupted run.
        solved: Scenarios solved in this run.
    """

    table: pd.DataFrame
    resumed: int
    solved: int


def sweep(
    base: RawTables,
    scenarios: list[Scenario],
    *,
    jobs: int | None = None,
    journal: str | Path | None = None,
    options: SolveOptions | None = None,
    scheduler: str | Any | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int | None = None,
) -> SweepRun:
    """Solve every scenario; return one row per scenario in the given order.

    Args:
        base: Raw tables of the base workbook.
        scenarios: The scenarios (unique names).
        jobs: Worker processes (default: every core; 1 solves in this process).
        journal: JSON-lines file that finished rows are appended to; rows already there (from an
            interrupted run with the same base, scenarios and options) are not solved again.
        options: Solver settings.
        scheduler: A Dask distributed scheduler address, or a ``distributed.Client``, to run the
            chunks on a cluster instead of local processes.
        progress: Called with ``(done, total)`` after each finished chunk.
        chunk_size: Scenarios per task (default: balanced over the workers).

    Returns:
        The sweep outcome.
    """
    options = options or SolveOptions()
    prints = {s.name: fingerprint(base, s, options) for s in scenarios}
    done = _read_journal(journal, set(prints.values())) if journal else {}
    rows = {s.name: done[prints[s.name]] for s in scenarios if prints[s.name] in done}
    todo = [s for s in scenarios if s.name not in rows]
    resumed = len(rows)
    total = len(scenarios)
    if progress:
        progress(len(rows), total)
    workers = max(1, jobs or os.cpu_count() or 1)
    size = chunk_size or max(1, min(10, -(-len(todo) // (workers * 4)) if todo else 1))
    chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
    with _JournalWriter(journal) as writer:
        for finished in _run_chunks(base, chunks, options, workers, scheduler):
            for name, row in finished:
                rows[name] = row
                writer.write(prints[name], row)
            writer.sync()
            if progress:
                progress(len(rows), total)
    table = pd.DataFrame([rows[s.name] for s in scenarios])
    return SweepRun(table=table, resumed=resumed, solved=len(todo))


def _run_chunks(
    base: RawTables, chunks: list[list[Scenario]], options: SolveOptions, workers: int, scheduler: Any
) -> Iterator[list[tuple[str, dict]]]:
    """Yield finished chunks as they arrive: in this process, a process pool, or a Dask cluster."""
    if not chunks:
        return
    if scheduler is not None:
        yield from _run_on_dask(base, chunks, options, scheduler)
    elif workers == 1 or len(chunks) == 1:
        for chunk in chunks:
            yield _solve_chunk(base, chunk, options)
    else:
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(base, options)) as pool:
            futures = [pool.submit(_solve_chunk_in_worker, chunk) for chunk in chunks]
            try:
                for future in as_completed(futures):
                    yield future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise


def _run_on_dask(
    base: RawTables, chunks: list[list[Scenario]], options: SolveOptions, scheduler: Any
) -> Iterable[list[tuple[str, dict]]]:
    """Run the chunks on a Dask distributed cluster (the scheduler does the job handling)."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as error:
        msg = "Kjøring på en Dask-klynge krever pakken distributed: pip install 'dimensioning[cluster]'."
        raise DimensioningError(msg) from error

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        base_future = client.scatter(base, broadcast=True)
        futures = [client.submit(_solve_chunk, base_future, chunk, options, pure=False) for chunk in chunks]
        for future in dask_completed(futures):
            yield future.result()
    finally:
        if not isinstance(scheduler, Client):
            client.close()


def _read_journal(path: str | Path, wanted: set[str]) -> dict[str, dict]:
    """Rows already finished, by fingerprint; a torn last line (a kill mid-write) is ignored."""
    path = Path(path)
    if not path.is_file():
        return {}
    found = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if entry.get("fingerprint") in wanted:
                found[entry["fingerprint"]] = entry["row"]
    return found


class _JournalWriter:
    """Appends one JSON line per finished scenario; synced to disk after every chunk."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None
        self.handle = None

    def __enter__(self) -> _JournalWriter:
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.handle = self.path.open("a", encoding="utf-8")
        return self

    def write(self, fingerprint_: str, row: dict) -> None:
        if self.handle:
            self.handle.write(json.dumps({"fingerprint": fingerprint_, "row": row}, ensure_ascii=False) + "\n")

    def sync(self) -> None:
        """Flush and fsync after each finished chunk: a kill loses at most the chunk under way."""
        if self.handle:
            self.handle.flush()
            os.fsync(self.handle.fileno())

    def __exit__(self, *exc: object) -> None:
        if self.handle:
            self.handle.close()
