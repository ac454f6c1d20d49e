"""Discrete-event simulation of an allocation: seasons, holiday closures, overflow, reserved beds.

Engine: a plain event loop on numpy arrays and ``heapq`` (arrivals are drawn up front, vectorised;
departures live in a heap). It was chosen over simpy and ciw because a loss system with overflow
needs no process scheduling or queues, so a generator per patient would only add overhead; the
benchmark (``benchmarks/simulate.py``) reports events per second.

Rules, as in the municipality's allocation office:
- a patient first gets a bed of its own type at any site (the site with most free beds of it);
- if none is free and the type may use others' beds (``kan_bruke_andre``), the patient takes a
  free bed of another type that is not reserved (``reservert``), the one with most free beds;
- otherwise the patient is turned away (KAD to hospital; others wait outside, counted as turned away);
- during holiday closures (``Kapasitet``) only the open share of a site's beds takes new patients;
  patients already in a closing bed stay until discharge.

Arrivals are a non-homogeneous Poisson process (daily rates from ``Sesong``); stays are lognormal
with the type's mean and ``liggetid_cv``. Replications use independent streams from one seed
(``numpy.random.SeedSequence``), so results do not depend on how they are spread over cores.
"""

from __future__ import annotations

import heapq
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import queueing
from .case import Case
from .seasons import DAYS, MONTH_OF_DAY, arrivals_per_day, bed_matrix, beds_open_per_day


@dataclass(frozen=True)
class SimulationOptions:
    """How to simulate.

    Attributes:
        years: Simulated years after the warm-up.
        replications: Independent replications (for confidence intervals).
        seed: Master seed; the same seed gives the same numbers.
        warmup_years: Simulated time discarded at the start (the system starts empty).
        overflow: Let patients use other types' free beds (``kan_bruke_andre``); off gives one
            loss system per type, as the analytic model assumes.
        lift_reservation: Types whose reservation is lifted (free-bed principle for their beds).
        jobs: Worker processes (default: every core).
    """

    years: float = 10.0
    replications: int = 20
    seed: int = 2024
    warmup_years: float = 1.0
    overflow: bool = True
    lift_reservation: frozenset[str] = field(default_factory=frozenset)
    jobs: int | None = None


@dataclass(frozen=True)
class _Spec:
    """Plain arrays a worker needs (cheap to send to another process)."""

    beds: np.ndarray  # (S, T) int
    share: np.ndarray  # (365, S)
    rates: np.ndarray  # (365, T)
    mu: np.ndarray  # (T,)
    sigma: np.ndarray  # (T,)
    reserved: np.ndarray  # (T,) bool
    may_overflow: np.ndarray  # (T,) bool
    days: int
    warmup_days: int


def _spec(case: Case, allocation: pd.DataFrame, options: SimulationOptions) -> _Spec:
    """Arrays for the simulation of one allocation."""
    types = case.bed_type_names
    beds = bed_matrix(case, allocation)
    mu, sigma = queueing.lognormal_params(
        case.bed_types["los_days"].reindex(types).to_numpy(dtype=float),
        case.bed_types["los_cv"].reindex(types).to_numpy(dtype=float),
    )
    reserved = case.bed_types["reserved"].reindex(types).to_numpy(dtype=bool).copy()
    for i, t in enumerate(types):
        if t in options.lift_reservation:
            reserved[i] = False
    may = case.bed_types["may_overflow"].reindex(types).to_numpy(dtype=bool) & options.overflow
    warmup = int(round(options.warmup_years * DAYS))
    return _Spec(
        beds=beds,
        share=case.open_shares.to_numpy(dtype=float),
        rates=arrivals_per_day(case).to_numpy(dtype=float),
        mu=mu,
        sigma=sigma,
        reserved=reserved,
        may_overflow=may,
        days=warmup + int(round(options.years * DAYS)),
        warmup_days=warmup,
    )


