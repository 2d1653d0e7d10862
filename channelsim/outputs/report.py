"""The HTML report of an output folder: one self-contained page built from the folder's files.

``build_report(folder)`` reads ``summary.csv``, ``monthly.csv``, ``differences.csv`` (comparisons
only), ``replications.csv``, ``swing.csv``, ``summary.json`` (its ``meta``) and
``scenario.resolved.toml``, draws ``plots/*.png`` (:func:`channelsim.outputs.figures.save_plots`)
and writes ``report.html``: first the recommendation, what would change it and where the numbers
come from (:mod:`.report_decision`), then the verdict, the key metrics with their 95% intervals,
a per-channel table, the paired differences, the plots with captions, the margin bridge and the
scenario as run (below its file's own header comments). Images are inline data URIs and the CSS is
inline, so the page opens anywhere without a network. The page holds no date or
version-dependent bytes beyond what the folder already records: building it twice from the
same folder gives the same bytes.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from channelsim.analysis.costs import margin_bridge
from channelsim.analysis.verdict import verdict_lines
from channelsim.outputs.figures import save_plots
from channelsim.outputs.files import (
    DIFFERENCES_CSV,
    MONTHLY_CSV,
    REPLICATIONS_CSV,
    REPORT_HTML,
    SUMMARY_CSV,
    SWING_CSV,
    atomic_write,
)
from channelsim.outputs.plots import strategy_colors
from channelsim.outputs.reading import read_meta, read_scenario, read_table, target_sales
from channelsim.outputs.report_decision import (
    header_comments_block,
    provenance_section,
    recommendation_section,
    swing_section,
)
from channelsim.outputs.report_sections import (
    bridge_table,
    bullets,
    channel_table,
    differences_section,
    key_table,
    replications,
)
from channelsim.outputs.xlsx import write_folder_workbook

__all__ = ["REPORT_HTML", "build_report", "render_report"]

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
    "recurring": "Subscriptions: annual recurring revenue and active customers. A channel "
    "keeps the customers it sells; churn at each renewal bends the curves, expansion lifts "
    "revenue above the customer count.",
    "cash_balance": "Cash balance (solid, with its 95% band) against cumulative contribution "
    "(dotted): payment terms move cash later than contribution; the lowest point is the cash "
    "the plan needs.",
    "margin_bridge": "From revenue (left) to contribution (right): each hatched bar is a "
    "deduction, summed over the horizon, mean over replications.",
}
_PLOT_TITLES = {
    "sales": "Sales over time",
    "capacity": "Capacity against demand",
    "cumulative_contribution": "Cumulative contribution and payback",
    "cost_per_sale": "Cost per sale over time",
    "cost_vs_sales": "Fixed or proportional cost?",
    "recurring": "Recurring revenue and customers",
    "cash_balance": "Cash",
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
section.summary { background: var(--band); border-left: 4px solid #009E73;
  padding: 8px 16px; margin: 8px 0; font-size: 1.05em; }
section.summary p { margin: 6px 0; }
section.summary p.warning { color: #8a1c00; font-weight: 600; }
ul.provenance { margin: 4px 0 8px; padding-left: 20px; color: var(--muted); }
div.first { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 28px; }
@media (max-width: 900px) { div.first { grid-template-columns: minmax(0, 1fr); } }
aside.first-side { font-size: 0.9em; }
aside.first-side .scroll { max-height: 460px; overflow-y: auto; }
aside.first-side table { width: 100%; }
aside.first-side td, aside.first-side th { padding: 3px 6px; }
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
    folder = Path(folder)
    summary = read_table(folder / SUMMARY_CSV)
    if summary is None:
        raise FileNotFoundError(f"{folder / SUMMARY_CSV}: not an output folder")
    monthly = read_table(folder / MONTHLY_CSV)
    differences = read_table(folder / DIFFERENCES_CSV)
    meta = read_meta(folder)
    toml_text, scenario = read_scenario(folder)
    target = target_sales(folder)
    strategies = list(meta.get("strategies") or dict.fromkeys(summary["strategy"].astype(str)))
    strategies = [s for s in strategies if s in set(summary["strategy"].astype(str))]
    colors = strategy_colors(strategies)
    reps = replications(meta, summary)
    horizon = scenario.get("scenario", {}).get("horizon_months")
    if not horizon and monthly is not None and len(monthly):
        horizon = int(monthly["month"].max()) + 1
    name = str(
        scenario.get("scenario", {}).get("name") or meta.get("scenario") or "channelsim report"
    )

    description = str(scenario.get("scenario", {}).get("description") or "").strip()
    verdict = verdict_lines(summary, differences, monthly, target)
    plots = {p.stem: p for p in plot_paths}
    currency = str(scenario.get("scenario", {}).get("currency") or "USD")
    decision, _rec = recommendation_section(
        scenario, summary, differences, read_table(folder / REPLICATIONS_CSV)
    )
    swing = swing_section(read_table(folder / SWING_CSV), currency)
    body = [
        f"<h1>{html.escape(name)}</h1>",
        f'<p class="meta">{html.escape(_meta_line(meta, scenario, strategies, reps))}</p>',
        *([f"<p>{html.escape(description)}</p>"] if description else []),
        '<div class="first">',
        '<div class="first-main">',
        "<h2>Recommendation</h2>",
        decision,
        *(["<h2>What would change the answer</h2>", swing] if swing else []),
        "</div>",
        '<aside class="first-side">',
        "<h2>Where these numbers come from</h2>",
        provenance_section(meta, scenario),
        "</aside>",
        "</div>",
        "<h2>Verdict</h2>",
        bullets(verdict) or '<p class="note">No claim is supported by these runs.</p>',
        '<p class="note">Only differences whose 95% interval excludes zero are stated.</p>',
        "<h2>Key metrics</h2>",
        key_table(summary, strategies, reps, horizon, target, colors, currency),
        "<h2>By channel</h2>",
        channel_table(summary, strategies, reps, colors, currency),
    ]
    if differences is not None and not differences.empty:
        section = differences_section(differences, target, colors)
        if section:
            body += ["<h2>Paired differences</h2>", section]
    figures = [p for stem, p in plots.items() if stem != "margin_bridge"]
    if figures:
        body.append("<h2>Plots</h2>")
        for path in figures:
            body.append(f"<h3>{html.escape(_PLOT_TITLES.get(path.stem, path.stem))}</h3>")
            body.append(_figure(path))
    bridge = margin_bridge(summary)
    if not bridge.empty:
        body.append("<h2>Margin bridge</h2>")
        if "margin_bridge" in plots:
            body.append(_figure(plots["margin_bridge"]))
        body.append(bridge_table(bridge, strategies, colors, currency))
    if toml_text:
        body += [
            "<h2>Assumptions: the scenario as run</h2>",
            header_comments_block(meta),
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

    ``results.xlsx`` is (re)written from the folder's tables at the same time, in one of the
    processes that draw the plots.

    Args:
        folder: an output folder (at least ``summary.csv``; ``monthly.csv`` for the plots over
            time, ``differences.csv`` for the paired differences).

    Returns:
        The path of ``report.html``.
    """
    folder = Path(folder)
    paths = save_plots(folder, also=[partial(write_folder_workbook, folder)])
    text = render_report(folder, paths)
    return atomic_write(folder / REPORT_HTML, text)
