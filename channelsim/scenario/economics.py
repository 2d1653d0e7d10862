"""The scenario's business tables: subscriptions, cash timing and channel conflict.

``[product.subscription]`` turns sales into customers who pay and renew (the simulator's
:mod:`channelsim.model.customers`), ``[cash]`` says when money moves
(:mod:`channelsim.metrics.compute`), ``[conflict]`` when partners take the company's own
demand (:class:`channelsim.model.routing.ConflictRouting`). Each table is optional; without it
the model behaves as it did before the table existed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from channelsim.distributions import DistSpec
from channelsim.scenario.fields import Count, Invalid, Money, Number, Table


class Subscription(Table):
    """Recurring revenue (``[product.subscription]``): a won sale becomes a paying customer.

    The customer pays ``fee_per_month`` (scaled like the deal's value by its segment's deal size
    and deal-size noise) from the month of the sale, commits for ``term_months``, and at the end
    of every term renews or not: it does not renew with probability ``churn``. It stays with the
    channel that sold it. Omit the table for one-time sales.
    """

    fee_per_month: Money = Field(
        gt=0,
        description="Monthly fee of a customer at list price, before a reseller's discount "
        "(currency a month); a deal of segment deal_size 2 pays twice it.",
    )
    cost_per_month: Money = Field(
        0.0,
        ge=0,
        description="Cost of serving a customer a month at list (hosting, support; currency a "
        "month), scaled with its fee: it sets the subscription's gross margin.",
    )
    term_months: Count = Field(
        12,
        ge=1,
        le=120,
        description="Length of a contract term (months): 1 = a monthly plan, 12 = an annual "
        "contract; the renewal decision comes at the end of every term.",
    )
    churn: DistSpec = Field(
        0.1,
        description="Probability that a customer does not renew at the end of a term (share "
        '0..1), or a distribution of it within 0..1 ({dist = "beta", a = ..., b = ...} is the '
        "shifted-beta-geometric model: each customer draws its own probability once, so the "
        "loyal ones stay and churn falls with tenure).",
    )
    bad_experience_churn_factor: Number = Field(
        1.0,
        ge=0,
        le=100,
        description="Multiplies the churn probability of a customer whose sale had a bad "
        "experience (factor; the product is capped at 1).",
    )
    expansion_annual: Number = Field(
        0.0,
        ge=-1,
        le=10,
        description="Growth of a retained customer's fee, a year (share: 0.05 = 5% a year), "
        "applied at each renewal.",
    )

    @model_validator(mode="after")
    def _check(self) -> Subscription:
        churn = self.churn
        top = getattr(churn, "high", None)
        if churn.dist == "fixed":
            top = churn.value
        if churn.dist in ("exponential", "lognormal", "gamma") or (top is not None and top > 1):
            raise Invalid(
                [
                    (
                        "churn",
                        "is a probability: give a number from 0 to 1, or a beta, uniform or "
                        "triangular distribution within 0..1",
                    )
                ]
            )
        return self


class Cash(Table):
    """When money moves (``[cash]``): payment terms, when commissions are paid, clawbacks.

    Contribution is booked when things happen; cash moves later. The cash flow of a month is
    what is collected minus what is paid in it; the balance starts at ``opening_cash``.
    """

    customer_payment_days: Number = Field(
        0.0,
        ge=0,
        le=730,
        description="Days a customer takes to pay the company (days sales outstanding): money "
        "of a sale or a monthly fee is collected this many days after it is booked.",
    )
    reseller_payment_days: Number = Field(
        0.0,
        ge=0,
        le=730,
        description="Days a reseller (a program with a discount) takes to pay the company "
        "for what it bought (days).",
    )
    commission_paid_on: Literal["booking", "collection"] = Field(
        "booking",
        description='When commissions are paid: "booking" (when the sale or fee is booked) or '
        '"collection" (when the customer\'s money comes in).',
    )
    commission_clawback_months: Count = Field(
        0,
        ge=0,
        le=120,
        description="A refund, or a customer lost at a renewal within this many months of its "
        "sale, takes back the commission of that sale (months; 0 = never).",
    )
    opening_cash: Money = Field(
        0.0, ge=-1e12, description="Cash at the start of month 0 (currency)."
    )


class Conflict(Table):
    """Channel conflict (``[conflict]``): when partners take the company's own demand.

    Without the table (or with zeros) partners only add reach, as before.
    """

    partner_sourced_overlap: Number = Field(
        0.0,
        ge=0,
        le=1,
        description="Share 0..1 of partner-sourced leads that are in fact company leads a "
        "partner registered first: such a lead is not new reach, it is the company's next own "
        "lead, taken by the partner (hybrid does not count it twice).",
    )
    deal_registration: Literal["partner_first", "direct_first"] = Field(
        "partner_first",
        description='Who works a lead both could take (an overlapping lead): "partner_first" '
        '(the partner that registered it) or "direct_first" (the sales team, when it has '
        "reps).",
    )
    price_undercut: Number = Field(
        0.0,
        ge=0,
        le=1,
        description="Share 0..1 of the company leads routed to the sales team that buy from a "
        "reseller instead, because the reseller passes part of its discount to the customer "
        "(only when a program with a discount has an active partner).",
    )
