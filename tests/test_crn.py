"""Common random numbers that survive every override, and the time change that keeps them.

The i-th company lead of a replication keeps its own draws (segment, deal-size noise, patience
quantile, outcome) whatever a strategy, a sweep point or a tornado bar changes; only its arrival
time moves, and only when the demand rate does. These tests read the leads themselves, from
the demand stream and from the per-lead trace, and compare them across overrides.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from channelsim import load_scenario, simulate
from channelsim.model.demand import DemandStream, demand_spec
from channelsim.model.ledger import MONTH
from channelsim.randomness import Streams
from channelsim.scenario import Scenario

SAAS = "scenarios/saas_midmarket.toml"

# keys a named strategy, a sweep axis or a tornado bar may change, none of them a demand key
NON_DEMAND_OVERRIDES = {
    "direct.service_quality": 0.7,
    "demand.reputation_sensitivity": 2.0,
    "brand.refund_rate": 0.9,
    "brand.reputation_memory_months": 2,
    "routing.policy": "share",
    "routing.direct_share": 0.2,
    "routing.overflow_queue": 5,
    "direct.win_rate": 0.5,
    "direct.initial_reps": 1,
    "direct.max_reps": 5,
    "direct.deals_per_rep": 2,
    "direct.sales_cycle_days": 90,
    "direct.hiring.policy": "budget",
    "direct.hiring.max_hires_per_month": 9,
    "direct.attrition_annual": 0.9,
    "direct.salary_annual": 1.0,
    "partners.VARs.discount": 0.1,
    "partners.VARs.initial": 0,
    "partners.VARs.recruit_per_month": 40,
    "partners.VARs.service_quality": 0.2,
    "partners.VARs.win_rate": 0.9,
    "partners.VARs.sourced_leads_per_month": 9,
}


def _leads(scenario: Scenario, months: int, effect: float = 1.0) -> list[tuple]:
    stream = DemandStream(demand_spec(scenario), Streams(scenario.scenario.seed, 0)("demand"))
    return [row for m in range(months) for row in stream.month(m, effect)]


@pytest.mark.parametrize("key", sorted(NON_DEMAND_OVERRIDES))
def test_company_leads_do_not_depend_on_non_demand_keys(key):
    base = load_scenario(SAAS, ["scenario.horizon_months=6"])
    changed = base.with_overrides({key: NON_DEMAND_OVERRIDES[key]})
    assert _leads(changed, 6) == _leads(base, 6)  # times, segments, values, patience, u


def test_a_simulated_run_meets_the_same_company_leads_under_every_override():
    """End to end: the traced company leads of a strategy, before and after many overrides."""
    base = load_scenario(
        SAAS, ["scenario.horizon_months=4", "demand.reputation_sensitivity=0", "demand.growth=none"]
    )
    changed = base.with_overrides(
        {k: v for k, v in NON_DEMAND_OVERRIDES.items() if k != "demand.reputation_sensitivity"}
    )

    def company(scenario: Scenario):
        trace = simulate(scenario, "hybrid", replications=1, trace=True).trace
        company = trace[trace.source == "company"].sort_values("lead")
        return company[["arrival_day", "segment", "value"]].to_numpy().tolist()

    assert company(changed) == company(base)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("demand.leads_per_month", 517.0),
        ("demand.growth_rate", 0.2),
        ("demand.seasonality", [0.3, 2.0, 1.0, 0.5, 1.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
        ("scenario.start_month", 7),
    ],
)
def test_a_demand_change_moves_arrivals_monotonically_and_keeps_each_leads_draws(key, value):
    base = load_scenario(SAAS, ["scenario.horizon_months=12"])
    changed = base.with_overrides({key: value})
    old, new = _leads(base, 12), _leads(changed, 12)
    k = min(len(old), len(new))
    assert k > 1000
    for a, b in zip(old[:k], new[:k], strict=True):
        assert a[1:] == b[1:]  # the i-th lead keeps its segment, value, size, patience, u
    times = np.array([row[0] for row in new[:k]])
    assert np.all(np.diff(times) >= 0)  # still in arrival order: a monotone time change


def test_doubling_a_constant_rate_halves_every_arrival_time():
    """With rate 2 lambda the i-th lead comes exactly when it came at lambda, halved."""
    base = Scenario.model_validate(
        {"demand": {"leads_per_month": 100.0, "growth": "none"}, "scenario": {"seed": 4}}
    )
    double = base.with_overrides({"demand.leads_per_month": 200.0})
    slow, fast = _leads(base, 1), _leads(double, 2)
    first_month = [row for row in slow]
    assert len(fast) > len(first_month)
    for a, b in zip(first_month, fast, strict=False):
        assert b[0] == pytest.approx(a[0] / 2, rel=1e-12)


def test_patience_keeps_its_rank_when_its_distribution_changes():
    base = load_scenario(SAAS, ["scenario.horizon_months=2"])
    longer = base.with_overrides({"demand.patience_days": {"dist": "gamma", "mean": 40, "sd": 9}})
    a, b = _leads(base, 2), _leads(longer, 2)
    assert [row[:4] for row in a] == [row[:4] for row in b]
    pa, pb = np.array([row[4] for row in a]), np.array([row[4] for row in b])
    assert np.array_equal(np.argsort(pa, kind="stable"), np.argsort(pb, kind="stable"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "demand",
    [
        {"growth": "none", "leads_per_month": 80.0},
        {"growth": "linear", "leads_per_month": 50.0, "growth_rate": 0.3},
        {"growth": "exponential", "leads_per_month": 40.0, "growth_rate": 0.25},
        {
            "growth": "logistic",
            "leads_per_month": 20.0,
            "growth_rate": 0.9,
            "ceiling_leads_per_month": 150.0,
        },
        {"growth": "bass", "market_size": 3000.0, "innovation": 0.03, "imitation": 0.5},
    ],
    ids=["none", "linear", "exponential", "logistic", "bass"],
)
def test_monthly_lead_counts_are_poisson_with_the_integrated_rate(demand):
    """Counts per month have the closed-form mean of the rate (integrated by hand here)."""
    months, reps = 6, 400
    season = [1.0, 1.6, 0.4, 1.0, 1.2, 0.8] + [1.0] * 6
    data = {"demand": {**demand, "seasonality": season}, "scenario": {"seed": 9}}
    sc = Scenario.model_validate(data)
    counts = np.zeros((reps, months))
    for r in range(reps):
        stream = DemandStream(demand_spec(sc), Streams(9, r)("demand"))
        for m in range(months):
            counts[r, m] = len(stream.month(m, 1.0))
    expected = np.array([_integral(demand, m, m + 1) * season[m] for m in range(months)])
    se = np.sqrt(expected / reps)  # Poisson: variance = mean
    assert np.all(np.abs(counts.mean(axis=0) - expected) < 4.5 * se)
    dispersion = counts.var(axis=0, ddof=1) / expected
    assert np.all((dispersion > 0.7) & (dispersion < 1.35))


def _integral(demand: dict, t0: float, t1: float) -> float:
    """Leads between t0 and t1 months by numerical quadrature of the rate (independent check)."""
    from scipy.integrate import quad

    def rate(t: float) -> float:
        kind = demand["growth"]
        l0 = demand.get("leads_per_month", 0.0)
        g = demand.get("growth_rate", 0.0)
        if kind == "none":
            return l0
        if kind == "linear":
            return l0 * (1 + g * t)
        if kind == "exponential":
            return l0 * (1 + g) ** t
        if kind == "logistic":
            c = demand["ceiling_leads_per_month"]
            return c / (1 + (c / l0 - 1) * math.exp(-g * t))
        m, p, q = demand["market_size"], demand["innovation"], demand["imitation"]
        e = math.exp(-(p + q) * t)
        return m * (p + q) ** 2 / p * e / (1 + q / p * e) ** 2

    return quad(rate, t0, t1)[0]


def test_arrival_times_fall_inside_their_month():
    sc = load_scenario(SAAS, ["scenario.horizon_months=12"])
    stream = DemandStream(demand_spec(sc), Streams(1, 0)("demand"))
    for m in range(12):
        rows = stream.month(m, 1.0)
        times = np.array([r[0] for r in rows]) / MONTH
        assert np.all((times >= m) & (times <= m + 1))
        assert np.all(np.diff(times) >= 0)
