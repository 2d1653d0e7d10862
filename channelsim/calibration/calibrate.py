"""From a CRM export to a calibrated scenario: every estimate, and what the data cannot tell.

:func:`calibrate` runs the estimators in order: the stale rule first (it changes which deals
are closed), then lead arrivals (:mod:`.leads`), the cycle of each channel (:mod:`.cycle`),
win rates, deal sizes and segment shares (:mod:`.outcomes`) and the sellers (:mod:`.sellers`).
The calibrated scenario is the base scenario (or the schema's defaults) with the fitted keys
written over it; what the export cannot tell keeps the base's value and is listed in
:data:`NOT_FROM_DATA`. The simulation starts at the export date, with the rates fitted there,
in the calendar month :func:`~.leads.start_month_at` gives (``scenario.start_month``), and from
the pipeline and team of that date: the scenario file written names
``calibration/initial_state.json`` as its ``scenario.initial_state`` (:attr:`Calibration.scenario`
itself has none, since the file does not exist before it is written, and the back-test starts
from an empty history).

Channels: the export's ``direct`` deals fill ``[direct]``; every other channel value is a
partner program: the base's program of that name, or a new ``reseller`` program (its kind, and
so its compensation, is not from data). The scenario's ``strategy`` is the one the history
shows (``direct``, ``indirect`` or ``hybrid``); in a hybrid history company leads are routed by
``policy = "share"`` at the observed direct share of company deals.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from channelsim.calibration.crm import DIRECT, Deals
from channelsim.calibration.cycle import (
    CycleFit,
    apply_stale,
    cycle_data,
    fit_cycle,
    stale_threshold,
)
from channelsim.calibration.estimate import Estimate, NotFromData, clopper_pearson
from channelsim.calibration.leads import LeadFit, fit_leads, start_month_at
from channelsim.calibration.outcomes import channel_key, deal_sizes, segment_shares, win_rates
from channelsim.calibration.sellers import SellerFit, fit_sellers
from channelsim.errors import Problem, ScenarioError
from channelsim.metrics.formatting import format_fitted
from channelsim.outputs.files import CALIBRATION_DIR, INITIAL_STATE_JSON
from channelsim.scenario import Scenario, loads_scenario
from channelsim.scenario.toml_writer import dump_toml

__all__ = ["INITIAL_STATE_PATH", "NOT_FROM_DATA", "Calibration", "StaleReport", "calibrate"]

INITIAL_STATE_PATH = f"{CALIBRATION_DIR}/{INITIAL_STATE_JSON}"
"""``scenario.initial_state`` of the calibrated scenario (relative to it)."""

NOT_FROM_DATA: tuple[tuple[str, str], ...] = (
    ("product.unit_cost", "costs are not in a CRM"),
    ("direct.salary_annual", "payroll is not in a CRM"),
    ("direct.commission_rate", "compensation plans are not in a CRM"),
    ("direct.recruiting_cost_per_hire", "not in a CRM"),
    ("direct.onboarding_cost_per_hire", "not in a CRM"),
    ("direct.manager_span", "not in a CRM"),
    ("direct.manager_salary_annual", "not in a CRM"),
    ("direct.fixed_cost_per_month", "not in a CRM"),
    ("direct.max_reps", "a planning limit, not history"),
    ("direct.hiring", "time to hire and the hiring policy: requisitions are not in a CRM"),
    ("direct.service_quality", "after-sale experience is not in an opportunity export"),
    (
        "demand.patience_days",
        "leads nobody worked never became deals, so the export cannot show how long leads wait",
    ),
    ("demand.reputation_sensitivity", "needs service and demand data over time"),
    ("brand", "refunds and reputation are not in an opportunity export"),
    (
        "partners.*.commission_rate, bounty, discount, network_fee_rate",
        "partner contracts are not in a CRM",
    ),
    (
        "partners.*.recruit_per_month, activation_rate, onboarding_days, max_partners",
        "the export only shows partners once they sell",
    ),
    (
        "partners.*.onboarding_cost, mdf_per_active_partner_month, manager_*, fixed_cost_per_month",
        "program costs are not in a CRM",
    ),
)
"""Inputs the export cannot tell, with the reason; they keep the base's or default values."""


