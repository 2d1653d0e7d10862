"""The run-size estimate against the events the model really schedules.

Events are counted by wrapping ``simpy.Environment.step`` (one call per processed event) while
one replication of one strategy runs. On randomly drawn scenarios, which reach every event
source the model has (company and partner-sourced leads, restarted sales cycles when a seller
leaves mid-deal, recruits, onboardings, churns, hiring reviews, requisitions, departures, month
ends), the estimate must:

* never be below the events counted (it is the guard against runs that take hours), and
* stay within :data:`FACTOR` times the run's work, its events plus its leads, give or take
  :data:`SLACK` events (it is also what the refusal message turns into minutes). Leads count
  as work of their own because leads that arrive before the next scheduled event share one
  callback: a queue that only grows takes a month of leads in a single event. The slack covers
  the fixed bookkeeping of tiny runs (a few hundred events that may not happen).

The blind spot that made this test: partner churn-and-recruit cycling, where partners who leave
every few days hand their open deals back to the queue again and again, was estimated at a
fraction of its real events.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
import simpy

from channelsim.experiments.run_size import estimate_events
from channelsim.model.world import World
from channelsim.scenario import Scenario

FACTOR = 10
"""Largest ratio estimate / work (events + leads) allowed on a drawn scenario."""

SLACK = 20_000
"""Events the estimate may exceed FACTOR x work by (a twentieth of a second of work)."""


@pytest.fixture
def count_events(monkeypatch):
    counter = {"events": 0}
    step = simpy.Environment.step

    def counted(self):
        counter["events"] += 1
        return step(self)

    monkeypatch.setattr(simpy.Environment, "step", counted)
    return counter


def measured(counter, scenario: Scenario, strategy: str) -> tuple[int, int]:
    """Events processed and leads simulated in one replication of ``strategy``."""
    mode, resolved = scenario.resolve_strategy(strategy)
    counter["events"] = 0
    result = World(resolved, mode, 0, strategy).run()
    return counter["events"], int(result.arrays["leads"].sum())


def _cycle(rng: np.random.Generator) -> dict | float:
    mean = float(rng.uniform(3, 90))
    kind = rng.choice(["fixed", "exponential", "lognormal"])
    if kind == "fixed":
        return mean
    if kind == "exponential":
        return {"dist": "exponential", "mean": mean}
    return {"dist": "lognormal", "mean": mean, "sd": mean * float(rng.uniform(0.2, 1.0))}


def draw_scenario(rng: np.random.Generator) -> Scenario:
    """A random scenario of modest size that can reach every event source."""
    months = int(rng.integers(2, 13))
    growth = str(rng.choice(["none", "linear", "exponential", "logistic"]))
    demand: dict = {
        "leads_per_month": float(rng.choice([0.0, rng.uniform(1, 600)])),
        "growth": growth,
        "growth_rate": float(rng.uniform(0, 0.15)),
        "reputation_sensitivity": float(rng.uniform(0, 1)),
        "patience_days": float("inf")
        if rng.random() < 0.3
        else {"dist": "exponential", "mean": float(rng.uniform(2, 60))},
    }
    if growth == "logistic":
        demand["ceiling_leads_per_month"] = demand["leads_per_month"] * 3 + 1
    initial = int(rng.integers(0, 15))
    policy = str(rng.choice(["demand", "plan", "budget"]))
    hiring: dict = {
        "policy": policy,
        "max_hires_per_month": int(rng.integers(0, 8)),
        "time_to_hire_days": float(rng.uniform(5, 60)),
        "review_every_days": float(rng.uniform(7, 45)),
    }
    if policy == "plan":
        hiring["headcount_plan"] = [[0, initial], [max(1, months // 2), initial + 5]]
    direct = {
        "initial_reps": initial,
        "max_reps": initial + int(rng.integers(0, 20)),
        "deals_per_rep": int(rng.integers(1, 16)),
        "sales_cycle_days": _cycle(rng),
        "attrition_annual": float(rng.choice([0.0, rng.uniform(0, 0.5), rng.uniform(5, 60)])),
        "service_quality": float(rng.uniform(0.6, 1.0)),
        "hiring": hiring,
    }
    programs = []
    for i in range(int(rng.integers(0, 3))):
        programs.append(
            {
                "name": f"p{i}",
                "kind": str(rng.choice(["affiliate", "reseller", "agent", "integrator"])),
                "initial": int(rng.integers(0, 40)),
                "recruit_per_month": float(
                    rng.choice([0.0, rng.uniform(0, 20), rng.uniform(50, 600)])
                ),
                "max_partners": int(rng.integers(0, 120)),
                "activation_rate": float(rng.uniform(0.1, 1.0)),
                "churn_annual": float(rng.choice([0.0, rng.uniform(0, 0.5), rng.uniform(10, 120)])),
                "deals_per_partner": int(rng.integers(1, 25)),
                "sourced_leads_per_month": float(rng.choice([0.0, rng.uniform(0, 5)])),
                "onboarding_days": float(rng.uniform(1, 60)),
                "sales_cycle_days": _cycle(rng),
            }
        )
    data = {
        "scenario": {"horizon_months": months, "replications": 1, "seed": int(rng.integers(1e6))},
        "demand": demand,
        "direct": direct,
        "partners": programs,
        "routing": {"policy": str(rng.choice(["share", "overflow"]))},
    }
    return Scenario.model_validate(data)


@pytest.mark.slow
def test_the_estimate_bounds_the_measured_events_of_drawn_scenarios(count_events):
    rng = np.random.default_rng(20261201)
    ratios = []
    for i in range(150):
        scenario = draw_scenario(rng)
        for strategy in ("direct", "indirect", "hybrid"):
            if strategy == "indirect" and not scenario.partners:
                continue
            estimate = estimate_events(scenario, [strategy], 1)
            if estimate > 3_000_000:  # keeps the test short; the bound is checked below too
                continue
            events, leads = measured(count_events, scenario, strategy)
            where = f"scenario {i} {strategy}: estimate {estimate:,}, {events:,} events"
            assert events <= estimate, where
            assert estimate <= FACTOR * (events + leads) + SLACK, f"{where}, {leads:,} leads"
            if events + leads > 2000:
                ratios.append(estimate / (events + leads))
    assert len(ratios) > 100
    assert 1 <= statistics.median(ratios) <= 4, statistics.median(ratios)


CHURNING = {
    "scenario": {"horizon_months": 6, "replications": 1, "seed": 3, "strategy": "indirect"},
    "demand": {"leads_per_month": 2000, "patience_days": math.inf},
    "partners": [
        {
            "name": "agents",
            "kind": "agent",
            "initial": 100,
            "recruit_per_month": 3000,
            "max_partners": 150,
            "activation_rate": 1.0,
            "churn_annual": 150,
            "deals_per_partner": 25,
            "sourced_leads_per_month": 0,
            "onboarding_days": 1,
            "sales_cycle_days": 60,
        }
    ],
}


def test_partner_churn_and_recruit_cycling_is_counted(count_events):
    """Partners who leave every two or three days hand their deals back again and again."""
    scenario = Scenario.model_validate(CHURNING)
    events, leads = measured(count_events, scenario, "indirect")
    estimate = estimate_events(scenario, ["indirect"], 1)
    assert events > 10 * leads  # the cycling really happens: over ten events a lead
    assert events <= estimate <= FACTOR * (events + leads), (estimate, events)


def test_a_sales_team_that_turns_over_every_week_is_counted(count_events):
    data = {
        "scenario": {"horizon_months": 6, "replications": 1, "seed": 3, "strategy": "direct"},
        "demand": {"leads_per_month": 3000, "patience_days": math.inf},
        "direct": {
            "initial_reps": 60,
            "max_reps": 60,
            "deals_per_rep": 20,
            "attrition_annual": 50,
            "sales_cycle_days": 45,
            "hiring": {"policy": "demand", "max_hires_per_month": 300, "time_to_hire_days": 2},
        },
    }
    scenario = Scenario.model_validate(data)
    events, leads = measured(count_events, scenario, "direct")
    estimate = estimate_events(scenario, ["direct"], 1)
    assert events <= estimate <= FACTOR * (events + leads), (estimate, events, leads)
