"""The scenario document: every table together, named strategies, and the override engine.

:class:`Scenario` checks the rules that span tables (unique program names, a linear growth that
keeps demand >= 0 over the horizon, strategies whose overrides give a valid scenario, ...).
:func:`build` is the one path from raw data to a validated scenario: it applies dotted-key
overrides (``--set``, named strategies, sweep points) and turns every pydantic error into a
:class:`~channelsim.errors.Problem` named by the key the user wrote. It also reads the file
``scenario.initial_state`` names, once (:mod:`.initial_state`), and keeps its data on the
scenario: a scenario derived from this one (overrides, a strategy) is given the same data.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from channelsim import __version__
from channelsim.errors import PROBLEMS_SHOWN, Problem, ScenarioError
from channelsim.scenario.economics import Cash, Conflict
from channelsim.scenario.fields import Invalid, Table, control_character
from channelsim.scenario.initial_state import (
    InitialState,
    absolute_state_path,
    attach_initial_state,
)
from channelsim.scenario.introspect import unknown_keys
from channelsim.scenario.messages import number_text, translate, unknown_key, unknown_name
from channelsim.scenario.overrides import Override, assign, normalize_overrides
from channelsim.scenario.partners import PartnerProgram
from channelsim.scenario.tables import (
    Brand,
    Decision,
    Demand,
    Direct,
    Meta,
    Product,
    Routing,
    Sensitivity,
    Targets,
)
from channelsim.scenario.toml_writer import dump_toml, toml_ready

BUILTIN_STRATEGIES: tuple[str, ...] = ("direct", "indirect", "hybrid")
"""Strategies every scenario has; ``[strategies.NAME]`` tables add more on top of them."""


class StrategyDef(Table):
    """A named strategy (``[strategies.NAME]``): a base strategy plus a set of overrides."""

    model_config = ConfigDict(populate_by_name=True)

    base: str = Field(
        "hybrid",
        description='Strategy this one starts from: "direct", "indirect", "hybrid" or another '
        "named strategy (no cycles).",
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        alias="set",
        description="Dotted keys and values applied on top of the base, e.g. "
        '{"direct.max_reps" = 10} (same keys as --set).',
    )


class Scenario(Table):
    """A whole scenario file."""

    scenario: Meta = Field(default_factory=Meta, description="General settings ([scenario]).")
    targets: Targets = Field(default_factory=Targets, description="Targets ([targets]).")
    product: Product = Field(default_factory=Product, description="The product ([product]).")
    demand: Demand = Field(default_factory=Demand, description="Company leads ([demand]).")
    routing: Routing = Field(default_factory=Routing, description="Hybrid routing ([routing]).")
    direct: Direct = Field(default_factory=Direct, description="The sales team ([direct]).")
    brand: Brand = Field(default_factory=Brand, description="Brand and service ([brand]).")
    partners: list[PartnerProgram] = Field(
        default_factory=list, description="Partner programs ([[partners]])."
    )
    strategies: dict[str, StrategyDef] = Field(
        default_factory=dict, description="Named strategies ([strategies.NAME])."
    )
    sensitivity: Sensitivity = Field(
        default_factory=Sensitivity,
        description="Ranges for `channelsim sensitivity` ([sensitivity]).",
    )
    decision: Decision = Field(
        default_factory=Decision,
        description="Objective and constraints of the recommendation ([decision]).",
    )
    cash: Cash = Field(default_factory=Cash, description="Cash timing ([cash]).")
    conflict: Conflict = Field(
        default_factory=Conflict, description="Channel conflict ([conflict])."
    )
    _start_state: InitialState | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        problems: list[tuple[str, str]] = []
        seen: set[str] = set()
        for program in self.partners:
            if program.name in seen:
                problems.append(
                    (f"partners.{program.name}", f"duplicate program name {program.name!r}")
                )
            seen.add(program.name)
        demand, horizon = self.demand, self.scenario.horizon_months
        if demand.growth == "linear" and 1 + demand.growth_rate * horizon < 0:
            problems.append(
                (
                    "demand.growth_rate",
                    f"linear growth of {number_text(demand.growth_rate)} a month makes the lead "
                    f"rate negative within the horizon ({horizon} months); must be at least "
                    f"{-1 / horizon:.4g}",
                )
            )
        problems.extend(self._check_strategies())
        problems.extend(self._check_sensitivity())
        if self.scenario.strategy not in self.strategy_names():
            problems.append(
                (
                    "scenario.strategy",
                    unknown_name("strategy", self.scenario.strategy, self.strategy_names()),
                )
            )
        if problems:
            raise Invalid(problems)
        return self

    def _check_sensitivity(self) -> list[tuple[str, str]]:
        """Every key of ``[sensitivity] ranges`` names a field of the scenario.

        Values are checked when the analysis applies them, with the schema's messages.
        """
        problems: list[tuple[str, str]] = []
        data = self.model_dump(by_alias=True, exclude={"strategies", "sensitivity"})
        for key, (low, _high) in self.sensitivity.ranges.items():
            where = f"sensitivity.ranges.{key}"
            if key.split(".")[0] in ("sensitivity", "strategies"):
                problems.append((where, "cannot vary [sensitivity] or [strategies]"))
                continue
            problem = assign(Scenario, copy.deepcopy(data), Override(key, low))
            if problem is not None:
                problems.append((where, problem.message))
        return problems

    def _check_strategies(self) -> list[tuple[str, str]]:
        """Names, bases, cycles, and whether each strategy's overrides give a valid scenario."""
        if not self.strategies:
            return []
        problems: list[tuple[str, str]] = []
        broken: set[str] = set()
        known = self.strategy_names()
        for name, sdef in self.strategies.items():
            bad_name = control_character(name)
            if bad_name is not None:
                problems.append(("strategies", f"strategy name {name!r} {bad_name}"))
                broken.add(name)
            elif name in BUILTIN_STRATEGIES:
                problems.append(
                    (
                        f"strategies.{name}",
                        f"{name!r} is a built-in strategy and cannot be redefined",
                    )
                )
                broken.add(name)
            elif sdef.base not in known:
                problems.append(
                    (f"strategies.{name}.base", unknown_name("strategy", sdef.base, known))
                )
                broken.add(name)
        for name in self.strategies:
            if name in broken:
                continue
            chain = [name]
            while chain[-1] not in BUILTIN_STRATEGIES and chain[-1] not in broken:
                nxt = self.strategies[chain[-1]].base
                if nxt in chain:
                    cycle = chain[chain.index(nxt) :] + [nxt]
                    problems.append(
                        (f"strategies.{name}.base", "strategy cycle: " + " -> ".join(cycle))
                    )
                    broken.update(cycle)
                    break
                chain.append(nxt)
            if chain[-1] in broken:
                broken.add(name)

        base_data = self.model_dump(by_alias=True, exclude={"strategies"})
        base_data["scenario"]["strategy"] = "hybrid"
        for name, sdef in self.strategies.items():
            if name in broken:
                continue
            for key in sdef.overrides:
                if key.split(".")[0] == "strategies" or key == "scenario.strategy":
                    problems.append(
                        (
                            f"strategies.{name}.set",
                            f"a strategy cannot change [strategies] or scenario.strategy: {key}",
                        )
                    )
                    broken.add(name)
        # Bases before the strategies built on them, so a broken base is reported once.
        ordered = sorted(
            (n for n in self.strategies if n not in broken),
            key=lambda n: len(self._chain(n)[1]),
        )
        for name in ordered:
            sdef = self.strategies[name]
            if name in broken or self._any_ancestor_in(name, broken):
                continue
            data = copy.deepcopy(base_data)
            own = set(sdef.overrides)
            failed = False
            for origin, item in self._chain_overrides(name):
                problem = assign(Scenario, data, item)
                if problem is not None:
                    failed = True
                    if origin == name:
                        problems.append((f"strategies.{name}.set.{item.key}", problem.message))
            if failed:
                broken.add(name)
                continue
            try:
                Scenario.model_validate(data)
            except ValidationError as exc:
                broken.add(name)
                for p in translate(Scenario, exc, data, None):
                    if p.path in own:
                        problems.append((f"strategies.{name}.set.{p.path}", p.message))
                    else:
                        where = f"{p.path}: " if p.path else ""
                        problems.append(
                            (
                                f"strategies.{name}.set",
                                f"gives an invalid scenario: {where}{p.message}",
                            )
                        )
        return problems

    def _any_ancestor_in(self, name: str, names: set[str]) -> bool:
        base = self.strategies[name].base
        while base not in BUILTIN_STRATEGIES:
            if base in names:
                return True
            base = self.strategies[base].base
        return False

    def _chain(self, name: str) -> tuple[str, list[str]]:
        """The base mode of strategy ``name`` and its chain of named strategies, base first."""
        chain: list[str] = []
        current = name
        while current not in BUILTIN_STRATEGIES:
            if current in chain:
                raise ScenarioError(
                    Problem(None, f"strategies.{name}", "strategy cycle: " + " -> ".join(chain))
                )
            if current not in self.strategies:
                raise ScenarioError(
                    Problem(
                        None, "strategy", unknown_name("strategy", current, self.strategy_names())
                    )
                )
            chain.append(current)
            current = self.strategies[current].base
        return current, chain[::-1]

    def _chain_overrides(self, name: str) -> list[tuple[str, Override]]:
        _, chain = self._chain(name)
        return [
            (link, Override(key, value))
            for link in chain
            for key, value in self.strategies[link].overrides.items()
        ]

    # ---- public API ----------------------------------------------------------------------

    @property
    def start_state(self) -> InitialState | None:
        """The open deals and sellers of ``scenario.initial_state``, read at load (or None).

        Raises:
            ScenarioError: the key is set but the file was never read (a scenario built by
                ``Scenario.model_validate`` rather than loaded: use :func:`loads_scenario`).
        """
        if self._start_state is None and self.scenario.initial_state is not None:
            raise ScenarioError(
                Problem(
                    None,
                    "scenario.initial_state",
                    "the file was not read: load the scenario with load_scenario or loads_scenario",
                )
            )
        return self._start_state

    def strategy_names(self) -> list[str]:
        """Every strategy this scenario can run: the three built-ins, then the named ones.

        Returns:
            ``["direct", "indirect", "hybrid", *named strategies in file order]``.
        """
        return [*BUILTIN_STRATEGIES, *(n for n in self.strategies if n not in BUILTIN_STRATEGIES)]

    def resolve_strategy(self, name: str) -> tuple[str, Scenario]:
        """The base mode and the scenario to simulate for strategy ``name``.

        Args:
            name: a built-in strategy or a name under ``[strategies]``.

        Returns:
            ``(mode, scenario)``: mode is "direct", "indirect" or "hybrid" (following base
            chains); scenario has the ``set`` overrides of the chain applied, base first.

        Raises:
            ScenarioError: unknown strategy name (the message lists the known ones).
        """
        if name in BUILTIN_STRATEGIES:
            return name, self
        if name not in self.strategies:
            raise ScenarioError(
                Problem(None, "strategy", unknown_name("strategy", name, self.strategy_names()))
            )
        mode, _ = self._chain(name)
        items = [item for _, item in self._chain_overrides(name)]
        return mode, build(self._to_data(), items, None, state=self._start_state)

    def with_overrides(self, overrides: Mapping[str, Any] | Sequence[str]) -> Scenario:
        """A new, validated scenario with some keys changed.

        Args:
            overrides: ``{dotted_key: value}`` (values are converted to the field's type by
                validation, so ``"5"`` becomes 5 for a whole-number field), or ``--set``
                style ``"key=value"`` strings.

        Returns:
            The new scenario; this one is unchanged. Every key of this scenario is already
            filled, so changing a program's ``kind`` here keeps its other values; to get the
            new kind's defaults, pass the override to :func:`load_scenario` instead.

        Raises:
            ScenarioError: unknown keys or invalid values (problems carry no file name).
        """
        items, problems = normalize_overrides(overrides)
        return build(self._to_data(), items, None, problems, state=self._start_state)

    def to_toml_dict(self) -> dict[str, Any]:
        """The scenario as plain TOML-ready data: every key filled, empty optional keys left out.

        Returns:
            Nested dicts and lists of numbers and strings; fixed distributions are plain
            numbers, ``inf`` is ``math.inf``.
        """
        return toml_ready(self._to_data())

    def to_toml(self) -> str:
        """The resolved scenario as TOML text with every default filled in.

        Loading the text gives back an equal scenario.

        Returns:
            TOML text starting with a comment header naming the channelsim version.
        """
        header = (
            f"# Resolved scenario written by channelsim {__version__}: every key has its value,\n"
            "# defaults included. Running this file reproduces the results (same seed).\n"
        )
        state = self._start_state
        if state is not None:
            # the file's digest: a changed file changes this text (and a sweep's fingerprint)
            header += (
                f"# Initial state: {len(state.deals)} open deals, {len(state.sellers)} sellers"
                + (f" as of {state.as_of}" if state.as_of else "")
                + f"; file sha256 {state.sha256}.\n"
            )
        header += "\n"
        return header + dump_toml(self.to_toml_dict())

    def _to_data(self) -> dict[str, Any]:
        """Plain data that validates back into this scenario (keys as written in files)."""
        return self.model_dump(by_alias=True)


