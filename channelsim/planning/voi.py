"""Value of information: which uncertain assumption is worth finding out before deciding.

The named inputs are uncertain, uniform or triangular over a range (``--param
KEY=LO:HI[:dist]``, or a ranges file such as the one ``channelsim calibrate`` writes). A Latin
hypercube sample of them (``scipy.stats.qmc.LatinHypercube``, seeded by the scenario seed: each
parameter's range is cut into ``samples`` equal-probability strata, one sample in each, which
is what the per-parameter regressions need) is simulated like a sweep: every strategy and
replication at every sample, on common random numbers, saved as samples finish in a sweep
folder (:mod:`.store`), so ``--resume`` completes an interrupted analysis and gives the same
bytes. The net benefit of a strategy at a sample is the mean of the objective (``npv`` on
channel ``total`` by default, ``METRIC@CHANNEL`` otherwise; negated when lower is better) over
its replications; :mod:`channelsim.analysis.information` turns the table into the probability
that each strategy is best, the expected loss of choosing each, EVPI and, per parameter, EVPPI
(Strong, Oakley and Brennan 2014), each with a bootstrap interval.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from channelsim import __version__
from channelsim.analysis.information import ValueOfInformation, value_of_information
from channelsim.errors import Problem, UsageError
from channelsim.experiments.executors import open_executor
from channelsim.experiments.replications import prepare
from channelsim.experiments.run_size import Plan
from channelsim.metrics.catalogue import SUMMARY_METRICS
from channelsim.outputs.text import rows_csv
from channelsim.planning.objectives import Target, parse_target
from channelsim.planning.options import RunOptions
from channelsim.planning.parameters import apply_values
from channelsim.planning.points import PointRuns, run_points
from channelsim.planning.store import FORMAT, RESULT_COLUMNS, SweepStopped, SweepStore, sorted_rows
from channelsim.planning.sweep import scenario_sha256
from channelsim.planning.uncertain import (
    UncertainParam,
    resolve_uncertain,
    sample_points,
)
from channelsim.planning.voi_outputs import voi_sentence, write_voi_folder, write_voi_outputs
from channelsim.scenario import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["VoiResult", "VoiSpec", "voi", "voi_plan"]

DEFAULT_SAMPLES = 64
"""Samples of the uncertain parameters when ``samples`` is not given."""


@dataclass(frozen=True)
class VoiSpec:
    """Everything that decides the analysis's samples and runs (stored in ``manifest.json``)."""

    params: tuple[UncertainParam, ...]
    samples: int
    strategies: tuple[str, ...]
    objective: Target
    replications: int
    seed: int

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description, compared on ``--resume``."""
        return {
            "params": [p.to_json() for p in self.params],
            "samples": self.samples,
            "strategies": list(self.strategies),
            "objective": self.objective.name,
            "replications": self.replications,
            "seed": self.seed,
        }


@dataclass
class VoiResult:
    """The result of :func:`voi`.

    Attributes:
        scenario: the base scenario (replications and seed applied).
        spec: the analysis's spec.
        points: one row per sample: ``point`` and each parameter's value.
        results: one row per sample, strategy, replication and channel (every summary metric).
        net_benefit: one row per sample, one column per strategy: the mean objective over
            replications (negated when lower is better).
        estimates: probability best, expected loss, EVPI and EVPPI with intervals.
        message: the answer in one sentence.
        folder: the folder, when saved.
        run_seconds: wall time of the call.
    """

    scenario: Scenario
    spec: VoiSpec
    points: pd.DataFrame
    results: pd.DataFrame
    net_benefit: pd.DataFrame
    estimates: ValueOfInformation
    message: str = ""
    folder: Path | None = None
    run_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def evpi(self) -> float:
        """The expected value of perfect information."""
        return self.estimates.evpi.value

    @property
    def params_table(self) -> pd.DataFrame:
        """One row per parameter: its range, EVPPI and interval, largest EVPPI first."""
        rows = [
            [
                p.key,
                p.low,
                p.high,
                p.dist,
                p.mode if p.mode is not None else math.nan,
                self.estimates.evppi[p.key].value,
                self.estimates.evppi[p.key].ci_low,
                self.estimates.evppi[p.key].ci_high,
            ]
            for p in self.spec.params
        ]
        frame = pd.DataFrame(
            rows, columns=["param", "low", "high", "dist", "mode", "evppi", "ci_low", "ci_high"]
        )
        return frame.sort_values("evppi", ascending=False, kind="stable").reset_index(drop=True)

    @property
    def strategies_table(self) -> pd.DataFrame:
        """One row per strategy: mean net benefit, probability best, expected loss (with CIs)."""
        est = self.estimates
        rows = []
        for s in self.spec.strategies:
            pb, loss = est.prob_best[s], est.expected_loss[s]
            rows.append(
                [
                    s,
                    float(self.net_benefit[s].mean()),
                    pb.value,
                    pb.ci_low,
                    pb.ci_high,
                    loss.value,
                    loss.ci_low,
                    loss.ci_high,
                ]
            )
        columns = ["strategy", "mean_net_benefit", "prob_best", "ci_low", "ci_high"]
        columns += ["expected_loss", "loss_ci_low", "loss_ci_high"]
        return pd.DataFrame(rows, columns=columns)

    def plot(self) -> Figure:
        """EVPPI per parameter against EVPI, and each strategy's chance of being best."""
        # imported here: matplotlib loads only when the chart is drawn
        from channelsim.outputs.decision_plots import plot_voi

        e = self.estimates.evpi
        return plot_voi(
            self.params_table,
            self.strategies_table,
            evpi=(e.value, e.ci_low, e.ci_high),
            label=self.spec.objective.name,
            metric=self.spec.objective.metric,
            currency=self.scenario.scenario.currency,
        )

    def save(self, out_dir: str | Path) -> Path:
        """Write the whole folder (the sweep's files and the analysis), replacing it."""
        write_voi_folder(Path(out_dir), self, _manifest(self.scenario, self.spec, "complete"))
        self.folder = Path(out_dir)
        return Path(out_dir)


