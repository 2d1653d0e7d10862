"""What would change the answer: the key inputs that move the recommendation's lead most.

After ``compare`` recommends a strategy, the question a reader asks next is *how sure is that,
if my numbers are off?* This module answers it cheaply, one input at a time:

* **Which inputs.** The tornado's default keys (:mod:`.ranges`) that matter to the
  recommended strategy or to the runner-up (a team key only when one of them has a team, a
  program's keys only when one has partners), never a key a named strategy sets itself and
  never one whose value is 0; at most :data:`MAX_KEYS` of them, taken in
  :data:`PRIORITY` order (demand, win rates, what a sale costs, what it earns, how fast the
  channels grow), each at +-:data:`SPREAD` of its value.
* **What is measured.** The lead of the recommended strategy over the runner-up, in the
  decision's objective, at the input's low and high value, on the first :data:`REPLICATIONS`
  replications of the comparison (the same seeds: common random numbers), so each lead is a
  paired difference and the base lead is the comparison's own replications. The **swing** is
  how far the lead moves between the two ends.
* **Break-even.** For the input that moves the lead most, the value at which the lead would
  be zero, by linear interpolation between the simulated values (or extrapolation from them,
  stated as such) when it lies within half to twice the input's value and inside its allowed
  range; otherwise none is stated.

It costs up to ``keys x 2 values x 2 strategies x replications`` runs (32 with the defaults,
40% of a comparison of four strategies at 20 replications), fewer when one of the two does not
use an input: ``direct`` runs no partner program and ``indirect`` no sales team, so their
comparison runs stand for a rerun there (24 runs for the SaaS scenario's hybrid against direct,
whose four inputs include two partner keys). ``compare --no-swing`` skips it. Two
replications are few: the swing ranks the inputs and says where the answer could turn, it does
not replace ``channelsim sensitivity`` and ``channelsim breakeven``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from channelsim.analysis.intervals import confidence_intervals
from channelsim.experiments.executors import open_executor
from channelsim.planning.options import RunOptions
from channelsim.planning.parameters import apply_values, strategy_overrides
from channelsim.planning.points import run_points
from channelsim.planning.ranges import ParamRange, default_ranges, strategy_uses
from channelsim.scenario import Scenario, field_spec

__all__ = [
    "MAX_KEYS",
    "PRIORITY",
    "REPLICATIONS",
    "SPREAD",
    "SWING_COLUMNS",
    "Swing",
    "breakeven_value",
    "swing_keys",
    "what_would_change",
]

MAX_KEYS = 4
"""Inputs varied (the few that matter most a priori, see :data:`PRIORITY`)."""

REPLICATIONS = 2
"""Replications at each end of each input (the comparison's first ones: paired)."""

SPREAD = 0.2
"""Relative half-width of each input's range (0.2: from 80% to 120% of its value)."""

PRIORITY: tuple[str, ...] = (
    "demand.leads_per_month",
    "direct.win_rate",
    "partners.*.win_rate",
    "partners.*.discount",
    "partners.*.commission_rate",
    "direct.salary_annual",
    "product.price",
    "product.subscription.fee_per_month",
    "product.subscription.churn",
    "partners.*.recruit_per_month",
    "direct.hiring.max_hires_per_month",
    "partners.*.activation_rate",
    "demand.growth_rate",
    "direct.attrition_annual",
    "partners.*.sourced_leads_per_month",
    "product.unit_cost",
    "direct.commission_rate",
    "direct.deals_per_rep",
    "partners.*.churn_annual",
)
"""Order in which inputs are taken (``*``: every partner program, in file order)."""

SWING_COLUMNS: tuple[str, ...] = (
    "param",
    "base_value",
    "low",
    "high",
    "objective",
    "best",
    "runner_up",
    "lead_base",
    "lead_low",
    "lead_low_ci_low",
    "lead_low_ci_high",
    "lead_high",
    "lead_high_ci_low",
    "lead_high_ci_high",
    "swing",
    "n",
    "breakeven",
    "breakeven_extrapolated",
)
"""Columns of ``swing.csv``, one row per input, the largest swing first; ``breakeven`` (where
the lead would be zero) only on the first row, when :func:`breakeven_value` finds one."""


@dataclass(frozen=True)
class Swing:
    """The break-even of the input that moves the lead most.

    Attributes:
        param: the input.
        value: where the lead would be zero.
        extrapolated: True when the value lies outside the simulated range.
    """

    param: str
    value: float
    extrapolated: bool


def _priority(key: str) -> int:
    parts = key.split(".")
    generic = ".".join(["partners", "*", *parts[2:]]) if parts[0] == "partners" else key
    try:
        return PRIORITY.index(generic)
    except ValueError:
        return len(PRIORITY)


def swing_keys(
    scenario: Scenario, best: str, runner_up: str, limit: int = MAX_KEYS
) -> list[ParamRange]:
    """The inputs to vary for ``best`` against ``runner_up`` (see the module docstring)."""
    seen: dict[str, ParamRange] = {}
    for strategy in (best, runner_up):
        ranges, _notes = default_ranges(scenario, strategy, SPREAD)
        for r in ranges:
            seen.setdefault(r.key, r)
    # a key either strategy sets itself is not the scenario's to vary
    for strategy in (best, runner_up):
        for key in strategy_overrides(scenario, strategy):
            seen.pop(key, None)
    ordered = sorted(seen.values(), key=lambda r: (_priority(r.key), r.key))
    return [r for r in ordered if _priority(r.key) < len(PRIORITY)][:limit]


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    mean, _std, low, high, _n = confidence_intervals(np.asarray(a - b, dtype=float))
    return float(mean[0]), float(low[0]), float(high[0])


def what_would_change(
    scenario: Scenario,
    best: str,
    runner_up: str,
    objective: str,
    base_lead: np.ndarray,
    *,
    keys: Sequence[ParamRange] | None = None,
    replications: int = REPLICATIONS,
    options: RunOptions | None = None,
    base_values: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The lead of ``best`` over ``runner_up`` at each key input's low and high value.

    Args:
        scenario: the compared scenario (replications and seed as compared).
        best: the recommended strategy.
        runner_up: the next one.
        objective: the decision's objective (a summary metric of channel ``total``).
        base_lead: the comparison's per-replication lead (``best - runner_up``), its first
            ``replications`` values are the base of the swings.
        keys: the inputs (default: :func:`swing_keys`).
        replications: replications at each end.
        options: where to run and progress (``replications`` and ``seed`` are ignored: the
            comparison's are used).
        base_values: the comparison's per-replication objective of ``best`` and of
            ``runner_up``. Where given, a strategy is not rerun for an input it does not use
            (a partner key under ``direct``, a sales-team key under ``indirect``:
            :func:`~channelsim.planning.ranges.strategy_uses`): its runs there are these,
            the same numbers a rerun would give on common random numbers.

    Returns:
        A table of :data:`SWING_COLUMNS`, the largest swing first (empty without inputs).
    """
    opts = options or RunOptions()
    ranges = list(keys) if keys is not None else swing_keys(scenario, best, runner_up)
    reps = max(1, min(replications, scenario.scenario.replications, len(base_lead)))
    base = np.asarray(base_lead[:reps], dtype=float)
    if not ranges:
        return pd.DataFrame(columns=list(SWING_COLUMNS))
    values = []
    for r in ranges:
        values += [{r.key: r.low}, {r.key: r.high}]
    points = [
        (i, apply_values(scenario, v, f"{best} vs {runner_up}")) for i, v in enumerate(values)
    ]
    known = {s: np.asarray(v, dtype=float)[:reps] for s, v in (base_values or {}).items()}
    modes = {s: scenario.resolve_strategy(s)[0] for s in (best, runner_up)}
    only = {  # each input's runs: both strategies, but one that does not read the input
        i: [s for s in (best, runner_up) if s not in known or strategy_uses(modes[s], key)]
        for i, key in enumerate(r.key for r in ranges for _end in (r.low, r.high))
    }
    leads: dict[int, np.ndarray] = {}
    with open_executor(opts.jobs, opts.dask, opts.executor) as ex:
        for runs in run_points(points, [best, runner_up], reps, ex, opts.progress, only=only):
            if not runs.ok:
                _, rep, message = runs.errors[0]
                raise RuntimeError(f"the model failed ({values[runs.point]}, rep {rep}): {message}")
            ran = only[runs.point]
            a = runs.values(best, objective, reps) if best in ran else known[best]
            b = runs.values(runner_up, objective, reps) if runner_up in ran else known[runner_up]
            leads[runs.point] = a - b
    rows = []
    base_mean = float(np.nanmean(base)) if np.isfinite(base).any() else math.nan
    for i, r in enumerate(ranges):
        lo, lo_low, lo_high = _paired(leads[2 * i], np.zeros(reps))
        hi, hi_low, hi_high = _paired(leads[2 * i + 1], np.zeros(reps))
        rows.append(
            [
                r.key,
                r.base,
                r.low,
                r.high,
                objective,
                best,
                runner_up,
                base_mean,
                lo,
                lo_low,
                lo_high,
                hi,
                hi_low,
                hi_high,
                abs(hi - lo),
                reps,
                math.nan,
                math.nan,
            ]
        )
    table = pd.DataFrame(rows, columns=list(SWING_COLUMNS))
    order = np.argsort(-table["swing"].fillna(-1.0).to_numpy(), kind="stable")
    table = table.iloc[order].reset_index(drop=True)
    found = breakeven_value(table.iloc[0], scenario)
    if found is not None:
        table.loc[0, "breakeven"] = found.value
        table.loc[0, "breakeven_extrapolated"] = float(found.extrapolated)
    return table


def breakeven_value(row: pd.Series, scenario: Scenario | None = None) -> Swing | None:
    """Where the lead of one ``swing.csv`` row would be zero (see the module docstring).

    Args:
        row: a row of the swing table.
        scenario: to keep the value inside the input's allowed range (None: no check).

    Returns:
        The break-even, or None when the lead does not cross zero within half to twice the
        input's value (or the allowed range).
    """
    xs = np.array([row["low"], row["base_value"], row["high"]], dtype=float)
    ys = np.array([row["lead_low"], row["lead_base"], row["lead_high"]], dtype=float)
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))) or xs[2] == xs[0]:
        return None
    for j in range(2):  # a sign change between two simulated values
        if ys[j] == 0:
            return Swing(str(row["param"]), float(xs[j]), False)
        if ys[j] * ys[j + 1] < 0:
            x = xs[j] - ys[j] * (xs[j + 1] - xs[j]) / (ys[j + 1] - ys[j])
            return Swing(str(row["param"]), float(x), False)
    slope = (ys[2] - ys[0]) / (xs[2] - xs[0])
    if slope == 0:
        return None
    x = float(xs[1] - ys[1] / slope)
    base = float(xs[1])
    if not (min(base / 2, base * 2) <= x <= max(base / 2, base * 2)):
        return None
    if scenario is not None:
        fs = field_spec(scenario, str(row["param"]))
        if fs is not None:
            low = fs.ge if fs.ge is not None else fs.gt
            high = fs.le if fs.le is not None else fs.lt
            if (low is not None and x < low) or (high is not None and x > high):
                return None
    return Swing(str(row["param"]), x, True)
