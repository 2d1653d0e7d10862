"""The run-size estimate: refuse, before it starts, a run that would take hours or fill memory.

A scenario typo (``leads_per_month = 3e9`` for ``3e3``, ``horizon_months = 600`` with 10,000
replications) would otherwise start a simulation that runs for days or fills memory with a
month's leads. :func:`estimate_events` computes an upper estimate of the simulation events from
the scenario's settings alone, without simulating; :func:`check_budget` refuses a run whose
estimate exceeds the budget, saying how big it is and how to proceed. Every simulating verb of
the command line checks it (``run``, ``compare``, ``sweep``, ``breakeven``, ``sensitivity``);
``--force`` skips the check. The Python API does not: a notebook may run what it likes.

What counts, per replication and strategy, is every source of events the model schedules:

* company leads: ``rate(t)`` integrated over the horizon (growth, seasonality), times the
  largest demand effect the reputation index can reach (an upper bound);
* partner-sourced leads: each month at most ``min(max_partners, initial + recruit_per_month x
  activation_rate x months so far)`` active partners, each bringing ``sourced_leads_per_month``
  (churn and onboarding delays only lower it);
* :data:`EVENTS_PER_LEAD` per lead, a unit of work that bounds the events one lead causes
  from above (its arrival and the end of its sales cycle);
* restarted sales cycles: a seller who leaves mid-cycle (a rep's attrition, a partner's churn)
  hands every open deal back to the queue, and each starts a new cycle, one event more. With
  sellers leaving at rate ``mu`` and cycles of mean ``c``, a deal is restarted until it fits in
  a tenure, so it is in service ``(exp(mu c) - 1) / mu`` days instead of ``c``; the deals in
  service are at most the sellers' slots, so restarts run at
  ``mu x min(slots, leads a day x (exp(mu c) - 1) / mu, leads so far)`` (Little's law; ``c``
  is the mean plus one standard deviation, as the exponential is convex). Partners who churn
  every few days and are recruited again at once (churn-and-recruit cycling) make this the
  largest source, which the first version of this estimate missed;
* the sellers at work, for the above: the expected number when they join at a rate (recruits
  that activate, at most ``max_hires_per_month`` hires) and each leaves at ``mu``, capped by
  ``max_partners`` or ``max_reps``;
* each program's recruiting draws (one per recruit, even when the program is full),
  onboardings, churns and the redraw of its sourced-lead clock whenever its active count
  changes; the team's hiring reviews, requisitions, starts and departures; month ends; and,
  since these are expected counts, three standard deviations of a Poisson count on top.

Every count is an expectation or an upper bound of one (tests/test_event_budget.py checks the
estimate against the events counted in runs of randomly drawn scenarios).

The planners' verbs simulate many points (:class:`Plan`, built by each planner: sweep,
break-even, sensitivity): the estimate of a point is the one above with the point's parameter
values; :func:`estimate_plan` says how the points add up.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from channelsim.errors import Problem, ScenarioError, UsageError
from channelsim.model.demand import demand_spec
from channelsim.model.ledger import MONTH
from channelsim.model.partners import YEAR
from channelsim.scenario import Scenario

__all__ = [
    "DEFAULT_BUDGET",
    "EVENTS_PER_LEAD",
    "EVENTS_PER_RESTART",
    "EVENTS_PER_SECOND",
    "MAX_PROBES",
    "Estimate",
    "Plan",
    "check_budget",
    "check_plan",
    "estimate_events",
    "estimate_plan",
    "expected_company_leads",
]

DEFAULT_BUDGET = 200_000_000
"""Most events a command-line run may simulate without ``--force``: about 50 million leads,
some 7 minutes for one process at :data:`EVENTS_PER_SECOND`."""

EVENTS_PER_LEAD = 4
"""Events counted per lead: a unit of work, an upper bound on the events one lead causes.

