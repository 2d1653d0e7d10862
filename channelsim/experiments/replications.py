"""Replications and strategies: run the model, gather tidy tables.

The unit of work is one (strategy, replication, demand scale) task; it carries the scenario and
returns plain arrays, so any executor can run it and the results, sorted by task, are the same
whatever the number of processes.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from channelsim import __version__
from channelsim.analysis.intervals import summarize_columns
from channelsim.experiments.executors import Executor, make_executor
from channelsim.experiments.results import RunResult
from channelsim.metrics.catalogue import COMPARISON_METRICS, MONTHLY_METRICS, SUMMARY_METRICS
from channelsim.metrics.compute import (
    Accounting,
    channel_groups,
    monthly_metrics,
    summary_metrics,
)
from channelsim.model.trace import TRACE_COLUMNS, Tracer
from channelsim.model.world import World
from channelsim.outputs.files import SUMMARY_COLUMNS
from channelsim.scenario import Scenario, check_strategy

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Task:
    """One replication of one strategy (picklable, for worker processes)."""

    scenario: Scenario
    strategy: str
    replication: int
    trace: bool = False
    elasticity: bool = False


@dataclass
class TaskResult:
    """Monthly and summary metrics of one task, as plain arrays."""

    strategy: str
    replication: int
    channels: list[str]
    monthly: dict[str, dict[str, np.ndarray]]
    summary: dict[str, dict[str, float]]
    trace: list[list] | None = None


def run_task(task: Task) -> TaskResult:
    """Simulate one replication of one strategy and compute its metrics."""
    mode, scenario = task.scenario.resolve_strategy(task.strategy)
    check_strategy(scenario, mode, task.strategy)
    tracer = None
    if task.trace:
        tracer = Tracer([s.name for s in scenario.demand.segments] or ["all"])
    world = World(scenario, mode, task.replication, task.strategy, tracer, task.elasticity)
    raw = world.run()
    programs = raw.channels[1:]
    accounting = Accounting.of(scenario)
    return TaskResult(
        strategy=task.strategy,
        replication=task.replication,
        channels=list(channel_groups(programs)),
        monthly=monthly_metrics(raw.arrays, programs, accounting),
        summary=summary_metrics(raw.arrays, programs, accounting, elasticity=task.elasticity),
        trace=raw.trace,
    )


def run_tasks(
    tasks: Sequence[Task], executor: Executor | None = None, progress: Progress | None = None
) -> list[TaskResult]:
    """Run tasks on ``executor`` and return their results in task order."""
    executor = executor or make_executor(1)
    if len({t.replication for t in tasks}) > 1:
        # The summary's intervals need scipy (scipy.stats imports scipy.special). Imported
        # before worker processes fork, scipy.special, which the model's inverse-CDF draws
        # use, is inherited by each worker instead of imported again (0.1 s a worker).
        import scipy.special  # noqa: F401
    results: list[TaskResult | None] = [None] * len(tasks)
    done = 0
    for i, res in executor.map_unordered(run_task, tasks):
        results[i] = res
        done += 1
        if progress is not None:
            progress(done, len(tasks))
    return results  # type: ignore[return-value]


def summary_rng(seed: int) -> np.random.Generator:
    """The generator of a run's summary bootstraps: a stream of its own, from the seed."""
    return np.random.default_rng(
        np.random.SeedSequence([seed, zlib.crc32(b"channelsim.summary.bootstrap")])
    )


