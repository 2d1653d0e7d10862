"""The HTML report of an output folder: one self-contained page built from the folder's files.

``build_report(folder)`` reads ``summary.csv``, ``monthly.csv``, ``differences.csv`` (comparisons
only), ``summary.json`` (its ``meta``) and ``scenario.resolved.toml``, draws ``plots/*.png``
(:func:`channelsim.plots.save_plots`) and writes ``report.html``: the verdict, the key metrics with
their 95% intervals, a per-channel table, the paired differences, the plots with captions, the
margin bridge and the scenario as run. Images are inline data URIs and the CSS is inline, so the
page opens anywhere without a network. The page holds no date or version-dependent bytes beyond
what the folder already records: building it twice from the same folder gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from channelsim.plots import read_table, save_plots, strategy_colors, target_sales
from channelsim.units import (
    ACTIVITY_METRICS,
    CURRENCY_METRICS,
    MONTH_METRICS,
    SHARE_METRICS,
    UNDEFINED_LABELS,
)

REPORT_HTML = "report.html"

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

_LABELS = {
    "sales": "sales",
    "revenue": "revenue",
    "net_revenue": "net revenue (after discounts and refunds)",
    "contribution": "contribution (gross margin − channel cost)",
    "contribution_margin": "contribution margin (of revenue)",
    "cost_per_sale": "cost of sales per sale",
    "variable_cost_share": "variable share of cost of sales",
    "cost_elasticity": "cost elasticity (1: cost follows sales, 0: fixed)",
    "lost_lead_share": "leads lost (share of leads)",
    "months_to_target": "first month at target",
    "payback_month": "payback month",
    "peak_investment": "peak investment",
    "npv": "NPV of contribution",
    "reputation_end": "reputation at the end (start = 1)",
    "message_control_share": "sales with a controlled brand message",
}
_SHORT_LABELS = {
    "sales": "sales",
    "revenue": "revenue",
    "contribution": "contribution",
    "contribution_margin": "contribution margin",
    "cost_per_sale": "cost per sale",
    "variable_cost_share": "variable cost share",
    "lost_lead_share": "leads lost",
    "message_control_share": "message control",
    "npv": "NPV",
    "months_to_target": "first month at target",
}
_CURRENCY = CURRENCY_METRICS
_SHARES = SHARE_METRICS
_MONTHS = MONTH_METRICS
_RATIOS = {"cost_elasticity": ".2f", "reputation_end": ".3f"}
_UNDEFINED = UNDEFINED_LABELS
_ACTIVITY = ACTIVITY_METRICS

_STEP_LABELS = {
    "revenue": "revenue",
    "discounts": "discounts",
    "refunds": "refunds",
    "cogs": "cost of goods",
    "fixed_channel_cost": "fixed channel cost",
    "variable_channel_cost": "variable channel cost",
    "contribution": "contribution",
}

_CAPTIONS = {
    "sales": "Monthly sales, mean over replications with its 95% band; the dashed line is the "
    "target. Look for who crosses it first and who levels off below it.",
    "capacity": "Sales reps and active partners (left axis) against the company's own leads a "
    "month (right axis). Where demand climbs faster than capacity, leads wait and are lost.",
    "cumulative_contribution": "Cumulative contribution: the dip below zero is the money put in, "
    "the month it crosses zero for good is payback, and the slope after that is the profit rate.",
    "cost_per_sale": "Cost of sales per sale, month by month. Payroll makes a sales team dear "
    "while volume is low; commissions and discounts keep a partner's cost per sale flat.",
    "cost_vs_sales": "Is cost proportional to success? A steep line through the origin is "
    "variable cost (commissions, discounts); a line starting high is fixed cost paid whatever "
    "sells.",
    "margin_bridge": "From revenue (left) to contribution (right): each hatched bar is a "
    "deduction, summed over the horizon, mean over replications.",
}
_PLOT_TITLES = {
    "sales": "Sales over time",
    "capacity": "Capacity against demand",
    "cumulative_contribution": "Cumulative contribution and payback",
    "cost_per_sale": "Cost per sale over time",
    "cost_vs_sales": "Fixed or proportional cost?",
    "margin_bridge": "Margin bridge",
}

_CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --band: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.7em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 36px 0 8px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05em; margin: 22px 0 6px; }
p.meta { color: var(--muted); margin: 0 0 8px; }
p.note, figcaption, caption { color: var(--muted); font-size: 0.9em; }
ul.verdict { background: var(--band); border-left: 4px solid #0072B2; padding: 12px 16px 12px 32px;
  margin: 8px 0; }
ul.verdict li { margin: 4px 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
caption { caption-side: bottom; text-align: left; padding-top: 6px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 10px; vertical-align: top; }
th { text-align: left; background: var(--band); font-weight: 600; }
thead th { text-align: right; }
thead th:first-child, thead th.text { text-align: left; }
td.num { text-align: right; white-space: nowrap; }
td.num .ci { display: block; color: var(--muted); font-size: 0.85em; }
td .sub { color: var(--muted); font-size: 0.85em; }
tr.group th { background: #fff; border-bottom: 2px solid var(--line); padding-top: 14px; }
figure { margin: 18px 0 28px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 6px; vertical-align: baseline; }
pre { background: var(--band); border: 1px solid var(--line); padding: 12px; overflow-x: auto;
  font-size: 0.85em; line-height: 1.4; }
"""

