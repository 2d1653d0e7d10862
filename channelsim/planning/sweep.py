"""Parameter sweeps: every strategy and replication at each point of a grid or a sample.

A sweep runs every strategy and every replication at each point of a parameter space
(:mod:`.samplers`). The replications use the same seeds at every point (common random numbers:
the replication index picks the random streams), so differences between points come from the
parameters, not from luck. Points run on any executor (:mod:`.points`) and are saved as they
finish in a crash-safe folder (:mod:`.store`): an interrupted sweep is completed with
``resume``. When every point has finished, ``results.csv`` is rewritten sorted and
``summary.csv``, ``errors.csv``, ``manifest.json`` and the plots are (re)written atomically from
it, so an interrupted and resumed sweep ends with the same bytes as an uninterrupted one,
whatever the executor and the number of workers.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import hashlib
import io
import json
import os
import platform
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from channelsim import __version__
from channelsim.analysis.sweep_tables import (
    BestPoint,
    best_point,
    paired_differences,
    paired_point_differences,
    summarize,
)
from channelsim.errors import Problem, UsageError
from channelsim.experiments.executors import open_executor
from channelsim.experiments.replications import prepare
from channelsim.experiments.run_size import Plan
from channelsim.metrics.catalogue import SUMMARY_METRICS, lower_is_better
from channelsim.outputs.files import (
    DIFFERENCES_CSV,
    ERRORS_CSV,
    JOURNAL,
    PLOTS_DIR,
    POINTS_CSV,
    RESOLVED_SCENARIO,
    RESULTS_CSV,
    RUN_JSON,
    SUMMARY_CSV,
    atomic_write,
    fsync_dir,
    replace_folder,
    write_manifest,
)
from channelsim.outputs.text import rows_csv, table_csv
from channelsim.planning.best_points import best_sentence
from channelsim.planning.options import RunOptions
from channelsim.planning.parameters import (
    ParamSpec,
    apply_values,
    as_param_specs,
    check_metric,
    check_param,
    unused_keys,
)
from channelsim.planning.points import PointRuns, run_points
from channelsim.planning.samplers import make_points
from channelsim.planning.store import FORMAT, RESULT_COLUMNS, SweepStopped, SweepStore, sorted_rows
from channelsim.scenario import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["SweepResult", "SweepSpec", "SweepStopped", "scenario_sha256", "sweep", "sweep_plan"]


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


def scenario_sha256(scenario: Scenario) -> str:
    """sha256 of the resolved scenario TOML (every default filled in).

    Header comments are left out, so only the scenario's values count.
    """
    text = scenario.to_toml()
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return hashlib.sha256(body.strip().encode("utf-8")).hexdigest()


# -- tables of a sweep ------------------------------------------------------------------------


def _point_rows(runs: PointRuns, strategies: Sequence[str], replications: int) -> str:
    """The ``results.csv`` rows of one finished point, as text (strategies in sweep order)."""
    rows = []
    for strategy in strategies:
        for r in range(replications):
            for channel, metrics in runs.runs[(strategy, r)].items():
                rows.append(
                    [runs.point, strategy, r, channel, *(metrics[m] for m in SUMMARY_METRICS)]
                )
    return rows_csv(rows)


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
        horizon = self.scenario.scenario.horizon_months
        return paired_point_differences(self.results, self.points, a, b, metric, horizon=horizon)

    def pair_differences(self) -> pd.DataFrame | None:
        """With exactly two strategies, per point and metric their paired difference A - B.

        None with another number of strategies (``differences.csv``).
        """
        if len(self.spec.strategies) != 2:
            return None
        a, b = self.spec.strategies
        horizon = self.scenario.scenario.horizon_months
        return paired_differences(self.results, self.points, a, b, horizon=horizon)

    def best_points(self, metric: str = "contribution") -> list[BestPoint]:
        """Per strategy, its best point and whether it is told apart from every other one.

        Keys the strategy does not use (:func:`unused_keys`) are left out of the comparison:
        points that differ only in them are one point for it, and a strategy for which no
        swept key does anything has no best point.
        """
        horizon = self.scenario.scenario.horizon_months
        out = []
        for strategy in self.spec.strategies:
            unused = unused_keys(self.scenario, strategy, self.spec.keys)
            used = [k for k in self.spec.keys if k not in unused]
            out.append(
                best_point(
                    self.results,
                    self.points,
                    strategy,
                    metric,
                    keys=used,
                    lower_is_better=lower_is_better(metric),
                    horizon=horizon,
                )
            )
        return out

    def best_sentences(self, metric: str = "contribution") -> list[str]:
        """One sentence per strategy: its best point, or why none is named."""
        return [best_sentence(self, b, metric) for b in self.best_points(metric)]

    def plots(self, metric: str = "contribution") -> list[tuple[str, Figure]]:
        """The sweep's figures as ``(file stem, Figure)``.

        The metric against the parameters (a line per strategy for one parameter, heatmaps
        on one colour scale for two, main effects for more) and, with two strategies, their
        paired difference A - B (a line with its band for one parameter, a heatmap for
        two). A strategy's best point is starred when it is told apart from the others.
        """
        # imported here: matplotlib loads only when a sweep draws (not in workers or checks)
        from channelsim.outputs.sweep_plots import sweep_figures

        horizon = self.scenario.scenario.horizon_months
        best = {b.strategy: b.point for b in self.best_points(metric) if b.separated}
        return sweep_figures(
            self.summary,
            self.results,
            self.points,
            self.spec.strategies,
            metric,
            horizon,
            best=best,
            currency=self.scenario.scenario.currency,
        )

    def save(self, out_dir: str | Path, metric: str = "contribution") -> Path:
        """Write the sweep folder (all files of a finished sweep), replacing it atomically.

        Args:
            out_dir: the folder; it must be absent, empty or a sweep folder.
            metric: the metric the plots show.

        Returns:
            The folder's path.
        """
        target = Path(os.path.realpath(out_dir))
        with replace_folder(target, "sweep", manifest=self._manifest()) as tmp:
            atomic_write(tmp / RESOLVED_SCENARIO, self.scenario.to_toml())
            atomic_write(tmp / POINTS_CSV, table_csv(self.points))
            atomic_write(tmp / RESULTS_CSV, table_csv(self.results))
            journal = "".join(
                json.dumps({"point": int(p), "status": "ok"}) + "\n"
                for p in sorted({int(p) for p in self.results["point"]})
            )
            atomic_write(tmp / JOURNAL, journal)
            _write_outputs(tmp, self, metric, self._manifest())
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


def _write_outputs(folder: Path, result: SweepResult, metric: str, manifest: dict) -> None:
    """summary.csv, errors.csv, manifest.json, plots and run.json, each written atomically."""
    # imported here: matplotlib (and openpyxl) load only when a sweep's folder is written
    from channelsim.outputs.figures import save_figure
    from channelsim.outputs.xlsx import EXCEL_MAX_ROWS, RESULTS_XLSX, sweep_sheets, write_workbook

    atomic_write(folder / SUMMARY_CSV, table_csv(result.summary), durable=True)
    atomic_write(folder / ERRORS_CSV, table_csv(result.errors), durable=True)
    differences = result.pair_differences()
    if differences is not None:
        atomic_write(folder / DIFFERENCES_CSV, table_csv(differences), durable=True)
    sheets = sweep_sheets(result.scenario, result.points, result.summary, differences, metric)
    if sheets is not None:
        write_workbook(folder / RESULTS_XLSX, sheets)
    else:
        result.notes.append(
            f"{RESULTS_XLSX} left out: the sweep's tables do not fit in an Excel sheet "
            f"({EXCEL_MAX_ROWS:,} rows); the CSV files hold everything"
        )
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
    atomic_write(folder / RUN_JSON, json.dumps(run, indent=2) + "\n", durable=True)
    write_manifest(folder, "sweep", manifest, durable=True)  # last: it lists every file
    fsync_dir(folder)


# -- the API ----------------------------------------------------------------------------------


def sweep(
    scenario: Scenario,
    params: Iterable[ParamSpec | str] | Mapping[str, Any],
    *,
    sampler: str = "grid",
    samples: int | None = None,
    strategies: str | Sequence[str] | None = None,
    metric: str = "contribution",
    out: str | Path | None = None,
    resume: bool = False,
    on_start: Callable[[int, int], None] | None = None,
    options: RunOptions | None = None,
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
        metric: the metric the plots show.
        out: the sweep folder; points are saved as they finish (None: keep in memory).
        resume: complete the sweep in ``out`` (refused if its scenario or spec differ).
        on_start: called as ``on_start(points to run, points in total)`` before work starts.
        options: replications, seed (it also seeds the sampler), where to run, progress.

    Returns:
        A :class:`SweepResult` (complete, or with ``errors`` for points whose model failed).

    Raises:
        UsageError: bad parameters, sampler or folder; a changed scenario or spec on resume.
        ScenarioError: invalid scenario overrides or strategies.
        SweepStopped: the executor failed (e.g. a worker process died); finished points are
            saved and ``resume`` completes the sweep.
    """
    started = time.perf_counter()
    opts = options or RunOptions()
    replications = opts.replications
    if resume and out is None:
        raise UsageError(Problem(None, "--resume", "needs the sweep folder (--out)"))
    if replications is not None and replications < 1:
        raise UsageError(Problem(None, "--reps", f"must be at least 1, got {replications}"))
    check_metric(metric)
    scenario, names = prepare(scenario, strategies, replications, opts.seed)
    reps, root_seed = scenario.scenario.replications, scenario.scenario.seed
    specs = as_param_specs(params)
    fields = {spec.key: check_param(scenario, spec) for spec in specs}
    values = make_points(specs, fields, sampler, samples, root_seed)
    spec = SweepSpec(tuple(specs), sampler, samples, tuple(names), reps, root_seed)
    scenarios = [apply_values(scenario, v, f"point {i}") for i, v in enumerate(values)]
    points = _points_frame(values, spec.keys)

    store = SweepStore(Path(out)) if out is not None else None
    lines: list[str] = []
    done: set[int] = set()
    failed: dict[int, list] = {}
    try:
        if store is not None:
            manifest = _manifest(scenario, spec, len(values), None)
            store.prepare(manifest, resume)
            done, failed = store.journal()
        todo = [(i, sc) for i, sc in enumerate(scenarios) if i not in done]
        executor = open_executor(opts.jobs, opts.dask, opts.executor)
        with executor if todo else contextlib.nullcontext() as ex:
            if store is not None:
                store.open(manifest, scenario, points, names, done)
            if on_start is not None:
                on_start(len(todo), len(values))
            try:
                for runs in run_points(todo, names, reps, ex, opts.progress) if todo else ():
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
            text = rows_csv([list(RESULT_COLUMNS), *sorted_rows(rows, names)])
        results = _read_csv(text)
        results["strategy"] = results["strategy"].astype(str)
        results["channel"] = results["channel"].astype(str)
        result = SweepResult(
            scenario=scenario,
            spec=spec,
            points=points,
            results=results,
            summary=summarize(results, points, names, seed=root_seed),
            errors=_errors_frame(failed, points),
            folder=Path(out) if out is not None else None,
            run_seconds=time.perf_counter() - started,
            notes=[
                f"--param {key} does nothing for strategy {name}: {why}"
                for name in names
                for key, why in unused_keys(scenario, name, spec.keys).items()
            ],
        )
        if store is not None:
            _write_outputs(store.folder, result, metric, result._manifest())
        return result
    except (KeyboardInterrupt, SweepStopped):
        if store is not None:
            store.mark_interrupted(len(done))
        raise
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


def sweep_plan(
    scenario: Scenario,
    params: Iterable[Any] | Mapping[str, Any],
    sampler: str = "grid",
    samples: int | None = None,
) -> Plan:
    """The points of a parameter sweep, as :func:`sweep` makes them (for the run-size check).

    Args:
        scenario: the scenario with the command's seed applied (it seeds the samplers).
        params: the ``--param`` strings (or anything ``sweep`` accepts).
        sampler: ``grid``, ``lhs``, ``sobol`` or ``random``.
        samples: points drawn by a sampler.

    Returns:
        The plan, every point included.

    Raises:
        UsageError: the sweep's own problems with the parameters (the sweep reports them too).
    """
    specs = as_param_specs(params)
    fields = {spec.key: check_param(scenario, spec) for spec in specs}
    points = make_points(specs, fields, sampler, samples, scenario.scenario.seed)
    return Plan.from_points("sweep", points)
