"""The input schema, kept as data: one pydantic row model per sheet of the input workbook.

Every column is described once here (English field name, bokmål column header as the alias,
unit, default, range, description). Validation, defaults, the template workbook and the
``Forutsetninger`` sheet of the report all read these definitions.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from dimensioning.common.errors import has_invisible, shown, visible

YES_WORDS = {"ja", "j", "yes", "y", "sann", "true", "1", "x"}
NO_WORDS = {"nei", "n", "no", "usann", "false", "0", "-"}


def _parse_yes_no(value: Any) -> bool:
    """Accept ja/nei (and a few spellings, booleans and 0/1) as a boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in YES_WORDS | NO_WORDS:
        return value.strip().lower() in YES_WORDS
    raise PydanticCustomError("ja_nei", "må være «ja» eller «nei», fikk «{value}»", {"value": shown(value)})


# the longest name of a site, type or alternative (a report must be able to lay it out)
MAX_NAME_CHARS = 100


def _parse_name(value: Any) -> str:
    """Names are NFC-normalised, trimmed strings; numbers become text; invisible characters are refused."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = f"{value:g}"
    if not isinstance(value, str) or not value.strip():
        raise PydanticCustomError("navn", "må være en tekst som ikke er tom")
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if len(text) > MAX_NAME_CHARS:
        raise PydanticCustomError(
            "navn_lang",
            "navnet har {n} tegn; høyst {most} er tillatt (det skal stå i tabeller og figurer)",
            {"n": len(text), "most": MAX_NAME_CHARS},
        )
    if has_invisible(text):
        raise PydanticCustomError(
            "usynlig",
            "navnet «{value}» har et usynlig tegn (vist som ⟨U+…⟩): skriv navnet på nytt",
            {"value": visible(text)},
        )
    return text


def _refuse_non_numbers(value: Any) -> Any:
    """A boolean (TRUE typed in a number cell) or a date is not a number, whatever Python thinks."""
    if isinstance(value, bool):
        raise PydanticCustomError(
            "sannhetsverdi", "må være et tall, fikk sannhetsverdien {value}", {"value": shown(value)}
        )
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        raise PydanticCustomError("dato_som_tall", "må være et tall, fikk datoen {value}", {"value": shown(value)})
    return value


def _parse_whole(value: Any) -> Any:
    """Excel stores 12 as 12.0: accept floats that are whole numbers as integers."""
    value = _refuse_non_numbers(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().replace(",", ".", 1).replace(".", "", 1).isdigit():
        number = float(value.strip().replace(",", "."))
        return int(number) if number.is_integer() else number
    return value


def _parse_decimal(value: Any) -> Any:
    """Accept Norwegian decimal commas in text cells ("0,79")."""
    value = _refuse_non_numbers(value)
    if isinstance(value, str):
        return value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    return value


YesNo = Annotated[bool, BeforeValidator(_parse_yes_no)]
WHEN_FULL = ("avvises", "venter", "planlagt")
WAIT_PLACES = ("sykehus", "hjemme")


def _choice(choices: tuple[str, ...], default: str, code: str) -> Any:
    """A parser for a cell that holds one of ``choices`` (any case; blank = ``default``)."""
    listed = ", ".join(f"«{c}»" for c in choices[:-1]) + f" eller «{choices[-1]}»"

    def parse(value: Any) -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        if isinstance(value, str) and value.strip().lower() in choices:
            return value.strip().lower()
        raise PydanticCustomError(code, "må være " + listed + ", fikk «{value}»", {"value": shown(value)})

    return parse


WhenFull = Annotated[str, BeforeValidator(_choice(WHEN_FULL, "avvises", "ved_fullt"))]
WaitPlace = Annotated[str, BeforeValidator(_choice(WAIT_PLACES, "hjemme", "ventested"))]
Name = Annotated[str, BeforeValidator(_parse_name)]
Text = Annotated[str, BeforeValidator(lambda v: "" if v is None else str(v).strip())]
Count = Annotated[int, BeforeValidator(_parse_whole), Field(ge=0, strict=False)]
Number = Annotated[float, BeforeValidator(_parse_decimal), Field(allow_inf_nan=False)]

# Plausible upper limits: far above any municipality, low enough that a typo (an extra digit, a
# pasted total) is caught with its cell instead of becoming a silent, absurd optimum.
MAX_BEDS = 5_000

# (Plasstyper column: the type needs it, Lokasjoner column: the site has it, bokmål name)
FACILITY_NEEDS = (
    ("needs_pool", "pool", "basseng"),
    ("needs_training_hall", "training_hall", "treningssal"),
    ("needs_doctor_office", "doctor_office", "legekontor"),
    ("needs_relatives_overnight", "relatives_overnight", "overnatting for pårørende"),
)
MAX_ROOMS = 5_000
MAX_ARRIVALS = 1_000_000
MIN_LOS_DAYS = 0.1  # 2.4 hours: shorter is not a stay in a bed
MAX_LOS_DAYS = 3_650
MAX_FTE_PER_BED = 5.0
MAX_NOK = 100_000_000
MAX_CV = 10.0
MAX_SEASON_INDEX = 10.0


def column(
    alias: str,
    description: str,
    *,
    unit: str = "",
    default: Any = ...,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
) -> Any:
    """Describe one input column: its bokmål header (alias), unit, default, range and meaning."""
    return Field(
        default,
        alias=alias,
        description=description,
        ge=ge,
        le=le,
        gt=gt,
        json_schema_extra={"unit": unit},
    )


class _Row(BaseModel):
    """Common configuration: frozen rows, unknown columns refused, English names in code."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SiteRow(_Row):
    """Sheet ``Lokasjoner``: one row per site (lokasjon)."""

    site: Name = column("lokasjon", "Navn på lokasjonen")
    beds: Count = column("plasser", "Korttidsplasser ved lokasjonen", unit="senger", le=MAX_BEDS)
    single_rooms_bath: Count = column("enerom_med_bad", "Enerom med eget bad", unit="rom", default=0, le=MAX_ROOMS)
    single_rooms_no_bath: Count = column("enerom_uten_bad", "Enerom uten eget bad", unit="rom", default=0, le=MAX_ROOMS)
    double_rooms: Count = column("dobbeltrom", "Dobbeltrom (to senger)", unit="rom", default=0, le=MAX_ROOMS)
    screened_rooms: Count = column(
        "skjermede_oppholdsrom", "Skjermede oppholdsrom", unit="rom", default=0, le=MAX_ROOMS
    )
    pool: YesNo = column("basseng", "Har basseng", unit="ja/nei", default=False)
    training_hall: YesNo = column("treningssal", "Har treningssal", unit="ja/nei", default=False)
    relatives_overnight: YesNo = column(
        "overnatting_parorende", "Har overnatting for pårørende", unit="ja/nei", default=False
    )
    doctor_office: YesNo = column("legekontor", "Har vaktrom og legekontor", unit="ja/nei", default=False)
    source: Text = column("kilde", "Kilde for tallene", default="")


