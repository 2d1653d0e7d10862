"""The analyst's verbs: ``run``, ``compare``, ``report``, ``validate`` and ``schema``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from channelsim.cli.common import (
    ImportsMeanwhile,
    ProgressBar,
    check_budget,
    check_strategy_name,
    load,
    stdout_console,
)
from channelsim.cli.options import (
    CompareOutOpt,
    ForceOpt,
    JobsOpt,
    OutOpt,
    QuietOpt,
    RepsOpt,
    ScenarioArg,
    SeedOpt,
    SetOpt,
    StrategyOpt,
)
from channelsim.cli.provenance import provenance, provenance_lines, swing_of
from channelsim.cli.tables import comparison_table, summary_tables
from channelsim.errors import Problem, ScenarioError, UsageError

__all__ = ["compare", "report", "run", "schema", "validate"]

_AFTER_COMPARE = (
    "scipy.stats",
    "channelsim.planning.swing",
    "channelsim.outputs.report",
    "matplotlib.backends.backend_agg",
    "xlsxwriter",
)
"""What ``compare`` imports once its replications are done: the intervals' statistics, the
swing, the report (matplotlib) and the workbook's writer."""


def run(
    scenario: ScenarioArg,
    strategy: StrategyOpt = None,
    reps: RepsOpt = None,
    seed: SeedOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    jobs: JobsOpt = None,
    trace: Annotated[
        bool,
        typer.Option(
            "--trace",
            help="Also write trace.csv: one row per lead (where it went, when, how it ended). "
            "Its size grows with the leads: pair it with --reps 1 on big scenarios.",
        ),
    ] = False,
    report: Annotated[
        bool,
        typer.Option(
            "--report",
            help="Also draw plots/*.png and write report.html (they take longer than a small "
            "simulation; `channelsim report DIR` builds them later from the tables).",
        ),
    ] = False,
    quiet: QuietOpt = False,
    force: ForceOpt = False,
) -> None:
    """Simulate one strategy of a scenario and write its output folder.

    The folder holds scenario.resolved.toml (rerun it to reproduce the results), summary.csv,
    summary.json, monthly.csv, results.xlsx (the same tables for Excel) and run.json (date and
    run time), trace.csv with --trace, and plots/*.png and report.html with --report. A summary
    table with 95% confidence intervals is printed.
    """
    scn = load(scenario, set_)
    name = check_strategy_name(scn, scenario, strategy)
    from channelsim.outputs.files import check_out_dir

    out_dir = out if out is not None else Path("out") / scenario.stem
    check_out_dir(Path(os.path.realpath(out_dir)), "run")  # a bad --out: before the long part
    check_budget(scn, scenario, [name], reps, jobs=jobs, force=force)

    from channelsim.experiments.replications import simulate

    with ProgressBar(enabled=not quiet, label=f"{name}: replications") as progress:
        try:
            result = simulate(
                scn,
                name,
                replications=reps,
                seed=seed,
                jobs=jobs,
                progress=progress,
                trace=trace,
            )
        except ScenarioError as exc:
            raise exc.in_file(str(scenario)) from None
    result.meta["provenance"] = provenance(scenario, set_, seed, reps, [name])
    result.save(out_dir, report=report)

    if quiet:
        print(out_dir)
        return
    console = stdout_console()
    for table in summary_tables(result):
        console.print(table)
    if scn.start_state is not None:
        console.print(f"Started from today: {scn.start_state.summary()}", markup=False)
    extra = (", trace.csv" if trace else "") + (", plots/, report.html" if report else "")
    later = "" if report else f"; plots and report.html: channelsim report {out_dir}"
    console.print(
        f"Results in {out_dir}{os.sep} (scenario.resolved.toml, summary.csv, summary.json, "
        f"monthly.csv, results.xlsx{extra}; run.json has the date and run time{later})",
        markup=False,
    )


