"""Strategy comparison: every strategy on common random numbers, then paired differences.

``compare`` runs every strategy on the same replications (each sees the same company leads),
gathers the tables and adds the paired differences A - B (:mod:`channelsim.analysis.differences`)
and ``cost_elasticity``: every strategy is rerun with demand scaled by 0.9 and 1.1 on the same
random numbers, and d ln(cost_of_sales) / d ln(sales) is measured: about 1 when cost follows
success (commissions, discounts), about 0 when it is fixed (payroll).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from channelsim.analysis.differences import paired_differences
from channelsim.analysis.intervals import confidence_intervals
from channelsim.analysis.verdict import verdict_lines
from channelsim.experiments.executors import Executor, make_executor
from channelsim.experiments.replications import (
    Progress,
    Task,
    TaskResult,
    build_run_result,
    prepare,
    run_tasks,
)
from channelsim.experiments.results import RunResult
from channelsim.metrics.catalogue import COMPARISON_METRICS, SUMMARY_METRICS
from channelsim.scenario import Scenario

__all__ = ["ELASTICITY_SCALES", "Comparison", "compare"]

ELASTICITY_SCALES = (0.9, 1.1)
"""Demand scales of the elasticity reruns."""


@dataclass
class Comparison:
    """Results of ``compare``.

    Attributes:
        run: the base runs of every strategy (``summary`` includes ``cost_elasticity``).
        differences: paired differences A - B per channel and metric (see DIFFERENCE_COLUMNS).
        elasticity: per strategy, replication and channel: ``cost_elasticity``.
    """

    run: RunResult
    differences: pd.DataFrame
    elasticity: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def summary(self) -> pd.DataFrame:
        """Summary table of every strategy (as ``RunResult.summary``)."""
        return self.run.summary

    @property
    def monthly(self) -> pd.DataFrame:
        """Monthly table of every strategy (as ``RunResult.monthly``)."""
        return self.run.monthly

    @property
    def replications(self) -> pd.DataFrame:
        """Per-replication summary values of every strategy."""
        return self.run.replications

    def verdict(self) -> list[str]:
        """The plain-language verdict (only claims whose 95% interval excludes zero)."""
        target = self.run.scenario.targets.sales_per_month
        return verdict_lines(self.summary, self.differences, self.monthly, target)

    def save(self, out_dir: str | Path) -> Path:
        """Write the output folder, with ``differences.csv``, plots and report."""
        # imported here so that comparing never loads matplotlib until it saves
        from channelsim.outputs.run_folder import write_run

        return write_run(Path(out_dir), **self.run.tables(), differences=self.differences)


def compare(
    scenario: Scenario,
    strategies: Sequence[str] | None = None,
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    elasticity: bool = True,
) -> Comparison:
    """Simulate strategies side by side on common random numbers and compare them.

    Args:
        scenario: a loaded scenario.
        strategies: names to compare (default: direct, indirect, hybrid and every named
            strategy of the scenario; ``indirect`` is left out when there is no partner program).
        replications: overrides ``scenario.replications``.
        seed: overrides ``scenario.seed``.
        jobs: worker processes (None: all cores). Ignored with ``executor``.
        executor: where to run.
        progress: called as ``progress(done, total)`` after each simulated replication.
        elasticity: also rerun every strategy at 0.9x and 1.1x demand for ``cost_elasticity``.

    Returns:
        A :class:`Comparison`.
    """
    if strategies is None:
        strategies = [s for s in scenario.strategy_names() if s != "indirect" or scenario.partners]
    scenario, strategies = prepare(scenario, strategies, replications, seed)
    n = scenario.scenario.replications
    scales = (1.0, *ELASTICITY_SCALES) if elasticity else (1.0,)
    tasks = [Task(scenario, s, r, k) for k in scales for s in strategies for r in range(n)]
    started = time.perf_counter()
    results = run_tasks(tasks, executor or make_executor(jobs), progress)
    base = [r for r in results if r.demand_scale == 1.0]
    run = build_run_result(scenario, strategies, base, started)
    elastic = pd.DataFrame()
    if elasticity:
        elastic = _elasticity(results)
        run = _with_elasticity(run, elastic)
    return Comparison(
        run=run, differences=paired_differences(run.replications, strategies), elasticity=elastic
    )


def _elasticity(results: Sequence[TaskResult]) -> pd.DataFrame:
    rows = {}
    for r in results:
        for channel in r.channels:
            key = (r.strategy, r.replication, channel)
            s = r.summary[channel]
            rows.setdefault(key, {})[r.demand_scale] = (s["cost_of_sales"], s["sales"])
    out = []
    lo, hi = ELASTICITY_SCALES
    for (strategy, rep, channel), by_scale in rows.items():
        (c0, s0), (c1, s1) = by_scale[lo], by_scale[hi]
        value = math.nan
        if min(c0, c1, s0, s1) > 0 and s1 != s0:
            value = math.log(c1 / c0) / math.log(s1 / s0)
        out.append((strategy, rep, channel, value))
    return pd.DataFrame(out, columns=["strategy", "replication", "channel", "cost_elasticity"])


def _with_elasticity(run: RunResult, elastic: pd.DataFrame) -> RunResult:
    reps = run.replications.merge(elastic, on=["strategy", "replication", "channel"], how="left")
    rows = []
    for (strategy, channel), grp in reps.groupby(["strategy", "channel"], sort=False):
        mean, std, low, high, n = confidence_intervals(grp["cost_elasticity"].to_numpy())
        rows.append(
            (strategy, channel, "cost_elasticity", mean[0], std[0], low[0], high[0], int(n[0]))
        )
    extra = pd.DataFrame(rows, columns=run.summary.columns)
    summary = pd.concat([run.summary, extra], ignore_index=True)
    order = {m: i for i, m in enumerate([*SUMMARY_METRICS, *COMPARISON_METRICS])}
    strategies = {s: i for i, s in enumerate(run.strategies)}
    channels = {c: i for i, c in enumerate(dict.fromkeys(run.summary.channel))}
    summary = summary.sort_values(
        ["strategy", "channel", "metric"],
        key=lambda col: col.map(
            {"strategy": strategies, "channel": channels, "metric": order}[col.name]
        ),
        kind="stable",
    ).reset_index(drop=True)
    return RunResult(
        scenario=run.scenario,
        strategies=run.strategies,
        summary=summary,
        monthly=run.monthly,
        replications=reps,
        meta=run.meta,
    )
