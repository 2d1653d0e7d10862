"""Where replications run: in this process or in a pool of worker processes.

One interface, ``map_unordered(fn, tasks) -> iterator of (task index, result)``, so callers sort
by task and get the same bytes whatever the executor or worker count. A Dask executor for
clusters plugs in here too (the ``[distributed]`` extra).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Protocol


class Executor(Protocol):
    """Runs ``fn`` on each task and yields ``(index, result)`` as results come in."""

    def map_unordered(
        self, fn: Callable[[Any], Any], tasks: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index of task, fn(task))`` in completion order."""
        ...


class SerialExecutor:
    """Runs every task in this process, in order."""

    def map_unordered(
        self, fn: Callable[[Any], Any], tasks: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(task))`` one task after the other."""
        for i, task in enumerate(tasks):
            yield i, fn(task)


class ProcessExecutor:
    """Runs tasks in ``jobs`` worker processes, at most ``2 x jobs`` submitted at a time."""

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = max(1, jobs or os.cpu_count() or 1)

    def map_unordered(
        self, fn: Callable[[Any], Any], tasks: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(task))`` as workers finish."""
        if self.jobs == 1 or len(tasks) <= 1:
            yield from SerialExecutor().map_unordered(fn, tasks)
            return
        with ProcessPoolExecutor(max_workers=self.jobs) as pool:
            pending: dict[Any, int] = {}
            queue = iter(enumerate(tasks))
            for i, task in queue:
                pending[pool.submit(fn, task)] = i
                if len(pending) >= 2 * self.jobs:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    i = pending.pop(fut)
                    yield i, fut.result()
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending[pool.submit(fn, nxt[1])] = nxt[0]


def make_executor(jobs: int | None) -> Executor:
    """A process pool for ``jobs`` > 1 (None: all cores), else the serial executor."""
    if jobs is not None and jobs <= 1:
        return SerialExecutor()
    return ProcessExecutor(jobs)
