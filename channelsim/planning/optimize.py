"""Optimise the mix: the values of a few scenario keys that maximise a risk measure of a metric.

"What share of leads should the team take, how many reps and how many partners?" Decision
variables are numeric keys in a box (``routing.direct_share=0:1``, ``direct.max_reps=5:40``:
whole-number keys stay whole); the objective is a risk measure (:mod:`channelsim.analysis.risk`:
``mean``, ``cvar:ALPHA``, ``p_loss``) of a catalogue metric (``npv`` on channel ``total`` by
default, ``METRIC@CHANNEL`` otherwise) over the **same** replications at every candidate
(sample-average approximation with common random numbers); constraints bound the mean of a
metric (``lost_lead_share@direct<=0.1``). The search is scipy's differential evolution
(:mod:`.search`, which says why).

**No optimiser's curse.** The best of many noisy candidates looks better on the replications
that chose it than it is. So the chosen values and the base scenario are simulated again on
fresh replications (another seed stream, derived from the scenario seed: :func:`confirm_seed`),
paired with each other, and every reported number (the objective and its 95% interval, the
gain over the base and its interval, each constraint's mean and interval) comes from those.

Outputs (:meth:`OptimizeResult.save`, or the folder written as the search goes): ``optimum.json``,
``evaluations.csv`` (one row per candidate), ``evaluations.jsonl`` (the crash-safe journal,
:mod:`.journal`), ``manifest.json``, ``scenario.resolved.toml``, ``run.json`` and ``plots/``
(convergence; the objective against one variable with its band, or a heatmap of two; each
constraint's feasible frontier).
"""

from __future__ import annotations

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
from channelsim.analysis.risk import Risk, paired_gain, risk_interval, risk_value
from channelsim.errors import Problem, UsageError
from channelsim.experiments.executors import open_executor
from channelsim.experiments.replications import prepare
from channelsim.experiments.run_size import Plan
from channelsim.outputs.files import EVALUATIONS_JOURNAL, atomic_write, replace_folder
from channelsim.planning.decision_outputs import (
    evaluations_frame,
    optimum_sentence,
    write_optimum_outputs,
)
from channelsim.planning.journal import EvaluationJournal
from channelsim.planning.objectives import (
    Constraint,
    parse_constraint,
    parse_risk,
    parse_target,
)
from channelsim.planning.options import RunOptions
from channelsim.planning.parameters import ParamSpec
from channelsim.planning.search import Evaluation, Evaluator, differential_evolution_search
from channelsim.planning.sweep import scenario_sha256
from channelsim.planning.variables import Spec, Variable, decision_variables, search_budget
from channelsim.scenario import Scenario, value_of

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "FORMAT",
    "OptimizeResult",
    "Variable",
    "confirm_seed",
    "optimize",
    "optimize_plan",
    "search_budget",
]

FORMAT = "channelsim-optimize/1"
"""The optimisation folder's format, recorded in its manifest and checked on ``--resume``."""

METHOD = (
    "scipy.optimize.differential_evolution (best1bin, Latin hypercube start, integrality for "
    "whole-number keys, constraints by feasibility rules) on the sample-average objective over "
    "common-random-number replications; the chosen values and the base re-evaluated on fresh, "
    "paired replications (another seed stream), which give every reported number"
)

_SPEC_OPTIONS = {
    "variables": "--var",
    "strategy": "--strategy",
    "objective": "--objective",
    "risk": "--risk",
    "constraints": "--constraint",
    "evaluations": "--evaluations",
    "replications": "--reps",
    "seed": "--seed",
}


def confirm_seed(seed: int) -> int:
    """The root seed of the confirmation runs: a stream of its own, derived from ``seed``."""
    state = np.random.SeedSequence([seed, zlib.crc32(b"channelsim.optimize.confirm")])
    return int(state.generate_state(1, dtype=np.uint32)[0])


def _search_seed(seed: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, zlib.crc32(b"channelsim.optimize.search")])


