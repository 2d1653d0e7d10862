"""Closed-form results the simulator is validated against.

Everything here is a pure function of its arguments (no randomness, no simulation state) so that
tests and the validation report can compare simulated numbers with textbook ones:

* queueing: Erlang B, Erlang C (M/M/c), Erlang A (M/M/c+M, exponential patience), M/G/inf;
* demand: Bass (1969) diffusion;
* direct sales force: headcount under a binding recruiting capacity (Little's law);
* channel economics: Kotler's break-even between a salaried team and commissioned agents;
* statistics: the Student t confidence interval used for every summary number.

Units are whatever the caller uses, as long as they are consistent (the simulator uses days).
Functions that take a time accept a scalar or an array and return a float for a scalar input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import special, stats

FloatOrArray = float | npt.NDArray[np.float64]

__all__ = [
    "ErlangA",
    "TInterval",
    "bass_cumulative",
    "bass_expected_between",
    "bass_peak_time",
    "bass_rate",
    "breakeven_sales",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "headcount_path",
    "mm_inf_busy_pmf",
    "mm_inf_mean_busy",
    "mmc_mean_wait",
    "mmc_mean_wait_given_wait",
    "mmc_utilization",
    "steady_headcount",
    "student_t_ci",
]


# --------------------------------------------------------------------------------------------------
# helpers


def _as_output(x: npt.NDArray[np.float64]) -> FloatOrArray:
    """Return a Python float for 0-d results, the array otherwise."""
    return float(x) if np.ndim(x) == 0 else x


def _check_servers(c: int, minimum: int = 1) -> int:
    if isinstance(c, bool) or int(c) != c:
        raise ValueError(f"number of servers c must be an integer, got {c!r}")
    if c < minimum:
        raise ValueError(f"number of servers c must be >= {minimum}, got {c}")
    return int(c)


def _check_positive(name: str, value: float) -> float:
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _check_nonnegative(name: str, value: float) -> float:
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a non-negative finite number, got {value!r}")
    return float(value)


# --------------------------------------------------------------------------------------------------
# Erlang B / Erlang C (M/M/c)


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability of an M/M/c/c loss system (also M/G/c/c).

    Formula: ``B(c, a) = (a^c / c!) / sum_{k=0..c} a^k / k!``, evaluated with the numerically stable
    recursion ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))`` (no factorials, no overflow, valid
    for thousands of servers).

    Args:
        c: Number of servers, an integer >= 0.
        a: Offered load ``lambda / mu`` in Erlangs, >= 0.

    Returns:
        The probability that an arrival finds all ``c`` servers busy (and is lost).

    Raises:
        ValueError: If ``c`` is not a non-negative integer or ``a`` is negative or not finite.
    """
    c = _check_servers(c, minimum=0)
    a = _check_nonnegative("offered load a", a)
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C probability that an arrival has to wait in an M/M/c queue.

    Formula: ``C(c, a) = c B(c, a) / (c - a (1 - B(c, a)))`` with ``B`` the Erlang B probability;
    equal to ``(a^c / c!) (c / (c - a)) / (sum_{k<c} a^k / k! + (a^c / c!) (c / (c - a)))``.

    Assumptions: Poisson arrivals, exponential service, ``c`` identical servers, infinite patience,
    infinite waiting room, stability ``a < c``.

    Args:
        c: Number of servers, an integer >= 1.
        a: Offered load ``lambda / mu`` in Erlangs, ``0 <= a < c``.

    Returns:
        The probability of waiting (the share of arrivals that find all servers busy).

    Raises:
        ValueError: If ``a >= c`` (unstable queue) or the arguments are out of range.
    """
    c = _check_servers(c)
    a = _check_nonnegative("offered load a", a)
    if a >= c:
        raise ValueError(f"Erlang C needs offered load a < c for stability, got a={a} >= c={c}")
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def _check_mmc(lam: float, mu: float, c: int) -> tuple[float, float, int]:
    lam = _check_nonnegative("arrival rate lam", lam)
    mu = _check_positive("service rate mu", mu)
    c = _check_servers(c)
    if lam >= c * mu:
        raise ValueError(
            f"M/M/c is unstable: arrival rate lam={lam} >= c*mu={c * mu} (c={c}, mu={mu})"
        )
    return lam, mu, c


def mmc_mean_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of all arrivals of an M/M/c queue (served immediately ones count as 0).

    Formula: ``W_q = C(c, a) / (c mu - lam)`` with ``a = lam / mu``.

    Args:
        lam: Arrival rate.
        mu: Service rate of one server (1 / mean service time).
        c: Number of servers.

    Returns:
        The mean waiting time before service, in the reciprocal unit of the rates.

    Raises:
        ValueError: If ``lam >= c mu`` (unstable) or the arguments are out of range.
    """
    lam, mu, c = _check_mmc(lam, mu, c)
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_mean_wait_given_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait of the arrivals that do wait in an M/M/c queue.

    Formula: ``E[W_q | W_q > 0] = 1 / (c mu - lam)`` (the conditional wait is exponential).

    Args:
        lam: Arrival rate.
        mu: Service rate of one server.
        c: Number of servers.

    Returns:
        The mean wait conditional on having to wait.

    Raises:
        ValueError: If ``lam >= c mu`` (unstable) or the arguments are out of range.
    """
    lam, mu, c = _check_mmc(lam, mu, c)
    return 1.0 / (c * mu - lam)


def mmc_utilization(lam: float, mu: float, c: int) -> float:
    """Long-run share of server time that is busy in a stable M/M/c queue.

    Formula: ``rho = lam / (c mu)`` (holds for M/G/c too).

    Args:
        lam: Arrival rate.
        mu: Service rate of one server.
        c: Number of servers.

    Returns:
        The utilization, in ``[0, 1)``.

    Raises:
        ValueError: If ``lam >= c mu`` (no steady state) or the arguments are out of range.
    """
    lam, mu, c = _check_mmc(lam, mu, c)
    return lam / (c * mu)


# --------------------------------------------------------------------------------------------------
# Erlang A (M/M/c+M)


@dataclass(frozen=True)
class ErlangA:
    """Steady-state performance of an M/M/c+M (Erlang A) queue.

    Attributes:
        p_abandon: Share of arrivals that abandon before reaching a server.
        mean_wait_all: Mean time in queue over all arrivals (abandoning ones count until they leave,
            immediately served ones count 0); equals ``mean_queue / lam`` by Little's law.
        mean_wait_served: Mean time in queue of the arrivals that reach a server (including the ones
            served at once with wait 0).
        mean_queue: Mean number of customers waiting.
        mean_busy: Mean number of busy servers (``= lam (1 - p_abandon) / mu``).
    """

    p_abandon: float
    mean_wait_all: float
    mean_wait_served: float
    mean_queue: float
    mean_busy: float


def erlang_a(lam: float, mu: float, c: int, theta: float, tol: float = 1e-12) -> ErlangA:
    """Steady state of the Erlang A queue (M/M/c+M): FIFO, exponential patience of rate ``theta``.

    Method: the number in system is a birth-death chain with birth rate ``lam`` and death rate
    ``min(n, c) mu + max(n - c, 0) theta`` in state ``n``. It is truncated at the first ``N`` past
    the mode for which the neglected tail mass is below ``tol`` (the tail is bounded by a geometric
    series since the ratio ``lam / death(n)`` decreases past the mode) and solved in log space, so
    ``c`` of several hundred and overloaded systems (``lam >= c mu``) are fine: abandonment keeps
    the chain stable. Then

    * ``mean_queue = E[(n - c)^+]``, ``mean_busy = E[min(n, c)]``,
    * ``p_abandon = theta mean_queue / lam`` (abandonment flow over arrival flow),
    * ``mean_wait_all = mean_queue / lam`` (Little).

    Wait of the served customers. By PASTA an arrival sees the stationary state ``n``. If
    ``n < c`` it is served at once. If ``n >= c`` it joins a FIFO queue with ``j = n - c``
    customers ahead. While ``i`` customers are ahead of it, it moves up at rate ``c mu + i theta``
    (a service completion or an abandonment ahead; customers behind never matter under FIFO) and
    leaves at rate ``theta``, so it stays an ``Exp(r_i)`` time with ``r_i = c mu + (i + 1) theta``.
    The product of the move-up probabilities telescopes: the arrival reaches a server with
    probability ``S_j = prod_{i=0..j} (c mu + i theta) / r_i = c mu / (c mu + (j + 1) theta)``,
    and, since for competing exponentials the sojourn time is independent of which event ends it,
    its wait given service is ``T_j = sum_{i=0..j} 1 / r_i``. Hence::

        mean_wait_served = sum_{n>=c} pi_n S_{n-c} T_{n-c}
                           / (sum_{n<c} pi_n + sum_{n>=c} pi_n S_{n-c}).

    The denominator is ``1 - p_abandon`` (an identity the tests check, as is
    ``mean_wait_all = sum_{n>=c} pi_n (n - c + 1) / (c mu + (n - c + 1) theta)``).

    Limits: ``theta = 0`` is plain M/M/c (Erlang C; requires ``lam < c mu``); ``theta = inf``
    means whoever finds all servers busy leaves at once: M/M/c/c with ``p_abandon = B(c, a)``.

    Args:
        lam: Arrival rate, > 0.
        mu: Service rate of one server, > 0.
        c: Number of servers, >= 1.
        theta: Abandonment rate of a waiting customer (1 / mean patience), >= 0 or ``math.inf``.
        tol: Bound on the probability mass neglected by the truncation.

    Returns:
        An :class:`ErlangA` with abandonment probability, waits, mean queue and mean busy servers.

    Raises:
        ValueError: If an argument is out of range, ``theta = 0`` with ``lam >= c mu``, or the
            truncation would need more than ten million states (``theta`` tiny in overload).
    """
    lam = _check_positive("arrival rate lam", lam)
    mu = _check_positive("service rate mu", mu)
    c = _check_servers(c)
    if not theta >= 0:
        raise ValueError(f"abandonment rate theta must be >= 0, got {theta!r}")
    if not 0 < tol < 1:
        raise ValueError(f"tol must be in (0, 1), got {tol!r}")
    a = lam / mu

    if theta == 0:
        if lam >= c * mu:
            raise ValueError(
                f"Erlang A with theta=0 is M/M/c, unstable for lam={lam} >= c*mu={c * mu}"
            )
        wq = mmc_mean_wait(lam, mu, c)
        return ErlangA(
            p_abandon=0.0, mean_wait_all=wq, mean_wait_served=wq, mean_queue=lam * wq, mean_busy=a
        )
    if math.isinf(theta):
        b = erlang_b(c, a)
        return ErlangA(
            p_abandon=b,
            mean_wait_all=0.0,
            mean_wait_served=0.0,
            mean_queue=0.0,
            mean_busy=a * (1 - b),
        )
    theta = float(theta)

    # Mode of the chain: past n*, lam / death(n) < 1 and decreases.
    mode = c + max(0.0, (lam - c * mu) / theta)
    spread = math.sqrt(max(lam / min(mu, theta), 1.0))
    n_max = int(mode + 10 * spread + 50)
    log_tol = math.log(tol)
    while True:
        if n_max > 10_000_000:
            raise ValueError(
                "Erlang A truncation needs more than 1e7 states; theta is too small for this "
                f"overload (lam={lam}, c*mu={c * mu}, theta={theta})"
            )
        n = np.arange(1, n_max + 1, dtype=np.float64)
        death = np.minimum(n, c) * mu + np.maximum(n - c, 0.0) * theta
        log_w = np.concatenate(([0.0], np.cumsum(math.log(lam) - np.log(death))))
        log_z = special.logsumexp(log_w)
        # Tail beyond n_max: pi_N * sum_k r^k with r = lam / death(N + 1) < 1 (ratios decrease).
        r = lam / (min(n_max + 1, c) * mu + max(n_max + 1 - c, 0) * theta)
        if n_max > mode and r < 1:
            log_tail = log_w[-1] - log_z + math.log(r) - math.log1p(-r)
            if log_tail < log_tol:
                break
        n_max *= 2

    pi = np.exp(log_w - log_z)
    states = np.arange(n_max + 1, dtype=np.float64)
    queue = np.maximum(states - c, 0.0)
    mean_queue = float(pi @ queue)
    mean_busy = float(pi @ np.minimum(states, c))
    p_abandon = theta * mean_queue / lam

    pi_wait = pi[c:]  # arrival sees n >= c: j = n - c customers ahead of it
    j = np.arange(pi_wait.size, dtype=np.float64)
    r_rates = c * mu + (j + 1) * theta  # r_i for i = 0, 1, ...
    survive = (c * mu) / r_rates  # S_j
    wait_if_served = np.cumsum(1.0 / r_rates)  # T_j
    p_served = float(pi[:c].sum() + pi_wait @ survive)
    mean_wait_served = float(pi_wait @ (survive * wait_if_served)) / p_served

    return ErlangA(
        p_abandon=p_abandon,
        mean_wait_all=mean_queue / lam,
        mean_wait_served=mean_wait_served,
        mean_queue=mean_queue,
        mean_busy=mean_busy,
    )


# --------------------------------------------------------------------------------------------------
# M/G/inf


def mm_inf_mean_busy(lam: float, mean_service: float) -> float:
    """Mean number of busy servers (customers in service) in an M/G/inf system.

    Formula: ``E[N] = lam * mean_service`` (Little's law; insensitive to the service distribution).
    Models a channel whose capacity never binds, e.g. partners' concurrent deals far below capacity.

    Args:
        lam: Arrival rate, >= 0.
        mean_service: Mean service (sales cycle) time, >= 0.

    Returns:
        The mean number in service.
    """
    lam = _check_nonnegative("arrival rate lam", lam)
    mean_service = _check_nonnegative("mean_service", mean_service)
    return lam * mean_service


def mm_inf_busy_pmf(k: int | npt.ArrayLike, lam: float, mean_service: float) -> FloatOrArray:
    """Stationary probability of ``k`` busy servers in an M/G/inf system.

    Formula: Poisson with mean ``a = lam * mean_service``: ``P(N = k) = e^{-a} a^k / k!``
    (stationary regime, any service distribution with finite mean).

    Args:
        k: Number(s) of busy servers.
        lam: Arrival rate, >= 0.
        mean_service: Mean service time, >= 0.

    Returns:
        The probability (a float for scalar ``k``, an array otherwise).
    """
    a = mm_inf_mean_busy(lam, mean_service)
    return _as_output(np.asarray(stats.poisson.pmf(k, a), dtype=np.float64))


# --------------------------------------------------------------------------------------------------
# Bass diffusion


def _check_bass(p: float, q: float) -> tuple[float, float]:
    p = _check_positive("innovation coefficient p", p)
    q = _check_nonnegative("imitation coefficient q", q)
    return p, q


def _as_times(t: npt.ArrayLike) -> npt.NDArray[np.float64]:
    arr = np.asarray(t, dtype=np.float64)
    if np.any(arr < 0):
        raise ValueError("Bass diffusion times must be >= 0")
    return arr


def bass_cumulative(t: npt.ArrayLike, p: float, q: float) -> FloatOrArray:
    """Share of the market that has adopted by time ``t`` under Bass (1969) diffusion.

    Formula: ``F(t) = (1 - e^{-(p+q) t}) / (1 + (q/p) e^{-(p+q) t})``, the solution with
    ``F(0) = 0`` of ``F' = (p + q F)(1 - F)``. ``F`` increases to 1.

    Args:
        t: Time(s) since launch, >= 0, in the unit of ``1 / p``.
        p: Coefficient of innovation, > 0 (typically 0.01-0.03 a year).
        q: Coefficient of imitation, >= 0 (typically 0.3-0.5 a year).

    Returns:
        ``F(t)`` in ``[0, 1)``.
    """
    p, q = _check_bass(p, q)
    e = np.exp(-(p + q) * _as_times(t))
    return _as_output((1.0 - e) / (1.0 + (q / p) * e))


def bass_rate(t: npt.ArrayLike, m: float, p: float, q: float) -> FloatOrArray:
    """Adoption rate of a market of size ``m`` under Bass diffusion.

    Formula: ``m F'(t) = m (p + q F(t)) (1 - F(t))``
    ``= m ((p + q)^2 / p) e^{-(p+q) t} / (1 + (q/p) e^{-(p+q) t})^2``.

    Args:
        t: Time(s) since launch, >= 0.
        m: Market size (number of eventual adopters), >= 0.
        p: Coefficient of innovation, > 0.
        q: Coefficient of imitation, >= 0.

    Returns:
        Adoptions per unit time at ``t``.
    """
    m = _check_nonnegative("market size m", m)
    f = np.asarray(bass_cumulative(t, p, q), dtype=np.float64)
    return _as_output(m * (p + q * f) * (1.0 - f))


def bass_peak_time(p: float, q: float) -> float:
    """Time at which the Bass adoption rate peaks.

    Formula: ``t* = ln(q / p) / (p + q)`` when ``q > p``; otherwise the rate decreases from launch
    and the peak is at ``t = 0`` (returned as 0.0).

    Args:
        p: Coefficient of innovation, > 0.
        q: Coefficient of imitation, >= 0.

    Returns:
        The peak time, >= 0.
    """
    p, q = _check_bass(p, q)
    if q <= p:
        return 0.0
    return math.log(q / p) / (p + q)


def bass_expected_between(t0: float, t1: float, m: float, p: float, q: float) -> float:
    """Expected number of adoptions between ``t0`` and ``t1`` under Bass diffusion.

    Formula: ``m (F(t1) - F(t0))``.

    Args:
        t0: Start of the interval, >= 0.
        t1: End of the interval, >= ``t0``.
        m: Market size, >= 0.
        p: Coefficient of innovation, > 0.
        q: Coefficient of imitation, >= 0.

    Returns:
        The expected number of adoptions in ``[t0, t1]``.

    Raises:
        ValueError: If ``t1 < t0`` or an argument is out of range.
    """
    if t1 < t0:
        raise ValueError(f"need t0 <= t1, got t0={t0}, t1={t1}")
    m = _check_nonnegative("market size m", m)
    return m * (float(bass_cumulative(t1, p, q)) - float(bass_cumulative(t0, p, q)))


# --------------------------------------------------------------------------------------------------
# Headcount


def steady_headcount(hires_per_year: float, attrition_annual: float) -> float:
    """Long-run headcount when hiring runs at a fixed rate (recruiting capacity binds).

    Formula: ``H = hires_per_year / attrition_annual`` (Little's law: arrival rate times mean
    tenure ``1 / attrition_annual``).

    Assumptions: hires start at a constant rate (e.g. ``12 * max_hires_per_month``), ``max_reps``
    never binds, tenure is exponential (or any distribution with that mean, for the mean).

    Args:
        hires_per_year: Hires started per year, >= 0.
        attrition_annual: Attrition rate a year (1 / mean tenure in years), > 0.

    Returns:
        The steady-state mean headcount.

    Raises:
        ValueError: If ``attrition_annual <= 0`` (headcount then grows without bound).
    """
    hires_per_year = _check_nonnegative("hires_per_year", hires_per_year)
    attrition_annual = _check_positive("attrition_annual", attrition_annual)
    return hires_per_year / attrition_annual


def headcount_path(
    t_years: npt.ArrayLike, h0: float, hires_per_year: float, attrition_annual: float
) -> FloatOrArray:
    """Mean headcount over time with constant hiring and exponential tenure.

    Formula: ``H(t) = H* + (h0 - H*) e^{-delta t}`` with ``H* = hires / delta`` and
    ``delta = attrition_annual``, the solution of ``H' = hires - delta H``; evaluated as
    ``h0 e^{-delta t} - hires expm1(-delta t) / delta`` so that ``delta = 0`` gives
    ``h0 + hires t``.

    Args:
        t_years: Time(s) in years, >= 0.
        h0: Headcount at ``t = 0``.
        hires_per_year: Hires started per year, >= 0.
        attrition_annual: Attrition rate a year, >= 0.

    Returns:
        The expected headcount at ``t_years``.
    """
    h0 = _check_nonnegative("h0", h0)
    hires = _check_nonnegative("hires_per_year", hires_per_year)
    delta = _check_nonnegative("attrition_annual", attrition_annual)
    t = np.asarray(t_years, dtype=np.float64)
    if np.any(t < 0):
        raise ValueError("t_years must be >= 0")
    if delta == 0:
        return _as_output(h0 + hires * t)
    return _as_output(h0 * np.exp(-delta * t) - hires * np.expm1(-delta * t) / delta)


# --------------------------------------------------------------------------------------------------
# Break-even


def breakeven_sales(fixed_cost: float, agent_rate: float, team_rate: float) -> float:
    """Sales level at which a salaried team and commissioned agents cost the same.

    Kotler's break-even cost chart: the team costs ``fixed_cost + team_rate * S``, the agents
    ``agent_rate * S``; the lines cross at ``S* = fixed_cost / (agent_rate - team_rate)``. Below
    ``S*`` agents are cheaper, above it the team is.

    Example (classroom version): 3 reps at 30k plus a manager at 160k make ``fixed_cost = 250k``;
    with 5% commission for the team against 25% for agents,
    ``S* = 250k / (0.25 - 0.05) = 1.25M`` of sales a year.

    Args:
        fixed_cost: Fixed cost of the team per period (salaries, managers, office).
        agent_rate: Agents' commission as a share of sales.
        team_rate: Team's commission as a share of sales.

    Returns:
        The break-even sales per period.

    Raises:
        ValueError: If ``agent_rate <= team_rate`` (the lines never cross: agents are always
            cheaper) or ``fixed_cost`` is negative.
    """
    fixed_cost = _check_nonnegative("fixed_cost", fixed_cost)
    if not agent_rate > team_rate:
        raise ValueError(
            f"no break-even: agent_rate ({agent_rate}) must exceed team_rate ({team_rate}), "
            "otherwise commissioned agents are cheaper at every sales level"
        )
    return fixed_cost / (agent_rate - team_rate)


# --------------------------------------------------------------------------------------------------
# Statistics


class TInterval(NamedTuple):
    """Mean, sample standard deviation and Student t confidence interval of a sample."""

    mean: float
    std: float
    low: float
    high: float
    n: int


def student_t_ci(values: npt.ArrayLike, level: float = 0.95) -> TInterval:
    """Student t confidence interval for the mean of independent replications.

    Formula: ``mean +/- t_{(1+level)/2, n-1} * s / sqrt(n)`` with ``s`` the sample standard
    deviation (``ddof=1``); the same as ``scipy.stats.t.interval(level, n-1, mean, s/sqrt(n))``.

    Conventions: with ``n = 1`` the spread is unknown, so ``std``, ``low`` and ``high`` are NaN
    (not the mean: a single replication says nothing about precision); a constant sample gives
    ``std = 0`` and a zero-width interval ``low = high = mean``; NaNs in ``values`` propagate.

    Args:
        values: The sample (one number per replication), 1-d.
        level: Confidence level in ``(0, 1)``.

    Returns:
        A :class:`TInterval` ``(mean, std, low, high, n)``, which unpacks like a tuple.

    Raises:
        ValueError: If ``values`` is empty or not 1-d, or ``level`` is not in ``(0, 1)``.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"values must be 1-d, got shape {x.shape}")
    n = int(x.size)
    if n == 0:
        raise ValueError("need at least one value for a confidence interval")
    mean = float(x.mean())
    if n == 1:
        return TInterval(mean, math.nan, math.nan, math.nan, 1)
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * std / math.sqrt(n)
    return TInterval(mean, std, mean - half, mean + half, n)