def _bootstrap_seed(seed: int) -> int:
    state = np.random.SeedSequence([seed, zlib.crc32(b"channelsim.voi.bootstrap")])
    return int(state.generate_state(1, dtype=np.uint32)[0])


def _manifest(scenario: Scenario, spec: VoiSpec, status: str) -> dict[str, Any]:
    runs = spec.samples * len(spec.strategies) * spec.replications
    doc = {
        "format": FORMAT,
        "planner": "voi",
        "channelsim_version": __version__,
        "scenario": scenario.scenario.name,
        "scenario_sha256": scenario_sha256(scenario),
        "spec": json.loads(json.dumps(spec.to_json())),
        "seed": spec.seed,
        "strategies": list(spec.strategies),
        "replications": spec.replications,
        "points": spec.samples,
        "runs": runs,
        "status": status,
    }
    return doc


def _point_rows(runs: PointRuns, strategies: Sequence[str], replications: int) -> str:
    rows = [
        [runs.point, s, r, channel, *(metrics[m] for m in SUMMARY_METRICS)]
        for s in strategies
        for r in range(replications)
        for channel, metrics in runs.runs[(s, r)].items()
    ]
    return rows_csv(rows)


def _default_strategies(scenario: Scenario) -> list[str]:
    return [s for s in scenario.strategy_names() if s != "indirect" or scenario.partners]


