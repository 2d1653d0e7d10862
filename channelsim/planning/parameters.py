"""Parameters of the planners: sweeps, break-even searches and sensitivity analyses.

A parameter is a dotted scenario key (``demand.leads_per_month``, ``partners.VARs.discount``)
with the values to try: a list (``key=a,b,c``) or a range (``key=lo:hi:n`` for a grid of ``n``
evenly spaced values, ends included; ``key=lo:hi`` for samplers that draw inside the range).
Values go through :meth:`Scenario.with_overrides`, so they are checked and converted exactly as
``--set`` values are: an unknown key or an out-of-range value is a user mistake reported with
the schema's own message. Whole-number keys (``direct.hiring.max_hires_per_month``) are rounded,
as the schema's field types say.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from channelsim.errors import Problem, ScenarioError, UsageError
from channelsim.metrics.catalogue import SUMMARY_METRICS
from channelsim.scenario import (
    BUILTIN_STRATEGIES,
    FieldSpec,
    Scenario,
    field_spec,
    parse_value,
    toml_value,
)

__all__ = [
    "RESERVED_KEYS",
    "ParamSpec",
    "apply_values",
    "as_param_specs",
    "channel_names",
    "check_channel",
    "check_metric",
    "check_param",
    "parse_param",
    "strategy_overrides",
    "unused_keys",
]

RESERVED_KEYS: dict[str, str] = {
    "scenario.replications": "--reps",
    "scenario.seed": "--seed",
    "scenario.strategy": "--strategy / --strategies",
}
"""Keys that cannot be parameters (the option that sets them instead)."""

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*:\s*({_NUMBER})\s*(?::\s*(\S+)\s*)?$")


@dataclass(frozen=True)
class ParamSpec:
    """One swept parameter: a dotted key and a list of values or a numeric range.

    Attributes:
        key: the dotted scenario key.
        values: the values to try (list form), or None for a range.
        low: lower end of the range (range form).
        high: upper end of the range.
        n: grid size of the range (``lo:hi:n``); None for ``lo:hi``.
    """

    key: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    n: int | None = None

    @property
    def is_range(self) -> bool:
        """Whether this is a range (``lo:hi[:n]``) rather than a list of values."""
        return self.values is None

    def text(self) -> str:
        """The parameter as written on the command line, e.g. ``key=0.1:0.3:5``."""
        if self.values is not None:
            shown = [v if isinstance(v, str) else toml_value(v) for v in self.values]
            return f"{self.key}={','.join(shown)}"
        rng = f"{_g(self.low)}:{_g(self.high)}"
        return f"{self.key}={rng}" + (f":{self.n}" if self.n is not None else "")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description (part of a sweep's manifest)."""
        if self.values is not None:
            return {"key": self.key, "values": list(self.values)}
        out: dict[str, Any] = {"key": self.key, "low": self.low, "high": self.high}
        if self.n is not None:
            out["n"] = self.n
        return out


def _g(x: float | None) -> str:
    return "" if x is None else f"{x:.10g}"


def _split_values(text: str) -> list[str]:
    """Split ``a,b,c`` at top-level commas (not inside quotes, brackets or braces)."""
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    current = ""
    for ch in text:
        if quote:
            current += ch
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += ch
    parts.append(current.strip())
    return parts


