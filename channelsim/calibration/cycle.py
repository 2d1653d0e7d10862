"""The sales cycle with right-censoring, and what to do with stale deals.

**Why censoring.** An export holds the deals still open at its date. Their cycle is not known,
only that it is longer than their age. Fitting the closed deals alone keeps the short cycles
and drops the long ones still running: it is biased short, the more so the younger the
history. So each family the schema offers for a duration (exponential, lognormal, gamma) is fitted
by maximum likelihood to the closed deals' cycles *and* the open deals' ages as right-censored
observations (``dist.fit(scipy.stats.CensoredData(...), floc=0)``); the family with the lowest
AIC is written. A cycle of 0 days (closed the day it was opened, with dates to the day) is
interval-censored in (0, 1] day. The naive fit (closed deals only, same family) is reported
beside it, never written. The Kaplan-Meier curve of the plot is
``scipy.stats.ecdf(CensoredData).sf``.

**The interval** of the mean comes from the observed information of the censored likelihood in
(log mean, log sd), by the delta method (:mod:`.estimate`).

**Stale deals.** A real pipeline holds deals nobody closed: open far longer than any deal ever
took to close. An open deal is *stale* when its age exceeds ``stale_after`` days; the default
is :data:`STALE_FACTOR` times the longest closed cycle of its channel. Stale deals are counted
as lost at age ``stale_after`` (a CRM's zombie deal is almost always a loss nobody recorded);
``stale_after = inf`` keeps them open, censored at their age. The output says how many there
were and how the win rate and the cycle mean would move if they were kept open instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from channelsim.calibration.estimate import Estimate, observed_information_interval

__all__ = [
    "FAMILIES",
    "STALE_FACTOR",
    "CycleData",
    "CycleFit",
    "apply_stale",
    "cycle_data",
    "fit_cycle",
    "stale_threshold",
]

STALE_FACTOR = 2.0
"""Default ``--stale-after``: this many times the longest closed cycle of the channel."""

FAMILIES = ("exponential", "lognormal", "gamma")
"""Duration families of the schema that the cycle fit considers."""

_DAY = pd.Timedelta(days=1)


@dataclass
class CycleData:
    """Cycles of one channel: closed deals' durations and open deals' ages, in days."""

    closed: np.ndarray
    open_ages: np.ndarray

    @property
    def n(self) -> int:
        """Deals in all."""
        return len(self.closed) + len(self.open_ages)

    def censored(self, closed_only: bool = False) -> stats.CensoredData:
        """The observations as ``scipy.stats.CensoredData`` (0-day cycles in (0, 1])."""
        zero = self.closed <= 0
        interval = np.column_stack([np.zeros(zero.sum()), np.ones(zero.sum())])
        right = np.empty(0) if closed_only else np.maximum(self.open_ages, 0.5)
        return stats.CensoredData(uncensored=self.closed[~zero], right=right, interval=interval)


def cycle_data(frame: pd.DataFrame, as_of: pd.Timestamp) -> CycleData:
    """Closed cycles and open ages of the deals in ``frame`` (one channel)."""
    done = frame[frame.outcome != "open"]
    still = frame[frame.outcome == "open"]
    closed = np.asarray((done.closed - done.created) / _DAY, dtype=float)
    ages = np.asarray((as_of - still.created) / _DAY, dtype=float)
    return CycleData(closed, ages)


def stale_threshold(frame: pd.DataFrame, stale_after: float | None) -> float:
    """``stale_after``, or the default: :data:`STALE_FACTOR` x the longest closed cycle."""
    if stale_after is not None:
        return float(stale_after)
    done = frame[frame.outcome != "open"]
    longest = float(((done.closed - done.created) / _DAY).max()) if len(done) else math.inf
    return STALE_FACTOR * max(longest, 1.0)


def apply_stale(frame: pd.DataFrame, as_of: pd.Timestamp, threshold: float) -> pd.DataFrame:
    """Open deals older than ``threshold`` days become lost at that age (``inf``: none)."""
    if not math.isfinite(threshold):
        return frame
    age = (as_of - frame.created) / _DAY
    stale = (frame.outcome == "open") & (age > threshold)
    if not stale.any():
        return frame
    out = frame.copy()
    out.loc[stale, "outcome"] = "lost"
    out.loc[stale, "closed"] = out.loc[stale, "created"] + pd.Timedelta(days=threshold)
    out["stale"] = stale
    return out


# --- families in (log mean, log sd) ------------------------------------------------------


def _frozen(family: str, theta: np.ndarray):
    mean = math.exp(theta[0])
    if family == "exponential":
        return stats.expon(scale=mean)
    sd = math.exp(theta[1])
    if family == "lognormal":
        s2 = math.log1p((sd / mean) ** 2)
        return stats.lognorm(math.sqrt(s2), scale=mean * math.exp(-s2 / 2))
    shape = (mean / sd) ** 2
    return stats.gamma(shape, scale=sd * sd / mean)


def _theta(family: str, params: tuple) -> np.ndarray:
    dist = {"exponential": stats.expon, "lognormal": stats.lognorm, "gamma": stats.gamma}[family]
    frozen = dist(*params)
    mean, sd = float(frozen.mean()), float(frozen.std())
    return np.array([math.log(mean)] if family == "exponential" else [math.log(mean), math.log(sd)])


def _nll(family: str, data: CycleData, closed_only: bool = False):
    """Negative log-likelihood of the censored cycles, the same terms as ``CensoredData``'s."""
    zero = data.closed <= 0
    exact = data.closed[~zero]
    right = np.empty(0) if closed_only else np.maximum(data.open_ages, 0.5)
    n_zero = int(zero.sum())

    def nll(theta: np.ndarray) -> float:
        try:
            d = _frozen(family, theta)
        except (ValueError, OverflowError, ZeroDivisionError):
            return 1e300
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            total = d.logpdf(exact).sum() + d.logsf(right).sum()
            if n_zero:
                total += n_zero * math.log(max(float(d.cdf(1.0)), 1e-300))
        return float(-total) if np.isfinite(total) else 1e300

    return nll


