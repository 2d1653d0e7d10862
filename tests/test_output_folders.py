"""Output folders: marked by a manifest, never replaced unless unambiguously ours and of the
same kind, cleaned of our own stale temporaries, and only as full as the user asked.

Every verb that writes a folder (``run``, ``compare``, ``sweep``, ``breakeven``,
``sensitivity``) writes ``manifest.json`` naming the kind of folder and the files it wrote. A
later command replaces a folder only when it is empty or holds exactly such a manifest's files,
of its own kind: a user's ``src/`` beside a ``scenario.resolved.toml``, a sweep's results under
``run --out``, a run folder under ``compare --out`` are refused with exit 2, untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from channelsim.cli import main
from tests.conftest import small_hybrid_toml

SCENARIO = small_hybrid_toml("folders", horizon=4, replications=2, seed=9)

VERBS: dict[str, list[str]] = {
    "run": ["run"],
    "compare": ["compare", "--no-elasticity"],
    "sweep": ["sweep", "--param", "product.price=900,1100"],
    "breakeven": ["breakeven", "--param", "product.price", "--low", "500", "--high", "2000",
                  "--b", "hybrid", "--scan", "2"],
    "sensitivity": ["sensitivity", "--param", "product.price=900:1100"],
}  # fmt: skip


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def write(kind: str, scenario: Path, out: Path, *extra: str) -> int:
    verb = VERBS[kind]
    return main([verb[0], str(scenario), *verb[1:], "--jobs", "1", "--out", str(out), "-q", *extra])


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


# --- the manifest ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(VERBS))
def test_every_folder_names_its_kind_and_its_files(kind, scenario, tmp_path, capsys):
    out = tmp_path / "o"
    assert write(kind, scenario, out) == 0, capsys.readouterr().err
    manifest = _manifest(out)
    assert manifest["kind"] == kind
    written = sorted(p for p in _tree(out) if not Path(p).name.startswith("."))
    assert sorted([*manifest["files"], "manifest.json"]) == written


@pytest.mark.parametrize("kind", list(VERBS))
def test_a_folder_of_the_same_kind_is_replaced(kind, scenario, tmp_path, capsys):
    out = tmp_path / "o"
    assert write(kind, scenario, out) == 0, capsys.readouterr().err
    if kind == "sweep":  # a finished sweep is completed with --resume, not started again
        assert write(kind, scenario, out, "--resume") == 0, capsys.readouterr().err
    else:
        assert write(kind, scenario, out, "--seed", "10") == 0, capsys.readouterr().err
    assert _manifest(out)["kind"] == kind
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]


# --- refusals --------------------------------------------------------------------------------


def test_a_users_folder_beside_a_resolved_scenario_is_never_replaced(scenario, tmp_path, capsys):
    """The data-loss report: any folder with a scenario.resolved.toml was replaced whole."""
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "model.py").write_text("precious = True\n")
    (project / "scenario.resolved.toml").write_text("# kept by hand\n")
    before = _tree(project)
    for kind in ("run", "compare", "breakeven", "sensitivity", "sweep"):
        assert write(kind, scenario, project) == 2, kind
        err = capsys.readouterr().err
        assert str(project) in err and "Traceback" not in err, err
        assert _tree(project) == before, kind
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("kind", [k for k in VERBS if k != "sweep"])
def test_run_compare_and_the_planners_never_replace_a_sweep(kind, scenario, tmp_path, capsys):
    """The data-loss report: ``run --out`` on a sweep folder deleted its results."""
    sweep = tmp_path / "sweep"
    assert write("sweep", scenario, sweep) == 0, capsys.readouterr().err
    before = _tree(sweep)
    assert write(kind, scenario, sweep) == 2
    err = capsys.readouterr().err
    assert "sweep" in err and str(sweep) in err, err
    assert _tree(sweep) == before


@pytest.mark.parametrize(
    ("first", "second"),
    [("run", "compare"), ("compare", "run"), ("breakeven", "sensitivity"),
     ("sensitivity", "run"), ("run", "sweep")],
)  # fmt: skip
def test_a_folder_of_another_kind_is_refused(first, second, scenario, tmp_path, capsys):
    out = tmp_path / "o"
    assert write(first, scenario, out) == 0, capsys.readouterr().err
    before = _tree(out)
    assert write(second, scenario, out) == 2
    err = capsys.readouterr().err
    assert str(out) in err and first in err, err
    assert _tree(out) == before


def test_a_file_the_user_added_makes_the_folder_theirs(scenario, tmp_path, capsys):
    out = tmp_path / "o"
    assert write("run", scenario, out) == 0
    (out / "notes.txt").write_text("my reading of the results")
    (out / "plots").mkdir()
    (out / "plots" / "mine.png").write_bytes(b"\x89PNG")
    before = _tree(out)
    assert write("run", scenario, out) == 2
    err = capsys.readouterr().err
    assert "notes.txt" in err and "plots/mine.png" in err, err
    assert _tree(out) == before


def test_a_damaged_manifest_is_not_trusted(scenario, tmp_path, capsys):
    out = tmp_path / "o"
    assert write("run", scenario, out) == 0
    (out / "manifest.json").write_text("{not json")
    assert write("run", scenario, out) == 2
    assert "manifest.json" in capsys.readouterr().err
    assert (out / "summary.csv").is_file()


def test_resume_refuses_a_run_folder_and_leaves_it_as_it_was(scenario, tmp_path, capsys):
    out = tmp_path / "o"
    assert write("run", scenario, out) == 0
    before = _tree(out)
    assert write("sweep", scenario, out, "--resume") == 2
    assert "not a sweep folder" in capsys.readouterr().err
    assert _tree(out) == before


def test_report_refuses_a_folder_that_is_not_a_run_or_comparison(scenario, tmp_path, capsys):
    out = tmp_path / "o"
    assert write("sweep", scenario, out) == 0
    before = _tree(out)
    assert main(["report", str(out)]) == 2
    assert "sweep" in capsys.readouterr().err
    assert _tree(out) == before


# --- what run writes -------------------------------------------------------------------------


def test_run_writes_tables_and_report_writes_the_plots_later(scenario, tmp_path, capsys):
    out = tmp_path / "o"
    assert write("run", scenario, out) == 0
    assert not (out / "report.html").exists() and not (out / "plots").exists()
    assert main(["report", str(out)]) == 0, capsys.readouterr().err
    assert (out / "report.html").is_file() and list((out / "plots").glob("*.png"))
    files = _manifest(out)["files"]
    assert "report.html" in files and "plots/sales.png" in files
    assert write("run", scenario, out) == 0  # the folder is still ours: replaced
    assert not (out / "report.html").exists()


def test_run_report_writes_the_same_report_as_report_later(scenario, tmp_path, capsys):
    now, later = tmp_path / "now", tmp_path / "later"
    assert write("run", scenario, now, "--report") == 0
    assert write("run", scenario, later) == 0
    assert main(["report", str(later)]) == 0
    a, b = _tree(now), _tree(later)
    assert a.keys() == b.keys()
    assert [k for k in a if k != "run.json" and a[k] != b[k]] == []


# --- leftovers -------------------------------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_killed_writers_hidden_folders_are_cleaned_by_the_next_run(scenario, tmp_path, capsys):
    out = tmp_path / "o"
    assert write("run", scenario, out) == 0
    pid = _dead_pid()
    stale = [tmp_path / f".o.tmp-{pid}-0a1b2c3d", tmp_path / f".o.new-{pid}-0a1b2c3d"]
    for folder in stale:
        folder.mkdir()
        (folder / "summary.csv").write_text("half written")
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        busy = tmp_path / f".o.tmp-{live.pid}-00000000"  # another writer, still at work
        busy.mkdir()
        other = tmp_path / f".other.tmp-{pid}-0a1b2c3d"  # another target's: not ours to judge
        other.mkdir()
        assert write("run", scenario, out) == 0, capsys.readouterr().err
        assert not [p for p in stale if p.exists()]
        assert busy.is_dir() and other.is_dir()
    finally:
        live.kill()
        live.wait()


def test_a_complete_hidden_folder_is_kept_while_the_target_is_missing(scenario, tmp_path):
    """A crash between the two renames of the portable swap leaves only ``.NAME.new-*``."""
    from channelsim.outputs.files import clean_stale_siblings

    pid = _dead_pid()
    waiting = tmp_path / f".o.new-{pid}-0a1b2c3d"
    waiting.mkdir()
    half = tmp_path / f".o.tmp-{pid}-0a1b2c3d"
    half.mkdir()
    assert clean_stale_siblings(tmp_path / "o") == [half]
    assert waiting.is_dir()


def test_a_sweeps_stale_temporary_files_are_cleaned_on_resume(scenario, tmp_path, capsys):
    out = tmp_path / "sweep"
    assert write("sweep", scenario, out) == 0
    pid = _dead_pid()
    for name in ("results.csv", "done.jsonl", "manifest.json"):
        (out / f".{name}.tmp-{pid}").write_text("left by a full disk")
    assert write("sweep", scenario, out, "--resume") == 0, capsys.readouterr().err
    assert not list(out.glob(".*.tmp-*"))


def test_a_full_disk_mid_sweep_leaves_nothing_that_resume_trips_on(
    scenario, tmp_path, capsys, monkeypatch
):
    from channelsim.outputs import files

    out = tmp_path / "sweep"
    real = files.os.replace

    def full_disk(src, dst):
        if Path(dst).name == "results.csv":
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(files.os, "replace", full_disk)
    code = write("sweep", scenario, out)
    err = capsys.readouterr().err
    assert code != 0 and "No space left on device" in err and "Traceback" not in err
    monkeypatch.undo()
    assert not list(out.glob(".*.tmp-*"))
    assert write("sweep", scenario, out, "--resume") == 0, capsys.readouterr().err
    assert _manifest(out)["status"] == "complete"


def test_no_hidden_sibling_is_left_after_a_refusal(scenario, tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    assert write("run", scenario, out) == 2
    assert sorted(os.listdir(tmp_path)) == ["o", "s.toml"]
