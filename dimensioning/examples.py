"""The bundled Drammen case, as an API (README, CLI default and regression tests use it)."""

from __future__ import annotations

from pathlib import Path

from .case import Case, load_case

WORKBOOK = "drammen.xlsx"
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


if __name__ == "__main__":
    print(rebuild_drammen_workbook())  # noqa: T201
