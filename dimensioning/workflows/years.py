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
import itertools
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dimensioning.common.errors import InputError, ValidationIssue, shown
from dimensioning.inputs.case import Case
from dimensioning.model import BuildOptions, build_model, model_data, update_params
from dimensioning.model.multiyear import (
    CapacityOption,
    build_plan_model,
    opened_options,
    option_beds_by_site,
    year_weights,
)
from dimensioning.model.params import ModelData
from dimensioning.queueing.erlang import load_compiled
from dimensioning.queueing.seasons import RealYearCurves, remember_curves
from dimensioning.solve import (
    SolveOptions,
    SolveStatus,
    Termination,
    allocation_from_model,
    elastic_solution,
    persistent_solver,
    run_solver,
)
from dimensioning.workflows.evaluate import Evaluation, evaluate, targets_hold
from dimensioning.workflows.shortfall import fair_share_split

FIXED_TOTAL = "fast total"
COVERAGE_RATIO = "dekningsgrad"
PLAN = "plan"


def planning_years(case: Case) -> list[int]:
    """The planned years: every ``planaar_hvert``-th from ``startaar`` to ``sluttaar``, and ``sluttaar``.

    Start and end default to the first and last year of ``Befolkning``.
    """
    if case.population.empty:
        return []
    years = sorted(int(y) for y in case.population["year"].unique())
    start = case.settings.start_year or years[0]
    end = case.settings.end_year or years[-1]
    chosen = list(range(start, end + 1, max(1, int(case.settings.plan_step_years))))
    return chosen if chosen[-1] == end else [*chosen, end]


def calibration_year(case: Case) -> int:
    """The year whose demand is ``innleggelser_per_aar``: ``startaar``, else the first year of ``Befolkning``."""
    years = sorted(int(y) for y in case.population["year"].unique())
    return int(case.settings.start_year or years[0])


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
    base_year = calibration_year(case)
    population = population_by_year(case, [base_year, *years])
    rows = []
    for t in case.bed_type_names:
        rates = case.rates[case.rates["bed_type"] == t]
        weights = rates.set_index("age_group")["admissions_per_1000"]
        raw_all = population[weights.index].to_numpy() @ weights.to_numpy() / 1000.0
        base, raw = raw_all[0], raw_all[1:]
        if base <= 0:
            message = (
                f"plasstypen «{t}» har ingen innleggelser i {base_year} etter «Befolkning» og «Rater» "
                "(befolkning eller rater er 0): veksten fram til årene i planen kan ikke regnes"
            )
            raise InputError("Befolkning", [ValidationIssue("Befolkning", None, "innbyggere", message)])
        # demand in a year depends only on that year: growth is counted from the start year, whose
        # demand is innleggelser_per_aar, whichever years are planned
        growth = raw / base
        change = float(rates["los_change_per_year"].iloc[0]) if len(rates) else 0.0
        arrivals = float(case.bed_types.at[t, "arrivals_per_year"]) * growth
        los = float(case.bed_types.at[t, "los_days"]) * (1.0 + change) ** (np.asarray(years) - base_year)
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
    """The case with that year's admissions, length of stay and staff limits (everything else as given).

    The FTE the kommune can staff grow by ``vekst_tilgjengelige_aarsverk`` a year from the start
    year: :math:`A_k (1 + g)^{y - y_0}` (e.g. nurses 1 % a year while the 80+ grow 4 %).
    """
    demand = demand if demand is not None else demand_by_year(case)
    rows = demand[demand["year"] == year].set_index("bed_type")
    if rows.empty:
        msg = f"{year} is not among the planning years"
        raise ValueError(msg)
    bed_types = case.bed_types.copy()
    bed_types["arrivals_per_year"] = rows["arrivals_per_year"].reindex(bed_types.index).to_numpy()
    bed_types["los_days"] = rows["los_days"].reindex(bed_types.index).to_numpy()
    growth = case.settings.staff_growth
    if growth and "available_fte" in case.skills:
        skills = case.skills.copy()
        skills["available_fte"] = skills["available_fte"] * (1.0 + growth) ** (year - calibration_year(case))
        return case.replace(bed_types=bed_types, skills=skills)
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
        plan_first_break: Per bed type, the first year the plan misses the type's target (None:
            it holds every year). The plan misses only where no schedule of the options can hold.
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
    plan_first_break: dict[str, int | None] = dataclasses.field(default_factory=dict)


