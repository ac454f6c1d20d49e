"""Write input workbooks: the template a planner fills in (a copy of a case)."""

from __future__ import annotations

from pathlib import Path

from .case import Case, case_tables
from .io_excel import write_tables_workbook


def write_template(case: Case, path: str | Path) -> Path:
    """Write a case as an input workbook (with a ``Les meg`` sheet explaining every column).

    Args:
        case: The case to copy (e.g. the bundled Drammen case).
        path: Target ``.xlsx``; written atomically.

    Returns:
        The path written.
    """
    tables = {name: frame.to_dict("records") for name, frame in case_tables(case).items()}
    return write_tables_workbook(tables, path)
