"""The scenario's tables: general settings, targets, product, demand, routing, sales team, brand.

Each table is a pydantic model and the single source of its keys' defaults, units, ranges and
descriptions (STYLE.md, 2): the simulator reads validated values, ``docs/scenario-reference.md``
is generated from these models and ``channelsim schema`` prints their JSON Schema. Cross-field
rules live in one ``_check`` validator per table, raising :class:`~.fields.Invalid` with paths.
Partner programs are in :mod:`.partners`; subscriptions, cash and conflict in :mod:`.economics`;
the whole document in :mod:`.document`.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from channelsim.distributions import DistSpec
from channelsim.scenario.economics import Subscription
from channelsim.scenario.fields import (
    Count,
    CurrencyCode,
    Invalid,
    Money,
    Name,
    NonNegativeCount,
    Number,
    PositiveNumber,
    SeasonalFactor,
    Table,
    finite_cycle,
)
from channelsim.scenario.messages import number_text

_SEASONALITY_DEFAULT = [1.0] * 12


class Meta(Table):
    """General settings: name, horizon, replications, seed, and the strategy `run` simulates."""

    name: Name = Field("Untitled scenario", description="Scenario name shown in reports (text).")
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
    currency: CurrencyCode = Field(
        "USD",
        description="ISO 4217 code of the scenario's money (three capital letters: USD, EUR, "
        "GBP, JPY ...): every amount of the file is in it, and reports, tables, plots and "
        "Excel files label money with it.",
    )
    start_month: Count = Field(
        1,
        ge=1,
        le=12,
        description="Calendar month of simulated month 0 (1 = January ... 12 = December): "
        "demand.seasonality is indexed by calendar month, so a run starting in October (10) "
        "meets the October factor first.",
    )
    initial_state: Name | None = Field(
        None,
        min_length=1,
        description="JSON file of today's open deals (with their ages and owners) and sellers "
        "(with their tenures), relative to the scenario file; `channelsim calibrate` writes "
        "calibration/initial_state.json. The run starts from them at t = 0: each deal in its "
        "owner's channel with the rest of its cycle to go, each rep at their point of the "
        "ramp (docs/calibration.md, Start from today). Read and checked when the scenario is "
        "loaded. Omitted: an empty pipeline and fully ramped initial reps.",
    )


class Decision(Table):
    """How the recommendation is chosen (``[decision]``): the objective and the constraints.

    The recommended strategy is the one with the highest mean objective among those whose mean
    meets every constraint; a strategy that misses one is named with the reason.
    """

    objective: Literal["npv", "contribution", "contribution_margin"] = Field(
        "npv",
        description="What the recommendation maximises (channel total, mean over replications): "
        '"npv" (discounted contribution), "contribution" (over the horizon) or '
        '"contribution_margin" (contribution / revenue).',
    )
    max_peak_investment: Money | None = Field(
        None,
        ge=0,
        description="Most the company can put in before the money comes back (currency): a "
        "strategy whose mean peak investment exceeds it is not recommended. Omitted: no limit.",
    )
    min_contribution_margin: Number | None = Field(
        None,
        ge=-10,
        le=1,
        description="Least contribution margin a strategy must earn (share of revenue: 0.15 = "
        "15%) to be recommended. Omitted: no floor.",
    )


class Targets(Table):
    """Goals that some metrics measure against."""

    sales_per_month: PositiveNumber | None = Field(
        None,
        description="Sales a month that count as reaching scale (sales per month); "
        "`months_to_target` is the first month with at least this many sales. "
        "Omitted: no target.",
    )


class Product(Table):
    """What is sold: price, cost, deal-size noise and, for a subscription, its terms."""

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
    subscription: Subscription | None = Field(
        None,
        description="Recurring revenue ([product.subscription]); omitted: one-time sales. With "
        "it, price is what a sale pays once (a setup fee, or the first payment).",
    )


class Segment(Table):
    """One customer segment (``[[demand.segments]]``); each lead belongs to one segment."""

    name: Name = Field(min_length=1, description="Segment name, unique among segments (text).")
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


class Demand(Table):
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
        description="Twelve monthly multipliers of the lead rate (factors), by calendar month: "
        "element 0 is January (the first simulated month is scenario.start_month).",
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
                    f"so it must be above -1, got {number_text(self.growth_rate)}",
                )
            )
        if self.growth == "logistic":
            if self.ceiling_leads_per_month is None:
                problems.append(("ceiling_leads_per_month", 'is required when growth = "logistic"'))
            elif self.ceiling_leads_per_month < self.leads_per_month:
                problems.append(
                    (
                        "ceiling_leads_per_month",
                        f"must be at least leads_per_month ({number_text(self.leads_per_month)}), "
                        f"got {number_text(self.ceiling_leads_per_month)}",
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
            raise Invalid(problems)
        return self


class Routing(Table):
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


class Hiring(Table):
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
            raise Invalid(problems)
        return self


class Direct(Table):
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
        description="Rate at which reps leave, a year: each rep's tenure is exponential with "
        "mean 1/rate years. It is departures in a year / average headcount (the usual turnover "
        "figure), not the share of a year's starting team gone by its end, which is "
        "1 - e^-rate (0.30: 26%); from such a share s use -ln(1 - s) (30%: 0.36). Default: "
        "about 30% annual rep turnover (HBR via retorio.com; 28% in DePaul 2011).",
    )
    salary_annual: Money = Field(
        90_000.0, ge=0, description="Salary of one rep (currency a year), paid monthly."
    )
    commission_rate: Number = Field(
        0.10,
        ge=0,
        le=1,
        description="Rep commission (share 0..1 of the revenue won; with a subscription, of "
        "the sale and of a customer's fees in its first term).",
    )
    renewal_commission_rate: Number = Field(
        0.0,
        ge=0,
        le=1,
        description="Commission on renewals (share 0..1 of a customer's fees after its first "
        "term); subscriptions only.",
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
        problems = finite_cycle(self.sales_cycle_days)
        if self.initial_reps > self.max_reps:
            problems.append(
                (
                    "initial_reps",
                    f"must be at most max_reps ({self.max_reps}), got {self.initial_reps}",
                )
            )
        if problems:
            raise Invalid(problems)
        return self


class Brand(Table):
    """Refunds and the reputation index."""

    refund_rate: Number = Field(
        0.3, ge=0, le=1, description="Share 0..1 of bad experiences that end in a refund."
    )
    reputation_memory_months: Number = Field(
        6.0,
        ge=1,
        description="Span of the exponentially weighted reputation index (months): each "
        "month's sales count with a weight that fades by 2 / (span + 1) a month.",
    )
    reputation_prior_sales: Number = Field(
        20.0,
        ge=0,
        description="Sales behind the starting reputation of 1 (a pseudo-count): the index "
        "is weighted by sales, so a month of a handful of sales moves it little; 0 lets the "
        "first month's sales set it alone.",
    )


class Sensitivity(Table):
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
            (
                f"ranges.{key}",
                f"low must be below high, got [{number_text(low)}, {number_text(high)}]",
            )
            for key, (low, high) in self.ranges.items()
            if not low < high
        ]
        if problems:
            raise Invalid(problems)
        return self
