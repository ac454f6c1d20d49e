"""What-if scenarios as data: overrides of input cells, read from a scenario workbook.

Syntax of an override column header (sheet ``Scenarier``, or ``parameter`` in ``Rutenett``)::

    Ark:nøkkel:kolonne            set the cell, e.g.  Plasstyper:KAD:maks_avvisning
    Ark:*:kolonne                 set the column in every row, e.g.  Plasstyper:*:pleiefaktor
    Ark:nøkkel:kolonne (faktor)   multiply the cell, e.g.  Plasstyper:*:innleggelser_per_aar (faktor)
    Foringer:lokasjon/plasstype:min    a row of a two-key sheet
    Rater:*/80+:innleggelser_per_1000 (faktor)   ``*`` in one key matches every row
    Befolkning:*:innbyggere (vekstfaktor)   scale the growth from the first year, per age group

The sheets of the years ahead (``Befolkning``, ``Rater``, ``Utbygging``; and ``Parametre`` rows
such as ``diskonteringsrente``) only change the multi-year plan, so they are allowed in scenario
files for ``dimension plan --scenarier`` and refused, with that pointer, by ``dimension sweep``.

``nøkkel`` is the row's name in the sheet's first column (``lokasjon``, ``plasstype``,
``fagkategori``, ``navn``). Short names (aliases) exist for the common questions, see
:data:`ALIASES`. The ``Rutenett`` sheet has rows ``parameter, fra, til, steg`` (or ``verdier``
separated by ``;``); every combination of its rows becomes a scenario.

Scenarios change raw input cells and are then validated exactly as ``dimension solve`` validates a
workbook, so a scenario is the same as editing the input by hand.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dimensioning.common.errors import InputError, ValidationIssue, shown
from dimensioning.inputs.schema import PARAMETERS, SHEET_BY_NAME, columns_of
from dimensioning.inputs.workbook import RawTables, read_workbook

SCENARIO_SHEET = "Scenarier"
GRID_SHEET = "Rutenett"
NAME_COLUMN = "scenario"
GRID_NAME_PREFIX = "Rutenett "
FACTOR_SUFFIX = "(faktor)"
GROWTH_SUFFIX = "(vekstfaktor)"

ALIASES: dict[str, str] = {
    "vekst_etterspørsel": "Plasstyper:*:innleggelser_per_aar (faktor)",
    "pleiefaktor": "Plasstyper:*:pleiefaktor",
    "totalt_antall_plasser": "Parametre:totalt_antall_plasser:verdi",
    "liggetid (faktor)": "Plasstyper:*:liggetid_dager (faktor)",
    "befolkningsvekst": "Befolkning:*:innbyggere (vekstfaktor)",
    "diskonteringsrente": "Parametre:diskonteringsrente:verdi",
}
YEARS_SHEETS = ("Befolkning", "Rater", "Utbygging")
YEARS_PARAMETERS = (
    "startaar",
    "sluttaar",
    "planaar_hvert",
    "fast_total_til_aar",
    "diskonteringsrente",
    "maks_endring_per_lokasjon",
    "maks_vekst_sykepleiere",
)
EDITABLE_SHEETS = ("Lokasjoner", "Plasstyper", "Bemanning", "Foringer", "Parametre", *YEARS_SHEETS)
MAX_SCENARIOS = 20_000  # a sweep larger than this is a typo (a step of 0.0001) more often than a plan


@dataclass(frozen=True)
class Override:
    r"""One addressed input value.

    Attributes:
        header: The column header as written by the user (alias or full syntax).
        sheet: Input sheet.
        key: Row key (``*`` = every row; ``a/b`` for two-key sheets).
        column: Column header in that sheet.
        factor: Multiply the cell instead of setting it.
        growth: Multiply the change since the first year of the row's group (``Befolkning``:
            a growth alternative, :math:`P'(y) = P(y_0) + f\,(P(y) - P(y_0))` per age group).
    """

    header: str
    sheet: str
    key: str
    column: str
    factor: bool
    growth: bool = False


@dataclass(frozen=True)
class Scenario:
    """A named set of overrides.

    Attributes:
        name: Scenario name (unique).
        values: ``(override, value)`` pairs, in column order.
        row: Excel row in ``Scenarier`` (None for grid points).
    """

    name: str
    values: tuple[tuple[Override, Any], ...]
    row: int | None = None

    @property
    def changes(self) -> dict[str, Any]:
        """Override header to value, for reports."""
        return {override.header: value for override, value in self.values}


def parse_override(header: str, base: RawTables, years: bool = False) -> Override | str:
    """Parse a column header into an :class:`Override`, or return a bokmål error message.

    Args:
        header: The column header.
        base: The base workbook's raw tables.
        years: Scenarios of the multi-year plan (the sheets of the years ahead are allowed).
    """
    text = ALIASES.get(header.strip(), header.strip())
    growth = text.endswith(GROWTH_SUFFIX)
    if growth:
        text = text[: -len(GROWTH_SUFFIX)].strip()
    factor = text.endswith(FACTOR_SUFFIX) or growth
    if text.endswith(FACTOR_SUFFIX):
        text = text[: -len(FACTOR_SUFFIX)].strip()
    parts = text.split(":")
    if len(parts) != 3:
        known = ", ".join(ALIASES)
        return f"forstår ikke «{header}»: skriv Ark:nøkkel:kolonne (eller et kortnavn: {known})"
    sheet, key, column = (p.strip() for p in parts)
    if sheet not in EDITABLE_SHEETS:
        return f"arket «{sheet}» kan ikke endres i et scenario (kan: {', '.join(EDITABLE_SHEETS)})"
    if not years and (sheet in YEARS_SHEETS or growth or (sheet == "Parametre" and key in YEARS_PARAMETERS)):
        return f"«{header.strip()}» gjelder årene framover: kjør scenariofilen med «dimension plan --scenarier»"
    if growth and (sheet, column) != ("Befolkning", "innbyggere"):
        return f"{GROWTH_SUFFIX} gjelder bare Befolkning:*:innbyggere"
    spec = SHEET_BY_NAME[sheet]
    headers = dict(columns_of(spec.row_model)).values()
    key_headers = [dict(columns_of(spec.row_model))[k] for k in spec.keys]
    if column not in headers or column in key_headers or column == "kilde":
        return f"arket «{sheet}» har ingen kolonne «{column}» som kan endres"
    known_parameter = sheet == "Parametre" and key in {spec.name for spec in PARAMETERS} and not factor
    if key != "*" and not _matching_rows(base.get(sheet, []), key_headers, key) and not known_parameter:
        return f"fant ingen rad «{key}» i arket «{sheet}»"
    return Override(header=header.strip(), sheet=sheet, key=key, column=column, factor=factor, growth=growth)


def _matching_rows(rows: list, key_headers: list[str], key: str) -> list[int]:
    """Indices of raw rows whose key cells equal ``key`` (``a/b`` for two keys; ``*`` matches any)."""
    wanted = [k.strip() for k in key.split("/")] if len(key_headers) > 1 else [key.strip()]
    found = []
    for index, (_excel_row, cells) in enumerate(rows):
        values = [" ".join(str(cells.get(h, "")).split()) for h in key_headers]
        if len(values) == len(wanted) and all(w in ("*", v) for w, v in zip(wanted, values, strict=True)):
            found.append(index)
    return found


def apply(base: RawTables, scenario: Scenario) -> RawTables:
    """Return new raw tables with the scenario's overrides applied; ``base`` is not changed."""
    tables = dict(base)
    for override, value in scenario.values:
        spec = SHEET_BY_NAME[override.sheet]
        key_headers = [dict(columns_of(spec.row_model))[k] for k in spec.keys]
        rows = copy.deepcopy(tables[override.sheet])
        indices = (
            [i for i, (r, _) in enumerate(rows) if r > 1]
            if override.key == "*"
            else _matching_rows(rows, key_headers, override.key)
        )
        first = _first_year_values(rows) if override.growth else {}
        if not indices and override.sheet == "Parametre" and override.key != "*":  # a parameter left at its default
            rows.append((max((r for r, _ in rows), default=1) + 1, {key_headers[0]: override.key}))
            indices = [len(rows) - 1]
        for index in indices:
            cells = rows[index][1]
            if override.growth:
                old, start = _number(cells.get(override.column)), first.get(str(cells.get("aldersgruppe")))
                if old is not None and start is not None:
                    cells[override.column] = start + float(value) * (old - start)
            elif override.factor:
                old = _number(cells.get(override.column))
                cells[override.column] = None if old is None else old * float(value)
            else:
                cells[override.column] = value
        tables[override.sheet] = rows
    return tables


