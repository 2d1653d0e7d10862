"""Plots of a sweep: the metric against one parameter, heatmaps over two, main effects.

Same conventions as :mod:`channelsim.outputs.planning_plots` (functions of tables returning
Figures built without pyplot; each strategy keeps its colour; bands are 95% Student-t
intervals over replications). With two strategies the paired difference A - B is drawn too,
against one parameter (a line with its band) or two (a diverging heatmap whose zero contour is
the break-even frontier). Heatmaps drawn side by side share one colour scale, and a best point
is starred only when the caller says it is told apart from the others
(:func:`channelsim.analysis.sweep_tables.best_point`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from channelsim.analysis.sweep_tables import paired_point_differences
from channelsim.metrics.formatting import axis_money
from channelsim.outputs.files import safe_name
from channelsim.outputs.planning_plots import (
    MONEY_METRICS,
    _axis_positions,
    _fmt,
    _new,
    _value_axis,
    with_currency,
)
from channelsim.outputs.plots import plain, strategy_colors

__all__ = [
    "plot_main_effects",
    "plot_sweep_difference",
    "plot_sweep_heatmap",
    "plot_sweep_line",
    "sweep_figures",
]

_BAND_ALPHA = 0.18
_ANNOTATE_MAX_CELLS = 64


def plot_sweep_line(
    summary: pd.DataFrame,
    key: str,
    metric: str,
    strategies: Sequence[str],
    *,
    best: Mapping[str, int] | None = None,
    currency: str = "USD",
    ax: Axes | None = None,
) -> Figure:
    """One parameter: the metric's mean and 95% band against the parameter, per strategy.

    Args:
        summary: a sweep's summary table.
        key: the parameter.
        metric: the metric shown.
        strategies: strategies, in sweep order.
        best: strategy -> its best point, marked with a star (only points told apart from
            the others: :func:`channelsim.analysis.sweep_tables.best_point`).
        currency: the ISO 4217 code of the scenario's money (money metrics).
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
        if best and strategy in best:
            at = (sel["point"].to_numpy()[order] == best[strategy]).nonzero()[0]
            if at.size:
                _star(ax, x[at[0]], mean[at[0]], color)
    if labels is not None:
        ax.set_xticks(range(len(labels)), labels)
    ax.set_xlabel(plain(key))
    ax.set_ylabel(f"{metric} (total)")
    _value_axis(ax, metric, currency=currency)
    ax.grid(True, alpha=0.3)
    ax.set_title(plain(f"{metric} against {key}"), loc="left")
    legend = ax.legend(frameon=False, title="mean, 95% CI band", title_fontsize=8)
    legend.get_title().set_color("0.35")
    return fig


def _star(ax: Axes, x: float, y: float, color: str) -> None:
    ax.scatter(
        [x], [y], s=170, marker="*", color=color, edgecolors="black", linewidths=0.8, zorder=4
    )
    ax.annotate("best", (x, y), xytext=(7, 7), textcoords="offset points", fontsize=8)


