"""The event budget: huge runs are refused before they start, with the estimate and the way out."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest

from channelsim import theory
from channelsim.cli import main
from channelsim.errors import UsageError
from channelsim.experiments import run_size as budget
from channelsim.experiments.run_size import check_budget, estimate_events, expected_company_leads
from channelsim.model.world import World
from channelsim.planning.options import RunOptions
from channelsim.planning.sensitivity import sensitivity_plan
from channelsim.planning.sweep import sweep_plan
from channelsim.scenario import Scenario, load_scenario, loads_scenario

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


def test_the_estimate_scales_with_strategies_and_replications():
    sc = load_scenario(SHIPPED[0])
    one = estimate_events(sc, ["direct"], 1)
    assert estimate_events(sc, ["direct"], 10) == pytest.approx(10 * one, rel=1e-9, abs=10)
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


# --- the planners: sweep, breakeven, sensitivity -------------------------------------------

PLANNERS = {
    "sweep": (["--param", "direct.win_rate=0.2,0.3"], "sweep"),
    "breakeven": (
        ["--param", "product.price", "--low", "500", "--high", "2000", "--a", "direct",
         "--b", "hybrid", "--scan", "2"],
        "break-even search",
    ),
    "sensitivity": (["--param", "direct.win_rate=0.2:0.3"], "sensitivity analysis"),
}  # fmt: skip


@pytest.mark.parametrize("verb", list(PLANNERS))
def test_the_planners_refuse_a_billion_leads_a_month_quickly(tmp_path, capsys, verb):
    path = _write(tmp_path, "1e9")
    out = tmp_path / "out"
    args, what = PLANNERS[verb]
    started = time.perf_counter()
    code = main([verb, str(path), *args, "--jobs", "1", "--out", str(out), "--quiet"])
    elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    assert code == 2, err
    assert elapsed < 2.0
    assert err.startswith(f"error: {path}: this {what} would simulate about "), err
    assert "--force" in err and " points)" in err and "the limit is 200 million" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()  # nothing was written


@pytest.mark.parametrize("verb", list(PLANNERS))
def test_the_planners_run_a_small_scenario_and_force_skips_the_check(
    tmp_path, capsys, monkeypatch, verb
):
    path = _write(tmp_path, "30")
    args = [verb, str(path), *PLANNERS[verb][0], "--reps", "1", "--jobs", "1", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    monkeypatch.setattr(budget, "DEFAULT_BUDGET", 10)
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "b")]) == 2
    assert "use --force" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()
    assert main([*args, "--out", str(tmp_path / "b"), "--force"]) == 0
    assert any((tmp_path / "b").iterdir())


def _small(**overrides) -> Scenario:
    return loads_scenario(SMALL.format(leads="30"), overrides)


def _events_at(sc: Scenario, values: dict, strategies=("hybrid",), reps: int = 2) -> int:
    return estimate_events(sc.with_overrides(values) if values else sc, list(strategies), reps)


def test_a_small_sweep_sums_the_estimate_of_every_point():
    sc = _small()
    plan = sweep_plan(sc, ["demand.leads_per_month=10,40", "scenario.horizon_months=3,12"])
    assert plan.evaluations == 4 and len(plan.points) == 4  # 4 points, 4 corners: every point
    expected = sum(_events_at(sc, p) for p in plan.points)
    assert budget.estimate_plan(sc, plan, ["hybrid"], 2).events == expected


def test_a_large_sweep_counts_its_largest_corner_for_every_point():
    sc = _small()
    params = [
        "demand.leads_per_month=10:1000",
        "scenario.horizon_months=3:24",
        "partners.VARs.recruit_per_month=0:20",
    ]
    plan = sweep_plan(sc, params, sampler="lhs", samples=120)
    assert len(plan.points) == 120 and math.prod(map(len, plan.axes.values())) == 8
    est = budget.estimate_plan(sc, plan, ["hybrid"], 2)
    each = [_events_at(sc, p) for p in plan.points]
    top = {"demand.leads_per_month": 1000, "scenario.horizon_months": 24,
           "partners.VARs.recruit_per_month": 20}  # fmt: skip
    assert sum(each) <= 120 * max(each) <= est.events <= 120 * _events_at(sc, top)
    assert est.points == 120 and est.runs == 120 * 2


def test_the_coordinate_search_finds_the_largest_corner(monkeypatch):
    sc = _small(**{"demand.reputation_sensitivity": 1.0, "demand.growth_rate": 0.1})
    axes = {
        "demand.leads_per_month": [10.0, 300.0],
        "direct.service_quality": [0.5, 0.95],  # lower quality: more reputation upside
        "demand.growth": ["none", "linear"],
        "partners.VARs.activation_rate": [0.1, 0.9],
    }
    plan = budget.Plan("sweep", axes, 500)
    every_corner = budget.estimate_plan(sc, plan, ["hybrid"], 2)
    monkeypatch.setattr(budget, "MAX_PROBES", 4)  # 16 corners: search instead
    searched = budget.estimate_plan(sc, plan, ["hybrid"], 2)
    assert searched.events == every_corner.events
    largest = {"demand.leads_per_month": 300.0, "direct.service_quality": 0.5,
               "demand.growth": "linear", "partners.VARs.activation_rate": 0.9}  # fmt: skip
    assert every_corner.events == 500 * _events_at(sc, largest)


def test_a_sensitivity_plan_counts_the_points_the_analysis_runs():
    from channelsim.planning.sensitivity import evaluation_count, sensitivity

    sc = _small()
    params = ["direct.win_rate=0.2:0.3", "demand.leads_per_month=20:40", "product.price=500:900"]
    plan = sensitivity_plan(sc, "hybrid", "tornado", params)
    # 7 points, 8 corners: every point counts
    assert plan.evaluations == len(plan.points) == evaluation_count("tornado", 3) == 7
    result = sensitivity(sc, method="tornado", params=params, options=RunOptions(replications=1))
    assert result.points == plan.evaluations
    expected = sum(_events_at(sc, p, reps=1) for p in plan.points)
    assert budget.estimate_plan(sc, plan, ["hybrid"], 1).events == expected
    sobol = sensitivity_plan(sc, "hybrid", "sobol", params[:1], samples=2)
    assert sobol.evaluations == evaluation_count("sobol", 1, 2) == 2 * (1 + 2)
    result = sensitivity(
        sc, method="sobol", params=params[:1], samples=2, options=RunOptions(replications=1)
    )
    assert result.points == sobol.evaluations


class _NoisyCurve:
    """A stand-in for the break-even search's curve: a noisy paired difference, counted."""

    def __init__(self, rng: np.random.Generator, integer: bool) -> None:
        self.root, self.slope = rng.uniform(0.05, 0.95), rng.uniform(0.1, 10)
        self.curve, self.noise = rng.uniform(-3, 3), rng.uniform(0, 30)
        self.eps = rng.normal(size=20)
        self.scale = 1000.0 if integer else 1.0
        self.cache: dict[float, object] = {}
        self.replications = 20
        self.calls = 0

    def at(self, x: float):
        from channelsim.planning.curve import Evaluation

        x = float(x)
        if x not in self.cache:
            self.calls += 1
            u = x / self.scale
            d = (
                self.slope * (u - self.root)
                + self.curve * (u - self.root) ** 2
                + self.noise * self.eps * (1 + u)
                + 0.3 * self.noise * np.sin(50 * u) * self.eps
            )
            mean, sd = float(np.mean(d)), float(np.std(d, ddof=1))
            half = 2.09 * sd / math.sqrt(len(d))
            self.cache[x] = Evaluation(x, d, mean, sd, mean - half, mean + half, len(d))
        return self.cache[x]


@pytest.mark.parametrize("integer", [False, True], ids=["brentq", "whole numbers"])
def test_the_break_even_budget_covers_the_root_searches_on_noisy_curves(integer):
    from channelsim.planning.breakeven import _solve, evaluation_budget, find_crossing

    rng = np.random.default_rng(5)
    high = 1000.0 if integer else 1.0
    allowed = evaluation_budget(0.0, high, 5, integer) - 5
    searched = 0
    for _ in range(300):
        curve = _NoisyCurve(rng, integer)
        xs = [float(round(x)) if integer else x for x in np.linspace(0.0, high, 5)]
        crossing = find_crossing(xs, [curve.at(x).mean for x in xs])
        if crossing is None:
            continue
        before = curve.calls
        _solve(curve, crossing, integer, 0.0, high)  # type: ignore[arg-type]
        assert curve.calls - before <= allowed
        searched += 1
    assert searched > 100
