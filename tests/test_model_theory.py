"""The model against queueing theory and Little's law (statistical; fixed seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from channelsim import theory
from channelsim.analysis.intervals import confidence_intervals
from channelsim.experiments.replications import simulate
from channelsim.model.ledger import MONTH
from channelsim.model.world import World
from tests.conftest import queue_data


def _direct(result, metric: str) -> np.ndarray:
    reps = result.replications
    return reps[reps.channel == "direct"][metric].to_numpy()


def _assert_in_ci(values: np.ndarray, expected: float, what: str) -> None:
    mean, _, low, high, n = confidence_intervals(values)
    assert n[0] >= 5
    assert low[0] <= expected <= high[0], (
        f"{what}: theory {expected:.4f} outside simulated 95% CI "
        f"[{low[0]:.4f}, {high[0]:.4f}] (mean {mean[0]:.4f})"
    )


@pytest.mark.slow
@pytest.mark.parametrize("lam", [5.0, 7.0, 9.0])
def test_mean_wait_matches_erlang_c(make_scenario, lam):
    c, mu = 10, 1.0
    sc = make_scenario(queue_data(c, lam, 1 / mu, months=60, reps=10))
    result = simulate(sc, "direct")
    waits = _direct(result, "mean_wait_days")
    _assert_in_ci(waits, theory.mmc_mean_wait(lam, mu, c), f"Erlang C wait at load {lam / c}")
    # with infinite patience nobody is lost before a seller
    assert _direct(result, "lost_leads").sum() == 0


@pytest.mark.slow
@pytest.mark.parametrize("mean_patience", [1.0, 0.25])
def test_lost_lead_share_matches_erlang_a(make_scenario, mean_patience):
    c, mu, lam = 10, 1.0, 10.0
    patience = {"dist": "exponential", "mean": mean_patience}
    sc = make_scenario(queue_data(c, lam, 1 / mu, patience=patience, months=36, reps=10))
    result = simulate(sc, "direct")
    expected = theory.erlang_a(lam, mu, c, 1 / mean_patience)
    _assert_in_ci(_direct(result, "lost_lead_share"), expected.p_abandon, "Erlang A abandonment")
    _assert_in_ci(_direct(result, "mean_wait_days"), expected.mean_wait_served, "Erlang A wait")


def test_littles_law_on_the_sales_force(make_scenario):
    """Mean busy slots = throughput x mean cycle (utilization x slots vs served x cycle)."""
    c, lam, cycle = 8, 6.0, 1.0
    sc = make_scenario(queue_data(c, lam, cycle, months=24, reps=6))
    busy, expected = [], []
    for rep in range(6):
        world = World(sc, "direct", rep)
        raw = world.run().arrays
        days = sc.scenario.horizon_months * MONTH
        busy.append(raw["busy_slot_days"][0].sum() / days)
        # deals started per day x mean cycle, by Little's law
        expected.append(raw["served"][0].sum() / days * cycle)
    busy, expected = np.array(busy), np.array(expected)
    _assert_in_ci(busy - expected, 0.0, "busy slots - throughput x cycle")
    assert abs(busy.mean() - lam * cycle) < 0.05 * lam * cycle


@pytest.mark.parametrize("initial", [48, 10])
def test_headcount_under_binding_recruiting_capacity(make_scenario, initial):
    """Hires capped at 2 a month, attrition 50% a year: headcount -> 24 / 0.5 = 48 (Little)."""
    data = queue_data(1, 0.0, 1.0, months=120, reps=8)
    data["direct"].update(
        initial_reps=initial,
        max_reps=1000,
        attrition_annual=0.5,
        hiring={
            "policy": "plan",
            "headcount_plan": [[0, 1000]],
            "max_hires_per_month": 2,
            "time_to_hire_days": 10,
            "review_every_days": 15,
        },
    )
    data["demand"]["leads_per_month"] = 0.0
    sc = make_scenario(data)
    months = np.arange(120)
    path = theory.headcount_path((months + 0.5) / 12, initial, 24, 0.5)
    gaps = []
    for rep in range(8):
        raw = World(sc, "direct", rep).run().arrays
        mean_headcount = raw["seller_days"][0] / MONTH
        hires = raw["hires"][0]
        assert hires.max() <= 2  # recruiting capacity is never exceeded
        gaps.append((mean_headcount[36:] - path[36:]).mean())
    assert theory.steady_headcount(24, 0.5) == 48
    _assert_in_ci(np.array(gaps), 0.0, "headcount - Little's-law path")
