"""Run the benchmark: ``python -m bench [--quick] [--out bench/results.json]``.

Sections (each printed as it finishes and saved to the JSON file):

- reference: our direct channel as an M/M/c queue against a plain-SimPy M/M/c script with the
  same arrival rate, service rate, servers and number of customers, run alternately in this
  process; leads per second of both and their ratio (median over rounds);
- scaling: one replication at 10k, 100k and 1M leads, each in a fresh process: time and peak
  resident memory (time should grow linearly, memory stay flat);
- compare: wall time of ``compare`` on scenarios/saas_midmarket.toml (20 replications, every
  strategy, elasticity reruns) on all cores: the Python call, and the analyst's command
  ``channelsim compare`` (which also writes the tables, six plots and the report); the median
  of three runs of each, since a shared machine's speed drifts from minute to minute;
- sweep: a 50-point sweep of the same scenario (the resellers' discount, hybrid strategy, 20
  replications per point) with 1 and with 2 worker processes: wall times and the speed-up;
- whole process: what users run, each a fresh process, in turn within each round: the
  plain-SimPy M/M/c script on 200k customers, ``channelsim run`` on the same M/M/c queue (one
  replication, one process), and ``channelsim compare`` on the SaaS scenario (every strategy,
  the elasticity and what would change the answer, tables and report, all cores); the ratios
  plain SimPy / run (how much faster the command is than the script) and compare / plain SimPy
  (how many plain-SimPy runs a whole comparison costs), medians over rounds, after one untimed
  round, with Python's bytecode cache on (as after ``pip install``, which compiles every
  module; some machines set PYTHONDONTWRITEBYTECODE, which would time channelsim's compilation
  on every start: 0.5 s of its 11 s ``run`` on a slow machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""Python caches compiled modules, as it does after ``pip install`` (which compiles them): a
machine that forbids the cache would time channelsim's compilation on every start."""


def _machine() -> dict:
    import numpy
    import simpy

    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "simpy": simpy.__version__,
        "numpy": numpy.__version__,
        "platform": platform.platform(),
    }


def reference(rounds: int, leads: int) -> dict:
    from bench.scenarios import LAM, MU, C, mmc_scenario
    from bench.simpy_mmc import run_mmc
    from channelsim.model.world import World

    scenario = mmc_scenario(leads)
    ours, ref, ratios = [], [], []
    for _ in range(rounds):
        started = time.perf_counter()
        raw = World(scenario, "direct", 0).run()
        n = float(raw.arrays["leads"].sum())
        ours.append(n / (time.perf_counter() - started))
        started = time.perf_counter()
        run_mmc(int(n), LAM, MU, C)
        ref.append(n / (time.perf_counter() - started))
        ratios.append(ours[-1] / ref[-1])
    return {
        "leads": leads,
        "rounds": rounds,
        "ours_leads_per_second": statistics.median(ours),
        "simpy_leads_per_second": statistics.median(ref),
        "ratio": statistics.median(ratios),
    }


def scaling(sizes: list[int]) -> list[dict]:
    out = []
    for leads in sizes:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.one", "--leads", str(leads)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        out.append(json.loads(proc.stdout))
        print(f"  scaling {leads:>9,}: {out[-1]}", flush=True)
    return out


SAAS = ROOT / "scenarios" / "saas_midmarket.toml"


def compare_time(reps: int, jobs: int | None) -> float:
    from channelsim import compare, load_scenario

    scenario = load_scenario(SAAS)
    started = time.perf_counter()
    compare(scenario, replications=reps, jobs=jobs)
    return time.perf_counter() - started