@dataclass
class OptimizeResult:
    """The result of :func:`optimize`; every reported number comes from fresh replications.

    Attributes:
        scenario: the base scenario (replications and seed applied).
        spec: the optimisation's spec.
        values: the chosen value of each variable.
        base_values: each variable's value in the base scenario.
        objective: the chosen values' risk measure with its 95% interval ``(value, ci_low,
            ci_high)``, on the fresh replications.
        base_objective: the base scenario's, on the same fresh replications.
        gain: chosen minus base, paired, with its 95% interval.
        metric_mean: the mean of the objective metric at the chosen values (fresh).
        constraints: each constraint at the chosen values: ``constraint``, ``mean``,
            ``ci_low``, ``ci_high``, ``met`` (the mean satisfies it), on the fresh replications.
        feasible: whether the search found candidates that meet every constraint.
        evaluations: one row per candidate (``evaluations.csv``).
        log: every evaluation, search first, then the confirmation of the chosen and the base.
        message: the answer in one sentence.
        confirm_seed: the root seed of the fresh replications.
        folder: the folder, when saved.
        run_seconds: wall time of the call.
    """

    scenario: Scenario
    spec: Spec
    values: dict[str, Any]
    base_values: dict[str, Any]
    objective: tuple[float, float, float]
    base_objective: tuple[float, float, float]
    gain: tuple[float, float, float]
    metric_mean: float
    constraints: list[dict[str, Any]]
    feasible: bool
    evaluations: pd.DataFrame
    log: list[Evaluation]
    message: str
    confirm_seed: int
    folder: Path | None = None
    run_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The contents of ``optimum.json``."""
        spec = self.spec
        value, low, high = self.objective
        gain, g_low, g_high = self.gain
        base, b_low, b_high = self.base_objective
        higher = spec.risk.higher_is_better(spec.objective.lower_is_better)
        doc = {
            "values": self.values,
            "base_values": self.base_values,
            "objective": {
                "metric": spec.objective.metric,
                "channel": spec.objective.channel,
                "risk": spec.risk.text(),
                "label": spec.risk.label(spec.objective.name),
                "better": "higher" if higher else "lower",
                "value": value,
                "mean": self.metric_mean,
                "ci_low": low,
                "ci_high": high,
                "base": {"value": base, "ci_low": b_low, "ci_high": b_high},
                "gain": {"mean": gain, "ci_low": g_low, "ci_high": g_high},
            },
            "constraints": self.constraints,
            "constraints_on": "the mean over replications",
            "feasible": self.feasible,
            "message": self.message,
            "strategy": spec.strategy,
            "variables": [
                {"key": v.key, "low": v.low, "high": v.high, "integer": v.integer}
                for v in spec.variables
            ],
            "evaluations": int((self.evaluations["stage"] == "search").sum()),
            "replications": spec.replications,
            "seed": spec.seed,
            "confirm_seed": self.confirm_seed,
            "method": METHOD,
            "channelsim_version": __version__,
        }
        return _json_ready(doc)

    def plots(self) -> list[tuple[str, Figure]]:
        """The figures: convergence, the objective over the variables, feasible frontiers."""
        # imported here: matplotlib loads only when the figures are drawn
        from channelsim.outputs.decision_plots import optimize_figures

        spec = self.spec
        return optimize_figures(
            self.evaluations,
            keys=[v.key for v in spec.variables],
            label=spec.risk.label(spec.objective.name),
            metric=spec.objective.metric,
            higher_is_better=spec.risk.higher_is_better(spec.objective.lower_is_better),
            constraints=[
                (c.target.name, c.target.metric, c.op, c.limit, c.text()) for c in spec.constraints
            ],
            chosen=self.values,
            base=self.base_values,
            currency=self.scenario.scenario.currency,
        )

    def save(self, out_dir: str | Path) -> Path:
        """Write the whole folder (see the module docstring), replacing it atomically."""
        manifest = _manifest(self.scenario, self.spec, "complete")
        with replace_folder(out_dir, "optimize", manifest=manifest) as tmp:
            atomic_write(tmp / EVALUATIONS_JOURNAL, _journal_text(self.log))
            write_optimum_outputs(tmp, self, manifest)
        self.folder = Path(out_dir)
        return Path(out_dir)


def _json_ready(value: Any) -> Any:
    from channelsim.outputs.text import json_value

    return json.loads(json.dumps(json_value(value), allow_nan=False))


def _journal_text(log: Sequence[Evaluation]) -> str:
    return "".join(json.dumps(e.entry(), allow_nan=False) + "\n" for e in log)


def _manifest(scenario: Scenario, spec: Spec, status: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "channelsim_version": __version__,
        "scenario": scenario.scenario.name,
        "scenario_sha256": scenario_sha256(scenario),
        "spec": _json_ready(spec.to_json()),
        "status": status,
    }


def _base_values(scenario: Scenario, variables: Sequence[Variable]) -> dict[str, Any]:
    """Each variable's value in the base scenario (None: not a number, e.g. a distribution).

    A None is left as it is when the base runs.
    """
    out: dict[str, Any] = {}
    for v in variables:
        value = value_of(scenario, v.key)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        out[v.key] = value if number else None
    return out


def optimize(
    scenario: Scenario,
    variables: Iterable[ParamSpec | str] | Mapping[str, Any],
    *,
    strategy: str | None = None,
    objective: str = "npv",
    risk: str = "mean",
    constraints: Sequence[str] = (),
    evaluations: int | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    on_start: Callable[[int, int], None] | None = None,
    options: RunOptions | None = None,
) -> OptimizeResult:
    """Find the values of the decision variables that optimise a risk measure of a metric.

    Args:
        scenario: the base scenario.
        variables: ``"key=lo:hi"`` strings, ParamSpec ranges or ``{key: (lo, hi)}``.
        strategy: the strategy simulated (default: ``scenario.strategy``).
        objective: ``METRIC`` or ``METRIC@CHANNEL`` (better direction from the catalogue).
        risk: ``mean``, ``cvar:ALPHA`` or ``p_loss``.
        constraints: ``METRIC<=X`` / ``METRIC>=X`` on the mean over replications.
        evaluations: the search's budget of candidates (default: 60 per variable).
        out: the folder, written as candidates finish (None: keep in memory).
        resume: complete the optimisation in ``out`` (refused if anything changed).
        on_start: called as ``on_start(candidates already done, candidates planned)``.
        options: replications per candidate (the same at every candidate), seed, where to
            run, progress.

    Returns:
        An :class:`OptimizeResult`.

    Raises:
        UsageError: bad variables, objective, risk, constraints, budget or folder.
        ScenarioError: an invalid scenario or strategy.
        RuntimeError: the model failed at a candidate.
    """
    started = time.perf_counter()
    opts = options or RunOptions()
    if resume and out is None:
        raise UsageError(Problem(None, "--resume", "needs the folder (--out)"))
    base, names = prepare(scenario, strategy, opts.replications, opts.seed)
    name = names[0]
    target = parse_target(objective, base)
    measure = parse_risk(risk, target)
    bounds = tuple(parse_constraint(c, base) for c in constraints)
    chosen_vars, fields = decision_variables(base, name, variables)
    population, generations = search_budget(len(chosen_vars), evaluations)
    reps, seed = base.scenario.replications, base.scenario.seed
    spec = Spec(
        tuple(chosen_vars),
        name,
        target,
        measure,
        bounds,
        population * (generations + 1),
        reps,
        seed,
    )
    targets = list(dict.fromkeys([target, *(c.target for c in bounds)]))
    base_values = _base_values(base, chosen_vars)
    planned = (spec.evaluations + 2) * reps
    journal = None
    if out is not None:
        journal = EvaluationJournal(Path(out), FORMAT, "optimisation", _SPEC_OPTIONS)
    known: list[dict[str, Any]] = []
    try:
        if journal is not None:
            journal.prepare(_manifest(base, spec, "running"), resume)
        executor = open_executor(opts.jobs, opts.dask, opts.executor)
        with executor as ex:
            if journal is not None:
                known = journal.open(_manifest(base, spec, "running"), base)
            if on_start is not None:
                on_start(sum(1 for e in known if e.get("stage") == "search"), spec.evaluations)
            evaluator = Evaluator(
                base, name, fields, targets, reps, ex, opts.progress, planned, journal, known
            )
            result = _run(evaluator, spec, base, base_values, population, generations)
            evaluator.finish()
        result.run_seconds = time.perf_counter() - started
        if journal is not None:
            journal.finish([e.entry() for e in result.log])
            write_optimum_outputs(journal.folder, result, _manifest(base, spec, "complete"))
            result.folder = Path(out) if out is not None else None
        return result
    finally:
        if journal is not None:
            journal.close()


def _run(
    evaluator: Evaluator,
    spec: Spec,
    base: Scenario,
    base_values: dict[str, Any],
    population: int,
    generations: int,
) -> OptimizeResult:
    target, measure, bounds = spec.objective, spec.risk, spec.constraints
    higher = measure.higher_is_better(target.lower_is_better)
    lower_metric = target.lower_is_better

    def score(e: Evaluation) -> float:
        return risk_value(e.runs[target.name], measure, lower_metric)

    def energy(e: Evaluation) -> float:
        value = score(e)
        if not math.isfinite(value):
            return math.inf
        return -value if higher else value

    def means(e: Evaluation) -> np.ndarray:
        out = []
        for c in bounds:
            x = e.runs[c.target.name]
            m = float(np.nanmean(x)) if np.isfinite(x).any() else math.nan
            if not math.isfinite(m):  # undefined: counts as violating
                m = math.inf if c.op == "<=" else -math.inf
            out.append(m)
        return np.asarray(out)

    limits = None
    if bounds:
        limits = (
            np.array([c.limit if c.op == ">=" else -np.inf for c in bounds]),
            np.array([c.limit if c.op == "<=" else np.inf for c in bounds]),
        )
    inside = all(
        base_values[v.key] is not None and v.low <= base_values[v.key] <= v.high
        for v in spec.variables
    )
    x0 = [float(base_values[v.key]) for v in spec.variables] if inside else None
    differential_evolution_search(
        evaluator,
        [(v.low, v.high) for v in spec.variables],
        [v.integer for v in spec.variables],
        energy,
        means if bounds else None,
        limits,
        generations=generations,
        seed=_search_seed(spec.seed),
        x0=x0,
    )
    searched = [e for e in evaluator.log if e.stage == "search"]
    feasible = [e for e in searched if all(c.met(m) for c, m in zip(bounds, means(e), strict=True))]
    pool = feasible or searched
    if feasible:
        best = min(pool, key=lambda e: (energy(e), e.index))
    else:  # the least violation, then the objective
        best = min(pool, key=lambda e: (_violation(bounds, means(e)), energy(e), e.index))

    fresh = confirm_seed(spec.seed)
    chosen_run, base_run = evaluator.evaluate([best.values, base_values], "confirm", fresh)
    x, y = chosen_run.runs[target.name], base_run.runs[target.name]
    objective = risk_interval(x, measure, lower_metric, seed=fresh)
    base_objective = risk_interval(y, measure, lower_metric, seed=fresh)
    gain = paired_gain(x, y, measure, lower_metric, seed=fresh)
    finite = x[np.isfinite(x)]
    checked = []
    for c in bounds:
        v = risk_interval(chosen_run.runs[c.target.name], Risk("mean"))
        checked.append(
            {
                "constraint": c.text(),
                "metric": c.target.metric,
                "channel": c.target.channel,
                "op": c.op,
                "limit": c.limit,
                "mean": v[0],
                "ci_low": v[1],
                "ci_high": v[2],
                "met": c.met(v[0]),
            }
        )
    table = evaluations_frame(evaluator.log, spec, score, means, energy)
    result = OptimizeResult(
        scenario=base,
        spec=spec,
        values=dict(best.values),
        base_values=base_values,
        objective=objective,
        base_objective=base_objective,
        gain=gain,
        metric_mean=float(finite.mean()) if finite.size else math.nan,
        constraints=checked,
        feasible=bool(feasible),
        evaluations=table,
        log=list(evaluator.log),
        message="",
        confirm_seed=fresh,
    )
    result.message = optimum_sentence(result)
    return result


def _violation(bounds: Sequence[Constraint], means: np.ndarray) -> float:
    total = 0.0
    for c, m in zip(bounds, means, strict=True):
        total += max(0.0, m - c.limit) if c.op == "<=" else max(0.0, c.limit - m)
    return total


def optimize_plan(
    scenario: Scenario,
    variables: Iterable[ParamSpec | str] | Mapping[str, Any],
    strategy: str | None = None,
    evaluations: int | None = None,
) -> Plan:
    """The box an optimisation searches and the most candidates it simulates (run-size check).

    Args:
        scenario: the scenario with the command's replications and seed applied.
        variables: the ``--var`` ranges.
        strategy: the strategy simulated.
        evaluations: the search budget.

    Returns:
        The plan: every variable from its low to its high end, the search's candidates plus
        the two confirmation runs (the chosen values and the base).

    Raises:
        UsageError: the optimisation's own problems with the variables or the budget.
    """
    name = strategy or scenario.scenario.strategy
    chosen, fields = decision_variables(scenario, name, variables)
    population, generations = search_budget(len(chosen), evaluations)
    axes = {v.key: [fields[v.key].convert(v.low), fields[v.key].convert(v.high)] for v in chosen}
    return Plan("optimisation", axes, population * (generations + 1) + 2)
