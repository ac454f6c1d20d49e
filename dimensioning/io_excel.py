"""Reading and writing input workbooks (the user's interface), and atomic, reproducible saving.

Reading returns raw tables: for each sheet a list of ``(excel_row_number, {header: value})``.
Validation of those raw values happens in :mod:`dimensioning.case`.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .errors import InputError, ValidationIssue
from .schema import SHEETS, column_doc

RawRow = tuple[int, dict[str, Any]]
RawTables = dict[str, list[RawRow]]
FIXED_TIME = datetime(2024, 1, 1)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


def read_workbook(path: str | Path) -> RawTables:
    """Read every sheet of an ``.xlsx`` workbook into raw rows keyed by header text.

    Blank rows are skipped; row numbers are Excel's (the header is row 1).

    Raises:
        InputError: If the file is missing or is not a readable workbook.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), [ValidationIssue("-", None, None, "filen finnes ikke")])
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        issue = ValidationIssue("-", None, None, f"kunne ikke lese filen som Excel (.xlsx): {exc}")
        raise InputError(str(path), [issue]) from exc
    tables: RawTables = {}
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            tables[sheet.title] = _rows_to_raw(rows)
    finally:
        workbook.close()
    return tables


def read_csv_folder(folder: str | Path) -> RawTables:
    """Read one ``SHEET.csv`` per sheet (UTF-8, comma separated) into raw rows.

    Numbers stay text here; the schema parses them as it parses text cells in Excel.
    """
    tables: RawTables = {}
    for file in sorted(Path(folder).glob("*.csv")):
        with file.open(encoding="utf-8", newline="") as handle:
            rows = [tuple(None if cell == "" else cell for cell in row) for row in csv.reader(handle)]
        tables[file.stem] = _rows_to_raw(iter(rows))
    return tables


def _rows_to_raw(rows: Iterable[tuple[Any, ...]]) -> list[RawRow]:
    """Turn header + data rows into ``(excel_row, {header: value})``, dropping blank rows."""
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        return []
    names = [str(h).strip() if h is not None else "" for h in header]
    raw: list[RawRow] = []
    for offset, values in enumerate(iterator, start=2):
        cells = {
            name: (value.strip() if isinstance(value, str) else value)
            for name, value in zip(names, values, strict=False)
            if name
        }
        cells = {k: (None if v == "" else v) for k, v in cells.items()}
        if all(v is None for v in cells.values()):
            continue
        raw.append((offset, cells))
    if not raw:
        # keep the header visible to validation even when the sheet has no data rows
        return [(1, dict.fromkeys(n for n in names if n))] if any(names) else []
    return raw


def write_tables_workbook(tables: dict[str, list[dict[str, Any]]], path: str | Path) -> Path:
    """Write an input workbook: one formatted sheet per input table plus a ``Les meg`` sheet.

    Args:
        tables: Sheet name to rows ``{header: value}``; headers in schema order.
        path: Target ``.xlsx`` file (written atomically).

    Returns:
        The path written.
    """
    workbook = Workbook()
    readme = workbook.active
    readme.title = "Les meg"
    _write_readme(readme)
    for spec in SHEETS:
        sheet = workbook.create_sheet(spec.name)
        headers = [doc["header"] for doc in column_doc(spec.row_model)]
        sheet.append(headers)
        for row in tables.get(spec.name, []):
            sheet.append([_excel_value(row.get(h)) for h in headers])
        style_table(sheet, headers)
    return save_workbook(workbook, path)


def _excel_value(value: Any) -> Any:
    """Booleans are written as ja/nei, the way a planner types them."""
    if isinstance(value, bool):
        return "ja" if value else "nei"
    return value


def _write_readme(sheet: Any) -> None:
    """Explain every sheet and column of the input workbook in bokmål."""
    sheet.append(["Inndata for dimensjonering av korttidsplasser"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["Fyll ut arkene. Tomme celler får standardverdien. ja/nei-kolonner tar «ja» eller «nei»."])
    sheet.append([])
    sheet.append(["Ark", "Kolonne", "Enhet", "Påkrevd", "Standardverdi", "Forklaring"])
    for cell in sheet[4]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for spec in SHEETS:
        for doc in column_doc(spec.row_model):
            default = doc["default"]
            if isinstance(default, bool):
                default = "ja" if default else "nei"
            sheet.append(
                [
                    spec.name,
                    doc["header"],
                    doc["unit"],
                    "ja" if doc["required"] else "nei",
                    "" if default is None else default,
                    doc["description"],
                ]
            )
    for letter, width in zip("ABCDEF", (14, 26, 16, 9, 14, 70), strict=True):
        sheet.column_dimensions[letter].width = width


def style_table(sheet: Any, headers: list[str], widths: dict[str, float] | None = None) -> None:
    """Bold, filled, frozen header row, an autofilter and column widths fitted to the content."""
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    if sheet.max_row >= 1 and headers:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(sheet.max_row, 1)}"
    for index, header in enumerate(headers, start=1):
        letter = get_column_letter(index)
        longest = max([len(str(header))] + [len(_shown(c.value)) for c in sheet[letter][1:200] if c.value is not None])
        width = (widths or {}).get(header, min(max(10, longest + 2), 60))
        sheet.column_dimensions[letter].width = width


def _shown(value: Any) -> str:
    """Roughly what a cell shows, for column widths."""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def save_workbook(workbook: Workbook, path: str | Path) -> Path:
    """Save a workbook atomically and reproducibly.

    The document properties and every zip member's timestamp are pinned, so the same content
    gives the same bytes; the file is written to a temporary file in the target folder and renamed.
    """
    workbook.properties.creator = "dimensioning"
    workbook.properties.lastModifiedBy = "dimensioning"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    return write_bytes_atomic(_pin_zip_times(buffer.getvalue()), path)


def _pin_zip_times(data: bytes) -> bytes:
    """Rewrite a zip archive with fixed member timestamps (openpyxl stamps the current time)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            pinned = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = 0o600 << 16
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" at save time
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2024-01-01T00:00:00Z\g<2>",
                    content,
                )
            target.writestr(pinned, content)
    return out.getvalue()


def write_bytes_atomic(data: bytes, path: str | Path) -> Path:
    """Write bytes to ``path`` through a temporary file in the same folder and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        Path(temp_name).chmod(0o644)  # mkstemp makes 0600; outputs are ordinary readable files
        Path(temp_name).replace(path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path
