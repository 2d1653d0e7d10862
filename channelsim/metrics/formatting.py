"""Numbers in their metric's unit, for the terminal, the report, the verdict and plot axes.

One formatter, driven by the catalogue's units: money with thousands separators and no
decimals, shares as percentages, months and small counts with one decimal, indices with a few.
The report shows ``mean (low–high)`` with a typographic minus; the terminal shows
``mean [low, high]``; both read :func:`format_number`. Sentences and axes use the compact
money forms (``1.23M`` in a sentence, ``1.2M`` on an axis tick).

No imports beyond the standard library and the catalogue, so the command line can format its
tables before anything heavy is loaded.
"""

from __future__ import annotations

import math

from channelsim.metrics.catalogue import metric as _entry

__all__ = [
    "axis_money",
    "format_estimate",
    "format_fitted",
    "format_interval",
    "format_number",
    "format_estimate",
    "format_value",
    "money_words",
    "undefined_text",
]

_DECIMALS = {"index": ".3f", "elasticity": ".2f"}
"""Format of the units that are neither money, shares, months nor counts."""

MINUS = "\u2212"
"""The typographic minus sign of the report (reads better next to an interval's en dash)."""


def _unit(name: str) -> str:
    try:
        return _entry(name).unit
    except KeyError:
        return ""


def _spec(name: str, magnitude: float) -> tuple[float, str, str]:
    """(scale, format spec, suffix) for a value of metric ``name`` of size ``magnitude``."""
    unit = _unit(name)
    if unit == "share":
        return 100.0, ".1f", "%"
    if unit.startswith("currency"):
        return 1.0, ",.0f", ""
    if unit == "month":
        return 1.0, ",.1f", ""
    if unit in _DECIMALS:
        return 1.0, _DECIMALS[unit], ""
    # counts: a decimal while small, so 0.3 sales a month does not read as 0
    return 1.0, (",.1f" if abs(magnitude) < 100 else ",.0f"), ""


def format_number(name: str, value: float, *, like: float | None = None) -> str:
    """One number in the unit of metric ``name`` (ASCII minus; "" when not finite).

    Args:
        name: a metric name (unknown names are formatted as counts).
        value: the number.
        like: format as for this value instead (a half-width takes its mean's format).

    Returns:
        e.g. ``"1,234,567"``, ``"23.4%"``, ``"14.2"``, ``"-3,000"``; a value that rounds to
        zero never shows a sign (``"0.0"``, not ``"-0.0"``).
    """
    if not math.isfinite(value):
        return ""
    scale, spec, suffix = _spec(name, value if like is None else like)
    text = f"{value * scale + 0.0:{spec}}{suffix}"
    if text.lstrip("-").strip("0.,%") == "":  # -0.3 shown as "-0": the sign means nothing
        text = text.lstrip("-")
    return text


def undefined_text(name: str, default: str = "\u2014") -> str:
    """What to show for a metric undefined in every replication ("never", "no sales", ...)."""
    try:
        return _entry(name).undefined or default
    except KeyError:
        return default


def format_value(name: str, value: float) -> str:
    """One number for the report: :func:`format_number` with a typographic minus sign.

    Args:
        name: a metric name.
        value: the number (NaN gives an empty string).

    Returns:
        The text, e.g. ``"1,234,567"``, ``"23.4%"``, ``"14.2"``, ``"−3,000"``.
    """
    return format_number(name, value).replace("-", MINUS)


def format_interval(name: str, low: float, high: float) -> str:
    """``low–high`` in the metric's unit for the report (empty without an interval).

    Args:
        name: a metric name.
        low: lower end of the 95% interval.
        high: upper end.

    Returns:
        The text; a spaced dash when an end is negative (``−5,000 – −1,000``).
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    lo, hi = format_value(name, low), format_value(name, high)
    dash = " \u2013 " if (lo + hi).count(MINUS) else "\u2013"
    return f"{lo}{dash}{hi}"


def format_estimate(
    name: str, mean: float, ci_low: float, ci_high: float, n: int | None = None
) -> str:
    """``mean [low, high]`` for the terminal: the value and its 95% interval, as measured.

    The interval is shown as its two ends, not as a half-width: a bootstrap interval of a
    bounded quantity is not symmetric, and ``mean ± half`` would suggest ends it does not have
    (a negative peak investment). Without an interval only the mean is shown, with
    ``(n = 1: no interval)`` when ``n`` says why; a metric undefined in every replication
    shows its catalogue text ("never", "no sales").

    Args:
        name: a metric name.
        mean: the mean over replications (NaN when undefined in every replication).
        ci_low: lower end of the 95% interval (NaN when there is none).
        ci_high: upper end of the 95% interval.
        n: replications behind the mean, when known.

    Returns:
        The cell text, e.g. ``"1,234,567 [1,190,000, 1,280,000]"``, ``"23.4% [22.1%, 24.6%]"``.
    """
    if not math.isfinite(mean):
        return undefined_text(name, "-")
    text = format_number(name, mean)
    if math.isfinite(ci_low) and math.isfinite(ci_high):
        lo = format_number(name, ci_low, like=mean)
        hi = format_number(name, ci_high, like=mean)
        text += f" [{lo}, {hi}]"
    elif n == 1:
        text += " (n = 1: no interval)"
    return text


def format_fitted(value: float, unit: str = "") -> str:
    """A fitted scenario input (``calibrate``): money without decimals, else 4 significant digits.

    Args:
        value: the number (not finite: an empty string).
        unit: the estimate's unit; ``currency`` (or any unit from 1,000 up) gets thousands
            separators.

    Returns:
        The text, e.g. ``"14,982"``, ``"0.2924"``, ``"55.73"``.
    """
    if not math.isfinite(value):
        return ""
    if unit.startswith("currency") or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def money_words(x: float) -> str:
    """Money in a sentence: ``950``, ``12k``, ``3.20M``, ``1.05bn`` (two decimals from 1M)."""
    ax = abs(x)
    if ax >= 1e9:
        return f"{x / 1e9:,.2f}bn"
    if ax >= 1e6:
        return f"{x / 1e6:,.2f}M"
    if ax >= 1e4:
        return f"{x / 1e3:,.0f}k"
    return f"{x:,.0f}"


def axis_money(x: float, _pos: object = None) -> str:
    """Compact money for axis ticks and bar labels: ``950``, ``12.5k``, ``3.2M``, ``-1.1M``.

    Args:
        x: an amount of money.
        _pos: tick position (unused; lets the function serve as a tick formatter).

    Returns:
        The text, without a currency symbol.
    """
    if not math.isfinite(x):
        return ""
    sign = "-" if x < 0 else ""
    a = abs(x)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= size:
            value = a / size
            text = f"{value:.1f}".rstrip("0").rstrip(".") if value < 100 else f"{value:.0f}"
            return f"{sign}{text}{suffix}"
    return f"{sign}{a:.0f}"
