"""Where replications run: in this process or in a pool of worker processes.

One interface, ``map_unordered(fn, tasks) -> iterator of (task index, result)``, so callers sort
by task and get the same bytes whatever the executor or worker count. A Dask executor for
clusters plugs in here too (the ``[distributed]`` extra).

**Interrupts.** Worker processes ignore SIGINT: a Ctrl-C (which a terminal sends to the whole
process group) is handled by the main process alone, the same way whether it reached the
workers too or only the main process (``kill -INT``). When the main process stops iterating
for any reason (an interrupt, an error), the pool's workers are terminated at once instead of
being left to finish their running tasks, which could take minutes: the command ends within
seconds and leaves no process behind. A normal end still shuts the pool down cleanly.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Protocol

from channelsim import __version__
from channelsim.errors import Problem, UsageError


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


def ignore_interrupts() -> None:
    """Worker start-up: leave SIGINT to the main process, which stops the workers itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def new_pool(jobs: int) -> ProcessPoolExecutor:
    """A process pool whose workers ignore SIGINT (see the module notes)."""
    return ProcessPoolExecutor(max_workers=jobs, initializer=ignore_interrupts)


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """End a pool's worker processes now, running tasks included (an interrupt, an error).

    Waiting tasks are cancelled; running ones are terminated (SIGTERM, then SIGKILL after two
    seconds), so nothing outlives the command.
    """
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if callable(terminate):
        terminate()
        return
    # before 3.14 the pool has no public handle on its processes
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(timeout=2)
            if process.is_alive():
                process.kill()
                process.join(timeout=2)
    # The pool's manager thread notices the dead workers and closes its wake-up pipe; wait for
    # it, or the interpreter's exit may write to that pipe as it closes (EBADF, a traceback).
    if manager is not None:
        manager.join(timeout=5)


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
        pool = new_pool(self.jobs)
        try:
            yield from _map_on_pool(pool, 2 * self.jobs, fn, tasks)
        except BaseException:  # an interrupt, an error, or the caller stopped iterating
            stop_workers(pool)
            raise
        pool.shutdown(wait=True)


def _map_on_pool(
    pool: ProcessPoolExecutor, in_flight: int, fn: Callable[[Any], Any], tasks: Sequence[Any]
) -> Iterator[tuple[int, Any]]:
    """Yield ``(index, fn(task))`` as the pool finishes them, at most ``in_flight`` submitted.

    Tasks are submitted in order, so an interruption loses only the ones that were running;
    those still waiting are cancelled when the caller stops iterating.
    """
    pending: dict[Any, int] = {}
    queue = iter(enumerate(tasks))
    try:
        for i, task in queue:
            pending[pool.submit(fn, task)] = i
            if len(pending) >= in_flight:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                i = pending.pop(fut)
                yield i, fut.result()
                nxt = next(queue, None)
                if nxt is not None:
                    pending[pool.submit(fn, nxt[1])] = nxt[0]
    finally:
        for fut in pending:
            fut.cancel()


class PooledProcessExecutor(ProcessExecutor):
    """A :class:`ProcessExecutor` whose worker pool lives until :meth:`close`.

    A break-even search or a resumed sweep calls ``map_unordered`` many times (one batch per
    evaluation); one pool for all of them saves starting worker processes for each batch.
    """

    def __init__(self, jobs: int | None = None) -> None:
        super().__init__(jobs)
        self._pool: ProcessPoolExecutor | None = None

    def map_unordered(
        self, fn: Callable[[Any], Any], tasks: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(task))`` as workers finish, at most ``2 x jobs`` in flight."""
        if self._pool is None:
            self._pool = new_pool(self.jobs)
        try:
            yield from _map_on_pool(self._pool, 2 * self.jobs, fn, tasks)
        except BaseException:
            self.close(now=True)
            raise

    def close(self, *, now: bool = False) -> None:
        """Stop the worker processes: after their tasks, or at once (``now``)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if now:
            stop_workers(pool)
        else:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> PooledProcessExecutor:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(now=exc_type is not None)


def make_executor(jobs: int | None) -> Executor:
    """A process pool for ``jobs`` > 1 (None: all cores), else the serial executor."""
    if jobs is not None and jobs <= 1:
        return SerialExecutor()
    return ProcessExecutor(jobs)


DASK_EXTRA_HINT = 'pip install "channelsim[distributed]"'
"""What to install for ``--dask`` (the ``[distributed]`` extra: dask.distributed)."""


_HOST_PORT_SCHEMES = ("tcp", "tls", "ws", "wss")


def check_dask_address(address: str) -> None:
    """Refuse a ``--dask`` value that cannot name a scheduler, before any connection attempt.

    A malformed address would otherwise cost a connection timeout (and dask's clean-up of a
    half-made client another 20 s) before failing. Checked with dask.distributed's own parser;
    without dask installed there is nothing to check (:class:`DaskExecutor` then names the
    extra to install).

    Args:
        address: ``"local"`` or a scheduler address such as ``tcp://10.0.0.5:8786``.

    Raises:
        UsageError: the address has an unknown scheme, no port, or a port out of range.
    """
    if address == "local":
        return
    try:
        from distributed.comm import registry
        from distributed.comm.addressing import parse_address, parse_host_port
    except ImportError:
        return
    expected = "expected 'local' or a scheduler address such as tcp://10.0.0.5:8786"
    try:
        scheme, location = parse_address(address, strict=False)
        if scheme not in registry.backends:
            known = ", ".join(sorted(registry.backends))
            raise ValueError(f"unknown scheme {scheme!r} (known: {known})")
        if scheme in _HOST_PORT_SCHEMES:
            host, port = parse_host_port(location)
            if not host or not 0 < int(port) < 65536:
                raise ValueError("a host and a port between 1 and 65535 are needed")
    except (ValueError, TypeError) as exc:
        reason = " ".join(str(exc).split()).rstrip(".") or type(exc).__name__
        raise UsageError(
            Problem("--dask", "", f"{address!r} is not a scheduler address ({reason}); {expected}")
        ) from None