def check_strategy(scenario: Scenario, mode: str, name: str) -> None:
    """Refuse strategies that cannot sell at all (e.g. indirect without partner programs).

    Args:
        scenario: the scenario resolved for the strategy.
        mode: its base mode (``direct``, ``indirect`` or ``hybrid``).
        name: the strategy's name, for the message.

    Raises:
        ScenarioError: the strategy has no channel to sell through.
    """
    if mode == "indirect" and not scenario.partners:
        raise ScenarioError(
            Problem(
                None,
                "strategies",
                f"strategy {name!r} sells through partners only, "
                "but the scenario has no [[partners]] program",
            )
        )


# Human-readable cross-field rules, listed in the generated reference.
VALIDATION_RULES: tuple[str, ...] = (
    "`demand.segments`: names are unique and shares sum to 1 (tolerance 1e-6).",
    "`demand.ceiling_leads_per_month` is required, and at least `leads_per_month`, when "
    '`growth = "logistic"`.',
    '`demand.growth_rate`: with `growth = "linear"` the lead rate must stay >= 0 over the '
    "horizon, i.e. `1 + growth_rate * horizon_months >= 0`.",
    '`demand.growth_rate`: with `growth = "exponential"` it is compounded monthly, '
    "`(1 + growth_rate)^months`, so it must be above -1.",
    "`direct.initial_reps` is at most `direct.max_reps`.",
    "`direct.sales_cycle_days` and `partners.NAME.sales_cycle_days` are finite (a sales cycle "
    "ends).",
    '`direct.hiring.headcount_plan`: months strictly increasing; required when `policy = "plan"`.',
    "`partners`: program names are unique; `kind` sets the default of every other key.",
    "`strategies`: names may not be `direct`, `indirect` or `hybrid`; `base` names a known "
    "strategy, with no cycles; every key of `set` names an existing field and the result must "
    "be a valid scenario; a strategy may not change `[strategies]` or `scenario.strategy`.",
    "`scenario.strategy` is `direct`, `indirect`, `hybrid` or a name under `[strategies]`.",
    "Names (`scenario.name`, segment, program and strategy names) may not contain control "
    "characters (NUL, tab, newline, ANSI escapes, bidirectional overrides).",
)


