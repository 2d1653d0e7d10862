"""TOML output in the style of the shipped scenarios: one ``[section]`` per table.

``toml_value`` writes one value on one line (distributions and strategy overrides inline); the
resolved scenario of every output folder is written with :func:`dump_toml`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import tomli_w

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_ready(value: Any) -> Any:
    """Drop None (TOML has no null) and turn tuples into lists."""
    if isinstance(value, dict):
        return {k: toml_ready(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [toml_ready(v) for v in value]
    return value


def toml_key(key: str) -> str:
    """A TOML key, quoted when it is not a bare key."""
    return key if _BARE_KEY.fullmatch(key) else toml_value(key)


def toml_value(value: Any) -> str:
    """One TOML value on one line (tables inline): numbers, inf, strings, lists, tables.

    Args:
        value: a bool, int, float, str, list, tuple or dict of those.

    Returns:
        Its TOML spelling, e.g. ``{dist = "lognormal", mean = 45.0, sd = 20.0}``.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if math.isnan(value):
            return "nan"
        return repr(value)
    if isinstance(value, str):
        return tomli_w.dumps({"v": value})[len("v = ") : -1]
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_section(key: str, value: Any) -> bool:
    # Distributions and strategy overrides read best inline; other tables get a [section].
    return isinstance(value, dict) and "dist" not in value and key != "set"


def _is_aot(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def dump_toml(data: Mapping[str, Any], comments: Mapping[str, str] | None = None) -> str:
    """TOML text in the style of the shipped scenarios: one [section] per table.

    Args:
        data: the tables.
        comments: comment text by dotted key (``direct.win_rate``; an entry of an array of
            tables is named by its ``name``, as overrides do: ``partners.VARs.win_rate``),
            written as ``# ...`` lines above the key.
    """
    lines: list[str] = []
    comments = comments or {}

    def table(name: str, body: Mapping[str, Any], header: str | None, path: str = "") -> None:
        scalars = [(k, v) for k, v in body.items() if not (_is_section(k, v) or _is_aot(v))]
        nested = [(k, v) for k, v in body.items() if _is_section(k, v) or _is_aot(v)]
        if header is not None and (scalars or not nested):
            if lines:
                lines.append("")
            lines.append(header)
        for k, v in scalars:
            note = comments.get(f"{path}.{k}" if path else k)
            if note:
                lines.extend(f"# {line}".rstrip() for line in note.splitlines())
            lines.append(f"{toml_key(k)} = {toml_value(v)}")
        for k, v in nested:
            full = f"{name}.{toml_key(k)}" if name else toml_key(k)
            sub = f"{path}.{k}" if path else k
            if _is_aot(v):
                for entry in v:
                    label = entry.get("name")
                    table(full, entry, f"[[{full}]]", f"{sub}.{label}" if label else sub)
            else:
                table(full, v, f"[{full}]", sub)

    table("", data, None)
    return "\n".join(lines) + "\n"
