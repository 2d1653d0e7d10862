"""The optimiser's search: batches of candidate mixes, simulated once each, by scipy's DE.

**Why differential evolution.** ``scipy.optimize.differential_evolution`` searches a box of
decision variables with a population of candidates and needs nothing but objective values:

* The objective is a sample-average approximation on common random numbers: every candidate
  runs the same replications, so the surface is smooth at the scale of the decision, but at a
  fine scale it is a step function (moving ``routing.direct_share`` by 1e-4 reroutes a handful
  of leads). Gradients and parabolic interpolation (L-BFGS-B, a bounded Brent search) stall or
  jump on such steps; a population search does not.
* Whole-number keys (``direct.max_reps``, ``partners.X.max_partners``) are handled by its
  ``integrality`` argument, mixed with continuous ones.
* Constraints on means (``NonlinearConstraint``) are handled by its feasibility rules
  (Lampinen 2002): a feasible candidate beats an infeasible one, two infeasible ones compare by
  their violations, so the search needs no penalty weight.
* With ``vectorized=True`` and deferred updating it asks for a whole generation at once, which
  :class:`Evaluator` runs as one batch on the executor (every candidate and replication in
  parallel, on processes or a Dask cluster), where a one-variable scalar search would wait for
  one candidate at a time. ``vectorized`` rather than ``workers=`` (a map over the executor,
  which would batch the objective just as well) because scipy evaluates the constraints of a
  non-vectorized search one candidate at a time, before the objective: with constraints,
  every candidate would then be simulated alone. Vectorized, the constraint function receives
  the whole generation too; both read the same cached simulations.
* It is deterministic given its generator, seeded here from the scenario seed, so a resumed
  search asks for the same candidates in the same order (see :mod:`.journal`).

The search runs its whole budget (``tol = 0``: a noisy population never "converges" early by
chance) and is not polished (a gradient step on a step function means nothing). A candidate
asked for again (whole numbers make that common) is answered from the cache, not simulated.
The base scenario's values, when inside the box, are a member of the first population, so the
search never ends worse than the base on its own replications.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from channelsim.experiments.executors import Executor
from channelsim.experiments.replications import Progress
from channelsim.planning.journal import EvaluationJournal, decode_numbers, encode_numbers
from channelsim.planning.objectives import Target
from channelsim.planning.parameters import apply_values
from channelsim.planning.points import run_points
from channelsim.scenario import FieldSpec, Scenario

__all__ = ["Evaluation", "Evaluator", "differential_evolution_search"]

POPULATION_PER_VARIABLE = 10
"""Candidates per generation for each decision variable (scipy's ``popsize``)."""


@dataclass
class Evaluation:
    """One candidate simulated on every replication.

    Attributes:
        index: evaluation order (0-based, search first, then the confirmation).
        stage: ``search`` (the search's replications) or ``confirm`` (fresh ones).
        generation: the search generation that first asked for it (0: the first population;
            -1 for the confirmation).
        values: the decision variables' values, as simulated.
        runs: each target's value in each replication (NaN where undefined).
    """

    index: int
    stage: str
    generation: int
    values: dict[str, Any]
    runs: dict[str, np.ndarray]

    def entry(self) -> dict[str, Any]:
        """Its journal line."""
        return {
            "stage": self.stage,
            "generation": self.generation,
            "values": self.values,
            "runs": {k: encode_numbers(v) for k, v in self.runs.items()},
        }


def _cache_key(stage: str, values: Mapping[str, Any]) -> str:
    return json.dumps([stage, list(values.values())])


class Evaluator:
    """Simulates candidates in batches, once each, and records them in evaluation order.

    Args:
        scenario: the base scenario (replications and seed applied).
        strategy: the strategy simulated.
        fields: each decision variable's kind (values are converted as it says).
        targets: the metrics read from every run.
        replications: replications per candidate.
        executor: where the runs go.
        progress: called as ``progress(runs done, runs planned)``.
        planned: runs planned in all (for the progress bar).
        journal: the crash-safe folder (None: in memory); its entries answer candidates
            evaluated before an interruption.
        known: journal entries of an interrupted run.
    """

    def __init__(
        self,
        scenario: Scenario,
        strategy: str,
        fields: Mapping[str, FieldSpec],
        targets: Sequence[Target],
        replications: int,
        executor: Executor,
        progress: Progress | None = None,
        planned: int = 0,
        journal: EvaluationJournal | None = None,
        known: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.scenario, self.strategy, self.fields = scenario, strategy, dict(fields)
        self.targets, self.replications, self.executor = list(targets), replications, executor
        self.progress, self.planned, self.journal = progress, planned, journal
        self.log: list[Evaluation] = []
        self.generation = 0
        self._cache: dict[str, Evaluation] = {}
        self._known = {_cache_key(e["stage"], e["values"]): e for e in known}
        self._runs_done = 0

    @property
    def search_count(self) -> int:
        """Candidates the search has evaluated so far."""
        return sum(1 for e in self.log if e.stage == "search")

    def convert(self, x: Sequence[float]) -> dict[str, Any]:
        """A candidate vector as the values simulated (whole numbers rounded, floats tidied)."""
        return {k: fs.convert(float(v)) for (k, fs), v in zip(self.fields.items(), x, strict=True)}

    def evaluate(
        self,
        candidates: Sequence[Mapping[str, Any]],
        stage: str = "search",
        seed: int | None = None,
    ) -> list[Evaluation]:
        """Evaluate candidates (new ones in one parallel batch); one Evaluation each, in order.

        Args:
            candidates: the values of each candidate.
            stage: ``search`` or ``confirm``.
            seed: the root seed of ``confirm`` runs (fresh replications).
        """
        wanted = [(_cache_key(stage, c), dict(c)) for c in candidates]
        new: dict[str, dict[str, Any]] = {}
        for key, values in wanted:
            if key in self._cache or key in new:
                continue
            new[key] = values
        todo = []
        for key, values in new.items():
            old = self._known.get(key)
            generation = self.generation if stage == "search" else -1
            if old is not None:
                runs = {k: np.asarray(decode_numbers(v)) for k, v in old["runs"].items()}
                self._remember(key, Evaluation(len(self.log), stage, generation, values, runs))
                self._runs_done += self.replications
                self._tick()
            else:
                self._remember(key, Evaluation(len(self.log), stage, generation, values, {}))
                todo.append(key)
        if todo:
            self._simulate(todo, stage, seed)
        return [self._cache[key] for key, _ in wanted]

    def finish(self) -> None:
        """Tell the progress bar the work is done (candidates asked twice ran once)."""
        self.planned = self._runs_done
        self._tick()

    def _remember(self, key: str, evaluation: Evaluation) -> None:
        self._cache[key] = evaluation
        self.log.append(evaluation)

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(self._runs_done, max(self.planned, self._runs_done))

    def _simulate(self, keys: Sequence[str], stage: str, seed: int | None) -> None:
        base = self.scenario
        if seed is not None:
            base = base.with_overrides({"scenario.seed": seed})
        points = []
        for i, key in enumerate(keys):
            values = self._cache[key].values
            given = {k: v for k, v in values.items() if v is not None}  # None: as in the base
            points.append((i, apply_values(base, given, _label(values))))
        start = self._runs_done

        def step(done: int, _total: int) -> None:
            self._runs_done = start + done
            self._tick()

        for runs in run_points(points, [self.strategy], self.replications, self.executor, step):
            evaluation = self._cache[keys[runs.point]]
            if not runs.ok:
                _, rep, message = runs.errors[0]
                raise RuntimeError(
                    f"the model failed at {_label(evaluation.values)} (replication {rep}): "
                    f"{message}"
                )
            evaluation.runs = {
                t.name: runs.values(self.strategy, t.metric, self.replications, t.channel)
                for t in self.targets
            }
            if self.journal is not None:
                self.journal.add(evaluation.entry())
        self._runs_done = start + len(keys) * self.replications


def _label(values: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{k}={v:.10g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()
    )


def differential_evolution_search(
    evaluator: Evaluator,
    bounds: Sequence[tuple[float, float]],
    integrality: Sequence[bool],
    energy: Callable[[Evaluation], float],
    violations: Callable[[Evaluation], np.ndarray] | None,
    limits: tuple[np.ndarray, np.ndarray] | None,
    *,
    generations: int,
    seed: np.random.SeedSequence,
    x0: Sequence[float] | None = None,
) -> None:
    """Run scipy's differential evolution over the evaluator (see the module docstring).

    Every candidate it asks for ends up in ``evaluator.log``; the caller picks the best.

    Args:
        evaluator: simulates candidates.
        bounds: each variable's (low, high).
        integrality: whether each variable takes whole numbers.
        energy: what DE minimises for an evaluation (inf where undefined).
        violations: the constrained means of an evaluation (None: no constraint).
        limits: the constraints' lower and upper bounds, one per constrained mean.
        generations: generations after the first population.
        seed: seeds the search (its own stream, never a replication's).
        x0: the base values, a member of the first population (None: not in the box).
    """
    # imported here: scipy.optimize loads only when a search runs
    from scipy.optimize import NonlinearConstraint, differential_evolution

    def candidates(x: np.ndarray) -> list[Evaluation]:
        x = np.atleast_2d(np.asarray(x, dtype=float).T) if x.ndim > 1 else x[None, :]
        return evaluator.evaluate([evaluator.convert(row) for row in x])

    def objective(x: np.ndarray) -> np.ndarray:
        return np.array([energy(e) for e in candidates(x)])

    constraints = ()
    if violations is not None and limits is not None:
        constraints = (
            NonlinearConstraint(
                lambda x: np.column_stack([violations(e) for e in candidates(x)]),
                limits[0],
                limits[1],
            ),
        )

    def next_generation(intermediate_result: Any) -> None:
        evaluator.generation += 1

    with np.errstate(invalid="ignore", over="ignore"):
        differential_evolution(
            objective,
            bounds=list(bounds),
            maxiter=generations,
            popsize=POPULATION_PER_VARIABLE,
            tol=0.0,
            atol=0.0,
            polish=False,
            init="latinhypercube",
            updating="deferred",
            vectorized=True,
            integrality=list(integrality),
            constraints=constraints,
            x0=None if x0 is None else np.asarray(x0, dtype=float),
            rng=np.random.default_rng(seed),
            callback=next_generation,
        )