#: Sweep-mode models kept by this process, one per purpose and model shape: a year of the plan
#: updates the parameters of last year's model instead of building it again. Each solve still
#: gets a fresh solver, so a year's answer does not depend on which years the process did before.
_SWEEP_MODELS: dict[tuple[str, tuple], Any] = {}


def sweep_model(purpose: str, data: ModelData) -> Any:
    """A sweep-mode model of ``data``: built once per ``purpose`` and shape, then only updated."""
    key = (purpose, data.structure_key)
    m = _SWEEP_MODELS.get(key)
    if m is None:
        m = _SWEEP_MODELS[key] = build_model(data, BuildOptions(sweep=True))
    else:
        update_params(m, data)
    return m


def best_split(case: Case, options: SolveOptions | None = None, steps: int = 7) -> pd.DataFrame:
    r"""The cheapest split within the rules; when the targets cannot all be met, the fairest shortfall.

    Then every type keeps the same share *f* of the beds its target needs,
    :math:`c_t \ge \lfloor f\, c^{min}_t \rfloor`, with the largest *f* the total allows (bisection,
    ``steps`` halvings), and among those splits the cheapest. (Dropping the targets instead lets
    the cost alone decide, and it closes the small units whose patients are cheap to turn away;
    the elastic model's fewest missing beds does much the same.) When no *f* works (a building
    rule), the elastic model's split.
    """
    data = model_data(case)
    # one model in sweep mode and one persistent solver: each share only changes the targets
    m = sweep_model("split", data)
    solver = persistent_solver()
    try:
        return _bisect_share(case, data, m, solver, options, steps)
    finally:
        update_params(m, data)  # the case's own targets again: the model is the year's rule check


def _bisect_share(
    case: Case, data: ModelData, m: Any, solver: Any, options: SolveOptions | None, steps: int
) -> pd.DataFrame:
    """The bisection of :func:`best_split` on a model of ``data`` and its persistent solver."""
    found = fair_share_split(data, m, solver, options, steps)
    return elastic_solution(case, options)[1] if found is None else found[0]


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


#: Most single-year solves the year-by-year method may take (2^options per year); beyond, one MIP.
MAX_YEAR_BY_YEAR_SOLVES = 400


def solve_plan(
    case: Case,
    years: list[int],
    demand: pd.DataFrame,
    options: SolveOptions | None = None,
    method: str = "auto",
    jobs: int | None = None,
) -> tuple[dict[int, pd.DataFrame] | None, dict[int, set[str]] | None, SolveStatus]:
    """Solve the multi-year plan: the split per year and the options in service per year (None, None if infeasible).

    Args:
        case: The case (``Utbygging``, ``Parametre``).
        years: The planned years, in order.
        demand: :func:`demand_by_year` for those years.
        options: Solver settings.
        method: ``"years"`` (:func:`solve_plan_by_years`, exact when only the options link the
            years), ``"mip"`` (:func:`solve_plan_mip`, one MIP over all years) or ``"auto"``:
            year by year unless ``maks_endring_per_lokasjon`` or ``maks_vekst_sykepleiere`` link the
            years' beds, or the options are so many that one MIP is quicker.
        jobs: Processes for the year-by-year method (default: one per core).
    """
    if method == "auto":
        method = plan_method(case, years)
    if method == "years":
        return solve_plan_by_years(case, years, demand, options, jobs)
    return solve_plan_mip(case, years, demand, options)