def plot_sweep_difference(
    differences: pd.DataFrame,
    key: str,
    metric: str,
    a: str,
    b: str,
    *,
    currency: str = "USD",
    ax: Axes | None = None,
) -> Figure:
    """One parameter, two strategies: the paired difference A - B and its 95% band.

    The difference is taken replication by replication (common random numbers) before it is
    averaged, so its interval is much narrower than the gap between two strategies' bands
    suggests. Filled dots: the interval excludes zero; hollow: it does not.

    Args:
        differences: one row per point: the parameter, ``mean``, ``ci_low``, ``ci_high`` of
            the paired difference (``paired_point_differences`` of
            :mod:`channelsim.analysis.sweep_tables`).
        key: the parameter.
        metric: the metric.
        a: strategy A.
        b: strategy B.
        currency: the ISO 4217 code of the scenario's money (money metrics).
        ax: axes to draw on.

    Returns:
        The Figure.
    """
    fig, ax = _new(ax)
    x, labels = _axis_positions(differences[key])
    order = np.argsort(x, kind="stable")
    x = x[order]
    mean = differences["mean"].to_numpy(dtype=float)[order]
    low = differences["ci_low"].to_numpy(dtype=float)[order]
    high = differences["ci_high"].to_numpy(dtype=float)[order]
    color = strategy_colors([a, b])[a]
    ax.axhline(0.0, color="0.3", linewidth=1)
    ax.plot(
        x, mean, color=color, linewidth=2, label=plain(f"{a} - {b}, mean of paired differences")
    )
    if np.isfinite(low).any():
        ax.fill_between(x, low, high, color=color, alpha=_BAND_ALPHA, linewidth=0, label="95% CI")
    sure = (low > 0) | (high < 0)
    ax.scatter(x[sure], mean[sure], s=22, color=color, zorder=3, label="CI excludes 0")
    ax.scatter(
        x[~sure], mean[~sure], s=22, facecolors="white", edgecolors=color, zorder=3,
        label="CI includes 0: not told apart",
    )  # fmt: skip
    if labels is not None:
        ax.set_xticks(range(len(labels)), labels)
    ax.set_xlabel(plain(key))
    ax.set_ylabel(plain(f"{metric}: {a} - {b} (total)"))
    _value_axis(ax, metric, currency=currency)
    ax.grid(True, alpha=0.3)
    ax.set_title(plain(f"{a} - {b}: {metric} against {key}, paired over replications"), loc="left")
    ax.legend(frameon=False, fontsize=8)
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
    norm: Normalize | None = None,
    colorbar: bool = True,
    best: int | None = None,
    currency: str = "USD",
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
        norm: the colour scale (default: this table's range); heatmaps drawn side by side
            pass one scale, so one colour means one value in all of them.
        colorbar: draw this heatmap's colour bar (off when several share one).
        best: a point id (``table["point"]``) to mark with a star: the best point.
        currency: the ISO 4217 code of the scenario's money (a money metric's colour bar).
        ax: axes to draw on.

    Returns:
        The Figure.
    """
    fig, ax = _new(ax, (7.0, 5.2))
    z_all = table[value].to_numpy(dtype=float)
    finite = z_all[np.isfinite(z_all)]
    cmap = "RdBu" if diverging else "viridis"
    if norm is None and diverging and finite.size:
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
    if best is not None and "point" in table:
        at = (table["point"].to_numpy() == best).nonzero()[0]
        if at.size:
            _star(ax, xs[at[0]], ys[at[0]], "white")
    if colorbar:
        _colorbar(fig, mesh, ax, label, metric, currency)
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


def _colorbar(
    fig: Figure, mesh: Any, ax: Axes | list[Axes], label: str, metric: str, currency: str
) -> None:
    bar = fig.colorbar(mesh, ax=ax)
    if metric in MONEY_METRICS:
        label = with_currency(label, currency)
        bar.formatter = FuncFormatter(axis_money)
        bar.update_ticks()
    bar.set_label(plain(label))


def plot_main_effects(
    summary: pd.DataFrame,
    keys: Sequence[str],
    metric: str,
    strategies: Sequence[str],
    *,
    currency: str = "USD",
) -> Figure:
    """Three or more parameters: the metric at every point against each parameter in turn.

    Args:
        summary: a sweep's summary table.
        keys: the parameters.
        metric: the metric shown.
        strategies: strategies, in sweep order.
        currency: the ISO 4217 code of the scenario's money (money metrics).

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
        ax.set_ylabel(f"{metric} (total, mean)" if ax is axes[0] else "")
        _value_axis(ax, metric, currency=currency)
        ax.grid(True, alpha=0.3)
    for spare in axes[len(keys) :]:
        spare.set_visible(False)
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
    best: Mapping[str, int] | None = None,
    currency: str = "USD",
) -> list[tuple[str, Figure]]:
    """The figures of a sweep, as ``(file stem, Figure)`` pairs.

    One parameter: ``sweep_<metric>`` (a line per strategy with its band) and, with exactly
    two strategies, ``sweep_<metric>_<a>_minus_<b>`` (their paired difference with its band).
    Two: a heatmap per strategy, on one colour scale, and, with exactly two strategies,
    ``sweep_<metric>_<a>_minus_<b>`` (the paired difference, zero contour = the break-even
    frontier). More: main effects.

    Args:
        summary: the sweep's summary table.
        results: its results table (one row per point, strategy, replication and channel).
        points: its points table (``point`` and one column per parameter).
        strategies: the strategies, in sweep order.
        metric: the metric shown.
        horizon: what "never" counts as in a difference of censored times (months).
        best: strategy -> its best point, for the strategies whose best point is told apart
            from the others (marked with a star); the others get no mark.
        currency: the ISO 4217 code of the scenario's money (money metrics).

    Returns:
        The figures (none when no point finished).
    """
    keys = [c for c in points.columns if c != "point"]
    strategies = list(strategies)
    best = dict(best or {})
    if summary.empty:
        return []
    stem = f"sweep_{safe_name(metric)}"
    out: list[tuple[str, Figure]] = []
    pair = strategies if len(strategies) == 2 else None
    if len(keys) == 1:
        line = plot_sweep_line(summary, keys[0], metric, strategies, best=best, currency=currency)
        out.append((stem, line))
        if pair is not None:
            a, b = pair
            diff = paired_point_differences(results, points, a, b, metric, horizon=horizon)
            if not diff.empty:
                fig = plot_sweep_difference(diff, keys[0], metric, a, b, currency=currency)
                out.append((f"{stem}_{safe_name(a)}_minus_{safe_name(b)}", fig))
        return out
    if len(keys) == 2:
        rows = summary[summary["metric"] == metric]
        fig = Figure(figsize=(6.4 * len(strategies) + 1.2, 5.0), layout="constrained")
        axes = fig.subplots(1, len(strategies), squeeze=False).ravel()
        values = rows["mean"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        shared = Normalize(float(values.min()), float(values.max())) if values.size else None
        drawn = []
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
                norm=shared,
                colorbar=False,
                best=best.get(strategy),
                ax=ax,
            )
            ax.set_title(plain(strategy), loc="left")
            drawn.append(ax)
        if drawn:
            mesh = drawn[0].collections[0]
            label = f"{metric} (total, mean; one scale for all)"
            _colorbar(fig, mesh, drawn, label, metric, currency)
        out.append((stem, fig))
        if pair is not None:
            a, b = pair
            diff = paired_point_differences(results, points, a, b, metric, horizon=horizon)
            if not diff.empty:
                fig = plot_sweep_heatmap(
                    diff,
                    keys[0],
                    keys[1],
                    label=f"{metric}: {a} - {b} (mean of paired differences)",
                    metric=metric,
                    diverging=True,
                    currency=currency,
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
    out.append((stem, plot_main_effects(summary, keys, metric, strategies, currency=currency)))
    return out
