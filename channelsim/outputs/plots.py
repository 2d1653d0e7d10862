"""Plots of an output folder: functions of the data tables, one Figure each.

Sales, capacity and recurring revenue are here, the money plots in :mod:`.money_plots`, with
the helpers both share.

Every ``plot_*`` function takes DataFrames as read from the output folder's CSV files
(``monthly.csv``, or the tables that :mod:`channelsim.analysis` derives from them) and an optional
matplotlib ``ax``; it draws on that axes (or on a new Figure) and returns the Figure. Nothing here
opens a window: figures are plain :class:`matplotlib.figure.Figure` objects rendered by the Agg
backend when saved, so no pyplot state is touched.

Each strategy keeps one colour in every plot (:func:`strategy_colors`). Lines over time are the
mean over replications with a shaded 95% Student-t confidence band
(:func:`channelsim.analysis.confidence_intervals`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from channelsim.analysis.intervals import confidence_intervals
from channelsim.metrics.formatting import axis_money

WIDE = (8.0, 4.5)
"""Size in inches of a single-panel plot (880 x 495 pixels at ``DPI``)."""

_STANDARD_COLORS = {"direct": "#0072B2", "indirect": "#E69F00", "hybrid": "#009E73"}
# Okabe-Ito colour-blind-safe palette, then a few more distinct ones for long strategy lists
_EXTRA_COLORS = (
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#000000",
    "#8C564B",
    "#7F7F7F",
    "#BCBD22",
    "#17BECF",
)
_BAND_ALPHA = 0.18
_PANEL_COLUMNS = (3, 2, 4, 5)
"""Columns of small multiples, in order of preference: the first that leaves no row with a
lone panel (four strategies: 2 x 2, seven: 4 + 3); two columns only up to six panels."""


# --- shared helpers -------------------------------------------------------------------------


def strategy_colors(strategies: Sequence[str]) -> dict[str, str]:
    """The colour of each strategy, the same in every plot of a report.

    ``direct``, ``indirect`` and ``hybrid`` always get blue, orange and green; other strategies
    (named under ``[strategies]``) take the next colours in the order given.

    Args:
        strategies: strategy names, in the order they were run.

    Returns:
        Strategy name -> hex colour.
    """
    colors: dict[str, str] = {}
    extra = 0
    for name in dict.fromkeys(strategies):
        if name in _STANDARD_COLORS:
            colors[name] = _STANDARD_COLORS[name]
        else:
            colors[name] = _EXTRA_COLORS[extra % len(_EXTRA_COLORS)]
            extra += 1
    return colors


def plain(text: object) -> str:
    r"""Text for a matplotlib label, shown as typed: never parsed as math text.

    Matplotlib reads text between two ``$`` as math, so a name like ``$\bad{$`` fails to draw
    and ``$x$`` is typeset; an escaped ``\$`` is drawn as ``$``. Every label that carries
    user text (strategy, channel and program names, parameter keys and values) goes through
    this.
    """
    return str(text).replace("$", r"\$")


def _strategies(frame: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(frame["strategy"].astype(str)))


def _root_figure(ax: Axes) -> Figure:
    """The top-level Figure of an axes (also when the axes sits in a SubFigure)."""
    return ax.figure.figure  # type: ignore[union-attr,return-value]


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = WIDE) -> tuple[Figure, Axes]:
    if ax is not None:
        return _root_figure(ax), ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def panel_grid(count: int) -> tuple[int, int]:
    """Rows and columns for ``count`` small multiples, no row holding a lone panel if avoidable.

    Three to a row when that works (so five strategies stay readable), else the first of 2
    (up to six panels: more would be a tall column), 4 and 5 columns whose last row holds more
    than one panel; three when none does.
    """
    if count <= _PANEL_COLUMNS[0]:
        return 1, max(count, 1)
    fits = [c for c in _PANEL_COLUMNS if count % c != 1 and (c > 2 or count <= 6)]
    cols = fits[0] if fits else _PANEL_COLUMNS[0]
    return math.ceil(count / cols), cols


def _panels(
    ax: Axes | Sequence[Axes] | None, count: int, size: tuple[float, float]
) -> tuple[Figure, list[Axes]]:
    """Axes for small multiples: the ones given (one per strategy) or new panels.

    New panels are laid out by :func:`panel_grid`.
    """
    if ax is None:
        rows, cols = panel_grid(count)
        fig = Figure(figsize=(size[0] * cols, size[1] * rows), layout="constrained")
        grid = fig.subplots(rows, cols, squeeze=False).ravel()
        for spare in grid[count:]:  # removed, not hidden: a figure holds only the panels drawn
            spare.remove()
        return fig, list(grid[:count])
    axes = [ax] if isinstance(ax, Axes) else list(ax)
    if len(axes) != count:
        raise ValueError(f"need one axes per strategy ({count}), got {len(axes)}")
    return _root_figure(axes[0]), axes


def _by_replication(
    monthly: pd.DataFrame, strategy: str, channel: str, metric: str
) -> tuple[np.ndarray, np.ndarray]:
    """Months and a (replications, months) array of one metric of one strategy and channel."""
    rows = monthly[(monthly["strategy"] == strategy) & (monthly["channel"] == channel)]
    table = rows.pivot_table(
        index="replication", columns="month", values=metric, aggfunc="first", dropna=False
    ).sort_index(axis=0)
    table = table.sort_index(axis=1)
    return table.columns.to_numpy(dtype=float), table.to_numpy(dtype=float)


def _mean_band(
    ax: Axes, x: np.ndarray, values: np.ndarray, color: str, label: str, **line: object
) -> None:
    """Mean line with a 95% confidence band across replications (rows of ``values``)."""
    mean, _std, low, high, _n = confidence_intervals(values)
    ax.plot(x, mean, color=color, label=plain(label), linewidth=2, **line)
    if np.isfinite(low).any():
        ax.fill_between(x, low, high, color=color, alpha=_BAND_ALPHA, linewidth=0)


def _money_axis(ax: Axes, axis: str = "y") -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(axis_money))


def _month_axis(ax: Axes) -> None:
    ax.set_xlabel("month")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)


def _legend(ax: Axes, loc: str, title: str = "mean, 95% CI band") -> None:
    """Legend whose title says what the lines and bands are (no text over the data)."""
    legend = ax.legend(loc=loc, frameon=False, title=title, title_fontsize=8, alignment="left")
    legend.get_title().set_color("0.35")


# --- the plots ------------------------------------------------------------------------------


def plot_sales(
    monthly: pd.DataFrame,
    channel: str = "total",
    *,
    target: float | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Monthly sales by strategy, mean and 95% CI over replications, with the sales target.

    Args:
        monthly: the ``monthly.csv`` table.
        channel: which channel's sales (``total``, ``direct``, ``partners`` or a program name).
        target: ``targets.sales_per_month``, drawn as a dashed line when given.
        ax: axes to draw on (a new figure when None).

    Returns:
        The Figure.
    """
    fig, ax = _new_axes(ax)
    strategies = _strategies(monthly)
    colors = strategy_colors(strategies)
    for strategy in strategies:
        x, values = _by_replication(monthly, strategy, channel, "sales")
        _mean_band(ax, x, values, colors[strategy], strategy)
    if target:
        ax.axhline(
            target, color="0.3", linestyle="--", linewidth=1.2, label=f"target: {target:g} a month"
        )
    where = "all channels" if channel == "total" else f"channel {channel}"
    ax.set_title(plain(f"Monthly sales by strategy ({where})"))
    ax.set_ylabel("sales a month")
    ax.set_ylim(bottom=0)
    _month_axis(ax)
    _legend(ax, "upper left")
    return fig


def plot_capacity(monthly: pd.DataFrame, *, ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """Selling capacity against demand: a panel per strategy.

    Each panel shows the direct headcount and the active partners (left axis, people or firms)
    and the company's own leads a month (right axis, dotted grey): where demand grows faster than
    capacity, leads wait and get lost.

    Args:
        monthly: the ``monthly.csv`` table.
        ax: one axes per strategy (a new row of panels when None).

    Returns:
        The Figure.
    """
    strategies = _strategies(monthly)
    colors = strategy_colors(strategies)
    fig, axes = _panels(ax, len(strategies), (4.2, 3.8))
    demand_max = 0.0
    twins = []
    for panel, strategy in zip(axes, strategies, strict=True):
        color = colors[strategy]
        x, reps = _by_replication(monthly, strategy, "direct", "headcount")
        x, partners = _by_replication(monthly, strategy, "partners", "partners_active")
        # a strategy without a sales team (or without partners) would draw a line along zero
        if np.nansum(reps) > 0 or np.nansum(partners) == 0:
            _mean_band(panel, x, reps, color, "direct headcount")
        if np.nansum(partners) > 0:
            _mean_band(panel, x, partners, color, "active partners", linestyle="--")
        x, leads = _by_replication(monthly, strategy, "total", "leads")
        _x, sourced = _by_replication(monthly, strategy, "total", "sourced_leads")
        demand = leads - np.nan_to_num(sourced)
        twin = panel.twinx()
        mean = confidence_intervals(demand)[0]
        twin.plot(x, mean, color="0.45", linestyle=":", linewidth=1.8, label="company leads")
        demand_max = max(demand_max, float(np.nanmax(mean)) if np.isfinite(mean).any() else 0.0)
        twins.append(twin)
        panel.set_title(plain(strategy), color=color, fontweight="bold")
        panel.set_ylabel("reps / partners")
        twin.set_ylabel("company leads a month", color="0.35")
        twin.tick_params(axis="y", colors="0.35")
        panel.set_ylim(bottom=0)
        _month_axis(panel)
        panel.yaxis.set_major_locator(MaxNLocator(integer=True))
    top = max((p.get_ylim()[1] for p in axes), default=1.0)
    for panel, twin in zip(axes, twins, strict=True):
        panel.set_ylim(0, top)  # one scale for every panel, so strategies compare at a glance
        twin.set_ylim(0, demand_max * 1.08 or 1.0)
    handles = [
        Line2D([], [], color="0.2", linewidth=2, label="direct headcount (reps)"),
        Line2D([], [], color="0.2", linewidth=2, linestyle="--", label="active partners"),
        Line2D([], [], color="0.45", linewidth=1.8, linestyle=":", label="company leads a month"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    fig.suptitle("Selling capacity against company demand (mean and 95% CI over replications)")
    return fig


def plot_recurring(
    monthly: pd.DataFrame, channel: str = "total", *, currency: str = "USD"
) -> Figure:
    """Subscriptions: annual recurring revenue (left) and active customers (right) by strategy.

    Annual recurring revenue is 12 x the month's recurring revenue; bands are 95% CIs.

    Args:
        monthly: the ``monthly.csv`` table of a scenario with ``[product.subscription]``.
        channel: which channel.
        currency: the ISO 4217 code of the scenario's money.

    Returns:
        The Figure.
    """
    fig = Figure(figsize=(WIDE[0] * 1.6, WIDE[1]), layout="constrained")
    arr_ax, cust_ax = fig.subplots(1, 2)
    strategies = _strategies(monthly)
    colors = strategy_colors(strategies)
    for strategy in strategies:
        x, rr = _by_replication(monthly, strategy, channel, "recurring_revenue")
        _mean_band(arr_ax, x, 12.0 * rr, colors[strategy], strategy)
        x, active = _by_replication(monthly, strategy, channel, "active_customers")
        _mean_band(cust_ax, x, active, colors[strategy], strategy)
    where = "all channels" if channel == "total" else f"channel {channel}"
    arr_ax.set_title(f"Annual recurring revenue ({where})")
    arr_ax.set_ylabel(f"12 x recurring revenue of the month ({currency})")
    _money_axis(arr_ax)
    cust_ax.set_title("Active customers")
    cust_ax.set_ylabel("customers")
    for ax in (arr_ax, cust_ax):
        ax.set_ylim(bottom=0)
        _month_axis(ax)
    _legend(arr_ax, "upper left")
    return fig
