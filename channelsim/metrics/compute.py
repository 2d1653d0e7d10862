"""Ledger arrays -> the metrics of the design contract, per channel, monthly and summed.

Channels reported: ``direct``, each partner program by name, ``partners`` (all programs) and
``total``. Monthly metrics are arrays over months; summary metrics are one number per
replication (flows summed, ratios recomputed from the sums, plus the scalar metrics such as
``npv`` and ``payback_month``). Which metrics exist, their kinds and the sums behind each ratio
come from the catalogue (:mod:`.catalogue`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from channelsim.metrics.catalogue import FLOW_METRICS, RATIO_METRICS, STOCK_METRICS, metric
from channelsim.model.ledger import FIXED_COST_FIELDS, VARIABLE_COST_FIELDS

__all__ = [
    "MIN_LOG_SALES_CHANGE",
    "channel_groups",
    "cost_elasticity",
    "monthly_metrics",
    "summary_metrics",
]

# ledger field sums behind the ratio metrics: name -> (numerator, denominator)
_RATIOS = {name: metric(name).of for name in RATIO_METRICS}
_HIDDEN = ("wait_days", "served", "busy_slot_days", "slot_days", "controlled_sales")


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


def _flows(arrays: dict[str, np.ndarray], rows: list[int]) -> dict[str, np.ndarray]:
    """Monthly flows of a group of ledger rows (before ratios)."""
    months = arrays["sales"].shape[1]

    def total(name: str) -> np.ndarray:
        return arrays[name][rows].sum(axis=0) if rows else np.zeros(months)

    f: dict[str, np.ndarray] = {}
    for name in (
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
        *_HIDDEN,
    ):
        f[name] = total(name)
    f["net_revenue"] = f["revenue"] - f["discounts"] - f["refunds"]
    f["gross_margin"] = f["net_revenue"] - f["cogs"]
    f["fixed_channel_cost"] = sum(f[n] for n in FIXED_COST_FIELDS)
    f["variable_channel_cost"] = sum(f[n] for n in VARIABLE_COST_FIELDS)
    f["channel_cost"] = f["fixed_channel_cost"] + f["variable_channel_cost"]
    f["cost_of_sales"] = f["channel_cost"] + f["discounts"]
    f["contribution"] = f["gross_margin"] - f["channel_cost"]
    f["variable_cost_of_sales"] = f["variable_channel_cost"] + f["discounts"]
    for name in ("headcount", "partners_active", "open_deals"):
        f[name] = total(name)
    f["reputation"] = arrays["reputation"][0].copy()
    return f


def monthly_metrics(
    arrays: dict[str, np.ndarray], programs: Sequence[str]
) -> dict[str, dict[str, np.ndarray]]:
    """Every monthly metric for every reported channel."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for channel, rows in channel_groups(programs).items():
        f = _flows(arrays, rows)
        m = {name: f[name] for name in FLOW_METRICS + STOCK_METRICS}
        for name, (num, den) in _RATIOS.items():
            m[name] = _ratio(f[num], f[den])
        out[channel] = m
    return out


def _first_month(mask: np.ndarray) -> float:
    idx = np.flatnonzero(mask)
    return float(idx[0]) if idx.size else np.nan


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
    discount_rate: float,
    target_sales_per_month: float | None,
    *,
    elasticity: bool = False,
) -> dict[str, dict[str, float]]:
    """One replication's summary: every summary metric for every reported channel.

    With ``elasticity`` (a run that booked the shadow runs of
    :mod:`channelsim.model.elasticity`) ``cost_elasticity`` is added.
    """
    out: dict[str, dict[str, float]] = {}
    for channel, rows in channel_groups(programs).items():
        f = _flows(arrays, rows)
        months = f["sales"].shape[0]
        s: dict[str, float] = {name: float(f[name].sum()) for name in FLOW_METRICS}
        sums = {k: float(v.sum()) for k, v in f.items()}
        for name, (num, den) in _RATIOS.items():
            s[name] = sums[num] / sums[den] if sums[den] else np.nan
        contribution = f["contribution"]
        factors = (1.0 + discount_rate) ** (-(np.arange(months) + 1) / 12.0)
        s["npv"] = float((contribution * factors).sum())
        cum = np.cumsum(contribution)
        s["peak_investment"] = float(max(0.0, -cum.min()))
        # first month after which cumulative contribution stays >= 0
        negative = np.flatnonzero(cum < 0)
        if not negative.size:
            s["payback_month"] = 0.0
        elif negative[-1] == months - 1:
            s["payback_month"] = np.nan
        else:
            s["payback_month"] = float(negative[-1] + 1)
        s["payback_reached"] = 0.0 if np.isnan(s["payback_month"]) else 1.0
        if target_sales_per_month:
            s["months_to_target"] = _first_month(f["sales"] >= target_sales_per_month)
            s["target_reached"] = 0.0 if np.isnan(s["months_to_target"]) else 1.0
        else:  # no target: neither a month nor a share means anything
            s["months_to_target"] = np.nan
            s["target_reached"] = np.nan
        s["headcount_end"] = float(f["headcount"][-1])
        s["partners_active_end"] = float(f["partners_active"][-1])
        s["open_deals_end"] = float(f["open_deals"][-1])
        s["reputation_end"] = float(f["reputation"][-1])
        if elasticity:
            s["cost_elasticity"] = cost_elasticity(arrays, rows, s["fixed_channel_cost"])
        out[channel] = s
    return out
