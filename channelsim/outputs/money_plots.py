"""Plots of an output folder's money: cumulative contribution, cash, cost per sale, the bridge.

Same conventions as :mod:`channelsim.outputs.plots` (functions of the folder's tables, one
Figure each, no pyplot; each strategy keeps its colour; bands are 95% Student-t intervals over
replications). Every money axis names the scenario's currency (``currency``, an ISO 4217 code).

Three choices keep these plots from hiding what matters:

- **The payback dip.** Cumulative contribution usually dips (the investment) and then grows; on
  a 36-month scale the dip can be a few pixels high. When the deepest dip is under
  :data:`DIP_SHARE` of the plotted range, a second panel zooms on the months up to the last
  payback, where the dip fills the view.
- **The first months of cost per sale.** With few sales and full fixed costs the first months
  can cost ten times the steady state per sale. The y axis is scaled on the later months and
  the months above it are marked at the top edge with their value, not silently cut off.
- **One bridge per strategy.** Each strategy's waterfall from revenue to contribution gets its
  own panel (one y scale for all), so its steps read as a staircase instead of interleaved bars.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from channelsim.analysis.intervals import confidence_intervals
from channelsim.metrics.formatting import axis_money
from channelsim.outputs.plots import (
    WIDE,
    _by_replication,
    _legend,
    _mean_band,
    _money_axis,
    _month_axis,
    _new_axes,
    _panels,
    _strategies,
    plain,
    strategy_colors,
)

__all__ = [
    "DIP_SHARE",
    "plot_cash_balance",
    "plot_cost_per_sale",
    "plot_cost_vs_sales",
    "plot_cumulative_contribution",
    "plot_margin_bridge",
]

DIP_SHARE = 0.15
"""A payback dip shallower than this share of the plotted range gets a zoomed panel."""

_BAND_ALPHA = 0.18
_STEADY_FROM = 0.25  # cost per sale: the y scale comes from the months after this share
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


def _where(channel: str) -> str:
    return "all channels" if channel == "total" else f"channel {channel}"


def _payback_zoom(curves: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple | None:
    """The (x, y) limits of a zoom on the payback dip, or None when the dip is visible.

    Args:
        curves: per strategy, months, the mean cumulative contribution and its lower band.
    """
    means = [m[np.isfinite(m)] for _, m, _ in curves]
    lows = [lo[np.isfinite(lo)] for _, _, lo in curves]
    values = np.concatenate([*means, *lows]) if means else np.array([])
    if values.size == 0:
        return None
    dip = float(min(m.min() for m in means if m.size)) if any(m.size for m in means) else 0.0
    span = float(values.max() - min(values.min(), 0.0))
    if dip >= 0 or span <= 0 or -dip >= DIP_SHARE * span:
        return None
    end = 0.0
    for x, mean, _ in curves:
        below = np.nonzero(mean < 0)[0]
        if below.size:  # the last month under zero, and one past it: payback
            end = max(end, float(x[min(below[-1] + 1, len(x) - 1)]))
    end = max(end, float(curves[0][0][min(2, len(curves[0][0]) - 1)]))
    bottom = dip
    for x, mean, low in curves:
        early = np.where(np.isfinite(low), low, mean)[: int(np.searchsorted(x, end)) + 1]
        if np.isfinite(early).any():
            bottom = min(bottom, float(np.nanmin(early)))
    return (float(curves[0][0][0]), end + 0.5), (1.25 * bottom, 0.6 * -bottom)


def plot_cumulative_contribution(
    monthly: pd.DataFrame,
    channel: str = "total",
    *,
    currency: str = "USD",
    ax: Axes | None = None,
) -> Figure:
    """Cumulative contribution by strategy with 95% CI bands; payback is where it crosses zero.

    When the payback dip is too shallow to see on the whole horizon (module docstring), a
    second panel below zooms on the months up to the last payback (not when ``ax`` is given).

    Args:
        monthly: the ``monthly.csv`` table.
        channel: which channel (default all channels).
        currency: the ISO 4217 code of the scenario's money.
        ax: axes to draw on (a new figure when None).

    Returns:
        The Figure.
    """
    strategies = _strategies(monthly)
    colors = strategy_colors(strategies)
    curves = []
    for strategy in strategies:
        x, values = _by_replication(monthly, strategy, channel, "contribution")
        mean, _std, low, _high, _n = confidence_intervals(np.cumsum(values, axis=1))
        curves.append((x, mean, low))
    zoom = _payback_zoom(curves) if ax is None and curves else None
    if ax is not None or zoom is None:
        fig, ax = _new_axes(ax)
        axes = [ax]
    else:
        fig = Figure(figsize=(WIDE[0], WIDE[1] * 1.55), layout="constrained")
        axes = list(fig.subplots(2, 1, height_ratios=[2, 1]))
    for panel in axes:
        for strategy in strategies:
            x, values = _by_replication(monthly, strategy, channel, "contribution")
            _mean_band(panel, x, np.cumsum(values, axis=1), colors[strategy], strategy)
        panel.axhline(0, color="0.2", linewidth=1)
        panel.set_ylabel(f"cumulative contribution ({currency})")
        _money_axis(panel)
        _month_axis(panel)
    axes[0].set_title(plain(f"Cumulative contribution by strategy ({_where(channel)})"))
    _legend(axes[0], "upper left")
    if zoom is not None:
        (x0, x1), (y0, y1) = zoom
        axes[1].set_xlim(x0, x1)
        axes[1].set_ylim(y0, y1)
        axes[1].set_title("zoomed on the first months: the payback dip", fontsize=9, loc="left")
    return fig


def plot_cash_balance(
    monthly: pd.DataFrame,
    channel: str = "total",
    *,
    currency: str = "USD",
    ax: Axes | None = None,
) -> Figure:
    """Cash balance by strategy with 95% CI bands: the lowest point is the cash the plan needs.

    Args:
        monthly: the ``monthly.csv`` table.
        channel: which channel (``total`` includes ``cash.opening_cash``).
        currency: the ISO 4217 code of the scenario's money.
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
    ax.set_title(f"Cash balance by strategy ({_where(channel)})")
    ax.set_ylabel(f"cash balance ({currency})")
    _money_axis(ax)
    _month_axis(ax)
    _legend(ax, "upper left")
    return fig


