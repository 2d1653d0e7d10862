"""The point runner: every strategy and replication at each point, on any executor.

One task is one (point, strategy, replication) run: :func:`channelsim.experiments.replications.
run_task` on the point's scenario. Tasks are submitted point by point with a bounded number in
flight, so points finish roughly in order and only a few are open at any moment; a task is
0.05-1 s of simulation against about 1 ms of overhead (a 3 kB pickled scenario; a Dask scheduler
round trip), and a plan with few points but many replications (a break-even evaluation, a
tornado) still uses every worker. Replication ``r`` uses the same random streams at every point
(common random numbers). Sweeps, break-even searches and sensitivity analyses all run here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from channelsim.experiments.executors import Executor
from channelsim.experiments.replications import Progress, Task, run_task
from channelsim.scenario import Scenario

__all__ = ["PointRuns", "run_points"]


def _run_one(task: Task) -> tuple[bool, Any]:
    """Run one task; a failure in the model comes back as a message, not an exception.

    Executed on workers (processes or Dask), so it must stay a module-level function.
    """
    try:
        result = run_task(task)
    except Exception as exc:  # noqa: BLE001 - a failing point is recorded and the sweep goes on
        return False, f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return True, {channel: result.summary[channel] for channel in result.channels}


@dataclass
class PointRuns:
    """Every run of one point, gathered as its tasks finish.

    Attributes:
        point: the point id.
        runs: ``(strategy, replication) -> channel -> metric -> value``.
        errors: ``(strategy, replication, message)`` of the runs that failed.
    """

    point: int
    runs: dict[tuple[str, int], dict[str, dict[str, float]]] = field(default_factory=dict)
    errors: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every run of the point succeeded."""
        return not self.errors

    def values(
        self, strategy: str, metric: str, replications: int, channel: str = "total"
    ) -> np.ndarray:
        """One metric of one strategy and channel, by replication (NaN where undefined)."""
        out = np.full(replications, np.nan)
        for r in range(replications):
            summary = self.runs.get((strategy, r), {}).get(channel)
            if summary is not None:
                out[r] = summary.get(metric, np.nan)
        return out

    def channels(self) -> list[str]:
        """The channels reported at this point, in report order."""
        for summary in self.runs.values():
            return list(summary)
        return []


def run_points(
    points: Sequence[tuple[int, Scenario]],
    strategies: Sequence[str],
    replications: int,
    executor: Executor,
    progress: Progress | None = None,
    *,
    only: Mapping[int, Sequence[str]] | None = None,
) -> Iterator[PointRuns]:
    """Run every strategy and replication at each point; yield each point when it is complete.

    Tasks go to the executor point by point (point-major order), so points complete roughly
    in order. Replication ``r`` uses the same random streams at every point (common random
    numbers).

    Args:
        points: ``(point id, scenario)`` pairs.
        strategies: strategies to run at each point.
        replications: replications per point and strategy.
        executor: where tasks run.
        progress: called as ``progress(tasks done, tasks in total)``.
        only: point id -> the strategies to run there, a subset of ``strategies`` (a point
            not named runs them all; one with none is yielded empty).

    Yields:
        One :class:`PointRuns` per point, in completion order.
    """
    wanted = only or {}
    keys = [
        (k, strategy, r)
        for k, (pid, _) in enumerate(points)
        for strategy in strategies
        if pid not in wanted or strategy in wanted[pid]
        for r in range(replications)
    ]
    tasks = [Task(points[k][1], strategy, r) for k, strategy, r in keys]
    left = Counter(k for k, _, _ in keys)
    for k, (pid, _) in enumerate(points):
        if pid in wanted and not left[k]:
            yield PointRuns(pid)  # nothing to run there
    if not tasks:
        return
    open_points: dict[int, PointRuns] = {}
    for done, (i, (ok, payload)) in enumerate(executor.map_unordered(_run_one, tasks), 1):
        k, strategy, r = keys[i]
        runs = open_points.setdefault(k, PointRuns(points[k][0]))
        if ok:
            runs.runs[(strategy, r)] = payload
        else:
            runs.errors.append((strategy, r, str(payload)))
        left[k] -= 1
        if progress is not None:
            progress(done, len(tasks))
        if not left[k]:
            yield open_points.pop(k)
