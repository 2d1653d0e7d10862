"""Start from today: ``scenario.initial_state`` loaded at t = 0.

The file is read once at load with clear errors (exit 2); the model puts its open deals in
their owners' channels with the rest of their cycle to go, and its reps at their point of the
ramp. Checked by hand-computed cases (a fixed cycle), closed forms (memorylessness, the
conditioned lognormal, the linear ramp, exponential attrition), conservation (every open deal
ends somewhere) and common random numbers (the company leads do not move).
"""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from channelsim import simulate
from channelsim.cli import main
from channelsim.model.ledger import MONTH
from channelsim.scenario import load_scenario, loads_scenario

TEAM = """
[scenario]
horizon_months = {months}
replications = {reps}
seed = {seed}
strategy = "{strategy}"
{state_line}

[demand]
leads_per_month = {leads}
patience_days = inf

[direct]
initial_reps = {n_reps}
max_reps = {max_reps}
deals_per_rep = {slots}
sales_cycle_days = {cycle}
win_rate = {win}
ramp_months = {ramp}
ramp_start_productivity = 0.2
attrition_annual = {attrition}

[direct.hiring]
policy = "plan"
headcount_plan = [[0, {n_reps}]]
max_hires_per_month = 0
"""

PROGRAM = """
[[partners]]
name = "VARs"
kind = "reseller"
initial = {partners}
recruit_per_month = 0
deals_per_partner = {partner_slots}
sourced_leads_per_month = 0
sales_cycle_days = {partner_cycle}
win_rate = 0.4
churn_annual = {churn}
"""


def _scenario_text(**kw) -> str:
    values = {
        "months": 6,
        "reps": 1,
        "seed": 3,
        "strategy": "direct",
        "state_line": 'initial_state = "state.json"',
        "leads": 0,
        "n_reps": 2,
        "slots": 5,
        "cycle": 50,
        "win": 1.0,
        "ramp": 0,
        "attrition": 0,
        "partners": None,
        "partner_slots": 5,
        "partner_cycle": 40,
        "churn": 0,
    }
    values.update(kw)
    values["max_reps"] = max(values["n_reps"], 1)
    text = TEAM.format(**values)
    if values["partners"] is not None:
        text += PROGRAM.format(**values)
    return text


def _state(deals, sellers=()) -> dict:
    return {
        "format": "channelsim-initial-state",
        "version": 1,
        "as_of": "2025-12-31",
        "deals": list(deals),
        "sellers": list(sellers),
    }


