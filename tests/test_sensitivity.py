"""Sensitivity analysis: tornado, Sobol' indices of a parameter that does nothing, defaults."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from channelsim.cli import main
from channelsim.planning.options import RunOptions
from channelsim.planning.ranges import default_ranges
from channelsim.planning.sensitivity import sensitivity
from channelsim.scenario import Scenario, load_scenario
from tests.conftest import deep_update
from tests.test_compare import textbook

NULL = "partners.agents.commission_rate"  # partners are off under strategy direct


@pytest.fixture
def textbook_scenario() -> Scenario:
    return Scenario.model_validate(textbook(1.25e6, reps=2))


@pytest.mark.slow
def test_sobol_index_of_a_parameter_that_does_nothing_is_zero(textbook_scenario):
    res = sensitivity(
        textbook_scenario,
        metric="contribution",
        strategy="direct",
        method="sobol",
        samples=16,
        params=[
            "demand.leads_per_month=150:300",
            f"{NULL}=0.1:0.3",
            "direct.commission_rate=0:0.1",
        ],
        options=RunOptions(jobs=2),
    )
    table = res.table.set_index("param")
    assert res.points == 16 * (3 + 2)
    assert abs(table.loc[NULL, "S1"]) < 0.02 and abs(table.loc[NULL, "ST"]) < 0.02
    assert table.loc["demand.leads_per_month", "ST"] > 0.5
    assert table.index[0] == "demand.leads_per_month"  # largest total index first
    for name in ("S1", "ST"):
        assert (table[f"{name}_ci_low"] <= table[name]).all()
        assert (table[name] <= table[f"{name}_ci_high"]).all()


def test_tornado_ranks_parameters_and_writes_csv_and_chart(tmp_path, capsys):
    data = textbook(1.25e6, reps=2)
    path = tmp_path / "t.toml"
    path.write_text(Scenario.model_validate(data).to_toml(), encoding="utf-8")
    out = tmp_path / "tornado"
    args = ["sensitivity", str(path), "--metric", "contribution", "--strategy", "direct"]
    args += ["-p", "demand.leads_per_month=150:250", "-p", f"{NULL}=0.1:0.3"]
    args += ["-p", "direct.salary_annual=20000:40000", "--reps", "4", "--jobs", "1"]
    args += ["--out", str(out)]
    assert main(args) == 0
    assert "largest swing first" in capsys.readouterr().out
    table = pd.read_csv(out / "sensitivity.csv")
    assert list(table.param) == ["demand.leads_per_month", "direct.salary_annual", NULL]
    null = table[table.param == NULL].iloc[0]
    assert null.swing == 0 and null.delta_low == 0 and null.delta_high == 0
    leads = table.iloc[0]
    assert leads.metric_low < leads.metric_base < leads.metric_high
    assert leads.delta_high_ci_low > 0  # paired on the same replications: clearly positive
    # salary: +-10k a rep a year for 3 reps over 12 months moves contribution by 30k
    salary = table[table.param == "direct.salary_annual"].iloc[0]
    assert salary.metric_low - salary.metric_base == pytest.approx(30000, rel=0.01)
    assert (out / "plots" / "tornado.png").stat().st_size > 10_000


def test_default_ranges_follow_the_strategy_and_the_schema():
    scn = load_scenario("scenarios/saas_midmarket.toml")
    ranges, notes = default_ranges(scn, "direct", 0.2)
    keys = {r.key for r in ranges}
    assert "demand.leads_per_month" in keys and not any(k.startswith("partners.") for k in keys)
    by_key = {r.key: r for r in ranges}
    assert by_key["product.price"].low == pytest.approx(0.8 * 3000)
    assert by_key["product.subscription.fee_per_month"].high == pytest.approx(1.2 * 2000)
    assert "product.subscription.churn" not in keys  # a distribution, not a number
    hires = by_key["direct.hiring.max_hires_per_month"]  # 3 +- 20% rounds to 3: moves by 1
    assert (hires.low, hires.high) == (2, 4) and isinstance(hires.low, int)
    ranges, notes = default_ranges(scn, "indirect", 0.2)
    keys = {r.key for r in ranges}
    assert "partners.VARs.discount" in keys and not any(k.startswith("direct.") for k in keys)
    assert any("partners.VARs.commission_rate" in n for n in notes)  # its value is 0
    steep = deep_update(scn.to_toml_dict(), {"direct": {"win_rate": 0.9}})
    ranges, _ = default_ranges(Scenario.model_validate(steep), "direct", 0.2)
    win = next(r for r in ranges if r.key == "direct.win_rate")
    assert (win.low, win.high) == (pytest.approx(0.72), 1.0)  # clipped to the allowed range
    ranges, notes = default_ranges(scn, "lean_team", 0.2)
    assert "direct.max_reps" not in {r.key for r in ranges}


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--method", "morris"], "unknown method 'morris'"),
        (["--metric", "np"], "did you mean 'npv'"),
        (["-p", "demand.leads_per_month=1,2"], "give a range low:high"),
        (["-p", "demand.leads_per_month=1:2:3"], "give a range low:high"),
        (["-p", "demand.leads_per_month=5:1"], "low must be below high"),
        (["-p", "demand.nope=1:2"], "unknown key 'nope'"),
        (["--method", "sobol", "--samples", "12"], "power of 2"),
        (["--samples", "16"], "is for --method sobol"),
        (["--spread", "1.5"], "between 0 and 1"),
    ],
)
def test_bad_input_exits_2(tmp_path, capsys, extra, message):
    code = main(["sensitivity", "scenarios/saas_midmarket.toml", *extra, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and err.startswith("error: ") and "Traceback" not in err


def test_missing_salib_names_the_extra(tmp_path, capsys, monkeypatch):
    for name in [m for m in sys.modules if m == "SALib" or m.startswith("SALib.")] + ["SALib"]:
        monkeypatch.setitem(sys.modules, name, None)  # import SALib... fails
    args = ["sensitivity", "scenarios/saas_midmarket.toml", "--method", "sobol", "--reps", "1"]
    args += [
        "--samples",
        "2",
        "-p",
        "product.price=1000:2000",
        "--set",
        "scenario.horizon_months=1",
    ]
    assert main([*args, "--out", str(tmp_path / "s")]) == 2
    assert 'pip install "channelsim[sensitivity]"' in capsys.readouterr().err