def _first_year_values(rows: list) -> dict[str, float]:
    """``Befolkning``: inhabitants in the first year of each age group (the base of a growth factor)."""
    first: dict[str, tuple[float, float]] = {}
    for excel_row, cells in rows:
        year, value = _number(cells.get("aar")), _number(cells.get("innbyggere"))
        group = str(cells.get("aldersgruppe"))
        if excel_row > 1 and year is not None and value is not None and (group not in first or year < first[group][0]):
            first[group] = (year, value)
    return {group: value for group, (_, value) in first.items()}


def _number(value: Any) -> float | None:
    """A cell as a finite float (decimal comma accepted), None if blank or not a finite number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).strip().replace(",", "."))
        except (ValueError, OverflowError):
            return None
    return number if math.isfinite(number) else None


def read_scenarios(path: str | Path, base: RawTables, years: bool = False) -> list[Scenario]:
    """Read ``Scenarier`` and ``Rutenett`` from a scenario workbook; every problem is reported at once.

    ``years``: scenarios of the multi-year plan (``dimension plan --scenarier``), which may change
    the sheets of the years ahead.

    Raises:
        InputError: Naming the sheet, row and column of each bad reference or value.
    """
    tables = read_workbook(path, [SCENARIO_SHEET, GRID_SHEET])
    issues: list[ValidationIssue] = []
    if SCENARIO_SHEET not in tables and GRID_SHEET not in tables:
        message = f"arbeidsboken må ha arket «{SCENARIO_SHEET}» eller «{GRID_SHEET}»"
        raise InputError(str(path), [ValidationIssue(SCENARIO_SHEET, None, None, message)])
    checker = _ValueChecker(base)
    scenarios = _explicit(tables.get(SCENARIO_SHEET, []), base, issues, checker, years)
    scenarios += _grid(tables.get(GRID_SHEET, []), base, issues, checker, years)
    if len(scenarios) > MAX_SCENARIOS:
        message = f"{len(scenarios)} scenarier er flere enn de {MAX_SCENARIOS} som kan kjøres i én sweep: del den opp"
        issues.append(ValidationIssue(SCENARIO_SHEET, None, None, message))
    names = [s.name for s in scenarios]
    for scenario in scenarios:
        if names.count(scenario.name) > 1 and scenario.row is not None:
            message = f"scenarionavnet «{scenario.name}» er brukt flere ganger"
            issues.append(ValidationIssue(SCENARIO_SHEET, scenario.row, NAME_COLUMN, message))
    if not scenarios and not issues:
        issues.append(ValidationIssue(SCENARIO_SHEET, None, None, "fant ingen scenarier"))
    if issues:
        raise InputError(str(path), issues)
    return scenarios


class _ValueChecker:
    """Validates one override value against the base workbook, so a bad value is reported where it was typed.

    Each distinct ``(override, value)`` is applied alone and the overridden sheet's own cells are
    validated as ``dimension solve`` would. Problems that need the whole scenario (shares that
    no longer sum to 1, rooms against beds) are left to the scenario's own validation.
    """

    def __init__(self, base: RawTables) -> None:
        self.base = base
        self.seen: dict[tuple[str, str], list[str]] = {}

    def problems(self, override: Override, value: Any) -> list[str]:
        """Bokmål messages for the cells this override sets to ``value`` (empty if valid)."""
        from dimensioning.inputs.case import sheet_issues

        key = (override.header, repr(value))
        if key not in self.seen:
            tables = apply(self.base, Scenario("-", ((override, value),)))
            self.seen[key] = [
                f"gir en ugyldig verdi i ark «{issue.sheet}», rad {issue.row}: {issue.message_nb}"
                for issue in sheet_issues(tables, override.sheet)
                if issue.column in (override.column, None) and issue.row is not None
            ]
        return self.seen[key]


def _explicit(
    rows: list, base: RawTables, issues: list[ValidationIssue], checker: _ValueChecker, years: bool = False
) -> list[Scenario]:
    """Scenarios from the ``Scenarier`` sheet: a name column and override columns."""
    if not rows:
        return []
    headers = list(dict.fromkeys(h for _, cells in rows for h in cells))
    if NAME_COLUMN not in headers:
        issues.append(ValidationIssue(SCENARIO_SHEET, 1, NAME_COLUMN, "kolonnen mangler"))
        return []
    overrides: dict[str, Override] = {}
    for header in headers:
        if header == NAME_COLUMN:
            continue
        parsed = parse_override(header, base, years)
        if isinstance(parsed, str):
            issues.append(ValidationIssue(SCENARIO_SHEET, 1, header, parsed))
        else:
            overrides[header] = parsed
    scenarios = []
    for excel_row, cells in rows:
        if excel_row == 1:
            continue
        name = cells.get(NAME_COLUMN)
        if name is None or not str(name).strip():
            issues.append(ValidationIssue(SCENARIO_SHEET, excel_row, NAME_COLUMN, "mangler navn"))
            continue
        values = []
        for header, override in overrides.items():
            value = cells.get(header)
            if value is None:
                continue
            if override.factor and _number(value) is None:
                message = f"en faktor må være et endelig tall, fikk «{shown(value)}»"
                issues.append(ValidationIssue(SCENARIO_SHEET, excel_row, header, message))
                continue
            value = _number(value) if override.factor else value
            problems = checker.problems(override, value)
            issues += [ValidationIssue(SCENARIO_SHEET, excel_row, header, message) for message in problems[:1]]
            if not problems:
                values.append((override, value))
        scenarios.append(Scenario(" ".join(str(name).split()), tuple(values), excel_row))
    return scenarios


def _grid(
    rows: list, base: RawTables, issues: list[ValidationIssue], checker: _ValueChecker, years: bool = False
) -> list[Scenario]:
    """Scenarios from ``Rutenett``: the product of every row's values, in row order (size checked first)."""
    axes: list[tuple[Override, list[float]]] = []
    for excel_row, cells in rows:
        if excel_row == 1:
            continue
        header = cells.get("parameter")
        parsed = parse_override(str(header or ""), base, years)
        if isinstance(parsed, str):
            issues.append(ValidationIssue(GRID_SHEET, excel_row, "parameter", parsed))
            continue
        values = _grid_values(cells, excel_row, issues)
        column = "verdier" if cells.get("verdier") is not None else "fra"
        bad = [(v, checker.problems(parsed, v)) for v in values]
        bad = [(v, problems) for v, problems in bad if problems]
        if bad:
            value, problems = bad[0]
            message = f"verdien {shown(value)}: {problems[0]}"
            issues.append(ValidationIssue(GRID_SHEET, excel_row, column, message))
        elif values:
            axes.append((parsed, values))
    if not axes:
        return []
    size = math.prod(len(v) for _, v in axes)
    if size > MAX_SCENARIOS:
        message = f"rutenettet gir {size} scenarier, flere enn de {MAX_SCENARIOS} som kan kjøres i én sweep"
        issues.append(ValidationIssue(GRID_SHEET, None, None, message))
        return []
    scenarios = []
    width = len(str(int(np.prod([len(v) for _, v in axes]))))
    for number, combination in enumerate(itertools.product(*(v for _, v in axes)), start=1):
        values = tuple((override, value) for (override, _), value in zip(axes, combination, strict=True))
        scenarios.append(Scenario(f"{GRID_NAME_PREFIX}{number:0{width}d}", values))
    return scenarios