@dataclass
class StaleReport:
    """Stale deals of one channel and what counting them as lost changed."""

    channel: str
    threshold: float
    count: int
    default: bool
    win_rate_kept_open: float
    win_rate_counted_lost: float
    cycle_mean_kept_open: float | None
    cycle_mean_counted_lost: float | None

    def text(self) -> str:
        """One sentence for the terminal and the report."""
        rule = "default: twice the longest closed cycle" if self.default else "--stale-after"
        if not math.isfinite(self.threshold):
            return (
                f"{self.channel}: stale deals kept open, censored at their age (--stale-after inf)"
            )
        if not self.count:
            return f"{self.channel}: no open deal older than {self.threshold:.0f} days ({rule})"
        cyc = ""
        if self.cycle_mean_kept_open is not None and self.cycle_mean_counted_lost is not None:
            cyc = (
                f", cycle mean {self.cycle_mean_counted_lost:.1f} days (kept open: "
                f"{self.cycle_mean_kept_open:.1f})"
            )
        return (
            f"{self.channel}: {self.count} open deals older than {self.threshold:.0f} days "
            f"({rule}) counted as lost at that age: win rate {self.win_rate_counted_lost:.3f} "
            f"(kept open: {self.win_rate_kept_open:.3f}){cyc}"
        )


@dataclass
class Calibration:
    """Everything one calibration found."""

    deals: Deals
    frame: pd.DataFrame  # the deals with the stale rule applied
    leads: LeadFit
    cycles: dict[str, CycleFit]
    sellers: SellerFit
    estimates: list[Estimate]
    stale: list[StaleReport]
    scenario: Scenario
    mode: str
    comments: dict[str, str]
    notes: list[str] = field(default_factory=list)
    not_from_data: list[NotFromData] = field(default_factory=list)

    def estimate(self, key: str) -> Estimate:
        """The estimate of one key."""
        for e in self.estimates:
            if e.key == key:
                return e
        raise KeyError(key)

    def scenario_toml(self) -> str:
        """The calibrated scenario as TOML text, each fitted key with its evidence."""
        header = (
            f"# Calibrated by `channelsim calibrate` from {self.deals.file} "
            f"(export date {self.deals.as_of.date()}).\n"
            "# Keys marked 'from data' were fitted (n, 95% interval, method); every other key is\n"
            "# the base scenario's or the default. Not from data:\n"
            + "".join(f"#   {n.key}: {n.reason}\n" for n in self.not_from_data)
            + "\n"
        )
        data = {k: v for k, v in self.scenario.to_toml_dict().items() if v not in ([], {})}
        data["scenario"]["initial_state"] = INITIAL_STATE_PATH
        comments = dict(self.comments)
        comments["scenario.initial_state"] = (
            f"from data: the {int((self.frame.outcome == 'open').sum())} deals open and the "
            f"sellers active at {self.deals.as_of.date()}, loaded at t = 0"
        )
        return header + dump_toml(data, comments)


def _comment(e: Estimate) -> str:
    interval = ""
    if math.isfinite(e.low) and math.isfinite(e.high):
        interval = (
            f", 95% interval {format_fitted(e.low, e.unit)} to {format_fitted(e.high, e.unit)}"
        )
    return f"from data: n = {e.n}{interval}; {e.method}"


