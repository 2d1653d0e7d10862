"""The ``channelsim`` command line: run, compare, report, validate, schema.

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

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

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
    int,
    typer.Option("--jobs", "-j", min=1, help="Worker processes (results do not depend on it)."),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="No progress bar and no summary table; print only the output folder."
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
    jobs: JobsOpt = 1,
    quiet: QuietOpt = False,
) -> None:
    """Simulate one strategy of a scenario and write its output folder.

    The folder holds scenario.resolved.toml (rerun it to reproduce the results), summary.csv,
    summary.json, monthly.csv and run.json (date and run time). A summary table with 95%
    confidence intervals is printed.
    """
    scn = _load(scenario, set_)
    name = _check_strategy_name(scn, scenario, strategy)
    from channelsim.output import check_out_dir

    out_dir = out if out is not None else Path("out") / scenario.stem
    check_out_dir(Path(os.path.realpath(out_dir)))  # refuse a bad --out before the long part

    from channelsim.experiment import simulate

    with _ProgressBar(enabled=not quiet, label=f"{name}: replications") as progress:
        try:
            result = simulate(scn, name, replications=reps, seed=seed, jobs=jobs, progress=progress)
        except ScenarioError as exc:
            raise exc.in_file(str(scenario)) from None
    result.save(out_dir)

    if quiet:
        print(out_dir)
        return
    console = _stdout_console()
    for table in summary_tables(result):
        console.print(table)
    console.print(
        f"Results in {out_dir}{os.sep} (scenario.resolved.toml, summary.csv, summary.json, "
        "monthly.csv; run.json has the date and run time)",
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
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Worker processes (default: all cores; results do not depend on it).",
            show_default=False,
        ),
    ] = None,
    no_elasticity: Annotated[
        bool,
        typer.Option(
            "--no-elasticity",
            help="Skip the 0.9x / 1.1x demand reruns that measure cost_elasticity (3x faster).",
        ),
    ] = False,
    quiet: QuietOpt = False,
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


# --- helpers ---------------------------------------------------------------------------------


def _load(path: Path, overrides: list[str] | None) -> Scenario:
    from channelsim.scenario import load_scenario

    return load_scenario(path, list(overrides or []))


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

_CURRENCY = {
    "revenue",
    "net_revenue",
    "gross_margin",
    "channel_cost",
    "contribution",
    "cost_per_sale",
    "npv",
}
_SHARES = {"contribution_margin", "variable_cost_share", "lost_lead_share"}
_MONTHS = {"months_to_target", "payback_month"}
_INDEX = {"reputation_end", "cost_elasticity"}
_UNDEFINED = {
    "months_to_target": "not reached",
    "payback_month": "never",
    "cost_per_sale": "no sales",
}
_ACTIVITY = ("leads", "sales", "channel_cost", "headcount_end", "partners_active_end")


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
