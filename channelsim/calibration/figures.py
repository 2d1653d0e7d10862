"""The calibration's plots: each one a function of plain data that returns a Figure.

The cycle's Kaplan-Meier curve against the fitted (and the naive) distribution, monthly leads
with the fitted curve, the win rate by month with its band, the deal-size histogram with the
fit, and the back-test bands. No pyplot: figures are built with ``matplotlib.figure.Figure`` so
they can be drawn in any process; :func:`channelsim.outputs.figures.save_figure` writes them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "plot_backtest",
    "plot_cycle",
    "plot_deal_sizes",
    "plot_leads",
    "plot_win_rate",
]

_SIZE = (8.0, 4.2)
_FIT = "#D55E00"
_DATA = "#0072B2"
_NAIVE = "#999999"


def _axes() -> tuple[Figure, object]:
    fig = Figure(figsize=_SIZE, layout="constrained")
    ax = fig.add_subplot()
    ax.grid(True, alpha=0.3)
    return fig, ax


def plot_cycle(
    channel: str,
    km_days: np.ndarray,
    km_open: np.ndarray,
    fitted,
    naive,
    family: str,
) -> Figure:
    """Kaplan-Meier share of deals still open after x days, with the fitted survival curves.

    Args:
        channel: the channel's name (title).
        km_days: the Kaplan-Meier curve's days.
        km_open: its share still open after each day.
        fitted: the chosen censored fit (a frozen scipy distribution).
        naive: the naive fit on closed deals only (frozen), or None.
        family: the chosen family's name.
    """
    fig, ax = _axes()
    ax.step(km_days, km_open, where="post", color=_DATA, label="Kaplan-Meier (open deals censored)")
    top = float(km_days.max()) * 1.15 if len(km_days) else 1.0
    x = np.linspace(0, top, 300)
    ax.plot(x, fitted.sf(x), color=_FIT, label=f"fitted {family} (censored likelihood, written)")
    if naive is not None:
        ax.plot(
            x,
            naive.sf(x),
            color=_NAIVE,
            linestyle="--",
            label="naive fit on closed deals only (biased short)",
        )
    ax.set_xlabel("days since the deal was created")
    ax.set_ylabel("share still open")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_title(f"Sales cycle, {channel}")
    ax.legend(frameon=False)
    return fig


def plot_leads(
    months: Sequence[str], counts: np.ndarray, fitted: np.ndarray, used: np.ndarray, model: str
) -> Figure:
    """Company leads per calendar month, months left out in grey, and the fitted curve."""
    fig, ax = _axes()
    x = np.arange(len(months))
    colors = [_DATA if u else "#cccccc" for u in used]
    ax.bar(x, counts, color=colors, label="company leads (grey: month cut by the export)")
    ax.plot(x, fitted, color=_FIT, marker="o", markersize=3, label=f"fitted: {model}")
    step = max(1, len(months) // 12)
    ax.set_xticks(x[::step], [str(m) for m in months][::step], rotation=45, ha="right")
    ax.set_ylabel("leads a month")
    ax.set_title("Company leads a month")
    ax.legend(frameon=False)
    return fig


def plot_win_rate(table: pd.DataFrame, overall: float) -> Figure:
    """Win rate of deals closed each month, with its 95% band, against the overall estimate.

    Args:
        table: columns ``month`` (label), ``rate``, ``low``, ``high`` (Clopper-Pearson).
        overall: the fitted win rate.
    """
    fig, ax = _axes()
    x = np.arange(len(table))
    ax.fill_between(
        x,
        table.low,
        table.high,
        color=_DATA,
        alpha=0.2,
        step="mid",
        label="95% band of the month's rate",
    )
    ax.plot(x, table.rate, color=_DATA, marker="o", markersize=3, label="won / closed that month")
    ax.axhline(overall, color=_FIT, label=f"fitted win rate {overall:.3f}")
    step = max(1, len(table) // 12)
    ax.set_xticks(x[::step], list(table.month)[::step], rotation=45, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("win rate")
    ax.set_title("Win rate by month of closing (all channels)")
    ax.legend(frameon=False)
    return fig


def plot_deal_sizes(amounts: np.ndarray, grid: np.ndarray, density: np.ndarray) -> Figure:
    """Histogram of won amounts with the fitted density (lognormal around segment means)."""
    fig, ax = _axes()
    ax.hist(
        amounts,
        bins=min(60, max(10, len(amounts) // 10)),
        density=True,
        color=_DATA,
        alpha=0.6,
        label=f"won deals ({len(amounts)})",
    )
    ax.plot(grid, density, color=_FIT, label="fitted (lognormal noise, product.deal_size_cv)")
    ax.set_xlabel("amount")
    ax.set_ylabel("density")
    ax.set_title("Deal size of won deals")
    ax.legend(frameon=False)
    return fig


def plot_backtest(table: pd.DataFrame, what: str, label: str) -> Figure:
    """Actual monthly values against the simulated band (back-test).

    Args:
        table: the back-test table: ``month``, ``actual_WHAT``, ``sim_WHAT_low``,
            ``sim_WHAT_median``, ``sim_WHAT_high``.
        what: ``sales`` or ``revenue``.
        label: the y axis label.
    """
    fig, ax = _axes()
    x = table.month.to_numpy()
    ax.fill_between(
        x,
        table[f"sim_{what}_low"],
        table[f"sim_{what}_high"],
        color=_FIT,
        alpha=0.2,
        label="simulated 90% band",
    )
    ax.plot(x, table[f"sim_{what}_median"], color=_FIT, linewidth=1, label="simulated median")
    inside = table[f"inside_{what}"].to_numpy(dtype=bool)
    ax.plot(
        x[inside],
        table[f"actual_{what}"].to_numpy()[inside],
        "o",
        color=_DATA,
        label="actual (inside the band)",
    )
    ax.plot(
        x[~inside],
        table[f"actual_{what}"].to_numpy()[~inside],
        "x",
        color="black",
        label="actual (outside)",
    )
    ax.set_xlabel("month of the history")
    ax.set_ylabel(label)
    ax.set_ylim(bottom=0)
    ax.set_title(f"Back-test: {label}, history against the calibrated model")
    ax.legend(frameon=False)
    return fig
