"""Checks of the subscription model: a cohort's retention against closed forms."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from channelsim import theory
from channelsim.model.ledger import MONTH
from channelsim.scenario import Scenario
from channelsim.verification.framework import CheckPlan, Effort, Measurement
from channelsim.verification.scenarios import queue_scenario_data, world_jobs

__all__ = ["RETENTION_RENEWALS", "retention"]

RETENTION_RENEWALS = 6
"""Renewals after which the retention checks read the cohort's survivors."""


def retention(effort: Effort) -> CheckPlan:
    """One cohort's survival against the geometric and shifted-beta-geometric closed forms."""
    months = 12
    leads_a_day = 80.0
    data = queue_scenario_data(
        50, leads_a_day, 0.001, months, effort.reps, deals_per_rep=100, name="retention cohort"
    )
    data["demand"]["seasonality"] = [1.0] + [0.0] * 11  # leads in month 0 only: one cohort
    data["direct"]["win_rate"] = 1.0
    data["direct"]["service_quality"] = 1.0  # no bad experience: no refund, no extra churn
    cases = [
        ("retention_sbg_a1_b3", {"dist": "beta", "a": 1.0, "b": 3.0}),
        ("retention_sbg_a06_b4", {"dist": "beta", "a": 0.6, "b": 4.0}),
        ("retention_geometric", 0.15),
    ]
    plans = []
    for i, (_, churn) in enumerate(cases):
        d = copy.deepcopy(data)
        d["scenario"]["seed"] += i  # independent cases: not the same binomial draws
        d["product"]["subscription"] = {"fee_per_month": 10.0, "term_months": 1, "churn": churn}
        plans.append(Scenario.model_validate(d))
    k = RETENTION_RENEWALS
    jobs = [job for sc in plans for job in world_jobs(sc, "direct", effort.reps)]

    def survival(arrays: dict[str, np.ndarray]) -> np.ndarray:
        # active at the close of month j: the cohort after j + 1 monthly renewals
        return arrays["active_customers"][0] / arrays["sales"][0].sum()

    def evaluate(results: list[Any]) -> list[Measurement]:
        out = []
        reps = effort.reps
        for i, (name, churn) in enumerate(cases):
            curves = np.array([survival(a) for a in results[i * reps : (i + 1) * reps]])
            renewals = np.arange(1, months + 1)
            if isinstance(churn, dict):
                a, b = churn["a"], churn["b"]
                want = theory.sbg_survival(a, b, renewals)
                title = f"Shifted-beta-geometric retention: S({k}) = B(a, b + {k}) / B(a, b)"
                formula = f"S(k) = B(a, b + k) / B(a, b) with a = {a:g}, b = {b:g}"
                where = f'churn = {{dist = "beta", a = {a:g}, b = {b:g}}}'
            else:
                want = theory.geometric_survival(churn, renewals)
                title = f"Fixed churn: S({k}) = (1 - p)^{k}"
                formula = f"S(k) = (1 - p)^k with p = {churn:g}"
                where = f"churn = {churn:g}"
            rows = ["| renewals k | S(k) | simulated [95% CI] |", "| --- | --- | --- |"]
            for j in range(months - 1):
                ci = theory.student_t_ci(curves[:, j])
                rows.append(
                    f"| {j + 1} | {want[j]:.4f} | {ci.mean:.4f} [{ci.low:.4f}, {ci.high:.4f}] |"
                )
            out.append(
                Measurement(
                    name=name,
                    title=title,
                    scenario=f"one cohort of about {leads_a_day * MONTH:,.0f} customers won "
                    f"in month 0, monthly plan, {where}",
                    theory=float(want[k - 1]),
                    values=curves[:, k - 1],
                    digits=4,
                    formula=formula,
                    details="leads arrive in month 0 only (seasonality 1, 0, ..., 0), every "
                    "lead is won within a few minutes by a team with ample capacity and no bad "
                    "experience (so no refund and no extra churn), so the "
                    "customers form one cohort; `active_customers` at the close of month j "
                    "over the sales is the share still subscribed after j + 1 renewals, "
                    "drawn by the cohort's binomial churn. The whole curve, averaged over "
                    "replications:",
                    appendix="\n".join(rows),
                )
            )
        return out

    return CheckPlan(jobs, evaluate, [name for name, _ in cases])
