"""Parameter sweeps: points from a grid or a sampler, run on any executor, saved as they finish.

A sweep runs every strategy and every replication at each point of a parameter space. The
replications use the same seeds at every point (common random numbers: the replication index
picks the random streams), so differences between points come from the parameters, not from
luck.

**Unit of work.** One task is one (point, strategy, replication) run: the existing
:func:`channelsim.experiment.run_task` on the point's scenario. Tasks are submitted point by
point with a bounded number in flight, so points finish roughly in order and only a few are
open at any moment; a task is 0.05-1 s of simulation against about 1 ms of overhead (a 3 kB
pickled scenario; a Dask scheduler round trip), and a sweep with few points but many
replications (a break-even evaluation, a tornado) still uses every worker.

**Crash safety.** When the last task of a point finishes, all its rows are appended to
``results.csv`` in one write, flushed and fsynced, and only then is the point's id appended
(fsynced) to the journal ``done.jsonl``. A point is done when the journal says so; rows of any
other point are garbage from an interrupted write. ``--resume`` drops that garbage (rewriting
both files atomically), checks that the scenario (its sha256) and the sweep spec are unchanged,
and runs the points that are not done. When every point has finished, ``results.csv`` is
rewritten sorted and ``summary.csv``, ``errors.csv``, ``manifest.json`` and the plots are
(re)written atomically from it, so an interrupted and resumed sweep ends with the same bytes as
an uninterrupted one, whatever the executor and the number of workers.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import hashlib
import io
import itertools
import json
import math
import os
import platform
import re
import shutil
import time
import warnings
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from channelsim import __version__
from channelsim.errors import Problem, UsageError
from channelsim.executors import (
    DaskExecutor,
    Executor,
    PooledProcessExecutor,
    ProcessExecutor,
    make_executor,
)
from channelsim.experiment import Progress, Task, prepare, run_task
from channelsim.metrics import SUMMARY_METRICS, confidence_intervals
from channelsim.output import FLOAT_FORMAT
from channelsim.params import (
    FieldSpec,
    ParamSpec,
    apply_values,
    as_param_specs,
    check_metric,
    check_param,
    strategy_overrides,
)
from channelsim.scenario import Scenario, toml_value

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "SAMPLERS",
    "PointRuns",
    "SweepResult",
    "SweepSpec",
    "SweepStopped",
    "make_points",
    "open_executor",
    "run_points",
    "scenario_sha256",
    "sweep",
    "table_csv",
]

SAMPLERS: tuple[str, ...] = ("grid", "lhs", "sobol", "random")
"""How points are chosen: a full grid, Latin hypercube, scrambled Sobol' or uniform random."""

FORMAT = "channelsim-sweep/1"
MANIFEST_JSON = "manifest.json"
POINTS_CSV = "points.csv"
RESULTS_CSV = "results.csv"
SUMMARY_CSV = "summary.csv"
ERRORS_CSV = "errors.csv"
JOURNAL = "done.jsonl"
RUN_JSON = "run.json"
RESOLVED_SCENARIO = "scenario.resolved.toml"
PLOTS_DIR = "plots"
_LOCK = ".lock"

RESULT_COLUMNS: tuple[str, ...] = ("point", "strategy", "replication", "channel", *SUMMARY_METRICS)
"""Columns of ``results.csv``: one row per point, strategy, replication and channel."""

STAT_COLUMNS: tuple[str, ...] = ("mean", "std", "ci_low", "ci_high", "n")


# --------------------------------------------------------------------------------------------
# The sweep spec and its points


