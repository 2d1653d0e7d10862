"""The sections of the HTML report: tables of key metrics, channels, differences, bridge.

Each function takes the output folder's tables and returns an HTML fragment; every user string
is escaped. Numbers go through the one formatter (:mod:`channelsim.metrics.formatting`), labels
come from the metric catalogue.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from channelsim.analysis.decision import summary_rows
from channelsim.metrics.catalogue import (
    ACTIVITY_METRICS,
    CENSORED_METRICS,
    optional_key_metrics,
)
from channelsim.metrics.catalogue import metric as catalogue_entry
from channelsim.metrics.formatting import format_interval, format_value, undefined_text

KEY_METRICS: tuple[str, ...] = (
    "sales",
    "revenue",
    "net_revenue",
    "contribution",
    "contribution_margin",
    "cost_per_sale",
    "variable_cost_share",
    "cost_elasticity",
    "lost_lead_share",
    "months_to_target",
    "payback_month",
    "peak_investment",
    "npv",
    "reputation_end",
    "message_control_share",
)
"""Rows of the summary table (channel ``total``); ``cost_elasticity`` only after a comparison."""

CHANNEL_METRICS: tuple[str, ...] = (
    "sales",
    "revenue",
    "contribution",
    "contribution_margin",
    "cost_per_sale",
    "variable_cost_share",
    "lost_lead_share",
    "message_control_share",
)
"""Columns of the per-channel table."""

DIFFERENCE_METRICS: tuple[str, ...] = ("contribution", "npv", "months_to_target", "cost_per_sale")
"""Metrics of the paired-differences table (channel ``total``)."""

_STEP_LABELS = {
    "revenue": "revenue",
    "discounts": "discounts",
    "refunds": "refunds",
    "cogs": "cost of goods",
    "fixed_channel_cost": "fixed channel cost",
    "variable_channel_cost": "variable channel cost",
    "contribution": "contribution",
}


def metric_cell(
    metric: str,
    mean: float,
    low: float,
    high: float,
    n: int,
    reps: int,
    median: float = math.nan,
    *,
    difference: bool = False,
) -> str:
    """A table cell: the value, then ``(95% CI)`` and how many replications define the metric.

    A censored time (``payback_month``, ``months_to_target``) shows its median, "never" counted
    as later than the horizon, and in how many replications it happened at all: a mean over
    the replications that reached it would flatter a strategy that mostly does not. A
    ``difference`` of two strategies' values is shown as a number.
    """
    if metric in CENSORED_METRICS and not difference:
        main = format_value(metric, median) if math.isfinite(median) else undefined_text(metric)
        note = f"median; reached in {n} of {reps} reps" if reps else ""
        return (
            f'<td class="num">{html.escape(main)}<span class="ci">{html.escape(note)}</span></td>'
        )
    if not math.isfinite(mean):
        text = undefined_text(metric)
        return f'<td class="num">{html.escape(text)}</td>'
    parts = [html.escape(format_value(metric, mean))]
    ci = format_interval(metric, low, high)
    notes = []
    if ci:
        notes.append(f"({html.escape(ci)})")
    elif n == 1:
        notes.append("n = 1: no interval")
    if 0 < n < reps:
        notes.append(f"in {n} of {reps} reps")
    if notes:
        parts.append(f'<span class="ci">{" ".join(notes)}</span>')
    return f'<td class="num">{"".join(parts)}</td>'


def replications(meta: dict[str, Any], summary: pd.DataFrame) -> int:
    """The replications of the run (from the meta data, else the largest ``n``)."""
    if meta.get("replications"):
        return int(meta["replications"])
    sales = summary[summary["metric"] == "sales"]
    return int(sales["n"].max()) if len(sales) else 0


def active(
    rows: Mapping[tuple[str, str, str], Mapping[str, Any]], strategy: str, channel: str
) -> bool:
    """Whether a channel did anything under a strategy (see ACTIVITY_METRICS).

    Args:
        rows: the summary's rows by (strategy, channel, metric) (:func:`summary_rows`).
        strategy: the strategy.
        channel: the channel.
    """
    for metric in ACTIVITY_METRICS:
        row = rows.get((strategy, channel, metric))
        if row is not None and not pd.isna(row["mean"]) and row["mean"] != 0:
            return True
    return False


def swatch(strategy: str, colors: dict[str, str]) -> str:
    """A strategy name with its colour swatch, as HTML."""
    color = colors.get(strategy, "#888888")
    return f'<span class="swatch" style="background:{color}"></span>{html.escape(strategy)}'


def key_table(
    summary: pd.DataFrame,
    strategies: Sequence[str],
    reps: int,
    horizon: int | None,
    target: float | None,
    colors: dict[str, str],
    currency: str = "USD",
) -> str:
    """The key-metrics table (channel total): one column per strategy."""
    head = "".join(f"<th>{swatch(s, colors)}</th>" for s in strategies)
    money = html.escape(currency)
    lines = [
        '<div class="scroll"><table class="key">',
        f"<thead><tr><th>metric (all channels; money in {money})</th>{head}</tr></thead><tbody>",
    ]
    present = set(summary["metric"])
    rows = summary_rows(summary)
    for metric in KEY_METRICS + optional_key_metrics(summary):
        if metric not in present:
            continue
        label = catalogue_entry(metric).long_label
        if metric == "sales" and horizon:
            label = f"sales over {horizon} months"
        elif metric in ("revenue", "net_revenue", "contribution") and horizon:
            label += f", over {horizon} months"
        elif metric == "months_to_target":
            if not target:
                continue
            label = f"first month with {target:g} sales (month 0 = start)"
        elif metric == "payback_month":
            label = "payback month (cumulative contribution stays ≥ 0 from then on)"
        cells = []
        for strategy in strategies:
            row = rows.get((strategy, "total", metric))
            if row is None:
                cells.append('<td class="num">\u2014</td>')
            else:
                cells.append(
                    metric_cell(
                        metric,
                        row["mean"],
                        row["ci_low"],
                        row["ci_high"],
                        int(row["n"]),
                        reps,
                        float(row.get("median", math.nan)),
                    )
                )
        lines.append(f"<tr><th>{html.escape(label)}</th>{''.join(cells)}</tr>")
    lines.append(
        f"</tbody><caption>Each cell: mean over {reps} replications, below it the 95% "
        "interval (Student t for amounts that can be negative, a percentile bootstrap for "
        "quantities that cannot, so no end crosses its bound). “in k of n reps”: the metric is "
        "defined only in k replications, and the mean is over those. Months to target and "
        "payback show the median month, “never” counted as later than the horizon, and the "
        "replications that reach it.</caption></table></div>"
    )
    return "\n".join(lines)


def channel_table(
    summary: pd.DataFrame,
    strategies: Sequence[str],
    reps: int,
    colors: dict[str, str],
    currency: str = "USD",
) -> str:
    """The per-channel table: a group of rows per strategy."""
    channels_all = list(dict.fromkeys(summary["channel"].astype(str)))
    programs = [c for c in channels_all if c not in ("direct", "partners", "total")]
    head = "".join(
        f"<th>{html.escape(catalogue_entry(m).short_label)}</th>" for m in CHANNEL_METRICS
    )
    rows = summary_rows(summary)
    lines = [
        '<div class="scroll"><table class="channels">',
        f"<thead><tr><th>channel (money in {html.escape(currency)})</th>{head}</tr></thead><tbody>",
    ]
    for strategy in strategies:
        lines.append(
            f'<tr class="group"><th colspan="{len(CHANNEL_METRICS) + 1}">'
            f"{swatch(strategy, colors)}</th></tr>"
        )
        for channel in channels_all:
            if channel == "partners" and len(programs) < 2:
                continue  # one program: the partners row would repeat it
            if channel != "total" and not active(rows, strategy, channel):
                continue
            name = "all channels" if channel == "total" else channel
            if channel in programs:
                name = f"{html.escape(channel)} <span class='sub'>(partner program)</span>"
            else:
                name = html.escape(name)
            cells = []
            for metric in CHANNEL_METRICS:
                row = rows.get((strategy, channel, metric))
                if row is None:
                    cells.append('<td class="num">\u2014</td>')
                    continue
                cells.append(
                    metric_cell(
                        metric, row["mean"], row["ci_low"], row["ci_high"], int(row["n"]), reps
                    )
                )
            lines.append(f"<tr><th>{name}</th>{''.join(cells)}</tr>")
    lines.append(
        "</tbody><caption>Sums over the horizon and ratios of those sums, mean over "
        "replications with the 95% interval; channels with no activity are left out."
        "</caption></table></div>"
    )
    return "\n".join(lines)


def width_ratio(row: pd.Series) -> float:
    """Paired interval width over the unpaired one (NaN when either is missing)."""
    paired = float(row["ci_high"]) - float(row["ci_low"])
    unpaired = float(row["unpaired_ci_high"]) - float(row["unpaired_ci_low"])
    if not (math.isfinite(paired) and math.isfinite(unpaired)) or unpaired <= 0:
        return math.nan
    return paired / unpaired


def pairing_sentence(ratios: Sequence[float]) -> str:
    """One sentence on what pairing on common random numbers did to the intervals."""
    ordered = sorted(ratios)
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    spread = f"median of the ratios above, range {ordered[0]:.2f} to {ordered[-1]:.2f}"
    if median < 0.95:
        return (
            "In a replication every strategy meets the same leads, sales cycles and outcomes "
            "(common random numbers), so that replication's luck cancels out in the difference "
            f"A − B: the paired 95% interval is {median:.2f} times the width of the interval two "
            f"independent samples would give ({spread})."
        )
    return (
        "Pairing on common random numbers usually narrows an interval, because a replication's "
        "luck (the same leads, cycles and outcomes for every strategy) cancels out in A − B; "
        f"here it does not ({median:.2f} times the unpaired width, {spread}): the strategies "
        "react too differently to the same draws, or with so few replications the paired "
        "interval's fewer degrees of freedom cost more than pairing gains."
    )


def differences_section(
    differences: pd.DataFrame, target: float | None, colors: dict[str, str]
) -> str:
    """The paired-differences table (channel total) and what pairing bought."""
    d = differences[
        (differences["channel"] == "total") & differences["metric"].isin(DIFFERENCE_METRICS)
    ]
    if not target:
        d = d[d["metric"] != "months_to_target"]
    if d.empty:
        return ""
    lines = [
        '<div class="scroll"><table class="differences">',
        '<thead><tr><th>A − B</th><th class="text">metric</th><th>mean difference A − B</th>'
        "<th>A better in</th><th>CI width, paired / unpaired</th></tr></thead><tbody>",
    ]
    ratios = []
    pairs = list(dict.fromkeys(zip(d["a"].astype(str), d["b"].astype(str), strict=True)))
    for a, b in pairs:
        rows = d[(d["a"] == a) & (d["b"] == b)].set_index("metric")
        first = True
        for metric in DIFFERENCE_METRICS:
            if metric not in rows.index:
                continue
            row = rows.loc[metric]
            pair = f"{swatch(a, colors)} − {swatch(b, colors)}" if first else ""
            first = False
            ratio = width_ratio(row)
            if math.isfinite(ratio):
                ratios.append(ratio)
            n = int(row["n"])
            if n == 0:
                cell = '<td class="num">\u2014</td>'
            else:
                cell = metric_cell(
                    metric, row["mean"], row["ci_low"], row["ci_high"], n, n, difference=True
                )
            p = float(row["p_better"])
            better = f"{p * 100:.0f}% of {n} reps" if math.isfinite(p) else "\u2014"
            lines.append(
                f"<tr><th>{pair}</th><td>{html.escape(catalogue_entry(metric).short_label)}</td>{cell}"
                f'<td class="num">{better}</td>'
                f'<td class="num">{f"{ratio:.2f}" if math.isfinite(ratio) else "—"}</td></tr>'
            )
    lines.append("</tbody></table></div>")
    note = (
        "“A better in”: share of replications where A beats B (higher contribution and NPV, "
        "an earlier target month, a lower cost per sale; ties count half). A strategy that "
        "never reaches the target counts as reaching it at the horizon: later than any "
        "strategy that does, and the difference is then a bound."
    )
    lines.append(f'<p class="note">{note}</p>')
    if ratios:
        lines.append(f"<p>{pairing_sentence(ratios)}</p>")
    return "\n".join(lines)


def bridge_table(
    bridge: pd.DataFrame,
    strategies: Sequence[str],
    colors: dict[str, str],
    currency: str = "USD",
) -> str:
    """The margin bridge as a table: one column per strategy."""
    head = "".join(f"<th>{swatch(s, colors)}</th>" for s in strategies)
    step = f"step (all channels, over the horizon; {html.escape(currency)})"
    lines = [
        '<div class="scroll"><table class="bridge">',
        f"<thead><tr><th>{step}</th>{head}</tr></thead><tbody>",
    ]
    for step in dict.fromkeys(bridge["step"].astype(str)):
        cells = []
        for strategy in strategies:
            rows = bridge[(bridge["strategy"] == strategy) & (bridge["step"] == step)]
            value = float(rows["value"].iloc[0]) if len(rows) else math.nan
            text = format_value("revenue", value) or "\u2014"
            cells.append(f'<td class="num">{html.escape(text)}</td>')
        label = html.escape(_STEP_LABELS.get(step, step))
        lines.append(f"<tr><th>{label}</th>{''.join(cells)}</tr>")
    lines.append(
        "<caption>Mean over replications; deductions are shown negative.</caption>"
        "</tbody></table></div>"
    )
    return "\n".join(lines)


def bullets(lines: Iterable[str]) -> str:
    """Sentences as a list, or "" when there are none."""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return f'<ul class="verdict">{items}</ul>' if items else ""
