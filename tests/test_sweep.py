"""Parameter sweeps: points, executors, the crash-safe folder, resume, failures, bad input."""

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

from channelsim.cli import main
from channelsim.errors import UsageError
from channelsim.planning import points as point_runner
from channelsim.planning.options import RunOptions
from channelsim.planning.parameters import check_param, parse_param
from channelsim.planning.samplers import make_points
from channelsim.planning.sweep import sweep
from channelsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]

SMALL = """\
[scenario]
name = "sweep test"
horizon_months = 6
replications = 2
seed = 5
strategy = "hybrid"

[product]
price = 1000.0
unit_cost = 100.0

[demand]
leads_per_month = 40

[direct]
initial_reps = 2
deals_per_rep = 3

[[partners]]
name = "VARs"
kind = "reseller"
initial = 3
"""

GRID = ["-p", "demand.leads_per_month=20:60:3", "-p", "product.price=900,1100"]
COMPARED = (
    "results.csv",
    "summary.csv",
    "points.csv",
    "errors.csv",
    "manifest.json",
    "done.jsonl",
    "scenario.resolved.toml",
)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def _sweep(scenario: Path, out: Path, *extra: str) -> int:
    args = ["sweep", str(scenario), *GRID, "--strategies", "direct,hybrid", "--out", str(out)]
    return main([*args, "--quiet", *extra])


def _same_files(a: Path, b: Path, names=COMPARED) -> None:
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    plots_a = sorted(p.name for p in (a / "plots").iterdir())
    assert plots_a == sorted(p.name for p in (b / "plots").iterdir())
    for name in plots_a:
        assert (a / "plots" / name).read_bytes() == (b / "plots" / name).read_bytes(), name


# --- points --------------------------------------------------------------------------------


def test_grid_points_every_combination_with_whole_numbers_rounded(small):
    scn = load_scenario(small)
    specs = [
        parse_param("direct.hiring.max_hires_per_month=1:3:5"),
        parse_param("product.price=900,1100"),
    ]
    fields = {s.key: check_param(scn, s) for s in specs}
    points = make_points(specs, fields, "grid")
    # 1, 1.5, 2, 2.5, 3 rounded half up: 1, 2, 2, 3, 3 -> 1, 2, 3 (repeats dropped)
    assert [p["direct.hiring.max_hires_per_month"] for p in points] == [1, 1, 2, 2, 3, 3]
    assert all(type(p["direct.hiring.max_hires_per_month"]) is int for p in points)
    assert [p["product.price"] for p in points] == [900, 1100] * 3
    win = parse_param("direct.win_rate=0.1:0.3:3")
    tidy = make_points([win], {win.key: check_param(scn, win)}, "grid")
    assert [p["direct.win_rate"] for p in tidy] == [0.1, 0.2, 0.3]  # not 0.30000000000000004


@pytest.mark.parametrize("sampler,samples", [("lhs", 10), ("sobol", 8), ("random", 10)])
def test_samplers_are_reproducible_and_inside_the_ranges(small, sampler, samples):
    scn = load_scenario(small)
    specs = [
        parse_param("demand.leads_per_month=20:60"),
        parse_param("direct.initial_reps=1:3"),
        parse_param("routing.policy=share,overflow"),
    ]
    fields = {s.key: check_param(scn, s) for s in specs}
    first = make_points(specs, fields, sampler, samples, seed=5)
    assert first == make_points(specs, fields, sampler, samples, seed=5)
    assert first != make_points(specs, fields, sampler, samples, seed=6)
    assert len(first) == samples
    leads = np.array([p["demand.leads_per_month"] for p in first])
    assert ((leads >= 20) & (leads <= 60)).all() and len(set(leads)) == samples
    assert {type(p["direct.initial_reps"]) for p in first} == {int}
    assert {p["routing.policy"] for p in first} <= {"share", "overflow"}
    if sampler == "lhs":  # one point in each tenth of the range
        assert sorted(np.floor((leads - 20) / 4).astype(int)) == list(range(10))


# --- executors and the folder ----------------------------------------------------------------


