"""Argument checks shared by the closed forms (a bad argument is a ValueError naming it)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatOrArray = float | npt.NDArray[np.float64]
"""A float for a scalar input, an array for an array input."""


def as_output(x: npt.NDArray[np.float64]) -> FloatOrArray:
    """Return a Python float for 0-d results, the array otherwise."""
    return float(x) if np.ndim(x) == 0 else x


def check_servers(c: int, minimum: int = 1) -> int:
    """``c`` as a whole number of servers, at least ``minimum``."""
    if isinstance(c, bool) or int(c) != c:
        raise ValueError(f"number of servers c must be an integer, got {c!r}")
    if c < minimum:
        raise ValueError(f"number of servers c must be >= {minimum}, got {c}")
    return int(c)


def check_positive(name: str, value: float) -> float:
    """``value`` as a positive finite float."""
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def check_nonnegative(name: str, value: float) -> float:
    """``value`` as a non-negative finite float."""
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a non-negative finite number, got {value!r}")
    return float(value)
