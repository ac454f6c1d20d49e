"""The bundled Drammen case, as an API (README, CLI default and regression tests use it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .case import Case, load_case

WORKBOOK = "drammen.xlsx"
SYNTHETIC_STAYS = "drammen-opphold-syntetisk.xlsx"
SYNTHETIC_SEED = 2024
CSV_FOLDER = "drammen"
TEMPLATE_FOLDER = "mal"
EXAMPLES = ("drammen",)


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


def template_csv_folder() -> Path:
    """Folder of the neutral template: a small, made-up kommune with one or two rows per sheet."""
    return _data_dir() / TEMPLATE_FOLDER


def template_case() -> Case:
    """The neutral template «Eksempel kommune»: 2 sites, 3 bed types, every sheet filled in.

    What ``dimension template`` writes for a new municipality: it solves as it is, and every
    value says it is an example to replace.
    """
    return load_case(template_csv_folder()).replace(name="mal")


def example(name: str) -> Case:
    """A bundled case by name (``drammen``)."""
    if name != "drammen":
        msg = f"unknown example {name!r}; known: {', '.join(EXAMPLES)}"
        raise ValueError(msg)
    return drammen()


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


def synthetic_stays_path() -> Path:
    """Path of the bundled synthetic stay record for Drammen (``dimension kalibrer``'s default)."""
    return _data_dir() / SYNTHETIC_STAYS


def rebuild_synthetic_stays(target: Path | None = None) -> Path:
    """Regenerate the SYNTHETIC Drammen stay record: two years simulated from the default case.

    The project's own simulation (:func:`~.simulate.simulate_stays`) of today's split (the first
    alternative) with the default assumptions, seed ``SYNTHETIC_SEED``, 2023-2024. Not real
    patients: the ``Om`` sheet and the README say so.
    """
    import datetime

    from openpyxl import Workbook

    from .io_excel import save_workbook
    from .simulate import simulate_stays
    from .years import today_allocation

    case = drammen()
    name, allocation = today_allocation(case)
    stays = simulate_stays(case, allocation, years=2.0, seed=SYNTHETIC_SEED, first_day=datetime.date(2023, 1, 1))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Opphold"
    sheet.append(list(stays.columns))
    for row in stays.itertuples(index=False):
        sheet.append(
            [None if (isinstance(v, float) or v is None or v is pd.NaT) and pd.isna(v) else _day(v) for v in row]
        )
    for column in "DEF":
        for cell in sheet[column][1:]:
            cell.number_format = "DD.MM.YYYY"
    about = workbook.create_sheet("Om")
    for line in (
        "SYNTETISKE DATA: ingen ekte pasienter.",
        f"Simulert med dimensioning (simulate_stays, frø {SYNTHETIC_SEED}) fra Drammen-caset med standardantakelsene "
        f"og fordelingen «{name}», 2023-2024, etter ett års innsvingning.",
        "Avviste pasienter og pasienter som ga opp å vente er ikke med, som i en ekte eksport fra fagsystemet.",
        "Brukes som eksempel for «dimension kalibrer».",
    ):
        about.append([line])
    return save_workbook(workbook, target or synthetic_stays_path())


def _day(value: object) -> object:
    """A timestamp as a date (Excel date cells), a missing date as an empty cell, anything else as it is."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    return value.date() if isinstance(value, pd.Timestamp) else value


if __name__ == "__main__":
    print(rebuild_drammen_workbook())  # noqa: T201
    print(rebuild_synthetic_stays())  # noqa: T201
