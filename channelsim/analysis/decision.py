"""The recommendation: one strategy, its trade-offs and what would make it wrong, in sentences.

**The decision rule** (documented in docs/cli.md, "How the recommendation is made"):

1. A strategy is *eligible* when its mean (channel total) meets every constraint of the
   scenario's ``[decision]`` table (``max_peak_investment``, ``min_contribution_margin``).
2. The *recommended* strategy is the eligible one with the highest mean ``[decision]
   objective`` (``npv`` by default, or ``contribution``, ``contribution_margin``); the
   *runner-up* is the next one.
3. How sure: the share of replications in which the recommended strategy has the highest
   objective among the eligible ones (common random numbers: each replication is one possible
   market, met by every strategy), and the paired 95% interval of its lead over the runner-up.
4. What it gives up or gains against the runner-up, on margin, speed to the sales target, cost
   proportionality (the elasticity to success), brand (reputation, message control) and peak
   investment: a difference is stated only when its paired 95% interval excludes zero *and* it
   is large enough to matter to a reader (:data:`MATERIAL`: half a point of margin or of
   controlled sales, a week to the target, 0.05 of elasticity, 0.005 of reputation, 5% of the
   larger peak investment); a sure but tiny difference ("0.0 points") is noise to a reader.
5. Plain warnings: when every strategy loses money over the horizon, when the recommendation
   cannot be told apart from the runner-up, and when it is a what-if variant (a named strategy)
   rather than ``direct``, ``indirect`` or ``hybrid`` (the best of those is named too).

A function of the output folder's tables (summary, per-replication values, differences) and of
the scenario's settings, so ``channelsim report`` rebuilds it without simulating.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from channelsim.metrics.formatting import format_number, money_words

__all__ = [
    "BASE_STRATEGIES",
    "OBJECTIVE_WORDS",
    "MATERIAL",
    "DecisionRule",
    "Recommendation",
    "recommend",
    "recommend_for",
    "swing_sentences",
    "variant_changes",
]

BASE_STRATEGIES: tuple[str, ...] = ("direct", "indirect", "hybrid")
"""The three strategies of the article; any other is a what-if variant."""

OBJECTIVE_WORDS = {
    "npv": "NPV",
    "contribution": "contribution",
    "contribution_margin": "contribution margin",
}


@dataclass(frozen=True)
class DecisionRule:
    """The scenario's ``[decision]`` table, as the rule reads it.

    Attributes:
        objective: ``npv``, ``contribution`` or ``contribution_margin``.
        max_peak_investment: the most a strategy may put in (None: no limit).
        min_contribution_margin: the least margin it must earn (None: no floor).
    """

    objective: str = "npv"
    max_peak_investment: float | None = None
    min_contribution_margin: float | None = None

    @classmethod
    def from_table(cls, table: Mapping[str, object] | None) -> DecisionRule:
        """The rule from a ``[decision]`` table as written in a resolved scenario."""
        table = table or {}
        return cls(
            objective=str(table.get("objective", "npv")),
            max_peak_investment=_float_or_none(table.get("max_peak_investment")),
            min_contribution_margin=_float_or_none(table.get("min_contribution_margin")),
        )


MATERIAL: dict[str, float] = {
    "contribution_margin": 0.005,
    "months_to_target": 0.25,
    "cost_elasticity": 0.05,
    "reputation_end": 0.005,
    "message_control_share": 0.005,
    "peak_investment": 0.05,
}
"""The smallest difference a trade-off sentence states, per metric (peak investment: a share of
the larger of the two strategies' peak investments); smaller sure differences are left out."""


def _float_or_none(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


@dataclass
class Recommendation:
    """What :func:`recommend` found.

    Attributes:
        best: the recommended strategy (None when no strategy is eligible or defined).
        runner_up: the next eligible strategy (None with a single one).
        objective: the objective maximised.
        p_best: share of replications in which ``best`` has the highest objective (NaN when
            the per-replication values are not known).
        sentences: the summary, three to five sentences, recommendation first.
        warnings: the plain warnings (also in ``sentences``, first).
        excluded: strategy -> why it is not eligible.
    """

    best: str | None
    runner_up: str | None
    objective: str
    p_best: float
    sentences: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)


def _money(x: float, currency: str) -> str:
    return f"{money_words(x)} {currency}".strip()


def _value(name: str, x: float, currency: str) -> str:
    if name in ("npv", "contribution", "peak_investment"):
        return _money(x, currency)
    return format_number(name, x)


def _interval(name: str, low: float, high: float, currency: str) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "n = 1: no interval"
    return f"95% CI {_value(name, low, currency)} to {_value(name, high, currency)}"


def summary_rows(summary: pd.DataFrame) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every row of a summary table by (strategy, channel, metric), as a plain dict.

    Built in one pass: the report's tables used to filter the summary once a cell, which took
    a second for a comparison.
    """
    return {
        (str(r["strategy"]), str(r["channel"]), str(r["metric"])): r
        for r in summary.to_dict("records")
    }


def _means(summary: pd.DataFrame) -> dict[str, dict[str, dict[str, Any]]]:
    """Strategy -> metric -> its summary row (channel total)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (strategy, channel, metric), row in summary_rows(summary).items():
        if channel == "total":
            out.setdefault(strategy, {})[metric] = row
    return out


def _difference(
    differences: pd.DataFrame | None, a: str, b: str, metric: str
) -> tuple[float, float, float] | None:
    """Mean and 95% interval of a - b (channel total), oriented whichever way it was stored."""
    if differences is None or differences.empty:
        return None
    d = differences[(differences["channel"] == "total") & (differences["metric"] == metric)]
    rows = d[(d["a"] == a) & (d["b"] == b)]
    if len(rows):
        r = rows.iloc[0]
        return float(r["mean"]), float(r["ci_low"]), float(r["ci_high"])
    rows = d[(d["a"] == b) & (d["b"] == a)]
    if len(rows):
        r = rows.iloc[0]
        return -float(r["mean"]), -float(r["ci_high"]), -float(r["ci_low"])
    return None


def _excludes_zero(diff: tuple[float, float, float] | None) -> bool:
    if diff is None:
        return False
    _, lo, hi = diff
    return math.isfinite(lo) and math.isfinite(hi) and (lo > 0 or hi < 0)


def _p_best(
    replications: pd.DataFrame | None, eligible: Sequence[str], best: str, objective: str
) -> float:
    if replications is None or replications.empty or objective not in replications.columns:
        return math.nan
    total = replications[replications["channel"] == "total"]
    wide = total.pivot_table(index="replication", columns="strategy", values=objective)
    wide = wide[[s for s in eligible if s in wide.columns]].dropna()
    if wide.empty or best not in wide.columns:
        return math.nan
    values = wide.to_numpy(dtype=float)
    top = values.max(axis=1, keepdims=True)
    winners = values == top
    share = winners[:, list(wide.columns).index(best)] / winners.sum(axis=1)  # ties split
    return float(np.mean(share))


def _eligibility(
    means: Mapping[str, Mapping[str, Mapping[str, Any]]], rule: DecisionRule, currency: str
) -> tuple[list[str], dict[str, str]]:
    eligible, excluded = [], {}
    for strategy, metrics in means.items():
        reasons = []
        peak = metrics.get("peak_investment")
        if rule.max_peak_investment is not None and peak is not None:
            if float(peak["mean"]) > rule.max_peak_investment:
                reasons.append(
                    f"its peak investment, {_money(float(peak['mean']), currency)}, exceeds the "
                    f"limit of {_money(rule.max_peak_investment, currency)}"
                )
        margin = metrics.get("contribution_margin")
        if rule.min_contribution_margin is not None and margin is not None:
            value = float(margin["mean"])
            if not math.isfinite(value) or value < rule.min_contribution_margin:
                reasons.append(
                    f"its contribution margin, {format_number('contribution_margin', value)}, "
                    f"is below the floor of "
                    f"{format_number('contribution_margin', rule.min_contribution_margin)}"
                )
        objective = metrics.get(rule.objective)
        if objective is None or not math.isfinite(float(objective["mean"])):
            reasons.append(f"its {OBJECTIVE_WORDS[rule.objective]} is undefined")
        if reasons:
            excluded[strategy] = " and ".join(reasons)
        else:
            eligible.append(strategy)
    return eligible, excluded


def _trade_offs(
    best: str,
    other: str,
    differences: pd.DataFrame | None,
    levels: Mapping[str, Mapping[str, Mapping[str, Any]]],
    target: float | None,
    currency: str,
) -> tuple[list[str], list[str]]:
    """What ``best`` gains and gives up against ``other`` (only differences that are sure)."""
    gains, costs = [], []

    def sure(metric: str, d: tuple[float, float, float] | None, scale: float = 1.0) -> bool:
        return _excludes_zero(d) and abs(d[0]) >= MATERIAL[metric] * scale

    d = _difference(differences, best, other, "contribution_margin")
    if sure("contribution_margin", d) and abs(d[0]) <= 1:
        text = f"{abs(d[0]) * 100:.1f} points of contribution margin"
        (gains if d[0] > 0 else costs).append(text)
    d = _difference(differences, best, other, "months_to_target")
    if target and sure("months_to_target", d):
        if d[0] < 0:
            gains.append(f"reaching {target:g} sales a month {-d[0]:.1f} months sooner")
        else:  # "gives up reaching ... later" would read backwards
            costs.append(f"{d[0]:.1f} months in reaching {target:g} sales a month")
    d = _difference(differences, best, other, "cost_elasticity")
    if sure("cost_elasticity", d):
        word = "more" if d[0] > 0 else "less"
        mine, theirs = (levels.get(s, {}).get("cost_elasticity") for s in (best, other))
        shown = f"elasticity {d[0]:+.2f}"
        if mine is not None and theirs is not None:
            shown = f"elasticity to success {float(mine['mean']):.2f} against "
            shown += f"{float(theirs['mean']):.2f}"
        text = f"a cost of sales {word} proportional to success ({shown})"
        (gains if d[0] > 0 else costs).append(text)
    d = _difference(differences, best, other, "reputation_end")
    if sure("reputation_end", d):
        (gains if d[0] > 0 else costs).append(f"{abs(d[0]):.3f} of reputation at the end")
    d = _difference(differences, best, other, "message_control_share")
    if sure("message_control_share", d):
        text = f"{abs(d[0]) * 100:.1f} points of sales with a controlled brand message"
        (gains if d[0] > 0 else costs).append(text)
    d = _difference(differences, best, other, "peak_investment")
    peaks = [levels.get(x, {}).get("peak_investment") for x in (best, other)]
    larger = max((abs(float(p["mean"])) for p in peaks if p is not None), default=0.0)
    if sure("peak_investment", d, larger):
        text = f"{_money(abs(d[0]), currency)} of peak investment"
        (gains if d[0] < 0 else costs).append(text)
    return gains, costs


def recommend(
    summary: pd.DataFrame,
    differences: pd.DataFrame | None,
    replications: pd.DataFrame | None = None,
    *,
    rule: DecisionRule | None = None,
    variants: Mapping[str, str] | None = None,
    horizon_months: int | None = None,
    target: float | None = None,
    currency: str = "USD",
) -> Recommendation:
    """The recommendation and its summary sentences (see the module docstring).

    Args:
        summary: the summary table (``summary.csv``).
        differences: the paired differences (``differences.csv``; None for a single run).
        replications: the per-replication values (``replications.csv``), for how often the
            recommendation is best.
        rule: the objective and constraints (default: highest NPV, no constraint).
        variants: each what-if variant (named strategy) and what it changes, in words.
        horizon_months: the horizon, for "loses money over N months".
        target: ``targets.sales_per_month``.
        currency: the ISO 4217 code that labels money.

    Returns:
        The :class:`Recommendation`.
    """
    rule = rule or DecisionRule()
    variants = dict(variants or {})
    means = _means(summary)
    objective = rule.objective
    words = OBJECTIVE_WORDS.get(objective, objective)
    eligible, excluded = _eligibility(means, rule, currency)
    ranked = sorted(eligible, key=lambda s: -float(means[s][objective]["mean"]))
    result = Recommendation(ranked[0] if ranked else None, None, objective, math.nan)
    result.excluded = excluded
    warnings: list[str] = []
    over = f" over {horizon_months} months" if horizon_months else ""
    npvs = [float(m["npv"]["mean"]) for m in means.values() if "npv" in m]
    if npvs and all(v < 0 for v in npvs):
        warnings.append(f"Every strategy loses money{over}: each has a negative mean NPV.")
    if not ranked:
        reasons = "; ".join(f"{s}: {why}" for s, why in excluded.items())
        warnings.append(f"No strategy meets the scenario's [decision] constraints ({reasons}).")
        result.warnings = warnings
        result.sentences = list(warnings)
        return result
    best = ranked[0]
    row = means[best][objective]
    result.runner_up = ranked[1] if len(ranked) > 1 else None
    result.p_best = _p_best(replications, eligible, best, objective)
    sentences: list[str] = []
    lead = (
        f"Recommendation: {best}. It has the highest expected {words}"
        f"{over if objective != 'contribution_margin' else ''}, "
        f"{_value(objective, float(row['mean']), currency)} "
        f"({_interval(objective, float(row['ci_low']), float(row['ci_high']), currency)})"
    )
    if math.isfinite(result.p_best) and result.runner_up is not None:
        lead += f", and is the best of the {len(eligible)} eligible strategies in "
        lead += f"{result.p_best * 100:.0f}% of the replications"
    sentences.append(lead + ".")
    if best not in BASE_STRATEGIES:
        base = [s for s in ranked if s in BASE_STRATEGIES]
        change = variants.get(best, "a named strategy of the scenario")
        text = f"The recommendation, {best}, is a what-if variant ({change}), not one of "
        text += "direct, indirect or hybrid"
        text += f"; the best of those is {base[0]}." if base else "."
        warnings.append(text)
    other = result.runner_up
    if other is not None:
        gap = _difference(differences, best, other, objective)
        if gap is not None and not _excludes_zero(gap):
            warnings.append(
                f"It cannot be told apart from the runner-up, {other}: its lead in {words} "
                f"({_interval(objective, gap[1], gap[2], currency)}) includes zero."
            )
        elif gap is not None:
            sentences.append(
                f"Its lead over the runner-up, {other}, is "
                f"{_value(objective, gap[0], currency)} of {words} "
                f"({_interval(objective, gap[1], gap[2], currency)})."
            )
        gains, costs = _trade_offs(best, other, differences, means, target, currency)
        if costs:
            sentences.append(f"Against {other} it gives up " + _join(costs) + ".")
        if gains:
            sentences.append("In exchange it gains " + _join(gains) + ".")
        if not gains and not costs:
            sentences.append(
                f"On margin, speed, cost proportionality and brand it cannot be told apart "
                f"from {other}."
            )
    if excluded:
        sentences.append(
            "Not eligible under the scenario's [decision] constraints: "
            + "; ".join(f"{s} ({why})" for s, why in excluded.items())
            + "."
        )
    result.warnings = warnings
    result.sentences = sentences[:1] + warnings + sentences[1:]  # the recommendation first
    return result


def _join(parts: Sequence[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def variant_changes(strategies: Mapping[str, Mapping[str, object]] | None) -> dict[str, str]:
    """Each named strategy and what it changes, in words ("hybrid with direct.max_reps = 10").

    Args:
        strategies: the scenario's ``[strategies]`` table as written (name -> ``base`` and
            ``set``).

    Returns:
        Name -> description, in the table's order.
    """
    out: dict[str, str] = {}
    for name, table in (strategies or {}).items():
        base = str(table.get("base", "hybrid"))
        changes = table.get("set") or {}
        shown = ", ".join(f"{k} = {_setting(v)}" for k, v in dict(changes).items())  # type: ignore[call-overload]
        out[str(name)] = f"{base} with {shown}" if shown else f"{base} unchanged"
    return out


def _setting(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def recommend_for(
    scenario: Mapping[str, object],
    summary: pd.DataFrame,
    differences: pd.DataFrame | None,
    replications: pd.DataFrame | None = None,
) -> Recommendation:
    """:func:`recommend` with the rule, variants, horizon, target and currency of a scenario.

    Args:
        scenario: the scenario as a TOML table (``Scenario.to_toml_dict()``, or the parsed
            ``scenario.resolved.toml`` of an output folder).
        summary: the summary table.
        differences: the paired differences (None for a single strategy).
        replications: the per-replication values (None: the share of replications in which
            the recommendation is best is left out).

    Returns:
        The :class:`Recommendation`.
    """
    meta = dict(scenario.get("scenario") or {})  # type: ignore[call-overload]
    targets = dict(scenario.get("targets") or {})  # type: ignore[call-overload]
    horizon = meta.get("horizon_months")
    target = targets.get("sales_per_month")
    return recommend(
        summary,
        differences,
        replications,
        rule=DecisionRule.from_table(scenario.get("decision")),  # type: ignore[arg-type]
        variants=variant_changes(scenario.get("strategies")),  # type: ignore[arg-type]
        horizon_months=int(horizon) if horizon else None,
        target=float(target) if target else None,
        currency=str(meta.get("currency") or "USD"),
    )


def swing_sentences(swing: pd.DataFrame | None, currency: str = "USD") -> list[str]:
    """What would change the answer, in sentences, from a ``swing.csv`` table.

    Args:
        swing: the table of :mod:`channelsim.planning.swing` (largest swing first).
        currency: the ISO 4217 code that labels money.

    Returns:
        One sentence on the input that moves the lead most (and its break-even when one was
        found), one naming the next ones; empty without a table.
    """
    if swing is None or swing.empty:
        return []
    top = swing.iloc[0]
    objective = str(top["objective"])
    words = OBJECTIVE_WORDS.get(objective, objective)
    best, other = str(top["best"]), str(top["runner_up"])

    def lead(x: float) -> str:
        return _value(objective, float(x), currency)

    def setting(x: float) -> str:
        return f"{float(x):.3g}"

    n = int(top["n"])
    sentences = [
        f"What moves {best}'s lead over {other} most is {top['param']} (now "
        f"{setting(top['base_value'])}): at {setting(top['low'])} the lead in {words} is "
        f"{lead(top['lead_low'])}, at {setting(top['high'])} it is {lead(top['lead_high'])}, "
        f"against {lead(top['lead_base'])} at today's value (the same {n} replications)."
    ]
    value = top.get("breakeven")
    if value is not None and math.isfinite(float(value)):
        how = (
            "extrapolated from the values simulated"
            if float(top.get("breakeven_extrapolated") or 0)
            else "between the values simulated"
        )
        sentences.append(
            f"{other} would match {best} at {top['param']} = {setting(value)} ({how})."
        )
    if len(swing) > 1:
        rest = ", ".join(
            f"{r.param} (swing {lead(r.swing)})" for r in swing.iloc[1:].itertuples(index=False)
        )
        sentences.append(f"Next: {rest}.")
    return sentences
