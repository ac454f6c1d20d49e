"""Bokmål labels: the only place where Norwegian text for reports and the CLI is defined."""

from __future__ import annotations

OPTIMUM = "Optimal fordeling (modell)"

# Restriction families: (short label, unit, explanation of the rule).
FAMILY_LABELS: dict[str, tuple[str, str, str]] = {
    "total_beds": ("Totalt antall plasser", "senger", "summen av plassene skal være totalen"),
    "site_capacity": ("Kapasitet per lokasjon", "senger", "plassene skal få plass på lokasjonen"),
    "single_rooms": ("Enerom", "senger", "typer som krever enerom skal få enerom"),
    "bath_rooms": ("Enerom med bad", "senger", "typer som krever bad skal få enerom med bad"),
    "screened_rooms": (
        "Skjermede oppholdsrom",
        "enheter",
        "hver enhet som krever skjerming trenger et eget skjermet oppholdsrom",
    ),
    "facilities": (
        "Fasiliteter",
        "senger",
        "typen krever basseng, treningssal, legekontor eller overnatting som lokasjonen mangler",
    ),
    "min_unit": ("Minste enhet", "senger", "en enhet skal ha minst min_enhet senger"),
    "max_sites": (
        "Maks antall lokasjoner",
        "lokasjoner",
        "typen kan være ved høyst maks_lokasjoner",
    ),
    "policy_min": ("Føring (minst)", "senger", "føringen krever minst så mange senger"),
    "policy_max": ("Føring (høyst)", "senger", "føringen tillater høyst så mange senger"),
    "blocking_target": (
        "Krav til avvisning",
        "senger",
        "andelen avviste pasienter skal holde seg under maks_avvisning",
    ),
}

SENSE_WORDS = {"<=": "høyst", ">=": "minst", "==": "nøyaktig"}



def violation_message(
    family: str, site: str, bed_type: str, sense: str, value: float, bound: float, detail: str = ""
) -> str:
    """One sentence in bokmål that says which rule is broken, where, and by how much."""
    label, unit, explanation = FAMILY_LABELS.get(family, (family, "", ""))
    where = " / ".join(part for part in (site, bed_type) if part)
    where = f" ({where})" if where else ""
    if detail:
        explanation = f"lokasjonen mangler {detail}"
    return f"{label}{where}: {number(value)} {unit}, skal være {SENSE_WORDS[sense]} {number(bound)} – {explanation}"


def number(value: float, decimals: int = 0) -> str:
    """Format a number the Norwegian way: decimal comma and a thin space between thousands."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u2009").replace(".", ",")


def percent(share: float, decimals: int = 1) -> str:
    """Format a share as a Norwegian percentage, e.g. ``0.053 -> '5,3 %'``."""
    return f"{number(100 * share, decimals)} %"
