"""Ledger arrays -> the metrics of the design contract, per channel, monthly and summed.

Channels reported: ``direct``, each partner program by name, ``partners`` (all programs) and
``total``. Monthly metrics are arrays over months; summary metrics are one number per
replication (flows summed, ratios recomputed from the sums, levels read at the last month, plus
the values such as ``npv`` and ``payback_month``). Which metrics exist, their kinds and the sums
behind each ratio come from the catalogue (:mod:`.catalogue`).

**Cash.** Contribution is booked when things happen; cash moves later
(:class:`Accounting`). A ledger row's net revenue is collected ``customer_payment_days`` after
it is booked (``reseller_payment_days`` for a program with a discount, which the reseller
pays); commissions are paid at booking or, with ``commission_paid_on = "collection"``, with
the money they are paid on; everything else is paid in its month. A delay of ``d`` days moves
an amount from month ``m`` to month ``m + d / 30.44``, split linearly between the two months it
falls between; money still outstanding at the horizon is not in the cash flow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from channelsim.metrics.catalogue import (
    FLOW_METRICS,
    LEVEL_METRICS,
    RATIO_METRICS,
    STOCK_METRICS,
    metric,
)
from channelsim.model.ledger import FIXED_COST_FIELDS, MONTH, VARIABLE_COST_FIELDS

if TYPE_CHECKING:
    from channelsim.scenario import Scenario

__all__ = [
    "MIN_LOG_SALES_CHANGE",
    "Accounting",
    "channel_groups",
    "cost_elasticity",
    "monthly_metrics",
    "summary_metrics",
]

# ledger field sums behind the ratio metrics: name -> (numerator, denominator)
_RATIOS = {name: metric(name).of for name in RATIO_METRICS}
_HIDDEN = ("wait_days", "served", "busy_slot_days", "slot_days", "controlled_sales")
_SUMMED = (
    "leads",
    "sourced_leads",
    "sales",
    "lost_leads",
    "lost_deals",
    "disrupted_deals",
    "waiting_lead_days",
    "revenue",
    "discounts",
    "refunds",
    "cogs",
    *VARIABLE_COST_FIELDS,
    *FIXED_COST_FIELDS,
    "escalations",
    "hires",
    "departures",
    "partners_recruited",
    "partners_churned",
    "recurring_revenue",
    "recurring_revenue_new12",
    "recurring_net_revenue",
    "churned_customers",
    "commission_clawbacks",
    "cannibalized_leads",
    *_HIDDEN,
)


@dataclass(frozen=True)
class Accounting:
    """What the metrics need to know beyond the ledger: discounting, the target and cash terms.

    Attributes:
        discount_rate: a year, for ``npv``.
        target_sales_per_month: ``targets.sales_per_month`` (None: no target).
        customer_payment_days: days customers take to pay.
        reseller_payment_days: days resellers take to pay.
        commission_on_collection: commissions are paid when the money comes in.
        opening_cash: cash at the start (in the ``total`` channel's balance).
        reseller_rows: ledger rows of the programs with a discount (their sales are billed to
            the reseller, which pays the company).
    """

    discount_rate: float = 0.10
    target_sales_per_month: float | None = None
    customer_payment_days: float = 0.0
    reseller_payment_days: float = 0.0
    commission_on_collection: bool = False
    opening_cash: float = 0.0
    reseller_rows: tuple[int, ...] = ()

    @classmethod
    def of(cls, scenario: Scenario) -> Accounting:
        """The accounting of a scenario (its discount rate, target and ``[cash]`` table)."""
        cash = scenario.cash
        return cls(
            discount_rate=scenario.scenario.discount_rate,
            target_sales_per_month=scenario.targets.sales_per_month,
            customer_payment_days=cash.customer_payment_days,
            reseller_payment_days=cash.reseller_payment_days,
            commission_on_collection=cash.commission_paid_on == "collection",
            opening_cash=cash.opening_cash,
            reseller_rows=tuple(
                i for i, p in enumerate(scenario.partners, start=1) if p.discount > 0
            ),
        )


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)


def channel_groups(programs: Sequence[str]) -> dict[str, list[int]]:
    """Reported channel name -> ledger rows it adds up (direct is row 0, programs follow)."""
    groups = {"direct": [0]}
    for i, name in enumerate(programs, start=1):
        groups[name] = [i]
    groups["partners"] = list(range(1, len(programs) + 1))
    groups["total"] = list(range(len(programs) + 1))
    return groups


def _delay(values: np.ndarray, days: float) -> np.ndarray:
    """Monthly amounts moved ``days`` later, split between the two months they fall between."""
    if days <= 0:
        return values
    shift = days / MONTH
    whole, part = int(math.floor(shift)), shift - math.floor(shift)
    out = np.zeros_like(values)
    months = values.shape[-1]
    if whole < months:
        out[..., whole:] += (1.0 - part) * values[..., : months - whole]
    if part and whole + 1 < months:
        out[..., whole + 1 :] += part * values[..., : months - whole - 1]
    return out


def cash_flows(arrays: dict[str, np.ndarray], acc: Accounting) -> np.ndarray:
    """Each ledger row's cash flow by month (collections minus payments), ``(rows, months)``."""
    net = arrays["revenue"] - arrays["discounts"] - arrays["refunds"]
    pay = arrays["commissions"] + arrays["network_fees"] - arrays["commission_clawbacks"]
    days = np.full(net.shape[0], acc.customer_payment_days)
    for row in acc.reseller_rows:
        if row < days.size:
            days[row] = acc.reseller_payment_days
    collected = np.stack([_delay(net[r], days[r]) for r in range(net.shape[0])])
    if acc.commission_on_collection:
        pay = np.stack([_delay(pay[r], days[r]) for r in range(net.shape[0])])
    fixed = sum(arrays[n] for n in FIXED_COST_FIELDS)
    return collected - arrays["cogs"] - fixed - arrays["escalation_costs"] - pay


def _flows(
    arrays: dict[str, np.ndarray], rows: list[int], cash: np.ndarray
) -> dict[str, np.ndarray]:
    """Monthly flows and stocks of a group of ledger rows (before ratios)."""
    months = arrays["sales"].shape[1]

    def total(name: str) -> np.ndarray:
        return arrays[name][rows].sum(axis=0) if rows else np.zeros(months)

    f: dict[str, np.ndarray] = {name: total(name) for name in _SUMMED}
    f["net_revenue"] = f["revenue"] - f["discounts"] - f["refunds"]
    f["gross_margin"] = f["net_revenue"] - f["cogs"]
    f["fixed_channel_cost"] = sum(f[n] for n in FIXED_COST_FIELDS)
    f["variable_channel_cost"] = sum(f[n] for n in VARIABLE_COST_FIELDS) - f["commission_clawbacks"]
    f["channel_cost"] = f["fixed_channel_cost"] + f["variable_channel_cost"]
    f["cost_of_sales"] = f["channel_cost"] + f["discounts"]
    f["contribution"] = f["gross_margin"] - f["channel_cost"]
    f["variable_cost_of_sales"] = f["variable_channel_cost"] + f["discounts"]
    f["cash_flow"] = cash[rows].sum(axis=0) if rows else np.zeros(months)
    for name in ("headcount", "partners_active", "open_deals", "active_customers"):
        f[name] = total(name)
    f["reputation"] = arrays["reputation"][0].copy()
    return f


def _levels(f: dict[str, np.ndarray], opening: float) -> dict[str, np.ndarray]:
    """The level metrics of a group: values at each month's end."""
    rr, recent = f["recurring_revenue"], f["recurring_revenue_new12"]
    nrr = np.full(rr.shape, np.nan)
    if rr.size > 12:
        base = rr[:-12]
        with np.errstate(divide="ignore", invalid="ignore"):
            nrr[12:] = np.where(
                base > 0, (rr[12:] - recent[12:]) / np.where(base > 0, base, 1), np.nan
            )
    return {
        "active_customers": f["active_customers"],
        "net_revenue_retention": nrr,
        "cash_balance": opening + np.cumsum(f["cash_flow"]),
    }


def monthly_metrics(
    arrays: dict[str, np.ndarray], programs: Sequence[str], acc: Accounting | None = None
) -> dict[str, dict[str, np.ndarray]]:
    """Every monthly metric for every reported channel."""
    acc = acc or Accounting()
    cash = cash_flows(arrays, acc)
    out: dict[str, dict[str, np.ndarray]] = {}
    for channel, rows in channel_groups(programs).items():
        f = _flows(arrays, rows, cash)
        m = {name: f[name] for name in FLOW_METRICS + STOCK_METRICS}
        for name, (num, den) in _RATIOS.items():
            m[name] = _ratio(f[num], f[den])
        levels = _levels(f, acc.opening_cash if channel == "total" else 0.0)
        m.update({name: levels[name] for name in LEVEL_METRICS})
        out[channel] = m
    return out


def _first_month(mask: np.ndarray) -> float:
    idx = np.flatnonzero(mask)
    return float(idx[0]) if idx.size else np.nan


def _stays_positive_from(cum: np.ndarray) -> float:
    """First month after which a cumulative sum stays >= 0.

    0: never below; NaN: still below at the end.
    """
    negative = np.flatnonzero(cum < 0)
    if not negative.size:
        return 0.0
    if negative[-1] == cum.size - 1:
        return np.nan
    return float(negative[-1] + 1)


MIN_LOG_SALES_CHANGE = 0.05
"""Below this change of ln(sales) between the 0.9x and 1.1x win scales (0.2 when no win
probability is capped at 1), the cost elasticity of a replication is not measurable."""


def cost_elasticity(arrays: dict[str, np.ndarray], rows: list[int], fixed_cost: float) -> float:
    """D ln(cost of sales) / d ln(sales) between the shadow runs at 0.9x and 1.1x win rates.

    ``fixed_cost`` is the base run's fixed channel cost (the shadow runs keep its capacity);
    NaN when it is not measurable (no sales at a scale, or sales that barely move).
    """
    s_lo = float(arrays["win_low_sales"][rows].sum())
    s_hi = float(arrays["win_high_sales"][rows].sum())
    c_lo = fixed_cost + float(arrays["win_low_variable_cost"][rows].sum())
    c_hi = fixed_cost + float(arrays["win_high_variable_cost"][rows].sum())
    if min(s_lo, s_hi, c_lo, c_hi) <= 0:
        return np.nan
    d_sales = np.log(s_hi / s_lo)
    if d_sales < MIN_LOG_SALES_CHANGE:
        return np.nan
    return float(np.log(c_hi / c_lo) / d_sales)


def summary_metrics(
    arrays: dict[str, np.ndarray],
    programs: Sequence[str],
    acc: Accounting | None = None,
    *,
    elasticity: bool = False,
) -> dict[str, dict[str, float]]:
    """One replication's summary: every summary metric for every reported channel.

    With ``elasticity`` (a run that booked the shadow runs of
    :mod:`channelsim.model.elasticity`) ``cost_elasticity`` is added.
    """
    acc = acc or Accounting()
    cash = cash_flows(arrays, acc)
    out: dict[str, dict[str, float]] = {}
    for channel, rows in channel_groups(programs).items():
        f = _flows(arrays, rows, cash)
        months = f["sales"].shape[0]
        s: dict[str, float] = {name: float(f[name].sum()) for name in FLOW_METRICS}
        sums = {k: float(v.sum()) for k, v in f.items()}
        for name, (num, den) in _RATIOS.items():
            s[name] = sums[num] / sums[den] if sums[den] else np.nan
        levels = _levels(f, acc.opening_cash if channel == "total" else 0.0)
        for name in LEVEL_METRICS:
            s[name] = float(levels[name][-1])
        contribution = f["contribution"]
        factors = (1.0 + acc.discount_rate) ** (-(np.arange(months) + 1) / 12.0)
        s["npv"] = float((contribution * factors).sum())
        cum = np.cumsum(contribution)
        s["peak_investment"] = float(max(0.0, -cum.min()))
        s["payback_month"] = _stays_positive_from(cum)
        s["payback_reached"] = 0.0 if np.isnan(s["payback_month"]) else 1.0
        target = acc.target_sales_per_month
        if target:
            s["months_to_target"] = _first_month(f["sales"] >= target)
            s["target_reached"] = 0.0 if np.isnan(s["months_to_target"]) else 1.0
        else:  # no target: neither a month nor a share means anything
            s["months_to_target"] = np.nan
            s["target_reached"] = np.nan
        s["headcount_end"] = float(f["headcount"][-1])
        s["partners_active_end"] = float(f["partners_active"][-1])
        s["open_deals_end"] = float(f["open_deals"][-1])
        s["reputation_end"] = float(f["reputation"][-1])
        s["arr_end"] = 12.0 * float(f["recurring_revenue"][-1])
        churned = sums["churned_customers"]
        s["customer_lifetime_value"] = (
            sums["recurring_net_revenue"] / churned if churned else np.nan
        )
        cac = s["cost_per_sale"]
        ltv = s["customer_lifetime_value"]
        s["ltv_to_cac"] = ltv / cac if np.isfinite(ltv) and np.isfinite(cac) and cac > 0 else np.nan
        s["min_cash_balance"] = float(levels["cash_balance"].min())
        s["cash_breakeven_month"] = _stays_positive_from(np.cumsum(f["cash_flow"]))
        s["cash_breakeven_reached"] = 0.0 if np.isnan(s["cash_breakeven_month"]) else 1.0
        if elasticity:
            s["cost_elasticity"] = cost_elasticity(arrays, rows, s["fixed_channel_cost"])
        out[channel] = s
    return out
