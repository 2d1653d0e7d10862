"""Risk measures of a metric over replications, their intervals and paired gains.

``optimize`` scores each candidate mix by one number computed from the same replications
(sample-average approximation with common random numbers):

* ``mean``: the mean over replications;
* ``cvar:ALPHA``: the conditional value at risk, the mean of the worst ``ALPHA`` share of the
  replications (the lowest values of a metric where higher is better, the highest of one where
  lower is better). On ``n`` sorted replications, ``ALPHA * n = k + f`` (``k`` whole, ``0 <= f
  < 1``): the ``k`` worst values count fully and the next one with weight ``f`` (Acerbi and
  Tasche 2002), so ``cvar:1`` is the mean and a share below ``1 / n`` is the worst value;
* ``p_loss``: the share of replications with a value below zero (a loss), lower is better.

Replications where the metric is undefined (NaN) are left out, as in every summary.

Intervals (95%): the Student t interval for ``mean`` (as everywhere in channelsim), Wilson's
score interval for ``p_loss`` (a proportion), a percentile bootstrap (``scipy.stats.bootstrap``)
for ``cvar``. The gain of A over B on paired replications (the same seeds) is the measure of A
minus the measure of B: a paired Student t interval for ``mean``, a paired bootstrap (the
replications resampled together) for the others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from channelsim.analysis.intervals import confidence_intervals

__all__ = ["RISKS", "Risk", "cvar", "loss_share", "paired_gain", "risk_interval", "risk_value"]

RISKS: tuple[str, ...] = ("mean", "cvar", "p_loss")
"""The risk measures, as written before any ``:ALPHA``."""

BOOTSTRAP_RESAMPLES = 999
"""Bootstrap resamples of the intervals that have no closed form."""


@dataclass(frozen=True)
class Risk:
    """A risk measure of a metric over replications.

    Attributes:
        kind: one of :data:`RISKS`.
        alpha: the tail share of ``cvar`` (None for the others).
    """

    kind: str
    alpha: float | None = None

    def text(self) -> str:
        """As written on the command line: ``mean``, ``cvar:0.1``, ``p_loss``."""
        return f"cvar:{self.alpha:g}" if self.kind == "cvar" else self.kind

    def label(self, metric: str) -> str:
        """In words, e.g. ``mean npv``, ``CVaR 10% of npv``, ``P(npv < 0)``."""
        if self.kind == "cvar":
            return f"CVaR {100 * (self.alpha or 0):g}% of {metric}"
        if self.kind == "p_loss":
            return f"P({metric} < 0)"
        return f"mean {metric}"

    def higher_is_better(self, metric_lower_is_better: bool) -> bool:
        """Whether a higher value of this measure is the better one."""
        return False if self.kind == "p_loss" else not metric_lower_is_better


def cvar(values: np.ndarray, alpha: float, lower_is_better: bool = False) -> float:
    """The mean of the worst ``alpha`` share of the finite values (see the module docstring).

    Args:
        values: one value per replication.
        alpha: the tail share, in (0, 1].
        lower_is_better: the worst values are the highest ones.

    Returns:
        The CVaR (NaN without a finite value).
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if not x.size:
        return math.nan
    return float(_cvar_along(x[None, :], alpha, lower_is_better)[0])


def _cvar_along(x: np.ndarray, alpha: float, lower_is_better: bool) -> np.ndarray:
    """CVaR of each row of a 2-D array (every value finite)."""
    n = x.shape[-1]
    worst_first = -np.sort(-x, axis=-1) if lower_is_better else np.sort(x, axis=-1)
    weights = np.clip(alpha * n - np.arange(n), 0.0, 1.0)
    return (worst_first * weights).sum(axis=-1) / weights.sum()


