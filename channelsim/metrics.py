"""Ledger arrays -> the metrics of the design contract, per channel, monthly and summed.

Channels reported: ``direct``, each partner program by name, ``partners`` (all programs) and
``total``. Monthly metrics are arrays over months; summary metrics are one number per
replication (flows summed, ratios recomputed from the sums, plus the scalar metrics such as
``npv`` and ``payback_month``). Across replications each summary metric gets a mean, standard
deviation, 95% Student-t interval and ``n`` (the number of replications where it is defined:
``payback_month`` is undefined when the money never comes back, ``cost_per_sale`` without sales).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import special

from channelsim.model.ledger import FIXED_COST_FIELDS, VARIABLE_COST_FIELDS

FLOW_METRICS: tuple[str, ...] = (
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
    "escalations",
    "hires",
    "departures",
    "partners_recruited",
    "partners_churned",
)
"""Metrics that add up over months and over channels."""

RATIO_METRICS: tuple[str, ...] = (
    "lost_lead_share",
    "cost_per_sale",
    "variable_cost_share",
    "contribution_margin",
    "mean_wait_days",
    "utilization",
    "message_control_share",
)
"""Metrics recomputed from sums (never averaged)."""

STOCK_METRICS: tuple[str, ...] = ("headcount", "partners_active", "open_deals", "reputation")
"""Monthly metrics read at the end of each month."""

MONTHLY_METRICS: tuple[str, ...] = FLOW_METRICS + RATIO_METRICS + STOCK_METRICS

SCALAR_METRICS: tuple[str, ...] = (
    "npv",
    "payback_month",
    "peak_investment",
    "months_to_target",
    "headcount_end",
    "partners_active_end",
    "open_deals_end",
    "reputation_end",
)
"""Summary metrics that are not a sum of monthly values."""

SUMMARY_METRICS: tuple[str, ...] = FLOW_METRICS + RATIO_METRICS + SCALAR_METRICS

# ledger field sums behind the ratio metrics: name -> (numerator, denominator)
_RATIOS = {
    "lost_lead_share": ("lost_leads", "leads"),
    "cost_per_sale": ("cost_of_sales", "sales"),
    "variable_cost_share": ("_variable_cost_of_sales", "cost_of_sales"),
    "contribution_margin": ("contribution", "revenue"),
    "mean_wait_days": ("wait_days", "served"),
    "utilization": ("busy_slot_days", "slot_days"),
    "message_control_share": ("controlled_sales", "sales"),
}
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
    f["_variable_cost_of_sales"] = f["variable_channel_cost"] + f["discounts"]
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


def summary_metrics(
    arrays: dict[str, np.ndarray],
    programs: Sequence[str],
    discount_rate: float,
    target_sales_per_month: float | None,
) -> dict[str, dict[str, float]]:
    """One replication's summary: every summary metric for every reported channel."""
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
        if target_sales_per_month:
            s["months_to_target"] = _first_month(f["sales"] >= target_sales_per_month)
        else:
            s["months_to_target"] = np.nan
        s["headcount_end"] = float(f["headcount"][-1])
        s["partners_active_end"] = float(f["partners_active"][-1])
        s["open_deals_end"] = float(f["open_deals"][-1])
        s["reputation_end"] = float(f["reputation"][-1])
        out[channel] = s
    return out


def confidence_intervals(
    values: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, std, CI low, CI high and n of each column, ignoring NaN (Student t, ddof 1).

    Args:
        values: array (replications, k).
        level: confidence level.

    Returns:
        Five arrays of length k. With n < 2 the std and interval are NaN; a constant column has
        a zero-width interval.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    ok = ~np.isnan(values)
    n = ok.sum(axis=0)
    safe_n = np.maximum(n, 1)
    mean = np.where(n > 0, np.nansum(values, axis=0) / safe_n, np.nan)
    dev = np.where(ok, values - mean, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > 1, (dev**2).sum(axis=0) / np.maximum(n - 1, 1), np.nan)
        std = np.sqrt(var)
        # Student t quantile (what scipy.stats.t.ppf calls, without its import and checks)
        tq = special.stdtrit(np.maximum(n - 1, 1), 0.5 + level / 2)
        half = np.where(n > 1, tq * std / np.sqrt(safe_n), np.nan)
    return mean, std, mean - half, mean + half, n
