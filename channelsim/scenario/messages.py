"""Readable messages for user mistakes: pydantic errors translated to the keys users wrote.

A validation error's location (``("partners", 0, "commission_rate")``) is walked through the
schema and the user's own data, so the message names ``partners.VARs.commission_rate`` and says
what was expected and what was found, with a "did you mean" for misspelt keys and choices.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError

from channelsim.errors import Problem
from channelsim.scenario.fields import DIST_CLASSES, Invalid, control_character
from channelsim.scenario.introspect import (
    bounds_of,
    file_keys,
    is_dist,
    is_model,
    model_field,
    unwrap,
)


@dataclass
class Spot:
    """What a validation error location points at."""

    path: str = ""
    tp: Any = None  # core type at the location, None if unknown
    metadata: list[Any] = field(default_factory=list)
    parent: type[BaseModel] | None = None  # the model whose key is the last path part


def _join(parts: list[str]) -> str:
    out = ""
    for part in parts:
        out += part if part.startswith("[") or not out else "." + part
    return out


def _item_name(items: Any, index: int) -> str | None:
    """The name of list item ``index`` when it has a unique, non-empty one."""
    if not isinstance(items, list) or not 0 <= index < len(items):
        return None
    item = items[index]
    name = item.get("name") if isinstance(item, dict) else None
    if not isinstance(name, str) or not name or control_character(name):
        return None
    names = [i.get("name") for i in items if isinstance(i, dict)]
    return name if names.count(name) == 1 else None


def walk_loc(root: type[BaseModel], loc: tuple[Any, ...], data: Any) -> Spot:
    """Follow a pydantic error location through the schema (from ``root``) and the user's data."""
    tp: Any = root
    metadata: list[Any] = []
    raw: Any = data
    parts: list[str] = []
    parent: type[BaseModel] | None = None
    in_fixed = False
    for element in loc:
        core, more, _ = unwrap(tp) if tp is not None else (None, [], False)
        metadata = metadata + more
        if core is None:
            parts.append(str(element) if isinstance(element, str) else f"[{element}]")
            continue
        if is_dist(core) and element in DIST_CLASSES:
            # Union tag in the location: not something the user wrote.
            tp, metadata, in_fixed = DIST_CLASSES[element], [], element == "fixed"
            continue
        if is_model(core):
            found = model_field(core, element)
            if in_fixed and element == "value" and found is not None:
                tp, metadata = found[1].annotation, list(found[1].metadata)
                continue  # a plain number: report at the key itself
            parent = core
            parts.append(str(element))
            raw = raw.get(element) if isinstance(raw, dict) else None
            if found is None:
                tp, metadata = None, []
            else:
                tp, metadata = found[1].annotation, list(found[1].metadata)
            continue
        origin, args = get_origin(core), get_args(core)
        if origin is list and isinstance(element, int):
            name = _item_name(raw, element)
            parts.append(name if name is not None else f"[{element}]")
            raw = raw[element] if isinstance(raw, list) and 0 <= element < len(raw) else None
            tp, metadata, parent = args[0], [], None
        elif origin is tuple and isinstance(element, int):
            parts.append(f"[{element}]")
            raw = None
            tp, metadata = (args[element] if element < len(args) else None), []
        elif origin is dict:
            parts.append(str(element))
            raw = raw.get(element) if isinstance(raw, dict) else None
            tp, metadata, parent = args[1], [], None
        else:
            parts.append(str(element) if isinstance(element, str) else f"[{element}]")
            tp, metadata = None, []
    core, more, _ = unwrap(tp) if tp is not None else (None, [], False)
    return Spot(_join(parts), core, metadata + more, parent)


