"""The ``channelsim`` command line: run, compare, sweep, breakeven, sensitivity and more.

Every verb takes a scenario file and the same shared options (defined once below, so later verbs
such as ``compare`` or ``sweep`` reuse them). Exit codes follow DESIGN section 4: 0 success,
2 bad input (file, TOML, schema, flags; one ``error: ...`` line per problem on stderr, never a
traceback), 1 an unexpected failure (one line; ``CHANNELSIM_DEBUG=1`` shows the traceback).

Heavy modules (pandas, scipy, the model) are imported inside the commands, so ``--help``,
``--version`` and input errors answer quickly.
"""

from __future__ import annotations

import json
import math
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from channelsim import __version__
from channelsim.errors import Problem, ScenarioError, UsageError
from channelsim.units import (
    ACTIVITY_METRICS,
    CURRENCY_METRICS,
    MONTH_METRICS,
    SHARE_METRICS,
    UNDEFINED_LABELS,
)

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from channelsim.budget import Plan
    from channelsim.results import RunResult
    from channelsim.scenario import Scenario

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
DEBUG_ENV = "CHANNELSIM_DEBUG"

app = typer.Typer(
    name="channelsim",
    help="Direct, indirect or hybrid sales? Simulate a sales-channel strategy and read its "
    "margins, costs and scaling speed, with confidence intervals.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)


# --- options shared by the verbs -------------------------------------------------------------

ScenarioArg = Annotated[
    Path,
    typer.Argument(
        metavar="SCENARIO", help="Scenario file (TOML), e.g. scenarios/saas_midmarket.toml."
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Override a scenario key by its dotted path, e.g. --set demand.leads_per_month=500 "
        "or --set partners.VARs.discount=0.25 (repeatable).",
        show_default=False,
    ),
]
StrategyOpt = Annotated[
    str | None,
    typer.Option(
        "--strategy",
        "-s",
        help="Strategy to simulate: direct, indirect, hybrid or a name under [strategies] "
        "(default: scenario.strategy).",
        show_default=False,
    ),
]
RepsOpt = Annotated[
    int | None,
    typer.Option(
        "--reps",
        min=1,
        help="Replications (default: scenario.replications).",
        show_default=False,
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option("--seed", min=0, help="Root seed (default: scenario.seed).", show_default=False),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Output folder (default: out/ and the scenario file name without .toml, e.g. "
        "out/saas_midmarket). An existing output folder is replaced; any other non-empty folder "
        "is refused.",
        show_default=False,
    ),
]
JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        help="Worker processes (default: all cores; results do not depend on it).",
        show_default=False,
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="No progress bar and no summary table; print only the output folder."
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Run even when the estimated size exceeds the event budget (about 200 million "
        "simulation events, some 10 minutes on one core).",
    ),
]


def _show_version(value: bool) -> None:
    if value:
        print(f"channelsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the channelsim version and exit.",
        ),
    ] = False,
) -> None:
    """Direct, indirect or hybrid sales? A discrete-event simulator of sales channels."""


# --- verbs -----------------------------------------------------------------------------------


@app.command()
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
    quiet: QuietOpt = False,
    force: ForceOpt = False,
) -> None:
    """Simulate one strategy of a scenario and write its output folder.

    The folder holds scenario.resolved.toml (rerun it to reproduce the results), summary.csv,
    summary.json, monthly.csv and run.json (date and run time), and trace.csv with --trace. A
    summary table with 95% confidence intervals is printed.
    """
    scn = _load(scenario, set_)
    name = _check_strategy_name(scn, scenario, strategy)
    from channelsim.output import check_out_dir

    out_dir = out if out is not None else Path("out") / scenario.stem
    check_out_dir(Path(os.path.realpath(out_dir)))  # refuse a bad --out before the long part
    _check_budget(scn, scenario, [name], reps, jobs=jobs, force=force)

    from channelsim.experiment import simulate

    with _ProgressBar(enabled=not quiet, label=f"{name}: replications") as progress:
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
    result.save(out_dir)

    if quiet:
        print(out_dir)
        return
    console = _stdout_console()
    for table in summary_tables(result):
        console.print(table)
    traced = ", trace.csv" if trace else ""
    console.print(
        f"Results in {out_dir}{os.sep} (scenario.resolved.toml, summary.csv, summary.json, "
        f"monthly.csv{traced}; run.json has the date and run time)",
        markup=False,
    )


