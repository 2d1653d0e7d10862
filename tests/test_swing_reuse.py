"""A strategy's runs do not depend on keys it does not use, so "what would change the answer"
reuses the comparison's runs for them instead of rerunning.

The claim (:func:`channelsim.planning.ranges.strategy_uses`) is a property of the model: no
partner program runs under ``direct`` and no sales team under ``indirect``. It is checked on
every shipped scenario by moving every such key at once and comparing every summary number,
then end to end: the swing table with the reuse equals the one that reruns everything, and
it runs fewer tasks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from channelsim import load_scenario
from channelsim.experiments.compare import compare
from channelsim.experiments.replications import Task, run_task
from channelsim.planning.options import RunOptions
from channelsim.planning.parameters import apply_values
from channelsim.planning.ranges import ParamRange, default_ranges, strategy_uses
from channelsim.planning.swing import what_would_change
from channelsim.scenario import Scenario

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.toml"))


def _unused_moves(scenario: Scenario, mode: str) -> dict[str, float]:
    """Every default key a strategy of ``mode`` does not use, at the top of its range."""
    ranges, _ = default_ranges(scenario, "hybrid", 0.2)
    return {r.key: r.high for r in ranges if not strategy_uses(mode, r.key)}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_keys_a_strategy_does_not_use_change_none_of_its_numbers(path: Path) -> None:
    scenario = load_scenario(path).with_overrides({"scenario.horizon_months": 12})
    checked = 0
    for strategy in scenario.strategy_names():
        mode, _ = scenario.resolve_strategy(strategy)
        moves = _unused_moves(scenario, mode)
        if mode == "hybrid" or not moves:
            continue
        moved = apply_values(scenario, moves, "unused keys")
        for rep in (0, 1):
            base = run_task(Task(scenario, strategy, rep, elasticity=True))
            other = run_task(Task(moved, strategy, rep))
            for channel in base.channels:
                # the elasticity's shadow runs book beside the base run, never into it
                want = {
                    k: v for k, v in base.summary[channel].items() if k in other.summary[channel]
                }
                assert other.summary[channel] == pytest.approx(want, nan_ok=True, rel=0, abs=0), (
                    strategy,
                    channel,
                )
            checked += 1
    assert checked, "no direct or indirect strategy with unused keys"


def test_the_swing_reuses_the_comparison_where_it_may_and_gives_the_same_table() -> None:
    path = Path(__file__).parent.parent / "scenarios" / "saas_midmarket.toml"
    scenario = load_scenario(path).with_overrides(
        {"scenario.horizon_months": 12, "scenario.replications": 2}
    )
    cmp = compare(scenario, ["direct", "hybrid"], jobs=1)
    total = cmp.replications[cmp.replications["channel"] == "total"]
    wide = total.pivot(index="replication", columns="strategy", values="npv").sort_index()
    lead = (wide["hybrid"] - wide["direct"]).to_numpy()
    program = scenario.partners[0].name
    keys = [
        ParamRange("direct.win_rate", 0.2, 0.3, 0.25),
        ParamRange(f"partners.{program}.discount", 0.2, 0.35, 0.3),
    ]
    tasks: dict[str, int] = {}

    def counting(name: str):
        def progress(_done: int, total: int) -> None:
            tasks[name] = total

        return progress

    common = {"keys": keys, "replications": 2}
    full = what_would_change(
        scenario, "hybrid", "direct", "npv", lead, **common,
        options=RunOptions(jobs=1, progress=counting("full")),
    )  # fmt: skip
    base = {s: wide[s].to_numpy() for s in ("hybrid", "direct")}
    reused = what_would_change(
        scenario, "hybrid", "direct", "npv", lead, **common, base_values=base,
        options=RunOptions(jobs=1, progress=counting("reused")),
    )  # fmt: skip
    pd.testing.assert_frame_equal(full, reused)
    # 2 inputs x 2 ends x 2 strategies x 2 replications, less direct at the discount's ends
    assert tasks == {"full": 16, "reused": 12}
    assert np.isfinite(reused["lead_low"]).all()
