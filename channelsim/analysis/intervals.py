"""Intervals over replications, each of the kind its metric's bounds call for.

Every summary number is a mean over independent replications with a 95% interval; ``n``
counts the replications where the metric is defined. The catalogue says which interval
(:attr:`channelsim.metrics.catalogue.Metric.interval`):

* **Student t** for unbounded quantities (contribution, NPV, differences between strategies):
  :func:`confidence_intervals`;
* **percentile bootstrap** (:func:`scipy.stats.bootstrap`, 2,000 resamples from a generator
  seeded by the scenario seed, so the same run gives the same bytes) for quantities that
  cannot leave a range (counts, costs, shares, times, peak investment): a skewed sample near a
  bound gives an asymmetric interval that stays inside it, where a t interval would cross
  zero ("peak investment 354 (-164 - 872)"). With fewer than :data:`BOOTSTRAP_MIN_N`
  replications a bootstrap has too little to resample (three values give an interval no
  wider than their range): the t interval is used then, cut at the metric's bounds (the mean
  lies inside them, so cutting loses no coverage);
* **Wilson** (:meth:`scipy.stats.binomtest(...).proportion_ci`) for indicators, the share of
  replications in which something happened: it stays inside [0, 1] and is not degenerate when
  every replication agrees.

Censored times (``payback_month``, ``months_to_target``) are undefined where the event never
happens: their mean and interval are over the replications that reached it (``n`` says how
many), and their **median** counts "never" as later than the horizon (it is "never" itself when
half the replications or more never reach it). With a single replication there is no interval.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from channelsim.metrics.catalogue import metric as catalogue_entry

__all__ = [
    "BOOTSTRAP_MIN_N",
    "BOOTSTRAP_RESAMPLES",
    "confidence_intervals",
    "summarize_columns",
]

BOOTSTRAP_RESAMPLES = 2000
"""Resamples of every percentile bootstrap (enough for stable 2.5% and 97.5% quantiles)."""

BOOTSTRAP_MIN_N = 10
"""Fewest replications a bootstrap interval is computed from (below: t, cut at the bounds)."""


def confidence_intervals(
    values: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, std, CI low, CI high and n of each column, ignoring NaN (Student t, ddof 1).

    Args:
        values: array (replications, k).
        level: confidence level.

    Returns:
        Five arrays of length k. With n < 2 the std and interval are NaN; a constant column has
        a zero-width interval.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    ok = ~np.isnan(values)
    n = ok.sum(axis=0)
    safe_n = np.maximum(n, 1)
    mean = np.where(n > 0, np.nansum(values, axis=0) / safe_n, np.nan)
    dev = np.where(ok, values - mean, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > 1, (dev**2).sum(axis=0) / np.maximum(n - 1, 1), np.nan)
        std = np.sqrt(var)
        if (n > 1).any():
            # Student t quantile (what scipy.stats.t.ppf calls, without its import and checks);
            # imported here: a single replication has no interval, and `run` of one
            # replication then loads no scipy at all (0.1-0.2 s of its start-up)
            from scipy import special

            tq = special.stdtrit(np.maximum(n - 1, 1), 0.5 + level / 2)
            half = np.where(n > 1, tq * std / np.sqrt(safe_n), np.nan)
        else:
            half = np.full(mean.shape, np.nan)
    return mean, std, mean - half, mean + half, n


def _policy(name: str) -> tuple[str, bool, float, float]:
    """(interval kind, censored, lower bound, upper bound) of a metric."""
    try:
        entry = catalogue_entry(name)
    except KeyError:
        return "t", False, -np.inf, np.inf
    lower = -np.inf if entry.lower is None else entry.lower
    upper = np.inf if entry.upper is None else entry.upper
    return entry.interval, entry.censored, lower, upper


def _median(column: np.ndarray, censored: bool) -> float:
    if censored:  # never = later than the horizon
        filled = np.where(np.isnan(column), np.inf, column)
        med = float(np.median(filled)) if filled.size else np.nan
        return med if np.isfinite(med) else np.nan
    ok = column[~np.isnan(column)]
    return float(np.median(ok)) if ok.size else np.nan


def _bootstrap(
    data: np.ndarray, rng: np.random.Generator, level: float
) -> tuple[np.ndarray, np.ndarray]:
    from scipy.stats import bootstrap  # 0.5 s to import: only when a summary is computed

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = bootstrap(
            (data,),
            np.mean,
            axis=0,
            vectorized=True,
            method="percentile",
            n_resamples=BOOTSTRAP_RESAMPLES,
            confidence_level=level,
            rng=rng,
        )
    ci = result.confidence_interval
    return np.atleast_1d(ci.low), np.atleast_1d(ci.high)


def _wilson(column: np.ndarray, level: float) -> tuple[float, float]:
    from scipy.stats import binomtest

    ok = column[~np.isnan(column)]
    ci = binomtest(int(round(ok.sum())), ok.size).proportion_ci(level, method="wilson")
    return float(ci.low), float(ci.high)


def summarize_columns(
    values: np.ndarray, metrics: Sequence[str], rng: np.random.Generator, level: float = 0.95
) -> dict[str, np.ndarray]:
    """Mean, std, interval, n and median of each metric over replications (see the module).

    Args:
        values: array (replications, k), NaN where a metric is undefined.
        metrics: the k metric names (their catalogue entries choose the interval).
        rng: the generator of the bootstraps (seeded by the caller: same seed, same bytes).
        level: confidence level.

    Returns:
        ``mean``, ``std``, ``ci_low``, ``ci_high``, ``n`` and ``median``, each an array of k.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    mean, std, low, high, n = confidence_intervals(values, level)
    policies = [_policy(m) for m in metrics]
    median = np.array([_median(values[:, k], p[1]) for k, p in enumerate(policies)])
    whole: list[int] = []  # bootstrapped together: defined in every replication
    for k, (policy, _censored, lower, upper) in enumerate(policies):
        if n[k] < 2:
            low[k] = high[k] = np.nan
            continue
        column = values[:, k]
        ok = column[~np.isnan(column)]
        if policy == "wilson":
            low[k], high[k] = _wilson(column, level)
        elif policy == "bootstrap" and ok.size < BOOTSTRAP_MIN_N:
            low[k], high[k] = max(low[k], lower), min(high[k], upper)
        elif policy == "bootstrap":
            if ok.min() == ok.max():  # every replication agrees: nothing to resample
                low[k] = high[k] = ok[0]
            elif ok.size == column.size:
                whole.append(k)
            else:
                lo, hi = _bootstrap(ok, rng, level)
                low[k], high[k] = lo[0], hi[0]
    if whole:
        lo, hi = _bootstrap(values[:, whole], rng, level)
        low[whole], high[whole] = lo, hi
    return {"mean": mean, "std": std, "ci_low": low, "ci_high": high, "n": n, "median": median}
