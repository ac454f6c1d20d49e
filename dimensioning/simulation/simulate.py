"""Discrete-event simulation of an allocation: seasons, holiday closures, overflow, reserved beds.

Engine: an event loop on numpy arrays compiled by numba (:mod:`~dimensioning.simulation.kernel`; arrivals,
stays and patience are drawn up front, vectorised; departures live in a binary heap). It was chosen
over simpy and ciw because a loss system with overflow needs no process scheduling, so a generator
per patient would only add overhead; the benchmark (``benchmarks/simulate.py``) reports events per
second, compiled and as plain Python.

Rules, as in the municipality's allocation office:
- a patient first gets a bed of its own type at any site (the site with most free beds of it);
- if none is free, the patient may take a free bed of a type it may borrow from under the plan's
  sharing rule (:mod:`~dimensioning.inputs.sharing`, sheet ``Deling``; the short form is
  ``kan_bruke_andre`` and ``reservert``): only while more of the lender's open beds are free,
  over all sites, than the lender keeps back (``reserverte_plasser``), and, for a patient already
  waiting, only where ``ventende_kan_laane``; the site with most free beds;
- otherwise, by ``ved_fullt``: ``avvises`` patients are turned away (KAD to hospital);
  ``venter`` patients join their type's first-come-first-served queue (in hospital or at home) and
  are admitted when a bed they may use frees (their own type first, then a free bed they may
  borrow), or leave the queue when their patience runs out (exponential with mean
  ``gir_opp_etter_dager``, or lognormal with ``patience_cv``; no patience = wait until served);
  ``planlagt`` stays are booked: they arrive on a schedule that follows the season (evenly spaced
  in cumulative demand, one random offset per replication); a booking that finds no bed is
  postponed until one frees; a booking postponed past its horizon (``gir_opp_etter_dager``, else
  :data:`BOOKING_HORIZON_DAYS`) is lost, and its days are the booked days not given (as in the
  analytic curve, the volume the beds cannot hold), so the share not given is at most 100 % and
  the backlog of postponed bookings is bounded; the days postponed are counted apart;
- during holiday closures (``Kapasitet``) only the open share of a site's beds takes new patients;
  patients already in a closing bed stay until discharge.

Arrivals are a non-homogeneous Poisson process (daily rates from ``Sesong``); stays are lognormal
with the type's mean and ``liggetid_cv``. Replications use independent streams from one seed
(``numpy.random.SeedSequence``), so results do not depend on how they are spread over cores.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import threading
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dimensioning import queueing
from dimensioning.inputs.case import Case
from dimensioning.inputs.sharing import lifted, rule_arrays
from dimensioning.queueing.seasons import DAYS, MONTH_OF_DAY, arrivals_per_day, bed_matrix, beds_open_per_day
from dimensioning.simulation.kernel import event_loop, event_loop_compiled


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
        patience_cv: None for exponential patience (Erlang A's assumption); a number for lognormal
            patience with that coefficient of variation (same mean).
        jobs: Worker processes (default: every core).
        engine: ``compiled`` (numba, the default) or ``python`` (the same loop as plain Python,
            the reference the compiled one is tested against).
    """

    years: float = 10.0
    replications: int = 20
    seed: int = 2024
    warmup_years: float = 1.0
    overflow: bool = True
    lift_reservation: frozenset[str] = field(default_factory=frozenset)
    patience_cv: float | None = None
    jobs: int | None = None
    engine: str = "compiled"


WHEN_FULL_CODE = {"avvises": 0, "venter": 1, "planlagt": 2}
WAIT_PERCENTILE = 90
# waits longer than these (days) are counted, as the committee asks for them
WAIT_THRESHOLDS = (1.0, 7.0)
# a booked stay postponed longer than this (days) is lost, unless the type gives gir_opp_etter_dager
BOOKING_HORIZON_DAYS = 14.0
# simulated years (all replications) below which the default runs in this process
IN_PROCESS_YEARS = 400


@dataclass(frozen=True)
class _Spec:
    """Plain arrays a worker needs (cheap to send to another process)."""

    beds: np.ndarray  # (S, T) int
    share: np.ndarray  # (365, S)
    rates: np.ndarray  # (365, T)
    mu: np.ndarray  # (T,)
    sigma: np.ndarray  # (T,)
    reserve: np.ndarray  # (T, T) int: beds lender u keeps back from borrower t; -1: t may not use u's beds
    waiting_borrow: np.ndarray  # (T, T) bool: t's waiting patients may take u's free beds
    kind: np.ndarray  # (T,) 0 avvises, 1 venter, 2 planlagt
    patience: np.ndarray  # (T,) mean patience in days (inf: waits until served; booked: the horizon)
    patience_cv: float | None
    days: int
    warmup_days: int
    record_stays: bool = False  # return every stay (:func:`simulate_stays`)
    engine: str = "compiled"  # or "python": the same loop, not compiled (the reference)