@dataclass
class FamilyFit:
    """One family's censored fit."""

    family: str
    theta: np.ndarray
    nll: float

    @property
    def aic(self) -> float:
        """Akaike's information criterion."""
        return 2 * len(self.theta) + 2 * self.nll

    @property
    def mean(self) -> float:
        """Mean cycle (days)."""
        return math.exp(self.theta[0])

    @property
    def sd(self) -> float:
        """Standard deviation of the cycle (days)."""
        return self.mean if self.family == "exponential" else math.exp(self.theta[1])

    def spec(self) -> dict[str, object]:
        """The scenario's distribution table."""
        if self.family == "exponential":
            return {"dist": "exponential", "mean": round(self.mean, 3)}
        return {"dist": self.family, "mean": round(self.mean, 3), "sd": round(self.sd, 3)}

    def frozen(self):
        """The fitted scipy distribution."""
        return _frozen(self.family, self.theta)


def fit_family(family: str, cycles: CycleData, closed_only: bool = False) -> FamilyFit | None:
    """Censored maximum likelihood of one family (scipy's fit, polished in (log mean, log sd)).

    Args:
        family: one of :data:`FAMILIES`.
        cycles: the channel's cycles.
        closed_only: the naive fit, closed deals only (biased short; for comparison).
    """
    data = cycles.censored(closed_only)
    dist = {"exponential": stats.expon, "lognormal": stats.lognorm, "gamma": stats.gamma}[family]
    try:
        with np.errstate(all="ignore"):
            params = dist.fit(data, floc=0)
        theta0 = _theta(family, params)
    except (ValueError, RuntimeError, FloatingPointError, OverflowError):
        return None
    nll = _nll(family, cycles, closed_only)
    res = optimize.minimize(
        nll, theta0, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-9}
    )
    theta = res.x if res.fun <= nll(theta0) else theta0
    value = nll(theta)
    if not value < 1e299:
        return None
    return FamilyFit(family, np.asarray(theta, dtype=float), value)


@dataclass
class CycleFit:
    """The cycle of one channel: the chosen censored fit, the others, the naive fit."""

    channel: str
    data: CycleData
    fits: dict[str, FamilyFit]
    chosen: FamilyFit
    naive: FamilyFit | None
    estimate: Estimate

    def kaplan_meier(self) -> tuple[np.ndarray, np.ndarray]:
        """Days and the Kaplan-Meier share of deals still open after them."""
        sf = stats.ecdf(self.data.censored()).sf
        return np.asarray(sf.quantiles), np.asarray(sf.probabilities)


def fit_cycle(channel: str, key: str, data: CycleData) -> CycleFit | None:
    """Fit every family to one channel's censored cycles and choose by AIC.

    Args:
        channel: the channel's name (for messages).
        key: the scenario key the cycle fills (``direct.sales_cycle_days``...).
        data: the closed cycles and open ages.

    Returns:
        The fit, or None when the channel has no closed deal.
    """
    if len(data.closed) == 0:
        return None
    fits = {f: fit for f in FAMILIES if (fit := fit_family(f, data)) is not None}
    if not fits:
        return None
    chosen = min(fits.values(), key=lambda f: f.aic)
    naive = fit_family(chosen.family, data, closed_only=True)
    nll = _nll(chosen.family, data)
    low, high = observed_information_interval(nll, chosen.theta, lambda th: math.exp(th[0]))
    aics = ", ".join(f"{f.family} {f.aic:.1f}" for f in sorted(fits.values(), key=lambda f: f.aic))
    naive_text = (
        f"; the naive fit on closed deals only gives a mean of {naive.mean:.1f} days"
        if naive is not None
        else ""
    )
    estimate = Estimate(
        key,
        chosen.mean,
        low,
        high,
        data.n,
        f"censored maximum likelihood: {len(data.closed)} closed cycles, {len(data.open_ages)} "
        f"open deals censored at their age; {chosen.family} by AIC ({aics}){naive_text} "
        "(biased short, not used)",
        written=chosen.spec(),
        unit="days",
        extra={
            "family": chosen.family,
            "sd": chosen.sd,
            "aic": {f.family: f.aic for f in fits.values()},
            "naive_mean": None if naive is None else naive.mean,
            "closed": len(data.closed),
            "open": len(data.open_ages),
        },
    )
    return CycleFit(channel, data, fits, chosen, naive, estimate)