def _grid_values(cells: dict, excel_row: int, issues: list[ValidationIssue]) -> list[float]:
    """The values of one grid row: ``verdier`` (a ``;`` list) or ``fra, til, steg``."""
    listed = cells.get("verdier")
    if listed is not None:
        parts = [p for p in re.split(r";", str(listed)) if p.strip()]
        values = [_number(p) for p in parts]
        if any(v is None for v in values) or not values or len(values) > MAX_SCENARIOS:
            message = f"verdier må være tall skilt med semikolon, fikk «{listed}»"
            issues.append(ValidationIssue(GRID_SHEET, excel_row, "verdier", message))
            return []
        return [float(v) for v in values]
    start, stop, step = (_number(cells.get(c)) for c in ("fra", "til", "steg"))
    for column, value in (("fra", start), ("til", stop), ("steg", step)):
        if value is None:
            issues.append(ValidationIssue(GRID_SHEET, excel_row, column, "mangler tall"))
            return []
    if step <= 0 or stop < start:
        message = "steg må være større enn 0 og til minst like stor som fra"
        issues.append(ValidationIssue(GRID_SHEET, excel_row, "steg", message))
        return []
    steps = (stop - start) / step
    if not steps < MAX_SCENARIOS:  # also catches inf from extreme values, before any list is made
        message = f"fra {shown(start)} til {shown(stop)} med steg {shown(step)} gir for mange verdier"
        issues.append(ValidationIssue(GRID_SHEET, excel_row, "steg", f"{message} (høyst {MAX_SCENARIOS})"))
        return []
    count = int(np.floor(steps + 1e-9)) + 1
    return [round(start + i * step, 10) for i in range(count)]
