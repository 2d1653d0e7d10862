"""What a run returns: tidy pandas tables plus the scenario that produced them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from channelsim.scenario import Scenario


@dataclass
class RunResult:
    """Results of ``simulate``.

    Attributes:
        scenario: the scenario as run (overrides applied, every default filled).
        strategies: the strategies simulated, in order.
        summary: one row per (strategy, channel, metric): mean, std, ci_low, ci_high, n.
        monthly: one row per (strategy, replication, month, channel), a column per metric.
        replications: one row per (strategy, replication, channel), a column per summary metric
            (the per-replication values behind ``summary``; paired comparisons start here).
        meta: version, seed, replication count and run time.
        trace: the opt-in per-lead trace (``simulate(..., trace=True)``): one row per lead with
            ``strategy``, ``replication`` and :data:`channelsim.model.trace.TRACE_COLUMNS`;
            None when not traced.
    """

    scenario: Scenario
    strategies: list[str]
    summary: pd.DataFrame
    monthly: pd.DataFrame
    replications: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    trace: pd.DataFrame | None = None

    def metric(self, metric: str, channel: str = "total") -> pd.DataFrame:
        """Summary rows of one metric for one channel, a row per strategy."""
        s = self.summary
        return s[(s.metric == metric) & (s.channel == channel)].set_index("strategy")

    def tables(self) -> dict[str, Any]:
        """What an output folder is written from (the keyword arguments of ``write_run``)."""
        return {
            "scenario": self.scenario,
            "strategies": self.strategies,
            "summary": self.summary,
            "monthly": self.monthly,
            "meta": self.meta,
            "trace": self.trace,
            "replications": self.replications,
        }

    def save(self, out_dir: str | Path, *, report: bool = True) -> Path:
        """Write the output folder (see :func:`channelsim.outputs.run_folder.write_run`).

        Args:
            out_dir: the folder.
            report: also draw ``plots/*.png`` and write ``report.html`` (``channelsim report``
                builds them later from the tables).

        Returns:
            The folder's path.
        """
        # imported here so that simulating never loads matplotlib (workers, notebooks)
        from channelsim.outputs.run_folder import write_run

        return write_run(Path(out_dir), **self.tables(), report=report)
