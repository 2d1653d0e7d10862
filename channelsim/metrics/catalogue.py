"""The metric catalogue: every metric's unit, kind, labels and better direction, in one place.

Every other module reads these entries: the ledger-to-metrics code (:mod:`.compute`) for what
to sum and which sums a ratio divides, the summaries for the column order of ``summary.csv``
and ``monthly.csv``, the formatter (:mod:`.formatting`) for units, the report and the terminal
for labels, the comparison for which direction is better, and ``channelsim metrics`` for the
listing. Adding a metric is one entry here (and, for a new flow, one ledger field).

Kinds:

* ``flow``: summed over months and over channels (sales, revenue, costs, hires ...);
* ``ratio``: recomputed from sums, never averaged (cost per sale = cost of sales / sales);
* ``stock``: read at the end of each month (monthly only: headcount, active partners);
* ``end``: a stock at the end of the horizon (summary only: ``headcount_end``);
* ``value``: a function of the monthly path (``npv``, ``peak_investment``);
* ``time``: the month an event first happens (``payback_month``, ``months_to_target``); it
  may never happen within the horizon: it is *censored* ("never" is later than the horizon);
* ``indicator``: 1 in a replication where an event happened, 0 where it did not; its mean is
  the share of replications (``payback_reached``, ``target_reached``);
* ``elasticity``: measured by ``compare`` (``cost_elasticity``).

**Intervals.** Each entry's bounds choose its 95% interval over replications
(:attr:`Metric.interval`): a Student t interval for unbounded metrics (money that can be
negative, differences); a percentile bootstrap for bounded ones (counts, costs, shares, times,
peak investment), which never leaves the bounds; a Wilson interval for indicators.

No imports beyond the standard library: the command line reads this module before it loads
anything heavy.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ACTIVITY_METRICS",
    "CATALOGUE",
    "CENSORED_METRICS",
    "COMPARISON_METRICS",
    "FLOW_METRICS",
    "KINDS",
    "MONTHLY_METRICS",
    "RATIO_METRICS",
    "SCALAR_METRICS",
    "STOCK_METRICS",
    "SUMMARY_METRICS",
    "Metric",
    "lower_is_better",
    "metric",
]

KINDS: tuple[str, ...] = (
    "flow",
    "ratio",
    "stock",
    "end",
    "value",
    "time",
    "indicator",
    "elasticity",
)
"""The kinds of metric (see the module docstring)."""


@dataclass(frozen=True)
class Metric:
    """One metric of the contract.

    Attributes:
        name: the name used in every table and option (``cost_per_sale``).
        unit: what one unit of it is: ``currency``, ``currency per sale``, ``share``,
            ``month``, ``days``, ``index``, ``elasticity`` or a count's noun (``sales``,
            ``leads``, ``reps``, ``partners``, ...).
        kind: one of :data:`KINDS`.
        better: ``higher`` or ``lower``: which value of A - B counts as A being better.
        description: what it measures, in one sentence.
        label: the long label of the report's tables ("" : the name in words).
        short: the short label of table headers and axes ("" : the name in words).
        undefined: what to show when it is undefined in every replication ("" : a dash).
        of: for a ratio, the (numerator, denominator) sums it divides.
        lower: the least value it can take (None: no bound).
        upper: the largest value it can take (None: no bound).
        reached: for a censored time, the indicator metric saying whether it happened.
    """

    name: str
    unit: str
    kind: str
    better: str
    description: str
    label: str = ""
    short: str = ""
    undefined: str = ""
    of: tuple[str, str] | None = None
    lower: float | None = 0.0
    upper: float | None = None
    reached: str | None = None

    @property
    def censored(self) -> bool:
        """Whether it may never happen within the horizon (a time: "never" is later)."""
        return self.kind == "time"

    @property
    def interval(self) -> str:
        """``t``, ``bootstrap`` or ``wilson``: how its 95% interval is computed (see above)."""
        if self.kind == "indicator":
            return "wilson"
        if self.lower is None and self.upper is None:
            return "t"
        return "bootstrap"

    @property
    def monthly(self) -> bool:
        """Whether ``monthly.csv`` has a column for it."""
        return self.kind in ("flow", "ratio", "stock")

    @property
    def summary(self) -> bool:
        """Whether ``summary.csv`` has rows for it."""
        return self.kind != "stock"

    @property
    def currency(self) -> bool:
        """Whether it is an amount of money (formatted with the scenario's currency)."""
        return self.unit.startswith("currency")

    @property
    def long_label(self) -> str:
        """The report's label (the name in words when none is set)."""
        return self.label or self.name.replace("_", " ")

    @property
    def short_label(self) -> str:
        """The table-header label (the name in words when none is set)."""
        return self.short or self.name.replace("_", " ")


# The order of each kind is the column order of monthly.csv and the row order of summary.csv.
CATALOGUE: tuple[Metric, ...] = (
    # -- flows --------------------------------------------------------------------------------
    Metric("leads", "leads", "flow", "higher", "Leads that entered the channel.", short="leads"),
    Metric("sourced_leads", "leads", "flow", "higher", "Leads that the partners brought in."),
    Metric("sales", "sales", "flow", "higher", "Deals won.", label="sales", short="sales"),
    Metric("lost_leads", "leads", "flow", "lower", "Leads that gave up waiting for a seller."),
    Metric("lost_deals", "deals", "flow", "lower", "Deals worked and lost."),
    Metric("disrupted_deals", "deals", "flow", "lower", "Deals whose seller left mid-cycle."),
    Metric("waiting_lead_days", "lead-days", "flow", "lower", "Time integral of the lead queue."),
    Metric(
        "revenue",
        "currency",
        "flow",
        "higher",
        "Paid by end customers.",
        label="revenue",
        short="revenue",
    ),
    Metric("discounts", "currency", "flow", "lower", "Reseller discounts."),
    Metric("refunds", "currency", "flow", "lower", "Refunds after bad experiences."),
    Metric(
        "net_revenue",
        "currency",
        "flow",
        "higher",
        "Received by the company.",
        label="net revenue (after discounts and refunds)",
    ),
    Metric("cogs", "currency", "flow", "lower", "Cost of goods or delivery of the sales."),
    Metric("gross_margin", "currency", "flow", "higher", "Net revenue - cogs.", lower=None),
    Metric(
        "fixed_channel_cost",
        "currency",
        "flow",
        "lower",
        "Channel cost that does not follow sales (salaries, managers, MDF, fixed).",
    ),
    Metric(
        "variable_channel_cost",
        "currency",
        "flow",
        "lower",
        "Channel cost paid per sale or bad experience (commissions, fees, escalations).",
    ),
    Metric("channel_cost", "currency", "flow", "lower", "Fixed + variable channel cost."),
    Metric("cost_of_sales", "currency", "flow", "lower", "Channel cost + discounts."),
    Metric(
        "contribution",
        "currency",
        "flow",
        "higher",
        "Gross margin - channel cost.",
        label="contribution (gross margin \u2212 channel cost)",
        short="contribution",
        lower=None,
    ),
    Metric("commissions", "currency", "flow", "lower", "Commissions and bounties paid."),
    Metric("network_fees", "currency", "flow", "lower", "Fees of affiliate networks."),
    Metric("escalation_costs", "currency", "flow", "lower", "Cost of fixing bad experiences."),
    Metric("salaries", "currency", "flow", "lower", "Salaries of the sales reps."),
    Metric("manager_costs", "currency", "flow", "lower", "Sales and partner managers."),
    Metric("recruiting_costs", "currency", "flow", "lower", "Recruiting cost of hires."),
    Metric("onboarding_costs", "currency", "flow", "lower", "Onboarding of hires and recruits."),
    Metric("mdf", "currency", "flow", "lower", "Market development funds."),
    Metric("fixed_costs", "currency", "flow", "lower", "Other fixed costs of the channel."),
    Metric("escalations", "bad experiences", "flow", "lower", "Sales with a bad experience."),
    Metric("hires", "reps", "flow", "higher", "Reps who started."),
    Metric("departures", "reps", "flow", "lower", "Reps who left."),
    Metric("partners_recruited", "partners", "flow", "higher", "Partners recruited."),
    Metric("partners_churned", "partners", "flow", "lower", "Active partners who left."),
    # -- ratios -------------------------------------------------------------------------------
    Metric(
        "lost_lead_share",
        "share",
        "ratio",
        "lower",
        "Lost leads / leads.",
        label="leads lost (share of leads)",
        short="leads lost",
        of=("lost_leads", "leads"),
        upper=1.0,
    ),
    Metric(
        "cost_per_sale",
        "currency per sale",
        "ratio",
        "lower",
        "Cost of sales / sales.",
        label="cost of sales per sale",
        short="cost per sale",
        undefined="no sales",
        of=("cost_of_sales", "sales"),
    ),
    Metric(
        "variable_cost_share",
        "share",
        "ratio",
        "higher",
        "Variable cost of sales (variable channel cost + discounts) / cost of sales.",
        label="variable share of cost of sales",
        short="variable cost share",
        of=("variable_cost_of_sales", "cost_of_sales"),
        upper=1.0,
    ),
    Metric(
        "contribution_margin",
        "share",
        "ratio",
        "higher",
        "Contribution / revenue.",
        label="contribution margin (of revenue)",
        short="contribution margin",
        of=("contribution", "revenue"),
        lower=None,
    ),
    Metric(
        "mean_wait_days",
        "days",
        "ratio",
        "lower",
        "Wait of the leads that reached a seller.",
        of=("wait_days", "served"),
    ),
    Metric(
        "utilization",
        "share",
        "ratio",
        "higher",
        "Busy slot-days / slot-days.",
        of=("busy_slot_days", "slot_days"),
        upper=1.0,
    ),
    Metric(
        "message_control_share",
        "share",
        "ratio",
        "higher",
        "Share of sales whose brand message the company controls.",
        label="sales with a controlled brand message",
        short="message control",
        of=("controlled_sales", "sales"),
        upper=1.0,
    ),
    # -- stocks (monthly) ---------------------------------------------------------------------
    Metric("headcount", "reps", "stock", "higher", "Reps employed at the end of the month."),
    Metric("partners_active", "partners", "stock", "higher", "Active partners at the month end."),
    Metric("open_deals", "deals", "stock", "lower", "Leads waiting or being sold to."),
    Metric("reputation", "index", "stock", "higher", "Reputation index (start = 1)."),
    # -- summary values -----------------------------------------------------------------------
    Metric(
        "npv",
        "currency",
        "value",
        "higher",
        "Contribution discounted monthly at scenario.discount_rate a year.",
        label="NPV of contribution",
        short="NPV",
        lower=None,
    ),
    Metric(
        "payback_month",
        "month",
        "time",
        "lower",
        "First month after which cumulative contribution stays >= 0.",
        label="payback month",
        undefined="never",
        reached="payback_reached",
    ),
    Metric(
        "payback_reached",
        "share",
        "indicator",
        "higher",
        "1 in a replication that pays back within the horizon, else 0 (mean: the share).",
        label="replications that pay back",
        upper=1.0,
    ),
    Metric(
        "peak_investment",
        "currency",
        "value",
        "lower",
        "Deepest dip of cumulative contribution below zero.",
        label="peak investment",
    ),
    Metric(
        "months_to_target",
        "month",
        "time",
        "lower",
        "First month with sales >= targets.sales_per_month.",
        label="first month at target",
        short="first month at target",
        undefined="not reached",
        reached="target_reached",
    ),
    Metric(
        "target_reached",
        "share",
        "indicator",
        "higher",
        "1 in a replication that reaches the sales target within the horizon, else 0.",
        label="replications that reach the target",
        upper=1.0,
    ),
    Metric("headcount_end", "reps", "end", "higher", "Reps employed at the end of the horizon."),
    Metric("partners_active_end", "partners", "end", "higher", "Active partners at the end."),
    Metric("open_deals_end", "deals", "end", "lower", "Open deals at the end of the horizon."),
    Metric(
        "reputation_end",
        "index",
        "end",
        "higher",
        "Reputation index at the end.",
        label="reputation at the end (start = 1)",
    ),
    # -- from compare -------------------------------------------------------------------------
    Metric(
        "cost_elasticity",
        "elasticity",
        "elasticity",
        "higher",
        "d ln(cost of sales) / d ln(sales), from compare's reruns.",
        label="cost elasticity (1: cost follows sales, 0: fixed)",
        lower=None,
    ),
)
"""Every metric, in contract order."""

_BY_NAME: dict[str, Metric] = {m.name: m for m in CATALOGUE}


def metric(name: str) -> Metric:
    """The catalogue entry of ``name``.

    Raises:
        KeyError: not a metric.
    """
    return _BY_NAME[name]


def lower_is_better(name: str) -> bool:
    """Whether a smaller value of ``name`` is the better one (False for unknown names)."""
    entry = _BY_NAME.get(name)
    return entry is not None and entry.better == "lower"


def _names(*kinds: str) -> tuple[str, ...]:
    return tuple(m.name for m in CATALOGUE if m.kind in kinds)


FLOW_METRICS: tuple[str, ...] = _names("flow")
"""Metrics that add up over months and over channels."""

RATIO_METRICS: tuple[str, ...] = _names("ratio")
"""Metrics recomputed from sums (never averaged)."""

STOCK_METRICS: tuple[str, ...] = _names("stock")
"""Monthly metrics read at the end of each month."""

SCALAR_METRICS: tuple[str, ...] = _names("value", "time", "indicator", "end")
"""Summary metrics that are not a sum of monthly values, in contract order."""

MONTHLY_METRICS: tuple[str, ...] = FLOW_METRICS + RATIO_METRICS + STOCK_METRICS
"""Columns of ``monthly.csv`` after strategy, replication, month and channel."""

SUMMARY_METRICS: tuple[str, ...] = FLOW_METRICS + RATIO_METRICS + SCALAR_METRICS
"""Metrics of every run's ``summary.csv``, in row order."""

COMPARISON_METRICS: tuple[str, ...] = _names("elasticity")
"""Metrics only ``compare`` adds (after the summary metrics)."""

CENSORED_METRICS: tuple[str, ...] = tuple(m.name for m in CATALOGUE if m.censored)
"""Times that may never happen within the horizon ("never" counts as later than it)."""


ACTIVITY_METRICS: tuple[str, ...] = (
    "leads",
    "sales",
    "channel_cost",
    "headcount_end",
    "partners_active_end",
)
"""A channel with all of these at zero did nothing (tables leave it out)."""
