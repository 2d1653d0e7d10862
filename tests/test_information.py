"""Risk measures, the value-of-information estimators and the closed forms they are checked on."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import qmc

from channelsim import theory
from channelsim.analysis.information import conditional_means, evppi, value_of_information
from channelsim.analysis.risk import Risk, cvar, loss_share, paired_gain, risk_interval, risk_value

# --- risk measures -----------------------------------------------------------------------------


def test_cvar_of_ten_values_by_hand():
    x = np.arange(1.0, 11.0)  # 1..10, higher is better: the worst are the smallest
    assert cvar(x, 0.2) == pytest.approx(1.5)  # (1 + 2) / 2
    assert cvar(x, 0.25) == pytest.approx((1 + 2 + 0.5 * 3) / 2.5)  # a fractional third value
    assert cvar(x, 1.0) == pytest.approx(5.5)  # the mean
    assert cvar(x, 0.01) == pytest.approx(1.0)  # less than one value: the worst
    assert cvar(x, 0.2, lower_is_better=True) == pytest.approx(9.5)  # the worst are the largest
    assert math.isnan(cvar(np.array([np.nan]), 0.1))
    assert cvar(np.array([3.0, np.nan, 1.0]), 0.5) == pytest.approx(1.0)  # NaN left out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40),
    st.floats(0.01, 1.0),
    st.floats(0.01, 1.0),
)
def test_cvar_lies_between_the_worst_value_and_the_mean_and_falls_with_the_tail(xs, a, b):
    x = np.array(xs)
    lo, hi = sorted((a, b))
    tol = 1e-9 * (1 + np.abs(x).max())
    assert x.min() - tol <= cvar(x, lo) <= cvar(x, hi) + tol <= x.mean() + 2 * tol


def test_loss_share_and_its_wilson_interval():
    x = np.array([-1.0, 2.0, 3.0, -0.5, 4.0, np.nan])
    assert loss_share(x) == pytest.approx(2 / 5)
    value, low, high = risk_interval(x, Risk("p_loss"))
    n, p, z = 5, 0.4, 1.959963984540054  # Wilson's score interval by hand
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert (value, low, high) == pytest.approx((0.4, centre - half, centre + half), rel=1e-6)


def test_mean_interval_is_student_t_and_the_paired_gain_uses_the_pairs():
    rng = np.random.default_rng(4)
    common = rng.normal(1000, 300, 30)  # shared by both (common random numbers)
    a, b = common + 50 + rng.normal(0, 5, 30), common + rng.normal(0, 5, 30)
    value, low, high = risk_interval(a, Risk("mean"))
    ci = theory.student_t_ci(a)
    assert (value, low, high) == pytest.approx((ci.mean, ci.low, ci.high))
    gain, g_low, g_high = paired_gain(a, b, Risk("mean"))
    assert gain == pytest.approx(a.mean() - b.mean())
    assert g_low < 50 < g_high and g_high - g_low < 0.1 * (high - low)  # pairing removes `common`


def test_bootstrap_intervals_are_reproducible_and_cover_a_shifted_cvar():
    rng = np.random.default_rng(9)
    base = rng.normal(0, 1, 200)
    first = risk_interval(base, Risk("cvar", 0.1), seed=3)
    assert first == risk_interval(base, Risk("cvar", 0.1), seed=3)
    assert first[1] <= first[0] <= first[2]
    gain, low, high = paired_gain(base + 2.0, base, Risk("cvar", 0.1), seed=3)
    assert gain == pytest.approx(2.0) and low == pytest.approx(2.0) and high == pytest.approx(2.0)
    gain, low, high = paired_gain(base, base, Risk("p_loss"))
    assert (gain, low, high) == (0.0, 0.0, 0.0)


def test_risk_values_by_kind():
    x = np.array([-2.0, 1.0, 4.0, 5.0])
    assert risk_value(x, Risk("mean")) == 2.0
    assert risk_value(x, Risk("p_loss")) == 0.25
    assert risk_value(x, Risk("cvar", 0.5)) == -0.5
    assert Risk("cvar", 0.1).label("npv") == "CVaR 10% of npv"
    assert not Risk("p_loss").higher_is_better(False)
    assert not Risk("mean").higher_is_better(True)


# --- closed forms ------------------------------------------------------------------------------


def test_best_direct_share_is_the_maximum_of_the_share_routing_value():
    args = (10, 15.0, 1.0, 475.0, 225.0)
    best = theory.best_direct_share(*args)
    grid = np.linspace(0, 1, 20001)
    values = [theory.share_routing_value(s, *args) for s in grid]
    assert best == pytest.approx(grid[int(np.argmax(values))], abs=1e-4)
    # the team's served share is 1 - Erlang B at the offered load s * lambda * E[S]
    s = 0.4
    expected = 15 * (s * (1 - theory.erlang_b(10, s * 15)) * 475 + (1 - s) * 225)
    assert theory.share_routing_value(s, *args) == pytest.approx(expected)
    assert theory.best_direct_share(10, 15.0, 1.0, 200.0, 225.0) == 0.0  # partners pay more
    assert theory.best_direct_share(100, 15.0, 1.0, 475.0, 225.0) == 1.0  # the team never fills


def test_evpi_linear_uniform_matches_a_fine_quadrature():
    theta = (np.arange(200_000) + 0.5) / 200_000 * 0.3 + 0.05  # U(0.05, 0.35), midpoints
    inb = theta - 0.25
    direct = np.maximum(inb, 0).mean() - max(inb.mean(), 0)
    assert theory.evpi_linear_uniform(-0.25, 1.0, 0.05, 0.35) == pytest.approx(direct, rel=1e-6)
    assert theory.evpi_linear_uniform(-0.25, 1.0, 0.05, 0.35) == pytest.approx(0.01 / 0.6)
    assert theory.evpi_linear_uniform(1.0, 1.0, 0.0, 1.0) == 0.0  # never changes the choice
    with pytest.raises(ValueError):
        theory.evpi_linear_uniform(0, 1, 1, 1)


# --- value of information ----------------------------------------------------------------------


def test_a_three_sample_table_by_hand():
    nb = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0]])
    est = value_of_information(nb, ["A", "B"], {}, resamples=0)
    assert est.prob_best["A"].value == pytest.approx(2 / 3)
    assert est.expected_loss["A"].value == pytest.approx(1 / 3)  # loses 1 in the second sample
    assert est.expected_loss["B"].value == pytest.approx(1.0)  # loses 1, then 2: 3 / 3
    assert est.evpi.value == pytest.approx(4 / 3 - 1)  # mean of the best - the best mean
    assert est.best == "A"


def _linear_case(n: int, seed: int, noise: float = 3000.0):
    rng = np.random.default_rng(seed)
    u = qmc.LatinHypercube(2, rng=rng).random(n)
    theta, other = 0.05 + 0.3 * u[:, 0], u[:, 1]
    revenue = 1e6
    nb = np.column_stack(
        [revenue * (1 - theta) + rng.normal(0, noise, n), 0.75 * revenue + rng.normal(0, noise, n)]
    )
    return nb, theta, other, revenue * theory.evpi_linear_uniform(-0.25, 1.0, 0.05, 0.35)


def test_evpi_and_evppi_recover_the_closed_form_of_a_linear_decision():
    nb, theta, other, expected = _linear_case(512, 1)
    est = value_of_information(nb, ["indirect", "fixed"], {"theta": theta, "other": other}, seed=2)
    assert est.evpi.value == pytest.approx(expected, rel=0.03)
    assert est.evppi["theta"].value == pytest.approx(expected, rel=0.03)
    assert est.evpi.ci_low < expected < est.evpi.ci_high
    assert est.evppi["other"].value < 0.02 * expected


def test_an_input_that_changes_nothing_is_worth_about_1_percent_of_evpi_on_64_samples():
    # the figure quoted in channelsim.analysis.information's docstring
    shares = []
    for seed in range(20):
        nb, theta, other, expected = _linear_case(64, seed)
        shares.append(evppi(other, nb) / expected)
    assert np.mean(shares) < 0.02


def test_a_discrete_input_is_regressed_on_its_values_as_categories():
    phi = np.array([1, 1, 2, 2, 3, 3], dtype=float)
    y = np.array([0.0, 2.0, 5.0, 7.0, -1.0, 1.0])
    assert conditional_means(phi, y) == pytest.approx([1, 1, 6, 6, 0, 0])
    # knowing phi: best of (0 vs 1), (0 vs 6), (0 vs 0) = 7/3; without: max(0, mean 7/3)
    nb = np.column_stack([np.zeros(6), y])
    assert evppi(phi, nb) == pytest.approx(0.0)
    nb = np.column_stack([np.zeros(6), y - 3])  # now the second strategy is worse on average
    assert evppi(phi, nb) == pytest.approx(((0 + 3 + 0) / 3) - 0)


def test_a_smooth_signal_is_followed_and_noise_is_not():
    x = np.linspace(0, 1, 200)
    rng = np.random.default_rng(0)
    fitted = conditional_means(x, np.sin(3 * x) + rng.normal(0, 0.1, 200))
    assert np.abs(fitted - np.sin(3 * x)).max() < 0.08
    flat = conditional_means(x, rng.normal(0, 1, 200))
    assert np.ptp(flat) < 0.6  # a constant or a line, not the noise


def test_intervals_are_reproducible_and_bad_tables_are_refused():
    nb, theta, other, _ = _linear_case(64, 5)
    a = value_of_information(nb, ["x", "y"], {"theta": theta}, seed=7, resamples=199)
    b = value_of_information(nb, ["x", "y"], {"theta": theta}, seed=7, resamples=199)
    assert a == b
    with pytest.raises(ValueError):
        value_of_information(nb, ["x"], {})
    with pytest.raises(ValueError):
        value_of_information(nb, ["x", "y"], {"theta": theta[:10]})
    with pytest.raises(ValueError):
        value_of_information(nb * np.nan, ["x", "y"], {})
