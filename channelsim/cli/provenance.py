"""Where a result comes from, and what would change it: the CLI's additions to a comparison.

**Provenance.** A report forwarded to a VP must not be mistaken for another one: the command
records the scenario file, every ``--set``, ``--seed``, ``--reps`` and ``--strategies`` it was
given, and the scenario file's own header comments (where its sources are), in the run's meta
(``summary.json``'s ``meta.provenance``); the report header, the terminal and the report's
assumptions section show them, with what each named strategy changes.

**What would change the answer** runs :func:`channelsim.planning.swing.what_would_change` for
the recommended strategy and the runner-up, with its own progress bar.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from channelsim.cli.common import ProgressBar

if TYPE_CHECKING:
    import pandas as pd

    from channelsim.analysis.decision import Recommendation
    from channelsim.experiments.compare import Comparison
    from channelsim.scenario import Scenario

__all__ = ["header_comments", "provenance", "provenance_lines", "swing_of"]

MAX_HEADER_LINES = 60
"""Lines of a scenario file's leading comment block kept in the provenance."""


def header_comments(path: Path) -> list[str]:
    """The scenario file's leading comment block (its first lines that start with ``#``)."""
    lines: list[str] = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.startswith("#"):
                    break
                lines.append(line.rstrip("\n"))
                if len(lines) >= MAX_HEADER_LINES:
                    break
    except (OSError, UnicodeDecodeError):
        return []
    return lines


def provenance(
    path: Path,
    sets: list[str] | None,
    seed: int | None,
    reps: int | None,
    strategies: list[str] | None,
) -> dict[str, Any]:
    """What the command was given, for the run's meta (JSON-ready, no clock time)."""
    return {
        "scenario_file": str(path),
        "set": list(sets or []),
        "seed": seed,
        "replications": reps,
        "strategies": list(strategies) if strategies else None,
        "scenario_header": header_comments(path),
    }


def provenance_lines(prov: dict[str, Any], scenario: Scenario) -> list[str]:
    """The provenance in two or three plain lines for the terminal."""
    from channelsim.analysis.decision import variant_changes

    given = [f"--set {s}" for s in prov.get("set") or []]
    for option, key in (("--seed", "seed"), ("--reps", "replications")):
        if prov.get(key) is not None:
            given.append(f"{option} {prov[key]}")
    if prov.get("strategies"):
        given.append("--strategies " + ",".join(prov["strategies"]))
    meta = scenario.scenario
    lines = [
        f"Run: {prov.get('scenario_file')}, seed {meta.seed}, {meta.replications} replications, "
        f"money in {meta.currency}; options: {' '.join(given) if given else 'none'}"
    ]
    variants = variant_changes(scenario.to_toml_dict().get("strategies"))
    if variants:
        lines.append("Variants: " + "; ".join(f"{k} = {v}" for k, v in variants.items()))
    return lines


def swing_of(
    result: Comparison, recommendation: Recommendation, *, jobs: int | None, quiet: bool
) -> pd.DataFrame:
    """The swing table of a comparison's recommendation against its runner-up."""
    from channelsim.planning.options import RunOptions
    from channelsim.planning.swing import what_would_change

    best, other = recommendation.best, recommendation.runner_up
    objective = recommendation.objective
    reps = result.replications
    total = reps[reps["channel"] == "total"]
    # by replication 0, 1, ...: the lead, and each side's runs, which stand for a rerun of a
    # strategy for an input it does not use
    wide = total.pivot(index="replication", columns="strategy", values=objective).sort_index()
    base = {str(s): wide[s].to_numpy(dtype=float) for s in (best, other)}
    lead = base[str(best)] - base[str(other)]
    with ProgressBar(enabled=not quiet, label="compare: what would change") as progress:
        return what_would_change(
            result.run.scenario,
            str(best),
            str(other),
            objective,
            lead,
            options=RunOptions(jobs=jobs, progress=progress),
            base_values=base,
        )
