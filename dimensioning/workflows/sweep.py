"""What-if sweeps: solve many scenarios fast, on every core, resumable after an interruption.

Each scenario is solved and evaluated as ``dimension solve`` would (same validation, same model,
same evaluation), but a worker keeps one model built in sweep mode and a persistent HiGHS
interface, and only updates the parameters when the next scenario has the same model shape.
Finished rows are appended to a journal as they arrive; a rerun with the same arguments skips
them, and the final table is the same as an uninterrupted run's.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from dimensioning.common.errors import DimensioningError, InputError, SolverError, file_error
from dimensioning.common.labels import FAMILY_LABELS
from dimensioning.common.memory import keep_freed_memory
from dimensioning.inputs.case import case_from_tables
from dimensioning.inputs.scenarios import Scenario, apply
from dimensioning.inputs.workbook import RawTables
from dimensioning.model import BuildOptions, build_model, model_data, update_params
from dimensioning.solve import (
    SolveOptions,
    Termination,
    allocation_from_model,
    diagnose_infeasible,
    persistent_solver,
    run_solver,
)
from dimensioning.workflows.evaluate import evaluate, refuse_rule_breaking_optimum

LOGGER = logging.getLogger(__name__)

STATUS_OK = "optimal"
STATUS_INFEASIBLE = "ingen løsning"
STATUS_BAD_INPUT = "ugyldig inndata"
STATUS_ERROR = "feil i løseren"


class ScenarioSolver:
    """Solves scenarios one after another, reusing the model while its shape stays the same."""

    def __init__(self, base: RawTables, options: SolveOptions | None = None) -> None:
        keep_freed_memory()  # in every worker, also on a Dask cluster: see dimensioning.common.memory
        self.base = base
        self.options = options or SolveOptions()
        self._new_solver = persistent_solver
        self._model = None
        self._solver = None
        self._key: tuple | None = None
        self._validated: dict = {}
        self.builds = 0

    def solve(self, scenario: Scenario) -> dict[str, Any]:
        """Solve one scenario and return its flat result row (see :func:`result_row`).

        Whatever goes wrong in one scenario is that scenario's row (status and reason); the
        sweep goes on with the next one.
        """
        try:
            return self._solve(scenario)
        except Exception as error:  # one bad scenario must not abort the others
            LOGGER.debug("scenario %s failed", scenario.name, exc_info=True)
            message = str(error) if isinstance(error, DimensioningError) else f"intern feil ({type(error).__name__})"
            return _failed_row(scenario, STATUS_ERROR, message)

    def _solve(self, scenario: Scenario) -> dict[str, Any]:
        """Validate, update or build the model, solve and evaluate one scenario."""
        try:
            tables = apply(self.base, scenario)
            case = case_from_tables(tables, name=scenario.name, source=scenario.name, cache=self._validated)
        except InputError as error:
            return _failed_row(scenario, STATUS_BAD_INPUT, "; ".join(str(i) for i in error.issues))
        data = model_data(case)
        if self._model is None or data.structure_key != self._key:
            self._model = build_model(data, BuildOptions(sweep=True))
            self._solver = self._new_solver()
            # the model's shape is fixed for this key: skip the scans for new or removed components
            updates = self._solver.config.auto_updates
            updates.check_for_new_or_removed_constraints = False
            updates.check_for_new_or_removed_vars = False
            updates.check_for_new_or_removed_params = False
            updates.check_for_new_objective = False
            updates.update_constraints = False
            updates.update_named_expressions = False
            updates.update_vars = False  # update_params says which bounds it changed
            self._key = data.structure_key
            self.builds += 1
        else:
            moved = update_params(self._model, data)
            if moved:
                self._solver.update_variables(moved)
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
        refuse_rule_breaking_optimum(evaluation)
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
        "waiting_cost_nok",
        "waiting_days_per_year",
        "ukp_days_per_year",
        "ukp_cost_nok",
        "ukp_mean_wait_days",
        "unmet_booked_days_per_year",
        "staff_fte",
    ):
        row[column] = float(costs[column])
    staffing = evaluation.staffing
    by_skill: dict[str, float] = {}
    for skill, fte in zip(staffing["skill"], staffing["fte"].to_numpy(dtype=float), strict=True):
        by_skill[skill] = by_skill.get(skill, 0.0) + fte
    for skill, fte in by_skill.items():
        row[f"fte: {skill}"] = float(fte)
    q = evaluation.queueing
    columns = ("bed_type", "beds", "blocking_year", "blocking_shared", "occupancy_share", "when_full")
    waits = ("mean_wait_days", "waiting_days_per_year")
    for t, beds, blocking, shared, occupancy, when_full, wait, days in zip(
        *(q[c].tolist() for c in (*columns, *waits)), strict=True
    ):
        row[f"beds: {t}"] = int(beds)
        row[f"blocking: {t}"] = float(blocking)
        row[f"shared: {t}"] = float(shared)
        row[f"occupancy: {t}"] = float(occupancy)
        if when_full == "venter":
            row[f"wait: {t}"] = float(wait)
            row[f"waitdays: {t}"] = float(days)
    a = evaluation.allocation
    for site, t, beds in zip(a["site"].tolist(), a["bed_type"].tolist(), a["beds"].tolist(), strict=True):
        if beds:
            row[f"beds: {site} / {t}"] = int(beds)
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
    """Pool initializer: die with the parent, ignore Ctrl-C (the parent handles it), create the solver."""
    global _WORKER_SOLVER  # noqa: PLW0603 - per-process worker state, see above
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_SOLVER = ScenarioSolver(base, options)


def die_with_parent(poll_s: float = 0.5) -> None:
    """Make this worker process exit when its parent dies, even by ``kill -9``.

    On Linux the kernel sends SIGKILL at the parent's death (``prctl(PR_SET_PDEATHSIG)``); a
    daemon thread that sees the parent's process id change is the portable fallback. Without
    it, pool workers of a killed sweep live on, holding the journal.
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(poll_s)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def _solve_chunk_in_worker(scenarios: list[Scenario]) -> list[tuple[str, dict]]:
    """Pool task: solve a chunk with the worker's long-lived solver."""
    assert _WORKER_SOLVER is not None
    return [(s.name, _WORKER_SOLVER.solve(s)) for s in scenarios]


