"""Confidence intervals over replications.

Every summary number is a mean over independent replications with a 95% Student-t interval;
``n`` counts the replications where the metric is defined.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["confidence_intervals"]


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
        # Student t quantile (what scipy.stats.t.ppf calls, without its import and checks)
        tq = special.stdtrit(np.maximum(n - 1, 1), 0.5 + level / 2)
        half = np.where(n > 1, tq * std / np.sqrt(safe_n), np.nan)
    return mean, std, mean - half, mean + half, n
