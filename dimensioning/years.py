"""The years ahead: demand per year from the population projection, and bed plans per year.

Data in (``Befolkning``, ``Rater``, ``startaar``/``sluttaar``), one validated :class:`~.case.Case`
per year out (:func:`case_for_year`), so every single-year piece (real-year curves, the MIP, the
evaluation) is reused as it is. Strategies compared per year (besides the multi-year plan of
:mod:`~.model.multiyear`, :func:`solve_plan`):

- ``fixed_total`` («146 for alltid»): the case's total every year, the best split each year (the
  MIP; when the targets cannot all be met within the total, every type gets the same share of
  the beds its target needs, as large as the total allows: :func:`best_split`);
- ``coverage_ratio`` («dekningsgrad»): today's beds per 1,000 inhabitants aged 80+ held constant,
  split over types and sites by today's shares (today = the first alternative in the workbook).

Calibration: for each type the rates of ``Rater`` are scaled by one factor so that the start year
gives exactly ``innleggelser_per_aar``; the age groups keep the proportions the rates give them, so
a type used mostly by the oldest grows with them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .case import Case
from .evaluate import Evaluation, evaluate, targets_hold
from .model import BuildOptions, build_model, model_data, update_params
from .model.multiyear import CapacityOption, build_plan_model, opened_options
from .solve import SolveOptions, Termination, allocation_from_model, elastic_solution, run_solver

FIXED_TOTAL = "fast total"
COVERAGE_RATIO = "dekningsgrad"
PLAN = "plan"


def planning_years(case: Case) -> list[int]:
    """The years ahead: ``startaar``..``sluttaar``, by default the years of ``Befolkning``."""
    if case.population.empty:
        return []
    years = sorted(int(y) for y in case.population["year"].unique())
    start = case.settings.start_year or years[0]
    end = case.settings.end_year or years[-1]
    return list(range(start, end + 1))


def population_by_year(case: Case, years: list[int]) -> pd.DataFrame:
    """Inhabitants per year (rows) and age group (columns), linear between the years given.

    Years outside the sheet's range take the nearest year's figures (flat), which the caller
    reports; the validation makes every age group have the same years.
    """
    table = case.population.pivot_table(index="year", columns="age_group", values="inhabitants", aggfunc="sum")
    known = table.index.to_numpy(dtype=float)
    return pd.DataFrame(
        {group: np.interp(years, known, table[group].to_numpy(dtype=float)) for group in table.columns},
        index=pd.Index(years, name="year"),
    )


def demand_by_year(case: Case, years: list[int] | None = None) -> pd.DataFrame:
    r"""Admissions and length of stay per year and bed type, calibrated to the start year.

    .. math::
        \lambda_t(y) = \lambda_t \frac{\sum_g r_{t,g} P_g(y)}{\sum_g r_{t,g} P_g(y_0)}, \qquad
        L_t(y) = L_t (1 + \delta_t)^{y - y_0}

    with :math:`r_{t,g}` the rates of ``Rater``, :math:`P_g(y)` the population of ``Befolkning``,
    :math:`y_0` the start year and :math:`\delta_t` ``endring_liggetid_per_aar``.

    Returns:
        ``year, bed_type, arrivals_per_year, los_days, load_beds, growth`` (growth: arrivals
        relative to the start year).
    """
    years = years or planning_years(case)
    population = population_by_year(case, years)
    rows = []
    for t in case.bed_type_names:
        rates = case.rates[case.rates["bed_type"] == t]
        weights = rates.set_index("age_group")["admissions_per_1000"]
        raw = population[weights.index].to_numpy() @ weights.to_numpy() / 1000.0
        growth = raw / raw[0] if raw[0] > 0 else np.ones(len(years))
        change = float(rates["los_change_per_year"].iloc[0]) if len(rates) else 0.0
        arrivals = float(case.bed_types.at[t, "arrivals_per_year"]) * growth
        los = float(case.bed_types.at[t, "los_days"]) * (1.0 + change) ** (np.asarray(years) - years[0])
        for i, year in enumerate(years):
            rows.append(
                {
                    "year": year,
                    "bed_type": t,
                    "arrivals_per_year": float(arrivals[i]),
                    "los_days": float(los[i]),
                    "load_beds": float(arrivals[i] * los[i] / 365.0),
                    "growth": float(growth[i]),
                }
            )
    return pd.DataFrame(rows)


def case_for_year(case: Case, year: int, demand: pd.DataFrame | None = None) -> Case:
    """The case with that year's admissions and length of stay (everything else as given)."""
    demand = demand if demand is not None else demand_by_year(case)
    rows = demand[demand["year"] == year].set_index("bed_type")
    if rows.empty:
        msg = f"{year} is not among the planning years"
        raise ValueError(msg)
    bed_types = case.bed_types.copy()
    bed_types["arrivals_per_year"] = rows["arrivals_per_year"].reindex(bed_types.index).to_numpy()
    bed_types["los_days"] = rows["los_days"].reindex(bed_types.index).to_numpy()
    return case.replace(bed_types=bed_types)


