"""Tables of a sweep: per point and strategy, every metric's interval; paired differences.

Functions of ``results.csv`` and ``points.csv`` alone, so a sweep folder's summary can be
rebuilt from its files.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from channelsim.analysis.intervals import confidence_intervals, summarize_columns
from channelsim.metrics.catalogue import CENSORED_METRICS, SUMMARY_METRICS

__all__ = ["STAT_COLUMNS", "paired_point_differences", "summarize"]

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
