"""The tables the terminal shows after ``run`` and ``compare`` (rich tables).

Numbers go through the one formatter of :mod:`channelsim.metrics.formatting`
(``mean [low, high]`` of the 95% interval), as in the report.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from channelsim.metrics.catalogue import (
    ACTIVITY_METRICS,
    CENSORED_METRICS,
    optional_key_metrics,
)
from channelsim.metrics.formatting import format_estimate, format_number, undefined_text

if TYPE_CHECKING:
    import pandas as pd

    from channelsim.experiments.results import RunResult

__all__ = ["COMPARE_METRICS", "KEY_METRICS", "comparison_table", "summary_tables"]

KEY_METRICS: tuple[str, ...] = (
    "sales",
    "revenue",
    "net_revenue",
    "gross_margin",
    "channel_cost",
    "contribution",
    "contribution_margin",
    "cost_per_sale",
    "variable_cost_share",
    "lost_lead_share",
    "months_to_target",
    "npv",
    "payback_month",
    "headcount_end",
    "partners_active_end",
    "reputation_end",
)
"""Rows of the summary table printed by ``run`` (every metric is in summary.csv)."""


def summary_tables(result: RunResult) -> list[Any]:
    """One rich table per strategy: key metrics by channel, ``mean ± 95% CI half-width``.

    Channels with no activity at all (e.g. ``direct`` under the indirect strategy) are left out.

    Args:
        result: what ``simulate`` returned.

    Returns:
        A list of ``rich.table.Table``.
    """
    from rich.markup import escape
    from rich.table import Table

    summary = result.summary
    scenario = result.scenario.scenario
    reps = int(result.meta.get("replications", scenario.replications))
    tables = []
    for strategy in result.strategies:
        rows = summary[summary.strategy == strategy]
        channels = [c for c in dict.fromkeys(rows.channel) if c == "total" or _active(rows, c)]
        seed = result.meta.get("seed", scenario.seed)
        table = Table(
            title=f"{escape(scenario.name)}\nstrategy {escape(strategy)}: {reps} replications, "
            f"seed {seed}, {scenario.horizon_months} months, money in {scenario.currency}",
            caption=_CAPTION.format(reps=reps),
        )
        table.add_column("metric", style="bold")
        for channel in channels:
            table.add_column(escape(channel), justify="right")
        cells = {(r.channel, r.metric): r for r in rows.itertuples(index=False)}
        for metric in KEY_METRICS + optional_key_metrics(rows):
            line = [metric]
            for channel in channels:
                r = cells.get((channel, metric))
                if r is None:
                    line.append("")
                    continue
                line.append(_cell(metric, r, reps))
            table.add_row(*line)
        tables.append(table)
    return tables


COMPARE_METRICS: tuple[str, ...] = (
    "sales",
    "revenue",
    "contribution",
    "contribution_margin",
    "cost_per_sale",
    "variable_cost_share",
    "cost_elasticity",
    "lost_lead_share",
    "months_to_target",
    "payback_month",
    "npv",
    "reputation_end",
)
"""Rows of the table printed by ``compare`` (channel total)."""


def comparison_table(result: RunResult) -> Any:
    """A rich table of key metrics for channel ``total``, one column per strategy."""
    from rich.markup import escape
    from rich.table import Table

    summary = result.summary
    total = summary[summary.channel == "total"]
    meta = result.scenario.scenario
    reps = int(result.meta.get("replications", meta.replications))
    table = Table(
        title=f"{escape(meta.name)}\n{reps} replications, seed {meta.seed}, "
        f"{meta.horizon_months} months, all channels, money in {meta.currency}",
        caption=_CAPTION.format(reps=reps),
    )
    table.add_column("metric", style="bold")
    for strategy in result.strategies:
        table.add_column(escape(strategy), justify="right")
    cells = {(r.strategy, r.metric): r for r in total.itertuples(index=False)}
    for metric in COMPARE_METRICS + optional_key_metrics(summary):
        row = [metric]
        for strategy in result.strategies:
            r = cells.get((strategy, metric))
            if r is None:
                row.append("")
                continue
            row.append(_cell(metric, r, reps))
        table.add_row(*row)
    return table


_CAPTION = (
    "mean [95% interval]; (k/{reps}): defined in only k of the {reps} replications; "
    "months to target and payback: the median month and the replications that reach it"
)


def _cell(metric: str, r: Any, reps: int) -> str:
    """One cell: the estimate and its interval, or for a censored time its median and reach."""
    n = int(r.n)
    if metric in CENSORED_METRICS:
        median = float(r.median)
        shown = format_number(metric, median) if math.isfinite(median) else undefined_text(metric)
        return f"{shown} ({n}/{reps} reached)"
    text = format_estimate(metric, float(r.mean), float(r.ci_low), float(r.ci_high), n)
    if 0 < n < reps:
        text += f" ({n}/{reps})"
    return text


def _active(rows: pd.DataFrame, channel: str) -> bool:
    sel = rows[(rows.channel == channel) & rows.metric.isin(ACTIVITY_METRICS)]
    return bool((sel["mean"].fillna(0) != 0).any())