_SCRIPT = """
(function () {
  function check() {
    var imgs = document.images, ok = 0;
    for (var i = 0; i < imgs.length; i++) {
      if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; }
    }
    document.body.dataset.imagesOk = ok + "/" + imgs.length;
  }
  if (document.readyState === "complete") { check(); }
  else { window.addEventListener("load", check); }
})();
"""


# --- formatting -----------------------------------------------------------------------------


def _minus(text: str) -> str:
    """Typographic minus sign (reads better next to the en dash of an interval)."""
    return text.replace("-", "\u2212")


def format_value(metric: str, value: float) -> str:
    """One number in the metric's unit: currency with thousands separators, shares in %.

    Args:
        metric: a summary metric name.
        value: the number (NaN gives an empty string).

    Returns:
        The text, e.g. ``"1,234,567"``, ``"23.4%"``, ``"14.2"``, ``"−3,000"``.
    """
    if not math.isfinite(value):
        return ""
    value = value + 0.0  # no "-0"
    if metric in _SHARES:
        text = f"{value * 100:.1f}%"
    elif metric in _CURRENCY:
        text = f"{value:,.0f}"
    elif metric in _MONTHS:
        text = f"{value:,.1f}"
    elif metric in _RATIOS:
        text = f"{value:{_RATIOS[metric]}}"
    else:  # counts: a decimal while small, so 0.3 sales does not read as 0
        text = f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    if text.lstrip("-").strip("0.,%") == "":  # -0.3 shown as "-0": the sign means nothing
        text = text.lstrip("-")
    return _minus(text)