A lead causes at most two (and one more sales cycle each time its seller leaves mid-cycle): its
arrival (leads that arrive before the next scheduled event share one callback) and the end of
its sales cycle (it starts in the callback that finds it a slot); its patience deadline is
settled from a heap, without an event. The count stays at 4, a conservative unit:
:data:`EVENTS_PER_SECOND` is measured in it."""

EVENTS_PER_RESTART = 2
"""Events counted per restarted sales cycle (a deal handed back when its seller left): one
event, its new cycle's end, counted twice as a unit of work, since handing the deals back and
finding them new slots costs as much again (a run dominated by restarts simulates about
110,000 events a second, against 200,000 to 370,000 for the shipped scenarios)."""

EVENTS_PER_SECOND = 450_000
"""Estimated events one process simulates per second, to turn an estimate into minutes.

Measured on a 2-vCPU cloud machine (Python 3.11, 2026-11-27): the shipped scenarios run at
300,000 to 670,000 estimated events a second (median about 500,000), their tenfold-demand
versions, the large runs the estimate is for, at 490,000 to 1,000,000."""


MAX_PROBES = 256
"""Most scenarios a planner's estimate builds (about a millisecond each), see
:func:`estimate_plan`."""

_HUGE = 10**30


@dataclass(frozen=True)
class Estimate:
    """The size of a run, before it runs.

    Attributes:
        events: estimated simulation events of the whole run.
        company_leads: expected company leads of one replication (upper bound; for a planner,
            at its largest point).
        sourced_leads: partner-sourced leads of one replication (upper bound, hybrid strategy).
        runs: replications x strategies x demand reruns (x points for a planner).
        points: parameter points simulated (1 for ``run`` and ``compare``).
    """

    events: int
    company_leads: float
    sourced_leads: float
    runs: int
    points: int = 1

    def minutes(self, jobs: int = 1) -> float:
        """Estimated wall-clock minutes with ``jobs`` worker processes."""
        return self.events / EVENTS_PER_SECOND / max(1, min(jobs, self.runs)) / 60


def _clamp(x: float) -> float:
    return x if math.isfinite(x) else float(_HUGE)


def _reputation_bound(scenario: Scenario) -> float:
    """Largest multiplier the reputation index can put on company demand."""
    baseline = max(scenario.direct.service_quality, 1e-6)
    return max(1.0, 1.0 + scenario.demand.reputation_sensitivity * (1.0 / baseline - 1.0))


def expected_company_leads(scenario: Scenario) -> float:
    """Expected company leads of one replication (an upper bound when reputation can help).

    The model's own demand curve (:func:`channelsim.model.demand.demand_spec`), integrated in
    closed form month by month with each month's seasonality factor, times the reputation
    bound.

    Args:
        scenario: a validated scenario.

    Returns:
        The expected number of leads (a float; huge values are capped at 1e30).
    """
    spec = demand_spec(scenario)
    months = scenario.scenario.horizon_months
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        total = sum(spec.month_leads(m) for m in range(months)) * _reputation_bound(scenario)
    return _clamp(total) if not math.isnan(total) else float(_HUGE)


def _restarts(
    sellers: np.ndarray,
    slots_each: int,
    leads_a_day: np.ndarray,
    leave_rate: float,
    cycle: Any,
    leavers: float,
) -> float:
    """Expected restarted sales cycles over the months: sellers leaving mid-cycle.

    Args:
        sellers: the most sellers at work in each month.
        slots_each: concurrent deals of one seller.
        leads_a_day: leads reaching these sellers a day, each month.
        leave_rate: the rate at which one seller leaves (a day; 0: never).
        cycle: the sales-cycle distribution (its ``mean`` and ``variance``).
        leavers: the most sellers who can leave over the run (each hands back at most
            ``slots_each`` deals, once).
    """
    if leave_rate <= 0 or slots_each <= 0:
        return 0.0
    try:
        spread = math.sqrt(max(cycle.variance, 0.0))
    except OverflowError:  # a variance beyond floats: the cycle's spread is no bound
        spread = math.inf
    c = cycle.mean + spread
    with np.errstate(over="ignore", invalid="ignore"):
        in_service_each = math.expm1(min(leave_rate * c, 700.0)) / leave_rate
        # in service: no more than the slots, Little's law, nor the leads arrived so far
        in_service = np.minimum(sellers * slots_each, leads_a_day * in_service_each)
        in_service = np.minimum(in_service, np.cumsum(leads_a_day) * MONTH)
        total = float(np.sum(in_service)) * MONTH * leave_rate
    if math.isnan(total):
        return float(_HUGE)
    return _clamp(min(total, leavers * slots_each) * EVENTS_PER_RESTART)


def _sellers_by_month(
    start: float, joins_a_day: float, leave_rate: float, most: float, months: int
) -> np.ndarray:
    """The expected number of sellers at work, at its highest in each month.

    Sellers join at ``joins_a_day`` and each leaves at ``leave_rate`` (a day), from ``start``:
    ``n(t) = start e^(-mu t) + joins / mu (1 - e^(-mu t))``, never above ``most``. Delays before
    a seller starts, and joins refused when full, only lower it.
    """
    edges = np.arange(months + 1, dtype=float) * MONTH
    with np.errstate(over="ignore", invalid="ignore"):
        if leave_rate > 0:
            decay = np.exp(-leave_rate * edges)
            n = start * decay + joins_a_day / leave_rate * (1.0 - decay)
        else:
            n = start + joins_a_day * edges
    n = np.nan_to_num(n, nan=float(most), posinf=float(most))  # inf x 0 of extreme inputs
    return np.minimum(float(most), np.maximum(n[:-1], n[1:]))


def _program_events(p: Any, months: int, company_a_month: float) -> tuple[float, float]:
    """Events other than its leads' own, and sourced leads, of one partner program.

    ``company_a_month``: company leads a month that may reach the program (an upper bound: a
    hybrid strategy may route all of them there).
    """
    initial = min(p.initial, p.max_partners)
    recruits = p.recruit_per_month * months if p.max_partners > 0 else 0.0
    leave_rate = p.churn_annual / YEAR
    joins = p.recruit_per_month * p.activation_rate / MONTH if p.max_partners > 0 else 0.0
    active = _sellers_by_month(initial, joins, leave_rate, p.max_partners, months)
    sourced = float(active.sum()) * p.sourced_leads_per_month
    activations = initial + recruits * p.activation_rate
    churns = min(activations, float(active.sum()) * MONTH * leave_rate)
    events = 2 * recruits  # a draw per recruit (even when full) and its onboarding
    events += churns
    if p.sourced_leads_per_month > 0:
        events += activations + churns  # the sourced-lead clock redrawn at every change
    with np.errstate(over="ignore"):
        leads_a_day = (company_a_month + active * p.sourced_leads_per_month) / MONTH
    events += _restarts(
        active, p.deals_per_partner, leads_a_day, leave_rate, p.sales_cycle_days, activations
    )
    return events, sourced


def _team_events(scenario: Scenario, months: int, company_a_month: float) -> float:
    """Events of the sales team other than its leads' own."""
    d = scenario.direct
    h = d.hiring
    events = 2.0 * d.initial_reps  # departures of the initial reps, and their replacements
    hires = 0.0
    if h.max_hires_per_month > 0:
        events += months * MONTH / h.review_every_days  # reviews
        hires = h.max_hires_per_month * months
        events += d.max_reps + 2 * hires  # requisitions, starts and departures
    leave_rate = d.attrition_annual / YEAR
    reps = _sellers_by_month(
        d.initial_reps, h.max_hires_per_month / MONTH, leave_rate, d.max_reps, months
    )
    leads_a_day = np.full(months, company_a_month / MONTH)
    leavers = d.initial_reps + hires
    return events + _restarts(
        reps, d.deals_per_rep, leads_a_day, leave_rate, d.sales_cycle_days, leavers
    )


