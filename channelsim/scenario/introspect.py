"""Walking the schema's types: what a field holds, its bounds, the key a file uses for it.

Shared by error translation (:mod:`.messages`), overrides (:mod:`.overrides`), the public
dotted-key lookup (:mod:`.keys`) and the reference (:mod:`.reference`).
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from channelsim.distributions import Fixed


def unwrap(tp: Any) -> tuple[Any, list[Any], bool]:
    """Strip Annotated and Optional: (core type, metadata, whether None is allowed)."""
    metadata: list[Any] = []
    optional = False
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            metadata.extend(tp.__metadata__)
            tp = get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType) and not is_dist(tp):
            args = get_args(tp)
            rest = [a for a in args if a is not type(None)]
            optional = optional or len(rest) < len(args)
            if len(rest) == 1:
                tp = rest[0]
                continue
        return tp, metadata, optional


def is_dist(tp: Any) -> bool:
    """Whether ``tp`` is the distribution union (a number or a distribution table)."""
    return get_origin(tp) in (Union, types.UnionType) and Fixed in get_args(tp)


def is_model(tp: Any) -> bool:
    """Whether ``tp`` is a pydantic model class (a table)."""
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def model_field(model: type[BaseModel], key: Any) -> tuple[str, FieldInfo] | None:
    """The field that TOML key ``key`` (a name or an alias) names, with its key in files."""
    for name, info in model.model_fields.items():
        if key == (info.alias or name):
            return info.alias or name, info
    return None


def file_keys(model: type[BaseModel]) -> list[str]:
    """The keys of ``model`` as a file writes them (aliases included)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def bounds_of(metadata: Iterable[Any]) -> dict[str, Any]:
    """Numeric and length constraints found in pydantic/annotated-types metadata."""
    found: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):
            found.update(bounds_of(item.metadata))
        for cls, attr in (
            (at.Ge, "ge"),
            (at.Gt, "gt"),
            (at.Le, "le"),
            (at.Lt, "lt"),
            (at.MinLen, "min_length"),
            (at.MaxLen, "max_length"),
        ):
            if isinstance(item, cls):
                found[attr] = getattr(item, attr)
    return found


def named_lookup(parts: list[str], names: list[str]) -> tuple[str, int] | None:
    """The longest known name spelled by ``parts[:n]`` joined with dots (names may hold dots)."""
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in names:
            return candidate, n
    return None


@cache
def _fields_by_key(model: type[BaseModel]) -> dict[str, FieldInfo]:
    return {info.alias or name: info for name, info in model.model_fields.items()}


def unknown_keys(root: type[BaseModel], data: Any) -> Iterator[tuple[str, str, type[BaseModel]]]:
    """The keys of raw ``data`` that no field of the schema names, as the user wrote them.

    Walks tables, arrays of tables (entries named by their ``name``) and tables of tables
    (named strategies), without recursion, so a file of any size or depth is walked in time
    and memory proportional to its keys.

    Yields:
        ``(path of the table, unknown key, the table's model)``; the path is dotted,
        ``""`` for the top level.
    """
    stack: list[tuple[str, type[BaseModel], Any]] = [("", root, data)]
    while stack:
        path, model, table = stack.pop()
        if not isinstance(table, dict):
            continue
        fields = _fields_by_key(model)
        for key, value in table.items():
            info = fields.get(key)
            here = f"{path}.{key}" if path else str(key)
            if info is None:
                yield path, str(key), model
                continue
            sub, _, _ = unwrap(info.annotation)
            origin, args = get_origin(sub), get_args(sub)
            if is_model(sub):
                stack.append((here, sub, value))
            elif (
                origin is list and args and is_model(unwrap(args[0])[0]) and isinstance(value, list)
            ):
                item = unwrap(args[0])[0]
                for i, entry in enumerate(value):
                    name = entry.get("name") if isinstance(entry, dict) else None
                    part = name if isinstance(name, str) and name.isprintable() else f"[{i}]"
                    stack.append((f"{here}.{part}", item, entry))
            elif (
                origin is dict
                and args
                and is_model(unwrap(args[-1])[0])
                and isinstance(value, dict)
            ):
                item = unwrap(args[-1])[0]
                for name, entry in value.items():
                    stack.append((f"{here}.{name}", item, entry))
