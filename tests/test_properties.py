"""Invariants over randomly generated valid scenarios (hypothesis).

The strategy below builds scenario dicts the way a user could write them: horizons of 1 to 12
months, small lead rates, every growth kind, seasonality, 0-3 segments whose shares sum to 1,
0-2 partner programs of random kinds, every routing policy and hiring policy, every kind of
distribution for every duration, and sometimes a named strategy. Each one is validated by the
schema (invalid ones are discarded with ``assume``) and simulated for one replication.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from channelsim.errors import ScenarioError
from channelsim.metrics.compute import summary_metrics
from channelsim.model.trace import TRACE_COLUMNS, Tracer
from channelsim.model.world import World
from channelsim.scenario import PARTNER_KINDS, Scenario, loads_scenario

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _num(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def dists(draw: st.DrawFn, lo: float = 0.0, hi: float = 60.0, allow_inf: bool = False) -> Any:
    """A duration: a plain number or a distribution table of any kind."""
    kind = draw(st.sampled_from(["fixed", "exponential", "lognormal", "gamma", "triangular",
                                 "uniform"]))  # fmt: skip
    if kind == "fixed":
        if allow_inf and draw(st.booleans()):
            return math.inf
        return draw(_num(lo, hi))
    if kind == "exponential":
        return {"dist": "exponential", "mean": draw(_num(max(lo, 0.01), hi))}
    if kind in ("lognormal", "gamma"):
        sd_lo = 0.0 if kind == "lognormal" else 0.01
        return {"dist": kind, "mean": draw(_num(max(lo, 0.01), hi)), "sd": draw(_num(sd_lo, hi))}
    a, b, c = sorted(draw(st.lists(_num(lo, hi), min_size=3, max_size=3)))
    assume(a < c)
    if kind == "triangular":
        return {"dist": "triangular", "low": a, "mode": b, "high": c}
    return {"dist": "uniform", "low": a, "high": c}


@st.composite
def demand_tables(draw: st.DrawFn, horizon: int) -> dict[str, Any]:
    growth = draw(st.sampled_from(["none", "linear", "exponential", "logistic", "bass"]))
    leads = draw(_num(0.0, 60.0))
    d: dict[str, Any] = {
        "leads_per_month": leads,
        "growth": growth,
        "patience_days": draw(dists(0.0, 60.0, allow_inf=True)),
        "reputation_sensitivity": draw(_num(0.0, 2.0)),
    }
    if draw(st.booleans()):
        d["seasonality"] = draw(st.lists(_num(0.0, 2.0), min_size=12, max_size=12))
    if growth == "linear":
        d["growth_rate"] = draw(_num(-1.0 / horizon, 0.5))
    elif growth == "exponential":
        d["growth_rate"] = draw(_num(-0.5, 0.3))
    elif growth == "logistic":
        d["growth_rate"] = draw(_num(-0.5, 1.0))
        d["ceiling_leads_per_month"] = leads + draw(_num(0.01, 100.0))
    elif growth == "bass":
        d["market_size"] = draw(_num(1.0, 2000.0))
        d["innovation"] = draw(_num(0.001, 0.2))
        d["imitation"] = draw(_num(0.0, 0.8))
    n_segments = draw(st.integers(0, 3))
    if n_segments:
        weights = draw(st.lists(st.integers(1, 10), min_size=n_segments, max_size=n_segments))
        shares = [w / sum(weights) for w in weights]
        shares[-1] = 1.0 - sum(shares[:-1])
        d["segments"] = [
            {
                "name": f"seg{i}",
                "share": share,
                "deal_size": draw(_num(0.1, 3.0)),
                "win_rate_factor": draw(_num(0.0, 2.0)),
                "channel": draw(st.sampled_from(["any", "direct", "partners"])),
            }
            for i, share in enumerate(shares)
        ]
    return d


@st.composite
def hiring_tables(draw: st.DrawFn) -> dict[str, Any]:
    policy = draw(st.sampled_from(["plan", "demand", "budget"]))
    h: dict[str, Any] = {
        "policy": policy,
        "time_to_hire_days": draw(dists(0.0, 90.0)),
        "max_hires_per_month": draw(st.integers(0, 3)),
        "review_every_days": draw(_num(1.0, 60.0)),
    }
    if policy == "plan":
        months = sorted(draw(st.sets(st.integers(0, 15), min_size=1, max_size=3)))
        h["headcount_plan"] = [[m, draw(st.integers(0, 8))] for m in months]
    elif policy == "demand":
        h["headcount_buffer"] = draw(_num(0.0, 1.0))
    else:
        h["budget_share_of_revenue"] = draw(_num(0.0, 1.0))
        h["budget_window_months"] = draw(st.integers(1, 6))
    return h


@st.composite
def partner_tables(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """A program of a random kind; some keys left to the kind's defaults, sizes kept small."""
    p: dict[str, Any] = {
        "name": name,
        "kind": draw(st.sampled_from(PARTNER_KINDS)),
        "initial": draw(st.integers(0, 8)),
        "recruit_per_month": draw(_num(0.0, 5.0)),
        "max_partners": draw(st.integers(0, 20)),
        "deals_per_partner": draw(st.integers(1, 5)),
        "sourced_leads_per_month": draw(_num(0.0, 4.0)),
    }
    optional = {
        "onboarding_days": dists(0.0, 60.0),
        "activation_rate": _num(0.0, 1.0),
        "churn_annual": _num(0.0, 2.0),
        "sales_cycle_days": dists(0.0, 60.0),
        "win_rate": _num(0.0, 1.0),
        "commission_rate": _num(0.0, 1.0),
        "bounty": _num(0.0, 500.0),
        "discount": _num(0.0, 0.99),
        "network_fee_rate": _num(0.0, 1.0),
        "deal_size_factor": _num(0.1, 3.0),
        "onboarding_cost": _num(0.0, 5000.0),
        "mdf_per_active_partner_month": _num(0.0, 500.0),
        "manager_span": st.integers(1, 30),
        "service_quality": _num(0.0, 1.0),
        "escalation_cost": _num(0.0, 3000.0),
        "message_control": _num(0.0, 1.0),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            p[key] = draw(strategy)
    return p


@st.composite
def scenario_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A scenario as a user could write it (validated later)."""
    horizon = draw(st.integers(1, 12))
    initial = draw(st.integers(0, 5))
    demand = draw(demand_tables(horizon))
    # Reputation is measured against the team's service quality, and the demand candidates
    # are drawn at the best reputation that allows: a quality near 0 with any sensitivity
    # makes a month draw millions of candidates (reported to the lead). Kept out of reach here.
    quality = _num(0.05, 1.0) if demand["reputation_sensitivity"] > 0 else _num(0.0, 1.0)
    data: dict[str, Any] = {
        "scenario": {
            "name": "property",
            "horizon_months": horizon,
            "replications": 1,
            "seed": draw(st.integers(0, 2**32)),
            "discount_rate": draw(_num(0.0, 0.3)),
        },
        "product": {
            "price": draw(_num(1.0, 50_000.0)),
            "unit_cost": draw(_num(0.0, 10_000.0)),
            "deal_size_cv": draw(_num(0.0, 1.0)),
        },
        "demand": demand,
        "routing": {
            "policy": draw(st.sampled_from(["share", "overflow", "segment"])),
            "direct_share": draw(_num(0.0, 1.0)),
            "overflow_queue": draw(st.integers(0, 5)),
        },
        "direct": {
            "initial_reps": initial,
            "max_reps": initial + draw(st.integers(0, 6)),
            "deals_per_rep": draw(st.integers(1, 5)),
            "sales_cycle_days": draw(dists(0.0, 60.0)),
            "win_rate": draw(_num(0.0, 1.0)),
            "ramp_months": draw(_num(0.0, 6.0)),
            "ramp_start_productivity": draw(_num(0.0, 1.0)),
            "attrition_annual": draw(_num(0.0, 2.0)),
            "salary_annual": draw(_num(0.0, 150_000.0)),
            "commission_rate": draw(_num(0.0, 1.0)),
            "recruiting_cost_per_hire": draw(_num(0.0, 30_000.0)),
            "manager_span": draw(st.integers(1, 10)),
            "fixed_cost_per_month": draw(_num(0.0, 10_000.0)),
            "service_quality": draw(quality),
            "escalation_cost": draw(_num(0.0, 2000.0)),
            "message_control": draw(_num(0.0, 1.0)),
            "hiring": draw(hiring_tables()),
        },
        "brand": {
            "refund_rate": draw(_num(0.0, 1.0)),
            "reputation_memory_months": draw(_num(1.0, 12.0)),
        },
    }
    n_programs = draw(st.integers(0, 2))
    data["partners"] = [draw(partner_tables(f"P{i}")) for i in range(n_programs)]
    names = ["direct", "hybrid"] + (["indirect"] if n_programs else [])
    if draw(st.booleans()):
        cap = data["direct"]["max_reps"]
        data["strategies"] = {"lean": {"base": "hybrid", "set": {"direct.max_reps": cap}}}
        names.append("lean")
    data["scenario"]["strategy"] = draw(st.sampled_from(names))
    return data


def _valid(data: dict[str, Any]) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError:
        assume(False)
        raise  # unreachable: assume(False) stops the example


def _simulate(scenario: Scenario) -> tuple[list[str], dict[str, np.ndarray], pd.DataFrame]:
    name = scenario.scenario.strategy
    mode, resolved = scenario.resolve_strategy(name)
    tracer = Tracer([s.name for s in resolved.demand.segments] or ["all"])
    raw = World(resolved, mode, 0, name, tracer).run()
    return raw.channels, raw.arrays, pd.DataFrame(raw.trace, columns=list(TRACE_COLUMNS))


@SETTINGS
@given(scenario_dicts())
def test_invariants_of_any_valid_scenario(data):
    scenario = _valid(data)
    channels, arrays, trace = _simulate(scenario)
    programs = channels[1:]
    months = scenario.scenario.horizon_months

    # nothing negative or undefined in the ledger: counts, stocks, money, headcount, partners
    for field, values in arrays.items():
        assert values.shape == (len(channels), months), field
        assert np.all(np.isfinite(values)), field
        # a lead served at its arrival instant can book a wait of -1e-16 days (the clock
        # reaches t as now + (t - now)); reported to the lead, tolerated here
        floor = -1e-9 if field == "wait_days" else 0.0
        assert np.all(values >= floor), (field, values.min())

    summary = summary_metrics(arrays, programs, scenario.scenario.discount_rate, None)

    # every lead is accounted for, per channel
    for channel, s in summary.items():
        ended = s["sales"] + s["lost_leads"] + s["lost_deals"] + s["open_deals_end"]
        assert s["leads"] == ended, (channel, s["leads"], ended)
        assert s["sourced_leads"] <= s["leads"], channel

    # money follows the sales the trace recorded lead by lead (an independent path)
    factor = {"direct": 1.0, **{p.name: p.deal_size_factor for p in scenario.partners}}
    discount = {"direct": 0.0, **{p.name: p.discount for p in scenario.partners}}
    sold = trace[trace.outcome == "sale"]
    for row, channel in enumerate(channels):
        mine = sold[sold.channel == channel]
        value = float((mine.value * factor[channel]).sum())
        revenue = float(arrays["revenue"][row].sum())
        assert revenue == pytest.approx(value, rel=1e-9, abs=1e-6), channel
        assert float(arrays["discounts"][row].sum()) == pytest.approx(
            discount[channel] * value, rel=1e-9, abs=1e-6
        )
        refunds = float(arrays["refunds"][row].sum())
        assert refunds <= revenue * (1 - discount[channel]) + 1e-6, channel
    assert len(trace) == arrays["leads"].sum()

    # the same seed gives the same numbers, bit for bit
    _, again, _ = _simulate(scenario)
    for field, values in arrays.items():
        np.testing.assert_array_equal(values, again[field], err_msg=field)


OVERRIDABLE = {
    "scenario.horizon_months": st.integers(1, 600),
    "scenario.seed": st.integers(0, 2**40),
    "scenario.name": st.text(min_size=0, max_size=20),
    "product.price": _num(0.01, 1e9),
    "demand.leads_per_month": _num(0.0, 1e6),
    "demand.reputation_sensitivity": _num(0.0, 5.0),
    "demand.patience_days": dists(0.0, 1e4, allow_inf=True),
    "direct.win_rate": _num(0.0, 1.0),
    "direct.sales_cycle_days": dists(0.0, 1e4),
    "direct.hiring.max_hires_per_month": st.integers(0, 100),
    "direct.hiring.time_to_hire_days": dists(0.0, 365.0),
    "routing.policy": st.sampled_from(["share", "overflow", "segment"]),
    "routing.direct_share": _num(0.0, 1.0),
    "brand.refund_rate": _num(0.0, 1.0),
}


def _read(scenario: Scenario, key: str) -> Any:
    value: Any = scenario.to_toml_dict()
    parts = key.split(".")
    if parts[0] == "partners":
        value = next(p for p in value["partners"] if p["name"] == parts[1])
        parts = parts[2:]
    for part in parts:
        value = value[part]
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) or isinstance(b, float):
        return float(a) == float(b)
    return a == b


@st.composite
def overrides(draw: st.DrawFn) -> tuple[dict[str, Any], str, Any]:
    data = draw(scenario_dicts())
    keys = list(OVERRIDABLE)
    if data["partners"]:
        name = data["partners"][0]["name"]
        keys += [f"partners.{name}.commission_rate", f"partners.{name}.sales_cycle_days"]
    key = draw(st.sampled_from(keys))
    if key.endswith("commission_rate"):
        value = draw(_num(0.0, 1.0))
    elif key.endswith("partners.P0.sales_cycle_days"):
        value = draw(dists(0.0, 365.0))
    else:
        value = draw(OVERRIDABLE[key])
    return data, key, value


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides(), st.booleans())
def test_set_then_resolve_gives_the_value_back(case, as_text):
    data, key, value = case
    scenario = _valid(data)
    if as_text:  # the --set form: the value written as TOML text
        from channelsim.scenario import toml_value

        arg: Any = [f"{key}={toml_value(value)}"]
    else:
        arg = {key: value}
    try:
        changed = scenario.with_overrides(arg)
    except ScenarioError:
        assume(False)  # a cross-field rule refuses this value here (e.g. a linear decline)
        raise
    expected = _read(Scenario.model_validate({**data, **_nested(key, value, data)}), key)
    assert _same(_read(changed, key), expected)
    # the resolved scenario, written and read back, holds the same value and is equal
    reloaded = loads_scenario(changed.to_toml())
    assert _same(_read(reloaded, key), expected)
    assert reloaded == changed


def _nested(key: str, value: Any, data: dict[str, Any]) -> dict[str, Any]:
    """``data``'s top-level table of ``key`` with ``key`` set, for an independent reading."""
    import copy

    parts = key.split(".")
    top = copy.deepcopy(data.get(parts[0], {}))
    if parts[0] == "partners":
        program = next(p for p in top if p["name"] == parts[1])
        program[parts[2]] = value
        return {"partners": top}
    node = top
    for part in parts[1:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return {parts[0]: top}
