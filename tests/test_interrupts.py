"""Ctrl-C ends a command within seconds and leaves no process behind, every time.

Real ``channelsim sweep --jobs 2`` and ``channelsim compare --jobs 2`` processes are started in
their own session and interrupted mid-work, in a loop with random timings: as a terminal does
(SIGINT to the whole process group, workers included) and as ``kill -INT`` does (the main
process only), once or twice in a row. Each time the command must exit with 130 within a few
seconds, and no process of its session may be left (no orphaned worker). The work per task is
seconds long on purpose: an interrupt that waits for running tasks to finish shows up as a
stall.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]

SCENARIO = """\
[scenario]
name = "interrupts"
horizon_months = 24
replications = 4
seed = 1
strategy = "hybrid"

[demand]
leads_per_month = 12000
patience_days = 10

[direct]
initial_reps = 40
deals_per_rep = 10

[[partners]]
name = "VARs"
kind = "reseller"
initial = 30
"""

TRIES = 6
EXIT_WITHIN = 6.0  # seconds from the first signal to the command's exit


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["MPLBACKEND"] = "Agg"
    return env


def _session(sid: int) -> list[int]:
    """Live processes of session ``sid`` (zombies excluded)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        state, session = fields[0], int(fields[3])
        if session == sid and state not in ("Z", "X"):
            found.append(int(entry))
    return found


def _wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


COMMANDS = {
    "sweep": ["sweep", "s.toml", "--param", "demand.leads_per_month=10000:14000:8", "--reps", "2",
              "--jobs", "2", "--force", "--out", "out"],
    "compare": ["compare", "s.toml", "--jobs", "2", "--force", "--out", "out", "--quiet"],
}  # fmt: skip


@pytest.mark.parametrize("delivery", ["terminal", "kill"])
@pytest.mark.parametrize("verb", list(COMMANDS))
def test_ctrl_c_ends_the_command_quickly_and_leaves_no_process(tmp_path, verb, delivery):
    (tmp_path / "s.toml").write_text(SCENARIO, encoding="utf-8")
    rng = random.Random(f"{verb}-{delivery}")
    for attempt in range(TRIES):
        cwd = tmp_path / f"try{attempt}"
        cwd.mkdir()
        (cwd / "s.toml").write_text(SCENARIO, encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-m", "channelsim", *COMMANDS[verb]],
            cwd=cwd,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        sid = proc.pid
        try:
            # the work has started when the worker processes exist
            assert _wait_until(lambda sid=sid: len(_session(sid)) >= 3, 60), "no workers started"
            time.sleep(rng.uniform(0.0, 1.5))
            twice = rng.random() < 0.5
            send = os.killpg if delivery == "terminal" else os.kill
            started = time.monotonic()
            send(proc.pid, signal.SIGINT)
            if twice:
                time.sleep(rng.uniform(0.05, 0.4))
                try:
                    send(proc.pid, signal.SIGINT)
                except ProcessLookupError:
                    pass
            try:
                _out, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                pytest.fail(f"try {attempt}: the command hung after the interrupt")
            elapsed = time.monotonic() - started
            text = err.decode(errors="replace")
            what = f"try {attempt} ({'twice' if twice else 'once'}): {text[-400:]}"
            assert proc.returncode == 130, what
            assert "Traceback" not in text, what
            assert elapsed < EXIT_WITHIN, (elapsed, what)
            assert _wait_until(lambda sid=sid: not _session(sid), 3.0), (
                f"left behind: {_session(sid)}; {what}"
            )
        finally:
            for pid in _session(proc.pid):
                os.kill(pid, signal.SIGKILL)
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_an_interrupted_sweep_resumes_to_the_same_bytes(tmp_path):
    """What an interrupt leaves is a sweep that ``--resume`` completes."""
    (tmp_path / "s.toml").write_text(SCENARIO, encoding="utf-8")
    args = ["sweep", "s.toml", "--param", "demand.leads_per_month=1000:3000:6", "--reps", "2",
            "--jobs", "2", "--set", "scenario.horizon_months=6", "--out"]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "channelsim", *args, "out"],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert _wait_until(lambda: (tmp_path / "out" / "done.jsonl").is_file(), 60)
    assert _wait_until(lambda: (tmp_path / "out" / "done.jsonl").stat().st_size > 0, 60)
    os.killpg(proc.pid, signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode in (0, 130)
    status = json.loads((tmp_path / "out" / "manifest.json").read_text())["status"]
    assert status == ("interrupted" if proc.returncode == 130 else "complete")
    resumed = subprocess.run(
        [sys.executable, "-m", "channelsim", *args, "out", "--resume", "--quiet"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    whole = subprocess.run(
        [sys.executable, "-m", "channelsim", *args, "whole", "--quiet"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert whole.returncode == 0, whole.stderr
    for name in ("results.csv", "summary.csv", "points.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