def _write(folder: Path, text: str, state: dict | str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "s.toml"
    path.write_text(text, encoding="utf-8")
    if state is not None:
        raw = state if isinstance(state, str) else json.dumps(state)
        (folder / "state.json").write_text(raw, encoding="utf-8")
    return path


def _reps(n: int, tenure: float = 1000.0) -> list[dict]:
    return [{"owner": f"r{i}", "channel": "direct", "tenure_days": tenure} for i in range(n)]


def _initial(trace):
    return trace[trace.source == "initial"]


# --- the model at t = 0 ----------------------------------------------------------------------


def test_open_deals_of_a_fixed_cycle_finish_after_the_rest_of_it(tmp_path):
    """Ten deals open 20 days, a fixed 50-day cycle: each ends on day 30, won (win rate 1)."""
    deals = [{"channel": "direct", "age_days": 20, "owner": f"r{i % 2}"} for i in range(10)]
    path = _write(tmp_path, _scenario_text(), _state(deals, _reps(2)))
    result = simulate(load_scenario(path), trace=True)
    opened = _initial(result.trace)
    assert len(opened) == 10
    assert (opened.end_day == 30).all() and (opened.outcome == "sale").all()
    assert (opened.start_day == -20).all() and (opened.wait_days == 0).all()
    direct = result.monthly[(result.monthly.channel == "direct")].set_index("month")
    assert direct.sales[0] == 10  # day 30 is in month 0 (a month is 30.44 days)
    assert direct.leads.sum() == 0  # open deals are not this run's leads


def test_open_deals_beyond_the_slots_wait_and_then_go_on_with_their_rest(tmp_path):
    """One rep with two slots and three deals open 20 days, a fixed 50-day cycle: two end on
    day 30; the third takes the freed slot on day 30 and ends 30 days later, on day 60."""
    deals = [{"channel": "direct", "age_days": 20, "owner": "r0"} for _ in range(3)]
    path = _write(tmp_path, _scenario_text(n_reps=1, slots=2), _state(deals, _reps(1)))
    opened = _initial(simulate(load_scenario(path), trace=True).trace)
    assert sorted(opened.end_day) == [30, 30, 60]
    assert sorted(opened.start_day) == [-20, -20, 30]


def test_a_deal_older_than_a_fixed_cycle_ends_at_once(tmp_path):
    deals = [{"channel": "direct", "age_days": 80}]
    path = _write(tmp_path, _scenario_text(), _state(deals, _reps(2)))
    opened = _initial(simulate(load_scenario(path), trace=True).trace)
    assert opened.end_day.tolist() == [0.0]


def test_through_the_model_an_exponential_cycle_is_memoryless(tmp_path):
    """3000 deals open 100 days with an exponential 30-day cycle: what is left of each is
    again exponential with mean 30."""
    n = 3000
    deals = [{"channel": "direct", "age_days": 100} for _ in range(n)]
    text = _scenario_text(
        n_reps=1, slots=n, months=24, cycle='{dist = "exponential", mean = 30}', win=0.5
    )
    opened = _initial(
        simulate(load_scenario(_write(tmp_path, text, _state(deals))), trace=True).trace
    )
    rest = opened.end_day.to_numpy()
    assert len(rest) == n
    assert abs(rest.mean() - 30) < 4 * 30 / math.sqrt(n)
    assert stats.kstest(rest, stats.expon(scale=30).cdf).pvalue > 1e-3
    # each won with the channel's win rate, on its own draw
    won = (opened.outcome == "sale").sum()
    assert abs(won - n / 2) < 4 * math.sqrt(n / 4)


def test_through_the_model_a_lognormal_cycle_is_conditioned_on_the_age(tmp_path):
    n = 3000
    deals = [{"channel": "direct", "age_days": 60} for _ in range(n)]
    text = _scenario_text(
        n_reps=1, slots=n, months=24, cycle='{dist = "lognormal", mean = 45, sd = 20}'
    )
    opened = _initial(
        simulate(load_scenario(_write(tmp_path, text, _state(deals))), trace=True).trace
    )
    s2 = math.log1p((20 / 45) ** 2)
    cycle = stats.lognorm(math.sqrt(s2), scale=45 * math.exp(-s2 / 2))

    def conditional(r):
        return 1 - cycle.sf(60 + np.asarray(r)) / cycle.sf(60)

    assert stats.kstest(opened.end_day.to_numpy(), conditional).pvalue > 1e-3


@pytest.mark.parametrize(
    ("tenure_months", "expected"), [(2.0, (0.30, 0.38, 0.46)), (6.0, (0.5,) * 3)]
)
def test_reps_with_tenure_sell_at_their_point_of_the_ramp(tmp_path, tenure_months, expected):
    """Ten reps hired two months ago, a 5-month linear ramp from 0.2, a 0.5 win rate: in month
    k of the run a rep is at month 2 + k of the ramp, so the win rate over the month is
    0.5 x (0.2 + 0.8 x (2.5 + k) / 5): 0.30, 0.38, 0.46. Reps past the ramp win 0.5."""
    text = _scenario_text(
        n_reps=10, slots=100, months=3, reps=4, leads=3000, cycle=1, win=0.5, ramp=5
    )
    path = _write(tmp_path, text, _state([], _reps(10, tenure_months * MONTH)))
    monthly = simulate(load_scenario(path), jobs=1).monthly
    direct = monthly[monthly.channel == "direct"].groupby("month")[["sales", "lost_deals"]].sum()
    rate = direct.sales / (direct.sales + direct.lost_deals)
    n = direct.sales + direct.lost_deals
    for k in range(3):
        se = math.sqrt(expected[k] * (1 - expected[k]) / n[k])
        assert abs(rate[k] - expected[k]) < 4 * se + 0.004, (k, rate[k], expected[k])


def test_without_a_state_the_initial_reps_are_fully_ramped(tmp_path):
    text = _scenario_text(
        n_reps=10, slots=100, months=2, reps=2, leads=3000, cycle=1, win=0.5, ramp=5, state_line=""
    )
    monthly = simulate(load_scenario(_write(tmp_path, text, None)), jobs=1).monthly
    direct = monthly[monthly.channel == "direct"]
    rate = direct.sales.sum() / (direct.sales.sum() + direct.lost_deals.sum())
    assert abs(rate - 0.5) < 0.02


def test_attrition_goes_on_at_its_rate_whatever_the_tenure(tmp_path):
    """Exponential tenure: 400 reps of any tenure leave at 50% a year, so exp(-0.5) of them
    stay a year, and exactly the same ones leave as in a run without the state."""
    text = _scenario_text(n_reps=400, months=12, attrition=0.5)
    path = _write(tmp_path, text, _state([], _reps(400, tenure=3000.0)))
    with_state = simulate(load_scenario(path)).monthly
    without = simulate(loads_scenario(text.replace('initial_state = "state.json"', ""))).monthly
    heads = with_state[with_state.channel == "direct"].set_index("month").headcount
    assert abs(heads[11] / 400 - math.exp(-0.5)) < 4 * math.sqrt(0.6 * 0.4 / 400)
    assert (
        heads.tolist() == without[without.channel == "direct"].set_index("month").headcount.tolist()
    )


def test_the_company_leads_do_not_move(tmp_path):
    """Common random numbers: a run from today meets the company leads of a run without."""
    text = _scenario_text(n_reps=3, slots=2, months=4, leads=60, cycle=30, win=0.3, partners=2)
    text = text.replace(
        "patience_days = inf",
        'patience_days = 20\n[[demand.segments]]\nname = "a"\nshare = 0.6\n'
        '[[demand.segments]]\nname = "b"\nshare = 0.4\ndeal_size = 3',
    ).replace("[product]", "")
    text = text.replace("[scenario]", "[product]\ndeal_size_cv = 0.4\n[scenario]")
    deals = [
        {"channel": ["direct", "VARs"][i % 2], "age_days": 5 * i, "owner": "r0", "segment": None}
        for i in range(12)
    ]
    path = _write(tmp_path, text, _state(deals, _reps(3)))
    for strategy in ("direct", "hybrid", "indirect"):
        a = simulate(load_scenario(path), strategy, trace=True).trace
        b = simulate(
            loads_scenario(text.replace('initial_state = "state.json"', "")), strategy, trace=True
        ).trace
        company_a = a[a.source == "company"].sort_values("arrival_day")
        company_b = b[b.source == "company"].sort_values("arrival_day")
        assert len(company_a) == len(company_b) > 100
        for col in ("arrival_day", "segment", "value"):
            assert company_a[col].tolist() == company_b[col].tolist(), (strategy, col)


def test_a_channel_the_strategy_does_not_work_loses_its_open_deals_at_once(tmp_path):
    text = _scenario_text(n_reps=2, partners=2)
    deals = [{"channel": "direct", "age_days": 3}] * 4 + [{"channel": "VARs", "age_days": 3}] * 3
    path = _write(tmp_path, text, _state(deals, _reps(2)))
    sc = load_scenario(path)
    for strategy, lost_channel, n in (("indirect", "direct", 4), ("direct", "VARs", 3)):
        m = simulate(sc, strategy).monthly
        lost = m[(m.channel == lost_channel) & (m.month == 0)].lost_deals.iloc[0]
        assert lost == n
        assert m[m.channel == lost_channel].sales.sum() == 0


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ages=st.lists(st.floats(0, 400), min_size=0, max_size=40),
    seed=st.integers(0, 1000),
    strategy=st.sampled_from(["direct", "indirect", "hybrid"]),
    cycle=st.sampled_from(
        [
            "30",
            '{dist = "lognormal", mean = 45, sd = 30}',
            '{dist = "uniform", low = 10, high = 90}',
        ]
    ),
)
def test_every_open_deal_ends_somewhere(tmp_path_factory, ages, seed, strategy, cycle):
    """Won, lost, or still open at the horizon: never lost track of, whatever the slots (too
    few: some wait), the owners (unknown ones too), attrition and churn (disrupted deals)."""
    folder = tmp_path_factory.mktemp("state")
    deals = [
        {
            "channel": "VARs" if i % 3 == 0 else "direct",
            "age_days": a,
            "owner": ["r0", "r1", "p0", "nobody", None][i % 5],
        }
        for i, a in enumerate(ages)
    ]
    sellers = _reps(2) + [{"owner": "p0", "channel": "VARs", "tenure_days": 10}]
    text = _scenario_text(
        n_reps=2, slots=3, months=3, reps=2, seed=seed, cycle=cycle, win=0.5,
        attrition=3.0, partners=1, partner_slots=2, partner_cycle=cycle, churn=3.0,
        strategy=strategy,
    )  # fmt: skip
    result = simulate(load_scenario(_write(folder, text, _state(deals, sellers))), trace=True)
    m = result.monthly
    for _, rep in m[m.channel.isin(["direct", "VARs"])].groupby("replication"):
        ended = rep.sales.sum() + rep.lost_deals.sum()
        still = rep[rep.month == rep.month.max()].open_deals.sum()
        assert ended + still == len(deals)
    opened = _initial(result.trace)
    assert len(opened) == 2 * len(deals)
    assert set(opened.outcome) <= {"sale", "lost_deal", "open"}


