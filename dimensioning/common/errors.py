"""Typed errors. Each carries a bokmål message meant for the planner, never a traceback.

Also the helpers that make a message one a planner can act on: :func:`visible` shows what a
name really holds (a trailing space, a zero-width space, a decomposed «Å»), :func:`shown` prints
a value briefly, and :func:`file_error` turns an operating-system error into bokmål naming the
user's own path (never a temporary file).
"""

from __future__ import annotations

import errno
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

MAX_LISTED_ISSUES = 50
MAX_SHOWN_CHARS = 60


class DimensioningError(Exception):
    """Base class: ``str(error)`` is a complete bokmål message for the user."""


def visible(text: object) -> str:
    """Show the characters a planner cannot see: ``«Lokasjoner␣»``, ``Bråta⟨U+200B⟩``.

    Leading and trailing white space become ``␣``; format characters (zero-width space, BOM,
    direction marks), control characters, non-breaking spaces and combining marks (a decomposed
    «Å» is «A» plus U+030A) are written as ``⟨U+XXXX⟩``. Ordinary text is returned unchanged.
    """
    text = str(text)
    core = text.strip(" ")
    lead = len(text) - len(text.lstrip(" "))
    trail = len(text) - len(text.rstrip(" ")) if core else 0
    out = []
    for char in core:
        category = unicodedata.category(char)
        if category in {"Cf", "Cc", "Mn", "Zl", "Zp"} or char in "\u00a0\u2007\u202f":
            out.append(f"⟨U+{ord(char):04X}⟩")
        else:
            out.append(char)
    return "␣" * lead + "".join(out) + "␣" * trail


def has_invisible(text: str) -> bool:
    """True if :func:`visible` would change the text (after NFC normalisation)."""
    normal = unicodedata.normalize("NFC", text)
    return visible(normal) != normal


def shown(value: Any) -> str:
    """A value as a planner would write it, kept short (decimal comma, dates as dd.mm.yyyy)."""
    if isinstance(value, bool):
        return "SANN" if value else "USANN"
    if isinstance(value, datetime | date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, int) and abs(value) >= 10**12:
        value = float(value)
    if isinstance(value, float) and value.is_integer() and 1e4 <= abs(value) < 1e15:
        return f"{int(value):,}".replace(",", " ")  # 50 000 000, not 5e+07
    if isinstance(value, float):
        return f"{value:.6g}".replace(".", ",")
    text = visible(value)
    if len(text) > MAX_SHOWN_CHARS:
        text = text[: MAX_SHOWN_CHARS - 1] + "…"
    return text


_WEIGHTS_1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_WEIGHTS_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
# 10 or 11 digits, with single spaces, dots or dashes between them (010190 12345, 010190-12345)
_ID_RUN = re.compile(r"(?<![0-9])[0-9](?:[ .\-]?[0-9]){9,10}(?![0-9])")
REDACTED = "[fødselsnummer fjernet]"


def national_id_valid(digits: str) -> bool:
    """True for 11 digits whose two modulus-11 check digits are valid (fødsels-, D- and H-nummer).

    ``k1 = 11 - (Σ w1·d mod 11)``, ``k2 = 11 - (Σ w2·d mod 11)``, 11 read as 0 and 10 as invalid
    (Skatteetaten). About one random 11-digit number in 120 passes by chance.
    """
    if len(digits) != 11 or not digits.isdigit():
        return False
    values = [int(c) for c in digits]

    def control(weights: tuple[int, ...], head: list[int]) -> int | None:
        rest = 11 - sum(w * d for w, d in zip(weights, head, strict=True)) % 11
        return 0 if rest == 11 else (None if rest == 10 else rest)

    return control(_WEIGHTS_1, values[:9]) == values[9] and control(_WEIGHTS_2, values[:10]) == values[10]


def redact_ids(text: str) -> str:
    """Every national identity number in a text, however it is spelt, replaced by «[fødselsnummer fjernet]».

    A run of 11 digits (or 10, an Excel number that lost its leading zero), with spaces, dots or
    dashes between them, counts when its check digits are valid. Used on every message the CLI
    prints and on every output name derived from a user's file name.
    """

    def replace(match: re.Match) -> str:
        digits = re.sub(r"[^0-9]", "", match.group(0))
        if len(digits) == 10:
            digits = "0" + digits
        return REDACTED if national_id_valid(digits) else match.group(0)

    return _ID_RUN.sub(replace, str(text))


