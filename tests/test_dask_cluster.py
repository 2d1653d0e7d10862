"""A sweep on a real Dask cluster: a scheduler and workers started as separate processes.

The scheduler and two single-threaded workers run as their own processes on 127.0.0.1 (the
``dask scheduler`` and ``dask worker`` programs, as a user starts them on a cluster), and
``channelsim sweep --dask tcp://...`` runs against them as a third process. The results must be
byte-identical to a local run of the same command, and a worker killed mid-sweep (SIGKILL: a
machine lost) must cost nothing but time: the scheduler reruns its tasks on the other worker.
Every process the test starts is in its own session and is killed at the end, whatever happens;
every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import distributed  # noqa: F401  (in [test]: the cluster test must run, never skip)
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow

SCENARIO = """\
[scenario]
name = "dask cluster"
horizon_months = 12
replications = 2
seed = 17
strategy = "hybrid"

[product]
price = 1000.0
unit_cost = 100.0

[demand]
leads_per_month = 1500

[direct]
initial_reps = 6
deals_per_rep = 5

[[partners]]
name = "VARs"
kind = "reseller"
initial = 10
"""

SWEEP = ["sweep", "s.toml", "--param", "demand.leads_per_month=500:3000:12",
         "--strategies", "direct,hybrid", "--quiet"]  # fmt: skip
COMPARED = ("results.csv", "summary.csv", "points.csv", "errors.csv", "manifest.json",
            "done.jsonl", "scenario.resolved.toml")  # fmt: skip


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["MPLBACKEND"] = "Agg"
    env["DASK_DISTRIBUTED__WORKER__DAEMON"] = "False"
    return env


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Cluster:
    """A scheduler and workers as separate processes; :meth:`stop` kills them all."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / "scheduler.json"
        self.procs: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []

    def _start(self, module: str, *args: str) -> subprocess.Popen:
        log = open(self.folder / f"{module.rsplit('.', 1)[-1]}-{len(self.procs)}.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=self.folder,
            env=_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def start(self, n_workers: int) -> str:
        self._start(
            "distributed.cli.dask_scheduler",
            "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
            "--scheduler-file", str(self.file),
        )  # fmt: skip
        _wait_for(self.file.is_file, 60, "the scheduler file")
        address = json.loads(self.file.read_text())["address"]
        for _ in range(n_workers):
            self.workers.append(
                self._start(
                    "distributed.cli.dask_worker",
                    address,
                    "--nthreads",
                    "1",
                    "--nworkers",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                )  # fmt: skip
            )
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(n_workers, timeout=60)
        return address

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in self.procs:
            proc.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path):
    cluster = Cluster(tmp_path)
    try:
        yield cluster
    finally:
        cluster.stop()


def test_a_sweep_on_a_cluster_matches_a_local_run_and_survives_a_lost_worker(cluster, tmp_path):
    (tmp_path / "s.toml").write_text(SCENARIO, encoding="utf-8")
    address = cluster.start(2)
    local = subprocess.run(
        [sys.executable, "-m", "channelsim", *SWEEP, "--jobs", "1", "--out", "local"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert local.returncode == 0, local.stderr

    remote = subprocess.Popen(
        [sys.executable, "-m", "channelsim", *SWEEP, "--dask", address, "--out", "remote"],
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    cluster.procs.append(remote)
    journal = tmp_path / "remote" / "done.jsonl"
    _wait_for(lambda: journal.is_file() and journal.read_text().count("\n") >= 2, 120,
              "the first points on the cluster")  # fmt: skip
    lost = cluster.workers[0]
    os.killpg(lost.pid, signal.SIGKILL)  # a machine lost mid-sweep
    lost.wait(timeout=30)
    assert journal.read_text().count("\n") < 12, "the sweep ended before the worker was lost"
    _out, err = remote.communicate(timeout=300)
    assert remote.returncode == 0, err
    for name in COMPARED:
        a = (tmp_path / "local" / name).read_bytes()
        b = (tmp_path / "remote" / name).read_bytes()
        assert a == b, name
    assert json.loads((tmp_path / "remote" / "manifest.json").read_text())["status"] == "complete"