# --- loading the file -----------------------------------------------------------------------


def test_the_path_is_relative_to_the_scenario_file(tmp_path, monkeypatch):
    path = _write(
        tmp_path / "sub", _scenario_text(), _state([{"channel": "direct", "age_days": 1}])
    )
    monkeypatch.chdir(tmp_path)
    sc = load_scenario(Path("sub") / "s.toml")
    assert sc.start_state is not None and len(sc.start_state.deals) == 1
    assert sc.scenario.initial_state == str((tmp_path / "sub" / "state.json").resolve())
    assert f"sha256 {sc.start_state.sha256}" in sc.to_toml()
    # the resolved scenario names the file absolutely: it reruns from anywhere
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert loads_scenario(sc.to_toml()).start_state == sc.start_state
    assert path.exists()


def test_a_derived_scenario_reads_nothing_and_keeps_the_state(tmp_path):
    deals = [{"channel": "direct", "age_days": 20}] * 3
    path = _write(tmp_path, _scenario_text(), _state(deals, _reps(2)))
    sc = load_scenario(path)
    (tmp_path / "state.json").unlink()  # a worker or a later override never reads it again
    for derived in (
        sc.with_overrides({"scenario.seed": 9}),
        sc.resolve_strategy("hybrid")[1],
        pickle.loads(pickle.dumps(sc)),
    ):
        assert derived.start_state == sc.start_state
    monthly = simulate(sc, replications=2, jobs=2).monthly  # in worker processes
    assert monthly[monthly.channel == "total"].sales.sum() == 6


