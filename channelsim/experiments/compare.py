"""Strategy comparison: every strategy on common random numbers, then paired differences.

``compare`` runs every strategy on the same replications (each sees the same company leads),
gathers the tables and adds the paired differences A - B (:mod:`channelsim.analysis.differences`)
and ``cost_elasticity``, the elasticity of the cost of sales to success: every deal is also
booked with every seller's win probability scaled by 0.9 and 1.1, on the same leads and with the
same capacity decisions (:mod:`channelsim.model.elasticity`), and d ln(cost_of_sales) /
d ln(sales) is read between the two: about 1 when cost follows success (commissions,
discounts), the variable share when it is mostly payroll.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from channelsim.analysis.decision import Recommendation, recommend_for
from channelsim.analysis.differences import paired_differences
from channelsim.analysis.verdict import verdict_lines
from channelsim.experiments.executors import Executor, make_executor
from channelsim.experiments.replications import (
    Progress,
    Task,
    build_run_result,
    prepare,
    run_tasks,
)
from channelsim.experiments.results import RunResult
from channelsim.scenario import Scenario

__all__ = ["Comparison", "compare"]


@dataclass
class Comparison:
    """Results of ``compare``.

    Attributes:
        run: the base runs of every strategy (``summary`` includes ``cost_elasticity``).
        differences: paired differences A - B per channel and metric (see DIFFERENCE_COLUMNS).
        elasticity: per strategy, replication and channel: ``cost_elasticity``.
        swing: what would change the recommendation (``channelsim.planning.swing``; set by
            the CLI's compare, None otherwise), saved as ``swing.csv``.
    """

    run: RunResult
    differences: pd.DataFrame
    elasticity: pd.DataFrame = field(default_factory=pd.DataFrame)
    swing: pd.DataFrame | None = None

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

    def recommendation(self) -> Recommendation:
        """The recommended strategy, its trade-offs and warnings (the report's first section).

        See :mod:`channelsim.analysis.decision` for the rule.
        """
        return recommend_for(
            self.run.scenario.to_toml_dict(), self.summary, self.differences, self.replications
        )

    def save(self, out_dir: str | Path) -> Path:
        """Write the output folder, with ``differences.csv``, plots and report."""
        # imported here so that comparing never loads matplotlib until it saves
        from channelsim.outputs.run_folder import write_run

        return write_run(
            Path(out_dir), **self.run.tables(), differences=self.differences, swing=self.swing
        )


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
        elasticity: also measure ``cost_elasticity``: every deal is booked a second and a
            third time with win probabilities scaled by 0.9 and 1.1, on the same leads and with
            the same capacity (:mod:`channelsim.model.elasticity`; no rerun).

    Returns:
        A :class:`Comparison`.
    """
    if strategies is None:
        strategies = [s for s in scenario.strategy_names() if s != "indirect" or scenario.partners]
    scenario, strategies = prepare(scenario, strategies, replications, seed)
    n = scenario.scenario.replications
    tasks = [Task(scenario, s, r, elasticity=elasticity) for s in strategies for r in range(n)]
    started = time.perf_counter()
    results = run_tasks(tasks, executor or make_executor(jobs), progress)
    run = build_run_result(scenario, strategies, results, started)
    elastic = pd.DataFrame()
    if elasticity:
        elastic = run.replications[["strategy", "replication", "channel", "cost_elasticity"]]
    return Comparison(
        run=run,
        differences=paired_differences(
            run.replications, strategies, horizon=scenario.scenario.horizon_months
        ),
        elasticity=elastic,
    )