class BedTypeRow(_Row):
    """Sheet ``Plasstyper``: one row per bed type (plasstype)."""

    bed_type: Name = column("plasstype", "Navn på plasstypen")
    arrivals_per_year: Number = column(
        "innleggelser_per_aar", "Innleggelser per år (etterspørsel)", unit="pasienter/år", ge=0, le=MAX_ARRIVALS
    )
    los_days: Number = column(
        "liggetid_dager", "Gjennomsnittlig liggetid", unit="døgn", ge=MIN_LOS_DAYS, le=MAX_LOS_DAYS
    )
    max_blocking: Number = column(
        "maks_avvisning",
        "Høyeste aksepterte andel pasienter som avvises (1 = ingen krav)",
        unit="andel 0-1",
        ge=0.0001,
        le=1,
    )
    care_fte_per_bed: Number = column(
        "pleiefaktor", "Pleiefaktor: årsverk i pleien per seng", unit="årsverk/seng", ge=0, le=MAX_FTE_PER_BED
    )
    needs_single_room: YesNo = column("krever_enerom", "Krever enerom", default=False)
    needs_bath: YesNo = column("krever_bad", "Krever enerom med eget bad", default=False)
    needs_screened_room: YesNo = column(
        "krever_skjermet_rom", "Krever et skjermet oppholdsrom per enhet", default=False
    )
    needs_pool: YesNo = column("krever_basseng", "Krever basseng", default=False)
    needs_training_hall: YesNo = column("krever_treningssal", "Krever treningssal", default=False)
    needs_doctor_office: YesNo = column("krever_legekontor", "Krever legekontor", default=False)
    needs_relatives_overnight: YesNo = column("krever_overnatting", "Krever overnatting for pårørende", default=False)
    min_unit_beds: Count = column(
        "min_enhet", "Minste enhet hvis typen finnes ved en lokasjon", unit="senger", default=0, le=MAX_BEDS
    )
    max_sites: Count | None = column(
        "maks_lokasjoner",
        "Ved hvor mange lokasjoner typen kan være (1 = samlet; tom = ingen grense)",
        unit="lokasjoner",
        default=None,
        ge=1,
        le=MAX_BEDS,
    )
    cost_per_turned_away: Number = column(
        "kostnad_per_avvist", "Kostnad for én avvist pasient", unit="kr", ge=0, le=MAX_NOK
    )
    cold_days: Number = column(
        "kalde_senger_dager",
        "Snitt døgn en seng står tom etter utskrivning før neste pasient er lagt inn («kalde senger»); sengen er "
        "opptatt i liggetid + kalde døgn. 0 = neste pasient kommer samme døgn (dokument 003: senest dagen etter)",
        unit="døgn",
        default=0.0,
        ge=0,
        le=30,
    )
    los_cv: Number = column(
        "liggetid_cv",
        "Variasjonskoeffisient for liggetiden (lognormal; brukes i simuleringen)",
        default=1.0,
        gt=0,
        le=MAX_CV,
    )
    reserved: YesNo = column(
        "reservert",
        "Sengene lånes ikke ut til andre pasientgrupper (unntak fra ledig seng-prinsippet). Kortform: uten "
        "arket «Deling» kan en type med kan_bruke_andre = ja låne ledige senger av alle typer som ikke er "
        "reservert, uten senger holdt av",
        default=False,
    )
    ward: Text = column(
        "avdeling",
        "Avdelingen plasstypen deler med andre plasstyper ved samme lokasjon (tom = egen avdeling). "
        "Kravet om sykepleier på hver vakt gjelder per avdeling",
        default="",
    )
    may_overflow: YesNo = column(
        "kan_bruke_andre",
        "Pasienten kan få en ledig seng av en annen type når egne senger er fulle (kortform for arket "
        "«Deling»; finnes arket, gjelder det i stedet)",
        default=False,
    )
    when_full: WhenFull = column(
        "ved_fullt",
        "Hva skjer når alle senger av typen er fulle: «avvises» (pasienten går et annet sted, f.eks. KAD "
        "til sykehuset), «venter» (pasienten venter der hen er, f.eks. utskrivningsklar på sykehuset, til "
        "en seng blir ledig) eller «planlagt» (bookede opphold som avlastning og rullerende opphold; "
        "innleggelser_per_aar er da bookede opphold per år)",
        unit="avvises/venter/planlagt",
        default="avvises",
    )
    wait_place: WaitPlace = column(
        "ventested",
        "Venter: hvor pasienten venter. «sykehus»: utskrivningsklare pasienter (UKP), ventedøgnene er "
        "UKP-døgn kommunen betaler staten for; «hjemme»: pasienten venter hjemme",
        unit="sykehus/hjemme",
        default="hjemme",
    )
    cost_per_waiting_day: Number = column(
        "kostnad_per_ventedogn",
        "Kostnad for ett døgn en pasient venter (venter), eller for ett bookede døgn som ikke kan gis "
        "(planlagt). For utskrivningsklare pasienter: statens døgnpris (5 981 kr i 2025)",
        unit="kr/døgn",
        default=0.0,
        ge=0,
        le=MAX_NOK,
    )
    patience_days: Number | None = column(
        "gir_opp_etter_dager",
        "Venter: etter hvor mange døgn en ventende pasient i snitt får en annen løsning (hjem med "
        "hjemmetjenester, langtidsplass) og slutter å vente; de som gir opp prises som avviste "
        "(kostnad_per_avvist). Tom = venter til en seng blir ledig",
        unit="døgn",
        default=None,
        gt=0,
        le=MAX_LOS_DAYS,
    )
    max_mean_wait_days: Number | None = column(
        "maks_ventetid_dager",
        "Venter: høyeste aksepterte gjennomsnittlige ventetid over alle innlagte (også de som får seng "
        "straks), i døgn over året (i verste måned med --dimensjonering topp). Tom = ingen krav. "
        "For venter-typer gjelder maks_avvisning andelen som gir opp å vente; for planlagt andelen "
        "bookede døgn som ikke kan gis",
        unit="døgn",
        default=None,
        ge=0,
        le=MAX_LOS_DAYS,
    )
    target_occupancy: Number = column(
        "maal_belegg",
        "Planlagt: belegget de bookede oppholdene kan planlegges til (skifte mellom opphold gir tomme "
        "døgn); sengene som trengs er bookede døgn / (365 × maal_belegg)",
        unit="andel 0-1",
        default=0.85,
        gt=0,
        le=1,
    )
    source: Text = column("kilde", "Kilde og begrunnelse", default="")