@app.command()
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
    out: OutOpt = None,
    jobs: JobsOpt = None,
    no_elasticity: Annotated[
        bool,
        typer.Option(
            "--no-elasticity",
            help="Skip the 0.9x / 1.1x demand reruns that measure cost_elasticity (3x faster).",
        ),
    ] = False,
    quiet: QuietOpt = False,
    force: ForceOpt = False,
) -> None:
    """Compare strategies side by side on common random numbers and write a report.

    The folder holds everything `run` writes for every strategy, plus differences.csv (paired
    differences A - B with 95% intervals and p_better), plots/*.png and report.html.
    """
    scn = _load(scenario, set_)
    names = None
    if strategies is not None:
        names = [n.strip() for n in strategies.split(",") if n.strip()]
        if not names:
            raise UsageError(Problem(str(scenario), "--strategies", "names no strategy"))
        for name in names:
            _check_strategy_name(scn, scenario, name, option="--strategies")
    from channelsim.output import check_out_dir

    out_dir = out if out is not None else Path("out") / scenario.stem
    check_out_dir(Path(os.path.realpath(out_dir)))
    planned = names or [n for n in scn.strategy_names() if n != "indirect" or scn.partners]
    _check_budget(
        scn, scenario, planned, reps, elasticity=not no_elasticity, jobs=jobs, force=force
    )

    from channelsim.comparison import compare as run_compare

    with _ProgressBar(enabled=not quiet, label="compare: replications") as progress:
        try:
            result = run_compare(
                scn,
                names,
                replications=reps,
                seed=seed,
                jobs=jobs,
                progress=progress,
                elasticity=not no_elasticity,
            )
        except ScenarioError as exc:
            raise exc.in_file(str(scenario)) from None
    result.save(out_dir)
    if quiet:
        print(out_dir)
        return
    console = _stdout_console()
    console.print(comparison_table(result.run))
    for line in result.verdict():
        console.print(f"- {line}", markup=False)
    console.print(f"Report: {out_dir}{os.sep}report.html", markup=False)


@app.command()
def report(
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="An output folder of run or compare.")
    ],
) -> None:
    """Rebuild plots/*.png and report.html from an output folder's tables."""
    from channelsim.output import RESOLVED_SCENARIO, SUMMARY_CSV

    for needed in (RESOLVED_SCENARIO, SUMMARY_CSV):
        if not (folder / needed).is_file():
            raise UsageError(
                Problem(str(folder), "", f"is not a channelsim output folder (no {needed})")
            )
    from channelsim.report import build_report

    print(build_report(folder))


