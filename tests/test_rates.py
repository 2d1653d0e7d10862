"""Rates recovered from runs, and money that adds up along an independent path.

Each test reads what the model did through a second, independent record (the per-lead trace,
or counts the ledger keeps for another purpose) and compares it with the scenario's own
parameters: a bad-experience share near ``1 - service_quality``, refunds near ``refund_rate``,
the win rate of ramping reps, the activation share of recruits, the headcount that the
``demand`` and ``budget`` hiring policies settle on, and revenue, discounts, commissions and
cost of goods rebuilt from the traced sales.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from channelsim.model.ledger import MONTH
from channelsim.model.trace import TRACE_COLUMNS, Tracer
from channelsim.model.world import World
from channelsim.scenario import Scenario

MIXED = {
    "scenario": {"horizon_months": 10, "replications": 1, "seed": 17, "strategy": "hybrid"},
    "product": {"price": 2000.0, "unit_cost": 300.0, "deal_size_cv": 0.4},
    "demand": {
        "leads_per_month": 250.0,
        "reputation_sensitivity": 0.3,
        "segments": [
            {"name": "small", "share": 0.7, "deal_size": 0.5, "win_rate_factor": 1.2},
            {"name": "large", "share": 0.3, "deal_size": 3.0, "win_rate_factor": 0.6},
        ],
    },
    "routing": {"policy": "share", "direct_share": 0.4},
    "direct": {"initial_reps": 5, "deals_per_rep": 6, "commission_rate": 0.08},
    "partners": [
        {"name": "VARs", "kind": "reseller", "initial": 10, "discount": 0.25},
        {
            "name": "SIs",
            "kind": "integrator",
            "initial": 12,
            "deals_per_partner": 6,
            "sales_cycle_days": 20,
            "commission_rate": 0.12,
            "bounty": 150.0,
            "deal_size_factor": 1.5,
        },
    ],
}


def _traced(data: dict, mode: str = "hybrid", rep: int = 0):
    sc = Scenario.model_validate(data)
    segments = [s.name for s in sc.demand.segments] or ["all"]
    raw = World(sc, mode, rep, mode, Tracer(segments)).run()
    trace = pd.DataFrame(raw.trace, columns=list(TRACE_COLUMNS))
    return sc, raw, trace


def test_money_is_rebuilt_from_the_traced_sales_channel_by_channel():
    """The ledger's money, against the values of the sales the trace recorded lead by lead."""
    sc, raw, trace = _traced(MIXED)
    size = {s.name: s.deal_size for s in sc.demand.segments}
    terms = {"direct": (1.0, 0.0, sc.direct.commission_rate, 0.0)}
    for p in sc.partners:
        terms[p.name] = (p.deal_size_factor, p.discount, p.commission_rate, p.bounty)
    sales = trace[trace.outcome == "sale"]
    assert len(sales) > 150
    for row, channel in enumerate(raw.channels):
        factor, discount, rate, bounty = terms[channel]
        mine = sales[sales.channel == channel]
        value = (mine.value * factor).sum()
        a = {k: v[row].sum() for k, v in raw.arrays.items()}
        assert a["sales"] == len(mine) > 20, channel
        assert a["revenue"] == pytest.approx(value, rel=1e-9), channel
        assert a["discounts"] == pytest.approx(discount * value, rel=1e-9), channel
        assert a["commissions"] == pytest.approx(rate * value + bounty * len(mine), rel=1e-9)
        units = (mine.segment.map(size) * factor).sum()
        assert a["cogs"] == pytest.approx(sc.product.unit_cost * units, rel=1e-9), channel
        assert a["refunds"] <= a["revenue"] - a["discounts"] + 1e-6
    # every lead the trace saw is in exactly one channel's ledger row
    assert raw.arrays["leads"].sum() == len(trace)