class SkillRow(_Row):
    """Sheet ``Bemanning``: one row per skill group (fagkategori)."""

    skill: Name = column("fagkategori", "Faggruppe (sykepleier, helsefagarbeider, ufaglært)")
    share: Number = column("andel", "Andel av årsverkene (fagandel)", unit="andel 0-1", ge=0, le=1)
    cost_per_fte: Number = column(
        "kostnad_per_aarsverk", "Årlig kostnad per årsverk inkl. sosiale kostnader", unit="kr", ge=0, le=MAX_NOK
    )
    available_fte: Number | None = column(
        "tilgjengelige_aarsverk",
        "Årsverk i faggruppen kommunen kan bemanne korttidsplassene med (alle lokasjoner til sammen). "
        "Tom = ingen grense",
        unit="årsverk",
        default=None,
        ge=0,
        le=MAX_BEDS * MAX_FTE_PER_BED,
    )
    source: Text = column("kilde", "Kilde", default="")


class PolicyRow(_Row):
    """Sheet ``Foringer``: policy bounds on beds of one type at one site."""

    site: Name = column("lokasjon", "Lokasjon")
    bed_type: Name = column("plasstype", "Plasstype")
    min_beds: Count = column("min", "Minst så mange senger", unit="senger", default=0, le=MAX_BEDS)
    max_beds: Count | None = column(
        "maks", "Høyst så mange senger (tom = ingen grense)", unit="senger", default=None, le=MAX_BEDS
    )
    source: Text = column("kilde", "Kilde eller vedtak", default="")