def plan_method(case: Case, years: list[int]) -> str:
    """``"years"`` unless rules link the years' beds or the options are too many (see :func:`solve_plan`)."""
    settings = case.settings
    linked = settings.max_site_change is not None or settings.max_nurse_growth is not None
    count = sum(2 ** sum(o.earliest_year <= y for o in capacity_options(case)) for y in years)
    return "mip" if linked or count > MAX_YEAR_BY_YEAR_SOLVES else "years"


def solve_plan_mip(
    case: Case, years: list[int], demand: pd.DataFrame, options: SolveOptions | None = None
) -> tuple[dict[int, pd.DataFrame] | None, dict[int, set[str]] | None, SolveStatus]:
    """The multi-year MIP of :mod:`~.model.multiyear` in one solve (every linking rule)."""
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


def solve_plan_by_years(
    case: Case, years: list[int], demand: pd.DataFrame, options: SolveOptions | None = None, jobs: int | None = None
) -> tuple[dict[int, pd.DataFrame] | None, dict[int, set[str]] | None, SolveStatus]:
    r"""The same plan as :func:`solve_plan_mip`, exactly, by dynamic programming over the options.

    When only the options link the years, the discounted cost separates: year *y*'s best split
    depends only on the set :math:`S` of options in service, so

    .. math::
        V_y(S) = \omega_y \bigl(K^*_y(S) + \textstyle\sum_{j \in S} F_j\bigr)
        + \min_{S' \subseteq S} \Bigl(V_{y-1}(S') + \delta_y \textstyle\sum_{j \in S \setminus S'} I_j\Bigr)

    with :math:`\omega_y` the year's weight (:func:`~.model.multiyear.year_weights`: its discount
    factor, or the sum over the years until the next planned year) and :math:`K^*_y(S)` the
    single-year MIP's optimum (tie-break included) with the beds and rooms of :math:`S` added to
    their sites (:func:`year_option_costs`). Ties go to the set met first (fewer options, workbook
    order). Proven optimal when every single-year solve is.
    """
    started = time.perf_counter()
    costs = map_years(year_option_costs, (case, demand, options), [(year,) for year in years], jobs)
    return schedule_options(case, years, costs, time.perf_counter() - started)


#: One single-year solve of the plan: the options in service, the solver's status, the split, and
#: whether every target holds (False: the fair share of :func:`fair_share_split`, a shortfall).
OptionCost = tuple[frozenset[str], SolveStatus, pd.DataFrame, bool]


def year_option_costs(case: Case, demand: pd.DataFrame, options: SolveOptions | None, year: int) -> list[OptionCost]:
    """Year *y*'s best split for every set of options available that year.

    One sweep-mode model and one persistent solver for the year: a set of options only changes
    the sites' beds and rooms. Sets come in order of size, then workbook order. When no set can
    meet every target that year, each set gets the fair-share split (every type the same share of
    the beds its target needs, as many as the beds allow), marked as a shortfall; a set that breaks
    a building rule even then is left out. When some set meets every target, the sets that do not
    are left out (they would only add a year of shortfall to any schedule through them).
    """
    plan_options = capacity_options(case)
    base = model_data(plan_case(case, year, demand))
    base = dataclasses.replace(base, option_beds=option_beds_by_site(plan_options, base.sites))
    m = sweep_model("options", base)
    solver = persistent_solver()
    available = [o for o in plan_options if o.earliest_year <= year]
    sets = [chosen for size in range(len(available) + 1) for chosen in itertools.combinations(available, size)]
    found, short = [], []
    for chosen in sets:
        data = _with_options(base, chosen)
        update_params(m, data)
        status = run_solver(m, options, solver)
        if status.termination is not Termination.INFEASIBLE:
            found.append((frozenset(o.name for o in chosen), status, allocation_from_model(m), True))
        else:
            short.append((chosen, data))
    # a year in which some set holds every target needs no shortfall: more options never hold fewer
    # targets (they only add beds and rooms), so a set that falls short is never on the best schedule
    for chosen, data in [] if found else short:
        split = fair_share_split(data, m, solver, options)
        if split is None and data.available_fte and data.total_beds > 0:
            # staff that cannot be hired cannot run the fixed total either: fewer beds, as many as staffed
            relaxed = dataclasses.replace(data, total_beds=0)
            split = fair_share_split(relaxed, sweep_model("staffed", relaxed), persistent_solver(), options)
            split = None if split is None else (split[0], split[1], False)
        if split is not None:
            found.append((frozenset(o.name for o in chosen), split[1], split[0], split[2]))
    update_params(m, base)
    return found


