"""Scenario files: the schema, TOML loading, dotted-key overrides and the JSON Schema.

The pydantic models below are the single source of every default, unit and range (STYLE.md, 2):
the simulator reads validated values, ``docs/scenario-reference.md`` is generated from them
(``python -m channelsim.docgen``) and ``channelsim schema`` prints their JSON Schema.

User mistakes never surface as pydantic errors: :func:`load_scenario` and
:meth:`Scenario.with_overrides` raise :class:`~channelsim.errors.ScenarioError` holding one
:class:`~channelsim.errors.Problem` per mistake, named by the dotted key path the user wrote
(``partners.VARs.commission_rate`` rather than ``partners.0.commission_rate``).
"""

from __future__ import annotations

import copy
import difflib
import math
import re
import tomllib
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
import tomli_w
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from channelsim.distributions import (
    DIST_KINDS,
    DistSpec,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
)
from channelsim.errors import Problem, ScenarioError

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
    "flat_fields",
    "flat_tables",
    "load_scenario",
    "loads_scenario",
    "parse_value",
    "scenario_json_schema",
    "toml_key",
    "toml_value",
]

BUILTIN_STRATEGIES: tuple[str, ...] = ("direct", "indirect", "hybrid")
"""Strategies every scenario has; ``[strategies.NAME]`` tables add more on top of them."""

PARTNER_KINDS: tuple[str, ...] = ("affiliate", "reseller", "agent", "integrator")

DIST_CLASSES: dict[str, type[BaseModel]] = {
    "fixed": Fixed,
    "exponential": Exponential,
    "lognormal": Lognormal,
    "gamma": Gamma,
    "triangular": Triangular,
    "uniform": Uniform,
}
assert tuple(DIST_CLASSES) == DIST_KINDS


# --------------------------------------------------------------------------------------------
# Field types


def _reject_bool(value: Any) -> Any:
    """Refuse ``true``/``false`` where a number is expected (pydantic would read them as 1/0)."""
    if isinstance(value, bool):
        raise PydanticCustomError(
            "bool_not_number", "expected a number, got {value}", {"value": value}
        )
    return value


Number = Annotated[float, BeforeValidator(_reject_bool)]
"""A finite number (models forbid NaN and inf through ``allow_inf_nan=False``)."""

Count = Annotated[int, BeforeValidator(_reject_bool)]
"""A whole number."""

MAX_AMOUNT = 1e12
"""Largest currency amount a key may hold: a trillion per item (a price, a salary, a fee).

Money is summed in floats: with amounts this size, the totals of millions of sales over the
longest horizon stay far inside float range (a price of 1e308 would make every result inf)."""

Money = Annotated[float, Field(le=MAX_AMOUNT), BeforeValidator(_reject_bool)]
"""A currency amount, at most :data:`MAX_AMOUNT` (each field sets its lower bound).

The bound comes before the validator so that the JSON Schema states it as ``maximum``."""

PositiveNumber = Annotated[float, BeforeValidator(_reject_bool), Field(gt=0)]
NonNegativeCount = Annotated[int, BeforeValidator(_reject_bool), Field(ge=0)]
SeasonalFactor = Annotated[float, BeforeValidator(_reject_bool), Field(ge=0)]


