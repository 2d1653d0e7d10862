"""What the teaching notebooks import: ``from channelsim.teaching import *`` is their first cell.

A notebook for students should open on the question, not on 35 lines of ``sys.path`` and
formatting helpers. This module is the one place those helpers live, above every layer of the
package like :mod:`channelsim.plots` (it reads scenarios, runs experiments and planners, and
formats with :mod:`channelsim.metrics.formatting`; nothing in the package imports it):

* **scenarios by short name**: ``load("saas_midmarket")`` finds ``scenarios/saas_midmarket.toml``
  in the repository the notebook runs from (searched upwards from the working folder, then from
  the package's own folder); ``repo_path("examples", "crm")`` finds any other shipped file and
  ``out_folder(name)`` is where a notebook saves what it writes (``notebooks/out/``, which git
  ignores), so the student can open it, and ``link(path)`` is a Markdown link to a file in it;
* **tables a student can read**: ``table(summary, metrics)`` is a wide table of means, one row
  per metric and one column per strategy, each number formatted in its metric's unit; a
  censored time (``months_to_target``, ``payback_month``) shows its median and "reached in k of
  n", because a mean over the replications that happened to reach it flatters a strategy that
  mostly does not. ``means(...)`` is the same table as numbers, to compute with, and
  ``estimates(summary, metric)`` one metric with its 95% interval, a row per strategy;
* **numbers in sentences**: ``money``, ``share``, ``number`` and ``reached`` format as the
  report does, and ``say(f"...")`` shows a sentence as text, so a notebook's narrative quotes
  the numbers its code computed instead of numbers typed by hand;
* **sliders**: ``what_if(draw, discount=(0.1, 0.4, 0.05))`` redraws ``draw``'s figure as a
  slider moves. Where no widget can show (no ipywidgets, no kernel, or a headless run that sets
  ``CHANNELSIM_STATIC_FIGURES``, as ``notebooks/execute.py`` and the tests do) it draws the
  figure once, for ``draw``'s default values, so a committed notebook carries a plain image
  that every viewer shows.

Importing the module sets the notebook session's display, which is its job and the reason no
other module does it: figures inline (in a kernel, as ``%matplotlib inline`` does, so a cell
that returns a Figure shows it), pandas floats as :func:`format_fitted` writes them (thousands
separators, four significant digits) and figures at 80 dpi, which keeps committed notebooks
small.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

import channelsim
from channelsim import plots, theory
from channelsim.analysis import cost_fits, margin_bridge, paired_differences
from channelsim.errors import Problem, UsageError
from channelsim.experiments.compare import compare
from channelsim.experiments.replications import simulate
from channelsim.metrics.catalogue import CENSORED_METRICS
from channelsim.metrics.formatting import (
    format_fitted,
    format_number,
    money_words,
    undefined_text,
)
from channelsim.planning.breakeven import breakeven
from channelsim.planning.optimize import optimize
from channelsim.planning.options import RunOptions
from channelsim.planning.sweep import sweep
from channelsim.planning.voi import voi
from channelsim.scenario import Scenario, load_scenario, loads_scenario

__all__ = [
    "STATIC_FIGURES",
    "RunOptions",
    "breakeven",
    "by_channel",
    "compare",
    "cost_fits",
    "estimates",
    "link",
    "load",
    "loads_scenario",
    "margin_bridge",
    "means",
    "money",
    "np",
    "number",
    "optimize",
    "out_folder",
    "paired_differences",
    "pd",
    "plots",
    "plt",
    "reached",
    "repo_path",
    "say",
    "share",
    "simulate",
    "sweep",
    "table",
    "theory",
    "voi",
    "what_if",
]

STATIC_FIGURES = "CHANNELSIM_STATIC_FIGURES"
"""Environment variable: when set (to anything), :func:`what_if` draws a static figure."""

_SHARE_UNIT = "contribution_margin"
"""A metric in the ``share`` unit: :func:`share` formats like it."""

_MONEY_UNIT = "revenue"
"""A metric in the ``currency`` unit: :func:`money` with ``exact=True`` formats like it."""


# --- files -----------------------------------------------------------------------------------


def _roots() -> list[Path]:
    """Where the repository may be: the working folder, its parents, the package's parent.

    An editable install (``pip install -e``) runs the package from inside the repository.
    """
    here = Path.cwd().resolve()
    package = Path(channelsim.__file__).resolve().parent.parent
    return list(dict.fromkeys([here, *here.parents, package]))


def repo_path(*parts: str) -> Path:
    """A shipped file or folder of the repository, e.g. ``repo_path("examples", "crm")``.

    Args:
        parts: the path inside the repository, one folder or file name per part.

    Returns:
        The first existing match, searched from the working folder upwards, then next to the
        installed package.

    Raises:
        UsageError: nothing of that name in any of those folders.
    """
    relative = Path(*parts)
    for root in _roots():
        if (root / relative).exists():
            return root / relative
    raise UsageError(
        Problem(
            relative.as_posix(),
            "",
            "not found in the working folder, its parents or next to the channelsim package: "
            "open the notebook from inside the channelsim repository",
        )
    )


def load(name: str | os.PathLike[str], overrides: dict[str, Any] | None = None) -> Scenario:
    """A shipped scenario by its short name (``"saas_midmarket"``), or any scenario file.

    Args:
        name: a name from ``scenarios/`` (with or without ``.toml``) or a path to a file.
        overrides: ``{dotted_key: value}`` applied before validation, as ``--set`` does.

    Returns:
        The validated scenario.

    Raises:
        UsageError: no such shipped scenario (the message lists the shipped ones).
        ScenarioError: the file is not a valid scenario.
    """
    path = Path(name)
    if path.suffix != ".toml":
        path = path.with_name(path.name + ".toml")
    if not path.is_file():
        folder = repo_path("scenarios")
        path = folder / path.name
        if not path.is_file():
            shipped = ", ".join(sorted(p.stem for p in folder.glob("*.toml")))
            raise UsageError(
                Problem(str(name), "", f"no such scenario in {folder}; the shipped ones: {shipped}")
            )
    return load_scenario(path, overrides)


def out_folder(name: str) -> Path:
    """Where a notebook saves an output folder: ``notebooks/out/NAME`` (git ignores ``out/``).

    Outside the repository it is ``out/NAME`` under the working folder.
    """
    try:
        base = repo_path("notebooks")
    except UsageError:
        base = Path.cwd()
    return base / "out" / name


def link(path: str | os.PathLike[str]) -> str:
    """A Markdown link to a file a notebook wrote, to put in a :func:`say` sentence.

    Relative to the working folder (the notebook's own, in Jupyter), so that it opens on a
    click and reads the same on every computer; a file outside that folder keeps its full path.
    """
    target = Path(path).resolve()
    try:
        shown = target.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        shown = target.as_posix()
    return f"[{shown}]({shown})"


# --- tables ----------------------------------------------------------------------------------


def _rows(summary: pd.DataFrame, channel: str, strategies: Sequence[str] | None) -> pd.DataFrame:
    rows = summary[summary["channel"] == channel]
    if strategies is not None:
        rows = rows[rows["strategy"].isin(strategies)]
    return rows


def _strategies(rows: pd.DataFrame, strategies: Sequence[str] | None) -> list[str]:
    return list(strategies) if strategies is not None else list(dict.fromkeys(rows["strategy"]))


def _replications(summary: pd.DataFrame, strategy: str) -> int:
    """Replications run for a strategy: the largest ``n`` of its rows (flows are always defined)."""
    n = summary.loc[summary["strategy"] == strategy, "n"]
    return int(n.max()) if len(n) else 0


def _check_metrics(rows: pd.DataFrame, metrics: Iterable[str], where: str) -> list[str]:
    metrics = list(metrics)
    missing = [m for m in metrics if m not in set(rows["metric"])]
    if missing:
        raise UsageError(Problem(None, "", f"no metric {', '.join(missing)} for {where}"))
    return metrics


def means(
    summary: pd.DataFrame,
    metrics: Sequence[str],
    channel: str = "total",
    strategies: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The means over replications as numbers: a row per metric, a column per strategy.

    Args:
        summary: a ``summary`` table (``result.summary``, ``comparison.summary``).
        metrics: the metrics, in the order of the rows.
        channel: ``total``, ``direct``, ``partners`` or a program name.
        strategies: the columns, in order (default: every strategy, in the table's order).

    Returns:
        The table; a censored time's mean is over the replications that reached it (show it
        with :func:`table`, which says in how many).
    """
    rows = _rows(summary, channel, strategies)
    metrics = _check_metrics(rows, metrics, f"channel {channel!r}")
    wide = rows.pivot_table(index="metric", columns="strategy", values="mean", dropna=False)
    return wide.reindex(index=metrics, columns=_strategies(rows, strategies))


def _cell(metric: str, row: pd.Series | None, reps: int) -> str:
    if row is None:
        return ""
    n = int(row["n"])
    if metric in CENSORED_METRICS:
        median = float(row["median"])
        if not math.isfinite(median):  # half the replications or more never reach it
            return f"reached in {n} of {reps}"
        return f"{format_number(metric, median)} (reached in {n} of {reps})"
    mean = float(row["mean"])
    if not math.isfinite(mean):
        return undefined_text(metric)
    text = format_number(metric, mean)
    return f"{text} ({n} of {reps})" if 0 < n < reps else text


def _text_table(
    rows: pd.DataFrame, metrics: list[str], along: str, columns: list[str], reps: dict[str, int]
) -> pd.DataFrame:
    """Formatted cells: a row per metric, a column per value of ``along`` (strategy, channel)."""
    found = {(r[along], r["metric"]): r for _, r in rows.iterrows()}
    data = {c: [_cell(m, found.get((c, m)), reps[c]) for m in metrics] for c in columns}
    frame = pd.DataFrame(data, index=pd.Index(metrics, name="metric"))
    frame.columns.name = along
    return frame


def table(
    summary: pd.DataFrame,
    metrics: Sequence[str],
    channel: str = "total",
    strategies: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The means to read: a row per metric, a column per strategy, each in its unit.

    A censored time shows its median month ("never" counted as later than the horizon) and in
    how many replications it happened: ``12.0 (reached in 6 of 8)``, or only ``reached in 2 of
    8`` when half of them or more never reach it (the median is then "never"); a metric
    defined in only some replications says in how many: ``0.4 (5 of 8)``.

    Args:
        summary: a ``summary`` table.
        metrics: the metrics, in the order of the rows.
        channel: ``total``, ``direct``, ``partners`` or a program name.
        strategies: the columns, in order (default: every strategy).

    Returns:
        A table of text, indexed by metric (use :func:`means` to compute with the numbers).
    """
    rows = _rows(summary, channel, strategies)
    metrics = _check_metrics(rows, metrics, f"channel {channel!r}")
    columns = _strategies(rows, strategies)
    reps = {s: _replications(summary, s) for s in columns}
    return _text_table(rows, metrics, "strategy", columns, reps)


def by_channel(
    summary: pd.DataFrame,
    metrics: Sequence[str],
    strategy: str,
    channels: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One strategy's means to read, a column per channel (``direct``, a program, ``total``).

    Args:
        summary: a ``summary`` table.
        metrics: the metrics, in the order of the rows.
        strategy: the strategy.
        channels: the columns, in order (default: every channel of the strategy).

    Returns:
        A table of text like :func:`table`'s, indexed by metric.
    """
    rows = summary[summary["strategy"] == strategy]
    if channels is not None:
        rows = rows[rows["channel"].isin(channels)]
    metrics = _check_metrics(rows, metrics, f"strategy {strategy!r}")
    columns = list(channels) if channels is not None else list(dict.fromkeys(rows["channel"]))
    reps = dict.fromkeys(columns, _replications(summary, strategy))
    return _text_table(rows, metrics, "channel", columns, reps)


def estimates(
    summary: pd.DataFrame,
    metric: str,
    channel: str = "total",
    strategies: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One metric with its 95% interval, a row per strategy.

    Args:
        summary: a ``summary`` table.
        metric: the metric.
        channel: the channel.
        strategies: the rows, in order (default: every strategy).

    Returns:
        A table of text with the columns ``mean``, ``95% interval`` and ``replications``.
    """
    rows = _rows(summary, channel, strategies)
    _check_metrics(rows, [metric], f"channel {channel!r}")
    found = {r["strategy"]: r for _, r in rows[rows["metric"] == metric].iterrows()}
    out = {}
    for strategy in _strategies(rows, strategies):
        r = found[strategy]
        mean, low, high = float(r["mean"]), float(r["ci_low"]), float(r["ci_high"])
        interval = ""
        if math.isfinite(low) and math.isfinite(high):
            lo = format_number(metric, low, like=mean)
            hi = format_number(metric, high, like=mean)
            interval = f"{lo} to {hi}"
        out[strategy] = {
            "mean": _cell(metric, r, _replications(summary, strategy)),
            "95% interval": interval,
            "replications": int(r["n"]),
        }
    frame = pd.DataFrame.from_dict(out, orient="index")
    frame.index.name = "strategy"
    return frame


# --- numbers in sentences --------------------------------------------------------------------


def money(x: float, *, exact: bool = False) -> str:
    """Money in a sentence: ``2.43M``, ``950``, ``-12k``; ``exact``: every unit, ``2,430,232``."""
    return format_number(_MONEY_UNIT, x) if exact else money_words(x)


def share(x: float) -> str:
    """A share as a percentage: ``0.391`` is ``39.1%``."""
    return format_number(_SHARE_UNIT, x)


def number(metric: str, x: float) -> str:
    """A value in the unit of ``metric``, as the report shows it (``number("sales", 1401.2)``)."""
    return format_number(metric, x)


def reached(summary: pd.DataFrame, metric: str, strategy: str, channel: str = "total") -> str:
    """A censored time in words: ``"month 12.0 (median), reached in 6 of 8 replications"``.

    Args:
        summary: a ``summary`` table.
        metric: ``months_to_target``, ``payback_month`` or ``cash_breakeven_month``.
        strategy: the strategy.
        channel: the channel.

    Returns:
        The phrase; a time reached in half of the replications or fewer has no median month:
        ``"reached in only 3 of 8 replications"``; ``"never reached (0 of 8 replications)"``.
    """
    rows = summary[
        (summary["strategy"] == strategy)
        & (summary["channel"] == channel)
        & (summary["metric"] == metric)
    ]
    if metric not in CENSORED_METRICS or rows.empty:
        raise UsageError(Problem(None, "", f"{metric!r} is no censored time of {strategy!r}"))
    row = rows.iloc[0]
    n, reps = int(row["n"]), _replications(summary, strategy)
    if n == 0:
        return f"never reached (0 of {reps} replications)"
    median = float(row["median"])
    if not math.isfinite(median):  # half of them or more never reach it
        return f"reached in only {n} of {reps} replications"
    return f"month {format_number(metric, median)} (median), reached in {n} of {reps} replications"


def say(text: str) -> None:
    """Show a sentence computed by the code as text (Markdown in a notebook, else printed)."""
    shell = _shell()
    if shell is None:
        print(text)
        return
    from IPython.display import Markdown, display

    display(Markdown(text))


# --- sliders ---------------------------------------------------------------------------------


def _shell() -> Any:
    if importlib.util.find_spec("IPython") is None:
        return None
    from IPython import get_ipython

    return get_ipython()


def _widgets_can_show() -> bool:
    """Whether a widget front end may be there: a kernel, ipywidgets, no headless run."""
    if os.environ.get(STATIC_FIGURES):
        return False
    shell = _shell()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    return importlib.util.find_spec("ipywidgets") is not None


def _control(name: str, spec: Any, default: Any) -> Any:
    """An ipywidgets control for one parameter: a slider for (low, high, step), else a list."""
    import ipywidgets

    label = name.replace("_", " ")
    style = {"description_width": "initial"}
    if isinstance(spec, tuple) and len(spec) == 3:
        low, high, step = spec
        kind = (
            ipywidgets.IntSlider
            if all(isinstance(v, int) for v in (low, high, step, default))
            else ipywidgets.FloatSlider
        )
        return kind(
            value=default,
            min=low,
            max=high,
            step=step,
            description=label,
            continuous_update=False,
            style=style,
        )
    return ipywidgets.Dropdown(options=list(spec), value=default, description=label, style=style)


def what_if(draw: Callable[..., Figure], **controls: Any) -> Figure | None:
    """Redraw ``draw``'s figure as sliders move; a static figure where no widget can show.

    Args:
        draw: a function of keyword parameters that returns a Figure; its default values are
            where the sliders start and what the static figure shows.
        controls: for each parameter of ``draw`` to put under a slider, ``(low, high, step)``
            (integers: an integer slider) or a list of values (a drop-down).

    Returns:
        The figure for the default values when drawn statically (a notebook shows it as the
        cell's result), else None: the sliders and their figure are on screen.

    Raises:
        TypeError: a control names no parameter of ``draw`` that has a default value.
    """
    params = inspect.signature(draw).parameters
    defaults = {}
    for name in controls:
        p = params.get(name)
        if p is None or p.default is inspect.Parameter.empty:
            raise TypeError(f"what_if: {name!r} must be a parameter of draw with a default value")
        defaults[name] = p.default
    if not _widgets_can_show():
        fig = draw()
        plt.close(fig)  # a pyplot figure would be shown twice: by the backend and as the result
        return fig
    import ipywidgets
    from IPython.display import display

    def redraw(**values: Any) -> None:
        fig = draw(**values)
        plt.close(fig)
        display(fig)

    widgets = {name: _control(name, spec, defaults[name]) for name, spec in controls.items()}
    ipywidgets.interact(redraw, **widgets)
    return None


# --- the notebook session --------------------------------------------------------------------


def _notebook_display() -> None:
    """Inline figures (a returned Figure shows as an image), pandas floats, a small dpi."""
    shell = _shell()
    if shell is not None and getattr(shell, "kernel", None) is not None:
        shell.run_line_magic("matplotlib", "inline")
    pd.set_option("display.float_format", format_fitted)
    plt.rcParams["figure.dpi"] = 80


_notebook_display()
