"""The plain-language verdict: claims the numbers support, each with the interval behind it.

The leading strategy is the one with the highest mean NPV; it is compared with each other
strategy on scaling speed, contribution margin, NPV and cost per sale, and only differences
whose paired 95% interval excludes zero are stated. A function of the tables alone (summary,
differences, monthly), so ``channelsim report`` rebuilds it from an output folder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from channelsim.analysis.costs import cost_fits, crossover_sales
from channelsim.analysis.intervals import confidence_intervals
from channelsim.metrics.formatting import money_words

__all__ = ["Claim", "verdict_claims", "verdict_lines"]


@dataclass(frozen=True)
class Claim:
    """One sentence of the verdict and the interval that supports it."""

    text: str
    metric: str
    ci_low: float
    ci_high: float

    @property
    def supported(self) -> bool:
        """True when the 95% interval excludes zero (or, for a level, is finite)."""
        return bool(np.isfinite(self.ci_low) and np.isfinite(self.ci_high))


def _ci(low: float, high: float, fmt) -> str:
    """``95% CI low to high``, or what to say when there is no interval (one replication)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "n = 1: no interval"
    return f"95% CI {fmt(low)} to {fmt(high)}"


def _excludes_zero(row: pd.Series) -> bool:
    return bool(
        np.isfinite(row.ci_low) and np.isfinite(row.ci_high) and (row.ci_low > 0 or row.ci_high < 0)
    )


def _tied_with(best: str, strategies: list[str], differences: pd.DataFrame | None) -> str:
    """A clause naming the strategies whose paired NPV difference from ``best`` includes 0."""
    if differences is None or differences.empty:
        return ""
    d = differences[(differences.channel == "total") & (differences.metric == "npv")]
    tied = []
    for other in strategies:
        if other == best:
            continue
        rows = d[((d.a == best) & (d.b == other)) | ((d.a == other) & (d.b == best))]
        if len(rows) and not _excludes_zero(rows.iloc[0]):
            tied.append(other)
    if not tied:
        return ""
    return "; the paired difference from " + ", ".join(tied) + " includes zero"


