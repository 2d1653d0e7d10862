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

**Which parameters and ranges.** ``--param key=lo:hi`` (repeatable) names them. Without it, the
scenario's ``[sensitivity]`` table is used once the schema has it; otherwise
:data:`DEFAULT_KEYS` (and, for every partner program, :data:`DEFAULT_PARTNER_FIELDS`): each at
its value +-``spread`` (default 20%), clipped to the key's allowed range; whole-number keys move
by at least one. Keys the strategy does not use are left out (partner keys under ``direct``,
sales-team keys under ``indirect``), and so are keys whose value is 0 (+-20% of 0 is no range)
and keys the strategy itself overrides; the result's ``notes`` say which.
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

from channelsim.breakeven_search import channel_names, write_folder
from channelsim.errors import Problem, UsageError
from channelsim.executors import Executor
from channelsim.experiment import Progress, prepare
from channelsim.metrics import confidence_intervals
from channelsim.parameter_sweep import open_executor, run_points, table_csv
from channelsim.params import (
    FieldSpec,
    ParamSpec,
    apply_values,
    as_param_specs,
    check_metric,
    check_param,
    field_spec,
    strategy_overrides,
    value_of,
)
from channelsim.scenario import Scenario

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
]

METHODS: tuple[str, ...] = ("tornado", "sobol")

DEFAULT_KEYS: tuple[str, ...] = (
    "demand.leads_per_month",
    "demand.growth_rate",
    "product.price",
    "product.unit_cost",
    "direct.win_rate",
    "direct.salary_annual",
    "direct.commission_rate",
    "direct.attrition_annual",
    "direct.deals_per_rep",
    "direct.hiring.max_hires_per_month",
)
"""The scenario's key numeric assumptions, varied when no parameter is named."""

DEFAULT_PARTNER_FIELDS: tuple[str, ...] = (
    "commission_rate",
    "discount",
    "activation_rate",
    "win_rate",
    "recruit_per_month",
    "churn_annual",
    "sourced_leads_per_month",
)
"""Keys of every partner program (``partners.<name>.<key>``) varied by default."""

DEFAULT_SPREAD = 0.2
DEFAULT_SOBOL_SAMPLES = 64
SENSITIVITY_CSV = "sensitivity.csv"


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


@dataclass(frozen=True)
class ParamRange:
    """A parameter's range in a sensitivity analysis.

    Attributes:
        key: the dotted key.
        low: its low value.
        high: its high value.
        base: its value in the scenario.
    """

    key: str
    low: float
    high: float
    base: float


def _around(base: float, fs: FieldSpec, spread: float) -> tuple[float, float]:
    """``base`` +- ``spread``, clipped to the key's bounds (whole numbers move by at least 1)."""
    low, high = sorted((base * (1 - spread), base * (1 + spread)))
    if fs.kind == "integer":
        low = min(math.floor(low + 0.5), base - 1)
        high = max(math.floor(high + 0.5), base + 1)
    low, high = fs.clip(low), fs.clip(high)
    return fs.convert(low), fs.convert(high)


def default_ranges(
    scenario: Scenario, strategy: str, spread: float = DEFAULT_SPREAD
) -> tuple[list[ParamRange], list[str]]:
    """The default parameters and ranges for a strategy (see the module docstring).

    Args:
        scenario: the scenario.
        strategy: the strategy analysed.
        spread: relative half-width of each range (0.2: +-20%).

    Returns:
        The ranges, and notes on the keys left out.
    """
    mode, _ = scenario.resolve_strategy(strategy)
    overridden = strategy_overrides(scenario, strategy)
    keys = [k for k in DEFAULT_KEYS if not (mode == "indirect" and k.startswith("direct."))]
    if mode != "direct":
        keys += [
            f"partners.{p.name}.{f}" for p in scenario.partners for f in DEFAULT_PARTNER_FIELDS
        ]
    ranges: list[ParamRange] = []
    notes: list[str] = []
    zero: list[str] = []
    for key in keys:
        fs = field_spec(scenario, key)
        base = value_of(scenario, key)
        if fs is None or not fs.numeric or not isinstance(base, int | float):
            continue
        if key in overridden:
            notes.append(f"{key} left out: strategy {strategy} sets it")
            continue
        if base == 0 and fs.kind != "integer":
            zero.append(key)
            continue
        low, high = _around(float(base), fs, spread)
        if low == high:
            notes.append(f"{key} left out: no room around {base:.6g} within its allowed range")
            continue
        ranges.append(ParamRange(key, low, high, base))
    if zero:
        notes.append(
            "left out because their value is 0 (give a range with --param key=lo:hi): "
            + ", ".join(zero)
        )
    return ranges, notes