class ParameterRow(_Row):
    """Sheet ``Parametre``: named scalar parameters."""

    name: Name = column("navn", "Parameterens navn")
    value: Number = column("verdi", "Verdi")
    unit: Text = column("enhet", "Enhet", default="")
    source: Text = column("kilde", "Kilde", default="")


class AlternativeRow(_Row):
    """Sheet ``Alternativer``: long table of named splits to compare with the optimum."""

    alternative: Name = column("alternativ", "Navn på alternativet")
    site: Name = column("lokasjon", "Lokasjon")
    bed_type: Name = column("plasstype", "Plasstype")
    beds: Count = column("plasser", "Senger", unit="senger", le=MAX_BEDS)
    source: Text = column("kilde", "Kilde", default="")


class CensusRow(_Row):
    """Sheet ``Belegg i dag`` (optional): the beds taken and the patients waiting today, as counts.

    For ``dimension prognose`` when the kommune has no stay record: the times already spent are
    then drawn as for a patient found in a bed at random.
    """

    bed_type: Name = column("plasstype", "Plasstype (fra «Plasstyper»)")
    site: Name = column("lokasjon", "Lokasjon (fra «Lokasjoner»)")
    occupied: Count = column("belagte_plasser", "Senger som er tatt i dag", unit="senger", le=MAX_BEDS)
    waiting: Count = column("ventende", "Pasienter som venter på plass i dag", unit="pasienter", default=0, le=MAX_BEDS)
    source: Text = column("kilde", "Kilde (f.eks. belegg kl. 08 i dag)", default="")


def _month_field(month: str) -> Any:
    """One month's demand index (1 = the yearly mean)."""
    return column(
        month, f"Etterspørselsindeks i {month} (1 = årssnitt)", unit="indeks", default=1.0, gt=0, le=MAX_SEASON_INDEX
    )


class SeasonRow(_Row):
    """Sheet ``Sesong`` (optional): monthly demand index per bed type; normalised to mean 1."""

    bed_type: Name = column("plasstype", "Plasstype")
    jan: Number = _month_field("jan")
    feb: Number = _month_field("feb")
    mar: Number = _month_field("mar")
    apr: Number = _month_field("apr")
    mai: Number = _month_field("mai")
    jun: Number = _month_field("jun")
    jul: Number = _month_field("jul")
    aug: Number = _month_field("aug")
    sep: Number = _month_field("sep")
    okt: Number = _month_field("okt")
    nov: Number = _month_field("nov")
    des: Number = _month_field("des")
    source: Text = column("kilde", "Kilde", default="")


def _parse_day_month(value: Any) -> Any:
    """A recurring date as ``dd.mm`` text or an Excel date; returns ``(day, month)``."""
    if hasattr(value, "day") and hasattr(value, "month"):
        return (value.day, value.month)
    text = str(value).strip()
    parts = text.replace("/", ".").split(".")
    try:
        day, month = int(parts[0]), int(parts[1])
        datetime.date(2023, month, day)  # validates the day exists in a non-leap year
    except (ValueError, IndexError) as error:
        raise PydanticCustomError("dato", "må være en dato som dd.mm, fikk «{value}»", {"value": text}) from error
    return (day, month)


DayMonth = Annotated[tuple[int, int], BeforeValidator(_parse_day_month)]


class CapacityRow(_Row):
    """Sheet ``Kapasitet`` (optional): periods each year when fewer beds are open (holidays)."""

    site: Name = column("lokasjon", "Lokasjon, eller «alle»")
    start: DayMonth = column("fra", "Første dag (dd.mm)", unit="dato")
    end: DayMonth = column("til", "Siste dag (dd.mm); før «fra» betyr over nyttår", unit="dato")
    open_share: Number = column("andel_aapne", "Andel av sengene som er åpne", unit="andel 0-1", ge=0, le=1)
    source: Text = column("kilde", "Kilde", default="")


MIN_YEAR, MAX_YEAR = 1900, 2200
MAX_INHABITANTS = 50_000_000


class PopulationRow(_Row):
    """Sheet ``Befolkning`` (optional): projected inhabitants per year and age group (the years ahead)."""

    year: Count = column("aar", "Årstall", unit="år", ge=MIN_YEAR, le=MAX_YEAR)
    age_group: Name = column("aldersgruppe", "Aldersgruppe, f.eks. «0-79» og «80+» (samme navn som i «Rater»)")
    inhabitants: Number = column("innbyggere", "Innbyggere i aldersgruppen", unit="personer", ge=0, le=MAX_INHABITANTS)
    source: Text = column("kilde", "Kilde (f.eks. SSBs framskriving, hovedalternativet)", default="")


