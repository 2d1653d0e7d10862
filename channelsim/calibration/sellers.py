"""Sellers from the owner column: how many, how many deals each works, who joins and leaves.

**Active at the export date**: an owner with an open deal then, or a deal created or closed in
the last :data:`ACTIVE_DAYS` days. Their count per channel is ``direct.initial_reps`` or a
program's ``initial``; their tenures go into the initial state file, from which each rep of the
calibrated scenario starts at their point of the ramp.

**Deals per seller** (``deals_per_rep``, ``deals_per_partner``: selling slots): for every owner
with at least :data:`MIN_OWNER_DEALS` deals, the largest number of deals open at once on any
day, counted as the 90% quantile of their days (a deal is open from the day it was created to
the day before it closed; open deals to the export date; see :data:`PEAK_QUANTILE`); the
estimate is the median over owners, with a bootstrap interval of the median.
It measures capacity only where sellers were ever full: in a team that never had a queue it is
a lower bound (said in the output when the median owner's average load is under half its peak).

**Tenure, attrition and churn.** An owner's tenure runs from their first deal to their last
activity (departed: not active at the export date) or to the export date. The leaving rate is
departures over owner-years of tenure (exponential tenure, as in the model) with the exact
Poisson interval; it is written only when someone left. Owners whose first deal came in the
first month of the export may have started earlier: their tenure is a lower bound.

**Ramp.** For owners who started during the history (first deal after its first month), the
win probability of their closed deals is fitted as ``w x (p0 + (1 - p0) min(tenure / R, 1))``
(the model's linear ramp, tenure at the deal's creation) by binomial maximum likelihood, with
``w`` the win rate of the reps already there in the first month; the ramp is written only when
the likelihood-ratio test against no ramp rejects it at 1% with at least :data:`MIN_RAMP_DEALS`
such deals. The data pin down the wins lost to the ramp, ``(1 - p0) R / 2`` rep-months, far
better than ``p0`` and ``R`` apart: read the two together.

**Partner-sourced leads**: partner-sourced deals of a program per active-partner-month
(``sourced_leads_per_month``), with the exact Poisson interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from channelsim.calibration.crm import DIRECT
from channelsim.calibration.estimate import LEVEL, Estimate, poisson_rate_interval
from channelsim.calibration.outcomes import BOOTSTRAP_SEED, channel_key
from channelsim.model.ledger import MONTH

__all__ = ["ACTIVE_DAYS", "MIN_OWNER_DEALS", "Owners", "SellerFit", "fit_sellers", "owners"]

ACTIVE_DAYS = 31
"""An owner with activity in this many days before the export date is still active."""

MIN_OWNER_DEALS = 5
"""Owners with fewer deals are left out of the deals-per-seller estimate."""

PEAK_QUANTILE = 0.9
"""An owner's peak load: the number of deals open at once that they reach or exceed on 10% of
their active days. Not the maximum: a deal handed over when its seller leaves shows under the
new owner from its creation, which makes a brief overlap above what anyone really worked."""

MIN_RAMP_DEALS = 50
"""Closed deals of new sellers needed before a ramp is fitted."""

RAMP_P_VALUE = 0.01
"""A ramp is written only when no ramp is rejected at this level (a sales team's first deal
dates are a rough proxy for start dates, so the evidence has to be strong)."""

YEAR = 365.25
_DAY = pd.Timedelta(days=1)


@dataclass
class Owners:
    """One row per owner and channel: first deal, last activity, peak and mean load."""

    table: pd.DataFrame  # owner, channel, first, last, deals, open_now, active, peak, mean_load


def _load(deals: pd.DataFrame, as_of: pd.Timestamp) -> tuple[int, float]:
    """Peak (the :data:`PEAK_QUANTILE` of days) and mean deals open at once, over active days."""
    start = deals.created.dt.normalize()
    end = deals.closed.fillna(as_of + _DAY).dt.normalize()
    events = pd.concat([pd.Series(1, index=start.to_numpy()), pd.Series(-1, index=end.to_numpy())])
    per_day = events.groupby(level=0).sum().sort_index().cumsum()
    counts = per_day.to_numpy()[:-1]
    days = np.diff(np.asarray(per_day.index.to_numpy(), dtype="datetime64[D]")).astype(float)
    if days.sum() <= 0:
        return int(per_day.max()), float(per_day.max())
    order = np.argsort(counts, kind="stable")
    share = np.cumsum(days[order]) / days.sum()
    peak = int(counts[order][np.searchsorted(share, PEAK_QUANTILE)])
    return peak, float((counts * days).sum() / days.sum())


def owners(frame: pd.DataFrame, as_of: pd.Timestamp) -> Owners:
    """Summarise every owner of the export."""
    rows = []
    recent = as_of - pd.Timedelta(days=ACTIVE_DAYS)
    for (owner, channel), grp in frame[frame.owner != ""].groupby(["owner", "channel"], sort=True):
        last = max(
            grp.created.max(), grp.closed.max() if grp.closed.notna().any() else grp.created.max()
        )
        open_now = int((grp.outcome == "open").sum())
        peak, mean = _load(grp, as_of)
        rows.append(
            {
                "owner": owner,
                "channel": channel,
                "first": grp.created.min(),
                "last": last,
                "deals": len(grp),
                "open_now": open_now,
                "active": open_now > 0 or last >= recent,
                "peak": peak,
                "mean_load": mean,
            }
        )
    columns = [
        "owner",
        "channel",
        "first",
        "last",
        "deals",
        "open_now",
        "active",
        "peak",
        "mean_load",
    ]
    return Owners(pd.DataFrame(rows, columns=columns))


@dataclass
class SellerFit:
    """Seller estimates and what the data could not tell."""

    owners: Owners
    estimates: list[Estimate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _median_interval(x: np.ndarray) -> tuple[float, float]:
    if len(x) < 3 or np.ptp(x) == 0:
        return float(np.min(x)), float(np.max(x))
    res = stats.bootstrap(
        (x,),
        np.median,
        confidence_level=LEVEL,
        n_resamples=2000,
        method="percentile",
        random_state=np.random.default_rng(BOOTSTRAP_SEED),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _ramp(deals: pd.DataFrame, first: pd.Series, ramped_rate: float) -> tuple[float, float, float]:
    """(p0, ramp months, likelihood-ratio p-value) of new sellers' closed deals."""
    tenure = np.asarray((deals.created - deals.owner.map(first)) / _DAY, dtype=float) / MONTH
    won = (deals.outcome == "won").to_numpy()

    def nll(params: np.ndarray) -> float:
        p0, ramp = 1 / (1 + math.exp(-params[0])), math.exp(params[1])
        p = ramped_rate * (p0 + (1 - p0) * np.minimum(tenure / ramp, 1.0))
        p = np.clip(p, 1e-9, 1 - 1e-9)
        return float(-(np.log(p[won]).sum() + np.log1p(-p[~won]).sum()))

    p = np.clip(np.full(len(won), ramped_rate), 1e-9, 1 - 1e-9)
    flat = float(-(np.log(p[won]).sum() + np.log1p(-p[~won]).sum()))
    best = min(
        (
            optimize.minimize(nll, np.array([a, b]), method="Nelder-Mead")
            for a in (-1.0, 0.5)
            for b in (0.5, 1.5)
        ),
        key=lambda r: r.fun,
    )
    stat = max(2 * (flat - best.fun), 0.0)
    return 1 / (1 + math.exp(-best.x[0])), math.exp(best.x[1]), float(stats.chi2.sf(stat, 2))