def _scenario_ranges(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Ranges from the scenario's ``[sensitivity]`` table, when the schema has one."""
    table = getattr(scenario, "sensitivity", None)
    ranges = getattr(table, "ranges", None) or {}
    return {str(k): (float(v[0]), float(v[1])) for k, v in dict(ranges).items()}


def _scenario_spread(scenario: Scenario) -> float | None:
    table = getattr(scenario, "sensitivity", None)
    spread = getattr(table, "default_spread", None)
    return float(spread) if spread is not None else None


def resolve_ranges(
    scenario: Scenario,
    strategy: str,
    params: Iterable[ParamSpec | str] | Mapping[str, Any] | None,
    spread: float | None,
) -> tuple[list[ParamRange], list[str]]:
    """The parameters of an analysis: ``params``, else ``[sensitivity]``, else the defaults.

    Args:
        scenario: the scenario.
        strategy: the strategy analysed.
        params: ``key=lo:hi`` strings, ParamSpec ranges or ``{key: (lo, hi)}``.
        spread: relative half-width of default ranges (None: the scenario's, else 20%).

    Returns:
        The ranges and notes.

    Raises:
        UsageError: a parameter that is not a ``lo:hi`` range, names no numeric key, or whose
            range the schema refuses; a bad spread; no parameter left.
    """
    explicit: list[ParamSpec] = []
    if params:
        explicit = as_param_specs(params)
    else:
        explicit = [
            ParamSpec(k, low=lo, high=hi) for k, (lo, hi) in _scenario_ranges(scenario).items()
        ]
    if explicit:
        ranges = []
        for spec in explicit:
            if not spec.is_range or spec.n is not None:
                raise UsageError(
                    Problem(
                        None,
                        f"--param {spec.key}",
                        "give a range low:high, e.g. --param demand.leads_per_month=200:400",
                    )
                )
            fs = check_param(scenario, spec)
            assert spec.low is not None and spec.high is not None
            low, high = fs.convert(spec.low), fs.convert(spec.high)
            if not low < high:
                raise UsageError(
                    Problem(None, f"--param {spec.key}", "the range holds a single whole number")
                )
            for v in (low, high):
                apply_values(scenario, {spec.key: v})
            base = value_of(scenario, spec.key)
            base = float(base) if isinstance(base, int | float) else math.nan
            ranges.append(ParamRange(spec.key, low, high, base))
        return ranges, []
    if spread is None:
        spread = _scenario_spread(scenario) or DEFAULT_SPREAD
    if not 0 < spread < 1:
        raise UsageError(Problem(None, "--spread", f"must be between 0 and 1, got {spread:g}"))
    ranges, notes = default_ranges(scenario, strategy, spread)
    if not ranges:
        raise UsageError(
            Problem(None, "--param", "no default parameter applies: name some with --param")
        )
    return ranges, notes


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
        from channelsim.planning_plots import plot_sobol, plot_tornado

        if self.method == "sobol":
            return plot_sobol(self.table, metric=self.metric, strategy=self.strategy)
        return plot_tornado(self.table, metric=self.metric, strategy=self.strategy)

    def save(self, out_dir: str | Path) -> Path:
        """Write ``scenario.resolved.toml``, ``sensitivity.csv`` and ``plots/<method>.png``.

        Args:
            out_dir: the folder (absent, empty or an output folder; replaced atomically).

        Returns:
            Its path.
        """
        return write_folder(
            out_dir,
            self.scenario,
            {SENSITIVITY_CSV: table_csv(self.table)},
            {self.method: self.plot()},
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
    replications: int | None = None,
    seed: int | None = None,
    channel: str = "total",
    jobs: int | None = 1,
    dask: str | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
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
        replications: replications per point (default: scenario.replications).
        seed: overrides ``scenario.seed``.
        channel: the channel of the metric (default ``total``).
        jobs: worker processes (1: this process; None: all cores).
        dask: ``"local"`` or a Dask scheduler address.
        executor: an executor to use instead.
        progress: called as ``progress(runs done, runs in total)``.

    Returns:
        A :class:`SensitivityResult`.

    Raises:
        UsageError: unknown method, metric, channel or strategy; bad parameters; SALib
            missing for ``sobol`` (the message names the extra); a metric that is undefined
            at some points.
    """
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
    scenario, names = prepare(scenario, strategy, replications, seed)
    name = names[0]
    if channel not in channel_names(scenario):
        raise UsageError(
            Problem(
                None,
                "--channel",
                f"unknown channel {channel!r}; this scenario has: "
                f"{', '.join(channel_names(scenario))}",
            )
        )
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
    with open_executor(jobs, dask, executor) as ex:
        for runs in run_points(points, [name], reps, ex, progress):
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
