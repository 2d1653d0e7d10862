"""How a planner's runs are executed: one small options object shared by every planner.

``sweep``, ``breakeven``, ``sensitivity`` (and the verbs built on them) all take
``options=RunOptions(...)`` instead of repeating the same half-dozen keyword arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from channelsim.experiments.executors import Executor
from channelsim.experiments.replications import Progress

__all__ = ["RunOptions"]


@dataclass(frozen=True)
class RunOptions:
    """Replications, seed and where a planner's runs execute.

    Attributes:
        replications: replications per point and strategy (None: ``scenario.replications``);
            the same replications, with the same seeds, run at every point (common random
            numbers).
        seed: overrides ``scenario.seed`` (None: the scenario's).
        jobs: worker processes on this machine (1: this process; None: all cores).
        dask: ``"local"`` (a local Dask cluster) or a Dask scheduler address, instead of
            ``jobs``.
        executor: an executor to use as is, instead of ``jobs`` and ``dask`` (not closed).
        progress: called as ``progress(runs done, runs planned)``.
    """

    replications: int | None = None
    seed: int | None = None
    jobs: int | None = 1
    dask: str | None = None
    executor: Executor | None = None
    progress: Progress | None = None