@app.command()
def validate(scenario: ScenarioArg, set_: SetOpt = None) -> None:
    """Check a scenario file and print it resolved (every default filled in) as TOML.

    The TOML goes to stdout, so it can be saved and loaded back; a one-line verdict goes to
    stderr.
    """
    scn = _load(scenario, set_)
    from channelsim.experiment import check_strategy

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


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors and validators)."""
    from channelsim.scenario import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False))


# --- planners' verbs: sweep, breakeven, sensitivity ------------------------------------------

PlanJobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        help="Worker processes on this machine (default: all cores; results do not depend on it).",
        show_default=False,
    ),
]
DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        metavar="ADDRESS|local",
        help="Run on a Dask cluster instead of --jobs: a scheduler address such as "
        "tcp://10.0.0.5:8786, or 'local' for a cluster of this machine's cores (loopback only). "
        'Needs the [distributed] extra: pip install "channelsim[distributed]".',
        show_default=False,
    ),
]
MetricOpt = Annotated[
    str,
    typer.Option("--metric", "-m", help="Summary metric (see channelsim.metrics.SUMMARY_METRICS)."),
]
ChannelOpt = Annotated[
    str,
    typer.Option(
        "--channel", help="Channel of the metric: total, direct, partners or a program name."
    ),
]


def _planning_executor(jobs: int | None, dask: str | None) -> None:
    """Refuse --jobs together with --dask."""
    if jobs is not None and dask is not None:
        raise UsageError(Problem(None, "--dask", "use --jobs or --dask, not both"))


def _strategy_list(scn: Scenario, path: Path, text: str | None) -> list[str] | None:
    """``--strategies A,B`` checked against the scenario (None: the scenario's default)."""
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError(Problem(str(path), "--strategies", "names no strategy"))
    for name in names:
        _check_strategy_name(scn, path, name, option="--strategies")
    return names


def _where(jobs: int | None, dask: str | None) -> str:
    if dask is not None:
        return "a local Dask cluster" if dask == "local" else f"the Dask cluster at {dask}"
    n = jobs or os.cpu_count() or 1
    return "1 process" if n == 1 else f"{n} processes"


@app.command()
def sweep(
    scenario: ScenarioArg,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="KEY=VALUES",
            help="A parameter and its values: key=v1,v2,... (a list) or key=lo:hi:n (n evenly "
            "spaced values, ends included); with --sampler lhs, sobol or random: key=lo:hi. "
            "Repeatable; e.g. --param demand.leads_per_month=100:500:5.",
            show_default=False,
        ),
    ] = None,
    sampler: Annotated[
        str,
        typer.Option(
            "--sampler",
            help="grid (every combination), lhs (Latin hypercube), sobol (scrambled Sobol') or "
            "random (uniform); the samplers draw --samples points, seeded by the scenario seed.",
        ),
    ] = "grid",
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples", min=1, help="Points drawn by lhs, sobol or random.", show_default=False
        ),
    ] = None,
    strategies: Annotated[
        str | None,
        typer.Option(
            "--strategies",
            metavar="A,B,...",
            help="Strategies run at every point (default: scenario.strategy). With two "
            "strategies and two parameters, a heatmap of the difference A - B is drawn.",
            show_default=False,
        ),
    ] = None,
    reps: RepsOpt = None,
    seed: SeedOpt = None,
    jobs: PlanJobsOpt = None,
    dask: DaskOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Sweep folder (default: out/ and the scenario file name plus -sweep). It must be "
            "new or empty, unless --resume.",
            show_default=False,
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Complete an interrupted sweep in --out (same command; refused if the scenario "
            "or the sweep spec changed).",
        ),
    ] = False,
    set_: SetOpt = None,
    metric: MetricOpt = "contribution",
    quiet: QuietOpt = False,
    force: ForceOpt = False,
) -> None:
    """Run strategies across a grid or sample of parameter values, saving points as they finish.

    Every point runs the same replications (common random numbers). The folder holds
    points.csv, results.csv (a row per point, strategy, replication and channel), summary.csv
    (mean and 95% CI per point and strategy), errors.csv, manifest.json and plots/. An
    interrupted sweep keeps its finished points: rerun the command with --resume.
    """
    scn = _load(scenario, set_)
    names = _strategy_list(scn, scenario, strategies)
    _planning_executor(jobs, dask)
    if not param:
        raise UsageError(
            Problem(
                str(scenario),
                "--param",
                "give at least one parameter, e.g. --param demand.leads_per_month=100:500:5",
            )
        )
    out_dir = out if out is not None else Path("out") / f"{scenario.stem}-sweep"
    from channelsim.budget import sweep_plan

    _check_plan_budget(
        scn,
        scenario,
        lambda base: sweep_plan(base, param, sampler, samples),
        names,
        reps,
        seed,
        jobs=jobs,
        force=force,
    )
    from channelsim.parameter_sweep import SweepStopped
    from channelsim.parameter_sweep import sweep as run_sweep

    runs_per_point = len(names or [scn.scenario.strategy]) * (reps or scn.scenario.replications)

    def on_start(todo: int, total: int) -> None:
        if quiet:
            return
        already = f" ({total - todo} already done)" if todo < total else ""
        print(
            f"sweep: {todo} of {total} points to run{already}, {runs_per_point} runs each "
            f"(strategies x replications), on {_where(jobs, dask)}",
            file=sys.stderr,
        )

    with _ProgressBar(enabled=not quiet, label="sweep: runs") as progress:
        try:
            result = run_sweep(
                scn,
                param,
                sampler=sampler,
                samples=samples,
                strategies=names,
                replications=reps,
                seed=seed,
                jobs=jobs,
                dask=dask,
                out=out_dir,
                resume=resume,
                metric=metric,
                progress=progress,
                on_start=on_start,
            )
        except ScenarioError as exc:
            raise exc.in_file(str(scenario)) from None
        except SweepStopped as exc:
            print(
                f"error: {exc}; {exc.done} of {exc.total} points are saved in {out_dir}: "
                "rerun the same command with --resume to finish",
                file=sys.stderr,
            )
            raise typer.Exit(EXIT_FAILURE) from None
        except KeyboardInterrupt:
            print(
                f"interrupted: the finished points are saved in {out_dir}; rerun the same "
                "command with --resume to finish",
                file=sys.stderr,
            )
            raise
    failed = result.failed_points
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if quiet:
        print(out_dir)
    else:
        done = len(result.points) - len(failed)
        print(
            f"sweep: {done} of {len(result.points)} points done in {result.run_seconds:.1f} s; "
            f"results in {out_dir}{os.sep} (points.csv, results.csv, summary.csv, manifest.json, "
            "plots/)"
        )
        best = _best_points(result.summary, result.spec.keys, metric, result.spec.strategies)
        for line in best:
            print(line)
    if failed:
        first = result.errors.iloc[0]
        print(
            f"error: {len(failed)} of {len(result.points)} points failed (first: point "
            f"{int(first['point'])}, {first['strategy']} replication {int(first['replication'])}:"
            f" {first['error']}); see {out_dir}{os.sep}errors.csv; --resume retries them",
            file=sys.stderr,
        )
        raise typer.Exit(EXIT_FAILURE)


