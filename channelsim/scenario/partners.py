"""Partner programs (``[[partners]]``) and the defaults of each partner kind.

A program's ``kind`` (affiliate, reseller, agent, integrator) sets the default of every other
key (:data:`KIND_DEFAULTS`, with sources in ``docs/partner-kinds.md``); a file only has to give
``name`` and ``kind``. Every compensation field exists for every kind, so an agent paid a bounty
or a reseller paid a commission is a scenario, not a code change.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from channelsim.distributions import DistSpec
from channelsim.scenario.fields import Count, Invalid, Money, Name, Number, Table, finite_cycle

PARTNER_KINDS: tuple[str, ...] = ("affiliate", "reseller", "agent", "integrator")
"""The kinds of partner program (the article's four indirect channels)."""

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
        "renewal_commission_rate": 0.30,
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
        "renewal_commission_rate": 0,
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
        "renewal_commission_rate": 0.03,
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
        "renewal_commission_rate": 0.05,
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


class PartnerProgram(Table):
    """One partner program (``[[partners]]``): recruiting, selling, compensation, costs, service.

    Only ``name`` and ``kind`` are required; every other key defaults by kind.
    """

    model_config = ConfigDict(json_schema_extra=_partner_schema)

    name: Name = Field(
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
    renewal_commission_rate: Number = _by_kind(
        "renewal_commission_rate",
        "Commission on a customer's fees after its first term (share 0..1; subscriptions "
        "only): an agent's trail commission; affiliate default: SaaS affiliate commissions are "
        "often recurring, about 30% (Rewardful); agent default 3%, within the 2-5% renewal "
        "commissions of life insurance (thinkadvisor.com). A reseller keeps its discount on "
        "every fee it bills instead.",
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
        problems = finite_cycle(self.sales_cycle_days)
        if problems:
            raise Invalid(problems)
        return self


KIND_FIELDS: tuple[str, ...] = tuple(
    n for n in PartnerProgram.model_fields if n not in ("name", "kind")
)
"""The partner fields whose default depends on kind, in schema order."""
