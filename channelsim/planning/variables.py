"""The decision variables of an optimisation, its search budget and its spec.

A decision variable is a numeric scenario key and a box ``LO:HI`` (``--var``): checked as a
sweep's parameters are (:mod:`.parameters`: an unknown key gets the schema's "did you mean", a
key that takes text or a table has no range, both ends must be values the schema accepts);
whole-number keys keep whole ends. A variable the simulated strategy sets itself would do
nothing and is refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from channelsim.analysis.risk import Risk
from channelsim.errors import Problem, UsageError
from channelsim.planning.objectives import Constraint, Target
from channelsim.planning.parameters import (
    ParamSpec,
    apply_values,
    as_param_specs,
    check_param,
    strategy_overrides,
)
from channelsim.planning.search import POPULATION_PER_VARIABLE
from channelsim.scenario import FieldSpec, Scenario, field_spec

__all__ = [
    "EVALUATIONS_PER_VARIABLE",
    "Spec",
    "Variable",
    "decision_variables",
    "refuse_non_numeric",
    "search_budget",
]

EVALUATIONS_PER_VARIABLE = 60
"""Default search budget: candidates per decision variable (six generations of ten)."""


@dataclass(frozen=True)
class Variable:
    """A decision variable: a numeric key and its box.

    Attributes:
        key: the dotted key.
        low: the lowest value (whole for whole-number keys).
        high: the highest value.
        integer: whether the key takes whole numbers.
    """

    key: str
    low: float
    high: float
    integer: bool


def search_budget(variables: int, evaluations: int | None) -> tuple[int, int]:
    """The population and the generations a budget of ``evaluations`` candidates allows.

    Args:
        variables: decision variables.
        evaluations: candidates the search may simulate (None: 60 per variable).

    Returns:
        ``(population, generations after the first)``: the search asks for at most
        ``population x (generations + 1)`` candidates, no more than ``evaluations``.

    Raises:
        UsageError: a budget below two generations.
    """
    population = max(5, POPULATION_PER_VARIABLE * variables)
    n = EVALUATIONS_PER_VARIABLE * variables if evaluations is None else evaluations
    if n < 2 * population:
        raise UsageError(
            Problem(
                None,
                "--evaluations",
                f"must be at least {2 * population} with {variables} variable(s) (two "
                f"generations of {population} candidates), got {n}",
            )
        )
    return population, n // population - 1


def _with_option(exc: UsageError, option: str) -> UsageError:
    """The problems of ``exc`` named by ``option`` instead of ``--param``."""
    return UsageError(
        [
            Problem(p.file, p.path.replace("--param", option, 1) if p.path else option, p.message)
            for p in exc.problems
        ]
    )


def refuse_non_numeric(scenario: Scenario, key: str, where: str, what: str) -> None:
    """Refuse a key that exists but takes text, a list or a table (with what it takes)."""
    fs = field_spec(scenario, key)
    if fs is not None and not fs.numeric and key.split(".")[0] != "strategies":
        takes = "text" if fs.kind == "text" else "a list or a table, not a single number"
        raise UsageError(
            Problem(
                None,
                where,
                f"takes {takes}: {what} must be a numeric key (a share, a count, an amount)",
            )
        )


def decision_variables(
    scenario: Scenario, strategy: str, variables: Iterable[ParamSpec | str] | Mapping[str, Any]
) -> tuple[list[Variable], dict[str, FieldSpec]]:
    """The decision variables, checked (see the module docstring), and each key's kind.

    Raises:
        UsageError: no variable, a list instead of a range, an unknown, reserved or non-numeric
            key, a key the strategy sets, a whole-number range with fewer than two values, an
            end the schema refuses.
    """
    try:
        specs = as_param_specs(variables)
    except UsageError as exc:
        raise _with_option(exc, "--var") from None
    if not specs:
        raise UsageError(
            Problem(
                None,
                "--var",
                "give at least one decision variable, e.g. --var routing.direct_share=0:1",
            )
        )
    overridden = strategy_overrides(scenario, strategy)
    out: list[Variable] = []
    fields: dict[str, FieldSpec] = {}
    for spec in specs:
        where = f"--var {spec.key}"
        if not spec.is_range or spec.n is not None:
            raise UsageError(
                Problem(None, where, "give a range low:high, e.g. --var routing.direct_share=0:1")
            )
        refuse_non_numeric(scenario, spec.key, where, "a decision variable")
        try:
            fs = check_param(scenario, spec)
        except UsageError as exc:
            raise _with_option(exc, "--var") from None
        if spec.key in overridden:
            raise UsageError(
                Problem(None, where, f"does nothing for strategy {strategy}: the strategy sets it")
            )
        assert spec.low is not None and spec.high is not None
        low, high = float(spec.low), float(spec.high)
        if fs.kind == "integer":
            low, high = float(math.ceil(low)), float(math.floor(high))
            if not low < high:
                raise UsageError(
                    Problem(None, where, "takes whole numbers and the range holds fewer than two")
                )
        for end in (low, high):
            try:
                apply_values(scenario, {spec.key: fs.convert(end)})
            except UsageError as exc:
                raise _with_option(exc, "--var") from None
        out.append(Variable(spec.key, low, high, fs.kind == "integer"))
        fields[spec.key] = fs
    return out, fields


@dataclass(frozen=True)
class Spec:
    """Everything that decides an optimisation's candidates and runs (stored in its manifest)."""

    variables: tuple[Variable, ...]
    strategy: str
    objective: Target
    risk: Risk
    constraints: tuple[Constraint, ...]
    evaluations: int
    replications: int
    seed: int

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description, compared on ``--resume``."""
        return {
            "variables": [[v.key, v.low, v.high, v.integer] for v in self.variables],
            "strategy": self.strategy,
            "objective": self.objective.name,
            "risk": self.risk.text(),
            "constraints": [c.text() for c in self.constraints],
            "evaluations": self.evaluations,
            "replications": self.replications,
            "seed": self.seed,
        }
