"""Where the money goes: the margin bridge and the fixed-or-proportional cost fits.

``margin_bridge`` walks from revenue to contribution; ``cost_fits`` fits
``cost_of_sales = fixed + variable x sales`` over months and replications, the picture of
whether cost follows success; ``crossover_sales`` is the monthly volume where two strategies'
fitted cost lines cross (below it the one with the lower fixed cost is cheaper per sale).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["BRIDGE_STEPS", "cost_fits", "crossover_sales", "line_fit", "margin_bridge"]

BRIDGE_STEPS: tuple[str, ...] = (
    "revenue",
    "discounts",
    "refunds",
    "cogs",
    "fixed_channel_cost",
    "variable_channel_cost",
    "contribution",
)
"""The steps of the margin bridge, from revenue to contribution."""


def margin_bridge(summary: pd.DataFrame, channel: str = "total") -> pd.DataFrame:
    """From revenue to contribution, per strategy (mean over replications).

    Returns:
        Columns ``strategy, step, value``: revenue, then the deductions as negative numbers
        (discounts, refunds, cogs, fixed and variable channel cost), then contribution.
    """
    s = summary[summary.channel == channel]
    rows = []
    for strategy in dict.fromkeys(s.strategy):
        means = s[s.strategy == strategy].set_index("metric")["mean"]
        for step in BRIDGE_STEPS:
            value = float(means.get(step, math.nan))
            if step not in ("revenue", "contribution"):
                value = -value
            rows.append((strategy, step, value))
    return pd.DataFrame(rows, columns=["strategy", "step", "value"])


def line_fit(sales: np.ndarray, cost: np.ndarray) -> tuple[float, float, float]:
    """Least-squares ``cost = fixed + variable x sales``: (fixed, variable, R²); NaN if unfit."""
    ok = ~(np.isnan(sales) | np.isnan(cost))
    x, y = sales[ok], cost[ok]
    if len(x) < 2 or np.ptp(x) == 0:
        return math.nan, math.nan, math.nan
    # ordinary least squares (as scipy.stats.linregress, whose import alone takes 0.6 s)
    dx, dy = x - x.mean(), y - y.mean()
    sxx, sxy, syy = float(dx @ dx), float(dx @ dy), float(dy @ dy)
    slope = sxy / sxx
    r2 = sxy * sxy / (sxx * syy) if syy > 0 else math.nan  # a constant cost explains nothing
    return float(y.mean() - slope * x.mean()), slope, min(r2, 1.0)


def cost_fits(monthly: pd.DataFrame, channel: str = "total") -> pd.DataFrame:
    """Least-squares ``cost_of_sales = fixed + variable x sales`` over months and replications.

    Returns:
        Columns ``strategy, fixed_per_month, variable_per_sale, r2``.
    """
    m = monthly[monthly.channel == channel]
    rows = []
    for strategy in dict.fromkeys(m.strategy):
        g = m[m.strategy == strategy]
        rows.append((strategy, *line_fit(g.sales.to_numpy(float), g.cost_of_sales.to_numpy(float))))
    return pd.DataFrame(rows, columns=["strategy", "fixed_per_month", "variable_per_sale", "r2"])


def crossover_sales(monthly: pd.DataFrame, a: str, b: str, channel: str = "total") -> np.ndarray:
    """Per replication, the monthly sales at which A's and B's fitted cost lines cross.

    Below it the strategy with the lower fixed cost is cheaper per sale. NaN where the lines do
    not cross at a positive volume.
    """
    m = monthly[(monthly.channel == channel) & monthly.strategy.isin([a, b])]
    groups = {key: g for key, g in m.groupby(["strategy", "replication"], sort=False)}
    empty = m.iloc[:0]
    out = []
    for rep in sorted(set(m.replication)):
        fa = line_fit(*_xy(groups.get((a, rep), empty)))
        fb = line_fit(*_xy(groups.get((b, rep), empty)))
        fixed_gap, var_gap = fa[0] - fb[0], fb[1] - fa[1]
        x = fixed_gap / var_gap if var_gap else math.nan
        out.append(x if x > 0 and fixed_gap * var_gap > 0 else math.nan)
    return np.asarray(out, dtype=float)


def _xy(g: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return g.sales.to_numpy(float), g.cost_of_sales.to_numpy(float)
