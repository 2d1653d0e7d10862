"""The ``calibrate`` verb: a CRM export in, a calibrated scenario and its evidence out."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated

import typer

from channelsim.cli.common import load
from channelsim.cli.options import JobsOpt, QuietOpt, SetOpt
from channelsim.errors import Problem, ScenarioError, UsageError

__all__ = ["calibrate"]


def calibrate(
    deals: Annotated[
        Path,
        typer.Argument(metavar="DEALS.csv", help="CRM export of opportunities, one row per deal."),
    ],
    base: Annotated[
        Path | None,
        typer.Option(
            "--base",
            metavar="SCENARIO",
            help="Scenario whose other keys (costs, fees, hiring) the calibrated one keeps "
            "(default: the schema's defaults).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Calibrated scenario to write; the calibration/ folder goes beside it "
            "(default: out/ and the export's name, e.g. out/deals/calibrated.toml).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="Column names and outcome values of the export: canonical (created, closed, "
            "stage, amount, owner, channel, segment, source), salesforce or hubspot.",
        ),
    ] = "canonical",
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="FIELD=COLUMN",
            help="Read a field from another column, e.g. --map owner='Opportunity Owner' "
            "(repeatable).",
            show_default=False,
        ),
    ] = None,
    won: Annotated[
        list[str] | None,
        typer.Option(
            "--won",
            metavar="VALUE",
            help="A stage value that means won (repeatable).",
            show_default=False,
        ),
    ] = None,
    lost: Annotated[
        list[str] | None,
        typer.Option(
            "--lost",
            metavar="VALUE",
            help="A stage value that means lost (repeatable); other stages are open.",
            show_default=False,
        ),
    ] = None,
    date_format: Annotated[
        str | None,
        typer.Option(
            "--date-format",
            metavar="FORMAT",
            help="strptime format of non-ISO dates, e.g. %m/%d/%Y.",
            show_default=False,
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="The export date: open deals are censored there and the simulation "
            "starts there (default: the latest date in the file).",
            show_default=False,
        ),
    ] = None,
    stale_after: Annotated[
        float | None,
        typer.Option(
            "--stale-after",
            metavar="DAYS",
            help="Count open deals older than this as lost at that age (default: twice "
            "the longest closed cycle of the channel; inf keeps them open).",
            show_default=False,
        ),
    ] = None,
    backtest: Annotated[
        bool,
        typer.Option(
            "--backtest",
            help="Also simulate the history window and compare the "
            "actual monthly won deals and revenue with the simulated band.",
        ),
    ] = False,
    backtest_reps: Annotated[
        int,
        typer.Option("--backtest-reps", min=2, help="Replications of the back-test."),
    ] = 40,
    set_: SetOpt = None,
    jobs: JobsOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Fit a scenario to a CRM export: leads, win rates, deal sizes, cycles, sellers.

    Writes the calibrated scenario (each fitted key commented with n, its 95% interval and the
    method) and a calibration/ folder beside it: fit.json, sensitivity-ranges.toml,
    initial_state.json, plots/ and calibration.html (and backtest.csv with --backtest).
    """
    if stale_after is not None and not stale_after > 0:
        raise UsageError(Problem(None, "--stale-after", f"must be above 0, got {stale_after:g}"))
    scenario = load(base, set_) if base is not None else None
    if scenario is None and set_:
        from channelsim.scenario import Scenario

        scenario = Scenario().with_overrides(list(set_))
    from channelsim.calibration.calibrate import calibrate as fit
    from channelsim.calibration.crm import read_deals
    from channelsim.calibration.writing import write_calibration
    from channelsim.metrics.formatting import format_fitted
    from channelsim.scenario import toml_value

    target = out if out is not None else Path("out") / deals.stem / "calibrated.toml"
    if target.suffix != ".toml":
        raise UsageError(Problem(None, "--out", f"the scenario file must end in .toml: {target}"))
    export = read_deals(
        deals,
        fmt=fmt,
        mapping=mapping or [],
        won=won,
        lost=lost,
        date_format=date_format,
        as_of=as_of,
    )
    for line in export.warnings():
        print(f"warning: {line}", file=sys.stderr)
    try:
        cal = fit(export, scenario, stale_after=stale_after)
    except ScenarioError as exc:
        raise exc.in_file(str(base) if base else None) from None
    bt = None
    if backtest:
        from channelsim.calibration.backtest import backtest as run_backtest

        try:
            bt = run_backtest(cal, backtest_reps, jobs)
        except ValueError as exc:
            raise UsageError(Problem(str(deals), "--backtest", str(exc))) from None
    folder = write_calibration(cal, target, bt)
    if quiet:
        print(target)
        return
    print(
        f"{export.file}: {len(export.frame)} deals ({int((export.frame.outcome == 'open').sum())}"
        f" open), export date {export.as_of.date()}, history of {cal.mode} selling"
    )
    for e in cal.estimates:
        if not e.in_scenario:
            continue
        shown = (
            toml_value(e.written)
            if isinstance(e.written, dict | list)
            else e.written
            if isinstance(e.written, str)
            else format_fitted(e.value, e.unit)
        )
        interval = (
            f" [{format_fitted(e.low, e.unit)}, {format_fitted(e.high, e.unit)}]"
            if math.isfinite(e.low) and math.isfinite(e.high) and e.low != e.high
            else ""
        )
        print(f"  {e.key} = {shown}{interval} (n = {e.n})")
    for s in cal.stale:
        print(f"stale: {s.text()}")
    for note in cal.notes:
        print(f"note: {note}", file=sys.stderr)
    if bt is not None:
        print(bt.text())
    still_open = int((cal.frame.outcome == "open").sum())
    print(
        f"Calibrated scenario {target}, starting from today's {still_open} open deals "
        f"(initial_state.json); evidence in {folder}/ (fit.json, calibration.html, plots/, "
        "sensitivity-ranges.toml, initial_state.json)"
    )