def schedule_options(
    case: Case, years: list[int], costs: dict[int, list[OptionCost]], runtime_s: float = 0.0
) -> tuple[dict[int, pd.DataFrame] | None, dict[int, set[str]] | None, SolveStatus]:
    """The best irreversible schedule of options over the years (the recursion of :func:`solve_plan_by_years`).

    Best means: the fewest years in which a target cannot hold, then the least discounted cost
    (staff, the patients turned away and waiting at their prices, the investments). So the plan
    keeps every target whenever some schedule can, and otherwise it is the cheapest among those
    that miss in the fewest years, the shortfall itself priced in its cost.
    """
    by_name = {o.name: o for o in capacity_options(case)}
    rate = case.settings.discount_rate
    weight = year_weights(years, rate)
    Value = tuple[int, float]  # noqa: N806 - (years with a shortfall, discounted cost)
    value: dict[frozenset[str], Value] = {frozenset(): (0, 0.0)}
    paths: dict[frozenset[str], list[tuple[int, frozenset[str], pd.DataFrame]]] = {frozenset(): []}
    statuses = [status for year in years for _, status, _, _ in costs[year]]
    for year in years:
        discount = (1.0 + rate) ** -(year - years[0])
        new_value: dict[frozenset[str], Value] = {}
        new_paths: dict[frozenset[str], list[tuple[int, frozenset[str], pd.DataFrame]]] = {}
        for names, status, allocation, holds in costs[year]:
            before = [
                ((v[0], v[1] + discount * _investment(by_name, names - s)), s) for s, v in value.items() if s <= names
            ]
            if not before:
                continue
            best_before, previous = min(before, key=lambda pair: pair[0])
            yearly = status.objective_nok + sum(by_name[j].yearly_cost for j in names)
            new_value[names] = (best_before[0] + (0 if holds else 1), best_before[1] + weight[year] * yearly)
            new_paths[names] = [*paths[previous], (year, names, allocation)]
        value, paths = new_value, new_paths
        if not value:
            break
    solver = f"{statuses[0].solver} (år for år)" if statuses else "HiGHS (år for år)"
    if not value:
        nan = float("nan")
        return None, None, SolveStatus(Termination.INFEASIBLE, nan, nan, nan, runtime_s, solver)
    end = min(value, key=lambda s: value[s])
    proven = all(s.termination is Termination.OPTIMAL for s in statuses)
    gap = max((s.gap for s in statuses), default=0.0)
    termination = Termination.OPTIMAL if proven else Termination.FEASIBLE
    # a year stopped by the clock makes the whole plan machine-dependent; else by the node count
    stops = {s.stopped for s in statuses}
    stopped = "tid" if "tid" in stops else ("noder" if "noder" in stops else "")
    cost = value[end][1]
    status = SolveStatus(termination, cost, cost, gap, runtime_s, solver, stopped)
    allocations = {year: allocation for year, _, allocation in paths[end]}
    in_service = {year: set(names) for year, names, _ in paths[end]}
    return allocations, in_service, status


def _investment(by_name: dict[str, CapacityOption], opened: frozenset[str]) -> float:
    """The one-off investment of the options opened."""
    return sum(by_name[j].investment for j in opened)