def parse_param(text: str, option: str = "--param") -> ParamSpec:
    """Read ``key=v1,v2,...``, ``key=lo:hi:n`` or ``key=lo:hi``.

    Args:
        text: what follows ``--param``.
        option: the option name, for messages.

    Returns:
        The parameter.

    Raises:
        UsageError: no ``=``, an empty key or value, a malformed range (``n`` not a whole
            number of at least 2), ``lo >= hi``.
    """
    example = f"e.g. {option} demand.leads_per_month=100,200,300 or ...=100:500:5"
    if "=" not in text:
        raise UsageError(Problem(None, option, f"expected key=values, got {text!r} ({example})"))
    key, _, rest = text.partition("=")
    key, rest = key.strip(), rest.strip()
    if not key:
        raise UsageError(Problem(None, option, f"no key before '=' in {text!r} ({example})"))
    if not rest:
        raise UsageError(Problem(None, f"{option} {key}", f"no values after '=' ({example})"))
    where = f"{option} {key}"
    match = _RANGE.match(rest)
    if match is None and ":" in rest and not any(c in rest for c in "\"'{["):
        raise UsageError(
            Problem(None, where, f"malformed range {rest!r}: expected lo:hi:n, e.g. 100:500:5")
        )
    if match is not None:
        low, high, n_text = float(match.group(1)), float(match.group(2)), match.group(3)
        n = None
        if n_text is not None:
            if not re.fullmatch(r"\d+", n_text) or int(n_text) < 2:
                raise UsageError(
                    Problem(
                        None,
                        where,
                        f"malformed range {rest!r}: n must be a whole number of at least 2, "
                        f"got {n_text!r}",
                    )
                )
            n = int(n_text)
        if not low < high:
            raise UsageError(
                Problem(
                    None, where, f"low must be below high in {rest!r} (got {_g(low)} >= {_g(high)})"
                )
            )
        return ParamSpec(key, low=low, high=high, n=n)
    raw = _split_values(rest)
    if any(not v for v in raw):
        raise UsageError(Problem(None, where, f"empty value in the list {rest!r}"))
    return ParamSpec(key, values=tuple(parse_value(v) for v in raw))


def as_param_specs(params: Iterable[ParamSpec | str] | Mapping[str, Any]) -> list[ParamSpec]:
    """Parameters from ``--param`` strings, ParamSpec objects or a mapping.

    A mapping takes ``{key: [v1, v2, ...]}`` (list form), ``{key: (lo, hi, n)}`` (grid range)
    or ``{key: (lo, hi)}`` (range for samplers).

    Args:
        params: the parameters.

    Returns:
        One ParamSpec per parameter, in order.

    Raises:
        UsageError: malformed parameters or the same key twice.
    """
    specs: list[ParamSpec] = []
    if isinstance(params, Mapping):
        for key, value in params.items():
            if isinstance(value, tuple) and len(value) in (2, 3):
                low, high = float(value[0]), float(value[1])
                n = int(value[2]) if len(value) == 3 else None
                text = f"{key}={_g(low)}:{_g(high)}" + (f":{value[2]}" if n is not None else "")
                specs.append(parse_param(text))
            elif isinstance(value, list | tuple):
                if not value:
                    raise UsageError(Problem(None, f"--param {key}", "no values"))
                specs.append(ParamSpec(str(key), values=tuple(value)))
            else:
                specs.append(ParamSpec(str(key), values=(value,)))
    else:
        for item in params:
            specs.append(item if isinstance(item, ParamSpec) else parse_param(str(item)))
    seen: set[str] = set()
    for spec in specs:
        if spec.key in seen:
            raise UsageError(Problem(None, f"--param {spec.key}", "given twice"))
        seen.add(spec.key)
    return specs


def check_param(scenario: Scenario, spec: ParamSpec) -> FieldSpec:
    """Check that a parameter names an existing key of the right kind.

    Args:
        scenario: the base scenario.
        spec: the parameter.

    Returns:
        The field's kind and bounds.

    Raises:
        UsageError: a reserved key, an unknown key (with the schema's "did you mean"), a range
            on a key that does not take a number.
    """
    where = f"--param {spec.key}"
    if spec.key in RESERVED_KEYS:
        raise UsageError(
            Problem(None, where, f"cannot be swept: set it with {RESERVED_KEYS[spec.key]}")
        )
    probe = spec.low if spec.values is None else spec.values[0]
    fs = field_spec(scenario, spec.key)
    if fs is None or spec.key.split(".")[0] == "strategies":
        try:
            scenario.with_overrides({spec.key: probe})
        except ScenarioError as exc:
            raise UsageError([_as_param_problem(spec.key, p) for p in exc.problems]) from None
        raise UsageError(Problem(None, where, "cannot be swept (not a value of the scenario)"))
    if spec.is_range and not fs.numeric:
        raise UsageError(
            Problem(
                None,
                where,
                f"takes {'text' if fs.kind == 'text' else 'no single number'}, so it has no "
                "range: list the values instead, e.g. key=a,b",
            )
        )
    return fs


def _as_param_problem(key: str, problem: Problem) -> Problem:
    path = problem.path if problem.path and problem.path != key else key
    return Problem(None, f"--param {path}", problem.message)


