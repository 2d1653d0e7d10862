"""What a sweep says and draws: paired differences, the best point, one colour scale, status.

Small scenarios built here (6 months, a few replications). The best-point rule is checked on
hand-made tables first (where the answer is known by construction), then on real sweeps.
"""

from __future__ import annotations

import json
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pandas as pd
import pytest

from channelsim.analysis.sweep_tables import best_point, paired_point_differences
from channelsim.cli import main
from channelsim.experiments.executors import SerialExecutor
from channelsim.planning import points as point_runner
from channelsim.planning.options import RunOptions
from channelsim.planning.sweep import SweepStopped, sweep
from channelsim.scenario import Scenario

SMALL = {
    "scenario": {"name": "sweep outputs", "horizon_months": 6, "replications": 4, "seed": 5},
    "product": {"price": 1000.0, "unit_cost": 100.0},
    "demand": {"leads_per_month": 40},
    "direct": {"initial_reps": 2, "deals_per_rep": 3},
    "partners": [{"name": "VARs", "kind": "reseller", "initial": 3}],
}


def _scenario(**scenario: object) -> Scenario:
    data = {**SMALL, "scenario": {**SMALL["scenario"], **scenario}}
    return Scenario.model_validate(data)


def _table(values: np.ndarray, strategy: str = "s") -> tuple[pd.DataFrame, pd.DataFrame]:
    """results and points tables of one strategy: values[replication, point] of npv."""
    reps, n = values.shape
    rows = [
        {
            "point": p,
            "strategy": strategy,
            "replication": r,
            "channel": "total",
            "npv": values[r, p],
        }
        for p in range(n)
        for r in range(reps)
    ]
    points = pd.DataFrame({"point": range(n), "x": [10 * p for p in range(n)]})
    return pd.DataFrame(rows), points


# --- the best point on tables made by hand ----------------------------------------------------


def test_pairing_separates_points_whose_bands_overlap():
    # replication luck (+-1000) is shared by every point; point 2 is 1 and 2 better than the
    # others in every replication: unpaired bands overlap completely, paired ones do not
    luck = np.array([-1000.0, 400.0, 1000.0, -300.0, 0.0])
    values = luck[:, None] + np.array([0.0, 1.0, 2.0])[None, :]
    results, points = _table(values)
    best = best_point(results, points, "s", "npv", keys=["x"])
    assert (best.point, best.separated, best.rival) == (2, True, None)
    # lower is better: point 0 is the best, told apart the same way
    best = best_point(results, points, "s", "npv", keys=["x"], lower_is_better=True)
    assert (best.point, best.separated) == (0, True)


def test_a_best_point_within_the_noise_of_another_is_not_named():
    # point 2 beats point 1 by 1 +- 3 (paired): not told apart; point 0 is far below both
    noise = np.array([3.0, -3.0, 2.0, -2.0, 1.0])
    values = np.column_stack([np.zeros(5), 10 + noise, np.full(5, 11.0)])
    results, points = _table(values)
    best = best_point(results, points, "s", "npv", keys=["x"])
    assert (best.point, best.separated, best.rival) == (2, False, 1)
    mean, low, high = best.difference
    assert mean == pytest.approx(1 - noise.mean())
    d = 1 - noise
    half = 2.7764451051977987 * d.std(ddof=1) / np.sqrt(5)  # t(0.975, 4)
    assert (low, high) == pytest.approx((d.mean() - half, d.mean() + half))
    assert not best.identical


def test_points_that_differ_only_in_an_unused_key_are_one_point():
    values = np.column_stack([np.full(3, 5.0), np.full(3, 5.0)])
    results, points = _table(values)
    # without the key: nothing moves the strategy, no best point
    assert best_point(results, points, "s", "npv", keys=[]).point is None
    # with it: the two points are identical in every replication: not told apart
    best = best_point(results, points, "s", "npv", keys=["x"])
    assert best.separated is False and best.identical and best.rival == 1


# --- real sweeps ---------------------------------------------------------------------------------


def test_one_parameter_two_strategies_draws_the_paired_difference():
    res = sweep(
        _scenario(),
        ["product.price=500,1000,2000"],
        strategies=["direct", "hybrid"],
        options=RunOptions(jobs=1),
    )
    figures = dict(res.plots("contribution"))
    assert set(figures) == {"sweep_contribution", "sweep_contribution_direct_minus_hybrid"}
    ax = figures["sweep_contribution_direct_minus_hybrid"].axes[0]
    line = ax.get_lines()[1]  # the first line is zero
    total = res.results[res.results.channel == "total"]
    wide = total.pivot_table(
        index=["point", "replication"], columns="strategy", values="contribution"
    )
    expected = (wide["direct"] - wide["hybrid"]).groupby(level="point").mean()
    np.testing.assert_allclose(line.get_ydata(), expected.to_numpy())
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    table = paired_point_differences(res.results, res.points, "direct", "hybrid", "contribution")
    assert band.min() == pytest.approx(table.ci_low.min())
    assert band.max() == pytest.approx(table.ci_high.max())
    # differences.csv-to-be: every metric, and the plotted one agrees with the plot's table
    every = res.pair_differences()
    rows = every[every.metric == "contribution"].reset_index(drop=True)
    np.testing.assert_allclose(rows["mean"], table["mean"])
    assert set(every.metric) >= {"revenue", "npv", "payback_month"}


