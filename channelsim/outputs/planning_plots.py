"""Plots of the planners' tools: sweeps, break-even curves, tornado and Sobol' charts.

Same conventions as :mod:`channelsim.outputs.plots`: each function takes tables and returns a
matplotlib Figure built without pyplot (rendered by Agg when saved with
:func:`channelsim.outputs.figures.save_figure`, which writes the same bytes for the same
figure); each strategy keeps its colour (:func:`channelsim.outputs.plots.strategy_colors`);
bands and error bars are 95% Student-t intervals over replications.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from channelsim.analysis.sweep_tables import paired_point_differences
from channelsim.metrics.catalogue import CATALOGUE
from channelsim.metrics.formatting import axis_money
from channelsim.outputs.files import safe_name
from channelsim.outputs.plots import WIDE, plain, strategy_colors

MONEY_METRICS = frozenset(m.name for m in CATALOGUE if m.currency)
"""Metrics in currency: their axes and labels read 12.5k, 3.2M."""

_BAND_ALPHA = 0.18
_ANNOTATE_MAX_CELLS = 64


def _fmt(metric: str, x: float) -> str:
    if not math.isfinite(x):
        return ""
    if metric in MONEY_METRICS:
        return axis_money(x)
    return f"{x:.3g}"


def _value_axis(ax: Axes, metric: str, axis: str = "y") -> None:
    if metric in MONEY_METRICS:
        target = ax.yaxis if axis == "y" else ax.xaxis
        target.set_major_formatter(FuncFormatter(axis_money))


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


# --- sweeps ---------------------------------------------------------------------------------


def plot_sweep_line(
    summary: pd.DataFrame,
    key: str,
    metric: str,
    strategies: Sequence[str],
    *,
    ax: Axes | None = None,
) -> Figure:
    """One parameter: the metric's mean and 95% band against the parameter, per strategy.

    Args:
        summary: a sweep's summary table.
        key: the parameter.
        metric: the metric shown.
        strategies: strategies, in sweep order.
        ax: axes to draw on (default: a new Figure).

    Returns:
        The Figure.
    """
    fig, ax = _new(ax)
    rows = summary[summary["metric"] == metric]
    colors = strategy_colors(strategies)
    labels: list[str] | None = None
    for strategy in strategies:
        sel = rows[rows["strategy"] == strategy]
        if sel.empty:
            continue
        x, labels = _axis_positions(sel[key])
        order = np.argsort(x, kind="stable")
        x = x[order]
        mean = sel["mean"].to_numpy(dtype=float)[order]
        low = sel["ci_low"].to_numpy(dtype=float)[order]
        high = sel["ci_high"].to_numpy(dtype=float)[order]
        color = colors[strategy]
        ax.plot(
            x, mean, color=color, linewidth=2, marker="o", markersize=3.5, label=plain(strategy)
        )
        if np.isfinite(low).any():
            ax.fill_between(x, low, high, color=color, alpha=_BAND_ALPHA, linewidth=0)
    if labels is not None:
        ax.set_xticks(range(len(labels)), labels)
    ax.set_xlabel(plain(key))
    ax.set_ylabel(f"{metric} (total)")
    _value_axis(ax, metric)
    ax.grid(True, alpha=0.3)
    ax.set_title(plain(f"{metric} against {key}"), loc="left")
    legend = ax.legend(frameon=False, title="mean, 95% CI band", title_fontsize=8)
    legend.get_title().set_color("0.35")
    return fig


def _is_full_grid(x: pd.Series, y: pd.Series) -> bool:
    pairs = set(zip(x.astype(str), y.astype(str), strict=True))
    return len(pairs) == len(x) == x.astype(str).nunique() * y.astype(str).nunique()


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around sorted centres (midpoints; the end cells as wide as their neighbour)."""
    if len(centres) == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    mids = (centres[1:] + centres[:-1]) / 2
    return np.concatenate(
        [[centres[0] - (mids[0] - centres[0])], mids, [centres[-1] + (centres[-1] - mids[-1])]]
    )


