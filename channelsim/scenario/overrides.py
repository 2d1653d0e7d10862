"""The override engine: dotted keys (``--set``, named strategies, sweep points) set in raw data.

An override names an existing key by its dotted path (``partners.VARs.discount``,
``direct.sales_cycle_days.mean``, ``demand.seasonality.3``); programs, segments and strategies
are addressed by name. Keys are checked against the schema as they are set, values are
converted by validation afterwards, never ``eval``'d (STYLE.md, 2).
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from channelsim.errors import Problem
from channelsim.scenario.fields import DIST_CLASSES
from channelsim.scenario.introspect import (
    file_keys,
    is_dist,
    is_model,
    model_field,
    named_lookup,
    unwrap,
)
from channelsim.scenario.messages import did_you_mean, show_value, unknown_name
from channelsim.scenario.partners import KIND_DEFAULTS, KIND_FIELDS, PartnerProgram

NAMED_ITEMS = {"partners": "partner program", "segments": "segment", "strategies": "strategy"}
"""What the entries of a named list or table are called in messages."""


MAX_DEPTH = 32
"""Deepest nesting of arrays and tables a scenario may hold (a real one needs 4 or 5)."""


class TooDeep(ValueError):
    """Arrays or tables nested deeper than :data:`MAX_DEPTH` (or than the TOML parser can)."""


def too_deep(value: Any) -> bool:
    """Whether ``value`` nests arrays or tables more than :data:`MAX_DEPTH` levels deep.

    Iterative, so a value of any depth is measured without recursion.
    """
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def load_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads`` that refuses nesting deeper than :data:`MAX_DEPTH`.

    Raises:
        tomllib.TOMLDecodeError: the text is not TOML.
        TooDeep: arrays or tables nested too deep (the parser recurses once per level, so
            500 levels would otherwise end in a RecursionError).
    """
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise TooDeep(f"arrays or tables nested more than {MAX_DEPTH} levels deep") from None
    if too_deep(data):
        raise TooDeep(f"arrays or tables nested more than {MAX_DEPTH} levels deep")
    return data


def parse_value(text: str) -> Any:
    """Read a ``--set`` value as a TOML value, else as raw text.

    ``5``, ``0.4``, ``inf``, ``[1, 2]``, ``{dist = "exponential", mean = 30}`` and ``"text"``
    are TOML values; anything that is not (``direct``, ``My plan``) is kept as text.

    Args:
        text: what follows ``=`` in ``--set key=value``.

    Returns:
        The parsed value.

    Raises:
        TooDeep: the value nests arrays or tables too deep.
    """
    try:
        parsed = load_toml("v = " + text)
    except tomllib.TOMLDecodeError:
        return text
    return parsed["v"] if len(parsed) == 1 else text


@dataclass(frozen=True)
class Override:
    """One dotted-key override: the key, its value and, for ``--set``, the text as typed."""

    key: str
    value: Any
    text: str | None = None  # the raw --set text, kept so string fields get it verbatim


def normalize_overrides(
    overrides: Mapping[str, Any] | Sequence[str] | None,
) -> tuple[list[Override], list[Problem]]:
    """Overrides from a mapping or ``--set`` strings, and the problems of malformed strings."""
    if overrides is None:
        return [], []
    if isinstance(overrides, Mapping):
        return [Override(str(k), v) for k, v in overrides.items()], []
    if isinstance(overrides, str):
        overrides = [overrides]
    items: list[Override] = []
    problems: list[Problem] = []
    for arg in overrides:
        if not isinstance(arg, str) or "=" not in arg:
            shown = str(arg).strip()
            problems.append(
                Problem(None, shown or "--set", f"--set needs key=value, e.g. {shown}=VALUE")
            )
            continue
        key, _, text = arg.partition("=")
        key, text = key.strip(), text.strip()
        if not key:
            problems.append(Problem(None, "", f"--set expects key=value, got {arg!r}"))
            continue
        try:
            items.append(Override(key, parse_value(text), text))
        except TooDeep as exc:
            problems.append(Problem(None, key, f"the value has {exc}"))
    return items, problems


def is_text(tp: Any) -> bool:
    """Whether a field holds text (a string or a choice of strings)."""
    return tp is str or (
        get_origin(tp) is Literal and all(isinstance(a, str) for a in get_args(tp))
    )


def coerce(item: Override, tp: Any) -> Any:
    """The value to store for an override whose target has type ``tp``.

    Text fields take ``--set`` text verbatim (``--set scenario.name=2026 plan``); strings from a
    mapping aimed at a distribution, list or table are read as TOML values; everything else
    is left to validation, which converts ``"5"`` to 5 for a whole-number field.
    """
    core, _, _ = unwrap(tp)
    if item.text is not None and is_text(core) and not isinstance(item.value, str):
        return item.text
    if item.text is None and isinstance(item.value, str) and not is_text(core):
        if is_dist(core) or get_origin(core) in (list, tuple, dict) or is_model(core):
            return parse_value(item.value)
    return item.value


