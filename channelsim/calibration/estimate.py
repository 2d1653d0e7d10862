"""What every estimator returns: a value with its interval, its evidence and its method.

An :class:`Estimate` is one number the data gives, tied to the scenario key it fills (or to no
key, when it only informs: the naive cycle, the observed direct share of leads). Its interval
is a 95% interval of the estimate (not of single deals); ``n`` counts the evidence (deals,
months, owners) and ``method`` names how it was computed, in words that go into the calibrated
scenario's comments, ``fit.json`` and the report.

:func:`observed_information_interval` is the one place the likelihood-based intervals come
from: the inverse of the negative log-likelihood's Hessian at the maximum (``scipy.differentiate``)
gives the covariance of the parameters, and the delta method carries it to a derived quantity
on the log scale, so a positive quantity gets a positive interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import differentiate, stats

__all__ = [
    "LEVEL",
    "Z",
    "Estimate",
    "NotFromData",
    "clopper_pearson",
    "covariance",
    "log_interval",
    "observed_information_interval",
    "poisson_rate_interval",
]

LEVEL = 0.95
"""Confidence level of every interval."""

Z = float(stats.norm.ppf(0.5 + LEVEL / 2))
"""The normal quantile of :data:`LEVEL` (1.96)."""


@dataclass(frozen=True)
class Estimate:
    """One quantity estimated from the export.

    Attributes:
        key: the dotted scenario key it fills (``direct.win_rate``), or a descriptive name.
        value: the point estimate (a number; a distribution's mean for a distribution).
        low: lower end of the 95% interval (NaN when none can be given).
        high: upper end of the 95% interval.
        n: how much evidence: deals, months or owners (see ``method``).
        method: how it was computed, in a few words.
        written: what goes into the scenario under ``key`` (a number, or a distribution
            table); None when the estimate only informs.
        unit: the unit, in words.
        extra: anything else worth keeping in ``fit.json`` (the chosen family, AIC table...).
    """

    key: str
    value: float
    low: float
    high: float
    n: int
    method: str
    written: Any = None
    unit: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def in_scenario(self) -> bool:
        """Whether the estimate fills a scenario key."""
        return self.written is not None

    def covers(self, truth: float) -> bool:
        """Whether ``truth`` lies in the interval (ends included)."""
        return self.low <= truth <= self.high

    def as_json(self) -> dict[str, Any]:
        """The estimate as plain JSON data."""
        return {
            "key": self.key,
            "value": self.value,
            "ci_low": self.low,
            "ci_high": self.high,
            "n": self.n,
            "method": self.method,
            "unit": self.unit,
            "written": self.written,
            **({"details": self.extra} if self.extra else {}),
        }


@dataclass(frozen=True)
class NotFromData:
    """A scenario input the export cannot tell: it keeps the base's (or default) value."""

    key: str
    reason: str


def clopper_pearson(successes: int, trials: int) -> tuple[float, float]:
    """Exact binomial interval of a proportion (``scipy.stats.binomtest``)."""
    if trials == 0:
        return math.nan, math.nan
    ci = stats.binomtest(successes, trials).proportion_ci(LEVEL, method="exact")
    return float(ci.low), float(ci.high)


def poisson_rate_interval(count: int, exposure: float) -> tuple[float, float]:
    """Exact (Garwood) interval of a Poisson rate: ``count`` events over ``exposure``."""
    alpha = 1 - LEVEL
    low = stats.chi2.ppf(alpha / 2, 2 * count) / 2 if count else 0.0
    high = stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    return float(low) / exposure, float(high) / exposure


def covariance(nll: Callable[[np.ndarray], float], theta: np.ndarray) -> np.ndarray | None:
    """Inverse of the Hessian of ``nll`` at its minimum ``theta``; None when not invertible."""
    theta = np.asarray(theta, dtype=float)

    def vectorised(x: np.ndarray) -> np.ndarray:
        flat = x.reshape(len(theta), -1)
        values = np.array([nll(flat[:, j]) for j in range(flat.shape[1])])
        return values.reshape(x.shape[1:])

    hess = differentiate.hessian(vectorised, theta, initial_step=0.05).ddf
    hess = np.atleast_2d(hess)
    if not np.all(np.isfinite(hess)):
        return None
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return None
    if np.any(np.diag(cov) < 0):
        return None
    return cov


def log_interval(value: float, se_log: float) -> tuple[float, float]:
    """``value * exp(-+z se)``: the interval of a positive quantity whose log has error ``se``."""
    if not (math.isfinite(se_log) and value > 0):
        return math.nan, math.nan
    return value * math.exp(-Z * se_log), value * math.exp(Z * se_log)


def observed_information_interval(
    nll: Callable[[np.ndarray], float],
    theta: np.ndarray,
    quantity: Callable[[np.ndarray], float],
) -> tuple[float, float]:
    """95% interval of a positive ``quantity(theta)`` at the maximum-likelihood ``theta``.

    Args:
        nll: the negative log-likelihood.
        theta: its minimiser.
        quantity: a positive function of the parameters (a mean, a rate at some date).

    Returns:
        ``(low, high)``, or NaNs when the information matrix cannot be inverted.
    """
    cov = covariance(nll, theta)
    value = float(quantity(theta))
    if cov is None or not value > 0:
        return math.nan, math.nan
    step = 1e-6 * np.maximum(np.abs(theta), 1.0)
    grad = np.array(
        [
            (math.log(quantity(theta + e)) - math.log(quantity(theta - e))) / (2 * s)
            for e, s in ((np.eye(len(theta))[i] * step[i], step[i]) for i in range(len(theta)))
        ]
    )
    var = float(grad @ cov @ grad)
    return log_interval(value, math.sqrt(var) if var >= 0 else math.nan)