def fit_sellers(frame: pd.DataFrame, as_of: pd.Timestamp, win_rates: dict[str, float]) -> SellerFit:
    """Active sellers, deals per seller, attrition or churn, ramp, partner-sourced leads.

    Args:
        frame: every deal (stale rule applied).
        as_of: the export date.
        win_rates: each channel's fitted win rate (the ramp is measured against it).

    Returns:
        The estimates and notes.
    """
    table = owners(frame, as_of).table
    fit = SellerFit(Owners(table))
    if table.empty:
        fit.notes.append("no owner column values: sellers not from data")
        return fit
    start = frame.created.min()
    first_month_end = start + pd.Timedelta(days=MONTH)
    for channel, grp in table.groupby("channel", sort=True):
        channel = str(channel)
        count_key = "direct.initial_reps" if channel == DIRECT else f"partners.{channel}.initial"
        slots_key = channel_key(
            channel, "deals_per_rep" if channel == DIRECT else "deals_per_partner"
        )
        active = int(grp.active.sum())
        who = "reps" if channel == DIRECT else "partners"
        fit.estimates.append(
            Estimate(
                count_key,
                active,
                active,
                active,
                len(grp),
                f"owners with an open deal at the export date or activity in the last "
                f"{ACTIVE_DAYS} days (of {len(grp)} owners in the export)",
                written=active,
                unit=who,
            )
        )
        busy = grp[grp.deals >= MIN_OWNER_DEALS]
        if len(busy):
            peaks = busy.peak.to_numpy(dtype=float)
            value = float(np.median(peaks))
            low, high = _median_interval(peaks)
            load = float(np.median(busy.mean_load / busy.peak))
            fit.estimates.append(
                Estimate(
                    slots_key,
                    value,
                    low,
                    high,
                    len(busy),
                    f"median over {len(busy)} owners (>= {MIN_OWNER_DEALS} deals) of the "
                    "deals open at once on their busiest 10% of days; bootstrap interval of "
                    "the median",
                    written=max(1, int(round(value))),
                    unit="deals",
                    extra={"mean_load_over_peak": load},
                )
            )
            if load < 0.5:
                fit.notes.append(
                    f"{slots_key}: owners held on average {load:.0%} of their peak load; the "
                    "peak is a lower bound of what a seller can work if they were never full"
                )
        ended = (grp.last.where(~grp.active, as_of) - grp["first"]) / _DAY / YEAR
        years = float(ended.sum())
        departures = int((~grp.active).sum())
        rate_key = (
            "direct.attrition_annual" if channel == DIRECT else f"partners.{channel}.churn_annual"
        )
        if departures and years > 0:
            low, high = poisson_rate_interval(departures, years)
            fit.estimates.append(
                Estimate(
                    rate_key,
                    departures / years,
                    low,
                    high,
                    departures,
                    f"{departures} owners left over {years:.1f} owner-years (exponential "
                    "tenure); exact Poisson interval",
                    written=round(departures / years, 4),
                    unit="a year",
                )
            )
        else:
            fit.notes.append(f"{rate_key}: no owner left in {years:.1f} owner-years; kept")
        if channel != DIRECT:
            sourced = frame[(frame.channel == channel) & (frame.source == "partner")]
            partner_months = years * YEAR / MONTH
            if len(sourced) and partner_months > 0:
                rate = len(sourced) / partner_months
                low, high = poisson_rate_interval(len(sourced), partner_months)
                fit.estimates.append(
                    Estimate(
                        f"partners.{channel}.sourced_leads_per_month",
                        rate,
                        low,
                        high,
                        len(sourced),
                        "partner-sourced deals per partner-month of tenure; exact Poisson interval",
                        written=round(rate, 4),
                        unit="leads a month",
                    )
                )
        if channel == DIRECT:
            fit.notes.extend(_ramp_note(frame, grp, first_month_end, win_rates.get(DIRECT), fit))
    return fit


