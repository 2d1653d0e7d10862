"""The options the verbs share, defined once (typer ``Annotated`` types)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

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
_REPLACED = (
    "A previous folder of the same command is replaced; any other non-empty folder is refused."
)
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Output folder (default: out/ and the scenario file name without .toml, e.g. "
        f"out/saas_midmarket). {_REPLACED}",
        show_default=False,
    ),
]
CompareOutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Output folder (default: out/ and the scenario file name plus -compare, e.g. "
        f"out/saas_midmarket-compare). {_REPLACED}",
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
DEFAULT_METRIC = "npv"
"""The one default of every --metric and --objective: what the report's verdict ranks by."""
METRICS_HINT = "`channelsim metrics` lists every metric with its unit and better direction"
MetricOpt = Annotated[
    str,
    typer.Option(
        "--metric",
        "-m",
        help=f"Summary metric, e.g. npv, contribution, cost_per_sale ({METRICS_HINT}).",
    ),
]
ChannelOpt = Annotated[
    str,
    typer.Option(
        "--channel", help="Channel of the metric: total, direct, partners or a program name."
    ),
]


def planner_out(kind: str, *, resumable: bool) -> Any:
    """The ``--out`` option of a planner verb whose folder is named ``<scenario>-<kind>``."""
    rule = "it must be new or empty, unless --resume" if resumable else _REPLACED.rstrip(".")
    return Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=f"Output folder (default: out/ and the scenario file name plus -{kind}); "
            f"{rule[0].lower()}{rule[1:]}.",
            show_default=False,
        ),
    ]


def resume_option(what: str) -> Any:
    """The ``--resume`` option of a planner verb that journals its finished work."""
    return Annotated[
        bool,
        typer.Option(
            "--resume",
            help=f"Complete an interrupted {what} in --out (the same command; refused if the "
            "scenario or the options changed).",
        ),
    ]


SweepOutOpt = planner_out("sweep", resumable=True)
BreakevenOutOpt = planner_out("breakeven", resumable=False)
SensitivityOutOpt = planner_out("sensitivity", resumable=False)
OptimizeOutOpt = planner_out("optimize", resumable=True)
VoiOutOpt = planner_out("voi", resumable=True)
SweepResumeOpt = resume_option("sweep")
ResumeOpt = resume_option("run")
