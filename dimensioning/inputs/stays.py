"""Stay records in: read and validate a municipality's export of short-term stays (pseudonymised).

One row per stay: ``pasient`` (a pseudonymous id), ``plasstype``, ``lokasjon``, ``innskrevet``,
``utskrevet`` (empty: still in) and optionally ``meldt_utskrivningsklar`` (the day the hospital
reported the patient ready). ``.xlsx`` (sheet ``Opphold``, or the first sheet) or ``.csv`` (``;``,
``,`` or tab separated, UTF-8 or Windows-1252, as Norwegian Excel saves it).

Validation is done once, here, and every problem names sheet, row and column. A ``pasient`` value
that looks like a Norwegian national identity number (11 digits with valid check digits) makes the
whole file refused, and no message ever repeats a patient's id. Nothing patient-level leaves this
module except the validated frame, which only :mod:`~.calibrate` reads (and aggregates).
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dimensioning.common.errors import (
    InputError,
    ValidationIssue,
    contains_national_id,
    national_id_valid,
    redact_ids,
    shown,
)
from dimensioning.inputs.workbook import check_input_file, read_workbook_checked

STAYS_SHEET = "Opphold"
REQUIRED = ("pasient", "plasstype", "lokasjon", "innskrevet", "utskrevet")
OPTIONAL = ("meldt_utskrivningsklar",)
DATE_COLUMNS = ("innskrevet", "utskrevet", "meldt_utskrivningsklar")
# a discharge this long after the last admission in the file is taken for a typing error
MAX_DAYS_AFTER_LAST_ADMISSION = 366
MAX_STAYS = 2_000_000
#: What each column of a stay file holds, for the empty stay file («dimension template --opphold»).
COLUMN_HELP = {
    "pasient": "Pseudonymt løpenummer (samme pasient får samme nummer). Aldri fødselsnummer: filen blir da ikke lest.",
    "plasstype": "Plasstypen oppholdet var på, skrevet som i arket «Plasstyper» i inndatafilen.",
    "lokasjon": "Lokasjonen oppholdet var på, skrevet som i arket «Lokasjoner».",
    "innskrevet": "Dato for innskrivning (dd.mm.åååå).",
    "utskrevet": "Dato for utskrivning (dd.mm.åååå); tom hvis pasienten fortsatt er innlagt.",
    "meldt_utskrivningsklar": (
        "Valgfri: datoen sykehuset meldte pasienten utskrivningsklar. Gir ventetiden for typer som venter; "
        "uten den kan ikke de som ga opp skilles fra dem som fikk plass."
    ),
}
EARLIEST = datetime.date(1990, 1, 1)
LATEST = datetime.date(2100, 12, 31)
HOW_TO_PSEUDONYMISE = (
    "Filen ser ut til å inneholde fødselsnumre i kolonnen «pasient», og blir ikke lest. Verktøyet skal "
    "bare ha pseudonyme data: bytt hvert fødselsnummer med et løpenummer (samme pasient får samme "
    "nummer, f.eks. med Excel-funksjonen SAMMENLIGNE mot en liste over unike fødselsnumre som blir "
    "igjen hos kommunen), eller eksporter uten fødselsnummer fra fagsystemet. Verken meldingen eller "
    "noen utdata gjengir verdien."
)


def looks_like_national_id(value: object) -> bool:
    """True for 11 digits whose two check digits are valid (fødselsnummer and D-nummer alike).

    See :func:`~dimensioning.common.errors.national_id_valid`; an Excel number that lost its leading zero
    (10 digits) is read with it.
    """
    text = str(value).strip().replace(" ", "")
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if len(text) == 10 and text.isdigit():  # Excel drops a leading zero of a number
        text = "0" + text
    return national_id_valid(text)


@dataclass(frozen=True)
class Stays:
    """Validated stays (patient-level: never written anywhere).

    Attributes:
        frame: ``patient, bed_type, site, admitted, discharged, ready`` (dates as
            ``datetime64``; ``discharged`` NaT while still in, ``ready`` NaT when not given).
        source: The file read.
        rows_read: Rows under the header in the file (empty ones included).
        rows_skipped: Empty rows, left out.
    """

    frame: pd.DataFrame
    source: str
    rows_read: int = 0
    rows_skipped: int = 0

    @property
    def first_day(self) -> pd.Timestamp:
        """The first admission in the record."""
        return self.frame["admitted"].min()

    @property
    def last_day(self) -> pd.Timestamp:
        """The latest date in the record (admission, discharge or ready)."""
        return max(self.frame[c].max() for c in ("admitted", "discharged", "ready") if self.frame[c].notna().any())


def read_stays(path: str | Path, bed_types: list[str], sites: list[str]) -> Stays:
    """Read and validate a stay record.

    Args:
        path: ``.xlsx`` or ``.csv``.
        bed_types: The case's bed types (a stay of another type is an error that names it).
        sites: The case's sites.

    Raises:
        InputError: Every problem at once, each naming sheet, row and column, in bokmål.
    """
    path = Path(path)
    check_input_file(path, (".xlsx", ".xlsm", ".csv", ".txt"))
    sheet, rows = _read_rows(path)
    issues: list[ValidationIssue] = []
    header = rows[0][1] if rows else {}
    columns = list(header)
    missing = [c for c in REQUIRED if c not in columns]
    for column in missing:
        issues.append(ValidationIssue(sheet, 1, column, f"kolonnen mangler (trenger {', '.join(REQUIRED)})"))
    if missing:
        raise InputError(str(path), issues)
    body = [(r, cells) for r, cells in rows[1:] if any(v not in (None, "") for v in cells.values())]
    if not body:
        raise InputError(str(path), [ValidationIssue(sheet, None, None, "fant ingen opphold")])
    if len(body) > MAX_STAYS:
        message = f"{len(body)} opphold er flere enn de {MAX_STAYS} verktøyet leser; del opp perioden"
        raise InputError(str(path), [ValidationIssue(sheet, None, None, message)])
    # every cell of every column, in every spelling (the value is never repeated)
    ids = [
        (r, column)
        for r, cells in body
        for column, value in cells.items()
        if looks_like_national_id(value) or contains_national_id(value)
    ]
    if ids:
        columns_hit = list(dict.fromkeys(column for _, column in ids))
        rows_text = ", ".join(str(r) for r, _ in ids[:5]) + (" …" if len(ids) > 5 else "")
        message = f"{HOW_TO_PSEUDONYMISE} (rad {rows_text})"
        raise InputError(redact_ids(str(path)), [ValidationIssue(sheet, None, ", ".join(columns_hit), message)])
    known_types, known_sites = set(bed_types), set(sites)
    records = []
    for excel_row, cells in body:
        record = {"row": excel_row}
        patient = cells.get("pasient")
        if patient in (None, ""):
            issues.append(ValidationIssue(sheet, excel_row, "pasient", "mangler (et pseudonymt løpenummer)"))
        record["patient"] = str(patient)
        for column, known, field, label in (
            ("plasstype", known_types, "bed_type", "plasstypene i caset"),
            ("lokasjon", known_sites, "site", "lokasjonene i caset"),
        ):
            value = " ".join(str(cells.get(column) or "").split())
            if not value:
                issues.append(ValidationIssue(sheet, excel_row, column, "mangler"))
            elif value not in known:
                names = ", ".join(sorted(known))
                message = f"«{safe_shown(value)}» er ikke blant {label} ({names})"
                issues.append(ValidationIssue(sheet, excel_row, column, message))
            record[field] = value
        for column in DATE_COLUMNS:
            value = cells.get(column)
            parsed, problem = parse_date(value)
            if problem:
                issues.append(ValidationIssue(sheet, excel_row, column, problem))
            elif parsed is None and column == "innskrevet":
                issues.append(ValidationIssue(sheet, excel_row, column, "mangler dato"))
            record[column] = parsed
        admitted, discharged = record["innskrevet"], record["utskrevet"]
        if admitted and discharged and discharged < admitted:
            message = f"utskrevet {discharged:%d.%m.%Y} er før innskrevet {admitted:%d.%m.%Y}"
            issues.append(ValidationIssue(sheet, excel_row, "utskrevet", message))
        ready = record["meldt_utskrivningsklar"]
        if admitted and ready and (admitted - ready).days > 365:
            message = f"meldt utskrivningsklar {ready:%d.%m.%Y} er mer enn et år før innskrevet"
            issues.append(ValidationIssue(sheet, excel_row, "meldt_utskrivningsklar", message))
        records.append(record)
    # a date long after every admission is a typing error (2100 for 2010), not a stay: it would
    # stretch the record's period over decades
    admissions = [r["innskrevet"] for r in records if r.get("innskrevet")]
    if admissions:
        latest = max(admissions)
        for r in records:
            for column in ("utskrevet", "meldt_utskrivningsklar"):
                value = r.get(column)
                if value and (value - latest).days > MAX_DAYS_AFTER_LAST_ADMISSION:
                    message = (
                        f"{value:%d.%m.%Y} er mer enn et år etter siste innskrivning i filen "
                        f"({latest:%d.%m.%Y}): skrivefeil i årstallet?"
                    )
                    issues.append(ValidationIssue(sheet, r["row"], column, message))
    if issues:
        raise InputError(str(path), issues)
    frame = pd.DataFrame(records)
    out = pd.DataFrame(
        {
            "patient": frame["patient"],
            "bed_type": frame["bed_type"],
            "site": frame["site"],
            "admitted": pd.to_datetime(frame["innskrevet"]),
            "discharged": pd.to_datetime(frame["utskrevet"]),
            "ready": pd.to_datetime(frame["meldt_utskrivningsklar"]),
        }
    )
    # blank rows are dropped by the reader, so count from the last row's number
    read = max(r for r, _ in rows) - 1
    return Stays(out, str(path), rows_read=read, rows_skipped=read - len(body))


def parse_date(value: object) -> tuple[datetime.date | None, str | None]:
    """A cell as a date: an Excel date, ``dd.mm.yyyy`` (or ``dd.mm.yy``, ``yyyy-mm-dd``) text; else a message."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    else:
        text = str(value).strip().split(" ")[0]
        day = None
        for pattern in ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%d/%m/%Y"):
            try:
                day = datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date
                break
            except ValueError:
                continue
        if day is None:
            return None, f"«{safe_shown(value)}» er ikke en dato (skriv dd.mm.åååå, f.eks. 03.01.2024)"
    if not EARLIEST <= day <= LATEST:
        return None, f"datoen {day:%d.%m.%Y} er utenfor {EARLIEST:%Y}-{LATEST:%Y}"
    return day, None