def voi(
    scenario: Scenario,
    params: Iterable[UncertainParam | str] | Mapping[str, Any] | None = None,
    *,
    strategies: Sequence[str] | None = None,
    samples: int | None = None,
    objective: str = "npv",
    ranges: str | Path | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    on_start: Callable[[int, int], None] | None = None,
    options: RunOptions | None = None,
) -> VoiResult:
    """Value of information: what each uncertain input is worth knowing before choosing.

    Args:
        scenario: the base scenario.
        params: ``"KEY=LO:HI[:dist[:mode]]"`` strings, UncertainParam objects or ``{key: (lo,
            hi[, dist[, mode]])}``; None: the ranges file, else the scenario's
            ``[sensitivity] ranges``.
        strategies: the strategies to choose between (default: every strategy, as compare).
        samples: samples of the uncertain inputs (default 64, at least 8).
        objective: ``METRIC`` or ``METRIC@CHANNEL`` (``npv`` on channel total by default).
        ranges: a ranges file (see :func:`read_ranges`); ``params`` take precedence per key.
        out: the folder, written as samples finish (None: in memory).
        resume: complete the analysis in ``out``.
        on_start: called as ``on_start(samples to run, samples in total)``.
        options: replications per sample and strategy, seed, where to run, progress.

    Returns:
        A :class:`VoiResult`.

    Raises:
        UsageError: bad parameters, ranges file, objective, strategies or folder.
        SweepStopped: samples whose model failed, or a lost executor; finished samples are
            saved and ``resume`` completes the analysis.
    """
    started = time.perf_counter()
    opts = options or RunOptions()
    if resume and out is None:
        raise UsageError(Problem(None, "--resume", "needs the folder (--out)"))
    names_in = list(strategies) if strategies is not None else _default_strategies(scenario)
    base, names = prepare(scenario, names_in, opts.replications, opts.seed)
    if len(names) < 2:
        raise UsageError(
            Problem(None, "--strategies", "name at least two strategies to choose between")
        )
    target = parse_target(objective, base)
    uncertain, fields = resolve_uncertain(base, params, ranges)
    n = DEFAULT_SAMPLES if samples is None else samples
    if n < 8:
        raise UsageError(Problem(None, "--samples", f"must be at least 8, got {n}"))
    reps, seed = base.scenario.replications, base.scenario.seed
    spec = VoiSpec(tuple(uncertain), n, tuple(names), target, reps, seed)
    values = sample_points(uncertain, fields, n, seed)
    keys = [p.key for p in uncertain]
    points = pd.DataFrame(
        [[i, *(v[k] for k in keys)] for i, v in enumerate(values)], columns=["point", *keys]
    )
    scenarios = [apply_values(base, v, f"sample {i}") for i, v in enumerate(values)]
    store = None
    if out is not None:
        store = SweepStore(Path(out), "voi", "value-of-information analysis")
    chunks: list[str] = []
    done: set[int] = set()
    failed: dict[int, list] = {}
    try:
        if store is not None:
            store.prepare(_manifest(base, spec, "running"), resume)
            done, failed = store.journal()
        todo = [(i, sc) for i, sc in enumerate(scenarios) if i not in done]
        executor = open_executor(opts.jobs, opts.dask, opts.executor)
        with executor if todo else contextlib.nullcontext() as ex:
            if store is not None:
                store.open(_manifest(base, spec, "running"), base, points, names, done)
            if on_start is not None:
                on_start(len(todo), n)
            try:
                for runs in run_points(todo, names, reps, ex, opts.progress) if todo else ():
                    if runs.ok:
                        failed.pop(runs.point, None)
                        rows = _point_rows(runs, names, reps)
                        if store is not None:
                            store.add_point(rows, runs.point)
                        else:
                            chunks.append(rows)
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
                folder = store.folder if store else None
                message = f"the analysis stopped: {type(exc).__name__}: {reason}"
                if store is not None:
                    store.mark_interrupted(len(done))
                raise SweepStopped(message, len(done), n, folder) from exc
        if store is not None:
            text = store.results_text(names)
            store.finish_journal(done, failed)
        else:
            rows = [row for chunk in chunks for row in csv.reader(io.StringIO(chunk))]
            text = rows_csv([list(RESULT_COLUMNS), *sorted_rows(rows, names)])
        if failed:
            point = min(failed)
            strategy, rep, message = failed[point][0]
            raise SweepStopped(
                f"{len(failed)} of {n} samples failed (first: sample {point}, {strategy} "
                f"replication {rep}: {message}); --resume retries them",
                len(done),
                n,
                store.folder if store else None,
            )
        results = pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])
        result = _analyse(base, spec, points, results)
        result.run_seconds = time.perf_counter() - started
        if store is not None:
            write_voi_outputs(store.folder, result, _manifest(base, spec, "complete"))
            result.folder = Path(out) if out is not None else None
        return result
    except KeyboardInterrupt:
        if store is not None:
            store.mark_interrupted(len(done))
        raise
    finally:
        if store is not None:
            store.close()


def _analyse(
    base: Scenario, spec: VoiSpec, points: pd.DataFrame, results: pd.DataFrame
) -> VoiResult:
    target = spec.objective
    rows = results[results["channel"].astype(str) == target.channel]
    table = rows.groupby(["point", "strategy"], sort=False)[target.metric].mean().unstack()
    table = table.reindex(index=points["point"], columns=list(spec.strategies))
    nb = table.to_numpy(dtype=float) * (-1.0 if target.lower_is_better else 1.0)
    keep = np.isfinite(nb).all(axis=1)
    if keep.sum() < 8:
        raise UsageError(
            Problem(
                None,
                "--objective",
                f"{target.name} is undefined at most samples of some "
                "strategy: choose another objective",
            )
        )
    net = pd.DataFrame(nb, columns=list(spec.strategies))
    params = {p.key: points[p.key].to_numpy(dtype=float)[keep] for p in spec.params}
    estimates = value_of_information(
        nb[keep], spec.strategies, params, seed=_bootstrap_seed(spec.seed)
    )
    result = VoiResult(base, spec, points, results, net, estimates)
    if not keep.all():
        result.extra["left_out"] = int((~keep).sum())
    result.message = voi_sentence(result)
    return result


def voi_plan(
    scenario: Scenario,
    params: Iterable[UncertainParam | str] | Mapping[str, Any] | None = None,
    samples: int | None = None,
    ranges: str | Path | None = None,
) -> Plan:
    """The samples a value-of-information analysis simulates (for the run-size check).

    Raises:
        UsageError: the analysis's own problems with its parameters (it reports them too).
    """
    uncertain, fields = resolve_uncertain(scenario, params, ranges)
    n = DEFAULT_SAMPLES if samples is None else max(samples, 1)
    return Plan.from_points(
        "value-of-information analysis",
        sample_points(uncertain, fields, n, scenario.scenario.seed),
    )
