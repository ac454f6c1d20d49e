r"""The next weeks from today's beds and queue: the simulation started from a state, not from empty.

Every other run answers "which split suits an average year?". This one answers "we have these
patients in our beds and these waiting today: what happens over the weeks ahead?" (document 004:
winter, Christmas). It is the same event loop (:mod:`.kernel`) and the same patients as
:func:`~.simulate.simulate` would draw, with three differences:

- **The start.** The patients in the beds at ``start`` enter at time 0 and keep their beds for the
  rest of their stay. A patient who has spent :math:`a` days of a lognormal stay :math:`S` stays
  :math:`S - a` more, drawn from :math:`S \mid S > a` (:func:`residual_stays`): a patient in day 20
  is not a new admission. Where only counts are known, the time already spent is that of a patient
  found in a bed at random in steady state (the equilibrium residual, :func:`equilibrium_residuals`).
  Patients waiting at ``start`` join the queue at time 0.
- **The calendar.** Day 0 is ``start``'s day of the year: the seasonal demand and the holiday
  closures of the weeks ahead, not of January.
- **The output.** Each day's census per type over many seeded replications (mean, 5 % and 95 %,
  the chance all open beds are taken), the patients waiting and the UKP days.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dimensioning.inputs.case import Case
from dimensioning.inputs.sharing import lifted, rule_arrays
from dimensioning.queueing.seasons import DAYS, MONTH_OF_DAY, arrivals_per_day, bed_matrix, day_of_year
from dimensioning.simulation.kernel import event_loop_compiled
from dimensioning.simulation.simulate import (
    WAIT_THRESHOLDS,
    WHEN_FULL_CODE,
    SimulationOptions,
    _arrivals,
    _patience,
    _spec,
)

#: The queue at the start enters one after another, this far apart (days), just after time 0.
QUEUE_STEP_DAYS = 1e-9

#: Where the times already spent come from (said in the output).
FROM_RECORD = "opphold"
FROM_COUNTS = "likevekt"


@dataclass(frozen=True)
class ForecastState:
    """The patients in the beds and in the queue at the start.

    Attributes:
        in_bed: ``bed_type, elapsed_days`` per patient in a bed (``elapsed_days`` NaN: unknown,
            drawn from the equilibrium residual).
        waiting: ``bed_type, count`` of patients waiting for a bed.
        source: :data:`FROM_RECORD` or :data:`FROM_COUNTS`.
    """

    in_bed: pd.DataFrame
    waiting: pd.DataFrame
    source: str


def state_from_stays(case: Case, stays: pd.DataFrame, start: datetime.date) -> ForecastState:
    """The state of a stay record at the start of ``start``: who is in a bed, since when, and who waits.

    A stay is in a bed at ``start`` when admitted before that day and not yet discharged on it;
    a patient waits when reported ready (``meldt_utskrivningsklar``) before ``start`` but admitted
    on or after it (the record's ``frame``: ``bed_type, admitted, discharged, ready``).
    """
    day = pd.Timestamp(start)
    frame = stays
    inside = frame[(frame["admitted"] < day) & (frame["discharged"].isna() | (frame["discharged"] >= day))]
    elapsed = (day - inside["admitted"]).dt.days.astype(float)
    in_bed = pd.DataFrame({"bed_type": inside["bed_type"].to_numpy(), "elapsed_days": elapsed.to_numpy()})
    ready = frame["ready"]
    queue = frame[ready.notna() & (ready < day) & (frame["admitted"].isna() | (frame["admitted"] >= day))]
    waiting = queue.groupby("bed_type").size().reindex(case.bed_type_names, fill_value=0)
    return ForecastState(in_bed, waiting.rename("count").rename_axis("bed_type").reset_index(), FROM_RECORD)


def state_from_counts(case: Case, counts: pd.DataFrame) -> ForecastState:
    """The state from counts alone (``bed_type, occupied, waiting``): times spent unknown."""
    rows = [(r.bed_type, np.nan) for r in counts.itertuples() for _ in range(int(r.occupied))]
    in_bed = pd.DataFrame(rows, columns=["bed_type", "elapsed_days"])
    waiting = counts[["bed_type", "waiting"]].rename(columns={"waiting": "count"})
    return ForecastState(in_bed, waiting.reset_index(drop=True), FROM_COUNTS)


def residual_stays(mu: np.ndarray, sigma: np.ndarray, elapsed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    r"""The rest of lognormal stays already ``elapsed`` days long: :math:`S - a` with :math:`S \mid S > a`.

    By the inverse CDF: :math:`S = \exp(\mu + \sigma \Phi^{-1}(u))` with :math:`u` uniform on
    :math:`(\Phi(z_a), 1)`, :math:`z_a = (\ln a - \mu)/\sigma`; at :math:`a = 0` a whole stay.
    """
    from scipy.special import ndtr, ndtri

    with np.errstate(divide="ignore"):
        floor = np.where(elapsed > 0, ndtr((np.log(np.maximum(elapsed, 1e-300)) - mu) / sigma), 0.0)
    u = floor + (1.0 - floor) * rng.random(elapsed.shape)
    u = np.minimum(u, np.nextafter(1.0, 0.0))
    total = np.exp(mu + sigma * ndtri(u))
    return np.maximum(total - elapsed, 1e-9)


def equilibrium_residuals(mu: np.ndarray, sigma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    r"""The rest of the stay of a patient found in a bed at random in steady state.

    A bed in use at a random moment holds a length-biased stay (density :math:`s f(s) / E[S]`,
    for a lognormal again lognormal with :math:`\mu + \sigma^2`), at a uniform point of it.
    """
    whole = rng.lognormal(mu + sigma**2, sigma)
    return whole * rng.random(whole.shape)


@dataclass(frozen=True)
class ForecastResult:
    """The weeks ahead, per day and bed type.

    Attributes:
        daily: ``date, bed_type, open_beds, occupancy_mean, occupancy_p05, occupancy_p25,
            occupancy_p75, occupancy_p95, p_full, waiting_mean, ukp_days_mean`` (the census and
            the queue at the start of each day).
        source: How the times already spent were known (:data:`FROM_RECORD`, :data:`FROM_COUNTS`).
        start: The first day.
        replications: Runs behind each figure.
    """

    daily: pd.DataFrame
    source: str
    start: datetime.date
    replications: int


def forecast(
    case: Case,
    allocation: pd.DataFrame,
    state: ForecastState,
    start: datetime.date,
    weeks: int = 12,
    replications: int = 200,
    seed: int = 2024,
    progress: object | None = None,
) -> ForecastResult:
    """Simulate the ``weeks`` from ``start`` on, started from ``state`` (module docstring).

    Args:
        case: The case: demand, seasons, closures, sharing rules, waiting.
        allocation: The beds (``site, bed_type, beds``).
        state: The patients in the beds and waiting at the start.
        start: The first day.
        weeks: Weeks ahead.
        replications: Seeded runs (replication *r* uses the *r*-th child of ``seed``).
        seed: The seed.
        progress: Called with (runs done, runs) after each run.
    """
    types = case.bed_type_names
    days = 7 * int(weeks)
    spec = _spec(case, allocation, SimulationOptions(years=1.0, warmup_years=0.0))
    first = pd.Timestamp(start)
    offset = day_of_year((min(first.day, 28) if first.month == 2 else first.day, first.month))  # 29.02 as 28.02
    calendar = (offset + np.arange(days)) % DAYS  # day k of the forecast is this day of the year
    beds = bed_matrix(case, allocation)
    share = case.open_shares.to_numpy(dtype=float)
    capacity_year = np.floor(share[:, :, None] * beds[None, :, :] + 1e-9).astype(np.int64)
    capacity = np.ascontiguousarray(np.roll(capacity_year, -offset, axis=0))
    months = np.ascontiguousarray(np.roll(MONTH_OF_DAY, -offset), dtype=np.int64)
    rates = np.roll(arrivals_per_day(case).to_numpy(dtype=float), -offset, axis=0)  # day 0 = start
    ahead = dataclasses.replace(spec, rates=np.ascontiguousarray(rates), days=days, warmup_days=0)
    open_beds = capacity_year[calendar].sum(axis=1)  # (days, T)
    index = {t: i for i, t in enumerate(types)}
    occupant_type = state.in_bed["bed_type"].map(index).to_numpy(dtype=np.int64)
    elapsed = state.in_bed["elapsed_days"].to_numpy(dtype=float)
    queue_type = np.repeat(
        state.waiting["bed_type"].map(index).to_numpy(dtype=np.int64), state.waiting["count"].to_numpy(dtype=int)
    )
    rule = lifted(case, case.sharing, frozenset())
    reserve, waiting_borrow = rule_arrays(types, rule)
    ukp = np.isin(np.arange(len(types)), [index[t] for t in case.ukp_types])
    census = np.zeros((replications, days, len(types)))
    waiting = np.zeros((replications, days, len(types)))
    children = np.random.SeedSequence(seed).spawn(replications)

    def run_one(r: int, child: np.random.SeedSequence) -> None:
        """Replication *r*: its census and queue per day and type (its own rows of the arrays)."""
        rng = np.random.default_rng(child)
        # the patients in bed first (time 0, in the record's order), then the queue, then new arrivals
        known = ~np.isnan(elapsed)
        rest = np.empty(elapsed.size)
        mu, sigma = spec.mu[occupant_type], spec.sigma[occupant_type]
        rest[known] = residual_stays(mu[known], sigma[known], elapsed[known], rng)
        rest[~known] = equilibrium_residuals(mu[~known], sigma[~known], rng)
        new_times, new_types = _arrivals(ahead, rng)  # the weeks ahead's demand, booked stays as booked
        new_stays = rng.lognormal(spec.mu[new_types], spec.sigma[new_types])
        queue_stays = rng.lognormal(spec.mu[queue_type], spec.sigma[queue_type])
        all_types = np.concatenate([occupant_type, queue_type, new_types]).astype(np.int64)
        # the queue enters just after the patients in bed, each at its own moment, so that every waiting
        # patient is found again among the stays by its arrival time
        queue_times = np.arange(1, queue_type.size + 1) * QUEUE_STEP_DAYS
        times = np.concatenate([np.zeros(occupant_type.size), queue_times, new_times])
        stays = np.concatenate([rest, queue_stays, new_stays])
        patience = _patience(spec, rng, all_types)
        patience[: occupant_type.size] = np.inf  # they have their beds
        draws = [
            np.ascontiguousarray(a, dtype=d)
            for a, d in ((times, float), (all_types, np.int64), (stays, float), (patience, float))
        ]
        for a in draws:  # read-only, as simulate's draws: the kernel's compiled signature is the same
            a.setflags(write=False)
        run = event_loop_compiled(
            *draws,
            capacity,
            np.ascontiguousarray(reserve, dtype=np.int64),
            np.ascontiguousarray(waiting_borrow, dtype=np.bool_),
            np.ascontiguousarray(spec.kind, dtype=np.int64),
            months,
            0,
            days,
            np.asarray(WAIT_THRESHOLDS, dtype=float),
        )
        bed_type, start_t, end_t, patient, arrived = run[5], run[6], run[7], run[8], run[9]
        moments = np.arange(days, dtype=float)
        # in a bed at the start of day k: admitted at or before k and not yet out (by the bed's type)
        for t in range(len(types)):
            mine = bed_type == t
            s, e = np.sort(start_t[mine]), np.sort(end_t[mine])
            census[r, :, t] = np.searchsorted(s, moments, side="right") - np.searchsorted(e, moments, side="right")
        # waiting at the start of day k: arrived, not yet admitted, not yet given up
        served = dict(zip(zip(patient.tolist(), arrived.tolist(), strict=True), start_t.tolist(), strict=True))
        waits = spec.kind[all_types] == WHEN_FULL_CODE["venter"]
        waits[: occupant_type.size] = False  # they are in their beds
        for i in np.flatnonzero(waits):
            begin = times[i]
            until = served.get((int(all_types[i]), float(times[i])), min(begin + patience[i], float(days)))
            # the start of day k counts those in the queue then (the initial queue on day 0)
            from_day, to_day = (
                int(np.ceil(begin - QUEUE_STEP_DAYS * (queue_type.size + 1))),
                int(np.ceil(min(until, days))),
            )
            if to_day > from_day:
                waiting[r, from_day:to_day, all_types[i]] += 1

    # the compiled loop releases the GIL: replications run side by side on every core, each with its
    # own seed, so the figures do not depend on how many run at once
    with ThreadPoolExecutor(max_workers=max(1, min(os.cpu_count() or 1, replications))) as pool:
        for done, _ in enumerate(pool.map(run_one, range(replications), children), start=1):
            if progress is not None:
                progress(done, replications)
    dates = [pd.Timestamp(start) + pd.Timedelta(days=k) for k in range(days)]
    rows = []
    full = census >= open_beds[None, :, :]
    for k, date in enumerate(dates):
        for t, name in enumerate(types):
            values = census[:, k, t]
            rows.append(
                {
                    "date": date.date(),
                    "bed_type": name,
                    "open_beds": int(open_beds[k, t]),
                    "occupancy_mean": float(values.mean()),
                    "occupancy_p05": float(np.percentile(values, 5)),
                    "occupancy_p25": float(np.percentile(values, 25)),
                    "occupancy_p75": float(np.percentile(values, 75)),
                    "occupancy_p95": float(np.percentile(values, 95)),
                    "p_full": float(full[:, k, t].mean()) if open_beds[k, t] > 0 else float("nan"),
                    "waiting_mean": float(waiting[:, k, t].mean()),
                    "ukp_days_mean": float(waiting[:, k, t].mean()) if ukp[t] else 0.0,
                }
            )
    return ForecastResult(pd.DataFrame(rows), state.source, start, replications)


def weekly(result: ForecastResult) -> pd.DataFrame:
    """Per ISO week and bed type: mean and highest daily census, the highest chance of full, UKP days."""
    daily = result.daily.assign(week=[d.isocalendar()[1] for d in result.daily["date"]])
    first = daily.groupby(["week", "bed_type"], sort=False)
    return first.agg(
        from_date=("date", "min"),
        open_beds=("open_beds", "min"),
        occupancy_mean=("occupancy_mean", "mean"),
        occupancy_p95=("occupancy_p95", "max"),
        p_full_max=("p_full", "max"),
        ukp_days=("ukp_days_mean", "sum"),
    ).reset_index()


def census_by_day(case: Case, stays: pd.DataFrame, start: datetime.date, days: int) -> pd.DataFrame:
    """What a stay record shows happened: the patients in bed each morning from ``start`` (as :func:`state_from_stays`).

    Returns:
        ``date, bed_type, actual``.
    """
    rows = []
    for k in range(days):
        day = pd.Timestamp(start) + pd.Timedelta(days=k)
        inside = stays[(stays["admitted"] < day) & (stays["discharged"].isna() | (stays["discharged"] >= day))]
        counts = inside.groupby("bed_type").size().reindex(case.bed_type_names, fill_value=0)
        rows += [{"date": day.date(), "bed_type": t, "actual": int(n)} for t, n in counts.items()]
    return pd.DataFrame(rows)


def hindsight(result: ForecastResult, actual: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The forecast beside what happened: per day and type, and per type (days inside the 90 % band, mean error).

    Returns:
        ``daily``: ``date, bed_type, actual, occupancy_mean, occupancy_p05, occupancy_p95, inside``;
        ``summary``: ``bed_type, days, inside_share, mean_error`` (forecast minus actual, beds), with
        a last row ``bed_type`` «Alle».
    """
    daily = result.daily.merge(actual, on=["date", "bed_type"], how="inner")
    daily = daily.assign(
        inside=(daily["actual"] >= daily["occupancy_p05"]) & (daily["actual"] <= daily["occupancy_p95"])
    )
    daily = daily[["date", "bed_type", "actual", "occupancy_mean", "occupancy_p05", "occupancy_p95", "inside"]]
    error = daily["occupancy_mean"] - daily["actual"]
    per_type = (
        daily.assign(error=error)
        .groupby("bed_type", sort=False)
        .agg(days=("inside", "size"), inside_share=("inside", "mean"), mean_error=("error", "mean"))
        .reset_index()
    )
    overall = pd.DataFrame(
        [{"bed_type": "Alle", "days": len(daily), "inside_share": daily["inside"].mean(), "mean_error": error.mean()}]
    )
    return daily.reset_index(drop=True), pd.concat([per_type, overall], ignore_index=True)


def extra_beds(
    case: Case,
    allocation: pd.DataFrame,
    state: ForecastState,
    start: datetime.date,
    weeks: int = 12,
    replications: int = 100,
    seed: int = 2024,
    most: int = 15,
) -> pd.DataFrame:
    r"""The fewest temporary beds per type and week that keep the type's target (``--ekstra``).

    A week keeps the target of type *t* when the chance its beds are all taken, averaged over the
    week's days, is at most ``maks_avvisning``: for arrivals that come at random the chance of
    finding every bed taken is the share turned away (PASTA), and for a type that waits it is the
    share who must wait, so the criterion is on the safe side. The forecast is run with
    :math:`e = 0, 1, \ldots` extra beds of every type (at the site with most beds of the type, the
    same seed: common random numbers) until every week of every type holds or ``most`` is reached;
    each week and type gets the first :math:`e` that holds (NaN: more than ``most``).

    Returns:
        ``week, from_date, bed_type, extra_beds, target``.
    """
    targets = case.bed_types["max_blocking"].reindex(case.bed_type_names)
    base = allocation.groupby(["site", "bed_type"], as_index=False)["beds"].sum()
    home = {
        t: (
            rows.sort_values("beds", ascending=False, kind="stable")["site"].iloc[0] if rows["beds"].sum() > 0 else None
        )
        for t, rows in base.groupby("bed_type", sort=False)
    }
    found: dict[tuple[int, str], int] = {}
    keys: list[tuple[int, str, object]] = []
    for e in range(most + 1):
        beds = base.copy()
        for t, site in home.items():
            if site is not None:
                beds.loc[(beds["site"] == site) & (beds["bed_type"] == t), "beds"] += e
        run = forecast(case, beds, state, start, weeks, replications, seed)
        daily = run.daily.assign(week=[d.isocalendar()[1] for d in run.daily["date"]])
        table = daily.groupby(["week", "bed_type"], sort=False).agg(
            from_date=("date", "min"), p_full=("p_full", "mean")
        )
        if not keys:
            keys = [(w, t, row.from_date) for (w, t), row in table.iterrows()]
        for (w, t), row in table.iterrows():
            if (w, t) not in found and home.get(t) is not None and row.p_full <= float(targets[t]) + 1e-12:
                found[(w, t)] = e
        if all((w, t) in found for w, t, _ in keys if home.get(t) is not None):
            break
    return pd.DataFrame(
        [
            {
                "week": w,
                "from_date": day,
                "bed_type": t,
                "extra_beds": found.get((w, t), np.nan) if home.get(t) is not None else np.nan,
                "target": float(targets[t]),
            }
            for w, t, day in keys
        ]
    )
