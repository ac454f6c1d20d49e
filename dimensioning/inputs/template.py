"""Write input workbooks: the template a planner fills in (a copy of a case)."""

from __future__ import annotations

from pathlib import Path

from openpyxl.utils import get_column_letter

from dimensioning.inputs.case import Case, case_from_tables, case_tables
from dimensioning.inputs.schema import SHEETS, column_doc
from dimensioning.inputs.workbook import RawTables, _excel_value, write_tables_workbook


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


def read_back(case: Case) -> Case:
    """The case as the tool would read it back from the workbook :func:`write_template` writes.

    A derived case (a calibration) is checked with this before it is written, so the tool never
    writes an input file that its own validation refuses.

    Raises:
        InputError: What the validation says of the would-be workbook (sheet, row and column).
    """
    raw: RawTables = {}
    tables = case_tables(case)
    for spec in SHEETS:  # every sheet, as write_tables_workbook writes them
        headers = [doc["header"] for doc in column_doc(spec.row_model)]
        rows = tables[spec.name].to_dict("records") if spec.name in tables else []
        raw[spec.name] = [
            (i, {h: _excel_value(None if _missing(row.get(h)) else row.get(h)) for h in headers})
            for i, row in enumerate(rows, 2)
        ] or [(1, dict.fromkeys(headers))]  # an empty sheet keeps its header, as in the workbook
    return case_from_tables(raw, name=case.name)


def _missing(value: object) -> bool:
    """NaN and None: an empty cell."""
    return value is None or (isinstance(value, float) and value != value)


def write_stays_template(case: Case, path: str | Path) -> Path:
    """An empty stay file for ``dimension kalibrer``: the sheet «Opphold» and a «Les meg» sheet.

    The columns are those :func:`~.stays.read_stays` reads, dates formatted dd.mm.åååå, and
    ``plasstype`` and ``lokasjon`` offer the case's own names as a drop-down list (a hidden
    sheet «Lister»), so a typing error is caught while the file is filled in.
    """
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    from dimensioning.inputs.stays import COLUMN_HELP, OPTIONAL, REQUIRED, STAYS_SHEET
    from dimensioning.inputs.workbook import save_workbook, style_table

    headers = [*REQUIRED, *OPTIONAL]
    workbook = Workbook()
    readme = workbook.active
    readme.title = "Les meg"
    for line in (
        ["Oppholdsfil for «dimension kalibrer»"],
        [f"Én rad per korttidsopphold i arket «{STAYS_SHEET}». Pasientdata skal være pseudonyme."],
        [f"Plasstyper og lokasjoner fra «{case.display_name}» kan velges i listene."],
        [],
        ["Kolonne", "Forklaring"],
        *[[h, COLUMN_HELP[h]] for h in headers],
    ):
        readme.append(line)
    readme.column_dimensions["A"].width = 26
    readme.column_dimensions["B"].width = 110
    sheet = workbook.create_sheet(STAYS_SHEET)
    sheet.append(headers)
    style_table(sheet, headers)
    lists = workbook.create_sheet("Lister")
    for i, name in enumerate(case.bed_type_names, start=1):
        lists.cell(row=i, column=1, value=name)
    for i, name in enumerate(case.site_names, start=1):
        lists.cell(row=i, column=2, value=name)
    lists.sheet_state = "hidden"
    last = 5000
    for column, letter, count in (
        ("plasstype", "A", len(case.bed_type_names)),
        ("lokasjon", "B", len(case.site_names)),
    ):
        target = get_column_letter(headers.index(column) + 1)
        check = DataValidation(type="list", formula1=f"=Lister!${letter}$1:${letter}${count}", allow_blank=True)
        check.add(f"{target}2:{target}{last}")
        sheet.add_data_validation(check)
    for column in ("innskrevet", "utskrevet", "meldt_utskrivningsklar"):  # the column's style: new cells get it
        sheet.column_dimensions[get_column_letter(headers.index(column) + 1)].number_format = "DD.MM.YYYY"
    return save_workbook(workbook, path)


