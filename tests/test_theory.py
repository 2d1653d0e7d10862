"""Tests of the closed forms in channelsim.theory against independent computations."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from channelsim import theory as th

# --------------------------------------------------------------------------------------------------
# independent reference computations


def erlang_b_explicit(c: int, a: float) -> float:
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def erlang_c_explicit(c: int, a: float) -> float:
    last = a**c / math.factorial(c) * c / (c - a)
    return last / (sum(a**k / math.factorial(k) for k in range(c)) + last)


def mmc_plus_m_chain(lam: float, mu: float, c: int, theta: float, n_max: int) -> np.ndarray:
    """Stationary distribution of the truncated chain by solving pi Q = 0 directly."""
    q = np.zeros((n_max + 1, n_max + 1))
    for n in range(n_max + 1):
        if n < n_max:
            q[n, n + 1] = lam
        if n > 0:
            q[n, n - 1] = min(n, c) * mu + max(n - c, 0) * theta
        q[n, n] = -q[n].sum()
    a = np.vstack([q.T, np.ones(n_max + 1)])
    b = np.zeros(n_max + 2)
    b[-1] = 1.0
    return np.linalg.lstsq(a, b, rcond=None)[0]


def simulate_mmc_plus_m(
    lam: float, mu: float, c: int, theta: float, n: int, seed: int, batches: int = 40
) -> dict[str, tuple[float, float]]:
    """FIFO M/M/c+M by the multi-server Lindley recursion; batch means and their standard errors.

    Customers are handled in arrival order: under FIFO the i-th customer gets the earliest server
    freed after the earlier customers that stayed took theirs, so it waits max(0, earliest free
    time - arrival) and abandons (taking no server) if its patience is shorter.
    """
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / lam, n))
    services = rng.exponential(1 / mu, n)
    patience = rng.exponential(1 / theta, n)
    free = [0.0] * c
    abandoned = np.zeros(n, dtype=bool)
    wait = np.zeros(n)
    for i in range(n):
        t = arrivals[i]
        start = max(free[0], t)
        w = start - t
        if w > patience[i]:
            abandoned[i] = True
            wait[i] = patience[i]
        else:
            wait[i] = w
            heapq.heapreplace(free, start + services[i])
    warm = n // 20
    p_ab, w_served, w_all = [], [], []
    for ab, w in zip(
        np.array_split(abandoned[warm:], batches), np.array_split(wait[warm:], batches), strict=True
    ):
        p_ab.append(ab.mean())
        w_served.append(w[~ab].mean())
        w_all.append(w.mean())
    out = {}
    for name, xs in (("p_abandon", p_ab), ("mean_wait_served", w_served), ("mean_wait_all", w_all)):
        arr = np.asarray(xs)
        out[name] = (float(arr.mean()), float(arr.std(ddof=1) / math.sqrt(batches)))
    return out


# --------------------------------------------------------------------------------------------------
# Erlang B and C


@pytest.mark.parametrize("c", [0, 1, 2, 5, 10, 20])
@pytest.mark.parametrize("a", [0.0, 0.3, 1.0, 4.5, 12.0])
def test_erlang_b_matches_explicit_formula(c: int, a: float) -> None:
    assert th.erlang_b(c, a) == pytest.approx(erlang_b_explicit(c, a), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(("c", "a"), [(300, 280.0), (500, 520.0), (200, 50.0)])
def test_erlang_b_many_servers_matches_poisson_ratio(c: int, a: float) -> None:
    # B(c, a) = P(N = c) / P(N <= c) for N ~ Poisson(a), computed in log space by scipy.
    expected = math.exp(stats.poisson.logpmf(c, a) - stats.poisson.logcdf(c, a))
    assert th.erlang_b(c, a) == pytest.approx(expected, rel=1e-9)


def test_erlang_c_textbook_value() -> None:
    assert th.erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-14)


def test_erlang_c_single_server_is_rho() -> None:
    assert th.erlang_c(1, 0.7) == pytest.approx(0.7, rel=1e-14)


@pytest.mark.parametrize(("c", "a"), [(2, 1.5), (3, 2.5), (5, 4.0), (10, 7.3), (15, 14.9)])
def test_erlang_c_matches_explicit_sum(c: int, a: float) -> None:
    assert th.erlang_c(c, a) == pytest.approx(erlang_c_explicit(c, a), rel=1e-12)


def test_erlang_c_many_servers_is_finite_and_in_range() -> None:
    value = th.erlang_c(400, 390.0)
    assert 0.0 < value < 1.0
    # C >= B always (waiting vs blocking for the same load)
    assert value > th.erlang_b(400, 390.0)


@pytest.mark.parametrize(("c", "a"), [(2, 2.0), (3, 5.0)])
def test_erlang_c_rejects_unstable_load(c: int, a: float) -> None:
    with pytest.raises(ValueError, match="a < c"):
        th.erlang_c(c, a)


def test_erlang_b_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        th.erlang_b(-1, 1.0)
    with pytest.raises(ValueError):
        th.erlang_b(2, -1.0)
    with pytest.raises(ValueError):
        th.erlang_b(2.5, 1.0)  # type: ignore[arg-type]


def test_mmc_formulas() -> None:
    lam, mu = 0.8, 1.0
    # M/M/1: Wq = rho / (mu - lam)
    assert th.mmc_mean_wait(lam, mu, 1) == pytest.approx(0.8 / 0.2, rel=1e-12)
    lam, mu, c = 2.5, 1.0, 3
    assert th.mmc_mean_wait(lam, mu, c) == pytest.approx(
        th.erlang_c(c, lam / mu) * th.mmc_mean_wait_given_wait(lam, mu, c), rel=1e-12
    )
    assert th.mmc_mean_wait_given_wait(lam, mu, c) == pytest.approx(2.0)
    assert th.mmc_utilization(lam, mu, c) == pytest.approx(2.5 / 3)
    with pytest.raises(ValueError, match="unstable"):
        th.mmc_mean_wait(3.0, 1.0, 3)
    with pytest.raises(ValueError, match="unstable"):
        th.mmc_utilization(3.5, 1.0, 3)


# --------------------------------------------------------------------------------------------------
# Erlang A


@pytest.mark.parametrize(("lam", "mu", "c"), [(2.5, 1.0, 3), (0.9, 1.0, 1), (290.0, 1.0, 300)])
def test_erlang_a_tends_to_erlang_c_as_theta_vanishes(lam: float, mu: float, c: int) -> None:
    wq = th.mmc_mean_wait(lam, mu, c)
    res = th.erlang_a(lam, mu, c, theta=1e-7)
    assert res.mean_wait_all == pytest.approx(wq, rel=1e-4)
    assert res.mean_wait_served == pytest.approx(wq, rel=1e-4)
    assert res.p_abandon == pytest.approx(0.0, abs=1e-4)
    exact = th.erlang_a(lam, mu, c, theta=0.0)
    assert exact.mean_wait_all == pytest.approx(wq, rel=1e-12)
    assert exact.p_abandon == 0.0
    assert exact.mean_busy == pytest.approx(lam / mu)


@pytest.mark.parametrize(("lam", "mu", "c"), [(2.5, 1.0, 3), (8.0, 1.0, 5), (0.4, 0.1, 2)])
def test_erlang_a_tends_to_erlang_b_as_theta_explodes(lam: float, mu: float, c: int) -> None:
    # Whoever finds all servers busy leaves almost at once: M/M/c/c, loss probability B(c, a).
    a = lam / mu
    b = th.erlang_b(c, a)
    res = th.erlang_a(lam, mu, c, theta=1e6 * mu)
    assert res.p_abandon == pytest.approx(b, rel=1e-4)
    assert res.mean_busy == pytest.approx(a * (1 - b), rel=1e-4)
    assert res.mean_wait_served == pytest.approx(0.0, abs=1e-6 / mu)
    limit = th.erlang_a(lam, mu, c, theta=math.inf)
    assert limit.p_abandon == pytest.approx(b, rel=1e-14)


@pytest.mark.parametrize(("lam", "c"), [(2.0, 3), (7.0, 4), (40.0, 30)])
def test_erlang_a_with_theta_equal_mu_is_poisson(lam: float, c: int) -> None:
    # theta = mu: death rate n mu in every state, so the number in system is Poisson(lam / mu).
    mu = 0.5
    a = lam / mu
    k = np.arange(0, int(a + 40 * math.sqrt(a) + 50))
    pmf = stats.poisson.pmf(k, a)
    res = th.erlang_a(lam, mu, c, theta=mu)
    mean_queue = float(pmf @ np.maximum(k - c, 0))
    assert res.mean_queue == pytest.approx(mean_queue, rel=1e-9)
    assert res.mean_busy == pytest.approx(float(pmf @ np.minimum(k, c)), rel=1e-9)
    assert res.p_abandon == pytest.approx(mu * mean_queue / lam, rel=1e-9)


@pytest.mark.parametrize(
    ("lam", "mu", "c", "theta"), [(6.0, 1.0, 5, 0.5), (2.5, 1.0, 3, 0.2), (1.0, 0.25, 2, 3.0)]
)
def test_erlang_a_matches_direct_linear_solve(lam: float, mu: float, c: int, theta: float) -> None:
    n_max = 120
    pi = mmc_plus_m_chain(lam, mu, c, theta, n_max)
    n = np.arange(n_max + 1)
    res = th.erlang_a(lam, mu, c, theta)
    assert res.mean_queue == pytest.approx(float(pi @ np.maximum(n - c, 0)), rel=1e-8)
    assert res.mean_busy == pytest.approx(float(pi @ np.minimum(n, c)), rel=1e-8)
    # flow balance: served rate = busy servers * mu
    assert res.mean_busy * mu == pytest.approx(lam * (1 - res.p_abandon), rel=1e-9)
    assert res.mean_wait_all == pytest.approx(res.mean_queue / lam, rel=1e-12)
    # per arrival: with j = n - c ahead, the mean wait is (j+1) / (c mu + (j+1) theta)
    j = np.arange(n_max + 1 - c)
    per_arrival = float(pi[c:] @ ((j + 1) / (c * mu + (j + 1) * theta)))
    assert res.mean_wait_all == pytest.approx(per_arrival, rel=1e-8)
    # and it survives with probability c mu / (c mu + (j+1) theta)
    p_served = float(pi[:c].sum() + pi[c:] @ (c * mu / (c * mu + (j + 1) * theta)))
    assert 1 - p_served == pytest.approx(res.p_abandon, rel=1e-8)


def test_erlang_a_overloaded_and_large() -> None:
    lam, mu, c, theta = 600.0, 1.0, 300, 0.05
    res = th.erlang_a(lam, mu, c, theta)
    # at most c mu can be served, so at least 1 - c mu / lam = 1/2 abandon; this far in overload
    # servers are never idle and the queue sits at its fluid level (lam - c mu) / theta
    assert 0.5 - 1e-9 < res.p_abandon < 0.5 + 1e-6
    assert res.mean_busy == pytest.approx(c, rel=1e-6)
    assert res.mean_queue == pytest.approx((lam - c * mu) / theta, rel=1e-6)
    assert res.mean_busy == pytest.approx(lam * (1 - res.p_abandon) / mu, rel=1e-9)
    assert all(math.isfinite(v) for v in vars(res).values())


def test_erlang_a_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unstable"):
        th.erlang_a(3.0, 1.0, 3, theta=0.0)
    with pytest.raises(ValueError):
        th.erlang_a(3.0, 1.0, 3, theta=-1.0)
    with pytest.raises(ValueError):
        th.erlang_a(0.0, 1.0, 3, theta=1.0)


@pytest.mark.parametrize(
    ("lam", "mu", "c", "theta", "seed"),
    [
        (6.0, 1.0, 5, 0.5, 11),  # overloaded, held up only by abandonment
        (2.7, 1.0, 3, 2.0, 12),  # impatient customers: served and abandoning waits differ a lot
    ],
)
def test_erlang_a_against_monte_carlo(
    lam: float, mu: float, c: int, theta: float, seed: int
) -> None:
    res = th.erlang_a(lam, mu, c, theta)
    sim = simulate_mmc_plus_m(lam, mu, c, theta, n=200_000, seed=seed)
    for name in ("p_abandon", "mean_wait_served", "mean_wait_all"):
        mean, se = sim[name]
        expected = getattr(res, name)
        assert abs(mean - expected) < 4.5 * se + 1e-3 * expected, (name, mean, se, expected)


# --------------------------------------------------------------------------------------------------
# M/G/inf


def test_mm_inf() -> None:
    assert th.mm_inf_mean_busy(3.0, 20.0) == 60.0
    k = np.arange(0, 200)
    pmf = th.mm_inf_busy_pmf(k, 3.0, 20.0)
    assert isinstance(pmf, np.ndarray)
    assert pmf.sum() == pytest.approx(1.0, rel=1e-12)
    assert float(k @ pmf) == pytest.approx(60.0, rel=1e-12)
    assert th.mm_inf_busy_pmf(0, 1.0, 2.0) == pytest.approx(math.exp(-2.0))


# --------------------------------------------------------------------------------------------------
# Bass


@pytest.mark.parametrize(("p", "q"), [(0.01, 0.3), (0.03, 0.5), (0.2, 0.1)])
def test_bass_rate_is_derivative_of_cumulative(p: float, q: float) -> None:
    m = 20_000.0
    t = np.linspace(0.5, 60.0, 50)
    h = 1e-5
    numeric = (th.bass_cumulative(t + h, p, q) - th.bass_cumulative(t - h, p, q)) / (2 * h)
    np.testing.assert_allclose(numeric, th.bass_rate(t, m, p, q) / m, rtol=1e-6, atol=1e-9)
    assert th.bass_cumulative(0.0, p, q) == 0.0
    assert th.bass_rate(0.0, m, p, q) == pytest.approx(m * p)
    assert th.bass_cumulative(1e4, p, q) == pytest.approx(1.0, abs=1e-12)
    assert th.bass_expected_between(0.0, 1e4, m, p, q) == pytest.approx(m, rel=1e-12)
    assert th.bass_expected_between(2.0, 5.0, m, p, q) == pytest.approx(
        m * (th.bass_cumulative(5.0, p, q) - th.bass_cumulative(2.0, p, q))
    )


def test_bass_peak_time() -> None:
    p, q, m = 0.01, 0.3, 1000.0
    t_star = th.bass_peak_time(p, q)
    assert t_star == pytest.approx(math.log(30) / 0.31)
    grid = np.linspace(0, 40, 400_001)
    assert grid[np.argmax(th.bass_rate(grid, m, p, q))] == pytest.approx(t_star, abs=1e-3)
    # at the peak F = (q - p) / (2 q)
    assert th.bass_cumulative(t_star, p, q) == pytest.approx((q - p) / (2 * q), rel=1e-12)
    assert th.bass_peak_time(0.2, 0.1) == 0.0
    with pytest.raises(ValueError):
        th.bass_cumulative(-1.0, p, q)


# --------------------------------------------------------------------------------------------------
# Headcount


def test_steady_headcount_and_path() -> None:
    assert th.steady_headcount(36.0, 0.3) == pytest.approx(120.0)
    with pytest.raises(ValueError):
        th.steady_headcount(36.0, 0.0)
    h0, hires, delta = 4.0, 36.0, 0.3
    assert th.headcount_path(0.0, h0, hires, delta) == pytest.approx(h0)
    assert th.headcount_path(200.0, h0, hires, delta) == pytest.approx(120.0, rel=1e-12)
    t = np.linspace(0.1, 10, 20)
    h = 1e-6
    dh = (
        th.headcount_path(t + h, h0, hires, delta) - th.headcount_path(t - h, h0, hires, delta)
    ) / (2 * h)
    np.testing.assert_allclose(
        dh, hires - delta * th.headcount_path(t, h0, hires, delta), rtol=1e-6
    )
    assert th.headcount_path(2.0, h0, hires, 0.0) == pytest.approx(h0 + 72.0)


# --------------------------------------------------------------------------------------------------
# Break-even


def test_breakeven_classroom_example() -> None:
    fixed = 3 * 30_000 + 160_000
    assert th.breakeven_sales(fixed, agent_rate=0.25, team_rate=0.05) == pytest.approx(1_250_000)
    s = th.breakeven_sales(fixed, 0.25, 0.05)
    assert fixed + 0.05 * s == pytest.approx(0.25 * s)


@pytest.mark.parametrize(("agent", "team"), [(0.05, 0.05), (0.05, 0.25)])
def test_breakeven_no_crossing(agent: float, team: float) -> None:
    with pytest.raises(ValueError, match="must exceed team_rate"):
        th.breakeven_sales(250_000, agent, team)


# --------------------------------------------------------------------------------------------------
# Student t


@settings(max_examples=50, deadline=None)
@given(
    values=st.lists(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=2, max_size=40
    ),
    level=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_student_t_ci_matches_scipy(values: list[float], level: float) -> None:
    mean, std, low, high, n = th.student_t_ci(values, level)
    x = np.asarray(values)
    assert n == len(values)
    assert mean == pytest.approx(x.mean(), rel=1e-12, abs=1e-9)
    assert std == pytest.approx(x.std(ddof=1), rel=1e-12, abs=1e-9)
    if std > 0:
        lo, hi = stats.t.interval(level, n - 1, loc=x.mean(), scale=x.std(ddof=1) / math.sqrt(n))
        assert low == pytest.approx(lo, rel=1e-9, abs=1e-6)
        assert high == pytest.approx(hi, rel=1e-9, abs=1e-6)


def test_student_t_ci_known_value_and_edge_cases() -> None:
    res = th.student_t_ci([1.0, 2.0, 3.0])
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)
    assert res == pytest.approx((2.0, 1.0, 2.0 - half, 2.0 + half, 3))
    assert res.high - res.low == pytest.approx(2 * 2.4841377, rel=1e-6)

    single = th.student_t_ci([5.0])
    assert single.mean == 5.0 and single.n == 1
    assert math.isnan(single.std) and math.isnan(single.low) and math.isnan(single.high)

    const = th.student_t_ci([7.0] * 6)
    assert const == (7.0, 0.0, 7.0, 7.0, 6)

    with pytest.raises(ValueError):
        th.student_t_ci([])
    with pytest.raises(ValueError):
        th.student_t_ci([1.0, 2.0], level=1.0)
