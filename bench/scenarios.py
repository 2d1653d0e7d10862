"""The benchmark's scenarios: the direct channel configured as an M/M/c queue."""

from __future__ import annotations

import math

from channelsim.model.ledger import MONTH
from channelsim.scenario import Scenario

LAM, MU, C = 80.0, 10.0, 10
"""Arrivals a day, services a day per slot, slots: load 0.8, as in the reference script."""


def mmc_scenario(leads: int, seed: int = 1) -> Scenario:
    """Fixed team of C reps with one slot each, Poisson leads, exponential cycles, no patience.

    The horizon is the number of whole months that holds about ``leads`` arrivals.
    """
    months = max(1, math.ceil(leads / LAM / MONTH))
    leads_per_month = leads / months  # so the expected total is exactly ``leads``
    return Scenario.model_validate(
        {
            "scenario": {
                "horizon_months": months,
                "replications": 1,
                "seed": seed,
                "strategy": "direct",
            },
            "product": {"price": 1000.0, "unit_cost": 0.0},
            "demand": {"leads_per_month": leads_per_month, "reputation_sensitivity": 0.0},
            "direct": {
                "initial_reps": C,
                "max_reps": C,
                "deals_per_rep": 1,
                "sales_cycle_days": {"dist": "exponential", "mean": 1 / MU},
                "attrition_annual": 0.0,
                "hiring": {"max_hires_per_month": 0},
            },
        }
    )


def lam_per_day(scenario: Scenario) -> float:
    """Arrival rate of the scenario, per day."""
    return scenario.demand.leads_per_month / MONTH