def sweep_example(case: Case, smallest_total: int | None = None) -> tuple[list[str], list[list], list[list]]:
    """Example scenarios built from a case's own sites, types and numbers.

    Every name in the example exists in the case, and every label says what the scenario does,
    so the file runs against the workbook it came from without editing. ``smallest_total`` (the
    fewest beds that meet every rule, when the caller knows it) makes the grid of totals start
    there and go up, so no grid point is a total that cannot have a solution; a named scenario
    below it says so in its label.

    Returns:
        ``(columns, rows, grid)`` for the ``Scenarier`` and ``Rutenett`` sheets.
    """
    types = case.bed_types
    sites = case.sites
    total = case.settings.total_bounds(int(sites["beds"].sum()))[1]
    largest_type = str(types["arrivals_per_year"].mul(types["los_days"]).idxmax())
    first_type = case.bed_type_names[0]
    first_site, last_site = case.site_names[0], case.site_names[-1]
    extra = max(2, round(total * 0.1))
    pleiefaktor = float(types.at[largest_type, "care_fte_per_bed"])
    target = float(types.at[first_type, "max_blocking"])
    columns = [
        "scenario",
        "vekst_etterspørsel",
        "Plasstyper:*:pleiefaktor (faktor)",
        f"Plasstyper:{first_type}:maks_avvisning",
        "totalt_antall_plasser",
        f"Lokasjoner:{first_site}:plasser",
    ]
    site_beds = int(sites.at[first_site, "beds"])
    rows: list[list] = [
        ["Basis (inndata uendret)"],
        ["Etterspørsel +20 %, samme antall plasser", 1.2],
        ["Pleiefaktor +10 % for alle plasstyper", None, 1.1],
        [f"{first_type}: krav til avvisning {_percent(target / 2)} (fra {_percent(target)})", None, None, target / 2],
        [
            f"Etterspørsel +20 %, {total + extra} plasser ({extra} flere ved {first_site})",
            1.2,
            None,
            None,
            total + extra,
            site_beds + extra,
        ],
    ]
    rooms = ("single_rooms_bath", "single_rooms_no_bath", "double_rooms")
    if int(sum(sites.at[first_site, r] for r in rooms)):  # room counts are given: they must hold the beds
        columns.append(f"Lokasjoner:{first_site}:enerom_med_bad")
        rows[-1].append(int(sites.at[first_site, "single_rooms_bath"]) + extra)
    if len(case.site_names) > 1:
        closed = int(sites.at[last_site, "beds"])
        columns.append(f"Lokasjoner:{last_site}:plasser")
        fewer = total - closed
        short = f"; færre enn de {smallest_total} kravene trenger" if smallest_total and fewer < smallest_total else ""
        rows.append([f"{last_site} stenger ({fewer} plasser{short})", None, None, None, fewer, None])
        rows[-1] += [None] * (len(columns) - len(rows[-1]) - 1) + [0]
    step = 0.02
    grid = [
        [
            f"Plasstyper:{largest_type}:pleiefaktor",
            round(pleiefaktor - 5 * step, 2),
            round(pleiefaktor + 5 * step, 2),
            step,
            None,
        ],
        [
            "totalt_antall_plasser",
            None,
            None,
            None,
            "; ".join(str(t) for t in _grid_totals(total, extra, smallest_total)),
        ],
    ]
    return columns, rows, grid


def _grid_totals(total: int, extra: int, smallest: int | None) -> list[int]:
    """Totals to sweep: from the smallest that meets every rule upwards, else today's total and below."""
    if smallest is None:
        return [total + d for d in (-3 * extra, -2 * extra, -extra, 0)]
    return sorted({smallest, smallest + extra, smallest + 2 * extra, smallest + 3 * extra, max(total, smallest)})


def _percent(share: float) -> str:
    """A share as a short Norwegian percentage for scenario names."""
    return f"{share * 100:g} %".replace(".", ",")


def write_sweep_template(case: Case, path: str | Path, smallest_total: int | None = None) -> Path:
    """Write an example scenario workbook for ``case`` (``Scenarier``, ``Rutenett`` and ``Les meg``).

    ``smallest_total``: the fewest beds that meet every rule (:func:`sweep_example`).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from dimensioning.inputs.scenarios import ALIASES
    from dimensioning.inputs.workbook import save_workbook, style_table

    workbook = Workbook()
    readme = workbook.active
    readme.title = "Les meg"
    columns, rows, grid_rows = sweep_example(case, smallest_total)
    lines = [
        f"Scenarier for dimension sweep ({case.display_name})",
        "",
        "Eksemplene bruker lokasjonene og plasstypene i inndatafilen de ble laget fra.",
        "Arket «Scenarier»: én rad per scenario. Kolonnen «scenario» gir navnet; de andre kolonnene endrer inndata.",
        "En kolonneoverskrift peker på en celle i inndatafilen: Ark:nøkkel:kolonne,",
        "  f.eks. Plasstyper:KAD:maks_avvisning.",
        "Nøkkelen * betyr alle rader, f.eks. Plasstyper:*:pleiefaktor.",
        "Legg til « (faktor)» for å gange verdien i stedet for å erstatte den,",
        "  f.eks. Plasstyper:*:innleggelser_per_aar (faktor).",
        f"Ark med to nøkler (Foringer) skrives lokasjon/plasstype, "
        f"f.eks. Foringer:{case.site_names[0]}/{case.bed_type_names[0]}:min.",
        "Tomme celler betyr ingen endring for det scenarioet.",
        "",
        "Arket «Rutenett»: hver rad er en parameter med fra, til og steg (eller verdier skilt med semikolon).",
        "Alle kombinasjoner av radene blir egne scenarier (kalt «Rutenett 001», ...).",
        "",
        "Kortnavn:",
    ]
    lines += [f"  {alias} = {target}" for alias, target in ALIASES.items()]
    for line in lines:
        readme.append([line])
    readme["A1"].font = Font(bold=True, size=14)
    readme.column_dimensions["A"].width = 120
    sheet = workbook.create_sheet("Scenarier")
    sheet.append(columns)
    for row in rows:
        sheet.append(row)
    style_table(sheet, columns)
    grid = workbook.create_sheet("Rutenett")
    grid_headers = ["parameter", "fra", "til", "steg", "verdier"]
    grid.append(grid_headers)
    for row in grid_rows:
        grid.append(row)
    style_table(grid, grid_headers)
    return save_workbook(workbook, path)
