"""The estimators on data whose truth is known: censored cycles, lead curves, sellers' loads.

Samples are drawn here from known distributions and processes (not from the code under test),
so each check compares an estimate with the number that generated the data.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from channelsim.calibration.cycle import CycleData, fit_cycle
from channelsim.calibration.leads import fit_leads, monthly_leads
from channelsim.calibration.sellers import owners
from channelsim.model.ledger import MONTH


def _lognormal(rng, mean, sd, n):
    s2 = math.log1p((sd / mean) ** 2)
    return rng.lognormal(math.log(mean) - s2 / 2, math.sqrt(s2), n)


@pytest.mark.slow
def test_censored_mle_recovers_a_lognormal_where_the_naive_fit_is_biased_short():
    """Deals opened uniformly over 200 days, cycles lognormal(mean 90, sd 60), export at day
    200: about half are still open. Over 20 exports the censored fit's interval covers the
    true mean about 95% of the time and its estimates centre on it; the naive fit on closed
    deals centres far below (the long cycles are the ones still running)."""
    rng = np.random.default_rng(2024)
    mean, sd, horizon = 90.0, 60.0, 200.0
    censored, naive, covered, open_share, below = [], [], 0, [], 0
    for _ in range(20):
        created = rng.uniform(0, horizon, 500)
        cycle = _lognormal(rng, mean, sd, 500)
        done = created + cycle <= horizon
        data = CycleData(np.floor(cycle[done]), horizon - created[~done])
        fit = fit_cycle("direct", "direct.sales_cycle_days", data)
        assert fit is not None and fit.naive is not None
        censored.append(fit.estimate.value)
        naive.append(fit.naive.mean)
        covered += fit.estimate.covers(mean)
        below += fit.naive.mean < fit.estimate.low  # the naive answer is outside the interval
        open_share.append((~done).mean())
        assert fit.estimate.extra["naive_mean"] == fit.naive.mean
    assert np.mean(open_share) > 0.4
    assert covered >= 17  # 95% coverage: 17 or more of 20 has probability 0.98
    assert abs(np.mean(censored) - mean) < 0.05 * mean
    assert np.mean(naive) < 0.8 * mean  # the naive fit is far too short
    assert below == 20


def test_censored_fit_chooses_the_family_that_made_the_data():
    rng = np.random.default_rng(5)
    created = rng.uniform(0, 400, 3000)
    shape, scale = 4.0, 15.0  # gamma with mean 60, sd 30
    cycle = rng.gamma(shape, scale, 3000)
    done = created + cycle <= 400
    fit = fit_cycle("x", "k", CycleData(cycle[done], 400 - created[~done]))
    assert fit.chosen.family == "gamma"
    assert fit.chosen.mean == pytest.approx(60, rel=0.05)
    assert fit.chosen.sd == pytest.approx(30, rel=0.08)
    assert fit.estimate.written == {
        "dist": "gamma",
        "mean": round(fit.chosen.mean, 3),
        "sd": round(fit.chosen.sd, 3),
    }
    km_days, km_open = fit.kaplan_meier()
    # the Kaplan-Meier curve and the fit agree where most deals have closed
    at = np.searchsorted(km_days, 60)
    assert km_open[at] == pytest.approx(fit.chosen.frozen().sf(km_days[at]), abs=0.03)


def test_same_day_closes_are_not_a_zero_cycle():
    """Dates to the day: a deal closed the day it opened took under a day, not 0 (a lognormal
    or gamma has no mass at 0); they count as interval-censored in (0, 1]."""
    rng = np.random.default_rng(9)
    created = rng.uniform(0, 100, 4000)
    days = np.floor(created + rng.exponential(3.0, 4000)) - np.floor(created)  # dates' difference
    fit = fit_cycle("x", "k", CycleData(days, np.empty(0)))
    assert (days == 0).sum() > 600
    assert fit.estimate.value == pytest.approx(3.0, rel=0.06)


def _created(rng, start, months, rate_fn):
    """Poisson arrivals at rate_fn(t) leads a month (t in simulated months), by thinning."""
    top = max(rate_fn(t) for t in np.linspace(0, months, 200)) * 1.01
    n = rng.poisson(top * months)
    t = np.sort(rng.uniform(0, months, n))
    keep = rng.uniform(0, top, n) < np.array([rate_fn(x) for x in t])
    return pd.Series(start + pd.to_timedelta(t[keep] * MONTH, unit="D"))


def test_edge_months_cut_by_the_export_are_left_out_and_said():
    rng = np.random.default_rng(1)
    created = _created(rng, pd.Timestamp("2024-01-15"), 12.5, lambda t: 60.0)
    as_of = pd.Timestamp("2025-01-20")
    data = monthly_leads(created, as_of)
    assert str(data.months[0]) == "2024-01" and str(data.months[-1]) == "2025-01"
    assert not data.used[0] and not data.used[-1] and data.used[1:-1].all()
    assert any("2024-01" in c and "mid-month" in c for c in data.cut)
    assert any("2025-01" in c for c in data.cut)
    fit = fit_leads(created, as_of, 36)
    est = fit.estimates[0]
    assert est.key == "demand.leads_per_month" and est.covers(60.0)
    assert fit.chosen == "none"


def test_exponential_growth_is_found_and_rebased_to_the_export_date():
    rng = np.random.default_rng(3)
    start = pd.Timestamp("2023-01-01")
    created = _created(rng, start, 18, lambda t: 50 * 1.06**t)
    as_of = start + pd.Timedelta(days=18 * MONTH)
    fit = fit_leads(created, as_of, 36)
    keys = {e.key: e for e in fit.estimates}
    assert keys["demand.growth"].written == "exponential"
    t_asof = ((as_of - fit.data.origin) / pd.Timedelta(days=1)) / MONTH
    assert keys["demand.leads_per_month"].covers(50 * 1.06**t_asof)
    assert keys["demand.growth_rate"].covers(0.06)
    # the curve moved back to the history's start gives the rate there
    assert fit.rate(start) == pytest.approx(50, rel=0.15)


def test_seasonality_is_fitted_with_two_years_and_written_by_calendar_month():
    rng = np.random.default_rng(4)
    season = np.array([1.3, 1.2, 1.1, 1.0, 0.9, 0.8, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2])
    season = season / season.mean()
    start = pd.Timestamp("2022-01-01")
    created = _created(
        rng,
        start,
        36,
        lambda t: 200 * season[(start + pd.Timedelta(days=t * MONTH)).month - 1],
    )
    as_of = pd.Timestamp("2024-12-31")
    fit = fit_leads(created, as_of, 24)
    assert fit.seasonality is not None and "seasonality" in fit.chosen
    # each factor rests on three Januaries (Februaries...) of about 200 x factor leads each
    sd = season / np.sqrt(3 * 200 * season)
    assert np.all(np.abs(np.array(fit.seasonality) - season) < 4 * sd)
    keys = fit.demand_at(as_of)
    # calendar order whatever the start; the simulation starting at the end of December
    # enters it in January, one starting on 1 June (its month's middle on 16 June) in June
    assert keys["demand.seasonality"] == pytest.approx(fit.seasonality, abs=1e-4)
    assert int(np.argmax(keys["demand.seasonality"])) == 0  # January is the peak
    assert keys["scenario.start_month"] == 1
    later = fit.demand_at(pd.Timestamp("2024-06-01"))
    assert later["demand.seasonality"] == keys["demand.seasonality"]
    assert later["scenario.start_month"] == 6
    assert fit.demand_at(pd.Timestamp("2024-06-20"))["scenario.start_month"] == 7


def test_owner_load_and_activity_by_hand():
    """Rep a works deals on [Jan 1, Jan 11), [Jan 5, Jan 20), [Jan 10, open): three at once
    from Jan 10 to Jan 11 only; rep b had one deal long ago and is gone."""
    d = pd.Timestamp
    frame = pd.DataFrame(
        {
            "created": [d("2024-01-01"), d("2024-01-05"), d("2024-01-10"), d("2023-06-01")],
            "closed": [d("2024-01-11"), d("2024-01-20"), pd.NaT, d("2023-07-01")],
            "outcome": ["won", "lost", "open", "won"],
            "owner": ["a", "a", "a", "b"],
            "channel": ["direct"] * 4,
        }
    )
    table = owners(frame, d("2024-01-31")).table.set_index("owner")
    assert table.loc["a", "active"] and not table.loc["b", "active"]
    assert table.loc["a", "open_now"] == 1
    # a's days: 1 open Jan 1-4 (4 days), 2 Jan 5-9 (5), 3 on Jan 10 (1), 2 Jan 11-19 (9),
    # 1 Jan 20-31 (12): the busiest 10% of 31 days reach 2, the mean is 52 / 31
    assert table.loc["a", "peak"] == 2
    assert table.loc["a", "mean_load"] == pytest.approx((4 + 10 + 3 + 18 + 12) / 31)
