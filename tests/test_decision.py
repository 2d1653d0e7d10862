"""The recommendation rule on hand-built tables: eligibility, the winner, how sure, trade-offs
and the plain warnings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from channelsim.analysis.decision import DecisionRule, recommend
from channelsim.analysis.differences import paired_differences


def _tables(values: dict[str, dict[str, list[float]]]):
    """Per-replication values -> (summary, differences, replications), as compare makes them."""
    rows = []
    for strategy, metrics in values.items():
        n = len(next(iter(metrics.values())))
        for r in range(n):
            rows.append(
                {
                    "strategy": strategy,
                    "replication": r,
                    "channel": "total",
                    **{m: v[r] for m, v in metrics.items()},
                }
            )
    reps = pd.DataFrame(rows)
    out = []
    for (strategy, channel), grp in reps.groupby(["strategy", "channel"], sort=False):
        for metric in values[strategy]:
            x = grp[metric].to_numpy(dtype=float)
            half = 2.0 * x.std(ddof=1) / math.sqrt(x.size)
            out.append((strategy, channel, metric, x.mean(), x.std(ddof=1), x.mean() - half,
                        x.mean() + half, x.size, float(np.median(x))))  # fmt: skip
    summary = pd.DataFrame(
        out,
        columns=[
            "strategy",
            "channel",
            "metric",
            "mean",
            "std",
            "ci_low",
            "ci_high",
            "n",
            "median",
        ],
    )
    return summary, paired_differences(reps, list(values)), reps


def test_the_highest_npv_wins_and_its_share_of_replications_is_counted():
    summary, diffs, reps = _tables(
        {
            "direct": {"npv": [10, 12, 9, 11], "contribution_margin": [0.30] * 4},
            "indirect": {"npv": [5, 13, 4, 6], "contribution_margin": [0.10, 0.11, 0.10, 0.11]},
            "hybrid": {"npv": [8, 9, 10, 7], "contribution_margin": [0.2] * 4},
        }
    )
    rec = recommend(summary, diffs, reps, horizon_months=24)
    assert rec.best == "direct" and rec.runner_up == "hybrid"
    # direct has the highest NPV in replications 0 and 3, indirect in 1, hybrid in 2
    assert rec.p_best == 0.5
    assert rec.sentences[0].startswith("Recommendation: direct.")
    assert "50% of the replications" in rec.sentences[0]


def test_constraints_exclude_a_strategy_and_say_why():
    summary, diffs, reps = _tables(
        {
            "direct": {"npv": [10, 11, 12], "peak_investment": [900, 950, 1000]},
            "hybrid": {"npv": [8, 9, 9.5], "peak_investment": [100, 120, 110]},
        }
    )
    rule = DecisionRule(max_peak_investment=500)
    rec = recommend(summary, diffs, reps, rule=rule, currency="EUR")
    assert rec.best == "hybrid"
    assert "direct" in rec.excluded and "950 EUR" in rec.excluded["direct"]
    assert any("Not eligible" in s and "direct" in s for s in rec.sentences)


def test_warns_when_every_strategy_loses_money_and_when_it_is_a_tie():
    summary, diffs, reps = _tables(
        {
            "direct": {"npv": [-5, -1, -7, -3]},
            "indirect": {"npv": [-6, 0, -8, -1]},
        }
    )
    rec = recommend(summary, diffs, reps, horizon_months=36)
    assert (
        rec.warnings[0]
        == "Every strategy loses money over 36 months: each has a negative mean NPV."
    )
    assert any("cannot be told apart" in w for w in rec.warnings)


def test_a_variant_winner_is_named_as_such_with_the_best_base_strategy():
    summary, diffs, reps = _tables(
        {
            "direct": {"npv": [5, 6, 7]},
            "hybrid": {"npv": [8, 9, 10]},
            "lean_team": {"npv": [20, 21, 22]},
        }
    )
    rec = recommend(
        summary, diffs, reps, variants={"lean_team": "hybrid with direct.max_reps = 10"}
    )
    assert rec.best == "lean_team"
    text = " ".join(rec.warnings)
    assert "what-if variant" in text and "direct.max_reps = 10" in text
    assert "the best of those is hybrid" in text


def test_trade_offs_are_stated_only_when_their_interval_excludes_zero():
    summary, diffs, reps = _tables(
        {
            "hybrid": {
                "npv": [20, 22, 21, 23],
                "contribution_margin": [0.20, 0.21, 0.19, 0.20],
                "reputation_end": [0.95, 0.97, 0.99, 0.96],
            },
            "direct": {
                "npv": [10, 11, 12, 10],
                "contribution_margin": [0.25, 0.26, 0.24, 0.25],
                "reputation_end": [0.96, 0.96, 0.98, 0.97],
            },
        }
    )
    rec = recommend(summary, diffs, reps)
    text = " ".join(rec.sentences)
    assert "gives up 5.0 points of contribution margin" in text
    assert "reputation" not in text  # its paired interval includes zero


def test_a_sure_but_tiny_difference_is_not_stated_as_a_trade_off():
    # every pair differs by the same small amount: its paired interval excludes zero, but 0.1
    # points of margin, 0.01 of elasticity and 1% of the peak investment matter to no reader
    summary, diffs, reps = _tables(
        {
            "hybrid": {
                "npv": [20, 22, 21, 23],
                "contribution_margin": [0.201, 0.211, 0.191, 0.201],
                "cost_elasticity": [0.31, 0.32, 0.30, 0.31],
                "peak_investment": [1010, 1020, 1000, 1015],
                "message_control_share": [0.5, 0.6, 0.55, 0.5],
            },
            "direct": {
                "npv": [10, 11, 12, 10],
                "contribution_margin": [0.20, 0.21, 0.19, 0.20],
                "cost_elasticity": [0.30, 0.31, 0.29, 0.30],
                "peak_investment": [1000, 1010, 990, 1005],
                "message_control_share": [0.8, 0.9, 0.85, 0.8],
            },
        }
    )
    rec = recommend(summary, diffs, reps)
    text = " ".join(rec.sentences)
    assert "margin" not in text and "elasticity" not in text and "peak investment" not in text
    # a difference of 30 points of controlled sales is both sure and material
    assert "gives up 30.0 points of sales with a controlled brand message" in text


def test_a_slower_winner_gives_up_months_in_plain_words():
    summary, diffs, reps = _tables(
        {
            "direct": {"npv": [20, 22, 21, 23], "months_to_target": [9.0, 10.0, 9.0, 11.0]},
            "indirect": {"npv": [10, 11, 12, 10], "months_to_target": [6.0, 7.0, 6.0, 7.0]},
        }
    )
    rec = recommend(summary, diffs, reps, target=200)
    text = " ".join(rec.sentences)
    assert "Against indirect it gives up 3.2 months in reaching 200 sales a month." in text
