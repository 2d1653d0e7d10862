"""Scenario files: the schema, loading, dotted-key overrides and lookups, TOML and JSON Schema.

The pydantic models are the single source of every default, unit and range (STYLE.md, 2). User
mistakes never surface as pydantic errors: :func:`load_scenario` and
:meth:`Scenario.with_overrides` raise :class:`~channelsim.errors.ScenarioError` holding one
:class:`~channelsim.errors.Problem` per mistake, named by the dotted key path the user wrote
(``partners.VARs.commission_rate`` rather than ``partners.0.commission_rate``).

Modules, bottom up: :mod:`.fields` (field types), :mod:`.introspect` (walking the types),
:mod:`.messages` (readable errors), :mod:`.tables` and :mod:`.partners` (the tables),
:mod:`.overrides` (the override engine), :mod:`.toml_writer`, :mod:`.document` (the whole
scenario), :mod:`.loader`, :mod:`.keys` (public dotted-key lookup) and :mod:`.reference`
(JSON Schema and the reference tables).
"""

from channelsim.scenario.document import (
    BUILTIN_STRATEGIES,
    VALIDATION_RULES,
    Scenario,
    StrategyDef,
    check_strategy,
)
from channelsim.scenario.fields import DIST_CLASSES, MAX_AMOUNT
from channelsim.scenario.keys import FieldSpec, field_spec, tidy_number, value_of
from channelsim.scenario.loader import kind_override_warnings, load_scenario, loads_scenario
from channelsim.scenario.overrides import parse_value
from channelsim.scenario.partners import KIND_DEFAULTS, KIND_FIELDS, PARTNER_KINDS, PartnerProgram
from channelsim.scenario.reference import (
    FieldDoc,
    TableDoc,
    flat_fields,
    flat_tables,
    scenario_json_schema,
)
from channelsim.scenario.tables import (
    Brand,
    Demand,
    Direct,
    Hiring,
    Meta,
    Product,
    Routing,
    Segment,
    Sensitivity,
    Targets,
)
from channelsim.scenario.toml_writer import toml_key, toml_value

__all__ = [
    "BUILTIN_STRATEGIES",
    "DIST_CLASSES",
    "KIND_DEFAULTS",
    "KIND_FIELDS",
    "MAX_AMOUNT",
    "PARTNER_KINDS",
    "VALIDATION_RULES",
    "Brand",
    "Demand",
    "Direct",
    "FieldDoc",
    "FieldSpec",
    "Hiring",
    "Meta",
    "PartnerProgram",
    "Product",
    "Routing",
    "Scenario",
    "Segment",
    "Sensitivity",
    "StrategyDef",
    "TableDoc",
    "Targets",
    "check_strategy",
    "field_spec",
    "flat_fields",
    "flat_tables",
    "kind_override_warnings",
    "load_scenario",
    "loads_scenario",
    "parse_value",
    "scenario_json_schema",
    "tidy_number",
    "toml_key",
    "toml_value",
    "value_of",
]
