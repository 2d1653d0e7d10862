"""Subscription retention: the share of a cohort still subscribed after ``k`` renewals.

* fixed churn ``p`` at every renewal: the geometric ``S(k) = (1 - p)^k``;
* churn that differs between customers, drawn once from a beta distribution: the
  shifted-beta-geometric model (Fader and Hardie 2007), ``S(k) = B(a, b + k) / B(a, b)``, whose
  hazard ``a / (a + b + k)`` falls with tenure as the customers likely to leave are gone.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from channelsim.theory.arguments import FloatOrArray


def geometric_survival(p: float, k: FloatOrArray) -> FloatOrArray:
    """Share still subscribed after ``k`` renewals, each lost with probability ``p``."""
    out = (1.0 - p) ** np.asarray(k, dtype=float)
    return float(out) if out.ndim == 0 else out


def sbg_survival(a: float, b: float, k: FloatOrArray) -> FloatOrArray:
    """Shifted-beta-geometric share still subscribed after ``k`` renewals (churn ~ Beta(a, b))."""
    kk = np.asarray(k, dtype=float)
    out = np.exp(special.betaln(a, b + kk) - special.betaln(a, b))
    return float(out) if out.ndim == 0 else out
