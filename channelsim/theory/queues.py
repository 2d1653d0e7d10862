"""Queueing: Erlang B and C (M/M/c), Erlang A (M/M/c+M, exponential patience), M/G/inf."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from channelsim.theory.arguments import (
    FloatOrArray,
    as_output,
    check_nonnegative,
    check_positive,
    check_servers,
)

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
    c = check_servers(c, minimum=0)
    a = check_nonnegative("offered load a", a)
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
    c = check_servers(c)
    a = check_nonnegative("offered load a", a)
    if a >= c:
        raise ValueError(f"Erlang C needs offered load a < c for stability, got a={a} >= c={c}")
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def _check_mmc(lam: float, mu: float, c: int) -> tuple[float, float, int]:
    lam = check_nonnegative("arrival rate lam", lam)
    mu = check_positive("service rate mu", mu)
    c = check_servers(c)
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
    lam = check_positive("arrival rate lam", lam)
    mu = check_positive("service rate mu", mu)
    c = check_servers(c)
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
    lam = check_nonnegative("arrival rate lam", lam)
    mean_service = check_nonnegative("mean_service", mean_service)
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
    return as_output(np.asarray(stats.poisson.pmf(k, a), dtype=np.float64))
