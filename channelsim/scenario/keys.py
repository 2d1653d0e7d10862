"""Public dotted-key lookup: what a key such as ``partners.VARs.discount`` holds, and its value.

Planners (sweeps, break-even searches, sensitivity, optimisation) ask what kind of value a key
takes and its bounds before they build points; notebooks read a scenario's current values by
key. Setting keys is :meth:`Scenario.with_overrides`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from channelsim.scenario.document import Scenario
from channelsim.scenario.introspect import (
    bounds_of,
    is_dist,
    is_model,
    model_field,
    named_lookup,
    unwrap,
)

__all__ = ["FieldSpec", "field_spec", "tidy_number", "value_of"]


def tidy_number(x: float) -> float:
    """``x`` rounded to 10 significant digits, so it prints exactly as it is stored.

    Grid and sampler values are rounded this way: ``points.csv`` then holds the exact value
    that was simulated, and 0.30000000000000004 reads 0.3.
    """
    if x == 0 or not math.isfinite(x):
        return float(x) + 0.0
    return float(f"{x:.10g}") + 0.0


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
    core, inner, _ = unwrap(annotation)
    bounds = bounds_of([*metadata, *inner])
    picked = {k: float(v) for k, v in bounds.items() if k in ("ge", "gt", "le", "lt")}
    if core is bool:
        return FieldSpec("other")
    if core is int:
        return FieldSpec("integer", **picked)
    if core is float:
        return FieldSpec("number", **picked)
    if is_dist(core):
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
        found = model_field(model, parts[i])
        if found is None:
            return None
        _, info = found
        name = next(n for n, f in model.model_fields.items() if f is info)
        value = getattr(obj, name, None)
        rest = parts[i + 1 :]
        if not rest:
            return _classify(info.annotation, info.metadata), value
        core, _, _ = unwrap(info.annotation)
        origin, args = get_origin(core), get_args(core)
        if is_model(core):
            model, obj, i = core, value, i + 1
            continue
        if origin is list and args and is_model(unwrap(args[0])[0]):
            items = list(value or [])
            names = [getattr(item, "name", None) for item in items]
            match = named_lookup(rest, [n for n in names if isinstance(n, str)])
            if match is None:
                return None
            item_name, n = match
            obj = items[names.index(item_name)]
            model, i = unwrap(args[0])[0], i + 1 + n
            if i == len(parts):
                return FieldSpec("other"), obj
            continue
        if is_dist(core) and len(rest) == 1:
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