def _patience_days(case: Case) -> np.ndarray:
    """Mean patience per type (``gir_opp_etter_dager``; inf without one); for booked stays the horizon.

    A booking postponed longer than its horizon is lost (``gir_opp_etter_dager``, else
    :data:`BOOKING_HORIZON_DAYS`), so the backlog of postponed bookings stays bounded.
    """
    bt = case.bed_types.reindex(case.bed_type_names)
    patience = bt["patience_days"].astype(float).fillna(np.inf).to_numpy()
    kind = bt["when_full"].to_numpy()
    horizon = bt["patience_days"].astype(float).fillna(BOOKING_HORIZON_DAYS).to_numpy()
    return np.where(kind == "venter", patience, np.where(kind == "planlagt", horizon, np.inf))


def _spec(
    case: Case, allocation: pd.DataFrame, options: SimulationOptions, sharing: pd.DataFrame | None = None
) -> _Spec:
    """Arrays for the simulation of one allocation under a sharing rule (default: the case's own)."""
    types = case.bed_type_names
    beds = bed_matrix(case, allocation)
    mu, sigma = queueing.lognormal_params(  # a bed is held for the stay and its cold time
        case.holding_days.reindex(types).to_numpy(dtype=float),
        case.holding_cv.reindex(types).to_numpy(dtype=float),
    )
    rule = case.sharing if sharing is None else sharing
    reserve, waiting_borrow = rule_arrays(types, lifted(case, rule, options.lift_reservation))
    if not options.overflow:
        reserve[:] = -1
    warmup = int(round(options.warmup_years * DAYS))
    return _Spec(
        beds=beds,
        share=case.open_shares.to_numpy(dtype=float),
        rates=arrivals_per_day(case).to_numpy(dtype=float),
        mu=mu,
        sigma=sigma,
        reserve=reserve,
        waiting_borrow=waiting_borrow,
        kind=case.bed_types["when_full"].reindex(types).map(WHEN_FULL_CODE).to_numpy(dtype=int),
        patience=_patience_days(case),
        patience_cv=options.patience_cv,
        days=warmup + int(round(options.years * DAYS)),
        warmup_days=warmup,
        engine=options.engine,
    )