def _run_events(scenario: Scenario, mode: str) -> tuple[float, float, float]:
    """Events, company leads and sourced leads of one replication of one strategy."""
    months = scenario.scenario.horizon_months
    company = expected_company_leads(scenario)
    company_a_month = company / months
    sourced = 0.0
    other = float(months)  # month ends
    if mode != "direct":
        for p in scenario.partners:
            events, leads = _program_events(p, months, company_a_month)
            other += events
            sourced += leads
    if mode != "indirect":
        other += _team_events(scenario, months, company_a_month)
    # the counts above are expectations: three standard deviations of a Poisson count make the
    # estimate bound a run's events rather than their mean (leads have EVENTS_PER_LEAD's
    # margin); and each process starts with an event, the run ends with one
    other += 3 * math.sqrt(other) + 10
    events = EVENTS_PER_LEAD * (company + sourced) + other
    return _clamp(events), company, sourced


def estimate_events(
    scenario: Scenario,
    strategies: Sequence[str],
    replications: int,
) -> int:
    """Estimated simulation events of a run, from the scenario's settings alone.

    Args:
        scenario: a validated scenario.
        strategies: the strategies to simulate (built-in or named).
        replications: replications of each strategy.

    Returns:
        The estimate (an upper estimate: reputation at its best, partner programs full).
    """
    return _estimate(scenario, strategies, replications).events