class _Table(BaseModel):
    """Common configuration of every scenario table."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=True)


class _Invalid(ValueError):
    """Cross-field problems found by a model validator, each with a path relative to the model.

    Pydantic wraps a ValueError raised in a validator and keeps the original object in the
    error's context, which is how the paths reach :func:`_translate`.
    """

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" if p else m for p, m in problems))


# --------------------------------------------------------------------------------------------
# The schema

_SEASONALITY_DEFAULT = [1.0] * 12


class Meta(_Table):
    """General settings: name, horizon, replications, seed, and the strategy `run` simulates."""

    name: str = Field("Untitled scenario", description="Scenario name shown in reports (text).")
    description: str = Field("", description="Free text shown in reports.")
    horizon_months: Count = Field(
        36,
        ge=1,
        le=600,
        description="Simulated length, in months (a month is 365.25 / 12 days); reports are "
        "indexed by month 0 .. horizon_months - 1.",
    )
    replications: Count = Field(
        20,
        ge=1,
        le=100_000,
        description="Independent replications per strategy (count); confidence intervals are "
        "over replications.",
    )
    seed: Count = Field(
        0,
        ge=0,
        description="Root of the seed tree (integer): the same seed reproduces the same results "
        "on any machine and any number of processes.",
    )
    discount_rate: Number = Field(
        0.10,
        ge=0,
        description="Discount rate a year (share: 0.10 = 10% a year), applied monthly for `npv`.",
    )
    strategy: str = Field(
        "hybrid",
        description='Strategy that `run` simulates: "direct", "indirect", "hybrid" or a name '
        "defined under [strategies].",
    )


class Targets(_Table):
    """Goals that some metrics measure against."""

    sales_per_month: PositiveNumber | None = Field(
        None,
        description="Sales a month that count as reaching scale (sales per month); "
        "`months_to_target` is the first month with at least this many sales. "
        "Omitted: no target.",
    )


class Product(_Table):
    """What is sold: price, cost and deal-size noise."""

    price: Money = Field(1000.0, gt=0, description="List price of one sale (currency per sale).")
    unit_cost: Money = Field(
        0.0, ge=0, description="Cost of goods or delivery of one sale (currency per sale)."
    )
    deal_size_cv: Number = Field(
        0.0,
        ge=0,
        le=10,
        description="Coefficient of variation (sd / mean, unitless) of lognormal noise on each "
        "deal's value; 0 = every deal at list price times its segment's deal_size (at most 10: "
        "beyond it a handful of deals would hold nearly all the value).",
    )


class Segment(_Table):
    """One customer segment (``[[demand.segments]]``); each lead belongs to one segment."""

    name: str = Field(min_length=1, description="Segment name, unique among segments (text).")
    share: Number = Field(
        gt=0, le=1, description="Share 0..1 of company leads in this segment; shares sum to 1."
    )
    deal_size: Number = Field(
        1.0, gt=0, le=1e6, description="Deal value as a multiple of the list price (factor)."
    )
    win_rate_factor: Number = Field(
        1.0, ge=0, description="Multiplies every channel's win rate for this segment (factor)."
    )
    channel: Literal["any", "direct", "partners"] = Field(
        "any",
        description='Channel the segment is sold through under routing policy "segment" '
        '("any" = by the share rule: a draw against routing.direct_share).',
    )


class Demand(_Table):
    """Company leads: a non-homogeneous Poisson process with growth, seasonality and reputation.

    rate(t) = leads_per_month * growth(t) * seasonality[month] * reputation effect.
    """

    leads_per_month: Number = Field(
        100.0,
        ge=0,
        description="Company leads a month at t = 0 (leads per month). Not used when "
        'growth = "bass".',
    )
    growth: Literal["none", "linear", "exponential", "logistic", "bass"] = Field(
        "none",
        description='How the lead rate changes: "none" (constant), "linear" '
        '(1 + growth_rate * months), "exponential" ((1 + growth_rate)^months, compounded), '
        '"logistic" (from leads_per_month to ceiling_leads_per_month) or "bass" (Bass '
        "diffusion: leads per month = market_size * dF/dt).",
    )
    growth_rate: Number = Field(
        0.0,
        description="Growth rate a month: linear adds this share of the starting rate each month "
        "(may be negative if the rate stays >= 0 over the horizon); exponential compounds it "
        "monthly (above -1; negative = decline); logistic uses it as a continuous rate a month "
        "(negative = decline). Not used by none and bass.",
    )
    ceiling_leads_per_month: PositiveNumber | None = Field(
        None,
        description='Logistic ceiling (leads per month); required when growth = "logistic", '
        "at least leads_per_month.",
    )
    market_size: Number = Field(
        10_000.0,
        gt=0,
        description='Bass market size m: total potential buyers (leads), growth = "bass" only.',
    )
    innovation: Number = Field(
        0.01,
        gt=0,
        le=1,
        description="Bass coefficient of innovation p, a month; Bass (1969): typical p 0.01-0.03.",
    )
    imitation: Number = Field(
        0.3,
        ge=0,
        le=1,
        description="Bass coefficient of imitation q, a month; Bass (1969): typical q 0.3-0.5.",
    )
    seasonality: list[SeasonalFactor] = Field(
        default_factory=lambda: list(_SEASONALITY_DEFAULT),
        min_length=12,
        max_length=12,
        description="Twelve monthly multipliers of the lead rate (factors); element 0 is the "
        "first simulated month.",
    )
    patience_days: DistSpec = Field(
        "inf",
        description="How long a lead waits for a first free seller before it is lost to a "
        "competitor (days); inf = never lost while waiting.",
    )
    reputation_sensitivity: Number = Field(
        0.0,
        ge=0,
        description="Elasticity of company lead arrivals to the reputation index (factor): "
        "arrivals are multiplied by 1 + sensitivity * (reputation - 1); 0 = reputation has no "
        "effect.",
    )
    segments: list[Segment] = Field(
        default_factory=list,
        description="Customer segments ([[demand.segments]]); none = every lead alike.",
    )

    @model_validator(mode="after")
    def _check(self) -> Demand:
        problems: list[tuple[str, str]] = []
        if self.growth == "exponential" and self.growth_rate <= -1:
            problems.append(
                (
                    "growth_rate",
                    'with growth = "exponential" the rate is compounded, (1 + growth_rate)^months, '
                    f"so it must be above -1, got {_num(self.growth_rate)}",
                )
            )
        if self.growth == "logistic":
            if self.ceiling_leads_per_month is None:
                problems.append(("ceiling_leads_per_month", 'is required when growth = "logistic"'))
            elif self.ceiling_leads_per_month < self.leads_per_month:
                problems.append(
                    (
                        "ceiling_leads_per_month",
                        f"must be at least leads_per_month ({_num(self.leads_per_month)}), "
                        f"got {_num(self.ceiling_leads_per_month)}",
                    )
                )
        if self.segments:
            seen: set[str] = set()
            for seg in self.segments:
                if seg.name in seen:
                    problems.append(("segments", f"duplicate segment name {seg.name!r}"))
                seen.add(seg.name)
            total = math.fsum(seg.share for seg in self.segments)
            if abs(total - 1.0) > 1e-6:
                problems.append(("segments", f"shares must sum to 1, got {total:.6g}"))
        if problems:
            raise _Invalid(problems)
        return self


class Routing(_Table):
    """How a hybrid strategy splits company leads between the sales team and the partners."""

    policy: Literal["share", "overflow", "segment"] = Field(
        "overflow",
        description='"share": a fixed share of leads goes direct; "overflow": leads go direct '
        'unless the direct queue is longer than overflow_queue; "segment": by each segment\'s '
        "channel.",
    )
    direct_share: Number = Field(
        0.5, ge=0, le=1, description='Share 0..1 of company leads sent direct (policy "share").'
    )
    overflow_queue: Count = Field(
        0,
        ge=0,
        description='Policy "overflow": a lead goes to partners when this many leads (count) '
        "already wait in the direct queue.",
    )


class Hiring(_Table):
    """How the direct sales team grows (``[direct.hiring]``)."""

    policy: Literal["plan", "demand", "budget"] = Field(
        "demand",
        description='"plan": follow headcount_plan; "demand": each review, hire for the recent '
        'slot demand plus headcount_buffer; "budget": hire up to a share of trailing revenue '
        "(Forrester 1968, Market Growth model).",
    )
    time_to_hire_days: DistSpec = Field(
        {"dist": "lognormal", "mean": 60, "sd": 20},
        description="Delay from the decision to hire to the rep's start date (days).",
    )
    max_hires_per_month: Count = Field(
        2, ge=0, description="Recruiting capacity: hires that may start in one month (count)."
    )
    review_every_days: Number = Field(
        30.0, gt=0, description="Interval between headcount reviews (days)."
    )
    headcount_buffer: Number = Field(
        0.1,
        ge=0,
        description='Policy "demand": spare capacity to hire for (share: 0.1 = 10% more slots '
        "than the recent demand).",
    )
    headcount_plan: list[tuple[NonNegativeCount, NonNegativeCount]] = Field(
        default_factory=list,
        description='Policy "plan": [month, target headcount] pairs (months from the start, '
        'reps), months strictly increasing; required when policy = "plan".',
    )
    budget_share_of_revenue: Number = Field(
        0.25,
        ge=0,
        le=1,
        description='Policy "budget": share 0..1 of trailing revenue that may be spent on the '
        "sales team.",
    )
    budget_window_months: Count = Field(
        3, ge=1, description='Policy "budget": trailing window for revenue (months).'
    )

    @model_validator(mode="after")
    def _check(self) -> Hiring:
        problems: list[tuple[str, str]] = []
        if self.policy == "plan" and not self.headcount_plan:
            problems.append(
                (
                    "headcount_plan",
                    'is required when policy = "plan" (a list of [month, headcount] pairs)',
                )
            )
        months = [month for month, _ in self.headcount_plan]
        if any(b <= a for a, b in zip(months, months[1:], strict=False)):
            shown = ", ".join(str(m) for m in months)
            problems.append(("headcount_plan", f"months must be strictly increasing, got {shown}"))
        if problems:
            raise _Invalid(problems)
        return self


def _finite_cycle(cycle: DistSpec) -> list[tuple[str, str]]:
    """A sales cycle must end: an infinite one holds its slot for ever (and breaks hiring)."""
    if math.isfinite(cycle.mean):
        return []
    return [("sales_cycle_days", "must be finite (every sales cycle ends), got inf")]


class Direct(_Table):
    """The company's own sales team: capacity, selling, ramp, attrition, costs, service."""

    initial_reps: Count = Field(2, ge=0, description="Reps employed at t = 0 (reps, fully ramped).")
    max_reps: Count = Field(50, ge=0, description="Headcount never exceeds this (reps).")
    deals_per_rep: Count = Field(
        10, ge=1, description="Opportunities a rep works at the same time (selling slots per rep)."
    )
    sales_cycle_days: DistSpec = Field(
        30.0, description="Time a slot is held from first contact to win or loss (days)."
    )
    win_rate: Number = Field(
        0.25,
        ge=0,
        le=1,
        description="Share 0..1 of opportunities a fully ramped rep wins; default between "
        "HubSpot's 21% of all and about 29% of qualified opportunities (via salesmotion.io).",
    )
    ramp_months: Number = Field(
        5.0,
        ge=0,
        description="Time for a new rep to reach full productivity, linearly (months); default: "
        "Bridge Group median ramp 5 months (via pulserevops.com, low confidence).",
    )
    ramp_start_productivity: Number = Field(
        0.2,
        ge=0,
        le=1,
        description="Productivity of a new rep on day one (share 0..1 of a ramped rep's win rate).",
    )
    attrition_annual: Number = Field(
        0.30,
        ge=0,
        description="Rate at which reps leave, a year (exponential tenure; 0.30 = 30% a year); "
        "default: about 30% annual rep attrition (HBR via retorio.com; 28% in DePaul 2011).",
    )
    salary_annual: Money = Field(
        90_000.0, ge=0, description="Salary of one rep (currency a year), paid monthly."
    )
    commission_rate: Number = Field(
        0.10, ge=0, le=1, description="Rep commission (share 0..1 of the revenue won)."
    )
    recruiting_cost_per_hire: Money = Field(
        20_000.0, ge=0, description="Recruiting cost of one hire (currency per hire)."
    )
    onboarding_cost_per_hire: Money = Field(
        10_000.0, ge=0, description="Onboarding and training cost of one hire (currency per hire)."
    )
    manager_span: Count = Field(
        8, ge=1, description="Reps per sales manager (reps); managers = ceil(reps / span)."
    )
    manager_salary_annual: Money = Field(
        160_000.0,
        ge=0,
        description="Salary of one sales manager (currency a year); default: Kotler's "
        "break-even example (a sales manager at 160k a year).",
    )
    fixed_cost_per_month: Money = Field(
        0.0,
        ge=0,
        description="Other fixed cost of the sales team: tools, offices (currency per month).",
    )
    service_quality: Number = Field(
        0.95,
        ge=0,
        le=1,
        description="Share 0..1 of direct sales without a bad customer experience.",
    )
    escalation_cost: Money = Field(
        500.0, ge=0, description="Cost of fixing one bad experience of a direct sale (currency)."
    )
    message_control: Number = Field(
        1.0,
        ge=0,
        le=1,
        description="Share 0..1 of direct sales whose brand message the company controls.",
    )
    hiring: Hiring = Field(default_factory=Hiring, description="Hiring policy ([direct.hiring]).")

    @model_validator(mode="after")
    def _check(self) -> Direct:
        problems = _finite_cycle(self.sales_cycle_days)
        if self.initial_reps > self.max_reps:
            problems.append(
                (
                    "initial_reps",
                    f"must be at most max_reps ({self.max_reps}), got {self.initial_reps}",
                )
            )
        if problems:
            raise _Invalid(problems)
        return self