@dataclass(frozen=True)
class SweepSpec:
    """Everything that decides a sweep's points and runs (stored in ``manifest.json``).

    Attributes:
        params: the swept parameters.
        sampler: one of :data:`SAMPLERS`.
        samples: points drawn by a sampler (None for the grid).
        strategies: strategies run at every point.
        replications: replications per point and strategy (the same seeds at every point).
        seed: the scenario seed (also seeds the sampler).
    """

    params: tuple[ParamSpec, ...]
    sampler: str
    samples: int | None
    strategies: tuple[str, ...]
    replications: int
    seed: int

    @property
    def keys(self) -> list[str]:
        """The parameter keys, in order."""
        return [p.key for p in self.params]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description, compared on ``--resume``."""
        return _json_ready(
            {
                "params": [p.to_json() for p in self.params],
                "sampler": self.sampler,
                "samples": self.samples,
                "strategies": list(self.strategies),
                "replications": self.replications,
                "seed": self.seed,
            }
        )


def _json_ready(value: Any) -> Any:
    return json.loads(json.dumps(value, allow_nan=False))


def _sampler_rng(seed: int) -> np.random.Generator:
    """The sampler's generator, from the scenario seed (same command, same points).

    It is a stream of its own, never one of the replications' streams.
    """
    return np.random.default_rng(
        np.random.SeedSequence([seed, zlib.crc32(b"channelsim.sweep.sampler")])
    )


def _unit_sample(sampler: str, d: int, samples: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    rng = _sampler_rng(seed)
    if sampler == "random":
        return rng.random((samples, d))
    cls = qmc.LatinHypercube if sampler == "lhs" else qmc.Sobol
    try:
        engine = cls(d, scramble=True, rng=rng)
    except TypeError:  # scipy < 1.15 calls it seed
        engine = cls(d, scramble=True, seed=rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return engine.random(samples)


def _dedupe(values: list[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for v in values:
        k = json.dumps(v, sort_keys=True)
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out


MAX_POINTS = 1_000_000
"""Most points a sweep may have (each point is at least one replication of every strategy)."""


def make_points(
    specs: Sequence[ParamSpec],
    fields: Mapping[str, FieldSpec],
    sampler: str = "grid",
    samples: int | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """The points of a sweep, as ``{key: value}`` dicts in point order.

    ``grid``: every combination, the first parameter varying slowest; a range ``lo:hi:n``
    gives n evenly spaced values, ends included (whole-number keys are rounded and repeated
    values dropped). ``lhs``, ``sobol``, ``random``: ``samples`` points drawn in the box of
    the ranges (a list parameter takes one of its values, equally likely) by
    ``scipy.stats.qmc.LatinHypercube``, scrambled ``qmc.Sobol`` or numpy uniform draws, from
    a generator seeded by the scenario seed, so the same command gives the same points.

    Args:
        specs: the parameters.
        fields: each key's kind and bounds (:func:`channelsim.params.check_param`).
        sampler: one of :data:`SAMPLERS`.
        samples: number of points for the samplers.
        seed: the scenario seed.

    Returns:
        The points.

    Raises:
        UsageError: unknown sampler, missing or bad ``--samples``, a grid range without n,
            a sampler range with n, a Sobol' sample size that is not a power of 2, more than
            :data:`MAX_POINTS` points.
    """
    if sampler not in SAMPLERS:
        import difflib

        close = difflib.get_close_matches(sampler, SAMPLERS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(
            Problem(
                None,
                "--sampler",
                f"unknown sampler {sampler!r}{hint}; expected one of: {', '.join(SAMPLERS)}",
            )
        )
    if not specs:
        raise UsageError(Problem(None, "--param", "give at least one parameter to sweep"))
    keys = [s.key for s in specs]
    if sampler == "grid":
        if samples is not None:
            raise UsageError(
                Problem(None, "--samples", "is for --sampler lhs, sobol or random, not grid")
            )
        size = math.prod(len(s.values) if s.values is not None else (s.n or 1) for s in specs)
        if size > MAX_POINTS:  # checked before building anything: a typo must not hang
            raise UsageError(
                Problem(
                    None,
                    "--param",
                    f"this grid has {size:,} points, more than {MAX_POINTS:,}; use fewer values, "
                    "or a sampler (--sampler lhs --samples N)",
                )
            )
        axes = []
        for spec in specs:
            fs = fields[spec.key]
            if spec.values is not None:
                values = [fs.convert(v) for v in spec.values]
            else:
                if spec.n is None:
                    raise UsageError(
                        Problem(
                            None,
                            f"--param {spec.key}",
                            f"the grid needs a number of values: {spec.key}="
                            f"{spec.low:.10g}:{spec.high:.10g}:n (or choose --sampler lhs, "
                            "sobol or random with --samples N)",
                        )
                    )
                values = [fs.convert(float(v)) for v in np.linspace(spec.low, spec.high, spec.n)]
            axes.append(_dedupe(values))
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes)]

    if samples is None:
        raise UsageError(Problem(None, "--samples", f"--sampler {sampler} needs --samples N"))
    if samples < 1:
        raise UsageError(Problem(None, "--samples", f"must be at least 1, got {samples}"))
    if samples > MAX_POINTS:
        raise UsageError(
            Problem(None, "--samples", f"must be at most {MAX_POINTS:,}, got {samples:,}")
        )
    if sampler == "sobol" and samples & (samples - 1):
        raise UsageError(
            Problem(
                None,
                "--samples",
                f"Sobol' points need a power of 2 (e.g. 64 or 128), got {samples}",
            )
        )
    for spec in specs:
        if spec.n is not None:
            raise UsageError(
                Problem(
                    None,
                    f"--param {spec.key}",
                    f"n is for --sampler grid; with --sampler {sampler} write {spec.key}="
                    f"{spec.low:.10g}:{spec.high:.10g} and set the number of points with "
                    "--samples",
                )
            )
    unit = _unit_sample(sampler, len(specs), samples, seed)
    points = []
    for row in unit:
        point = {}
        for spec, u in zip(specs, row, strict=True):
            fs = fields[spec.key]
            if spec.values is not None:
                k = len(spec.values)
                point[spec.key] = fs.convert(spec.values[min(int(u * k), k - 1)])
            else:
                assert spec.low is not None and spec.high is not None
                point[spec.key] = fs.convert(float(spec.low + u * (spec.high - spec.low)))
        points.append(point)
    return points


def scenario_sha256(scenario: Scenario) -> str:
    """sha256 of the resolved scenario TOML (every default filled in).

    Header comments are left out, so only the scenario's values count.
    """
    text = scenario.to_toml()
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return hashlib.sha256(body.strip().encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------
# Running points


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

    Yields:
        One :class:`PointRuns` per point, in completion order.
    """
    per_point = len(strategies) * replications
    tasks = [
        Task(scenario, strategy, r)
        for _, scenario in points
        for strategy in strategies
        for r in range(replications)
    ]
    if not tasks:
        return
    open_points: dict[int, PointRuns] = {}
    counts: dict[int, int] = {}
    for done, (i, (ok, payload)) in enumerate(executor.map_unordered(_run_one, tasks), 1):
        k, j = divmod(i, per_point)
        strategy, r = strategies[j // replications], j % replications
        runs = open_points.setdefault(k, PointRuns(points[k][0]))
        if ok:
            runs.runs[(strategy, r)] = payload
        else:
            runs.errors.append((strategy, r, str(payload)))
        counts[k] = counts.get(k, 0) + 1
        if progress is not None:
            progress(done, len(tasks))
        if counts[k] == per_point:
            del counts[k]
            yield open_points.pop(k)


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


# --------------------------------------------------------------------------------------------
# Tables


def _cell(value: Any) -> str:
    """One CSV cell: floats in the output folder's fixed format, NaN empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        value = float(value)
        if math.isnan(value):
            return ""
        return FLOAT_FORMAT % (value + 0.0)
    if isinstance(value, str):
        return value
    return toml_value(value)


def _csv_text(rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue()


def table_csv(frame: pd.DataFrame) -> str:
    """A table as CSV text in the output folder's format (fixed float format, NaN empty)."""
    return _csv_text([list(frame.columns), *frame.itertuples(index=False, name=None)])


def _point_rows(runs: PointRuns, strategies: Sequence[str], replications: int) -> str:
    """The ``results.csv`` rows of one finished point, as text (strategies in sweep order)."""
    rows = []
    for strategy in strategies:
        for r in range(replications):
            for channel, metrics in runs.runs[(strategy, r)].items():
                rows.append(
                    [runs.point, strategy, r, channel, *(metrics[m] for m in SUMMARY_METRICS)]
                )
    return _csv_text(rows)


def _read_csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])