def contains_national_id(value: object) -> bool:
    """True when a cell holds a national identity number anywhere, in any common spelling.

    With spaces, dots or dashes (``010190-12345``), after a letter prefix (``P01019012345``) or a
    date, or as an Excel number that lost its leading zero; D- and H-numbers pass the same check.
    """
    if value is None or isinstance(value, bool | datetime | date | time | timedelta):
        return False  # a typed date or time holds no identity number (its text would look like digits)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return redact_ids(text) != text


def safe_stem(path: Path | str) -> str:
    """A file's stem for naming outputs after it, with any identity number taken out."""
    return redact_ids(Path(path).stem).replace(REDACTED, "x")


def count_words(n: int, one: str, many: str) -> str:
    """``1 problem``, ``3 problemer``: the number with the right form of the noun."""
    return f"{n} {one if n == 1 else many}"


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
        if self.sheet == "-":  # the file as a whole: the message says it all
            return self.message_nb
        where = f"ark «{visible(self.sheet)}»"
        if self.row is not None:
            where += f", rad {self.row}"
        if self.column is not None:
            where += f", kolonne «{visible(self.column)}»"
        return f"{where}: {self.message_nb}"


class InputError(DimensioningError):
    """The input has one or more problems; all are collected in ``issues``.

    The message lists the first :data:`MAX_LISTED_ISSUES` and counts the rest.
    """

    def __init__(self, source: str, issues: list[ValidationIssue]) -> None:
        self.source = source
        self.issues = list(issues)
        found = count_words(len(self.issues), "problem", "problemer")
        lines = [f"Feil i inndata ({source}): {found} funnet."]
        lines += [f"  - {issue}" for issue in self.issues[:MAX_LISTED_ISSUES]]
        rest = len(self.issues) - MAX_LISTED_ISSUES
        if rest > 0:
            lines.append(f"  … og {count_words(rest, 'problem', 'problemer')} til (rett de første og kjør igjen).")
        super().__init__("\n".join(lines))


class InfeasibleError(DimensioningError):
    """No allocation meets every constraint; ``conflicts`` says which families needed slack."""

    def __init__(self, message_nb: str, conflicts: object = None, families: object = None) -> None:
        self.conflicts = conflicts
        self.families = families
        super().__init__(message_nb)


class SolverError(DimensioningError):
    """The solver stopped without a usable answer (time limit, numerical trouble, missing solver)."""


class Interrupted(DimensioningError):
    """The user interrupted the run (Ctrl-C or a stop signal); nothing half-written is left."""


class OutputError(DimensioningError):
    """An output cannot be written: it would overwrite an input, or the disk refused it."""


_ERRNO_NB = {
    errno.ENOSPC: "disken er full",
    errno.EFBIG: "filen ble større enn det systemet tillater (grense for filstørrelse)",
    errno.EDQUOT: "diskkvoten er brukt opp",
    errno.EACCES: "mangler tilgang (skrivebeskyttet eller eid av en annen bruker)",
    errno.EPERM: "operasjonen er ikke tillatt",
    errno.EROFS: "filsystemet er skrivebeskyttet",
    errno.ENOENT: "finnes ikke",
    errno.ENOTDIR: "en del av stien er en fil, ikke en mappe",
    errno.EISDIR: "er en mappe, ikke en fil",
    errno.EEXIST: "en fil med det navnet finnes allerede der en mappe skulle lages",
    errno.ENAMETOOLONG: "navnet er for langt",
    errno.EIO: "lese- eller skrivefeil på disken",
}


def file_error(path: str | Path, error: OSError, doing: str = "skrive") -> OutputError:
    """An operating-system error in bokmål, naming the user's path and what was being done."""
    reason = _ERRNO_NB.get(error.errno or -1, "ukjent feil fra operativsystemet")
    if error.errno not in _ERRNO_NB and error.strerror:
        reason += f" ({error.strerror})"
    return OutputError(f"Kunne ikke {doing} «{path}»: {reason}. Ingenting halvferdig er lagt igjen.")