def oldest_group(case: Case) -> str:
    """The age group the coverage ratio counts: the one named like «80+», else the last one."""
    groups = list(dict.fromkeys(case.population["age_group"]))
    for group in groups:
        if group.replace(" ", "").startswith("80") or "80+" in group:
            return group
    return groups[-1]


def today_allocation(case: Case) -> tuple[str, pd.DataFrame]:
    """Today's split: the first alternative in the workbook (Drammen: «Dagens (mars 2024)»)."""
    name = case.alternative_names[0]
    rows = case.alternatives[case.alternatives["alternative"] == name]
    return name, rows.groupby(["site", "bed_type"], sort=False)["beds"].sum().reset_index()


def coverage_ratio_allocation(today: pd.DataFrame, factor: float) -> pd.DataFrame:
    """Today's split scaled by ``factor`` (largest remainder: the total is ``round(factor × today)``)."""
    beds = today["beds"].to_numpy(dtype=float) * factor
    whole = np.floor(beds).astype(int)
    target = int(round(today["beds"].sum() * factor))
    order = np.argsort(-(beds - whole), kind="stable")
    whole[order[: max(0, target - whole.sum())]] += 1
    return today.assign(beds=whole)


@dataclass(frozen=True)
class YearsResult:
    """Bed plans per year under each strategy, evaluated alike (tidy frames, nothing from Pyomo).

    Attributes:
        demand: :func:`demand_by_year`.
        population: Inhabitants per year and age group (:func:`population_by_year`).
        per_type: ``strategy, year, bed_type, beds, max_blocking, blocking_year, holds,
            turned_away_per_year, waiting_days_per_year, mean_wait_days, unmet_booked_days_per_year``.
        per_year: ``strategy, year, beds, staff_fte, total_cost_nok, turned_away_per_year,
            ukp_days_per_year, ukp_cost_nok, broken_rules, meets_targets``.
        allocations: ``strategy, year, site, bed_type, beds``.
        first_break: Per bed type, the first year the fixed total's best split misses the type's
            target (None: it holds every year).
        today_name: The alternative used as today's split.
        oldest_group: The age group of the coverage ratio.
        site_capacity: Beds the sites hold in all (``Lokasjoner.plasser``).
        openings: ``option -> first year in service`` in the plan (options never opened are absent).
        plan_status: The multi-year MIP's solver status (optimal, or the gap when stopped).
        plan_note: Why there is no plan (bokmål), or "" when there is one.
    """

    demand: pd.DataFrame
    population: pd.DataFrame
    per_type: pd.DataFrame
    per_year: pd.DataFrame
    allocations: pd.DataFrame
    first_break: dict[str, int | None]
    today_name: str
    oldest_group: str
    site_capacity: int
    openings: dict[str, int]
    plan_status: object
    plan_note: str = ""


def best_split(case: Case, options: SolveOptions | None = None, steps: int = 7) -> pd.DataFrame:
    r"""The cheapest split within the rules; when the targets cannot all be met, the fairest shortfall.

    Then every type keeps the same share *f* of the beds its target needs,
    :math:`c_t \ge \lfloor f\, c^{min}_t \rfloor`, with the largest *f* the total allows (bisection,
    ``steps`` halvings), and among those splits the cheapest. (Dropping the targets instead lets
    the cost alone decide, and it closes the small units whose patients are cheap to turn away;
    the elastic model's fewest missing beds does much the same.) When no *f* works (a building
    rule), the elastic model's split.
    """
    from pyomo.contrib.solver.solvers.highs import Highs

    data = model_data(case)
    # one model in sweep mode and one persistent solver: each share only changes the targets
    m = build_model(data, BuildOptions(sweep=True))
    solver = Highs()

    def attempt(share: float) -> pd.DataFrame | None:
        needed = {t: int(np.floor(share * c + 1e-9)) for t, c in data.min_beds_for_target.items()}
        update_params(m, dataclasses.replace(data, min_beds_for_target=needed))
        if run_solver(m, options, solver).termination is Termination.INFEASIBLE:
            return None
        return allocation_from_model(m)

    best = attempt(1.0)
    if best is not None:
        return best
    low, high, best = 0.0, 1.0, attempt(0.0)
    if best is None:
        return elastic_solution(case, options)[1]
    for _ in range(steps):
        middle = 0.5 * (low + high)
        found = attempt(middle)
        if found is None:
            high = middle
        else:
            low, best = middle, found
    return best