def _summary_frame(results: Sequence[TaskResult], seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-replication summary (wide) and across-replication summary with intervals (long)."""
    rows = []
    for r in results:
        for channel in r.channels:
            rows.append(
                {
                    "strategy": r.strategy,
                    "replication": r.replication,
                    "channel": channel,
                    **r.summary[channel],
                }
            )
    metrics = [*SUMMARY_METRICS]
    if results and all(m in results[0].summary[results[0].channels[0]] for m in COMPARISON_METRICS):
        metrics += COMPARISON_METRICS
    reps = pd.DataFrame(rows, columns=["strategy", "replication", "channel", *metrics])
    out = []
    rng = summary_rng(seed)
    for (strategy, channel), grp in reps.groupby(["strategy", "channel"], sort=False):
        s = summarize_columns(grp[metrics].to_numpy(dtype=float), metrics, rng)
        for k, metric in enumerate(metrics):
            out.append(
                (
                    strategy,
                    channel,
                    metric,
                    s["mean"][k],
                    s["std"][k],
                    s["ci_low"][k],
                    s["ci_high"][k],
                    int(s["n"][k]),
                    s["median"][k],
                )
            )
    summary = pd.DataFrame(out, columns=list(SUMMARY_COLUMNS))
    return reps, summary


def _trace_frame(results: Sequence[TaskResult]) -> pd.DataFrame | None:
    """The per-lead trace of every task, or None when the run was not traced."""
    traced = [r for r in results if r.trace is not None]
    if not traced:
        return None
    frames = []
    for r in traced:
        frame = pd.DataFrame(r.trace, columns=list(TRACE_COLUMNS))
        frame.insert(0, "replication", r.replication)
        frame.insert(0, "strategy", r.strategy)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _monthly_frame(results: Sequence[TaskResult]) -> pd.DataFrame:
    # one frame from whole columns: a frame per task and channel, concatenated, cost 0.3 s for
    # the SaaS comparison's 320 of them
    parts = [(r, channel, r.monthly[channel]) for r in results for channel in r.channels]
    months = [len(m["sales"]) for _, _, m in parts]
    columns: dict[str, np.ndarray] = {
        "strategy": np.repeat(np.array([r.strategy for r, _, _ in parts]), months),
        "replication": np.repeat(np.array([r.replication for r, _, _ in parts]), months),
        "month": np.concatenate([np.arange(n) for n in months]),
        "channel": np.repeat(np.array([channel for _, channel, _ in parts]), months),
    }
    for name in MONTHLY_METRICS:
        columns[name] = np.concatenate([np.asarray(m[name]) for _, _, m in parts])
    return pd.DataFrame(columns)


def prepare(
    scenario: Scenario,
    strategies: str | Sequence[str] | None,
    replications: int | None = None,
    seed: int | None = None,
) -> tuple[Scenario, list[str]]:
    """Apply replication and seed overrides and check every strategy before any work starts."""
    overrides: dict[str, int] = {}
    if replications is not None:
        overrides["scenario.replications"] = replications
    if seed is not None:
        overrides["scenario.seed"] = seed
    if overrides:
        scenario = scenario.with_overrides(overrides)
    if strategies is None:
        strategies = [scenario.scenario.strategy]
    elif isinstance(strategies, str):
        strategies = [strategies]
    strategies = list(dict.fromkeys(strategies))
    for name in strategies:
        mode, resolved = scenario.resolve_strategy(name)
        check_strategy(resolved, mode, name)
    return scenario, strategies


def build_run_result(
    scenario: Scenario, strategies: list[str], results: Sequence[TaskResult], started: float
) -> RunResult:
    """Gather task results (in task order) into a :class:`RunResult`."""
    reps, summary = _summary_frame(results, scenario.scenario.seed)
    return RunResult(
        scenario=scenario,
        strategies=strategies,
        summary=summary,
        monthly=_monthly_frame(results),
        replications=reps,
        trace=_trace_frame(results),
        meta={
            "channelsim_version": __version__,
            "seed": scenario.scenario.seed,
            "replications": scenario.scenario.replications,
            "strategies": strategies,
            "run_seconds": round(time.perf_counter() - started, 3),
        },
    )


def simulate(
    scenario: Scenario,
    strategies: str | Sequence[str] | None = None,
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | None = 1,
    executor: Executor | None = None,
    progress: Progress | None = None,
    trace: bool = False,
) -> RunResult:
    """Simulate one or more strategies of a scenario over its replications.

    Args:
        scenario: a loaded scenario.
        strategies: a strategy name or names (default: the scenario's ``scenario.strategy``).
        replications: overrides ``scenario.replications``.
        seed: overrides ``scenario.seed``.
        jobs: worker processes (1: in this process; None: all cores). Ignored with ``executor``.
        executor: where to run (see :mod:`channelsim.experiments.executors`).
        progress: called as ``progress(done, total)`` after each replication.
        trace: also keep the per-lead trace (``RunResult.trace``, one row per lead; its memory
            grows with the leads, so keep it for small runs).

    Returns:
        A :class:`RunResult` with ``summary``, ``monthly`` and ``replications`` tables.
    """
    scenario, strategies = prepare(scenario, strategies, replications, seed)
    n = scenario.scenario.replications
    tasks = [Task(scenario, s, r, trace=trace) for s in strategies for r in range(n)]
    started = time.perf_counter()
    results = run_tasks(tasks, executor or make_executor(jobs), progress)
    return build_run_result(scenario, strategies, results, started)
