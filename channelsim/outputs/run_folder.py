"""The output folder of a run or a comparison, and the folders of the planners' tools.

``write_run`` writes the folder of DESIGN section 4::

    scenario.resolved.toml   the scenario as run (every default filled in, overrides, seed,
                             replications and strategy applied): rerunning it reproduces the results
    summary.csv              strategy, channel, metric, mean, std, ci_low, ci_high, n, median
    summary.json             the same numbers nested strategy -> channel -> metric, plus "meta"
    monthly.csv              strategy, replication, month, channel, one column per monthly metric
    replications.csv         strategy, replication, channel, one column per summary metric (the
                             per-replication values behind summary.csv: how often a strategy is
                             best, paired comparisons)
    differences.csv          (comparisons) paired differences A - B
    swing.csv                (compare, CLI) what would change the answer: the recommended
                             strategy's lead over the runner-up at each key input's low and high
    results.xlsx             the tables above as an Excel workbook (summary, differences,
                             monthly means, assumptions), built from the files above
    plots/*.png, report.html figures and the self-contained report built from the files above
    run.json                 when the folder was written and how long the run took
    manifest.json            the kind of folder (run or compare) and every file written
    trace.csv                only with ``--trace``: one row per lead (strategy, replication and
                             the columns of channelsim.model.trace.TRACE_COLUMNS)

Every file but ``run.json`` is reproducible: the same scenario, seed and version give the same
bytes, whatever the machine or the number of worker processes (floats are written with a fixed
format, JSON keys in a fixed order, and no clock time goes into them). ``run.json`` is the only
file that records the date and the run time, so it is the only one that differs between two
identical runs (``summary.json``'s ``meta.provenance`` records the command's options and
scenario file, so rerunning ``scenario.resolved.toml`` without them changes only that).
Writers take tables, never the objects that produced them.
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from channelsim import __version__
from channelsim.outputs.files import (
    DIFFERENCES_CSV,
    MONTHLY_CSV,
    PLOTS_DIR,
    REPLICATIONS_CSV,
    RESOLVED_SCENARIO,
    RUN_JSON,
    SUMMARY_COLUMNS,
    SUMMARY_CSV,
    SUMMARY_JSON,
    SWING_CSV,
    TRACE_CSV,
    atomic_write,
    replace_folder,
)
from channelsim.outputs.text import frame_csv, json_number, json_value
from channelsim.scenario import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from channelsim.outputs.xlsx import Sheet

__all__ = [
    "REPRODUCIBLE_FILES",
    "SUMMARY_COLUMNS",
    "SUMMARY_STATS",
    "reproducible_meta",
    "resolved_scenario_text",
    "run_json_text",
    "summary_json_text",
    "write_folder",
    "write_run",
]

REPRODUCIBLE_FILES: tuple[str, ...] = (RESOLVED_SCENARIO, SUMMARY_CSV, SUMMARY_JSON, MONTHLY_CSV)
# differences.csv, results.xlsx, plots/*.png and report.html are reproducible too (same bytes)
"""Files whose bytes depend only on the scenario, seed and channelsim version."""

SUMMARY_STATS: tuple[str, ...] = SUMMARY_COLUMNS[3:]

_NOT_REPRODUCIBLE_META = frozenset({"run_seconds"})


def write_run(
    out_dir: str | Path,
    *,
    scenario: Scenario,
    strategies: Sequence[str],
    summary: pd.DataFrame,
    monthly: pd.DataFrame,
    meta: Mapping[str, Any],
    trace: pd.DataFrame | None = None,
    differences: pd.DataFrame | None = None,
    replications: pd.DataFrame | None = None,
    swing: pd.DataFrame | None = None,
    report: bool = True,
) -> Path:
    """Write the output folder of a run, replacing any previous output folder there.

    The folder gets the tables, ``results.xlsx`` built from them, then (``report``)
    ``plots/*.png`` and ``report.html``.

    Args:
        out_dir: the folder to write. If it exists it must be empty or a previous output
            folder of the same kind (``run``, or ``compare`` when ``differences`` are given)
            holding only the files its ``manifest.json`` lists: any other folder is left alone
            and an error is raised, so a mistyped ``--out`` never deletes unrelated files.
        scenario: the scenario as run.
        strategies: the strategies simulated, in order.
        summary: one row per (strategy, channel, metric).
        monthly: one row per (strategy, replication, month, channel).
        meta: version, seed, replications, strategies and run time.
        trace: the per-lead trace, written as ``trace.csv`` when given.
        differences: paired differences between strategies (from ``compare``), written as
            ``differences.csv``.
        replications: the per-replication summary values, written as ``replications.csv``.
        swing: what would change the recommendation (``channelsim.planning.swing``), written
            as ``swing.csv``.
        report: draw the plots and write the report (drawing takes longer than a small
            simulation; ``channelsim report DIR`` does it later from the tables).

    Returns:
        The path of the folder written.

    Raises:
        UsageError: ``out_dir`` is a file, a folder that is not an output folder, or cannot be
            created.
    """
    kind = "compare" if differences is not None else "run"
    with replace_folder(out_dir, kind) as tmp:
        atomic_write(tmp / RESOLVED_SCENARIO, resolved_scenario_text(scenario, strategies))
        atomic_write(tmp / SUMMARY_CSV, frame_csv(summary[list(SUMMARY_COLUMNS)]))
        atomic_write(tmp / SUMMARY_JSON, summary_json_text(scenario, strategies, summary, meta))
        atomic_write(tmp / MONTHLY_CSV, frame_csv(monthly))
        atomic_write(tmp / RUN_JSON, run_json_text(meta))
        if trace is not None:
            atomic_write(tmp / TRACE_CSV, frame_csv(trace))
        if differences is not None:
            atomic_write(tmp / DIFFERENCES_CSV, frame_csv(differences))
        if replications is not None:
            atomic_write(tmp / REPLICATIONS_CSV, frame_csv(replications))
        if swing is not None:
            atomic_write(tmp / SWING_CSV, frame_csv(swing))
        if report:
            # imported here: matplotlib loads only when a report is drawn; the report writes
            # results.xlsx too, alongside the plots
            from channelsim.outputs.report import build_report

            build_report(tmp)
        else:
            from channelsim.outputs.xlsx import write_folder_workbook  # openpyxl, only here

            write_folder_workbook(tmp)
    return Path(out_dir)


def resolved_scenario_text(scenario: Scenario, strategies: Sequence[str]) -> str:
    """The scenario as run, as TOML, with a header comment saying how it was run.

    When a single strategy was simulated, ``scenario.strategy`` is set to it, so that
    ``channelsim run scenario.resolved.toml`` reproduces the results with no extra flag.

    Args:
        scenario: the scenario as run.
        strategies: the strategies simulated.

    Returns:
        The TOML text (no clock time in it: the same run gives the same bytes).
    """
    if len(strategies) == 1 and scenario.scenario.strategy != strategies[0]:
        scenario = scenario.with_overrides({"scenario.strategy": strategies[0]})
    meta = scenario.scenario
    if len(strategies) == 1:
        rerun = "Reproduce summary.csv, monthly.csv and summary.json (but its meta.provenance, "
        rerun += "how it was run) with: channelsim run scenario.resolved.toml"
    else:
        rerun = "Reproduce each strategy's rows with: channelsim run scenario.resolved.toml "
        rerun += "--strategy NAME"
    header = [
        f"# Output of a channelsim run: strategies {', '.join(strategies)}; "
        f"replications {meta.replications}; seed {meta.seed}.",
        f"# {rerun}",
    ]
    body = scenario.to_toml()
    return "\n".join(header) + "\n" + body + ("" if body.endswith("\n") else "\n")


def summary_json_text(
    scenario: Scenario,
    strategies: Sequence[str],
    summary: pd.DataFrame,
    meta: Mapping[str, Any],
) -> str:
    """``summary.json``: ``meta`` plus strategy -> channel -> metric -> statistics.

    Key order follows the summary table (strategies as run; ``direct``, programs, ``partners``,
    ``total``; metrics in contract order). Undefined numbers (NaN, infinities) are ``null``.

    Args:
        scenario: the scenario as run.
        strategies: the strategies simulated.
        summary: the summary table.
        meta: the run's meta data.

    Returns:
        The JSON text, ending with a newline.
    """
    doc: dict[str, Any] = {"meta": reproducible_meta(scenario, strategies, meta)}
    for row in summary[list(SUMMARY_COLUMNS)].itertuples(index=False):
        stats = {
            "mean": json_number(row.mean),
            "std": json_number(row.std),
            "ci_low": json_number(row.ci_low),
            "ci_high": json_number(row.ci_high),
            "n": int(row.n),
            "median": json_number(row.median),
        }
        doc.setdefault(str(row.strategy), {}).setdefault(str(row.channel), {})[str(row.metric)] = (
            stats
        )
    return json.dumps(doc, indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def reproducible_meta(
    scenario: Scenario, strategies: Sequence[str], meta: Mapping[str, Any]
) -> dict[str, Any]:
    """The run's metadata without what changes from run to run (the run time).

    Args:
        scenario: the scenario as run.
        strategies: the strategies simulated.
        meta: the run's meta data.

    Returns:
        A JSON-ready dict: channelsim version, scenario name, seed, replications, strategies.
    """
    out: dict[str, Any] = {
        "channelsim_version": __version__,
        "scenario": scenario.scenario.name,
        "currency": scenario.scenario.currency,
    }
    for key, value in meta.items():
        if key not in _NOT_REPRODUCIBLE_META:
            out[key] = json_value(value)
    out["strategies"] = list(strategies)
    return out


def run_json_text(meta: Mapping[str, Any]) -> str:
    """``run.json``: when the folder was written and how long the run took (not reproducible).

    Args:
        meta: the run's meta data (its ``run_seconds`` and ``channelsim_version``).

    Returns:
        The JSON text, ending with a newline.
    """
    doc = {
        "note": "not reproducible: the only output file that changes between identical runs",
        "written_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "run_seconds": json_value(meta.get("run_seconds")),
        "channelsim_version": meta.get("channelsim_version", __version__),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def write_folder(
    out_dir: str | Path,
    scenario: Scenario,
    files: Mapping[str, str],
    figures: Mapping[str, Figure],
    *,
    kind: str,
    sheets: Sequence[Sheet] = (),
) -> Path:
    """Write a planner's output folder atomically: the resolved scenario, text files and plots.

    Args:
        out_dir: the folder (absent, empty or a previous output folder of this kind).
        scenario: written as ``scenario.resolved.toml``.
        files: file name -> text.
        figures: plot name -> Figure, saved as ``plots/<name>.png``.
        kind: ``breakeven`` or ``sensitivity``, recorded in ``manifest.json``.
        sheets: the sheets of ``results.xlsx`` (none: no workbook).

    Returns:
        The folder's path.
    """
    from channelsim.outputs.figures import save_figure  # matplotlib, only to draw
    from channelsim.outputs.xlsx import RESULTS_XLSX, write_workbook  # openpyxl, only here

    with replace_folder(out_dir, kind) as tmp:
        atomic_write(tmp / RESOLVED_SCENARIO, scenario.to_toml())
        for name, text in files.items():
            atomic_write(tmp / name, text)
        if sheets:
            write_workbook(tmp / RESULTS_XLSX, sheets)
        for name, fig in figures.items():
            save_figure(fig, tmp / PLOTS_DIR / f"{name}.png")
    return Path(out_dir)