def assign(root: type[BaseModel], data: dict[str, Any], item: Override) -> Problem | None:
    """Set ``item.key`` in raw data of a ``root`` document, checking the key against the schema.

    Returns:
        None when the key was set, else the Problem (unknown key, a value where a table is
        expected, an index out of range, ...).
    """
    parts = item.key.split(".")
    if any(not p.strip() for p in parts):
        return Problem(None, item.key, "empty part in dotted key")
    tp: Any = root
    container: Any = data
    i = 0
    while True:
        core, _, _ = unwrap(tp)
        here = ".".join(parts[: i + 1])
        if not is_model(core):  # pragma: no cover - every branch below re-enters with a model
            return Problem(None, here, "cannot set a key inside this value")
        found = model_field(core, parts[i])
        if found is None:
            allowed = file_keys(core)
            hint = did_you_mean(parts[i], allowed)
            if hint:
                return Problem(None, here, f"unknown key {parts[i]!r}{hint}")
            return Problem(
                None, here, f"unknown key {parts[i]!r}; expected one of: {', '.join(allowed)}"
            )
        key, info = found
        rest = parts[i + 1 :]
        if not rest:
            container[key] = coerce(item, info.annotation)
            return None
        sub, _, _ = unwrap(info.annotation)
        origin, args = get_origin(sub), get_args(sub)
        if is_model(sub):
            value = container.setdefault(key, {})
            if not isinstance(value, dict):
                return Problem(None, here, f"is not a table (it is {show_value(value)})")
            container, tp, i = value, sub, i + 1
            continue
        if origin in (list, dict) and is_model(unwrap(args[-1])[0]):
            what = NAMED_ITEMS.get(key, "entry")
            entries = container.get(key)
            if origin is list:
                entries = entries if isinstance(entries, list) else []
                names = [e["name"] for e in entries if isinstance(e, dict) and "name" in e]
            else:
                entries = entries if isinstance(entries, dict) else {}
                names = list(entries)
            names = [n for n in names if isinstance(n, str)]
            match = named_lookup(rest, names)
            if match is None:
                return Problem(None, f"{here}.{rest[0]}", unknown_name(what, rest[0], names))
            name, n = match
            if origin is list:
                index = next(
                    j
                    for j, e in enumerate(entries)
                    if isinstance(e, dict) and e.get("name") == name
                )
            if n == len(rest):
                value = coerce(item, args[-1])
                if origin is list:
                    entries[index] = value
                else:
                    entries[name] = value
                return None
            target = entries[index] if origin is list else entries[name]
            if not isinstance(target, dict):
                return Problem(
                    None, f"{here}.{name}", f"is not a table (it is {show_value(target)})"
                )
            container, tp, i = target, args[-1], i + 1 + n
            continue
        if origin is dict:  # a free-form table: the rest of the key is one key of it
            table = container.setdefault(key, {})
            if not isinstance(table, dict):
                return Problem(None, here, f"is not a table (it is {show_value(table)})")
            table[".".join(rest)] = item.value
            return None
        if origin is list and len(rest) == 1 and rest[0].isdigit():
            if key not in container:  # omitted: start from the default it would get
                default = default_in_file(core, container, key, info)
                if isinstance(default, list):
                    container[key] = copy.deepcopy(default)
            values = container.get(key)
            index = int(rest[0])
            if not isinstance(values, list) or index >= len(values):
                size = len(values) if isinstance(values, list) else 0
                return Problem(None, item.key, f"index {index} is out of range (0..{size - 1})")
            values[index] = coerce(item, args[0])
            return None
        if is_dist(sub) and len(rest) == 1:
            if key not in container:  # omitted: start from the default it would get
                container[key] = copy.deepcopy(default_in_file(core, container, key, info))
            spec = container.get(key)
            if not isinstance(spec, dict):
                return Problem(
                    None,
                    item.key,
                    f"{here} is a plain number ({show_value(spec)}); set the whole distribution, "
                    f'e.g. {here}={{dist = "lognormal", mean = 45, sd = 20}}',
                )
            model = DIST_CLASSES.get(str(spec.get("dist")))
            allowed = [k for k in file_keys(model) if k != "dist"] if model else []
            if model is not None and rest[0] not in allowed:
                hint = did_you_mean(rest[0], allowed)
                return Problem(
                    None,
                    item.key,
                    f"unknown parameter {rest[0]!r} of a {spec['dist']} distribution{hint}; "
                    f"expected one of: {', '.join(allowed)}",
                )
            spec[rest[0]] = item.value
            return None
        return Problem(None, item.key, f"{here} is a value, not a table: nothing to set inside it")


def default_in_file(model: type[BaseModel], table: Mapping[str, Any], key: str, info: Any) -> Any:
    """The value an omitted key takes, as it would be written in a file."""
    if model is PartnerProgram and key in KIND_FIELDS:
        kind = table.get("kind")
        return KIND_DEFAULTS[kind][key] if kind in KIND_DEFAULTS else None
    return info.get_default(call_default_factory=True)
