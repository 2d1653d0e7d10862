"""Tables of a sweep: per point and strategy, every metric's interval; paired differences.

Functions of ``results.csv`` and ``points.csv`` alone, so a sweep folder's summary can be
rebuilt from its files.

**The best point.** The point with the best mean is called the best only when it is better
than every other point on the same replications: for each other point, the 95% Student-t
interval of the paired difference (replication r at one point against replication r at the
other, common random numbers) must lie wholly on the better side of zero. Requiring every
comparison to succeed, each at 5%, is an intersection-union test: the claim "better than all
of them" is wrong with probability at most 5%, with no correction for the number of points
(Berger 1982, Technometrics 24:295-300). Points that differ only in keys the strategy does
not use are the same point for it and are compared once.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from channelsim.analysis.intervals import confidence_intervals, summarize_columns
from channelsim.metrics.catalogue import CENSORED_METRICS, SUMMARY_METRICS

__all__ = [
    "STAT_COLUMNS",
    "BestPoint",
    "best_point",
    "paired_differences",
    "paired_point_differences",
    "summarize",
]

STAT_COLUMNS: tuple[str, ...] = ("mean", "std", "ci_low", "ci_high", "n", "median")
"""The statistics of every interval column group."""


def summarize(
    results: pd.DataFrame,
    points: pd.DataFrame,
    strategies: Sequence[str],
    channel: str = "total",
    seed: int = 0,
) -> pd.DataFrame:
    """Per point and strategy, every summary metric of one channel with its 95% interval.

    The intervals are the ones a run's summary gives (:func:`summarize_columns`), their
    bootstraps seeded by ``seed`` in point order, so the table is the same whatever order the
    points finished in.

    Args:
        results: the ``results.csv`` table.
        points: the ``points.csv`` table.
        strategies: strategies in sweep order.
        channel: the channel to summarise.
        seed: the scenario seed (seeds the bootstraps).

    Returns:
        Columns ``point``, the parameters, ``strategy``, ``metric``, ``mean``, ``std``,
        ``ci_low``, ``ci_high``, ``n``, ``median``; sorted by point, strategy (sweep order)
        and metric (contract order).
    """
    keys = [c for c in points.columns if c != "point"]
    params = {int(row[0]): list(row[1:]) for row in points.itertuples(index=False, name=None)}
    rows = []
    sel = results[results["channel"] == channel]
    metrics = list(SUMMARY_METRICS)
    groups = {k: g for k, g in sel.groupby(["point", "strategy"], sort=False)}
    rng = np.random.default_rng(
        np.random.SeedSequence([seed, zlib.crc32(b"channelsim.sweep.bootstrap")])
    )
    for point in sorted({int(p) for p in sel["point"]}):
        for strategy in strategies:
            grp = groups.get((point, strategy))
            if grp is None:
                continue
            grp = grp.sort_values("replication", kind="stable")
            s = summarize_columns(grp[metrics].to_numpy(dtype=float), metrics, rng)
            for k, metric in enumerate(metrics):
                rows.append(
                    [
                        point,
                        *params[point],
                        strategy,
                        metric,
                        *(s[c][k] for c in STAT_COLUMNS),
                    ]
                )
    frame = pd.DataFrame(rows, columns=["point", *keys, "strategy", "metric", *STAT_COLUMNS])
    frame["n"] = frame["n"].astype(int)
    return frame


def paired_point_differences(
    results: pd.DataFrame,
    points: pd.DataFrame,
    a: str,
    b: str,
    metric: str,
    channel: str = "total",
    horizon: float | None = None,
) -> pd.DataFrame:
    """Per point, the paired difference A - B of one metric over replications.

    A censored time (``months_to_target``, ``payback_month``) that never happens counts as the
    horizon (the point's ``scenario.horizon_months`` when it is swept, else ``horizon``), so a
    strategy that never reaches is later than one that does, as in ``compare``.

    Args:
        results: the ``results.csv`` table.
        points: the ``points.csv`` table.
        a: strategy A.
        b: strategy B.
        metric: a summary metric.
        channel: the channel.
        horizon: the horizon (months) that "never" counts as, for a censored time.

    Returns:
        Columns ``point``, the parameters, ``mean``, ``std``, ``ci_low``, ``ci_high``, ``n``.
    """
    sel = results[results["channel"] == channel]
    wide = sel.pivot_table(
        index=["point", "replication"], columns="strategy", values=metric, dropna=False
    )
    keys = [c for c in points.columns if c != "point"]
    rows = []
    if a in wide.columns and b in wide.columns:
        if metric in CENSORED_METRICS:
            wide = _censor(wide, points, horizon)
        diff = (wide[a] - wide[b]).rename("d").reset_index()
        for point, grp in diff.groupby("point", sort=True):
            mean, std, low, high, n = confidence_intervals(grp["d"].to_numpy(dtype=float))
            rows.append([int(point), mean[0], std[0], low[0], high[0], int(n[0])])
    stats = STAT_COLUMNS[:-1]  # no median of a difference
    frame = pd.DataFrame(rows, columns=["point", *stats])
    return points.merge(frame, on="point")[["point", *keys, *stats]]


def paired_differences(
    results: pd.DataFrame,
    points: pd.DataFrame,
    a: str,
    b: str,
    channel: str = "total",
    horizon: float | None = None,
) -> pd.DataFrame:
    """Per point, the paired difference A - B of every summary metric (``differences.csv``).

    :func:`paired_point_differences` for all metrics at once.

    Args:
        results: the ``results.csv`` table.
        points: the ``points.csv`` table.
        a: strategy A.
        b: strategy B.
        channel: the channel.
        horizon: the horizon (months) that "never" counts as, for a censored time.

    Returns:
        Columns ``point``, the parameters, ``metric``, ``mean``, ``std``, ``ci_low``,
        ``ci_high``, ``n``; sorted by point and metric (contract order). Empty when a strategy
        is missing.
    """
    keys = [c for c in points.columns if c != "point"]
    stats = list(STAT_COLUMNS[:-1])
    columns = ["point", *keys, "metric", *stats]
    metrics = [m for m in SUMMARY_METRICS if m in results.columns]
    sel = results[(results["channel"] == channel) & results["strategy"].isin([a, b])]
    if sel.empty or {a, b} - set(sel["strategy"]):
        return pd.DataFrame(columns=columns)
    sides = {}
    for name in (a, b):
        side = sel[sel["strategy"] == name].set_index(["point", "replication"])[metrics]
        for metric in CENSORED_METRICS:
            if metric in side:
                side[[metric]] = _censor(side[[metric]], points, horizon)
        sides[name] = side.astype(float)
    diff = (sides[a] - sides[b]).sort_index()
    params = {int(row[0]): list(row[1:]) for row in points.itertuples(index=False, name=None)}
    rows = []
    for point, grp in diff.groupby(level="point", sort=True):
        mean, std, low, high, n = confidence_intervals(grp.to_numpy(dtype=float))
        for k, metric in enumerate(metrics):
            rows.append(
                [
                    int(point),
                    *params[int(point)],
                    metric,
                    mean[k],
                    std[k],
                    low[k],
                    high[k],
                    int(n[k]),
                ]
            )
    frame = pd.DataFrame(rows, columns=columns)
    frame["n"] = frame["n"].astype(int)
    return frame


def _censor(wide: pd.DataFrame, points: pd.DataFrame, horizon: float | None) -> pd.DataFrame:
    """``never`` (NaN) replaced by the horizon, per point when the horizon is swept."""
    key = "scenario.horizon_months"
    if key in points.columns:
        by_point = dict(zip(points["point"], points[key], strict=True))
        fill = wide.index.get_level_values("point").map(by_point).to_numpy(dtype=float)
    elif horizon is not None:
        fill = np.full(len(wide), float(horizon))
    else:
        return wide
    return wide.apply(lambda col: col.where(col.notna(), fill))


@dataclass(frozen=True)
class BestPoint:
    """The point with the best mean of one strategy, and whether it is told apart.

    Attributes:
        strategy: the strategy.
        point: the point with the best mean (None when no point has a value).
        separated: every other point is worse on paired replications (95% intervals).
        rival: when not separated, the point closest to it (the paired interval that comes
            nearest to, or crosses, zero); None when separated.
        difference: best - rival, paired: ``(mean, ci_low, ci_high)`` (NaN when separated).
        identical: best and rival are the same in every replication.
    """

    strategy: str
    point: int | None
    separated: bool
    rival: int | None = None
    difference: tuple[float, float, float] = (math.nan, math.nan, math.nan)
    identical: bool = False


def best_point(
    results: pd.DataFrame,
    points: pd.DataFrame,
    strategy: str,
    metric: str,
    *,
    keys: Sequence[str],
    lower_is_better: bool = False,
    channel: str = "total",
    horizon: float | None = None,
) -> BestPoint:
    """The best point of one strategy, and whether its interval separates it (module doc).

    Args:
        results: the ``results.csv`` table.
        points: the ``points.csv`` table.
        strategy: the strategy.
        metric: a summary metric.
        keys: the parameters the strategy uses; points equal in these are one point for it.
        lower_is_better: the better direction of ``metric``.
        channel: the channel.
        horizon: what "never" counts as in a censored time (months), as in the differences.

    Returns:
        The :class:`BestPoint` (``point`` None when no point has a value or ``keys`` is
        empty: no parameter moves the strategy).
    """
    sel = results[(results["channel"] == channel) & (results["strategy"] == strategy)]
    wide = sel.pivot_table(index="replication", columns="point", values=metric, dropna=False)
    if metric in CENSORED_METRICS:
        wide = _censor_columns(wide, points, horizon)
    if not keys or wide.empty:
        return BestPoint(strategy, None, False)
    # one representative (the lowest id) of the points that differ only in unused keys
    params = points.set_index("point")
    seen: dict[tuple, int] = {}
    for p in sorted(int(c) for c in wide.columns):
        seen.setdefault(tuple(str(params.at[p, k]) for k in keys), p)
    chosen = sorted(seen.values())
    values = wide[chosen].to_numpy(dtype=float)  # replications x points
    with np.errstate(invalid="ignore"):
        means = np.nanmean(np.where(np.isfinite(values), values, np.nan), axis=0)
    if not np.isfinite(means).any():
        return BestPoint(strategy, None, False)
    scores = np.where(np.isfinite(means), means, np.inf if lower_is_better else -np.inf)
    k = int(np.argmin(scores) if lower_is_better else np.argmax(scores))
    best = chosen[k]
    if len(chosen) < 2:
        return BestPoint(strategy, best, False)
    sign = -1.0 if lower_is_better else 1.0
    worst_margin, rival, rival_stats, identical = math.inf, None, (math.nan,) * 3, False
    for j, other in enumerate(chosen):
        if j == k:
            continue
        d = values[:, k] - values[:, j]
        mean, _std, low, high, _n = confidence_intervals(d)
        # how far the interval stays on the better side (negative: it reaches zero)
        margin = sign * (low[0] if sign > 0 else high[0])
        margin = margin if math.isfinite(margin) else -math.inf
        if margin < worst_margin:
            worst_margin, rival = margin, other
            rival_stats = (float(mean[0]), float(low[0]), float(high[0]))
            finite = np.isfinite(d)
            identical = bool(finite.any() and np.all(d[finite] == 0))
    if worst_margin > 0:
        return BestPoint(strategy, best, True)
    return BestPoint(strategy, best, False, rival, rival_stats, identical)


def _censor_columns(
    wide: pd.DataFrame, points: pd.DataFrame, horizon: float | None
) -> pd.DataFrame:
    """``never`` (NaN) replaced by the horizon in a replications x points table."""
    key = "scenario.horizon_months"
    by_point = dict(zip(points["point"], points[key], strict=True)) if key in points else {}
    out = wide.copy()
    for column in out.columns:
        fill = by_point.get(column, horizon)
        if fill is not None:
            out[column] = out[column].fillna(float(fill))
    return out