def _replicate(spec: _Spec, seed: np.random.SeedSequence) -> dict[str, np.ndarray]:
    """One replication: counts by month of year and type, bed-days by month, site and type."""
    rng = np.random.default_rng(seed)
    n_sites, n_types = spec.beds.shape
    day_of_year = np.arange(spec.days) % DAYS
    counts = rng.poisson(spec.rates[day_of_year])  # (days, T)
    day_index, type_index = np.nonzero(counts)
    repeat = counts[day_index, type_index]
    arrival_day = np.repeat(day_index, repeat)
    arrival_type = np.repeat(type_index, repeat)
    times = arrival_day + rng.random(arrival_day.size)
    order = np.argsort(times, kind="stable")
    times, arrival_type = times[order], arrival_type[order]
    stays = rng.lognormal(spec.mu[arrival_type], spec.sigma[arrival_type])
    capacity = np.floor(spec.share[:, :, None] * spec.beds[None, :, :] + 1e-9).astype(int)  # (365, S, T)

    occupied = [[0] * n_types for _ in range(n_sites)]
    departures: list[tuple[float, int, int]] = []
    warm = spec.warmup_days
    months = MONTH_OF_DAY
    arrivals = np.zeros((12, n_types))
    turned_away = np.zeros((12, n_types))
    overflowed = np.zeros((12, n_types))
    lent = np.zeros(n_types)  # own beds used by other types' patients
    stays_site, stays_type, stays_start, stays_end = [], [], [], []
    lendable = [u for u in range(n_types) if not spec.reserved[u]]
    for a, t, stay in zip(times.tolist(), arrival_type.tolist(), stays.tolist(), strict=True):
        while departures and departures[0][0] <= a:
            _, s, u = heapq.heappop(departures)
            occupied[s][u] -= 1
        cap = capacity[int(a) % DAYS]
        best_site, best_free = -1, 0
        for s in range(n_sites):
            free = cap[s, t] - occupied[s][t]
            if free > best_free:
                best_site, best_free = s, free
        bed_type = t
        if best_site < 0 and spec.may_overflow[t]:
            for u in lendable:
                if u == t:
                    continue
                for s in range(n_sites):
                    free = cap[s, u] - occupied[s][u]
                    if free > best_free:
                        best_site, best_free, bed_type = s, free, u
        counted = a >= warm
        month = months[int(a) % DAYS]
        if counted:
            arrivals[month, t] += 1
        if best_site < 0:
            if counted:
                turned_away[month, t] += 1
            continue
        if bed_type != t and counted:
            overflowed[month, t] += 1
            lent[bed_type] += 1
        occupied[best_site][bed_type] += 1
        heapq.heappush(departures, (a + stay, best_site, bed_type))
        stays_site.append(best_site)
        stays_type.append(bed_type)
        stays_start.append(a)
        stays_end.append(a + stay)
    bed_days = _bed_days_by_month(
        np.array(stays_site, dtype=int),
        np.array(stays_type, dtype=int),
        np.array(stays_start),
        np.array(stays_end),
        n_sites,
        n_types,
        warm,
        spec.days,
    )
    open_days = capacity[day_of_year[warm:]]  # (days, S, T)
    available = np.zeros((12, n_sites, n_types))
    np.add.at(available, months[day_of_year[warm:]], open_days)
    return {
        "arrivals": arrivals,
        "turned_away": turned_away,
        "overflowed": overflowed,
        "lent": lent,
        "bed_days": bed_days,
        "available": available,
        "events": np.array([2 * times.size]),
    }


def _bed_days_by_month(
    site: np.ndarray,
    bed_type: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    n_sites: int,
    n_types: int,
    warm: int,
    days: int,
) -> np.ndarray:
    """Occupied bed-days per month of year, site and bed type, after the warm-up, up to the end."""
    grid = np.arange(warm, days + 1, dtype=float)
    out = np.zeros((12, n_sites, n_types))
    month = MONTH_OF_DAY[np.arange(warm, days) % DAYS]
    for s in range(n_sites):
        for u in range(n_types):
            mask = (site == s) & (bed_type == u)
            if not mask.any():
                continue
            a = np.sort(start[mask])
            e = np.sort(np.minimum(end[mask], days))
            # F(x) = sum_i clip(x - a_i, 0, e_i - a_i): bed-days occupied before time x
            ca = np.concatenate([[0.0], np.cumsum(a)])
            ce = np.concatenate([[0.0], np.cumsum(e)])
            na = np.searchsorted(a, grid, side="right")
            ne = np.searchsorted(e, grid, side="right")
            cumulative = (grid * na - ca[na]) - (grid * ne - ce[ne])
            np.add.at(out[:, s, u], month, np.diff(cumulative))
    return out