def test_best_point_is_named_only_when_told_apart_and_never_on_an_unused_key(capsys):
    # a price change moves only money: on the same replications a higher price earns more
    # in every replication, so the highest price is told apart. The VARs' discount does
    # nothing for direct (it has no partners): no best point for it, and no star.
    scenario = _scenario()
    res = sweep(
        scenario, ["product.price=500,1000,2000"], strategies=["direct"], options=RunOptions(jobs=1)
    )
    [best] = res.best_points("contribution")
    assert (best.point, best.separated) == (2, True)
    [sentence] = res.best_sentences("contribution")
    assert sentence.startswith("best contribution for direct: ")
    assert "at point 2 (product.price=2000), better than every other point" in sentence
    ax = res.plots("contribution")[0][1].axes[0]
    assert [t.get_text() for t in ax.texts] == ["best"]

    res = sweep(
        scenario,
        ["partners.VARs.discount=0.1,0.2,0.3"],
        strategies=["direct", "indirect"],
        options=RunOptions(jobs=1),
    )
    direct = res.results[(res.results.strategy == "direct") & (res.results.channel == "total")]
    by_point = [g.drop(columns="point").reset_index(drop=True) for _, g in direct.groupby("point")]
    assert all(g.equals(by_point[0]) for g in by_point)  # the model agrees with the rule
    assert res.notes == ["--param partners.VARs.discount does nothing for strategy direct: "
                         "it has no partners"]  # fmt: skip
    direct_line = res.best_sentences("contribution")[0]
    assert direct_line == (
        "no best contribution for direct: no swept key does anything for it "
        "(partners.VARs.discount: it has no partners)"
    )
    best = {b.strategy: b for b in res.best_points("contribution")}
    assert best["direct"].point is None
    ax = res.plots("contribution")[0][1].axes[0]
    stars = sum(t.get_text() == "best" for t in ax.texts)
    assert stars == int(best["indirect"].separated)  # none for direct


def test_a_noisy_best_point_is_not_named(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(_scenario(replications=3).to_toml(), encoding="utf-8")
    args = ["sweep", str(path), "-p", "demand.leads_per_month=10,11", "--strategies", "direct"]
    assert main([*args, "--jobs", "1", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "no best npv for direct: point " in out  # npv: the CLI's default metric
    # one strategy: no differences.csv; the workbook was written, so it is named
    assert "(points.csv, results.csv, summary.csv, results.xlsx, manifest.json" in out
    assert "but is not told apart from point " in out and "paired difference" in out
    assert "best npv for direct:" not in out.replace("no best npv", "")


def test_side_by_side_heatmaps_share_one_colour_scale():
    res = sweep(
        _scenario(replications=2),
        ["demand.leads_per_month=20,60", "product.price=500,2000"],
        strategies=["direct", "indirect"],
        options=RunOptions(jobs=1),
    )
    fig = dict(res.plots("contribution"))["sweep_contribution"]
    panels = {ax.get_title(loc="left"): ax for ax in fig.axes}
    meshes = [panels[name].collections[0] for name in ("direct", "indirect")]
    means = res.metric("contribution")["mean"]
    for mesh in meshes:
        assert (mesh.norm.vmin, mesh.norm.vmax) == pytest.approx((means.min(), means.max()))
    # the strategies' own ranges differ: a scale for each would give one colour two values
    ranges = res.metric("contribution").groupby("strategy")["mean"].agg(["min", "max"])
    assert not np.allclose(ranges.loc["direct"], ranges.loc["indirect"])
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 1


# --- status after an interrupt -------------------------------------------------------------------


def test_ctrl_c_leaves_a_manifest_that_says_interrupted(tmp_path, monkeypatch):
    real = point_runner.run_task
    calls = {"n": 0}

    def interrupted(task):
        calls["n"] += 1
        if calls["n"] > 2 * 4 * 2:  # two points of two strategies x four replications
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(point_runner, "run_task", interrupted)
    out = tmp_path / "sweep"
    params = ["product.price=500,1000,1500,2000"]
    with pytest.raises(KeyboardInterrupt):
        sweep(
            _scenario(),
            params,
            strategies=["direct", "hybrid"],
            out=out,
            options=RunOptions(jobs=1),
        )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["points_done"] == 2
    assert "results.csv" in manifest["files"] and manifest["kind"] == "sweep"

    monkeypatch.setattr(point_runner, "run_task", real)
    res = sweep(
        _scenario(),
        params,
        strategies=["direct", "hybrid"],
        out=out,
        resume=True,
        options=RunOptions(jobs=1),
    )
    assert res.complete
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


class _LosesAWorker:
    """Runs the first tasks, then fails as a process pool does when a worker dies."""

    def __init__(self, tasks_before: int) -> None:
        self.tasks_before = tasks_before

    def map_unordered(self, fn, tasks):
        for done, item in enumerate(SerialExecutor().map_unordered(fn, tasks)):
            if done == self.tasks_before:
                raise BrokenProcessPool("a worker process died")
            yield item


def test_a_lost_worker_leaves_a_manifest_that_says_interrupted(tmp_path):
    out = tmp_path / "sweep"
    with pytest.raises(SweepStopped, match="a worker process died"):
        sweep(
            _scenario(),
            ["product.price=500,1000,1500"],
            strategies=["direct"],
            out=out,
            options=RunOptions(executor=_LosesAWorker(4 + 1)),
        )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["points_done"] == 1
