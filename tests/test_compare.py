"""Comparison: intervals, paired differences, cost elasticity, textbook break-even, verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from channelsim import theory
from channelsim.analysis.costs import cost_fits, margin_bridge
from channelsim.analysis.differences import DIFFERENCE_COLUMNS, paired_differences
from channelsim.analysis.intervals import confidence_intervals
from channelsim.analysis.verdict import Claim, verdict_claims
from channelsim.experiments.compare import compare
from channelsim.model.ledger import MONTH
from tests.conftest import deep_update

# Kotler's classroom break-even: 3 reps at 30k and a manager at 160k plus 5% commission,
# against agents at 25%: fixed 250k / (0.25 - 0.05) = 1.25M of sales a year.
PRICE = 1000.0
WIN = 0.5


def textbook(revenue_a_year: float, reps: int = 20) -> dict:
    leads_per_month = revenue_a_year / PRICE / 12 / WIN
    return {
        "scenario": {"horizon_months": 12, "replications": reps, "seed": 3, "discount_rate": 0.0},
        "product": {"price": PRICE, "unit_cost": 0.0},
        "demand": {"leads_per_month": leads_per_month, "reputation_sensitivity": 0.0},
        "direct": {
            "initial_reps": 3,
            "max_reps": 3,
            "deals_per_rep": 1000,
            "sales_cycle_days": 1.0,
            "win_rate": WIN,
            "attrition_annual": 0.0,
            "salary_annual": 30000,
            "commission_rate": 0.05,
            "manager_span": 8,
            "manager_salary_annual": 160000,
            "fixed_cost_per_month": 0.0,
            "service_quality": 1.0,
            "hiring": {"max_hires_per_month": 0},
        },
        "partners": [
            {
                "name": "agents",
                "kind": "agent",
                "initial": 100,
                "recruit_per_month": 0,
                "churn_annual": 0.0,
                "deals_per_partner": 100,
                "sourced_leads_per_month": 0.0,
                "sales_cycle_days": 1.0,
                "win_rate": WIN,
                "commission_rate": 0.25,
                "onboarding_cost": 0.0,
                "mdf_per_active_partner_month": 0.0,
                "manager_salary_annual": 0.0,
                "fixed_cost_per_month": 0.0,
                "service_quality": 1.0,
            }
        ],
    }


def _total(frame: pd.DataFrame, metric: str, a: str = "direct", b: str = "indirect"):
    rows = frame[(frame.channel == "total") & (frame.metric == metric)]
    if "a" in rows:
        rows = rows[(rows.a == a) & (rows.b == b)]
    return rows.iloc[0]


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=40))
@settings(max_examples=60, deadline=None)
def test_intervals_agree_with_scipy_t(values):
    mean, std, low, high, n = confidence_intervals(np.array(values))
    assert n[0] == len(values)
    sd = np.std(values, ddof=1)
    if sd == 0:
        assert low[0] == high[0] == pytest.approx(np.mean(values))
        return
    lo, hi = stats.t.interval(
        0.95, len(values) - 1, loc=np.mean(values), scale=sd / np.sqrt(len(values))
    )
    assert low[0] == pytest.approx(lo, rel=1e-9, abs=1e-6)
    assert high[0] == pytest.approx(hi, rel=1e-9, abs=1e-6)


def test_paired_differences_are_per_replication_differences():
    rng = np.random.default_rng(0)
    rows = []
    for strategy in ("x", "y"):
        for rep in range(7):
            rows.append(
                {
                    "strategy": strategy,
                    "replication": rep,
                    "channel": "total",
                    "npv": rng.normal(),
                    "cost_per_sale": rng.normal(),
                }
            )
    reps = pd.DataFrame(rows)
    d = paired_differences(reps, ["x", "y"])
    x = reps[reps.strategy == "x"].set_index("replication")
    y = reps[reps.strategy == "y"].set_index("replication")
    for metric in ("npv", "cost_per_sale"):
        diff = (x[metric] - y[metric]).to_numpy()
        row = d[d.metric == metric].iloc[0]
        mean, std, low, high, n = confidence_intervals(diff)
        assert row["mean"] == pytest.approx(diff.mean())
        assert (row.ci_low, row.ci_high, row.n) == pytest.approx((low[0], high[0], 7))
        better = (diff < 0) if metric == "cost_per_sale" else (diff > 0)
        assert row.p_better == pytest.approx(better.mean())


def test_textbook_breakeven_between_salaried_team_and_agents(make_scenario):
    breakeven = theory.breakeven_sales(3 * 30000 + 160000, 0.25, 0.05)
    assert breakeven == pytest.approx(1.25e6)
    signs, at_breakeven = {}, None
    for factor in (0.7, 1.0, 1.3):
        sc = make_scenario(textbook(breakeven * factor))
        cmp = compare(sc, ["direct", "indirect"], elasticity=False, jobs=1)
        row = _total(cmp.differences, "contribution")
        signs[factor] = (row.ci_low, row.ci_high)
        if factor == 1.0:
            at_breakeven = row
    # at 1.25M a year the two cost the same: the mean difference is within 4 standard errors
    # of zero (a correct model fails this with probability 6e-5; a 95% CI would miss 1 in 20)
    se = at_breakeven["std"] / np.sqrt(at_breakeven["n"])
    assert abs(at_breakeven["mean"]) < 4 * se
    assert signs[0.7][1] < 0  # below it agents are cheaper: direct - indirect < 0
    assert signs[1.3][0] > 0  # above it the team wins


def test_cost_elasticity_of_a_program_with_a_bounty_and_a_platform_fee(make_scenario):
    """Commission, bounty and a monthly fee: the elasticity the cost structure implies."""
    data = textbook(1.25e6, reps=8)
    data["partners"][0].update(bounty=40.0, fixed_cost_per_month=6000.0)
    cmp = compare(make_scenario(data), ["indirect"], jobs=1)
    s = cmp.summary[(cmp.summary.strategy == "indirect") & (cmp.summary.channel == "total")]
    s = s.set_index("metric")["mean"]
    fixed = 12 * 6000.0
    variable = 0.25 * s["revenue"] + 40.0 * s["sales"]  # paid per success
    expected = np.log((fixed + 1.1 * variable) / (fixed + 0.9 * variable)) / np.log(1.1 / 0.9)
    assert s["fixed_channel_cost"] == pytest.approx(fixed)
    assert abs(s["cost_elasticity"] - expected) < 0.02
    assert 0.8 < expected < 0.95  # the fee pulls it below 1, visibly


def test_cost_elasticity_of_a_salaried_team_is_its_variable_share(make_scenario):
    data = deep_update(textbook(1.25e6, reps=8), {"direct": {"commission_rate": 0.10}})
    cmp = compare(make_scenario(data), ["direct"], jobs=1)
    s = cmp.summary[(cmp.summary.strategy == "direct") & (cmp.summary.channel == "total")]
    s = s.set_index("metric")["mean"]
    # cost of sales C(S) = F + v S; its arc elasticity between 0.9 S and 1.1 S
    fixed = (3 * 30000 + 160000) * 12 * MONTH / 365.25
    v = 0.10 * PRICE
    sales = s["sales"]
    expected = np.log((fixed + v * 1.1 * sales) / (fixed + v * 0.9 * sales)) / np.log(1.1 / 0.9)
    assert s["fixed_channel_cost"] == pytest.approx(fixed, rel=1e-9)
    assert abs(s["cost_elasticity"] - expected) < 0.03
    assert abs(s["cost_elasticity"] - s["variable_cost_share"]) < 0.03


def test_verdict_states_only_differences_whose_interval_excludes_zero(make_scenario):
    data = textbook(1.25e6, reps=6)
    cmp = compare(make_scenario(data), ["direct", "indirect"], jobs=1)
    claims = verdict_claims(cmp.summary, cmp.differences, cmp.monthly, None)
    assert claims
    for claim in claims:
        if claim.text.startswith("Against"):
            assert claim.ci_low > 0 or claim.ci_high < 0, claim
    # contribution at break-even cannot be told apart: no NPV sentence between the two
    assert not any("NPV" in c.text and c.text.startswith("Against") for c in claims)


def test_verdict_on_synthetic_tables_skips_unsupported_differences():
    summary = pd.DataFrame(
        [
            ("a", "total", "npv", 10.0, 1.0, 9.0, 11.0, 5),
            ("b", "total", "npv", 8.0, 1.0, 7.0, 9.0, 5),
        ],
        columns=["strategy", "channel", "metric", "mean", "std", "ci_low", "ci_high", "n"],
    )
    diffs = pd.DataFrame(
        [
            ("a", "b", "total", "npv", 2.0, 1.0, -0.5, 4.5, 5, 0.8, -1.0, 5.0),
            ("a", "b", "total", "contribution_margin", 0.02, 0.01, 0.01, 0.03, 5, 1.0, 0.0, 0.04),
        ],
        columns=list(DIFFERENCE_COLUMNS),
    )
    texts = [c.text for c in verdict_claims(summary, diffs)]
    assert any("contribution margin" in t for t in texts)
    assert not any(t.startswith("Against b, a has an NPV") for t in texts)
    assert Claim("x", "npv", 1, 2).supported
    assert not Claim("n = 1", "npv", float("nan"), float("nan")).supported


def test_margin_bridge_and_cost_fit_recover_the_textbook_costs(make_scenario):
    data = textbook(1.25e6, reps=4)
    cmp = compare(make_scenario(data), ["direct", "indirect"], elasticity=False, jobs=1)
    bridge = margin_bridge(cmp.summary).set_index(["strategy", "step"])["value"]
    fixed = (3 * 30000 + 160000) * 12 * MONTH / 365.25  # salaries by the day, manager monthly
    revenue = {s: bridge[(s, "revenue")] for s in ("direct", "indirect")}
    assert revenue["direct"] == pytest.approx(1.25e6, rel=0.03)  # demand was set for 1.25M
    assert -bridge[("direct", "fixed_channel_cost")] == pytest.approx(fixed, rel=1e-9)
    assert -bridge[("direct", "variable_channel_cost")] == pytest.approx(
        0.05 * revenue["direct"], rel=1e-9
    )
    assert -bridge[("indirect", "variable_channel_cost")] == pytest.approx(
        0.25 * revenue["indirect"], rel=1e-9
    )
    assert bridge[("indirect", "fixed_channel_cost")] == 0
    fits = cost_fits(cmp.monthly).set_index("strategy")
    assert fits.loc["direct", "variable_per_sale"] == pytest.approx(0.05 * PRICE, rel=0.01)
    assert fits.loc["direct", "fixed_per_month"] == pytest.approx(250000 / 12, rel=0.01)
    assert fits.loc["indirect", "variable_per_sale"] == pytest.approx(0.25 * PRICE, rel=1e-6)
    # pairing on common random numbers narrows the interval of the difference: both strategies
    # meet the same leads, so a replication's luck in revenue cancels out of the difference of
    # contributions (0.95 R - F against 0.75 R); two independent samples would keep it
    row = _total(cmp.differences, "contribution")
    assert row.ci_high - row.ci_low < 0.5 * (row.unpaired_ci_high - row.unpaired_ci_low)


def test_differences_of_a_single_replication_are_nan_and_silent():
    import warnings

    from channelsim.analysis.differences import paired_differences

    reps = pd.DataFrame(
        {
            "strategy": ["a", "b"],
            "replication": [0, 0],
            "channel": ["total", "total"],
            "sales": [10.0, 7.0],
            "cost_per_sale": [np.nan, 3.0],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "degrees of freedom" warnings must not leak
        diff = paired_differences(reps, ["a", "b"]).set_index("metric")
    assert diff.loc["sales", "mean"] == 3.0 and diff.loc["sales", "n"] == 1
    assert np.isnan(diff.loc["sales", "ci_low"]) and np.isnan(diff.loc["sales", "unpaired_ci_low"])
    assert diff.loc["sales", "p_better"] == 1.0
    assert diff.loc["cost_per_sale", "n"] == 0 and np.isnan(diff.loc["cost_per_sale", "p_better"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        # sales and costs as the model books them: money to the cent (a cost of 5e-324 would
        # make the squared deviations underflow, which no ledger ever holds)
        st.tuples(st.floats(0, 1e4), st.floats(-1e7, 1e7).map(lambda v: round(v, 2))),
        min_size=3,
        max_size=60,
    )
)
def test_cost_fit_is_scipy_s_least_squares(points):
    from channelsim.analysis.costs import line_fit

    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    if np.ptp(x) < 1e-3 * (1 + np.abs(x).max()):
        return  # nearly vertical: no slope to compare
    fixed, variable, r2 = line_fit(x, y)
    ref = stats.linregress(x, y)
    scale = 1 + np.abs(y).max()
    assert variable == pytest.approx(ref.slope, rel=1e-6, abs=1e-9 * scale)
    assert fixed == pytest.approx(ref.intercept, rel=1e-6, abs=1e-6 * scale)
    assert r2 == pytest.approx(ref.rvalue**2, abs=1e-9, nan_ok=True)