def capacity_options(case: Case) -> list[CapacityOption]:
    """The rows of ``Utbygging`` as :class:`~.model.multiyear.CapacityOption` (workbook order)."""
    return [
        CapacityOption(
            name=str(r.option),
            site=str(r.site),
            earliest_year=int(r.earliest_year),
            beds=int(r.beds),
            single_rooms=int(r.single_rooms_bath + r.single_rooms_no_bath),
            bath_rooms=int(r.single_rooms_bath),
            screened_rooms=int(r.screened_rooms),
            investment=float(r.investment),
            yearly_cost=float(r.yearly_cost),
        )
        for r in case.capacity_options.itertuples()
    ]


def sites_with_options(case: Case, opened: set[str]) -> pd.DataFrame:
    """``Lokasjoner`` with a row for every new site of an option, and the opened options' beds and rooms added."""
    sites = case.sites.copy()
    for r in case.capacity_options.itertuples():
        if r.site not in sites.index:
            row = {c: 0 for c in sites.columns if c not in ("source",)}
            row.update(
                {
                    "pool": bool(r.pool),
                    "training_hall": bool(r.training_hall),
                    "relatives_overnight": bool(r.relatives_overnight),
                    "doctor_office": bool(r.doctor_office),
                    "source": f"Ny lokasjon fra «Utbygging»: {r.option}",
                }
            )
            sites.loc[r.site] = pd.Series(row)
        if r.option in opened:
            for column, value in (
                ("beds", r.beds),
                ("single_rooms_bath", r.single_rooms_bath),
                ("single_rooms_no_bath", r.single_rooms_no_bath),
                ("screened_rooms", r.screened_rooms),
            ):
                sites.at[r.site, column] = int(sites.at[r.site, column]) + int(value)
    for column in ("beds", "single_rooms_bath", "single_rooms_no_bath", "double_rooms", "screened_rooms"):
        sites[column] = sites[column].astype(int)
    return sites


def plan_case(case: Case, year: int, demand: pd.DataFrame, opened: set[str] | None = None) -> Case:
    """Year *y* of the plan: that year's demand, the option sites, and the total rule of that year.

    Up to ``fast_total_til_aar`` the total is ``totalt_antall_plasser``; after it the plan chooses
    the total, no fewer beds than today and at most what the sites and every option hold.
    ``opened`` adds those options' beds and rooms (for evaluating a plan; the model adds them itself).
    """
    year_case = case_for_year(case, year, demand)
    sites = sites_with_options(case, opened or set())
    settings = case.settings
    until = settings.fixed_total_until
    if settings.total_beds is not None and until is not None and year > until:
        everything = int(case.sites["beds"].sum() + case.capacity_options["beds"].sum())
        settings = dataclasses.replace(settings, total_beds=None, total_min=settings.total_beds, total_max=everything)
    return year_case.replace(sites=sites, settings=settings)


def solve_plan(
    case: Case, years: list[int], demand: pd.DataFrame, options: SolveOptions | None = None
) -> tuple[dict[int, pd.DataFrame] | None, dict[int, set[str]] | None, object]:
    """Solve the multi-year MIP: the split per year and the options in service per year (None, None if infeasible)."""
    settings = case.settings
    year_data = {y: model_data(plan_case(case, y, demand)) for y in years}
    m = build_plan_model(
        year_data,
        capacity_options(case),
        discount_rate=settings.discount_rate,
        max_site_change=settings.max_site_change,
        max_nurse_growth=settings.max_nurse_growth,
    )
    status = run_solver(m, options)
    if status.termination is Termination.INFEASIBLE:
        return None, None, status
    allocations = {y: allocation_from_model(m.year[y]) for y in years}
    return allocations, opened_options(m), status


