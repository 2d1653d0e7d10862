"""The command line as a user meets it: output folders, determinism, exit codes and messages.

Exit codes and messages are checked through real ``python -m channelsim`` processes (started
together, so the whole set costs about one interpreter start per core); the determinism and
output-folder checks call ``main()`` in-process, which is much cheaper.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from channelsim import __version__
from channelsim.cli import main
from channelsim.cli.tables import KEY_METRICS
from channelsim.errors import ScenarioError
from channelsim.metrics.formatting import format_estimate
from channelsim.outputs import files, run_folder

ROOT = Path(__file__).resolve().parents[1]
FILES = ("scenario.resolved.toml", "summary.csv", "summary.json", "monthly.csv")
REPRODUCIBLE = ("summary.csv", "summary.json", "monthly.csv")


def scenario_text(
    *, scenario: str = "", direct: str = "", partner: str = "", extra: str = ""
) -> str:
    """A small hybrid scenario (6 months, 3 replications, one reseller program)."""
    return f"""\
[scenario]
name = "CLI test"
horizon_months = 6
replications = 3
seed = 11
strategy = "hybrid"
{scenario}

[product]
price = 1000.0
unit_cost = 100.0

[demand]
leads_per_month = 40

[direct]
initial_reps = 2
deals_per_rep = 3
{direct}

[[partners]]
name = "VARs"
kind = "reseller"
initial = 3
{partner}
{extra}
"""


NO_PARTNERS = """\
[scenario]
name = "No partners"
horizon_months = 6
replications = 2
seed = 3

[demand]
leads_per_month = 20
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("CHANNELSIM_DEBUG", None)
    env["COLUMNS"] = "200"
    return env


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "channelsim", *args],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# --- bad input: every class exits 2, one readable line per problem, no traceback -----------

# id -> (file text or None, extra CLI args, fragments the message must contain)
BAD_INPUTS: dict[str, tuple[str | None, list[str], list[str]]] = {
    "missing_file": (None, [], ["missing.toml", "not found"]),
    "toml_syntax": (
        scenario_text().replace('name = "CLI test"', 'name = "CLI test'),
        [],
        ["bad.toml", "line 2"],
    ),
    "unknown_key": (
        scenario_text(direct="win_rat = 0.3"),
        [],
        ["bad.toml", "direct.win_rat", "did you mean", "win_rate"],
    ),
    "wrong_type": (
        scenario_text(direct='max_reps = "four"'),
        [],
        ["bad.toml", "direct.max_reps"],
    ),
    "out_of_range": (
        scenario_text(direct="win_rate = 1.4"),
        [],
        ["bad.toml", "direct.win_rate", "1.4"],
    ),
    "partner_out_of_range": (
        scenario_text(partner="win_rate = -0.2"),
        [],
        ["bad.toml", "partners.VARs.win_rate"],
    ),
    "nan": (scenario_text(direct="win_rate = nan"), [], ["bad.toml", "direct.win_rate", "nan"]),
    "bad_distribution": (
        scenario_text(direct='sales_cycle_days = {dist = "weibull", mean = 45}'),
        [],
        ["bad.toml", "direct.sales_cycle_days", "weibull"],
    ),
    "bad_distribution_params": (
        scenario_text(direct='sales_cycle_days = {dist = "uniform", low = 50, high = 10}'),
        [],
        ["bad.toml", "direct.sales_cycle_days"],
    ),
    "unknown_strategy_in_file": (
        scenario_text().replace('strategy = "hybrid"', 'strategy = "hybird"'),
        [],
        ["bad.toml", "scenario.strategy", "hybird"],
    ),
    "set_without_equals": (scenario_text(), ["--set", "direct.win_rate"], ["direct.win_rate"]),
    "set_unknown_key": (
        scenario_text(),
        ["--set", "direct.win_rat=0.3"],
        ["direct.win_rat", "did you mean", "win_rate"],
    ),
    "set_wrong_type": (
        scenario_text(),
        ["--set", "direct.initial_reps=abc"],
        ["direct.initial_reps", "abc"],
    ),
    "set_out_of_range": (
        scenario_text(),
        ["--set", "partners.VARs.discount=1.5"],
        ["partners.VARs.discount", "1.5"],
    ),
    "reps_not_a_number": (scenario_text(), ["--reps", "abc"], ["--reps"]),
    "reps_zero": (scenario_text(), ["--reps", "0"], ["--reps"]),
    "reps_negative": (scenario_text(), ["--reps", "-3"], ["--reps"]),
    "jobs_zero": (scenario_text(), ["--jobs", "0"], ["--jobs"]),
    "unknown_flag": (scenario_text(), ["--bogus"], ["--bogus"]),
    "unknown_strategy": (
        scenario_text(),
        ["--strategy", "hybird"],
        ["bad.toml", "--strategy", "hybird", "did you mean", "hybrid"],
    ),
    "strategy_cannot_run": (NO_PARTNERS, ["--strategy", "indirect"], ["bad.toml", "partners"]),
    "out_is_a_file": (scenario_text(), ["--out", "a_file"], ["a_file", "not a folder"]),
}


