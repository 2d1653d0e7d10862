"""Bad input a careful user can hit gets exit 2, one readable line per problem, and no work.

Deeply nested values, a malformed or unreachable ``--dask`` address, an output folder whose
files were edited or truncated, an ``--out`` name too long for the file system, millions of
unknown keys, and a ``--set`` into a list the file leaves to its default.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from channelsim.cli import main
from channelsim.scenario import load_scenario
from tests.conftest import small_hybrid_toml

ROOT = Path(__file__).resolve().parents[1]

SCENARIO = small_hybrid_toml("bad input", horizon=4, replications=2, seed=2)


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["MPLBACKEND"] = "Agg"
    return env


def _cli(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "channelsim", *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _one_clean_error(res: subprocess.CompletedProcess, *needles: str) -> None:
    assert res.returncode == 2, (res.returncode, res.stderr[-2000:])
    assert "Traceback" not in res.stderr, res.stderr[-2000:]
    assert res.stderr.startswith("error: "), res.stderr[:500]
    for needle in needles:
        assert needle in res.stderr, (needle, res.stderr[:1000])


# --- deeply nested values ----------------------------------------------------------------------


@pytest.mark.parametrize("depth", [40, 300, 500, 5000])
def test_deeply_nested_arrays_in_a_file_exit_2(tmp_path, capsys, depth):
    path = tmp_path / "deep.toml"
    deep = "[" * depth + "1" + "]" * depth
    path.write_text(
        SCENARIO.replace("leads_per_month = 40", f"leads_per_month = 40\nseasonality = {deep}"),
        encoding="utf-8",
    )
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(path) in err and "Traceback" not in err


@pytest.mark.parametrize("depth", [40, 500, 5000])
def test_deeply_nested_arrays_in_set_exit_2(scenario, capsys, depth):
    value = "[" * depth + "1" + "]" * depth
    code = main(["validate", str(scenario), "--set", f"demand.seasonality={value}"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "demand.seasonality" in err


def test_deeply_nested_tables_exit_2(tmp_path, capsys):
    path = tmp_path / "deep.toml"
    deep = "{b = " * 600 + "1" + "}" * 601
    path.write_text(SCENARIO + "[strategies.x]\nset = {a = " + deep + "\n")
    code = main(["validate", str(path)])
    assert code == 2, capsys.readouterr().err


# --- --dask ------------------------------------------------------------------------------------

BAD_ADDRESSES = ["foo", "tcp://:::", "http://x:1", "tcp://host:notaport", "tcp://127.0.0.1:99999"]


@pytest.fixture(scope="module")
def dask_runs(tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, float, Path]]:
    """Each bad address through ``sweep``, started together (each process imports dask)."""
    base = tmp_path_factory.mktemp("dask")
    (base / "s.toml").write_text(SCENARIO, encoding="utf-8")
    cases = {a: base / f"out{i}" for i, a in enumerate([*BAD_ADDRESSES, "tcp://127.0.0.1:1"])}
    started = time.monotonic()
    procs = {
        address: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "channelsim",
                "sweep",
                "s.toml",
                "--param",
                "product.price=900,1100",
                "--reps",
                "1",
                "--dask",
                address,
                "--out",
                str(out),
            ],
            cwd=base,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for address, out in cases.items()
    }
    results = {}
    for address, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        elapsed = time.monotonic() - started
        results[address] = (subprocess.CompletedProcess(proc.args, proc.returncode, out, err),
                            elapsed, cases[address])  # fmt: skip
    return results


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_a_malformed_dask_address_is_refused_at_once_leaving_nothing(dask_runs, address):
    res, elapsed, out = dask_runs[address]
    _one_clean_error(res, "--dask", address)
    assert res.stderr.count("\n") == 1, res.stderr
    assert elapsed < 15, elapsed  # no 20-second stall (several processes start together)
    assert not out.exists()


def test_an_unreachable_scheduler_leaves_no_folder(dask_runs):
    res, _elapsed, out = dask_runs["tcp://127.0.0.1:1"]
    _one_clean_error(res, "--dask", "cannot reach")
    assert not out.exists()


@pytest.mark.parametrize("verb", ["breakeven", "sensitivity"])
def test_the_other_planners_check_the_address_first(scenario, tmp_path, verb, capsys):
    out = tmp_path / "o"
    args = {
        "breakeven": ["--param", "product.price", "--low", "500", "--high", "2000"],
        "sensitivity": ["--param", "product.price=900:1100"],
    }[verb]
    started = time.monotonic()
    code = main([verb, str(scenario), *args, "--dask", "tcp://:::", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "--dask" in err and "Traceback" not in err, err
    assert time.monotonic() - started < 10
    assert not out.exists()


# --- report on a damaged folder ------------------------------------------------------------------


@pytest.fixture(scope="module")
def comparison(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("report")
    (base / "s.toml").write_text(SCENARIO, encoding="utf-8")
    out = base / "c"
    assert main(["compare", str(base / "s.toml"), "--out", str(out), "-q", "--no-elasticity"]) == 0
    return out


def _truncated(data: bytes, name: str) -> bytes:
    cut = len(data) // 3
    while data[cut - 1 : cut] == b"\n":  # mid-line, as a full disk cuts a file
        cut += 1
    return data[:cut]


def _garbled(data: bytes, name: str) -> bytes:
    """Text where a number belongs, or a file that no longer parses."""
    if name.endswith(".csv"):
        lines = data.split(b"\n")
        fields = lines[1].split(b",")
        lines[1] = b",".join([*fields[:-1], b"n/a?"])
        return b"\n".join(lines)
    if name == "manifest.json":
        return data.replace(b'"kind"', b'"knd"')
    if name.endswith(".json"):
        return data.rstrip()[:-1]
    return data + b"\n= broken\n"


DAMAGE = {
    "truncated": _truncated,
    "emptied": lambda data, name: b"",
    "garbled": _garbled,
    "binary": lambda data, name: b"\x00\xff\xfe garbage \x00" * 20,
}


@pytest.mark.parametrize("how", list(DAMAGE))
@pytest.mark.parametrize(
    "name",
    ["summary.csv", "monthly.csv", "differences.csv", "summary.json", "scenario.resolved.toml",
     "manifest.json"],
)  # fmt: skip
def test_report_on_a_damaged_file_names_it(comparison, tmp_path, capsys, name, how):
    import shutil

    folder = tmp_path / "c"
    shutil.copytree(comparison, folder)
    path = folder / name
    path.write_bytes(DAMAGE[how](path.read_bytes(), name))
    code = main(["report", str(folder)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith(f"error: {path}: "), err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err


def test_report_rebuilds_from_a_table_edited_on_purpose(comparison, tmp_path, capsys):
    """Editing or merging the tables, then rebuilding the report, is what report is for."""
    import shutil

    folder = tmp_path / "c"
    shutil.copytree(comparison, folder)
    summary = folder / "summary.csv"
    lines = summary.read_text().splitlines()
    fields = lines[1].split(",")
    fields[3] = "12345"  # the first row's mean
    summary.write_text("\n".join([lines[0], ",".join(fields), *lines[2:]]) + "\n")
    assert main(["report", str(folder)]) == 0, capsys.readouterr().err


def test_report_on_a_folder_missing_a_table_names_it(comparison, tmp_path, capsys):
    import shutil

    folder = tmp_path / "c"
    shutil.copytree(comparison, folder)
    (folder / "monthly.csv").unlink()
    assert main(["report", str(folder)]) == 2
    assert "monthly.csv" in capsys.readouterr().err


# --- --out too long ------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["run", "compare", "sweep", "breakeven", "sensitivity"])
@pytest.mark.parametrize("shape", ["name", "folder"])
def test_an_out_name_too_long_is_refused_before_simulating(
    scenario, tmp_path, capsys, monkeypatch, verb, shape
):
    import channelsim.experiments.replications as replications

    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated before checking --out")

    monkeypatch.setattr(replications, "run_task", no_simulation)
    long = "x" * 300
    out = tmp_path / long if shape == "name" else tmp_path / long / "inner"
    args = {
        "run": [],
        "compare": [],
        "sweep": ["--param", "product.price=900,1100"],
        "breakeven": ["--param", "product.price", "--low", "500", "--high", "2000"],
        "sensitivity": ["--param", "product.price=900:1100"],
    }[verb]
    code = main([verb, str(scenario), *args, "--jobs", "1", "--out", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "too long" in err and "Traceback" not in err, err
    assert sorted(os.listdir(tmp_path)) == ["s.toml"]


def test_a_long_name_that_the_file_system_takes_works(scenario, tmp_path, capsys):
    """A 250-byte name fits (255 is the usual limit), though its hidden sibling would not."""
    out = tmp_path / ("y" * 250)
    assert main(["run", str(scenario), "--out", str(out), "-q"]) == 0, capsys.readouterr().err
    assert (out / "summary.csv").is_file()
    assert main(["run", str(scenario), "--out", str(out), "-q", "--seed", "3"]) == 0
    assert sorted(os.listdir(tmp_path)) == sorted(["s.toml", out.name])


# --- bounded output ------------------------------------------------------------------------------


def _peak_child_kib() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


@pytest.mark.slow
def test_two_hundred_thousand_unknown_keys_print_a_screenful(tmp_path):
    n = 200_000
    path = tmp_path / "many.toml"
    lines = "".join(f"key{i} = {i}\n" for i in range(n))
    path.write_text(SCENARIO.replace("[product]\n", "[product]\n" + lines), encoding="utf-8")
    probe = [
        sys.executable,
        "-c",
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)",
        sys.executable, "-m", "channelsim", "validate", str(path),
    ]  # fmt: skip
    started = time.monotonic()
    res = subprocess.run(probe, env=_env(), capture_output=True, text=True, timeout=300)
    elapsed = time.monotonic() - started
    *errors, peak = res.stderr.strip().splitlines()
    assert len(errors) <= 25, len(errors)
    assert errors[0].startswith(f"error: {path}: product.key0: unknown key"), errors[0]
    assert f"and {n - len(errors) + 1:,} more" in errors[-1], errors[-1]
    assert int(peak) < 400 * 1024, f"{int(peak) // 1024} MiB"
    assert elapsed < 120


def test_many_set_problems_print_a_screenful(scenario, capsys):
    sets = [f"--set=demand.nokey{i}=1" for i in range(500)]
    assert main(["validate", str(scenario), *sets]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) <= 25 and "more" in err[-1], err[-3:]


def test_a_few_problems_are_all_printed(scenario, capsys):
    sets = [f"--set=demand.nokey{i}=1" for i in range(5)]
    assert main(["validate", str(scenario), *sets]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 5 and all("nokey" in line for line in err)


# --- --set into a list left to its default -------------------------------------------------------


def test_set_one_month_of_the_default_seasonality(scenario, capsys):
    assert main(["validate", str(scenario), "--set", "demand.seasonality.3=2"]) == 0, (
        capsys.readouterr().err
    )
    loaded = load_scenario(scenario, ["demand.seasonality.3=2"])
    assert loaded.demand.seasonality == [1.0, 1.0, 1.0, 2.0] + [1.0] * 8
    assert main(["validate", str(scenario), "--set", "demand.seasonality.12=2"]) == 2
    assert "0..11" in capsys.readouterr().err
