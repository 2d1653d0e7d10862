"""The ``results.xlsx`` sheets of the planners' folders: breakeven, sensitivity, optimize, voi.

Each planner's main tables as they are in its CSV or JSON file, numbers as numbers, with the
number format of the metric they measure (money in the scenario's currency, shares as
percentages; :func:`channelsim.outputs.xlsx.number_format` reads the unit from the metric
catalogue), then ``assumptions``. A sweep's sheets are :func:`channelsim.outputs.xlsx.
sweep_sheets` (tables only). The workbook is written by
:func:`channelsim.outputs.xlsx.write_workbook`, inside the folder before its manifest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from channelsim.outputs.xlsx import Sheet, metric_formats, number_format, planner_sheets

if TYPE_CHECKING:
    from channelsim.planning.breakeven import BreakevenResult
    from channelsim.planning.optimize import OptimizeResult
    from channelsim.planning.sensitivity import SensitivityResult
    from channelsim.planning.voi import VoiResult

__all__ = ["breakeven_sheets", "optimum_sheets", "sensitivity_sheets", "voi_sheets"]

_PERCENT = "0.0%"
_INDEX = "0.000"


def breakeven_sheets(result: BreakevenResult) -> list[Sheet]:
    """``breakeven`` (the answer, one row), ``evaluations`` (the curve) and ``assumptions``."""
    currency = result.scenario.scenario.currency
    doc = result.to_dict()
    answer = pd.DataFrame([{k: v for k, v in doc.items() if k not in ("evaluations", "method")}])
    curve = metric_formats(["mean", "std", "ci_low", "ci_high"], result.metric, currency)
    return planner_sheets(
        result.scenario,
        [Sheet("breakeven", answer), Sheet("evaluations", result.evaluations, curve)],
    )


def sensitivity_sheets(result: SensitivityResult) -> list[Sheet]:
    """``tornado`` or ``sobol`` (``sensitivity.csv``) and ``assumptions``."""
    table = result.table
    if result.method == "sobol":
        formats = {c: _INDEX for c in table.columns if c.startswith(("S1", "ST"))}
    else:
        money = [c for c in table.columns if c.startswith(("metric_", "delta_")) or c == "swing"]
        formats = metric_formats(money, result.metric, result.scenario.scenario.currency)
    return planner_sheets(result.scenario, [Sheet(result.method, table, formats)])


def optimum_sheets(result: OptimizeResult) -> list[Sheet]:
    """``optimum`` (chosen, base, gain), ``evaluations``, ``constraints`` and ``assumptions``."""
    spec = result.spec
    currency = result.scenario.scenario.currency
    keys = [v.key for v in spec.variables]
    objective = (
        _PERCENT if spec.risk.kind == "p_loss" else number_format(spec.objective.metric, currency)
    )
    rows = [
        ["chosen", *(result.values.get(k) for k in keys), *result.objective],
        ["base", *(result.base_values.get(k) for k in keys), *result.base_objective],
        ["gain over the base", *(None for _ in keys), *result.gain],
    ]
    columns = ["row", *keys, "objective", "ci_low", "ci_high"]
    optimum = pd.DataFrame(rows, columns=columns)
    stats = {c: objective for c in ("objective", "ci_low", "ci_high", "best_so_far")}
    formats = {**stats, "metric_mean": number_format(spec.objective.metric, currency)}
    for c in spec.constraints:
        formats[c.target.name] = number_format(c.target.metric, currency)
    sheets = [
        Sheet("optimum", optimum, stats),
        Sheet("evaluations", result.evaluations, formats),
    ]
    if result.constraints:
        sheets.append(Sheet("constraints", pd.DataFrame(result.constraints)))
    return planner_sheets(result.scenario, sheets)


def voi_sheets(result: VoiResult) -> list[Sheet]:
    """``evppi`` (per input), ``strategies`` (chance best, expected loss), ``assumptions``."""
    currency = result.scenario.scenario.currency
    metric = result.spec.objective.metric
    value = metric_formats(["evppi", "ci_low", "ci_high"], metric, currency)
    money = metric_formats(
        ["mean_net_benefit", "expected_loss", "loss_ci_low", "loss_ci_high"], metric, currency
    )
    chance = {c: _PERCENT for c in ("prob_best", "ci_low", "ci_high")}
    return planner_sheets(
        result.scenario,
        [
            Sheet("evppi", result.params_table, value),
            Sheet("strategies", result.strategies_table, {**money, **chance}),
        ],
    )