def _with_options(data: ModelData, chosen: tuple[CapacityOption, ...]) -> ModelData:
    """Model data with the beds and rooms of the chosen options added to their sites."""
    beds, single = dict(data.site_beds), dict(data.single_rooms)
    bath, screened = dict(data.bath_rooms), dict(data.screened_rooms)
    for o in chosen:
        beds[o.site] += o.beds
        single[o.site] += o.single_rooms
        bath[o.site] += o.bath_rooms
        screened[o.site] += o.screened_rooms
    return dataclasses.replace(data, site_beds=beds, single_rooms=single, bath_rooms=bath, screened_rooms=screened)


def plan_years(
    case: Case,
    years: list[int] | None = None,
    options: SolveOptions | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> YearsResult:
    """Evaluate «fast total», «dekningsgrad» and the multi-year plan in every planning year (module docstring).

    Args:
        case: The case, with ``Befolkning``, ``Rater`` and today's split as its first alternative.
        years: The years (default :func:`planning_years`).
        options: Solver settings.
        jobs: Worker processes for the years (default: one per core; 1 runs in this process).
            Each year's work (its best split within the total, the coverage ratio, and, for the
            plan, its best split for every set of options) is independent; the result does not
            depend on how the years are shared out.
        progress: Called with the number of years finished so far and the number of years.

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
    factors = [old[i] / old[0] if old[0] > 0 else 1.0 for i in range(len(years))]
    method = plan_method(case, years)
    started = time.perf_counter()
    tasks = list(zip(years, factors, strict=True))
    work = map_years(year_work, (case, demand, today, options, method), tasks, jobs, progress)
    evaluations = [e for year in years for e in work[year][0]]
    for year in years:
        remember_curves(plan_case(case, year, demand), work[year][2])
    if method == "years":
        costs = {year: work[year][1] for year in years}
        plan_allocations, opened, status = schedule_options(case, years, costs, time.perf_counter() - started)
    else:
        plan_allocations, opened, status = solve_plan_mip(case, years, demand, options)
    openings: dict[str, int] = {}
    note = ""
    if opened is None:
        stuck = next((y for y in years if method == "years" and not work[y][1]), None)
        when = (
            f"i {stuck} kan kravene ikke oppfylles, selv med alle utbyggingene som kan være i drift da"
            if stuck is not None
            else "kravene kan ikke oppfylles hvert år med lokalene og utbyggingene i «Utbygging»"
        )
        note = (
            f"Planen har ingen løsning: {when}. Gi flere eller tidligere utbygginger, eller se hvilke krav som "
            "mangler senger med «dimension solve --aar ÅR» for det året."
        )
    else:
        # the plan's years are evaluated on every core too (forked workers keep the curves)
        tasks = [(year, plan_allocations[year], frozenset(opened[year])) for year in years]
        planned = map_years(plan_year_evaluation, (case, demand), tasks, jobs)
        for year in years:
            evaluations.append((PLAN, year, planned[year]))
            for option in sorted(opened[year] - set(openings)):
                openings[option] = year
    per_type, per_year, allocations = _tables(case, evaluations)
    first_break = first_breaks(per_type, FIXED_TOTAL, case.bed_type_names)
    plan_first_break = first_breaks(per_type, PLAN, case.bed_type_names) if opened is not None else {}
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
        plan_first_break,
    )


def first_breaks(per_type: pd.DataFrame, strategy: str, bed_types: list[str]) -> dict[str, int | None]:
    """Per bed type, the first year the strategy misses the type's target (None: it holds every year)."""
    rows = per_type[per_type["strategy"] == strategy]
    first = {}
    for t in bed_types:
        broken = rows[(rows["bed_type"] == t) & ~rows["holds"]]["year"]
        first[t] = int(broken.min()) if len(broken) else None
    return first


def plan_shortfall(result: YearsResult, ukp_types: list[str]) -> pd.DataFrame:
    """The plan's years and types whose target does not hold: the patients without a bed, and their cost.

    Columns ``year, bed_type, beds, max_blocking, blocking_year, turned_away_per_year,
    ukp_days_per_year, shortfall_cost_nok`` (turned away at their price, and the days discharge-ready
    patients wait in hospital at the state's rate). Empty when the plan holds every target.
    """
    rows = result.per_type[(result.per_type["strategy"] == PLAN) & ~result.per_type["holds"]]
    ukp = rows["bed_type"].isin(ukp_types)
    return pd.DataFrame(
        {
            "year": rows["year"].astype(int),
            "bed_type": rows["bed_type"],
            "beds": rows["beds"].astype(int),
            "max_blocking": rows["max_blocking"],
            "blocking_year": rows["blocking_year"],
            "turned_away_per_year": rows["turned_away_per_year"],
            "ukp_days_per_year": np.where(ukp, rows["waiting_days_per_year"], 0.0),
            "shortfall_cost_nok": rows["turned_away_cost_nok"] + np.where(ukp, rows["waiting_cost_nok"], 0.0),
        }
    ).reset_index(drop=True)


#: What one year's work gives: its «fast total» and «dekningsgrad» evaluations, its option costs
#: (the year-by-year plan; None for one MIP) and its real-year curves (to keep in the parent).
YearWork = tuple[list[tuple[str, int, Evaluation]], list[OptionCost] | None, RealYearCurves]


def year_work(
    case: Case,
    demand: pd.DataFrame,
    today: pd.DataFrame,
    options: SolveOptions | None,
    method: str,
    year: int,
    factor: float,
) -> YearWork:
    """One year of :func:`plan_years`: the plan's option costs first (their curves cover the most beds)."""
    costs = year_option_costs(case, demand, options, year) if method == "years" else None
    curves = plan_case(case, year, demand).real_year_curves
    year_case = case_for_year(case, year, demand)
    split = best_split(year_case, options)
    checker = sweep_model("split", model_data(year_case))  # one rule check for both evaluations
    fixed = evaluate(year_case, split, FIXED_TOTAL, checker, free_bed=False)
    ratio = evaluate(year_case, coverage_ratio_allocation(today, factor), COVERAGE_RATIO, checker, free_bed=False)
    return [(FIXED_TOTAL, year, fixed), (COVERAGE_RATIO, year, ratio)], costs, curves


def plan_year_evaluation(
    case: Case, demand: pd.DataFrame, year: int, allocation: pd.DataFrame, opened: frozenset[str]
) -> Evaluation:
    """The plan's evaluation in one year, with the options in service that year (a task of :func:`map_years`).

    The rule check reuses this process's model of the same shape (parameters updated, not rebuilt).
    """
    year_case = plan_case(case, year, demand, set(opened))
    checker = sweep_model("plan check", model_data(year_case))
    return evaluate(year_case, allocation, PLAN, checker, free_bed=False)


_WORKER_TASK: tuple[Callable[..., Any], tuple] | None = None


def _init_year_worker(function: Callable[..., Any], shared: tuple) -> None:
    """Pool initializer: the function and its shared arguments; die with the parent, leave Ctrl-C to it."""
    global _WORKER_TASK  # noqa: PLW0603 - per-process worker state
    from dimensioning.workflows.sweep import die_with_parent

    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_TASK = (function, shared)


def _in_worker(year: int, *rest: object) -> tuple[int, Any]:
    """Pool task: one year with the worker's function and shared arguments."""
    assert _WORKER_TASK is not None
    function, shared = _WORKER_TASK
    return year, function(*shared, year, *rest)


def map_years(
    function: Callable[..., Any],
    shared: tuple,
    tasks: list[tuple],
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[int, Any]:
    """``{year: function(*shared, year, *rest)}`` for every task ``(year, *rest)``, here or in a pool.

    ``function`` must be a module-level function (it is sent to the workers). Results do not
    depend on how the years are shared out; ``jobs`` defaults to one process per core.
    """
    workers = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    done: dict[int, Any] = {}
    if workers == 1:
        for year, *rest in tasks:
            done[year] = function(*shared, year, *rest)
            if progress:
                progress(len(done), len(tasks))
        return done
    load_compiled()  # once here, not once in every forked worker
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_year_worker, initargs=(function, shared)) as pool:
        futures = [pool.submit(_in_worker, *task) for task in tasks]
        for future in as_completed(futures):
            year, result = future.result()
            done[year] = result
            if progress:
                progress(len(done), len(tasks))
    return done


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
                    "turned_away_cost_nok",
                    "waiting_cost_nok",
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


def plan_sweep(
    base: dict,
    scenarios: list,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    prepare: Callable[[Case], tuple[Case, list[int] | None]] | None = None,
) -> pd.DataFrame:
    """The multi-year plan for every scenario of a scenario workbook (``dimension plan --scenarier``).

    ``prepare`` turns each scenario's validated case into the case and years to plan (the
    command's ``--aar``, ``--fra``, ``--til`` and ``--dimensjonering``, which hold for every
    scenario); without it, every planning year of the scenario's own case.

    Each scenario's overrides (:mod:`~.scenarios`, with the sheets of the years ahead: a growth
    alternative, another discount rate, an option's earliest year) are applied to the base
    workbook's raw cells and validated as ``dimension plan`` would; a scenario that fails
    validation or has no plan is a row with its reason, and the others go on.

    Returns:
        One row per scenario: ``scenario, changes, status, reason, first_break_year,
        first_break_types, openings, plan_beds_last, plan_ukp_days_last, fixed_ukp_days_last,
        fixed_turned_away_last, ratio_beds_last, plan_cost_nok, plan_meets_targets, last_year``.
    """
    from dimensioning.common.errors import InputError
    from dimensioning.inputs.case import case_from_tables
    from dimensioning.inputs.scenarios import apply

    rows = []
    for number, scenario in enumerate(scenarios, start=1):
        changes = "; ".join(f"{header} = {shown(value)}" for header, value in scenario.changes.items())
        row: dict[str, Any] = {"scenario": scenario.name, "changes": changes, "status": "ok", "reason": ""}
        try:
            case = case_from_tables(apply(base, scenario), name=scenario.name, source=scenario.name)
            case, years = prepare(case) if prepare else (case, None)
            result = plan_years(case, years, jobs=jobs)
        except InputError as error:
            row.update(status="ugyldig inndata", reason="; ".join(str(i) for i in error.issues))
        except ValueError as error:
            row.update(status="ugyldig inndata", reason=str(error))
        else:
            row.update(plan_summary(result))
            if result.plan_note:
                row.update(status="ingen plan", reason=result.plan_note)
        rows.append(row)
        if progress:
            progress(number, len(scenarios))
    return pd.DataFrame(rows)


def plan_summary(result: YearsResult) -> dict[str, Any]:
    """The key figures of one plan: when today's total breaks, what opens when, and the last year."""
    per_year = result.per_year.set_index(["strategy", "year"])
    last = int(result.per_year["year"].max())
    broken = {t: y for t, y in result.first_break.items() if y is not None}
    first = min(broken.values()) if broken else None
    has_plan = (PLAN, last) in per_year.index
    plan = per_year.loc[(PLAN, last)] if has_plan else None
    return {
        "first_break_year": first,
        "first_break_types": ", ".join(t for t, y in broken.items() if y == first),
        "openings": "; ".join(f"{o} {y}" for o, y in sorted(result.openings.items(), key=lambda p: p[1])),
        "plan_beds_last": int(plan["beds"]) if has_plan else None,
        "plan_ukp_days_last": float(plan["ukp_days_per_year"]) if has_plan else None,
        "fixed_ukp_days_last": float(per_year.loc[(FIXED_TOTAL, last), "ukp_days_per_year"]),
        "fixed_turned_away_last": float(per_year.loc[(FIXED_TOTAL, last), "turned_away_per_year"]),
        "ratio_beds_last": int(per_year.loc[(COVERAGE_RATIO, last), "beds"]),
        "plan_cost_nok": float(result.plan_status.objective_nok) if has_plan else None,
        "plan_meets_targets": bool(per_year.loc[PLAN, "meets_targets"].all()) if has_plan else None,
        "last_year": last,
    }
