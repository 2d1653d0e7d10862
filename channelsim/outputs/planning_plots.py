"""Plots of the planners' tools: break-even curves, tornado and Sobol' charts.

The sweeps' plots are in :mod:`.sweep_plots`; the helpers here (money axes, new axes, category
positions) are shared by every planner's plot.

Same conventions as :mod:`channelsim.outputs.plots`: each function takes tables and returns a
matplotlib Figure built without pyplot (rendered by Agg when saved with
:func:`channelsim.outputs.figures.save_figure`, which writes the same bytes for the same
figure); each strategy keeps its colour (:func:`channelsim.outputs.plots.strategy_colors`);
bands and error bars are 95% Student-t intervals over replications.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from channelsim.metrics.catalogue import CATALOGUE
from channelsim.metrics.formatting import axis_money
from channelsim.outputs.plots import WIDE, plain, strategy_colors

MONEY_METRICS = frozenset(m.name for m in CATALOGUE if m.currency)
"""Metrics in currency: their axes and labels read 12.5k, 3.2M."""

_BAND_ALPHA = 0.18


def _fmt(metric: str, x: float) -> str:
    if not math.isfinite(x):
        return ""
    if metric in MONEY_METRICS:
        return axis_money(x)
    return f"{x:.3g}"


def with_currency(label: str, currency: str) -> str:
    """``label`` naming the currency: ``npv (total)`` -> ``npv (total, EUR)``."""
    if currency in label:
        return label
    if label.endswith(")"):
        return f"{label[:-1]}, {currency})"
    return f"{label} ({currency})"


def _value_axis(ax: Axes, metric: str, axis: str = "y", currency: str = "USD") -> None:
    """A money metric's axis: 12.5k, 3.2M ticks and the currency in its label (set it first)."""
    if metric in MONEY_METRICS:
        target = ax.yaxis if axis == "y" else ax.xaxis
        target.set_major_formatter(FuncFormatter(axis_money))
        target.set_label_text(with_currency(target.get_label_text(), currency))


def _new(ax: Axes | None, size: tuple[float, float] = WIDE) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure.figure, ax  # type: ignore[union-attr,return-value]
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _numeric(values: pd.Series) -> np.ndarray | None:
    """The values as floats, or None when some are not numbers (categorical parameter)."""
    out = pd.to_numeric(values, errors="coerce")
    if out.isna().any():
        return None
    return out.to_numpy(dtype=float)


