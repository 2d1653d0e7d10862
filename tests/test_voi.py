"""voi: the closed-form EVPI, inputs and ranges files, the sample, files, resume, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from channelsim import voi
from channelsim.cli import main
from channelsim.errors import UsageError
from channelsim.planning.options import RunOptions
from channelsim.planning.uncertain import (
    UncertainParam,
    parse_uncertain,
    read_ranges,
    sample_points,
)
from channelsim.scenario import field_spec
from channelsim.verification.decisions import linear_evpi, linear_voi_scenario

ROOT = Path(__file__).resolve().parents[1]
COMMISSION = "partners.agents.commission_rate=0.05:0.35"
SALARY = "direct.salary_annual=50000:150000"
COMPARED = ("voi.json", "voi.csv", "points.csv", "results.csv", "done.jsonl", "manifest.json")


@pytest.fixture
def small(tmp_path: Path) -> Path:
    scenario = linear_voi_scenario(2).with_overrides({"scenario.horizon_months": 3})
    path = tmp_path / "linear.toml"
    path.write_text(scenario.to_toml(), encoding="utf-8")
    return path


def _run(scenario: Path, out: Path, *extra: str) -> int:
    args = ["voi", str(scenario), "--strategies", "indirect,fixed_fee", "-p", COMMISSION]
    return main([*args, "-p", SALARY, "--samples", "16", "--out", str(out), *extra])


def _same_files(a: Path, b: Path) -> None:
    for name in (*COMPARED, "scenario.resolved.toml", "plots/voi.png"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


# --- inputs ------------------------------------------------------------------------------------


def test_uncertain_inputs_are_read_from_the_command_line():
    assert parse_uncertain("a.b=1:3") == UncertainParam("a.b", 1.0, 3.0)
    assert parse_uncertain("a.b = 1 : 3 : triangular").dist == "triangular"
    assert parse_uncertain("a.b=1:3:triangular:1.5").mode == 1.5
    assert parse_uncertain("a.b=1:3:triangular:2").text() == "a.b=1:3:triangular:2"
    for bad, words in (
        ("a.b=3:1", "low must be below high"),
        ("a.b=1:1", "low must be below high"),
        ("a.b=1:3:normal", "unknown distribution 'normal'"),
        ("a.b=1:3:triangular:5", "the mode must lie between 1 and 3"),
        ("a.b=1:3:uniform:2", "a uniform range has no mode"),
        ("a.b=x:3", "low and high must be numbers"),
        ("a.b", "expected KEY=LO:HI"),
        ("a.b=1", "expected LO:HI"),
    ):
        with pytest.raises(UsageError, match=words):
            parse_uncertain(bad)


def test_ranges_files_in_toml_and_json(tmp_path):
    toml = tmp_path / "ranges.toml"
    toml.write_text(
        '"partners.agents.commission_rate" = [0.1, 0.3]\n'
        'direct.salary_annual = [60000, 90000, "triangular", 70000]\n'
        "[demand]\nleads_per_month = {low = 100, high = 200}\n",
        encoding="utf-8",
    )
    got = {p.key: p for p in read_ranges(toml)}
    assert got["partners.agents.commission_rate"] == UncertainParam(
        "partners.agents.commission_rate", 0.1, 0.3
    )
    assert (
        got["direct.salary_annual"].mode == 70000
        and got["direct.salary_annual"].dist == "triangular"
    )
    assert got["demand.leads_per_month"].high == 200
    js = tmp_path / "ranges.json"
    js.write_text(json.dumps({"ranges": {"product.price": [900, 1100]}}), encoding="utf-8")
    assert read_ranges(js) == [UncertainParam("product.price", 900.0, 1100.0)]
    sens = tmp_path / "scenario_like.toml"
    sens.write_text('[sensitivity]\nranges = {"product.price" = [1, 2]}\n', encoding="utf-8")
    assert read_ranges(sens)[0].key == "product.price"
    bad = tmp_path / "bad.toml"
    bad.write_text('"product.price" = [2, 1]\n', encoding="utf-8")
    with pytest.raises(UsageError, match="low must be below high") as info:
        read_ranges(bad)
    assert info.value.problems[0].file == str(bad)
    bad.write_text('"product.price" = "cheap"\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"expected \[low, high\]"):
        read_ranges(bad)
    with pytest.raises(UsageError, match="cannot read"):
        read_ranges(tmp_path / "missing.toml")


def test_the_latin_hypercube_puts_one_sample_in_each_stratum():
    scenario = linear_voi_scenario(1)
    params = [
        UncertainParam("product.price", 100.0, 200.0),
        UncertainParam("direct.salary_annual", 0.0, 3.0, "triangular", 1.0),
        UncertainParam("direct.max_reps", 1.0, 40.0),
    ]
    fields = {p.key: field_spec(scenario, p.key) for p in params}
    points = sample_points(params, fields, 4096, seed=1)
    assert points == sample_points(params, fields, 4096, seed=1)
    price = np.array([p["product.price"] for p in points])
    strata = np.floor((price - 100.0) / 100.0 * 4096).astype(int)
    assert sorted(strata) == list(range(4096))
    salary = np.array([p["direct.salary_annual"] for p in points])
    assert salary.mean() == pytest.approx((0 + 1 + 3) / 3, rel=1e-3)  # triangular mean
    assert np.median(salary) == pytest.approx(3 - np.sqrt(3), rel=1e-2)  # 3 - sqrt(6 * 0.5)
    reps = [p["direct.max_reps"] for p in points]
    assert all(isinstance(r, int) for r in reps) and min(reps) == 1 and max(reps) == 40


# --- the answer --------------------------------------------------------------------------------


def test_evpi_of_a_linear_decision_matches_the_closed_form():
    result = voi(
        linear_voi_scenario(3),
        [COMMISSION, SALARY],
        strategies=["indirect", "fixed_fee"],
        samples=32,
        options=RunOptions(jobs=2),
    )
    expected = linear_evpi()
    est = result.estimates
    assert est.evpi.value == pytest.approx(expected, rel=0.05)
    assert est.evpi.ci_low < expected < est.evpi.ci_high
    assert est.evppi["partners.agents.commission_rate"].value == pytest.approx(
        est.evpi.value, rel=0.01
    )
    assert est.evppi["direct.salary_annual"].value < 0.02 * expected
    # indirect (mean commission 0.2) beats the fixed 0.25 on average, fixed wins above 0.25
    assert est.best == "indirect"
    assert est.prob_best["indirect"].value == pytest.approx(2 / 3, abs=0.05)
    assert result.message.startswith(
        "Knowing partners.agents.commission_rate before deciding is worth about"
    )
    table = result.params_table
    assert table["param"].tolist() == ["partners.agents.commission_rate", "direct.salary_annual"]


def test_the_scenario_sensitivity_ranges_are_the_default(tmp_path):
    scenario = linear_voi_scenario(1).with_overrides(
        {
            "scenario.horizon_months": 2,
            "sensitivity.ranges": {"partners.agents.commission_rate": [0.1, 0.4]},
        }
    )
    result = voi(scenario, strategies=["indirect", "fixed_fee"], samples=8)
    assert [p.key for p in result.spec.params] == ["partners.agents.commission_rate"]


# --- files and resume --------------------------------------------------------------------------


def test_jobs_resume_and_memory_give_identical_files(small, tmp_path, capsys):
    one, two = tmp_path / "one", tmp_path / "two"
    assert _run(small, one, "--jobs", "1", "--quiet") == 0
    assert _run(small, two, "--jobs", "2", "--quiet") == 0
    _same_files(one, two)
    # a crash after 5 samples, the 6th's rows half written and journaled halfway
    lines = (two / "done.jsonl").read_text().splitlines(keepends=True)
    (two / "done.jsonl").write_text("".join(lines[:5]) + '{"point": 5, "sta')
    with open(two / "results.csv", "a") as fh:
        fh.write("9,indirect,0,total,1,2")
    for name in ("voi.json", "voi.csv"):
        (two / name).unlink()
    capsys.readouterr()
    assert _run(small, two, "--resume", "--jobs", "1") == 0
    assert "11 of 16 samples to run (5 already done)" in capsys.readouterr().err
    _same_files(one, two)
    assert _run(small, two, "--resume", "--samples", "32", "--quiet") == 2  # another command
    scenario = linear_voi_scenario(2).with_overrides({"scenario.horizon_months": 3})
    memory = voi(
        scenario, [COMMISSION, SALARY], strategies=["indirect", "fixed_fee"], samples=16
    ).save(tmp_path / "memory")
    _same_files(one, memory)
    doc = json.loads((one / "voi.json").read_text())
    assert doc["evppi"][0]["key"] == "partners.agents.commission_rate"
    assert {"value", "ci_low", "ci_high"} <= set(doc["evpi"])
    assert [s["strategy"] for s in doc["strategies"]] == ["indirect", "fixed_fee"]


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["-p", "partners.agents.comission_rate=0.1:0.3"], "did you mean 'commission_rate'"),
        (["-p", "partners.agents.commission_rate=0.3:0.1"], "low must be below high"),
        (["-p", "routing.policy=0:1"], "an uncertain input must be a numeric key"),
        (["-p", COMMISSION, "--objective", "profit"], "unknown metric 'profit'"),
        (["-p", COMMISSION, "--objective", "npv@VARs"], "unknown channel 'VARs'"),
        (["-p", COMMISSION, "--strategies", "indirect"], "at least two strategies"),
        (["-p", COMMISSION, "--strategies", "indirect,fixd_fee"], "did you mean 'fixed_fee'"),
        (["-p", COMMISSION, "-p", COMMISSION], "given twice"),
        (["-p", "partners.agents.commission_rate=0.1:1.5"], "must be between 0 and 1"),
        (["--samples", "4", "-p", COMMISSION], "greater than or equal to 8"),
        ([], "name the uncertain inputs"),
        (["--ranges", "nowhere.toml"], "cannot read"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(small, tmp_path, capsys, args, message):
    out = tmp_path / "bad"
    assert main(["voi", str(small), *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err
    assert not out.exists()


def test_the_event_budget_refuses_a_huge_analysis(small, tmp_path, capsys):
    args = ["--set", "demand.leads_per_month=3e7", "-p", COMMISSION, "--out", str(tmp_path / "x")]
    assert main(["voi", str(small), *args]) == 2
    err = capsys.readouterr().err
    assert "this value-of-information analysis would simulate" in err and "--force" in err


def test_the_verb_is_documented():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for word in ("## voi", "--ranges", "--samples", "EVPPI", "Strong, Oakley and Brennan"):
        assert word in text, word