def _ramp_note(frame, grp, first_month_end, rate, fit: SellerFit) -> list[str]:
    new = grp[grp["first"] > first_month_end]
    if rate is None or new.empty:
        return ["direct.ramp_months: no rep started during the history; ramp kept"]
    # the ramped rate: deals of the reps already there when the history begins (the channel's
    # own rate holds the ramping reps' deals too, which would hide part of the ramp)
    veterans = grp[grp["first"] <= first_month_end].owner
    done = frame[(frame.channel == DIRECT) & frame.owner.isin(veterans) & (frame.outcome != "open")]
    if len(done) >= MIN_RAMP_DEALS:
        rate = float((done.outcome == "won").mean())
    first = new.set_index("owner")["first"]
    deals = frame[
        (frame.channel == DIRECT) & frame.owner.isin(first.index) & (frame.outcome != "open")
    ]
    tenure = (deals.created - deals.owner.map(first)) / _DAY / MONTH
    early = deals[tenure < 12]
    if len(early) < MIN_RAMP_DEALS:
        return [
            f"direct.ramp_months: {len(early)} closed deals of new reps in their first year, "
            f"{MIN_RAMP_DEALS} needed; ramp kept"
        ]
    p0, months, pvalue = _ramp(early, first, rate)
    if pvalue >= RAMP_P_VALUE:
        return [
            f"direct.ramp_months: new reps' win rate shows no ramp (likelihood-ratio "
            f"p = {pvalue:.2f}, {len(early)} deals); ramp kept"
        ]
    fit.estimates.append(
        Estimate(
            "direct.ramp_months",
            months,
            math.nan,
            math.nan,
            len(early),
            f"linear ramp fitted to {len(early)} closed deals of new reps (binomial "
            f"likelihood, p = {pvalue:.3f} against no ramp)",
            written=round(months, 2),
            unit="months",
        )
    )
    fit.estimates.append(
        Estimate(
            "direct.ramp_start_productivity",
            p0,
            math.nan,
            math.nan,
            len(early),
            "same fit: productivity on day one",
            written=round(p0, 3),
            unit="share",
        )
    )
    return []
