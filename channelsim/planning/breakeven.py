"""Break-even: where strategy A's metric equals strategy B's, or where A's crosses zero.

"At what lead volume does a sales team beat agents?" is the root of
``D(x) = mean over replications of (metric_A(x) - metric_B(x))`` for ``x`` a scenario key
(``demand.leads_per_month``, ``partners.VARs.discount``, ...). "At what commission does the
affiliate program stop paying?" compares one strategy with zero, not with another strategy:
with ``b=None`` (``--b none``) ``D(x)`` is the mean of ``metric_A(x)`` itself, and the same
search finds where it crosses zero.

**Method.** Every evaluation of ``D`` runs both strategies on the same replications (common
random numbers: the same seeds at every ``x``), so the noise in ``D`` is mostly common to
neighbouring ``x`` and the curve is smooth enough for root finding. The range is scanned first
(``scan`` evenly spaced values, ends included); the first adjacent pair where the mean
difference changes sign brackets the break-even, which ``scipy.optimize.brentq`` then finds
(bisection on integers for whole-number keys). No sign change in the scan is an answer, not an
error: one strategy is better throughout the range.

**Confidence interval.** The 95% interval of the break-even is the set of values at which the
paired difference cannot be told from zero: its lower end is where the 95% interval of ``D``
(Student t over replications, as everywhere in channelsim) stops excluding zero on the low side,
its upper end where it starts excluding zero on the high side. Both ends are found with brentq
on the interval's bounds (inverting the test, as for a Fieller interval). An end is ``None``
when the difference is not significant all the way to that end of the search range.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from channelsim import __version__
from channelsim.errors import Problem, UsageError
from channelsim.experiments.executors import open_executor
from channelsim.experiments.replications import prepare
from channelsim.experiments.run_size import Plan
from channelsim.metrics.catalogue import lower_is_better
from channelsim.outputs.files import BREAKEVEN_JSON
from channelsim.planning.curve import DifferenceCurve
from channelsim.planning.options import RunOptions
from channelsim.planning.parameters import (
    ParamSpec,
    apply_values,
    check_channel,
    check_metric,
    check_param,
)
from channelsim.scenario import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "BreakevenResult",
    "breakeven",
    "breakeven_plan",
    "evaluation_budget",
    "find_crossing",
]

METHOD = (
    "root of the mean paired difference A - B over common-random-number replications "
    "(scan, then brentq; bisection for whole numbers); 95% interval: where the Student t "
    "interval of the paired difference contains zero"
)
METHOD_ZERO = (
    "root of the mean of A's metric over common-random-number replications (scan, then "
    "brentq; bisection for whole numbers); 95% interval: where the Student t interval of the "
    "mean contains zero"
)
NONE = "none"
"""The ``--b`` spelling of "no strategy B": find where A's metric crosses zero."""


XTOL_SHARE = 1e-3
"""brentq's tolerance on the break-even and the ends of its interval, a share of the range."""


def evaluation_budget(low: float, high: float, scan: int, integer: bool = False) -> int:
    """The most parameter values :func:`breakeven` evaluates, for the event budget.

    The ``scan`` values, then three root searches (the break-even and the two ends of its
    interval), each budgeted at the halvings bisection needs across the whole range, down to
    :data:`XTOL_SHARE` of it (to 1 for whole numbers), plus one value (the root itself, or the
    neighbour of a whole-number root). Bisection on whole numbers stays within it; brentq falls
    back to bisection when interpolation makes slow progress and usually needs far fewer steps
    (``tests/test_budget.py`` checks it on noisy curves), but its worst case is more: an upper
    estimate, not a proof.

    Args:
        low: lower end of the range.
        high: upper end of the range.
        scan: values scanned first.
        integer: the key takes whole numbers (bisection on integers).

    Returns:
        The number of evaluations (each runs both strategies and every replication).
    """
    width = max(math.floor(high) - math.ceil(low), 1) if integer else 1 / XTOL_SHARE
    return scan + 3 * math.ceil(math.log2(width)) + 1