def plot_cost_per_sale(
    monthly: pd.DataFrame,
    channel: str = "total",
    *,
    currency: str = "USD",
    ax: Axes | None = None,
) -> Figure:
    """Cost of sales per sale, month by month, by strategy.

    The line is the ratio of sums over replications (cost of sales of the month summed over
    replications / sales summed over replications), so months with few sales in some
    replications do not blow it up; the band is the 95% CI of the per-replication ratio.
    Months without any sale are left out. The y axis is scaled on the later months; earlier
    months above it are marked at the top edge with their value (module docstring).

    Args:
        monthly: the ``monthly.csv`` table.
        channel: which channel (default all channels).
        currency: the ISO 4217 code of the scenario's money.
        ax: axes to draw on (a new figure when None).

    Returns:
        The Figure.
    """
    fig, ax = _new_axes(ax)
    strategies = _strategies(monthly)
    colors = strategy_colors(strategies)
    lines = []
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
        lines.append((x, line, color, strategy))
    steady = [
        float(np.nanmax(line[int(len(line) * _STEADY_FROM) :]))
        for _, line, _, _ in lines
        if np.isfinite(line[int(len(line) * _STEADY_FROM) :]).any()
    ]
    if steady:
        top = 1.6 * max(steady)
        ax.set_ylim(0, top)
    else:
        ax.set_ylim(bottom=0)
    ax.set_title(plain(f"Cost of sales per sale by strategy ({_where(channel)})"))
    ax.set_ylabel(f"cost per sale ({currency})")
    _money_axis(ax)
    _month_axis(ax)
    if steady:
        _mark_above(ax, lines, top)
    _legend(ax, "upper right", "pooled over replications,\n95% CI band of the ratio")
    return fig


