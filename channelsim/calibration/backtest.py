"""The back-test: does the calibrated model reproduce the history it was fitted to?

The calibrated scenario is simulated again over the history window instead of from the export
date: month 0 starts on the day of the first deal and the horizon is the whole simulated months
until the export date. What the history itself decided is replayed rather than modelled, so the
test is of the fitted selling parameters and not of a hiring policy the data never showed:

- demand: the fitted lead curve evaluated at the history's start (:meth:`LeadFit.demand_at`);
- the sales team: ``plan`` hiring to the history's headcount (owners between their first and
  last activity, month by month), hires starting at once, no attrition;
- each program: the partners active in month 0, then the history's new partners a month,
  all activated at once, no churn.

Actual monthly won deals and revenue (deals won in each simulated month of the history) are
drawn against the central :data:`BAND` of the replications, and the share of months inside the
band is reported, for sales and for revenue. The band holds the model's own randomness at the
fitted values, not the uncertainty of the fit, so a share somewhat under 90% is still a good
fit; far under it, the model misses something the history shows (a trend, a change of team,
a season).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from channelsim.calibration.crm import DIRECT
from channelsim.experiments.replications import simulate
from channelsim.model.ledger import MONTH
from channelsim.scenario import Scenario

if TYPE_CHECKING:
    from channelsim.calibration.calibrate import Calibration

__all__ = ["BAND", "Backtest", "backtest", "backtest_scenario"]

BAND = 0.90
"""Central share of the replications that makes the band."""

DEFAULT_REPLICATIONS = 40

_DAY = pd.Timedelta(days=1)


@dataclass
class Backtest:
    """The back-test's table and verdict."""

    table: pd.DataFrame
    share_inside: dict[str, float]
    replications: int
    start: pd.Timestamp
    scenario: Scenario
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        """One line for the terminal."""
        return (
            f"back-test over {len(self.table)} months from {self.start.date()}: actual won "
            f"deals inside the simulated {BAND:.0%} band in {self.share_inside['sales']:.0%} of "
            f"months, revenue in {self.share_inside['revenue']:.0%} ({self.replications} "
            "replications)"
        )


def _active_by_month(owners: pd.DataFrame, start: pd.Timestamp, months: int) -> np.ndarray:
    """Owners active (between first and last activity) in each simulated month."""
    first = np.floor(((owners["first"] - start) / _DAY).to_numpy(dtype=float) / MONTH)
    last = np.floor(((owners["last"] - start) / _DAY).to_numpy(dtype=float) / MONTH)
    last = np.where(owners.active.to_numpy(dtype=bool), months, last)
    m = np.arange(months)[:, None]
    return ((first[None, :] <= m) & (m <= last[None, :])).sum(axis=1)


def backtest_scenario(cal: Calibration) -> tuple[Scenario, pd.Timestamp, int, list[str]]:
    """The calibrated scenario moved back to the start of the history (see the module docs).

    Returns:
        The scenario, the history's start, its whole months, and notes.
    """
    start = cal.frame.created.min().normalize()
    months = int(math.floor((cal.deals.as_of - start) / _DAY / MONTH))
    if months < 2:
        raise ValueError("the history is shorter than two months: nothing to back-test")
    sc = cal.scenario
    over: dict[str, Any] = {"scenario.horizon_months": months}
    over.update(cal.leads.demand_at(start))
    table = cal.sellers.owners.table
    notes = []
    direct = table[table.channel == DIRECT]
    if len(direct) and cal.mode != "indirect":
        heads = _active_by_month(direct, start, months)
        plan = [[0, int(heads[0])]]
        for m in range(1, months):
            if heads[m] != plan[-1][1]:
                plan.append([m, int(heads[m])])
        over |= {
            "direct.initial_reps": int(heads[0]),
            "direct.max_reps": max(int(heads.max()), sc.direct.max_reps),
            "direct.attrition_annual": 0.0,
            "direct.hiring.policy": "plan",
            "direct.hiring.headcount_plan": plan,
            "direct.hiring.time_to_hire_days": 0.0,
            "direct.hiring.max_hires_per_month": max(1, int(np.diff(heads).max(initial=1))),
        }
        notes.append(
            f"the team follows the history's headcount ({heads[0]} to {heads.max()} "
            "reps); departures are not replayed"
        )
    for program in sc.partners:
        rows = table[table.channel == program.name]
        if rows.empty:
            continue
        active = _active_by_month(rows, start, months)
        initial = int(active[0])
        later = len(rows) - initial
        prefix = f"partners.{program.name}."
        over |= {
            prefix + "initial": initial,
            prefix + "recruit_per_month": later / months,
            prefix + "activation_rate": 1.0,
            prefix + "onboarding_days": 0.0,
            prefix + "churn_annual": 0.0,
            prefix + "max_partners": max(len(rows), program.max_partners),
        }
    return sc.with_overrides(over), start, months, notes


def backtest(
    cal: Calibration, replications: int = DEFAULT_REPLICATIONS, jobs: int | None = 1
) -> Backtest:
    """Simulate the history window and compare the actual months with the simulated band.

    Args:
        cal: the calibration.
        replications: simulated histories.
        jobs: worker processes (results do not depend on it).

    Returns:
        The table (one row per month) and the share of months inside the band.
    """
    scenario, start, months, notes = backtest_scenario(cal)
    result = simulate(scenario, cal.mode, replications=replications, jobs=jobs)
    monthly = result.monthly[result.monthly.channel == "total"]
    won = cal.frame[cal.frame.outcome == "won"]
    month = np.floor(((won.closed - start) / _DAY).to_numpy(dtype=float) / MONTH).astype(int)
    keep = (month >= 0) & (month < months)
    actual_sales = np.bincount(month[keep], minlength=months)
    actual_revenue = np.bincount(
        month[keep], weights=won.amount.fillna(0).to_numpy()[keep], minlength=months
    )
    lo, hi = (1 - BAND) / 2, 1 - (1 - BAND) / 2
    rows = {
        "month": np.arange(months),
        "start": [(start + pd.Timedelta(days=m * MONTH)).date().isoformat() for m in range(months)],
        "actual_sales": actual_sales,
        "actual_revenue": actual_revenue,
    }
    shares = {}
    for what, actual in (("sales", actual_sales), ("revenue", actual_revenue)):
        sims = monthly.pivot(index="month", columns="replication", values=what).to_numpy()
        low, med, high = (np.quantile(sims, q, axis=1) for q in (lo, 0.5, hi))
        inside = (actual >= low) & (actual <= high)
        rows |= {
            f"sim_{what}_low": low,
            f"sim_{what}_median": med,
            f"sim_{what}_high": high,
            f"inside_{what}": inside,
        }
        shares[what] = float(inside.mean())
    return Backtest(pd.DataFrame(rows), shares, replications, start, scenario, notes)