def plan_years(case: Case, years: list[int] | None = None, options: SolveOptions | None = None) -> YearsResult:
    """Evaluate «fast total», «dekningsgrad» and the multi-year plan in every planning year (module docstring).

    Raises:
        ValueError: Without ``Befolkning``/``Rater`` or without an alternative for today's split.
    """
    if case.population.empty or case.rates.empty:
        msg = "the case has no Befolkning and Rater sheets"
        raise ValueError(msg)
    if not case.alternative_names:
        msg = "the case has no alternative to take as today's split"
        raise ValueError(msg)
    years = years or planning_years(case)
    demand = demand_by_year(case, years)
    population = population_by_year(case, years)
    group = oldest_group(case)
    today_name, today = today_allocation(case)
    old = population[group].to_numpy(dtype=float)
    evaluations: list[tuple[str, int, Evaluation]] = []
    for i, year in enumerate(years):
        year_case = case_for_year(case, year, demand)
        evaluations.append(
            (FIXED_TOTAL, year, evaluate(year_case, best_split(year_case, options), FIXED_TOTAL, free_bed=False))
        )
        ratio = coverage_ratio_allocation(today, old[i] / old[0] if old[0] > 0 else 1.0)
        evaluations.append((COVERAGE_RATIO, year, evaluate(year_case, ratio, COVERAGE_RATIO, free_bed=False)))
    plan_allocations, opened, status = solve_plan(case, years, demand, options)
    openings: dict[str, int] = {}
    note = ""
    if opened is None:
        note = (
            "Planen har ingen løsning: kravene kan ikke oppfylles hvert år med lokalene og utbyggingene i "
            "«Utbygging». Gi flere eller tidligere utbygginger, eller se hvilke krav som mangler senger med "
            "«dimension solve» for det året."
        )
    else:
        for year in years:
            year_case = plan_case(case, year, demand, opened[year])
            evaluations.append((PLAN, year, evaluate(year_case, plan_allocations[year], PLAN, free_bed=False)))
            for option in sorted(opened[year] - set(openings)):
                openings[option] = year
    per_type, per_year, allocations = _tables(case, evaluations)
    fixed = per_type[per_type["strategy"] == FIXED_TOTAL]
    first_break = {}
    for t in case.bed_type_names:
        broken = fixed[(fixed["bed_type"] == t) & ~fixed["holds"]]["year"]
        first_break[t] = int(broken.min()) if len(broken) else None
    capacity = int(case.sites["beds"].sum())
    return YearsResult(
        demand,
        population,
        per_type,
        per_year,
        allocations,
        first_break,
        today_name,
        group,
        capacity,
        openings,
        status,
        note,
    )


def _tables(
    case: Case, evaluations: list[tuple[str, int, Evaluation]]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stack the evaluations into the per-type, per-year and allocation frames of :class:`YearsResult`.

    A type holds its targets when its share not served is within ``maks_avvisning`` and, with a
    ``maks_ventetid_dager``, its mean wait is within that (computed, the real year).
    """
    per_type, per_year, allocations = [], [], []
    for strategy, year, e in evaluations:
        q = e.queueing
        holds = targets_hold(case, q["blocking_year"].to_numpy(), q["mean_wait_days"].to_numpy())
        per_type.append(
            q.assign(strategy=strategy, year=year, holds=holds)[
                [
                    "strategy",
                    "year",
                    "bed_type",
                    "beds",
                    "max_blocking",
                    "blocking_year",
                    "holds",
                    "turned_away_per_year",
                    "waiting_days_per_year",
                    "mean_wait_days",
                    "unmet_booked_days_per_year",
                ]
            ]
        )
        c = e.costs.iloc[0]
        per_year.append(
            {
                "strategy": strategy,
                "year": year,
                "beds": int(c["beds"]),
                "staff_fte": float(c["staff_fte"]),
                "total_cost_nok": float(c["total_cost_nok"]),
                "turned_away_per_year": float(c["turned_away_per_year"]),
                "ukp_days_per_year": float(c["ukp_days_per_year"]),
                "ukp_cost_nok": float(c["ukp_cost_nok"]),
                "broken_rules": int(c["broken_rules"]),
                "meets_targets": bool(holds.all()),
            }
        )
        allocations.append(e.allocation[e.allocation["beds"] > 0].assign(strategy=strategy, year=year))
    columns = ["strategy", "year", "site", "bed_type", "beds"]
    return (
        pd.concat(per_type, ignore_index=True),
        pd.DataFrame(per_year),
        pd.concat(allocations, ignore_index=True)[columns],
    )
