"""optimize: the Erlang B optimum, fresh confirmation runs, files, resume, bad input, budget."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from channelsim import optimize, simulate
from channelsim.cli import main
from channelsim.errors import UsageError
from channelsim.planning.objectives import parse_constraint, parse_risk, parse_target
from channelsim.planning.optimize import confirm_seed, optimize_plan
from channelsim.planning.options import RunOptions
from channelsim.planning.variables import search_budget
from channelsim.verification.decisions import (
    best_share,
    share_routing_npv_rate,
    share_routing_scenario,
)

ROOT = Path(__file__).resolve().parents[1]
SHARE = "routing.direct_share=0:1"
COMPARED = (
    "optimum.json",
    "evaluations.csv",
    "evaluations.jsonl",
    "manifest.json",
    "scenario.resolved.toml",
)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """The validation's share-routing case, short: 3 months, 3 replications."""
    scenario = share_routing_scenario(3).with_overrides({"scenario.horizon_months": 3})
    path = tmp_path / "share.toml"
    path.write_text(scenario.to_toml(), encoding="utf-8")
    return path


def _same_files(a: Path, b: Path) -> None:
    for name in COMPARED:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    plots = sorted(p.name for p in (a / "plots").iterdir())
    assert plots == sorted(p.name for p in (b / "plots").iterdir())
    for name in plots:
        assert (a / "plots" / name).read_bytes() == (b / "plots" / name).read_bytes(), name


def _run(scenario: Path, out: Path, *extra: str) -> int:
    args = ["optimize", str(scenario), "--var", SHARE, "-n", "20", "--out", str(out)]
    return main([*args, *extra])


# --- parsing -----------------------------------------------------------------------------------


def test_targets_risks_and_constraints_are_read_and_checked():
    scenario = share_routing_scenario(2)
    assert parse_target("npv", scenario).name == "npv"
    target = parse_target("lost_lead_share@direct", scenario)
    assert (target.metric, target.channel, target.lower_is_better) == (
        "lost_lead_share",
        "direct",
        True,
    )
    assert parse_risk("cvar:0.1").alpha == 0.1
    c = parse_constraint("lost_lead_share@direct <= 0.1", scenario)
    assert (c.op, c.limit, c.met(0.1), c.met(0.11), c.met(float("nan"))) == (
        "<=",
        0.1,
        True,
        False,
        False,
    )
    assert parse_constraint("sales>=5").met(5)
    for bad, words in (
        ("nvp", "did you mean 'npv'"),
        ("npv@VARs", "unknown channel 'VARs'"),
        ("npv@", "expected METRIC or METRIC@CHANNEL"),
    ):
        with pytest.raises(UsageError, match=words):
            parse_target(bad, scenario)
    with pytest.raises(UsageError, match="p_loss .* needs a metric where higher is better"):
        parse_risk("p_loss", parse_target("cost_per_sale"))
    with pytest.raises(UsageError, match="did you mean 'cvar'"):
        parse_risk("cvr:0.1")
    with pytest.raises(UsageError, match="bound .* must be a finite number"):
        parse_constraint("sales<=many")


def test_the_budget_is_whole_generations_of_ten_per_variable():
    assert search_budget(1, None) == (10, 5)  # 60 candidates: 6 generations of 10
    assert search_budget(2, 100) == (20, 4)
    with pytest.raises(UsageError, match="at least 40 with 2 variable"):
        search_budget(2, 39)
    plan = optimize_plan(share_routing_scenario(2), [SHARE, "partners.agents.max_partners=1:50"])
    assert plan.evaluations == 120 + 2  # the search, then the chosen values and the base again
    assert plan.axes == {
        "routing.direct_share": [0.0, 1.0],
        "partners.agents.max_partners": [1, 50],
    }


# --- the answer --------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_optimiser_lands_within_1_percent_of_the_erlang_b_optimum():
    scenario = share_routing_scenario(10)
    result = optimize(
        scenario, [SHARE], strategy="hybrid", evaluations=40, options=RunOptions(jobs=2)
    )
    share = result.values["routing.direct_share"]
    assert share_routing_npv_rate(share) >= 0.99 * share_routing_npv_rate(best_share())
    # the base (0.9) loses a third of the team's leads: the gain is large and clear
    gain, low, high = result.gain
    assert 0 < low < gain < high
    assert result.message.startswith(f"send {100 * share:.0f}% of company leads to the team: +")


