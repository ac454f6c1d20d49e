"""Queueing formulas against published Erlang tables, exact arithmetic and simulation."""

from __future__ import annotations

import heapq

import mpmath
import numpy as np
import pandas as pd
import pytest

from dimensioning import queueing as q


def exact_erlang_b(c: int, a: float) -> float:
    """B(c, a) from its definition in 60-digit arithmetic (independent of the recursion)."""
    mpmath.mp.dps = 60
    a = mpmath.mpf(a)
    terms = [a**k / mpmath.factorial(k) for k in range(c + 1)]
    return float(terms[-1] / mpmath.fsum(terms))


# Offered load (erlang) that c servers carry at a given blocking, as printed in standard
# Erlang B tables (e.g. the erlang.com calculator: 15 lines at 1 % carry 8.108 erlang).
PUBLISHED_MAX_LOAD = [
    (10, 0.01, 4.461),
    (10, 0.05, 6.216),
    (15, 0.01, 8.108),
    (20, 0.01, 12.03),
    (50, 0.01, 37.90),
    (100, 0.01, 84.06),
    (5, 0.02, 1.657),
]


@pytest.mark.parametrize(("c", "target", "load"), PUBLISHED_MAX_LOAD)
def test_inverse_matches_published_erlang_tables(c, target, load):
    decimals = len(str(load).split(".")[1])
    assert round(float(q.max_load(c, target)), decimals) == pytest.approx(load, abs=1e-9)


@pytest.mark.parametrize(
    ("c", "a"),
    [
        (1, 0.5),
        (5, 2.0),
        (10, 6.3),
        (8, 6.3),
        (30, 25.0),
        (146, 126.8),
        (500, 480.0),
        (1000, 1100.0),
    ],
)
def test_erlang_b_equals_exact_definition(c, a):
    assert float(q.erlang_b(c, a)) == pytest.approx(exact_erlang_b(c, a), rel=1e-10, abs=1e-300)


def test_erlang_b_known_values_to_four_decimals():
    # B(1, a) = a / (1 + a); B(2, 1) = 0.2; B(10, 5) = 0.018385 (standard table)
    assert float(q.erlang_b(1, 3.0)) == pytest.approx(0.75, abs=1e-12)
    assert float(q.erlang_b(2, 1.0)) == pytest.approx(0.2, abs=1e-12)
    assert round(float(q.erlang_b(10, 5.0)), 4) == 0.0184


def test_stable_for_ten_thousand_beds_and_load():
    big = q.erlang_b(np.array([10_000, 10_000, 100, 9_000]), np.array([10_000.0, 100.0, 10_000.0, 10_000.0]))
    assert np.all(np.isfinite(big))
    assert big[0] == pytest.approx(exact_erlang_b(10_000, 10_000.0), rel=1e-9)
    assert big[1] == 0.0  # underflows gracefully, true value ~1e-14000
    assert big[2] == pytest.approx(1 - 100 / 10_000, abs=1e-3)  # heavy overload: B ~ 1 - c/a
    assert big[3] == pytest.approx(exact_erlang_b(9_000, 10_000.0), rel=1e-9)


def test_vectorised_shapes_and_edge_cases():
    grid = q.erlang_b(np.arange(5)[:, None], np.array([0.0, 1.0, 2.0])[None, :])
    assert grid.shape == (5, 3)
    assert np.all(grid[0] == 1.0)  # no beds: everyone is turned away
    assert np.all(grid[1:, 0] == 0.0)  # no load: nobody is
    assert np.all(np.diff(grid[:, 2]) < 0)  # decreasing in beds
    with pytest.raises(ValueError, match="whole numbers"):
        q.erlang_b(2.5, 1.0)


