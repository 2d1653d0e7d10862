"""Intervals that respect bounds, censored times, one replication, and the elasticity to success.

Hand-built tables with known answers, properties over random data, and small scenarios whose
elasticity follows from their cost structure.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelsim import compare
from channelsim.analysis.differences import paired_differences
from channelsim.analysis.intervals import BOOTSTRAP_MIN_N, summarize_columns
from channelsim.analysis.verdict import verdict_lines
from channelsim.metrics.catalogue import CATALOGUE
from channelsim.scenario import Scenario, load_scenario
from tests.conftest import deep_update

BOUNDED = [m.name for m in CATALOGUE if m.interval == "bootstrap" and m.summary]


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0, 1e6), min_size=2, max_size=40),
    st.sampled_from(BOUNDED),
)
def test_a_bounded_metric_never_shows_an_interval_end_below_its_bound(values, name):
    entry = next(m for m in CATALOGUE if m.name == name)
    data = np.array(values)
    if entry.upper is not None:
        data = np.minimum(data, entry.upper)
    s = summarize_columns(data[:, None], [name], _rng())
    lo, hi = s["ci_low"][0], s["ci_high"][0]
    assert lo >= entry.lower - 1e-12
    if entry.upper is not None:
        assert hi <= entry.upper + 1e-12
    assert lo <= s["mean"][0] + 1e-9 <= hi + 2e-9


def test_a_skewed_peak_investment_keeps_a_positive_interval_where_t_would_not():
    values = np.array([0.0] * 17 + [900.0, 1200.0, 2500.0])  # mostly no dip, three deep ones
    s = summarize_columns(values[:, None], ["peak_investment"], _rng())
    mean = values.mean()
    t_half = 2.093 * values.std(ddof=1) / math.sqrt(values.size)
    assert mean - t_half < 0  # the t interval would show a negative end
    assert 0 <= s["ci_low"][0] < mean < s["ci_high"][0]


def test_few_replications_keep_the_t_width_cut_at_the_bound():
    values = np.array([0.0, 10.0, 500.0])
    assert values.size < BOOTSTRAP_MIN_N
    s = summarize_columns(values[:, None], ["peak_investment"], _rng())
    t_high = values.mean() + 4.303 * values.std(ddof=1) / math.sqrt(3)
    assert s["ci_low"][0] == 0.0
    assert s["ci_high"][0] == pytest.approx(t_high, rel=1e-3)


def test_unbounded_money_keeps_the_student_t_interval():
    values = np.array([-5.0, 3.0, 10.0, 2.0] * 5)
    s = summarize_columns(values[:, None], ["npv"], _rng())
    half = 2.093 * values.std(ddof=1) / math.sqrt(values.size)
    assert s["ci_low"][0] == pytest.approx(values.mean() - half, rel=1e-3)
    assert s["ci_high"][0] == pytest.approx(values.mean() + half, rel=1e-3)


def test_a_share_of_replications_gets_a_wilson_interval():
    values = np.array([1.0] * 20)  # every replication paid back
    s = summarize_columns(values[:, None], ["payback_reached"], _rng())
    # Wilson's interval for 20 of 20 (by its formula): [n / (n + z^2), 1]
    z = 1.959963984540054
    assert s["ci_low"][0] == pytest.approx(20 / (20 + z * z), rel=1e-9)
    assert s["ci_high"][0] == pytest.approx(1.0)


def test_a_censored_time_has_a_median_that_counts_never_as_later():
    never = math.nan
    months = np.array([3.0, never, 5.0, never, never])
    s = summarize_columns(months[:, None], ["payback_month"], _rng())
    assert math.isnan(s["median"][0])  # three of five never pay back: the median is "never"
    assert s["n"][0] == 2 and s["mean"][0] == 4.0  # the mean is over the two that did
    s = summarize_columns(np.array([3.0, never, 5.0, 2.0, 9.0])[:, None], ["payback_month"], _rng())
    assert s["median"][0] == 5.0  # 2, 3, 5, 9, never


def test_one_replication_has_no_interval_and_says_so():
    s = summarize_columns(np.array([[4.0, 1.0]]), ["npv", "sales"], _rng())
    assert np.isnan(s["ci_low"]).all() and np.isnan(s["ci_high"]).all()
    summary = pd.DataFrame(
        {
            "strategy": ["direct"],
            "channel": ["total"],
            "metric": ["npv"],
            "mean": [4.0],
            "std": [math.nan],
            "ci_low": [math.nan],
            "ci_high": [math.nan],
            "n": [1],
            "median": [4.0],
        }
    )
    lines = verdict_lines(summary, None)
    assert "n = 1: no interval" in lines[0] and "nan" not in lines[0]


def _reps(strategy: str, months: list[float], horizon_reached: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "strategy": strategy,
            "replication": range(len(months)),
            "channel": "total",
            "months_to_target": months,
            "target_reached": horizon_reached,
        }
    )


def test_a_strategy_that_never_reaches_is_later_than_one_that_does():
    never = math.nan
    a = _reps("a", [10.0, never, 4.0, never], [1, 0, 1, 0])
    b = _reps("b", [never, never, 6.0, 2.0], [0, 0, 1, 1])
    d = paired_differences(pd.concat([a, b]), ["a", "b"], horizon=36)
    row = d[d.metric == "months_to_target"].iloc[0]
    # by hand, never = 36: a - b = (10 - 36, 36 - 36, 4 - 6, 36 - 2)
    diffs = np.array([-26.0, 0.0, -2.0, 34.0])
    assert row["n"] == 4
    assert row["mean"] == pytest.approx(diffs.mean())
    # a is earlier (better) in replications 0 and 2, ties in 1 (both never), later in 3
    assert row["p_better"] == pytest.approx((2 + 0.5) / 4)


def test_without_a_target_the_month_is_undefined_not_censored():
    none = math.nan
    a = _reps("a", [none, none], [none, none])
    b = _reps("b", [none, none], [none, none])
    d = paired_differences(pd.concat([a, b]), ["a", "b"], horizon=36)
    assert d[d.metric == "months_to_target"].iloc[0]["n"] == 0


# --- the elasticity of cost of sales to success -------------------------------------------

PRICE = 1000.0


def _program(**fields) -> dict:
    program = {
        "name": "agents",
        "kind": "agent",
        "initial": 50,
        "recruit_per_month": 0,
        "churn_annual": 0.0,
        "deals_per_partner": 100,
        "sourced_leads_per_month": 0.0,
        "sales_cycle_days": 2.0,
        "win_rate": 0.5,
        "commission_rate": 0.2,
        "onboarding_cost": 0.0,
        "mdf_per_active_partner_month": 0.0,
        "manager_salary_annual": 0.0,
        "fixed_cost_per_month": 0.0,
        "service_quality": 1.0,
    }
    program.update(fields)
    return program


def _market(**direct) -> dict:
    team = {
        "initial_reps": 4,
        "max_reps": 4,
        "deals_per_rep": 200,
        "sales_cycle_days": 2.0,
        "win_rate": 0.5,
        "attrition_annual": 0.0,
        "salary_annual": 60_000.0,
        "commission_rate": 0.1,
        "manager_span": 10,
        "manager_salary_annual": 120_000.0,
        "service_quality": 1.0,
        "hiring": {"max_hires_per_month": 0},
    }
    team.update(direct)
    return {
        "scenario": {"horizon_months": 12, "replications": 6, "seed": 8, "discount_rate": 0.0},
        "product": {"price": PRICE},
        "demand": {"leads_per_month": 300.0, "reputation_sensitivity": 0.0},
        "direct": team,
        "partners": [_program()],
    }


def _arc(fixed: float, variable: float) -> float:
    return math.log((fixed + 1.1 * variable) / (fixed + 0.9 * variable)) / math.log(1.1 / 0.9)


def _total_row(cmp, strategy: str) -> pd.Series:
    s = cmp.summary
    rows = s[(s.strategy == strategy) & (s.channel == "total")]
    return rows.set_index("metric")["mean"]


def test_mdf_pulls_a_commissioned_program_below_one_by_its_share():
    data = _market()
    data["partners"] = [_program(mdf_per_active_partner_month=200.0)]
    cmp = compare(Scenario.model_validate(data), ["indirect"], jobs=1)
    s = _total_row(cmp, "indirect")
    fixed = 200.0 * 50 * 12  # MDF of 50 partners, always active, a year
    expected = _arc(fixed, 0.2 * s["revenue"])
    assert s["fixed_channel_cost"] == pytest.approx(fixed, rel=1e-9)
    assert s["cost_elasticity"] == pytest.approx(expected, abs=0.02)
    assert s["cost_elasticity"] < 0.9


def test_a_demand_hiring_team_shows_its_variable_share_not_its_growth():
    """Hiring follows demand, so payroll moved with demand in the old measure; not with success."""
    data = _market(
        initial_reps=1,
        max_reps=30,
        deals_per_rep=20,
        attrition_annual=0.5,
        hiring={"policy": "demand", "max_hires_per_month": 3, "time_to_hire_days": 30},
    )
    data["demand"].update(growth="linear", growth_rate=0.2)
    cmp = compare(Scenario.model_validate(data), ["direct"], jobs=1)
    s = _total_row(cmp, "direct")
    assert s["cost_elasticity"] == pytest.approx(s["variable_cost_share"], abs=0.05)
    assert s["cost_elasticity"] < 0.5  # mostly payroll: not "cost follows its sales"


def test_insurance_agents_team_is_mostly_fixed_as_the_article_says():
    """The shipped insurer: the salaried team's elasticity is its variable share (was 0.92)."""
    sc = load_scenario("scenarios/insurance_agents.toml", ["scenario.replications=4"])
    cmp = compare(sc, ["direct", "indirect"], jobs=1)
    team, agents = _total_row(cmp, "direct"), _total_row(cmp, "indirect")
    assert team["cost_elasticity"] == pytest.approx(team["variable_cost_share"], abs=0.06)
    assert team["cost_elasticity"] < 0.3
    assert agents["cost_elasticity"] > 0.7


def test_an_elasticity_that_cannot_be_measured_is_counted_not_averaged():
    data = deep_update(_market(), {"demand": {"leads_per_month": 0.4}})  # a handful of sales
    cmp = compare(Scenario.model_validate(data), ["direct"], jobs=1)
    s = cmp.summary
    row = s[(s.strategy == "direct") & (s.channel == "total") & (s.metric == "cost_elasticity")]
    n = int(row["n"].iloc[0])
    assert n < 6  # some replications had no sale or no change: not measurable
    measured = cmp.elasticity.dropna(subset=["cost_elasticity"])
    assert len(measured[(measured.strategy == "direct") & (measured.channel == "total")]) == n
    assert not any("elasticity" in line for line in cmp.verdict())