def _stale(deals: Deals, stale_after: float | None) -> tuple[pd.DataFrame, list[StaleReport]]:
    frame = deals.frame.assign(stale=False)
    parts, reports = [], []
    for channel, grp in frame.groupby("channel", sort=True):
        threshold = stale_threshold(grp, stale_after)
        adjusted = apply_stale(grp, deals.as_of, threshold).assign(
            stale=lambda g: g.get("stale", False)
        )
        count = int(adjusted.stale.sum())
        kept, lost = grp[grp.outcome != "open"], adjusted[adjusted.outcome != "open"]
        cyc_kept = cyc_lost = None
        if count:
            f_kept = fit_cycle(str(channel), "", cycle_data(grp, deals.as_of))
            f_lost = fit_cycle(str(channel), "", cycle_data(adjusted, deals.as_of))
            cyc_kept = f_kept.chosen.mean if f_kept else None
            cyc_lost = f_lost.chosen.mean if f_lost else None
        reports.append(
            StaleReport(
                str(channel),
                threshold,
                count,
                stale_after is None,
                float((kept.outcome == "won").mean()) if len(kept) else math.nan,
                float((lost.outcome == "won").mean()) if len(lost) else math.nan,
                cyc_kept,
                cyc_lost,
            )
        )
        parts.append(adjusted)
    return pd.concat(parts).sort_index(), reports


def calibrate(
    deals: Deals,
    base: Scenario | None = None,
    *,
    stale_after: float | None = None,
) -> Calibration:
    """Fit a scenario to a CRM export.

    Args:
        deals: the export (:func:`~channelsim.calibration.crm.read_deals`).
        base: the scenario whose other keys the calibrated one keeps (None: the defaults).
        stale_after: days after which an open deal counts as lost (None: the default, twice
            the longest closed cycle of its channel; ``inf``: never).

    Returns:
        The calibration, with the calibrated scenario.

    Raises:
        ScenarioError: the fitted values do not make a valid scenario with this base.
    """
    base = base or Scenario()
    frame, stale = _stale(deals, stale_after)
    as_of = deals.as_of
    horizon = base.scenario.horizon_months
    company = frame[frame.source == "company"]
    estimates: list[Estimate] = []
    notes: list[str] = []
    leads = fit_leads(company.created if len(company) else frame.created, as_of, horizon)
    estimates += leads.estimates
    notes += leads.notes
    cycles: dict[str, CycleFit] = {}
    for channel, grp in frame.groupby("channel", sort=True):
        fit = fit_cycle(
            str(channel), channel_key(str(channel), "sales_cycle_days"), cycle_data(grp, as_of)
        )
        if fit is None:
            notes.append(f"{channel}: no closed deal, cycle not from data")
            continue
        cycles[str(channel)] = fit
        estimates.append(fit.estimate)
    segmented = "segment" in deals.columns
    closed = frame[frame.outcome != "open"]
    rates, _factors = win_rates(closed, segmented)
    estimates += rates
    sizes, size_notes = deal_sizes(frame[frame.outcome == "won"], segmented)
    estimates += sizes
    notes += size_notes
    if segmented:
        estimates += segment_shares(company if len(company) else frame)
    channel_rates = {
        e.key.split(".")[1] if e.key.startswith("partners.") else DIRECT: e.value
        for e in rates
        if e.key.endswith(".win_rate")
    }
    sellers = fit_sellers(frame, as_of, channel_rates)
    estimates += sellers.estimates
    notes += sellers.notes
    channels = sorted(frame.channel.unique())
    programs = [c for c in channels if c != DIRECT]
    mode = "hybrid" if programs and DIRECT in channels else ("indirect" if programs else "direct")
    if mode == "hybrid" and len(company):
        k = int((company.channel == DIRECT).sum())
        low, high = clopper_pearson(k, len(company))
        estimates.append(
            Estimate(
                "routing.direct_share",
                k / len(company),
                low,
                high,
                len(company),
                f"{k} of {len(company)} company-sourced deals went direct; Clopper-Pearson",
                written=round(k / len(company), 4),
                unit="share",
            )
        )
    scenario, comments, more = _build(base, estimates, programs, mode, deals, segmented)
    notes += more
    return Calibration(
        deals=deals,
        frame=frame,
        leads=leads,
        cycles=cycles,
        sellers=sellers,
        estimates=estimates,
        stale=stale,
        scenario=scenario,
        mode=mode,
        comments=comments,
        notes=notes,
        not_from_data=[NotFromData(k, r) for k, r in NOT_FROM_DATA],
    )


