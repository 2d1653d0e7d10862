"""The value of information: which uncertain assumption is worth finding out before deciding.

Input: a probabilistic sensitivity analysis. ``n`` samples of the uncertain parameters
``theta_i`` and, for each, the net benefit ``NB[i, d]`` of each strategy ``d`` (the mean of the
objective over the replications run at that sample, higher is better). Output:

* **probability best**: the share of samples in which each strategy has the highest NB;
* **expected loss** of choosing ``d``: the mean over samples of ``max_d' NB[i, d'] - NB[i, d]``,
  what choosing ``d`` now forgoes, on average, against choosing with the parameters known;
* **EVPI**, the expected value of perfect information:
  ``mean_i max_d NB[i, d] - max_d mean_i NB[i, d]`` (the expected loss of the strategy that is
  best on average: knowing every parameter before deciding is worth this much);
* **EVPPI** of one parameter ``phi``, the value of knowing it alone, by the regression method
  of Strong, Oakley and Brennan (2014, *Medical Decision Making* 34(3): 311-326): regress the
  incremental net benefit of each strategy against the first, ``INB[i, d] = NB[i, d] -
  NB[i, 0]``, on ``phi_i``; the fitted values ``g_d(phi_i)`` estimate ``E[INB_d | phi]`` and
  ``EVPPI = mean_i max_d g_d(phi_i) - max_d mean_i g_d(phi_i)`` (with ``g_0 = 0``). The noise
  that the regression smooths away is the variation due to the other parameters and to the
  simulation itself, so the same sample serves every parameter.

The smoother is a regression spline: a constant, a straight line, a cubic or a cubic spline
(the B-spline basis of ``scipy.interpolate.BSpline``, 1 to 8 interior knots at quantiles of
``phi``, at least 8 samples per basis function), fitted by least squares
(``numpy.linalg.lstsq``), the size chosen by generalised cross-validation, ``GCV = n RSS /
(n - p)^2`` with ``p`` basis functions. Strong et al. fit the same kind of smooth with a
penalty (R's mgcv); an unpenalised spline whose size GCV chooses is its classical counterpart,
and the constant and the line among the candidates keep a parameter that does not matter from
being given a value by a wiggle fitted to noise (on 64 samples, about 1% of the EVPI in
``tests/test_information.py``'s null case). A parameter that takes at most
:data:`DISCRETE_VALUES` distinct values (a whole-number key over a short range) is regressed on
its values as categories: the fitted value is the mean INB of the samples that share the value.

Intervals (95%): a percentile bootstrap (``scipy.stats.bootstrap``) over the samples, every
estimate recomputed on each resample with the knots chosen on the whole sample.

The estimates are of the decision problem as simulated: the replications' noise at each sample
adds to the spread between strategies, which biases EVPI upwards where strategies are close.
Common random numbers (every strategy and sample on the same replications) keep that noise
small in the differences; more replications lower it further.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DISCRETE_VALUES",
    "Interval",
    "ValueOfInformation",
    "conditional_means",
    "evppi",
    "value_of_information",
]

DISCRETE_VALUES = 8
"""A parameter with at most this many distinct values is regressed on them as categories."""

MAX_KNOTS = 8
"""Most interior knots of the regression spline."""

RESAMPLES = 999
"""Bootstrap resamples of the intervals."""


@dataclass(frozen=True)
class Interval:
    """An estimate and its 95% interval.

    Attributes:
        value: the estimate on the whole sample.
        ci_low: lower end of the bootstrap interval (NaN when there is none).
        ci_high: upper end.
    """

    value: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class ValueOfInformation:
    """Every estimate of :func:`value_of_information`.

    Attributes:
        strategies: the strategies, in the order of the columns of the net benefits.
        prob_best: per strategy, the probability that it is best.
        expected_loss: per strategy, the expected loss of choosing it now.
        evpi: the expected value of perfect information.
        evppi: per parameter, the expected value of perfect information on it alone.
        best: the strategy with the highest mean net benefit (the choice without more
            information).
        samples: samples used.
    """

    strategies: tuple[str, ...]
    prob_best: dict[str, Interval]
    expected_loss: dict[str, Interval]
    evpi: Interval
    evppi: dict[str, Interval]
    best: str
    samples: int


# -- regression ---------------------------------------------------------------------------------

Fitter = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``fit(indices, y)``: fitted values at the samples ``indices`` of a regression on them."""


def _categorical(codes: np.ndarray) -> Fitter:
    def fit(idx: np.ndarray, y: np.ndarray) -> np.ndarray:
        c = codes[idx]
        sums = np.bincount(c, weights=y, minlength=codes.max() + 1)
        counts = np.bincount(c, minlength=codes.max() + 1)
        return sums[c] / counts[c]

    return fit


def _basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    from scipy.interpolate import BSpline  # imported here: scipy is loaded by the analysis only

    lo, hi = x.min(), x.max()
    t = np.r_[[lo] * 4, knots, [hi] * 4]
    return BSpline.design_matrix(np.clip(x, lo, hi), t, 3).toarray()


