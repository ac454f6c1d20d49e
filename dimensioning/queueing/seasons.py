"""Seasons and holiday closures on a daily grid of one (non-leap) year. Pure pandas/numpy.

The ``Sesong`` sheet gives a monthly demand index per bed type; it is normalised so the yearly
mean stays ``innleggelser_per_aar``. The ``Kapasitet`` sheet gives recurring periods when only a
share of a site's beds are open (summer, Christmas, Easter).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dimensioning import queueing
from dimensioning.common.labels import MONTHS

DAYS = 365
_FIRST = datetime.date(2023, 1, 1)
MONTH_OF_DAY = np.array([(_FIRST + datetime.timedelta(days=d)).month - 1 for d in range(DAYS)])
ALL_SITES = {"alle", "*"}


def day_of_year(day_month: tuple[int, int]) -> int:
    """Index 0..364 of a (day, month) in a non-leap year."""
    day, month = day_month
    return (datetime.date(2023, month, day) - _FIRST).days


def demand_index(season: pd.DataFrame, bed_types: list[str]) -> pd.DataFrame:
    """Daily demand index per bed type (rows: days 0..364), with mean 1 over the year."""
    monthly = season.reindex(index=bed_types, columns=list(MONTHS)).to_numpy(dtype=float, copy=True)  # (T, 12)
    monthly[~np.asarray([t in season.index for t in bed_types], dtype=bool)] = 1.0
    daily = monthly[:, MONTH_OF_DAY]  # (T, 365)
    return pd.DataFrame((daily / daily.mean(axis=1, keepdims=True)).T, columns=list(bed_types))


def arrivals_per_day(case: object) -> pd.DataFrame:
    """Arrival rate per day and bed type over one year (``lambda_t / 365 * index_t(day)``).

    Computed once per case (``Case.daily_arrivals``, by :func:`daily_arrivals`); read it, do not change it.
    """
    return case.daily_arrivals


def daily_arrivals(case: object) -> pd.DataFrame:
    """:func:`arrivals_per_day`, computed."""
    index = demand_index(case.season, case.bed_type_names)
    yearly = case.bed_types["arrivals_per_year"].reindex(case.bed_type_names).to_numpy(dtype=float)
    return index * (yearly / DAYS)


def open_share(capacity: pd.DataFrame, sites: list[str]) -> pd.DataFrame:
    """Share of each site's beds open on each day (the smallest share of overlapping periods)."""
    share = np.ones((DAYS, len(sites)))
    column = {site: i for i, site in enumerate(sites)}
    for row in capacity.itertuples():
        start, end = day_of_year(row.start), day_of_year(row.end)
        days = np.arange(start, end + 1) if end >= start else np.r_[np.arange(start, DAYS), np.arange(0, end + 1)]
        targets = list(range(len(sites))) if str(row.site).lower() in ALL_SITES else [column[row.site]]
        for i in targets:
            share[days, i] = np.minimum(share[days, i], row.open_share)
    return pd.DataFrame(share, index=range(DAYS), columns=sites)


def mol_loads(case: object) -> pd.DataFrame:
    """Modified offered load per day and bed type (lognormal stays with the type's CV).

    The load is linear in the arrival rate, so it is computed once per (season shape, stay
    distribution) for one arrival per year and scaled; sweeps that change demand or staffing
    reuse it.
    """
    types = case.bed_type_names
    season = case.season
    monthly = season.reindex(index=types, columns=list(MONTHS)).to_numpy(dtype=float).tolist()
    days, cv = case.holding_days.reindex(types).tolist(), case.holding_cv.reindex(types).tolist()
    arrivals = case.bed_types["arrivals_per_year"].reindex(types).to_numpy(dtype=float)
    loads = {}
    for i, t in enumerate(types):
        shape = tuple(monthly[i]) if t in season.index else (1.0,) * len(MONTHS)
        loads[t] = _unit_mol(shape, float(days[i]), float(cv[i])) * float(arrivals[i])
    return pd.DataFrame(loads)


