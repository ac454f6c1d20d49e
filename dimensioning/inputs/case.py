"""The validated model input: a frozen :class:`Case`, built once at the edge by :func:`load_case`.

Downstream code (model, evaluation, reports) trusts a ``Case``: every check lives here and every
problem found is reported at once, with sheet, row and column, in bokmål.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from dimensioning import queueing
from dimensioning.common.errors import InputError, ValidationIssue, shown
from dimensioning.common.labels import join_nb
from dimensioning.inputs.schema import (
    ABOUT_FIELDS,
    BEDS_OF_TYPE,
    FACILITY_NEEDS,
    KEY_FIGURES,
    MAX_BEDS,
    NURSE_SKILL,
    OPTIONAL_SHEETS,
    PARAMETERS,
    SHEET_BY_NAME,
    SHEETS,
    SheetSpec,
    columns_of,
    header_to_field,
)
from dimensioning.inputs.workbook import RawTables, read_csv_folder, read_workbook_checked

if TYPE_CHECKING:
    from dimensioning.queueing.seasons import RealYearCurves


@dataclass(frozen=True)
class Settings:
    """Scalar parameters of the case (sheet ``Parametre``).

    Attributes:
        total_beds: Short-term beds to place in all (``totalt_antall_plasser``); None when the
            total is free between ``total_min`` and ``total_max``.
        total_min: Fewest beds in all when the total is free (``min_antall_plasser``).
        total_max: Most beds in all when the total is free (``maks_antall_plasser``; None = the
            sites' capacity).
        cost_per_bed: Yearly cost per bed besides care staff (``kostnad_per_plass``): what a bed
            costs when the model may choose how many.
        nurses_per_shift: Nurses present on every shift in a unit (``sykepleiere_per_vakt``).
        staffed_hours_per_week: Hours per week a unit is staffed; 168 = round the clock.
        hours_per_fte_week: Working hours of one FTE per week (35.5 in a rotating roster).
        absence_uplift: Extra FTE for holidays and absence (0.12 = 12 %).
        start_year, end_year: The years ahead (``startaar``, ``sluttaar``); None: the first and
            last year in ``Befolkning``.
        plan_step_years: The plan computes every n-th year from the start year, and the end year
            (``planaar_hvert``; 1: every year). Each planned year's split holds until the next.
        fixed_total_until: The plan keeps the total fixed up to this year (``fast_total_til_aar``;
            None: every year).
        discount_rate: Yearly discount rate of the plan (``diskonteringsrente``; 4 % by default,
            the Ministry of Finance's rate for public projects).
        max_site_change: Most beds more or fewer per site from one year to the next (None: any).
        max_nurse_growth: Most nurse FTE more from one year to the next (None: any).
        cost_per_moved_bed: One-off NOK per bed placed where the reference alternative does not
            have it (another type or site: ``kostnad_per_flyttet_plass``).
        max_moved_beds: Most beds moved from the reference alternative (``maks_flyttede_plasser``).
        staff_growth: Yearly growth of the FTE the kommune can staff (``tilgjengelige_aarsverk``)
            from the start year in the plan (``vekst_tilgjengelige_aarsverk``; 0: held fixed).
    """

    total_beds: int | None = None
    total_min: int | None = None
    total_max: int | None = None
    cost_per_bed: float = 0.0
    nurses_per_shift: float = 1.0
    staffed_hours_per_week: float = 168.0
    hours_per_fte_week: float = 35.5
    absence_uplift: float = 0.12
    start_year: int | None = None
    end_year: int | None = None
    plan_step_years: int = 1
    fixed_total_until: int | None = None
    discount_rate: float = 0.04
    max_site_change: int | None = None
    max_nurse_growth: float | None = None
    cost_per_moved_bed: float = 0.0
    max_moved_beds: int | None = None
    staff_growth: float = 0.0

    @property
    def moving_cost_per_bed_year(self) -> float:
        r"""The one-off cost of moving a bed as a yearly cost: an annuity at the discount rate.

        .. math:: k^{move} \frac{r}{1 - (1 + r)^{-N}}, \qquad N = 10 \text{ years}

        (:data:`MOVE_PAYBACK_YEARS`; with :math:`r = 0` the cost is spread evenly over the years).
        """
        rate, years = self.discount_rate, MOVE_PAYBACK_YEARS
        factor = 1.0 / years if rate <= 0 else rate / (1.0 - (1.0 + rate) ** -years)
        return self.cost_per_moved_bed * factor

    @property
    def total_is_free(self) -> bool:
        """True when the model chooses the total (between ``total_min`` and ``total_max``)."""
        return self.total_beds is None

    def total_bounds(self, capacity: int) -> tuple[int, int]:
        """Fewest and most beds in all; ``capacity`` (the sites' beds) caps a free total."""
        if self.total_beds is not None:
            return self.total_beds, self.total_beds
        high = capacity if self.total_max is None else self.total_max
        return self.total_min or 0, high

    @property
    def min_nurse_fte_per_unit(self) -> float:
        r"""Nurse FTE a unit needs to have a nurse on every shift all year.

        .. math:: F^{min} = n \cdot \frac{h^{open}}{h^{FTE}} \cdot (1 + u)

        With the defaults, 1 × 168 / 35.5 × 1.12 ≈ 5.30 FTE.
        """
        return (
            self.nurses_per_shift * self.staffed_hours_per_week / self.hours_per_fte_week * (1.0 + self.absence_uplift)
        )


SETTING_FIELDS = {
    "totalt_antall_plasser": "total_beds",
    "sykepleiere_per_vakt": "nurses_per_shift",
    "aapningstimer_per_uke": "staffed_hours_per_week",
    "timer_per_aarsverk_per_uke": "hours_per_fte_week",
    "fravaerstillegg": "absence_uplift",
    "min_antall_plasser": "total_min",
    "startaar": "start_year",
    "sluttaar": "end_year",
    "planaar_hvert": "plan_step_years",
    "fast_total_til_aar": "fixed_total_until",
    "diskonteringsrente": "discount_rate",
    "maks_endring_per_lokasjon": "max_site_change",
    "maks_vekst_sykepleiere": "max_nurse_growth",
    "maks_antall_plasser": "total_max",
    "kostnad_per_plass": "cost_per_bed",
    "kostnad_per_flyttet_plass": "cost_per_moved_bed",
    "maks_flyttede_plasser": "max_moved_beds",
    "vekst_tilgjengelige_aarsverk": "staff_growth",
}
# years over which the one-off cost of moving a bed is spread (an annuity at the discount rate)
MOVE_PAYBACK_YEARS = 10


@dataclass(frozen=True)
class Case:
    """A validated case. Tables use English column names; names of sites and types are bokmål.

    Attributes:
        name: Short name of the case (the file stem).
        sites: One row per site, indexed by ``site`` (columns of :class:`~.schema.SiteRow`).
        bed_types: One row per bed type, indexed by ``bed_type``.
        skills: One row per skill group, indexed by ``skill``; shares sum to 1.
        policies: Policy bounds ``site, bed_type, min_beds, max_beds`` (may be empty).
        alternatives: Named splits ``alternative, site, bed_type, beds`` (may be empty).
        parameters: The ``Parametre`` sheet as given (for the report's echo of inputs).
        settings: Scalar settings parsed from ``parameters``.
        season: Monthly demand index per bed type (``Sesong``; may be empty: no season).
        capacity: Holiday periods ``site, start, end, open_share`` (``Kapasitet``; may be empty).
        population: ``year, age_group, inhabitants`` (``Befolkning``; may be empty: no years ahead).
        rates: ``bed_type, age_group, admissions_per_1000, los_change_per_year`` (``Rater``).
        capacity_options: Capacity that may open in the years ahead (``Utbygging``; may be empty).
        census_today: Beds taken and patients waiting today (``Belegg i dag``; may be empty):
            ``bed_type, site, occupied, waiting, source``.
        key_figures: Figures for the kommune and its peers (``Nokkeltall``; may be empty):
            ``municipality, year, indicator, value, source``.
        sharing_input: The ``Deling`` sheet as given: ``bed_type, lender, reserve_beds,
            waiting_may_borrow, source`` (None in a cell: the model chooses); empty when the short
            form in ``Plasstyper`` applies. :attr:`sharing` is the rule in force.
        peak_dimensioning: Meet the blocking target in every month of the real year instead of on
            the yearly mean (``--dimensjonering topp``).
        load_factors: ``(type, factor)`` pairs that scale a type's modified offered load in the
            model (the simulation-verified loop's effective loads, :mod:`~dimensioning.workflows.verify`);
            empty for the case as given.
        municipality: The municipality's name for reports (``Om: kommune``; default: the file name).
        reference_alternative: The alternative page 1 compares with (``Om: referansealternativ``;
            default: the last alternative in the workbook).
        source_note: A sentence on the sources, printed in the reports (``Om: kildemerknad``).
    """

    name: str
    sites: pd.DataFrame
    bed_types: pd.DataFrame
    skills: pd.DataFrame
    policies: pd.DataFrame
    alternatives: pd.DataFrame
    parameters: pd.DataFrame
    settings: Settings
    season: pd.DataFrame
    capacity: pd.DataFrame
    population: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    rates: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    capacity_options: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    key_figures: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    census_today: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    sharing_input: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    peak_dimensioning: bool = False
    load_factors: tuple[tuple[str, float], ...] = ()
    municipality: str = ""
    reference_alternative: str | None = None
    source_note: str = ""

    @property
    def display_name(self) -> str:
        """The municipality's name, or the case name when the workbook does not give one."""
        return self.municipality or self.name

    @property
    def reference_name(self) -> str | None:
        """The alternative the recommendation is compared with (None when there are none)."""
        names = self.alternative_names
        if self.reference_alternative in names:
            return self.reference_alternative
        return names[-1] if names else None

    @property
    def site_names(self) -> list[str]:
        """Sites in workbook order."""
        return list(self.sites.index)

    @property
    def bed_type_names(self) -> list[str]:
        """Bed types in workbook order."""
        return list(self.bed_types.index)

    @cached_property
    def holding_days(self) -> pd.Series:
        r"""Days a patient holds a bed, per type: the stay and the cold time after it, :math:`L_t + k_t`.

        ``kalde_senger_dager`` :math:`k_t` is the mean time a freed bed stays empty before the next
        patient (document 003: a bed freed on day 0 should be filled on day 1). The curves and the
        simulation both use this holding time as the bed's service time, so one day less of cold
        time frees beds in both alike. Booked stays (``planlagt``) are planned back to back and
        hold their beds for the stay alone.
        """
        bt = self.bed_types
        cold = bt.get("cold_days", 0.0)
        cold = cold * (bt["when_full"] != "planlagt")  # booked stays follow each other: no cold time
        return (bt["los_days"] + cold).rename("holding_days")

    @cached_property
    def holding_cv(self) -> pd.Series:
        r"""Coefficient of variation of the holding time: the stay's spread over a fixed cold time.

        .. math:: \frac{\mathrm{cv}_t\, L_t}{L_t + k_t}
        """
        bt = self.bed_types
        holding = self.holding_days
        # without cold time the stay's own CV, exactly (no rounding through cv * L / L)
        spread = bt["los_cv"] * bt["los_days"] / holding
        return bt["los_cv"].where(holding == bt["los_days"], spread).rename("holding_cv")

    @cached_property
    def load_beds(self) -> pd.Series:
        """Offered load per bed type in beds, ``a_t = lambda_t / 365 * (L_t + k_t)`` (stay and cold time)."""
        bt = self.bed_types
        return pd.Series(
            queueing.offered_load(bt["arrivals_per_year"], self.holding_days),
            index=bt.index,
            name="load_beds",
        )

    @cached_property
    def mol_loads(self) -> pd.DataFrame:
        """Modified offered load per day (rows 0..364) and bed type, from ``Sesong``."""
        from dimensioning.queueing.seasons import mol_loads

        loads = mol_loads(self)
        for bed_type, factor in self.load_factors:
            loads[bed_type] = loads[bed_type] * factor
        return loads

    @cached_property
    def daily_arrivals(self) -> pd.DataFrame:
        """Arrival rate per day (rows 0..364) and bed type, from ``Sesong`` (:func:`~.seasons.arrivals_per_day`)."""
        from dimensioning.queueing.seasons import daily_arrivals

        return daily_arrivals(self)

    @cached_property
    def open_shares(self) -> pd.DataFrame:
        """Share of each site's beds open per day (rows 0..364), from ``Kapasitet``."""
        from dimensioning.queueing.seasons import open_share

        return open_share(self.capacity, self.site_names)

    @cached_property
    def type_open_shares(self) -> pd.DataFrame:
        """Share of each type's pooled beds open per day (:func:`~dimensioning.queueing.seasons.type_open_share`).

        Computed once per case: the curves, their cache key and the stable beds all read it.
        """
        from dimensioning.queueing.seasons import type_open_share

        return type_open_share(self)

    @cached_property
    def missing_facilities(self) -> dict[tuple[str, str], list[str]]:
        """``(site, type) -> facilities the type needs and the site lacks`` (bokmål), for pairs that lack any."""
        needs = {need: self.bed_types[need].to_numpy(dtype=bool) for need, _, _ in FACILITY_NEEDS}
        has = {has: self.sites[has].to_numpy(dtype=bool) for _, has, _ in FACILITY_NEEDS}
        missing = {}
        for i, s in enumerate(self.site_names):
            for j, t in enumerate(self.bed_type_names):
                lacks = [label for need, have, label in FACILITY_NEEDS if needs[need][j] and not has[have][i]]
                if lacks:
                    missing[(s, t)] = lacks
        return missing

    @property
    def max_pooled_beds(self) -> int:
        """The most beds one type could get: the larger of the total's upper bound and the sites' beds."""
        site_beds = int(self.sites["beds"].sum())
        return int(max(self.settings.total_bounds(site_beds)[1], site_beds))

    @cached_property
    def real_year_curves(self) -> RealYearCurves:
        """Patients turned away per month at ``0..max_pooled_beds`` beds per type, in the real year."""
        from dimensioning.queueing.seasons import real_year_curves

        return real_year_curves(self, self.max_pooled_beds)

    @cached_property
    def min_beds_for_target(self) -> pd.Series:
        """Smallest pooled bed count per type meeting its targets.

        ``maks_avvisning`` (the share not served: turned away, given up waiting, or booked stays
        not given) and, for ``venter`` types, ``maks_ventetid_dager`` (mean wait of all arrivals).
        In the real year (seasons and holiday closures, :class:`~.seasons.RealYearCurves`): on the
        yearly mean by default, in every month when ``peak_dimensioning`` is set
        (``--dimensjonering topp``).
        """
        curves, bt = self.real_year_curves, self.bed_types
        every = self.peak_dimensioning
        blocking = curves.min_beds(bt["max_blocking"].to_numpy(dtype=float), every_month=every)
        wait = bt["max_mean_wait_days"].where(bt["when_full"] == "venter").to_numpy(dtype=float)
        beds = np.maximum(blocking, curves.min_beds_for_wait(wait, every_month=every))
        return pd.Series(beds, index=bt.index, name="min_beds_for_target")

    @cached_property
    def min_stable_beds(self) -> pd.Series:
        """Fewest pooled beds per type whose waiting queue does not grow without bound.

        Only ``venter`` types whose patients never give up have such a bound (0 for the others):
        see :func:`~.seasons.min_stable_beds`.
        """
        from dimensioning.queueing.seasons import min_stable_beds

        return pd.Series(min_stable_beds(self), index=self.bed_types.index, name="min_stable_beds")

    @cached_property
    def shortfall_cost_curve(self) -> np.ndarray:
        r"""``(C + 1, T)`` yearly NOK of what patients miss at ``0..C`` pooled beds per type (exact).

        .. math:: K_t(c) = k^{away}_t L_t(c) [\text{not planlagt}] + k^{wait}_t W_t(c)

        Patients turned away, or who give up waiting, cost ``kostnad_per_avvist``; days waited (or
        booked days not given) cost ``kostnad_per_ventedogn``.
        """
        curves = self.real_year_curves
        away_price, wait_price = self.shortfall_prices
        return curves.yearly * away_price[None, :] + curves.yearly_waiting_days * wait_price[None, :]

    @property
    def shortfall_prices(self) -> tuple[np.ndarray, np.ndarray]:
        """NOK per patient not served and per day waited (or booked day not given), per type in order.

        A booked stay not given is priced by its days only, so its stays cost nothing on top.
        """
        bt = self.bed_types
        away = bt["cost_per_turned_away"].where(bt["when_full"] != "planlagt", 0.0).to_numpy(dtype=float)
        return away, bt["cost_per_waiting_day"].to_numpy(dtype=float)

    @cached_property
    def sharing(self) -> pd.DataFrame:
        """Who may use whose free bed: ``bed_type, lender, reserve_beds, waiting_may_borrow, source``.

        One row per (borrower, lender) pair, borrowers then lenders in case order. From the
        ``Deling`` sheet when it has rows; otherwise the short form in ``Plasstyper``: a type with
        ``kan_bruke_andre`` may take a free bed of every type that is not ``reservert``, with 0 beds
        kept back, also while it waits. ``reserve_beds`` is NaN and ``waiting_may_borrow`` None
        where the model chooses (``velg``).
        """
        from dimensioning.inputs.sharing import sharing_rows

        return sharing_rows(self)

    @cached_property
    def reference_beds(self) -> dict[tuple[str, str], int]:
        """Beds per ``(site, type)`` of the reference alternative (empty when there is none): moves count from it."""
        name = self.reference_name
        if name is None:
            return {}
        given: dict[tuple[str, str], int] = {}
        table = self.alternatives
        for alternative, site, bed_type, beds in zip(
            table["alternative"], table["site"], table["bed_type"], table["beds"], strict=True
        ):
            if alternative == name:
                given[(site, bed_type)] = given.get((site, bed_type), 0) + int(beds)
        return {(s, t): given.get((s, t), 0) for s in self.site_names for t in self.bed_type_names}

    @property
    def ukp_types(self) -> list[str]:
        """Types whose patients wait in hospital (``ved_fullt`` venter, ``ventested`` sykehus): UKP."""
        bt = self.bed_types
        return [
            t for t in self.bed_type_names if bt.at[t, "when_full"] == "venter" and bt.at[t, "wait_place"] == "sykehus"
        ]

    @property
    def alternative_names(self) -> list[str]:
        """Alternatives in workbook order."""
        return list(dict.fromkeys(self.alternatives["alternative"]))

    def replace(self, **changes: Any) -> Case:
        """Return a copy with some fields replaced (for what-ifs); the original is untouched."""
        return dataclasses.replace(self, **changes)


def load_case(path: str | Path | None = None) -> Case:
    """Read and validate an input workbook (``.xlsx``) or a folder of ``SHEET.csv`` files.

    Args:
        path: The workbook; None gives the bundled Drammen case.

    Returns:
        The validated case.

    Raises:
        InputError: With every problem found, each naming sheet, row and column in bokmål.
    """
    if path is None:
        from dimensioning.inputs.data import drammen_path

        path = drammen_path()
    path = Path(path)
    if path.is_dir():
        tables, read_issues = read_csv_folder(path), []
    else:
        tables, read_issues = read_workbook_checked(path, [spec.name for spec in SHEETS])
    return case_from_tables(tables, name=path.stem, source=str(path), read_issues=read_issues)


def read_case_tables(path: str | Path) -> RawTables:
    """The raw input sheets of a case workbook, checked and validated (sweeps start from these).

    Raises:
        InputError: With every problem found, as :func:`load_case` would.
    """
    path = Path(path)
    tables, issues = read_workbook_checked(path, [spec.name for spec in SHEETS])
    case_from_tables(tables, name=path.stem, source=str(path), read_issues=issues)
    return tables


def case_from_tables(
    tables: RawTables,
    name: str = "case",
    source: str = "inndata",
    cache: dict | None = None,
    read_issues: list[ValidationIssue] | None = None,
) -> Case:
    """Validate raw tables (as read from a workbook) into a :class:`Case`.

    Args:
        tables: Raw rows per sheet.
        name: Case name.
        source: Where the tables came from (for messages).
        cache: Optional dict kept between calls (sweeps): a sheet whose raw rows are the very same
            object as last time is not validated again.
        read_issues: Problems the reader already found (hidden rows, merged cells...); they are
            reported together with the validation's own, and their sheets count as incomplete.

    Raises:
        InputError: With every problem found.
    """
    issues: list[ValidationIssue] = list(read_issues or [])
    frames = {}
    for spec in SHEETS:
        rows = tables.get(spec.name)
        cached = cache.get(spec.name) if cache is not None else None
        if cached is not None and rows is not None and cached[0] is rows:
            frames[spec.name] = cached[1]
            issues += cached[2]
            continue
        sheet_issues: list[ValidationIssue] = []
        already_named = any(issue.sheet == spec.name and issue.row is None for issue in issues)
        known_rows = cache.setdefault(("rows", spec.name), {}) if cache is not None else None
        frames[spec.name] = _validate_sheet(spec, tables, sheet_issues, already_named, known_rows)
        issues += sheet_issues
        if cache is not None and rows is not None:
            cache[spec.name] = (rows, frames[spec.name], sheet_issues)
    broken = {issue.sheet for issue in issues}
    for compared_with, check in _CROSS_CHECKS:
        if not broken.intersection(compared_with):
            issues += check(frames)
    if issues:
        raise InputError(source, issues)
    settings = _settings(frames["Parametre"], issues)
    about = _about(frames["Om"], frames["Alternativer"], issues)
    if issues or settings is None:
        raise InputError(source, issues)

    return Case(
        name=name,
        settings=settings,
        **_case_frames(frames, cache),
        municipality=about.get("kommune", ""),
        reference_alternative=about.get("referansealternativ") or None,
        source_note=about.get("kildemerknad", ""),
    )


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index(drop=True)


def _without_row(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns="_row", errors="ignore").reset_index(drop=True)


#: Which field of :class:`Case` each validated sheet becomes, and how it is shaped.
_SHAPES: dict[str, tuple[str, Callable[[pd.DataFrame], pd.DataFrame]]] = {
    "Lokasjoner": ("sites", lambda frame: frame.set_index("site")),
    "Plasstyper": ("bed_types", lambda frame: frame.set_index("bed_type")),
    "Bemanning": ("skills", lambda frame: frame.set_index("skill")),
    "Foringer": ("policies", _plain),
    "Alternativer": ("alternatives", _plain),
    "Parametre": ("parameters", _plain),
    "Sesong": ("season", lambda frame: frame.set_index("bed_type") if not frame.empty else frame),
    "Kapasitet": ("capacity", _plain),
    "Befolkning": ("population", _without_row),
    "Rater": ("rates", _without_row),
    "Utbygging": ("capacity_options", _without_row),
    "Nokkeltall": ("key_figures", _without_row),
    "Belegg i dag": ("census_today", _without_row),
    "Deling": ("sharing_input", _without_row),
}


def _case_frames(frames: Frames, cache: dict | None) -> dict[str, pd.DataFrame]:
    """The :class:`Case` fields made from the sheets; in a sweep (``cache``), once per validated frame."""
    fields = {}
    for sheet, (field, shape) in _SHAPES.items():
        frame = frames[sheet]
        kept = cache.get(("shaped", sheet)) if cache is not None else None
        if kept is None or kept[0] is not frame:
            kept = (frame, shape(frame))
            if cache is not None:
                cache[("shaped", sheet)] = kept
        fields[field] = kept[1]
    return fields


def _about(frame: pd.DataFrame, alternatives: pd.DataFrame, issues: list[ValidationIssue]) -> dict[str, str]:
    """The ``Om`` sheet as ``{felt: verdi}``: known fields only, the reference alternative must exist."""
    about: dict[str, str] = {}
    known_alternatives = set(alternatives["alternative"]) if not alternatives.empty else set()
    for row in _records(frame):
        excel_row = int(row["_row"])
        if row["field"] not in ABOUT_FIELDS:
            message = f"ukjent felt «{shown(row['field'])}» (kjente: {', '.join(ABOUT_FIELDS)})"
            issues.append(ValidationIssue("Om", excel_row, "felt", message))
            continue
        if row["field"] == "referansealternativ" and row["value"] and row["value"] not in known_alternatives:
            message = unknown_name_message(row["value"], known_alternatives, "Alternativer")
            issues.append(ValidationIssue("Om", excel_row, "verdi", message))
            continue
        about[row["field"]] = row["value"]
    return about


MESSAGES_NB = {
    "missing": "mangler verdi",
    "float_parsing": "må være et tall, fikk «{input}»",
    "float_type": "må være et tall, fikk «{input}»",
    "int_parsing": "må være et heltall, fikk «{input}»",
    "int_type": "må være et heltall, fikk «{input}»",
    "int_from_float": "må være et heltall, fikk «{input}»",
    "greater_than_equal": "må være minst {ge}, fikk {input}",
    "greater_than": "må være større enn {gt}, fikk {input}",
    "less_than_equal": "må være høyst {le} (øvre grense for en rimelig verdi), fikk {input}",
    "finite_number": "må være et endelig tall, fikk «{input}»",
    "string_type": "må være tekst, fikk «{input}»",
}


def _message_nb(error: dict[str, Any]) -> str:
    """Translate one pydantic error into bokmål."""
    template = MESSAGES_NB.get(error["type"])
    if template is None:
        return str(error.get("msg", "ugyldig verdi"))
    context = {"input": shown(error.get("input"))}
    context.update({k: shown(v) for k, v in (error.get("ctx") or {}).items()})
    return template.format(**context)


def sheet_issues(tables: RawTables, sheet: str) -> list[ValidationIssue]:
    """The problems of one sheet's own cells (row models, duplicates, parameter ranges), no cross-checks.

    Used to validate a scenario's override where it was typed: a value that is wrong in itself
    (a negative count, a date, ``inf``) is wrong whatever else the scenario changes.
    """
    issues: list[ValidationIssue] = []
    frame = _validate_sheet(SHEET_BY_NAME[sheet], tables, issues)
    if sheet == "Parametre" and not issues:
        _settings(frame, issues)
    return issues


def _validate_sheet(
    spec: SheetSpec,
    tables: RawTables,
    issues: list[ValidationIssue],
    already_named: bool = False,
    known_rows: dict | None = None,
) -> pd.DataFrame:
    """Validate one sheet's rows against its row model; collect issues, return a DataFrame.

    ``known_rows`` (a sweep's cache) holds the outcome of rows validated before, by their cells:
    a scenario that changes one cell of a sheet validates that row again, not the whole sheet.
    """
    fields = [name for name, _ in columns_of(spec.row_model)]
    empty = pd.DataFrame({f: pd.Series(dtype=object) for f in fields})
    if spec.name not in tables:
        if spec.name not in OPTIONAL_SHEETS and not already_named:
            issues.append(ValidationIssue(spec.name, None, None, "arket mangler i arbeidsboken"))
        return empty
    rows = tables[spec.name]
    if len(rows) > spec.max_rows:
        message = f"arket har {len(rows)} rader; høyst {spec.max_rows} er tillatt (er en tabell limt inn for mye?)"
        issues.append(ValidationIssue(spec.name, None, None, message))
        return empty
    by_header = header_to_field(spec.row_model)
    headers = list(dict.fromkeys(h for _, cells in rows for h in cells)) if rows else []
    unknown = [h for h in headers if h not in by_header]
    for header in unknown:
        issues.append(ValidationIssue(spec.name, 1, header, "ukjent kolonne (sjekk stavemåten)"))
    required = [alias for name, alias in columns_of(spec.row_model) if spec.row_model.model_fields[name].is_required()]
    missing = [h for h in required if h not in headers]
    for header in missing:
        issues.append(ValidationIssue(spec.name, 1, header, "påkrevd kolonne mangler"))
    if unknown or missing:
        return empty
    records = []
    for excel_row, cells in rows:
        if excel_row == 1:  # header only, no data rows
            continue
        given = {h: v for h, v in cells.items() if v is not None}
        outcome = _validated_row(spec, given, known_rows)
        if isinstance(outcome, list):
            issues += [ValidationIssue(spec.name, excel_row, header, message) for header, message in outcome]
            continue
        records.append({"_row": excel_row, **outcome})
    if not records:
        has_rows = any(excel_row > 1 for excel_row, _ in rows)
        if not has_rows and spec.name not in OPTIONAL_SHEETS:
            issues.append(ValidationIssue(spec.name, None, None, "arket har ingen rader"))
        return empty
    frame = pd.DataFrame.from_records(records)
    _check_duplicates(spec, frame, issues)
    return frame


def _validated_row(spec: SheetSpec, given: dict[str, Any], known: dict | None) -> dict[str, Any] | list:
    """One row through its row model: the validated fields, or ``[(header, message), ...]``."""
    key = None
    if known is not None:
        with contextlib.suppress(TypeError):  # a cell value that cannot be a key: validate afresh
            key = tuple((h, type(v), v) for h, v in given.items())
            if key in known:
                return known[key]
    try:
        outcome: dict[str, Any] | list = spec.row_model.model_validate(given).model_dump()
    except ValidationError as exc:
        outcome = [(str(e["loc"][0]) if e["loc"] else None, _message_nb(e)) for e in exc.errors()]
    if key is not None:
        if len(known) >= _KNOWN_ROWS_KEPT:  # a long sweep: start afresh rather than grow without end
            known.clear()
        known[key] = outcome
    return outcome


_KNOWN_ROWS_KEPT = 10_000


def _check_duplicates(spec: SheetSpec, frame: pd.DataFrame, issues: list[ValidationIssue]) -> None:
    """Report rows whose key repeats an earlier row's key, also when only upper/lower case differs."""
    headers = dict(columns_of(spec.row_model))
    first_row: dict[tuple, tuple[int, str]] = {}
    for *values, excel_row in frame[[*spec.keys, "_row"]].itertuples(index=False, name=None):
        key = tuple(v.casefold() if isinstance(v, str) else v for v in values)
        text = ", ".join(str(v) for v in values)
        if key not in first_row:
            first_row[key] = (int(excel_row), text)
            continue
        row, earlier = first_row[key]
        if earlier == text:
            message = f"«{text}» står allerede i rad {row} (duplikat)"
        else:
            message = f"«{text}» er samme navn som «{earlier}» i rad {row} (bare store/små bokstaver skiller)"
        issues.append(ValidationIssue(spec.name, int(excel_row), headers[spec.keys[-1]], message))


Frames = dict[str, pd.DataFrame]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a validated sheet as dicts (``DataFrame.to_dict("records")`` costs ten times more)."""
    columns = list(frame.columns)
    return [dict(zip(columns, values, strict=True)) for values in frame.to_numpy(dtype=object).tolist()]


def _check_references(frames: Frames, key: str) -> list[ValidationIssue]:
    """Sites (or types) named in Foringer, Alternativer and Belegg i dag must exist in their own sheet."""
    own_sheet, header = {
        "site": ("Lokasjoner", "lokasjon"),
        "bed_type": ("Plasstyper", "plasstype"),
    }[key]
    known = set(frames[own_sheet][key])
    issues = []
    for sheet in ("Foringer", "Alternativer", "Belegg i dag"):
        frame = frames[sheet]
        if frame.empty:
            continue
        for name, row in zip(frame[key], frame["_row"], strict=True):
            if name not in known:
                issues.append(ValidationIssue(sheet, int(row), header, unknown_name_message(name, known, own_sheet)))
    return issues


def unknown_name_message(name: str, known: set[str], sheet: str) -> str:
    """«X» is not in the sheet; a spelling that differs only in case is suggested, else the known names."""
    same = [k for k in known if k.casefold() == str(name).casefold()]
    if same:
        return f"«{name}» finnes ikke i arket «{sheet}»; der står «{same[0]}» (store/små bokstaver må være like)"
    listed = ", ".join(sorted(known)[:20]) + (" …" if len(known) > 20 else "")
    return f"«{shown(name)}» finnes ikke i arket «{sheet}» (kjente: {listed})"


def _check_season_and_capacity(frames: Frames) -> list[ValidationIssue]:
    """Types in Sesong and sites in Kapasitet must exist (a site may also be «alle»)."""
    issues = []
    types = set(frames["Plasstyper"]["bed_type"])
    sites = set(frames["Lokasjoner"]["site"])
    for row in _records(frames["Sesong"]):
        if row["bed_type"] not in types:
            message = unknown_name_message(row["bed_type"], types, "Plasstyper")
            issues.append(ValidationIssue("Sesong", int(row["_row"]), "plasstype", message))
    for row in _records(frames["Kapasitet"]):
        if row["site"] not in sites and str(row["site"]).lower() not in {"alle", "*"}:
            message = f"«{row['site']}» finnes ikke i arket «Lokasjoner» (skriv «alle» for alle lokasjoner)"
            issues.append(ValidationIssue("Kapasitet", int(row["_row"]), "lokasjon", message))
    return issues


def _check_sites(frames: Frames) -> list[ValidationIssue]:
    """Room counts, where given, must hold the site's beds; all sites together stay plausible."""
    issues = []
    total = int(frames["Lokasjoner"]["beds"].sum()) if not frames["Lokasjoner"].empty else 0
    if total > MAX_BEDS:
        message = f"lokasjonene har til sammen {total} plasser, mer enn de {MAX_BEDS} som er rimelig for en kommune"
        issues.append(ValidationIssue("Lokasjoner", None, "plasser", message))
    for row in _records(frames["Lokasjoner"]):
        rooms = row["single_rooms_bath"] + row["single_rooms_no_bath"] + 2 * row["double_rooms"]
        if rooms and rooms < row["beds"]:
            message = f"rommene gir plass til {rooms} senger (enerom + 2 × dobbeltrom), men plasser er {row['beds']}"
            issues.append(ValidationIssue("Lokasjoner", int(row["_row"]), "plasser", message))
    return issues


def _check_bed_types(frames: Frames) -> list[ValidationIssue]:
    """A bath implies a single room; at most as many sites as there are sites."""
    issues = []
    n_sites = len(frames["Lokasjoner"])
    for row in _records(frames["Plasstyper"]):
        if row["needs_bath"] and not row["needs_single_room"]:
            message = "krever_bad = ja forutsetter krever_enerom = ja (bad gjelder enerom)"
            issues.append(ValidationIssue("Plasstyper", int(row["_row"]), "krever_bad", message))
        load = row["arrivals_per_year"] * (row["los_days"] + row.get("cold_days", 0.0)) / 365.0
        if load > MAX_BEDS:
            message = (
                f"etterspørselen tilsvarer {shown(round(load))} opptatte senger i snitt "
                f"(innleggelser × liggetid / 365), mer enn de {MAX_BEDS} som er rimelig: sjekk tallene"
            )
            issues.append(ValidationIssue("Plasstyper", int(row["_row"]), "innleggelser_per_aar", message))
        if row["max_sites"] is not None and not pd.isna(row["max_sites"]) and row["max_sites"] > n_sites:
            message = f"{int(row['max_sites'])} er flere enn de {n_sites} lokasjonene"
            issues.append(ValidationIssue("Plasstyper", int(row["_row"]), "maks_lokasjoner", message))
    return issues


def _check_years_ahead(frames: Frames) -> list[ValidationIssue]:
    """Rater names known types and age groups of Befolkning; every type has a rate; the start year has people."""
    population, rates = frames["Befolkning"], frames["Rater"]
    if population.empty and rates.empty:
        return []
    issues = []
    if population.empty or rates.empty:
        missing, given = ("Befolkning", "Rater") if population.empty else ("Rater", "Befolkning")
        message = f"arket «{given}» krever også arket «{missing}» (planen for årene framover trenger begge)"
        return [ValidationIssue(missing, None, "", message)]
    types = set(frames["Plasstyper"]["bed_type"])
    groups = set(population["age_group"])
    for bed_type, group, row in zip(rates["bed_type"], rates["age_group"], rates["_row"], strict=True):
        if bed_type not in types:
            message = unknown_name_message(bed_type, types, "Plasstyper")
            issues.append(ValidationIssue("Rater", int(row), "plasstype", message))
        if group not in groups:
            message = unknown_name_message(group, groups, "Befolkning")
            issues.append(ValidationIssue("Rater", int(row), "aldersgruppe", message))
    for bed_type in sorted(types - set(rates["bed_type"])):
        message = f"plasstypen «{bed_type}» har ingen rad i «Rater» (gi minst én aldersgruppe)"
        issues.append(ValidationIssue("Rater", None, "plasstype", message))
    years = sorted(set(population["year"]))
    years_of: dict[str, set] = {}
    for group, year in zip(population["age_group"], population["year"], strict=True):
        years_of.setdefault(group, set()).add(year)
    for group in sorted(groups):
        have = years_of.get(group, set())
        for year in years:
            if year not in have:
                message = f"aldersgruppen «{group}» mangler året {year} (alle aldersgrupper trenger de samme årene)"
                issues.append(ValidationIssue("Befolkning", None, "aar", message))
    return issues or _check_start_year_demand(frames)


def _check_start_year_demand(frames: Frames) -> list[ValidationIssue]:
    """Every type has admissions in the start year by ``Befolkning`` and ``Rater``: growth is counted from it.

    A type whose rates are all 0 would keep today's demand every year without a word, and a start
    year with nobody in the rated age groups has no demand to grow from; both are named here, at
    the rows that cause them, before any command runs.
    """
    population, rates, parameters = frames["Befolkning"], frames["Rater"], frames["Parametre"]
    start = parameters.loc[parameters["name"] == "startaar", "value"]
    years = sorted(int(y) for y in population["year"])
    base_year = int(start.iloc[0]) if len(start) and not pd.isna(start.iloc[0]) else years[0]
    counts: dict[str, list[tuple[float, float]]] = {}
    for group, year, inhabitants in zip(
        population["age_group"], population["year"], population["inhabitants"], strict=True
    ):
        counts.setdefault(group, []).append((float(year), float(inhabitants)))
    people = {}
    for group, points in counts.items():
        points.sort(key=lambda point: point[0])
        people[group] = float(np.interp(base_year, [p[0] for p in points], [p[1] for p in points]))
    by_type: dict[str, list[tuple[str, float, int]]] = {}
    for bed_type, group, rate, row in zip(
        rates["bed_type"], rates["age_group"], rates["admissions_per_1000"], rates["_row"], strict=True
    ):
        by_type.setdefault(bed_type, []).append((group, float(rate), int(row)))
    issues = []
    empty: dict[tuple[str, ...], list[str]] = {}  # rated age groups with nobody in them -> their types
    for bed_type, rows in by_type.items():
        if all(rate <= 0 for _, rate, _ in rows):
            message = (
                f"alle ratene for «{bed_type}» er 0: etterspørselen kan ikke framskrives fra startåret "
                f"{base_year} (gi raten for minst én aldersgruppe, eller fjern plasstypens rader)"
            )
            issues.append(ValidationIssue("Rater", rows[0][2], "innleggelser_per_1000", message))
            continue
        rated = tuple(group for group, rate, _ in rows if rate > 0)
        if sum(people.get(g, 0.0) for g in rated) <= 0:
            empty.setdefault(rated, []).append(str(bed_type))
    for rated, types in empty.items():
        first = population[(population["year"] == base_year) & population["age_group"].isin(rated)]
        row = int(first["_row"].iloc[0]) if len(first) else None
        message = (
            f"ingen innbyggere i {join_nb([f'«{g}»' for g in rated])} i startåret {base_year}, så "
            f"{join_nb([f'«{t}»' for t in types])} har ingen innleggelser å framskrive fra "
            "(befolkningen i startåret kan ikke være 0)"
        )
        issues.append(ValidationIssue("Befolkning", row, "innbyggere", message))
    return issues


def _check_skills(frames: Frames) -> list[ValidationIssue]:
    """Skill shares sum to 1 and a nurse group exists (the minimum-nurse rule needs it)."""
    issues = []
    skills = frames["Bemanning"]
    total = float(skills["share"].sum())
    if not np.isclose(total, 1.0, atol=1e-6):
        message = f"andelene summerer til {shown(round(total, 6))}, men skal summere til 1"
        issues.append(ValidationIssue("Bemanning", None, "andel", message))
    if NURSE_SKILL not in set(skills["skill"]):
        message = f"faggruppen «{NURSE_SKILL}» mangler (trengs for minstebemanning av sykepleiere)"
        issues.append(ValidationIssue("Bemanning", None, "fagkategori", message))
    return issues


def _check_key_figures(frames: Frames) -> list[ValidationIssue]:
    """Nokkeltall names a known indicator, and ``plasser:<plasstype>`` a type of «Plasstyper»."""
    issues = []
    types = set(frames["Plasstyper"]["bed_type"])
    for row in _records(frames["Nokkeltall"]):
        indicator = str(row["indicator"])
        if indicator in KEY_FIGURES:
            continue
        if indicator.startswith(BEDS_OF_TYPE):
            bed_type = indicator[len(BEDS_OF_TYPE) :].strip()
            if bed_type in types:
                continue
            message = unknown_name_message(bed_type, types, "Plasstyper")
        else:
            known = ", ".join([*KEY_FIGURES, f"{BEDS_OF_TYPE}<plasstype>"])
            message = f"ukjent indikator «{shown(indicator)}»: bruk en av {known}"
        issues.append(ValidationIssue("Nokkeltall", int(row["_row"]), "indikator", message))
    return issues


def _check_policies(frames: Frames) -> list[ValidationIssue]:
    """A policy's minimum may not exceed its maximum."""
    issues = []
    for row in _records(frames["Foringer"]):
        max_beds = row["max_beds"]
        if max_beds is not None and not pd.isna(max_beds) and row["min_beds"] > max_beds:
            message = f"min ({row['min_beds']}) er større enn maks ({int(max_beds)})"
            issues.append(ValidationIssue("Foringer", int(row["_row"]), "min", message))
    return issues


def _check_sharing(frames: Frames) -> list[ValidationIssue]:
    """Deling names known types, a type does not borrow from itself, and a reserved type lends nothing."""
    issues = []
    types = set(frames["Plasstyper"]["bed_type"])
    reserved = set(frames["Plasstyper"].loc[frames["Plasstyper"]["reserved"].astype(bool), "bed_type"])
    for row in _records(frames["Deling"]):
        excel_row = int(row["_row"])
        known = True
        for field, header in (("bed_type", "plasstype"), ("lender", "kan_bruke")):
            if row[field] not in types:
                issues.append(
                    ValidationIssue("Deling", excel_row, header, unknown_name_message(row[field], types, "Plasstyper"))
                )
                known = False
        if not known:
            continue
        if row["bed_type"] == row["lender"]:
            message = f"«{row['bed_type']}» kan ikke låne sine egne senger (velg en annen plasstype)"
            issues.append(ValidationIssue("Deling", excel_row, "kan_bruke", message))
        elif row["lender"] in reserved:
            message = (
                f"«{row['lender']}» er reservert (reservert = ja i «Plasstyper») og låner ikke ut senger: "
                "fjern raden eller sett reservert = nei"
            )
            issues.append(ValidationIssue("Deling", excel_row, "kan_bruke", message))
    return issues


# Each check runs on the rows that validated. It is skipped only when a sheet it compares against
# is incomplete (a row there failed), so that a name is never "unknown" because its own row was
# invalid, while every other problem is still reported in the same run.
_CROSS_CHECKS: tuple[tuple[tuple[str, ...], Callable[[Frames], list[ValidationIssue]]], ...] = (
    (("Lokasjoner",), functools.partial(_check_references, key="site")),
    (("Plasstyper",), functools.partial(_check_references, key="bed_type")),
    ((), _check_sites),
    (("Lokasjoner", "Plasstyper"), _check_season_and_capacity),
    (("Lokasjoner",), _check_bed_types),
    (("Plasstyper", "Parametre"), _check_years_ahead),
    (("Bemanning",), _check_skills),
    ((), _check_policies),
    (("Plasstyper",), _check_sharing),
    (("Plasstyper",), _check_key_figures),
)


def _settings(parameters: pd.DataFrame, issues: list[ValidationIssue]) -> Settings | None:
    """Parse the ``Parametre`` sheet into :class:`Settings`, checking names, ranges and presence."""
    specs = {spec.name: spec for spec in PARAMETERS}
    values: dict[str, Any] = {}
    for row in _records(parameters):
        spec = specs.get(row["name"])
        excel_row = int(row["_row"])
        if spec is None:
            message = f"ukjent parameter «{row['name']}» (kjente: {', '.join(specs)})"
            issues.append(ValidationIssue("Parametre", excel_row, "navn", message))
            continue
        value = float(row["value"])
        if spec.whole and not value.is_integer():
            issues.append(ValidationIssue("Parametre", excel_row, "verdi", "må være et heltall"))
            continue
        if value < spec.ge or (spec.le is not None and value > spec.le):
            upper = f" og høyst {shown(spec.le)}" if spec.le is not None else ""
            message = f"«{spec.name}» må være minst {shown(spec.ge)}{upper}, fikk {shown(value)}"
            issues.append(ValidationIssue("Parametre", excel_row, "verdi", message))
            continue
        values[SETTING_FIELDS[spec.name]] = int(value) if spec.whole else value
    free = {"total_min", "total_max"} & set(values)
    if "total_beds" not in values and not free and not any(i.sheet == "Parametre" for i in issues):
        message = (
            "parameteren «totalt_antall_plasser» mangler (eller gi «min_antall_plasser» og/eller "
            "«maks_antall_plasser» for å la modellen velge totalen)"
        )
        issues.append(ValidationIssue("Parametre", None, "navn", message))
    if "total_beds" in values and free:
        message = (
            "oppgi enten «totalt_antall_plasser» (fast total) eller «min_antall_plasser»/«maks_antall_plasser» "
            "(fri total), ikke begge"
        )
        issues.append(ValidationIssue("Parametre", None, "navn", message))
    if values.get("total_min", 0) > values.get("total_max", float("inf")):
        message = (
            f"min_antall_plasser ({values['total_min']}) er større enn maks_antall_plasser ({values['total_max']})"
        )
        issues.append(ValidationIssue("Parametre", None, "verdi", message))
    start, end = values.get("start_year"), values.get("end_year")
    if start is not None and end is not None and start > end:
        message = f"startaar ({start}) er etter sluttaar ({end})"
        issues.append(ValidationIssue("Parametre", None, "verdi", message))
    if issues:
        return None
    return Settings(**values)


def case_tables(case: Case) -> dict[str, pd.DataFrame]:
    """The case as input sheets with bokmål headers, in schema order (for templates and echoes)."""
    about = {
        "kommune": case.municipality,
        "referansealternativ": case.reference_alternative,
        "kildemerknad": case.source_note,
    }
    frames = {
        "Om": pd.DataFrame([{"field": k, "value": v} for k, v in about.items() if v], columns=["field", "value"]),
        "Lokasjoner": case.sites.reset_index(),
        "Plasstyper": case.bed_types.reset_index(),
        "Bemanning": case.skills.reset_index(),
        "Foringer": case.policies,
        "Parametre": case.parameters,
        "Alternativer": case.alternatives,
        "Sesong": case.season.reset_index() if not case.season.empty else case.season,
        "Befolkning": case.population,
        "Rater": case.rates,
        "Utbygging": case.capacity_options,
        "Nokkeltall": case.key_figures,
        "Belegg i dag": case.census_today,
        "Deling": case.sharing_input,
        "Kapasitet": case.capacity.assign(
            start=[f"{d:02d}.{m:02d}" for d, m in case.capacity["start"]],
            end=[f"{d:02d}.{m:02d}" for d, m in case.capacity["end"]],
        )
        if not case.capacity.empty
        else case.capacity,
    }
    tables = {}
    for spec in SHEETS:
        pairs = columns_of(spec.row_model)
        frame = frames[spec.name].reindex(columns=[name for name, _ in pairs])
        frame = frame.astype(object).where(frame.notna(), None)
        tables[spec.name] = frame.rename(columns=dict(pairs)).reset_index(drop=True)
    return tables
