"""Queueing formulas for bed dimensioning: pure, vectorised, numerically stable.

A bed unit is modelled as an M/G/c/c loss system (Erlang's loss model): patients arrive as a
Poisson stream with rate ``lambda`` per day, each occupies a bed for a length of stay with mean
``los_days`` (any distribution: the loss formula is insensitive to it), and a patient who finds all
``c`` beds taken is turned away (to the hospital, home, or another type of bed). The offered load
is ``a = lambda * los_days`` (in beds, "erlang").

All functions accept scalars or numpy arrays and broadcast. No Pyomo is imported here: the model
layer turns these numbers into parameters before any model object exists.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

__all__ = [
    "DAYS_PER_YEAR",
    "offered_load",
    "erlang_b_table",
    "erlang_b",
    "erlang_b_continuous",
    "erlang_b_continuous_table",
    "erlang_c",
    "occupancy",
    "turned_away_per_year",
    "min_servers",
    "max_load",
    "lognormal_params",
    "stay_survival",
    "stay_lag_weights",
    "modified_offered_load",
    "period_blocking",
    "free_bed_blocking",
    "trunk_reservation",
    "wait_metrics",
    "lower_convex_envelope",
    "is_convex",
    "load_compiled",
]

DAYS_PER_YEAR = 365.0
_ERFC = np.frompyfunc(math.erfc, 1, 1)

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]


def offered_load(arrivals_per_year: ArrayLike, los_days: ArrayLike) -> FloatArray:
    """Offered load in beds: ``a = arrivals_per_year / 365 * los_days``.

    Args:
        arrivals_per_year: Admissions (arrivals) per year.
        los_days: Mean length of stay in days.

    Returns:
        The mean number of beds the demand would occupy if no patient were turned away.
    """
    return np.asarray(arrivals_per_year, dtype=float) / DAYS_PER_YEAR * np.asarray(los_days, dtype=float)


def erlang_b_table(c_max: int, load: ArrayLike) -> FloatArray:
    """Erlang B blocking for every bed count ``0..c_max`` at the given load(s).

    Uses the forward recursion ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))``, which never
    overflows: every intermediate value lies in ``[0, 1]`` and small values underflow gracefully to 0.

    Args:
        c_max: Largest bed count (non-negative integer).
        load: Offered load(s) ``a >= 0``; scalar or array of any shape.

    Returns:
        Array of shape ``(c_max + 1, *np.shape(load))``: row ``k`` is ``B(k, a)``.
    """
    if c_max < 0:
        msg = f"c_max must be >= 0, got {c_max}"
        raise ValueError(msg)
    a = np.asarray(load, dtype=float)
    if np.any(a < 0) or np.any(~np.isfinite(a)):
        msg = "load must be finite and >= 0"
        raise ValueError(msg)
    out = np.empty((c_max + 1, *a.shape), dtype=float)
    b = np.ones_like(a)
    out[0] = b
    for k in range(1, c_max + 1):
        ab = a * b
        b = ab / (k + ab)
        out[k] = b
    return out


def erlang_b(servers: ArrayLike, load: ArrayLike) -> FloatArray:
    """Blocking probability ``B(c, a)`` of an M/G/c/c loss system (Erlang's loss formula).

    ``B(c, a) = (a^c / c!) / sum_{k=0}^{c} a^k / k!``, computed by the stable recursion of
    :func:`erlang_b_table`, so it is exact to rounding for ``c`` and ``a`` up to 10,000 and beyond.

    Args:
        servers: Number of beds ``c`` (non-negative integers), scalar or array.
        load: Offered load ``a >= 0``, scalar or array; broadcast against ``servers``.

    Returns:
        Blocking probability with the broadcast shape of the inputs.
    """
    c_arr, a_arr = np.broadcast_arrays(np.asarray(servers), np.asarray(load, dtype=float))
    c_int = _as_bed_counts(c_arr)
    if c_int.size == 0:
        return np.empty(c_int.shape, dtype=float)
    flat_c = c_int.ravel()
    # one recursion per distinct load (a curve over bed counts repeats each load many times)
    loads, which = np.unique(a_arr.ravel(), return_inverse=True)
    table = erlang_b_table(int(flat_c.max()), loads)
    return table[flat_c, which.ravel()].reshape(c_int.shape)


_LAGUERRE_NODES = 96


def erlang_b_continuous(servers: ArrayLike, load: ArrayLike) -> FloatArray:
    r"""Erlang B for a real number of servers (beds), e.g. 90 % of 17 beds open.

    The continued loss function (Jagerman 1974)

    .. math:: \frac{1}{B(x, a)} = a \int_0^\infty e^{-a t} (1 + t)^x \, dt
              = \int_0^\infty e^{-u} \left(1 + \frac{u}{a}\right)^x du

    equals Erlang B at every whole ``x`` and is decreasing and convex in ``x`` (Jagers and van
    Doorn 1986), so a closure that leaves ``0.9 c`` beds open keeps a convex, exact-at-integers
    curve in ``c``. Computed for the fractional part ``f`` of ``x`` (the incomplete gamma function,
    :math:`1/B(f, a) = e^a a^{-f} \Gamma(f + 1, a)`, or Gauss-Laguerre quadrature where that
    underflows), then by the stable recursion :math:`1/B(x, a) = 1 + \frac{x}{a}\, 1/B(x - 1, a)`.

    Args:
        servers: Beds open, any real number ``>= 0`` (broadcast with ``load``).
        load: Offered load ``a >= 0``.

    Returns:
        Blocking probability in ``[0, 1]``.
    """
    x, a = np.broadcast_arrays(np.asarray(servers, dtype=float), np.asarray(load, dtype=float))
    if np.any(x < 0) or np.any(~np.isfinite(x)):
        msg = "open beds must be finite and non-negative"
        raise ValueError(msg)
    x, a = x.ravel(), a.ravel()
    result = np.zeros(x.shape)
    idle = a <= 0.0
    result[idle] = (x[idle] == 0).astype(float)  # no load: nothing is turned away, unless no bed at all
    busy = ~idle
    if np.any(busy):
        result[busy] = _continued_blocking(x[busy], a[busy])
    return result.reshape(np.broadcast(np.asarray(servers), np.asarray(load)).shape)


@functools.lru_cache(maxsize=1)
def _laguerre_rule() -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Laguerre nodes and weights (an eigenvalue problem: computed once, not per call)."""
    return np.polynomial.laguerre.laggauss(_LAGUERRE_NODES)


def _continued_blocking(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``B(x, a)`` for ``a > 0``: ``1/B`` at the fractional part, then the upward recursion."""
    from scipy.special import gammaincc, gammaln  # only here: the solve path stays free of scipy

    whole = np.floor(x)
    fraction = x - whole
    inverse = np.ones(x.shape)
    has_fraction = fraction > 0
    small = has_fraction & (a <= 500.0)
    if np.any(small):
        f, load = fraction[small], a[small]
        log_gamma_upper = gammaln(f + 1.0) + np.log(gammaincc(f + 1.0, load))
        inverse[small] = np.exp(load - f * np.log(load) + log_gamma_upper)
    large = has_fraction & ~small
    if np.any(large):  # e^{-u} (1 + u/a)^f is smooth and nearly linear here: quadrature is exact enough
        nodes, weights = _laguerre_rule()
        f, load = fraction[large, None], a[large, None]
        inverse[large] = np.sum(weights * (1.0 + nodes / load) ** f, axis=1)
    # the upward recursion in the bounded form B(x) = a B(x-1) / (x + a B(x-1)), element by element
    blocking = 1.0 / inverse
    recursion = _compiled(_upward_recursion)
    recursion(np.ascontiguousarray(whole), np.ascontiguousarray(fraction), np.ascontiguousarray(a), blocking)
    return blocking


def _upward_recursion(whole: np.ndarray, fraction: np.ndarray, a: np.ndarray, blocking: np.ndarray) -> None:
    """``blocking[i] <- B(whole[i] + fraction[i], a[i])`` from ``B(fraction[i], a[i])``, in place (numba)."""
    for i in range(blocking.size):
        b = blocking[i]
        for step in range(1, int(whole[i]) + 1):
            ab = a[i] * b
            b = ab / (fraction[i] + step + ab)
        blocking[i] = b


def erlang_b_continuous_table(c_max: int, load: ArrayLike, share: float = 1.0) -> FloatArray:
    r"""The continued Erlang B at ``share * k`` open beds for every ``k = 0..c_max``.

    The curve of a type whose beds are partly closed (a share of 0.9 in the summer): row ``k`` is
    :func:`erlang_b_continuous` at ``share * k`` beds. Bed counts with the same fractional part
    share one start value and one run of the stable recursion
    :math:`B(x, a) = a B(x-1, a) / (x + a B(x-1, a))`, so a table costs about as much as
    :func:`erlang_b_table` times the number of distinct fractions (10 for a share of 0.9).

    Args:
        c_max: Largest bed count before the share is applied.
        load: Offered load(s) ``a >= 0``, a 1-d array or scalar.
        share: Share of the beds open, in ``[0, 1]`` (0: the site is closed, every patient turned away).

    Returns:
        Array of shape ``(c_max + 1, *np.shape(load))``.
    """
    if not 0.0 <= share <= 1.0:
        msg = f"share must be in [0, 1], got {share}"
        raise ValueError(msg)
    a = np.asarray(load, dtype=float)
    if share == 1.0:
        return erlang_b_table(c_max, a)
    if share == 0.0:  # no bed open, whatever the count: B(0, a) = 1
        return np.ones((c_max + 1, *a.shape))
    flat = a.ravel()
    x = share * np.arange(c_max + 1)
    whole = np.floor(x + 1e-9).astype(int)
    fraction = np.where(x - whole > 1e-9, x - whole, 0.0)
    fractions, which = np.unique(fraction, return_inverse=True)
    busy = flat > 0
    b = np.ones((fractions.size, flat.size))  # B(f, a) for every fractional part f
    for j, f in enumerate(fractions):
        if f > 0:
            b[j, busy] = _continued_blocking(np.full(int(busy.sum()), f), flat[busy])
            b[j, ~busy] = 0.0
    out = np.empty((c_max + 1, flat.size))
    for k in range(int(whole.max()) + 1):
        if k > 0:  # one step of the recursion for every fraction at once
            ab = flat * b
            b = ab / (fractions[:, None] + k + ab)
        rows = np.nonzero(whole == k)[0]
        out[rows] = b[which[rows]]
    return out.reshape((c_max + 1, *a.shape))


def erlang_c(servers: ArrayLike, load: ArrayLike) -> FloatArray:
    """Probability of waiting ``C(c, a)`` in an M/M/c queue (Erlang's delay formula).

    Computed from Erlang B: ``C = c B / (c - a (1 - B))`` for ``a < c``; 1 when ``a >= c``
    (the queue is unstable and every patient waits).

    Args:
        servers: Number of beds ``c`` (non-negative integers).
        load: Offered load ``a >= 0``.

    Returns:
        Probability that an arriving patient must wait.
    """
    c_arr, a_arr = np.broadcast_arrays(np.asarray(servers), np.asarray(load, dtype=float))
    c_f = _as_bed_counts(c_arr).astype(float)
    b = erlang_b(c_arr, a_arr)
    stable = a_arr < c_f
    denom = np.where(stable, c_f - a_arr * (1.0 - b), 1.0)
    return np.where(stable, c_f * b / denom, 1.0)


def occupancy(servers: ArrayLike, load: ArrayLike) -> FloatArray:
    """Mean share of beds occupied: carried load over beds, ``a (1 - B(c, a)) / c``.

    Args:
        servers: Number of beds ``c``; zero beds give occupancy 0.
        load: Offered load ``a``.

    Returns:
        Occupancy share in ``[0, 1)``.
    """
    c_arr, a_arr = np.broadcast_arrays(np.asarray(servers), np.asarray(load, dtype=float))
    c_f = _as_bed_counts(c_arr).astype(float)
    carried = a_arr * (1.0 - erlang_b(c_arr, a_arr))
    return np.divide(carried, c_f, out=np.zeros_like(carried), where=c_f > 0)


def turned_away_per_year(servers: ArrayLike, arrivals_per_year: ArrayLike, los_days: ArrayLike) -> FloatArray:
    """Expected patients turned away per year: ``lambda * B(c, a)``.

    Args:
        servers: Number of beds ``c``.
        arrivals_per_year: Admissions offered per year ``lambda``.
        los_days: Mean length of stay in days.

    Returns:
        Patients per year who find every bed of the type taken.
    """
    load = offered_load(arrivals_per_year, los_days)
    return np.asarray(arrivals_per_year, dtype=float) * erlang_b(servers, load)


def min_servers(load: ArrayLike, max_blocking: ArrayLike, c_limit: int = 100_000) -> npt.NDArray:
    """Smallest bed count ``c`` with ``B(c, a) <= max_blocking``.

    Walks the Erlang B recursion upwards until every element meets its target, so the cost is
    ``O(c * n)`` for the largest ``c`` needed.

    Args:
        load: Offered load(s) ``a``.
        max_blocking: Highest accepted blocking, in ``(0, 1]``; 1 or more needs 0 beds.
        c_limit: Give up above this bed count.

    Returns:
        Integer array of bed counts with the broadcast shape of the inputs.

    Raises:
        ValueError: If a target is not positive or cannot be met within ``c_limit`` beds.
    """
    a_arr, t_arr = np.broadcast_arrays(np.asarray(load, dtype=float), np.asarray(max_blocking, dtype=float))
    if np.any(t_arr <= 0):
        msg = "max_blocking must be > 0: no finite number of beds gives zero blocking"
        raise ValueError(msg)
    if np.any(a_arr < 0) or np.any(~np.isfinite(a_arr)):
        msg = "load must be finite and >= 0"
        raise ValueError(msg)
    result = np.zeros(a_arr.shape, dtype=np.int64)
    b = np.ones(a_arr.shape, dtype=float)
    done = b <= t_arr
    k = 0
    while not np.all(done):
        k += 1
        if k > c_limit:
            msg = f"blocking target not met within {c_limit} beds"
            raise ValueError(msg)
        ab = a_arr * b
        b = ab / (k + ab)
        newly = (~done) & (b <= t_arr)
        result[newly] = k
        done |= newly
    return result


def max_load(servers: ArrayLike, max_blocking: ArrayLike, tol: float = 1e-10) -> FloatArray:
    """Largest offered load that ``c`` beds serve with blocking at most the target.

    The inverse of Erlang B in the load (as printed in classic Erlang tables), found by
    bisection on the monotone map ``a -> B(c, a)``.

    Args:
        servers: Bed counts ``c``.
        max_blocking: Blocking targets in ``(0, 1)``.
        tol: Absolute tolerance on the load.

    Returns:
        Offered loads ``a`` with ``B(c, a) = max_blocking``.
    """
    c_arr, t_arr = np.broadcast_arrays(np.asarray(servers), np.asarray(max_blocking, dtype=float))
    c_int = _as_bed_counts(c_arr)
    lo = np.zeros(c_int.shape)
    # B(c, a) >= 1 - c/a, so a = c / (1 - target) is always an upper bound.
    hi = c_int / (1.0 - np.minimum(t_arr, 1 - 1e-12)) + 1.0
    while np.max(hi - lo, initial=0.0) > tol:
        mid = 0.5 * (lo + hi)
        too_much = erlang_b(c_int, mid) > t_arr
        hi = np.where(too_much, mid, hi)
        lo = np.where(too_much, lo, mid)
    return 0.5 * (lo + hi)


def _as_bed_counts(servers: np.ndarray) -> npt.NDArray[np.int64]:
    """Check that bed counts are non-negative whole numbers and return them as int64."""
    c_float = np.asarray(servers, dtype=float)
    if np.any(c_float < 0) or np.any(c_float != np.round(c_float)):
        msg = "bed counts must be non-negative whole numbers"
        raise ValueError(msg)
    return c_float.astype(np.int64)


def lognormal_params(mean: ArrayLike, cv: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """``(mu, sigma)`` of a lognormal with the given mean and coefficient of variation."""
    mean_arr = np.asarray(mean, dtype=float)
    sigma2 = np.log1p(np.asarray(cv, dtype=float) ** 2)
    return np.log(mean_arr) - sigma2 / 2.0, np.sqrt(sigma2)


def stay_survival(days: ArrayLike, los_days: float, cv: float = 1.0) -> FloatArray:
    """``P(S > u)`` of a lognormal length of stay with the given mean and coefficient of variation.

    ``P(S > u) = erfc((ln u - mu) / (sigma sqrt 2)) / 2``, with ``math.erfc`` (no scipy import on the
    solve path).
    """
    u = np.asarray(days, dtype=float)
    mu, sigma = lognormal_params(los_days, cv)
    with np.errstate(divide="ignore"):
        z = (np.log(u) - mu) / (sigma * np.sqrt(2.0))
    return 0.5 * np.asarray(_ERFC(z), dtype=float)


def stay_lag_weights(horizon_days: int, los_days: float, cv: float = 1.0) -> FloatArray:
    r"""Exact daily lag weights of a lognormal stay: :math:`w_k = \int_k^{k+1} P(S > u)\, du`.

    .. math:: w_k = E[\min(S, k+1)] - E[\min(S, k)], \quad
        E[\min(S, x)] = E[S]\, \Phi\!\left(\tfrac{\ln x - \mu - \sigma^2}{\sigma}\right)
        + x \left(1 - \Phi\!\left(\tfrac{\ln x - \mu}{\sigma}\right)\right)

    Exact for stays shorter than a day too, where sampling the survival on a daily grid would
    count every patient for at least half a day. The weights sum to the mean stay (up to the tail
    beyond the horizon). Returns ``horizon_days`` weights, for lags ``0 .. horizon_days - 1``.
    """
    mu, sigma = lognormal_params(los_days, cv)
    x = np.arange(1, horizon_days + 1, dtype=float)

    def phi(z: FloatArray) -> FloatArray:
        return 0.5 * np.asarray(_ERFC(-z / np.sqrt(2.0)), dtype=float)

    limited = los_days * phi((np.log(x) - mu - sigma**2) / sigma) + x * (1.0 - phi((np.log(x) - mu) / sigma))
    return np.diff(np.concatenate([[0.0], limited]))


def modified_offered_load(
    arrivals_per_day: ArrayLike,
    survival: ArrayLike | None = None,
    step_days: float = 1.0,
    cycles: int = 3,
    *,
    lag_weights: ArrayLike | None = None,
) -> FloatArray:
    r"""Offered load over time for time-varying arrivals (the infinite-server mean).

    .. math:: m(t) = \int_0^\infty \lambda(t - u)\, P(S > u)\, du

    (Eick, Massey and Whitt 1993). ``arrivals_per_day`` is one cycle (e.g. one year on a daily grid)
    that repeats; the cycle is repeated ``cycles`` times before ``t`` so the start-up has died out.
    In the modified-offered-load approximation (Jennings, Mandelbaum, Massey and Whitt 1996) the
    blocking at time ``t`` is ``B(c, m(t))``.

    Args:
        arrivals_per_day: Arrival rate on each grid step of one cycle (patients per day).
        survival: ``P(S > u)`` at ``u = 0, step, 2 step, ...`` (any length; truncated at the tail);
            the weight of a lag is then the mean of its two end points (trapezoid rule).
        step_days: Grid step in days.
        cycles: Cycles of history used for the convolution.
        lag_weights: Instead of ``survival``: the exact integral of the survival over each step
            (:func:`stay_lag_weights`), in step units times ``step_days``.

    Returns:
        ``m`` on the same grid as ``arrivals_per_day`` (beds): the mean over each step, taking the
        rate as constant within a step.
    """
    rate = np.asarray(arrivals_per_day, dtype=float)
    n = rate.size
    history = np.tile(rate, cycles + 1)
    if lag_weights is not None:
        weights = np.asarray(lag_weights, dtype=float)
    else:
        # trapezoid rule: the mean of the survival at k and k + 1 approximates its mean over [k, k+1)
        surv = np.asarray(survival, dtype=float)
        weights = 0.5 * (surv[:-1] + surv[1:]) * step_days if surv.size > 1 else surv * step_days
    weights = weights[: history.size]
    # rates are constant within a step: full[i] is m at the end of step i; return the step mean
    full = np.convolve(history, weights)[: history.size]
    return 0.5 * (full[-n - 1 : -1] + full[-n:])


def period_blocking(servers: ArrayLike, loads: ArrayLike, weights: ArrayLike) -> FloatArray:
    """Arrival-weighted mean blocking over periods: ``sum_p w_p B(c_p, a_p) / sum_p w_p``.

    With ``a_p`` the load of each period (stationary independent period-by-period, SIPP) or the
    modified offered load at each time point (MOL), and ``c_p`` the beds open in that period.
    """
    c, a, w = np.broadcast_arrays(np.asarray(servers), np.asarray(loads, dtype=float), np.asarray(weights, dtype=float))
    return np.sum(w * erlang_b(c, a), axis=-1) / np.sum(w, axis=-1)


def free_bed_blocking(
    servers: ArrayLike,
    load: ArrayLike,
    may_borrow: ArrayLike,
    lends: ArrayLike,
    *,
    damping: float = 0.5,
    tol: float = 1e-10,
    max_iterations: int = 500,
    compiled: bool = True,
) -> dict[str, FloatArray]:
    r"""Loss systems that share free beds (the free-bed principle): a reduced-load fixed point.

    Each type *t* has :math:`c_t` beds (any real number) and Poisson load :math:`a_t`. An arrival
    takes a bed of its own type if one is free; if not and the type may borrow, it takes a free bed
    of another type that lends (the one with most free beds); otherwise it is lost. With
    :math:`E_t` the probability that all of *t*'s beds are busy (own and lent patients),

    .. math::
        O_t = a_t E_t,\qquad
        P^{none}_t = \prod_{u \in L \setminus t} E_u,\qquad
        \ell_u = \sum_{t \in V \setminus u} w_{u,t}\, O_t (1 - P^{none}_t),\qquad
        E_u = B\Bigl(c_u,\; a_u + \frac{\ell_u}{1 - E_u}\Bigr)

    (*V* the borrowing types, *L* the lending ones; :math:`w_{u,t}` shares the carried overflow of
    *t* among the lenders in proportion to their mean free beds). The overflow a lender carries
    arrives only while it has a free bed, so it is offered as :math:`\ell_u / (1 - E_u)`. The fixed
    point (an Erlang fixed point in the sense of Kelly 1986: lenders are treated as independent)
    is found day by day by the damped iteration with Anderson acceleration, compiled
    (:func:`_free_bed_loop`): about ten steps on most days, sixty on the heaviest. A type that
    may borrow is lost only when no lender has a bed: blocking :math:`E_t P^{none}_t`; otherwise
    :math:`E_t`. Without borrowing types it is Erlang B.

    Args:
        servers: Beds per type, shape ``(..., T)``; leading axes (e.g. days) are independent.
        load: Offered load per type, same shape.
        may_borrow: ``(T,)`` bool, the type may use other types' free beds (``kan_bruke_andre``).
        lends: ``(T,)`` bool, the type's free beds may be used by others (``reservert = nei``).
        damping: Weight of the new iterate (0 < damping <= 1).
        tol: Stop when no :math:`E_t` moves more than this.
        max_iterations: Upper bound on iterations (per row).
        compiled: Run the fixed point compiled by numba (:func:`_free_bed_loop`); ``False`` runs
            the same source as plain Python, the reference it is tested against.

    Returns:
        ``blocking`` (share of arrivals that get no bed), ``own_full`` (:math:`E_t`),
        ``borrowed`` (share of arrivals served in another type's bed) and ``lent_load`` (beds of
        the type occupied by other types' patients, on average), each shaped like ``servers``.
    """
    c, a = np.broadcast_arrays(np.asarray(servers, dtype=float), np.asarray(load, dtype=float))
    borrow = np.asarray(may_borrow, dtype=bool)
    lend = np.asarray(lends, dtype=bool)
    own = erlang_b_continuous(c, a)
    if not borrow.any() or not lend.any():
        zeros = np.zeros(c.shape)
        return {"blocking": own, "own_full": own, "borrowed": zeros, "lent_load": zeros}
    full, lent, none_free = _free_bed_fixed_point(
        c, a, borrow, lend, own, damping, tol, max_iterations, compiled=compiled
    )
    return {
        "blocking": np.where(borrow, full * none_free, full),
        "own_full": full,
        "borrowed": np.where(borrow, full * (1.0 - none_free), 0.0),
        "lent_load": lent,
    }


def _free_bed_fixed_point(
    c: np.ndarray,
    a: np.ndarray,
    borrow: np.ndarray,
    lend: np.ndarray,
    own: np.ndarray,
    damping: float,
    tol: float,
    max_iterations: int,
    *,
    compiled: bool = True,
    memory: int = 4,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r""":math:`E_t`, :math:`\ell_t` and :math:`P^{none}_t` of :func:`free_bed_blocking`, row by row, from ``own``."""
    from scipy.special import gammaincc, gammaln  # only here: the solve path stays free of scipy

    shape, n = c.shape, c.shape[-1]
    beds = np.ascontiguousarray(c.reshape(-1, n), dtype=float)
    loads = np.ascontiguousarray(a.reshape(-1, n), dtype=float)
    fraction = beds - np.floor(beds)
    log_gamma = np.where(fraction > 0, gammaln(fraction + 1.0), 0.0)
    nodes, weights = _laguerre_rule()
    full = np.ascontiguousarray(own.reshape(-1, n), dtype=float).copy()
    loop, upper_gamma = _free_bed_loop, gammaincc
    if compiled:
        c_gammaincc = _compiled_gammaincc()
        if c_gammaincc is not None:
            loop, upper_gamma = _compiled(_free_bed_loop), c_gammaincc
    flags = (np.ascontiguousarray(borrow, dtype=np.bool_), np.ascontiguousarray(lend, dtype=np.bool_))
    lent, none_free = np.empty_like(full), np.empty_like(full)
    loop(
        beds,
        loads,
        *flags,
        log_gamma,
        nodes,
        weights,
        upper_gamma,
        damping,
        tol,
        max_iterations,
        memory,
        full,
        lent,
        none_free,
    )
    return full.reshape(shape), lent.reshape(shape), none_free.reshape(shape)


@functools.lru_cache(maxsize=1)
def _compiled_gammaincc() -> Callable[[float, float], float] | None:
    """SciPy's ``gammaincc`` as a C function a numba loop can call (and numba can still cache the loop).

    None where this SciPy does not export it by that name: the loop then runs as plain Python,
    the same numbers, slower (a warning says so once).
    """
    import ctypes

    from ..common.imports import import_numba

    try:
        address = import_numba().extending.get_cython_function_address("scipy.special.cython_special", "gammaincc")
    except (ValueError, AttributeError, ImportError):
        warnings.warn("SciPy exports no C gammaincc: the free-bed loop runs uncompiled", stacklevel=2)
        return None
    return ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double, ctypes.c_double)(address)


def trunk_reservation(
    beds: int, own_load: float, borrowed_load: float, reserve: int, own_los_days: float, borrowed_los_days: float
) -> dict[str, float]:
    r"""A lender's beds shared by trunk reservation: the exact two-class birth-death chain.

    States :math:`(i, j)`, :math:`i + j \le c`: :math:`i` beds taken by the lender's own patients,
    :math:`j` by borrowers. Own patients arrive at rate :math:`\lambda_o = a_o / L_o` and are
    admitted while :math:`i + j < c`; borrowers (the overflow of the borrower's own beds, taken as
    Poisson) arrive at rate :math:`\lambda_b = a_b / L_b` and are admitted only while more than
    :math:`r` beds are free, :math:`c - i - j > r`; stays end at rates :math:`i / L_o` and
    :math:`j / L_b`. Solved for the stationary distribution :math:`\pi` (a sparse linear system).
    By PASTA, the lender turns away :math:`P(i + j = c)` of its own patients and admits
    :math:`P(c - i - j > r)` of the borrowers. Exact for Poisson arrivals and exponential stays;
    the simulation (lognormal stays, a peaky overflow) is its judge.

    Args:
        beds: The lender's beds :math:`c`.
        own_load: The lender's own offered load :math:`a_o` (beds).
        borrowed_load: The borrowers' offered load on these beds :math:`a_b` (beds): their
            overflow, or all of them when they have no beds of their own.
        reserve: Beds kept back :math:`r` (``reserverte_plasser``).
        own_los_days: Mean stay of the lender's own patients :math:`L_o`.
        borrowed_los_days: Mean stay of the borrowers :math:`L_b`.

    Returns:
        ``lender_blocking`` (own patients turned away), ``borrower_admitted`` (share of the
        borrowers' arrivals admitted), ``borrowed_beds`` (mean beds taken by borrowers) and
        ``occupancy`` (mean share of the beds taken).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.linalg import spsolve

    c = int(beds)
    states = [(i, j) for i in range(c + 1) for j in range(c + 1 - i)]
    index = {state: k for k, state in enumerate(states)}
    lam_o, lam_b = own_load / own_los_days, borrowed_load / borrowed_los_days
    rows, cols, rates = [], [], []

    def move(frm: tuple[int, int], to: tuple[int, int], rate: float) -> None:
        if rate > 0:
            rows.append(index[frm])
            cols.append(index[to])
            rates.append(rate)

    for i, j in states:
        if i + j < c:
            move((i, j), (i + 1, j), lam_o)
        if c - i - j > reserve:
            move((i, j), (i, j + 1), lam_b)
        if i > 0:
            move((i, j), (i - 1, j), i / own_los_days)
        if j > 0:
            move((i, j), (i, j - 1), j / borrowed_los_days)
    n = len(states)
    q = coo_matrix((rates, (rows, cols)), shape=(n, n)).tocsr()
    q = q - coo_matrix((np.asarray(q.sum(axis=1)).ravel(), (range(n), range(n))), shape=(n, n))
    # pi Q = 0 with sum(pi) = 1: replace one balance equation by the normalisation
    system = q.T.tolil()
    system[0, :] = np.ones(n)
    rhs = np.zeros(n)
    rhs[0] = 1.0
    pi = np.maximum(spsolve(system.tocsr(), rhs), 0.0)
    pi /= pi.sum()
    used = np.array([i + j for i, j in states])
    borrowed = np.array([j for _, j in states])
    return {
        "lender_blocking": float(pi[used == c].sum()),
        "borrower_admitted": float(pi[c - used > reserve].sum()),
        "borrowed_beds": float(pi @ borrowed),
        "occupancy": float(pi @ used / c) if c > 0 else float("nan"),
    }


def _free_bed_loop(  # noqa: C901, PLR0913, PLR0915 - one loop, kept whole so that numba compiles it as it stands
    c: np.ndarray,
    a: np.ndarray,
    borrow: np.ndarray,
    lend: np.ndarray,
    log_gamma: np.ndarray,
    nodes: np.ndarray,
    weights: np.ndarray,
    upper_gamma: Callable[[float, float], float],
    damping: float,
    tol: float,
    max_iterations: int,
    memory: int,
    full: np.ndarray,
    lent_out: np.ndarray,
    none_free_out: np.ndarray,
) -> None:
    r"""The free-bed fixed point of each row, in place in ``full`` (plain Python that numba compiles).

    ``lent_out`` and ``none_free_out`` receive, at the point found, the beds each type lends
    (:math:`\ell_u`) and the chance that no lender has a free bed (:math:`P^{none}_t`).

    Row by row (days are independent), from Erlang B (``full`` on entry): the damped iteration
    :math:`x \leftarrow \delta G(x) + (1 - \delta) x` with Anderson acceleration (type II, Walker
    and Ni 2011): the next iterate is :math:`G(x_k) - \Delta G\,\gamma`, :math:`\gamma` the
    least-squares fit (normal equations, a ridge of :math:`10^{-12}` of the largest diagonal) of
    the last ``memory`` residual differences. It is kept within the damped iteration's own
    neighbourhood (at most twice its step from it): the reduced-load map has a spurious fixed
    point where a lender is always full, which a free extrapolation can jump to; the damped
    iteration from Erlang B never does, and this stays on its path. A row stops when none of its
    values moves more than ``tol``; most days need about ten steps, a few heavy ones sixty.

    ``log_gamma`` is :math:`\ln\Gamma(f + 1)` of each element's fractional open beds *f* and
    ``upper_gamma`` SciPy's regularised upper incomplete gamma (``gammaincc``, passed in as a
    C function), so each step's continued Erlang B is :func:`_continued_blocking`'s, element by
    element.
    """
    rows, n = c.shape
    own = np.empty(n)  # the row's Erlang B without sharing (the start)

    def blocking(x: float, load: float, lg: float) -> float:
        if load <= 0.0:
            return 1.0 if x == 0.0 else 0.0
        whole = math.floor(x)
        f = x - whole
        inverse = 1.0
        if f > 0.0:
            if load <= 500.0:
                inverse = math.exp(load - f * math.log(load) + (lg + math.log(upper_gamma(f + 1.0, load))))
            else:
                inverse = 0.0
                for k in range(nodes.size):
                    inverse += weights[k] * (1.0 + nodes[k] / load) ** f
        # 1/B(x) = 1 + (x / a) / B(x - 1): a sum of positive terms (stable), one multiply-add per
        # bed instead of a division; beyond 1e308 (B below 1e-308) it is inf and B is 0
        per_bed = 1.0 / load
        for step in range(1, int(whole) + 1):
            inverse = 1.0 + (f + step) * per_bed * inverse
        return 1.0 / inverse

    none_free, free, lent = np.empty(n), np.empty(n), np.empty(n)

    def apply(r: int, x: np.ndarray, out: np.ndarray) -> None:
        """Set ``out`` to G(x) of row r: each lender's Erlang B at its own load plus the overflow it carries."""
        for t in range(n):
            none_free[t] = 1.0
            for u in range(n):
                if u != t and lend[u]:
                    none_free[t] *= x[u]
            free[t] = max(c[r, t] - a[r, t] * (1.0 - x[t]), 0.0) if lend[t] else 0.0
            lent[t] = 0.0
        for t in range(n):
            if not borrow[t]:
                continue
            carried = a[r, t] * x[t] * (1.0 - none_free[t])
            total = 0.0
            for u in range(n):
                if u != t and lend[u]:
                    total += free[u]
            if total > 0.0:
                for u in range(n):
                    if u != t and lend[u]:
                        lent[u] += free[u] / total * carried
        for u in range(n):
            if lend[u]:
                out[u] = blocking(c[r, u], a[r, u] + lent[u] / max(1.0 - x[u], 1e-12), log_gamma[r, u])
            else:  # nobody takes its beds: its own Erlang B, the start value
                out[u] = own[u]

    x, gx, new, g_new = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    f, f_new, damped = np.empty(n), np.empty(n), np.empty(n)
    d_f, d_g = np.zeros((memory, n)), np.zeros((memory, n))
    normal, rhs = np.zeros((memory, memory)), np.zeros(memory)
    for r in range(rows):
        own[:] = full[r]
        x[:] = own
        if r > 0:  # the day before, with the same beds open, is a closer start than Erlang B
            same = True
            for t in range(n):
                if c[r, t] != c[r - 1, t]:
                    same = False
            if same:
                x[:] = full[r - 1]
        apply(r, x, gx)
        moved = 0.0
        for t in range(n):
            f[t] = gx[t] - x[t]
            if not abs(f[t]) <= moved:  # the largest move; a NaN sticks
                moved = abs(f[t])
        kept = 0
        for _ in range(max_iterations):
            if moved < tol:  # NaN never stops early
                break
            for t in range(n):
                damped[t] = damping * gx[t] + (1.0 - damping) * x[t]
                new[t] = damped[t]
            if kept > 0:
                # gamma = argmin |dF gamma - f| by the normal equations, Gaussian elimination with pivoting
                largest = 0.0
                for i in range(kept):
                    rhs[i] = np.dot(d_f[i], f)
                    for j in range(kept):
                        normal[i, j] = np.dot(d_f[i], d_f[j])
                    largest = max(largest, normal[i, i])
                for i in range(kept):
                    normal[i, i] += 1e-12 * largest + 1e-300
                for i in range(kept):
                    pivot = i
                    for j in range(i + 1, kept):
                        if abs(normal[j, i]) > abs(normal[pivot, i]):
                            pivot = j
                    for j in range(kept):
                        normal[i, j], normal[pivot, j] = normal[pivot, j], normal[i, j]
                    rhs[i], rhs[pivot] = rhs[pivot], rhs[i]
                    for j in range(i + 1, kept):
                        factor = normal[j, i] / normal[i, i]
                        for k in range(i, kept):
                            normal[j, k] -= factor * normal[i, k]
                        rhs[j] -= factor * rhs[i]
                for i in range(kept - 1, -1, -1):
                    for j in range(i + 1, kept):
                        rhs[i] -= normal[i, j] * rhs[j]
                    rhs[i] /= normal[i, i]
                for t in range(n):
                    accelerated = gx[t]
                    for i in range(kept):
                        accelerated -= d_g[i, t] * rhs[i]
                    reach = 2.0 * abs(damped[t] - x[t])
                    value = damped[t]
                    if math.isfinite(accelerated):
                        value = min(max(accelerated, damped[t] - reach), damped[t] + reach)
                    new[t] = min(max(value, 0.0), 1.0)
            apply(r, new, g_new)
            if kept == memory:  # forget the oldest difference
                for i in range(memory - 1):
                    d_f[i] = d_f[i + 1]
                    d_g[i] = d_g[i + 1]
                kept -= 1
            moved = 0.0
            for t in range(n):
                f_new[t] = g_new[t] - new[t]
                d_f[kept, t] = f_new[t] - f[t]
                d_g[kept, t] = g_new[t] - gx[t]
                x[t], gx[t], f[t] = new[t], g_new[t], f_new[t]
                if not abs(f[t]) <= moved:
                    moved = abs(f[t])
            kept += 1
        full[r] = x
        lent_out[r] = lent  # the last G evaluated was at x
        none_free_out[r] = none_free


def wait_metrics(
    servers: ArrayLike,
    arrivals_per_day: ArrayLike,
    los_days: ArrayLike,
    patience_days: ArrayLike | None = None,
    *,
    tol: float = 1e-15,
) -> dict[str, FloatArray]:
    r"""Waiting when all beds are full: Erlang C (M/M/c) or Erlang A (M/M/c+M, Palm's model).

    Patients arrive at rate :math:`\lambda`, stay :math:`1/\mu` days, and (Erlang A) give up after
    an exponential patience of mean :math:`1/\theta` days. With :math:`p_k` the probability of *k*
    patients in the system (in beds or waiting), relative to :math:`p_c`:

    .. math::
        \sum_{k \le c} \frac{p_k}{p_c} = \frac{1}{B(c, a)},\qquad
        \frac{p_{c+m}}{p_c} = T_m = \prod_{j=1}^{m} \frac{\lambda}{c\mu + j\theta}

    (*a* = λ/μ, *B* Erlang B, so the sum below *c* never overflows). With
    :math:`S_0 = \sum_m T_m` and :math:`S_1 = \sum_m m T_m` (summed until the terms vanish) and
    :math:`Z = 1/B - 1 + S_0`: share who wait :math:`P_W = S_0/Z`, mean number waiting
    :math:`L_q = S_1/Z`, mean wait of all arrivals :math:`W = L_q/\lambda` (Little), share who give
    up :math:`\theta L_q / \lambda`. Erlang C is the limit :math:`\theta = 0`:
    :math:`P_W =` :func:`erlang_c`, :math:`L_q = C \rho / (1 - \rho)` with
    :math:`\rho = a/c < 1`; with :math:`\rho \ge 1` the queue grows without bound (``inf``).

    Args:
        servers: Beds *c* (whole numbers >= 0).
        arrivals_per_day: λ, patients per day (> 0).
        los_days: Mean stay 1/μ in days (> 0).
        patience_days: Mean patience 1/θ in days (> 0); None (or ``inf``) gives Erlang C.
        tol: Relative size at which the series stops.

    Returns:
        ``p_wait``, ``mean_wait_days`` (over all arrivals), ``mean_queue`` (patients waiting on
        average), ``p_abandon`` and ``waiting_days_per_year`` (``365 · L_q``), broadcast over the inputs.
    """
    c = _as_bed_counts(np.asarray(servers, dtype=float))
    lam = np.asarray(arrivals_per_day, dtype=float)
    los = np.asarray(los_days, dtype=float)
    patience = np.inf if patience_days is None else np.asarray(patience_days, dtype=float)
    c, lam, los, patience = np.broadcast_arrays(c, lam, los, patience)
    if np.any(lam <= 0) or np.any(los <= 0) or np.any(patience <= 0):
        msg = "arrivals, length of stay and patience must be positive"
        raise ValueError(msg)
    load = lam * los
    theta = np.where(np.isfinite(patience), 1.0 / patience, 0.0)
    # Erlang C everywhere first (endless patience); the types with a patience are replaced below
    p_wait = erlang_c(c, load).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = load / np.maximum(c, 1e-300)
        queue = np.where(rho < 1, p_wait * rho / (1.0 - rho), np.inf)
    palm = theta > 0
    if np.any(palm):
        log_s0, ratio = _palm_series(lam[palm], (c / los)[palm], theta[palm], tol)
        # P_W = S_0 / (1/B - 1 + S_0) = 1 / (1 + (1 - B) / (B S_0)), in logarithms (S_0 can pass 1e308)
        blocking = erlang_b(c[palm], load[palm])
        with np.errstate(divide="ignore", over="ignore"):
            rest = np.exp(np.log1p(-np.minimum(blocking, 1.0)) - np.log(blocking) - log_s0)
        p_wait[palm] = 1.0 / (1.0 + rest)
        queue[palm] = ratio * p_wait[palm]
    abandon = np.where(palm, theta * np.where(palm, queue, 0.0) / lam, 0.0)  # nobody gives up without a patience
    return {
        "p_wait": p_wait,
        "mean_wait_days": queue / lam,
        "mean_queue": queue,
        "p_abandon": abandon,
        "waiting_days_per_year": 365.0 * queue,
    }


def _palm_series(lam: np.ndarray, cmu: np.ndarray, theta: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\ln S_0` and :math:`S_1 / S_0`, Palm's sums in :func:`wait_metrics` (:math:`S_0` can pass 1e308).

    :math:`S_0 = \sum_{m \ge 0} T_m` and :math:`S_1 = \sum_m m T_m`.

    With :math:`x = \lambda/\theta` and :math:`a = c\mu/\theta`, :math:`T_m = x^m / (a+1)_m`, so
    :math:`S_0 = {}_1F_1(1; a+1; x) = a\,x^{-a} e^{x}\,\Gamma(a)\,P(a, x)` (regularised lower
    incomplete gamma *P*) and, from :math:`(a+m) T_m = x T_{m-1}`, :math:`S_1 = (x - a) S_0 + a`.
    Where :math:`x \ge a` (a queue that only patience keeps finite: the series would need hundreds
    of growing terms) the closed form is used, with no cancellation since every part is positive;
    elsewhere the series, whose terms fall from the start, stops when its rest is negligible.
    """
    x, a = lam / theta, cmu / theta
    log_s0, ratio = np.zeros(lam.shape), np.zeros(lam.shape)
    closed = x >= a
    if np.any(closed):
        from scipy.special import gammainc, gammaln  # only here: the solve path stays free of scipy

        xc, ac = x[closed], a[closed]
        with np.errstate(divide="ignore"):
            # a Γ(a) = Γ(a + 1), and P(0, x) = 1: c = 0 gives S_0 = e^x
            log_closed = xc - ac * np.log(xc) + gammaln(ac + 1.0) + np.log(np.where(ac > 0, gammainc(ac, xc), 1.0))
        log_s0[closed] = log_closed
        ratio[closed] = (xc - ac) + ac * np.exp(-log_closed)
    series = ~closed
    if np.any(series):
        sum0, sum1 = _falling_series(x[series], a[series], tol)
        log_s0[series], ratio[series] = np.log(sum0), sum1 / sum0
    return log_s0, ratio


def _falling_series(x: np.ndarray, a: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """``S_0, S_1`` by summing :math:`T_m = T_{m-1} x / (a + m)` (x < a: every term smaller than the last).

    The loop runs per element, compiled by numba on first use (:func:`_falling_loop`); it does
    the same floating-point steps in the same order as :func:`_falling_series_numpy`, the
    vectorised reference it is tested against, so both give the same bits.
    """
    out0, out1 = np.ones(x.size), np.zeros(x.size)
    loop = _compiled(_falling_loop)
    loop(np.ascontiguousarray(x, dtype=float), np.ascontiguousarray(a, dtype=float), tol, out0, out1)
    return out0, out1


def _falling_loop(x: np.ndarray, a: np.ndarray, tol: float, out0: np.ndarray, out1: np.ndarray) -> None:
    """Fill ``out0, out1`` with :math:`S_0, S_1` of each element (plain Python that numba compiles)."""
    for i in range(x.size):
        term, sum0, sum1 = 1.0, 1.0, 0.0
        m = 0
        while m < 10_000_000:
            m += 1
            term = term * x[i] / (a[i] + m)
            sum0 += term
            sum1 += m * term
            if m * term <= tol * sum1 + 1e-300:
                break
        out0[i], out1[i] = sum0, sum1


_COMPILED: dict[str, Callable[..., None]] = {}


def _compiled(function: Callable[..., None]) -> Callable[..., None]:
    """``function`` compiled by numba (cached on disk); numba is imported only when a loop is first needed."""
    compiled = _COMPILED.get(function.__name__)
    if compiled is None:
        from ..common.imports import import_numba

        compiled = _COMPILED[function.__name__] = import_numba().njit(cache=True, nogil=True)(function)
    return compiled


def load_compiled() -> None:
    """Load this module's compiled loops now (from numba's disk cache), e.g. once before forking workers."""
    for function in (_falling_loop, _upward_recursion, _free_bed_loop):
        _compiled(function)
    _compiled_gammaincc()


def _falling_series_numpy(x: np.ndarray, a: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """The vectorised reference of :func:`_falling_series`: all elements step together, each leaves when done."""
    out0, out1 = np.ones(x.size), np.zeros(x.size)
    active = np.arange(x.size)
    term, sum0, sum1 = np.ones(x.size), np.ones(x.size), np.zeros(x.size)
    m = 0
    while active.size and m < 10_000_000:
        m += 1
        term = term * x / (a + m)
        sum0 += term
        sum1 += m * term
        done = m * term <= tol * sum1 + 1e-300
        if done.any():
            out0[active[done]], out1[active[done]] = sum0[done], sum1[done]
            keep = ~done
            active, x, a = active[keep], x[keep], a[keep]
            term, sum0, sum1 = term[keep], sum0[keep], sum1[keep]
    return out0, out1


def lower_convex_envelope(values: ArrayLike) -> FloatArray:
    r"""The greatest convex function below ``values`` at the integers, per column.

    For points :math:`(k, v_k)`, :math:`k = 0..C`, the lower hull (Andrew's monotone chain) is
    interpolated linearly back to every *k*. Where ``values`` is already convex the result equals
    it; elsewhere it is lower. The model's step linearisation needs a convex curve, so it uses this
    envelope and every plan is evaluated afterwards with the exact curve.

    Args:
        values: ``(C + 1,)`` or ``(C + 1, n)`` finite values.

    Returns:
        The envelope, same shape.
    """
    array = np.asarray(values, dtype=float)
    columns = array.reshape(array.shape[0], -1)
    out = np.empty_like(columns)
    k = np.arange(columns.shape[0], dtype=float)
    for j in range(columns.shape[1]):
        v = columns[:, j]
        hull: list[int] = []
        for i in range(len(v)):
            # drop the last hull point while it lies on or above the chord to the new point
            while len(hull) >= 2:
                a, b = hull[-2], hull[-1]
                if (v[b] - v[a]) * (i - a) >= (v[i] - v[a]) * (b - a):
                    hull.pop()
                else:
                    break
            hull.append(i)
        out[:, j] = np.interp(k, k[hull], v[hull])
    return out.reshape(array.shape)


def is_convex(values: ArrayLike, tol: float = 1e-9) -> npt.NDArray[np.bool_]:
    """Whether each column's second differences are all non-negative (within ``tol`` times its scale)."""
    array = np.asarray(values, dtype=float)
    columns = array.reshape(array.shape[0], -1)
    if columns.shape[0] < 3:
        return np.ones(columns.shape[1], dtype=bool)
    scale = np.maximum(np.abs(columns).max(axis=0), 1.0)
    return (np.diff(columns, 2, axis=0) >= -tol * scale).all(axis=0)
