"""What every verb does the same way: load, check, estimate the run size, show progress.

Heavy modules (pandas, scipy, the model, matplotlib) are imported inside these functions, not at
the top, so ``channelsim --help``, ``--version`` and input errors answer quickly.

:func:`run_planner` is the one pipeline of the planners' verbs (sweep, breakeven,
sensitivity): check the executor flags, refuse a plan over the event budget, show a progress
bar, run the work with a :class:`~channelsim.planning.options.RunOptions`, and name the
scenario file in any problem.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from channelsim.errors import Problem, ScenarioError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from channelsim.experiments.run_size import Plan
    from channelsim.planning.options import RunOptions
    from channelsim.scenario import Scenario

T = TypeVar("T")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
DEBUG_ENV = "CHANNELSIM_DEBUG"
"""Set to 1 to see the traceback of an unexpected failure."""


def load(path: Path, overrides: list[str] | None) -> Scenario:
    """The scenario file with its ``--set`` overrides, validated.

    A ``--set partners.NAME.kind=...`` that leaves keys the file sets at values other than the
    new kind's defaults prints a ``warning:`` line per program on stderr (not an error: the
    file's values win, as they always do).
    """
    from channelsim.scenario import kind_override_warnings, load_scenario

    scenario = load_scenario(path, list(overrides or []))
    if overrides:
        for line in kind_override_warnings(path, overrides):
            print(f"warning: {line}", file=sys.stderr)
    return scenario


def check_budget(
    scn: Scenario,
    path: Path,
    strategies: list[str],
    reps: int | None,
    *,
    jobs: int | None,
    force: bool,
) -> None:
    """Refuse a run whose estimated size exceeds the event budget (``--force`` skips it)."""
    from channelsim.experiments import run_size

    try:
        run_size.check_budget(
            scn,
            strategies,
            reps if reps is not None else scn.scenario.replications,
            file=str(path),
            jobs=jobs or os.cpu_count() or 1,
            force=force,
        )
    except ScenarioError as exc:
        raise exc.in_file(str(path)) from None


def check_plan_budget(
    scn: Scenario,
    path: Path,
    make_plan: Callable[[Scenario], Plan],
    strategies: list[str] | None,
    reps: int | None,
    seed: int | None,
    *,
    jobs: int | None,
    force: bool,
) -> None:
    """Refuse a planner's command whose estimated size exceeds the event budget.

    The plan is worked out from the scenario as the command will see it (its replications and
    seed applied). A problem with it (a bad ``--param``, an unknown method, an empty range) is
    left to the command, which reports it in its own words before any work starts. ``--force``
    skips the check, and the work of planning.
    """
    if force:
        return
    from channelsim.experiments.replications import prepare
    from channelsim.experiments.run_size import check_plan

    try:
        base, names = prepare(scn, strategies, reps, seed)
        plan = make_plan(base)
    except ScenarioError:
        return
    try:
        check_plan(
            base,
            plan,
            names,
            base.scenario.replications,
            file=str(path),
            jobs=jobs or os.cpu_count() or 1,
        )
    except ScenarioError as exc:
        raise exc.in_file(str(path)) from None


def check_strategy_name(
    scn: Scenario, path: Path, strategy: str | None, option: str = "--strategy"
) -> str:
    """The strategy to run; an unknown ``--strategy`` is a usage error with a suggestion."""
    if strategy is None:
        return scn.scenario.strategy
    names = list(scn.strategy_names())
    if strategy in names:
        return strategy
    close = difflib.get_close_matches(strategy, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UsageError(
        Problem(
            str(path),
            option,
            f"unknown strategy {strategy!r}{hint}; this scenario has: {', '.join(names)}",
        )
    )


class ImportsMeanwhile:
    """A progress callback that also imports modules the command needs later, in a thread.

    The thread starts at the first progress tick, when a process pool's workers have all been
    forked (a fork pool starts every worker at the first task), so the workers are busy and
    this process would otherwise only wait. :meth:`join` before the next pool forks.

    Args:
        progress: the callback to pass ticks on to (None: none).
        modules: the modules to import.
    """

    def __init__(self, progress: Callable[[int, int], None] | None, modules: Sequence[str]):
        self._progress = progress
        self._modules = list(modules)
        self._thread: threading.Thread | None = None

    def __call__(self, done: int, total: int) -> None:
        """A progress tick: start the imports at the first, pass every tick on."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._load, daemon=True)
            self._thread.start()
        if self._progress is not None:
            self._progress(done, total)

    def _load(self) -> None:
        for name in self._modules:
            with contextlib.suppress(Exception):  # imported again, and raised, where used
                importlib.import_module(name)

    def join(self) -> None:
        """Wait for the imports (at once when they never started)."""
        if self._thread is not None:
            self._thread.join()


