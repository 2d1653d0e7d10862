"""Plots of a run, for notebooks: each ``plot_*`` function takes tables and returns a Figure.

The public face of :mod:`channelsim.outputs.plots` and :mod:`channelsim.outputs.money_plots`
(where they are defined):
``plot_sales(result.monthly)``, ``plot_capacity``, ``plot_cumulative_contribution``,
``plot_cost_per_sale``, ``plot_cost_vs_sales(monthly, channelsim.analysis.cost_fits(monthly))``,
``plot_margin_bridge(channelsim.analysis.margin_bridge(summary))``, and for subscriptions and
cash ``plot_recurring`` and ``plot_cash_balance``.
"""

from channelsim.outputs.money_plots import (
    plot_cash_balance,
    plot_cost_per_sale,
    plot_cost_vs_sales,
    plot_cumulative_contribution,
    plot_margin_bridge,
)
from channelsim.outputs.plots import plot_capacity, plot_recurring, plot_sales, strategy_colors

__all__ = [
    "plot_capacity",
    "plot_cash_balance",
    "plot_cost_per_sale",
    "plot_cost_vs_sales",
    "plot_cumulative_contribution",
    "plot_margin_bridge",
    "plot_recurring",
    "plot_sales",
    "strategy_colors",
]
