"""Model behaviour: conservation, money identities, reproducibility, common random numbers,
partner economics, routing and brand feedback."""

from __future__ import annotations

import numpy as np
import pytest

from channelsim.experiments.replications import simulate
from channelsim.metrics.compute import monthly_metrics, summary_metrics
from channelsim.model.demand import DemandStream
from channelsim.model.ledger import MONTH
from channelsim.model.world import World
from tests.conftest import deep_update, partner_data

SAAS = {
    "scenario": {"horizon_months": 24, "replications": 3, "seed": 5},
    "targets": {"sales_per_month": 40},
    "product": {"price": 24000.0, "unit_cost": 4000.0, "deal_size_cv": 0.3},
    "demand": {
        "leads_per_month": 300,
        "growth": "logistic",
        "growth_rate": 0.06,
        "ceiling_leads_per_month": 900,
        "patience_days": {"dist": "exponential", "mean": 21},
        "reputation_sensitivity": 0.5,
        "segments": [
            {"name": "smb", "share": 0.7, "deal_size": 0.5, "win_rate_factor": 1.2},
            {
                "name": "ent",
                "share": 0.3,
                "deal_size": 2.0,
                "win_rate_factor": 0.7,
                "channel": "direct",
            },
        ],
    },
    "direct": {
        "initial_reps": 4,
        "deals_per_rep": 15,
        "sales_cycle_days": {"dist": "lognormal", "mean": 45, "sd": 20},
        "hiring": {"max_hires_per_month": 3},
    },
    "partners": [
        {"name": "VARs", "kind": "reseller", "recruit_per_month": 4},
        {"name": "Agents", "kind": "agent"},
    ],
}


def _run(sc, mode, rep=0, **kw):
    raw = World(sc, mode, rep, **kw).run()
    return raw, monthly_metrics(raw.arrays, raw.channels[1:])


@pytest.mark.parametrize("mode", ["direct", "indirect", "hybrid"])
def test_every_lead_ends_somewhere(make_scenario, mode):
    sc = make_scenario(SAAS)
    raw, _ = _run(sc, mode)
    s = summary_metrics(raw.arrays, raw.channels[1:], 0.1, 40)
    for channel, m in s.items():
        ended = m["sales"] + m["lost_leads"] + m["lost_deals"] + m["open_deals_end"]
        assert m["leads"] == ended, channel
    assert s["total"]["leads"] > 0


def test_same_seed_same_numbers_other_seed_other_numbers(make_scenario):
    sc = make_scenario(SAAS)
    a, _ = _run(sc, "hybrid", rep=1)
    b, _ = _run(sc, "hybrid", rep=1)
    for key in a.arrays:
        np.testing.assert_array_equal(a.arrays[key], b.arrays[key])
    other = make_scenario(deep_update(SAAS, {"scenario": {"seed": 6}}))
    c, _ = _run(other, "hybrid", rep=1)
    assert not np.array_equal(a.arrays["revenue"], c.arrays["revenue"])


def test_strategies_share_company_demand(make_scenario):
    """Common random numbers: every strategy sees the same company leads in a replication."""
    data = deep_update(SAAS, {"demand": {"reputation_sensitivity": 0.0}})
    sc = make_scenario(data)
    company = {}
    for mode in ("direct", "indirect", "hybrid"):
        _, monthly = _run(sc, mode, rep=2)
        t = monthly["total"]
        company[mode] = t["leads"] - t["sourced_leads"]
    np.testing.assert_array_equal(company["direct"], company["indirect"])
    np.testing.assert_array_equal(company["direct"], company["hybrid"])


def test_a_worse_reputation_meets_a_prefix_of_the_same_leads_later(make_scenario):
    """Reputation only slows the clock of one stream: the same leads, in order, arrive later."""
    sc = make_scenario(SAAS)
    world = World(sc, "hybrid", 0)
    from channelsim.randomness import Streams

    good = DemandStream(world.spec, Streams(5, 0)("demand")).month(0, 1.0)
    bad = DemandStream(world.spec, Streams(5, 0)("demand")).month(0, 0.6)
    assert 0.45 * len(good) < len(bad) < 0.8 * len(good)
    for g, b in zip(good, bad, strict=False):
        assert b[1:] == g[1:]  # segment, value, size, patience and outcome draw
        assert b[0] > g[0]  # a lower rate: the cumulative intensity is reached later


def test_adding_a_program_does_not_shift_another_programs_draws(make_scenario):
    """A program living on its own sourced leads is unchanged when another program is added."""
    one = partner_data(recruit_per_month=3, sourced_leads_per_month=4)
    one["demand"]["leads_per_month"] = 0.0
    two = deep_update(one, {})
    two["partners"].append({"name": "Q", "kind": "affiliate"})
    a, _ = _run(make_scenario(one), "indirect")
    b, _ = _run(make_scenario(two), "indirect")
    for key in ("sales", "revenue", "partners_active", "leads"):
        np.testing.assert_array_equal(a.arrays[key][1], b.arrays[key][1])


def test_commission_only_affiliates_cost_follows_revenue(make_scenario):
    data = partner_data(
        kind="affiliate",
        initial=50,
        commission_rate=0.25,
        network_fee_rate=0.2,
        onboarding_cost=0.0,
        mdf_per_active_partner_month=0.0,
        manager_salary_annual=0.0,
        fixed_cost_per_month=0.0,
        service_quality=1.0,
    )
    result = simulate(make_scenario(data), "indirect")
    reps = result.replications
    rows = reps[reps.channel == "P"]
    assert (rows.sales > 0).all()
    ratio = rows.cost_of_sales / rows.revenue
    np.testing.assert_allclose(ratio, 0.25 * 1.2, rtol=1e-12)
    np.testing.assert_allclose(rows.variable_cost_share, 1.0)


