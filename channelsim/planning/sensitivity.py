"""Sensitivity analysis: which assumption moves the answer most?

Two methods, both on common random numbers (the same replications at every parameter value):

* ``tornado``: one parameter at a time, each at its low and its high value with every other key
  at the scenario's value; the change of the metric from the base run is a paired difference
  with a 95% interval. Cheap (``1 + 2 x parameters`` points) and easy to read, but blind to
  interactions.
* ``sobol``: variance-based global sensitivity (Saltelli's scheme through SALib, the
  ``[sensitivity]`` extra): all parameters vary together, uniformly over their ranges;
  ``S1`` is the share of the metric's variance due to a parameter alone, ``ST`` the share it
  takes part in, interactions included, each with a bootstrap 95% interval. A parameter that
  does nothing has both near zero. Costs ``samples x (parameters + 2)`` points.

**Which parameters and ranges**: see :mod:`.ranges`.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from channelsim.analysis.intervals import confidence_intervals
from channelsim.errors import Problem, UsageError
from channelsim.experiments.executors import open_executor
from channelsim.experiments.replications import prepare
from channelsim.experiments.run_size import Plan
from channelsim.outputs.files import SENSITIVITY_CSV
from channelsim.outputs.text import table_csv
from channelsim.planning.options import RunOptions
from channelsim.planning.parameters import ParamSpec, apply_values, check_channel, check_metric
from channelsim.planning.points import run_points
from channelsim.planning.ranges import (
    DEFAULT_KEYS,
    DEFAULT_PARTNER_FIELDS,
    ParamRange,
    default_ranges,
    resolve_ranges,
)
from channelsim.scenario import Scenario, field_spec

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "DEFAULT_KEYS",
    "DEFAULT_PARTNER_FIELDS",
    "METHODS",
    "ParamRange",
    "SensitivityResult",
    "default_ranges",
    "evaluation_count",
    "sensitivity",
    "sensitivity_plan",
]

METHODS: tuple[str, ...] = ("tornado", "sobol")

DEFAULT_SOBOL_SAMPLES = 64


def evaluation_count(method: str, parameters: int, samples: int | None = None) -> int:
    """Points :func:`sensitivity` simulates, each with every replication.

    Args:
        method: ``tornado`` or ``sobol``.
        parameters: the parameters varied.
        samples: Sobol' base samples N (default 64).

    Returns:
        tornado: the base and each parameter at its low and its high end, ``1 + 2 x
        parameters``; sobol: Saltelli's ``N x (parameters + 2)`` (first-order and total
        indices; second-order ones, not computed, would take ``N x (2 x parameters + 2)``).
    """
    if method == "tornado":
        return 1 + 2 * parameters
    n = DEFAULT_SOBOL_SAMPLES if samples is None else samples
    return n * (parameters + 2)


@dataclass
class SensitivityResult:
    """Result of :func:`sensitivity`.

    Attributes:
        method: ``tornado`` or ``sobol``.
        metric: the metric analysed.
        strategy: the strategy simulated.
        channel: the channel of the metric.
        replications: replications per point (the same at every point).
        ranges: the parameters and their ranges.
        table: the tornado table (``param``, ``base_value``, ``low``, ``high``,
            ``metric_base``, ``metric_low``, ``metric_high``, ``delta_low`` and
            ``delta_high`` with their 95% intervals, ``swing``, ``n``; largest swing first) or
            the Sobol' table (``param``, ``low``, ``high``, ``S1``, ``S1_ci_low``,
            ``S1_ci_high``, ``ST``, ``ST_ci_low``, ``ST_ci_high``; largest ST first).
        scenario: the base scenario.
        samples: Sobol' base samples (None for tornado).
        points: points simulated.
        notes: parameters left out and why; warnings about the result.
    """

    method: str
    metric: str
    strategy: str
    channel: str
    replications: int
    ranges: list[ParamRange]
    table: pd.DataFrame
    scenario: Scenario
    samples: int | None = None
    points: int = 0
    notes: list[str] = field(default_factory=list)

    def plot(self) -> Figure:
        """The tornado chart or the Sobol' bar chart."""
        # imported here: matplotlib loads only when the chart is drawn
        from channelsim.outputs.planning_plots import plot_sobol, plot_tornado

        if self.method == "sobol":
            return plot_sobol(self.table, metric=self.metric, strategy=self.strategy)
        currency = self.scenario.scenario.currency
        return plot_tornado(
            self.table, metric=self.metric, strategy=self.strategy, currency=currency
        )

    def save(self, out_dir: str | Path) -> Path:
        """Write ``scenario.resolved.toml``, ``sensitivity.csv``, ``results.xlsx``, the chart.

        Args:
            out_dir: the folder (absent, empty or an output folder; replaced atomically).

        Returns:
            Its path.
        """
        # imported here: matplotlib loads only when the folder is written
        from channelsim.outputs.run_folder import write_folder
        from channelsim.planning.workbooks import sensitivity_sheets

        return write_folder(
            out_dir,
            self.scenario,
            {SENSITIVITY_CSV: table_csv(self.table)},
            {self.method: self.plot()},
            kind="sensitivity",
            sheets=sensitivity_sheets(self),
        )


