"""The bundled Drammen case, as an API (README, CLI default and regression tests use it)."""

from __future__ import annotations

from pathlib import Path

from .case import Case, load_case

WORKBOOK = "drammen.xlsx"
CSV_FOLDER = "drammen"


def _data_dir() -> Path:
    """Folder of the bundled data: ``casedata/`` in an installed wheel, else ``data/`` in the source tree."""
    package = Path(__file__).resolve().parent
    installed = package / "casedata"
    if (installed / WORKBOOK).is_file():
        return installed
    return package.parent / "data"


def drammen_path() -> Path:
    """Path of the bundled Drammen workbook ``drammen.xlsx``."""
    return _data_dir() / WORKBOOK


def drammen_csv_folder() -> Path:
    """Folder of the CSV files the Drammen workbook is generated from (its reviewable source)."""
    return _data_dir() / CSV_FOLDER


def drammen() -> Case:
    """Drammen kommune's 146 short-term beds at five sites (March 2024), validated."""
    return load_case(drammen_path())


def rebuild_drammen_workbook(target: Path | None = None) -> Path:
    """Regenerate ``data/drammen.xlsx`` from the reviewable CSV files in ``data/drammen/``.

    Run ``python -m dimensioning.examples`` after editing a CSV file.
    """
    from .io_template import write_template

    case = load_case(drammen_csv_folder())
    return write_template(case.replace(name="drammen"), target or drammen_path())


if __name__ == "__main__":
    print(rebuild_drammen_workbook())  # noqa: T201
