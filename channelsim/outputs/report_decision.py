"""The first screen of a report: the recommendation, what would change it, and where it comes from.

A reader who forwards the report to a VP needs, before any table: which strategy to choose and
at what cost (:func:`recommendation_section`, the rule of
:mod:`channelsim.analysis.decision`), how fragile that is (:func:`swing_section`, from
``swing.csv``), in which currency, and from which scenario and options
(:func:`provenance_section`: every ``--set``, ``--seed``, ``--reps`` and ``--strategies``, each
named strategy's changes, the key assumptions with their units). The scenario file's own
header comments, where its sources are, go above the resolved TOML
(:func:`header_comments_block`). Every user string is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from channelsim.analysis.decision import (
    OBJECTIVE_WORDS,
    Recommendation,
    recommend_for,
    swing_sentences,
    variant_changes,
)

__all__ = [
    "KEY_ASSUMPTIONS",
    "assumptions_rows",
    "header_comments_block",
    "provenance_section",
    "recommendation_section",
    "swing_section",
]

KEY_ASSUMPTIONS: tuple[tuple[str, str], ...] = (
    ("scenario.horizon_months", "months"),
    ("scenario.discount_rate", "a year"),
    ("targets.sales_per_month", "sales a month"),
    ("product.price", "{cur} per sale"),
    ("product.unit_cost", "{cur} per sale"),
    ("product.subscription.fee_per_month", "{cur} a month per customer"),
    ("product.subscription.term_months", "months"),
    ("product.subscription.churn", "share not renewing at a renewal"),
    ("demand.leads_per_month", "leads a month at the start"),
    ("demand.growth", ""),
    ("demand.ceiling_leads_per_month", "leads a month"),
    ("direct.initial_reps", "reps"),
    ("direct.max_reps", "reps"),
    ("direct.win_rate", "share of deals won"),
    ("direct.salary_annual", "{cur} a year per rep"),
    ("direct.commission_rate", "share of revenue"),
    ("direct.ramp_months", "months"),
    ("direct.attrition_annual", "a year"),
    ("direct.hiring.max_hires_per_month", "hires a month"),
    ("partners.*.kind", ""),
    ("partners.*.discount", "share of list price"),
    ("partners.*.commission_rate", "share of revenue"),
    ("partners.*.win_rate", "share of deals won"),
    ("partners.*.recruit_per_month", "recruits a month"),
    ("partners.*.activation_rate", "share of recruits"),
    ("cash.customer_payment_days", "days"),
    ("conflict.partner_sourced_overlap", "share of sourced leads"),
    ("decision.objective", ""),
    ("decision.max_peak_investment", "{cur}"),
    ("decision.min_contribution_margin", "share of revenue"),
)
"""The assumptions of the report's short table and their units (``*``: each partner program;
``{cur}``: the scenario's currency)."""


def recommendation_section(
    scenario: Mapping[str, Any],
    summary: pd.DataFrame,
    differences: pd.DataFrame | None,
    replications: pd.DataFrame | None,
) -> tuple[str, Recommendation]:
    """The recommendation as HTML (warnings first in their own box) and the object."""
    rec = recommend_for(scenario, summary, differences, replications)
    warnings = set(rec.warnings)
    lines = ['<section id="recommendation" class="summary">']
    for sentence in rec.sentences:
        cls = ' class="warning"' if sentence in warnings else ""
        lines.append(f"<p{cls}>{html.escape(sentence)}</p>")
    lines.append(
        '<p class="note">The rule: the highest mean objective among the strategies that meet the '
        "scenario's [decision] constraints; trade-offs only where the paired 95% interval "
        "excludes zero and the difference is large enough to matter (docs/cli.md, how the "
        "recommendation is made).</p>"
    )
    lines.append("</section>")
    return "\n".join(lines), rec


