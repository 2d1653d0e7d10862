"""What an optimisation says and writes: its table, its sentence and its folder's files.

The sentence reads as advice: the chosen values in words ("send 46% of company leads to the
team"), then the paired gain over the base on fresh replications with its 95% interval ("+1.20M
NPV over the base, 95% CI +0.90M to +1.50M"), then any constraint not met. Numbers are
formatted by :mod:`channelsim.metrics.formatting`; files are written by
:mod:`channelsim.outputs.files`.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import platform
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from channelsim import __version__
from channelsim.analysis.risk import Risk, risk_interval
from channelsim.metrics.catalogue import metric as catalogue_entry
from channelsim.metrics.formatting import format_number, money_words
from channelsim.outputs.files import (
    EVALUATIONS_CSV,
    OPTIMUM_JSON,
    PLOTS_DIR,
    RESOLVED_SCENARIO,
    RUN_JSON,
    atomic_write,
    fsync_dir,
    write_manifest,
)
from channelsim.outputs.text import table_csv

if TYPE_CHECKING:
    from channelsim.planning.optimize import OptimizeResult, Spec
    from channelsim.planning.search import Evaluation

__all__ = [
    "describe_values",
    "evaluations_frame",
    "format_amount",
    "optimum_sentence",
    "write_optimum_outputs",
]


def _program(key: str) -> str:
    return key.split(".")[1]


_PHRASES: dict[str, Callable[[str, Any], str]] = {
    "routing.direct_share": lambda k, v: f"send {100 * v:.0f}% of company leads to the team",
    "routing.overflow_queue": lambda k, v: f"send leads to partners when more than {v} wait",
    "direct.initial_reps": lambda k, v: f"start with {v} reps",
    "direct.max_reps": lambda k, v: f"cap the team at {v} reps",
    "direct.hiring.max_hires_per_month": lambda k, v: f"hire at most {v} reps a month",
    "partners.*.max_partners": lambda k, v: f"allow up to {v} partners in {_program(k)}",
    "partners.*.initial": lambda k, v: f"start {_program(k)} with {v} partners",
    "partners.*.recruit_per_month": lambda k, v: (
        f"recruit {v:g} partners a month into {_program(k)}"
    ),
}


def describe_values(values: Mapping[str, Any]) -> str:
    """The chosen values as advice: known keys in words, others as ``key = value``."""
    parts = []
    for key, value in values.items():
        parts_of = key.split(".")
        pattern = key if key in _PHRASES else ""
        if len(parts_of) == 3 and parts_of[0] == "partners":
            pattern = f"partners.*.{parts_of[2]}"
        phrase = _PHRASES.get(pattern)
        if phrase is not None and isinstance(value, int | float):
            parts.append(phrase(key, value))
        else:
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            parts.append(f"set {key} = {shown}")
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def format_amount(metric: str, value: float, risk: Risk | None = None, signed: bool = False) -> str:
    """A value of a measure of ``metric`` for a sentence (money compact, shares as %)."""
    if not math.isfinite(value):
        return "?"
    if risk is not None and risk.kind == "p_loss":
        text = f"{100 * abs(value):.1f}" + ("%" if not signed else " points")
    elif catalogue_entry(metric).currency:
        text = money_words(abs(value))
    else:
        text = format_number(metric, abs(value))
    sign = ("+" if value >= 0 else "-") if signed else ("-" if value < 0 else "")
    return sign + text


def _measure_words(spec: Spec) -> str:
    name = catalogue_entry(spec.objective.metric).short_label
    if spec.objective.channel != "total":
        name += f" ({spec.objective.channel})"
    if spec.risk.kind == "cvar":
        return f"CVaR {100 * (spec.risk.alpha or 0):g}% of {name}"
    if spec.risk.kind == "p_loss":
        return f"chance of a loss ({name} < 0)"
    return name


def optimum_sentence(result: OptimizeResult) -> str:
    """The answer in one sentence (see the module docstring)."""
    spec = result.spec
    metric, risk = spec.objective.metric, spec.risk
    gain, low, high = result.gain
    words = _measure_words(spec)
    advice = describe_values(result.values)
    if result.values == result.base_values:
        text = f"keep the base ({advice}): no candidate did better on the search's replications"
    elif risk.kind == "p_loss":
        value = result.objective[0]
        text = (
            f"{advice}: {words} {format_amount(metric, value, risk)} against "
            f"{format_amount(metric, result.base_objective[0], risk)} for the base, a change "
            f"of {format_amount(metric, gain, risk, True)} (95% CI "
            f"{format_amount(metric, low, risk, True)} to "
            f"{format_amount(metric, high, risk, True)})"
        )
    else:
        text = (
            f"{advice}: {format_amount(metric, gain, risk, True)} {words} over the base, 95% CI "
            f"{format_amount(metric, low, risk, True)} to {format_amount(metric, high, risk, True)}"
        )
        higher = risk.higher_is_better(spec.objective.lower_is_better)
        if math.isfinite(low) and (low <= 0 <= high):
            text += " (not told apart from the base on these replications)"
        elif math.isfinite(low) and ((high < 0) if higher else (low > 0)):
            text += " (worse than the base on fresh replications)"
    unmet = [c["constraint"] for c in result.constraints if not c["met"]]
    if not result.feasible:
        text += "; no candidate met every constraint: this is the least violating one"
    elif unmet:
        text += f"; on fresh replications {', '.join(unmet)} is not met"
    return text


def evaluations_frame(
    log: Sequence[Evaluation],
    spec: Spec,
    score: Callable[[Evaluation], float],
    means: Callable[[Evaluation], np.ndarray],
    energy: Callable[[Evaluation], float],
) -> pd.DataFrame:
    """One row per evaluation: the values, the objective with its 95% interval, constraints.

    Columns: ``evaluation``, ``stage`` (``search`` or ``confirm``), ``generation``, one per
    variable, ``objective``, ``ci_low``, ``ci_high`` (of the risk measure over the
    evaluation's replications), ``metric_mean``, one column per constraint (the mean of its
    metric), ``feasible`` and ``best_so_far`` (the best feasible objective of the search up to
    that row).
    """
    keys = [v.key for v in spec.variables]
    target, risk = spec.objective, spec.risk
    rows = []
    best = math.inf
    best_value = math.nan
    for e in log:
        x = e.runs[target.name]
        value, low, high = risk_interval(x, risk, target.lower_is_better, seed=e.index)
        finite = x[np.isfinite(x)]
        constrained = means(e)
        feasible = all(c.met(m) for c, m in zip(spec.constraints, constrained, strict=True))
        by_target = dict(zip((c.target.name for c in spec.constraints), constrained, strict=True))
        if e.stage == "search" and feasible and energy(e) < best:
            best, best_value = energy(e), score(e)
        rows.append(
            [
                e.index,
                e.stage,
                e.generation,
                *(e.values[k] for k in keys),
                value,
                low,
                high,
                float(finite.mean()) if finite.size else math.nan,
                *(float(m) if math.isfinite(m) else math.nan for m in by_target.values()),
                feasible,
                best_value if e.stage == "search" else math.nan,
            ]
        )
    columns = ["evaluation", "stage", "generation", *keys, "objective", "ci_low", "ci_high"]
    constrained_names = list(dict.fromkeys(c.target.name for c in spec.constraints))
    columns += ["metric_mean", *constrained_names, "feasible", "best_so_far"]
    frame = pd.DataFrame(rows, columns=columns)
    for v in spec.variables:
        frame[v.key] = frame[v.key].astype(int if v.integer else float)
    return frame


def write_optimum_outputs(folder: Path, result: OptimizeResult, manifest: dict[str, Any]) -> None:
    """The scenario, evaluations.csv, optimum.json, results.xlsx, plots, manifest, run.json."""
    # imported here: matplotlib (and openpyxl) load only when an optimisation's folder is written
    from channelsim.outputs.figures import save_figure
    from channelsim.outputs.xlsx import RESULTS_XLSX, write_workbook
    from channelsim.planning.workbooks import optimum_sheets

    atomic_write(folder / RESOLVED_SCENARIO, result.scenario.to_toml(), durable=True)
    atomic_write(folder / EVALUATIONS_CSV, table_csv(result.evaluations), durable=True)
    text = json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n"
    atomic_write(folder / OPTIMUM_JSON, text, durable=True)
    write_workbook(folder / RESULTS_XLSX, optimum_sheets(result))
    for stem, fig in result.plots():
        save_figure(fig, folder / PLOTS_DIR / f"{stem}.png")
    run = {
        "note": "not reproducible: the only file of the folder that changes between identical runs",
        "written_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "run_seconds": round(result.run_seconds, 3),
        "channelsim_version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    atomic_write(folder / RUN_JSON, json.dumps(run, indent=2) + "\n", durable=True)
    write_manifest(folder, "optimize", manifest, durable=True)  # last: it lists every file
    fsync_dir(folder)
