"""What is left of a duration that has already lasted: survival functions and their inverse.

Checked against scipy.stats (an independent implementation of each family), against hand
cases (a fixed cycle, a uniform one) and against the exponential's memorylessness.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from channelsim.distributions import (
    SURVIVAL_FLOOR,
    Beta,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
)


def _lognormal_scipy(mean: float, sd: float):
    s2 = math.log1p((sd / mean) ** 2)
    return stats.lognorm(math.sqrt(s2), scale=math.exp(math.log(mean) - s2 / 2))


def _gamma_scipy(mean: float, sd: float):
    shape = (mean / sd) ** 2
    return stats.gamma(shape, scale=mean / shape)


FAMILIES = [
    (Exponential(dist="exponential", mean=30), stats.expon(scale=30), 400),
    (Lognormal(dist="lognormal", mean=45, sd=20), _lognormal_scipy(45, 20), 400),
    (Gamma(dist="gamma", mean=45, sd=20), _gamma_scipy(45, 20), 400),
    (Gamma(dist="gamma", mean=10, sd=30), _gamma_scipy(10, 30), 400),  # shape < 1
    (Triangular(dist="triangular", low=10, mode=30, high=90), stats.triang(0.25, 10, 80), 95),
    (Triangular(dist="triangular", low=10, mode=10, high=90), stats.triang(0.0, 10, 80), 95),
    (Uniform(dist="uniform", low=10, high=60), stats.uniform(10, 50), 65),
]


@pytest.mark.parametrize(("spec", "ref", "top"), FAMILIES, ids=lambda x: repr(x)[:24])
def test_survival_and_its_inverse_match_scipy(spec, ref, top):
    x = np.linspace(0, top, 301)
    assert np.allclose(spec.survival(x), ref.sf(x), rtol=1e-9, atol=1e-12)
    assert np.allclose(spec.cdf(x), ref.cdf(x), rtol=1e-9, atol=1e-12)
    p = np.array([1e-10, 1e-6, 0.01, 0.2, 0.5, 0.8, 0.99, 1.0])
    assert np.allclose(spec.inverse_survival(p), ref.isf(p), rtol=1e-8, atol=1e-9)


def test_beta_survival_matches_scipy():
    spec = Beta(dist="beta", a=2, b=5)
    x = np.linspace(0, 1, 51)
    assert np.allclose(spec.survival(x), stats.beta(2, 5).sf(x), atol=1e-12)
    p = np.array([1e-8, 0.3, 0.9])
    assert np.allclose(spec.inverse_survival(p), stats.beta(2, 5).isf(p))


def test_a_far_tail_keeps_its_digits():
    """S(a) of 1e-12 is not rounded to 0 (1 - cdf would be)."""
    spec = Lognormal(dist="lognormal", mean=45, sd=20)
    ref = _lognormal_scipy(45, 20)
    a = float(ref.isf(1e-12))
    assert spec.survival(np.array([a]))[0] == pytest.approx(1e-12, rel=1e-6)


def test_a_fixed_cycle_leaves_exactly_the_rest():
    spec = Fixed(value=50)
    ages = np.array([0.0, 20.0, 20.0, 49.5, 50.0, 80.0])
    rest = spec.remaining(ages, np.full(ages.size, 0.37))
    assert rest.tolist() == [50.0, 30.0, 30.0, 0.5, 0.0, 0.0]  # past the support: at once


def test_a_uniform_cycle_leaves_a_uniform_rest():
    """Given T > a with T ~ U(10, 60) and a = 40, T is U(40, 60): the rest is U(0, 20)."""
    spec = Uniform(dist="uniform", low=10, high=60)
    rng = np.random.default_rng(1)
    rest = spec.remaining(np.full(20_000, 40.0), 1.0 - rng.random(20_000))
    assert rest.min() >= 0 and rest.max() <= 20
    assert stats.kstest(rest, stats.uniform(0, 20).cdf).pvalue > 1e-3
    # before the support starts, the whole cycle is left
    rest = spec.remaining(np.full(20_000, 4.0), 1.0 - rng.random(20_000))
    assert stats.kstest(rest, stats.uniform(6, 50).cdf).pvalue > 1e-3


@pytest.mark.parametrize("age", [0.0, 25.0, 200.0])
def test_an_exponential_cycle_is_memoryless(age):
    spec = Exponential(dist="exponential", mean=30)
    rng = np.random.default_rng(int(age) + 3)
    n = 20_000
    rest = spec.remaining(np.full(n, age), 1.0 - rng.random(n))
    assert abs(rest.mean() - 30) < 4 * 30 / math.sqrt(n)
    assert stats.kstest(rest, stats.expon(scale=30).cdf).pvalue > 1e-3


@pytest.mark.parametrize(
    ("spec", "ref"),
    [
        (Lognormal(dist="lognormal", mean=45, sd=20), _lognormal_scipy(45, 20)),
        (Lognormal(dist="lognormal", mean=45, sd=60), _lognormal_scipy(45, 60)),
        (Gamma(dist="gamma", mean=45, sd=20), _gamma_scipy(45, 20)),
    ],
    ids=["lognormal", "lognormal-wide", "gamma"],
)
@pytest.mark.parametrize("age", [10.0, 60.0, 150.0])
def test_the_rest_follows_the_cycle_conditioned_on_survival(spec, ref, age):
    """P(R <= r) = 1 - S(a + r) / S(a), with scipy's S."""
    rng = np.random.default_rng(int(age))
    n = 20_000
    rest = spec.remaining(np.full(n, age), 1.0 - rng.random(n))
    assert (rest >= 0).all()

    def conditional_cdf(r):
        return 1.0 - ref.sf(age + np.asarray(r)) / ref.sf(age)

    assert stats.kstest(rest, conditional_cdf).pvalue > 1e-3
    # and it is not the unconditioned cycle (the test can tell them apart)
    assert stats.kstest(rest, ref.cdf).pvalue < 1e-6


def test_an_age_the_cycle_almost_never_reaches_ends_at_once():
    spec = Lognormal(dist="lognormal", mean=45, sd=20)
    ref = _lognormal_scipy(45, 20)
    too_old = float(ref.isf(SURVIVAL_FLOOR / 10))
    just_in = float(ref.isf(SURVIVAL_FLOOR * 10))
    rest = spec.remaining(np.array([too_old, just_in]), np.array([0.5, 0.5]))
    assert rest[0] == 0.0
    assert rest[1] > 0.0