def _arrivals(spec: _Spec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times and types, sorted: Poisson for random types, a schedule for booked ones."""
    day_of_year = np.arange(spec.days) % DAYS
    rates = spec.rates[day_of_year]  # (days, T)
    counts = rng.poisson(rates)
    booked = spec.kind == WHEN_FULL_CODE["planlagt"]
    counts[:, booked] = 0
    day_index, type_index = np.nonzero(counts)
    repeat = counts[day_index, type_index]
    arrival_day = np.repeat(day_index, repeat)
    times = [arrival_day + rng.random(arrival_day.size)]
    kinds = [np.repeat(type_index, repeat)]
    for t in np.flatnonzero(booked):
        # a booking each time the cumulative demand passes a whole number (offset at random)
        cumulative = np.concatenate([[0.0], np.cumsum(rates[:, t])])
        marks = np.arange(rng.random(), cumulative[-1], 1.0)
        day = np.searchsorted(cumulative, marks, side="right") - 1
        within = (marks - cumulative[day]) / np.maximum(rates[day, t], 1e-300)
        times.append(day + within)
        kinds.append(np.full(marks.size, t))
    times_all, types_all = np.concatenate(times), np.concatenate(kinds)
    order = np.argsort(times_all, kind="stable")
    return times_all[order], types_all[order]


def _patience(spec: _Spec, rng: np.random.Generator, types: np.ndarray) -> np.ndarray:
    """Patience per arrival (days): exponential, or lognormal with ``patience_cv``; inf without one."""
    mean = spec.patience[types]
    booked = spec.kind[types] == WHEN_FULL_CODE["planlagt"]
    finite = np.isfinite(mean) & ~booked
    out = np.where(booked, mean, np.inf)
    if spec.patience_cv is None:
        out[finite] = rng.exponential(mean[finite])
    else:
        mu, sigma = queueing.lognormal_params(mean[finite], np.full(finite.sum(), spec.patience_cv))
        out[finite] = rng.lognormal(mu, sigma)
    return out


def _draws(spec: _Spec, seed: np.random.SeedSequence) -> tuple[np.ndarray, ...]:
    """One replication's patients: arrival times and types, stays and patience (numpy, seeded).

    They depend on the demand and the seed only, not on the beds or the sharing rule, so every
    plan simulated with the same seed meets the same patients (common random numbers), and a
    search that simulates many plans draws them once (:data:`_DRAW_CACHE`).
    """
    key = (
        spec.rates.tobytes(),
        spec.mu.tobytes(),
        spec.sigma.tobytes(),
        spec.kind.tobytes(),
        spec.patience.tobytes(),
        spec.patience_cv,
        spec.days,
        seed.entropy,
        tuple(seed.spawn_key),
    )
    with _DRAW_LOCK:
        if key in _DRAW_CACHE:
            _DRAW_CACHE.move_to_end(key)
            return _DRAW_CACHE[key]
    rng = np.random.default_rng(seed)
    times, arrival_type = _arrivals(spec, rng)
    stays = rng.lognormal(spec.mu[arrival_type], spec.sigma[arrival_type])
    patience = _patience(spec, rng, arrival_type)
    draws = tuple(
        np.ascontiguousarray(a, dtype=d)
        for a, d in ((times, float), (arrival_type, np.int64), (stays, float), (patience, float))
    )
    for a in draws:
        a.setflags(write=False)
    with _DRAW_LOCK:
        _DRAW_CACHE[key] = draws
        while len(_DRAW_CACHE) > DRAW_CACHE_SIZE:
            _DRAW_CACHE.popitem(last=False)
    return draws


# the draws of the last replications simulated (a search meets the same patients again and again)
DRAW_CACHE_SIZE = 64
_DRAW_CACHE: OrderedDict[tuple, tuple[np.ndarray, ...]] = OrderedDict()
_DRAW_LOCK = threading.Lock()


def _replicate(spec: _Spec, seed: np.random.SeedSequence) -> dict[str, np.ndarray]:
    """One replication: counts by month of year and type, bed-days by month, site and type.

    The draws are made with numpy (:func:`_draws`, so both engines see the same patients); the
    event loop is :func:`~.simkernel.event_loop`, compiled unless ``spec.engine`` is ``"python"``.
    """
    n_sites, n_types = spec.beds.shape
    times, arrival_type, stays, patience = _draws(spec, seed)
    capacity = np.floor(spec.share[:, :, None] * spec.beds[None, :, :] + 1e-9).astype(np.int64)  # (365, S, T)
    loop = event_loop if spec.engine == "python" else event_loop_compiled
    (counts, over, lent, bed_days, site, bed_type, start, end, patient, arrived, wait_type, wait_days) = loop(
        times,
        arrival_type,
        stays,
        patience,
        capacity,
        np.ascontiguousarray(spec.reserve, dtype=np.int64),
        np.ascontiguousarray(spec.waiting_borrow, dtype=np.bool_),
        np.ascontiguousarray(spec.kind, dtype=np.int64),
        np.ascontiguousarray(MONTH_OF_DAY, dtype=np.int64),
        int(spec.warmup_days),
        int(spec.days),
        np.asarray(WAIT_THRESHOLDS, dtype=float),
    )
    if spec.record_stays:
        return {"patient_type": patient, "site": site, "start": start, "end": end, "arrived": arrived}
    # open bed-days by month: each day of year weighted by how often it is simulated after the warm-up
    weight = np.zeros((12, DAYS))
    np.add.at(
        weight,
        (MONTH_OF_DAY, np.arange(DAYS)),
        np.bincount(np.arange(spec.warmup_days, spec.days) % DAYS, minlength=DAYS),
    )
    available = (weight @ capacity.reshape(DAYS, -1)).reshape(12, n_sites, n_types)
    percentile = np.array(
        [
            np.percentile(wait_days[wait_type == t], WAIT_PERCENTILE) if np.any(wait_type == t) else np.nan
            for t in range(n_types)
        ]
    )
    return {
        "arrivals": counts[0],
        "demand_days": counts[1],
        "turned_away": counts[2],
        "overflowed": counts[3],
        "lent": lent,
        "bed_days": bed_days,
        "available": available,
        "waiting_days": counts[4],
        "waited": counts[5],
        "unmet_days": counts[6],
        "over_limits": over,
        "wait_p90": percentile,
        "events": np.array([2 * times.size]),
    }


def run_replications(
    case: Case,
    allocation: pd.DataFrame,
    options: SimulationOptions | None = None,
    sharing: pd.DataFrame | None = None,
) -> list[dict[str, np.ndarray]]:
    """All replications of one allocation, in replication order (parallel over processes)."""
    options = options or SimulationOptions()
    spec = _spec(case, allocation, options, sharing)
    seeds = np.random.SeedSequence(options.seed).spawn(options.replications)
    workers = max(1, min(options.jobs or os.cpu_count() or 1, options.replications))
    # the compiled loop runs a simulated year in a few milliseconds: below this much work, starting
    # worker processes costs more than it saves (the numbers are the same either way)
    small = (
        options.engine == "compiled"
        and options.replications * (options.years + options.warmup_years) <= IN_PROCESS_YEARS
    )
    if workers == 1:
        return [_replicate(spec, s) for s in seeds]
    if options.jobs is None and small:  # the compiled loop releases the GIL: threads share the work
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(_replicate, [spec] * len(seeds), seeds))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_replicate, [spec] * len(seeds), seeds, chunksize=max(1, len(seeds) // (workers * 4))))


@dataclass(frozen=True)
class SimulationResult:
    """Simulated key figures with 95 % confidence intervals over the replications.

    Attributes:
        per_type: ``bed_type, arrivals_per_year, blocking, blocking_ci`` (the share not served:
            turned away, given up waiting, booked stays not given), ``overflow_share,
            overflow_ci, occupancy, occupancy_ci, beds_lent_per_year``, and for the queues
            (``venter``; NaN for others) ``waiting_days_per_year``, ``mean_wait_days`` (over all
            arrivals), ``p_wait``, ``wait_p90_days``, ``share_wait_over_1``,
            ``share_wait_over_7`` (each with a ``_ci``), and for booked stays (``planlagt``)
            ``unmet_booked_days_per_year`` (bookings lost past their horizon) and
            ``postponed_booked_days_per_year`` (days bookings were postponed before they were given).
        per_month: ``bed_type, month, blocking, blocking_ci, occupancy, occupancy_ci,
            mean_wait_days, mean_wait_days_ci``.
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

    from scipy.special import stdtrit  # what scipy.stats.t.ppf calls, without loading scipy.stats

    n = np.sum(~np.isnan(samples), axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a type without beds has no occupancy (NaN)
        mean = np.nanmean(samples, axis=0)
        sd = np.nanstd(samples, axis=0, ddof=1) if samples.shape[0] > 1 else np.zeros_like(mean)
    half = stdtrit(np.maximum(n - 1, 1), 0.975) * sd / np.sqrt(np.maximum(n, 1))
    return mean, half


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise ratio, NaN where the denominator is 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def _queue_columns(case: Case, stack: dict[str, np.ndarray], options: SimulationOptions) -> dict[str, np.ndarray]:
    """Queue figures per type with 95 % CIs (NaN for types that do not wait or book)."""
    kind = case.bed_types["when_full"].reindex(case.bed_type_names).to_numpy()
    arrivals = stack["arrivals"].sum(1)  # (reps, T)
    columns = {
        "waiting_days_per_year": stack["waiting_days"].sum(1) / options.years,
        "mean_wait_days": _ratio(stack["waiting_days"].sum(1), arrivals),
        "p_wait": _ratio(stack["waited"].sum(1), arrivals),
        "wait_p90_days": stack["wait_p90"],
        "share_wait_over_1": _ratio(stack["over_limits"][:, 0].sum(1), arrivals),
        "share_wait_over_7": _ratio(stack["over_limits"][:, 1].sum(1), arrivals),
    }
    out = {}
    for name, samples in columns.items():
        mean, ci = _mean_ci(samples)
        out[name] = np.where(kind == "venter", mean, np.nan)
        out[f"{name}_ci"] = np.where(kind == "venter", ci, np.nan)
    unmet, unmet_ci = _mean_ci(stack["unmet_days"].sum(1) / options.years)
    out["unmet_booked_days_per_year"] = np.where(kind == "planlagt", unmet, np.nan)
    out["unmet_booked_days_per_year_ci"] = np.where(kind == "planlagt", unmet_ci, np.nan)
    postponed, postponed_ci = _mean_ci(stack["waiting_days"].sum(1) / options.years)
    out["postponed_booked_days_per_year"] = np.where(kind == "planlagt", postponed, np.nan)
    out["postponed_booked_days_per_year_ci"] = np.where(kind == "planlagt", postponed_ci, np.nan)
    return out


def simulate(
    case: Case,
    allocation: pd.DataFrame,
    options: SimulationOptions | None = None,
    sharing: pd.DataFrame | None = None,
) -> SimulationResult:
    """Simulate an allocation and summarise blocking, overflow and occupancy with 95 % CIs.

    ``sharing`` is the rule of who may use whose free bed (:mod:`~dimensioning.inputs.sharing`); None
    takes the case's own, with open choices at the free-bed principle.
    """
    options = options or SimulationOptions()
    reps = run_replications(case, allocation, options, sharing)
    types, sites = case.bed_type_names, case.site_names
    stack = {k: np.stack([r[k] for r in reps]) for k in reps[0]}
    arrivals, away, over = stack["arrivals"], stack["turned_away"], stack["overflowed"]
    # booked stays: their share not served is the booked days not given (postponed or lost)
    booked_days = stack["demand_days"]
    booked = (case.bed_types["when_full"].reindex(types) == "planlagt").to_numpy()
    away = np.where(booked, stack["unmet_days"], away)
    arrivals_or_days = np.where(booked, booked_days, arrivals)
    blocking, blocking_ci = _mean_ci(_ratio(away.sum(1), arrivals_or_days.sum(1)))
    waits = (case.bed_types["when_full"].reindex(types) == "venter").to_numpy()
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
            **_queue_columns(case, stack, options),
        }
    )
    month_blocking, month_blocking_ci = _mean_ci(_ratio(away, arrivals_or_days))
    month_occupancy, month_occupancy_ci = _mean_ci(_ratio(used.sum(2), available.sum(2)))
    month_wait, month_wait_ci = _mean_ci(_ratio(stack["waiting_days"], arrivals))
    per_month = pd.DataFrame(
        [
            {
                "bed_type": t,
                "month": m + 1,
                "blocking": month_blocking[m, i],
                "blocking_ci": month_blocking_ci[m, i],
                "occupancy": month_occupancy[m, i],
                "occupancy_ci": month_occupancy_ci[m, i],
                "mean_wait_days": month_wait[m, i] if waits[i] else np.nan,
                "mean_wait_days_ci": month_wait_ci[m, i] if waits[i] else np.nan,
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

    The simulation runs without overflow, since the formulas describe one system per type. The
    MOL column uses the beds open on each day (holiday closures) and the seasonal loads.

    For a type that waits (``venter``) the analytic figures are Erlang A's: ``erlang_b`` holds the
    stationary share who give up (no seasons), ``mol`` the model's real-year share
    (:func:`~.seasons.shortfall_real_year`), and the wait columns set the mean wait beside the
    simulated queue. For booked stays (``planlagt``) ``mol`` is the model's share of booked days
    not given. Erlang A assumes exponential stays and patience; with lognormal stays the gap to the
    simulation is shown as it is.

    Returns:
        ``bed_type, when_full, beds, erlang_b, sipp, mol, simulated, simulated_ci, difference_mol,
        wait_erlang_a, wait_model, wait_simulated, wait_simulated_ci`` per bed type (wait columns
        in days over all arrivals, NaN for types that do not wait). SIPP (stationary independent
        period-by-period) uses each month's own stationary load ``lambda_month * L`` and the beds
        open each day; MOL lags the load by the length of stay.
    """
    options = options or SimulationOptions()
    from dataclasses import replace

    from dimensioning.queueing.seasons import shortfall_real_year

    simulated = simulate(case, allocation, replace(options, overflow=False)).per_type.set_index("bed_type")
    beds = allocation.groupby("bed_type")["beds"].sum().reindex(case.bed_type_names, fill_value=0)
    open_beds = beds_open_per_day(case, allocation)
    rates = arrivals_per_day(case)
    loads = case.mol_loads
    model = shortfall_real_year(case, beds)
    model_share = model["turned_away_per_year"] / case.bed_types["arrivals_per_year"].replace(0, np.nan)
    rows = []
    for t in case.bed_type_names:
        kind = str(case.bed_types.at[t, "when_full"])
        los = float(case.holding_days[t])
        wait = {"wait_erlang_a": np.nan, "wait_model": np.nan, "wait_simulated": np.nan, "wait_simulated_ci": np.nan}
        if kind == "avvises":
            mol = float(queueing.period_blocking(open_beds[t].to_numpy(), loads[t].to_numpy(), rates[t].to_numpy()))
            monthly_rate = rates[t].groupby(MONTH_OF_DAY).transform("mean").to_numpy()
            sipp = float(queueing.period_blocking(open_beds[t].to_numpy(), monthly_rate * los, rates[t].to_numpy()))
            stationary = float(queueing.erlang_b(int(beds[t]), float(case.load_beds[t])))
        else:
            mol, sipp, stationary = float(model_share[t]), np.nan, np.nan
        if kind == "venter" and case.bed_types.at[t, "arrivals_per_year"] > 0:
            patience = case.bed_types.at[t, "patience_days"]
            patience = None if patience is None or pd.isna(patience) else float(patience)
            erlang_a = queueing.wait_metrics(
                int(beds[t]), float(case.bed_types.at[t, "arrivals_per_year"]) / DAYS, los, patience
            )
            stationary = float(erlang_a["p_abandon"])
            wait = {
                "wait_erlang_a": float(erlang_a["mean_wait_days"]),
                "wait_model": float(model.at[t, "mean_wait_days"]),
                "wait_simulated": float(simulated.at[t, "mean_wait_days"]),
                "wait_simulated_ci": float(simulated.at[t, "mean_wait_days_ci"]),
            }
        rows.append(
            {
                "bed_type": t,
                "when_full": kind,
                "beds": int(beds[t]),
                "erlang_b": stationary,
                "sipp": sipp,
                "mol": mol,
                "simulated": float(simulated.at[t, "blocking"]),
                "simulated_ci": float(simulated.at[t, "blocking_ci"]),
                "difference_mol": float(simulated.at[t, "blocking"]) - mol,
                **wait,
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
    for label, opened in (("reservert", frozenset()), ("ledig seng", frozenset(lift))):
        result = simulate(case, allocation, replace(options, lift_reservation=opened))
        frames.append(result.per_type.assign(variant=label))
    return pd.concat(frames, ignore_index=True)[["variant", *frames[0].columns.drop("variant")]]


def simulate_stays(
    case: Case,
    allocation: pd.DataFrame,
    years: float = 2.0,
    seed: int = 2024,
    first_day: datetime.date = datetime.date(2023, 1, 1),
    warmup_years: float = 1.0,
) -> pd.DataFrame:
    """A synthetic stay record, as a municipality's care records system would export it.

    One simulated run of ``years`` after a warm-up (every type on its own beds, as the loss model
    assumes; seasons and holiday closures as in the case). Patients turned away, or who gave up
    waiting, are not in it, as in a real record; stays still in at the end have no ``utskrevet``.
    Dates are whole days from ``first_day``; ``meldt_utskrivningsklar`` is the arrival day of the
    types that wait (``venter``), when the hospital would have reported the patient ready.

    Returns:
        ``pasient`` (a running pseudonymous number), ``plasstype``, ``lokasjon``, ``innskrevet``,
        ``utskrevet``, ``meldt_utskrivningsklar`` (dates; NaT where there is none).
    """
    options = SimulationOptions(years=years, replications=1, seed=seed, warmup_years=warmup_years, overflow=False)
    spec = dataclasses.replace(_spec(case, allocation, options), record_stays=True)
    run = _replicate(spec, np.random.SeedSequence(seed))
    keep = run["start"] >= spec.warmup_days
    start, end, arrived = (run[k][keep] - spec.warmup_days for k in ("start", "end", "arrived"))
    kinds = spec.kind[run["patient_type"][keep]]
    origin = pd.Timestamp(first_day)
    last = spec.days - spec.warmup_days

    def dates(days: np.ndarray) -> pd.Series:
        return origin + pd.to_timedelta(np.floor(days), unit="D")

    order = np.argsort(start, kind="stable")
    frame = pd.DataFrame(
        {
            "plasstype": np.array(case.bed_type_names, dtype=object)[run["patient_type"][keep]],
            "lokasjon": np.array(case.site_names, dtype=object)[run["site"][keep]],
            "innskrevet": dates(start),
            "utskrevet": dates(end).where(end < last),
            "meldt_utskrivningsklar": dates(arrived).where(kinds == WHEN_FULL_CODE["venter"]),
        }
    ).iloc[order]
    frame.insert(0, "pasient", [f"P{i:06d}" for i in range(1, len(frame) + 1)])
    return frame.reset_index(drop=True)