def _int_boundary(pred: Callable[[int], bool], p: int, q: int) -> int:
    """The first integer in (p, q] where ``pred`` is False, given pred(p) and not pred(q)."""
    while q - p > 1:
        mid = (p + q) // 2
        if pred(mid):
            p = mid
        else:
            q = mid
    return q


def find_crossing(
    xs: Sequence[float], values: Sequence[float]
) -> tuple[float, float] | float | None:
    """The first sign change along scanned values.

    Args:
        xs: scanned points, increasing.
        values: the function at those points (NaN where undefined: skipped).

    Returns:
        A bracket ``(x_left, x_right)`` of the first sign change, a point where the value is
        exactly zero (when the crossing is there), or None when the sign never changes (the
        first exact zero, if any, still counts as a crossing).
    """
    previous: tuple[float, float] | None = None  # last finite non-zero (x, value)
    zero_since: float | None = None  # first exact zero after ``previous``
    first_zero: float | None = None
    for x, v in zip(xs, values, strict=True):
        if not math.isfinite(v):
            continue
        if v == 0:
            zero_since = x if zero_since is None else zero_since
            first_zero = x if first_zero is None else first_zero
            continue
        if previous is not None and (previous[1] > 0) != (v > 0):
            return zero_since if zero_since is not None else (previous[0], x)
        previous, zero_since = (x, v), None
    return first_zero


def _count_crossings(values: Sequence[float]) -> int:
    signs = [v > 0 for v in values if math.isfinite(v) and v != 0]
    return sum(1 for s, t in zip(signs, signs[1:], strict=False) if s != t)


