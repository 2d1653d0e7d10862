"""Shared builders for model tests: small scenarios from plain dicts."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from channelsim.verification.scenarios import queue_scenario_data


def deep_update(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated with ``extra`` (nested dicts merged, other values replaced)."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_update(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def queue_data(
    c: int,
    lam_per_day: float,
    mean_cycle_days: float,
    patience: Any = math.inf,
    months: int = 60,
    reps: int = 10,
    seed: int = 7,
) -> dict[str, Any]:
    """A direct team of fixed size working as an M/M/c (+M) queue (the validation's builder)."""
    cycle = {"dist": "exponential", "mean": mean_cycle_days}
    return queue_scenario_data(
        c, lam_per_day, cycle, months, reps, patience=patience, seed=seed, name="queue"
    )


def partner_data(**program: Any) -> dict[str, Any]:
    """A scenario with one partner program of the given fields (direct team of 3)."""
    base_program = {"name": "P", "kind": "agent"}
    base_program.update(program)
    return {
        "scenario": {"horizon_months": 12, "replications": 3, "seed": 11, "strategy": "indirect"},
        "product": {"price": 1000.0, "unit_cost": 100.0},
        "demand": {"leads_per_month": 200, "reputation_sensitivity": 0.0},
        "direct": {"initial_reps": 3, "max_reps": 3, "hiring": {"max_hires_per_month": 0}},
        "partners": [base_program],
    }


@pytest.fixture
def make_scenario():
    """Build a validated Scenario from a plain dict."""
    from channelsim.scenario import Scenario

    def _make(data: dict[str, Any]) -> Scenario:
        return Scenario.model_validate(data)

    return _make


def small_hybrid_toml(
    name: str, horizon: int, replications: int, seed: int, extra: str = ""
) -> str:
    """A small hybrid scenario as TOML: a team of 2 reps (3 deals each) and 3 resellers, 40
    leads a month, so a command on it runs in well under a second. ``extra`` goes into its
    ``[scenario]`` table (e.g. ``currency = "EUR"``)."""
    return f"""\
[scenario]
name = "{name}"
horizon_months = {horizon}
replications = {replications}
seed = {seed}
strategy = "hybrid"
{extra}
[product]
price = 1000.0
unit_cost = 100.0

[demand]
leads_per_month = 40

[direct]
initial_reps = 2
deals_per_rep = 3

[[partners]]
name = "VARs"
kind = "reseller"
initial = 3
"""