def swing_section(swing: pd.DataFrame | None, currency: str) -> str:
    """What would change the answer: sentences and the table of leads at each input's ends."""
    sentences = swing_sentences(swing, currency)
    if not sentences or swing is None:
        return ""
    top = swing.iloc[0]
    lines = ['<section id="what-would-change">']
    lines += [f"<p>{html.escape(s)}</p>" for s in sentences]
    head = (
        "<tr><th>input</th><th>today</th><th>low</th><th>lead at low</th><th>high</th>"
        f"<th>lead at high</th><th>swing ({html.escape(currency)})</th></tr>"
    )
    lines += ['<div class="scroll"><table class="swing">', f"<thead>{head}</thead><tbody>"]
    for r in swing.itertuples(index=False):
        lines.append(
            "<tr>"
            f"<td>{html.escape(str(r.param))}</td>"
            f'<td class="num">{float(r.base_value):.3g}</td>'
            f'<td class="num">{float(r.low):.3g}</td>'
            f'<td class="num">{_money(r.lead_low)}</td>'
            f'<td class="num">{float(r.high):.3g}</td>'
            f'<td class="num">{_money(r.lead_high)}</td>'
            f'<td class="num">{_money(r.swing)}</td>'
            "</tr>"
        )
    objective = html.escape(OBJECTIVE_WORDS.get(str(top["objective"]), str(top["objective"])))
    lines.append(
        f"</tbody><caption>Lead of {html.escape(str(top['best']))} over "
        f"{html.escape(str(top['runner_up']))} in {objective} ({html.escape(currency)}), each "
        f"input moved alone to 80% and 120% of its value, on the comparison's first "
        f"{int(top['n'])} replications (common random numbers); the others as compared.</caption>"
    )
    lines += ["</table></div>", "</section>"]
    return "\n".join(lines)


def _money(x: Any) -> str:
    from channelsim.metrics.formatting import money_words

    value = float(x)
    return money_words(value) if math.isfinite(value) else "\u2014"


def _given(prov: Mapping[str, Any]) -> list[str]:
    given = [f"--set {s}" for s in prov.get("set") or []]
    for option, key in (("--seed", "seed"), ("--reps", "replications")):
        if prov.get(key) is not None:
            given.append(f"{option} {prov[key]}")
    if prov.get("strategies"):
        given.append("--strategies " + ",".join(str(s) for s in prov["strategies"]))
    return given


def provenance_section(meta: Mapping[str, Any], scenario: Mapping[str, Any]) -> str:
    """Where the numbers come from: file, options, currency, variants, key assumptions."""
    prov = dict(meta.get("provenance") or {})
    sc = dict(scenario.get("scenario") or {})
    currency = str(sc.get("currency") or "USD")
    given = _given(prov)
    items = []
    if prov.get("scenario_file"):
        items.append(f"scenario file: {prov['scenario_file']}")
    items.append("options: " + (" ".join(given) if given else "none (the file as written)"))
    items.append(
        f"seed {sc.get('seed')}, {sc.get('replications')} replications, "
        f"{sc.get('horizon_months')} months, money in {currency}"
    )
    for name, change in variant_changes(scenario.get("strategies")).items():
        items.append(f"variant {name} = {change}")
    lines = ['<section id="provenance">', '<ul class="provenance">']
    lines += [f"<li>{html.escape(i)}</li>" for i in items]
    lines.append("</ul>")
    rows = assumptions_rows(scenario, currency)
    if rows:
        lines.append('<div class="scroll"><table class="assumptions">')
        lines.append(
            '<thead><tr><th>key assumption</th><th>value</th><th class="text">unit</th></tr>'
            "</thead>"
        )
        lines.append("<tbody>")
        for key, value, unit in rows:
            lines.append(
                f'<tr><td>{html.escape(key)}</td><td class="num">{html.escape(value)}</td>'
                f"<td>{html.escape(unit)}</td></tr>"
            )
        lines.append("</tbody></table></div>")
    lines.append("</section>")
    return "\n".join(lines)


def _lookup(data: Mapping[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Mapping):
        dist = value.get("dist", "")
        rest = ", ".join(f"{k} {_shown(v)}" for k, v in value.items() if k != "dist")
        return f"{dist} ({rest})" if rest else str(dist)
    return str(value)


def assumptions_rows(scenario: Mapping[str, Any], currency: str) -> list[tuple[str, str, str]]:
    """(key, value, unit) of the :data:`KEY_ASSUMPTIONS` the scenario has."""
    partners = [p for p in scenario.get("partners") or [] if isinstance(p, Mapping)]
    rows = []
    for key, unit in KEY_ASSUMPTIONS:
        unit = unit.format(cur=currency)
        if key.startswith("partners.*."):
            field = key.removeprefix("partners.*.")
            rows += [
                (f"partners.{p.get('name')}.{field}", _shown(p[field]), unit)
                for p in partners
                if field in p
            ]
            continue
        value = _lookup(scenario, key)
        if value is not None:
            rows.append((key, _shown(value), unit))
    return rows


def header_comments_block(meta: Mapping[str, Any]) -> str:
    """The scenario file's own header comments (its question and sources), as a block."""
    lines: Sequence[str] = (meta.get("provenance") or {}).get("scenario_header") or []
    if not lines:
        return ""
    text = "\n".join(str(line) for line in lines)
    return (
        '<p class="note">The scenario file\'s own header: its question and the sources of its '
        "numbers (docs/sources.md lists them).</p>"
        f'<pre class="header">{html.escape(text)}</pre>'
    )