def _estimate(scenario: Scenario, strategies: Sequence[str], replications: int) -> Estimate:
    factor = replications
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
        file: the scenario file, named in the error.
        budget: the limit (default: :data:`DEFAULT_BUDGET`).
        jobs: worker processes, for the time estimate.
        force: skip the check (the estimate is still returned).

    Returns:
        The estimated number of events.

    Raises:
        UsageError: the estimate exceeds the budget and ``force`` is False.
    """
    est = _estimate(scenario, strategies, replications)
    _enforce(est, "run", file=file, budget=budget, jobs=jobs, force=force)
    return est.events


def _enforce(
    est: Estimate, what: str, *, file: str | None, budget: int | None, jobs: int, force: bool
) -> None:
    """Raise the refusal when ``est`` exceeds the budget (unless ``force``)."""
    limit = DEFAULT_BUDGET if budget is None else budget
    if force or est.events <= limit:
        return
    where = f"{jobs} processes" if jobs > 1 else "one process"
    if est.points > 1:
        size = (
            f"up to about {_say(est.company_leads + est.sourced_leads)} leads per replication, "
            f"{est.runs:,} replication runs at {est.points:,} points"
        )
        lower = "replications/horizon/leads/points"
    else:
        size = (
            f"about {_say(est.company_leads + est.sourced_leads)} leads per replication, "
            f"{est.runs:,} replication runs"
        )
        lower = "replications/horizon/leads"
    raise UsageError(
        Problem(
            file,
            "",
            f"this {what} would simulate about {_say(est.events)} events "
            f"({_say_minutes(est.minutes(jobs))} on this machine with {where}; {size}); the "
            f"limit is {_say(limit)}; use --force to run it anyway or lower {lower}",
        )
    )


# --- the planners' points --------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """The parameter points a planner's command simulates, known before it starts.

    Attributes:
        what: the work in words, for the message: ``sweep``, ``break-even search``,
            ``sensitivity analysis``.
        axes: each varied key and the values it takes: the lowest and the highest of a number,
            every value of anything else (text, lists).
        evaluations: points simulated, each with every strategy and replication (for the
            break-even search, the most it may need).
        points: the points themselves, ``{key: value}`` (``{}`` is the scenario as it is), when
            they are known before the command starts (sweep, tornado).
    """

    what: str
    axes: Mapping[str, Sequence[Any]]
    evaluations: int
    points: Sequence[Mapping[str, Any]] | None = None

    @classmethod
    def from_points(cls, what: str, points: Sequence[Mapping[str, Any]]) -> Plan:
        """The plan of a command whose every point is known before it starts."""
        return cls(what, _axes(points), len(points), points)


def _axes(points: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Each key's lowest and highest number, or every distinct value when not all are numbers."""
    axes: dict[str, list[Any]] = {}
    for key in points[0] if points else ():
        values = list({json.dumps(p[key], sort_keys=True): p[key] for p in points}.values())
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            values = sorted({min(values), max(values)})
        axes[key] = values
    return axes