def _seed_int(seed: int, purpose: str) -> int:
    state = np.random.SeedSequence([seed, zlib.crc32(purpose.encode())]).generate_state(1)
    return int(state[0])


def sensitivity(
    scenario: Scenario,
    *,
    metric: str = "npv",
    strategy: str | None = None,
    method: str = "tornado",
    params: Iterable[ParamSpec | str] | Mapping[str, Any] | None = None,
    spread: float | None = None,
    samples: int | None = None,
    channel: str = "total",
    options: RunOptions | None = None,
) -> SensitivityResult:
    """Which parameter moves ``metric`` most: a tornado or Sobol' indices.

    Args:
        scenario: the base scenario.
        metric: the summary metric analysed.
        strategy: the strategy simulated (default: the scenario's ``scenario.strategy``).
        method: ``tornado`` (one at a time) or ``sobol`` (global, needs SALib).
        params: parameter ranges (``"key=lo:hi"``, ParamSpec or ``{key: (lo, hi)}``);
            default: see the module docstring.
        spread: relative half-width of the default ranges (default 0.2).
        samples: Sobol' base samples N, a power of 2 (default 64); the model runs at
            ``N x (parameters + 2)`` points.
        channel: the channel of the metric (default ``total``).
        options: replications per point (the same at every point), seed, where to run, and
            progress (called as ``progress(runs done, runs in total)``).

    Returns:
        A :class:`SensitivityResult`.

    Raises:
        UsageError: unknown method, metric, channel or strategy; bad parameters; SALib
            missing for ``sobol`` (the message names the extra); a metric that is undefined
            at some points.
    """
    opts = options or RunOptions()
    check_metric(metric)
    if method not in METHODS:
        raise UsageError(
            Problem(
                None,
                "--method",
                f"unknown method {method!r}; expected one of: {', '.join(METHODS)}",
            )
        )
    if method != "sobol" and samples is not None:
        raise UsageError(Problem(None, "--samples", "is for --method sobol"))
    scenario, names = prepare(scenario, strategy, opts.replications, opts.seed)
    name = names[0]
    check_channel(scenario, channel)
    ranges, notes = resolve_ranges(scenario, name, params, spread)
    reps = scenario.scenario.replications
    fields = {r.key: field_spec(scenario, r.key) for r in ranges}
    if method == "tornado":
        values: list[dict[str, Any]] = [{}]
        for r in ranges:
            values += [{r.key: r.low}, {r.key: r.high}]
        sample_rows = None
    else:
        samples = DEFAULT_SOBOL_SAMPLES if samples is None else samples
        if samples < 2 or samples & (samples - 1):
            raise UsageError(
                Problem(
                    None,
                    "--samples",
                    f"Sobol' samples must be a power of 2 (e.g. 32, 64, 128), got {samples}",
                )
            )
        sample_rows, problem = _sobol_sample(ranges, samples, scenario.scenario.seed)
        values = [
            {
                r.key: fields[r.key].convert(float(x))  # type: ignore[union-attr]
                for r, x in zip(ranges, row, strict=True)
            }
            for row in sample_rows
        ]
    points = [
        (i, apply_values(scenario, v, f"point {i}") if v else scenario)
        for i, v in enumerate(values)
    ]
    by_point: dict[int, np.ndarray] = {}
    with open_executor(opts.jobs, opts.dask, opts.executor) as ex:
        for runs in run_points(points, [name], reps, ex, opts.progress):
            if not runs.ok:
                _, rep, message = runs.errors[0]
                shown = ", ".join(f"{k}={v}" for k, v in values[runs.point].items()) or "base"
                raise RuntimeError(f"the model failed at {shown} (replication {rep}): {message}")
            by_point[runs.point] = runs.values(name, metric, reps, channel)
    if method == "tornado":
        table = _tornado_table(ranges, by_point, reps)
    else:
        table, more = _sobol_table(ranges, by_point, problem, metric, scenario.scenario.seed)
        notes += more
    return SensitivityResult(
        method=method,
        metric=metric,
        strategy=name,
        channel=channel,
        replications=reps,
        ranges=ranges,
        table=table,
        scenario=scenario,
        samples=samples if method == "sobol" else None,
        points=len(points),
        notes=notes,
    )


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    mean, _std, low, high, _n = confidence_intervals(a - b)
    return float(mean[0]), float(low[0]), float(high[0])