def test_facts_for_the_committee():
    # FACTS.md: at 5 % blocking a load of 5 needs 9 beds (54 % occupied), 10 needs 15 (64 %),
    # 50 needs 56 (85 %); two units that need 9 beds each need 15 together.
    beds = q.min_servers([5.0, 10.0, 50.0], 0.05)
    assert beds.tolist() == [9, 15, 56]
    occupancy = q.occupancy(beds, [5.0, 10.0, 50.0])
    assert occupancy == pytest.approx([0.54, 0.64, 0.85], abs=0.006)  # 53.5 %, 64.2 %, 85.2 %
    assert int(q.min_servers(10.0, 0.05)) == 15
    # KAD: 6.2 admissions per 1 000 inhabitants, 22.2 bed-days; Drammen 103 291 inhabitants
    load = q.offered_load(6.2 * 103.291, 22.2 / 6.2)
    assert float(load) == pytest.approx(6.28, abs=0.01)
    assert float(q.erlang_b(10, load)) == pytest.approx(0.05, abs=0.005)
    assert float(q.erlang_b(8, load)) == pytest.approx(0.14, abs=0.005)


def test_min_servers_is_the_smallest():
    loads = np.linspace(0.1, 200, 57)
    beds = q.min_servers(loads, 0.03)
    assert np.all(q.erlang_b(beds, loads) <= 0.03)
    assert np.all(q.erlang_b(beds - 1, loads) > 0.03)
    assert int(q.min_servers(5.0, 1.0)) == 0


def test_erlang_c_known_values():
    # M/M/2 with a = 1: P(wait) = 1/3; M/M/1: P(wait) = rho
    assert float(q.erlang_c(2, 1.0)) == pytest.approx(1 / 3, abs=1e-12)
    assert float(q.erlang_c(1, 0.7)) == pytest.approx(0.7, abs=1e-12)
    assert float(q.erlang_c(3, 3.5)) == 1.0


def simulate_loss_system(c: int, arrivals_per_day: float, los_mean: float, days: float, seed: int) -> float:
    """Blocking share of an M/G/c/c system with lognormal stays (CV 1), by event simulation."""
    rng = np.random.default_rng(seed)
    sigma2 = np.log(2.0)  # CV 1
    mu = np.log(los_mean) - sigma2 / 2
    n = rng.poisson(arrivals_per_day * days)
    times = np.sort(rng.uniform(0, days, n))
    stays = rng.lognormal(mu, np.sqrt(sigma2), n)
    busy: list[float] = []
    blocked = counted = 0
    warmup = days * 0.1
    for t, stay in zip(times, stays, strict=True):
        while busy and busy[0] <= t:
            heapq.heappop(busy)
        full = len(busy) >= c
        if t > warmup:
            counted += 1
            blocked += full
        if not full:
            heapq.heappush(busy, t + stay)
    return blocked / counted


@pytest.mark.slow
def test_erlang_b_matches_simulation_with_lognormal_stays():
    # Insensitivity: the loss formula holds for any stay distribution with the same mean.
    c, lam, los = 9, 0.5, 10.0  # load 5 beds
    shares = [simulate_loss_system(c, lam, los, 40_000, seed) for seed in range(4)]
    mean, half = np.mean(shares), 2.0 * np.std(shares, ddof=1) / np.sqrt(len(shares)) + 0.002
    assert abs(mean - float(q.erlang_b(c, 5.0))) < half


def test_modified_offered_load_matches_the_sinusoidal_closed_form():
    # M_t/M/inf with lambda(t) = a + b sin(w t) and exponential stays (rate mu):
    # m(t) = a/mu + b/(mu^2 + w^2) (mu sin wt - w cos wt)  (Eick, Massey and Whitt 1993)
    los, a, b = 10.0, 2.0, 1.0
    mu, w = 1 / los, 2 * np.pi / 365
    t = np.arange(365) + 0.5
    survival = np.exp(-np.arange(0, 3000) / los)
    m = q.modified_offered_load(a + b * np.sin(w * t), survival)
    exact = a / mu + b / (mu**2 + w**2) * (mu * np.sin(w * t) - w * np.cos(w * t))
    assert m == pytest.approx(exact, rel=2e-3)
    # MOL blocking of a constant load equals the stationary Erlang B
    flat = q.modified_offered_load(np.full(365, 0.5), survival)
    assert flat == pytest.approx(np.full(365, 5.0), rel=2e-3)
    assert float(q.period_blocking(9, flat, np.ones(365))) == pytest.approx(float(q.erlang_b(9, 5.0)), rel=1e-2)


