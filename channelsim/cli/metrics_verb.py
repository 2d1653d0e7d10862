"""``channelsim metrics``: every metric of the catalogue, so a newcomer can pick a ``--metric``.

The listing is read from :mod:`channelsim.metrics.catalogue` alone (no simulation, nothing
heavy imported): name, unit, kind, which direction is better and the one-line description,
plus the tables that carry it (``summary.csv``, ``monthly.csv``, or only ``compare``'s).
``--json`` prints the same as a JSON array for scripts.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from channelsim.cli.common import stdout_console
from channelsim.metrics.catalogue import CATALOGUE, COMPARISON_METRICS, Metric

__all__ = ["metrics"]


def _tables(entry: Metric) -> str:
    """Where the metric is found: ``summary``, ``monthly``, both, or ``compare`` only."""
    if entry.name in COMPARISON_METRICS:
        return "summary (compare)"
    return " + ".join(
        t for t, has in (("summary", entry.summary), ("monthly", entry.monthly)) if has
    )


def _row(entry: Metric) -> dict[str, Any]:
    return {
        "name": entry.name,
        "unit": entry.unit,
        "kind": entry.kind,
        "better": entry.better,
        "tables": _tables(entry),
        "description": entry.description,
    }


def metrics(
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the list as JSON (one object per metric) instead."),
    ] = False,
) -> None:
    """List every metric: unit, kind, which direction is better, and what it measures.

    Any metric found in summary can be given to --metric (sweep, breakeven, sensitivity) and
    --objective (optimize, voi); "currency" is the scenario's currency (scenario.currency).
    Kinds: flow (summed over months and channels), ratio (recomputed from sums), stock and
    level (read at the end of each month), end (at the horizon), value (of the monthly path,
    e.g. npv), time (the month an event first happens; it may never), indicator (1 when an
    event happened: its mean is a share of replications), elasticity (measured by compare).
    """
    rows = [_row(entry) for entry in CATALOGUE]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table(title=f"{len(rows)} metrics (channelsim.metrics.catalogue)", title_justify="left")
    for column in ("metric", "unit", "kind", "better", "in", "what it measures"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["name"], row["unit"], row["kind"], row["better"], row["tables"], row["description"]
        )
    stdout_console().print(table)