def _mark_above(ax: Axes, lines: list[tuple[np.ndarray, np.ndarray, str, str]], top: float) -> None:
    """Months above the axis: a marker at the top edge; the highest of each strategy noted."""
    notes = []
    for x, line, color, strategy in lines:
        above = np.nonzero(np.isfinite(line) & (line > top))[0]
        if not above.size:
            continue
        ax.scatter(x[above], np.full(above.size, top), marker="^", s=40, color=color,
                   clip_on=False, zorder=4)  # fmt: skip
        k = int(above[np.argmax(line[above])])
        notes.append(f"{strategy} {axis_money(float(line[k]))} in month {x[k]:g}")
    if notes:  # under the month axis: the plot area stays free for the lines and legend
        ax.set_xlabel(plain("month\n▲ above the scale: " + ", ".join(notes)), fontsize=9)


def plot_cost_vs_sales(
    monthly: pd.DataFrame,
    fits: pd.DataFrame,
    channel: str = "total",
    *,
    currency: str = "USD",
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
        currency: the ISO 4217 code of the scenario's money.
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
    ax.set_ylabel(f"cost of sales a month ({currency})")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    _money_axis(ax)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    return fig


def plot_margin_bridge(
    bridge: pd.DataFrame,
    *,
    currency: str = "USD",
    ax: Axes | Sequence[Axes] | None = None,
) -> Figure:
    """Waterfall from revenue down to contribution: one panel per strategy, one y scale.

    Args:
        bridge: ``channelsim.analysis.margin_bridge(summary)``: strategy, step, value (revenue
            and contribution are totals from zero, the steps between are negative deductions).
        currency: the ISO 4217 code of the scenario's money.
        ax: one axes per strategy (new panels when None).

    Returns:
        The Figure.
    """
    strategies = _strategies(bridge)
    colors = strategy_colors(strategies)
    steps = list(dict.fromkeys(bridge["step"].astype(str)))
    fig, axes = _panels(ax, len(strategies), (4.6, 3.9))
    small = len(steps) > 5  # seven steps: smaller tick labels
    for panel, strategy in zip(axes, strategies, strict=True):
        color = colors[strategy]
        mine = bridge[bridge["strategy"] == strategy].set_index("step")["value"]
        running = 0.0
        for i, step in enumerate(steps):
            value = float(mine.get(step, np.nan))
            if not math.isfinite(value):
                continue
            total = step in _TOTAL_STEPS
            bottom = 0.0 if total else running
            running = value if total else running + value
            panel.bar(i, value, bottom=bottom, width=0.7, color=color, alpha=1.0 if total else 0.45,
                      hatch=None if total else "//", edgecolor=color, linewidth=0.8)  # fmt: skip
            if total:
                panel.annotate(
                    plain(axis_money(value)),
                    (i, value),
                    xytext=(0, 2 if value >= 0 else -2),
                    textcoords="offset points",
                    ha="center",
                    va="bottom" if value >= 0 else "top",
                    fontsize=7,
                )
        panel.axhline(0, color="0.2", linewidth=1)
        labels = [_STEP_LABELS.get(s, s).replace("\n", " ") for s in steps]
        panel.set_xticks(range(len(steps)), labels, fontsize=7 if small else 8, rotation=35,
                         ha="right", rotation_mode="anchor")  # fmt: skip
        panel.set_title(plain(strategy), color=color, fontweight="bold")
        panel.set_ylabel(f"{currency} over the horizon")
        panel.set_xlabel("step", fontsize=8)
        _money_axis(panel)
        panel.grid(True, axis="y", alpha=0.3)
    low = min(p.get_ylim()[0] for p in axes)
    high = max(p.get_ylim()[1] for p in axes)
    for panel in axes:  # one scale for every panel, with room for the labels
        panel.set_ylim(low, high + 0.08 * (high - low))
    handles = [
        Patch(facecolor="0.4", edgecolor="0.4", label="total (revenue, contribution)"),
        Patch(facecolor="0.4", alpha=0.45, hatch="//", edgecolor="0.4", label="deduction"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle("Margin bridge: where the revenue goes (mean over replications)")
    return fig