def test_reported_numbers_come_from_fresh_replications(small, tmp_path):
    scenario = share_routing_scenario(3).with_overrides({"scenario.horizon_months": 3})
    result = optimize(scenario, [SHARE], evaluations=20, options=RunOptions(jobs=1))
    chosen = result.values["routing.direct_share"]
    # rerun the chosen share and the base on the confirmation seed with simulate(): the same
    fresh = scenario.with_overrides({"scenario.seed": confirm_seed(scenario.scenario.seed)})
    mine = simulate(fresh.with_overrides({"routing.direct_share": chosen}), "hybrid").summary
    base = simulate(fresh, "hybrid").summary
    npv = mine[(mine.channel == "total") & (mine.metric == "npv")]["mean"].iloc[0]
    base_npv = base[(base.channel == "total") & (base.metric == "npv")]["mean"].iloc[0]
    assert result.objective[0] == pytest.approx(npv)
    assert result.gain[0] == pytest.approx(npv - base_npv)
    # ...and not the search's numbers for the same share
    search = result.evaluations[result.evaluations["stage"] == "search"]
    row = search[search["routing.direct_share"] == chosen].iloc[0]
    assert row["objective"] != pytest.approx(result.objective[0])
    assert confirm_seed(scenario.scenario.seed) != scenario.scenario.seed
    stages = result.evaluations["stage"].tolist()
    assert stages[-2:] == ["confirm", "confirm"] and set(stages[:-2]) == {"search"}


def test_progress_counts_the_runs_up_to_the_end():
    scenario = share_routing_scenario(2).with_overrides({"scenario.horizon_months": 1})
    calls: list[tuple[int, int]] = []
    optimize(
        scenario,
        [SHARE],
        evaluations=20,
        options=RunOptions(progress=lambda d, t: calls.append((d, t))),
    )
    done = [d for d, _ in calls]
    assert done == sorted(done) and all(d <= t for d, t in calls)
    assert calls[-1][0] == calls[-1][1] <= (20 + 2) * 2


def test_whole_number_keys_stay_whole(small, tmp_path):
    out = tmp_path / "ints"
    args = ["--var", "partners.agents.max_partners=1:60", "--set", "partners.agents.initial=1"]
    assert _run(small, out, *args, "-n", "40", "--reps", "2", "--quiet") == 0
    table = pd.read_csv(out / "evaluations.csv")
    values = table["partners.agents.max_partners"]
    assert values.dtype.kind == "i"
    assert values[table["stage"] == "search"].between(1, 60).all()
    assert values.iloc[-1] == 100  # the base, confirmed as it is (outside the box)
    doc = json.loads((out / "optimum.json").read_text())
    assert isinstance(doc["values"]["partners.agents.max_partners"], int)
    assert "allow up to" in doc["message"] and "partners in agents" in doc["message"]


def test_risk_measures_and_a_constraint_end_to_end(small, tmp_path, capsys):
    out = tmp_path / "cvar"
    args = ["--risk", "cvar:0.5", "--constraint", "lost_lead_share@direct<=0.05"]
    assert _run(small, out, *args) == 0
    doc = json.loads((out / "optimum.json").read_text())
    assert doc["objective"]["risk"] == "cvar:0.5"
    assert doc["objective"]["ci_low"] <= doc["objective"]["value"] <= doc["objective"]["ci_high"]
    (c,) = doc["constraints"]
    assert c["constraint"] == "lost_lead_share@direct<=0.05" and c["ci_low"] <= c["mean"]
    assert c["met"] == (c["mean"] <= 0.05)
    table = pd.read_csv(out / "evaluations.csv")
    searched = table[table["stage"] == "search"]
    assert (searched["feasible"] == (searched["lost_lead_share@direct"] <= 0.05)).all()
    assert doc["values"]["routing.direct_share"] in set(searched[searched["feasible"]].iloc[:, 3])
    plots = {p.name for p in (out / "plots").iterdir()}
    assert plots == {"convergence.png", "objective.png", "frontier_lost_lead_share_direct_0.05.png"}
    assert "CVaR 50% of NPV over the base" in capsys.readouterr().out

    out = tmp_path / "ploss"
    assert _run(small, out, "--risk", "p_loss", "--quiet") == 0
    doc = json.loads((out / "optimum.json").read_text())
    assert doc["objective"]["better"] == "lower" and 0 <= doc["objective"]["value"] <= 1


def test_a_constraint_no_candidate_meets_is_said(small, tmp_path, capsys):
    out = tmp_path / "never"
    assert _run(small, out, "--constraint", "sales>=1e9") == 0
    doc = json.loads((out / "optimum.json").read_text())
    assert doc["feasible"] is False and doc["constraints"][0]["met"] is False
    assert "no candidate met every constraint" in capsys.readouterr().out


# --- files and resume --------------------------------------------------------------------------