class Brand(_Table):
    """Refunds and the reputation index."""

    refund_rate: Number = Field(
        0.3, ge=0, le=1, description="Share 0..1 of bad experiences that end in a refund."
    )
    reputation_memory_months: Number = Field(
        6.0,
        ge=1,
        description="Span of the exponentially weighted reputation index (months).",
    )


class Sensitivity(_Table):
    """Parameters and ranges of ``channelsim sensitivity`` (``[sensitivity]``).

    Empty ``ranges``: the command varies its default list of key assumptions, each by
    +-``default_spread`` around its value.
    """

    default_spread: Number = Field(
        0.2,
        gt=0,
        lt=1,
        description="Relative half-width of the default ranges (share: 0.2 = each default "
        "parameter from 80% to 120% of its value); used when ranges is empty.",
    )
    ranges: dict[str, tuple[Number, Number]] = Field(
        default_factory=dict,
        description="Parameters to vary and their [low, high] ranges, by dotted key, e.g. "
        '{"demand.leads_per_month" = [200, 400], "partners.VARs.discount" = [0.2, 0.4]}; '
        "each key names a numeric key of the scenario, low below high.",
    )

    @model_validator(mode="after")
    def _check(self) -> Sensitivity:
        problems = [
            (f"ranges.{key}", f"low must be below high, got [{_num(low)}, {_num(high)}]")
            for key, (low, high) in self.ranges.items()
            if not low < high
        ]
        if problems:
            raise _Invalid(problems)
        return self


# Partner programs: kind sets the default of every field below (the lead engineer's choice).
KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "affiliate": {
        "initial": 0,
        "recruit_per_month": 40,
        "max_partners": 2000,
        "onboarding_days": 7,
        "activation_rate": 0.10,
        "churn_annual": 0.6,
        "deals_per_partner": 20,
        "sourced_leads_per_month": 2,
        "sales_cycle_days": 3,
        "win_rate": 0.05,
        "commission_rate": 0.30,
        "bounty": 0,
        "discount": 0,
        "network_fee_rate": 0,
        "deal_size_factor": 1.0,
        "onboarding_cost": 50,
        "mdf_per_active_partner_month": 0,
        "manager_span": 200,
        "manager_salary_annual": 90_000,
        "fixed_cost_per_month": 1000,
        "service_quality": 0.85,
        "escalation_cost": 100,
        "message_control": 0.3,
    },
    "reseller": {
        "initial": 5,
        "recruit_per_month": 4,
        "max_partners": 80,
        "onboarding_days": {"dist": "lognormal", "mean": 60, "sd": 20},
        "activation_rate": 0.2,
        "churn_annual": 0.15,
        "deals_per_partner": 5,
        "sourced_leads_per_month": 2,
        "sales_cycle_days": {"dist": "lognormal", "mean": 50, "sd": 20},
        "win_rate": 0.2,
        "commission_rate": 0,
        "bounty": 0,
        "discount": 0.30,
        "network_fee_rate": 0,
        "deal_size_factor": 1.0,
        "onboarding_cost": 5000,
        "mdf_per_active_partner_month": 300,
        "manager_span": 15,
        "manager_salary_annual": 120_000,
        "fixed_cost_per_month": 2000,
        "service_quality": 0.8,
        "escalation_cost": 1500,
        "message_control": 0.5,
    },
    "agent": {
        "initial": 10,
        "recruit_per_month": 10,
        "max_partners": 200,
        "onboarding_days": 14,
        "activation_rate": 0.5,
        "churn_annual": 0.5,
        "deals_per_partner": 10,
        "sourced_leads_per_month": 3,
        "sales_cycle_days": {"dist": "exponential", "mean": 30},
        "win_rate": 0.25,
        "commission_rate": 0.11,
        "bounty": 0,
        "discount": 0,
        "network_fee_rate": 0,
        "deal_size_factor": 1.0,
        "onboarding_cost": 500,
        "mdf_per_active_partner_month": 0,
        "manager_span": 25,
        "manager_salary_annual": 100_000,
        "fixed_cost_per_month": 0,
        "service_quality": 0.85,
        "escalation_cost": 800,
        "message_control": 0.4,
    },
    "integrator": {
        "initial": 2,
        "recruit_per_month": 1,
        "max_partners": 30,
        "onboarding_days": {"dist": "lognormal", "mean": 120, "sd": 40},
        "activation_rate": 0.3,
        "churn_annual": 0.1,
        "deals_per_partner": 3,
        "sourced_leads_per_month": 1,
        "sales_cycle_days": {"dist": "lognormal", "mean": 90, "sd": 30},
        "win_rate": 0.3,
        "commission_rate": 0.15,
        "bounty": 0,
        "discount": 0,
        "network_fee_rate": 0,
        "deal_size_factor": 1.5,
        "onboarding_cost": 15_000,
        "mdf_per_active_partner_month": 500,
        "manager_span": 10,
        "manager_salary_annual": 130_000,
        "fixed_cost_per_month": 3000,
        "service_quality": 0.9,
        "escalation_cost": 3000,
        "message_control": 0.6,
    },
}
"""Default of every kind-dependent partner field, by kind."""


def _by_kind(name: str, description: str, **constraints: Any) -> Any:
    """A partner field whose default comes from KIND_DEFAULTS (filled before validation)."""
    kind_defaults = {kind: KIND_DEFAULTS[kind][name] for kind in PARTNER_KINDS}
    return Field(
        description=description,
        json_schema_extra={"defaultByKind": kind_defaults},
        **constraints,
    )


