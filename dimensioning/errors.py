"""Typed errors. Each carries a bokmål message meant for the planner, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class DimensioningError(Exception):
    """Base class: ``str(error)`` is a complete bokmål message for the user."""


@dataclass(frozen=True)
class ValidationIssue:
    """One problem in the input workbook, located as precisely as possible.

    Attributes:
        sheet: Sheet name in the workbook.
        row: Excel row number (1 is the header row), or None for a sheet-level issue.
        column: Column header, or None for a row- or sheet-level issue.
        message_nb: What is wrong, in bokmål.
    """

    sheet: str
    row: int | None
    column: str | None
    message_nb: str

    def __str__(self) -> str:
        where = f"ark «{self.sheet}»"
        if self.row is not None:
            where += f", rad {self.row}"
        if self.column is not None:
            where += f", kolonne «{self.column}»"
        return f"{where}: {self.message_nb}"


class InputError(DimensioningError):
    """The input workbook has one or more problems; all are collected in ``issues``."""

    def __init__(self, source: str, issues: list[ValidationIssue]) -> None:
        self.source = source
        self.issues = list(issues)
        lines = [f"Feil i inndata ({source}): {len(self.issues)} problem(er) funnet."]
        lines += [f"  - {issue}" for issue in self.issues]
        super().__init__("\n".join(lines))


class InfeasibleError(DimensioningError):
    """No allocation meets every constraint; ``conflicts`` says which families needed slack."""

    def __init__(self, message_nb: str, conflicts: object = None, families: object = None) -> None:
        self.conflicts = conflicts
        self.families = families
        super().__init__(message_nb)


class SolverError(DimensioningError):
    """The solver stopped without a usable answer (time limit, numerical trouble, missing solver)."""
