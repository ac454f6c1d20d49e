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


SWEEP_EXAMPLE_COLUMNS = [
    "scenario",
    "vekst_etterspørsel",
    "Plasstyper:*:pleiefaktor (faktor)",
    "Plasstyper:KAD:maks_avvisning",
    "totalt_antall_plasser",
    "Lokasjoner:Strømsø bo- og servicesenter:plasser",
    "Lokasjoner:Drammen helsehus:plasser",
    "Lokasjoner:Drammen helsehus:enerom_med_bad",
]
SWEEP_EXAMPLE_ROWS = [
    ["Basis"],
    ["Etterspørsel +20 %", 1.2],
    ["Etterspørsel +20 %, 160 plasser", 1.2, None, None, 160, None, 80, 68],
    ["Pleiefaktor 0,85 (fra 0,79)", None, 0.85 / 0.79],
    ["KAD-krav 2 %", None, None, 0.02],
    ["Strømsø stenger, 140 plasser", None, None, None, 140, 0],
    ["160 plasser (tom fløy på helsehuset)", None, None, None, 160, None, 80, 68],
]
SWEEP_EXAMPLE_GRID = [
    ["Plasstyper:Forsterket (USK):pleiefaktor", 0.68, 0.90, 0.02, None],
    ["totalt_antall_plasser", None, None, None, "134; 138; 142; 146"],
]


def write_sweep_template(path: str | Path) -> Path:
    """Write an example scenario workbook (``Scenarier``, ``Rutenett`` and ``Les meg``)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from .io_excel import save_workbook, style_table
    from .scenarios import ALIASES

    workbook = Workbook()
    readme = workbook.active
    readme.title = "Les meg"
    lines = [
        "Scenarier for dimension sweep",
        "",
        "Arket «Scenarier»: én rad per scenario. Kolonnen «scenario» gir navnet; de andre kolonnene endrer inndata.",
        "En kolonneoverskrift peker på en celle i inndatafilen: Ark:nøkkel:kolonne,",
        "  f.eks. Plasstyper:KAD:maks_avvisning.",
        "Nøkkelen * betyr alle rader, f.eks. Plasstyper:*:pleiefaktor.",
        "Legg til « (faktor)» for å gange verdien i stedet for å erstatte den,",
        "  f.eks. Plasstyper:*:innleggelser_per_aar (faktor).",
        "Ark med to nøkler (Foringer) skrives lokasjon/plasstype, f.eks. Foringer:Drammen helsehus/KAD:min.",
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
    sheet.append(SWEEP_EXAMPLE_COLUMNS)
    for row in SWEEP_EXAMPLE_ROWS:
        sheet.append(row)
    style_table(sheet, SWEEP_EXAMPLE_COLUMNS)
    grid = workbook.create_sheet("Rutenett")
    grid_headers = ["parameter", "fra", "til", "steg", "verdier"]
    grid.append(grid_headers)
    for row in SWEEP_EXAMPLE_GRID:
        grid.append(row)
    style_table(grid, grid_headers)
    return save_workbook(workbook, path)
