"""Decisions: the best share of leads for a team that loses what it cannot take, and EVPI.

**Share routing to a loss system.** Company leads arrive as a Poisson process of rate
``lambda``; each goes to the team with probability ``s`` and to commission-only partners
otherwise. Thinning keeps both streams Poisson. The team has ``c`` slots and leads that find
every slot busy are lost at once (patience 0): an M/G/c/c loss system, whose blocking
probability is Erlang B, ``B(c, x)`` with ``x = s lambda E[S]`` the offered load (insensitive to
the distribution of the sales cycle ``S``). Partners have ample capacity and lose nothing. With
``m_d`` and ``m_p`` the expected contribution of a lead given to the team (and served) and to a
partner, the expected contribution per unit time is::

    J(s) = lambda [ s (1 - B(c, s a)) m_d + (1 - s) m_p ],   a = lambda E[S].

``s (1 - B(c, s a))`` is the team's carried load over ``a``, concave in ``s``, so ``J`` has one
maximum. At an interior optimum the marginal lead is worth as much to the team as to a partner:
``d/ds [s (1 - B(c, s a))] = 1 - B - x dB/dx`` and ``dB/dx = B (c / x - 1 + B)``, so with
``x = s a``::

    m_d [1 - B(c, x) (1 + c - x (1 - B(c, x)))] = m_p,

one equation in ``x`` (its left side falls from ``m_d`` at ``x = 0``), solved by ``brentq``.

**EVPI of a linear decision.** Two strategies whose incremental net benefit is linear in one
uniform parameter, ``INB(theta) = alpha + beta theta`` with ``theta ~ U(low, high)``: INB is
uniform on ``[u, v]`` (the values at the ends, ``u < v``), and ``EVPI = E[max(0, INB)] -
max(0, E[INB])``, which is ``min(u^2, v^2) / (2 (v - u))`` when ``u < 0 < v`` and 0 otherwise
(the decision never changes).
"""

from __future__ import annotations

from scipy.optimize import brentq

from channelsim.theory.arguments import check_nonnegative, check_positive, check_servers
from channelsim.theory.queues import erlang_b

__all__ = ["best_direct_share", "evpi_linear_uniform", "share_routing_value"]


def share_routing_value(
    share: float,
    c: int,
    arrival_rate: float,
    mean_cycle: float,
    team_margin: float,
    partner_margin: float,
) -> float:
    """Expected contribution per unit time of routing a share of leads to a loss-system team.

    Args:
        share: share ``s`` of company leads sent to the team, in [0, 1].
        c: the team's slots (reps x deals per rep), >= 1.
        arrival_rate: company leads per unit time, >= 0.
        mean_cycle: mean sales cycle, > 0 (same time unit).
        team_margin: expected contribution of a lead the team serves (win rate x margin).
        partner_margin: expected contribution of a lead given to a partner.

    Returns:
        ``J(s)`` of the module docstring.

    Raises:
        ValueError: a share outside [0, 1] or arguments out of range.
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be between 0 and 1, got {share}")
    c = check_servers(c)
    lam = check_nonnegative("arrival_rate", arrival_rate)
    mean_cycle = check_positive("mean_cycle", mean_cycle)
    blocked = erlang_b(c, share * lam * mean_cycle)
    return lam * (share * (1.0 - blocked) * team_margin + (1.0 - share) * partner_margin)


def best_direct_share(
    c: int, arrival_rate: float, mean_cycle: float, team_margin: float, partner_margin: float
) -> float:
    """The share of leads to send to a loss-system team that maximises :func:`share_routing_value`.

    Args:
        c: the team's slots, >= 1.
        arrival_rate: company leads per unit time, > 0.
        mean_cycle: mean sales cycle, > 0.
        team_margin: expected contribution of a lead the team serves.
        partner_margin: expected contribution of a lead given to a partner.

    Returns:
        The optimal share in [0, 1]: 0 when a partner lead is worth at least a team lead,
        1 when the marginal team lead is still worth more at ``s = 1``, else the root of the
        marginal condition of the module docstring.
    """
    c = check_servers(c)
    a = check_positive("arrival_rate", arrival_rate) * check_positive("mean_cycle", mean_cycle)
    if team_margin <= partner_margin:
        return 0.0

    def marginal(x: float) -> float:
        b = erlang_b(c, x)
        return team_margin * (1.0 - b * (1.0 + c - x * (1.0 - b))) - partner_margin

    if marginal(a) >= 0:
        return 1.0
    return float(brentq(marginal, 0.0, a, xtol=1e-12)) / a


def evpi_linear_uniform(alpha: float, beta: float, low: float, high: float) -> float:
    """EVPI of two strategies whose incremental net benefit is ``alpha + beta theta``.

    Args:
        alpha: the intercept of INB.
        beta: its slope in ``theta``.
        low: lower end of the uniform range of ``theta``.
        high: upper end, > low.

    Returns:
        ``E[max(0, INB)] - max(0, E[INB])`` (see the module docstring).

    Raises:
        ValueError: ``low >= high``.
    """
    if not low < high:
        raise ValueError(f"low must be below high, got {low} >= {high}")
    u, v = sorted((alpha + beta * low, alpha + beta * high))
    if u >= 0 or v <= 0:
        return 0.0
    return min(u * u, v * v) / (2.0 * (v - u))