def test_jobs_and_memory_give_identical_files(small, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert _run(small, one, "--jobs", "1", "--quiet") == 0
    assert _run(small, two, "--jobs", "2", "--quiet") == 0
    _same_files(one, two)
    scenario = share_routing_scenario(3).with_overrides({"scenario.horizon_months": 3})
    memory = optimize(scenario, [SHARE], evaluations=20).save(tmp_path / "memory")
    _same_files(one, memory)


def test_torn_journal_resumes_to_the_same_files(small, tmp_path, capsys):
    whole, torn = tmp_path / "whole", tmp_path / "torn"
    assert _run(small, whole, "--quiet") == 0
    assert _run(small, torn, "--quiet") == 0
    lines = (torn / "evaluations.jsonl").read_text().splitlines(keepends=True)
    (torn / "evaluations.jsonl").write_text("".join(lines[:7]) + lines[7][:40])
    for name in ("optimum.json", "evaluations.csv"):
        (torn / name).unlink()
    capsys.readouterr()
    assert _run(small, torn, "--resume") == 0
    assert "(7 already done)" in capsys.readouterr().err
    _same_files(whole, torn)
    # resuming with another command is refused and changes nothing
    assert _run(small, torn, "--resume", "--reps", "4") == 2
    assert "--reps" in capsys.readouterr().err
    assert _run(small, torn, "--quiet") == 2  # without --resume an existing run is refused
    _same_files(whole, torn)


def _start(scenario: Path, out: Path) -> subprocess.Popen:
    code = (
        "import sys; from channelsim.cli import main; "
        f"sys.exit(main(['optimize', {str(scenario)!r}, '--var', {SHARE!r}, '-n', '60', "
        f"'--set', 'scenario.horizon_months=12', '--jobs', '1', '--quiet', '--out', {str(out)!r}]))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE, start_new_session=True
    )


@pytest.mark.slow
def test_killed_optimisation_resumes_to_the_same_files(small, tmp_path):
    killed = tmp_path / "killed"
    proc = _start(small, killed)
    journal = killed / "evaluations.jsonl"
    deadline = time.monotonic() + 120
    try:
        while not journal.is_file() or journal.read_text().count("\n") < 5:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the search never finished a candidate"
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert json.loads((killed / "manifest.json").read_text())["status"] == "running"
    base = ["optimize", str(small), "--var", SHARE, "-n", "60"]
    base += ["--set", "scenario.horizon_months=12", "--quiet", "--out"]
    assert main([*base, str(killed), "--resume", "--jobs", "2"]) == 0
    reference = tmp_path / "reference"
    assert main([*base, str(reference), "--jobs", "2"]) == 0
    _same_files(killed, reference)
    assert json.loads((killed / "manifest.json").read_text())["status"] == "complete"


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["--var", "routing.direct_shar=0:1"], "did you mean 'direct_share'"),
        (["--var", "routing.direct_share=0.8:0.2"], "low must be below high"),
        (["--var", "routing.policy=0:1"], "a decision variable must be a numeric key"),
        (["--var", "routing.direct_share=0:1.5"], "routing.direct_share=1.5"),
        (
            ["--var", SHARE, "--constraint", "lost_leed_share<=0.1"],
            "did you mean 'lost_lead_share'",
        ),
        (["--var", SHARE, "--constraint", "sales<5"], "expected METRIC<=X or METRIC>=X"),
        (["--var", SHARE, "--objective", "npv@nowhere"], "unknown channel 'nowhere'"),
        (["--var", SHARE, "--objective", "profit"], "unknown metric 'profit'"),
        (["--var", SHARE, "--risk", "cvar:2"], "tail share between 0 and 1"),
        (["--var", SHARE, "-n", "5"], "must be at least 20"),
        (["--var", SHARE, "--var", SHARE], "given twice"),
        (["--var", "scenario.seed=1:9"], "set it with --seed"),
        (["--var", SHARE, "--strategy", "hybird"], "did you mean 'hybrid'"),
        ([], "give at least one decision variable"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(small, tmp_path, capsys, args, message):
    out = tmp_path / "bad"
    assert main(["optimize", str(small), *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err
    assert not out.exists()


def test_a_strategy_that_sets_the_key_is_refused(tmp_path):
    scenario = share_routing_scenario(2).with_overrides(
        {"strategies": {"half": {"base": "hybrid", "set": {"routing.direct_share": 0.5}}}}
    )
    with pytest.raises(UsageError, match="does nothing for strategy half"):
        optimize(scenario, [SHARE], strategy="half")
    with pytest.raises(UsageError, match="needs the folder"):
        optimize(scenario, [SHARE], resume=True)


def test_the_event_budget_refuses_a_huge_optimisation(small, tmp_path, capsys):
    out = tmp_path / "huge"
    args = ["--set", "demand.leads_per_month=3e7", "--var", SHARE, "--out", str(out)]
    assert main(["optimize", str(small), *args]) == 2
    err = capsys.readouterr().err
    assert "this optimisation would simulate" in err and "--force" in err
    assert not out.exists()


def test_the_verb_is_listed_and_documented():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for word in ("## optimize", "--var", "--risk", "--constraint", "--evaluations", "optimum.json"):
        assert word in text, word
    np.testing.assert_equal(main(["optimize", "--help"]), 0)
