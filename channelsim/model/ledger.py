"""The monthly ledger: per-channel, per-month accumulators in plain Python lists.

Memory grows with months x channels, never with leads. Plain lists (not numpy) because the
event loop adds one scalar at a time, where list indexing is several times cheaper than numpy's;
``to_arrays`` turns them into numpy once the run is over.
"""

from __future__ import annotations

import math

import numpy as np

MONTH = 365.25 / 12
"""Days in a month: the clock runs in days, reports in months."""

FLOW_FIELDS: tuple[str, ...] = (
    # lead fates
    "leads",
    "sourced_leads",
    "sales",
    "lost_leads",
    "lost_deals",
    "disrupted_deals",
    # money (currency)
    "revenue",
    "discounts",
    "refunds",
    "cogs",
    "commissions",
    "network_fees",
    "escalation_costs",
    "salaries",
    "manager_costs",
    "recruiting_costs",
    "onboarding_costs",
    "mdf",
    "fixed_costs",
    # service and brand
    "escalations",
    "controlled_sales",
    # queueing
    "wait_days",
    "served",
    "waiting_lead_days",
    "slot_days",
    "busy_slot_days",
    # sellers
    "hires",
    "departures",
    "partners_recruited",
    "partners_activated",
    "partners_churned",
    "seller_days",
    # shadow runs with win probabilities scaled (channelsim.model.elasticity), compare only
    "win_low_sales",
    "win_low_variable_cost",
    "win_high_sales",
    "win_high_variable_cost",
)
"""Quantities summed over a month."""

STOCK_FIELDS: tuple[str, ...] = ("headcount", "partners_active", "open_deals", "reputation")
"""Quantities read at the end of a month."""

FIXED_COST_FIELDS = (
    "salaries",
    "manager_costs",
    "recruiting_costs",
    "onboarding_costs",
    "mdf",
    "fixed_costs",
)
"""Cost lines that do not follow sales."""

VARIABLE_COST_FIELDS = ("commissions", "network_fees", "escalation_costs")
"""Cost lines paid per sale or per bad experience."""


def managers_cost(mean_people: float, span: int, salary_annual: float) -> float:
    """A month's cost of managers: ``ceil(mean people / span)`` managers (none for nobody)."""
    if mean_people <= 0:
        return 0.0
    return math.ceil(mean_people / span - 1e-9) * salary_annual / 12


class Ledger:
    """Monthly accumulators for ``n_channels`` channels over ``months`` months."""

    def __init__(self, n_channels: int, months: int) -> None:
        self.n_channels = n_channels
        self.months = months
        for name in FLOW_FIELDS + STOCK_FIELDS:
            setattr(self, name, [[0.0] * months for _ in range(n_channels)])

    def row(self, field: str, channel: int) -> list[float]:
        """The monthly list of one field for one channel (handed to hot code once)."""
        return getattr(self, field)[channel]

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Every field as a ``(n_channels, months)`` float array."""
        return {
            name: np.asarray(getattr(self, name), dtype=float)
            for name in FLOW_FIELDS + STOCK_FIELDS
        }