def fingerprint(base: RawTables, scenario: Scenario, options: SolveOptions, base_digest: str | None = None) -> str:
    """A hash of everything a scenario's result depends on (base input, overrides, options).

    ``base_digest`` is :func:`base_fingerprint` of ``base``, computed once for a whole sweep.
    """
    payload = json.dumps(
        [
            base_digest or base_fingerprint(base),
            [(o.header, repr(v)) for o, v in scenario.values],
            scenario.name,
            repr(options),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


def base_fingerprint(base: RawTables) -> str:
    """A hash of the base workbook's raw tables."""
    payload = json.dumps(
        {k: [(r, sorted((h, repr(v)) for h, v in c.items())) for r, c in rows] for k, rows in sorted(base.items())},
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SweepRun:
    """Outcome of a sweep.

    Attributes:
        table: One row per scenario, in scenario order (see :func:`result_row`).
        resumed: Scenarios taken from the journal of an earlier, interrupted run.
        solved: Scenarios solved in this run.
        unreadable_journal_lines: Lines of the journal that could not be read (torn by a kill,
            or not a result row); their scenarios were solved again.
    """

    table: pd.DataFrame
    resumed: int
    solved: int
    unreadable_journal_lines: int = 0


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
    digest = base_fingerprint(base)
    prints = {s.name: fingerprint(base, s, options, digest) for s in scenarios}
    done, unreadable = _read_journal(journal, set(prints.values())) if journal else ({}, 0)
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
    table = _ordered(pd.DataFrame([rows[s.name] for s in scenarios]))
    return SweepRun(table=table, resumed=resumed, solved=len(todo), unreadable_journal_lines=unreadable)


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    """Columns a reader needs first: scenario, status, what the scenario changed, why it failed, results.

    Rows are dicts, so without this a change that only later rows make would land after every
    result column.
    """
    first = [c for c in ("scenario", "status") if c in table.columns]
    changes = [c for c in table.columns if c.startswith("endring: ")]
    reason = [c for c in ("konflikt",) if c in table.columns]
    rest = [c for c in table.columns if c not in {*first, *changes, *reason}]
    return table[first + changes + reason + rest]


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


def _read_journal(path: str | Path, wanted: set[str]) -> tuple[dict[str, dict], int]:
    """Rows already finished, by fingerprint, and the number of lines that could not be read.

    A line torn by a kill (even inside a multibyte character), or one that is valid JSON but
    not a result row, is skipped and counted; its scenario is simply solved again.
    """
    path = Path(path)
    if not path.is_file():
        return {}, 0
    found: dict[str, dict] = {}
    unreadable = 0
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw.decode("utf-8"))
                fingerprint_, row = entry["fingerprint"], entry["row"]
                if not isinstance(fingerprint_, str) or not isinstance(row, dict) or "scenario" not in row:
                    raise TypeError
            except (UnicodeDecodeError, json.JSONDecodeError, TypeError, KeyError):
                unreadable += 1
                continue
            if fingerprint_ in wanted:
                found[fingerprint_] = row
    return found, unreadable


class _JournalWriter:
    """Appends one JSON line per finished scenario; synced to disk after every chunk."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None
        self.handle = None

    def __enter__(self) -> _JournalWriter:
        if self.path:
            with self._os_errors():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.handle = self.path.open("a", encoding="utf-8")
        return self

    @contextlib.contextmanager
    def _os_errors(self) -> Iterator[None]:
        """A full disk or a lost folder is said in bokmål, naming the journal."""
        try:
            yield
        except OSError as error:
            raise file_error(self.path or "journal", error) from None

    def write(self, fingerprint_: str, row: dict) -> None:
        if self.handle:
            line = json.dumps({"fingerprint": fingerprint_, "row": row}, ensure_ascii=False, default=str)
            with self._os_errors():
                self.handle.write(line + "\n")

    def sync(self) -> None:
        """Flush and fsync after each finished chunk: a kill loses at most the chunk under way."""
        if self.handle:
            with self._os_errors():
                self.handle.flush()
                os.fsync(self.handle.fileno())

    def __exit__(self, *exc: object) -> None:
        if self.handle:
            with contextlib.suppress(OSError):  # a failed final flush was already reported
                self.handle.close()
