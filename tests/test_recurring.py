"""Recurring revenue, cash timing and channel conflict (``[product.subscription]``, ``[cash]``,
``[conflict]``), checked against closed forms and hand-computed cases.

* retention: the shifted-beta-geometric survival ``B(a, b + k) / B(a, b)`` and the geometric
  ``(1 - p)^k``; a heterogeneous churn scaled by a bad experience against numerical
  integration; net revenue retention ``(1 - p)^12`` and lifetime value ``fee / p``;
* money: fees, new-business and trail commissions of a churn-free run summed by hand from its
  monthly sales; clawbacks of refunded sales; cash moved by payment terms on a hand-made ledger;
* conflict: full overlap leaves hybrid with exactly direct's demand (common random numbers),
  no overlap changes nothing, and the shares drawn are recovered from the runs.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from scipy import integrate, special

from channelsim.distributions import Beta, Fixed, Uniform
from channelsim.metrics.compute import Accounting, monthly_metrics, summary_metrics
from channelsim.model.customers import CustomerBase, renewal_hazards
from channelsim.model.ledger import MONTH, Ledger
from channelsim.model.world import World

BASE = {
    "scenario": {"name": "recurring", "horizon_months": 36, "seed": 11},
    "product": {"price": 1000, "unit_cost": 0},
    "demand": {"leads_per_month": 80, "reputation_sensitivity": 0},
    "brand": {"refund_rate": 0},
    "direct": {
        "initial_reps": 8,
        "max_reps": 8,
        "deals_per_rep": 30,
        "win_rate": 0.4,
        "sales_cycle_days": 20,
        "attrition_annual": 0,
        "commission_rate": 0.1,
        "renewal_commission_rate": 0.02,
        "service_quality": 1.0,
        "hiring": {"policy": "plan", "headcount_plan": [[0, 8]]},
    },
}


def _scenario(make_scenario, **tables):
    data = copy.deepcopy(BASE)
    for key, value in tables.items():
        table, _, sub = key.partition("__")
        if sub:
            data.setdefault(table, {})[sub] = value
        else:
            data[table] = value
    return make_scenario(data)


def _run(sc, mode="direct", rep=0):
    raw = World(sc, mode, rep).run()
    programs = raw.channels[1:]
    acc = Accounting.of(sc)
    return (
        raw,
        monthly_metrics(raw.arrays, programs, acc),
        summary_metrics(raw.arrays, programs, acc),
    )


def _cohort_survival(churn, factor: float, n: int, renewals: int, seed: int) -> np.ndarray:
    """Share of one cohort of ``n`` monthly customers still active after each renewal."""
    ledger = Ledger(1, renewals + 1)
    rng = np.random.default_rng(seed)
    hazards = renewal_hazards(churn, factor, renewals + 1)
    base = CustomerBase(
        ledger,
        0,
        months=renewals + 1,
        term_months=1,
        hazards=hazards,
        bad_hazards=hazards,
        expansion=0.0,
        discount=0.0,
        commission_rate=0.0,
        renewal_rate=0.0,
        network_fee_rate=0.0,
        clawback_months=0,
        binomial=lambda k, p: int(rng.binomial(k, p)),
    )
    for _ in range(n):
        base.add(0, 1.0, False, 0.0)
    for month in range(renewals + 1):
        base.close_month(month)
    # fees billed at month k are those of the customers left after k renewals
    return np.asarray(ledger.recurring_revenue[0]) / n


@pytest.mark.parametrize(("a", "b"), [(1.0, 3.0), (0.6, 4.0)])
def test_shifted_beta_geometric_survival(a: float, b: float) -> None:
    n, k = 200_000, np.arange(13)
    got = _cohort_survival(Beta(dist="beta", a=a, b=b), 1.0, n, 12, seed=1)
    want = special.beta(a, b + k) / special.beta(a, b)
    se = np.sqrt(want * (1 - want) / n)
    assert np.all(np.abs(got - want) < 4 * se + 1e-12), (got, want)
    # the sBG's signature: retention rises with tenure, unlike a fixed churn
    hazards = 1 - got[1:] / got[:-1]
    assert hazards[-1] < 0.6 * hazards[0]


def test_fixed_churn_is_geometric() -> None:
    n, p, k = 100_000, 0.15, np.arange(13)
    got = _cohort_survival(Fixed(dist="fixed", value=p), 1.0, n, 12, seed=2)
    want = (1 - p) ** k
    se = np.sqrt(want * (1 - want) / n)
    assert np.all(np.abs(got - want) < 4 * se + 1e-12)


def test_bad_experience_factor_on_a_distribution_matches_integration() -> None:
    churn, factor = Uniform(dist="uniform", low=0.0, high=0.4), 2.0
    got = _cohort_survival(churn, factor, 200_000, 8, seed=3)
    for k in range(9):
        want = integrate.quad(lambda p, k=k: (1 - min(1.0, factor * p)) ** k / 0.4, 0.0, 0.4)[0]
        assert abs(got[k] - want) < 4 * math.sqrt(want * (1 - want) / 200_000) + 2e-4, k


def test_churn_free_fees_and_commissions_by_hand(make_scenario) -> None:
    fee, term = 50.0, 12
    sub = {"fee_per_month": fee, "cost_per_month": 10.0, "churn": 0}
    sc = _scenario(make_scenario, product__subscription=sub)
    raw, _, s = _run(sc)
    sales = raw.arrays["sales"][0]
    months = np.arange(sales.size)
    billed = sales * (sales.size - months)  # a customer pays from its sale month to the end
    first = sales * np.minimum(term, sales.size - months)  # ... its first term of them
    d = s["direct"]
    assert d["recurring_revenue"] == pytest.approx(fee * billed.sum(), rel=1e-12)
    assert d["revenue"] == pytest.approx(1000 * sales.sum() + fee * billed.sum(), rel=1e-12)
    commissions = 0.1 * (1000 * sales.sum() + fee * first.sum())
    commissions += 0.02 * fee * (billed.sum() - first.sum())
    assert d["commissions"] == pytest.approx(commissions, rel=1e-12)
    assert d["cogs"] == pytest.approx(10.0 * billed.sum(), rel=1e-12)  # serving costs
    assert d["active_customers"] == sales.sum()
    assert d["churned_customers"] == 0
    assert d["arr_end"] == pytest.approx(12 * fee * sales.sum())
    assert math.isnan(d["customer_lifetime_value"])  # nobody left: no lifetime measured


def test_fixed_churn_active_customers_and_retention(make_scenario) -> None:
    p, term = 0.3, 3
    sub = {"fee_per_month": 40.0, "term_months": term, "churn": p}
    sc = _scenario(make_scenario, product__subscription=sub)
    raw, monthly, s = _run(sc)
    sales = raw.arrays["sales"][0]
    horizon = sales.size
    renewed = (horizon - np.arange(horizon)) // term  # renewals each cohort has been through
    q = (1 - p) ** renewed
    mean, var = (sales * q).sum(), (sales * q * (1 - q)).sum()
    assert abs(s["direct"]["active_customers"] - mean) < 4 * math.sqrt(var)
    assert s["direct"]["churned_customers"] == sales.sum() - s["direct"]["active_customers"]


def test_monthly_churn_net_revenue_retention_and_lifetime_value(make_scenario) -> None:
    p, fee = 0.05, 100.0
    sub = {"fee_per_month": fee, "term_months": 1, "churn": p}
    sc = _scenario(make_scenario, product__subscription=sub, scenario__horizon_months=120)
    _, monthly, s = _run(sc)
    nrr = monthly["direct"]["net_revenue_retention"]
    assert np.all(np.isnan(nrr[:12]))
    assert np.nanmean(nrr[24:]) == pytest.approx((1 - p) ** 12, abs=0.01)
    # payments per customer are geometric with mean 1 / p
    assert s["direct"]["customer_lifetime_value"] == pytest.approx(fee / p, rel=0.05)


def test_expansion_raises_retained_fees(make_scenario) -> None:
    sub = {"fee_per_month": 10.0, "term_months": 12, "churn": 0, "expansion_annual": 0.1}
    sc = _scenario(make_scenario, product__subscription=sub)
    _, monthly, _ = _run(sc)
    nrr = monthly["direct"]["net_revenue_retention"]
    # without churn every customer older than a year has grown by 10% exactly once or more
    assert np.all(nrr[12:] >= 1.1 - 1e-12)
    assert np.all(nrr[12:24] == pytest.approx(1.1))


def test_refunds_claw_back_commissions(make_scenario) -> None:
    # every sale is a bad experience (service_quality 0) and every bad experience is refunded
    sc = _scenario(
        make_scenario,
        brand__refund_rate=1.0,
        direct__service_quality=0.0,
        product__subscription={"fee_per_month": 10.0},
        cash={"commission_clawback_months": 6},
    )
    _, _, s = _run(sc)
    d = s["direct"]
    assert d["sales"] > 100
    assert d["refunds"] == pytest.approx(d["revenue"])
    assert d["recurring_revenue"] == 0  # a refunded sale starts no subscription
    assert d["commission_clawbacks"] == pytest.approx(d["commissions"])
    assert d["variable_channel_cost"] == pytest.approx(d["escalation_costs"])


def _ledger(months: int = 6) -> dict[str, np.ndarray]:
    from channelsim.model.ledger import FLOW_FIELDS, STOCK_FIELDS

    return {f: np.zeros((2, months)) for f in FLOW_FIELDS + STOCK_FIELDS}


def test_cash_by_hand() -> None:
    arrays = _ledger()
    # one direct sale in month 1: 1200 of revenue, 200 of commission; 300 of salary a month
    arrays["sales"][0, 1] = 1
    arrays["revenue"][0, 1] = 1200.0
    arrays["commissions"][0, 1] = 200.0
    arrays["salaries"][0, :] = 300.0
    # one reseller sale in month 0: 1000 at list, 250 discount
    arrays["revenue"][1, 0] = 1000.0
    arrays["discounts"][1, 0] = 250.0
    acc = Accounting(
        customer_payment_days=1.5 * MONTH,
        reseller_payment_days=3 * MONTH,
        commission_on_collection=True,
        opening_cash=500.0,
        reseller_rows=(1,),
    )
    m = monthly_metrics(arrays, ["VAR"], acc)
    # the customer pays 1.5 months later: half in month 2, half in month 3, and the
    # commission follows it; the reseller pays its 750 three months later, in month 3
    assert m["direct"]["cash_flow"].tolist() == pytest.approx([-300, -300, 200, 200, -300, -300])
    assert m["VAR"]["cash_flow"].tolist() == pytest.approx([0, 0, 0, 750, 0, 0])
    assert m["total"]["cash_balance"].tolist() == pytest.approx([200, -100, 100, 1050, 750, 450])
    # contribution is booked when things happen
    assert m["direct"]["contribution"].tolist() == pytest.approx(
        [-300, 700, -300, -300, -300, -300]
    )
    s = summary_metrics(arrays, ["VAR"], acc)
    assert s["total"]["min_cash_balance"] == pytest.approx(-100)
    assert s["direct"]["cash_breakeven_month"] != s["direct"]["cash_breakeven_month"]  # NaN
    assert s["VAR"]["cash_breakeven_month"] == 0.0


def test_without_payment_terms_cash_is_contribution(make_scenario) -> None:
    sc = _scenario(make_scenario, product__subscription={"fee_per_month": 30.0, "churn": 0.2})
    _, monthly, _ = _run(sc)
    d = monthly["direct"]
    assert d["cash_flow"] == pytest.approx(d["contribution"])


HYBRID = {
    "partners": [{"name": "VARs", "kind": "reseller", "initial": 10, "recruit_per_month": 2}],
    "routing": {"policy": "share", "direct_share": 0.7},
}


def _hybrid(make_scenario, conflict=None):
    data = copy.deepcopy(BASE) | copy.deepcopy(HYBRID)
    if conflict is not None:
        data["conflict"] = conflict
    return make_scenario(data)


def test_full_overlap_leaves_hybrid_with_direct_demand(make_scenario) -> None:
    sc = _hybrid(make_scenario, {"partner_sourced_overlap": 1.0})
    _, _, direct = _run(sc, "direct")
    _, _, hybrid = _run(sc, "hybrid")
    free = _hybrid(make_scenario)
    _, _, reach = _run(free, "hybrid")
    assert reach["total"]["sourced_leads"] > 100  # without conflict partners add reach ...
    assert hybrid["total"]["sourced_leads"] == 0  # ... with full overlap none
    assert hybrid["total"]["leads"] == direct["total"]["leads"]
    # the leads partners registered are company leads the team would have had
    assert hybrid["VARs"]["cannibalized_leads"] > 0.5 * reach["VARs"]["sourced_leads"] * 0.7


def test_no_conflict_changes_nothing(make_scenario) -> None:
    zero = {"partner_sourced_overlap": 0.0, "price_undercut": 0.0}
    _, _, a = _run(_hybrid(make_scenario, zero), "hybrid")
    _, _, b = _run(_hybrid(make_scenario), "hybrid")
    np.testing.assert_equal(a, b)  # NaN where both have no value


def test_conflict_shares_are_recovered(make_scenario) -> None:
    _, _, free = _run(_hybrid(make_scenario), "hybrid")
    _, _, half = _run(_hybrid(make_scenario, {"partner_sourced_overlap": 0.5}), "hybrid")
    # the sourced leads drawn are those of the run without conflict, half of them claims
    n = free["VARs"]["sourced_leads"]
    kept = half["VARs"]["sourced_leads"]
    assert abs(kept - 0.5 * n) < 4 * math.sqrt(n * 0.25)
    direct_first = {"partner_sourced_overlap": 0.5, "deal_registration": "direct_first"}
    _, _, df = _run(_hybrid(make_scenario, direct_first), "hybrid")
    assert df["total"]["cannibalized_leads"] == 0  # the team keeps the leads it has reps for
    # a reseller undercutting the team's price takes that share of the team's leads
    _, _, cut = _run(_hybrid(make_scenario, {"price_undercut": 0.25}), "hybrid")
    bound = free["direct"]["leads"]
    taken = cut["VARs"]["cannibalized_leads"]
    assert abs(taken - 0.25 * bound) < 4 * math.sqrt(bound * 0.25 * 0.75)
    assert cut["total"]["leads"] == free["total"]["leads"]


def test_subscription_program_elasticity_counts_the_fees_margin(make_scenario) -> None:
    """A reseller keeping a share of every fee: that cost follows success, its fixed cost not.

    The shadow runs must count the discount and commissions on the fees a customer won will
    pay, not only those booked at the sale, or a reseller's margin on renewals would pass for
    a fixed cost.
    """
    data = copy.deepcopy(BASE)
    data["product"]["subscription"] = {
        "fee_per_month": 100.0,
        "term_months": 6,
        "churn": {"dist": "beta", "a": 1, "b": 4},
        "expansion_annual": 0.1,
    }
    data["partners"] = [
        {
            "name": "VARs",
            "kind": "reseller",
            "initial": 40,
            "recruit_per_month": 0,
            "churn_annual": 0,
            "activation_rate": 1,
            "onboarding_days": 0,
            "deals_per_partner": 20,
            "discount": 0.3,
            "commission_rate": 0.05,
            "renewal_commission_rate": 0.02,
            "onboarding_cost": 0,
            "mdf_per_active_partner_month": 0,
            "manager_salary_annual": 0,
            "fixed_cost_per_month": 20_000,
            "service_quality": 1.0,
        }
    ]
    sc = make_scenario(data)
    raw = World(sc, "indirect", 0, elasticity=True).run()
    s = summary_metrics(raw.arrays, raw.channels[1:], Accounting.of(sc), elasticity=True)
    v = s["VARs"]
    fixed = v["fixed_channel_cost"]
    variable = v["variable_channel_cost"] + v["discounts"]
    assert v["recurring_revenue"] > 0.5 * v["revenue"]
    assert 0.3 < variable / (fixed + variable) < 0.7
    # cost = F + V x scale: the arc elasticity between win scales 0.9 and 1.1
    want = math.log((fixed + 1.1 * variable) / (fixed + 0.9 * variable)) / math.log(1.1 / 0.9)
    assert v["cost_elasticity"] == pytest.approx(want, abs=0.03)


def test_verdict_says_when_partners_mostly_take_the_teams_demand(make_scenario) -> None:
    from channelsim.analysis.verdict import verdict_lines
    from channelsim.experiments.compare import compare

    def lines(conflict):
        sc = _hybrid(make_scenario, conflict).with_overrides({"scenario.replications": 3})
        cmp = compare(sc, ["direct", "hybrid"], jobs=1)
        return [line for line in verdict_lines(cmp.summary, None) if "conflict" in line]

    assert lines(None) == []
    (full,) = lines({"partner_sourced_overlap": 1.0})
    assert full.startswith("hybrid: partners brought 0 new leads and took ")
    assert "most of their gain is demand the company had" in full
    (some,) = lines({"partner_sourced_overlap": 0.2})
    assert "most of their gain" not in some
