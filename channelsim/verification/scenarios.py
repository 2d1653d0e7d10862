"""Scenario builders of the checks: fixed-size queues and Kotler's classroom case."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from channelsim.model.ledger import MONTH
from channelsim.scenario import Scenario
from channelsim.verification.framework import SEED, Job


def queue_scenario_data(
    c: int,
    lam_per_day: float,
    cycle: Any,
    months: int,
    reps: int,
    *,
    patience: Any = math.inf,
    deals_per_rep: int = 1,
    seed: int = SEED,
    name: str = "validation queue",
) -> dict[str, Any]:
    """Scenario data of a direct team of fixed size (no hiring, no attrition): an M/G/c (+G) queue.

    ``c`` reps of ``deals_per_rep`` slots, Poisson leads at ``lam_per_day``, sales cycles drawn
    from ``cycle``, patience from ``patience``; the tests build their queues from it too.
    """
    return {
        "scenario": {
            "name": name,
            "horizon_months": months,
            "replications": reps,
            "seed": seed,
            "strategy": "direct",
        },
        "product": {"price": 1000.0, "unit_cost": 0.0},
        "demand": {
            "leads_per_month": lam_per_day * MONTH,
            "growth": "none",
            "patience_days": patience,
            "reputation_sensitivity": 0.0,
        },
        "direct": {
            "initial_reps": c,
            "max_reps": c,
            "deals_per_rep": deals_per_rep,
            "sales_cycle_days": cycle,
            "win_rate": 0.5,
            "attrition_annual": 0.0,
            "hiring": {"max_hires_per_month": 0},
        },
    }


def queue_scenario(
    c: int,
    lam_per_day: float,
    cycle: Any,
    months: int,
    reps: int,
    *,
    patience: Any = math.inf,
    deals_per_rep: int = 1,
) -> Scenario:
    """The validated scenario of :func:`queue_scenario_data`."""
    return Scenario.model_validate(
        queue_scenario_data(
            c, lam_per_day, cycle, months, reps, patience=patience, deals_per_rep=deals_per_rep
        )
    )


def textbook_scenario(revenue_a_year: float, reps: int, deal_size_cv: float = 0.0) -> Scenario:
    """Kotler's classroom case: 3 reps at 30k and a manager at 160k (5%) against agents (25%)."""
    price, win = 1000.0, 0.5
    return Scenario.model_validate(
        {
            "scenario": {
                "name": "validation break-even",
                "horizon_months": 12,
                "replications": reps,
                "seed": SEED,
                "discount_rate": 0.0,
                "strategy": "direct",
            },
            "product": {"price": price, "unit_cost": 0.0, "deal_size_cv": deal_size_cv},
            "demand": {
                "leads_per_month": revenue_a_year / price / 12 / win,
                "reputation_sensitivity": 0.0,
            },
            "direct": {
                "initial_reps": 3,
                "max_reps": 3,
                "deals_per_rep": 1000,
                "sales_cycle_days": {"dist": "exponential", "mean": 5.0},
                "win_rate": win,
                "attrition_annual": 0.0,
                "salary_annual": 30_000,
                "commission_rate": 0.05,
                "manager_span": 8,
                "manager_salary_annual": 160_000,
                "fixed_cost_per_month": 0.0,
                "service_quality": 1.0,
                "hiring": {"max_hires_per_month": 0},
            },
            "partners": [
                {
                    "name": "agents",
                    "kind": "agent",
                    "initial": 100,
                    "recruit_per_month": 0,
                    "churn_annual": 0.0,
                    "deals_per_partner": 100,
                    "sourced_leads_per_month": 0.0,
                    "sales_cycle_days": {"dist": "exponential", "mean": 5.0},
                    "win_rate": win,
                    "commission_rate": 0.25,
                    "onboarding_cost": 0.0,
                    "mdf_per_active_partner_month": 0.0,
                    "manager_salary_annual": 0.0,
                    "fixed_cost_per_month": 0.0,
                    "service_quality": 1.0,
                }
            ],
        }
    )


def world_jobs(scenario: Scenario, mode: str, reps: int) -> list[Job]:
    """One ``world`` job per replication of ``scenario`` under ``mode``."""
    return [Job("world", scenario, mode, r) for r in range(reps)]


def after_warmup(arrays: dict[str, np.ndarray], field_name: str, row: int, warmup: int) -> float:
    """A ledger field of one channel summed over the months after the warm-up."""
    return float(arrays[field_name][row, warmup:].sum())