@dataclass
class BreakevenResult:
    """Result of :func:`breakeven`.

    Attributes:
        param: the parameter key.
        value: the break-even value (None: no sign change in the range).
        ci_low: lower end of its 95% interval (None: beyond ``low`` or not determined).
        ci_high: upper end (None: beyond ``high`` or not determined).
        metric: the metric compared.
        channel: the channel compared.
        a: strategy A.
        b: strategy B (None: A's metric against zero).
        low: lower end of the search range.
        high: upper end of the search range.
        replications: replications per evaluation.
        message: the answer in one sentence.
        evaluations: one row per evaluated value: ``value``, and the mean paired difference
            A - B (A's metric when ``b`` is None) with ``std``, ``ci_low``, ``ci_high``,
            ``n``.
        scenario: the base scenario.
        crossings: sign changes seen in the scan (more than one: several break-evens).
    """

    param: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    metric: str
    channel: str
    a: str
    b: str | None
    low: float
    high: float
    replications: int
    message: str
    evaluations: pd.DataFrame
    scenario: Scenario
    crossings: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        """Whether a break-even lies in the range."""
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        """The contents of ``breakeven.json``."""

        def num(x: Any) -> Any:
            if x is None:
                return None
            x = float(x)
            return x + 0.0 if math.isfinite(x) else None

        return {
            "param": self.param,
            "value": num(self.value),
            "ci_low": num(self.ci_low),
            "ci_high": num(self.ci_high),
            "metric": self.metric,
            "channel": self.channel,
            "a": self.a,
            "b": self.b,
            "found": self.found,
            "message": self.message,
            "low": num(self.low),
            "high": num(self.high),
            "replications": self.replications,
            "seed": self.scenario.scenario.seed,
            "crossings_in_scan": self.crossings,
            "method": METHOD if self.b is not None else METHOD_ZERO,
            "channelsim_version": __version__,
            "evaluations": [
                {
                    "value": num(r.value),
                    "mean": num(r.mean),
                    "std": num(r.std),
                    "ci_low": num(r.ci_low),
                    "ci_high": num(r.ci_high),
                    "n": int(r.n),
                }
                for r in self.evaluations.itertuples(index=False)
            ],
        }

    def plot(self) -> Figure:
        """The difference curve (A's metric without B) with its 95% band and the root marked."""
        # imported here: matplotlib loads only when the curve is drawn
        from channelsim.outputs.planning_plots import plot_breakeven

        return plot_breakeven(
            self.evaluations,
            param=self.param,
            metric=self.metric,
            a=self.a,
            b=self.b,
            value=self.value,
            ci_low=self.ci_low,
            ci_high=self.ci_high,
            currency=self.scenario.scenario.currency,
        )

    def save(self, out_dir: str | Path) -> Path:
        """Write ``scenario.resolved.toml``, ``breakeven.json``, ``results.xlsx``, the plot.

        The folder is replaced atomically; an existing folder must be empty or an output
        folder (it holds ``scenario.resolved.toml``).

        Args:
            out_dir: the folder.

        Returns:
            Its path.
        """
        # imported here: matplotlib loads only when the folder is written
        from channelsim.outputs.run_folder import write_folder
        from channelsim.planning.workbooks import breakeven_sheets

        return write_folder(
            out_dir,
            self.scenario,
            {BREAKEVEN_JSON: json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"},
            {"breakeven": self.plot()},
            kind="breakeven",
            sheets=breakeven_sheets(self),
        )


def _fmt(x: float | None) -> str:
    return "?" if x is None else f"{x:.4g}"


def breakeven(
    scenario: Scenario,
    param: str,
    low: float,
    high: float,
    *,
    metric: str = "contribution",
    a: str = "direct",
    b: str | None = "indirect",
    channel: str = "total",
    scan: int = 5,
    options: RunOptions | None = None,
) -> BreakevenResult:
    """Find the value of ``param`` in ``[low, high]`` where A's metric equals B's.

    Args:
        scenario: the base scenario.
        param: a dotted key that takes a number.
        low: lower end of the search range.
        high: upper end of the search range.
        metric: the summary metric compared (channel ``channel``).
        a: strategy A.
        b: strategy B; None: find where A's metric crosses zero (B's metric counts as 0).
        channel: the channel compared (default: all channels, ``total``).
        scan: values evaluated evenly across the range before root finding (at least 2).
        options: replications per evaluation (the same ones at every value), seed, where to
            run, and progress (called as ``progress(runs done, runs planned so far)``).

    Returns:
        A :class:`BreakevenResult` (``value`` None when the sign never changes).

    Raises:
        UsageError: unknown or non-numeric parameter, ``low >= high``, unknown metric,
            channel or strategies, ``a == b``, ``scan < 2``.
    """
    opts = options or RunOptions()
    check_metric(metric)
    if not low < high:
        raise UsageError(
            Problem(None, "--low/--high", f"low must be below high, got {low:.10g} >= {high:.10g}")
        )
    if scan < 2:
        raise UsageError(Problem(None, "--scan", f"must be at least 2, got {scan}"))
    if a == b:
        raise UsageError(
            Problem(None, "--a/--b", f"compare two different strategies, got {a} twice")
        )
    scenario, names = prepare(scenario, [a] if b is None else [a, b], opts.replications, opts.seed)
    check_channel(scenario, channel)
    spec = ParamSpec(param, low=float(low), high=float(high))
    fs = check_param(scenario, spec)
    apply_values(scenario, {param: fs.convert(low)}, f"--low {low:.10g}")
    apply_values(scenario, {param: fs.convert(high)}, f"--high {high:.10g}")
    reps = scenario.scenario.replications
    integer = fs.kind == "integer"

    with open_executor(opts.jobs, opts.dask, opts.executor) as ex:
        curve = DifferenceCurve(scenario, param, fs, a, b, metric, channel, reps, ex, opts.progress)
        if integer:
            lo_i, hi_i = math.ceil(low), math.floor(high)
            if hi_i <= lo_i:
                raise UsageError(
                    Problem(
                        None,
                        f"--param {param}",
                        f"takes whole numbers and [{low:.10g}, {high:.10g}] holds fewer than two",
                    )
                )
            grid = sorted({int(round(v)) for v in np.linspace(lo_i, hi_i, scan)})
        else:
            grid = [float(v) for v in np.linspace(low, high, scan)]
        evs = curve.evaluate(grid)
        means = [e.mean for e in evs]
        if not any(math.isfinite(m) for m in means):
            which = a if b is None else f"{a} or {b}"
            raise UsageError(
                Problem(
                    None,
                    "--metric",
                    f"{metric} is undefined in every replication of {which} "
                    "(e.g. payback_month when the money never comes back): choose another "
                    "metric",
                )
            )
        crossing = find_crossing([e.value for e in evs], means)
        crossings = _count_crossings(means)
        lower_better = lower_is_better(metric)
        value = ci_low = ci_high = None
        if b is None:
            value, ci_low, ci_high, message = _zero_answer(
                curve, crossing, crossings, integer, low, high, reps
            )
        elif crossing is None:
            finite = [m for m in means if math.isfinite(m)]
            if all(m == 0 for m in finite):
                verdict = f"{a} and {b} are equal throughout"
            else:
                a_higher = finite[0] > 0
                verdict = f"{a} is {'better' if a_higher != lower_better else 'worse'} than {b}"
                verdict += " throughout"
            message = (
                f"no break-even between {low:.10g} and {high:.10g}: {verdict} "
                f"({metric}, channel {channel}, {reps} replications)"
            )
        else:
            value, ci_low, ci_high, side = _solve(curve, crossing, integer, low, high)
            left_a_higher = side > 0
            better_left = a if left_a_higher != lower_better else b
            better_right = b if better_left == a else a
            word = "lower" if lower_better else "higher"
            interval = f"95% CI {_fmt(ci_low)} to {_fmt(ci_high)}"
            if ci_low is None or ci_high is None:
                interval += " (a '?' end lies beyond the search range or is not determined)"
            message = (
                f"break-even at {param} = {value:.4g} ({interval}): below it {better_left} has "
                f"the {word} {metric}, above it {better_right} does ({channel}, {reps} "
                "replications)"
            )
            if crossings > 1:
                message += (
                    f"; the difference changes sign {crossings} times in the range: this is "
                    "the lowest crossing"
                )
    return BreakevenResult(
        param=param,
        value=value,
        ci_low=ci_low,
        ci_high=ci_high,
        metric=metric,
        channel=channel,
        a=a,
        b=b,
        low=float(low),
        high=float(high),
        replications=reps,
        message=message,
        evaluations=curve.table(),
        scenario=scenario,
        crossings=crossings,
        extra={"strategies": names},
    )


def _zero_answer(
    curve: DifferenceCurve,
    crossing: tuple[float, float] | float | None,
    crossings: int,
    integer: bool,
    low: float,
    high: float,
    reps: int,
) -> tuple[float | None, float | None, float | None, str]:
    """Where A's metric crosses zero, its interval and the sentence (``b`` is None)."""
    a, metric, param, channel = curve.a, curve.metric, curve.key, curve.channel
    what = f"{a}'s {metric} ({channel}, {reps} replications)"
    if crossing is None:
        finite = [e.mean for e in curve.cache.values() if math.isfinite(e.mean)]
        sign = (
            "zero" if all(m == 0 for m in finite) else ("positive" if finite[0] > 0 else "negative")
        )
        message = (
            f"no zero crossing between {low:.10g} and {high:.10g}: {what} is {sign} throughout"
        )
        return None, None, None, message
    value, ci_low, ci_high, side = _solve(curve, crossing, integer, low, high)
    below, above = ("positive", "negative") if side > 0 else ("negative", "positive")
    interval = f"95% CI {_fmt(ci_low)} to {_fmt(ci_high)}"
    if ci_low is None or ci_high is None:
        interval += " (a '?' end lies beyond the search range or is not determined)"
    message = (
        f"{what} crosses zero at {param} = {value:.4g} ({interval}): {below} below it, "
        f"{above} above it"
    )
    if crossings > 1:
        message += f"; it changes sign {crossings} times in the range: this is the lowest crossing"
    return value, ci_low, ci_high, message


def _solve(
    curve: DifferenceCurve,
    crossing: tuple[float, float] | float,
    integer: bool,
    low: float,
    high: float,
) -> tuple[float, float | None, float | None, float]:
    """The root and its interval; returns (value, ci_low, ci_high, sign of D below the root)."""
    from scipy.optimize import brentq

    left, right = crossing if isinstance(crossing, tuple) else (crossing, crossing)
    evaluated = [e for e in curve.cache.values() if math.isfinite(e.mean) and e.mean != 0]
    below = [e for e in evaluated if e.value <= left]
    above = [e for e in evaluated if e.value >= right]
    if below:
        side = 1.0 if max(below, key=lambda e: e.value).mean > 0 else -1.0
    else:
        side = -1.0 if above and min(above, key=lambda e: e.value).mean > 0 else 1.0

    def mean(x: float) -> float:
        return side * curve.at(x).mean

    def lo_bound(x: float) -> float:  # lower 95% bound of side * D: > 0 means "A side" sure
        e = curve.at(x)
        bound = e.ci_low if side > 0 else -e.ci_high
        return bound if math.isfinite(bound) else 0.0

    def hi_bound(x: float) -> float:  # upper 95% bound of side * D: < 0 means "B side" sure
        e = curve.at(x)
        bound = e.ci_high if side > 0 else -e.ci_low
        return bound if math.isfinite(bound) else 0.0

    with_ci = curve.replications >= 2
    if integer:
        lo_i, hi_i = math.ceil(low), math.floor(high)
        value = left
        if left != right:
            value = float(_int_boundary(lambda k: mean(k) > 0, int(left), int(right)))
        if not with_ci:
            return value, None, None, side
        k = int(value)
        ci_low_i: float | None = None
        ci_high_i: float | None = None
        if lo_bound(lo_i) > 0 and lo_bound(k) <= 0:
            ci_low_i = float(_int_boundary(lambda j: lo_bound(j) > 0, lo_i, k) - 1)
        elif lo_bound(k) > 0:
            ci_low_i = float(k)
        start = max(lo_i, k - 1)
        if hi_bound(hi_i) < 0 and hi_bound(start) >= 0:
            ci_high_i = float(_int_boundary(lambda j: hi_bound(j) >= 0, start, hi_i))
        elif hi_bound(start) < 0:
            ci_high_i = float(start)
        return value, ci_low_i, ci_high_i, side

    xtol = (high - low) * XTOL_SHARE
    value = left if left == right else float(brentq(mean, left, right, xtol=xtol))
    if not with_ci:
        return value, None, None, side
    curve.at(value)  # the root itself is on the curve (and in the plot)
    xs = sorted(curve.cache)
    ci_low: float | None = None
    ci_high: float | None = None
    if lo_bound(value) >= 0:
        ci_low = value
    else:
        sure = [x for x in xs if x < value and lo_bound(x) > 0]
        if sure:
            ci_low = float(brentq(lo_bound, max(sure), value, xtol=xtol))
    if hi_bound(value) <= 0:
        ci_high = value
    else:
        sure = [x for x in xs if x > value and hi_bound(x) < 0]
        if sure:
            ci_high = float(brentq(hi_bound, value, min(sure), xtol=xtol))
    return value, ci_low, ci_high, side


def breakeven_plan(scenario: Scenario, param: str, low: float, high: float, scan: int) -> Plan:
    """The range of a break-even search and the most values it evaluates.

    Args:
        scenario: the base scenario.
        param: the key varied.
        low: lower end of the range.
        high: upper end of the range.
        scan: values scanned before root finding.

    Returns:
        The plan: ``param`` from ``low`` to ``high``, evaluated at most
        :func:`evaluation_budget` times.

    Raises:
        UsageError: an empty range, an unknown or non-numeric key (the search reports them
            too).
    """
    if not low < high:
        raise UsageError(Problem(None, "--low/--high", "low must be below high"))
    fs = check_param(scenario, ParamSpec(param, low=float(low), high=float(high)))
    budget = evaluation_budget(low, high, scan, integer=fs.kind == "integer")
    return Plan("break-even search", {param: [fs.convert(low), fs.convert(high)]}, budget)
