"""The scenario schema described: its JSON Schema and one documented row per key.

``channelsim schema`` prints :func:`scenario_json_schema`; ``python -m channelsim.docgen``
renders :func:`flat_tables` into ``docs/scenario-reference.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from channelsim.scenario.document import Scenario
from channelsim.scenario.economics import Subscription
from channelsim.scenario.introspect import bounds_of, is_dist, is_model, unwrap
from channelsim.scenario.messages import number_text
from channelsim.scenario.partners import KIND_FIELDS, PARTNER_KINDS, PartnerProgram
from channelsim.scenario.tables import Segment
from channelsim.scenario.toml_writer import toml_ready, toml_value


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, for editors (``channelsim schema``).

    Returns:
        A JSON-serialisable dict. A distribution may be written as a plain number (``inf`` is a
        TOML float), so the ``Fixed`` form is described as a number.
    """
    schema = Scenario.model_json_schema(mode="validation")
    schema["title"] = "channelsim scenario"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema.get("$defs", {})["Fixed"] = {
        "type": "number",
        "minimum": 0,
        "description": "A fixed value (a plain number; inf allowed where it means never).",
    }

    def strip_discriminators(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("discriminator", None)
            for child in node.values():
                strip_discriminators(child)
        elif isinstance(node, list):
            for child in node:
                strip_discriminators(child)

    strip_discriminators(schema)  # a number has no "dist" to discriminate on
    return schema


@dataclass(frozen=True)
class FieldDoc:
    """Documentation of one scenario key, as listed in the reference.

    Attributes:
        key: the dotted key, with placeholders (``partners.<name>.win_rate``).
        table: the TOML table it is written in (``[direct.hiring]``, ``[[partners]]``).
        name: the key inside its table.
        type: the value type in words (``number``, ``integer``, ``distribution``, ...).
        constraints: the allowed range in words ("0 to 1", "≥ 0"), "" if any value goes.
        default: the default as a TOML value, "" for required keys and kind-defaulted keys.
        kind_defaults: for kind-defaulted partner keys, the TOML default by kind.
        description: what it means, with its unit and, for defaults from published figures,
            the source.
        required: whether a file must give it.
    """

    key: str
    table: str
    name: str
    type: str
    constraints: str
    default: str
    kind_defaults: dict[str, str] | None
    description: str
    required: bool


@dataclass(frozen=True)
class TableDoc:
    """Documentation of one TOML table.

    Attributes:
        header: the table as written in a file (``[direct]``, ``[[partners]]``,
            ``[strategies.NAME]``).
        key: the dotted-key prefix (``direct``, ``partners.<name>``).
        doc: the model's docstring.
        fields: its keys (sub-tables excluded: they have their own TableDoc).
    """

    header: str
    key: str
    doc: str
    fields: list[FieldDoc]


def _type_words(tp: Any) -> str:
    core, _, optional = unwrap(tp)
    if is_dist(core):
        words = "distribution"
    elif get_origin(core) is Literal:
        words = " | ".join(f'"{a}"' for a in get_args(core))
    elif core is bool:
        words = "boolean"
    elif core is int:
        words = "integer"
    elif core is float:
        words = "number"
    elif core is str:
        words = "string"
    elif get_origin(core) is list:
        words = f"list of {_type_words(get_args(core)[0])}"
    elif get_origin(core) is tuple:
        words = "[" + ", ".join(_type_words(a) for a in get_args(core)) + "]"
    elif get_origin(core) is dict:
        words = "table"
    elif is_model(core):
        words = "table"
    else:
        words = "any"
    return words + (" (optional)" if optional else "")


def _constraint_words(info: FieldInfo) -> str:
    core, inner, _ = unwrap(info.annotation)
    bounds = bounds_of([*info.metadata, *inner])
    words = _bound_words(bounds)
    if get_origin(core) in (list, tuple):
        items = [unwrap(a) for a in get_args(core)]
        item_words = {_bound_words(bounds_of(meta)) for _, meta, _ in items} - {""}
        count = bounds.get("min_length")
        parts = []
        if count is not None and count == bounds.get("max_length"):
            parts.append(f"exactly {count} values")
        if item_words:
            parts.append("each " + " ".join(sorted(item_words)))
        return ", ".join(parts)
    if is_dist(core):
        return "≥ 0"
    return words


def _bound_words(bounds: Mapping[str, Any]) -> str:
    lo = ("≥", bounds["ge"]) if "ge" in bounds else (">", bounds["gt"]) if "gt" in bounds else None
    hi = ("≤", bounds["le"]) if "le" in bounds else ("<", bounds["lt"]) if "lt" in bounds else None
    if lo and hi:
        if lo[0] == "≥" and hi[0] == "≤":
            return f"{number_text(lo[1])} to {number_text(hi[1])}"
        return f"{number_text(lo[1])} {'≤' if lo[0] == '≥' else '<'} x {hi[0]} {number_text(hi[1])}"
    if lo:
        return f"{lo[0]} {number_text(lo[1])}"
    if hi:
        return f"{hi[0]} {number_text(hi[1])}"
    return ""


_PLACEHOLDER_ROWS: dict[type[BaseModel], dict[str, Any]] = {
    Segment: {"name": "segment", "share": 1.0},
    PartnerProgram: {"name": "program", "kind": "agent"},
    Subscription: {"fee_per_month": 100.0},
}


def _defaults_of(model: type[BaseModel], **required: Any) -> dict[str, Any]:
    """The dumped default of every key of ``model`` (required keys given placeholder values)."""
    return toml_ready(model.model_validate(required).model_dump(by_alias=True))


def _table_docs(model: type[BaseModel], header: str, key: str, out: list[TableDoc]) -> None:
    placeholder = _PLACEHOLDER_ROWS.get(model, {})
    defaults = _defaults_of(model, **placeholder)
    by_kind = (
        {k: _defaults_of(model, name="program", kind=k) for k in PARTNER_KINDS}
        if model is PartnerProgram
        else None
    )
    rows: list[FieldDoc] = []
    nested: list[tuple[type[BaseModel], str, str]] = []
    for name, info in model.model_fields.items():
        file_key = info.alias or name
        core, _, _ = unwrap(info.annotation)
        origin, args = get_origin(core), get_args(core)
        if is_model(core):
            nested.append((core, f"[{key}.{file_key}]", f"{key}.{file_key}"))
            continue
        if origin in (list, dict) and is_model(unwrap(args[-1])[0]):
            item = unwrap(args[-1])[0]
            if origin is list:
                nested.append((item, f"[[{key}.{file_key}]]", f"{key}.{file_key}.<name>"))
            else:
                nested.append((item, f"[{key}.{file_key}.NAME]", f"{key}.{file_key}.<name>"))
            continue
        kind_defaults = None
        required = info.is_required() and name not in KIND_FIELDS
        if by_kind is not None and name in KIND_FIELDS:
            kind_defaults = {k: toml_value(by_kind[k][file_key]) for k in PARTNER_KINDS}
            default = ""
        elif required or file_key not in defaults:
            default = ""
        else:
            default = toml_value(defaults[file_key])
        rows.append(
            FieldDoc(
                key=f"{key}.{file_key}" if key else file_key,
                table=header,
                name=file_key,
                type=_type_words(info.annotation),
                constraints=_constraint_words(info),
                default=default,
                kind_defaults=kind_defaults,
                description=info.description or "",
                required=required,
            )
        )
    out.append(TableDoc(header, key, _clean_doc(model.__doc__), rows))
    for sub, sub_header, sub_key in nested:
        _table_docs(sub, sub_header, sub_key, out)


def _clean_doc(doc: str | None) -> str:
    if not doc:
        return ""
    lines = doc.strip().splitlines()
    return "\n".join(line.strip() for line in lines)


def flat_tables() -> list[TableDoc]:
    """Every TOML table of a scenario file, in file order, with its keys documented.

    Returns:
        ``[scenario]``, ``[targets]``, ... ``[[partners]]``, ``[strategies.NAME]``; a
        sub-table follows its parent table.
    """
    out: list[TableDoc] = []
    for name, info in Scenario.model_fields.items():
        core, _, _ = unwrap(info.annotation)
        origin, args = get_origin(core), get_args(core)
        if is_model(core):
            _table_docs(core, f"[{name}]", name, out)
        elif origin is list:
            _table_docs(unwrap(args[0])[0], f"[[{name}]]", f"{name}.<name>", out)
        elif origin is dict:
            _table_docs(unwrap(args[1])[0], f"[{name}.NAME]", f"{name}.<name>", out)
    return out


def flat_fields() -> list[FieldDoc]:
    """Every key of a scenario file, documented (see :class:`FieldDoc`).

    Returns:
        One entry per key, in file order, with ``partners.<name>`` and
        ``demand.segments.<name>`` placeholders.
    """
    return [f for table in flat_tables() for f in table.fields]
