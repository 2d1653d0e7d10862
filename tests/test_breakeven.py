"""Break-even search: the textbook closed form, integers, no crossing, output files, bad input."""

from __future__ import annotations

import json
import math

import pytest

from channelsim import theory
from channelsim.cli import main
from channelsim.experiments.replications import simulate
from channelsim.planning.breakeven import _int_boundary, breakeven, find_crossing
from channelsim.planning.options import RunOptions
from channelsim.scenario import Scenario
from tests.conftest import deep_update
from tests.test_compare import PRICE, WIN, textbook


def _write(tmp_path, data: dict) -> str:
    path = tmp_path / "textbook.toml"
    path.write_text(Scenario.model_validate(data).to_toml(), encoding="utf-8")
    return str(path)


def test_find_crossing_brackets_the_first_sign_change():
    assert find_crossing([0, 1, 2, 3], [-3, -1, 2, 5]) == (1, 2)
    assert find_crossing([0, 1, 2, 3], [3, 1, -2, 5]) == (1, 2)  # the lowest of two
    assert find_crossing([0, 1, 2], [-1, 0, 4]) == 1  # exactly zero at a scanned point
    assert find_crossing([0, 1, 2], [-1, math.nan, 4]) == (0, 2)  # undefined points skipped
    assert find_crossing([0, 1, 2], [1, 2, 3]) is None
    assert find_crossing([0, 1, 2], [-1, -2, -3]) is None


def test_int_boundary_is_the_first_integer_past_the_change():
    assert _int_boundary(lambda k: k < 7, 0, 20) == 7
    assert _int_boundary(lambda k: k < 1, 0, 1) == 1