def loss_share(values: np.ndarray) -> float:
    """The share of finite values below zero (NaN without one)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    return float(np.mean(x < 0)) if x.size else math.nan


def risk_value(values: np.ndarray, risk: Risk, lower_is_better: bool = False) -> float:
    """The risk measure of one metric's values over replications.

    Args:
        values: one value per replication (NaN where undefined: left out).
        risk: the measure.
        lower_is_better: the metric's better direction (for ``cvar``'s tail).

    Returns:
        The measure (NaN when no replication defines the metric).
    """
    x = np.asarray(values, dtype=float)
    if risk.kind == "cvar":
        return cvar(x, risk.alpha or 1.0, lower_is_better)
    if risk.kind == "p_loss":
        return loss_share(x)
    finite = x[np.isfinite(x)]
    return float(finite.mean()) if finite.size else math.nan


def _bootstrap(data: tuple[np.ndarray, ...], statistic, seed: int) -> tuple[float, float]:
    # imported here: scipy.stats takes half a second to import
    from scipy import stats

    if data[0].size < 2:
        return math.nan, math.nan
    result = stats.bootstrap(
        data,
        statistic,
        paired=len(data) > 1,
        vectorized=True,
        n_resamples=BOOTSTRAP_RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    low, high = result.confidence_interval
    return float(low), float(high)


def risk_interval(
    values: np.ndarray, risk: Risk, lower_is_better: bool = False, seed: int = 0
) -> tuple[float, float, float]:
    """The risk measure and its 95% interval.

    Args:
        values: one value per replication (NaN left out).
        risk: the measure.
        lower_is_better: the metric's better direction.
        seed: seeds the bootstrap of ``cvar`` (the same call gives the same interval).

    Returns:
        ``(value, ci_low, ci_high)``; the interval is NaN with fewer than two values.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    value = risk_value(x, risk, lower_is_better)
    if x.size < 2:
        return value, math.nan, math.nan
    if risk.kind == "mean":
        _, _, low, high, _ = confidence_intervals(x)
        return value, float(low[0]), float(high[0])
    if risk.kind == "p_loss":
        from scipy import stats

        ci = stats.binomtest(int((x < 0).sum()), x.size).proportion_ci(method="wilson")
        return value, float(ci.low), float(ci.high)
    alpha = risk.alpha or 1.0
    low, high = _bootstrap(
        (x,), lambda s, axis=-1: _cvar_along(np.moveaxis(s, axis, -1), alpha, lower_is_better), seed
    )
    return value, low, high


def paired_gain(
    a: np.ndarray, b: np.ndarray, risk: Risk, lower_is_better: bool = False, seed: int = 0
) -> tuple[float, float, float]:
    """The measure of A minus the measure of B on paired replications, with its 95% interval.

    Args:
        a: A's values by replication.
        b: B's values on the same replications (the same seeds).
        risk: the measure.
        lower_is_better: the metric's better direction.
        seed: seeds the paired bootstrap (``cvar``, ``p_loss``).

    Returns:
        ``(gain, ci_low, ci_high)``: a positive gain means A's measure is higher. Replications
        where either value is undefined are left out.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    gain = risk_value(x, risk, lower_is_better) - risk_value(y, risk, lower_is_better)
    if x.size < 2:
        return gain, math.nan, math.nan
    if risk.kind == "mean":
        _, _, low, high, _ = confidence_intervals(x - y)
        return gain, float(low[0]), float(high[0])
    if risk.kind == "p_loss":

        def statistic(s, t, axis=-1):
            return np.mean(s < 0, axis=axis) - np.mean(t < 0, axis=axis)

    else:
        alpha = risk.alpha or 1.0

        def statistic(s, t, axis=-1):
            s, t = np.moveaxis(s, axis, -1), np.moveaxis(t, axis, -1)
            return _cvar_along(s, alpha, lower_is_better) - _cvar_along(t, alpha, lower_is_better)

    if np.all(x == y):
        return gain, 0.0, 0.0
    low, high = _bootstrap((x, y), statistic, seed)
    return gain, low, high