def _partner_schema(schema: dict[str, Any]) -> None:
    """Only name and kind are required in a file: every other key has a default by kind."""
    schema["required"] = ["name", "kind"]


class PartnerProgram(_Table):
    """One partner program (``[[partners]]``): recruiting, selling, compensation, costs, service.

    Only ``name`` and ``kind`` are required; every other key defaults by kind.
    """

    model_config = ConfigDict(json_schema_extra=_partner_schema)

    name: str = Field(
        min_length=1,
        description="Program name, unique among programs (text); used in keys "
        "(partners.NAME.commission_rate) and reports.",
    )
    kind: Literal["affiliate", "reseller", "agent", "integrator"] = Field(
        description="Kind of partner; sets the default of every other key of the program."
    )
    initial: Count = _by_kind("initial", "Active partners at t = 0 (partners).", ge=0)
    recruit_per_month: Number = _by_kind(
        "recruit_per_month", "New recruits a month (partners per month), Poisson.", ge=0
    )
    max_partners: Count = _by_kind(
        "max_partners",
        "Most partners the program holds; recruiting pauses at this number (partners).",
        ge=0,
    )
    onboarding_days: DistSpec = _by_kind(
        "onboarding_days", "Time from recruitment to the activation decision (days)."
    )
    activation_rate: Number = _by_kind(
        "activation_rate",
        "Share 0..1 of onboarded recruits that become active (the others still cost "
        "onboarding); reseller default 0.2: e.g. 20 active of 100 VARs (ziftsolutions.com).",
        ge=0,
        le=1,
    )
    churn_annual: Number = _by_kind(
        "churn_annual", "Rate at which active partners leave, a year (exponential).", ge=0
    )
    deals_per_partner: Count = _by_kind(
        "deals_per_partner", "Opportunities a partner works at the same time (slots).", ge=1
    )
    sourced_leads_per_month: Number = _by_kind(
        "sourced_leads_per_month",
        "Leads each active partner brings from its own customers (leads per month).",
        ge=0,
    )
    sales_cycle_days: DistSpec = _by_kind(
        "sales_cycle_days", "Time a slot is held from first contact to win or loss (days)."
    )
    win_rate: Number = _by_kind(
        "win_rate", "Share 0..1 of the partner's opportunities won.", ge=0, le=1
    )
    commission_rate: Number = _by_kind(
        "commission_rate",
        "Commission paid to the partner (share 0..1 of the revenue it wins); affiliate default: "
        "median SaaS affiliate commission about 30% (Rewardful, 2,600 programs); agent default: "
        "average manufacturers' rep commission to end users 11% (MANA survey).",
        ge=0,
        le=1,
    )
    bounty: Money = _by_kind(
        "bounty", "Fixed amount paid to the partner per sale (currency per sale).", ge=0
    )
    discount: Number = _by_kind(
        "discount",
        "Reseller discount (share 0..1, below 1): the partner buys at price * (1 - discount) "
        "and resells at list; reseller default 0.30, within the 20-40% SaaS reseller margin "
        "(getmonetizely.com; buildingbetterchannels.com).",
        ge=0,
        lt=1,
    )
    network_fee_rate: Number = _by_kind(
        "network_fee_rate",
        "Share 0..1 of the commissions taken by an affiliate network on top of them.",
        ge=0,
        le=1,
    )
    deal_size_factor: Number = _by_kind(
        "deal_size_factor",
        "Deal value of the partner's sales as a multiple of the company's (factor).",
        gt=0,
        le=1e3,
    )
    onboarding_cost: Money = _by_kind(
        "onboarding_cost", "Cost of onboarding one recruit (currency per recruit).", ge=0
    )
    mdf_per_active_partner_month: Money = _by_kind(
        "mdf_per_active_partner_month",
        "Market development funds (currency per active partner per month).",
        ge=0,
    )
    manager_span: Count = _by_kind(
        "manager_span",
        "Active partners per partner manager (partners); managers = ceil(active / span); "
        "reseller and integrator defaults lie in the 10-20 partners per channel account manager "
        "range (achieveunite.com).",
        ge=1,
    )
    manager_salary_annual: Money = _by_kind(
        "manager_salary_annual", "Salary of one partner manager (currency a year).", ge=0
    )
    fixed_cost_per_month: Money = _by_kind(
        "fixed_cost_per_month",
        "Fixed cost of running the program: portal, network subscription (currency per month).",
        ge=0,
    )
    service_quality: Number = _by_kind(
        "service_quality",
        "Share 0..1 of the program's sales without a bad customer experience.",
        ge=0,
        le=1,
    )
    escalation_cost: Money = _by_kind(
        "escalation_cost",
        "Cost to the company of fixing one bad experience of a partner sale (currency).",
        ge=0,
    )
    message_control: Number = _by_kind(
        "message_control",
        "Share 0..1 of the program's sales whose brand message the company controls.",
        ge=0,
        le=1,
    )

    @model_validator(mode="before")
    @classmethod
    def _fill_kind_defaults(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        kind = data.get("kind")
        defaults = KIND_DEFAULTS.get(kind) if isinstance(kind, str) else None
        if defaults is None:
            # The missing or unknown kind is the error to report: placeholder values keep
            # every other key from adding "is required" noise.
            defaults = KIND_DEFAULTS["agent"]
        return {**copy.deepcopy(defaults), **data}

    @model_validator(mode="after")
    def _check(self) -> PartnerProgram:
        problems = _finite_cycle(self.sales_cycle_days)
        if problems:
            raise _Invalid(problems)
        return self


KIND_FIELDS: tuple[str, ...] = tuple(
    n for n in PartnerProgram.model_fields if n not in ("name", "kind")
)
"""The partner fields whose default depends on kind, in schema order."""


class StrategyDef(_Table):
    """A named strategy (``[strategies.NAME]``): a base strategy plus a set of overrides."""

    model_config = ConfigDict(populate_by_name=True)

    base: str = Field(
        "hybrid",
        description='Strategy this one starts from: "direct", "indirect", "hybrid" or another '
        "named strategy (no cycles).",
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        alias="set",
        description="Dotted keys and values applied on top of the base, e.g. "
        '{"direct.max_reps" = 10} (same keys as --set).',
    )


class Scenario(_Table):
    """A whole scenario file."""

    scenario: Meta = Field(default_factory=Meta, description="General settings ([scenario]).")
    targets: Targets = Field(default_factory=Targets, description="Targets ([targets]).")
    product: Product = Field(default_factory=Product, description="The product ([product]).")
    demand: Demand = Field(default_factory=Demand, description="Company leads ([demand]).")
    routing: Routing = Field(default_factory=Routing, description="Hybrid routing ([routing]).")
    direct: Direct = Field(default_factory=Direct, description="The sales team ([direct]).")
    brand: Brand = Field(default_factory=Brand, description="Brand and service ([brand]).")
    partners: list[PartnerProgram] = Field(
        default_factory=list, description="Partner programs ([[partners]])."
    )
    strategies: dict[str, StrategyDef] = Field(
        default_factory=dict, description="Named strategies ([strategies.NAME])."
    )
    sensitivity: Sensitivity = Field(
        default_factory=Sensitivity,
        description="Ranges for `channelsim sensitivity` ([sensitivity]).",
    )

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        problems: list[tuple[str, str]] = []
        seen: set[str] = set()
        for program in self.partners:
            if program.name in seen:
                problems.append(
                    (f"partners.{program.name}", f"duplicate program name {program.name!r}")
                )
            seen.add(program.name)
        demand, horizon = self.demand, self.scenario.horizon_months
        if demand.growth == "linear" and 1 + demand.growth_rate * horizon < 0:
            problems.append(
                (
                    "demand.growth_rate",
                    f"linear growth of {_num(demand.growth_rate)} a month makes the lead rate "
                    f"negative within the horizon ({horizon} months); must be at least "
                    f"{-1 / horizon:.4g}",
                )
            )
        problems.extend(self._check_strategies())
        problems.extend(self._check_sensitivity())
        if self.scenario.strategy not in self.strategy_names():
            problems.append(
                (
                    "scenario.strategy",
                    _unknown("strategy", self.scenario.strategy, self.strategy_names()),
                )
            )
        if problems:
            raise _Invalid(problems)
        return self

    def _check_sensitivity(self) -> list[tuple[str, str]]:
        """Every key of ``[sensitivity] ranges`` names a field of the scenario.

        Values are checked when the analysis applies them, with the schema's messages.
        """
        problems: list[tuple[str, str]] = []
        data = self.model_dump(by_alias=True, exclude={"strategies", "sensitivity"})
        for key, (low, _high) in self.sensitivity.ranges.items():
            where = f"sensitivity.ranges.{key}"
            if key.split(".")[0] in ("sensitivity", "strategies"):
                problems.append((where, "cannot vary [sensitivity] or [strategies]"))
                continue
            problem = _assign(copy.deepcopy(data), _Override(key, low))
            if problem is not None:
                problems.append((where, problem.message))
        return problems

    def _check_strategies(self) -> list[tuple[str, str]]:
        """Names, bases, cycles, and whether each strategy's overrides give a valid scenario."""
        if not self.strategies:
            return []
        problems: list[tuple[str, str]] = []
        broken: set[str] = set()
        known = self.strategy_names()
        for name, sdef in self.strategies.items():
            if name in BUILTIN_STRATEGIES:
                problems.append(
                    (
                        f"strategies.{name}",
                        f"{name!r} is a built-in strategy and cannot be redefined",
                    )
                )
                broken.add(name)
            elif sdef.base not in known:
                problems.append((f"strategies.{name}.base", _unknown("strategy", sdef.base, known)))
                broken.add(name)
        for name in self.strategies:
            if name in broken:
                continue
            chain = [name]
            while chain[-1] not in BUILTIN_STRATEGIES and chain[-1] not in broken:
                nxt = self.strategies[chain[-1]].base
                if nxt in chain:
                    cycle = chain[chain.index(nxt) :] + [nxt]
                    problems.append(
                        (f"strategies.{name}.base", "strategy cycle: " + " -> ".join(cycle))
                    )
                    broken.update(cycle)
                    break
                chain.append(nxt)
            if chain[-1] in broken:
                broken.add(name)

        base_data = self.model_dump(by_alias=True, exclude={"strategies"})
        base_data["scenario"]["strategy"] = "hybrid"
        for name, sdef in self.strategies.items():
            if name in broken:
                continue
            for key in sdef.overrides:
                if key.split(".")[0] == "strategies" or key == "scenario.strategy":
                    problems.append(
                        (
                            f"strategies.{name}.set",
                            f"a strategy cannot change [strategies] or scenario.strategy: {key}",
                        )
                    )
                    broken.add(name)
        # Bases before the strategies built on them, so a broken base is reported once.
        ordered = sorted(
            (n for n in self.strategies if n not in broken),
            key=lambda n: len(self._chain(n)[1]),
        )
        for name in ordered:
            sdef = self.strategies[name]
            if name in broken or self._any_ancestor_in(name, broken):
                continue
            data = copy.deepcopy(base_data)
            own = set(sdef.overrides)
            failed = False
            for origin, item in self._chain_overrides(name):
                problem = _assign(data, item)
                if problem is not None:
                    failed = True
                    if origin == name:
                        problems.append((f"strategies.{name}.set.{item.key}", problem.message))
            if failed:
                broken.add(name)
                continue
            try:
                Scenario.model_validate(data)
            except ValidationError as exc:
                broken.add(name)
                for p in _translate(exc, data, None):
                    if p.path in own:
                        problems.append((f"strategies.{name}.set.{p.path}", p.message))
                    else:
                        where = f"{p.path}: " if p.path else ""
                        problems.append(
                            (
                                f"strategies.{name}.set",
                                f"gives an invalid scenario: {where}{p.message}",
                            )
                        )
        return problems

    def _any_ancestor_in(self, name: str, names: set[str]) -> bool:
        base = self.strategies[name].base
        while base not in BUILTIN_STRATEGIES:
            if base in names:
                return True
            base = self.strategies[base].base
        return False

    def _chain(self, name: str) -> tuple[str, list[str]]:
        """The base mode of strategy ``name`` and its chain of named strategies, base first."""
        chain: list[str] = []
        current = name
        while current not in BUILTIN_STRATEGIES:
            if current in chain:
                raise ScenarioError(
                    Problem(None, f"strategies.{name}", "strategy cycle: " + " -> ".join(chain))
                )
            if current not in self.strategies:
                raise ScenarioError(
                    Problem(None, "strategy", _unknown("strategy", current, self.strategy_names()))
                )
            chain.append(current)
            current = self.strategies[current].base
        return current, chain[::-1]

    def _chain_overrides(self, name: str) -> list[tuple[str, _Override]]:
        _, chain = self._chain(name)
        return [
            (link, _Override(key, value))
            for link in chain
            for key, value in self.strategies[link].overrides.items()
        ]

    # ---- public API ----------------------------------------------------------------------

    def strategy_names(self) -> list[str]:
        """Every strategy this scenario can run: the three built-ins, then the named ones.

        Returns:
            ``["direct", "indirect", "hybrid", *named strategies in file order]``.
        """
        return [*BUILTIN_STRATEGIES, *(n for n in self.strategies if n not in BUILTIN_STRATEGIES)]

    def resolve_strategy(self, name: str) -> tuple[str, Scenario]:
        """The base mode and the scenario to simulate for strategy ``name``.

        Args:
            name: a built-in strategy or a name under ``[strategies]``.

        Returns:
            ``(mode, scenario)``: mode is "direct", "indirect" or "hybrid" (following base
            chains); scenario has the ``set`` overrides of the chain applied, base first.

        Raises:
            ScenarioError: unknown strategy name (the message lists the known ones).
        """
        if name in BUILTIN_STRATEGIES:
            return name, self
        if name not in self.strategies:
            raise ScenarioError(
                Problem(None, "strategy", _unknown("strategy", name, self.strategy_names()))
            )
        mode, _ = self._chain(name)
        items = [item for _, item in self._chain_overrides(name)]
        return mode, _build(self._to_data(), items, None)

    def with_overrides(self, overrides: Mapping[str, Any] | Sequence[str]) -> Scenario:
        """A new, validated scenario with some keys changed.

        Args:
            overrides: ``{dotted_key: value}`` (values are converted to the field's type by
                validation, so ``"5"`` becomes 5 for a whole-number field), or ``--set``
                style ``"key=value"`` strings.

        Returns:
            The new scenario; this one is unchanged. Every key of this scenario is already
            filled, so changing a program's ``kind`` here keeps its other values; to get the
            new kind's defaults, pass the override to :func:`load_scenario` instead.

        Raises:
            ScenarioError: unknown keys or invalid values (problems carry no file name).
        """
        items, problems = _normalize_overrides(overrides)
        return _build(self._to_data(), items, None, problems)

    def to_toml_dict(self) -> dict[str, Any]:
        """The scenario as plain TOML-ready data: every key filled, empty optional keys left out.

        Returns:
            Nested dicts and lists of numbers and strings; fixed distributions are plain
            numbers, ``inf`` is ``math.inf``.
        """
        return _toml_ready(self._to_data())

    def to_toml(self) -> str:
        """The resolved scenario as TOML text with every default filled in.

        Loading the text gives back an equal scenario.

        Returns:
            TOML text starting with a comment header naming the channelsim version.
        """
        from channelsim import __version__

        header = (
            f"# Resolved scenario written by channelsim {__version__}: every key has its value,\n"
            "# defaults included. Running this file reproduces the results (same seed).\n\n"
        )
        return header + _dump_toml(self.to_toml_dict())

    def _to_data(self) -> dict[str, Any]:
        """Plain data that validates back into this scenario (keys as written in files)."""
        return self.model_dump(by_alias=True)


# Human-readable cross-field rules, listed in the generated reference.
VALIDATION_RULES: tuple[str, ...] = (
    "`demand.segments`: names are unique and shares sum to 1 (tolerance 1e-6).",
    "`demand.ceiling_leads_per_month` is required, and at least `leads_per_month`, when "
    '`growth = "logistic"`.',
    '`demand.growth_rate`: with `growth = "linear"` the lead rate must stay >= 0 over the '
    "horizon, i.e. `1 + growth_rate * horizon_months >= 0`.",
    '`demand.growth_rate`: with `growth = "exponential"` it is compounded monthly, '
    "`(1 + growth_rate)^months`, so it must be above -1.",
    "`direct.initial_reps` is at most `direct.max_reps`.",
    "`direct.sales_cycle_days` and `partners.NAME.sales_cycle_days` are finite (a sales cycle "
    "ends).",
    '`direct.hiring.headcount_plan`: months strictly increasing; required when `policy = "plan"`.',
    "`partners`: program names are unique; `kind` sets the default of every other key.",
    "`strategies`: names may not be `direct`, `indirect` or `hybrid`; `base` names a known "
    "strategy, with no cycles; every key of `set` names an existing field and the result must "
    "be a valid scenario; a strategy may not change `[strategies]` or `scenario.strategy`.",
    "`scenario.strategy` is `direct`, `indirect`, `hybrid` or a name under `[strategies]`.",
)


# --------------------------------------------------------------------------------------------
# Loading


def load_scenario(
    path: str | PathLike[str],
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
) -> Scenario:
    """Read, override and validate a scenario file.

    Args:
        path: the TOML scenario file.
        overrides: ``--set`` strings ``"key=value"`` (value read as a TOML value, else as raw
            text) or a mapping ``{dotted_key: value}``; applied before validation, so a
            kind-defaulted partner key or a changed ``kind`` works as if written in the file.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: one Problem per mistake, each naming the file and the key path.
    """
    file = str(path)
    p = Path(path)
    if not p.exists():
        raise ScenarioError(Problem(file, "", "file not found"))
    if not p.is_file():
        raise ScenarioError(Problem(file, "", "not a file"))
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(Problem(file, "", "not a UTF-8 text file")) from None
    except OSError as exc:
        raise ScenarioError(Problem(file, "", f"cannot read: {exc.strerror}")) from None
    return loads_scenario(text, overrides, file=file)


def loads_scenario(
    text: str,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    *,
    file: str | None = None,
) -> Scenario:
    """Parse, override and validate scenario TOML text.

    Args:
        text: the TOML text.
        overrides: as for :func:`load_scenario`.
        file: the name to put in problems (None: problems name no file).

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: TOML syntax errors, bad overrides, invalid values.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(Problem(file, "", f"invalid TOML: {exc}")) from None
    items, problems = _normalize_overrides(overrides)
    return _build(data, items, file, problems)


def parse_value(text: str) -> Any:
    """Read a ``--set`` value as a TOML value, else as raw text.

    ``5``, ``0.4``, ``inf``, ``[1, 2]``, ``{dist = "exponential", mean = 30}`` and ``"text"``
    are TOML values; anything that is not (``direct``, ``My plan``) is kept as text.

    Args:
        text: what follows ``=`` in ``--set key=value``.

    Returns:
        The parsed value.
    """
    try:
        parsed = tomllib.loads("v = " + text)
    except tomllib.TOMLDecodeError:
        return text
    return parsed["v"] if len(parsed) == 1 else text


@dataclass(frozen=True)
class _Override:
    key: str
    value: Any
    text: str | None = None  # the raw --set text, kept so string fields get it verbatim


def _normalize_overrides(
    overrides: Mapping[str, Any] | Sequence[str] | None,
) -> tuple[list[_Override], list[Problem]]:
    if overrides is None:
        return [], []
    if isinstance(overrides, Mapping):
        return [_Override(str(k), v) for k, v in overrides.items()], []
    if isinstance(overrides, str):
        overrides = [overrides]
    items: list[_Override] = []
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
        items.append(_Override(key, parse_value(text), text))
    return items, problems


def _build(
    data: dict[str, Any],
    items: Iterable[_Override],
    file: str | None,
    problems: Sequence[Problem] = (),
) -> Scenario:
    """Apply overrides to raw data and validate it, turning every mistake into a Problem."""
    problems = [*problems, *(p for p in (_assign(data, item) for item in items) if p)]
    if problems:
        raise ScenarioError([p.in_file(file) for p in problems])
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_translate(exc, data, file)) from None


# --------------------------------------------------------------------------------------------
# Type walking: shared by error translation, overrides and the reference doc


def _unwrap(tp: Any) -> tuple[Any, list[Any], bool]:
    """Strip Annotated and Optional: (core type, metadata, whether None is allowed)."""
    metadata: list[Any] = []
    optional = False
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            metadata.extend(tp.__metadata__)
            tp = get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType) and not _is_dist(tp):
            args = get_args(tp)
            rest = [a for a in args if a is not type(None)]
            optional = optional or len(rest) < len(args)
            if len(rest) == 1:
                tp = rest[0]
                continue
        return tp, metadata, optional


def _is_dist(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType) and Fixed in get_args(tp)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _model_field(model: type[BaseModel], key: Any) -> tuple[str, FieldInfo] | None:
    """The field that TOML key ``key`` (a name or an alias) names, with its key in files."""
    for name, info in model.model_fields.items():
        if key == (info.alias or name):
            return info.alias or name, info
    return None


def _file_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _bounds(metadata: Iterable[Any]) -> dict[str, Any]:
    """Numeric and length constraints found in pydantic/annotated-types metadata."""
    found: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):
            found.update(_bounds(item.metadata))
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


_NAMED_ITEMS = {"partners": "partner program", "segments": "segment", "strategies": "strategy"}


@dataclass
class _Spot:
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
    if not isinstance(name, str) or not name:
        return None
    names = [i.get("name") for i in items if isinstance(i, dict)]
    return name if names.count(name) == 1 else None


def _walk_loc(loc: tuple[Any, ...], data: Any) -> _Spot:
    """Follow a pydantic error location through the schema and the user's data."""
    tp: Any = Scenario
    metadata: list[Any] = []
    raw: Any = data
    parts: list[str] = []
    parent: type[BaseModel] | None = None
    in_fixed = False
    for element in loc:
        core, more, _ = _unwrap(tp) if tp is not None else (None, [], False)
        metadata = metadata + more
        if core is None:
            parts.append(str(element) if isinstance(element, str) else f"[{element}]")
            continue
        if _is_dist(core) and element in DIST_CLASSES:
            # Union tag in the location: not something the user wrote.
            tp, metadata, in_fixed = DIST_CLASSES[element], [], element == "fixed"
            continue
        if _is_model(core):
            found = _model_field(core, element)
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
    core, more, _ = _unwrap(tp) if tp is not None else (None, [], False)
    return _Spot(_join(parts), core, metadata + more, parent)


# --------------------------------------------------------------------------------------------
# Messages


def _num(x: Any) -> str:
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


def _show(value: Any) -> str:
    """A user's input value, briefly, for a message."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, bool | int | float):
        return _num(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "nothing"
    return repr(value)


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, [o for o in options if isinstance(o, str)], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unknown(what: str, word: str, known: Sequence[str]) -> str:
    hint = _did_you_mean(word, known)
    listing = ", ".join(known) if known else "none defined"
    return f"unknown {what} {word!r}{hint}; known: {listing}"


def _range_message(bounds: Mapping[str, Any], value: Any) -> str:
    lo = (
        ("ge", bounds["ge"]) if "ge" in bounds else ("gt", bounds["gt"]) if "gt" in bounds else None
    )
    hi = (
        ("le", bounds["le"]) if "le" in bounds else ("lt", bounds["lt"]) if "lt" in bounds else None
    )
    got = f", got {_num(value)}"
    if lo and hi and lo[0] == "ge" and hi[0] == "le":
        return f"must be between {_num(lo[1])} and {_num(hi[1])}{got}"
    words = []
    if lo:
        words.append(("at least " if lo[0] == "ge" else "greater than ") + _num(lo[1]))
    if hi:
        words.append(("at most " if hi[0] == "le" else "below ") + _num(hi[1]))
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


def _message(err: Mapping[str, Any], spot: _Spot) -> str:
    """One readable sentence for one pydantic error."""
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    tp = spot.tp
    if isinstance(value, float) and math.isnan(value) and kind not in _NUMBER_ERRORS:
        return "must be a finite number, got nan"
    if kind == "finite_number":
        return f"must be a finite number, got {_num(value)}"
    if kind == "extra_forbidden":
        key = spot.path.rsplit(".", 1)[-1]
        allowed = _file_keys(spot.parent) if spot.parent is not None else []
        hint = _did_you_mean(key, allowed)
        if hint or not allowed:
            return f"unknown key {key!r}{hint}"
        return f"unknown key {key!r}; expected one of: {', '.join(allowed)}"
    if kind == "missing":
        if get_origin(tp) is Literal:
            return "is required (one of " + ", ".join(map(str, get_args(tp))) + ")"
        return "is required"
    if _is_dist(tp) and (kind in _TABLE_ERRORS or kind.startswith("union_tag")):
        return (
            "expected a number, inf or a distribution table such as "
            f'{{dist = "exponential", mean = 30}}, got {_show(value)}'
        )
    if kind in _NUMBER_ERRORS:
        expected = "a whole number" if tp is int else "a number"
        return f"expected {expected}, got {_show(value)}"
    if kind in _BOUND_ERRORS:
        bounds = {**ctx, **_bounds(spot.metadata)}
        return _range_message(bounds, value)
    if kind == "literal_error":
        choices = [str(c) for c in get_args(tp)] if get_origin(tp) is Literal else []
        if not choices:
            return f"got {_show(value)}: {err['msg']}"
        hint = _did_you_mean(str(value), choices) if isinstance(value, str) else ""
        return f"must be one of {', '.join(choices)}, got {_show(value)}{hint}"
    if kind in ("too_short", "too_long"):
        bounds = _bounds(spot.metadata)
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
        return f"expected a string (text in quotes), got {_show(value)}"
    if kind in _TABLE_ERRORS:
        return f"expected a table, got {_show(value)}"
    if kind in ("list_type", "tuple_type"):
        if get_origin(tp) is list and _is_model(_unwrap(get_args(tp)[0])[0]):
            return f"expected an array of tables ([[{spot.path}]]), got {_show(value)}"
        return f"expected a list, got {_show(value)}"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    if kind == "assertion_error":
        return str(err["msg"]).removeprefix("Assertion failed, ")
    return f"{err['msg']}, got {_show(value)}"


def _translate(exc: ValidationError, data: Any, file: str | None) -> list[Problem]:
    """One Problem per pydantic error, named by the key path the user wrote."""
    problems: list[Problem] = []
    for err in exc.errors():
        spot = _walk_loc(tuple(err["loc"]), data)
        cause = (err.get("ctx") or {}).get("error")
        if err["type"] == "value_error" and isinstance(cause, _Invalid):
            for rel, message in cause.problems:
                path = f"{spot.path}.{rel}" if spot.path and rel else spot.path or rel
                problems.append(Problem(file, path, message))
            continue
        problems.append(Problem(file, spot.path, _message(err, spot)))
    return problems


# --------------------------------------------------------------------------------------------
# Dotted-key overrides


def _is_text(tp: Any) -> bool:
    return tp is str or (
        get_origin(tp) is Literal and all(isinstance(a, str) for a in get_args(tp))
    )


def _coerce(item: _Override, tp: Any) -> Any:
    """The value to store for an override whose target has type ``tp``.

    Text fields take ``--set`` text verbatim (``--set scenario.name=2026 plan``); strings from a
    mapping aimed at a distribution, list or table are read as TOML values; everything else
    is left to validation, which converts ``"5"`` to 5 for a whole-number field.
    """
    core, _, _ = _unwrap(tp)
    if item.text is not None and _is_text(core) and not isinstance(item.value, str):
        return item.text
    if item.text is None and isinstance(item.value, str) and not _is_text(core):
        if _is_dist(core) or get_origin(core) in (list, tuple, dict) or _is_model(core):
            return parse_value(item.value)
    return item.value


def _named_lookup(parts: list[str], names: list[str]) -> tuple[str, int] | None:
    """The longest known name spelled by ``parts[:n]`` joined with dots (names may hold dots)."""
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in names:
            return candidate, n
    return None


def _assign(data: dict[str, Any], item: _Override) -> Problem | None:
    """Set ``item.key`` in raw scenario data, checking the key against the schema."""
    parts = item.key.split(".")
    if any(not p.strip() for p in parts):
        return Problem(None, item.key, "empty part in dotted key")
    tp: Any = Scenario
    container: Any = data
    i = 0
    while True:
        core, _, _ = _unwrap(tp)
        here = ".".join(parts[: i + 1])
        if not _is_model(core):  # pragma: no cover - every branch below re-enters with a model
            return Problem(None, here, "cannot set a key inside this value")
        found = _model_field(core, parts[i])
        if found is None:
            allowed = _file_keys(core)
            hint = _did_you_mean(parts[i], allowed)
            if hint:
                return Problem(None, here, f"unknown key {parts[i]!r}{hint}")
            return Problem(
                None, here, f"unknown key {parts[i]!r}; expected one of: {', '.join(allowed)}"
            )
        key, info = found
        rest = parts[i + 1 :]
        if not rest:
            container[key] = _coerce(item, info.annotation)
            return None
        sub, _, _ = _unwrap(info.annotation)
        origin, args = get_origin(sub), get_args(sub)
        if _is_model(sub):
            value = container.setdefault(key, {})
            if not isinstance(value, dict):
                return Problem(None, here, f"is not a table (it is {_show(value)})")
            container, tp, i = value, sub, i + 1
            continue
        if origin in (list, dict) and _is_model(_unwrap(args[-1])[0]):
            what = _NAMED_ITEMS.get(key, "entry")
            entries = container.get(key)
            if origin is list:
                entries = entries if isinstance(entries, list) else []
                names = [e["name"] for e in entries if isinstance(e, dict) and "name" in e]
            else:
                entries = entries if isinstance(entries, dict) else {}
                names = list(entries)
            names = [n for n in names if isinstance(n, str)]
            match = _named_lookup(rest, names)
            if match is None:
                return Problem(None, f"{here}.{rest[0]}", _unknown(what, rest[0], names))
            name, n = match
            if origin is list:
                index = next(
                    j
                    for j, e in enumerate(entries)
                    if isinstance(e, dict) and e.get("name") == name
                )
            if n == len(rest):
                value = _coerce(item, args[-1])
                if origin is list:
                    entries[index] = value
                else:
                    entries[name] = value
                return None
            target = entries[index] if origin is list else entries[name]
            if not isinstance(target, dict):
                return Problem(None, f"{here}.{name}", f"is not a table (it is {_show(target)})")
            container, tp, i = target, args[-1], i + 1 + n
            continue
        if origin is dict:  # a free-form table: the rest of the key is one key of it
            table = container.setdefault(key, {})
            if not isinstance(table, dict):
                return Problem(None, here, f"is not a table (it is {_show(table)})")
            table[".".join(rest)] = item.value
            return None
        if origin is list and len(rest) == 1 and rest[0].isdigit():
            values = container.get(key)
            index = int(rest[0])
            if not isinstance(values, list) or index >= len(values):
                size = len(values) if isinstance(values, list) else 0
                return Problem(None, item.key, f"index {index} is out of range (0..{size - 1})")
            values[index] = _coerce(item, args[0])
            return None
        if _is_dist(sub) and len(rest) == 1:
            if key not in container:  # omitted: start from the default it would get
                container[key] = copy.deepcopy(_default_in_file(core, container, key, info))
            spec = container.get(key)
            if not isinstance(spec, dict):
                return Problem(
                    None,
                    item.key,
                    f"{here} is a plain number ({_show(spec)}); set the whole distribution, "
                    f'e.g. {here}={{dist = "lognormal", mean = 45, sd = 20}}',
                )
            model = DIST_CLASSES.get(str(spec.get("dist")))
            allowed = [k for k in _file_keys(model) if k != "dist"] if model else []
            if model is not None and rest[0] not in allowed:
                hint = _did_you_mean(rest[0], allowed)
                return Problem(
                    None,
                    item.key,
                    f"unknown parameter {rest[0]!r} of a {spec['dist']} distribution{hint}; "
                    f"expected one of: {', '.join(allowed)}",
                )
            spec[rest[0]] = item.value
            return None
        return Problem(None, item.key, f"{here} is a value, not a table: nothing to set inside it")


def _default_in_file(model: type[BaseModel], table: Mapping[str, Any], key: str, info: Any) -> Any:
    """The value an omitted key takes, as it would be written in a file."""
    if model is PartnerProgram and key in KIND_FIELDS:
        kind = table.get("kind")
        return KIND_DEFAULTS[kind][key] if kind in KIND_DEFAULTS else None
    return info.get_default(call_default_factory=True)


# --------------------------------------------------------------------------------------------
# TOML output


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_ready(value: Any) -> Any:
    """Drop None (TOML has no null) and turn tuples into lists."""
    if isinstance(value, dict):
        return {k: _toml_ready(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_toml_ready(v) for v in value]
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


def _dump_toml(data: Mapping[str, Any]) -> str:
    """TOML text in the style of the shipped scenarios: one [section] per table."""
    lines: list[str] = []

    def table(name: str, body: Mapping[str, Any], header: str | None) -> None:
        scalars = [(k, v) for k, v in body.items() if not (_is_section(k, v) or _is_aot(v))]
        nested = [(k, v) for k, v in body.items() if _is_section(k, v) or _is_aot(v)]
        if header is not None and (scalars or not nested):
            if lines:
                lines.append("")
            lines.append(header)
        for k, v in scalars:
            lines.append(f"{toml_key(k)} = {toml_value(v)}")
        for k, v in nested:
            full = f"{name}.{toml_key(k)}" if name else toml_key(k)
            if _is_aot(v):
                for entry in v:
                    table(full, entry, f"[[{full}]]")
            else:
                table(full, v, f"[{full}]")

    table("", data, None)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Schema export and field documentation


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
    core, _, optional = _unwrap(tp)
    if _is_dist(core):
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
    elif _is_model(core):
        words = "table"
    else:
        words = "any"
    return words + (" (optional)" if optional else "")


def _constraint_words(info: FieldInfo) -> str:
    core, inner, _ = _unwrap(info.annotation)
    bounds = _bounds([*info.metadata, *inner])
    words = _bound_words(bounds)
    if get_origin(core) in (list, tuple):
        items = [_unwrap(a) for a in get_args(core)]
        item_words = {_bound_words(_bounds(meta)) for _, meta, _ in items} - {""}
        count = bounds.get("min_length")
        parts = []
        if count is not None and count == bounds.get("max_length"):
            parts.append(f"exactly {count} values")
        if item_words:
            parts.append("each " + " ".join(sorted(item_words)))
        return ", ".join(parts)
    if _is_dist(core):
        return "≥ 0"
    return words


def _bound_words(bounds: Mapping[str, Any]) -> str:
    lo = ("≥", bounds["ge"]) if "ge" in bounds else (">", bounds["gt"]) if "gt" in bounds else None
    hi = ("≤", bounds["le"]) if "le" in bounds else ("<", bounds["lt"]) if "lt" in bounds else None
    if lo and hi:
        if lo[0] == "≥" and hi[0] == "≤":
            return f"{_num(lo[1])} to {_num(hi[1])}"
        return f"{_num(lo[1])} {'≤' if lo[0] == '≥' else '<'} x {hi[0]} {_num(hi[1])}"
    if lo:
        return f"{lo[0]} {_num(lo[1])}"
    if hi:
        return f"{hi[0]} {_num(hi[1])}"
    return ""


_PLACEHOLDER_ROWS: dict[type[BaseModel], dict[str, Any]] = {
    Segment: {"name": "segment", "share": 1.0},
    PartnerProgram: {"name": "program", "kind": "agent"},
}


def _defaults_of(model: type[BaseModel], **required: Any) -> dict[str, Any]:
    """The dumped default of every key of ``model`` (required keys given placeholder values)."""
    return _toml_ready(model.model_validate(required).model_dump(by_alias=True))


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
        core, _, _ = _unwrap(info.annotation)
        origin, args = get_origin(core), get_args(core)
        if _is_model(core):
            nested.append((core, f"[{key}.{file_key}]", f"{key}.{file_key}"))
            continue
        if origin in (list, dict) and _is_model(_unwrap(args[-1])[0]):
            item = _unwrap(args[-1])[0]
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
        core, _, _ = _unwrap(info.annotation)
        origin, args = get_origin(core), get_args(core)
        if _is_model(core):
            _table_docs(core, f"[{name}]", name, out)
        elif origin is list:
            _table_docs(_unwrap(args[0])[0], f"[[{name}]]", f"{name}.<name>", out)
        elif origin is dict:
            _table_docs(_unwrap(args[1])[0], f"[{name}.NAME]", f"{name}.<name>", out)
    return out


def flat_fields() -> list[FieldDoc]:
    """Every key of a scenario file, documented (see :class:`FieldDoc`).

    Returns:
        One entry per key, in file order, with ``partners.<name>`` and
        ``demand.segments.<name>`` placeholders.
    """
    return [f for table in flat_tables() for f in table.fields]