def _points_frame(points: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> pd.DataFrame:
    rows = [[i, *(p[k] for k in keys)] for i, p in enumerate(points)]
    frame = pd.DataFrame(rows, columns=["point", *keys], dtype=object)
    frame["point"] = frame["point"].astype(int)
    for key in keys:  # numbers as numbers (int or float), text and tables as they are
        values = list(frame[key])
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            kind = int if all(isinstance(v, int) for v in values) else float
            frame[key] = pd.Series(values, dtype=kind)
    return frame


def _sorted_rows(rows: list[list[str]], strategies: Sequence[str]) -> list[list[str]]:
    """Results rows sorted by point, strategy (sweep order) and replication.

    Channel order within a run is kept: the sort is stable and a run's rows are written
    together.
    """
    order = {s: i for i, s in enumerate(strategies)}
    return sorted(rows, key=lambda r: (int(r[0]), order.get(r[1], len(order)), int(r[2])))


def summarize(
    results: pd.DataFrame,
    points: pd.DataFrame,
    strategies: Sequence[str],
    channel: str = "total",
) -> pd.DataFrame:
    """Per point and strategy, every summary metric of one channel with its 95% interval.

    Args:
        results: the ``results.csv`` table.
        points: the ``points.csv`` table.
        strategies: strategies in sweep order.
        channel: the channel to summarise.

    Returns:
        Columns ``point``, the parameters, ``strategy``, ``metric``, ``mean``, ``std``,
        ``ci_low``, ``ci_high``, ``n``; sorted by point, strategy (sweep order) and metric
        (contract order).
    """
    keys = [c for c in points.columns if c != "point"]
    params = {int(row[0]): list(row[1:]) for row in points.itertuples(index=False, name=None)}
    rows = []
    sel = results[results["channel"] == channel]
    metrics = list(SUMMARY_METRICS)
    groups = {k: g for k, g in sel.groupby(["point", "strategy"], sort=False)}
    for point in sorted({int(p) for p in sel["point"]}):
        for strategy in strategies:
            grp = groups.get((point, strategy))
            if grp is None:
                continue
            grp = grp.sort_values("replication", kind="stable")
            mean, std, low, high, n = confidence_intervals(grp[metrics].to_numpy(dtype=float))
            for k, metric in enumerate(metrics):
                rows.append(
                    [
                        point,
                        *params[point],
                        strategy,
                        metric,
                        mean[k],
                        std[k],
                        low[k],
                        high[k],
                        int(n[k]),
                    ]
                )
    return pd.DataFrame(rows, columns=["point", *keys, "strategy", "metric", *STAT_COLUMNS])


def paired_point_differences(
    results: pd.DataFrame,
    points: pd.DataFrame,
    a: str,
    b: str,
    metric: str,
    channel: str = "total",
) -> pd.DataFrame:
    """Per point, the paired difference A - B of one metric over replications.

    Args:
        results: the ``results.csv`` table.
        points: the ``points.csv`` table.
        a: strategy A.
        b: strategy B.
        metric: a summary metric.
        channel: the channel.

    Returns:
        Columns ``point``, the parameters, ``mean``, ``std``, ``ci_low``, ``ci_high``, ``n``.
    """
    sel = results[results["channel"] == channel]
    wide = sel.pivot_table(
        index=["point", "replication"], columns="strategy", values=metric, dropna=False
    )
    keys = [c for c in points.columns if c != "point"]
    rows = []
    if a in wide.columns and b in wide.columns:
        diff = (wide[a] - wide[b]).rename("d").reset_index()
        for point, grp in diff.groupby("point", sort=True):
            mean, std, low, high, n = confidence_intervals(grp["d"].to_numpy(dtype=float))
            rows.append([int(point), mean[0], std[0], low[0], high[0], int(n[0])])
    frame = pd.DataFrame(rows, columns=["point", *STAT_COLUMNS])
    return points.merge(frame, on="point")[["point", *keys, *STAT_COLUMNS]]


# --------------------------------------------------------------------------------------------
# Results


@dataclass
class SweepResult:
    """Results of :func:`sweep`.

    Attributes:
        scenario: the base scenario (overrides, seed and replications applied).
        spec: the sweep spec.
        points: ``point`` and one column per parameter.
        results: one row per point, strategy, replication and channel; every summary metric.
        summary: per point and strategy, channel ``total``: every metric's mean, std,
            ci_low, ci_high and n (the parameters are repeated for convenience).
        errors: ``point``, the parameters, ``strategy``, ``replication``, ``error`` of the
            runs that failed (their points have no results).
        folder: the sweep folder, if the sweep was saved.
        run_seconds: wall time of this call.
        notes: parameters that a named strategy overrides (they do nothing for it).
    """

    scenario: Scenario
    spec: SweepSpec
    points: pd.DataFrame
    results: pd.DataFrame
    summary: pd.DataFrame
    errors: pd.DataFrame
    folder: Path | None = None
    run_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def failed_points(self) -> list[int]:
        """Ids of the points with a failed run."""
        return sorted({int(p) for p in self.errors["point"]})

    @property
    def complete(self) -> bool:
        """Whether every point finished without error."""
        return self.errors.empty and self.results["point"].nunique() == len(self.points)

    def metric(self, metric: str = "contribution") -> pd.DataFrame:
        """Summary rows of one metric: a row per point and strategy."""
        return self.summary[self.summary["metric"] == metric].reset_index(drop=True)

    def differences(self, a: str, b: str, metric: str = "contribution") -> pd.DataFrame:
        """Per point, the paired difference A - B of ``metric`` (channel total) with its CI."""
        return paired_point_differences(self.results, self.points, a, b, metric)

    def plots(self, metric: str = "contribution") -> list[tuple[str, Figure]]:
        """The sweep's figures as ``(file stem, Figure)``.

        The metric against the parameters (a line per strategy for one parameter, heatmaps
        for two, main effects for more) and, with two parameters and two strategies, a
        heatmap of the difference A - B.
        """
        from channelsim import planning_plots

        return planning_plots.sweep_figures(self, metric)

    def save(self, out_dir: str | Path, metric: str = "contribution") -> Path:
        """Write the sweep folder (all files of a finished sweep), replacing it atomically.

        Args:
            out_dir: the folder; it must be absent, empty or a sweep folder.
            metric: the metric the plots show.

        Returns:
            The folder's path.
        """
        from channelsim.output import _make_sibling, _swap_in

        target = Path(os.path.realpath(out_dir))
        if target.exists() and (
            not target.is_dir()
            or (any(target.iterdir()) and not (target / MANIFEST_JSON).is_file())
        ):
            raise UsageError(
                Problem(
                    str(out_dir),
                    "",
                    "exists and is not empty nor a sweep folder: choose another folder",
                )
            )
        tmp = _make_sibling(target, "tmp", create=True)
        try:
            _atomic_write(tmp / RESOLVED_SCENARIO, self.scenario.to_toml())
            _atomic_write(tmp / POINTS_CSV, table_csv(self.points))
            _atomic_write(tmp / RESULTS_CSV, table_csv(self.results))
            journal = "".join(
                json.dumps({"point": int(p), "status": "ok"}) + "\n"
                for p in sorted({int(p) for p in self.results["point"]})
            )
            _atomic_write(tmp / JOURNAL, journal)
            _write_outputs(tmp, self, metric, self._manifest())
            _swap_in(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.folder = Path(out_dir)
        return Path(out_dir)

    def _manifest(self) -> dict[str, Any]:
        return _manifest(self.scenario, self.spec, len(self.points), self)


def _manifest(
    scenario: Scenario, spec: SweepSpec, n_points: int, result: SweepResult | None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": FORMAT,
        "channelsim_version": __version__,
        "scenario": scenario.scenario.name,
        "scenario_sha256": scenario_sha256(scenario),
        "spec": spec.to_json(),
        "seed": spec.seed,
        "strategies": list(spec.strategies),
        "replications": spec.replications,
        "points": n_points,
        "runs": n_points * len(spec.strategies) * spec.replications,
    }
    if result is None:
        doc["status"] = "running"
        return doc
    failed = result.failed_points
    doc["points_done"] = int(result.results["point"].nunique()) if len(result.results) else 0
    doc["points_failed"] = len(failed)
    doc["status"] = "complete" if result.complete else "incomplete"
    doc["errors"] = [
        {
            "point": int(row.point),
            "strategy": str(row.strategy),
            "replication": int(row.replication),
            "error": str(row.error),
        }
        for row in result.errors.itertuples(index=False)
    ]
    return _json_ready(doc)


def _atomic_write(path: Path, text: str) -> None:
    """Write a file through a temporary sibling, fsync it, then rename it into place."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_outputs(folder: Path, result: SweepResult, metric: str, manifest: dict) -> None:
    """summary.csv, errors.csv, manifest.json, plots and run.json, each written atomically."""
    from channelsim.plots import save_figure

    _atomic_write(folder / SUMMARY_CSV, table_csv(result.summary))
    _atomic_write(folder / ERRORS_CSV, table_csv(result.errors))
    _atomic_write(folder / MANIFEST_JSON, json.dumps(manifest, indent=2) + "\n")
    plots = folder / PLOTS_DIR
    for stem, fig in result.plots(metric):
        save_figure(fig, plots / f"{stem}.png")
    run = {
        "note": "not reproducible: the only sweep file that changes between identical runs",
        "written_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "run_seconds": round(result.run_seconds, 3),
        "channelsim_version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    _atomic_write(folder / RUN_JSON, json.dumps(run, indent=2) + "\n")
    _fsync_dir(folder)


# --------------------------------------------------------------------------------------------
# The sweep folder


class SweepStopped(RuntimeError):
    """A sweep stopped before its end (a lost worker, a broken pool); ``--resume`` finishes it.

    Attributes:
        done: points finished and saved.
        total: points in the sweep.
        folder: the sweep folder.
    """

    def __init__(self, message: str, done: int, total: int, folder: Path | None) -> None:
        super().__init__(message)
        self.done, self.total, self.folder = done, total, folder


class _Store:
    """The live sweep folder: manifest, journal and results appended as points finish."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._results: Any = None
        self._journal: Any = None
        self._lock: Any = None

    # -- opening --------------------------------------------------------------------------

    def prepare(self, manifest: dict[str, Any], resume: bool) -> None:
        """Check the folder (and, on resume, that nothing changed), create it, take the lock.

        Nothing else is written yet, so a failure to reach a cluster leaves no sweep behind.
        """
        folder = self.folder
        if resume:
            if not folder.is_dir():
                raise UsageError(Problem(str(folder), "--resume", "no sweep folder to resume"))
            if not (folder / MANIFEST_JSON).is_file():
                raise UsageError(
                    Problem(str(folder), "--resume", f"not a sweep folder (no {MANIFEST_JSON})")
                )
            self._take_lock()
            self._check_same(manifest)
            return
        if folder.exists() and not folder.is_dir():
            raise UsageError(Problem(str(folder), "", "exists and is not a folder"))
        if folder.is_dir() and any(p.name != _LOCK for p in folder.iterdir()):
            if (folder / MANIFEST_JSON).is_file():
                raise UsageError(
                    Problem(
                        str(folder),
                        "",
                        "already holds a sweep: add --resume to complete it, or choose "
                        "another --out",
                    )
                )
            raise UsageError(
                Problem(
                    str(folder), "", "is not empty and is not a sweep folder: choose another --out"
                )
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                Problem(str(folder), "", f"cannot create: {exc.strerror or exc}")
            ) from None
        self._take_lock()

    def open(
        self,
        manifest: dict[str, Any],
        scenario: Scenario,
        points: pd.DataFrame,
        strategies: Sequence[str],
        done: set[int],
    ) -> None:
        """Write the manifest (new sweep), scenario and points; drop garbage rows; open files."""
        folder = self.folder
        if not (folder / MANIFEST_JSON).is_file():
            _atomic_write(folder / MANIFEST_JSON, json.dumps(manifest, indent=2) + "\n")
        _atomic_write(folder / RESOLVED_SCENARIO, scenario.to_toml())
        _atomic_write(folder / POINTS_CSV, table_csv(points))
        self._compact(strategies, done)
        _fsync_dir(folder)
        self._results = open(folder / RESULTS_CSV, "a", encoding="utf-8", newline="")
        self._journal = open(folder / JOURNAL, "a", encoding="utf-8", newline="")

    def _take_lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX: no lock
            return
        self._lock = open(self.folder / _LOCK, "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            self._lock = None
            raise UsageError(
                Problem(str(self.folder), "", "another channelsim sweep is writing to this folder")
            ) from None

    def _check_same(self, manifest: dict[str, Any]) -> None:
        try:
            old = json.loads((self.folder / MANIFEST_JSON).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(
                Problem(str(self.folder), "--resume", f"unreadable {MANIFEST_JSON}: {exc}")
            ) from None
        where = str(self.folder)
        if old.get("format") != FORMAT:
            raise UsageError(
                Problem(where, "--resume", f"not a {FORMAT} folder (format {old.get('format')})")
            )
        if old.get("channelsim_version") != __version__:
            raise UsageError(
                Problem(
                    where,
                    "--resume",
                    f"the sweep was started by channelsim {old.get('channelsim_version')}, this "
                    f"is {__version__}: results would mix versions; start a new sweep",
                )
            )
        if old.get("scenario_sha256") != manifest["scenario_sha256"]:
            raise UsageError(
                Problem(
                    where,
                    "--resume",
                    "the scenario changed since the sweep started (resolved scenario sha256 "
                    f"{str(old.get('scenario_sha256'))[:12]}..., now "
                    f"{manifest['scenario_sha256'][:12]}...): resume with the same scenario file "
                    "and --set, --seed, --reps options, or start a new sweep in another folder",
                )
            )
        old_spec, new_spec = old.get("spec", {}), manifest["spec"]
        changed = [k for k in new_spec if old_spec.get(k) != new_spec[k]]
        if changed:
            names = {
                "params": "--param",
                "sampler": "--sampler",
                "samples": "--samples",
                "strategies": "--strategies",
                "replications": "--reps",
                "seed": "--seed",
            }
            what = ", ".join(names.get(k, k) for k in changed)
            raise UsageError(
                Problem(
                    where,
                    "--resume",
                    f"the sweep spec changed since the sweep started ({what}): resume with the "
                    "same command, or start a new sweep in another folder",
                )
            )

    def _entries(self) -> list[dict[str, Any]]:
        """The journal's complete entries (a torn last line is skipped)."""
        path = self.folder / JOURNAL
        entries: list[dict[str, Any]] = []
        if path.is_file():
            for line in path.read_text(encoding="utf-8").split("\n"):
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and isinstance(entry.get("point"), int):
                    entries.append(entry)
        return entries

    def journal(self) -> tuple[set[int], dict[int, list]]:
        """Points done, and the errors of points that failed and are not done (read only)."""
        entries = self._entries()
        done = {e["point"] for e in entries if e.get("status") == "ok"}
        failed = {
            e["point"]: e.get("errors", [])
            for e in entries
            if e.get("status") == "error" and e["point"] not in done
        }
        return done, failed

    def _compact(self, strategies: Sequence[str], done: set[int]) -> None:
        """Keep only complete journal lines and the results rows of done points (atomically)."""
        entries = self._entries()
        _atomic_write(self.folder / JOURNAL, "".join(json.dumps(e) + "\n" for e in entries))
        path = self.folder / RESULTS_CSV
        kept: list[list[str]] = []
        if path.is_file():
            with open(path, encoding="utf-8", newline="") as fh:
                rows = list(csv.reader(fh))
            for row in rows[1:]:
                if len(row) == len(RESULT_COLUMNS) and row[0].isdigit() and int(row[0]) in done:
                    kept.append(row)
        _atomic_write(path, _csv_text([list(RESULT_COLUMNS), *_sorted_rows(kept, strategies)]))

    # -- appending ------------------------------------------------------------------------

    def add_point(self, rows: str, point: int) -> None:
        """Append a finished point: its rows (one write, fsync), then its journal line."""
        self._results.write(rows)
        self._results.flush()
        os.fsync(self._results.fileno())
        self._journal_line({"point": point, "status": "ok"})

    def add_error(self, point: int, errors: list[tuple[str, int, str]]) -> None:
        """Journal a failed point (it has no results rows; ``--resume`` retries it)."""
        self._journal_line({"point": point, "status": "error", "errors": [list(e) for e in errors]})

    def _journal_line(self, entry: dict[str, Any]) -> None:
        self._journal.write(json.dumps(entry) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())

    # -- closing --------------------------------------------------------------------------

    def results_text(self, strategies: Sequence[str]) -> str:
        """results.csv rewritten sorted (atomically); returns its text."""
        path = self.folder / RESULTS_CSV
        self._results.close()
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        text = _csv_text([list(RESULT_COLUMNS), *_sorted_rows(rows[1:], strategies)])
        _atomic_write(path, text)
        return text

    def finish_journal(self, done: set[int], failed: dict[int, list]) -> None:
        """The journal rewritten: one line per finished point, by point."""
        self._journal.close()
        lines = []
        for point in sorted(done | set(failed)):
            if point in done:
                lines.append({"point": point, "status": "ok"})
            else:
                lines.append({"point": point, "status": "error", "errors": failed[point]})
        _atomic_write(self.folder / JOURNAL, "".join(json.dumps(e) + "\n" for e in lines))

    def close(self) -> None:
        """Close the files and release the lock."""
        for fh in (self._results, self._journal):
            if fh is not None and not fh.closed:
                fh.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None
            with contextlib.suppress(OSError):
                (self.folder / _LOCK).unlink()


# --------------------------------------------------------------------------------------------
# The API


def sweep(
    scenario: Scenario,
    params: Iterable[ParamSpec | str] | Mapping[str, Any],
    *,
    sampler: str = "grid",
    samples: int | None = None,
    strategies: str | Sequence[str] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | None = 1,
    dask: str | None = None,
    executor: Executor | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    metric: str = "contribution",
    progress: Progress | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Run a parameter sweep: every strategy and replication at every point.

    Args:
        scenario: the base scenario.
        params: ``--param`` strings (``"key=a,b"``, ``"key=lo:hi:n"``, ``"key=lo:hi"``),
            ParamSpec objects, or a mapping ``{key: [values]}`` / ``{key: (lo, hi, n)}`` /
            ``{key: (lo, hi)}``.
        sampler: ``grid``, ``lhs``, ``sobol`` or ``random`` (see :func:`make_points`).
        samples: points drawn by a sampler.
        strategies: strategies at every point (default: the scenario's ``scenario.strategy``).
        replications: replications per point and strategy (default: scenario.replications).
        seed: overrides ``scenario.seed`` (it also seeds the sampler).
        jobs: worker processes (1: this process; None: all cores).
        dask: ``"local"`` or a Dask scheduler address (instead of ``jobs``).
        executor: an executor to use instead of ``jobs``/``dask``.
        out: the sweep folder; points are saved as they finish (None: keep in memory).
        resume: complete the sweep in ``out`` (refused if its scenario or spec differ).
        metric: the metric the plots show.
        progress: called as ``progress(runs done, runs to do)``.
        on_start: called as ``on_start(points to run, points in total)`` before work starts.

    Returns:
        A :class:`SweepResult` (complete, or with ``errors`` for points whose model failed).

    Raises:
        UsageError: bad parameters, sampler or folder; a changed scenario or spec on resume.
        ScenarioError: invalid scenario overrides or strategies.
        SweepStopped: the executor failed (e.g. a worker process died); finished points are
            saved and ``resume`` completes the sweep.
    """
    started = time.perf_counter()
    if resume and out is None:
        raise UsageError(Problem(None, "--resume", "needs the sweep folder (--out)"))
    if replications is not None and replications < 1:
        raise UsageError(Problem(None, "--reps", f"must be at least 1, got {replications}"))
    check_metric(metric)
    scenario, names = prepare(scenario, strategies, replications, seed)
    reps, root_seed = scenario.scenario.replications, scenario.scenario.seed
    specs = as_param_specs(params)
    fields = {spec.key: check_param(scenario, spec) for spec in specs}
    values = make_points(specs, fields, sampler, samples, root_seed)
    spec = SweepSpec(tuple(specs), sampler, samples, tuple(names), reps, root_seed)
    scenarios = [apply_values(scenario, v, f"point {i}") for i, v in enumerate(values)]
    points = _points_frame(values, spec.keys)

    store = _Store(Path(out)) if out is not None else None
    lines: list[str] = []
    done: set[int] = set()
    failed: dict[int, list] = {}
    try:
        if store is not None:
            manifest = _manifest(scenario, spec, len(values), None)
            store.prepare(manifest, resume)
            done, failed = store.journal()
        todo = [(i, sc) for i, sc in enumerate(scenarios) if i not in done]
        with open_executor(jobs, dask, executor) if todo else contextlib.nullcontext() as ex:
            if store is not None:
                store.open(manifest, scenario, points, names, done)
            if on_start is not None:
                on_start(len(todo), len(values))
            try:
                for runs in run_points(todo, names, reps, ex, progress) if todo else ():
                    if runs.ok:
                        failed.pop(runs.point, None)
                        rows = _point_rows(runs, names, reps)
                        if store is not None:
                            store.add_point(rows, runs.point)
                        else:
                            lines.append(rows)
                        done.add(runs.point)
                    else:
                        errs = sorted(runs.errors, key=lambda e: (names.index(e[0]), e[1]))
                        failed[runs.point] = [list(e) for e in errs]
                        if store is not None:
                            store.add_error(runs.point, errs)
            except (KeyboardInterrupt, UsageError):
                raise
            except Exception as exc:
                reason = " ".join(str(exc).split()).rstrip(".") or type(exc).__name__
                raise SweepStopped(
                    f"the sweep stopped: {type(exc).__name__}: {reason}",
                    len(done),
                    len(values),
                    store.folder if store is not None else None,
                ) from exc

        if store is not None:
            text = store.results_text(names)
            store.finish_journal(done, failed)
        else:
            rows = [row for chunk in lines for row in csv.reader(io.StringIO(chunk))]
            text = _csv_text([list(RESULT_COLUMNS), *_sorted_rows(rows, names)])
        results = _read_csv(text)
        results["strategy"] = results["strategy"].astype(str)
        results["channel"] = results["channel"].astype(str)
        result = SweepResult(
            scenario=scenario,
            spec=spec,
            points=points,
            results=results,
            summary=summarize(results, points, names),
            errors=_errors_frame(failed, points),
            folder=Path(out) if out is not None else None,
            run_seconds=time.perf_counter() - started,
            notes=[
                f"--param {key} does nothing for strategy {name}: the strategy sets it"
                for name in names
                for key in spec.keys
                if key in strategy_overrides(scenario, name)
            ],
        )
        if store is not None:
            _write_outputs(store.folder, result, metric, result._manifest())
        return result
    finally:
        if store is not None:
            store.close()


def _errors_frame(failed: Mapping[int, list], points: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in points.columns if c != "point"]
    params = {int(row[0]): list(row[1:]) for row in points.itertuples(index=False, name=None)}
    rows = [
        [point, *params[point], strategy, int(rep), message]
        for point in sorted(failed)
        for strategy, rep, message in failed[point]
    ]
    return pd.DataFrame(rows, columns=["point", *keys, "strategy", "replication", "error"])


def safe_name(text: str) -> str:
    """A file-name-safe version of a strategy or metric name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "x"
