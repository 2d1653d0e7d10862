"""Parameters of sweeps, break-even searches and sensitivity analyses.

A parameter is a dotted scenario key (``demand.leads_per_month``, ``partners.VARs.discount``)
with the values to try: a list (``key=a,b,c``) or a range (``key=lo:hi:n`` for a grid of ``n``
evenly spaced values, ends included; ``key=lo:hi`` for samplers that draw inside the range).
Values go through :meth:`Scenario.with_overrides`, so they are checked and converted exactly as
``--set`` values are: an unknown key or an out-of-range value is a user mistake reported with
the schema's own message. Whole-number keys (``direct.hiring.max_hires_per_month``) are rounded,
as the schema's field types say.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from channelsim.errors import Problem, ScenarioError, UsageError
from channelsim.scenario import (
    Scenario,
    _bounds,
    _is_dist,
    _is_model,
    _model_field,
    _named_lookup,
    _unwrap,
    parse_value,
)

__all__ = [
    "RESERVED_KEYS",
    "FieldSpec",
    "ParamSpec",
    "apply_values",
    "as_param_specs",
    "check_metric",
    "check_param",
    "field_spec",
    "parse_param",
    "strategy_overrides",
    "tidy_number",
    "value_of",
]

RESERVED_KEYS: dict[str, str] = {
    "scenario.replications": "--reps",
    "scenario.seed": "--seed",
    "scenario.strategy": "--strategy / --strategies",
}
"""Keys that cannot be parameters (the option that sets them instead)."""

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*:\s*({_NUMBER})\s*(?::\s*(\S+)\s*)?$")


def tidy_number(x: float) -> float:
    """``x`` rounded to 10 significant digits, so it prints exactly as it is stored.

    Grid and sampler values are rounded this way: ``points.csv`` then holds the exact value
    that was simulated, and 0.30000000000000004 reads 0.3.
    """
    if x == 0 or not math.isfinite(x):
        return float(x) + 0.0
    return float(f"{x:.10g}") + 0.0


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
            from channelsim.scenario import toml_value

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


# --------------------------------------------------------------------------------------------
# Field types and bounds


@dataclass(frozen=True)
class FieldSpec:
    """What a dotted key holds: its kind and numeric bounds.

    Attributes:
        kind: ``"integer"``, ``"number"`` (also a distribution's parameter or a distribution
            set to a fixed number), ``"text"`` (strings, choices) or ``"other"`` (lists, tables).
        ge: inclusive lower bound, if any.
        gt: exclusive lower bound, if any.
        le: inclusive upper bound, if any.
        lt: exclusive upper bound, if any.
    """

    kind: Literal["integer", "number", "text", "other"]
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    @property
    def numeric(self) -> bool:
        """Whether the key takes a number (a range can be swept)."""
        return self.kind in ("integer", "number")

    def convert(self, x: Any) -> Any:
        """A value as it is simulated: integers rounded half up, floats tidied."""
        if isinstance(x, bool) or not isinstance(x, int | float):
            return x
        if self.kind == "integer":
            return int(math.floor(float(x) + 0.5))
        if self.kind == "number":
            return tidy_number(float(x))
        return x

    def clip(self, x: float) -> float:
        """``x`` moved inside the bounds (an open bound is approached to 1e-9)."""
        if self.ge is not None:
            x = max(x, self.ge)
        if self.gt is not None and x <= self.gt:
            x = self.gt + 1e-9 * max(1.0, abs(self.gt))
        if self.le is not None:
            x = min(x, self.le)
        if self.lt is not None and x >= self.lt:
            x = self.lt - 1e-9 * max(1.0, abs(self.lt))
        return x


def _classify(annotation: Any, metadata: Sequence[Any]) -> FieldSpec:
    core, inner, _ = _unwrap(annotation)
    bounds = _bounds([*metadata, *inner])
    picked = {k: float(v) for k, v in bounds.items() if k in ("ge", "gt", "le", "lt")}
    if core is bool:
        return FieldSpec("other")
    if core is int:
        return FieldSpec("integer", **picked)
    if core is float:
        return FieldSpec("number", **picked)
    if _is_dist(core):
        return FieldSpec("number", ge=0.0)  # a plain number is a fixed distribution
    if core is str or get_origin(core) is Literal:
        return FieldSpec("text")
    return FieldSpec("other")


def _locate(scenario: Scenario, key: str) -> tuple[FieldSpec, Any] | None:
    """The FieldSpec of the field a dotted key names and its current value (None: no field)."""
    parts = key.split(".")
    model: Any = type(scenario)
    obj: Any = scenario
    i = 0
    while i < len(parts):
        found = _model_field(model, parts[i])
        if found is None:
            return None
        _, info = found
        name = next(n for n, f in model.model_fields.items() if f is info)
        value = getattr(obj, name, None)
        rest = parts[i + 1 :]
        if not rest:
            return _classify(info.annotation, info.metadata), value
        core, _, _ = _unwrap(info.annotation)
        origin, args = get_origin(core), get_args(core)
        if _is_model(core):
            model, obj, i = core, value, i + 1
            continue
        if origin is list and args and _is_model(_unwrap(args[0])[0]):
            items = list(value or [])
            names = [getattr(item, "name", None) for item in items]
            match = _named_lookup(rest, [n for n in names if isinstance(n, str)])
            if match is None:
                return None
            item_name, n = match
            obj = items[names.index(item_name)]
            model, i = _unwrap(args[0])[0], i + 1 + n
            if i == len(parts):
                return FieldSpec("other"), obj
            continue
        if _is_dist(core) and len(rest) == 1:
            return FieldSpec("number"), getattr(value, rest[0], None)
        return FieldSpec("other"), None
    return FieldSpec("other"), obj


def field_spec(scenario: Scenario, key: str) -> FieldSpec | None:
    """The kind and bounds of the field a dotted key names.

    Args:
        scenario: the scenario (for the names of partner programs and segments).
        key: a dotted key, e.g. ``partners.VARs.discount`` or ``direct.sales_cycle_days.mean``.

    Returns:
        The FieldSpec, or None when the key names no field (``with_overrides`` gives the
        message then).
    """
    found = _locate(scenario, key)
    return None if found is None else found[0]


def value_of(scenario: Scenario, key: str) -> Any:
    """The current value of a dotted key (None when it names no field or holds none).

    Args:
        scenario: the scenario.
        key: a dotted key.

    Returns:
        The value as validated (a number, text, a distribution object, ...).
    """
    found = _locate(scenario, key)
    return None if found is None else found[1]


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
    from channelsim.metrics import SUMMARY_METRICS

    if metric in SUMMARY_METRICS:
        return metric
    import difflib

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
    from channelsim.scenario import BUILTIN_STRATEGIES

    keys: set[str] = set()
    name = strategy
    seen: set[str] = set()
    while name not in BUILTIN_STRATEGIES and name in scenario.strategies and name not in seen:
        seen.add(name)
        keys.update(scenario.strategies[name].overrides)
        name = scenario.strategies[name].base
    return keys
