"""Plots of the decision planners: an optimisation's search and a value-of-information chart.

Same conventions as :mod:`channelsim.outputs.planning_plots`: functions of tables returning
matplotlib Figures built without pyplot. The optimisation's figures are drawn from its
``evaluations.csv`` table (one row per candidate, ``stage`` ``search`` or ``confirm``): the
convergence of the search, the objective against one variable with its 95% band (or a heatmap
over two) and, for each constraint, the feasible frontier: the best objective found at each
level of the constrained metric.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.tri import Triangulation

from channelsim.outputs.files import safe_name
from channelsim.outputs.planning_plots import MONEY_METRICS, _new, _value_axis
from channelsim.outputs.plots import WIDE, strategy_colors

__all__ = [
    "optimize_figures",
    "plot_convergence",
    "plot_feasible_frontier",
    "plot_objective_curve",
    "plot_objective_heatmap",
    "plot_voi",
]

_BAND_ALPHA = 0.18
_CHOSEN = "#d62728"
_POINTS = "#1f77b4"


def _search(evaluations: pd.DataFrame) -> pd.DataFrame:
    return evaluations[evaluations["stage"] == "search"]


def _objective_axis(
    ax: Axes, metric: str, label: str, axis: str = "y", currency: str = "USD"
) -> None:
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(label)
    if not label.startswith("P("):  # a probability of a loss is not money
        _value_axis(ax, metric, axis, currency)


def plot_convergence(
    evaluations: pd.DataFrame,
    *,
    label: str,
    metric: str,
    currency: str = "USD",
    ax: Axes | None = None,
) -> Figure:
    """Each candidate's objective in search order, and the best feasible one so far."""
    fig, ax = _new(ax)
    ev = _search(evaluations)
    ok = ev["feasible"].astype(bool)
    ax.scatter(
        ev.loc[ok, "evaluation"],
        ev.loc[ok, "objective"],
        s=14,
        color=_POINTS,
        label="candidate (feasible)",
    )
    if (~ok).any():
        ax.scatter(
            ev.loc[~ok, "evaluation"],
            ev.loc[~ok, "objective"],
            s=14,
            facecolors="none",
            edgecolors="0.5",
            label="candidate (violates a constraint)",
        )
    ax.step(
        ev["evaluation"],
        ev["best_so_far"],
        where="post",
        color=_CHOSEN,
        linewidth=1.8,
        label="best feasible so far",
    )
    ax.set_xlabel("evaluation (search order; each on the same replications)")
    _objective_axis(ax, metric, label, currency=currency)
    ax.set_title(f"Search: {label}", loc="left", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    return fig


def _mark(ax: Axes, x: float, text: str, style: str, color: str) -> None:
    ax.axvline(x, color=color, linestyle=style, linewidth=1.2)
    ax.annotate(
        text,
        xy=(x, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(4, -12),
        textcoords="offset points",
        fontsize=8,
        color=color,
    )


def plot_objective_curve(
    evaluations: pd.DataFrame,
    key: str,
    *,
    label: str,
    metric: str,
    chosen: Mapping[str, Any],
    base: Mapping[str, Any],
    currency: str = "USD",
    ax: Axes | None = None,
) -> Figure:
    """The objective against one variable, with its 95% band over replications."""
    fig, ax = _new(ax)
    ev = _search(evaluations).sort_values(key, kind="stable")
    x = ev[key].to_numpy(dtype=float)
    ok = ev["feasible"].to_numpy(dtype=bool)
    ax.plot(
        x,
        ev["objective"],
        color=_POINTS,
        linewidth=1.2,
        marker="o",
        markersize=3,
        label=f"{label} (dots: candidates)",
    )
    ax.fill_between(
        x,
        ev["ci_low"].to_numpy(dtype=float),
        ev["ci_high"].to_numpy(dtype=float),
        color=_POINTS,
        alpha=_BAND_ALPHA,
        linewidth=0,
        label="95% CI",
    )
    if (~ok).any():
        ax.scatter(
            x[~ok],
            ev["objective"].to_numpy(dtype=float)[~ok],
            s=30,
            facecolors="none",
            edgecolors="0.3",
            label="violates a constraint",
            zorder=3,
        )
    value = chosen.get(key)
    if isinstance(value, int | float):
        _mark(ax, float(value), f"chosen {value:.4g}", "-", _CHOSEN)
    start = base.get(key)
    if isinstance(start, int | float) and start != value:
        _mark(ax, float(start), f"base {start:.4g}", "--", "0.3")
    ax.set_xlabel(key)
    _objective_axis(ax, metric, label, currency=currency)
    ax.set_title(f"{label} against {key} (search replications)", loc="left", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    return fig


def _triangulation(x: np.ndarray, y: np.ndarray) -> Triangulation | None:
    """A triangulation of the scattered candidates, or None when they are too few or in line."""
    points = np.unique(np.column_stack([x, y]), axis=0)
    if len(points) < 3:
        return None
    centred = points - points.mean(axis=0)
    scale = np.abs(centred).max(axis=0)
    if np.any(scale == 0) or np.linalg.matrix_rank(centred / scale, tol=1e-9) < 2:
        return None
    try:  # triangles of the unit square: axes of different scales give no slivers
        unit = Triangulation((x - x.min()) / np.ptp(x), (y - y.min()) / np.ptp(y))
        return Triangulation(x, y, unit.triangles)
    except (ValueError, RuntimeError):
        return None


def plot_objective_heatmap(
    evaluations: pd.DataFrame,
    keys: Sequence[str],
    *,
    label: str,
    metric: str,
    chosen: Mapping[str, Any],
    base: Mapping[str, Any],
    constraint: tuple[str, float] | None = None,
    currency: str = "USD",
    ax: Axes | None = None,
) -> Figure:
    """The objective over two variables (interpolated between candidates) and the frontier.

    Args:
        evaluations: the optimisation's table.
        keys: the two variables.
        label: the objective in words.
        metric: the objective's metric (for money axes).
        chosen: the chosen values.
        base: the base values.
        constraint: ``(column, limit)`` of a constraint whose limit is drawn as a line.
        currency: the ISO 4217 code of the scenario's money (money metrics).
        ax: axes to draw on.
    """
    fig, ax = _new(ax, (WIDE[0], WIDE[1] * 1.25))
    ev = _search(evaluations)
    ev = ev[np.isfinite(ev["objective"].to_numpy(dtype=float))]
    x, y = ev[keys[0]].to_numpy(dtype=float), ev[keys[1]].to_numpy(dtype=float)
    z = ev["objective"].to_numpy(dtype=float)
    tri = _triangulation(x, y)
    if tri is not None and np.ptp(z) > 0:
        filled = ax.tricontourf(tri, z, levels=12, cmap="viridis")
        bar = fig.colorbar(filled, ax=ax)
        bar.set_label(label)
        if metric in MONEY_METRICS and not label.startswith("P("):
            _value_axis(bar.ax, metric, "y", currency)
        if constraint is not None:
            column, limit = constraint
            c = ev[column].to_numpy(dtype=float)
            if np.isfinite(c).all() and c.min() < limit < c.max():
                lines = ax.tricontour(tri, c, levels=[limit], colors="white", linewidths=1.8)
                ax.clabel(lines, fmt={limit: f"{column}"}, fontsize=7)
    ax.scatter(x, y, s=8, color="black", alpha=0.6, label="candidates")
    if all(isinstance(chosen.get(k), int | float) for k in keys):
        ax.scatter(
            [chosen[keys[0]]],
            [chosen[keys[1]]],
            s=120,
            marker="*",
            color=_CHOSEN,
            label="chosen",
            zorder=3,
        )
    if all(isinstance(base.get(k), int | float) for k in keys):
        ax.scatter(
            [base[keys[0]]],
            [base[keys[1]]],
            s=60,
            marker="s",
            facecolors="none",
            edgecolors="black",
            label="base",
            zorder=3,
        )
    ax.set_xlabel(keys[0])
    ax.set_ylabel(keys[1])
    ax.set_title(f"{label} over {keys[0]} and {keys[1]}", loc="left", fontsize=10)
    ax.legend(frameon=False, fontsize=8, loc="best")
    return fig


def plot_feasible_frontier(
    evaluations: pd.DataFrame,
    column: str,
    *,
    metric: str,
    op: str,
    limit: float,
    label: str,
    objective_metric: str,
    higher_is_better: bool,
    chosen_index: int | None = None,
    currency: str = "USD",
    ax: Axes | None = None,
) -> Figure:
    """The objective against a constrained metric: the trade-off and the best at each level.

    The frontier joins the candidates that no other candidate beats on both the objective and
    the constrained metric; the candidates beyond the limit are infeasible.
    """
    fig, ax = _new(ax)
    ev = _search(evaluations)
    c, z = ev[column].to_numpy(dtype=float), ev["objective"].to_numpy(dtype=float)
    keep = np.isfinite(c) & np.isfinite(z)
    c, z, idx = c[keep], z[keep], ev["evaluation"].to_numpy()[keep]
    ax.scatter(c, z, s=14, color=_POINTS, alpha=0.7, label="candidates")
    # the frontier: walk from the most permissive end of the constraint, keep record-setters
    order = np.lexsort((-z if higher_is_better else z, c if op == "<=" else -c))
    frontier, best = [], -math.inf
    for i in order:
        score = z[i] if higher_is_better else -z[i]
        if score > best:
            best = score
            frontier.append(i)
    if frontier:
        ax.step(
            c[frontier],
            z[frontier],
            where="post",
            color=_CHOSEN,
            linewidth=1.6,
            label="frontier: best objective at each level",
        )
    ax.axvline(limit, color="black", linewidth=1.2)
    side = (limit, max(c.max(), limit) if c.size else limit) if op == "<=" else None
    if op == ">=":
        side = (min(c.min(), limit) if c.size else limit, limit)
    if side is not None and side[1] > side[0]:
        ax.axvspan(*side, color="0.5", alpha=0.15, linewidth=0, label=f"violates {op} {limit:g}")
    if chosen_index is not None and chosen_index in set(idx):
        j = int(np.flatnonzero(idx == chosen_index)[0])
        ax.scatter([c[j]], [z[j]], s=120, marker="*", color=_CHOSEN, label="chosen", zorder=3)
    ax.set_xlabel(f"{column} (mean over replications)")
    _value_axis(ax, metric, "x", currency)
    _objective_axis(ax, objective_metric, label, currency=currency)
    ax.set_title(f"Feasible frontier: {label} against {column}", loc="left", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    return fig


def optimize_figures(
    evaluations: pd.DataFrame,
    *,
    keys: Sequence[str],
    label: str,
    metric: str,
    higher_is_better: bool,
    constraints: Sequence[tuple[str, str, str, float, str]],
    chosen: Mapping[str, Any],
    base: Mapping[str, Any],
    currency: str = "USD",
) -> list[tuple[str, Figure]]:
    """Every figure of an optimisation, as ``(file stem, Figure)``.

    Args:
        evaluations: the ``evaluations.csv`` table.
        keys: the decision variables.
        label: the objective in words.
        metric: the objective's metric.
        higher_is_better: the objective's better direction.
        constraints: ``(column, metric, op, limit, text)`` per constraint.
        chosen: the chosen values.
        base: the base values.
        currency: the ISO 4217 code of the scenario's money (money metrics).
    """
    convergence = plot_convergence(evaluations, label=label, metric=metric, currency=currency)
    figures = [("convergence", convergence)]
    if len(keys) == 1:
        figures.append(
            (
                "objective",
                plot_objective_curve(
                    evaluations,
                    keys[0],
                    label=label,
                    metric=metric,
                    chosen=chosen,
                    base=base,
                    currency=currency,
                ),
            )
        )
    elif len(keys) == 2:
        first = (constraints[0][0], constraints[0][3]) if constraints else None
        figures.append(
            (
                "objective_heatmap",
                plot_objective_heatmap(
                    evaluations,
                    keys,
                    label=label,
                    metric=metric,
                    chosen=chosen,
                    base=base,
                    constraint=first,
                    currency=currency,
                ),
            )
        )
    search = _search(evaluations)
    chosen_rows = search[np.all([search[k] == chosen.get(k) for k in keys], axis=0)]
    chosen_index = int(chosen_rows["evaluation"].iloc[0]) if len(chosen_rows) else None
    for column, constrained, op, limit, text in constraints:
        fig = plot_feasible_frontier(
            evaluations,
            column,
            metric=constrained,
            op=op,
            limit=limit,
            label=label,
            objective_metric=metric,
            higher_is_better=higher_is_better,
            chosen_index=chosen_index,
            currency=currency,
        )
        figures.append((f"frontier_{safe_name(text)}", fig))
    return figures


# --- value of information ----------------------------------------------------------------------


def plot_voi(
    params: pd.DataFrame,
    strategies: pd.DataFrame,
    *,
    evpi: tuple[float, float, float],
    label: str,
    metric: str,
    currency: str = "USD",
) -> Figure:
    """EVPPI per parameter with its interval, EVPI, and each strategy's chance of being best.

    Args:
        params: one row per parameter: ``param``, ``evppi``, ``ci_low``, ``ci_high``.
        strategies: one row per strategy: ``strategy``, ``prob_best``, ``ci_low``,
            ``ci_high``, ``expected_loss``.
        evpi: EVPI and its interval.
        label: the objective in words.
        metric: the objective's metric (for money axes).
        currency: the ISO 4217 code of the scenario's money (money metrics).
    """
    fig = Figure(
        figsize=(WIDE[0] * 1.15, max(WIDE[1], 1.2 + 0.45 * len(params))), layout="constrained"
    )
    left, right = fig.subplots(1, 2, width_ratios=[2.2, 1])
    rows = params.sort_values("evppi", kind="stable")
    y = np.arange(len(rows))
    values = rows["evppi"].to_numpy(dtype=float)
    err = np.vstack(
        [
            values - rows["ci_low"].to_numpy(dtype=float),
            rows["ci_high"].to_numpy(dtype=float) - values,
        ]
    )
    left.barh(y, values, color=_POINTS, alpha=0.85, label="EVPPI (perfect information on it)")
    if np.isfinite(err).all():
        left.errorbar(
            values,
            y,
            xerr=np.clip(err, 0, None),
            fmt="none",
            color="black",
            capsize=3,
            linewidth=1,
            label="95% CI",
        )
    left.axvline(evpi[0], color=_CHOSEN, linewidth=1.6, label="EVPI (on every parameter)")
    if math.isfinite(evpi[1]) and math.isfinite(evpi[2]):
        left.axvspan(evpi[1], evpi[2], color=_CHOSEN, alpha=0.12, linewidth=0)
    left.set_yticks(y, rows["param"].tolist(), fontsize=8)
    left.set_xlabel(f"value of knowing it before deciding ({label})")
    _value_axis(left, metric, "x", currency)
    left.set_title("What to find out first", loc="left", fontsize=10)
    left.grid(True, axis="x", alpha=0.3)
    left.legend(frameon=False, fontsize=7, loc="lower right")
    names = strategies["strategy"].tolist()
    colors = strategy_colors(names)
    p = strategies["prob_best"].to_numpy(dtype=float)
    right.bar(range(len(names)), p, color=[colors[n] for n in names])
    perr = np.vstack(
        [
            p - strategies["ci_low"].to_numpy(dtype=float),
            strategies["ci_high"].to_numpy(dtype=float) - p,
        ]
    )
    if np.isfinite(perr).all():
        right.errorbar(
            range(len(names)),
            p,
            yerr=np.clip(perr, 0, None),
            fmt="none",
            color="black",
            capsize=3,
            linewidth=1,
        )
    right.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
    right.set_ylim(0, 1)
    right.set_ylabel("probability best")
    right.set_title("Which strategy wins", loc="left", fontsize=10)
    right.grid(True, axis="y", alpha=0.3)
    return fig