def number_text(x: Any) -> str:
    """A number as a person would write it: 0 rather than 0.0, 1.4, inf."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if x.is_integer() and abs(x) < 1e12:
            return str(int(x))
        if abs(x) >= 1e12:  # 1e+12 rather than 1000000000000: the fewest digits that give x
            for digits in range(17):
                text = f"{x:.{digits}e}"
                if float(text) == x:
                    return text
        return repr(x)
    return str(x)


def show_value(value: Any) -> str:
    """A user's input value, briefly, for a message."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, bool | int | float):
        return number_text(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "nothing"
    return repr(value)


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest option, or "" when none is close."""
    close = difflib.get_close_matches(word, [o for o in options if isinstance(o, str)], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_key(key: str, model: type[BaseModel] | None) -> str:
    """The message for a key no field of ``model`` names, with a suggestion or the keys."""
    allowed = file_keys(model) if model is not None else []
    hint = did_you_mean(key, allowed)
    if hint or not allowed:
        return f"unknown key {key!r}{hint}"
    return f"unknown key {key!r}; expected one of: {', '.join(allowed)}"


def unknown_name(what: str, word: str, known: Sequence[str]) -> str:
    """The message for an unknown name, with a suggestion and the known names."""
    hint = did_you_mean(word, known)
    listing = ", ".join(known) if known else "none defined"
    return f"unknown {what} {word!r}{hint}; known: {listing}"


def _range_message(bounds: Mapping[str, Any], value: Any) -> str:
    lo = (
        ("ge", bounds["ge"]) if "ge" in bounds else ("gt", bounds["gt"]) if "gt" in bounds else None
    )
    hi = (
        ("le", bounds["le"]) if "le" in bounds else ("lt", bounds["lt"]) if "lt" in bounds else None
    )
    got = f", got {number_text(value)}"
    if lo and hi and lo[0] == "ge" and hi[0] == "le":
        return f"must be between {number_text(lo[1])} and {number_text(hi[1])}{got}"
    words = []
    if lo:
        words.append(("at least " if lo[0] == "ge" else "greater than ") + number_text(lo[1]))
    if hi:
        words.append(("at most " if hi[0] == "le" else "below ") + number_text(hi[1]))
    return "must be " + " and ".join(words) + got


_NUMBER_ERRORS = {
    "int_type",
    "int_parsing",
    "int_from_float",
    "float_type",
    "float_parsing",
    "bool_not_number",
    "int_parsing_size",
}
_BOUND_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_TABLE_ERRORS = {"model_type", "model_attributes_type", "dict_type"}


def message_for(err: Mapping[str, Any], spot: Spot) -> str:
    """One readable sentence for one pydantic error."""
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    tp = spot.tp
    if isinstance(value, float) and math.isnan(value) and kind not in _NUMBER_ERRORS:
        return "must be a finite number, got nan"
    if kind == "finite_number":
        return f"must be a finite number, got {number_text(value)}"
    if kind == "extra_forbidden":
        return unknown_key(spot.path.rsplit(".", 1)[-1], spot.parent)
    if kind == "missing":
        if get_origin(tp) is Literal:
            return "is required (one of " + ", ".join(map(str, get_args(tp))) + ")"
        return "is required"
    if is_dist(tp) and (kind in _TABLE_ERRORS or kind.startswith("union_tag")):
        return (
            "expected a number, inf or a distribution table such as "
            f'{{dist = "exponential", mean = 30}}, got {show_value(value)}'
        )
    if kind in _NUMBER_ERRORS:
        expected = "a whole number" if tp is int else "a number"
        return f"expected {expected}, got {show_value(value)}"
    if kind in _BOUND_ERRORS:
        bounds = {**ctx, **bounds_of(spot.metadata)}
        return _range_message(bounds, value)
    if kind == "literal_error":
        choices = [str(c) for c in get_args(tp)] if get_origin(tp) is Literal else []
        if not choices:
            return f"got {show_value(value)}: {err['msg']}"
        hint = did_you_mean(str(value), choices) if isinstance(value, str) else ""
        return f"must be one of {', '.join(choices)}, got {show_value(value)}{hint}"
    if kind in ("too_short", "too_long"):
        bounds = bounds_of(spot.metadata)
        lo, hi = bounds.get("min_length", ctx.get("min_length")), bounds.get("max_length")
        if get_origin(tp) is tuple:
            lo = hi = len(get_args(tp))
        if kind == "too_long" and hi is None:
            hi = ctx.get("max_length")
        n = ctx.get("actual_length")
        got = f", got {n}" if n is not None else ""
        if lo is not None and lo == hi:
            return f"must have exactly {lo} values{got}"
        if kind == "too_short":
            return f"must have at least {lo} values{got}"
        return f"must have at most {hi} values{got}"
    if kind == "string_type":
        return f"expected a string (text in quotes), got {show_value(value)}"
    if kind in _TABLE_ERRORS:
        return f"expected a table, got {show_value(value)}"
    if kind in ("list_type", "tuple_type"):
        if get_origin(tp) is list and is_model(unwrap(get_args(tp)[0])[0]):
            return f"expected an array of tables ([[{spot.path}]]), got {show_value(value)}"
        return f"expected a list, got {show_value(value)}"
    if kind == "control_character":
        return str(err["msg"])
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    if kind == "assertion_error":
        return str(err["msg"]).removeprefix("Assertion failed, ")
    return f"{err['msg']}, got {show_value(value)}"


def translate(
    root: type[BaseModel], exc: ValidationError, data: Any, file: str | None
) -> list[Problem]:
    """One Problem per pydantic error of validating ``data`` as ``root``.

    Each is named by the key path the user wrote.
    """
    problems: list[Problem] = []
    for err in exc.errors():
        spot = walk_loc(root, tuple(err["loc"]), data)
        cause = (err.get("ctx") or {}).get("error")
        if err["type"] == "value_error" and isinstance(cause, Invalid):
            for rel, message in cause.problems:
                path = f"{spot.path}.{rel}" if spot.path and rel else spot.path or rel
                problems.append(Problem(file, path, message))
            continue
        problems.append(Problem(file, spot.path, message_for(err, spot)))
    return problems
