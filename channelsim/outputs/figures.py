"""The figures of an output folder, drawn from its tables and saved as reproducible PNGs.

:func:`save_figure` writes a PNG with no version or date in it (the same figure gives the same
bytes). :func:`save_plots` draws every figure a folder has data for, in forked processes where
the platform forks: drawing is most of the time a report takes. Other slow writers of the same
folder (the Excel workbook) can ride in the same pool, so they cost no extra wall time.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from pathlib import Path

from matplotlib.figure import Figure

from channelsim.analysis.costs import cost_fits, margin_bridge
from channelsim.outputs.files import MONTHLY_CSV, PLOTS_DIR, SUMMARY_CSV, atomic_path
from channelsim.outputs.money_plots import (
    plot_cash_balance,
    plot_cost_per_sale,
    plot_cost_vs_sales,
    plot_cumulative_contribution,
    plot_margin_bridge,
)
from channelsim.outputs.plots import plot_capacity, plot_recurring, plot_sales
from channelsim.outputs.reading import currency_code, read_table, target_sales

__all__ = ["DPI", "folder_figures", "save_figure", "save_plots"]

DPI = 110
"""Resolution of every saved figure (dots per inch)."""


def save_figure(fig: Figure, path: Path) -> Path:
    """Write a PNG with no version or date in it (same figure, same bytes), atomically.

    Args:
        fig: the figure.
        path: where to write it.

    Returns:
        ``path``.
    """
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
    return path


def folder_figures(folder: Path) -> list[tuple[str, Callable[[], Figure]]]:
    """The plots an output folder has data for, as (file stem, figure builder) pairs.

    Money axes name the currency of the folder's ``scenario.resolved.toml``.

    Args:
        folder: an output folder.

    Returns:
        The builders in report order; plots whose input is missing are left out.
    """
    folder = Path(folder)
    monthly = read_table(folder / MONTHLY_CSV)
    summary = read_table(folder / SUMMARY_CSV)
    target = target_sales(folder)
    cur = currency_code(folder)
    plots: list[tuple[str, Callable[[], Figure]]] = []
    if monthly is not None and len(monthly):
        plots += [
            ("sales", lambda: plot_sales(monthly, target=target)),
            ("capacity", lambda: plot_capacity(monthly)),
            (
                "cumulative_contribution",
                lambda: plot_cumulative_contribution(monthly, currency=cur),
            ),
            ("cost_per_sale", lambda: plot_cost_per_sale(monthly, currency=cur)),
            (
                "cost_vs_sales",
                lambda: plot_cost_vs_sales(monthly, cost_fits(monthly), currency=cur),
            ),
        ]
        if _has_subscriptions(monthly):
            plots.append(("recurring", lambda: plot_recurring(monthly, currency=cur)))
        if _cash_moves_later(monthly):
            plots.append(("cash_balance", lambda: plot_cash_balance(monthly, currency=cur)))
    if summary is not None and len(summary):
        plots.append(
            ("margin_bridge", lambda: plot_margin_bridge(margin_bridge(summary), currency=cur))
        )
    return plots


def _has_subscriptions(monthly) -> bool:
    return "recurring_revenue" in monthly and bool((monthly["recurring_revenue"] > 0).any())


def _cash_moves_later(monthly) -> bool:
    """Payment terms or opening cash: the cash curve is not the cumulative contribution."""
    if "cash_flow" not in monthly:
        return False
    scale = max(1.0, float(monthly["contribution"].abs().max()))
    late = (monthly["cash_flow"] - monthly["contribution"]).abs().max() > 1e-9 * scale
    first = monthly[monthly["month"] == 0]
    opening = (first["cash_balance"] - first["cash_flow"]).abs().max() > 0
    return bool(late or opening)


_SLOWEST = ("capacity", "margin_bridge")
"""The figures that take longest to draw, slowest first: started first."""

_PENDING: list[Callable[[], Path | None]] = []
"""The writes a forked worker does (inherited from the parent, so nothing is pickled)."""


def _quiet_worker() -> None:
    """A drawing worker leaves Ctrl-C to the main process, which ends the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_pending(i: int) -> object:
    return _PENDING[i]()


def _drawer(build: Callable[[], Figure], path: Path) -> Callable[[], Path]:
    return lambda: save_figure(build(), path)


def save_plots(
    folder: Path, jobs: int | None = None, *, also: Sequence[Callable[[], object]] = ()
) -> list[Path]:
    """Draw every plot the output folder has data for into ``folder/plots/*.png``.

    Drawing is most of the time a report takes (about 3 s for the SaaS comparison), so the
    figures are drawn by up to ``jobs`` forked processes where the platform forks (Linux);
    elsewhere, or with ``jobs=1``, one after the other. The PNG bytes are the same either way.

    Args:
        folder: an output folder (``monthly.csv`` and ``summary.csv`` written by a run).
        jobs: processes (None: all cores, at most one per task).
        also: more writers of the folder to run in the same workers, e.g. the Excel
            workbook (started first: they are among the slowest tasks); their results are
            dropped and their errors raised.

    Returns:
        The plot paths written, in report order.
    """
    out = Path(folder) / PLOTS_DIR
    plots = folder_figures(Path(folder))
    todo = [*also, *(_drawer(build, out / f"{stem}.png") for stem, build in plots)]
    jobs = min(len(todo), jobs or os.cpu_count() or 1)
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        done = [task() for task in todo]
    else:
        # the slowest tasks first, so that no worker is left with a long one at the end
        # (measured on the SaaS comparison: capacity 2.3 s, margin_bridge 1.8 s, others < 1 s)
        slow = [
            i
            for name in _SLOWEST
            for i, (stem, _build) in enumerate(plots, len(also))
            if stem == name
        ]
        order = list(dict.fromkeys([*range(len(also)), *slow, *range(len(todo))]))
        _PENDING[:] = todo
        try:
            with multiprocessing.get_context("fork").Pool(jobs, _quiet_worker) as pool:
                results = pool.map(_run_pending, order, chunksize=1)
        finally:
            _PENDING.clear()
        by_task = dict(zip(order, results, strict=True))
        done = [by_task[i] for i in range(len(todo))]
    return [Path(p) for p in done[len(also) :]]