def format_interval(metric: str, low: float, high: float) -> str:
    """``low–high`` in the metric's unit (empty without an interval).

    Args:
        metric: a summary metric name.
        low: lower end of the 95% interval.
        high: upper end.

    Returns:
        The text; a spaced dash when an end is negative (``−5,000 – −1,000``).
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    lo, hi = format_value(metric, low), format_value(metric, high)
    dash = " \u2013 " if (lo + hi).count("\u2212") else "\u2013"
    return f"{lo}{dash}{hi}"


def _cell(metric: str, mean: float, low: float, high: float, n: int, reps: int) -> str:
    """A table cell: mean, then ``(95% CI)`` and how many replications define the metric."""
    if not math.isfinite(mean):
        text = _UNDEFINED.get(metric, "\u2014")
        return f'<td class="num">{html.escape(text)}</td>'
    parts = [html.escape(format_value(metric, mean))]
    ci = format_interval(metric, low, high)
    notes = []
    if ci:
        notes.append(f"({html.escape(ci)})")
    if 0 < n < reps:
        notes.append(f"in {n} of {reps} reps")
    if notes:
        parts.append(f'<span class="ci">{" ".join(notes)}</span>')
    return f'<td class="num">{"".join(parts)}</td>'


# --- reading the folder ---------------------------------------------------------------------


def _read_meta(folder: Path) -> dict[str, Any]:
    path = folder / "summary.json"
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as fh:
        return dict(json.load(fh).get("meta", {}))


def _read_scenario(folder: Path) -> tuple[str, dict[str, Any]]:
    path = folder / "scenario.resolved.toml"
    if not path.is_file():
        return "", {}
    text = path.read_text(encoding="utf-8")
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return text, {}


def _stat(summary: pd.DataFrame, strategy: str, channel: str, metric: str) -> pd.Series | None:
    rows = summary[
        (summary["strategy"] == strategy)
        & (summary["channel"] == channel)
        & (summary["metric"] == metric)
    ]
    return rows.iloc[0] if len(rows) else None


def _replications(meta: dict[str, Any], summary: pd.DataFrame) -> int:
    if meta.get("replications"):
        return int(meta["replications"])
    sales = summary[summary["metric"] == "sales"]
    return int(sales["n"].max()) if len(sales) else 0


def _active(summary: pd.DataFrame, strategy: str, channel: str) -> bool:
    rows = summary[
        (summary["strategy"] == strategy)
        & (summary["channel"] == channel)
        & summary["metric"].isin(_ACTIVITY)
    ]
    return bool((rows["mean"].fillna(0) != 0).any())


# --- sections -------------------------------------------------------------------------------


def _swatch(strategy: str, colors: dict[str, str]) -> str:
    color = colors.get(strategy, "#888888")
    return f'<span class="swatch" style="background:{color}"></span>{html.escape(strategy)}'


def _key_table(
    summary: pd.DataFrame,
    strategies: Sequence[str],
    reps: int,
    horizon: int | None,
    target: float | None,
    colors: dict[str, str],
) -> str:
    head = "".join(f"<th>{_swatch(s, colors)}</th>" for s in strategies)
    lines = [
        '<div class="scroll"><table class="key">',
        f"<thead><tr><th>metric (all channels)</th>{head}</tr></thead><tbody>",
    ]
    present = set(summary["metric"])
    for metric in KEY_METRICS:
        if metric not in present:
            continue
        label = _LABELS[metric]
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
            row = _stat(summary, strategy, "total", metric)
            if row is None:
                cells.append('<td class="num">\u2014</td>')
            else:
                cells.append(
                    _cell(metric, row["mean"], row["ci_low"], row["ci_high"], int(row["n"]), reps)
                )
        lines.append(f"<tr><th>{html.escape(label)}</th>{''.join(cells)}</tr>")
    lines.append(
        f"</tbody><caption>Each cell: mean over {reps} replications, below it the 95% confidence "
        "interval (Student t). “in k of n reps”: the metric is defined only in k replications "
        "(e.g. the target is reached in k), and the mean is over those.</caption></table></div>"
    )
    return "\n".join(lines)


def _channel_table(
    summary: pd.DataFrame, strategies: Sequence[str], reps: int, colors: dict[str, str]
) -> str:
    channels_all = list(dict.fromkeys(summary["channel"].astype(str)))
    programs = [c for c in channels_all if c not in ("direct", "partners", "total")]
    head = "".join(f"<th>{html.escape(_SHORT_LABELS[m])}</th>" for m in CHANNEL_METRICS)
    lines = [
        '<div class="scroll"><table class="channels">',
        f"<thead><tr><th>channel</th>{head}</tr></thead><tbody>",
    ]
    for strategy in strategies:
        lines.append(
            f'<tr class="group"><th colspan="{len(CHANNEL_METRICS) + 1}">'
            f"{_swatch(strategy, colors)}</th></tr>"
        )
        for channel in channels_all:
            if channel == "partners" and len(programs) < 2:
                continue  # one program: the partners row would repeat it
            if channel != "total" and not _active(summary, strategy, channel):
                continue
            name = "all channels" if channel == "total" else channel
            if channel in programs:
                name = f"{channel} <span class='sub'>(partner program)</span>"
            else:
                name = html.escape(name)
            cells = []
            for metric in CHANNEL_METRICS:
                row = _stat(summary, strategy, channel, metric)
                if row is None:
                    cells.append('<td class="num">\u2014</td>')
                    continue
                cells.append(
                    _cell(metric, row["mean"], row["ci_low"], row["ci_high"], int(row["n"]), reps)
                )
            lines.append(f"<tr><th>{name}</th>{''.join(cells)}</tr>")
    lines.append(
        "</tbody><caption>Sums over the horizon and ratios of those sums, mean over "
        "replications with the 95% interval; channels with no activity are left out."
        "</caption></table></div>"
    )
    return "\n".join(lines)


def _width_ratio(row: pd.Series) -> float:
    paired = float(row["ci_high"]) - float(row["ci_low"])
    unpaired = float(row["unpaired_ci_high"]) - float(row["unpaired_ci_low"])
    if not (math.isfinite(paired) and math.isfinite(unpaired)) or unpaired <= 0:
        return math.nan
    return paired / unpaired


def _pairing_sentence(ratios: Sequence[float]) -> str:
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


def _differences_section(
    differences: pd.DataFrame, target: float | None, colors: dict[str, str]
) -> str:
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
            pair = f"{_swatch(a, colors)} − {_swatch(b, colors)}" if first else ""
            first = False
            ratio = _width_ratio(row)
            if math.isfinite(ratio):
                ratios.append(ratio)
            n = int(row["n"])
            if n == 0 and metric == "months_to_target":
                cell = '<td class="num">no replication where both reach it</td>'
            elif n == 0:
                cell = '<td class="num">\u2014</td>'
            else:
                cell = _cell(metric, row["mean"], row["ci_low"], row["ci_high"], n, n)
            p = float(row["p_better"])
            better = f"{p * 100:.0f}% of {n} reps" if math.isfinite(p) else "\u2014"
            lines.append(
                f"<tr><th>{pair}</th><td>{html.escape(_SHORT_LABELS[metric])}</td>{cell}"
                f'<td class="num">{better}</td>'
                f'<td class="num">{f"{ratio:.2f}" if math.isfinite(ratio) else "—"}</td></tr>'
            )
    lines.append("</tbody></table></div>")
    note = (
        "“A better in”: share of replications where A beats B (higher contribution and NPV, "
        "an earlier target month, a lower cost per sale; ties count half)."
    )
    lines.append(f'<p class="note">{note}</p>')
    if ratios:
        lines.append(f"<p>{_pairing_sentence(ratios)}</p>")
    return "\n".join(lines)


def _bridge_table(bridge: pd.DataFrame, strategies: Sequence[str], colors: dict[str, str]) -> str:
    head = "".join(f"<th>{_swatch(s, colors)}</th>" for s in strategies)
    lines = [
        '<div class="scroll"><table class="bridge">',
        f"<thead><tr><th>step (all channels, over the horizon)</th>{head}</tr></thead><tbody>",
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


def _figure(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    stem = path.stem
    title = _PLOT_TITLES.get(stem, stem.replace("_", " "))
    caption = _CAPTIONS.get(stem, "")
    return (
        f'<figure id="plot-{html.escape(stem)}">'
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(title)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _meta_line(
    meta: dict[str, Any], scenario: dict[str, Any], strategies: Sequence[str], reps: int
) -> str:
    parts = []
    version = meta.get("channelsim_version")
    if version:
        parts.append(f"channelsim {version}")
    seed = meta.get("seed", scenario.get("scenario", {}).get("seed"))
    if seed is not None:
        parts.append(f"seed {seed}")
    parts.append(f"{reps} replications")
    horizon = scenario.get("scenario", {}).get("horizon_months")
    if horizon:
        parts.append(f"{horizon} months")
    parts.append("strategies: " + ", ".join(strategies))
    return " · ".join(parts)


def _bullets(lines: Iterable[str]) -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return f'<ul class="verdict">{items}</ul>' if items else ""


# --- the page -------------------------------------------------------------------------------


def render_report(folder: Path, plot_paths: Sequence[Path]) -> str:
    """The report page of an output folder, as HTML text (plots already drawn).

    Args:
        folder: an output folder.
        plot_paths: the PNG files to embed, in order (``margin_bridge`` goes to its own section).

    Returns:
        The HTML text.

    Raises:
        FileNotFoundError: the folder has no ``summary.csv``.
    """
    from channelsim import comparison  # here, not at the top: it imports the simulator

    folder = Path(folder)
    summary = read_table(folder / "summary.csv")
    if summary is None:
        raise FileNotFoundError(f"{folder / 'summary.csv'}: not an output folder")
    monthly = read_table(folder / "monthly.csv")
    differences = read_table(folder / "differences.csv")
    meta = _read_meta(folder)
    toml_text, scenario = _read_scenario(folder)
    target = target_sales(folder)
    strategies = list(meta.get("strategies") or dict.fromkeys(summary["strategy"].astype(str)))
    strategies = [s for s in strategies if s in set(summary["strategy"].astype(str))]
    colors = strategy_colors(strategies)
    reps = _replications(meta, summary)
    horizon = scenario.get("scenario", {}).get("horizon_months")
    if not horizon and monthly is not None and len(monthly):
        horizon = int(monthly["month"].max()) + 1
    name = str(
        scenario.get("scenario", {}).get("name") or meta.get("scenario") or "channelsim report"
    )

    description = str(scenario.get("scenario", {}).get("description") or "").strip()
    verdict = comparison.verdict_lines(summary, differences, monthly, target)
    plots = {p.stem: p for p in plot_paths}
    body = [
        f"<h1>{html.escape(name)}</h1>",
        f'<p class="meta">{html.escape(_meta_line(meta, scenario, strategies, reps))}</p>',
        *([f"<p>{html.escape(description)}</p>"] if description else []),
        "<h2>Verdict</h2>",
        _bullets(verdict) or '<p class="note">No claim is supported by these runs.</p>',
        '<p class="note">Only differences whose 95% interval excludes zero are stated.</p>',
        "<h2>Key metrics</h2>",
        _key_table(summary, strategies, reps, horizon, target, colors),
        "<h2>By channel</h2>",
        _channel_table(summary, strategies, reps, colors),
    ]
    if differences is not None and not differences.empty:
        section = _differences_section(differences, target, colors)
        if section:
            body += ["<h2>Paired differences</h2>", section]
    figures = [p for stem, p in plots.items() if stem != "margin_bridge"]
    if figures:
        body.append("<h2>Plots</h2>")
        for path in figures:
            body.append(f"<h3>{html.escape(_PLOT_TITLES.get(path.stem, path.stem))}</h3>")
            body.append(_figure(path))
    bridge = comparison.margin_bridge(summary)
    if not bridge.empty:
        body.append("<h2>Margin bridge</h2>")
        if "margin_bridge" in plots:
            body.append(_figure(plots["margin_bridge"]))
        body.append(_bridge_table(bridge, strategies, colors))
    if toml_text:
        body += [
            "<h2>Assumptions: the scenario as run</h2>",
            '<p class="note">Every default filled in; rerunning this file reproduces the '
            "results (its first lines say how).</p>",
            f"<pre>{html.escape(toml_text)}</pre>",
        ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(name)} \u2014 channelsim report</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            "<main>",
            *body,
            "</main>",
            f"<script>{_SCRIPT}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )


def build_report(folder: Path) -> Path:
    """Draw the plots and write the self-contained ``report.html`` of an output folder.

    Args:
        folder: an output folder (at least ``summary.csv``; ``monthly.csv`` for the plots over
            time, ``differences.csv`` for the paired differences).

    Returns:
        The path of ``report.html``.
    """
    folder = Path(folder)
    paths = save_plots(folder)
    text = render_report(folder, paths)
    out = folder / REPORT_HTML
    tmp = folder / f".{REPORT_HTML}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out
