"""The deciding verbs: ``optimize`` (the best mix) and ``voi`` (what to find out first).

Both are planners: they build their plan and their work and hand both to
:func:`channelsim.cli.common.run_planner` (flags, the event budget, progress), save as they go
in a folder that ``--resume`` completes, and print their answer in one sentence.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from channelsim.cli.common import (
    EXIT_FAILURE,
    check_strategy_name,
    load,
    run_planner,
    strategy_list,
    where,
)
from channelsim.cli.options import (
    DEFAULT_METRIC,
    METRICS_HINT,
    DaskOpt,
    ForceOpt,
    OptimizeOutOpt,
    PlanJobsOpt,
    QuietOpt,
    RepsOpt,
    ResumeOpt,
    ScenarioArg,
    SeedOpt,
    SetOpt,
    StrategyOpt,
    VoiOutOpt,
)
from channelsim.metrics.formatting import format_interval, format_number

if TYPE_CHECKING:
    from channelsim.planning.optimize import OptimizeResult
    from channelsim.planning.options import RunOptions
    from channelsim.planning.voi import VoiResult

__all__ = ["optimize", "voi"]

ObjectiveOpt = Annotated[
    str,
    typer.Option(
        "--objective",
        metavar="METRIC[@CHANNEL]",
        help="The metric to optimise (better direction from the catalogue), on channel total "
        f"unless @CHANNEL, e.g. npv, contribution@direct ({METRICS_HINT}).",
    ),
]


def _interrupted(out_dir: Path, what: str) -> None:
    print(
        f"interrupted: the finished {what} are saved in {out_dir}; rerun the same command with "
        "--resume to finish",
        file=sys.stderr,
    )


def optimize(
    scenario: ScenarioArg,
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var",
            "-v",
            metavar="KEY=LO:HI",
            help="A decision variable and its range, repeatable: any numeric key, e.g. "
            "routing.direct_share=0:1, direct.max_reps=5:40 (whole-number keys stay whole).",
            show_default=False,
        ),
    ] = None,
    strategy: StrategyOpt = None,
    objective: ObjectiveOpt = DEFAULT_METRIC,
    risk: Annotated[
        str,
        typer.Option(
            "--risk",
            help="What to optimise of the objective over replications: mean, cvar:ALPHA (the "
            "mean of the worst ALPHA share, e.g. cvar:0.1) or p_loss (the chance of a value "
            "below 0, minimised).",
        ),
    ] = "mean",
    constraint: Annotated[
        list[str] | None,
        typer.Option(
            "--constraint",
            "-c",
            metavar="METRIC<=X|METRIC>=X",
            help="A bound on the mean of a metric over replications (METRIC@CHANNEL allowed), "
            "repeatable, e.g. lost_lead_share@direct<=0.1 (metric names: channelsim metrics).",
            show_default=False,
        ),
    ] = None,
    evaluations: Annotated[
        int | None,
        typer.Option(
            "--evaluations",
            "-n",
            min=1,
            help="Candidates the search may simulate (default 60 per variable; at least two "
            "generations of 10 per variable).",
            show_default=False,
        ),
    ] = None,
    reps: RepsOpt = None,
    seed: SeedOpt = None,
    set_: SetOpt = None,
    jobs: PlanJobsOpt = None,
    dask: DaskOpt = None,
    out: OptimizeOutOpt = None,
    resume: ResumeOpt = False,
    quiet: QuietOpt = False,
    force: ForceOpt = False,
) -> None:
    """Find the mix that optimises a metric: shares, headcounts, partner counts.

    Every candidate runs the same replications (common random numbers) and scipy's
    differential evolution searches the box of the --var ranges. The chosen values and the
    base scenario are then simulated again on fresh replications, which give every reported
    number (no optimiser's curse). Writes optimum.json, evaluations.csv, results.xlsx and
    plots/; the
    evaluations are saved as they finish, so --resume completes an interrupted search.
    """
    scn = load(scenario, set_)
    name = check_strategy_name(scn, scenario, strategy)
    out_dir = out if out is not None else Path("out") / f"{scenario.stem}-optimize"
    from channelsim.planning.optimize import optimize as search
    from channelsim.planning.optimize import optimize_plan

    runs = reps or scn.scenario.replications

    def on_start(already: int, total: int) -> None:
        if not quiet:
            done = f" ({already} already done)" if already else ""
            print(
                f"optimize: up to {total} candidates{done} + 2 confirmations, {runs} "
                f"replications each, on {where(jobs, dask)}",
                file=sys.stderr,
            )

    def work(options: RunOptions) -> OptimizeResult:
        try:
            return search(
                scn,
                var or [],
                strategy=name,
                objective=objective,
                risk=risk,
                constraints=constraint or [],
                evaluations=evaluations,
                out=out_dir,
                resume=resume,
                on_start=on_start,
                options=options,
            )
        except KeyboardInterrupt:
            _interrupted(out_dir, "evaluations")
            raise

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
        plan=lambda base: optimize_plan(base, var or [], name, evaluations),
        label="optimize: runs",
        work=work,
    )
    if quiet:
        print(out_dir)
        return
    print(result.message)
    searched = int((result.evaluations["stage"] == "search").sum())
    print(
        f"{searched} candidates searched, chosen and base confirmed on fresh replications; "
        f"results in {out_dir}{os.sep} (optimum.json, evaluations.csv, results.xlsx, plots/)"
    )


def voi(
    scenario: ScenarioArg,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="KEY=LO:HI[:DIST]",
            help="An uncertain input and its range, repeatable: uniform by default, or "
            "KEY=LO:HI:triangular (peak mid-range) or KEY=LO:HI:triangular:MODE.",
            show_default=False,
        ),
    ] = None,
    ranges: Annotated[
        Path | None,
        typer.Option(
            "--ranges",
            metavar="FILE",
            help='A TOML or JSON file of ranges, {"key": [low, high]} (e.g. written by '
            "channelsim calibrate); --param overrides it key by key.",
            show_default=False,
        ),
    ] = None,
    strategies: Annotated[
        str | None,
        typer.Option(
            "--strategies",
            metavar="A,B,...",
            help="The strategies to choose between (default: all, as compare).",
            show_default=False,
        ),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            min=8,
            help="Latin hypercube samples of the uncertain inputs (default 64).",
            show_default=False,
        ),
    ] = None,
    objective: ObjectiveOpt = DEFAULT_METRIC,
    reps: RepsOpt = None,
    seed: SeedOpt = None,
    set_: SetOpt = None,
    jobs: PlanJobsOpt = None,
    dask: DaskOpt = None,
    out: VoiOutOpt = None,
    resume: ResumeOpt = False,
    quiet: QuietOpt = False,
    force: ForceOpt = False,
) -> None:
    """Which assumption is worth finding out before choosing a strategy (EVPI and EVPPI).

    The named inputs are sampled over their ranges and every strategy runs at every sample
    on common random numbers. Reports the chance that each strategy is best, the expected
    loss of choosing each, the expected value of perfect information (EVPI) and, per input,
    of perfect information on it alone (EVPPI, the regression method of Strong, Oakley and
    Brennan 2014), each with a 95% bootstrap interval. Writes voi.json, voi.csv,
    results.xlsx, plots/voi.png and the sweep's files; --resume completes an interrupted
    analysis.
    """
    scn = load(scenario, set_)
    names = strategy_list(scn, scenario, strategies) or [
        s for s in scn.strategy_names() if s != "indirect" or scn.partners
    ]
    out_dir = out if out is not None else Path("out") / f"{scenario.stem}-voi"
    from channelsim.planning.store import SweepStopped
    from channelsim.planning.voi import voi as analyse
    from channelsim.planning.voi import voi_plan

    def on_start(todo: int, total: int) -> None:
        if not quiet:
            already = f" ({total - todo} already done)" if todo < total else ""
            print(
                f"voi: {todo} of {total} samples to run{already}, every strategy x "
                f"{reps or scn.scenario.replications} replications each, on {where(jobs, dask)}",
                file=sys.stderr,
            )

    def work(options: RunOptions) -> VoiResult:
        try:
            return analyse(
                scn,
                param,
                strategies=names,
                samples=samples,
                objective=objective,
                ranges=ranges,
                out=out_dir,
                resume=resume,
                on_start=on_start,
                options=options,
            )
        except SweepStopped as exc:
            print(
                f"error: {exc}; {exc.done} of {exc.total} samples are saved in {out_dir}: rerun "
                "the same command with --resume to finish",
                file=sys.stderr,
            )
            raise typer.Exit(EXIT_FAILURE) from None
        except KeyboardInterrupt:
            _interrupted(out_dir, "samples")
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
        plan=lambda base: voi_plan(base, param, samples, ranges),
        label="voi: runs",
        work=work,
    )
    if quiet:
        print(out_dir)
        return
    print(result.message)
    metric = result.spec.objective.metric

    def cell(value: float, low: float, high: float) -> str:
        interval = format_interval(metric, low, high).replace("\u2212", "-")
        return f"{format_number(metric, value)} (95% CI {interval or '-'})"

    for row in result.params_table.itertuples(index=False):
        print(f"  EVPPI {row.param}: {cell(row.evppi, row.ci_low, row.ci_high)}")
    e = result.estimates.evpi
    print(f"  EVPI (all of them): {cell(e.value, e.ci_low, e.ci_high)}")
    print(
        f"{result.spec.samples} samples; results in {out_dir}{os.sep} (voi.json, voi.csv, "
        "results.xlsx, plots/)"
    )
