"""Plots of an output folder: functions of the data tables, one Figure each.

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
_PANEL_COLUMNS = 3

_STEP_LABELS = {
    "revenue": "revenue",
    "discounts": "discounts",
    "refunds": "refunds",
    "cogs": "cost of goods",
    "fixed_channel_cost": "fixed\nchannel cost",
    "variable_channel_cost": "variable\nchannel cost",
    "contribution": "contribution",
}
_TOTAL_STEPS = {"revenue", "contribution"}


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


def _panels(
    ax: Axes | Sequence[Axes] | None, count: int, size: tuple[float, float]
) -> tuple[Figure, list[Axes]]:
    """Axes for small multiples: the ones given (one per strategy) or new panels.

    New panels are laid out ``_PANEL_COLUMNS`` to a row, so five strategies stay readable.
    """
    if ax is None:
        cols = max(1, min(count, _PANEL_COLUMNS))
        rows = max(1, math.ceil(count / cols))
        fig = Figure(figsize=(size[0] * cols, size[1] * rows), layout="constrained")
        grid = fig.subplots(rows, cols, squeeze=False).ravel()
        for spare in grid[count:]:
            spare.set_visible(False)
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


def plot_cumulative_contribution(
    monthly: pd.DataFrame, channel: str = "total", *, ax: Axes | None = None
) -> Figure:
    """Cumulative contribution by strategy with 95% CI bands; payback is where it crosses zero.

    Args:
        monthly: the ``monthly.csv`` table.
        channel: which channel (default all channels).
        ax: axes to draw on (a new figure when None).

    Returns:
        The Figure.
    """
    fig, ax = _new_axes(ax)
    strategies = _strategies(monthly)
    colors = strategy_colors(strategies)
    for strategy in strategies:
        x, values = _by_replication(monthly, strategy, channel, "contribution")
        _mean_band(ax, x, np.cumsum(values, axis=1), colors[strategy], strategy)
    ax.axhline(0, color="0.2", linewidth=1)
    where = "all channels" if channel == "total" else f"channel {channel}"
    ax.set_title(plain(f"Cumulative contribution by strategy ({where})"))
    ax.set_ylabel("cumulative contribution (currency)")
    _money_axis(ax)
    _month_axis(ax)
    _legend(ax, "upper left")
    return fig


def plot_recurring(monthly: pd.DataFrame, channel: str = "total") -> Figure:
    """Subscriptions: annual recurring revenue (left) and active customers (right) by strategy.

    Annual recurring revenue is 12 x the month's recurring revenue; bands are 95% CIs.

    Args:
        monthly: the ``monthly.csv`` table of a scenario with ``[product.subscription]``.
        channel: which channel.

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
    arr_ax.set_ylabel("12 x recurring revenue of the month (currency)")
    _money_axis(arr_ax)
    cust_ax.set_title("Active customers")
    cust_ax.set_ylabel("customers")
    for ax in (arr_ax, cust_ax):
        ax.set_ylim(bottom=0)
        _month_axis(ax)
    _legend(arr_ax, "upper left")
    return fig


def plot_cash_balance(
    monthly: pd.DataFrame, channel: str = "total", *, ax: Axes | None = None
) -> Figure:
    """Cash balance by strategy with 95% CI bands: the lowest point is the cash the plan needs.

    Args:
        monthly: the ``monthly.csv`` table.
        channel: which channel (``total`` includes ``cash.opening_cash``).
        ax: axes to draw on (a new figure when None).

    Returns:
        The Figure.
    """
    fig, ax = _new_axes(ax)
    strategies = _strategies(monthly)
    colors = strategy_colors(strategies)
    for strategy in strategies:
        x, values = _by_replication(monthly, strategy, channel, "cash_balance")
        _mean_band(ax, x, values, colors[strategy], strategy)
        x, flows = _by_replication(monthly, strategy, channel, "contribution")
        ax.plot(x, np.nanmean(np.cumsum(flows, axis=1), axis=0), color=colors[strategy],
                linewidth=1, linestyle=":")  # fmt: skip
    ax.plot([], [], color="0.3", linewidth=1, linestyle=":", label="cumulative contribution")
    ax.axhline(0, color="0.2", linewidth=1)
    where = "all channels" if channel == "total" else f"channel {channel}"
    ax.set_title(f"Cash balance by strategy ({where})")
    ax.set_ylabel("cash balance (currency)")
    _money_axis(ax)
    _month_axis(ax)
    _legend(ax, "upper left")
    return fig