class RateRow(_Row):
    """Sheet ``Rater`` (optional): admissions per 1,000 inhabitants per type and age group."""

    bed_type: Name = column("plasstype", "Plasstype (fra «Plasstyper»)")
    age_group: Name = column("aldersgruppe", "Aldersgruppe (fra «Befolkning»)")
    admissions_per_1000: Number = column(
        "innleggelser_per_1000",
        "Innleggelser per 1 000 innbyggere i aldersgruppen per år. Bare forholdet mellom aldersgruppene "
        "teller: ratene skaleres slik at startåret gir innleggelser_per_aar i «Plasstyper»",
        unit="per 1 000/år",
        ge=0,
        le=1000,
    )
    los_change_per_year: Number = column(
        "endring_liggetid_per_aar",
        "Årlig endring i liggetiden (0,01 = 1 % lengre hvert år; negativ = kortere); samme for alle "
        "aldersgrupper i plasstypen (den første raden teller)",
        unit="andel per år",
        default=0.0,
        ge=-0.2,
        le=0.2,
    )
    source: Text = column("kilde", "Kilde", default="")


MAX_INVESTMENT_NOK = 10_000_000_000


class CapacityOptionRow(_Row):
    """Sheet ``Utbygging`` (optional): capacity that can open in the years ahead (irreversible)."""

    option: Name = column("navn", "Navn på utbyggingen (f.eks. «Tom fløy, Drammen helsehus»)")
    site: Name = column(
        "lokasjon", "Lokasjonen den gir senger til: en fra «Lokasjoner», eller et nytt navn for en ny lokasjon"
    )
    earliest_year: Count = column("tidligst_aar", "Første år den kan være i drift", unit="år", ge=MIN_YEAR, le=MAX_YEAR)
    beds: Count = column("plasser", "Senger den gir", unit="senger", ge=1, le=MAX_BEDS)
    single_rooms_bath: Count = column(
        "enerom_med_bad", "Enerom med eget bad den gir", unit="rom", default=0, le=MAX_ROOMS
    )
    single_rooms_no_bath: Count = column("enerom_uten_bad", "Enerom uten eget bad", unit="rom", default=0, le=MAX_ROOMS)
    screened_rooms: Count = column(
        "skjermede_oppholdsrom", "Skjermede oppholdsrom", unit="rom", default=0, le=MAX_ROOMS
    )
    pool: YesNo = column("basseng", "Ny lokasjon: har basseng", default=False)
    training_hall: YesNo = column("treningssal", "Ny lokasjon: har treningssal", default=False)
    relatives_overnight: YesNo = column(
        "overnatting_parorende", "Ny lokasjon: overnatting for pårørende", default=False
    )
    doctor_office: YesNo = column("legekontor", "Ny lokasjon: vaktrom og legekontor", default=False)
    investment: Number = column(
        "investering", "Engangskostnad når den åpner", unit="kr", default=0.0, ge=0, le=MAX_INVESTMENT_NOK
    )
    yearly_cost: Number = column(
        "driftskostnad",
        "Fast årlig kostnad når den er i drift (utenom pleien)",
        unit="kr/år",
        default=0.0,
        ge=0,
        le=MAX_NOK,
    )
    source: Text = column("kilde", "Kilde", default="")


#: The indicators of ``Nokkeltall`` the report can set beside the kommune's own: name -> (label, unit).
#: ``plasser:<plasstype>`` (the beds of one type, a name from «Plasstyper») is the one more kind.
KEY_FIGURES: dict[str, tuple[str, str]] = {
    "plasser": ("Korttidsplasser i alt", "plasser"),
    "plasser_per_1000_80": ("Korttidsplasser per 1 000 innbyggere 80 år og over", "per 1 000"),
    "korttidsandel": ("Korttidsplassenes andel av institusjonsplassene", "andel"),
    "kostnad_per_plass": ("Kostnad per korttidsplass i året (pleie og drift)", "kr/år"),
}
BEDS_OF_TYPE = "plasser:"


class KeyFigureRow(_Row):
    """Sheet ``Nokkeltall`` (optional): KOSTRA or other figures for the kommune and its peers."""

    municipality: Name = column("kommune", "Kommunen tallet gjelder (f.eks. en sammenligningskommune)")
    year: Count = column("aar", "Året tallet gjelder", unit="år", ge=MIN_YEAR, le=MAX_YEAR)
    indicator: Name = column(
        "indikator",
        "Hva tallet er: plasser, plasser_per_1000_80, korttidsandel, kostnad_per_plass, eller plasser:<plasstype> "
        "(f.eks. plasser:KAD)",
    )
    value: Number = column("verdi", "Tallet", ge=0, le=MAX_INVESTMENT_NOK)
    source: Text = column("kilde", "Kilde (f.eks. KOSTRA, SSB tabell ..., eller en rapport)", default="")


