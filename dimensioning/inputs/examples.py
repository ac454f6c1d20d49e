"""The bundled Drammen case, as an API (README, CLI default and regression tests use it)."""

from __future__ import annotations

from dimensioning.inputs.case import Case, load_case
from dimensioning.inputs.data import (  # noqa: F401 - the paths, where callers look for them
    SYNTHETIC_STAYS,
    data_dir,
    drammen_csv_folder,
    drammen_path,
    synthetic_stays_path,
    template_csv_folder,
)

EXAMPLES = ("drammen",)


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
