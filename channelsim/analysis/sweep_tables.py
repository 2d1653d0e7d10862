"""Tables of a sweep: per point and strategy, every metric's interval; paired differences.

Functions of ``results.csv`` and ``points.csv`` alone, so a sweep folder's summary can be
rebuilt from its files.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from channelsim.analysis.intervals import confidence_intervals
from channelsim.metrics.catalogue import SUMMARY_METRICS

__all__ = ["STAT_COLUMNS", "paired_point_differences", "summarize"]

STAT_COLUMNS: tuple[str, ...] = ("mean", "std", "ci_low", "ci_high", "n")
"""The statistics of every interval column group."""


def summarize(
    results: pd.DataFrame,
    points: pd.DataFrame,
    strategies: Sequence[str],
    channel: str = "total",
) -> pd.DataFrame:
    """Per point and strategy, every summary metric of one channel with its 95% interval.

    Args:
        results: the ``results.csv`` table.
        points: the ``points.csv`` table.
        strategies: strategies in sweep order.
        channel: the channel to summarise.

    Returns:
        Columns ``point``, the parameters, ``strategy``, ``metric``, ``mean``, ``std``,
        ``ci_low``, ``ci_high``, ``n``; sorted by point, strategy (sweep order) and metric
        (contract order).
    """
    keys = [c for c in points.columns if c != "point"]
    params = {int(row[0]): list(row[1:]) for row in points.itertuples(index=False, name=None)}
    rows = []
    sel = results[results["channel"] == channel]
    metrics = list(SUMMARY_METRICS)
    groups = {k: g for k, g in sel.groupby(["point", "strategy"], sort=False)}
    for point in sorted({int(p) for p in sel["point"]}):
        for strategy in strategies:
            grp = groups.get((point, strategy))
            if grp is None:
                continue
            grp = grp.sort_values("replication", kind="stable")
            mean, std, low, high, n = confidence_intervals(grp[metrics].to_numpy(dtype=float))
            for k, metric in enumerate(metrics):
                rows.append(
                    [
                        point,
                        *params[point],
                        strategy,
                        metric,
                        mean[k],
                        std[k],
                        low[k],
                        high[k],
                        int(n[k]),
                    ]
                )
    return pd.DataFrame(rows, columns=["point", *keys, "strategy", "metric", *STAT_COLUMNS])


def paired_point_differences(
    results: pd.DataFrame,
    points: pd.DataFrame,
    a: str,
    b: str,
    metric: str,
    channel: str = "total",
) -> pd.DataFrame:
    """Per point, the paired difference A - B of one metric over replications.

    Args:
        results: the ``results.csv`` table.
        points: the ``points.csv`` table.
        a: strategy A.
        b: strategy B.
        metric: a summary metric.
        channel: the channel.

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
        diff = (wide[a] - wide[b]).rename("d").reset_index()
        for point, grp in diff.groupby("point", sort=True):
            mean, std, low, high, n = confidence_intervals(grp["d"].to_numpy(dtype=float))
            rows.append([int(point), mean[0], std[0], low[0], high[0], int(n[0])])
    frame = pd.DataFrame(rows, columns=["point", *STAT_COLUMNS])
    return points.merge(frame, on="point")[["point", *keys, *STAT_COLUMNS]]