@pytest.mark.slow
def test_jobs_and_dask_give_identical_files(small, tmp_path):
    distributed = pytest.importorskip("distributed")
    assert _sweep(small, tmp_path / "j1", "--jobs", "1") == 0
    assert _sweep(small, tmp_path / "j2", "--jobs", "2") == 0
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    try:
        assert _sweep(small, tmp_path / "dask", "--dask", cluster.scheduler_address) == 0
    finally:
        cluster.close()
    _same_files(tmp_path / "j1", tmp_path / "j2")
    _same_files(tmp_path / "j1", tmp_path / "dask")
    results = pd.read_csv(tmp_path / "j1" / "results.csv")
    # every point x strategy x replication x channel, replications on the same seeds
    assert len(results) == 6 * 2 * 2 * 4
    assert set(results.channel) == {"direct", "VARs", "partners", "total"}
    manifest = json.loads((tmp_path / "j1" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["points_done"] == 6
    assert manifest["spec"]["replications"] == 2 and manifest["strategies"] == ["direct", "hybrid"]
    assert len(manifest["scenario_sha256"]) == 64
    plots = sorted(p.name for p in (tmp_path / "j1" / "plots").iterdir())
    assert plots == ["sweep_npv.png", "sweep_npv_direct_minus_hybrid.png"]  # the default metric


def test_common_random_numbers_across_points(small):
    scn = load_scenario(small)
    res = sweep(
        scn, ["product.price=900,1100"], strategies="direct", options=RunOptions(replications=3)
    )
    total = res.results[res.results.channel == "total"].set_index(["point", "replication"])
    # price does not change demand: the same replication sees the same leads at every point
    assert (total.loc[0, "leads"] == total.loc[1, "leads"]).all()
    assert (total.loc[0, "revenue"] != total.loc[1, "revenue"]).any()


def test_in_memory_sweep_equals_the_saved_one(small, tmp_path):
    scn = load_scenario(small)
    params = ["demand.leads_per_month=20:60:2"]
    kept = sweep(scn, params, strategies=["direct", "indirect"], out=tmp_path / "a")
    memory = sweep(scn, params, strategies=["direct", "indirect"])
    pd.testing.assert_frame_equal(kept.results, memory.results)
    pd.testing.assert_frame_equal(kept.summary, memory.summary)
    memory.save(tmp_path / "b")
    _same_files(tmp_path / "a", tmp_path / "b")
    line = memory.metric("contribution")
    assert list(line.columns[:3]) == ["point", "demand.leads_per_month", "strategy"]
    assert (line.ci_low <= line["mean"]).all() and (line["mean"] <= line.ci_high).all()


def _start_sweep(scenario: Path, out: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    args = [
        sys.executable,
        "-m",
        "channelsim",
        "sweep",
        str(scenario),
        "-p",
        "demand.leads_per_month=20:80:15",
        "-p",
        "product.price=900,1100",
        "--strategies",
        "direct,hybrid",
        "--set",
        "scenario.horizon_months=12",
        "--jobs",
        "2",
        "--out",
        str(out),
        "--quiet",
    ]
    return subprocess.Popen(
        args,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: SIGKILL reaches the workers too
    )


def _journal_lines(folder: Path) -> int:
    path = folder / "done.jsonl"
    return path.read_text().count("\n") if path.is_file() else 0


@pytest.mark.slow
def test_killed_sweep_resumes_to_the_same_files(small, tmp_path):
    killed = tmp_path / "killed"
    proc = _start_sweep(small, killed)
    deadline = time.monotonic() + 120
    try:
        while _journal_lines(killed) < 3:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the sweep never finished a point"
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    done_before = _journal_lines(killed)
    assert 3 <= done_before < 30, "killed too late to test a resume"
    manifest = json.loads((killed / "manifest.json").read_text())
    assert manifest["status"] == "running"

    base = ["sweep", str(small), "-p", "demand.leads_per_month=20:80:15"]
    base += ["-p", "product.price=900,1100", "--strategies", "direct,hybrid"]
    base += ["--set", "scenario.horizon_months=12", "--out", str(killed)]
    # a changed scenario or spec is refused, and leaves the folder as it was
    changed = [*base[:-4], "--set", "scenario.horizon_months=11", "--out", str(killed)]
    assert main([*changed, "--resume", "--quiet"]) == 2
    assert main([*base, "--reps", "3", "--resume", "--quiet"]) == 2
    assert main([*base, "--quiet"]) == 2  # without --resume an existing sweep is refused
    assert _journal_lines(killed) == done_before

    assert main([*base, "--resume", "--jobs", "2"]) == 0
    reference = tmp_path / "reference"
    assert main([*base[:-1], str(reference), "--jobs", "2", "--quiet"]) == 0
    _same_files(killed, reference)
    assert json.loads((killed / "manifest.json").read_text())["status"] == "complete"
    # resuming a finished sweep has nothing to do and changes nothing
    assert main([*base, "--resume", "--quiet"]) == 0
    _same_files(killed, reference)


def test_torn_writes_are_discarded_on_resume(small, tmp_path, capsys):
    whole, torn = tmp_path / "whole", tmp_path / "torn"
    assert _sweep(small, whole, "--jobs", "1") == 0
    assert _sweep(small, torn, "--jobs", "1") == 0
    # a crash after points 0-2: point 3's rows written but not journaled, and a torn line
    lines = (torn / "done.jsonl").read_text().splitlines(keepends=True)
    (torn / "done.jsonl").write_text("".join(lines[:3]) + '{"point": 4, "sta')
    with open(torn / "results.csv", "a") as fh:
        fh.write("3,direct,0,total,1,2,3\n5,hybrid,1,dir")
    for name in ("summary.csv", "errors.csv"):
        (torn / name).unlink()
    capsys.readouterr()
    assert (
        main(
            [
                "sweep",
                str(small),
                *GRID,
                "--strategies",
                "direct,hybrid",
                "--out",
                str(torn),
                "--resume",
                "--jobs",
                "1",
            ]
        )
        == 0
    )
    assert "3 of 6 points to run (3 already done)" in capsys.readouterr().err
    _same_files(whole, torn)


def test_failing_points_are_recorded_and_retried(small, tmp_path, monkeypatch, capsys):
    real = point_runner.run_task

    def flaky(task):
        if task.scenario.demand.leads_per_month == 40 and task.strategy == "hybrid":
            raise RuntimeError("model exploded")
        return real(task)

    monkeypatch.setattr(point_runner, "run_task", flaky)
    failed = tmp_path / "failed"
    assert _sweep(small, failed, "--jobs", "1") == 1
    err = capsys.readouterr().err
    assert "error: 2 of 6 points failed" in err and "model exploded" in err
    errors = pd.read_csv(failed / "errors.csv")
    assert sorted(set(errors.point)) == [2, 3] and set(errors.strategy) == {"hybrid"}
    assert len(errors) == 2 * 2  # two points x two replications
    manifest = json.loads((failed / "manifest.json").read_text())
    assert manifest["status"] == "incomplete" and manifest["points_failed"] == 2
    assert manifest["errors"][0]["error"] == "RuntimeError: model exploded"
    results = pd.read_csv(failed / "results.csv")
    assert sorted(set(results.point)) == [0, 1, 4, 5]
    assert set(pd.read_csv(failed / "summary.csv").point) == {0, 1, 4, 5}

    monkeypatch.setattr(point_runner, "run_task", real)
    assert _sweep(small, failed, "--jobs", "1", "--resume") == 0
    clean = tmp_path / "clean"
    assert _sweep(small, clean, "--jobs", "1") == 0
    _same_files(failed, clean)


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args,message",
    [
        (["-p", "demand.leads_per_mont=1,2"], "did you mean 'leads_per_month'"),
        (["-p", "demand.leads_per_month=1:2:x"], "malformed range"),
        (["-p", "demand.leads_per_month=10:60:1"], "at least 2"),
        (["-p", "demand.leads_per_month=60:10:3"], "low must be below high"),
        (["-p", "demand.leads_per_month=10:60"], "the grid needs a number of values"),
        (
            ["-p", "demand.leads_per_month=10:60", "--sampler", "lhz", "--samples", "4"],
            "unknown sampler 'lhz'",
        ),
        (["-p", "demand.leads_per_month=10:60", "--sampler", "lhs"], "needs --samples"),
        (
            ["-p", "demand.leads_per_month=10:60", "--sampler", "sobol", "--samples", "6"],
            "power of 2",
        ),
        (["-p", "direct.win_rate=0.5:1.5:3"], "must be between 0 and 1, got 1.5"),
        (["-p", "routing.policy=1:2:3"], "no range"),
        (["-p", "scenario.seed=1,2"], "set it with --seed"),
        (["-p", "demand.leads_per_month"], "expected key=values"),
        (["-p", "demand.leads_per_month=1,2", "-p", "demand.leads_per_month=3,4"], "given twice"),
        (["-p", "demand.leads_per_month=1,2", "--strategies", "directt"], "did you mean 'direct'"),
        (["-p", "demand.leads_per_month=1,2", "--metric", "profit"], "unknown metric 'profit'"),
        (["-p", "demand.leads_per_month=1,2", "--jobs", "2", "--dask", "local"], "not both"),
        (["-p", "demand.leads_per_month=1,2", "--resume"], "no sweep folder to resume"),
        ([], "give at least one parameter"),
        # a typo in n must be refused before a single point is built, not hang
        (["-p", "demand.leads_per_month=10:60:100000000"], "this grid has 100,000,000 points"),
        (
            ["-p", "demand.leads_per_month=10:60:2000", "-p", "direct.win_rate=0.1:0.9:1000"],
            "this grid has 2,000,000 points",
        ),
        (
            ["-p", "demand.leads_per_month=10:60", "--sampler", "lhs", "--samples", "10000000"],
            "must be at most 1,000,000",
        ),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(small, tmp_path, capsys, args, message):
    code = main(["sweep", str(small), *args, "--out", str(tmp_path / "none"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "none").exists()


def test_a_folder_that_is_not_a_sweep_is_refused(small, tmp_path, capsys):
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert _sweep(small, other) == 2
    assert "is not empty and is not a sweep folder" in capsys.readouterr().err
    assert (other / "notes.txt").read_text() == "mine"
    (tmp_path / "nomanifest").mkdir()
    (tmp_path / "nomanifest" / "x").write_text("")
    assert _sweep(small, tmp_path / "nomanifest", "--resume") == 2
    assert "not a sweep folder" in capsys.readouterr().err


def test_missing_dask_names_the_extra(small, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    assert _sweep(small, tmp_path / "d", "--dask", "local") == 2
    err = capsys.readouterr().err
    assert 'pip install "channelsim[distributed]"' in err and err.count("\n") == 1
    assert not (tmp_path / "d" / "manifest.json").exists()


def test_api_refuses_resume_without_folder(small):
    with pytest.raises(UsageError, match="needs the sweep folder"):
        sweep(load_scenario(small), ["product.price=1,2"], resume=True)


def test_one_parameter_line_plot_and_sampled_two_parameter_scatter(small, tmp_path):
    scn = load_scenario(small)
    one = sweep(scn, ["demand.leads_per_month=20:60:3"], strategies=["direct", "hybrid"])
    stems = [stem for stem, _ in one.plots("sales")]
    assert stems == ["sweep_sales", "sweep_sales_direct_minus_hybrid"]
    two = sweep(
        scn,
        ["demand.leads_per_month=20:60", "product.price=900:1100"],
        sampler="lhs",
        samples=5,
        strategies=["direct", "hybrid"],
        out=tmp_path / "lhs",
    )
    assert sorted(p.name for p in (tmp_path / "lhs" / "plots").iterdir()) == [
        "sweep_contribution.png",
        "sweep_contribution_direct_minus_hybrid.png",
    ]
    assert len(two.points) == 5 and two.complete
