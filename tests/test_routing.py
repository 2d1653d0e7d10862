"""Routing and hiring as the contract says: where leads go, when the queue overflows, when
planned reps start, which calendar month the seasonality reads, and how reputation weighs a
month. Each test reads what happened to leads and reps (the trace, the ledger), not the code's
own bookkeeping."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from channelsim import simulate
from channelsim.model.brand import Reputation
from channelsim.model.world import World
from channelsim.scenario import Scenario
from tests.conftest import deep_update

BASE = {
    "scenario": {"horizon_months": 6, "replications": 1, "seed": 21, "strategy": "hybrid"},
    "product": {"price": 1000.0},
    "demand": {"leads_per_month": 120.0, "reputation_sensitivity": 0.0},
    "routing": {"policy": "share", "direct_share": 0.5},
    "direct": {
        "initial_reps": 4,
        "max_reps": 4,
        "deals_per_rep": 5,
        "sales_cycle_days": {"dist": "exponential", "mean": 10},
        "attrition_annual": 0.0,
        "hiring": {"max_hires_per_month": 0},
    },
    "partners": [
        {
            "name": "P",
            "kind": "agent",
            "initial": 0,
            "recruit_per_month": 6,
            "onboarding_days": 45,
            "activation_rate": 1.0,
            "churn_annual": 0.0,
            "sourced_leads_per_month": 0.0,
            "sales_cycle_days": {"dist": "exponential", "mean": 10},
        }
    ],
}


def _trace(data: dict, strategy: str = "hybrid") -> pd.DataFrame:
    sc = Scenario.model_validate(data)
    trace = simulate(sc, strategy, replications=1, trace=True).trace
    return trace[trace.source == "company"]


def _monthly(data: dict, strategy: str = "hybrid") -> pd.DataFrame:
    return simulate(Scenario.model_validate(data), strategy, replications=1).monthly


@pytest.mark.parametrize("policy", ["share", "overflow", "segment"])
def test_no_company_lead_goes_to_a_program_with_no_partner_while_the_team_has_reps(policy):
    data = deep_update(BASE, {"routing": {"policy": policy}})
    if policy == "segment":
        data["demand"]["segments"] = [
            {"name": "small", "share": 0.6, "channel": "partners"},
            {"name": "big", "share": 0.4, "channel": "direct"},
        ]
    if policy == "overflow":
        data["direct"]["deals_per_rep"] = 1  # the team is full at once: leads overflow
    trace = _trace(data)
    first_partner_day = 45.0  # no recruit is active before its 45 days of onboarding
    early = trace[trace.arrival_day < first_partner_day]
    assert len(early) > 100
    assert set(early.channel) == {"direct"}
    later = trace[trace.arrival_day > 90]
    assert (later.channel == "P").any()  # once partners are active they get leads


def test_a_program_that_never_has_a_partner_loses_no_lead():
    """hybrid with max_partners = 0 used to send half the leads to nobody."""
    data = deep_update(BASE, {})
    data["partners"][0]["max_partners"] = 0
    monthly = _monthly(data)
    program = monthly[monthly.channel == "P"]
    assert program.leads.sum() == 0
    total = monthly[monthly.channel == "total"]
    direct = monthly[monthly.channel == "direct"]
    assert direct.leads.sum() == total.leads.sum() > 600


def test_indirect_leads_wait_at_the_programs_when_nobody_else_can_take_them():
    data = deep_update(BASE, {"scenario": {"strategy": "indirect"}})
    trace = _trace(data, "indirect")
    early = trace[trace.arrival_day < 45]
    assert len(early) > 100 and set(early.channel) == {"P"}
    served = early[early.start_day.notna()]
    assert (served.start_day >= 45 - 1e-9).all()  # they waited for the first partners


@pytest.mark.parametrize("threshold", [0, 3])
def test_overflow_goes_to_partners_only_when_the_team_queue_is_longer_than_the_limit(threshold):
    data = deep_update(
        BASE,
        {
            "routing": {"policy": "overflow", "overflow_queue": threshold},
            "direct": {"initial_reps": 2, "max_reps": 2, "deals_per_rep": 1},
            "demand": {"patience_days": math.inf},
        },
    )
    data["partners"][0].update(initial=50, recruit_per_month=0, deals_per_partner=10)
    trace = _trace(data)
    team = trace[trace.channel == "direct"].sort_values("arrival_day")
    waits = team[team.wait_days > 0]
    assert len(waits) > 20  # leads did wait for the team
    # queue length met by each lead the team took: leads that arrived before it and had not
    # started yet (no patience, no attrition: a lead leaves the queue only by starting)
    arrivals, starts = team.arrival_day.to_numpy(), team.start_day.to_numpy()
    ahead = [int(((arrivals < a) & (starts > a)).sum()) for a in arrivals]
    assert max(ahead) == threshold  # never longer than the limit, and it does fill up
    partner = trace[trace.channel == "P"].arrival_day.to_numpy()
    assert len(partner) > 20
    # a lead sent to partners found more than ``threshold`` leads waiting for the team
    found = [int(((arrivals < a) & (starts > a)).sum()) for a in partner[:200]]
    assert min(found) > threshold


def test_planned_reps_start_at_the_planned_month():
    """A headcount plan is a schedule: requisitions open a time-to-hire ahead of it."""
    data = {
        "scenario": {"horizon_months": 18, "replications": 1, "seed": 5, "strategy": "direct"},
        "demand": {"leads_per_month": 50.0},
        "direct": {
            "initial_reps": 2,
            "max_reps": 20,
            "attrition_annual": 0.0,
            "hiring": {
                "policy": "plan",
                "headcount_plan": [[0, 2], [12, 10]],
                "time_to_hire_days": 60,
                "review_every_days": 30,
                "max_hires_per_month": 20,
            },
        },
    }
    monthly = _monthly(data, "direct")
    direct = monthly[monthly.channel == "direct"].set_index("month")
    # the eight hires start within half a review interval (15 days) of month 12's first day:
    # in month 11 or 12 (a plan read at the review month would bring them three months late)
    hired_in = direct.index[direct.hires > 0].tolist()
    assert direct.hires.sum() == 8
    assert set(hired_in) <= {11, 12}
    assert direct.headcount[12] == 10  # at the end of the planned month the plan holds
    assert direct.headcount[10] == 2  # and not long before it


def test_seasonality_follows_the_calendar_month():
    january = [3.0] + [1.0] * 11
    data = {
        "scenario": {"horizon_months": 12, "replications": 30, "seed": 2, "start_month": 10},
        "demand": {"leads_per_month": 60.0, "seasonality": january},
    }
    sc = Scenario.model_validate(data)
    counts = np.zeros(12)
    for r in range(30):
        world = World(sc, "direct", r)
        counts += np.asarray(world.run().arrays["leads"][0])
    counts /= 30
    # the run starts in October: its month 3 is January
    assert counts[3] == pytest.approx(180.0, rel=0.15)
    others = np.delete(counts, 3)
    assert others.mean() == pytest.approx(60.0, rel=0.06)


def test_reputation_weighs_each_month_by_its_sales():
    """Hand-computed: a sales-weighted average with exponential forgetting and a prior."""
    alpha = 2 / (6 + 1)
    months = [(1, 1), (0, 0), (40, 2), (100, 30), (5, 5)]  # (sales, bad)
    rep = Reputation(baseline=0.9, memory_months=6, sensitivity=0.5, prior_sales=20)
    values = [rep.update(s, b) for s, b in months]
    # the same index written as an explicit sum over the months that had sales
    expected = []
    for t in range(len(months)):
        num = den = 20.0 * (1 - alpha) ** sum(1 for s, _ in months[: t + 1] if s)
        age = 0
        for s, b in reversed(months[: t + 1]):
            if not s:
                continue
            w = (1 - alpha) ** age
            num += w * (s - b) / 0.9
            den += w * s
            age += 1
        expected.append(min(num / den, 2.0))
    assert values == pytest.approx(expected, rel=1e-12)
    one_bad_sale = Reputation(baseline=0.95, memory_months=6, sensitivity=0.5, prior_sales=20)
    one_bad_sale.update(1, 1)
    assert one_bad_sale.effect > 0.96  # not the 14% cut of a month-weighted index
    assert values[1] == values[0]  # a month without sales leaves it unchanged