SUBPROCESS_CASES = (
    "missing_file",
    "toml_syntax",
    "unknown_key",
    "nan",
    "set_without_equals",
    "reps_not_a_number",
    "reps_zero",
    "unknown_strategy",
)
"""One case per way out of the program (file, TOML, schema, --set, flag parsing, strategy):
each costs an interpreter start, so the other cases go through ``main()`` in-process."""


def _prepare_case(case: str, cwd: Path) -> list[str]:
    """Write the case's files into ``cwd``; return the command line arguments."""
    text, args, _ = BAD_INPUTS[case]
    (cwd / "a_file").write_text("not a folder\n")
    name = "missing.toml" if text is None else "bad.toml"
    if text is not None:
        (cwd / name).write_text(text)
    return ["run", name, *args]


def _check_bad_input(code: int, stdout: str, stderr: str, case: str) -> None:
    assert code == 2, (stdout, stderr)
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert lines, "no message"
    assert all(line.startswith("error: ") for line in lines), stderr
    for fragment in BAD_INPUTS[case][2]:
        assert fragment.lower() in stderr.lower(), (fragment, stderr)


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess]:
    """Run the subprocess cases as real processes, all started at once."""
    base = tmp_path_factory.mktemp("bad")
    procs = {}
    for case in SUBPROCESS_CASES:
        cwd = base / case
        cwd.mkdir()
        procs[case] = _start(_prepare_case(case, cwd), cwd)
    procs["missing_argument"] = _start(["run"], base)
    procs["validate_bad"] = _start(["validate", "bad.toml"], base / "nan")
    results = {}
    for case, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        results[case] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return results


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_bad_input_process_exits_2(bad_runs, case: str) -> None:
    res = bad_runs[case]
    _check_bad_input(res.returncode, res.stdout, res.stderr, case)


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_exits_2_with_a_readable_message(
    case: str, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(_prepare_case(case, tmp_path))
    out, err = capsys.readouterr()
    _check_bad_input(code, out, err, case)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["missing_argument", "validate_bad"])
def test_other_bad_invocations_exit_2(bad_runs, case: str) -> None:
    res = bad_runs[case]
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert res.stderr.startswith("error: ")
    assert len(res.stderr.strip().splitlines()) == 1


def test_missing_argument_names_it(bad_runs) -> None:
    assert "SCENARIO" in bad_runs["missing_argument"].stderr


def test_validate_bad_names_the_key(bad_runs) -> None:
    assert "bad.toml: direct.win_rate" in bad_runs["validate_bad"].stderr


# --- the happy path, as a user runs it ------------------------------------------------------


@pytest.fixture(scope="module")
def user_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """``channelsim run small.toml`` in a fresh folder (default output folder)."""
    cwd = tmp_path_factory.mktemp("user")
    (cwd / "small.toml").write_text(scenario_text())
    proc = _start(["run", "small.toml"], cwd)
    out, err = proc.communicate(timeout=120)
    return cwd, subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_run_writes_the_output_folder(user_run) -> None:
    cwd, res = user_run
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    folder = cwd / "out" / "small"
    for name in (*FILES, "run.json"):
        assert (folder / name).is_file(), name
    assert not [p for p in (cwd / "out").iterdir() if p.name.startswith(".")]