TOO_MANY_UNKNOWN = 50
"""Unknown keys beyond which a file is refused before validation: a screenful is listed and
the rest counted (validating two million unknown keys took 3 GB and printed as many lines)."""


def _refuse_many_unknown_keys(data: dict[str, Any], file: str | None) -> None:
    found: list[Problem] = []
    total = 0
    for path, key, model in unknown_keys(Scenario, data):
        total += 1
        if len(found) < PROBLEMS_SHOWN:
            where = f"{path}.{key}" if path else key
            found.append(Problem(file, where, unknown_key(key, model)))
    if total > TOO_MANY_UNKNOWN:
        raise ScenarioError(found, omitted=total - len(found))


def _absolute_state_key(data: dict[str, Any], file: str | None) -> Any:
    """Make ``scenario.initial_state`` absolute, so that the resolved scenario reruns anywhere.

    Returns:
        The value as written (relative paths are shown that way in messages).
    """
    meta = data.get("scenario")
    raw = meta.get("initial_state") if isinstance(meta, dict) else None
    if isinstance(raw, str) and raw:
        meta["initial_state"] = absolute_state_path(raw, file)[1]
    return raw


def build(
    data: dict[str, Any],
    items: Iterable[Override],
    file: str | None,
    problems: Sequence[Problem] = (),
    *,
    state: InitialState | None = None,
) -> Scenario:
    """Apply overrides to raw data and validate it, turning every mistake into a Problem.

    ``state`` is the initial state of the scenario the data comes from: reused, rather than
    read again, when ``scenario.initial_state`` still names its file.
    """
    _refuse_many_unknown_keys(data, file)
    problems = [*problems, *(p for p in (assign(Scenario, data, item) for item in items) if p)]
    if problems:
        raise ScenarioError([p.in_file(file) for p in problems])
    raw_state = _absolute_state_key(data, file)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(translate(Scenario, exc, data, file)) from None
    if scenario.scenario.initial_state is not None:
        try:
            scenario._start_state = attach_initial_state(
                raw_state,
                file,
                ["direct", *(p.name for p in scenario.partners)],
                [s.name for s in scenario.demand.segments],
                known=state,
            )
        except ScenarioError as exc:
            # a file that cannot be read is the scenario's problem: name the key too
            raise ScenarioError(
                [
                    Problem(file, "scenario.initial_state", f"{p.file}: {p.message}")
                    if not p.path
                    else p
                    for p in exc.problems
                ]
            ) from None
    return scenario