def verdict_claims(
    summary: pd.DataFrame,
    differences: pd.DataFrame | None,
    monthly: pd.DataFrame | None = None,
    target: float | None = None,
) -> list[Claim]:
    """Claims the numbers support, as sentences with their intervals (channel ``total``).

    The leading strategy is the one with the highest mean NPV; it is compared with each other
    strategy on scaling speed, contribution margin, NPV and cost per sale, and only differences
    whose paired 95% interval excludes zero are stated.
    """
    tot = summary[summary.channel == "total"]
    strategies = list(dict.fromkeys(tot.strategy))
    claims: list[Claim] = []

    def level(strategy: str, metric: str) -> pd.Series | None:
        rows = tot[(tot.strategy == strategy) & (tot.metric == metric)]
        return rows.iloc[0] if len(rows) else None

    npv = {s: level(s, "npv") for s in strategies}
    ranked = sorted(
        (s for s in strategies if npv[s] is not None and np.isfinite(npv[s]["mean"])),
        key=lambda s: -npv[s]["mean"],
    )
    if not ranked:
        return claims
    best = ranked[0]
    row = npv[best]
    if len(strategies) > 1:
        claims.append(
            Claim(
                f"{best} has the highest mean NPV: {money_words(row['mean'])} "
                f"({_ci(row.ci_low, row.ci_high, money_words)})"
                + _tied_with(best, strategies, differences)
                + ".",
                "npv",
                row.ci_low,
                row.ci_high,
            )
        )
    else:
        claims.append(
            Claim(
                f"{best}: NPV {money_words(row['mean'])} "
                f"({_ci(row.ci_low, row.ci_high, money_words)}).",
                "npv",
                row.ci_low,
                row.ci_high,
            )
        )

    for s in strategies:
        mt = level(s, "months_to_target")
        reps = level(s, "sales")
        if target and mt is not None and reps is not None and mt.n < reps.n:
            missing = int(reps.n - mt.n)
            claims.append(
                Claim(
                    f"{s} does not reach {target:g} sales a month within the horizon in "
                    f"{missing} of {int(reps.n)} replications.",
                    "months_to_target",
                    0.0,
                    0.0,
                )
            )
        el = level(s, "cost_elasticity")
        # only an elasticity measured in every replication, with an interval narrow enough
        # to say something, is worth a sentence (a silent subset would speak for all)
        measured = el is not None and reps is not None and int(el.n) == int(reps.n) >= 2
        if measured and np.isfinite(el.ci_low) and el.ci_high - el.ci_low <= 0.5:
            kind = (
                "follows its success"
                if el.ci_low > 0.7
                else "is mostly fixed"
                if el.ci_high < 0.3
                else "partly follows its success"
            )
            claims.append(
                Claim(
                    f"{s}: cost of sales {kind} (elasticity to success {el['mean']:.2f}, "
                    f"95% CI {el.ci_low:.2f} to {el.ci_high:.2f}).",
                    "cost_elasticity",
                    el.ci_low,
                    el.ci_high,
                )
            )

    if differences is None or differences.empty:
        return claims
    d = differences[differences.channel == "total"]
    for other in strategies:
        if other == best:
            continue
        # orient every difference as best - other
        rows = d[(d.a == best) & (d.b == other)]
        sign = 1.0
        if rows.empty:
            rows, sign = d[(d.a == other) & (d.b == best)], -1.0
        by_metric = {r.metric: r for r in rows.itertuples(index=False)}
        parts: list[tuple[str, str, float, float]] = []

        def interval(r, sign: float = sign) -> tuple[float, float, float]:
            lo, hi = sorted((sign * r.ci_low, sign * r.ci_high))
            return sign * r.mean, lo, hi

        r = by_metric.get("months_to_target")
        if target and r is not None and _excludes_zero(r):
            m, lo, hi = interval(r)
            word = "sooner" if m < 0 else "later"
            parts.append(
                (
                    f"reaches {target:g} sales a month {abs(m):.1f} months {word} "
                    f"(95% CI {abs(hi if m < 0 else lo):.1f} to "
                    f"{abs(lo if m < 0 else hi):.1f})",
                    "months_to_target",
                    lo,
                    hi,
                )
            )
        r = by_metric.get("contribution_margin")
        # a margin beyond +-100% means revenue is tiny next to cost: points of it mean nothing
        if r is not None and _excludes_zero(r) and abs(r.mean) <= 1.0:
            m, lo, hi = interval(r)
            word = "more" if m > 0 else "less"
            parts.append(
                (
                    f"earns {abs(m) * 100:.1f} points {word} contribution margin "
                    f"(95% CI {lo * 100:+.1f} to {hi * 100:+.1f})",
                    "contribution_margin",
                    lo,
                    hi,
                )
            )
        r = by_metric.get("npv")
        if r is not None and _excludes_zero(r):
            m, lo, hi = interval(r)
            word = "higher" if m > 0 else "lower"
            parts.append(
                (
                    f"has an NPV {money_words(abs(m))} {word} (95% CI {money_words(lo)} to "
                    f"{money_words(hi)})",
                    "npv",
                    lo,
                    hi,
                )
            )
        r = by_metric.get("cost_per_sale")
        if r is not None and _excludes_zero(r):
            m, lo, hi = interval(r)
            word = "more" if m > 0 else "less"
            parts.append(
                (
                    f"spends {money_words(abs(m))} {word} per sale (95% CI {money_words(lo)} to "
                    f"{money_words(hi)})",
                    "cost_per_sale",
                    lo,
                    hi,
                )
            )
        if not parts:
            n = int(rows.n.max()) if len(rows) else 0
            claims.append(
                Claim(
                    f"{best} and {other} cannot be told apart on speed, margin, NPV or cost per "
                    f"sale with {n} replications.",
                    "none",
                    0.0,
                    0.0,
                )
            )
            continue
        for text, metric, lo, hi in parts:
            claims.append(Claim(f"Against {other}, {best} {text}.", metric, lo, hi))
        if monthly is not None and not monthly.empty:
            cross = crossover_sales(monthly, best, other)
            mean, _, lo, hi, n = confidence_intervals(cross)
            fits = cost_fits(monthly[monthly.strategy.isin([best, other])]).set_index("strategy")
            # only a crossing inside the monthly volumes both strategies actually reached
            m = monthly[(monthly.channel == "total") & monthly.strategy.isin([best, other])]
            reached = m.groupby("strategy").sales.agg(["min", "max"])
            inside = (
                len(reached) == 2
                and np.isfinite(hi[0])
                and lo[0] >= reached["min"].max()
                and hi[0] <= reached["max"].min()
            )
            if n[0] == len(cross) and np.isfinite(lo[0]) and lo[0] > 0 and inside:
                cheap_low = (
                    best if fits.fixed_per_month[best] < fits.fixed_per_month[other] else other
                )
                dear_low = other if cheap_low == best else best
                claims.append(
                    Claim(
                        f"{cheap_low} is cheaper per sale than {dear_low} below about "
                        f"{mean[0]:,.0f} sales a month (95% CI {lo[0]:,.0f} to {hi[0]:,.0f}), "
                        f"{dear_low} above it.",
                        "crossover_sales",
                        lo[0],
                        hi[0],
                    )
                )
    return claims


def verdict_lines(
    summary: pd.DataFrame,
    differences: pd.DataFrame | None,
    monthly: pd.DataFrame | None = None,
    target: float | None = None,
) -> list[str]:
    """The verdict as plain sentences (see :func:`verdict_claims`)."""
    return [c.text for c in verdict_claims(summary, differences, monthly, target)]