CHOOSE_WORDS = {"velg", "?"}


def _choosable(parse: Any) -> Any:
    """A cell the model may choose: empty or «velg» is None (chosen with the split), else ``parse``."""

    def parse_or_choose(value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.strip().lower() in CHOOSE_WORDS | {""}):
            return None
        return parse(value)

    return parse_or_choose


MAX_RESERVED_BEDS = 200


class SharingRow(_Row):
    """Sheet ``Deling`` (optional): who may use whose free bed, one row per (borrower, lender) pair.

    Without the sheet, ``kan_bruke_andre`` and ``reservert`` in ``Plasstyper`` are the short form:
    a type that may use others' beds may take a free bed of every type that is not reserved, with
    no beds kept back, also while it waits.
    """

    bed_type: Name = column("plasstype", "Pasientens plasstype (den som låner en seng)")
    lender: Name = column("kan_bruke", "Plasstypen hvis ledige senger pasienten kan få når egne senger er fulle")
    reserve_beds: Annotated[
        Annotated[int, Field(ge=0, le=MAX_RESERVED_BEDS)] | None, BeforeValidator(_choosable(_parse_whole))
    ] = column(
        "reserverte_plasser",
        "Senger långiveren holder av til egne pasienter: pasienten får en ledig seng bare mens flere enn "
        "så mange av långiverens åpne senger står ledige (alle lokasjoner sammen). Tom eller «velg» = "
        "modellen velger",
        unit="senger",
        default=None,
    )
    waiting_may_borrow: Annotated[bool | None, BeforeValidator(_choosable(_parse_yes_no))] = column(
        "ventende_kan_laane",
        "«ja»: pasienter som allerede venter kan få en slik seng når den blir ledig; «nei»: bare pasienter "
        "som kommer mens egne senger er fulle. Tom eller «velg» = modellen velger",
        unit="ja/nei/velg",
        default=None,
    )
    source: Text = column("kilde", "Kilde eller vedtak", default="")


class AboutRow(_Row):
    """Sheet ``Om`` (optional): what the case is, as key and text."""

    field: Name = column("felt", "Felt (se listen nederst i «Les meg»)")
    value: Text = column("verdi", "Tekst")


ABOUT_FIELDS: dict[str, str] = {
    "kommune": "Kommunens navn, slik det skal stå i rapportene (f.eks. «Drammen kommune»)",
    "referansealternativ": "Alternativet anbefalingen sammenlignes med på side 1 (et navn fra «Alternativer»)",
    "kildemerknad": "En setning om kildene som skrives i rapporten (f.eks. hva dokumentnumrene viser til)",
}


@dataclass(frozen=True)
class ParameterSpec:
    """A known entry of the ``Parametre`` sheet."""

    name: str
    description_nb: str
    unit: str
    whole: bool = False
    ge: float = 0.0
    le: float | None = None