def _axis_positions(values: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """Positions on an axis: the numbers themselves, or 0..k-1 with labels for categories."""
    numeric = _numeric(values)
    if numeric is not None:
        return numeric, None
    labels = list(dict.fromkeys(str(v) for v in values))
    index = {label: i for i, label in enumerate(labels)}
    return np.array([index[str(v)] for v in values], dtype=float), [plain(x) for x in labels]


# --- break-even -----------------------------------------------------------------------------


def plot_breakeven(
    evaluations: pd.DataFrame,
    *,
    param: str,
    metric: str,
    a: str,
    b: str | None,
    value: float | None,
    ci_low: float | None,
    ci_high: float | None,
    currency: str = "USD",
    ax: Axes | None = None,
) -> Figure:
    """The difference curve A - B against the parameter, with the break-even marked.

    Without strategy B the curve is A's metric itself and the mark is where it crosses zero.

    Args:
        evaluations: one row per evaluated value: ``value``, ``mean``, ``ci_low``, ``ci_high``.
        param: the parameter.
        metric: the metric compared.
        a: strategy A.
        b: strategy B (None: A's metric against zero).
        value: the break-even (None: no crossing in the range).
        ci_low: lower end of its 95% interval (None: beyond the range or undetermined).
        ci_high: upper end.
        currency: the ISO 4217 code of the scenario's money (money metrics).
        ax: axes to draw on.

    Returns:
        The Figure.
    """
    fig, ax = _new(ax)
    ev = evaluations.sort_values("value", kind="stable")
    x = ev["value"].to_numpy(dtype=float)
    color = strategy_colors([a] if b is None else [a, b])[a]
    paired = b is not None
    curve = f"{a} - {b}" if paired else a
    ax.axhline(0.0, color="0.3", linewidth=1)
    ax.plot(
        x,
        ev["mean"],
        color=color,
        linewidth=2,
        marker="o",
        markersize=3.5,
        label=("mean paired difference" if paired else "mean over replications")
        + " (dots: evaluations)",
    )
    ax.fill_between(
        x,
        ev["ci_low"].to_numpy(dtype=float),
        ev["ci_high"].to_numpy(dtype=float),
        color=color,
        alpha=_BAND_ALPHA,
        linewidth=0,
        label="95% CI of the difference" if paired else "95% CI of the mean",
    )
    word = "break-even" if paired else "zero crossing"
    if value is not None:
        lo = ci_low if ci_low is not None else float(x.min())
        hi = ci_high if ci_high is not None else float(x.max())
        ax.axvspan(lo, hi, color="0.5", alpha=0.15, linewidth=0, label=f"95% CI of the {word}")
        ax.axvline(value, color="black", linestyle="--", linewidth=1.2)
        ax.annotate(
            f"{word} {value:.4g}",
            xy=(value, 0.0),
            xytext=(6, 10),
            textcoords="offset points",
            fontsize=9,
        )
        title = f"{curve}, {metric}: {word} at {param} = {value:.4g}"
    else:
        title = f"{curve}, {metric}: no {word} in this range"
    ax.set_title(plain(title), loc="left", fontsize=10)
    ax.set_xlabel(plain(param))
    ax.set_ylabel(plain(f"{metric}: {curve}" if paired else f"{metric} of {a}"))
    _value_axis(ax, metric, currency=currency)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    return fig


# --- sensitivity ----------------------------------------------------------------------------


def plot_tornado(
    table: pd.DataFrame, *, metric: str, strategy: str, currency: str = "USD"
) -> Figure:
    """Tornado chart: the metric with each parameter at its low and high value, one at a time.

    Args:
        table: the tornado table of :mod:`channelsim.sensitivity` (``param``, ``low``,
            ``high``, ``metric_base``, ``metric_low``, ``metric_high``, the deltas' intervals,
            ``swing``), largest swing first.
        metric: the metric.
        strategy: the strategy simulated.
        currency: the ISO 4217 code of the scenario's money (money metrics).

    Returns:
        The Figure (largest swing on top).
    """
    n = len(table)
    fig, ax = _new(None, (8.5, max(2.5, 0.42 * n + 1.4)))
    if n == 0:
        return fig
    base = float(table["metric_base"].iloc[0])
    rows = table.iloc[::-1].reset_index(drop=True)
    y = np.arange(n)
    low_color, high_color = "#D55E00", "#0072B2"
    for column, color, label, ci in (
        ("metric_low", low_color, "parameter at low", "delta_low"),
        ("metric_high", high_color, "parameter at high", "delta_high"),
    ):
        ends = rows[column].to_numpy(dtype=float)
        ax.barh(y, ends - base, left=base, height=0.6, color=color, alpha=0.85, label=label)
        err_lo = rows[f"{ci}"] - rows[f"{ci}_ci_low"]
        err_hi = rows[f"{ci}_ci_high"] - rows[f"{ci}"]
        ax.errorbar(
            ends,
            y,
            xerr=np.vstack([err_lo.to_numpy(dtype=float), err_hi.to_numpy(dtype=float)]),
            fmt="none",
            ecolor="0.2",
            elinewidth=1,
            capsize=2,
        )
    labels = [
        plain(f"{r.param}\n{_short(r.low)} → {_short(r.high)} (base {_short(r.base_value)})")
        for r in rows.itertuples(index=False)
    ]
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(base, color="black", linewidth=1)
    unit = f"{currency}, " if metric in MONEY_METRICS else ""
    where = f"{unit}total, mean over replications; base {_fmt(metric, base)}"
    ax.set_xlabel(plain(f"{metric} ({where})"))
    _value_axis(ax, metric, "x", currency)
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(
        plain(f"What moves {metric} most ({strategy}): one parameter at a time"), loc="left"
    )
    legend = ax.legend(
        frameon=False, fontsize=8, title="error bars: 95% CI of the paired change", loc="best"
    )
    legend.get_title().set_fontsize(8)
    legend.get_title().set_color("0.35")
    return fig


def _short(x: Any) -> str:
    if isinstance(x, float | int | np.floating | np.integer):
        x = float(x)
        return axis_money(x) if abs(x) >= 10_000 else f"{x:.4g}"
    return str(x)


def plot_sobol(table: pd.DataFrame, *, metric: str, strategy: str) -> Figure:
    """Sobol' indices: first-order and total, with their 95% intervals, per parameter.

    Args:
        table: the Sobol' table of :mod:`channelsim.sensitivity` (``param``, ``S1``,
            ``S1_ci_low``, ``S1_ci_high``, ``ST``, ``ST_ci_low``, ``ST_ci_high``), largest
            total index first.
        metric: the metric.
        strategy: the strategy simulated.

    Returns:
        The Figure (largest total index on top).
    """
    n = len(table)
    fig, ax = _new(None, (8.0, max(2.5, 0.45 * n + 1.4)))
    rows = table.iloc[::-1].reset_index(drop=True)
    y = np.arange(n)
    h = 0.38
    for offset, name, color, label in (
        (h / 2, "ST", "#0072B2", "total (with interactions)"),
        (-h / 2, "S1", "#E69F00", "first order (alone)"),
    ):
        vals = rows[name].to_numpy(dtype=float)
        err = np.vstack(
            [
                np.maximum(vals - rows[f"{name}_ci_low"].to_numpy(dtype=float), 0),
                np.maximum(rows[f"{name}_ci_high"].to_numpy(dtype=float) - vals, 0),
            ]
        )
        ax.barh(y + offset, vals, height=h, color=color, label=label)
        ax.errorbar(vals, y + offset, xerr=err, fmt="none", ecolor="0.2", elinewidth=1, capsize=2)
    ax.set_yticks(y, [plain(p) for p in rows["param"]], fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("Sobol' index: share of the variance of the metric")
    ax.set_xlim(min(-0.05, ax.get_xlim()[0]), max(1.0, ax.get_xlim()[1]))
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(
        plain(f"Which assumptions drive {metric} ({strategy}): Sobol' indices"), loc="left"
    )
    legend = ax.legend(frameon=False, fontsize=8, title="error bars: 95% CI", loc="lower right")
    legend.get_title().set_fontsize(8)
    legend.get_title().set_color("0.35")
    return fig
