"""Long work of a web session, each piece in its own process: progress, cancel, result.

A :class:`Job` runs one module-level function of :mod:`.tasks` in a fresh process (``spawn``: no
state of the server, its threads or its other sessions is inherited). The function gets a
``progress(done, total)`` callback; what it returns, or the bokmål message of what it raised, comes
back through a queue that the page polls. Cancel sends SIGTERM, which the child turns into
``KeyboardInterrupt`` so that worker pools stop and half-written files are removed (as Ctrl-C in
the terminal), and returns at once; a child that has not stopped after ``GRACE_S`` is killed.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import queue
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dimensioning.common.errors import DimensioningError, redact_ids, shown
from dimensioning.common.memory import keep_freed_memory

_CONTEXT = multiprocessing.get_context("spawn")

#: Seconds a cancelled job has to stop its worker pools and remove its partial files before it is killed.
GRACE_S = 20.0


@dataclass
class JobState:
    """What the page shows of a job: progress, then its value or its message."""

    label: str
    started: float
    done: int = 0
    total: int = 0
    finished: bool = False
    cancelled: bool = False
    value: Any = None
    error: str = ""
    output: str = ""

    @property
    def running(self) -> bool:
        """Still working: neither finished, failed nor cancelled."""
        return not (self.finished or self.cancelled or self.error)

    @property
    def elapsed_s(self) -> float:
        """Seconds since the job started."""
        return time.monotonic() - self.started


class Job:
    """``function(*args, progress=...)`` in its own process; poll it, cancel it."""

    def __init__(self, label: str, function: Callable[..., Any], *args: Any) -> None:
        self.state = JobState(label=label, started=time.monotonic())
        self._queue: Any = _CONTEXT.Queue()
        self._process = _CONTEXT.Process(target=_run, args=(self._queue, function, args), daemon=False)
        self._cancel_asked: float | None = None
        self._process.start()

    def poll(self) -> JobState:
        """Read what the process has said since the last poll (never blocks)."""
        self._drain()
        alive = self._process.is_alive()
        if alive and self._cancel_asked is not None and time.monotonic() - self._cancel_asked > GRACE_S:
            self._process.kill()  # asked to stop, and has not: no more grace
        if self.state.running and not alive:
            self._process.join()
            self._drain()
            if self.state.running and self._cancel_asked is not None:
                self.state.cancelled = True
            elif self.state.running:  # killed from outside, or out of memory: no word from the child
                self.state.error = "Beregningen stoppet uventet (prosessen ble avsluttet). Prøv igjen."
        return self.state

    @property
    def cancelling(self) -> bool:
        """Asked to stop and still stopping (worker pools shut down, partial files are removed)."""
        return self._cancel_asked is not None and self.state.running

    def cancel(self) -> None:
        """Ask the work to stop (SIGTERM) and return at once; :meth:`poll` kills it after ``GRACE_S``."""
        if self._process.is_alive() and self._cancel_asked is None:
            self._cancel_asked = time.monotonic()
            self._process.terminate()

    def stop(self) -> JobState:
        """Cancel and wait until the process has ended (killed after ``GRACE_S``)."""
        self.cancel()
        self._process.join(GRACE_S)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        return self.poll()

    def _drain(self) -> None:
        while True:
            try:
                kind, *payload = self._queue.get_nowait()
            except (queue.Empty, OSError, ValueError):
                return
            if kind == "progress":
                self.state.done, self.state.total = payload
            elif kind == "done":
                self.state.value, self.state.output = payload
                self.state.finished = True
            elif kind == "cancelled":
                self.state.cancelled, self.state.output = True, payload[1]
            else:
                self.state.error, self.state.output = payload


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _run(channel: Any, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """The child's side: run, report progress, send the value or the message (never a traceback)."""
    signal.signal(signal.SIGTERM, _interrupt)
    keep_freed_memory()  # a spawned process starts with glibc's defaults
    printed = io.StringIO()

    def progress(done: int, total: int) -> None:
        channel.put(("progress", int(done), int(total)))

    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            value = function(*args, progress=progress)
        channel.put(("done", value, redact_ids(printed.getvalue())))
    except KeyboardInterrupt:
        channel.put(("cancelled", "", redact_ids(printed.getvalue())))
    except DimensioningError as error:
        channel.put(("error", redact_ids(str(error)), redact_ids(printed.getvalue())))
    except Exception as error:  # the page shows a message, never a traceback
        message = f"Intern feil ({type(error).__name__}): {shown(error)}. Dette er en feil i programmet."
        channel.put(("error", redact_ids(message), ""))