@pytest.mark.slow
def test_textbook_breakeven_in_leads_matches_the_closed_form(tmp_path, capsys):
    # Kotler: fixed 3 x 30k + 160k against 25% - 5% commission: 1.25M of sales a year
    sales = theory.breakeven_sales(3 * 30000 + 160000, 0.25, 0.05)
    expected = sales / PRICE / 12 / WIN  # leads a month
    path = _write(tmp_path, textbook(sales, reps=10))
    out = tmp_path / "be"
    args = ["breakeven", path, "--param", "demand.leads_per_month", "--low", "120"]
    args += ["--metric", "contribution"]  # the closed form is undiscounted (the default is npv)
    assert main([*args, "--high", "320", "--jobs", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    doc = json.loads((out / "breakeven.json").read_text())
    assert abs(doc["value"] - expected) / expected < 0.03
    assert doc["ci_low"] < doc["value"] < doc["ci_high"]
    assert doc["ci_low"] < 1.01 * expected and 0.99 * expected < doc["ci_high"]
    assert doc["ci_high"] - doc["ci_low"] < 0.1 * expected
    assert doc["param"] == "demand.leads_per_month" and doc["metric"] == "contribution"
    assert (doc["a"], doc["b"], doc["found"]) == ("direct", "indirect", True)
    values = [e["value"] for e in doc["evaluations"]]
    assert values == sorted(values) and 120 in values and 320 in values
    assert len(values) <= 40
    assert "below it indirect has the higher contribution, above it direct does" in printed
    assert (out / "plots" / "breakeven.png").stat().st_size > 10_000
    assert (out / "scenario.resolved.toml").is_file()


def test_no_sign_change_is_an_answer_not_an_error(tmp_path, capsys):
    path = _write(tmp_path, textbook(1.25e6, reps=4))
    out = tmp_path / "none"
    args = ["breakeven", path, "-p", "demand.leads_per_month", "--low", "260", "--high", "400"]
    args += ["--metric", "contribution"]
    assert main([*args, "--scan", "3", "--jobs", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "no break-even between 260 and 400: direct is better than indirect throughout" in printed
    doc = json.loads((out / "breakeven.json").read_text())
    assert doc["value"] is None and doc["ci_low"] is None and doc["found"] is False
    assert len(doc["evaluations"]) == 3


@pytest.mark.slow
def test_whole_number_breakeven_in_headcount():
    # revenue 1.3M a year: direct - indirect = 0.2 x 1.3M - 160k - 30k x reps, zero at 3.33
    # reps; with 3 reps direct earns more, with 4 the agents do
    data = deep_update(textbook(1.3e6, reps=6), {"direct": {"max_reps": 10}})
    res = breakeven(
        Scenario.model_validate(data), "direct.initial_reps", 1, 8, options=RunOptions(jobs=2)
    )
    assert res.value == 4
    assert res.ci_low in (2, 3) and res.ci_high == 4  # 3 reps: 6,200 +- 6,200 a year
    assert "below it direct has the higher contribution" in res.message
    assert all(float(v).is_integer() for v in res.evaluations["value"])


def _agents_with_fixed_cost(fixed: float, reps: int) -> dict:
    """The textbook agents (25% commission) with a fixed cost of the program a month."""
    data = textbook(1.2e6, reps=reps)
    data["partners"][0]["fixed_cost_per_month"] = fixed
    return data


def test_b_none_finds_where_one_strategy_crosses_zero():
    # indirect's contribution over 12 months is R (1 - c) - 12 F: zero at c = 1 - 12 F / R.
    # The commission changes only money, so every replication sells the same at every c and
    # the root is exact: R is the mean revenue of a plain run on the same seeds.
    fixed = 50_000.0
    scenario = Scenario.model_validate(_agents_with_fixed_cost(fixed, reps=4))
    res = breakeven(
        scenario,
        "partners.agents.commission_rate",
        0.2,
        0.8,
        a="indirect",
        b=None,
        scan=3,
        options=RunOptions(jobs=1),
    )
    run = simulate(scenario, ["indirect"], jobs=1).summary
    revenue = run[(run.metric == "revenue") & (run.channel == "total")]["mean"].iloc[0]
    assert res.value == pytest.approx(1 - 12 * fixed / revenue, abs=0.6 * 1e-3)
    assert abs(res.value - 0.5) < 0.03  # expected revenue 200 leads x 0.5 x 1000 x 12 = 1.2M
    assert res.ci_low < res.value < res.ci_high and res.ci_low < 0.5 < res.ci_high
    assert res.b is None and set(res.extra["strategies"]) == {"indirect"}
    assert "indirect's contribution (total, 4 replications) crosses zero at" in res.message
    assert "positive below it, negative above it" in res.message
    doc = res.to_dict()
    assert doc["b"] is None and "mean of A's metric" in doc["method"]


def test_b_none_on_the_command_line(tmp_path, capsys):
    path = _write(tmp_path, _agents_with_fixed_cost(50_000.0, reps=2))
    out = tmp_path / "zero"
    args = ["breakeven", path, "-p", "partners.agents.commission_rate", "--a", "indirect"]
    args += ["--b", "none", "--low", "0.05", "--high", "0.3", "--scan", "3", "--jobs", "1"]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "no zero crossing between 0.05 and 0.3: indirect's npv" in printed  # the default
    assert "is positive throughout" in printed
    doc = json.loads((out / "breakeven.json").read_text())
    assert doc["b"] is None and doc["a"] == "indirect" and doc["found"] is False
    assert (out / "plots" / "breakeven.png").is_file()
    assert "results.xlsx" in json.loads((out / "manifest.json").read_text())["files"]


@pytest.mark.parametrize(
    "extra,message",
    [
        (["-p", "demand.leads_per_month", "--low", "300", "--high", "100"], "low must be below"),
        (["-p", "demand.leads_per_mnth", "--low", "1", "--high", "2"], "did you mean"),
        (["-p", "routing.policy", "--low", "1", "--high", "2"], "no range"),
        (["-p", "direct.win_rate", "--low", "0.5", "--high", "2"], "--high 2"),
        (
            ["-p", "demand.leads_per_month", "--low", "1", "--high", "2", "--a", "indirect"],
            "two different strategies",
        ),
        (
            ["-p", "demand.leads_per_month", "--low", "1", "--high", "2", "--metric", "margin"],
            "unknown metric",
        ),
        (
            ["-p", "demand.leads_per_month", "--low", "1", "--high", "2", "--channel", "VARs"],
            "unknown channel",
        ),
        (["-p", "demand.leads_per_month", "--low", "1"], "Missing option '--high'"),
    ],
)
def test_bad_input_exits_2(tmp_path, capsys, extra, message):
    path = _write(tmp_path, textbook(1.25e6, reps=2))
    code = main(["breakeven", path, *extra, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and err.startswith("error: ") and "Traceback" not in err
    assert not (tmp_path / "out").exists()