def run_replications(
    case: Case, allocation: pd.DataFrame, options: SimulationOptions | None = None
) -> list[dict[str, np.ndarray]]:
    """All replications of one allocation, in replication order (parallel over processes)."""
    options = options or SimulationOptions()
    spec = _spec(case, allocation, options)
    seeds = np.random.SeedSequence(options.seed).spawn(options.replications)
    workers = max(1, min(options.jobs or os.cpu_count() or 1, options.replications))
    if workers == 1:
        return [_replicate(spec, s) for s in seeds]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_replicate, [spec] * len(seeds), seeds, chunksize=max(1, len(seeds) // (workers * 4))))


@dataclass(frozen=True)
class SimulationResult:
    """Simulated key figures with 95 % confidence intervals over the replications.

    Attributes:
        per_type: ``bed_type, arrivals_per_year, blocking, blocking_ci, overflow_share,
            overflow_ci, occupancy, occupancy_ci, beds_lent_per_year``.
        per_month: ``bed_type, month, blocking, blocking_ci, occupancy, occupancy_ci``.
        per_site: ``site, bed_type, beds, occupancy, occupancy_ci``.
        events: Events simulated (arrivals and departures) in all replications.
        options: The options used.
    """

    per_type: pd.DataFrame
    per_month: pd.DataFrame
    per_site: pd.DataFrame
    events: int
    options: SimulationOptions


def _mean_ci(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and half-width of the 95 % t-interval over axis 0 (NaN-safe)."""
    import warnings

    from scipy.stats import t as student

    n = np.sum(~np.isnan(samples), axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a type without beds has no occupancy (NaN)
        mean = np.nanmean(samples, axis=0)
        sd = np.nanstd(samples, axis=0, ddof=1) if samples.shape[0] > 1 else np.zeros_like(mean)
    half = student.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(np.maximum(n, 1))
    return mean, half


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise ratio, NaN where the denominator is 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def simulate(case: Case, allocation: pd.DataFrame, options: SimulationOptions | None = None) -> SimulationResult:
    """Simulate an allocation and summarise blocking, overflow and occupancy with 95 % CIs."""
    options = options or SimulationOptions()
    reps = run_replications(case, allocation, options)
    types, sites = case.bed_type_names, case.site_names
    stack = {k: np.stack([r[k] for r in reps]) for k in reps[0]}
    arrivals, away, over = stack["arrivals"], stack["turned_away"], stack["overflowed"]
    blocking, blocking_ci = _mean_ci(_ratio(away.sum(1), arrivals.sum(1)))
    overflow, overflow_ci = _mean_ci(_ratio(over.sum(1), arrivals.sum(1)))
    used, available = stack["bed_days"], stack["available"]
    occupancy, occupancy_ci = _mean_ci(_ratio(used.sum((1, 2)), available.sum((1, 2))))
    per_type = pd.DataFrame(
        {
            "bed_type": types,
            "arrivals_per_year": arrivals.sum(1).mean(0) / options.years,
            "blocking": blocking,
            "blocking_ci": blocking_ci,
            "overflow_share": overflow,
            "overflow_ci": overflow_ci,
            "occupancy": occupancy,
            "occupancy_ci": occupancy_ci,
            "beds_lent_per_year": stack["lent"].mean(0) / options.years,
        }
    )
    month_blocking, month_blocking_ci = _mean_ci(_ratio(away, arrivals))
    month_occupancy, month_occupancy_ci = _mean_ci(_ratio(used.sum(2), available.sum(2)))
    per_month = pd.DataFrame(
        [
            {
                "bed_type": t,
                "month": m + 1,
                "blocking": month_blocking[m, i],
                "blocking_ci": month_blocking_ci[m, i],
                "occupancy": month_occupancy[m, i],
                "occupancy_ci": month_occupancy_ci[m, i],
            }
            for i, t in enumerate(types)
            for m in range(12)
        ]
    )
    site_occupancy, site_occupancy_ci = _mean_ci(_ratio(used.sum(1), available.sum(1)))
    beds = allocation.set_index(["site", "bed_type"])["beds"]
    per_site = pd.DataFrame(
        [
            {
                "site": s,
                "bed_type": t,
                "beds": int(beds.get((s, t), 0)),
                "occupancy": site_occupancy[j, i],
                "occupancy_ci": site_occupancy_ci[j, i],
            }
            for j, s in enumerate(sites)
            for i, t in enumerate(types)
            if beds.get((s, t), 0) > 0
        ]
    )
    return SimulationResult(per_type, per_month, per_site, int(stack["events"].sum()), options)


def analytic_check(case: Case, allocation: pd.DataFrame, options: SimulationOptions | None = None) -> pd.DataFrame:
    """Analytic blocking (Erlang B and the modified offered load) beside simulated blocking.

    The simulation runs without overflow, since both formulas describe one loss system per type.
    The MOL column uses the beds open on each day (holiday closures) and the seasonal loads.

    Returns:
        ``bed_type, beds, erlang_b, sipp, mol, simulated, simulated_ci, difference_mol`` per bed
        type. SIPP (stationary independent period-by-period) uses each month's own stationary load
        ``lambda_month * L`` and the beds open each day; MOL lags the load by the length of stay.
    """
    options = options or SimulationOptions()
    from dataclasses import replace

    simulated = simulate(case, allocation, replace(options, overflow=False)).per_type.set_index("bed_type")
    beds = allocation.groupby("bed_type")["beds"].sum().reindex(case.bed_type_names, fill_value=0)
    open_beds = beds_open_per_day(case, allocation)
    rates = arrivals_per_day(case)
    loads = case.mol_loads
    rows = []
    for t in case.bed_type_names:
        mol = float(queueing.period_blocking(open_beds[t].to_numpy(), loads[t].to_numpy(), rates[t].to_numpy()))
        monthly_rate = rates[t].groupby(MONTH_OF_DAY).transform("mean").to_numpy()
        sipp_loads = monthly_rate * float(case.bed_types.at[t, "los_days"])
        sipp = float(queueing.period_blocking(open_beds[t].to_numpy(), sipp_loads, rates[t].to_numpy()))
        rows.append(
            {
                "bed_type": t,
                "beds": int(beds[t]),
                "erlang_b": float(queueing.erlang_b(int(beds[t]), float(case.load_beds[t]))),
                "sipp": sipp,
                "mol": mol,
                "simulated": float(simulated.at[t, "blocking"]),
                "simulated_ci": float(simulated.at[t, "blocking_ci"]),
                "difference_mol": float(simulated.at[t, "blocking"]) - mol,
            }
        )
    return pd.DataFrame(rows)


def compare_reservation(
    case: Case, allocation: pd.DataFrame, lift: list[str], options: SimulationOptions | None = None
) -> pd.DataFrame:
    """The same allocation with the given types reserved (as in the input) and with free-bed use.

    Returns:
        Per bed type and variant (``reservert`` / ``ledig seng``): blocking, overflow share,
        occupancy and own beds lent to others per year, with CIs.
    """
    from dataclasses import replace

    options = options or SimulationOptions()
    frames = []
    for label, lifted in (("reservert", frozenset()), ("ledig seng", frozenset(lift))):
        result = simulate(case, allocation, replace(options, lift_reservation=lifted))
        frames.append(result.per_type.assign(variant=label))
    return pd.concat(frames, ignore_index=True)[["variant", *frames[0].columns.drop("variant")]]