def test_a_state_changed_on_disk_changes_the_resolved_scenario(tmp_path):
    path = _write(tmp_path, _scenario_text(), _state([{"channel": "direct", "age_days": 1}]))
    before = load_scenario(path).to_toml()
    (tmp_path / "state.json").write_text(json.dumps(_state([{"channel": "direct", "age_days": 2}])))
    assert load_scenario(path).to_toml() != before


def test_run_says_where_it_starts_from(tmp_path, capsys):
    path = _write(
        tmp_path, _scenario_text(), _state([{"channel": "direct", "age_days": 1}], _reps(2))
    )
    code = main(["run", str(path), "--out", str(tmp_path / "out"), "--reps", "1", "-j", "1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "1 open deals and 2 sellers" in out


BAD_STATES = [
    (None, ["s.toml", "scenario.initial_state", "state.json", "not found"]),
    ("{", ["state.json", "invalid JSON at line 1"]),
    ("[1, 2]", ["state.json", "expected a JSON object"]),
    (
        _state([{"channel": "direct", "age_days": 1},
                {"channel": "direct", "age_days": -3, "line": 7}]),
        ["state.json: deals[1].age_days: must be between 0 and 36525, got -3 (export line 7)"],
    ),
    (
        _state([{"channel": "VAR", "age_days": 1}]),
        ["state.json: deals[0].channel: unknown channel 'VAR' (did you mean 'VARs'?)"],
    ),
    (
        _state([{"channel": "direct", "age_days": 1, "segment": "smb"}]),
        ["deals[0].segment: unknown segment 'smb'"],
    ),
    (
        _state([], [{"owner": "a", "channel": "direct", "tenure_days": 1}] * 2),
        ["sellers[1].owner", "listed twice"],
    ),
    (
        _state([], [{"owner": "a", "channel": "Agents", "tenure_days": 1}]),
        ["sellers[0].channel: unknown channel 'Agents'"],
    ),
    ({**_state([]), "format": "csv"},
     ["state.json: format: must be one of channelsim-initial-state"]),
    ({**_state([]), "version": 2}, ["state.json: version"]),
    (_state([{"channel": "direct", "age_days": "ten"}]), ["deals[0].age_days: expected a number"]),
    (_state([{"channel": "direct"}]), ["deals[0].age_days: is required"]),
    ('{"format": "channelsim-initial-state", "version": 1, "deals": [{"channel": "direct", '
     '"age_days": NaN}]}', ["state.json", "NaN"]),
]  # fmt: skip


@pytest.mark.parametrize(("state", "expected"), BAD_STATES)
def test_a_bad_state_file_is_exit_2_naming_the_file_the_path_and_the_problem(
    tmp_path, capsys, state, expected
):
    text = _scenario_text(partners=1).replace(
        "[[partners]]", '[[demand.segments]]\nname = "ent"\nshare = 1\n\n[[partners]]'
    )
    path = _write(tmp_path, text, state)
    assert main(["validate", str(path)]) == 2
    _, err = capsys.readouterr()
    assert "Traceback" not in err
    for part in expected:
        assert part in err, err
