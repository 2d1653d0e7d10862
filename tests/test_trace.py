"""The opt-in per-lead trace: same numbers as an untraced run, and it adds up to the ledger."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from channelsim import load_scenario, simulate
from channelsim.model.ledger import MONTH
from channelsim.model.trace import TRACE_COLUMNS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def scenario():
    sc = load_scenario(ROOT / "scenarios" / "saas_midmarket.toml")
    # 14 months: reps leave mid-cycle (attrition) and partners churn, so disruptions occur
    return sc.with_overrides({"scenario.horizon_months": 14, "scenario.replications": 2})


@pytest.fixture(scope="module")
def traced(scenario):
    return simulate(scenario, ["direct", "indirect", "hybrid"], trace=True)


def test_tracing_changes_no_number(scenario, traced):
    plain = simulate(scenario, ["direct", "indirect", "hybrid"])
    assert plain.trace is None
    pd.testing.assert_frame_equal(plain.summary, traced.summary)
    pd.testing.assert_frame_equal(plain.monthly, traced.monthly)


def test_every_lead_of_the_ledger_is_in_the_trace_with_its_fate(traced):
    trace = traced.trace
    assert list(trace.columns) == ["strategy", "replication", *TRACE_COLUMNS]
    fates = trace.groupby(["strategy", "replication", "channel", "outcome"]).size()
    fates = fates.unstack(fill_value=0)
    reps = traced.replications.set_index(["strategy", "replication", "channel"])
    checked = 0
    for key, row in fates.iterrows():
        ledger = reps.loc[key]
        assert row.sum() == ledger["leads"], key
        assert row.get("sale", 0) == ledger["sales"], key
        assert row.get("lost_deal", 0) == ledger["lost_deals"], key
        assert row.get("reneged", 0) == ledger["lost_leads"], key
        assert row.get("open", 0) == ledger["open_deals_end"], key
        checked += 1
    assert checked >= 6
    sourced = trace[trace.source == "partner"].groupby(["strategy", "replication"]).size()
    totals = reps.xs("total", level="channel")["sourced_leads"]
    for key, n in sourced.items():
        assert n == totals.loc[key]
    assert len(sourced) > 0


def test_waits_and_times_are_consistent(traced):
    t = traced.trace
    started = t.dropna(subset=["start_day"])
    assert (started.start_day >= started.arrival_day).all()
    np.testing.assert_allclose(started.wait_days, started.start_day - started.arrival_day)
    ended = t[t.outcome != "open"]
    assert ended.end_day.notna().all()
    assert (ended.end_day >= ended.arrival_day).all()
    assert t[t.outcome == "reneged"].start_day.isna().all()
    assert t[t.outcome.isin(["sale", "lost_deal"])].start_day.notna().all()
    assert (t.disruptions > 0).any()  # rep attrition and partner churn do happen in 14 months
    # the ledger's mean wait is the trace's mean wait of the leads that reached a seller
    reps = traced.replications.set_index(["strategy", "replication", "channel"])
    means = started.groupby(["strategy", "replication", "channel"]).wait_days.mean()
    for key, mean in means.items():
        assert mean == pytest.approx(reps.loc[key, "mean_wait_days"], rel=1e-9)
    # lead numbers follow arrival order within a replication
    for _, grp in t.groupby(["strategy", "replication"]):
        assert (grp.lead.to_numpy() == np.arange(len(grp))).all()
        assert (np.diff(grp.arrival_day.to_numpy()) >= 0).all()


def test_trace_is_the_same_bytes_whatever_the_workers(tmp_path, scenario):
    one = simulate(scenario, "hybrid", trace=True, jobs=1).save(tmp_path / "one")
    two = simulate(scenario, "hybrid", trace=True, jobs=2).save(tmp_path / "two")
    data = (one / "trace.csv").read_bytes()
    assert data == (two / "trace.csv").read_bytes()
    assert data.startswith(b"strategy,replication,lead,source,segment,channel,")


def test_the_waiting_integral_is_the_sum_of_every_queued_lead_s_wait(scenario):
    """``waiting_lead_days`` (time integral of the queue, kept without an event per lead) equals
    the waits of the trace, lead by lead, including leads that gave up or still wait at the end.

    Without attrition or churn no deal is disrupted, so each lead waits at most once."""
    calm = scenario.with_overrides({"direct.attrition_annual": 0, "partners.VARs.churn_annual": 0})
    result = simulate(calm, ["direct", "indirect"], trace=True)
    t = result.trace
    assert t.disruptions.sum() == 0
    horizon = calm.scenario.horizon_months * MONTH
    queued = t[t.wait_days.isna() | (t.wait_days > 0)]
    left = queued.start_day.fillna(queued.end_day).fillna(horizon)  # served, gave up, or open
    waits = (
        (left - queued.arrival_day)
        .groupby([queued.strategy, queued.replication, queued.channel])
        .sum()
    )
    ledger = result.replications.set_index(["strategy", "replication", "channel"])
    assert len(waits) >= 4
    for key, total in waits.items():
        assert ledger.loc[key, "waiting_lead_days"] == pytest.approx(total, rel=1e-9), key