def test_lognormal_survival_matches_scipy():
    from scipy.stats import lognorm

    days = np.array([0.0, 0.5, 3.0, 10.0, 40.0])
    mu, sigma = q.lognormal_params(10.0, 0.8)
    expected = lognorm.sf(days, s=float(sigma), scale=float(np.exp(mu)))
    assert q.stay_survival(days, 10.0, 0.8) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("los", "cv"), [(0.3, 1.0), (1.0, 0.5), (3.58, 1.0), (24.0, 2.0)])
def test_stay_lag_weights_are_the_integrated_survival(los, cv):
    weights = q.stay_lag_weights(4000, los, cv)
    fine = np.linspace(0.0, 5.0, 500_001)  # the first five days, integrated numerically
    survival = q.stay_survival(fine, los, cv)
    survival[0] = 1.0
    per_day = [
        np.trapezoid(survival[i * 100_000 : (i + 1) * 100_000 + 1], fine[i * 100_000 : (i + 1) * 100_000 + 1])
        for i in range(5)
    ]
    assert weights[:5] == pytest.approx(per_day, abs=1e-7)
    assert weights.sum() == pytest.approx(los, rel=1e-3)  # the weights add up to the mean stay


def test_short_stays_are_not_counted_as_half_a_day():
    # one arrival a day staying 0.3 days on average occupies 0.3 beds, not the 0.5+ a daily grid gives
    load = q.modified_offered_load(np.ones(365), lag_weights=q.stay_lag_weights(30, 0.3, 1.0))
    assert load == pytest.approx(np.full(365, 0.3), rel=1e-6)


def test_exact_lag_weights_match_the_sinusoidal_closed_form():
    # the same closed form (Eick, Massey and Whitt 1993) with exact weights w_k = integral of
    # exp(-u/L) over [k, k+1): the step-mean of m(t) under a step-constant rate
    los, a, b = 10.0, 2.0, 1.0
    mu, w = 1 / los, 2 * np.pi / 365
    k = np.arange(0, 3000)
    weights = los * (np.exp(-k / los) - np.exp(-(k + 1) / los))
    t = np.arange(365) + 0.5
    m = q.modified_offered_load(a + b * np.sin(w * t), lag_weights=weights)
    exact = a / mu + b / (mu**2 + w**2) * (mu * np.sin(w * t) - w * np.cos(w * t))
    assert m == pytest.approx(exact, rel=5e-4)


@pytest.mark.parametrize("los", [0.5, 1.0, 1.5, 2.0, 3.58])
@pytest.mark.parametrize("cv", [0.3, 1.0, 2.0])
def test_constant_demand_gives_the_stationary_load_on_every_day(los, cv):
    # a one-day grid once put 1-day stays off by -4 % to +9 %; the exact weights make it the
    # stationary load a = lambda * E[S] on every day of the year
    from dimensioning.queueing.seasons import _unit_mol

    daily = _unit_mol((1.0,) * 12, los, cv) * 365  # one arrival a day
    assert daily == pytest.approx(np.full(365, los), rel=1e-6)


def exact_continuous_b(x: float, a: float) -> float:
    """1/B(x, a) = integral of e^{-u} (1 + u/a)^x over u >= 0, in 60-digit arithmetic (Jagerman 1974)."""
    mpmath.mp.dps = 60
    a_mp, x_mp = mpmath.mpf(a), mpmath.mpf(x)
    inverse = mpmath.quad(lambda u: mpmath.exp(-u) * (1 + u / a_mp) ** x_mp, [0, 1, 10, 100, mpmath.inf])
    return float(1 / inverse)


@pytest.mark.parametrize(
    ("x", "a"),
    [(0.5, 0.2), (0.9 * 17, 14.0), (2.25, 3.0), (15.3, 20.0), (72.5, 80.0), (99.9, 60.0), (600.5, 600.0)],
)
def test_continuous_erlang_b_against_exact_quadrature(x, a):
    assert float(q.erlang_b_continuous(x, a)) == pytest.approx(exact_continuous_b(x, a), rel=1e-9)