PARAMETERS: tuple[ParameterSpec, ...] = (
    ParameterSpec("totalt_antall_plasser", "Totalt antall korttidsplasser", "senger", whole=True, ge=1, le=MAX_BEDS),
    ParameterSpec("sykepleiere_per_vakt", "Sykepleiere til stede på hver vakt i en enhet", "personer", le=20),
    ParameterSpec("aapningstimer_per_uke", "Timer per uke enheten er bemannet", "timer", ge=1, le=168),
    ParameterSpec("timer_per_aarsverk_per_uke", "Arbeidstimer per uke i ett årsverk", "timer", ge=10, le=60),
    ParameterSpec("fravaerstillegg", "Tillegg for ferie og fravær (0,12 = 12 %)", "andel", le=1),
    ParameterSpec(
        "min_antall_plasser",
        "Totalen er fri, men minst så mange (i stedet for totalt_antall_plasser)",
        "senger",
        whole=True,
        le=MAX_BEDS,
    ),
    ParameterSpec(
        "maks_antall_plasser",
        "Totalen er fri, men høyst så mange (i stedet for totalt_antall_plasser)",
        "senger",
        whole=True,
        ge=1,
        le=MAX_BEDS,
    ),
    ParameterSpec(
        "startaar",
        "Første år i planen for årene framover (Befolkning/Rater)",
        "år",
        whole=True,
        ge=MIN_YEAR,
        le=MAX_YEAR,
    ),
    ParameterSpec("sluttaar", "Siste år i planen for årene framover", "år", whole=True, ge=MIN_YEAR, le=MAX_YEAR),
    ParameterSpec(
        "fast_total_til_aar",
        "Planen holder totalt_antall_plasser fast til og med dette året; senere velger den totalen selv",
        "år",
        whole=True,
        ge=MIN_YEAR,
        le=MAX_YEAR,
    ),
    ParameterSpec(
        "planaar_hvert",
        "Planen regner hvert n-te år fra startaar (1 = hvert år); sluttaar er alltid med",
        "år",
        whole=True,
        ge=1,
        le=50,
    ),
    ParameterSpec("diskonteringsrente", "Diskonteringsrente i planen for årene framover (0,04 = 4 %)", "andel", le=0.5),
    ParameterSpec(
        "maks_endring_per_lokasjon",
        "Høyst så mange senger mer eller mindre per lokasjon fra ett år til det neste",
        "senger",
        whole=True,
        le=MAX_BEDS,
    ),
    ParameterSpec(
        "maks_vekst_sykepleiere",
        "Høyst så mange flere sykepleierårsverk fra ett år til det neste (rekruttering)",
        "årsverk",
        le=10_000,
    ),
    ParameterSpec(
        "kostnad_per_flyttet_plass",
        "Engangskostnad for å flytte én seng til en annen plasstype eller lokasjon enn i referansealternativet "
        "(ombygging, utstyr, opplæring); regnes om til kostnad per år med diskonteringsrenten over 10 år",
        "kr/seng",
        le=MAX_NOK,
    ),
    ParameterSpec(
        "maks_flyttede_plasser",
        "Høyst så mange senger flyttet fra referansealternativet (tom = ingen grense)",
        "senger",
        whole=True,
        le=MAX_BEDS,
    ),
    ParameterSpec(
        "vekst_tilgjengelige_aarsverk",
        "Årlig vekst i årsverkene kommunen kan bemanne (Bemanning: tilgjengelige årsverk) fra startåret i planen "
        "(0,01 = 1 % i året; negativ = færre)",
        "andel",
        ge=-0.5,
        le=1,
    ),
    ParameterSpec(
        "kostnad_per_plass",
        "Årlig kostnad per seng utenom pleien (bygg, drift, kjøkken); prisen på en seng når totalen er fri",
        "kr/år",
        le=MAX_NOK,
    ),
)


@dataclass(frozen=True)
class SheetSpec:
    """One input sheet: its bokmål name, row model, key columns, what it holds, and its largest size.

    ``max_rows`` keeps a pasted table or a runaway fill from turning into a model nobody can
    solve: far above any municipality (Oslo has about 40 nursing homes), and said in the error.
    """

    name: str
    row_model: type[_Row]
    keys: tuple[str, ...]
    description_nb: str
    max_rows: int = 500


SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("Om", AboutRow, ("field",), "Om caset: kommunens navn, referansealternativ og kildemerknad"),
    SheetSpec("Lokasjoner", SiteRow, ("site",), "Lokasjoner med korttidsplasser og fasiliteter", max_rows=200),
    SheetSpec("Plasstyper", BedTypeRow, ("bed_type",), "Plasstyper med etterspørsel og krav", max_rows=30),
    SheetSpec("Bemanning", SkillRow, ("skill",), "Fagandel og kostnad per faggruppe"),
    SheetSpec("Foringer", PolicyRow, ("site", "bed_type"), "Politiske føringer: min/maks senger"),
    SheetSpec("Parametre", ParameterRow, ("name",), "Skalare parametre"),
    SheetSpec(
        "Alternativer",
        AlternativeRow,
        ("alternative", "site", "bed_type"),
        "Fordelinger som sammenlignes med optimum",
        max_rows=20_000,
    ),
    SheetSpec("Sesong", SeasonRow, ("bed_type",), "Etterspørsel per måned (sesong)"),
    SheetSpec("Kapasitet", CapacityRow, ("site", "start"), "Perioder med færre åpne senger (ferier)"),
    SheetSpec(
        "Deling",
        SharingRow,
        ("bed_type", "lender"),
        "Hvem kan bruke hvem sine ledige senger (ledig-seng-prinsippet), og hvor mange senger som holdes av",
    ),
    SheetSpec("Befolkning", PopulationRow, ("year", "age_group"), "Befolkning per år og aldersgruppe (årene framover)"),
    SheetSpec("Rater", RateRow, ("bed_type", "age_group"), "Innleggelser per 1 000 innbyggere per aldersgruppe"),
    SheetSpec("Utbygging", CapacityOptionRow, ("option",), "Utbygging som kan åpne i årene framover", max_rows=200),
    SheetSpec(
        "Belegg i dag",
        CensusRow,
        ("bed_type", "site"),
        "Belegg og ventende i dag, som tall (for dimension prognose uten oppholdsfil)",
        max_rows=1_000,
    ),
    SheetSpec(
        "Nokkeltall",
        KeyFigureRow,
        ("municipality", "year", "indicator"),
        "Nøkkeltall for kommunen og sammenligningskommuner (KOSTRA o.l.), satt ved siden av planen i rapporten",
        max_rows=2_000,
    ),
)
SHEET_BY_NAME = {spec.name: spec for spec in SHEETS}
NURSE_SKILL = "sykepleier"
OPTIONAL_SHEETS = frozenset(
    {
        "Om",
        "Foringer",
        "Alternativer",
        "Sesong",
        "Kapasitet",
        "Deling",
        "Befolkning",
        "Rater",
        "Utbygging",
        "Belegg i dag",
        "Nokkeltall",
    }
)