def plot_sweep_heatmap(
    table: pd.DataFrame,
    x_key: str,
    y_key: str,
    *,
    value: str = "mean",
    label: str,
    metric: str,
    diverging: bool = False,
    ax: Axes | None = None,
) -> Figure:
    """Two parameters: a heatmap (grid) or coloured scatter (sampled points) of one value.

    With ``diverging`` the colours are centred on zero (blue above, red below), the zero
    contour is drawn on a grid and cells whose 95% interval includes zero are marked ``≈``.

    Args:
        table: one row per point with the two parameter columns, ``value`` and, for
            ``diverging``, ``ci_low`` and ``ci_high``.
        x_key: the parameter on the x axis.
        y_key: the parameter on the y axis.
        value: the column to colour by.
        label: the colour bar's label.
        metric: the metric (for number formats).
        diverging: centre the colours on zero (a difference A - B).
        ax: axes to draw on.

    Returns:
        The Figure.
    """
    fig, ax = _new(ax, (7.0, 5.2))
    z_all = table[value].to_numpy(dtype=float)
    finite = z_all[np.isfinite(z_all)]
    cmap = "RdBu" if diverging else "viridis"
    norm: Any = None
    if diverging and finite.size:
        top = float(np.max(np.abs(finite))) or 1.0
        norm = TwoSlopeNorm(vcenter=0.0, vmin=-top, vmax=top)
    xs, x_labels = _axis_positions(table[x_key])
    ys, y_labels = _axis_positions(table[y_key])
    if _is_full_grid(table[x_key], table[y_key]) and len(table) > 1:
        ux, uy = np.unique(xs), np.unique(ys)
        grid = np.full((len(uy), len(ux)), np.nan)
        signif = np.ones_like(grid, dtype=bool)
        for xi, yi, z, (_, row) in zip(xs, ys, z_all, table.iterrows(), strict=True):
            i, j = int(np.searchsorted(uy, yi)), int(np.searchsorted(ux, xi))
            grid[i, j] = z
            if diverging and "ci_low" in table:
                lo, hi = float(row["ci_low"]), float(row["ci_high"])
                signif[i, j] = not (lo <= 0 <= hi)
        mesh = ax.pcolormesh(_edges(ux), _edges(uy), grid, cmap=cmap, norm=norm, shading="flat")
        if diverging and len(ux) > 1 and len(uy) > 1 and np.nanmin(grid) < 0 < np.nanmax(grid):
            ax.contour(ux, uy, grid, levels=[0.0], colors="black", linewidths=1.5)
        if grid.size <= _ANNOTATE_MAX_CELLS:
            lo_v, hi_v = mesh.norm.vmin, mesh.norm.vmax
            for i, yv in enumerate(uy):
                for j, xv in enumerate(ux):
                    z = grid[i, j]
                    if not math.isfinite(z):
                        continue
                    share = (z - lo_v) / (hi_v - lo_v) if hi_v != lo_v else 0.5
                    dark = share < 0.3 or (diverging and share > 0.7)
                    text = ("≈ " if not signif[i, j] else "") + _fmt(metric, z)
                    ax.text(
                        xv,
                        yv,
                        plain(text),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if dark else "black",
                    )
    else:
        mesh = ax.scatter(xs, ys, c=z_all, cmap=cmap, norm=norm, s=36, edgecolors="0.3")
    bar = fig.colorbar(mesh, ax=ax)
    bar.set_label(plain(label))
    if metric in MONEY_METRICS:
        bar.formatter = FuncFormatter(axis_money)
        bar.update_ticks()
    if x_labels is not None:
        ax.set_xticks(range(len(x_labels)), x_labels)
    elif len(np.unique(xs)) <= 12:
        ax.set_xticks(np.unique(xs), [f"{v:.4g}" for v in np.unique(xs)])
    if y_labels is not None:
        ax.set_yticks(range(len(y_labels)), y_labels)
    elif len(np.unique(ys)) <= 12:
        ax.set_yticks(np.unique(ys), [f"{v:.4g}" for v in np.unique(ys)])
    ax.set_xlabel(plain(x_key))
    ax.set_ylabel(plain(y_key))
    return fig