def test_reseller_discount_is_a_discount_not_a_channel_cost(make_scenario):
    data = partner_data(
        kind="reseller",
        discount=0.3,
        commission_rate=0.0,
        bounty=0.0,
        service_quality=1.0,
    )
    result = simulate(make_scenario(data), "indirect")
    rows = result.replications[result.replications.channel == "P"]
    np.testing.assert_allclose(rows.discounts, 0.3 * rows.revenue)
    np.testing.assert_allclose(rows.net_revenue, rows.revenue - rows.discounts - rows.refunds)
    np.testing.assert_allclose(rows.commissions, 0.0)
    np.testing.assert_allclose(rows.variable_channel_cost, 0.0)
    assert (rows.fixed_channel_cost > 0).all()  # onboarding, MDF, managers


def test_partner_sourced_leads_only_with_programs_on(make_scenario):
    sc = make_scenario(SAAS)
    _, direct = _run(sc, "direct")
    _, hybrid = _run(sc, "hybrid")
    assert direct["total"]["sourced_leads"].sum() == 0
    assert direct["partners"]["leads"].sum() == 0
    assert direct["partners"]["channel_cost"].sum() == 0
    assert hybrid["partners"]["sourced_leads"].sum() > 0


def test_reputation_falls_with_poor_service_and_stays_at_one_with_perfect_service(make_scenario):
    poor = partner_data(service_quality=0.5, initial=40, deals_per_partner=20)
    poor["demand"].update(reputation_sensitivity=1.0)
    poor["direct"]["service_quality"] = 1.0
    poor["scenario"]["horizon_months"] = 24
    perfect = deep_update(poor, {})
    perfect["partners"][0]["service_quality"] = 1.0
    _, bad = _run(make_scenario(poor), "indirect")
    _, good = _run(make_scenario(perfect), "indirect")
    np.testing.assert_array_equal(good["total"]["reputation"], 1.0)
    assert bad["total"]["reputation"][-1] < 0.7
    company_bad = bad["total"]["leads"] - bad["total"]["sourced_leads"]
    company_good = good["total"]["leads"] - good["total"]["sourced_leads"]
    assert company_bad[12:].sum() < 0.8 * company_good[12:].sum()


def test_share_routing_respects_the_share(make_scenario):
    data = deep_update(SAAS, {"routing": {"policy": "share", "direct_share": 0.3}})
    data["demand"]["reputation_sensitivity"] = 0.0
    result = simulate(make_scenario(data), "hybrid")
    reps = result.replications
    direct = reps[reps.channel == "direct"].leads.to_numpy()
    total = reps[reps.channel == "total"]
    company = (total.leads - total.sourced_leads).to_numpy()
    share = direct.sum() / company.sum()
    n = company.sum()
    assert abs(share - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)


def test_overflow_only_when_the_team_queue_is_full(make_scenario):
    data = deep_update(SAAS, {"routing": {"policy": "overflow", "overflow_queue": 0}})
    ample = deep_update(
        data,
        {
            "direct": {
                "initial_reps": 60,
                "max_reps": 60,
                "deals_per_rep": 100,
                "attrition_annual": 0.0,
            }
        },
    )
    ample["partners"] = [{"name": "VARs", "kind": "reseller", "sourced_leads_per_month": 0}]
    _, roomy = _run(make_scenario(ample), "hybrid")
    assert roomy["partners"]["leads"].sum() == 0  # the team always had a free slot
    tight = deep_update(ample, {"direct": {"initial_reps": 1, "max_reps": 1}})
    tight["direct"]["hiring"] = {"max_hires_per_month": 0}
    _, full = _run(make_scenario(tight), "hybrid")
    assert full["partners"]["leads"].sum() > 0
    # a lead waits for the team only while nobody else does (the queue is never longer than 0
    # when a lead arrives, so it holds at most one lead): at most one lead-day per day
    waited = full["direct"]["waiting_lead_days"]
    assert 0 < waited.sum() <= len(waited) * MONTH + 1e-9


def test_indirect_margin_is_proportional_direct_cost_per_sale_falls(make_scenario):
    """Ample capacity, no partner fixed costs: partner contribution per sale is a constant share
    of price; a salaried team's cost per sale falls as demand grows."""
    agents = partner_data(
        initial=400,
        recruit_per_month=0,
        churn_annual=0.0,
        deals_per_partner=50,
        sourced_leads_per_month=0.0,
        commission_rate=0.2,
        onboarding_cost=0.0,
        manager_salary_annual=0.0,
        fixed_cost_per_month=0.0,
        service_quality=1.0,
    )
    agents["product"]["unit_cost"] = 0.0
    team = deep_update(
        agents,
        {
            "direct": {
                "initial_reps": 80,
                "max_reps": 80,
                "deals_per_rep": 50,
                "attrition_annual": 0.0,
                "service_quality": 1.0,
            }
        },
    )
    per_sale_share, team_cost = [], []
    for leads in (100, 400):
        a = make_scenario(deep_update(agents, {"demand": {"leads_per_month": leads}}))
        s = simulate(a, "indirect").replications
        p = s[s.channel == "P"]
        per_sale_share.append((p.contribution / p.revenue).to_numpy())
        t = make_scenario(deep_update(team, {"demand": {"leads_per_month": leads}}))
        d = simulate(t, "direct").replications
        team_cost.append(d[d.channel == "direct"].cost_per_sale.mean())
    np.testing.assert_allclose(np.concatenate(per_sale_share), 0.8)
    assert team_cost[1] < 0.5 * team_cost[0]
