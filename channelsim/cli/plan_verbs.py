"""The planners' verbs: ``sweep``, ``breakeven`` and ``sensitivity``.

Each builds its plan and its work and hands both to the one pipeline
(:func:`channelsim.cli.common.run_planner`), which checks the flags and the event budget,
shows progress and runs the work; the verb then saves and prints its answer.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from channelsim.cli.common import (
    EXIT_FAILURE,
    check_executor,
    check_strategy_name,
    load,
    run_planner,
    short_value,
    strategy_list,
    where,
)
from channelsim.cli.options import (
    DEFAULT_METRIC,
    BreakevenOutOpt,
    ChannelOpt,
    DaskOpt,
    ForceOpt,
    MetricOpt,
    PlanJobsOpt,
    QuietOpt,
    RepsOpt,
    ScenarioArg,
    SeedOpt,
    SensitivityOutOpt,
    SetOpt,
    StrategyOpt,
    SweepOutOpt,
    SweepResumeOpt,
)
from channelsim.errors import Problem, UsageError
from channelsim.metrics.formatting import format_estimate

if TYPE_CHECKING:
    from channelsim.planning.options import RunOptions
    from channelsim.planning.sweep import SweepResult

__all__ = ["breakeven", "sensitivity", "sweep"]


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
    out: SweepOutOpt = None,
    resume: SweepResumeOpt = False,
    set_: SetOpt = None,
    metric: MetricOpt = DEFAULT_METRIC,
    quiet: QuietOpt = False,
    force: ForceOpt = False,
) -> None:
    """Run strategies across a grid or sample of parameter values, saving points as they finish.

    Every point runs the same replications (common random numbers). The folder holds
    points.csv, results.csv (a row per point, strategy, replication and channel), summary.csv
    (mean and 95% CI per point and strategy), with two strategies differences.csv (their
    paired difference), errors.csv, results.xlsx, manifest.json and plots/. A best point is
    named only when its paired intervals tell it apart from every other point. An
    interrupted sweep keeps its finished points: rerun the command with --resume.
    """
    scn = load(scenario, set_)
    names = strategy_list(scn, scenario, strategies)
    if not param:
        raise UsageError(
            Problem(
                str(scenario),
                "--param",
                "give at least one parameter, e.g. --param demand.leads_per_month=100:500:5",
            )
        )
    out_dir = out if out is not None else Path("out") / f"{scenario.stem}-sweep"
    from channelsim.planning.sweep import SweepStopped, sweep_plan
    from channelsim.planning.sweep import sweep as run_sweep

    runs_per_point = len(names or [scn.scenario.strategy]) * (reps or scn.scenario.replications)

    def on_start(todo: int, total: int) -> None:
        if quiet:
            return
        already = f" ({total - todo} already done)" if todo < total else ""
        print(
            f"sweep: {todo} of {total} points to run{already}, {runs_per_point} runs each "
            f"(strategies x replications), on {where(jobs, dask)}",
            file=sys.stderr,
        )

    def work(options: RunOptions) -> SweepResult:
        try:
            return run_sweep(
                scn,
                param,
                sampler=sampler,
                samples=samples,
                strategies=names,
                metric=metric,
                out=out_dir,
                resume=resume,
                on_start=on_start,
                options=options,
            )
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

    result = run_planner(
        scenario,
        scn,
        strategies=names,
        reps=reps,
        seed=seed,
        jobs=jobs,
        dask=dask,
        force=force,
        quiet=quiet,
        plan=lambda base: sweep_plan(base, param, sampler, samples),
        label="sweep: runs",
        work=work,
    )
    failed = result.failed_points
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if quiet:
        print(out_dir)
    else:
        from channelsim.outputs.files import DIFFERENCES_CSV
        from channelsim.outputs.xlsx import RESULTS_XLSX

        done = len(result.points) - len(failed)
        # only what was written: no differences without two strategies, no workbook too big
        extra = [n for n in (DIFFERENCES_CSV, RESULTS_XLSX) if (Path(out_dir) / n).is_file()]
        print(
            f"sweep: {done} of {len(result.points)} points done in {result.run_seconds:.1f} s; "
            f"results in {out_dir}{os.sep} (points.csv, results.csv, summary.csv, "
            f"{''.join(f'{n}, ' for n in extra)}manifest.json, plots/)"
        )
        for line in result.best_sentences(metric):
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
    metric: MetricOpt = DEFAULT_METRIC,
    a: Annotated[str, typer.Option("--a", help="Strategy A.")] = "direct",
    b: Annotated[
        str,
        typer.Option(
            "--b",
            help="Strategy B, or none: find where strategy A's metric crosses zero (e.g. "
            "where a program's contribution turns positive as its commission falls).",
        ),
    ] = "indirect",
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
    out: BreakevenOutOpt = None,
    quiet: QuietOpt = False,
    force: ForceOpt = False,
) -> None:
    """Find the value of one parameter at which strategy A's metric equals strategy B's.

    Both strategies run on the same replications at every value (common random numbers);
    brentq finds where the mean paired difference A - B crosses zero, and the 95% interval
    is where the difference's own interval contains zero. With --b none it finds where A's
    metric itself crosses zero. Writes breakeven.json, results.xlsx and plots/breakeven.png.
    No crossing in the range is an answer (exit 0, value null).
    """
    scn = load(scenario, set_)
    from channelsim.planning.breakeven import NONE

    strategy_b = None if b == NONE else b
    if strategy_b is None and NONE in scn.strategy_names():
        raise UsageError(
            Problem(
                str(scenario),
                "--b",
                f"--b {NONE} means 'against zero', and this scenario also names a strategy "
                f"{NONE!r}: rename that strategy to compare with it",
            )
        )
    for name, option in ((a, "--a"), (strategy_b, "--b")):
        if name is not None:
            check_strategy_name(scn, scenario, name, option=option)
    check_executor(jobs, dask)
    from channelsim.outputs.files import check_out_dir

    out_dir = out if out is not None else Path("out") / f"{scenario.stem}-breakeven"
    check_out_dir(Path(os.path.realpath(out_dir)), "breakeven")
    from channelsim.planning.breakeven import breakeven as find_breakeven
    from channelsim.planning.breakeven import breakeven_plan

    result = run_planner(
        scenario,
        scn,
        strategies=[a] if strategy_b is None else [a, strategy_b],
        reps=reps,
        seed=seed,
        jobs=jobs,
        dask=dask,
        force=force,
        quiet=quiet,
        plan=lambda base: breakeven_plan(base, param, low, high, scan),
        label="break-even: runs",
        work=lambda options: find_breakeven(
            scn,
            param,
            low,
            high,
            metric=metric,
            a=a,
            b=strategy_b,
            channel=channel,
            scan=scan,
            options=options,
        ),
    )
    result.save(out_dir)
    if quiet:
        print(out_dir)
        return
    print(result.message)
    print(
        f"{len(result.evaluations)} evaluations; results in {out_dir}{os.sep} (breakeven.json, "
        "results.xlsx, plots/breakeven.png)"
    )


def sensitivity(
    scenario: ScenarioArg,
    metric: MetricOpt = DEFAULT_METRIC,
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
    ranges_file: Annotated[
        Path | None,
        typer.Option(
            "--ranges",
            metavar="FILE",
            help="TOML file with a [sensitivity] ranges table, e.g. the fitted intervals "
            "that calibrate writes (calibration/sensitivity-ranges.toml); adds to --param.",
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
    out: SensitivityOutOpt = None,
    quiet: QuietOpt = False,
    force: ForceOpt = False,
) -> None:
    """Which assumption moves the answer most: a tornado chart or Sobol' indices.

    Writes sensitivity.csv, results.xlsx and plots/tornado.png or plots/sobol.png. Every point
    runs the same replications (common random numbers).
    """
    scn = load(scenario, set_)
    name = check_strategy_name(scn, scenario, strategy)
    check_executor(jobs, dask)
    from channelsim.outputs.files import check_out_dir

    if ranges_file is not None:
        from channelsim.planning.ranges import read_ranges_file

        param = [*(param or []), *read_ranges_file(ranges_file)]
    out_dir = out if out is not None else Path("out") / f"{scenario.stem}-sensitivity"
    check_out_dir(Path(os.path.realpath(out_dir)), "sensitivity")
    from channelsim.planning.sensitivity import sensitivity as analyse
    from channelsim.planning.sensitivity import sensitivity_plan

    result = run_planner(
        scenario,
        scn,
        strategies=[name],
        reps=reps,
        seed=seed,
        jobs=jobs,
        dask=dask,
        force=force,
        quiet=quiet,
        plan=lambda base: sensitivity_plan(base, name, method, param, spread, samples),
        label=f"sensitivity ({method}): runs",
        work=lambda options: analyse(
            scn,
            metric=metric,
            strategy=name,
            method=method,
            params=param,
            spread=spread,
            samples=samples,
            channel=channel,
            options=options,
        ),
    )
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
                f"  {row.param}: {short_value(row.low)} -> {short_value(row.high)}: "
                f"{format_estimate(metric, row.metric_low, math.nan, math.nan)} to "
                f"{format_estimate(metric, row.metric_high, math.nan, math.nan)} "
                f"(swing {format_estimate(metric, row.swing, math.nan, math.nan)})"
            )
    else:
        print(f"Sobol' indices of {metric} ({name}), largest total index first:")
        for row in table.itertuples(index=False):
            print(
                f"  {row.param}: first order {row.S1:.3f} [{row.S1_ci_low:.3f}, "
                f"{row.S1_ci_high:.3f}], total {row.ST:.3f} [{row.ST_ci_low:.3f}, "
                f"{row.ST_ci_high:.3f}]"
            )
    print(
        f"{result.points} points; results in {out_dir}{os.sep} (sensitivity.csv, results.xlsx, "
        "plots/)"
    )


# --- helpers ---------------------------------------------------------------------------------