def safe_shown(value: object) -> str:
    """A cell for a message, except a value that looks like a national identity number (never repeated)."""
    return "11 sifre som ligner et fødselsnummer" if looks_like_national_id(value) else shown(value)


def _read_rows(path: Path) -> tuple[str, list[tuple[int, dict]]]:
    """Raw rows ``(excel_row, {header: value})`` of the stay sheet or CSV file (row 1: the header)."""
    if path.suffix.lower() in (".csv", ".txt"):
        return path.name, _read_csv(path)
    # the sheet «Opphold» alone when there is one (a «Les meg» or a hidden list sheet is not read)
    tables, issues = read_workbook_checked(path, [STAYS_SHEET])
    if not tables:
        tables, issues = read_workbook_checked(path)
    if issues:
        raise InputError(str(path), issues)
    if not tables:
        raise InputError(str(path), [ValidationIssue("-", None, None, "arbeidsboken har ingen ark med data")])
    sheet = next((name for name in tables if name.strip().lower() == STAYS_SHEET.lower()), next(iter(tables)))
    rows = [(r, {_header(h): v for h, v in cells.items()}) for r, cells in tables[sheet]]
    if rows and rows[0][0] == 1:  # a sheet with a header and no stays
        return sheet, rows
    # the header as row 1, as a CSV file gives it (the reader keys the data rows by it)
    header = list(dict.fromkeys(h for _, cells in rows for h in cells))
    return sheet, [(1, {h: h for h in header}), *rows]