def _tornado_table(
    ranges: Sequence[ParamRange], by_point: Mapping[int, np.ndarray], reps: int
) -> pd.DataFrame:
    base = by_point[0]
    base_mean = float(np.nanmean(base)) if np.isfinite(base).any() else math.nan
    rows = []
    for i, r in enumerate(ranges):
        lo_vals, hi_vals = by_point[1 + 2 * i], by_point[2 + 2 * i]
        lo_mean = float(np.nanmean(lo_vals)) if np.isfinite(lo_vals).any() else math.nan
        hi_mean = float(np.nanmean(hi_vals)) if np.isfinite(hi_vals).any() else math.nan
        d_lo, d_lo_low, d_lo_high = _paired(lo_vals, base)
        d_hi, d_hi_low, d_hi_high = _paired(hi_vals, base)
        rows.append(
            [
                r.key,
                r.base,
                r.low,
                r.high,
                base_mean,
                lo_mean,
                hi_mean,
                d_lo,
                d_lo_low,
                d_lo_high,
                d_hi,
                d_hi_low,
                d_hi_high,
                abs(hi_mean - lo_mean),
                reps,
            ]
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "param",
            "base_value",
            "low",
            "high",
            "metric_base",
            "metric_low",
            "metric_high",
            "delta_low",
            "delta_low_ci_low",
            "delta_low_ci_high",
            "delta_high",
            "delta_high_ci_low",
            "delta_high_ci_high",
            "swing",
            "n",
        ],
    )
    order = np.argsort(-table["swing"].fillna(-1.0).to_numpy(), kind="stable")
    return table.iloc[order].reset_index(drop=True)


def _salib() -> tuple[Any, Any]:
    try:
        from SALib.analyze import sobol as analyze
    except ImportError:
        raise UsageError(
            Problem(
                None,
                "--method sobol",
                'needs SALib, which is not installed: pip install "channelsim[sensitivity]"',
            )
        ) from None
    try:
        from SALib.sample import sobol as sample
    except ImportError:  # SALib < 1.4.6
        from SALib.sample import saltelli as sample
    return sample, analyze


