"""What a sweep says about its best points, in words (the rule: analysis.sweep_tables).

A strategy's best point is named only when it is told apart from every other point on the
same replications; otherwise the sentence names the point it cannot be told from and the
paired difference, so a reader sees why no winner is declared. Keys the strategy does not use
are named too: they do nothing for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from channelsim.analysis.sweep_tables import BestPoint
from channelsim.metrics.catalogue import lower_is_better
from channelsim.metrics.formatting import format_estimate
from channelsim.planning.parameters import unused_keys

if TYPE_CHECKING:
    from channelsim.planning.sweep import SweepResult

__all__ = ["best_sentence"]


def _where(result: SweepResult, point: int, keys: Sequence[str]) -> str:
    row = result.points[result.points["point"] == point].iloc[0]
    return ", ".join(f"{k}={_short(row[k])}" for k in keys)


def _short(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def best_sentence(result: SweepResult, best: BestPoint, metric: str) -> str:
    """The line about one strategy's best point, or why none is named.

    Args:
        result: the sweep.
        best: the strategy's :class:`BestPoint` (from ``result.best_points``).
        metric: the metric compared.

    Returns:
        One sentence: "best npv for hybrid: ... at point 3 (...)", or "no best npv for
        direct: ..." with the reason (not told apart from a named point, by how much; or no
        swept key does anything for it).
    """
    strategy, keys = best.strategy, result.spec.keys
    unused = unused_keys(result.scenario, strategy, keys)
    used = [k for k in keys if k not in unused]
    if not used:
        reasons = "; ".join(f"{k}: {why}" for k, why in unused.items())
        return f"no best {metric} for {strategy}: no swept key does anything for it ({reasons})"
    if best.point is None:
        return f"no best {metric} for {strategy}: no point has a value"
    rows = result.summary
    row = rows[
        (rows["point"] == best.point) & (rows["strategy"] == strategy) & (rows["metric"] == metric)
    ].iloc[0]
    cell = format_estimate(metric, float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]))
    at = f"point {best.point} ({_where(result, best.point, used)})"
    word = "lowest" if lower_is_better(metric) else "highest"
    if best.separated:
        text = f"best {metric} for {strategy}: {cell} at {at}, better than every other point"
        text += " on the same replications (paired 95% CIs)"
    elif best.rival is None:
        text = f"no best {metric} for {strategy}: {at} is the only point it can tell apart"
    else:
        rival = f"point {best.rival} ({_where(result, best.rival, used)})"
        if best.identical:
            why = "the same in every replication"
        else:
            mean, low, high = best.difference
            why = "paired difference " + format_estimate(metric, mean, low, high)
        text = (
            f"no best {metric} for {strategy}: {at} has the {word} mean, {cell}, but is not told "
            f"apart from {rival} ({why})"
        )
    if unused:
        text += f"; {', '.join(unused)} does nothing for it"
    return text
