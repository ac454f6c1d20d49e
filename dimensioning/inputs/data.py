"""Where the bundled data lives: the Drammen workbook, its CSV source, the template and the stay record.

Paths only (nothing is read here), so every stage may ask for them without importing a case.
"""

from __future__ import annotations

from pathlib import Path

WORKBOOK = "drammen.xlsx"
SYNTHETIC_STAYS = "drammen-opphold-syntetisk.xlsx"
CSV_FOLDER = "drammen"
TEMPLATE_FOLDER = "mal"


def data_dir() -> Path:
    """Folder of the bundled data: ``casedata/`` in an installed wheel, else ``data/`` in the source tree."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "casedata"
    if (installed / WORKBOOK).is_file():
        return installed
    return package.parent / "data"


def drammen_path() -> Path:
    """Path of the bundled Drammen workbook ``drammen.xlsx``."""
    return data_dir() / WORKBOOK


def drammen_csv_folder() -> Path:
    """Folder of the CSV files the Drammen workbook is generated from (its reviewable source)."""
    return data_dir() / CSV_FOLDER


def template_csv_folder() -> Path:
    """Folder of the neutral template: a small, made-up kommune with one or two rows per sheet."""
    return data_dir() / TEMPLATE_FOLDER


def synthetic_stays_path() -> Path:
    """Path of the bundled synthetic stay record for Drammen (``dimension kalibrer``'s default)."""
    return data_dir() / SYNTHETIC_STAYS
