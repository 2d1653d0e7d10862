"""Win rates, deal sizes and segment shares: what closed and won deals tell.

**Win rate** of a channel = won / (won + lost) among its closed deals (stale deals counted as
the ``--stale-after`` rule says), with the exact Clopper-Pearson interval
(``scipy.stats.binomtest``). Open deals are left out, not counted as losses: in the model the
outcome is drawn at the end of the cycle, whatever its length, so closed deals are a fair
sample of outcomes. With segments, the scenario's win probability is ``win_rate x segment
factor``: a segment's factor is its pooled win rate over the pooled win rate of all deals
(factors relative to the average deal), and each channel's ``win_rate`` is then its wins over
the sum of its closed deals' factors, so the expected wins of each channel match its count.
New sellers' ramp lowers the observed rate a little; :mod:`.sellers` says whether the data
shows one.

**Deal size.** ``product.price`` is the mean amount of won deals of the direct channel (all
channels when there is no direct deal), with a bootstrap interval (``scipy.stats.bootstrap``,
BCa); a segment's ``deal_size`` is its mean won amount over that price; a program's
``deal_size_factor`` is its mean won amount over what direct would have had with the same
segment mix. ``product.deal_size_cv`` is the lognormal noise around the segment means, from
the pooled variance of log amounts within segments (``cv = sqrt(exp(s^2) - 1)``), its interval
from the chi-square interval of that variance. Amounts of lost and open deals are forecasts and
are not used; won deals with no or a zero amount are counted and left out.

**Segment shares** are the shares of company-sourced deals, each with its Clopper-Pearson
interval; the segments of the calibrated scenario are the export's (a base segment of the same
name keeps its routing ``channel``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from channelsim.calibration.crm import DIRECT
from channelsim.calibration.estimate import LEVEL, Estimate, clopper_pearson

__all__ = ["channel_key", "deal_sizes", "segment_shares", "win_rates"]

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20240101
"""Fixed seed of the bootstrap: the same export gives the same intervals."""


def channel_key(channel: str, field: str) -> str:
    """The dotted key of ``field`` for a channel: ``direct.X`` or ``partners.NAME.X``."""
    return f"direct.{field}" if channel == DIRECT else f"partners.{channel}.{field}"


def win_rates(closed: pd.DataFrame, segmented: bool) -> tuple[list[Estimate], dict[str, float]]:
    """Win rate per channel (and segment factors), from won and lost deals.

    Args:
        closed: the won and lost deals (stale rule applied).
        segmented: whether the export has segments.

    Returns:
        The estimates, and the factor of every segment (empty without segments).
    """
    won = closed.outcome == "won"
    factors: dict[str, float] = {}
    estimates: list[Estimate] = []
    if segmented:
        overall = won.mean()
        for seg, grp in closed.groupby("segment", sort=True):
            w = int((grp.outcome == "won").sum())
            rate = w / len(grp)
            low, high = clopper_pearson(w, len(grp))
            factor = rate / overall if overall > 0 else 1.0
            factors[str(seg)] = factor
            estimates.append(
                Estimate(
                    f"demand.segments.{seg}.win_rate_factor",
                    factor,
                    low / overall if overall > 0 else math.nan,
                    high / overall if overall > 0 else math.nan,
                    len(grp),
                    f"segment win rate {rate:.3f} ({w} of {len(grp)} closed) over the pooled "
                    f"{overall:.3f}; Clopper-Pearson",
                    written=round(factor, 4),
                    unit="factor",
                )
            )
    for channel, grp in closed.groupby("channel", sort=True):
        w = int((grp.outcome == "won").sum())
        n = len(grp)
        if segmented:
            weight = float(grp.segment.map(factors).sum())
            rate = w / weight if weight > 0 else 0.0
            low, high = (x * n / weight for x in clopper_pearson(w, n)) if weight > 0 else (0, 0)
            how = "wins over the closed deals' segment factors; Clopper-Pearson, scaled"
        else:
            rate = w / n
            low, high = clopper_pearson(w, n)
            how = "Clopper-Pearson exact interval"
        estimates.append(
            Estimate(
                channel_key(str(channel), "win_rate"),
                rate,
                low,
                min(high, 1.0),
                n,
                f"{w} won of {n} closed deals; {how}",
                written=round(min(rate, 1.0), 4),
                unit="share",
            )
        )
    return estimates, factors


def _bootstrap_mean(x: np.ndarray) -> tuple[float, float]:
    if len(x) < 3 or np.ptp(x) == 0:
        return (float(x.mean()), float(x.mean())) if len(x) else (math.nan, math.nan)
    res = stats.bootstrap(
        (x,),
        np.mean,
        confidence_level=LEVEL,
        n_resamples=BOOTSTRAP_RESAMPLES,
        method="BCa",
        random_state=np.random.default_rng(BOOTSTRAP_SEED),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def deal_sizes(won: pd.DataFrame, segmented: bool) -> tuple[list[Estimate], list[str]]:
    """Price, segment deal sizes, program deal-size factors and the deal-size noise.

    Args:
        won: the won deals.
        segmented: whether the export has segments.

    Returns:
        The estimates and notes (won deals without an amount).
    """
    notes: list[str] = []
    usable = won[won.amount > 0]
    if len(usable) < len(won):
        notes.append(
            f"{len(won) - len(usable)} won deals have no or a zero amount: left out of deal size"
        )
    if usable.empty:
        return [], [*notes, "no won deal with an amount: deal size not from data"]
    direct = usable[usable.channel == DIRECT]
    base = direct if len(direct) else usable
    segs = base.segment if segmented else pd.Series("", index=base.index)
    seg_means = base.amount.groupby(segs).mean()
    price = float(base.amount.mean())
    low, high = _bootstrap_mean(base.amount.to_numpy(dtype=float))
    where = "direct" if len(direct) else "all channels"
    estimates = [
        Estimate(
            "product.price",
            price,
            low,
            high,
            len(base),
            f"mean amount of {len(base)} won deals ({where}); BCa bootstrap interval",
            written=round(price, 2),
            unit="currency",
        )
    ]
    if segmented:
        for seg, grp in base.groupby("segment", sort=True):
            lo, hi = _bootstrap_mean(grp.amount.to_numpy(dtype=float))
            estimates.append(
                Estimate(
                    f"demand.segments.{seg}.deal_size",
                    float(grp.amount.mean()) / price,
                    lo / price,
                    hi / price,
                    len(grp),
                    "segment's mean won amount over product.price; BCa bootstrap",
                    written=round(float(grp.amount.mean()) / price, 4),
                    unit="factor",
                )
            )
    for channel, grp in usable.groupby("channel", sort=True):
        if channel == DIRECT or not len(direct):
            continue
        keys = grp.segment if segmented else pd.Series("", index=grp.index)
        expected = keys.map(seg_means).fillna(price)
        factor = float(grp.amount.sum() / expected.sum())
        lo, hi = _bootstrap_mean((grp.amount / expected).to_numpy(dtype=float))
        estimates.append(
            Estimate(
                channel_key(str(channel), "deal_size_factor"),
                factor,
                lo,
                hi,
                len(grp),
                "program's won amounts over direct's for the same segments; BCa bootstrap",
                written=round(factor, 4),
                unit="factor",
            )
        )
    keys_all = usable.segment if segmented else pd.Series("", index=usable.index)
    logs = np.log(usable.amount.to_numpy(dtype=float))
    groups = pd.Series(logs, index=usable.index).groupby(
        [usable.channel.to_numpy(), keys_all.to_numpy()]
    )
    dof = len(logs) - groups.ngroups
    if dof >= 2:
        s2 = float(((logs - groups.transform("mean").to_numpy()) ** 2).sum() / dof)
        alpha = 1 - LEVEL
        s2_low = dof * s2 / stats.chi2.ppf(1 - alpha / 2, dof)
        s2_high = dof * s2 / stats.chi2.ppf(alpha / 2, dof)

        def cv(v: float) -> float:
            return math.sqrt(math.expm1(v))

        estimates.append(
            Estimate(
                "product.deal_size_cv",
                cv(s2),
                cv(s2_low),
                cv(s2_high),
                len(logs),
                "lognormal noise: pooled variance of log amounts within channel and segment; "
                "chi-square interval",
                written=round(min(cv(s2), 10.0), 4),
                unit="ratio",
                extra={"log_sd": math.sqrt(s2)},
            )
        )
    return estimates, notes


def segment_shares(company: pd.DataFrame) -> list[Estimate]:
    """Share of company-sourced deals in each segment."""
    counts = company.segment.value_counts().sort_index()
    total = int(counts.sum())
    out = []
    for seg, k in counts.items():
        low, high = clopper_pearson(int(k), total)
        out.append(
            Estimate(
                f"demand.segments.{seg}.share",
                k / total,
                low,
                high,
                total,
                f"{k} of {total} company-sourced deals; Clopper-Pearson",
                written=float(k / total),
                unit="share",
            )
        )
    return out
