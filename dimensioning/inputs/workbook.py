"""Reading and writing input workbooks (the user's interface), and atomic, reproducible saving.

Reading returns raw tables: for each sheet a list of ``(excel_row_number, {header: value})``.
Validation of those raw values happens in :mod:`dimensioning.inputs.case`. What a workbook can hide
from a planner is found here and reported with its cell: hidden sheets, rows and columns, merged
cells, formulas Excel never calculated, Excel error values, duplicated or missing headers, a
stale size tag (every row is read whatever the file claims), a damaged file.

Normalised silently (the same text to a reader): Unicode NFC (a decomposed «Å» is the composed
one), runs of white space in text cells, and sheet names that differ only in case or in leading
or trailing spaces. Everything else is reported, never guessed.

Writing goes through :func:`write_bytes_atomic`, which refuses to replace any file registered
with :func:`protect_inputs` (the inputs of the running command) and turns operating-system
errors into bokmål.
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import difflib
import gc
import io
import math
import os
import re
import sys
import tempfile
import unicodedata
import zipfile
from collections.abc import Collection, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from dimensioning.common.errors import (
    DimensioningError,
    InputError,
    Interrupted,
    OutputError,
    ValidationIssue,
    file_error,
    shown,
    visible,
)
from dimensioning.common.labels import UNBOUNDED
from dimensioning.inputs.schema import ABOUT_FIELDS, SHEETS, column_doc

RawRow = tuple[int, dict[str, Any]]
RawTables = dict[str, list[RawRow]]
FIXED_TIME = datetime(2024, 1, 1)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!"})
OTHER_FORMATS = {
    ".xls": "det gamle Excel-formatet (.xls)",
    ".xlsb": "binært Excel-format (.xlsb)",
    ".ods": "OpenDocument-regneark (.ods)",
    ".numbers": "Numbers-formatet",
    ".csv": "CSV",
}


def normal_text(value: str) -> str:
    """NFC-normalised text with runs of white space folded to one space and the ends trimmed."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def sheet_key(name: str) -> str:
    """How sheet names are matched: NFC, trimmed, case-insensitive."""
    return normal_text(name).casefold()


def read_workbook(path: str | Path, sheets: Collection[str] | None = None) -> RawTables:
    """Read an ``.xlsx`` workbook into raw rows keyed by header text; raise on any problem found.

    See :func:`read_workbook_checked` for what is read and checked.

    Raises:
        InputError: If the file cannot be read or a sheet hides something (every problem at once).
    """
    tables, issues = read_workbook_checked(path, sheets)
    if issues:
        raise InputError(str(path), issues)
    return tables


def check_input_file(path: Path, suffixes: tuple[str, ...] = (".xlsx", ".xlsm")) -> None:
    """Refuse, in bokmål, a path that is missing, not a regular file, or in another format."""
    if not path.exists():
        raise InputError(str(path), [ValidationIssue("-", None, None, "filen finnes ikke")])
    if not path.is_file():
        what = "en mappe" if path.is_dir() else "ikke en vanlig fil (en enhet eller en spesialfil)"
        raise InputError(str(path), [ValidationIssue("-", None, None, f"«{path}» er {what}, ikke en arbeidsbok")])
    suffix = path.suffix.lower()
    if suffix in OTHER_FORMATS and suffix not in suffixes:
        message = f"filen er {OTHER_FORMATS[suffix]}: åpne den i Excel og lagre som Excel-arbeidsbok (.xlsx)"
        raise InputError(str(path), [ValidationIssue("-", None, None, message)])


