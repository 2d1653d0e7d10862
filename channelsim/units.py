"""The unit of each metric, in one place, for tables, axes and reports.

No imports beyond the standard library: the command line reads this module before it loads
anything heavy.
"""

from __future__ import annotations

CURRENCY_METRICS: frozenset[str] = frozenset(
    {
        "revenue",
        "discounts",
        "refunds",
        "net_revenue",
        "cogs",
        "gross_margin",
        "fixed_channel_cost",
        "variable_channel_cost",
        "channel_cost",
        "cost_of_sales",
        "contribution",
        "commissions",
        "network_fees",
        "escalation_costs",
        "salaries",
        "manager_costs",
        "recruiting_costs",
        "onboarding_costs",
        "mdf",
        "fixed_costs",
        "cost_per_sale",
        "npv",
        "peak_investment",
    }
)
"""Metrics in the scenario's currency (formatting of tables, axes and reports)."""

SHARE_METRICS: frozenset[str] = frozenset(
    {"contribution_margin", "variable_cost_share", "lost_lead_share", "message_control_share"}
)
"""Metrics that are shares (shown as percentages)."""

MONTH_METRICS: frozenset[str] = frozenset({"months_to_target", "payback_month"})
"""Metrics that are a month index."""

UNDEFINED_LABELS: dict[str, str] = {
    "months_to_target": "not reached",
    "payback_month": "never",
    "cost_per_sale": "no sales",
}
"""What to show for a metric that is undefined in every replication."""

ACTIVITY_METRICS: tuple[str, ...] = (
    "leads",
    "sales",
    "channel_cost",
    "headcount_end",
    "partners_active_end",
)
"""A channel with all of these at zero did nothing (tables leave it out)."""