def _read_csv(path: Path) -> list[tuple[int, dict]]:
    """CSV rows keyed by the first line, with the delimiter and encoding a Norwegian Excel uses."""
    raw = path.read_bytes()
    text = _decoded(path, raw)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    try:
        lines = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        message = "filen kan ikke leses som CSV (en celle eller linje er ødelagt); lagre den på nytt fra Excel"
        raise InputError(redact_ids(path.name), [ValidationIssue("-", None, None, message)]) from exc
    if not lines:
        return []
    header = [_header(h) for h in lines[0]]
    rows = [(1, {h: h for h in header})]
    for number, line in enumerate(lines[1:], start=2):
        rows.append((number, {h: (v if v.strip() else None) for h, v in zip(header, line, strict=False)}))
    return rows


def _decoded(path: Path, raw: bytes) -> str:
    """The text of a CSV file as Norwegian Excel saves it: UTF-16 («Unicode-tekst»), UTF-8 or Windows-1252.

    Bytes that are none of these (a binary file named .csv) are refused with the file's name.
    """
    text = None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            text = None
    else:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if text is None or "\x00" in text:
        message = (
            "filen er ikke tekst i et kjent tegnsett (UTF-8, UTF-16 eller Windows-1252); lagre den fra Excel "
            "som «CSV UTF-8 (kommaseparert)» eller som .xlsx"
        )
        raise InputError(redact_ids(path.name), [ValidationIssue("-", None, None, message)])
    return text


def _header(text: object) -> str:
    """A header as a column name: lower case, spaces and hyphens as underscores."""
    return "_".join(str(text or "").strip().lower().replace("-", " ").split())