def _best_points(
    summary: pd.DataFrame, keys: Sequence[str], metric: str, strategies: Sequence[str]
) -> list[str]:
    """One line per strategy: the point with the best mean ``metric``."""
    from channelsim.comparison import LOWER_IS_BETTER

    rows = summary[summary["metric"] == metric]
    lines = []
    for strategy in strategies:
        sel = rows[(rows["strategy"] == strategy) & rows["mean"].notna()]
        if sel.empty:
            continue
        pick = sel["mean"].idxmin() if metric in LOWER_IS_BETTER else sel["mean"].idxmax()
        row = sel.loc[pick]
        where = ", ".join(f"{k}={_short_value(row[k])}" for k in keys)
        cell = format_cell(metric, float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]))
        lines.append(f"best {metric} for {strategy}: {cell} at point {int(row['point'])} ({where})")
    return lines


def _short_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


@app.command()
def breakeven(
    scenario: ScenarioArg,
    param: Annotated[
        str,
        typer.Option(
            "--param",
            "-p",
            metavar="KEY",
            help="The key to vary, e.g. demand.leads_per_month or partners.VARs.discount.",
        ),
    ],
    low: Annotated[float, typer.Option("--low", help="Lower end of the search range.")],
    high: Annotated[float, typer.Option("--high", help="Upper end of the search range.")],
    metric: MetricOpt = "contribution",
    a: Annotated[str, typer.Option("--a", help="Strategy A.")] = "direct",
    b: Annotated[str, typer.Option("--b", help="Strategy B.")] = "indirect",
    channel: ChannelOpt = "total",
    reps: RepsOpt = None,
    seed: SeedOpt = None,
    scan: Annotated[
        int,
        typer.Option(
            "--scan", min=2, help="Values evaluated evenly across the range before root finding."
        ),
    ] = 5,
    set_: SetOpt = None,
    jobs: PlanJobsOpt = None,
    dask: DaskOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Output folder (default: out/ and the scenario file name plus -breakeven).",
            show_default=False,
        ),
    ] = None,
    quiet: QuietOpt = False,
    force: ForceOpt = False,
) -> None:
    """Find the value of one parameter at which strategy A's metric equals strategy B's.

    Both strategies run on the same replications at every value (common random numbers);
    brentq finds where the mean paired difference A - B crosses zero, and the 95% interval
    is where the difference's own interval contains zero. Writes breakeven.json and
    plots/breakeven.png. No crossing in the range is an answer (exit 0, value null).
    """
    scn = _load(scenario, set_)
    for name, option in ((a, "--a"), (b, "--b")):
        _check_strategy_name(scn, scenario, name, option=option)
    _planning_executor(jobs, dask)
    from channelsim.output import check_out_dir

    out_dir = out if out is not None else Path("out") / f"{scenario.stem}-breakeven"
    check_out_dir(Path(os.path.realpath(out_dir)))
    from channelsim.budget import breakeven_plan

    _check_plan_budget(
        scn,
        scenario,
        lambda base: breakeven_plan(base, param, low, high, scan),
        [a, b],
        reps,
        seed,
        jobs=jobs,
        force=force,
    )
    from channelsim.breakeven_search import breakeven as find_breakeven

    with _ProgressBar(enabled=not quiet, label="break-even: runs") as progress:
        try:
            result = find_breakeven(
                scn,
                param,
                low,
                high,
                metric=metric,
                a=a,
                b=b,
                channel=channel,
                replications=reps,
                seed=seed,
                scan=scan,
                jobs=jobs,
                dask=dask,
                progress=progress,
            )
        except ScenarioError as exc:
            raise exc.in_file(str(scenario)) from None
    result.save(out_dir)
    if quiet:
        print(out_dir)
        return
    print(result.message)
    print(
        f"{len(result.evaluations)} evaluations; results in {out_dir}{os.sep} (breakeven.json, "
        "plots/breakeven.png)"
    )


