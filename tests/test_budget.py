"""The event budget: huge runs are refused before they start, with the estimate and the way out."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest

from channelsim import budget, theory
from channelsim.budget import check_budget, estimate_events, expected_company_leads
from channelsim.cli import main
from channelsim.errors import UsageError
from channelsim.model.world import World
from channelsim.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))

SMALL = """\
[scenario]
name = "budget"
horizon_months = 6
replications = 2
seed = 4

[demand]
leads_per_month = {leads}

[[partners]]
name = "VARs"
kind = "reseller"
"""


def _write(tmp_path: Path, leads: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(SMALL.format(leads=leads), encoding="utf-8")
    return path


@pytest.mark.parametrize("verb", [["run", "--reps", "1"], ["compare"]])
def test_a_billion_leads_a_month_is_refused_quickly_naming_force(tmp_path, capsys, verb):
    path = _write(tmp_path, "1e9")
    out = tmp_path / "out"
    started = time.perf_counter()
    code = main([verb[0], str(path), *verb[1:], "--out", str(out), "--quiet"])
    elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    assert code == 2, err
    assert elapsed < 2.0
    assert "--force" in err and "events" in err and "the limit is 200 million" in err
    assert err.startswith(f"error: {path}: this run would simulate about ")
    assert "Traceback" not in err
    assert not out.exists()  # nothing was written


def test_a_small_scenario_passes_and_force_overrides_the_limit(tmp_path, capsys, monkeypatch):
    path = _write(tmp_path, "30")
    sc = load_scenario(path)
    events = check_budget(sc, ["hybrid"], 2)
    assert 0 < events < budget.DEFAULT_BUDGET
    assert main(["run", str(path), "--out", str(tmp_path / "a"), "--quiet"]) == 0
    # the CLI reads the budget when it runs: a tiny one refuses, --force runs anyway
    monkeypatch.setattr(budget, "DEFAULT_BUDGET", 10)
    capsys.readouterr()
    assert main(["run", str(path), "--out", str(tmp_path / "b"), "--quiet"]) == 2
    assert "use --force" in capsys.readouterr().err
    assert main(["run", str(path), "--out", str(tmp_path / "b"), "--quiet", "--force"]) == 0
    assert (tmp_path / "b" / "summary.csv").is_file()


def test_the_estimate_scales_with_strategies_replications_and_elasticity():
    sc = load_scenario(SHIPPED[0])
    one = estimate_events(sc, ["direct"], 1)
    assert estimate_events(sc, ["direct"], 10) == pytest.approx(10 * one, rel=1e-9, abs=10)
    assert estimate_events(sc, ["direct"], 10, elasticity=True) == pytest.approx(
        30 * one, rel=1e-9, abs=30
    )
    both = estimate_events(sc, ["direct", "hybrid"], 1)
    assert both == pytest.approx(one + estimate_events(sc, ["hybrid"], 1), abs=2)


def _data(**demand) -> dict:
    base = {"leads_per_month": 100.0, "reputation_sensitivity": 0.0}
    base.update(demand)
    return {"scenario": {"horizon_months": 24, "replications": 1}, "demand": base}


def test_company_leads_integrate_the_demand_settings():
    flat = Scenario.model_validate(_data(seasonality=[2.0] + [1.0] * 11))
    assert expected_company_leads(flat) == pytest.approx(100 * (24 + 2))
    bass = Scenario.model_validate(
        _data(growth="bass", market_size=5000.0, innovation=0.02, imitation=0.4)
    )
    assert expected_company_leads(bass) == pytest.approx(
        5000 * theory.bass_cumulative(24.0, 0.02, 0.4), rel=1e-3
    )
    logistic = Scenario.model_validate(
        _data(growth="logistic", growth_rate=0.2, ceiling_leads_per_month=400.0)
    )
    assert 100 * 24 < expected_company_leads(logistic) < 400 * 24
    # reputation can raise demand up to 1 + sensitivity (1 / direct service quality - 1)
    data = _data(reputation_sensitivity=1.0)
    data["direct"] = {"service_quality": 0.8}
    assert expected_company_leads(Scenario.model_validate(data)) == pytest.approx(100 * 24 * 1.25)
    # growth that overflows a float is capped, never inf or NaN
    huge = Scenario.model_validate(_data(growth="exponential", growth_rate=1e6))
    assert math.isfinite(expected_company_leads(huge))
    assert check_budget_refuses(huge)


def check_budget_refuses(sc: Scenario) -> bool:
    try:
        check_budget(sc, ["direct"], 1)
    except UsageError:
        return True
    return False


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_estimate_bounds_the_leads_of_the_shipped_scenarios(path):
    """About EVENTS_PER_LEAD events per lead, never fewer than the leads actually simulated."""
    sc = load_scenario(path, {"scenario.horizon_months": 12})
    for name in ("direct", "hybrid"):
        mode, resolved = sc.resolve_strategy(name)
        leads = np.sum(World(resolved, mode, 0).run().arrays["leads"])
        estimate = estimate_events(sc, [name], 1)
        assert budget.EVENTS_PER_LEAD * leads * 0.9 <= estimate, name
        assert estimate <= 3 * budget.EVENTS_PER_LEAD * leads + 10_000, name