def columns_of(row_model: type[_Row]) -> list[tuple[str, str]]:
    """Return ``(field_name, bokmål header)`` pairs of a row model, in sheet order."""
    return [(name, field.alias or name) for name, field in row_model.model_fields.items()]


def header_to_field(row_model: type[_Row]) -> dict[str, str]:
    """Map bokmål headers to field names for a row model."""
    return {alias: name for name, alias in columns_of(row_model)}


#: Short bokmål labels where the header read as words is not enough (units, æøå, a clearer word).
#: Every other header's label is the header itself as words: «enerom_med_bad» → «Enerom med bad».
COLUMN_LABELS: dict[str, str] = {
    "overnatting_parorende": "Overnatting for pårørende",
    "liggetid_dager": "Liggetid (døgn)",
    "liggetid_cv": "Variasjon i liggetid (CV)",
    "kalde_senger_dager": "Kalde senger (døgn)",
    "maks_avvisning": "Høyeste andel avvist",
    "min_enhet": "Minste enhet",
    "maks_lokasjoner": "Høyst lokasjoner",
    "kan_bruke_andre": "Kan bruke andres ledige senger",
    "kostnad_per_ventedogn": "Kostnad per ventedøgn",
    "gir_opp_etter_dager": "Gir opp etter (døgn)",
    "maks_ventetid_dager": "Høyeste ventetid (døgn)",
    "maal_belegg": "Mål for belegg",
    "indikator": "Indikator",
    "belagte_plasser": "Belagte plasser",
    "innleggelser_per_1000": "Innleggelser per 1 000",
    "endring_liggetid_per_aar": "Endring i liggetid per år",
    "andel_aapne": "Andel åpne",
    "ventende_kan_laane": "Ventende kan låne",
    "tidligst_aar": "Tidligst år",
    "min": "Minst",
    "maks": "Høyst",
    "fra": "Fra",
    "til": "Til",
}

#: Short bokmål labels of the ``Parametre`` entries and the ``Om`` fields, for tables a person reads.
PARAMETER_LABELS: dict[str, str] = {
    "totalt_antall_plasser": "Plasser i alt",
    "sykepleiere_per_vakt": "Sykepleiere per vakt",
    "aapningstimer_per_uke": "Åpningstimer per uke",
    "timer_per_aarsverk_per_uke": "Timer per årsverk per uke",
    "fravaerstillegg": "Tillegg for ferie og fravær",
    "min_antall_plasser": "Minst plasser i alt",
    "maks_antall_plasser": "Høyst plasser i alt",
    "startaar": "Første planår",
    "sluttaar": "Siste planår",
    "fast_total_til_aar": "Fast total til og med år",
    "planaar_hvert": "Planår hvert n-te år",
    "diskonteringsrente": "Diskonteringsrente",
    "maks_endring_per_lokasjon": "Høyst endring per lokasjon per år",
    "maks_vekst_sykepleiere": "Høyst vekst i sykepleierårsverk per år",
    "kostnad_per_flyttet_plass": "Kostnad per flyttet plass",
    "maks_flyttede_plasser": "Høyst flyttede plasser",
    "kostnad_per_plass": "Kostnad per plass utenom pleie",
    "vekst_tilgjengelige_aarsverk": "Vekst i tilgjengelige årsverk per år",
    "kommune": "Kommune",
    "referansealternativ": "Referansealternativ",
    "kildemerknad": "Kildemerknad",
}


def _as_words(name: str) -> str:
    """An input name as bokmål words: underscores to spaces, «aa/oe/ae» back to «å/ø/æ», a capital first."""
    words = name.replace("_", " ")
    for plain, letter in (("aa", "å"), ("oe", "ø"), ("ae", "æ")):
        words = words.replace(plain, letter)
    return words[:1].upper() + words[1:]


def column_label(header: str) -> str:
    """The short bokmål label of an input column for tables a person reads (never the header itself)."""
    return COLUMN_LABELS.get(header) or _as_words(header)


def parameter_label(name: str) -> str:
    """The short bokmål label of a ``Parametre`` entry or an ``Om`` field (the name as words if unknown)."""
    return PARAMETER_LABELS.get(name) or _as_words(name)


def column_doc(row_model: type[_Row]) -> list[dict[str, Any]]:
    """Describe every column of a sheet (header, unit, required, default, description)."""
    rows = []
    for name, field in row_model.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        rows.append(
            {
                "field": name,
                "header": field.alias or name,
                "unit": extra.get("unit", ""),
                "required": field.is_required(),
                "default": None if field.is_required() else field.default,
                "description": field.description or "",
            }
        )
    return rows