def _worker_version() -> str:
    """The channelsim version a Dask worker imports (checked against the client's)."""
    return __version__


class DaskExecutor:
    """Runs tasks on a dask.distributed cluster: an existing scheduler or a local cluster.

    ``address="local"`` starts a ``LocalCluster`` on this machine (loopback only, one process
    per worker, one thread each, ``n_workers`` default: all cores); any other address names a
    running scheduler, e.g. ``tcp://10.0.0.5:8786``. Tasks are submitted in order with at most
    ``2 x`` the cluster's threads in flight, so results come back in roughly task order and an
    interruption loses only the tasks that were running. Every worker must import the same
    channelsim version (checked when connecting). Use it as a context manager, or call
    :meth:`close`.

    Args:
        address: ``"local"`` or a scheduler address.
        n_workers: workers of a local cluster (ignored for an existing scheduler).
        connect_timeout: seconds to wait for an existing scheduler.

    Raises:
        UsageError: dask.distributed is not installed (the message names the extra), the
            scheduler cannot be reached, or a worker runs another channelsim version.
    """

    def __init__(
        self, address: str = "local", *, n_workers: int | None = None, connect_timeout: float = 10
    ) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise UsageError(
                Problem(
                    "--dask",
                    "",
                    f"needs dask.distributed, which is not installed: {DASK_EXTRA_HINT}",
                )
            ) from None
        import logging

        check_dask_address(address)
        self.address = address
        self._cluster: Any = None
        if address == "local":
            self._cluster = LocalCluster(
                n_workers=max(1, n_workers or os.cpu_count() or 1),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self.client: Any = Client(self._cluster, set_as_default=False)
        else:
            try:
                self.client = Client(address, timeout=connect_timeout, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                reason = " ".join(str(exc).split()) or type(exc).__name__
                raise UsageError(
                    Problem("--dask", "", f"cannot reach the Dask scheduler {address}: {reason}")
                ) from None
        self._check_versions()
        self._threads = 1
        self._threads_checked = -math.inf

    def _check_versions(self) -> None:
        try:
            versions = self.client.run(_worker_version)
        except Exception as exc:
            self.close()
            raise UsageError(
                Problem(
                    "--dask",
                    "",
                    f"a worker cannot import channelsim ({type(exc).__name__}: {exc}); "
                    f"install the same channelsim on every machine: {DASK_EXTRA_HINT}",
                )
            ) from None
        other = {w: v for w, v in versions.items() if v != __version__}
        if other:
            worker, version = sorted(other.items())[0]
            self.close()
            raise UsageError(
                Problem(
                    "--dask",
                    "",
                    f"worker {worker} runs channelsim {version}, this is {__version__}: "
                    "install the same version on every machine",
                )
            )

    def _window(self) -> int:
        """Tasks to keep in flight: twice the cluster's threads, refreshed every 2 seconds."""
        now = time.monotonic()
        if now - self._threads_checked > 2.0:
            self._threads = max(1, sum(self.client.nthreads().values()))
            self._threads_checked = now
        return max(8, 4 * self._threads)

    def map_unordered(
        self, fn: Callable[[Any], Any], tasks: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(task))`` as the cluster finishes tasks.

        A task that raises makes this raise too (callers that want to go on catch errors
        inside ``fn``); a lost worker's tasks are rerun elsewhere by the scheduler.
        """
        from distributed import as_completed

        queue = iter(enumerate(tasks))
        pending: dict[Any, int] = {}
        finished = as_completed(loop=self.client.loop)

        def submit_more() -> None:
            while len(pending) < self._window():
                nxt = next(queue, None)
                if nxt is None:
                    return
                future = self.client.submit(fn, nxt[1], pure=False)
                pending[future] = nxt[0]
                finished.add(future)

        try:
            submit_more()
            for future in finished:
                i = pending.pop(future)
                result = future.result()
                future.release()
                yield i, result
                submit_more()
        finally:
            if pending:
                self.client.cancel(list(pending))

    def close(self) -> None:
        """Disconnect from the scheduler (and stop the local cluster, if this started one)."""
        if getattr(self, "client", None) is not None:
            self.client.close()
            self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def open_executor(
    jobs: int | None = 1, dask: str | None = None, executor: Executor | None = None
) -> Iterator[Executor]:
    """The executor to run on, closed afterwards when this function opened it.

    Args:
        jobs: worker processes (1: this process; None: all cores).
        dask: ``"local"`` (a LocalCluster on this machine) or a Dask scheduler address;
            overrides ``jobs``.
        executor: an executor to use as is (not closed here).

    Yields:
        The executor.
    """
    if executor is not None:
        yield executor
        return
    if dask is not None:
        with DaskExecutor(dask) as dask_executor:
            yield dask_executor
        return
    executor = make_executor(jobs)
    if not isinstance(executor, ProcessExecutor) or executor.jobs == 1:
        yield executor
        return
    with PooledProcessExecutor(executor.jobs) as pooled:
        yield pooled
