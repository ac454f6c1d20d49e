"""Regenerate the bundled data: the Drammen workbook from its CSV files, and the synthetic stay record.

Run ``python -m dimensioning.workflows.bundled`` after editing a CSV file in ``data/drammen/``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dimensioning.inputs.case import load_case
from dimensioning.inputs.data import drammen_csv_folder, drammen_path, synthetic_stays_path
from dimensioning.inputs.examples import drammen

SYNTHETIC_SEED = 2024


def rebuild_drammen_workbook(target: Path | None = None) -> Path:
    """Regenerate ``data/drammen.xlsx`` from the reviewable CSV files in ``data/drammen/``.

    Run ``python -m dimensioning.workflows.bundled`` after editing a CSV file.
    """
    from dimensioning.inputs.template import write_template

    case = load_case(drammen_csv_folder())
    return write_template(case.replace(name="drammen"), target or drammen_path())


def rebuild_synthetic_stays(target: Path | None = None) -> Path:
    """Regenerate the SYNTHETIC Drammen stay record: two years simulated from the default case.

    The project's own simulation (:func:`~.simulate.simulate_stays`) of today's split (the first
    alternative) with the default assumptions, seed ``SYNTHETIC_SEED``, 2023-2024. Not real
    patients: the ``Om`` sheet and the README say so.
    """
    import datetime

    from openpyxl import Workbook

    from dimensioning.inputs.workbook import save_workbook
    from dimensioning.simulation.simulate import simulate_stays
    from dimensioning.workflows.years import today_allocation

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