def _least_squares(design: np.ndarray, y: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return design @ coef


def _designs(x: np.ndarray):
    """The candidate bases, smallest first: constant, straight line, cubic, cubic splines."""
    n = x.size
    yield np.ones((n, 1))
    yield np.column_stack([np.ones(n), x - x.mean()])
    for m in range(min(MAX_KNOTS, max(0, n // 8 - 4)) + 1):
        knots = np.quantile(x, np.linspace(0, 1, m + 2)[1:-1]) if m else np.empty(0)
        yield _basis(x, np.unique(knots[(knots > x.min()) & (knots < x.max())]))


def _spline(x: np.ndarray, y: np.ndarray) -> Fitter:
    """The regression spline whose size GCV chooses on the whole sample."""
    n = x.size
    best: tuple[float, np.ndarray] | None = None
    for design in _designs(x):
        p = design.shape[1]
        if p >= n:
            break
        rss = float(((y - _least_squares(design, y)) ** 2).sum())
        gcv = n * rss / (n - p) ** 2
        if best is None or gcv < best[0] - 1e-12 * abs(best[0]):
            best = (gcv, design)
    assert best is not None
    design = best[1]

    def fit(idx: np.ndarray, y: np.ndarray) -> np.ndarray:
        return _least_squares(design[idx], y)

    return fit


def _fitter(phi: np.ndarray, y: np.ndarray) -> Fitter:
    """The regression of ``y`` on ``phi``, its form chosen on the whole sample."""
    values, codes = np.unique(phi, return_inverse=True)
    if values.size <= DISCRETE_VALUES:
        return _categorical(codes)
    return _spline(phi, y)


def conditional_means(phi: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``E[y | phi]`` at each sample, by the regression of the module docstring.

    Args:
        phi: the parameter's value at each sample.
        y: the quantity to regress (e.g. an incremental net benefit) at each sample.

    Returns:
        The fitted values.
    """
    phi, y = np.asarray(phi, dtype=float), np.asarray(y, dtype=float)
    return _fitter(phi, y)(np.arange(y.size), y)


def _evppi_from(fitted: Sequence[np.ndarray]) -> float:
    """``mean max_d g_d - max_d mean g_d`` with ``g_0 = 0`` (the first strategy's INB)."""
    g = np.column_stack([np.zeros_like(fitted[0]), *fitted])
    return float(g.max(axis=1).mean() - g.mean(axis=0).max())


def evppi(phi: np.ndarray, nb: np.ndarray) -> float:
    """The EVPPI of one parameter (Strong, Oakley and Brennan 2014; see the module docstring).

    Args:
        phi: the parameter's value at each sample.
        nb: net benefits, one row per sample and one column per strategy.

    Returns:
        The EVPPI (0 with a single strategy).
    """
    nb = np.asarray(nb, dtype=float)
    if nb.shape[1] < 2:
        return 0.0
    inb = nb[:, 1:] - nb[:, :1]
    return _evppi_from([conditional_means(phi, inb[:, j]) for j in range(inb.shape[1])])


# -- every estimate with its interval -----------------------------------------------------------


def _point_estimates(nb: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """EVPI, probability best and expected loss per strategy of a net-benefit table."""
    top = nb.max(axis=1)
    loss = (top[:, None] - nb).mean(axis=0)
    best = np.argmax(nb, axis=1)
    prob = np.bincount(best, minlength=nb.shape[1]) / nb.shape[0]
    evpi = float(top.mean() - nb.mean(axis=0).max())
    return evpi, prob, loss


def value_of_information(
    nb: np.ndarray,
    strategies: Sequence[str],
    params: Mapping[str, np.ndarray],
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> ValueOfInformation:
    """Probability best, expected loss, EVPI and EVPPI per parameter, with 95% intervals.

    Args:
        nb: net benefits (higher is better), one row per sample and one column per strategy.
        strategies: the strategies, in column order.
        params: each uncertain parameter's value at each sample.
        seed: seeds the bootstrap (the same call gives the same intervals).
        resamples: bootstrap resamples (0: no intervals).

    Returns:
        The estimates.

    Raises:
        ValueError: a table that is not samples x strategies, non-finite net benefits, or
            parameters of another length.
    """
    nb = np.asarray(nb, dtype=float)
    n, d = nb.shape if nb.ndim == 2 else (0, 0)
    if nb.ndim != 2 or d != len(strategies) or n < 2:
        raise ValueError("net benefits must be a (samples >= 2) x strategies table")
    if not np.all(np.isfinite(nb)):
        raise ValueError("net benefits must be finite")
    names = list(params)
    phis = [np.asarray(params[k], dtype=float) for k in names]
    if any(p.shape != (n,) for p in phis):
        raise ValueError("every parameter needs one value per sample")
    inb = nb[:, 1:] - nb[:, :1]
    fitters = [[_fitter(p, inb[:, j]) for j in range(d - 1)] for p in phis]

    def estimates(idx: np.ndarray) -> np.ndarray:
        evpi, prob, loss = _point_estimates(nb[idx])
        partial = [
            _evppi_from([fit(idx, inb[idx, j]) for j, fit in enumerate(fits)]) if fits else 0.0
            for fits in fitters
        ]
        return np.r_[evpi, partial, prob, loss]

    full = estimates(np.arange(n))
    low = high = np.full(full.shape, math.nan)
    if resamples > 0:
        from scipy import stats  # imported here: half a second, only when intervals are made

        result = stats.bootstrap(
            (np.arange(n),),
            estimates,
            vectorized=False,
            n_resamples=resamples,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
        low = np.asarray(result.confidence_interval.low, dtype=float)
        high = np.asarray(result.confidence_interval.high, dtype=float)

    def at(i: int) -> Interval:
        return Interval(float(full[i]), float(low[i]), float(high[i]))

    k = len(names)
    return ValueOfInformation(
        strategies=tuple(strategies),
        prob_best={s: at(1 + k + j) for j, s in enumerate(strategies)},
        expected_loss={s: at(1 + k + d + j) for j, s in enumerate(strategies)},
        evpi=at(0),
        evppi={name: at(1 + i) for i, name in enumerate(names)},
        best=strategies[int(np.argmax(nb.mean(axis=0)))],
        samples=n,
    )