def test_only_a_traced_run_writes_the_per_lead_trace(user_run, tmp_path: Path) -> None:
    import pandas as pd

    cwd, res = user_run
    assert not (cwd / "out" / "small" / "trace.csv").exists()
    (tmp_path / "small.toml").write_text(scenario_text())
    proc = _start(["run", "small.toml", "--trace", "--reps", "2", "--out", "t"], tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "trace.csv" in out
    trace = pd.read_csv(tmp_path / "t" / "trace.csv")
    summary = pd.read_csv(tmp_path / "t" / "summary.csv")
    total = summary[(summary.channel == "total") & (summary.metric == "leads")]["mean"].iloc[0]
    assert len(trace) == total * 2  # every lead of both replications, one row each
    assert set(trace.outcome) <= {"sale", "lost_deal", "reneged", "open"}


def test_run_prints_a_summary_table(user_run) -> None:
    cwd, res = user_run
    text = res.stdout
    for column in ("direct", "VARs", "partners", "total"):
        assert column in text
    for metric in ("net_revenue", "contribution_margin", "cost_per_sale", "npv"):
        assert metric in text
    assert "mean [95% interval]" in text  # the caption says what the brackets are
    assert "%" in text
    assert text.rstrip().splitlines()[-1].startswith(f"Results in out{os.sep}small")


def test_summary_csv_columns(user_run) -> None:
    cwd, _ = user_run
    header = (cwd / "out" / "small" / "summary.csv").read_text().splitlines()[0]
    assert header == "strategy,channel,metric,mean,std,ci_low,ci_high,n,median"


def test_monthly_csv_columns_and_rows(user_run) -> None:
    cwd, _ = user_run
    lines = (cwd / "out" / "small" / "monthly.csv").read_text().splitlines()
    assert lines[0].startswith("strategy,replication,month,channel,")
    # 3 replications x 6 months x 4 channels (direct, VARs, partners, total)
    assert len(lines) - 1 == 3 * 6 * 4


def test_summary_json_is_nested_with_meta(user_run) -> None:
    cwd, _ = user_run
    text = (cwd / "out" / "small" / "summary.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    doc = json.loads(text)
    assert doc["meta"]["seed"] == 11
    assert doc["meta"]["replications"] == 3
    assert doc["meta"]["strategies"] == ["hybrid"]
    assert doc["meta"]["channelsim_version"] == __version__
    assert "run_seconds" not in doc["meta"]
    assert list(doc["hybrid"]) == ["direct", "VARs", "partners", "total"]
    stats = doc["hybrid"]["total"]["net_revenue"]
    assert set(stats) == {"mean", "std", "ci_low", "ci_high", "n", "median"}
    assert stats["n"] == 3
    assert stats["ci_low"] <= stats["mean"] <= stats["ci_high"]


def test_resolved_toml_records_the_run(user_run) -> None:
    cwd, _ = user_run
    text = (cwd / "out" / "small" / "scenario.resolved.toml").read_text()
    assert text.startswith("#")
    assert "seed 11" in text.splitlines()[0]
    data = tomllib.loads(text)
    assert data["scenario"]["seed"] == 11
    assert data["scenario"]["replications"] == 3
    assert data["scenario"]["strategy"] == "hybrid"
    run_json = json.loads((cwd / "out" / "small" / "run.json").read_text())
    assert "written_at" in run_json and "run_seconds" in run_json


# --- determinism: bytes depend on scenario and seed only ------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _bytes(folder: Path, names: tuple[str, ...] = FILES) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in names}


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(scenario_text())
    return path


def test_same_seed_same_bytes_whatever_the_jobs(small: Path, tmp_path: Path, capsys) -> None:
    outs = {}
    for label, jobs in (("a", "1"), ("b", "1"), ("c", "2")):
        code, _, err = _run(capsys, "run", small, "--out", tmp_path / label, "--jobs", jobs, "-q")
        assert code == 0, err
        outs[label] = _bytes(tmp_path / label)
    assert outs["a"] == outs["b"]
    assert outs["a"] == outs["c"]


def test_different_seed_different_summary(small: Path, tmp_path: Path, capsys) -> None:
    assert _run(capsys, "run", small, "--out", tmp_path / "a", "-q")[0] == 0
    assert _run(capsys, "run", small, "--out", tmp_path / "b", "--seed", "12", "-q")[0] == 0
    a = (tmp_path / "a" / "summary.csv").read_bytes()
    b = (tmp_path / "b" / "summary.csv").read_bytes()
    assert a != b


@pytest.mark.parametrize(
    "flags",
    [
        ["--seed", "5", "--reps", "2", "--set", "demand.leads_per_month=30"],
        ["--strategy", "direct", "--set", "partners.VARs.discount=0.2"],
    ],
    ids=["seed-reps-set", "strategy"],
)
def test_rerunning_the_resolved_scenario_reproduces_the_results(
    small: Path, tmp_path: Path, capsys, flags: list[str]
) -> None:
    assert _run(capsys, "run", small, "--out", tmp_path / "first", "-q", *flags)[0] == 0
    resolved = tmp_path / "first" / "scenario.resolved.toml"
    code, _, err = _run(capsys, "run", resolved, "--out", tmp_path / "again", "-q")
    assert code == 0, err
    first = _bytes(tmp_path / "first", REPRODUCIBLE)
    again = _bytes(tmp_path / "again", REPRODUCIBLE)
    # summary.json's meta.provenance records how each was run (the options, then none): the
    # only part that may differ
    docs = [json.loads(d.pop("summary.json")) for d in (first, again)]
    provenance = [doc["meta"].pop("provenance") for doc in docs]
    assert first == again
    assert docs[0] == docs[1]
    assert provenance[1]["set"] == [] and provenance[1]["scenario_file"] == str(resolved)


def test_quiet_prints_only_the_folder(small: Path, tmp_path: Path, capsys) -> None:
    code, out, err = _run(capsys, "run", small, "--out", tmp_path / "q", "--quiet")
    assert code == 0
    assert out.strip() == str(tmp_path / "q")
    assert err == ""


def test_table_leaves_out_idle_channels(small: Path, tmp_path: Path, capsys) -> None:
    code, out, err = _run(capsys, "run", small, "--out", tmp_path / "d", "--strategy", "direct")
    assert code == 0, err
    header = next(line for line in out.splitlines() if "metric" in line)
    assert "direct" in header and "total" in header
    assert "VARs" not in header and "partners" not in header
    resolved = tomllib.loads((tmp_path / "d" / "scenario.resolved.toml").read_text())
    assert resolved["scenario"]["strategy"] == "direct"


# --- the output folder is replaced atomically -----------------------------------------------


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith("."))


def test_rerun_replaces_the_folder(small: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "o"
    assert _run(capsys, "run", small, "--out", out, "-q")[0] == 0
    first = _bytes(out)
    assert _run(capsys, "run", small, "--out", out, "-q", "--seed", "99")[0] == 0
    assert _bytes(out)["summary.csv"] != first["summary.csv"]
    assert _siblings(out) == []


def test_interrupted_write_keeps_the_old_folder(
    small: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "o"
    assert _run(capsys, "run", small, "--out", out, "-q")[0] == 0
    before = _bytes(out)
    real_write = run_folder.atomic_write

    def failing_write(path: Path, text: str, **kwargs) -> Path:
        if path.name == "monthly.csv":  # after the resolved scenario and summaries
            raise OSError(28, "No space left on device")
        return real_write(path, text, **kwargs)

    monkeypatch.setattr(run_folder, "atomic_write", failing_write)
    code, _, err = _run(capsys, "run", small, "--out", out, "-q", "--seed", "99")
    assert code == 1
    assert "No space left on device" in err and "Traceback" not in err
    assert _bytes(out) == before
    assert _siblings(out) == []


def test_failed_swap_puts_the_old_folder_back(
    small: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "o"
    assert _run(capsys, "run", small, "--out", out, "-q")[0] == 0
    before = _bytes(out)
    real_rename = os.rename

    def failing_rename(src, dst) -> None:
        if ".tmp-" in str(src):  # renaming the new folder in
            raise OSError(5, "Input/output error")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", failing_rename)
    code, _, _ = _run(capsys, "run", small, "--out", out, "-q", "--seed", "99")
    assert code == 1
    assert _bytes(out) == before
    assert _siblings(out) == []


def test_refuses_to_replace_a_folder_that_is_not_an_output_folder(
    small: Path, tmp_path: Path, capsys
) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    code, _, err = _run(capsys, "run", small, "--out", precious)
    assert code == 2
    assert err.startswith(f"error: {precious}") and "not a channelsim output folder" in err
    assert (precious / "thesis.tex").read_text() == "years of work"
    assert [p.name for p in precious.iterdir()] == ["thesis.tex"]


def test_check_out_dir_accepts_new_empty_and_output_folders(tmp_path: Path) -> None:
    files.check_out_dir(tmp_path / "new", "run")
    (tmp_path / "empty").mkdir()
    files.check_out_dir(tmp_path / "empty", "run")
    old = tmp_path / "old"
    (old / "plots").mkdir(parents=True)
    (old / "scenario.resolved.toml").write_text("")
    (old / "plots" / "sales.png").write_bytes(b"")
    files.write_manifest(old, "run")
    files.check_out_dir(old, "run")
    with pytest.raises(ScenarioError):
        files.check_out_dir(old, "compare")
    with pytest.raises(ScenarioError):
        files.check_out_dir(Path(__file__), "run")


# --- unexpected failures: exit 1, one line, traceback on request ----------------------------


def test_unexpected_failure_is_one_line_exit_1(
    small: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    import channelsim.experiments.replications

    def broken(*args, **kwargs):
        raise RuntimeError("model exploded")

    monkeypatch.setattr(channelsim.experiments.replications, "simulate", broken)
    monkeypatch.delenv("CHANNELSIM_DEBUG", raising=False)
    code, _, err = _run(capsys, "run", small, "--out", tmp_path / "o")
    assert code == 1
    assert err.strip() == (
        "error: unexpected failure: RuntimeError: model exploded "
        "(set CHANNELSIM_DEBUG=1 for the traceback)"
    )
    monkeypatch.setenv("CHANNELSIM_DEBUG", "1")
    code, _, err = _run(capsys, "run", small, "--out", tmp_path / "o")
    assert code == 1
    assert "Traceback" in err and "model exploded" in err


# --- validate, schema, version --------------------------------------------------------------


def test_validate_prints_toml_that_loads_back(small: Path, tmp_path: Path, capsys) -> None:
    from channelsim.scenario import load_scenario

    code, out, err = _run(capsys, "validate", small, "--set", "direct.win_rate=0.3")
    assert code == 0, err
    assert "valid" in err
    resolved = tmp_path / "resolved.toml"
    resolved.write_text(out)
    expected = load_scenario(small, ["direct.win_rate=0.3"])
    assert load_scenario(resolved) == expected
    assert tomllib.loads(out)["direct"]["win_rate"] == 0.3


def test_schema_prints_json_schema(capsys) -> None:
    code, out, _ = _run(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert {"scenario", "demand", "direct", "partners"} <= set(schema["properties"])


def test_version(capsys) -> None:
    code, out, _ = _run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"channelsim {__version__}"


def test_help_without_arguments(capsys) -> None:
    code, out, _ = _run(capsys)
    assert code == 0
    assert "run" in out and "validate" in out and "schema" in out


SIMULATING_VERBS = ("run", "compare", "sweep", "breakeven", "sensitivity", "optimize", "voi")


def test_every_simulating_verb_takes_force_with_the_same_help(capsys) -> None:
    import typer

    from channelsim.cli import app

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    helps = set()
    for verb in SIMULATING_VERBS:
        (force,) = [p for p in commands[verb].params if "--force" in p.opts]
        assert force.is_flag and force.default is False, verb
        helps.add(force.help)
    assert len(helps) == 1 and "event budget" in helps.pop()
    for verb in SIMULATING_VERBS:
        code, out, _ = _run(capsys, verb, "--help")
        assert code == 0 and "--force" in out, verb


# --- the table's cells ----------------------------------------------------------------------


def test_key_metrics_are_summary_metrics() -> None:
    from channelsim.metrics import SUMMARY_METRICS

    assert set(KEY_METRICS) <= set(SUMMARY_METRICS)


@pytest.mark.parametrize(
    ("metric", "mean", "low", "high", "n", "expected"),
    [
        ("revenue", 1234567.8, 1233567.8, 1235567.8, 20, "1,234,568 [1,233,568, 1,235,568]"),
        ("npv", -2500.0, -3000.0, -2000.0, 20, "-2,500 [-3,000, -2,000]"),
        ("contribution_margin", 0.234, 0.224, 0.244, 20, "23.4% [22.4%, 24.4%]"),
        ("peak_investment", 354.0, 120.0, 872.0, 20, "354 [120, 872]"),
        ("payback_month", math.nan, math.nan, math.nan, 0, "never"),
        ("months_to_target", math.nan, math.nan, math.nan, 0, "not reached"),
        ("sales", 1234.0, 1200.0, 1268.0, 20, "1,234 [1,200, 1,268]"),
        ("sales", 3.0, math.nan, math.nan, 1, "3.0 (n = 1: no interval)"),
        ("reputation_end", 0.98765, 0.97, 1.0, 20, "0.988 [0.970, 1.000]"),
        ("cost_elasticity", 0.1234, 0.1, 0.15, 20, "0.12 [0.10, 0.15]"),
        ("headcount_end", 0.0, -0.0, 0.0, 20, "0.0 [0.0, 0.0]"),
    ],
)
def test_format_estimate(
    metric: str, mean: float, low: float, high: float, n: int, expected: str
) -> None:
    """The terminal shows the interval's two ends, so an asymmetric interval reads right."""
    assert format_estimate(metric, mean, low, high, n) == expected


# --- the README's Quickstart is what CI runs ------------------------------------------------


def test_readme_quickstart_commands_are_the_ci_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("\n", 1)[1] for b in quickstart.split("```")[1::2]]
    commands = [b.strip() for b in blocks]
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_commands = {
        line.split("=", 1)[0]: line.split("=", 1)[1].strip("'")
        for line in ci.splitlines()
        if line.startswith(("MAIN_JOB=", "TEST_CMD="))
    }
    assert commands == [ci_commands["MAIN_JOB"], ci_commands["TEST_CMD"]]
    assert 'bash -c "$TEST_CMD"' in ci
    assert "channelsim compare scenarios/saas_midmarket.toml" in commands[0]