def _sobol_sample(
    ranges: Sequence[ParamRange], samples: int, seed: int
) -> tuple[np.ndarray, dict[str, Any]]:
    sample, _ = _salib()
    problem = {
        "num_vars": len(ranges),
        "names": [r.key for r in ranges],
        "bounds": [[float(r.low), float(r.high)] for r in ranges],
    }
    rows = sample.sample(
        problem, samples, calc_second_order=False, seed=_seed_int(seed, "sobol-sample")
    )
    return np.asarray(rows, dtype=float), problem


def _sobol_table(
    ranges: Sequence[ParamRange],
    by_point: Mapping[int, np.ndarray],
    problem: dict[str, Any],
    metric: str,
    seed: int,
) -> tuple[pd.DataFrame, list[str]]:
    _, analyze = _salib()
    y = np.array([np.nanmean(by_point[i]) for i in range(len(by_point))], dtype=float)
    notes: list[str] = []
    missing = int((~np.isfinite(y)).sum())
    if missing:
        raise UsageError(
            Problem(
                None,
                "--metric",
                f"{metric} is undefined at {missing} of {len(y)} sample points (e.g. "
                "payback_month when the money never comes back): Sobol' indices need it "
                "everywhere; choose another metric",
            )
        )
    if float(np.var(y)) == 0.0:
        notes.append(f"{metric} does not vary over these ranges: every index is 0")
        s1 = st = s1c = stc = np.zeros(len(ranges))
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            si = analyze.analyze(
                problem,
                y,
                calc_second_order=False,
                conf_level=0.95,
                print_to_console=False,
                seed=_seed_int(seed, "sobol-bootstrap"),
            )
        s1, st = np.asarray(si["S1"]), np.asarray(si["ST"])
        s1c, stc = np.asarray(si["S1_conf"]), np.asarray(si["ST_conf"])
    rows = [
        [
            r.key,
            r.low,
            r.high,
            s1[i],
            s1[i] - s1c[i],
            s1[i] + s1c[i],
            st[i],
            st[i] - stc[i],
            st[i] + stc[i],
        ]
        for i, r in enumerate(ranges)
    ]
    table = pd.DataFrame(
        rows,
        columns=[
            "param",
            "low",
            "high",
            "S1",
            "S1_ci_low",
            "S1_ci_high",
            "ST",
            "ST_ci_low",
            "ST_ci_high",
        ],
    )
    order = np.argsort(-table["ST"].fillna(-1.0).to_numpy(), kind="stable")
    return table.iloc[order].reset_index(drop=True), notes


def sensitivity_plan(
    scenario: Scenario,
    strategy: str,
    method: str = "tornado",
    params: Iterable[Any] | Mapping[str, Any] | None = None,
    spread: float | None = None,
    samples: int | None = None,
) -> Plan:
    """The parameters of a sensitivity analysis and the points it simulates.

    Args:
        scenario: the base scenario.
        strategy: the strategy analysed.
        method: ``tornado`` or ``sobol``.
        params: explicit ranges (``key=lo:hi``), else the scenario's or the default ones.
        spread: relative half-width of default ranges.
        samples: Sobol' base samples N.

    Returns:
        The plan: the box of the ranges; the tornado's points (the base, each parameter at
        its low and its high end), the number of Sobol' points
        (:func:`evaluation_count`).

    Raises:
        UsageError: an unknown method, a sample size that is not a power of 2 or not for
            Sobol', bad ranges (the analysis reports them too).
    """
    if method not in METHODS:
        raise UsageError(Problem(None, "--method", f"unknown method {method!r}"))
    if samples is not None and (method != "sobol" or samples < 2 or samples & (samples - 1)):
        raise UsageError(Problem(None, "--samples", "is a power of 2, for --method sobol"))
    ranges, _ = resolve_ranges(scenario, strategy, params, spread)
    axes = {r.key: [r.low, r.high] for r in ranges}
    points = None
    if method == "tornado":
        points = [{}, *({r.key: v} for r in ranges for v in (r.low, r.high))]
    return Plan(
        "sensitivity analysis", axes, evaluation_count(method, len(ranges), samples), points
    )
