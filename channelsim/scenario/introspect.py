"""Walking the schema's types: what a field holds, its bounds, the key a file uses for it.

Shared by error translation (:mod:`.messages`), overrides (:mod:`.overrides`), the public
dotted-key lookup (:mod:`.keys`) and the reference (:mod:`.reference`).
"""

from __future__ import annotations

import types
from collections.abc import Iterable
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