def test_bad_experiences_and_refunds_happen_at_their_rates():
    data = {
        "scenario": {"horizon_months": 12, "replications": 1, "seed": 3, "strategy": "direct"},
        "product": {"price": 1000.0},
        "demand": {"leads_per_month": 900.0, "reputation_sensitivity": 0.0},
        "brand": {"refund_rate": 0.35},
        "direct": {
            "initial_reps": 40,
            "max_reps": 40,
            "deals_per_rep": 20,
            "sales_cycle_days": 5,
            "win_rate": 0.6,
            "commission_rate": 0.0,
            "service_quality": 0.8,
            "escalation_cost": 100.0,
            "attrition_annual": 0.0,
            "hiring": {"max_hires_per_month": 0},
        },
    }
    sc = Scenario.model_validate(data)
    a = World(sc, "direct", 0).run().arrays
    sales, bad = a["sales"].sum(), a["escalations"].sum()
    refunds = a["refunds"].sum() / 1000.0  # every deal at list price: refunds are counted
    assert a["escalation_costs"].sum() == pytest.approx(100.0 * bad)
    for count, trials, p in ((bad, sales, 0.2), (refunds, bad, 0.35)):
        se = math.sqrt(p * (1 - p) / trials)
        assert abs(count / trials - p) < 4 * se, (count, trials, p)


def test_ramping_reps_win_in_proportion_to_their_productivity():
    """Ten reps start on day 0 at 20% productivity; deals they start in a month win at the
    mean productivity of that month times the win rate."""
    ramp_months, win = 6.0, 0.5
    data = {
        "scenario": {"horizon_months": 9, "replications": 1, "seed": 8, "strategy": "direct"},
        "demand": {"leads_per_month": 1500.0, "reputation_sensitivity": 0.0},
        "direct": {
            "initial_reps": 0,
            "max_reps": 10,
            "deals_per_rep": 40,
            "sales_cycle_days": 0.5,
            "win_rate": win,
            "ramp_months": ramp_months,
            "ramp_start_productivity": 0.2,
            "attrition_annual": 0.0,
            "hiring": {
                "policy": "plan",
                "headcount_plan": [[0, 10]],
                "time_to_hire_days": 0.01,
                "max_hires_per_month": 10,
            },
        },
    }
    a = World(Scenario.model_validate(data), "direct", 0).run().arrays
    won, lost = a["sales"][0], a["lost_deals"][0]
    assert a["hires"][0].sum() == 10
    for month in (0, 2, 4, 7):
        productivity = min(1.0, 0.2 + 0.8 * (month + 0.5) / ramp_months)
        p = win * productivity
        trials = won[month] + lost[month]
        se = math.sqrt(p * (1 - p) / trials)
        assert abs(won[month] / trials - p) < 4.5 * se, (month, won[month] / trials, p)


def test_recruits_activate_at_the_activation_rate():
    data = {
        "scenario": {"horizon_months": 24, "replications": 1, "seed": 4, "strategy": "indirect"},
        "demand": {"leads_per_month": 10.0},
        "partners": [
            {
                "name": "P",
                "kind": "affiliate",
                "initial": 0,
                "recruit_per_month": 200,
                "max_partners": 100_000,
                "onboarding_days": 1,
                "activation_rate": 0.15,
                "churn_annual": 0.0,
            }
        ],
    }
    a = World(Scenario.model_validate(data), "indirect", 0).run().arrays
    recruited, activated = a["partners_recruited"][1].sum(), a["partners_activated"][1].sum()
    assert recruited > 4000
    se = math.sqrt(0.15 * 0.85 / recruited)
    assert abs(activated / recruited - 0.15) < 4 * se
    assert a["partners_active"][1][-1] == activated  # no churn: every activated one stays


