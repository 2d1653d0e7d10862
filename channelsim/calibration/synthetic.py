"""A synthetic CRM export: what a CRM would hold if the company were a channelsim scenario.

:func:`trace_to_crm` turns a per-lead trace (``run --trace``, :mod:`channelsim.model.trace`)
into the canonical export that ``channelsim calibrate`` reads, one row per deal:

- a deal exists from the moment a seller first took the lead: ``created`` is the trace's
  ``start_day``, as a CRM records the opportunity when someone works it. Leads that never
  reached a seller (they gave up waiting, or still wait at the horizon) are not deals, so the
  export, like a real one, cannot show the leads lost to waiting;
- ``closed`` is ``end_day`` for sales and lost deals, empty while open; ``stage`` is ``won``,
  ``lost`` or ``open``;
- ``amount`` is what the customer pays: the lead's value times the program's
  ``deal_size_factor``; ``owner`` is the seller who last took it, ``channel`` is ``direct`` or
  the program's name, ``segment`` and ``source`` as traced;
- days become dates from ``start`` (day 0), rounded down to the day as CRMs store them; the
  export is dated the day the horizon ends.

``python -m channelsim.calibration.synthetic SCENARIO OUT.csv`` simulates one traced
replication and writes the export (``--help`` for the options); the example export in
``examples/crm/`` was made that way.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from channelsim.errors import ScenarioError
from channelsim.experiments.replications import simulate
from channelsim.model.ledger import MONTH
from channelsim.outputs.files import atomic_write
from channelsim.outputs.text import frame_csv
from channelsim.scenario import Scenario, load_scenario

__all__ = ["EXPORT_COLUMNS", "export_date", "main", "simulate_export", "trace_to_crm"]

EXPORT_COLUMNS = ("created", "closed", "stage", "amount", "owner", "channel", "segment", "source")
"""The canonical columns, in the order they are written."""

_STAGES = {"sale": "won", "lost_deal": "lost", "open": "open"}


def export_date(scenario: Scenario, start: str | pd.Timestamp) -> pd.Timestamp:
    """The date of the export: the day the scenario's horizon ends."""
    days = scenario.scenario.horizon_months * MONTH
    return (pd.Timestamp(start) + pd.Timedelta(days=days)).normalize()


def _dates(start: pd.Timestamp, days: pd.Series) -> pd.Series:
    stamps = start + pd.to_timedelta(np.floor(days.to_numpy(dtype=float)), unit="D")
    return pd.Series(stamps, index=days.index).dt.strftime("%Y-%m-%d").where(days.notna(), "")


def trace_to_crm(
    trace: pd.DataFrame, scenario: Scenario, start: str | pd.Timestamp = "2024-01-01"
) -> pd.DataFrame:
    """The canonical CRM export of one replication's trace.

    Args:
        trace: a per-lead trace (``RunResult.trace``) of one strategy and one replication.
        scenario: the scenario that was run (for the programs' deal-size factors).
        start: the date of day 0.

    Returns:
        One row per deal, columns :data:`EXPORT_COLUMNS`, in order of creation.
    """
    keys = trace[["strategy", "replication"]].drop_duplicates() if "strategy" in trace else []
    if len(keys) > 1:
        raise ValueError("trace_to_crm takes the trace of one strategy and one replication")
    start = pd.Timestamp(start).normalize()
    deals = trace[trace.start_day.notna()].sort_values(["start_day", "lead"], kind="stable")
    factor = {p.name: p.deal_size_factor for p in scenario.partners}
    amount = deals.value * deals.channel.map(lambda c: factor.get(c, 1.0))
    segments = deals.segment if scenario.demand.segments else pd.Series("", index=deals.index)
    return pd.DataFrame(
        {
            "created": _dates(start, deals.start_day),
            "closed": _dates(start, deals.end_day.where(deals.outcome != "open")),
            "stage": deals.outcome.map(_STAGES),
            "amount": amount.round(2),
            "owner": deals.owner,
            "channel": deals.channel,
            "segment": segments,
            "source": deals.source,
        },
        columns=list(EXPORT_COLUMNS),
    ).reset_index(drop=True)


def simulate_export(
    scenario: Scenario,
    strategy: str | None = None,
    *,
    replication: int = 0,
    start: str = "2024-01-01",
) -> pd.DataFrame:
    """Simulate one traced replication of ``strategy`` and return its CRM export.

    Args:
        scenario: the known scenario (the truth the calibration should recover).
        strategy: the strategy to run (default: the scenario's).
        replication: which replication's random numbers to use.
        start: the date of day 0.

    Returns:
        The export (see :func:`trace_to_crm`).
    """
    name = strategy or scenario.scenario.strategy
    result = simulate(
        scenario.with_overrides({"scenario.replications": replication + 1}), name, trace=True
    )
    assert result.trace is not None
    trace = result.trace[result.trace.replication == replication]
    _, resolved = scenario.resolve_strategy(name)
    return trace_to_crm(trace, resolved, start)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m channelsim.calibration.synthetic SCENARIO OUT.csv``: write an export."""
    parser = argparse.ArgumentParser(
        prog="python -m channelsim.calibration.synthetic",
        description="Simulate one traced replication of a scenario and write the CRM export "
        "that `channelsim calibrate` reads.",
    )
    parser.add_argument("scenario", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--strategy", default=None)
    parser.add_argument("--replication", type=int, default=0)
    parser.add_argument("--start", default="2024-01-01", help="date of day 0 (ISO)")
    args = parser.parse_args(argv)
    try:
        scenario = load_scenario(args.scenario)
        export = simulate_export(
            scenario, args.strategy, replication=args.replication, start=args.start
        )
    except ScenarioError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    atomic_write(args.out, frame_csv(export))
    as_of = export_date(scenario, args.start)
    open_share = float((export.stage == "open").mean()) if len(export) else math.nan
    print(
        f"{args.out}: {len(export)} deals ({open_share:.0%} open), export date {as_of.date()}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