@app.command()
def sensitivity(
    scenario: ScenarioArg,
    metric: MetricOpt = "npv",
    strategy: StrategyOpt = None,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="tornado (one parameter at a time, low and high) or sobol (global variance "
            'shares with SALib: pip install "channelsim[sensitivity]").',
        ),
    ] = "tornado",
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="KEY=LO:HI",
            help="A parameter and its range (repeatable). Default: the scenario's key numeric "
            "assumptions at ±20% (see --spread).",
            show_default=False,
        ),
    ] = None,
    spread: Annotated[
        float | None,
        typer.Option(
            "--spread",
            help="Relative half-width of the default ranges (0.2: ±20%).",
            show_default=False,
        ),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            min=2,
            help="Sobol' base samples N, a power of 2 (default 64); the model runs at "
            "N x (parameters + 2) points.",
            show_default=False,
        ),
    ] = None,
    channel: ChannelOpt = "total",
    reps: RepsOpt = None,
    seed: SeedOpt = None,
    set_: SetOpt = None,
    jobs: PlanJobsOpt = None,
    dask: DaskOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Output folder (default: out/ and the scenario file name plus -sensitivity).",
            show_default=False,
        ),
    ] = None,
    quiet: QuietOpt = False,
    force: ForceOpt = False,
) -> None:
    """Which assumption moves the answer most: a tornado chart or Sobol' indices.

    Writes sensitivity.csv and plots/tornado.png or plots/sobol.png. Every point runs the
    same replications (common random numbers).
    """
    scn = _load(scenario, set_)
    name = _check_strategy_name(scn, scenario, strategy)
    _planning_executor(jobs, dask)
    from channelsim.output import check_out_dir

    out_dir = out if out is not None else Path("out") / f"{scenario.stem}-sensitivity"
    check_out_dir(Path(os.path.realpath(out_dir)))
    from channelsim.budget import sensitivity_plan

    _check_plan_budget(
        scn,
        scenario,
        lambda base: sensitivity_plan(base, name, method, param, spread, samples),
        [name],
        reps,
        seed,
        jobs=jobs,
        force=force,
    )
    from channelsim.sensitivity_analysis import sensitivity as analyse

    with _ProgressBar(enabled=not quiet, label=f"sensitivity ({method}): runs") as progress:
        try:
            result = analyse(
                scn,
                metric=metric,
                strategy=name,
                method=method,
                params=param,
                spread=spread,
                samples=samples,
                replications=reps,
                seed=seed,
                channel=channel,
                jobs=jobs,
                dask=dask,
                progress=progress,
            )
        except ScenarioError as exc:
            raise exc.in_file(str(scenario)) from None
    result.save(out_dir)
    if quiet:
        print(out_dir)
        return
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    table = result.table
    if result.method == "tornado":
        print(f"{metric} ({name}, {result.replications} replications), largest swing first:")
        for row in table.itertuples(index=False):
            print(
                f"  {row.param}: {_short_value(row.low)} -> {_short_value(row.high)}: "
                f"{format_cell(metric, row.metric_low, math.nan, math.nan)} to "
                f"{format_cell(metric, row.metric_high, math.nan, math.nan)} "
                f"(swing {format_cell(metric, row.swing, math.nan, math.nan)})"
            )
    else:
        print(f"Sobol' indices of {metric} ({name}), largest total index first:")
        for row in table.itertuples(index=False):
            print(
                f"  {row.param}: first order {row.S1:.3f} [{row.S1_ci_low:.3f}, "
                f"{row.S1_ci_high:.3f}], total {row.ST:.3f} [{row.ST_ci_low:.3f}, "
                f"{row.ST_ci_high:.3f}]"
            )
    print(f"{result.points} points; results in {out_dir}{os.sep} (sensitivity.csv, plots/)")