def estimate_plan(
    scenario: Scenario, plan: Plan, strategies: Sequence[str], replications: int
) -> Estimate | None:
    """Estimated simulation events of a planner's command.

    The sum over the points of the estimate at each point when the points are known and no
    more numerous than the corners of the box of :attr:`Plan.axes` (a grid of a few values,
    a tornado). Otherwise the largest estimate at a corner times :attr:`Plan.evaluations`:
    the estimate rises or falls monotonically with every number it reads (leads, growth,
    horizon, recruits, headcounts, ...), so its largest value on the box is at a corner. Every
    corner is tried when there are at most :data:`MAX_PROBES`; beyond that (many parameters),
    a coordinate search: twice over the keys, each key takes the value with the largest
    estimate, the others as set so far. It finds the largest corner when each key's more
    expensive value does not depend on the others' (true of the numbers the estimate reads);
    it may miss one where only a combination is expensive (a growth mode with a growth rate).
    A sweep of 10,000 points over two keys thus costs 4 estimates, not 10,000.

    Points or corners that are not valid scenarios are left out: the command refuses them
    itself before it starts.

    Args:
        scenario: the base scenario (the command's replications and seed applied).
        plan: the points.
        strategies: strategies simulated at every point.
        replications: replications of each strategy at every point.

    Returns:
        The estimate, or None when no point is a valid scenario.
    """
    corners = math.prod(len(values) for values in plan.axes.values())
    points = plan.points
    if points is not None and len(points) <= min(corners, MAX_PROBES):
        found = [e for e in (_probe(scenario, p, strategies, replications) for p in points) if e]
        if not found:
            return None
        events = sum(e.events for e in found)
        largest = max(found, key=lambda e: e.events)
    else:
        largest = _largest_corner(scenario, plan.axes, strategies, replications, corners)
        if largest is None:
            return None
        events = largest.events * plan.evaluations
    n = max(1, plan.evaluations)
    return Estimate(
        int(min(_clamp(float(events)), _HUGE)),
        largest.company_leads,
        largest.sourced_leads,
        largest.runs * n,
        n,
    )


def check_plan(
    scenario: Scenario,
    plan: Plan,
    strategies: Sequence[str],
    replications: int,
    *,
    file: str | None = None,
    budget: int | None = None,
    jobs: int = 1,
    force: bool = False,
) -> int | None:
    """Refuse a planner's command whose estimated events exceed the budget.

    Args:
        scenario: the base scenario (the command's replications and seed applied).
        plan: the points it simulates (:func:`sweep_plan`, :func:`breakeven_plan`,
            :func:`sensitivity_plan`).
        strategies: strategies simulated at every point.
        replications: replications of each strategy at every point.
        file: the scenario file, named in the error.
        budget: the limit (default: :data:`DEFAULT_BUDGET`).
        jobs: worker processes, for the time estimate.
        force: skip the check (the estimate is still returned).

    Returns:
        The estimated number of events (None when no point is a valid scenario).

    Raises:
        UsageError: the estimate exceeds the budget and ``force`` is False.
    """
    est = estimate_plan(scenario, plan, strategies, replications)
    if est is not None:
        _enforce(est, plan.what, file=file, budget=budget, jobs=jobs, force=force)
    return None if est is None else est.events


def _probe(
    scenario: Scenario, values: Mapping[str, Any], strategies: Sequence[str], replications: int
) -> Estimate | None:
    """The estimate at one point (None: the point is not a valid scenario)."""
    try:
        point = scenario.with_overrides(dict(values)) if values else scenario
        return _estimate(point, strategies, replications)
    except ScenarioError:
        return None


def _largest_corner(
    scenario: Scenario,
    axes: Mapping[str, Sequence[Any]],
    strategies: Sequence[str],
    replications: int,
    corners: int,
) -> Estimate | None:
    """The largest estimate at a corner of the box (see :func:`estimate_plan`)."""
    if corners <= MAX_PROBES:
        combos = itertools.product(*axes.values())
        found = [
            _probe(scenario, dict(zip(axes, c, strict=True)), strategies, replications)
            for c in combos
        ]
        return max((e for e in found if e), key=lambda e: e.events, default=None)
    corner: dict[str, Any] = {}
    best: Estimate | None = None
    for _ in range(2):
        for key, values in axes.items():
            for value in values:  # ties go to the later value: the high end of a range
                e = _probe(scenario, {**corner, key: value}, strategies, replications)
                if e is not None and (key not in corner or best is None or e.events >= best.events):
                    corner[key], best = value, e
    return best