@functools.lru_cache(maxsize=256)
def _unit_mol(monthly: tuple[float, ...], los_days: float, cv: float) -> np.ndarray:
    """MOL per day for one arrival per year with this season shape and stay distribution.

    Lags run until the stay survival falls below 1e-12 (at most 20 years).
    """
    daily = np.asarray(monthly)[MONTH_OF_DAY]
    rate = daily / daily.mean() / DAYS
    horizon = max(2, int(np.ceil(los_days * 4)))  # at least 2 days: doubling 0 would never end
    while queueing.stay_survival(horizon, los_days, cv) > 1e-12 and horizon < 20 * DAYS:
        horizon *= 2
    weights = queueing.stay_lag_weights(horizon, los_days, cv)
    cycles = max(1, -(-horizon // DAYS))
    result = queueing.modified_offered_load(rate, cycles=cycles, lag_weights=weights)
    result.setflags(write=False)
    return result


def bed_matrix(case: object, allocation: pd.DataFrame) -> np.ndarray:
    """Beds per site (rows, case order) and type (columns, case order) of an allocation; missing pairs 0."""
    sites = pd.Index(case.site_names).get_indexer(allocation["site"])
    types = pd.Index(case.bed_type_names).get_indexer(allocation["bed_type"])
    known = (sites >= 0) & (types >= 0)
    beds = np.zeros((len(case.site_names), len(case.bed_type_names)))
    np.add.at(beds, (sites[known], types[known]), allocation["beds"].to_numpy(dtype=float)[known])
    return beds.astype(int)


def beds_open_per_day(case: object, allocation: pd.DataFrame) -> pd.DataFrame:
    """Pooled beds open per day and bed type: each site's beds times its open share, rounded down."""
    share, beds = case.open_shares.to_numpy(), bed_matrix(case, allocation)  # (365, S), (S, T)
    whole = np.floor(share[:, :, None] * beds[None, :, :] + 1e-9).astype(int)  # (365, S, T)
    return pd.DataFrame(whole.sum(axis=1), columns=case.bed_type_names)


def time_varying_blocking(case: object, beds: pd.Series) -> pd.DataFrame:
    """Blocking per bed type over the year by the modified offered load (pooled beds, no closures).

    Returns columns ``blocking_mol`` (arrival-weighted yearly mean) and ``blocking_worst_month``
    (the highest monthly arrival-weighted blocking), indexed by bed type.
    """
    types = case.bed_type_names
    weight = arrivals_per_day(case).to_numpy()  # (365, T)
    loads = case.mol_loads[types].to_numpy()
    servers = np.broadcast_to(beds.reindex(types, fill_value=0).to_numpy(dtype=int), loads.shape)
    yearly, worst = _yearly_and_worst_month(queueing.erlang_b(servers, loads), weight)
    table = np.column_stack([yearly, worst]).astype(float)
    return pd.DataFrame(table, index=list(types), columns=["blocking_mol", "blocking_worst_month"])


def real_year_blocking(case: object, allocation: pd.DataFrame, *, free_bed: bool = True) -> pd.DataFrame:
    r"""Blocking per bed type in the municipality's real year: winter peak and holiday closures.

    .. math:: \bar B_t = \frac{\sum_d \lambda_{t,d}\, B\bigl(\sum_s o_{s,d}\, x_{s,t},\; m_{t,d}\bigr)}
                             {\sum_d \lambda_{t,d}}

    with :math:`\lambda_{t,d}` the day's arrivals (``Sesong``), :math:`m_{t,d}` the modified offered
    load, :math:`o_{s,d}` the share of site *s*'s beds open that day (``Kapasitet``) and *B* the
    continued Erlang B (:func:`~dimensioning.queueing.erlang_b_continuous`). Closures leave a
    fractional number of beds open (90 % of 17 is 15.3); the continued function interpolates
    between the whole numbers, where the simulation closes whole beds; a type kept at one site
    (:func:`one_site_types`) closes whole beds here too. With neither seasons nor closures it is
    stationary Erlang B exactly.

    The same year under the free-bed principle (``kan_bruke_andre``, ``reservert``) is
    :func:`~dimensioning.queueing.free_bed_blocking` on each day: ``blocking_shared`` counts the
    patients who find no bed of their own type nor a free bed they may borrow.

    A type that waits or books its stays (``ved_fullt`` ``venter``/``planlagt``) is not a loss
    system: its rows hold the share not served on its own curve (given up waiting, booked stays
    not given, :class:`RealYearCurves`), in every column, and no borrowing.

    ``free_bed=False`` skips the free-bed fixed point (the multi-year tables read only the year
    without borrowing): the ``blocking_shared`` columns then equal the others.

    Returns:
        Per type: ``blocking_year`` (arrival-weighted yearly mean), ``blocking_year_worst_month``,
        ``blocking_shared``, ``blocking_shared_worst_month`` and ``borrowed_share`` (share of the
        type's patients served in another type's bed).
    """
    types = case.bed_type_names
    shares, beds_at = case.open_shares.to_numpy(), bed_matrix(case, allocation)
    open_beds = shares @ beds_at  # (365, T), fractional
    whole = one_site_types(case)
    # a type kept at one site closes whole beds there (as in its curve and in the simulation)
    open_beds[:, whole] = np.floor(shares[:, :, None] * beds_at[None, :, :] + 1e-9).sum(axis=1)[:, whole]
    loads = case.mol_loads[types].to_numpy()
    weight = arrivals_per_day(case).to_numpy()
    own = queueing.erlang_b_continuous(open_beds, loads)
    yearly, worst = _yearly_and_worst_month(own, weight)
    if free_bed:
        shared = queueing.free_bed_blocking(
            open_beds,
            loads,
            case.bed_types["may_overflow"].reindex(types).to_numpy(dtype=bool),
            ~case.bed_types["reserved"].reindex(types).to_numpy(dtype=bool),
        )
    else:
        shared = {"blocking": own, "borrowed": np.zeros(own.shape)}
    shared_yearly, shared_worst = _yearly_and_worst_month(shared["blocking"], weight)
    borrowed, _ = _yearly_and_worst_month(shared["borrowed"], weight)
    table = np.column_stack([yearly, worst, shared_yearly, shared_worst, borrowed]).astype(float)
    queued = case.bed_types["when_full"].reindex(types).to_numpy() != "avvises"
    if queued.any():
        beds = beds_at.sum(axis=0)
        curves = curves_covering(case, beds)
        for i in np.flatnonzero(queued):
            monthly = curves.turned_away[beds[i], :, i]
            arrivals = curves.arrivals[:, i]
            with np.errstate(invalid="ignore", divide="ignore"):
                year = monthly.sum() / arrivals.sum() if arrivals.sum() > 0 else 0.0
                worst_month = float(np.max(np.where(arrivals > 0, monthly / arrivals, 0.0)))
            table[i] = [year, worst_month, year, worst_month, 0.0]
    columns = ["blocking_year", "blocking_year_worst_month", "blocking_shared", "blocking_shared_worst_month"]
    return pd.DataFrame(table, index=list(types), columns=[*columns, "borrowed_share"])


def curves_covering(case: object, beds: np.ndarray) -> RealYearCurves:
    """The case's real-year curves, or longer ones when a plan has more beds of a type than they cover."""
    curves = case.real_year_curves
    if beds.max(initial=0) >= curves.yearly.shape[0]:
        curves = real_year_curves(case, int(beds.max()))
    return curves


def _yearly_and_worst_month(daily: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Arrival-weighted mean over the year and over the worst month, per column (bed type)."""
    columns = range(daily.shape[1])
    blocked = np.stack([np.bincount(MONTH_OF_DAY, daily[:, i] * weight[:, i], 12) for i in columns], 1)
    offered = np.stack([np.bincount(MONTH_OF_DAY, weight[:, i], 12) for i in columns], 1)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a type with no arrivals has no blocking
        yearly = np.where(offered.sum(0) > 0, blocked.sum(0) / offered.sum(0), 0.0)
        worst = np.where(offered.sum(0) > 0, np.nanmax(np.where(offered > 0, blocked / offered, np.nan), axis=0), 0.0)
    return yearly, worst


def type_open_share(case: object) -> pd.DataFrame:
    r"""Share of a type's pooled beds open per day, :math:`\bar o_{t,d}`, for the model's curve.

    When every site a type may use closes alike (``Kapasitet`` rows for ``alle``, as in Drammen),
    the type's open beds are :math:`\bar o_{t,d}\, c_t` exactly, whatever the split over sites.
    When sites close differently, the open beds depend on the split; the model then takes the
    smallest share among the sites the type may use (those with beds and the facilities it
    needs), which can only overstate blocking, and the evaluation of a plan uses each site's own
    share (:func:`real_year_blocking`).
    """
    share = case.open_shares.to_numpy()  # (365, S)
    has_beds = case.sites["beds"].reindex(case.site_names).to_numpy() > 0
    columns = {}
    for t in case.bed_type_names:
        usable = has_beds & np.array([(s, t) not in case.missing_facilities for s in case.site_names], dtype=bool)
        columns[t] = share[:, usable].min(axis=1) if usable.any() else np.ones(DAYS)
    return pd.DataFrame(columns)


@dataclass(frozen=True)
class RealYearCurves:
    r"""What each type's patients miss per month at every pooled bed count, in the real year.

    By what happens when all beds are full (``ved_fullt``):

    - ``avvises`` (a loss system): patients turned away,
      :math:`L_{t,m}(c) = \sum_{d \in m} \lambda_{t,d}\, B\bigl(\bar o_{t,d}\, c,\; m_{t,d}\bigr)`
      with the continued Erlang B, the modified offered load and the type's open share
      (:func:`type_open_share`). Decreasing and convex in *c* (a positive sum of convex functions
      of :math:`\bar o c`).
    - ``venter`` (Erlang A, or Erlang C without a patience): waiting days
      :math:`W_{t,m}(c) = \sum_{d \in m} \lambda_{t,d}\, w\bigl(\bar o_{t,d} c, m_{t,d}\bigr)`
      and patients who give up :math:`L_{t,m}(c) = \sum_d \lambda_{t,d}\, p_{ab}(\cdot)`, each day
      its own stationary queue at the modified offered load (:func:`waiting_curves`), linear
      between whole numbers of open beds. Where a curve is not convex (an unbounded Erlang C
      queue capped at ``UNBOUNDED_WAIT_DAYS``), the model uses its lower convex envelope.
    - ``planlagt`` (booked stays): booked bed-days not given,
      :math:`W_{t,m}(c) = \max\bigl(0, D_{t,m} - u_t\, c \sum_{d \in m} \bar o_{t,d}\bigr)`,
      with :math:`D_{t,m}` the booked bed-days of the month and :math:`u_t` ``maal_belegg``;
      :math:`L_{t,m} = W_{t,m} / \text{liggetid}` stays not given. Convex and piecewise linear.

    ``turned_away`` is in every case the patients not served (so ``maks_avvisning`` reads as the
    share not served), ``waiting_days`` the days waited (``venter``) or booked days not given
    (``planlagt``), zero for ``avvises``.

    Attributes:
        turned_away: ``(C + 1, 12, T)`` patients not served per month at ``c = 0..C`` beds.
        waiting_days: ``(C + 1, 12, T)`` waiting days (or booked days not given) per month.
        waited: ``(C + 1, 12, T)`` patients who had to wait per month (``venter``; else zero).
        arrivals: ``(12, T)`` arrivals (or booked stays) per month.
        bed_types: Type names, in column order.
        when_full: ``ved_fullt`` per type, in column order.
    """

    turned_away: np.ndarray
    waiting_days: np.ndarray
    waited: np.ndarray
    arrivals: np.ndarray
    bed_types: tuple[str, ...]
    when_full: tuple[str, ...]

    def head(self, max_beds: int) -> RealYearCurves:
        """The curves at ``0..max_beds`` beds only."""
        cut = slice(0, max_beds + 1)
        arrays = (self.turned_away[cut], self.waiting_days[cut], self.waited[cut])
        return RealYearCurves(*arrays, self.arrivals, self.bed_types, self.when_full)

    @property
    def yearly(self) -> np.ndarray:
        """``(C + 1, T)`` patients not served per year."""
        return self.turned_away.sum(axis=1)

    @property
    def yearly_waiting_days(self) -> np.ndarray:
        """``(C + 1, T)`` waiting days (or booked days not given) per year."""
        return self.waiting_days.sum(axis=1)

    def min_beds(self, max_blocking: np.ndarray, every_month: bool = False) -> np.ndarray:
        """Fewest beds per type meeting the target on the yearly mean, or in every month.

        A type whose target no count up to ``C`` meets gets ``C + 1`` (the model then has no
        solution and says which rule conflicts).
        """
        return _first_holding(self.turned_away, self.arrivals, max_blocking, every_month)

    def min_beds_for_wait(self, max_wait_days: np.ndarray, every_month: bool = False) -> np.ndarray:
        """Fewest beds per type whose mean wait over all arrivals is at most ``max_wait_days``.

        ``NaN`` (no waiting target) gives 0; so does a type that never waits (``avvises``).
        """
        target = np.where(np.isnan(max_wait_days), np.inf, max_wait_days)
        return _first_holding(self.waiting_days, self.arrivals, target, every_month)


def _first_holding(amount: np.ndarray, arrivals: np.ndarray, limit: np.ndarray, every_month: bool) -> np.ndarray:
    """Smallest *c* where ``amount / arrivals`` is at most ``limit`` (per month or over the year)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if every_month:
            share = np.where(arrivals > 0, amount / arrivals, 0.0)
            holds = (share <= limit[None, None, :] + 1e-12).all(axis=1)
        else:
            total = arrivals.sum(axis=0)
            share = np.where(total > 0, amount.sum(axis=1) / total, 0.0)
            holds = share <= limit[None, :] + 1e-12
    first = np.argmax(holds, axis=0)
    return np.where(holds.any(axis=0), first, holds.shape[0])


# A day whose queue grows without bound (Erlang C at or above capacity) counts this many days of
# waiting per arrival: finite, so curves and costs stay numbers, and far above any target.
UNBOUNDED_WAIT_DAYS = 365.0


def waiting_curves(
    max_beds: int,
    rate: np.ndarray,
    load: np.ndarray,
    share: np.ndarray,
    los_days: float,
    patience_days: float | None,
    whole_beds: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Waiting days and patients giving up per month at ``0..max_beds`` beds, for one ``venter`` type.

    Each day is its own stationary Erlang A queue (Erlang C without a patience) with
    :math:`\bar o_d c` open beds (linear between the whole numbers around it) and the modified
    offered load :math:`m_d`
    (arrival rate :math:`m_d / \text{liggetid}`, so the load carries the season's lag), weighted by
    the day's real arrivals :math:`\lambda_d`. Days where the queue grows without bound count
    ``UNBOUNDED_WAIT_DAYS`` per arrival.

    With ``whole_beds`` (a type kept at one site, :func:`one_site_types`) the site closes whole
    beds, :math:`\lfloor \bar o_d c \rfloor`, as it does in the simulation.

    Returns:
        ``(C + 1, 12)`` waiting days, patients who give up and patients who had to wait.
    """
    beds = np.arange(max_beds + 1, dtype=float)[:, None]
    open_beds = beds * share[None, :]
    low = np.floor(open_beds + 1e-9)
    fraction = np.clip(open_beds - low, 0.0, 1.0)[:, load > 0]
    if whole_beds:
        fraction = np.zeros_like(fraction)
    served = load > 0
    wait = np.zeros((max_beds + 1, DAYS))
    gave_up = np.zeros((max_beds + 1, DAYS))
    waited = np.zeros((max_beds + 1, DAYS))
    if served.any():
        # fractional open beds (90 % of 17): linear between the whole numbers around them, which
        # keeps each day's curve convex wherever the whole-number curve is
        for servers, weight in ((low, 1.0 - fraction), (low + 1.0, fraction)):
            metrics = queueing.wait_metrics(servers[:, served], load[served] / los_days, los_days, patience_days)
            wait[:, served] += weight * np.minimum(metrics["mean_wait_days"], UNBOUNDED_WAIT_DAYS)
            gave_up[:, served] += weight * metrics["p_abandon"]
            waited[:, served] += weight * metrics["p_wait"]
    month_of = np.eye(12)[MONTH_OF_DAY]
    return tuple((values * rate[None, :]) @ month_of for values in (wait, gave_up, waited))


def planned_curves(
    max_beds: int, rate: np.ndarray, share: np.ndarray, los_days: float, occupancy: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""Booked bed-days not given and stays not given per month at ``0..max_beds`` beds (``planlagt``).

    Booked stays are scheduled, not random: a month's bookings :math:`D_m = \sum_{d\in m}
    \lambda_d \cdot \text{liggetid}` fit as long as the beds, filled to ``maal_belegg`` *u*,
    give that many bed-days: :math:`W_m(c) = \max(0, D_m - u\,c \sum_{d \in m} \bar o_d)`.

    Returns:
        ``(C + 1, 12)`` booked bed-days not given and ``(C + 1, 12)`` stays not given.
    """
    month_of = np.eye(12)[MONTH_OF_DAY]
    booked = (rate * los_days) @ month_of  # (12,)
    per_bed = occupancy * (share @ month_of)  # (12,) bed-days one bed gives per month
    beds = np.arange(max_beds + 1, dtype=float)[:, None]
    unmet = np.maximum(0.0, booked[None, :] - beds * per_bed[None, :])
    return unmet, unmet / los_days


#: Real-year curves computed in this process, by a digest of everything they depend on (see
#: :func:`real_year_curves`); the years ahead ask for the same year's curves for several cases.
_CURVES: dict[str, RealYearCurves] = {}
_CURVES_KEPT = 64


def real_year_curves(case: object, max_beds: int) -> RealYearCurves:
    """The real-year curves :class:`RealYearCurves` for ``0..max_beds`` pooled beds per type.

    The curve at *c* beds does not depend on how far the table goes, so curves computed before
    for the same inputs (daily arrivals, loads and open shares, and each type's ``ved_fullt``,
    length of stay, patience and ``maal_belegg``) and at least as many beds are cut to length
    instead of computed again. The key is a digest of those inputs, so a changed input is never
    served from the cache.
    """
    rates = arrivals_per_day(case)
    loads = case.mol_loads
    shares = case.type_open_shares
    key = _curve_key(case, rates, loads, shares)
    known = _CURVES.get(key)
    if known is not None and known.turned_away.shape[0] > max_beds:
        return known.head(max_beds)
    curves = _compute_real_year_curves(case, max_beds, rates, loads, shares)
    if len(_CURVES) >= _CURVES_KEPT:
        _CURVES.pop(next(iter(_CURVES)))
    _CURVES[key] = curves
    return curves


def remember_curves(case: object, curves: RealYearCurves) -> None:
    """Keep curves computed elsewhere (a worker process) for this case's inputs, as if computed here."""
    key = _curve_key(case, arrivals_per_day(case), case.mol_loads, case.type_open_shares)
    known = _CURVES.get(key)
    if known is None or known.turned_away.shape[0] < curves.turned_away.shape[0]:
        _CURVES.pop(key, None)
        if len(_CURVES) >= _CURVES_KEPT:
            _CURVES.pop(next(iter(_CURVES)))
        _CURVES[key] = curves


def min_stable_beds(case: object) -> np.ndarray:
    r"""``(T,)`` fewest pooled beds whose queue does not grow without bound (0 where no queue can).

    A ``venter`` type whose patients never give up (no ``gir_opp_etter_dager``) is stable over
    the year only while its open beds give more bed-days than its patients need:

    .. math:: \sum_d \bar o_{t,d}\, c_t \;>\; \sum_d \lambda_{t,d}\, L_t

    (whole open beds, :math:`\lfloor \bar o_{t,d} c_t \rfloor`, for a type at one site). Below
    that, the queue and the wait grow every year, so no mean wait exists; the model's capped
    curve (``UNBOUNDED_WAIT_DAYS``) must never be what decides such a type. A type whose site is
    closed all year gets ``NEVER_STABLE``.
    """
    types = case.bed_type_names
    rates = arrivals_per_day(case)[types].to_numpy()
    shares = np.round(case.type_open_shares[types].to_numpy(), 12)
    kinds = case.bed_types.reindex(types)
    whole = one_site_types(case)
    beds = np.zeros(len(types), dtype=int)
    for i, t in enumerate(types):
        if kinds.at[t, "when_full"] != "venter" or not pd.isna(kinds.at[t, "patience_days"]):
            continue
        work = float(rates[:, i].sum()) * float(case.holding_days[t])  # bed-days needed per year
        per_bed = float(shares[:, i].sum())  # bed-days one bed gives per year
        if work <= 0:
            continue
        if per_bed <= 0:
            beds[i] = NEVER_STABLE
            continue
        c = int(np.floor(work / per_bed + 1e-9)) + 1
        while whole[i] and np.floor(c * shares[:, i] + 1e-9).sum() <= work:
            c += 1
        beds[i] = c
    return beds


#: What :func:`min_stable_beds` says of a type whose beds are never open.
NEVER_STABLE = 1_000_000


def one_site_types(case: object) -> np.ndarray:
    r"""``(T,)`` the types kept at one site (``maks_lokasjoner`` = 1): their curves close whole beds.

    A unit at one site keeps :math:`\\lfloor \bar o_d c \rfloor` beds open on a day whose open
    share is :math:`\bar o_d` (11 KAD beds at 90 % keep 9 open, not 9.9), as in the simulation.
    Types spread over sites keep the continued curve (linear between whole beds), since their
    closures fall on several units.
    """
    sites = case.bed_types["max_sites"].reindex(case.bed_type_names)
    return np.array([v is not None and not pd.isna(v) and int(v) == 1 for v in sites], dtype=bool)


def _curve_key(case: object, rates: pd.DataFrame, loads: pd.DataFrame, shares: pd.DataFrame) -> str:
    """A digest of every input of the real-year curves."""
    types = case.bed_type_names
    columns = ["when_full", "los_days", "cold_days", "patience_days", "target_occupancy", "max_sites"]
    digest = hashlib.sha256(repr((tuple(types), case.bed_types[columns].reindex(types).to_numpy().tolist())).encode())
    for frame in (rates, loads, shares):
        digest.update(np.ascontiguousarray(frame[types].to_numpy(dtype=float)).tobytes())
    return digest.hexdigest()


def _compute_real_year_curves(
    case: object, max_beds: int, rates: pd.DataFrame, loads: pd.DataFrame, shares: pd.DataFrame
) -> RealYearCurves:
    """Compute :class:`RealYearCurves` (no cache)."""
    types = case.bed_type_names
    month_of = np.eye(12)[MONTH_OF_DAY]  # (365, 12) one-hot
    share = np.round(shares[types].to_numpy(), 12)  # (365, T)
    load, rate = loads[types].to_numpy(), rates[types].to_numpy()
    kind = case.bed_types["when_full"].reindex(types).to_numpy()
    away = np.zeros((max_beds + 1, 12, len(types)))
    waiting = np.zeros((max_beds + 1, 12, len(types)))
    waited = np.zeros((max_beds + 1, 12, len(types)))
    whole = one_site_types(case)
    loss = (kind == "avvises") & ~whole
    for value in np.unique(share[:, loss]):  # one table per open share, for every loss type and day at once
        day, column = np.nonzero((share == value) & loss[None, :])
        table = queueing.erlang_b_continuous_table(max_beds, load[day, column], float(value))
        weighted = table * rate[day, column]  # (C + 1, n) turned away on each (day, type)
        for i in np.unique(column):
            pick = column == i
            away[:, :, i] += weighted[:, pick] @ month_of[day[pick]]
    for i in np.flatnonzero((kind == "avvises") & whole):  # one site: it closes whole beds
        table = queueing.erlang_b_table(max_beds, load[:, i])  # (C + 1, 365) at whole open beds
        open_beds = np.floor(np.arange(max_beds + 1)[:, None] * share[None, :, i] + 1e-9).astype(int)
        daily = np.take_along_axis(table, open_beds, axis=0) * rate[None, :, i]
        away[:, :, i] = daily @ month_of
    for i, t in enumerate(types):
        row = case.bed_types.loc[t]
        los = float(case.holding_days[t])  # the bed's service time: the stay and its cold time
        if kind[i] == "venter":
            patience = row["patience_days"]
            patience = None if patience is None or pd.isna(patience) else float(patience)
            curves = waiting_curves(max_beds, rate[:, i], load[:, i], share[:, i], los, patience, whole[i])
            waiting[:, :, i], away[:, :, i], waited[:, :, i] = curves
        elif kind[i] == "planlagt":
            occupancy = float(row["target_occupancy"])
            waiting[:, :, i], away[:, :, i] = planned_curves(max_beds, rate[:, i], share[:, i], los, occupancy)
    arrivals = month_of.T @ rates[types].to_numpy()
    for values in (away, waiting, waited):
        values.setflags(write=False)
    return RealYearCurves(away, waiting, waited, arrivals, tuple(types), tuple(kind))


def shortfall_real_year(case: object, beds: pd.Series) -> pd.DataFrame:
    """What each type's patients miss per year at these pooled beds, on the model's real-year curves.

    Returns:
        Per bed type (index): ``turned_away_per_year`` (patients not served: turned away, given up
        waiting, booked stays not given), ``waiting_days_per_year`` (``venter``),
        ``unmet_booked_days_per_year`` (``planlagt``), ``mean_wait_days`` (over all arrivals),
        ``p_wait`` (share who must wait), ``mean_wait_if_waiting_days`` (``venter``; NaN for others)
        and ``turned_away_cost_nok``, ``waiting_cost_nok`` (exact, not the envelope).
    """
    names = case.bed_type_names
    beds = beds.reindex(names, fill_value=0).to_numpy(dtype=int)
    curves = curves_covering(case, beds)
    columns = np.arange(len(beds))
    kind = case.bed_types["when_full"].reindex(names).to_numpy()
    away = curves.yearly[beds, columns]
    days = curves.yearly_waiting_days[beds, columns]
    waited = curves.waited.sum(axis=1)[beds, columns]
    arrivals = curves.arrivals.sum(axis=0)
    waits = kind == "venter"
    away_price, wait_price = case.shortfall_prices
    away_cost, wait_cost = away * away_price, days * wait_price
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_wait = np.where(waits & (arrivals > 0), days / arrivals, np.where(waits, 0.0, np.nan))
        p_wait = np.where(waits & (arrivals > 0), waited / arrivals, np.where(waits, 0.0, np.nan))
        if_waiting = np.where(waits & (waited > 0), days / waited, np.where(waits, 0.0, np.nan))
    return pd.DataFrame(
        {
            "turned_away_per_year": away,
            "waiting_days_per_year": np.where(waits, days, 0.0),
            "unmet_booked_days_per_year": np.where(kind == "planlagt", days, 0.0),
            "mean_wait_days": mean_wait,
            "p_wait": p_wait,
            "mean_wait_if_waiting_days": if_waiting,
            "turned_away_cost_nok": away_cost,
            "waiting_cost_nok": wait_cost,
        },
        index=pd.Index(names, name="bed_type"),
    )