def compare(
    scenario: ScenarioArg,
    strategies: Annotated[
        str | None,
        typer.Option(
            "--strategies",
            metavar="A,B,...",
            help="Comma-separated strategies to compare (default: direct, indirect, hybrid and "
            "every named strategy of the scenario).",
            show_default=False,
        ),
    ] = None,
    reps: RepsOpt = None,
    seed: SeedOpt = None,
    set_: SetOpt = None,
    out: CompareOutOpt = None,
    jobs: JobsOpt = None,
    no_elasticity: Annotated[
        bool,
        typer.Option(
            "--no-elasticity",
            help="Skip cost_elasticity (booking every deal again at 0.9x and 1.1x win rates).",
        ),
    ] = False,
    no_swing: Annotated[
        bool,
        typer.Option(
            "--no-swing",
            help="Skip 'what would change the answer' (the recommended strategy and the "
            "runner-up rerun at the low and high value of a few key inputs).",
        ),
    ] = False,
    quiet: QuietOpt = False,
    force: ForceOpt = False,
) -> None:
    """Compare strategies side by side on common random numbers and write a report.

    It prints the recommendation first (the decision rule: docs/cli.md), then the key metrics,
    the verdict and what would change the answer. The folder holds everything `run` writes for
    every strategy, plus differences.csv (paired differences A - B with 95% intervals and
    p_better, also a sheet of results.xlsx), replications.csv, swing.csv, plots/*.png and
    report.html.
    """
    scn = load(scenario, set_)
    names = None
    if strategies is not None:
        names = [n.strip() for n in strategies.split(",") if n.strip()]
        if not names:
            raise UsageError(Problem(str(scenario), "--strategies", "names no strategy"))
        for name in names:
            check_strategy_name(scn, scenario, name, option="--strategies")
    from channelsim.outputs.files import check_out_dir

    out_dir = out if out is not None else Path("out") / f"{scenario.stem}-compare"
    check_out_dir(Path(os.path.realpath(out_dir)), "compare")
    planned = names or [n for n in scn.strategy_names() if n != "indirect" or scn.partners]
    check_budget(scn, scenario, planned, reps, jobs=jobs, force=force)

    from channelsim.experiments.compare import compare as run_compare

    with ProgressBar(enabled=not quiet, label="compare: replications") as progress:
        # while the workers simulate, this process loads what it needs afterwards (2 s here)
        meanwhile = ImportsMeanwhile(progress, _AFTER_COMPARE)
        try:
            result = run_compare(
                scn,
                names,
                replications=reps,
                seed=seed,
                jobs=jobs,
                progress=meanwhile,
                elasticity=not no_elasticity,
            )
        except ScenarioError as exc:
            raise exc.in_file(str(scenario)) from None
        finally:
            meanwhile.join()
    result.run.meta["provenance"] = provenance(scenario, set_, seed, reps, names)
    recommendation = result.recommendation()
    if not no_swing and recommendation.best and recommendation.runner_up:
        result.swing = swing_of(result, recommendation, jobs=jobs, quiet=quiet)
    result.save(out_dir)
    if quiet:
        print(out_dir)
        return
    from channelsim.analysis.decision import swing_sentences

    console = stdout_console()
    console.print("Recommendation", style="bold")
    for line in recommendation.sentences:
        console.print(f"  {line}", markup=False)
    console.print(comparison_table(result.run))
    for line in result.verdict():
        console.print(f"- {line}", markup=False)
    currency = result.run.scenario.scenario.currency
    what_if = swing_sentences(result.swing, currency)
    if what_if:
        console.print("What would change the answer", style="bold")
        for line in what_if:
            console.print(f"  {line}", markup=False)
    for line in provenance_lines(result.run.meta["provenance"], result.run.scenario):
        console.print(line, markup=False)
    console.print(f"Report: {out_dir}{os.sep}report.html", markup=False)


def report(
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="An output folder of run or compare.")
    ],
) -> None:
    """Build (or rebuild) plots/*.png, report.html and results.xlsx from a folder's tables.

    The folder is one that run or compare wrote; a table that was truncated or damaged is
    named, and nothing is drawn.
    """
    from channelsim.outputs.files import write_manifest
    from channelsim.outputs.reading import check_report_folder

    kind = check_report_folder(folder)
    from channelsim.outputs.report import build_report

    path = build_report(folder)
    write_manifest(folder, kind)  # it now lists the plots and the report too
    print(path)


def validate(scenario: ScenarioArg, set_: SetOpt = None) -> None:
    """Check a scenario file and print it resolved (every default filled in) as TOML.

    The TOML goes to stdout, so it can be saved and loaded back; a one-line verdict goes to
    stderr.
    """
    scn = load(scenario, set_)
    from channelsim.scenario import check_strategy

    default = scn.scenario.strategy
    try:
        mode, resolved = scn.resolve_strategy(default)
        check_strategy(resolved, mode, default)
    except ScenarioError as exc:
        raise exc.in_file(str(scenario)) from None
    text = scn.to_toml()
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    names = ", ".join(scn.strategy_names())
    print(
        f"ok: {scenario} is valid (strategies: {names}; run simulates {default})", file=sys.stderr
    )
    if scn.start_state is not None:
        print(f"starts from today: {scn.start_state.summary()}", file=sys.stderr)


def schema() -> None:
    """Print the JSON Schema of scenario files (for editors and validators)."""
    from channelsim.scenario import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False))


# --- planners' verbs: sweep, breakeven, sensitivity ------------------------------------------