class ProgressBar:
    """A transient rich progress bar on stderr, or a no-op when disabled or not a terminal."""

    def __init__(self, *, enabled: bool, label: str) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.label = label
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Callable[[int, int], None] | None:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(self.label, total=None)
        return self._update

    def _update(self, done: int, total: int) -> None:
        self._progress.update(self._task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def stdout_console() -> Console:
    """A console on stdout (200 columns wide when it is not a terminal)."""
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:  # piped to a file or a log: do not squeeze the table into 80
        console = Console(highlight=False, width=200)
    return console


def check_executor(jobs: int | None, dask: str | None) -> None:
    """Refuse --jobs together with --dask, and a --dask address that cannot be one."""
    if jobs is not None and dask is not None:
        raise UsageError(Problem(None, "--dask", "use --jobs or --dask, not both"))
    if dask is not None:
        from channelsim.experiments.executors import check_dask_address

        check_dask_address(dask)


def strategy_list(scn: Scenario, path: Path, text: str | None) -> list[str] | None:
    """``--strategies A,B`` checked against the scenario (None: the scenario's default)."""
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError(Problem(str(path), "--strategies", "names no strategy"))
    for name in names:
        check_strategy_name(scn, path, name, option="--strategies")
    return names


def where(jobs: int | None, dask: str | None) -> str:
    """Where the runs execute, in words (for the start message)."""
    if dask is not None:
        return "a local Dask cluster" if dask == "local" else f"the Dask cluster at {dask}"
    n = jobs or os.cpu_count() or 1
    return "1 process" if n == 1 else f"{n} processes"


def short_value(value: Any) -> str:
    """A parameter value, briefly (6 significant digits)."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def run_planner(
    path: Path,
    scn: Scenario,
    *,
    strategies: list[str] | None,
    reps: int | None,
    seed: int | None,
    jobs: int | None,
    dask: str | None,
    force: bool,
    quiet: bool,
    plan: Callable[[Scenario], Plan],
    label: str,
    work: Callable[[RunOptions], T],
) -> T:
    """The planners' pipeline: executor flags, event budget, progress bar, then the work.

    Args:
        path: the scenario file (named in problems).
        scn: the loaded scenario.
        strategies: the strategies simulated at every point (None: the scenario's default).
        reps: ``--reps``.
        seed: ``--seed``.
        jobs: ``--jobs``.
        dask: ``--dask``.
        force: ``--force`` (skip the event budget).
        quiet: ``--quiet`` (no progress bar).
        plan: the points the command will simulate, from the scenario as it will run.
        label: the progress bar's label.
        work: runs the planner with the options built from the flags.

    Returns:
        What ``work`` returned.

    Raises:
        UsageError: ``--jobs`` with ``--dask``, or a plan over the budget.
        ScenarioError: from the work, attributed to the scenario file.
    """
    from channelsim.planning.options import RunOptions

    check_executor(jobs, dask)
    check_plan_budget(scn, path, plan, strategies, reps, seed, jobs=jobs, force=force)
    with ProgressBar(enabled=not quiet, label=label) as progress:
        options = RunOptions(replications=reps, seed=seed, jobs=jobs, dask=dask, progress=progress)
        try:
            return work(options)
        except ScenarioError as exc:
            raise exc.in_file(str(path)) from None
