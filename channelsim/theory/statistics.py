"""The Student t confidence interval used for every summary number."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import stats

# --------------------------------------------------------------------------------------------------
# Statistics


class TInterval(NamedTuple):
    """Mean, sample standard deviation and Student t confidence interval of a sample."""

    mean: float
    std: float
    low: float
    high: float
    n: int


def student_t_ci(values: npt.ArrayLike, level: float = 0.95) -> TInterval:
    """Student t confidence interval for the mean of independent replications.

    Formula: ``mean +/- t_{(1+level)/2, n-1} * s / sqrt(n)`` with ``s`` the sample standard
    deviation (``ddof=1``); the same as ``scipy.stats.t.interval(level, n-1, mean, s/sqrt(n))``.

    Conventions: with ``n = 1`` the spread is unknown, so ``std``, ``low`` and ``high`` are NaN
    (not the mean: a single replication says nothing about precision); a constant sample gives
    ``std = 0`` and a zero-width interval ``low = high = mean``; NaNs in ``values`` propagate.

    Args:
        values: The sample (one number per replication), 1-d.
        level: Confidence level in ``(0, 1)``.

    Returns:
        A :class:`TInterval` ``(mean, std, low, high, n)``, which unpacks like a tuple.

    Raises:
        ValueError: If ``values`` is empty or not 1-d, or ``level`` is not in ``(0, 1)``.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"values must be 1-d, got shape {x.shape}")
    n = int(x.size)
    if n == 0:
        raise ValueError("need at least one value for a confidence interval")
    mean = float(x.mean())
    if n == 1:
        return TInterval(mean, math.nan, math.nan, math.nan, 1)
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * std / math.sqrt(n)
    return TInterval(mean, std, mean - half, mean + half, n)