def plot_main_effects(
    summary: pd.DataFrame, keys: Sequence[str], metric: str, strategies: Sequence[str]
) -> Figure:
    """Three or more parameters: the metric at every point against each parameter in turn.

    Args:
        summary: a sweep's summary table.
        keys: the parameters.
        metric: the metric shown.
        strategies: strategies, in sweep order.

    Returns:
        The Figure, one panel per parameter.
    """
    cols = min(3, len(keys))
    rows_n = math.ceil(len(keys) / cols)
    fig = Figure(figsize=(4.2 * cols, 3.4 * rows_n), layout="constrained")
    axes = fig.subplots(rows_n, cols, squeeze=False).ravel()
    rows = summary[summary["metric"] == metric]
    colors = strategy_colors(strategies)
    for ax, key in zip(axes, keys, strict=False):
        labels = None
        for strategy in strategies:
            sel = rows[rows["strategy"] == strategy]
            x, labels = _axis_positions(sel[key])
            ax.scatter(
                x, sel["mean"], s=12, color=colors[strategy], alpha=0.8, label=plain(strategy)
            )
        if labels is not None:
            ax.set_xticks(range(len(labels)), labels)
        ax.set_xlabel(plain(key))
        _value_axis(ax, metric)
        ax.grid(True, alpha=0.3)
    for spare in axes[len(keys) :]:
        spare.set_visible(False)
    axes[0].set_ylabel(f"{metric} (total, mean)")
    axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle(f"{metric} at each point, against each parameter")
    return fig


def sweep_figures(
    summary: pd.DataFrame,
    results: pd.DataFrame,
    points: pd.DataFrame,
    strategies: Sequence[str],
    metric: str = "contribution",
    horizon: float | None = None,
) -> list[tuple[str, Figure]]:
    """The figures of a sweep, as ``(file stem, Figure)`` pairs.

    One parameter: ``sweep_<metric>`` (a line per strategy with its band). Two: a heatmap per
    strategy and, with exactly two strategies, ``sweep_<metric>_<a>_minus_<b>`` (the paired
    difference, zero contour = the break-even frontier). More: main effects.

    Args:
        summary: the sweep's summary table.
        results: its results table (one row per point, strategy, replication and channel).
        points: its points table (``point`` and one column per parameter).
        strategies: the strategies, in sweep order.
        metric: the metric shown.
        horizon: what "never" counts as in a difference of censored times (months).

    Returns:
        The figures (none when no point finished).
    """
    keys = [c for c in points.columns if c != "point"]
    strategies = list(strategies)
    if summary.empty:
        return []
    stem = f"sweep_{safe_name(metric)}"
    out: list[tuple[str, Figure]] = []
    if len(keys) == 1:
        out.append((stem, plot_sweep_line(summary, keys[0], metric, strategies)))
        return out
    if len(keys) == 2:
        rows = summary[summary["metric"] == metric]
        fig = Figure(figsize=(6.4 * len(strategies), 5.0), layout="constrained")
        axes = fig.subplots(1, len(strategies), squeeze=False).ravel()
        for ax, strategy in zip(axes, strategies, strict=True):
            sel = rows[rows["strategy"] == strategy]
            if sel.empty:
                ax.set_visible(False)
                continue
            plot_sweep_heatmap(
                sel,
                keys[0],
                keys[1],
                label=f"{metric} (total, mean)",
                metric=metric,
                ax=ax,
            )
            ax.set_title(plain(strategy), loc="left")
        out.append((stem, fig))
        if len(strategies) == 2:
            a, b = strategies
            diff = paired_point_differences(results, points, a, b, metric, horizon=horizon)
            if not diff.empty:
                fig = plot_sweep_heatmap(
                    diff,
                    keys[0],
                    keys[1],
                    label=f"{metric}: {a} - {b} (mean of paired differences)",
                    metric=metric,
                    diverging=True,
                )
                fig.axes[0].set_title(
                    plain(
                        f"{a} - {b}: blue where {a} is higher; line: zero (break-even); "
                        "≈: 95% CI includes 0"
                    ),
                    loc="left",
                    fontsize=9,
                )
                out.append((f"{stem}_{safe_name(a)}_minus_{safe_name(b)}", fig))
        return out
    out.append((stem, plot_main_effects(summary, keys, metric, strategies)))
    return out


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
    _value_axis(ax, metric)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    return fig


# --- sensitivity ----------------------------------------------------------------------------


def plot_tornado(table: pd.DataFrame, *, metric: str, strategy: str) -> Figure:
    """Tornado chart: the metric with each parameter at its low and high value, one at a time.

    Args:
        table: the tornado table of :mod:`channelsim.sensitivity` (``param``, ``low``,
            ``high``, ``metric_base``, ``metric_low``, ``metric_high``, the deltas' intervals,
            ``swing``), largest swing first.
        metric: the metric.
        strategy: the strategy simulated.

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
    ax.set_xlabel(plain(f"{metric} (total, mean over replications; base {_fmt(metric, base)})"))
    _value_axis(ax, metric, "x")
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