def read_workbook_checked(
    path: str | Path, sheets: Collection[str] | None = None
) -> tuple[RawTables, list[ValidationIssue]]:
    """Read the sheets of an ``.xlsx`` workbook and report what a planner could not see.

    Args:
        path: The workbook.
        sheets: The sheet names wanted (matched after :func:`sheet_key`); the tables are keyed
            by these names. None reads every sheet under its own name. Other sheets are ignored
            and never checked (a planner's notes may be merged and hidden as they like).

    Returns:
        The raw tables (blank rows skipped; row numbers are Excel's, the header is row 1) and
        the problems found: hidden sheets, rows and columns; merged cells; formulas without a
        calculated value; Excel error values; duplicated, blank or look-alike headers; two sheets
        whose names differ only in case or spaces.

    Raises:
        InputError: If the file is missing, not a workbook, or damaged.
    """
    path = Path(path)
    check_input_file(path)
    values_book, formula_book = _open_books(path)
    issues: list[ValidationIssue] = []
    tables: RawTables = {}
    wanted = {sheet_key(name): name for name in sheets} if sheets is not None else None
    unmatched: list[str] = []
    try:
        for sheet in values_book.worksheets:
            name = sheet.title if wanted is None else wanted.get(sheet_key(sheet.title))
            if name is None:
                unmatched.append(sheet.title)
                continue
            if name in tables:
                message = f"to ark heter nesten det samme («{visible(sheet.title)}» og «{name}»): slett det ene"
                issues.append(ValidationIssue(name, None, None, message))
                continue
            formulas = formula_book[sheet.title] if formula_book is not None else None
            tables[name] = _read_sheet(name, sheet, formulas, issues)
    except (KeyError, ValueError, TypeError, ParseError, zipfile.BadZipFile) as exc:
        raise _damaged(path, exc) from exc
    finally:
        values_book.close()
        if formula_book is not None:
            formula_book.close()
    for name in sheets or []:
        if name not in tables:
            issues += _near_miss(name, unmatched)
    return tables, issues


def _near_miss(name: str, titles: list[str]) -> list[ValidationIssue]:
    """Name a close sheet when a wanted one is missing, visibly, instead of ignoring it silently.

    Catches a typo, «sesong1», an invisible character or a decomposed letter in a sheet name.
    """
    bare = {sheet_key("".join(c for c in t if unicodedata.category(c) not in {"Cf", "Cc", "Mn"})): t for t in titles}
    close = difflib.get_close_matches(sheet_key(name), list(bare), n=1, cutoff=0.75)
    if not close:
        return []
    title = bare[close[0]]
    message = f"arket «{name}» mangler, men et ark heter «{visible(title)}»: gi det navnet «{name}» (eller slett det)"
    return [ValidationIssue(name, None, None, message)]


def _damaged(path: Path, exc: BaseException) -> InputError:
    """The error for a file that is a zip but not a readable workbook."""
    message = (
        "filen er skadet eller ikke en Excel-arbeidsbok (.xlsx) "
        f"({type(exc).__name__}): åpne den i Excel og lagre den på nytt"
    )
    return InputError(str(path), [ValidationIssue("-", None, None, message)])


# A workbook's parts may not inflate beyond this before it is read (a case workbook is a few MB)
MAX_UNPACKED_BYTES = 200 * 1024 * 1024


def refuse_zip_bomb(path: Path, archive: zipfile.ZipFile, limit: int = MAX_UNPACKED_BYTES) -> None:
    """Refuse, before anything is read, a workbook whose parts would inflate beyond ``limit`` bytes.

    The sizes are the ones the zip directory declares; a part that lies about its size is caught
    by reading it in bounded chunks (:func:`_bounded_read`).
    """
    declared = sum(info.file_size for info in archive.infolist())
    if declared > limit:
        message = (
            f"arbeidsboken pakkes ut til {declared // (1024 * 1024)} MB, mer enn de "
            f"{limit // (1024 * 1024)} MB et inndataark kan være (er et ark fylt med data langt ut?); "
            "lagre bare arkene som trengs"
        )
        raise InputError(str(path), [ValidationIssue("-", None, None, message)])


def _bounded_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int = MAX_UNPACKED_BYTES) -> bytes:
    """A part's bytes, refusing to inflate more than ``limit`` whatever its declared size."""
    chunks, total = [], 0
    with archive.open(info) as part:
        while chunk := part.read(1 << 20):
            total += len(chunk)
            if total > limit:
                message = f"en del av arbeidsboken pakkes ut til mer enn {limit // (1024 * 1024)} MB"
                raise InputError(str(archive.filename), [ValidationIssue("-", None, None, message)])
            chunks.append(chunk)
    return b"".join(chunks)