@pytest.mark.parametrize("a", [0.4, 6.3, 16.1, 80.1, 700.0])
def test_continuous_erlang_b_is_exact_at_integers_decreasing_and_convex(a):
    whole = np.arange(0, int(a * 1.4) + 6)
    assert q.erlang_b_continuous(whole, a) == pytest.approx(q.erlang_b(whole, a), abs=1e-14)
    x = np.linspace(0.0, a * 1.4 + 5, 2001)
    b = q.erlang_b_continuous(x, a)
    assert np.all(np.diff(b) <= 1e-15)  # decreasing
    assert np.all(np.diff(b, 2) >= -1e-12)  # convex: closures keep the curve convex in the beds
    # 90 % of c beds open is convex in c as well (a linear map inside a convex function)
    assert np.all(np.diff(q.erlang_b_continuous(0.9 * whole, a), 2) >= -1e-12)


def test_real_year_blocking_without_seasons_is_erlang_b_and_with_a_closure_the_continued_one():
    from dimensioning.queueing.seasons import real_year_blocking

    from .conftest import small_case

    plan = pd.DataFrame([("A", "Akutt", 4), ("B", "Vanlig", 5)], columns=["site", "bed_type", "beds"])
    plain = small_case()
    year = real_year_blocking(plain, plan)
    load = plain.load_beds
    assert year.at["Akutt", "blocking_year"] == pytest.approx(float(q.erlang_b(4, load["Akutt"])), rel=1e-9)
    assert year.at["Vanlig", "blocking_year"] == pytest.approx(float(q.erlang_b(5, load["Vanlig"])), rel=1e-9)
    closed = small_case(Kapasitet="lokasjon,fra,til,andel_aapne\nB,01.01,31.12,0.9\n")  # site B: 90 % all year
    year = real_year_blocking(closed, plan)
    assert year.at["Akutt", "blocking_year"] == pytest.approx(float(q.erlang_b(4, load["Akutt"])), rel=1e-9)
    expected = float(q.erlang_b_continuous(4.5, load["Vanlig"]))  # 90 % of 5 beds at B
    assert year.at["Vanlig", "blocking_year"] == pytest.approx(expected, rel=1e-9)
    assert year.at["Vanlig", "blocking_year_worst_month"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("share", [0.9, 0.95, 0.87, 0.5, 1.0, 0.0])
def test_continuous_table_equals_the_continued_function_at_every_count(share):
    loads = np.array([0.0, 0.3, 6.3, 16.1, 80.1, 650.0])
    table = q.erlang_b_continuous_table(120, loads, share)
    direct = q.erlang_b_continuous(share * np.arange(121)[:, None], loads[None, :])
    assert table == pytest.approx(direct, abs=1e-14)


def test_real_year_curve_is_stationary_erlang_b_without_seasons_and_the_evaluation_with_them():
    from dimensioning.queueing.seasons import real_year_blocking

    from .conftest import small_case

    plain = small_case()
    curves = plain.real_year_curves
    arrivals = plain.bed_types["arrivals_per_year"].to_numpy(dtype=float)
    stationary = q.erlang_b_table(curves.yearly.shape[0] - 1, plain.load_beds.to_numpy()) * arrivals
    assert curves.yearly == pytest.approx(stationary, rel=1e-9)
    # seasons and a closure of every site: the model's curve at c is the plan's real-year blocking
    season = "plasstype,jan,feb,mar,apr,mai,jun,jul,aug,sep,okt,nov,des\nAkutt,1.3,1.3,1,1,1,1,1,1,0.7,0.7,1,1.3\n"
    closure = "lokasjon,fra,til,andel_aapne\nalle,24.06,18.08,0.9\nalle,21.12,02.01,0.85\n"
    case = small_case(Sesong=season, Kapasitet=closure)
    yearly = case.real_year_curves.yearly
    # convex where the type is spread over sites (the step linearisation is exact); Akutt is kept
    # at one site and closes whole beds, so the MIP uses its envelope, which lies below the curve
    assert np.all(np.diff(yearly[:, 1], 2) >= -1e-9)
    assert not q.is_convex(yearly[:, 0])
    assert np.all(q.lower_convex_envelope(yearly)[:, 0] <= yearly[:, 0] + 1e-12)
    for beds_a, beds_b in ((3, 1), (2, 5), (5, 6)):
        plan = pd.DataFrame([("A", "Akutt", beds_a), ("B", "Vanlig", beds_b)], columns=["site", "bed_type", "beds"])
        year = real_year_blocking(case, plan)
        assert yearly[beds_a, 0] == pytest.approx(year.at["Akutt", "blocking_year"] * 300, rel=1e-9)
        assert yearly[beds_b, 1] == pytest.approx(year.at["Vanlig", "blocking_year"] * 200, rel=1e-9)
    # targets: the first count that holds on the yearly mean; every month needs at least as many
    target = np.array([0.05, 0.05])
    mean_beds = case.real_year_curves.min_beds(target)
    peak_beds = case.real_year_curves.min_beds(target, every_month=True)
    share = yearly / case.real_year_curves.arrivals.sum(axis=0)
    for i in range(2):
        assert share[mean_beds[i], i] <= 0.05 < share[mean_beds[i] - 1, i]
        assert peak_beds[i] >= mean_beds[i]
    assert peak_beds[0] > mean_beds[0]  # the winter peak of Akutt needs more


def test_real_year_curve_is_conservative_when_sites_close_differently():
    from dimensioning.queueing.seasons import real_year_blocking

    from .conftest import small_case

    case = small_case(Kapasitet="lokasjon,fra,til,andel_aapne\nB,01.06,31.08,0.5\n")  # only B closes
    plan = pd.DataFrame([("A", "Vanlig", 3), ("B", "Vanlig", 3)], columns=["site", "bed_type", "beds"])
    exact = real_year_blocking(case, plan).at["Vanlig", "blocking_year"] * 200
    model = case.real_year_curves.yearly[6, 1]
    assert model > exact  # the model counts the whole type as closing like B: never too optimistic


def _birth_death(c: int, lam: float, los: float, patience: float, states: int) -> tuple[float, float]:
    """Exact P(wait) and mean queue of M/M/c+M from the truncated birth-death chain (log space)."""
    mu, theta = 1.0 / los, 1.0 / patience
    deaths = [min(k, c) * mu + max(k - c, 0) * theta for k in range(1, states)]
    log_p = np.concatenate([[0.0], np.cumsum(np.log(lam) - np.log(deaths))])
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    k = np.arange(states)
    return float(p[c:].sum()), float((np.maximum(k - c, 0) * p).sum())


def test_erlang_c_against_published_values():
    # the textbook cases: 2 servers at 1 erlang wait with 1/3; 10 agents at 8 erlangs with 40.9 %
    assert float(q.wait_metrics(2, 1.0, 1.0)["p_wait"]) == pytest.approx(1 / 3, rel=1e-12)
    assert float(q.wait_metrics(2, 1.0, 1.0)["mean_queue"]) == pytest.approx(1 / 3, rel=1e-12)
    assert float(q.wait_metrics(10, 8.0, 1.0)["p_wait"]) == pytest.approx(0.4092, abs=5e-5)
    overloaded = q.wait_metrics(5, 1.0, 5.0)  # a = c: the queue grows without bound
    assert float(overloaded["p_wait"]) == 1.0
    assert np.isinf(overloaded["mean_wait_days"])


@pytest.mark.parametrize(
    ("c", "lam", "los", "patience"),
    [
        (80, 4.7, 17.0, 4.0),
        (10, 1.0, 10.0, 2.0),
        (3, 0.5, 4.0, 20.0),
        (1000, 95.0, 10.0, 3.0),
        (10_000, 1000.0, 10.0, 5.0),
        (50, 8.0, 10.0, 5.0),  # load 80 on 50 beds: only patience keeps the queue finite
        (10_000, 1500.0, 10.0, 5.0),  # load 15,000 on 10,000 beds
    ],
)
def test_erlang_a_against_exact_birth_death(c, lam, los, patience):
    result = q.wait_metrics(c, lam, los, patience)
    p_wait, queue = _birth_death(c, lam, los, patience, states=max(4000, 3 * c))
    assert float(result["p_wait"]) == pytest.approx(p_wait, rel=1e-9)
    assert float(result["mean_queue"]) == pytest.approx(queue, rel=1e-9)
    assert float(result["mean_wait_days"]) == pytest.approx(queue / lam, rel=1e-9)
    assert float(result["p_abandon"]) == pytest.approx(queue / patience / lam, rel=1e-9)
    assert float(result["waiting_days_per_year"]) == pytest.approx(365 * queue, rel=1e-9)


def test_erlang_a_limits_and_vectorised():
    # patience equal to the stay: every patient is an independent server, N ~ Poisson(a)
    from scipy.stats import poisson

    a, c = 6.0, 8
    result = q.wait_metrics(c, a / 10.0, 10.0, 10.0)
    k = np.arange(200)
    assert float(result["p_wait"]) == pytest.approx(poisson.sf(c - 1, a), rel=1e-10)
    assert float(result["mean_queue"]) == pytest.approx(
        float((np.maximum(k - c, 0) * poisson.pmf(k, a)).sum()), rel=1e-10
    )
    # endless patience is Erlang C
    patient = q.wait_metrics(10, 0.8, 10.0, 1e9)
    assert float(patient["p_wait"]) == pytest.approx(float(q.wait_metrics(10, 0.8, 10.0)["p_wait"]), rel=1e-6)
    # arrays broadcast, element by element as the scalar call
    many = q.wait_metrics(np.array([5, 10, 20]), np.array([0.4, 0.8, 1.5]), 10.0, np.array([3.0, np.inf, 7.0]))
    for i, (c_i, lam_i, pat_i) in enumerate([(5, 0.4, 3.0), (10, 0.8, None), (20, 1.5, 7.0)]):
        one = q.wait_metrics(c_i, lam_i, 10.0, pat_i)
        assert many["mean_wait_days"][i] == pytest.approx(float(one["mean_wait_days"]), rel=1e-12)


def test_erlang_a_against_simulation():
    """A direct simulation of the M/M/c+M chain (exponential clocks) agrees within its error."""
    rng = np.random.default_rng(7)
    c, lam, los, patience = 4, 0.5, 6.0, 3.0
    mu, theta = 1 / los, 1 / patience
    state, time, area_queue, waits = 0, 0.0, 0.0, 0
    for _ in range(400_000):
        out = min(state, c) * mu + max(state - c, 0) * theta
        rate = lam + out
        step = rng.exponential(1 / rate)
        area_queue += max(state - c, 0) * step
        time += step
        if rng.random() < lam / rate:
            waits += state >= c
            state += 1
        else:
            state -= 1
    result = q.wait_metrics(c, lam, los, patience)
    assert area_queue / time == pytest.approx(float(result["mean_queue"]), rel=0.05)
    arrivals = lam * time
    assert waits / arrivals == pytest.approx(float(result["p_wait"]), rel=0.05)


def test_the_compiled_upward_recursion_gives_the_same_bits_as_the_vectorised_one():
    """Erlang B's upward recursion per element (numba) against all elements stepping together."""
    from dimensioning.queueing import erlang

    rng = np.random.default_rng(3)
    whole = np.floor(rng.uniform(0, 150, 4000))
    fraction = rng.uniform(0, 1, whole.size)
    a = rng.uniform(0.01, 200.0, whole.size)
    start = rng.uniform(0.05, 1.0, whole.size)
    reference = start.copy()
    for step in range(1, int(whole.max()) + 1):
        ab = a * reference
        reference = np.where(whole >= step, ab / (fraction + step + ab), reference)
    compiled = start.copy()
    erlang._compiled(erlang._upward_recursion)(whole, fraction, a, compiled)
    assert np.array_equal(compiled, reference)


# Free beds shared (the free-bed fixed point): three lenders, two borrowers, a closure's
# fractional beds, a lender that is nearly always full and one load above 500 (quadrature).
FREE_BED_BEDS = np.array([[9.9, 8.1, 18.0, 74.7, 7.2], [11.0, 9.0, 20.0, 83.0, 8.0], [3.5, 0.0, 600.2, 12.0, 2.0]])
FREE_BED_LOADS = np.array([[7.6, 5.6, 18.7, 94.1, 5.7], [7.6, 5.6, 18.8, 94.4, 5.7], [2.0, 1.5, 590.0, 15.0, 0.0]])
MAY_BORROW = np.array([False, True, False, True, True])
LENDS = np.array([False, False, True, True, True])


def test_free_bed_fixed_point_compiled_equals_the_plain_python_loop_bit_for_bit():
    compiled = q.free_bed_blocking(FREE_BED_BEDS, FREE_BED_LOADS, MAY_BORROW, LENDS)
    plain = q.free_bed_blocking(FREE_BED_BEDS, FREE_BED_LOADS, MAY_BORROW, LENDS, compiled=False)
    for key in ("blocking", "own_full", "borrowed", "lent_load"):
        np.testing.assert_array_equal(compiled[key], plain[key])


def test_free_bed_fixed_point_solves_its_equations_and_is_the_damped_iterations_limit():
    result = q.free_bed_blocking(FREE_BED_BEDS, FREE_BED_LOADS, MAY_BORROW, LENDS)
    full, lent = result["own_full"], result["lent_load"]
    # E_u = B(c_u, a_u + l_u / (1 - E_u)) at the point found, to the tolerance
    again = q.erlang_b_continuous(FREE_BED_BEDS, FREE_BED_LOADS + lent / np.maximum(1 - full, 1e-12))
    assert np.max(np.abs(again - full)) < 1e-9
    # the plain damped iteration from Erlang B (2,000 steps, no acceleration) ends at the same point
    slow = q.free_bed_blocking(FREE_BED_BEDS, FREE_BED_LOADS, MAY_BORROW, LENDS, max_iterations=1, damping=0.5)
    x = q.erlang_b_continuous(FREE_BED_BEDS, FREE_BED_LOADS)
    for _ in range(2000):
        none_free = np.stack([np.prod(np.where(LENDS & (np.arange(5) != t), x, 1.0), axis=-1) for t in range(5)], -1)
        carried = FREE_BED_LOADS * x * (1 - none_free) * MAY_BORROW
        free = np.maximum(FREE_BED_BEDS - FREE_BED_LOADS * (1 - x), 0) * LENDS
        share = free[:, :, None] * (LENDS[:, None] & ~np.eye(5, dtype=bool) & MAY_BORROW[None, :])
        total = share.sum(axis=1, keepdims=True)
        share = np.divide(share, total, out=np.zeros_like(share), where=total > 0)
        lent_slow = np.einsum("rut,rt->ru", share, carried)
        x = 0.5 * q.erlang_b_continuous(FREE_BED_BEDS, FREE_BED_LOADS + lent_slow / np.maximum(1 - x, 1e-12)) + 0.5 * x
    np.testing.assert_allclose(full, x, atol=1e-8)
    assert not np.allclose(slow["own_full"], full, atol=1e-6)  # one step is not the fixed point: the test can fail
    # the borrowers (types 1, 3 and 4 with beds) are served in other types' beds; a non-lender lends nothing
    assert (result["borrowed"][:2, [1, 3, 4]] > 0).all()
    assert not result["lent_load"][:, [0, 1]].any()


def test_free_bed_fixed_point_without_scipys_c_gammaincc_runs_the_same_loop_uncompiled(monkeypatch):
    from dimensioning.queueing import erlang

    compiled = q.free_bed_blocking(FREE_BED_BEDS, FREE_BED_LOADS, MAY_BORROW, LENDS)
    monkeypatch.setattr(erlang, "_compiled_gammaincc", lambda: None)
    fallback = q.free_bed_blocking(FREE_BED_BEDS, FREE_BED_LOADS, MAY_BORROW, LENDS)
    np.testing.assert_array_equal(fallback["blocking"], compiled["blocking"])
