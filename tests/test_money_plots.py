"""The run plots that used to hide what matters: payback dip, cost per sale, bridge, grids.

Every table is built by hand so the expected view is known: a dip of 10 against a climb to
thousands, a first month that costs a hundred times the steady state per sale, four
strategies that must fill a 2 x 2 grid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from channelsim import plots
from channelsim.outputs.plots import panel_grid

MONTHS = 36


def _monthly(columns: dict[str, list[float]], strategies=("direct",), reps=2) -> pd.DataFrame:
    """A ``monthly.csv``-shaped table: the same month values in every replication."""
    rows = []
    n = len(next(iter(columns.values())))
    for strategy in strategies:
        for rep in range(reps):
            for month in range(n):
                row = {"strategy": strategy, "replication": rep, "month": month + 1}
                row["channel"] = "total"
                row.update({k: v[month] for k, v in columns.items()})
                rows.append(row)
    return pd.DataFrame(rows)


def test_a_shallow_payback_dip_gets_a_zoomed_panel():
    # month 1 loses 10, then every month earns 100: the dip is 0.3% of the range
    contribution = [-10.0] + [100.0] * (MONTHS - 1)
    fig = plots.plot_cumulative_contribution(_monthly({"contribution": contribution}))
    assert len(fig.axes) == 2
    whole, zoom = fig.axes
    low, high = zoom.get_ylim()
    assert low < -10 < 0 < high  # the dip and the zero line are in view
    assert (high - low) < 0.05 * np.ptp(whole.get_ylim())
    x0, x1 = zoom.get_xlim()
    assert x0 <= 1 and 2 <= x1 < 6  # payback in month 2: the zoom ends shortly after
    assert "CHF" not in whole.get_ylabel() and "USD" in whole.get_ylabel()


def test_a_deep_dip_is_visible_without_a_zoom():
    # six months losing 1000 each, then 300 a month: the dip is 2/3 of the range
    contribution = [-1000.0] * 6 + [300.0] * (MONTHS - 6)
    fig = plots.plot_cumulative_contribution(
        _monthly({"contribution": contribution}), currency="CHF"
    )
    assert len(fig.axes) == 1
    assert fig.axes[0].get_ylim()[0] < -6000
    assert "CHF" in fig.axes[0].get_ylabel()


def test_the_first_months_of_cost_per_sale_do_not_set_the_scale():
    # month 1: one sale for 10,000 of cost; month 2: no sale; then 100 a sale
    sales = [1.0, 0.0] + [10.0] * 22
    cost = [10_000.0, 500.0] + [1_000.0] * 22
    fig = plots.plot_cost_per_sale(_monthly({"sales": sales, "cost_of_sales": cost}))
    ax = fig.axes[0]
    bottom, top = ax.get_ylim()
    assert bottom == 0 and 100 < top < 1_000  # the steady 100 a sale fills the view
    line = ax.get_lines()[0].get_ydata()
    assert line[0] == pytest.approx(10_000) and np.isnan(line[1])  # no sale: no point
    assert "above the scale" in ax.get_xlabel() and "10k in month 1" in ax.get_xlabel()


def test_cost_per_sale_without_a_spike_has_no_note():
    fig = plots.plot_cost_per_sale(
        _monthly({"sales": [10.0] * 12, "cost_of_sales": [1_000.0] * 12})
    )
    assert fig.axes[0].get_xlabel() == "month"


def _bridge(strategies):
    rows = []
    for i, s in enumerate(strategies):
        revenue = 1_000.0 * (i + 1)
        steps = {"revenue": revenue, "cogs": -0.2 * revenue, "fixed_channel_cost": -300.0}
        steps["contribution"] = sum(steps.values())
        rows += [{"strategy": s, "step": k, "value": v} for k, v in steps.items()]
    return pd.DataFrame(rows)


def test_the_margin_bridge_has_one_panel_per_strategy_on_one_scale():
    names = ["direct", "indirect", "hybrid", "agents"]
    fig = plots.plot_margin_bridge(_bridge(names), currency="EUR")
    assert [ax.get_title() for ax in fig.axes] == names
    assert len({ax.get_ylim() for ax in fig.axes}) == 1
    assert fig.axes[0].get_subplotspec().get_gridspec().get_geometry() == (2, 2)
    for ax, i in zip(fig.axes, range(4), strict=True):
        # revenue, two deductions, contribution: four bars, the last the difference
        heights = [p.get_height() for p in ax.patches]
        assert heights[0] == pytest.approx(1_000.0 * (i + 1))
        assert heights[-1] == pytest.approx(0.8 * heights[0] - 300.0)
        assert "EUR" in ax.get_ylabel()


def test_the_capacity_grid_has_no_orphan_row_and_no_empty_axes():
    strategies = [f"s{i}" for i in range(7)]
    months = 12
    frames = []
    for channel, column in (("direct", "headcount"), ("partners", "partners_active")):
        table = _monthly({column: [2.0] * months}, strategies)
        table["channel"] = channel
        frames.append(table)
    total = _monthly({"leads": [30.0] * months, "sourced_leads": [0.0] * months}, strategies)
    fig = plots.plot_capacity(pd.concat([*frames, total], ignore_index=True))
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == strategies
    assert all(ax.get_visible() for ax in fig.axes)
    assert len(fig.axes) == 2 * len(strategies)  # each panel and its demand axis, nothing else
    assert panels[0].get_subplotspec().get_gridspec().get_geometry() == (2, 4)


@pytest.mark.parametrize("count", range(1, 61))
def test_panel_grids_leave_no_lone_panel_and_no_empty_row(count):
    rows, cols = panel_grid(count)
    assert rows * cols >= count
    assert rows * cols - count < cols  # no row without a panel
    last = count - (rows - 1) * cols
    assert last >= 2 or count == 1
    assert cols <= 5 and (cols > 2 or count <= 6)