def plot_cost_per_sale(
    monthly: pd.DataFrame, channel: str = "total", *, ax: Axes | None = None
) -> Figure:
    """Cost of sales per sale, month by month, by strategy.

    The line is the ratio of sums over replications (cost of sales of the month summed over
    replications / sales summed over replications), so months with few sales in some
    replications do not blow it up; the band is the 95% CI of the per-replication ratio.
    Months without any sale are left out.

    Args:
        monthly: the ``monthly.csv`` table.
        channel: which channel (default all channels).
        ax: axes to draw on (a new figure when None).

    Returns:
        The Figure.
    """
    fig, ax = _new_axes(ax)
    strategies = _strategies(monthly)
    colors = strategy_colors(strategies)
    highs = []
    for strategy in strategies:
        color = colors[strategy]
        x, cost = _by_replication(monthly, strategy, channel, "cost_of_sales")
        _x, sales = _by_replication(monthly, strategy, channel, "sales")
        total_sales = np.nansum(sales, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            line = np.where(total_sales > 0, np.nansum(cost, axis=0) / total_sales, np.nan)
            per_rep = np.where(sales > 0, cost / np.where(sales > 0, sales, 1.0), np.nan)
        _mean, _std, low, high, _n = confidence_intervals(per_rep)
        ax.plot(x, line, color=color, linewidth=2, label=plain(strategy))
        ax.fill_between(x, low, high, color=color, alpha=_BAND_ALPHA, linewidth=0)
        later = line[len(line) // 4 :]
        if np.isfinite(later).any():
            highs.append(float(np.nanmax(later)))
    if highs:
        # the first months (few sales, full fixed costs) can be 10x the rest: keep the scale
        # on the steady state and let the early spike run off the top
        ax.set_ylim(0, 2.0 * max(highs))
    else:
        ax.set_ylim(bottom=0)
    where = "all channels" if channel == "total" else f"channel {channel}"
    ax.set_title(plain(f"Cost of sales per sale by strategy ({where})"))
    ax.set_ylabel("cost per sale (currency)")
    _money_axis(ax)
    _month_axis(ax)
    _legend(ax, "upper right", "pooled over replications,\n95% CI band of the ratio")
    return fig


def plot_cost_vs_sales(
    monthly: pd.DataFrame,
    fits: pd.DataFrame,
    channel: str = "total",
    *,
    ax: Axes | None = None,
) -> Figure:
    """Is cost proportional to success? Monthly cost of sales against monthly sales.

    One light dot per (replication, month) and the least-squares line of each strategy: a steep
    line through the origin means cost follows sales (commissions, discounts); a flat line high
    above zero means a fixed cost (salaries) paid whatever sells.

    Args:
        monthly: the ``monthly.csv`` table.
        fits: ``channelsim.analysis.cost_fits(monthly)``: strategy, fixed_per_month,
            variable_per_sale, r2.
        channel: which channel the dots show (should match the fits; default all channels).
        ax: axes to draw on (a new figure when None).

    Returns:
        The Figure.
    """
    fig, ax = _new_axes(ax)
    strategies = _strategies(monthly)
    colors = strategy_colors(strategies)
    fit_rows = {str(r.strategy): r for r in fits.itertuples(index=False)}
    rows = monthly[monthly["channel"] == channel]
    top = float(np.nanmax(rows["sales"])) if len(rows) else 1.0
    xs = np.linspace(0.0, top if math.isfinite(top) and top > 0 else 1.0, 50)
    for strategy in strategies:
        color = colors[strategy]
        mine = rows[rows["strategy"] == strategy]
        ax.scatter(mine["sales"], mine["cost_of_sales"], s=9, color=color, alpha=0.22, linewidths=0)
        fit = fit_rows.get(strategy)
        if fit is None or not math.isfinite(float(fit.variable_per_sale)):
            ax.plot([], [], color=color, label=plain(f"{strategy}: no fit"))
            continue
        fixed, variable = float(fit.fixed_per_month), float(fit.variable_per_sale)
        label = f"{strategy}: fixed {fixed:,.0f}/month + {variable:,.0f} per sale"
        r2 = float(getattr(fit, "r2", math.nan))
        if math.isfinite(r2):
            label += f" (R² {r2:.2f})"
        ax.plot(xs, fixed + variable * xs, color=color, linewidth=2, label=plain(label))
    ax.set_title("Cost of sales against sales, one dot per replication-month")
    ax.set_xlabel("sales a month")
    ax.set_ylabel("cost of sales a month (currency)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    _money_axis(ax)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    return fig


def plot_margin_bridge(bridge: pd.DataFrame, *, ax: Axes | None = None) -> Figure:
    """Waterfall from revenue down to contribution, the strategies side by side at each step.

    Args:
        bridge: ``channelsim.analysis.margin_bridge(summary)``: strategy, step, value (revenue
            and contribution are totals from zero, the steps between are negative deductions).
        ax: axes to draw on (a new figure when None).

    Returns:
        The Figure.
    """
    fig, ax = _new_axes(ax, (9.0, 4.8))
    strategies = _strategies(bridge)
    colors = strategy_colors(strategies)
    steps = list(dict.fromkeys(bridge["step"].astype(str)))
    width = 0.8 / max(len(strategies), 1)
    for k, strategy in enumerate(strategies):
        mine = bridge[bridge["strategy"] == strategy].set_index("step")["value"]
        running = 0.0
        offset = (k - (len(strategies) - 1) / 2) * width
        for i, step in enumerate(steps):
            value = float(mine.get(step, np.nan))
            if not math.isfinite(value):
                continue
            if step in _TOTAL_STEPS:
                bottom, height, alpha, hatch = 0.0, value, 1.0, None
                running = value
            else:
                bottom, height, alpha, hatch = running, value, 0.45, "//"
                running += value
            ax.bar(
                i + offset,
                height,
                bottom=bottom,
                width=width * 0.92,
                color=colors[strategy],
                alpha=alpha,
                hatch=hatch,
                edgecolor=colors[strategy],
                linewidth=0.8,
                label=plain(strategy) if i == 0 else None,
            )
            if step in _TOTAL_STEPS:
                ax.annotate(
                    plain(axis_money(value)),
                    (i + offset, value),
                    xytext=(0, 2 if value >= 0 else -2),
                    textcoords="offset points",
                    ha="center",
                    va="bottom" if value >= 0 else "top",
                    fontsize=7 if len(strategies) <= 3 else 6,
                )
    ax.axhline(0, color="0.2", linewidth=1)
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.06 * (high - low))  # room for the labels above the tallest bar
    ax.set_xticks(range(len(steps)), [_STEP_LABELS.get(s, s) for s in steps], fontsize=8)
    ax.set_xlabel("from revenue (left) to contribution (right); hatched bars are deductions")
    ax.set_ylabel("currency, summed over the horizon")
    _money_axis(ax)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title("Margin bridge: where the revenue goes (mean over replications)")
    ax.legend(loc="upper right", frameon=False)
    return fig