# --- helpers ---------------------------------------------------------------------------------


def _load(path: Path, overrides: list[str] | None) -> Scenario:
    from channelsim.scenario import load_scenario

    return load_scenario(path, list(overrides or []))


def _check_budget(
    scn: Scenario,
    path: Path,
    strategies: list[str],
    reps: int | None,
    *,
    elasticity: bool = False,
    jobs: int | None,
    force: bool,
) -> None:
    """Refuse a run whose estimated size exceeds the event budget (``--force`` skips it)."""
    from channelsim.budget import check_budget

    try:
        check_budget(
            scn,
            strategies,
            reps if reps is not None else scn.scenario.replications,
            elasticity,
            file=str(path),
            jobs=jobs or os.cpu_count() or 1,
            force=force,
        )
    except ScenarioError as exc:
        raise exc.in_file(str(path)) from None


def _check_plan_budget(
    scn: Scenario,
    path: Path,
    make_plan: Callable[[Scenario], Plan],
    strategies: list[str] | None,
    reps: int | None,
    seed: int | None,
    *,
    jobs: int | None,
    force: bool,
) -> None:
    """Refuse a planner's command whose estimated size exceeds the event budget.

    The plan is worked out from the scenario as the command will see it (its replications and
    seed applied). A problem with it (a bad ``--param``, an unknown method, an empty range) is
    left to the command, which reports it in its own words before any work starts. ``--force``
    skips the check, and the work of planning.
    """
    if force:
        return
    from channelsim.budget import check_plan
    from channelsim.experiment import prepare

    try:
        base, names = prepare(scn, strategies, reps, seed)
        plan = make_plan(base)
    except ScenarioError:
        return
    try:
        check_plan(
            base,
            plan,
            names,
            base.scenario.replications,
            file=str(path),
            jobs=jobs or os.cpu_count() or 1,
        )
    except ScenarioError as exc:
        raise exc.in_file(str(path)) from None