def _open_books(path: Path) -> tuple[Any, Any]:
    """Open the workbook twice when it has formulas: once for values, once for the formulas."""
    try:
        with zipfile.ZipFile(path) as archive:
            refuse_zip_bomb(path, archive)
            has_formulas = any(
                b"<f" in _bounded_read(archive, info)
                for info in archive.infolist()
                if info.filename.startswith("xl/worksheets/")
            )
        values_book = load_workbook(path, data_only=True)
        formula_book = load_workbook(path, data_only=False) if has_formulas else None
    except InputError:
        raise
    except zipfile.BadZipFile as exc:
        message = "filen er ikke en Excel-arbeidsbok (.xlsx), eller den er skadet; lagre den på nytt som .xlsx"
        raise InputError(str(path), [ValidationIssue("-", None, None, message)]) from exc
    except OSError as exc:
        raise file_error(path, exc, "lese") from exc
    except Exception as exc:  # openpyxl raises many kinds (KeyError, ParseError, ValueError...) for a damaged file
        raise _damaged(path, exc) from exc
    return values_book, formula_book


def _read_sheet(name: str, sheet: Any, formulas: Any, issues: list[ValidationIssue]) -> list[RawRow]:
    """One sheet's rows, with the sheet-level checks: hidden, merged, formulas, error values."""
    if sheet.sheet_state != "visible":
        message = "arket er skjult i Excel: vis det (høyreklikk på en arkfane → Vis) eller slett det"
        issues.append(ValidationIssue(name, None, None, message))
    grid = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = [_clean(h) for h in grid[0]] if grid else []
    for merged in sorted(sheet.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        column = header[merged.min_col - 1] if merged.min_col <= len(header) and header[merged.min_col - 1] else None
        message = f"cellene {merged.coord} er slått sammen (flettet): del dem opp, så hver celle har sin egen verdi"
        issues.append(ValidationIssue(name, merged.min_row, column, message))
    for index, title in enumerate(header, start=1):
        letter = get_column_letter(index)
        if title and sheet.column_dimensions[letter].hidden:
            issues.append(ValidationIssue(name, 1, str(title), "kolonnen er skjult i Excel: vis den eller slett den"))
    for row_number, values in enumerate(grid[1:], start=2):
        if sheet.row_dimensions[row_number].hidden and any(v is not None for v in values):
            issues.append(ValidationIssue(name, row_number, None, "raden er skjult i Excel: vis den eller slett den"))
        for index, value in enumerate(values):
            column = str(header[index]) if index < len(header) and header[index] else get_column_letter(index + 1)
            if value is None and formulas is not None:
                formula = formulas.cell(row=row_number, column=index + 1).value
                if isinstance(formula, str) and formula.startswith("="):
                    message = (
                        f"cellen har formelen «{shown(formula)}», men Excel har ikke regnet den ut: "
                        "åpne filen i Excel og lagre den (eller skriv inn tallet)"
                    )
                    issues.append(ValidationIssue(name, row_number, column, message))
            elif isinstance(value, str) and value.strip() in EXCEL_ERRORS:
                message = f"cellen viser Excel-feilen {value.strip()}: rett formelen eller skriv inn verdien"
                issues.append(ValidationIssue(name, row_number, column, message))
    return _rows_to_raw(iter(grid), name, issues)


def _clean(value: Any) -> Any:
    """A cell as read: text NFC-normalised and trimmed (blank text is None)."""
    if isinstance(value, str):
        text = normal_text(value)
        return text or None
    return value


def read_csv_folder(folder: str | Path) -> RawTables:
    """Read one ``SHEET.csv`` per sheet (UTF-8, with or without BOM, comma separated) into raw rows.

    Numbers stay text here; the schema parses them as it parses text cells in Excel.

    Raises:
        InputError: If a file is not UTF-8 text or has bad headers.
    """
    tables: RawTables = {}
    issues: list[ValidationIssue] = []
    for file in sorted(Path(folder).glob("*.csv")):
        try:
            with file.open(encoding="utf-8-sig", newline="") as handle:
                rows = [tuple(None if cell == "" else cell for cell in row) for row in csv.reader(handle)]
        except UnicodeDecodeError:
            message = "filen er ikke lagret som UTF-8: lagre den som «CSV UTF-8 (kommaseparert)»"
            issues.append(ValidationIssue(file.name, None, None, message))
            continue
        except OSError as exc:
            raise file_error(file, exc, "lese") from exc
        tables[normal_text(file.stem)] = _rows_to_raw(iter(rows), file.stem, issues)
    if issues:
        raise InputError(str(folder), issues)
    return tables


def _rows_to_raw(rows: Iterator[Any], sheet: str = "-", issues: list[ValidationIssue] | None = None) -> list[RawRow]:
    """Turn header + data rows into ``(excel_row, {header: value})``, dropping blank rows.

    Headers and text cells are NFC-normalised and trimmed. A repeated header, or values in a
    column without a header, are added to ``issues`` (when given) instead of being dropped.
    """
    issues = issues if issues is not None else []
    header = next(rows, None)
    if header is None:
        return []
    names = [str(_clean(h)) if _clean(h) is not None else "" for h in header]
    data = [[_clean(v) for v in values] for values in rows]
    _check_headers(sheet, names, data, issues)
    raw: list[RawRow] = []
    for offset, values in enumerate(data, start=2):
        cells = {name: value for name, value in zip(names, values, strict=False) if name}
        if all(v is None for v in cells.values()):
            continue
        raw.append((offset, cells))
    if not raw:
        # keep the header visible to validation even when the sheet has no data rows
        return [(1, dict.fromkeys(n for n in names if n))] if any(names) else []
    return raw


def _check_headers(sheet: str, names: list[str], data: list[list[Any]], issues: list[ValidationIssue]) -> None:
    """Repeated headers and values under a blank header are problems, not silently dropped columns."""
    first_at: dict[str, int] = {}
    for index, name in enumerate(names):
        letter = get_column_letter(index + 1)
        if not name:
            rows = [r for r, values in enumerate(data, start=2) if index < len(values) and values[index] is not None]
            if rows:
                message = f"kolonne {letter} har verdier (fra rad {rows[0]}), men ingen overskrift i rad 1"
                issues.append(ValidationIssue(sheet, 1, None, message))
            continue
        if name in first_at:
            message = (
                f"kolonnen står to ganger (kolonne {get_column_letter(first_at[name] + 1)} og {letter}): slett den ene"
            )
            issues.append(ValidationIssue(sheet, 1, name, message))
        else:
            first_at[name] = index


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
    sheet.append([])
    sheet.append(["Arket «Om»: hva kolonnen «felt» kan være"])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    for field, meaning in ABOUT_FIELDS.items():
        sheet.append(["Om", field, "", "nei", "", meaning])
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
    lines = 1
    for index, header in enumerate(headers, start=1):
        letter = get_column_letter(index)
        # a header wraps between words: its longest word, not its length, sets the least width
        words = max((len(w) for w in str(header).split()), default=0)
        longest = max([words] + [len(_shown(c.value)) for c in sheet[letter][1:200] if c.value is not None])
        width = (widths or {}).get(header, min(max(10, longest + 2), 60))
        sheet.column_dimensions[letter].width = width
        lines = max(lines, -(-len(str(header)) // max(1, int(width) - 1)))
    sheet.row_dimensions[1].height = 15 * min(lines, 5)


def _shown(value: Any) -> str:
    """Roughly what a cell shows, for column widths."""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


#: Column widths (in characters) that print legibly across one A4 landscape page.
PRINT_WIDTH = 150


def set_print_layout(sheet: Any) -> None:
    """Print as a planner expects: landscape A4, fit to one page wide, the header row on every page.

    Sheets that already chose an orientation or title rows keep their choice.
    """
    setup = sheet.page_setup
    if setup.orientation is None:
        setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    # about 150 character widths print legibly across A4 landscape; a wider table goes over more
    # pages side by side, its first column repeated on each
    letters = {get_column_letter(k) for k in range(1, sheet.max_column + 1)}
    total = sum(sheet.column_dimensions[c].width or 8.43 for c in letters)
    pages = max(1, math.ceil(total / PRINT_WIDTH))
    setup.fitToWidth = pages
    setup.fitToHeight = 0
    if pages > 1 and sheet.print_title_cols is None:
        sheet.print_title_cols = "A:A"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if sheet.print_title_rows is None and sheet.max_row > 1:
        sheet.print_title_rows = "1:1"
    sheet.print_options.gridLines = False
    sheet.page_margins.left = sheet.page_margins.right = 0.4


def save_workbook(workbook: Workbook, path: str | Path) -> Path:
    """Save a workbook atomically and reproducibly.

    The document properties and every zip member's timestamp are pinned, so the same content
    gives the same bytes; the file is written to a temporary file in the target folder and renamed.
    """
    for sheet in workbook.worksheets:
        set_print_layout(sheet)
        written_as_text(sheet)
        unbounded_as_text(sheet)
    workbook.properties.creator = "dimensioning"
    workbook.properties.lastModifiedBy = "dimensioning"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    return write_bytes_atomic(_pin_zip_times(_workbook_bytes(workbook, Path(path))), path)


def written_as_text(sheet: Any) -> int:
    """Every cell openpyxl would write as a formula is written as the text it is; returns how many.

    The tool writes no formulas of its own, so a cell whose text starts with ``=`` came from the
    user (a site named ``=HYPERLINK(…)``): it is stored as a string, which Excel shows and never
    evaluates (formula injection). ``+``, ``-`` and ``@`` are already text in an .xlsx string cell.
    This is the one place every workbook the tool writes passes through (:func:`save_workbook`).
    """
    count = 0
    # the cells that exist (iter_rows would create every empty cell of the range, changing the file)
    for cell in sheet._cells.values():  # noqa: SLF001 - openpyxl keeps no public view of its cells
        if cell.data_type == "f":
            cell.data_type = "s"
            count += 1
    return count


def unbounded_as_text(sheet: Any) -> int:
    """Every infinite number is written as «ubegrenset» (NaN as an empty cell); returns how many.

    An ``inf`` (a queue that grows without bound, :data:`~.labels.UNBOUNDED`) has no value in an
    .xlsx file: Excel refuses it and openpyxl reads it back as empty, which would hide it.
    """
    count = 0
    for cell in sheet._cells.values():  # noqa: SLF001 - as in written_as_text
        value = cell.value
        if isinstance(value, float) and not math.isfinite(value):
            cell.value = None if math.isnan(value) else (UNBOUNDED if value > 0 else f"−{UNBOUNDED}")
            old = cell.alignment
            cell.alignment = Alignment(horizontal="right", vertical=old.vertical, wrap_text=old.wrap_text)
            count += 1
    return count


def _workbook_bytes(workbook: Workbook, path: Path) -> bytes:
    """The workbook as bytes, with disk errors named after ``path``.

    openpyxl writes temporary files of its own while saving: when the disk refuses them, the
    error names ``path``, and the half-run writer generators openpyxl leaves behind are closed
    here quietly instead of printing «Exception ignored» tracebacks.
    """
    buffer = io.BytesIO()
    failure = None
    previous = sys.unraisablehook
    sys.unraisablehook = lambda _unraisable: None
    try:
        try:
            workbook.save(buffer)
        except OSError as exc:
            failure = file_error(path, exc)
        gc.collect()
    finally:
        sys.unraisablehook = previous
    if failure is not None:
        raise failure
    return buffer.getvalue()


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


_PROTECTED: contextvars.ContextVar[frozenset[tuple[int, int] | str]] = contextvars.ContextVar(
    "protected_inputs", default=frozenset()
)


def _identity(path: Path) -> tuple[int, int] | str:
    """What makes two paths the same file: device and inode when it exists (hard links too)."""
    try:
        info = path.stat()
    except OSError:
        return str(path.resolve())
    return (info.st_dev, info.st_ino)


@contextlib.contextmanager
def protect_inputs(*paths: str | Path | None) -> Iterator[None]:
    """While the block runs, no write through :func:`write_bytes_atomic` may replace these files.

    A folder protects every file in it (a folder of CSV input). Used by every command that
    writes, with all of its inputs: the one guard that keeps a planner's input from being lost.
    """
    found: set[tuple[int, int] | str] = set()
    for given in paths:
        if given is None:
            continue
        path = Path(given)
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        found.update(_identity(p) for p in files)
    token = _PROTECTED.set(_PROTECTED.get() | found)
    try:
        yield
    finally:
        _PROTECTED.reset(token)


def refuse_overwriting_input(path: str | Path) -> None:
    """Raise :class:`~.errors.OutputError` if ``path`` is (or links to) a protected input."""
    path = Path(path)
    if _identity(path) in _PROTECTED.get() or str(path.resolve()) in _PROTECTED.get():
        message = f"«{path}» er en av inndatafilene og blir ikke skrevet over. Velg et annet navn eller en annen mappe."
        raise OutputError(message)


def check_output_path(path: str | Path, suffix: str | None = None) -> Path:
    """Check an output path before long work starts: right suffix, not an input, folder usable."""
    path = Path(path)
    if suffix is not None and path.suffix.lower() != suffix:
        message = f"«{path}» må slutte på {suffix}: filen som skrives er en Excel-arbeidsbok ({suffix})."
        raise OutputError(message)
    refuse_overwriting_input(path)
    if path.is_dir():
        raise OutputError(f"«{path}» er en mappe: oppgi et filnavn som slutter på {suffix or 'riktig endelse'}.")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"Kan ikke skrive «{path}»: «{parent}» er en fil, ikke en mappe.")
            break
    return path


# the outputs written so far by the command running, with what each path held before (None: nothing)
_WRITTEN: contextvars.ContextVar[list[tuple[Path, bytes | None]] | None] = contextvars.ContextVar(
    "written_outputs", default=None
)


@contextlib.contextmanager
def outputs_together() -> Iterator[None]:
    """A command's outputs appear together or not at all.

    Every file written inside (through :func:`write_bytes_atomic`) is noted with what its path held
    before. If the command then fails for a reason a planner cannot fix by reading the outputs (a
    disk or file error, an interruption, an internal error), every one of them is taken back: new
    files removed, replaced files restored. A command that ends with a message about the case
    (no solution, bad input) keeps what it wrote on purpose.
    """
    written: list[tuple[Path, bytes | None]] = []
    token = _WRITTEN.set(written)
    try:
        yield
    except BaseException as error:
        keeps = isinstance(error, DimensioningError) and not isinstance(error, OutputError | Interrupted)
        if not keeps:
            for path, previous in reversed(written):
                with contextlib.suppress(OSError):
                    if previous is None:
                        path.unlink(missing_ok=True)
                    else:
                        path.write_bytes(previous)
        raise
    finally:
        _WRITTEN.reset(token)


def write_bytes_atomic(data: bytes, path: str | Path) -> Path:
    """Write bytes to ``path`` through a temporary file in the same folder and an atomic rename.

    Refuses a protected input (:func:`protect_inputs`). On any failure (a full disk, no access,
    an interruption) the temporary file is removed and the target is left as it was.

    Raises:
        OutputError: In bokmål, naming ``path`` (never the temporary file).
    """
    path = Path(path)
    refuse_overwriting_input(path)
    temp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        Path(temp_name).chmod(0o644)  # mkstemp makes 0600; outputs are ordinary readable files
        written = _WRITTEN.get()
        if written is not None and all(p != path for p, _ in written):
            written.append((path, path.read_bytes() if path.is_file() else None))
        Path(temp_name).replace(path)
    except OSError as exc:
        if temp_name:
            Path(temp_name).unlink(missing_ok=True)
        raise file_error(path, exc) from None
    except BaseException:
        if temp_name:
            Path(temp_name).unlink(missing_ok=True)
        raise
    return path