def compare_command_time(reps: int) -> float:
    """Wall time of the analyst's command, in a fresh process, report included."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "channelsim", "compare", str(SAAS), "--reps", str(reps)]
            + ["--out", str(Path(tmp) / "saas")],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            env=_ENV,
        )
        return time.perf_counter() - started


def _wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=_ENV)
    return time.perf_counter() - started


def whole_process(rounds: int, leads: int, compare_reps: int | None = None) -> dict:
    """Whole-process seconds of the plain-SimPy script, ``run`` and ``compare`` (in turn)."""
    import tempfile

    from bench.scenarios import LAM, MU, C, mmc_scenario

    channelsim = [sys.executable, "-m", "channelsim"]
    with tempfile.TemporaryDirectory() as tmp:
        toml = Path(tmp) / "mmc.toml"
        toml.write_text(mmc_scenario(leads).to_toml(), encoding="utf-8")
        # the script imports SimPy only (not channelsim): a plain SimPy user's whole process
        script = f"from bench.simpy_mmc import run_mmc; run_mmc({leads}, {LAM}, {MU}, {C})"
        simpy_cmd = [sys.executable, "-c", script]
        run_cmd = channelsim + ["run", str(toml), "--reps", "1", "--jobs", "1", "--quiet"]
        compare_cmd = channelsim + ["compare", str(SAAS), "--quiet"]
        if compare_reps is not None:  # the smoke test: a short comparison
            compare_cmd += ["--reps", str(compare_reps), "--set", "scenario.horizon_months=6"]
        times: dict[str, list[float]] = {"simpy": [], "run": [], "compare": []}
        # one untimed round first: every module compiled and cached, every file read once
        _wall(simpy_cmd)
        _wall(run_cmd + ["--out", str(Path(tmp) / "warm-run")])
        if compare_reps is None:
            _wall(compare_cmd + ["--reps", "2", "--out", str(Path(tmp) / "warm-cmp")])
        for i in range(rounds):
            times["simpy"].append(_wall(simpy_cmd))
            times["run"].append(_wall(run_cmd + ["--out", str(Path(tmp) / f"run{i}")]))
            times["compare"].append(_wall(compare_cmd + ["--out", str(Path(tmp) / f"cmp{i}")]))
    run_ratio = [s / r for s, r in zip(times["simpy"], times["run"], strict=True)]
    compare_ratio = [c / s for c, s in zip(times["compare"], times["simpy"], strict=True)]
    return {
        "leads": leads,
        "rounds": rounds,
        "jobs": os.cpu_count(),
        "simpy_seconds": statistics.median(times["simpy"]),
        "run_seconds": statistics.median(times["run"]),
        "compare_seconds": statistics.median(times["compare"]),
        "seconds_all": times,
        "run_ratio": statistics.median(run_ratio),
        "compare_ratio": statistics.median(compare_ratio),
    }


SWEEP_PARAM = "partners.VARs.discount=0.15:0.45:{points}"
"""What the benchmark sweeps: the resellers' discount, the hybrid strategy's main lever."""


def sweep_time(points: int, reps: int, jobs: int) -> float:
    from channelsim import RunOptions, load_scenario, sweep

    scenario = load_scenario(SAAS)
    started = time.perf_counter()
    sweep(
        scenario,
        [SWEEP_PARAM.format(points=points)],
        strategies="hybrid",
        options=RunOptions(replications=reps, jobs=jobs),
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()
    quick = args.quick
    results: dict = {"machine": _machine(), "quick": quick}
    print("machine:", results["machine"], flush=True)

    results["reference"] = reference(rounds=1 if quick else 5, leads=20_000 if quick else 200_000)
    print("reference:", results["reference"], flush=True)

    results["scaling"] = scaling([2_000, 20_000] if quick else [10_000, 100_000, 1_000_000])

    reps = 2 if quick else 20
    rounds = 1 if quick else 3  # this shared machine's speed drifts: report the median
    api = [compare_time(reps, None) for _ in range(rounds)]
    command = [compare_command_time(reps) for _ in range(rounds)]
    results["compare"] = {
        "replications": reps,
        "jobs": os.cpu_count(),
        "rounds": rounds,
        "seconds": statistics.median(api),
        "seconds_all": api,
        "command_seconds": statistics.median(command),
        "command_seconds_all": command,
    }
    print("compare:", results["compare"], flush=True)

    points = 4 if quick else 50
    two = sweep_time(points, reps, 2)
    one = sweep_time(points, reps, 1)
    results["sweep"] = {
        "points": points,
        "replications": reps,
        "strategy": "hybrid",
        "param": SWEEP_PARAM.format(points=points),
        "seconds_2_workers": two,
        "seconds_1_worker": one,
        "speedup": one / two,
    }
    print("sweep:", results["sweep"], flush=True)

    results["whole_process"] = (
        whole_process(1, 20_000, compare_reps=2) if quick else whole_process(5, 200_000)
    )
    print("whole process:", results["whole_process"], flush=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, args.out)
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
