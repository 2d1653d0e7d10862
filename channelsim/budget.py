"""Event budget: refuse, before it starts, a run that would take hours or exhaust memory.

A scenario typo (``leads_per_month = 3e9`` for ``3e3``, ``horizon_months = 600`` with 10,000
replications) would otherwise start a simulation that runs for days or fills memory with a
month's leads. :func:`estimate_events` computes an upper estimate of the simulation events from
the scenario's settings alone, without simulating; :func:`check_budget` refuses a run whose
estimate exceeds the budget, saying how big it is and how to proceed. The command line
(``run``, ``compare``) checks it; ``--force`` skips the check. The Python API does not: a
notebook may run what it likes.

What counts, per replication and strategy:

* company leads: ``rate(t)`` integrated over the horizon (growth, seasonality), times the
  largest demand effect the reputation index can reach (an upper bound);
* partner-sourced leads: each month at most ``min(max_partners, initial + recruit_per_month x
  activation_rate x months so far)`` active partners, each bringing ``sourced_leads_per_month``
  (churn and onboarding delays only lower it);
* :data:`EVENTS_PER_LEAD` events per lead (arrival, start of the sales cycle, its end, a
  patience timer), plus the bookkeeping events that do not depend on leads (recruiting draws,
  hiring reviews, requisitions, initial sellers, month ends).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from channelsim.errors import Problem, UsageError
from channelsim.model.ledger import MONTH
from channelsim.scenario import Scenario

__all__ = [
    "DEFAULT_BUDGET",
    "EVENTS_PER_LEAD",
    "EVENTS_PER_SECOND",
    "Estimate",
    "check_budget",
    "estimate_events",
    "expected_company_leads",
]

DEFAULT_BUDGET = 200_000_000
"""Most events a command-line run may simulate without ``--force``: about 50 million leads,
some 11 minutes for one process at :data:`EVENTS_PER_SECOND`."""

EVENTS_PER_LEAD = 4
"""Simulation events counted per lead (arrival, cycle start and end, patience timer)."""

EVENTS_PER_SECOND = 300_000
"""Estimated events one process simulates per second, to turn an estimate into minutes.