def apply_values(scenario: Scenario, values: Mapping[str, Any], label: str = "") -> Scenario:
    """The scenario with parameter values applied, validated.

    Args:
        scenario: the base scenario.
        values: ``{key: value}`` (already converted with :meth:`FieldSpec.convert`).
        label: what to call this set of values in messages (e.g. ``"point 12"``).

    Returns:
        The new scenario.

    Raises:
        UsageError: a value the schema refuses, e.g. ``direct.win_rate`` of 1.2; the message
            names the values.
    """
    try:
        return scenario.with_overrides(dict(values))
    except ScenarioError as exc:
        shown = ", ".join(f"{k}={_show(v)}" for k, v in values.items())
        prefix = f"{label} ({shown}): " if label else f"at {shown}: "
        raise UsageError(
            [
                Problem(None, f"--param {p.path}" if p.path else "--param", prefix + p.message)
                for p in exc.problems
            ]
        ) from None


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def check_metric(metric: str, option: str = "--metric") -> str:
    """Check a summary metric name (with a "did you mean" for misspellings).

    Args:
        metric: the name.
        option: the option name, for messages.

    Returns:
        The name.

    Raises:
        UsageError: not a summary metric.
    """
    if metric in SUMMARY_METRICS:
        return metric
    close = difflib.get_close_matches(metric, SUMMARY_METRICS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UsageError(
        Problem(
            None,
            option,
            f"unknown metric {metric!r}{hint}; the metrics are listed in channelsim.metrics "
            "(SUMMARY_METRICS), e.g. contribution, npv, sales, cost_per_sale",
        )
    )


def strategy_overrides(scenario: Scenario, strategy: str) -> set[str]:
    """The keys a named strategy sets (``[strategies.NAME] set``), along its chain of bases.

    A parameter among them does nothing for that strategy: the strategy's value wins.

    Args:
        scenario: the scenario.
        strategy: a strategy name.

    Returns:
        The dotted keys (empty for the built-in strategies).
    """
    keys: set[str] = set()
    name = strategy
    seen: set[str] = set()
    while name not in BUILTIN_STRATEGIES and name in scenario.strategies and name not in seen:
        seen.add(name)
        keys.update(scenario.strategies[name].overrides)
        name = scenario.strategies[name].base
    return keys


_UNUSED_BY_MODE: dict[str, tuple[tuple[str, str], ...]] = {
    "direct": (
        ("partners.", "it has no partners"),
        ("routing.", "all its leads go to its team"),
        ("conflict.", "it has no partners"),
    ),
    "indirect": (
        ("direct.", "it has no sales team"),
        ("routing.", "all its leads go to partners"),
    ),
    "hybrid": (),
}
"""Keys a base mode never reads (see channelsim.model.world), with the reason in words."""


def unused_keys(scenario: Scenario, strategy: str, keys: Iterable[str]) -> dict[str, str]:
    """The keys among ``keys`` that do nothing for ``strategy``, each with the reason.

    A key does nothing when the strategy's base mode never reads it (a ``partners.*`` key for
    a ``direct`` strategy, a ``direct.*`` key for an ``indirect`` one, ``routing.*`` outside
    ``hybrid``) or when the strategy sets it itself (its value wins over the parameter's).

    Args:
        scenario: the scenario.
        strategy: a strategy name.
        keys: dotted keys (a sweep's parameters).

    Returns:
        Key -> why it does nothing, for the keys that do nothing (in the order given).
    """
    mode, _ = scenario.resolve_strategy(strategy)
    overrides = strategy_overrides(scenario, strategy)
    out: dict[str, str] = {}
    for key in keys:
        if key in overrides:
            out[key] = f"the strategy sets {key} itself"
            continue
        for prefix, reason in _UNUSED_BY_MODE.get(mode, ()):
            if key.startswith(prefix):
                out[key] = reason
                break
    return out


def channel_names(scenario: Scenario) -> list[str]:
    """The channels a scenario reports: direct, each program, partners, total."""
    return ["direct", *(p.name for p in scenario.partners), "partners", "total"]


def check_channel(scenario: Scenario, channel: str) -> str:
    """Check a ``--channel`` against the scenario's channels.

    Raises:
        UsageError: not one of :func:`channel_names`.
    """
    channels = channel_names(scenario)
    if channel not in channels:
        raise UsageError(
            Problem(
                None,
                "--channel",
                f"unknown channel {channel!r}; this scenario has: {', '.join(channels)}",
            )
        )
    return channel
