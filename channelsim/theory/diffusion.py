"""Bass (1969) diffusion: cumulative adoption, adoption rate, peak and expected adopters."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from channelsim.theory.arguments import FloatOrArray, as_output, check_nonnegative, check_positive

# --------------------------------------------------------------------------------------------------
# Bass diffusion


def _check_bass(p: float, q: float) -> tuple[float, float]:
    p = check_positive("innovation coefficient p", p)
    q = check_nonnegative("imitation coefficient q", q)
    return p, q


def _as_times(t: npt.ArrayLike) -> npt.NDArray[np.float64]:
    arr = np.asarray(t, dtype=np.float64)
    if np.any(arr < 0):
        raise ValueError("Bass diffusion times must be >= 0")
    return arr


def bass_cumulative(t: npt.ArrayLike, p: float, q: float) -> FloatOrArray:
    """Share of the market that has adopted by time ``t`` under Bass (1969) diffusion.

    Formula: ``F(t) = (1 - e^{-(p+q) t}) / (1 + (q/p) e^{-(p+q) t})``, the solution with
    ``F(0) = 0`` of ``F' = (p + q F)(1 - F)``. ``F`` increases to 1.

    Args:
        t: Time(s) since launch, >= 0, in the unit of ``1 / p``.
        p: Coefficient of innovation, > 0 (typically 0.01-0.03 a year).
        q: Coefficient of imitation, >= 0 (typically 0.3-0.5 a year).

    Returns:
        ``F(t)`` in ``[0, 1)``.
    """
    p, q = _check_bass(p, q)
    e = np.exp(-(p + q) * _as_times(t))
    return as_output((1.0 - e) / (1.0 + (q / p) * e))


def bass_rate(t: npt.ArrayLike, m: float, p: float, q: float) -> FloatOrArray:
    """Adoption rate of a market of size ``m`` under Bass diffusion.

    Formula: ``m F'(t) = m (p + q F(t)) (1 - F(t))``
    ``= m ((p + q)^2 / p) e^{-(p+q) t} / (1 + (q/p) e^{-(p+q) t})^2``.

    Args:
        t: Time(s) since launch, >= 0.
        m: Market size (number of eventual adopters), >= 0.
        p: Coefficient of innovation, > 0.
        q: Coefficient of imitation, >= 0.

    Returns:
        Adoptions per unit time at ``t``.
    """
    m = check_nonnegative("market size m", m)
    f = np.asarray(bass_cumulative(t, p, q), dtype=np.float64)
    return as_output(m * (p + q * f) * (1.0 - f))


def bass_peak_time(p: float, q: float) -> float:
    """Time at which the Bass adoption rate peaks.

    Formula: ``t* = ln(q / p) / (p + q)`` when ``q > p``; otherwise the rate decreases from launch
    and the peak is at ``t = 0`` (returned as 0.0).

    Args:
        p: Coefficient of innovation, > 0.
        q: Coefficient of imitation, >= 0.

    Returns:
        The peak time, >= 0.
    """
    p, q = _check_bass(p, q)
    if q <= p:
        return 0.0
    return math.log(q / p) / (p + q)


def bass_expected_between(t0: float, t1: float, m: float, p: float, q: float) -> float:
    """Expected number of adoptions between ``t0`` and ``t1`` under Bass diffusion.

    Formula: ``m (F(t1) - F(t0))``.

    Args:
        t0: Start of the interval, >= 0.
        t1: End of the interval, >= ``t0``.
        m: Market size, >= 0.
        p: Coefficient of innovation, > 0.
        q: Coefficient of imitation, >= 0.

    Returns:
        The expected number of adoptions in ``[t0, t1]``.

    Raises:
        ValueError: If ``t1 < t0`` or an argument is out of range.
    """
    if t1 < t0:
        raise ValueError(f"need t0 <= t1, got t0={t0}, t1={t1}")
    m = check_nonnegative("market size m", m)
    return m * (float(bass_cumulative(t1, p, q)) - float(bass_cumulative(t0, p, q)))
