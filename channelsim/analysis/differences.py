"""Paired differences between strategies on common random numbers.

Every strategy of a replication sees the same company demand, so the difference A - B is taken
replication by replication (paired); its interval is usually far narrower than the one from
two independent samples, and :func:`paired_differences` reports both so users see what pairing
buys. ``p_better`` is the share of replications in which A beats B, in the catalogue's better
direction of each metric.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from channelsim.analysis.intervals import confidence_intervals
from channelsim.metrics.catalogue import (
    CENSORED_METRICS,
    COMPARISON_METRICS,
    SUMMARY_METRICS,
    lower_is_better,
    metric,
)

__all__ = ["DIFFERENCE_COLUMNS", "censor", "paired_differences"]

DIFFERENCE_COLUMNS: tuple[str, ...] = (
    "a",
    "b",
    "channel",
    "metric",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "n",
    "p_better",
    "unpaired_ci_low",
    "unpaired_ci_high",
)
"""Columns of ``differences.csv``."""


def _welch_ci(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Interval of mean(a) - mean(b) per column, the samples taken as independent (Welch).

    ``a`` and ``b`` are (replications, k) arrays; NaN values are left out column by column.
    """
    na = (~np.isnan(a)).sum(axis=0)
    nb = (~np.isnan(b)).sum(axis=0)
    ok = (na >= 2) & (nb >= 2)
    # columns with fewer than two values get NaN (below), so numpy's warnings say nothing new
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        va = np.nanvar(a, axis=0, ddof=1) / na
        vb = np.nanvar(b, axis=0, ddof=1) / nb
        d = np.nanmean(a, axis=0) - np.nanmean(b, axis=0)
        se2 = va + vb
        denom = np.where(va > 0, va**2 / (na - 1), 0.0) + np.where(vb > 0, vb**2 / (nb - 1), 0.0)
        df = np.where(se2 > 0, se2**2 / np.where(denom > 0, denom, 1.0), 1.0)
        from scipy import special  # imported here: a single run compares nothing

        half = np.where(se2 > 0, special.stdtrit(df, 0.5 + level / 2) * np.sqrt(se2), 0.0)
    low = np.where(ok, d - half, np.nan)
    high = np.where(ok, d + half, np.nan)
    return low, high


def censor(frame: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """Per-replication values with every censored time that never happened set to ``horizon``.

    A time is "never" where its indicator (``payback_reached``, ``target_reached``) is 0; it
    stays undefined where the indicator is undefined (no sales target at all).
    """
    out = frame.copy()
    for name in CENSORED_METRICS:
        flag = metric(name).reached
        if name in out.columns and flag in out.columns:
            never = out[flag] == 0
            out.loc[never, name] = float(horizon)
    return out


def paired_differences(
    reps: pd.DataFrame, strategies: Sequence[str], horizon: float | None = None
) -> pd.DataFrame:
    """Paired differences A - B for every pair of strategies (A listed before B).

    A censored time that never happens (``payback_month``, ``months_to_target``) counts as the
    horizon month when ``horizon`` is given: the order is exact (never is later than any month
    reached within the horizon), so ``p_better`` counts a strategy that reaches as better than
    one that does not, and the mean difference is a bound on the true one (at least as large
    in size) instead of a mean over the replications where both happen to reach.

    Args:
        reps: per-replication summary values (``RunResult.replications``).
        strategies: the order that decides which strategy is A.
        horizon: the horizon in months (None: censored times are compared where both are
            defined only).

    Returns:
        One row per (a, b, channel, metric) with the mean and Student-t interval of the
        per-replication difference, ``p_better`` (share of replications where A beats B; ties
        count half) and the unpaired (Welch) interval for comparison.
    """
    if horizon is not None:
        reps = censor(reps, horizon)
    metrics = [m for m in (*SUMMARY_METRICS, *COMPARISON_METRICS) if m in reps.columns]
    lower = np.array([lower_is_better(m) for m in metrics])
    indexed = {s: grp.set_index(["replication", "channel"]) for s, grp in reps.groupby("strategy")}
    frames = []
    for i, a in enumerate(strategies):
        for b in strategies[i + 1 :]:
            A, B = indexed[a], indexed[b]
            common = A.index.intersection(B.index)
            for channel in dict.fromkeys(common.get_level_values("channel")):
                idx = [k for k in common if k[1] == channel]
                x = A.loc[idx, metrics].to_numpy(dtype=float)
                y = B.loc[idx, metrics].to_numpy(dtype=float)
                d = x - y  # NaN where either is missing: left out of that metric's pair
                mean, std, low, high, n = confidence_intervals(d)
                with np.errstate(invalid="ignore"):
                    better = np.where(lower, d < 0, d > 0).sum(axis=0)
                    ties = (d == 0).sum(axis=0)
                    p_better = np.where(n > 0, (better + 0.5 * ties) / np.maximum(n, 1), np.nan)
                ulow, uhigh = _welch_ci(x, y)
                frames.append(
                    pd.DataFrame(
                        {
                            "a": a,
                            "b": b,
                            "channel": channel,
                            "metric": metrics,
                            "mean": mean,
                            "std": std,
                            "ci_low": low,
                            "ci_high": high,
                            "n": n.astype(int),
                            "p_better": p_better,
                            "unpaired_ci_low": ulow,
                            "unpaired_ci_high": uhigh,
                        }
                    )
                )
    if not frames:
        return pd.DataFrame(columns=list(DIFFERENCE_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(DIFFERENCE_COLUMNS)]