Measured on a 2-vCPU cloud machine (Python 3.11): the shipped scenarios run at 250,000 to
550,000 estimated events a second (median about 450,000); a tenfold-demand version of
``saas_midmarket`` at 270,000 to 330,000; large runs are the ones the estimate is for."""

ELASTICITY_RUNS = 3
"""``compare`` reruns every strategy at 0.9x and 1.1x demand for the cost elasticity."""

_SUBSTEPS = 16
_HUGE = 10**30


@dataclass(frozen=True)
class Estimate:
    """The size of a run, before it runs.

    Attributes:
        events: estimated simulation events of the whole run.
        company_leads: expected company leads of one replication (upper bound).
        sourced_leads: partner-sourced leads of one replication (upper bound, hybrid strategy).
        runs: replications x strategies x demand reruns.
    """

    events: int
    company_leads: float
    sourced_leads: float
    runs: int

    def minutes(self, jobs: int = 1) -> float:
        """Estimated wall-clock minutes with ``jobs`` worker processes."""
        return self.events / EVENTS_PER_SECOND / max(1, min(jobs, self.runs)) / 60


def _clamp(x: float) -> float:
    return x if math.isfinite(x) else float(_HUGE)


def _base_rate(scenario: Scenario, t: np.ndarray) -> np.ndarray:
    """Leads a month at times ``t`` (months), before seasonality and reputation.

    The same curves as the model's demand (``channelsim.model.demand``); overflows become
    infinities, turned into a huge finite number by the caller.
    """
    d = scenario.demand
    l0, g = d.leads_per_month, np.float64(d.growth_rate)
    if d.growth == "none":
        return np.full_like(t, l0)
    if d.growth == "linear":
        return np.maximum(l0 * (1.0 + g * t), 0.0)
    if d.growth == "exponential":  # compounded monthly; the schema keeps growth_rate > -1
        return l0 * np.power(1.0 + g, t)
    if d.growth == "logistic":
        if l0 <= 0:
            return np.zeros_like(t)
        c = d.ceiling_leads_per_month or l0
        # the logistic curve lies between its start and its ceiling
        return np.minimum(c / (1.0 + (c / l0 - 1.0) * np.exp(-g * t)), max(c, l0))
    # bass: market_size x F'(t)
    p, q, m = np.float64(d.innovation), np.float64(d.imitation), np.float64(d.market_size)
    e = np.exp(-(p + q) * t)
    return m * (p + q) ** 2 / p * e / (1.0 + q / p * e) ** 2


def _reputation_bound(scenario: Scenario) -> float:
    """Largest multiplier the reputation index can put on company demand."""
    baseline = max(scenario.direct.service_quality, 1e-6)
    return max(1.0, 1.0 + scenario.demand.reputation_sensitivity * (1.0 / baseline - 1.0))


def expected_company_leads(scenario: Scenario, demand_scale: float = 1.0) -> float:
    """Expected company leads of one replication (an upper bound when reputation can help).

    ``rate(t)`` is integrated month by month (midpoint rule, 16 points a month) with each
    month's seasonality factor, then multiplied by the reputation bound.

    Args:
        scenario: a validated scenario.
        demand_scale: multiplies demand (``compare``'s elasticity reruns).

    Returns:
        The expected number of leads (a float; huge values are capped at 1e30).
    """
    months = scenario.scenario.horizon_months
    offsets = (np.arange(_SUBSTEPS) + 0.5) / _SUBSTEPS
    t = (np.arange(months)[:, None] + offsets[None, :]).ravel()
    season = np.asarray(scenario.demand.seasonality, dtype=float)[np.arange(months) % 12]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        rate = _base_rate(scenario, t).reshape(months, _SUBSTEPS).mean(axis=1)
        total = float(np.sum(rate * season)) * _reputation_bound(scenario) * demand_scale
    return _clamp(total) if not math.isnan(total) else float(_HUGE)


def _run_events(scenario: Scenario, mode: str) -> tuple[float, float, float]:
    """Events, company leads and sourced leads of one replication of one strategy."""
    months = scenario.scenario.horizon_months
    company = expected_company_leads(scenario)
    sourced = 0.0
    other = float(months)  # month ends
    if mode != "direct":
        ends = np.arange(1, months + 1, dtype=float)
        for p in scenario.partners:
            # active partners never exceed the initial ones plus the recruits that activate
            # (churn and onboarding delays only lower the count)
            grown = min(p.initial, p.max_partners) + p.recruit_per_month * p.activation_rate * ends
            active = np.minimum(float(p.max_partners), grown)
            sourced += float(active.sum()) * p.sourced_leads_per_month
            if p.max_partners > 0:
                other += p.recruit_per_month * months  # one draw per recruit, even when full
            other += 2 * min(p.initial, p.max_partners)
    if mode != "indirect":
        d = scenario.direct
        h = d.hiring
        other += 2 * d.initial_reps
        if h.max_hires_per_month > 0:
            other += months * MONTH / h.review_every_days  # reviews
            other += d.max_reps + 2 * h.max_hires_per_month * months  # requisitions, starts
    events = EVENTS_PER_LEAD * (company + sourced) + other
    return _clamp(events), company, sourced


def estimate_events(
    scenario: Scenario,
    strategies: Sequence[str],
    replications: int,
    elasticity: bool = False,
) -> int:
    """Estimated simulation events of a run, from the scenario's settings alone.

    Args:
        scenario: a validated scenario.
        strategies: the strategies to simulate (built-in or named).
        replications: replications of each strategy.
        elasticity: True for ``compare``'s reruns at 0.9x and 1.1x demand (3 runs each).

    Returns:
        The estimate (an upper estimate: reputation at its best, partner programs full).
    """
    return _estimate(scenario, strategies, replications, elasticity).events


def _estimate(
    scenario: Scenario, strategies: Sequence[str], replications: int, elasticity: bool
) -> Estimate:
    factor = replications * (ELASTICITY_RUNS if elasticity else 1)
    total = 0.0
    company_max = sourced_max = 0.0
    for name in strategies:
        mode, resolved = scenario.resolve_strategy(name)
        events, company, sourced = _run_events(resolved, mode)
        total += events * factor
        company_max, sourced_max = max(company_max, company), max(sourced_max, sourced)
    runs = max(1, len(strategies) * factor)
    return Estimate(int(min(_clamp(total), _HUGE)), company_max, sourced_max, runs)


def _say(n: float) -> str:
    """``4.2e10`` as "42 billion", small numbers with separators."""
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if n >= size:
            value = n / size
            if value >= 1e6:
                return f"{n:.1e}"
            return f"{value:,.0f} {word}" if value >= 10 else f"{value:.1f} {word}"
    return f"{n:,.0f}"


def _say_minutes(minutes: float) -> str:
    if minutes < 1:
        return "under a minute"
    if minutes < 120:
        return f"~{minutes:,.0f} minutes"
    if minutes < 48 * 60:
        return f"~{minutes / 60:,.0f} hours"
    if minutes < 365 * 24 * 60:
        return f"~{minutes / 60 / 24:,.0f} days"
    return "years"


def check_budget(
    scenario: Scenario,
    strategies: Sequence[str],
    replications: int,
    elasticity: bool = False,
    *,
    file: str | None = None,
    budget: int | None = None,
    jobs: int = 1,
    force: bool = False,
) -> int:
    """Refuse a run whose estimated events exceed the budget.

    Args:
        scenario: a validated scenario.
        strategies: the strategies to simulate.
        replications: replications of each strategy.
        elasticity: ``compare``'s demand reruns are on.
        file: the scenario file, named in the error.
        budget: the limit (default: :data:`DEFAULT_BUDGET`).
        jobs: worker processes, for the time estimate.
        force: skip the check (the estimate is still returned).

    Returns:
        The estimated number of events.

    Raises:
        UsageError: the estimate exceeds the budget and ``force`` is False.
    """
    limit = DEFAULT_BUDGET if budget is None else budget
    est = _estimate(scenario, strategies, replications, elasticity)
    if force or est.events <= limit:
        return est.events
    where = f"{jobs} processes" if jobs > 1 else "one process"
    raise UsageError(
        Problem(
            file,
            "",
            f"this run would simulate about {_say(est.events)} events "
            f"({_say_minutes(est.minutes(jobs))} on this machine with {where}; about "
            f"{_say(est.company_leads + est.sourced_leads)} leads per replication, "
            f"{est.runs:,} replication runs); the limit is {_say(limit)}; use --force to run "
            "it anyway or lower replications/horizon/leads",
        )
    )
