"""Start-up: the quick verbs import nothing heavy they do not use.

``channelsim --help``, ``--version``, ``validate`` and ``schema`` answer in a fraction of a
second because they never load pandas, matplotlib, scipy, SimPy or the model: each is checked
in a fresh interpreter, through the real entry point.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "matplotlib", "scipy", "simpy", "channelsim.model", "channelsim.experiments",
         "channelsim.outputs", "distributed", "SALib")  # fmt: skip

PROBE = """\
import sys
from channelsim.cli import main
try:
    main(sys.argv[1:])
finally:
    heavy = [m for m in {heavy!r} if m in sys.modules]
    sys.stderr.write("HEAVY=" + ",".join(heavy) + "\\n")
"""


def _imported(*args: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    res = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=heavy), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    line = [x for x in res.stderr.splitlines() if x.startswith("HEAVY=")][-1]
    return [m for m in line[len("HEAVY=") :].split(",") if m]


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["run", "--help"], ["schema"],
     ["validate", "scenarios/saas_midmarket.toml"],
     ["validate", "scenarios/saas_midmarket.toml", "--set", "direct.win_rate=1.4"]],
    ids=lambda a: " ".join(a[:2]),
)  # fmt: skip
def test_quick_verbs_import_nothing_heavy(args):
    assert _imported(*args) == []


def test_one_replication_run_loads_no_plotting_and_no_scipy_special(tmp_path):
    """`run` of one replication has no interval to compute and no plot to draw: the work it
    was not asked for costs nothing (scipy.special alone is 0.1-0.2 s of start-up)."""
    out = tmp_path / "one"
    # every default (no subscription: a beta churn's quantile would need scipy.special)
    scenario = tmp_path / "defaults.toml"
    scenario.write_text("[scenario]\nhorizon_months = 3\n", encoding="utf-8")
    args = ["run", str(scenario), "--reps", "1", "--jobs", "1", "--quiet", "--out", str(out)]
    heavy = _imported(*args, heavy=("matplotlib", "scipy.special", "scipy.stats", "SALib"))
    assert (out / "summary.csv").is_file()
    assert heavy == []
    # two replications do need the t quantile
    args[3] = "2"
    assert _imported(*args, heavy=("scipy.special",)) == ["scipy.special"]