def test_demand_hiring_settles_on_the_slots_the_demand_needs():
    """Little's law: lambda x cycle x (1 + buffer) slots, in reps of deals_per_rep slots."""
    lam, cycle, buffer, slots = 300.0, 30.0, 0.1, 15
    data = {
        "scenario": {"horizon_months": 18, "replications": 1, "seed": 6, "strategy": "direct"},
        "demand": {"leads_per_month": lam, "reputation_sensitivity": 0.0},
        "direct": {
            "initial_reps": 1,
            "max_reps": 100,
            "deals_per_rep": slots,
            "sales_cycle_days": cycle,
            "attrition_annual": 0.0,
            "hiring": {
                "policy": "demand",
                "headcount_buffer": buffer,
                "time_to_hire_days": 20,
                "max_hires_per_month": 10,
            },
        },
    }
    a = World(Scenario.model_validate(data), "direct", 0).run().arrays
    per_lead = cycle * (1 + buffer) / slots / 30.0  # reps per lead seen in a 30-day review
    need = lam / MONTH * 30.0 * per_lead  # 21.7 reps at the mean rate
    # no attrition and no firing: the team ends at the largest target any of 17 reviews set,
    # each from a 30-day window of Poisson arrivals (mean 296, sd 17): at least the need, and
    # no more than a window 3.5 sd above the mean asks for
    window = lam / MONTH * 30.0
    most = math.ceil(per_lead * (window + 3.5 * math.sqrt(window)))
    assert math.ceil(need) <= a["headcount"][0][-1] <= most


def test_budget_hiring_spends_its_share_of_trailing_revenue():
    """Forrester's rule: headcount = share x mean revenue of the last months / loaded cost."""
    price, lam, share = 10_000.0, 100.0, 0.25
    salary, manager, span = 96_000.0, 0.0, 8
    data = {
        "scenario": {"horizon_months": 12, "replications": 1, "seed": 12, "strategy": "direct"},
        "product": {"price": price},
        "demand": {"leads_per_month": lam, "reputation_sensitivity": 0.0},
        "direct": {
            "initial_reps": 1,
            "max_reps": 200,
            "deals_per_rep": 1000,
            "sales_cycle_days": 1,
            "win_rate": 1.0,
            "commission_rate": 0.0,
            "service_quality": 1.0,
            "salary_annual": salary,
            "manager_salary_annual": manager,
            "manager_span": span,
            "attrition_annual": 0.0,
            "hiring": {
                "policy": "budget",
                "budget_share_of_revenue": share,
                "budget_window_months": 3,
                "time_to_hire_days": 5,
                "max_hires_per_month": 50,
            },
        },
    }
    a = World(Scenario.model_validate(data), "direct", 0).run().arrays
    monthly_revenue = lam * price  # every lead wins at once: 1M a month
    target = share * monthly_revenue / (salary / 12)  # 31.25 reps
    end = a["headcount"][0][-1]
    assert math.floor(target) - 3 <= end <= math.floor(target) + 3
    assert a["headcount"][0][0] < 5  # it starts from the one rep and grows with revenue


def test_attrition_annual_is_a_rate_not_the_share_gone_in_a_year():
    # 400 reps, no hiring, attrition_annual 0.30 for 12 months: a rate means each rep is still
    # there after a year with probability e^-0.3 = 74.1% (a share would leave 70.0%); over 5
    # replications the share kept has a standard error of about 1%.
    from channelsim.experiments.replications import simulate

    sc = Scenario.model_validate(
        {
            "scenario": {"horizon_months": 12, "replications": 5, "seed": 3, "strategy": "direct"},
            "product": {"price": 1000.0},
            "demand": {"leads_per_month": 1.0},
            "direct": {
                "initial_reps": 400,
                "max_reps": 400,
                "attrition_annual": 0.30,
                "hiring": {"max_hires_per_month": 0},
            },
        }
    )
    result = simulate(sc, "direct")
    summary = result.summary
    total = summary[summary["channel"] == "direct"].set_index("metric")["mean"]
    kept = total["headcount_end"] / 400
    assert abs(kept - math.exp(-0.30)) < 0.03 and kept > 0.72  # not 1 - 0.30
    # departures a year over the average headcount (the usual turnover figure) is the rate
    monthly = result.monthly
    team = monthly[monthly["channel"] == "direct"]
    average_headcount = (400 + team.groupby("replication")["headcount"].sum()) / 13
    rate = team.groupby("replication")["departures"].sum() / average_headcount
    assert abs(rate.mean() - 0.30) < 0.025