def _segments(base: Scenario, estimates: list[Estimate]) -> list[dict[str, Any]]:
    by_key = {e.key: e for e in estimates}
    names = sorted(
        {
            e.key.split(".")[2]
            for e in estimates
            if e.key.startswith("demand.segments.") and e.key.endswith(".share")
        }
    )
    channels = {s.name: s.channel for s in base.demand.segments}
    out = []
    for name in names:
        seg: dict[str, Any] = {
            "name": name,
            "share": by_key[f"demand.segments.{name}.share"].written,
        }
        for fld in ("deal_size", "win_rate_factor"):
            e = by_key.get(f"demand.segments.{name}.{fld}")
            if e is not None:
                seg[fld] = e.written
        seg["channel"] = channels.get(name, "any")
        out.append(seg)
    return out


def _plain(value: Any) -> Any:
    """Numpy scalars as Python numbers (TOML writes ``repr``)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def _set(data: dict[str, Any], key: str, value: Any) -> bool:
    value = _plain(value)
    parts = key.split(".")
    if parts[0] == "partners":
        target = next((p for p in data["partners"] if p["name"] == parts[1]), None)
        if target is None:
            return False
        target[parts[2]] = value
        return True
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return True


def _build(
    base: Scenario,
    estimates: list[Estimate],
    programs: list[str],
    mode: str,
    deals: Deals,
    segmented: bool,
) -> tuple[Scenario, dict[str, str], list[str]]:
    data = copy.deepcopy(base.to_toml_dict())
    notes: list[str] = []
    comments: dict[str, str] = {}
    known = {p["name"] for p in data.get("partners", [])}
    for name in programs:
        if name not in known:
            data.setdefault("partners", []).append({"name": name, "kind": "reseller"})
            notes.append(
                f"partners.{name}: not in the base scenario; added as kind = "
                '"reseller" (its kind and compensation are not from data)'
            )
    if programs:
        # a new program's defaults come from its kind: validate once to fill them in
        data = loads_scenario(dump_toml(data)).to_toml_dict()
    if segmented:
        data["demand"]["segments"] = _plain(_segments(base, estimates))
        for e in estimates:
            if e.key.startswith("demand.segments."):
                comments[e.key] = _comment(e)
    for e in estimates:
        if not e.in_scenario or e.key.startswith("demand.segments."):
            continue
        if _set(data, e.key, e.written):
            comments[e.key] = _comment(e) if e.key != "demand.growth" else f"from data: {e.method}"
    if data["demand"].get("growth") != "logistic":
        data["demand"].pop("ceiling_leads_per_month", None)
    data["direct"]["max_reps"] = max(data["direct"]["max_reps"], data["direct"]["initial_reps"])
    if mode == "hybrid":
        data.setdefault("routing", {})["policy"] = "share"
        comments["routing.policy"] = "from data: the history's split of company leads"
    data["scenario"]["strategy"] = mode
    comments["scenario.strategy"] = "from data: the channels the export sold through"
    data["scenario"]["start_month"] = start_month_at(deals.as_of)
    comments["scenario.start_month"] = (
        f"from the export date {deals.as_of.date()}: the calendar month of the first simulated "
        "month's middle"
    )
    if not base.scenario.name or base.scenario.name == "Untitled scenario":
        data["scenario"]["name"] = f"Calibrated from {deals.file}"
    try:
        scenario = loads_scenario(dump_toml(data))
    except ScenarioError as exc:
        raise ScenarioError(
            [
                Problem(
                    None,
                    p.path,
                    f"the fitted values make an invalid scenario with this base: {p.message}",
                )
                for p in exc.problems
            ]
        ) from None
    return scenario, comments, notes