def _check_strategy_name(
    scn: Scenario, path: Path, strategy: str | None, option: str = "--strategy"
) -> str:
    """The strategy to run; an unknown ``--strategy`` is a usage error with a suggestion."""
    if strategy is None:
        return scn.scenario.strategy
    names = list(scn.strategy_names())
    if strategy in names:
        return strategy
    import difflib

    close = difflib.get_close_matches(strategy, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UsageError(
        Problem(
            str(path),
            option,
            f"unknown strategy {strategy!r}{hint}; this scenario has: {', '.join(names)}",
        )
    )


class _ProgressBar:
    """A transient rich progress bar on stderr, or a no-op when disabled or not a terminal."""

    def __init__(self, *, enabled: bool, label: str) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.label = label
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Callable[[int, int], None] | None:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(self.label, total=None)
        return self._update

    def _update(self, done: int, total: int) -> None:
        self._progress.update(self._task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def _stdout_console() -> Console:
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:  # piped to a file or a log: do not squeeze the table into 80
        console = Console(highlight=False, width=200)
    return console


# --- the summary table -----------------------------------------------------------------------

KEY_METRICS: tuple[str, ...] = (
    "sales",
    "revenue",
    "net_revenue",
    "gross_margin",
    "channel_cost",
    "contribution",
    "contribution_margin",
    "cost_per_sale",
    "variable_cost_share",
    "lost_lead_share",
    "months_to_target",
    "npv",
    "payback_month",
    "headcount_end",
    "partners_active_end",
    "reputation_end",
)
"""Rows of the summary table printed by ``run`` (every metric is in summary.csv)."""

_CURRENCY = CURRENCY_METRICS
_SHARES = SHARE_METRICS
_MONTHS = MONTH_METRICS
_INDEX = {"reputation_end", "cost_elasticity"}
_UNDEFINED = UNDEFINED_LABELS
_ACTIVITY = ACTIVITY_METRICS


def format_cell(metric: str, mean: float, ci_low: float, ci_high: float) -> str:
    """Format ``mean ± half-width of the confidence interval`` in the metric's unit.

    Currency gets thousands separators and no decimals, shares are percentages, months and
    counts plain numbers, the reputation index three decimals. Without an interval (fewer than
    two replications) only the mean is shown.

    Args:
        metric: a summary metric name.
        mean: the mean over replications (NaN when undefined in every replication).
        ci_low: lower end of the 95% interval (NaN when there is none).
        ci_high: upper end of the 95% interval.

    Returns:
        The cell text, e.g. ``"1,234,567 ± 45,678"``, ``"23.4% ± 1.2%"`` or ``"never"``.
    """
    if not math.isfinite(mean):
        return _UNDEFINED.get(metric, "-")
    half = (ci_high - ci_low) / 2 if math.isfinite(ci_low) and math.isfinite(ci_high) else None
    unit, scale = "", 1.0
    if metric in _SHARES:
        unit, scale, spec = "%", 100.0, ".1f"
    elif metric in _CURRENCY:
        spec = ",.0f"
    elif metric in _INDEX:
        spec = ".3f"
    elif metric in _MONTHS:
        spec = ",.1f"
    else:  # counts: a decimal while small, so 0.3 sales a month does not read as 0
        spec = ",.1f" if abs(mean) < 100 else ",.0f"
    text = f"{_no_negative_zero(mean * scale):{spec}}{unit}"
    if half is not None:
        text += f" ± {_no_negative_zero(half * scale):{spec}}{unit}"
    return text


def _no_negative_zero(x: float) -> float:
    return x + 0.0


def summary_tables(result: RunResult) -> list[Any]:
    """One rich table per strategy: key metrics by channel, ``mean ± 95% CI half-width``.

    Channels with no activity at all (e.g. ``direct`` under the indirect strategy) are left out.

    Args:
        result: what ``simulate`` returned.

    Returns:
        A list of ``rich.table.Table``.
    """
    from rich.markup import escape
    from rich.table import Table

    summary = result.summary
    scenario = result.scenario.scenario
    reps = int(result.meta.get("replications", scenario.replications))
    tables = []
    for strategy in result.strategies:
        rows = summary[summary.strategy == strategy]
        channels = [c for c in dict.fromkeys(rows.channel) if c == "total" or _active(rows, c)]
        seed = result.meta.get("seed", scenario.seed)
        table = Table(
            title=f"{escape(scenario.name)}\nstrategy {escape(strategy)}: {reps} replications, "
            f"seed {seed}, {scenario.horizon_months} months",
            caption="mean ± half-width of the 95% confidence interval; "
            f"(k/{reps}): defined in only k of the {reps} replications",
        )
        table.add_column("metric", style="bold")
        for channel in channels:
            table.add_column(escape(channel), justify="right")
        cells = {(r.channel, r.metric): r for r in rows.itertuples(index=False)}
        for metric in KEY_METRICS:
            line = [metric]
            for channel in channels:
                r = cells.get((channel, metric))
                if r is None:
                    line.append("")
                    continue
                text = format_cell(metric, float(r.mean), float(r.ci_low), float(r.ci_high))
                if 0 < int(r.n) < reps:
                    text += f" ({int(r.n)}/{reps})"
                line.append(text)
            table.add_row(*line)
        tables.append(table)
    return tables


COMPARE_METRICS: tuple[str, ...] = (
    "sales",
    "revenue",
    "contribution",
    "contribution_margin",
    "cost_per_sale",
    "variable_cost_share",
    "cost_elasticity",
    "lost_lead_share",
    "months_to_target",
    "payback_month",
    "npv",
    "reputation_end",
)
"""Rows of the table printed by ``compare`` (channel total)."""


def comparison_table(result: RunResult) -> Any:
    """A rich table of key metrics for channel ``total``, one column per strategy."""
    from rich.markup import escape
    from rich.table import Table

    summary = result.summary
    total = summary[summary.channel == "total"]
    meta = result.scenario.scenario
    reps = int(result.meta.get("replications", meta.replications))
    table = Table(
        title=f"{escape(meta.name)}\n{reps} replications, seed {meta.seed}, "
        f"{meta.horizon_months} months, all channels",
        caption="mean ± half-width of the 95% confidence interval",
    )
    table.add_column("metric", style="bold")
    for strategy in result.strategies:
        table.add_column(escape(strategy), justify="right")
    cells = {(r.strategy, r.metric): r for r in total.itertuples(index=False)}
    for metric in COMPARE_METRICS:
        row = [metric]
        for strategy in result.strategies:
            r = cells.get((strategy, metric))
            if r is None:
                row.append("")
                continue
            text = format_cell(metric, float(r.mean), float(r.ci_low), float(r.ci_high))
            if 0 < int(r.n) < reps:
                text += f" ({int(r.n)}/{reps})"
            row.append(text)
        table.add_row(*row)
    return table


def _active(rows: pd.DataFrame, channel: str) -> bool:
    sel = rows[(rows.channel == channel) & rows.metric.isin(_ACTIVITY)]
    return bool((sel["mean"].fillna(0) != 0).any())


# --- entry point -----------------------------------------------------------------------------


def _is_click_error(exc: BaseException) -> bool:
    """A usage error raised by typer's argument parser (vendored click or click itself)."""
    return callable(getattr(exc, "format_message", None)) and isinstance(
        getattr(exc, "exit_code", None), int
    )


def _usage_line(exc: Any) -> str:
    message = " ".join(str(exc.format_message()).split())
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return f"error: {message}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code (0 ok, 1 unexpected failure, 2 bad input).

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        The process exit code.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        args = ["--help"]
    command = typer.main.get_command(app)
    try:
        rv = command.main(args=args, prog_name="channelsim", standalone_mode=False)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (KeyboardInterrupt, typer.Abort):
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if _is_click_error(exc):
            print(_usage_line(exc), file=sys.stderr)
            return int(exc.exit_code)  # type: ignore[attr-defined]
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            traceback.print_exc()
        message = " ".join(str(exc).split())
        print(
            f"error: unexpected failure: {type(exc).__name__}: {message} "
            f"(set {DEBUG_ENV}=1 for the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    if rv == EXIT_INTERRUPTED:  # typer turns Ctrl-C into Exit(130)
        print("error: interrupted", file=sys.stderr)
    return rv if isinstance(rv, int) else EXIT_OK
