"""Sales teams: headcount under a binding recruiting capacity, Kotler's break-even."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from channelsim.theory.arguments import FloatOrArray, as_output, check_nonnegative, check_positive

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
    hires_per_year = check_nonnegative("hires_per_year", hires_per_year)
    attrition_annual = check_positive("attrition_annual", attrition_annual)
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
    h0 = check_nonnegative("h0", h0)
    hires = check_nonnegative("hires_per_year", hires_per_year)
    delta = check_nonnegative("attrition_annual", attrition_annual)
    t = np.asarray(t_years, dtype=np.float64)
    if np.any(t < 0):
        raise ValueError("t_years must be >= 0")
    if delta == 0:
        return as_output(h0 + hires * t)
    return as_output(h0 * np.exp(-delta * t) - hires * np.expm1(-delta * t) / delta)


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
    fixed_cost = check_nonnegative("fixed_cost", fixed_cost)
    if not agent_rate > team_rate:
        raise ValueError(
            f"no break-even: agent_rate ({agent_rate}) must exceed team_rate ({team_rate}), "
            "otherwise commissioned agents are cheaper at every sales level"
        )
    return fixed_cost / (agent_rate - team_rate)
