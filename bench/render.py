"""Render docs/performance.md from bench/results.json: ``python -m bench.render``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TARGETS = {
    "ratio": 1.0,
    "peak_mb_1m": 250.0,
    "memory_growth": 0.20,
    "speedup": 1.8,
    "compare_seconds": 30.0,
    "run_ratio": 1.5,
    "compare_ratio": 5.0,
}


def _spread(values: list[float]) -> str:
    """``3 runs: 22.1-24.0 s`` (how much the machine's speed moved between runs)."""
    if len(values) == 1:
        return "1 run"
    return f"{len(values)} runs: {min(values):.1f}-{max(values):.1f} s"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


NOTES = """\
## Where the time goes, and what made it fast

The SimPy model is still the model: one `simpy.Environment` drives every replication, a sales
cycle is a `Timeout` with a callback, hiring reviews are a SimPy process. What keeps it fast
(each step measured with cProfile on the SaaS scenario, outputs checked byte-identical before and
after on every shipped scenario):

- **Random numbers in blocks**: a month of company leads (times, segments, values, patience,
  outcome draws) in a handful of NumPy calls; cycle times and other draws from blocks of 4,096.
- **No process per lead**, and no event a lead does not need. A lead that finds a free slot
  starts in the callback that brings it in. Leads that arrive before the next scheduled event
  are handled in one callback, each at its own arrival time (nothing can happen in between), so
  two thirds of the arrivals cost no event.
- **Patience without timers**: a waiting lead's deadline goes on a heap and is settled before
  anything looks at the channel (the router weighing the queue, a freed slot, the month's
  close), and the lost lead is booked at its deadline, exactly as a timer would; that removed a
  third of the events of a capacity-bound run.
- **A cheap ledger**: per-month lists of floats, counts kept in plain attributes and booked when
  the month closes; no pandas or pydantic inside the loop.
- **Around the simulation**: paired differences for all metrics of a pair at once, and the
  report's figures drawn by forked processes (3.6 s to 1.6 s).

From the first measurement of this page to this one: M/M/c 1.96x to 2.7-2.9x plain SimPy;
`compare` on the SaaS scenario from 40 s to 23-29 s, and the command with plots and report to
25-30 s, depending on the machine's speed at the time (the table above was measured while
plain SimPy ran at the low end of its range; the same code measured 23.2 s and 25.0 s an hour
earlier, with plain SimPy at 64,500 leads a second). So the 30 s target holds with little
margin when this shared machine is slow. What remains is mostly Python function calls per lead
(arrival, start, end of the cycle) and SimPy's `step`, plus about 5 s of fixed work in the
command (imports 1.7 s, tables 0.8 s, six plots 1.4 s on two processes, the report 0.6 s); the
next steps would be fewer Python calls per lead (for example one function for a lead's arrival
and start in direct runs) and a cheaper capacity plot (its twin axes take most of the plotting
time), not a different engine.

The sweep's 2-worker speed-up moves with the machine too: 1.78x, 1.85x, 1.93x and 2.15x in four
full runs of this benchmark on the same day, because the 1-worker and 2-worker sweeps run minutes
apart on a machine whose speed drifts (a value above 2x is that drift, not magic). The work
itself divides evenly: 1,000 independent replications, at most 4 in flight, results sorted by
task. The M/M/c ratio is robust to the drift (both sides alternate within seconds).
"""
"""Hand-written analysis appended to the generated page (update it with the numbers)."""


def render(results: dict) -> str:
    m = results["machine"]
    ref = results["reference"]
    scaling = results["scaling"]
    big = max(scaling, key=lambda s: s["leads"])
    mid = sorted(scaling, key=lambda s: s["leads"])[-2]
    growth = big["peak_rss_mb"] / mid["peak_rss_mb"] - 1
    cmp_ = results["compare"]
    sw = results["sweep"]
    rows = [
        (
            "M/M/c leads per second, ours / plain SimPy",
            f"{ref['ratio']:.2f}x "
            f"({ref['ours_leads_per_second']:,.0f} vs {ref['simpy_leads_per_second']:,.0f})",
            ">= 1.0x",
            _verdict(ref["ratio"] >= TARGETS["ratio"]),
        ),
        (
            "peak memory, 1M-lead replication",
            f"{big['peak_rss_mb']:.0f} MB",
            "< 250 MB",
            _verdict(big["peak_rss_mb"] < TARGETS["peak_mb_1m"]),
        ),
        (
            "peak memory, 1M vs 100k leads",
            f"{growth:+.1%}",
            "within 20%",
            _verdict(abs(growth) <= TARGETS["memory_growth"]),
        ),
        (
            f"`compare()`, SaaS scenario, {cmp_['replications']} replications, every strategy "
            "and the elasticity reruns, all cores (median of "
            f"{_spread(cmp_.get('seconds_all', [cmp_['seconds']]))})",
            f"{cmp_['seconds']:.1f} s",
            "< 30 s",
            _verdict(cmp_["seconds"] < TARGETS["compare_seconds"]),
        ),
        (
            "`channelsim compare` (the same, plus start-up, tables, six plots and the report; "
            f"median of {_spread(cmp_.get('command_seconds_all', [cmp_['command_seconds']]))})",
            f"{cmp_['command_seconds']:.1f} s",
            "< 30 s",
            _verdict(cmp_["command_seconds"] < TARGETS["compare_seconds"]),
        ),
        (
            f"{sw['points']}-point sweep, {sw['replications']} replications a point "
            f"(`{sw['param']}`, {sw['strategy']}), 2 workers",
            f"{sw['seconds_2_workers']:.1f} s",
            "(measured)",
            "",
        ),
        (
            "2 workers vs 1 on that sweep",
            f"{sw['speedup']:.2f}x "
            f"({sw['seconds_1_worker']:.1f} s vs {sw['seconds_2_workers']:.1f} s)",
            ">= 1.8x",
            _verdict(sw["speedup"] >= TARGETS["speedup"]),
        ),
    ]
    whole = results.get("whole_process")
    if whole:
        rows += [
            (
                f"whole process: plain-SimPy M/M/c script / `channelsim run` on the same "
                f"{whole['leads']:,} leads (one replication; median of {whole['rounds']} rounds)",
                f"{whole['run_ratio']:.2f}x ({whole['simpy_seconds']:.2f} s vs "
                f"{whole['run_seconds']:.2f} s)",
                ">= 1.5x",
                _verdict(whole["run_ratio"] >= TARGETS["run_ratio"]),
            ),
            (
                "whole process: `channelsim compare` on the SaaS scenario (every strategy, "
                "elasticity, what would change the answer, tables and report, "
                f"{whole['jobs']} cores) / that plain-SimPy script",
                f"{whole['compare_ratio']:.2f}x ({whole['compare_seconds']:.1f} s vs "
                f"{whole['simpy_seconds']:.2f} s)",
                "<= 5x",
                _verdict(whole["compare_ratio"] <= TARGETS["compare_ratio"]),
            ),
        ]
    speed = (
        f"During the run, plain SimPy handled {ref['simpy_leads_per_second']:,.0f} M/M/c leads "
        "a second on this machine; on this shared cloud machine that figure has been seen "
        "between about 50,000 and 69,000 at different times of the same day, and every "
        "absolute time below moves with it (the ratio does not)."
    )
    out = [
        "# Performance",
        "",
        "<!-- Generated by `python -m bench.render` from bench/results.json: do not edit. -->",
        "",
        "Measured with `python -m bench` (the benchmark in `bench/`, public tools only) on:",
        "",
        f"- {m['cpu']}, {m['cores']} cores; Python {m['python']}, SimPy {m['simpy']}, "
        f"NumPy {m['numpy']}; {m['platform']}",
        "",
        speed,
        "",
        "| measure | measured | target | verdict |",
        "| --- | --- | --- | --- |",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        "## Scaling with work (one replication, each in a fresh process)",
        "",
        "| leads | seconds | leads per second | peak resident memory |",
        "| ---: | ---: | ---: | ---: |",
        *[
            f"| {s['leads']:,.0f} | {s['seconds']:.2f} | {s['leads_per_second']:,.0f} | "
            f"{s['peak_rss_mb']:.0f} MB |"
            for s in sorted(scaling, key=lambda s: s["leads"])
        ],
        "",
        "Peak memory is the whole process (interpreter, NumPy, SimPy and pydantic included): "
        "the model itself keeps per-month, per-channel arrays and the leads that are waiting or "
        "being sold to, never a list of every lead.",
        "",
        "## How to reproduce",
        "",
        "```bash",
        "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/python -m bench",
        ".venv/bin/python -m bench.render   # rewrites this page from bench/results.json",
        "```",
        "",
        "`python -m bench --quick` is the smoke version CI runs (it keeps the benchmark working; "
        "its timings mean nothing). Run the full benchmark on an otherwise idle machine: the "
        "reference ratio is measured side by side in one process, so it is robust to machine "
        "speed, but not to other work competing for the same cores.",
        "",
    ]
    return "\n".join(out) + "\n" + NOTES


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--check"]
    src = Path(args[0]) if args else ROOT / "bench" / "results.json"
    text = render(json.loads(src.read_text(encoding="utf-8")))
    if "--check" in sys.argv:  # render only: proves the results file has what the page needs
        return
    dest = ROOT / "docs" / "performance.md"
    dest.write_text(text, encoding="utf-8")
    print(f"written {dest}")


if __name__ == "__main__":
    main()
