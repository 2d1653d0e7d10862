"""The output folder of a run: resolved scenario, summary tables, monthly table.

``write_run`` writes the folder of DESIGN section 4::

    scenario.resolved.toml   the scenario as run (every default filled in, overrides, seed,
                             replications and strategy applied): rerunning it reproduces the results
    summary.csv              strategy, channel, metric, mean, std, ci_low, ci_high, n
    summary.json             the same numbers nested strategy -> channel -> metric, plus "meta"
    monthly.csv              strategy, replication, month, channel, one column per monthly metric
    run.json                 when the folder was written and how long the run took
    trace.csv                only with ``--trace``: one row per lead (strategy, replication and
                             the columns of channelsim.model.trace.TRACE_COLUMNS)

Every file but ``run.json`` is reproducible: the same scenario, seed and version give the same
bytes, whatever the machine or the number of worker processes (floats are written with a fixed
format, JSON keys in a fixed order, and no clock time goes into them). ``run.json`` is the only
file that records the date and the run time, so it is the only one that differs between two
identical runs.

The folder is replaced atomically: everything is written into a hidden sibling folder first, then
swapped in with renames, so an interrupted write leaves the previous complete folder (or, if the
swap had finished, the new complete one), never a half-written one.
"""

from __future__ import annotations

import ctypes
import datetime as _dt
import errno
import json
import math
import os
import platform
import secrets
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from channelsim import __version__
from channelsim.errors import Problem, UsageError

if TYPE_CHECKING:
    from channelsim.results import RunResult

RESOLVED_SCENARIO = "scenario.resolved.toml"
SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
MONTHLY_CSV = "monthly.csv"
RUN_JSON = "run.json"
DIFFERENCES_CSV = "differences.csv"
TRACE_CSV = "trace.csv"

REPRODUCIBLE_FILES: tuple[str, ...] = (RESOLVED_SCENARIO, SUMMARY_CSV, SUMMARY_JSON, MONTHLY_CSV)
# differences.csv, plots/*.png and report.html are reproducible too (same bytes for the same run)
"""Files whose bytes depend only on the scenario, seed and channelsim version."""

SUMMARY_COLUMNS: tuple[str, ...] = (
    "strategy",
    "channel",
    "metric",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "n",
)
SUMMARY_STATS: tuple[str, ...] = ("mean", "std", "ci_low", "ci_high", "n")

FLOAT_FORMAT = "%.10g"
"""How floats are written in CSV files (10 significant digits, the same on every machine)."""

_NOT_REPRODUCIBLE_META = frozenset({"run_seconds"})


def write_run(result: RunResult, out_dir: Path, differences: pd.DataFrame | None = None) -> Path:
    """Write the output folder of a run, replacing any previous output folder there.

    The folder gets the tables, then ``plots/*.png`` and ``report.html`` built from them.

    Args:
        result: what ``simulate`` returned.
        differences: paired differences between strategies (from ``compare``), written as
            ``differences.csv``.
        out_dir: the folder to write. If it exists it must be a previous output folder (it holds
            ``scenario.resolved.toml``) or empty: any other folder is left alone and an error
            is raised, so a mistyped ``--out`` never deletes unrelated files.

    Returns:
        The path of the folder written.

    Raises:
        UsageError: ``out_dir`` is a file, a folder that is not an output folder, or cannot be
            created.
    """
    target = Path(os.path.realpath(out_dir))
    check_out_dir(target)
    tmp = _make_sibling(target, "tmp", create=True)
    try:
        write_files(result, tmp)
        if differences is not None:
            _write_text(tmp / DIFFERENCES_CSV, _csv(differences))
        from channelsim.report import build_report

        build_report(tmp)
        _swap_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Path(out_dir)


def check_out_dir(out_dir: Path) -> None:
    """Refuse an output path that ``write_run`` must not replace.

    Args:
        out_dir: the intended output folder.

    Raises:
        UsageError: the path is a file, or a non-empty folder without ``scenario.resolved.toml``.
    """
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise UsageError(Problem(str(out_dir), "", "exists and is not a folder"))
    if any(out_dir.iterdir()) and not (out_dir / RESOLVED_SCENARIO).is_file():
        raise UsageError(
            Problem(
                str(out_dir),
                "",
                f"is not empty and is not a channelsim output folder (no {RESOLVED_SCENARIO}); "
                "refusing to replace it: choose another output folder",
            )
        )


def write_files(result: RunResult, folder: Path) -> None:
    """Write every output file of ``result`` into an existing ``folder`` (not atomic).

    Args:
        result: what ``simulate`` returned.
        folder: an existing folder.
    """
    _write_text(folder / RESOLVED_SCENARIO, resolved_scenario_text(result))
    _write_text(folder / SUMMARY_CSV, _csv(result.summary[list(SUMMARY_COLUMNS)]))
    _write_text(folder / SUMMARY_JSON, summary_json_text(result))
    _write_text(folder / MONTHLY_CSV, _csv(result.monthly))
    _write_text(folder / RUN_JSON, run_json_text(result))
    if result.trace is not None:
        _write_text(folder / TRACE_CSV, _csv(result.trace))


def resolved_scenario_text(result: RunResult) -> str:
    """The scenario as run, as TOML, with a header comment saying how it was run.

    When a single strategy was simulated, ``scenario.strategy`` is set to it, so that
    ``channelsim run scenario.resolved.toml`` reproduces the results with no extra flag.

    Args:
        result: what ``simulate`` returned.

    Returns:
        The TOML text (no clock time in it: the same run gives the same bytes).
    """
    scenario = result.scenario
    if len(result.strategies) == 1 and scenario.scenario.strategy != result.strategies[0]:
        scenario = scenario.with_overrides({"scenario.strategy": result.strategies[0]})
    meta = scenario.scenario
    if len(result.strategies) == 1:
        rerun = "Reproduce summary.csv, summary.json and monthly.csv with: channelsim run "
        rerun += "scenario.resolved.toml"
    else:
        rerun = "Reproduce each strategy's rows with: channelsim run scenario.resolved.toml "
        rerun += "--strategy NAME"
    header = [
        f"# Output of a channelsim run: strategies {', '.join(result.strategies)}; "
        f"replications {meta.replications}; seed {meta.seed}.",
        f"# {rerun}",
    ]
    body = scenario.to_toml()
    return "\n".join(header) + "\n" + body + ("" if body.endswith("\n") else "\n")


def summary_json_text(result: RunResult) -> str:
    """``summary.json``: ``meta`` plus strategy -> channel -> metric -> statistics.

    Key order follows the summary table (strategies as run; ``direct``, programs, ``partners``,
    ``total``; metrics in contract order). Undefined numbers (NaN, infinities) are ``null``.

    Args:
        result: what ``simulate`` returned.

    Returns:
        The JSON text, ending with a newline.
    """
    doc: dict[str, Any] = {"meta": reproducible_meta(result)}
    for row in result.summary[list(SUMMARY_COLUMNS)].itertuples(index=False):
        stats = {
            "mean": _json_number(row.mean),
            "std": _json_number(row.std),
            "ci_low": _json_number(row.ci_low),
            "ci_high": _json_number(row.ci_high),
            "n": int(row.n),
        }
        doc.setdefault(str(row.strategy), {}).setdefault(str(row.channel), {})[str(row.metric)] = (
            stats
        )
    return json.dumps(doc, indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def reproducible_meta(result: RunResult) -> dict[str, Any]:
    """The run's metadata without what changes from run to run (the run time).

    Args:
        result: what ``simulate`` returned.

    Returns:
        A JSON-ready dict: channelsim version, scenario name, seed, replications, strategies.
    """
    meta: dict[str, Any] = {
        "channelsim_version": __version__,
        "scenario": result.scenario.scenario.name,
    }
    for key, value in result.meta.items():
        if key not in _NOT_REPRODUCIBLE_META:
            meta[key] = _json_value(value)
    meta["strategies"] = list(result.strategies)
    return meta


def run_json_text(result: RunResult) -> str:
    """``run.json``: when the folder was written and how long the run took (not reproducible).

    Args:
        result: what ``simulate`` returned.

    Returns:
        The JSON text, ending with a newline.
    """
    doc = {
        "note": "not reproducible: the only output file that changes between identical runs",
        "written_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "run_seconds": _json_value(result.meta.get("run_seconds")),
        "channelsim_version": result.meta.get("channelsim_version", __version__),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def _csv(frame: pd.DataFrame) -> str:
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column] + 0.0  # turns -0.0 into 0.0: "-0" in a CSV looks wrong
    return frame.to_csv(index=False, float_format=FLOAT_FORMAT, na_rep="", lineterminator="\n")


def _json_number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return number + 0.0


def _json_value(value: Any) -> Any:
    """Numpy scalars and containers -> plain JSON values (non-finite floats -> None)."""
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float):
        return _json_number(value)
    return value


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def _make_sibling(target: Path, kind: str, *, create: bool) -> Path:
    """A hidden, unique path next to ``target`` (created as a folder when ``create``)."""
    parent = target.parent
    sibling = parent / f".{target.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"
    if create:
        try:
            parent.mkdir(parents=True, exist_ok=True)
            sibling.mkdir()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise UsageError(
                Problem(str(target), "", f"cannot create the output folder: {reason}")
            ) from exc
    return sibling


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns:
        True if the folders were swapped; False when the system cannot (another OS, an old
        kernel or C library, a file system without support): the caller falls back to renames.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def _swap_in(new: Path, target: Path) -> None:
    """Put the complete folder ``new`` at ``target``, replacing what was there.

    ``new`` is first renamed to a hidden ``.NAME.new-*`` sibling (a name that always means "a
    complete folder"), then exchanged with ``target`` in one atomic step where the system allows
    it (Linux), so a crash at any moment leaves ``target`` whole: old or new. Elsewhere the old
    folder is renamed aside, ``new`` renamed in and the old one deleted; if the second rename
    fails the old folder is put back, and only a crash between the two renames leaves ``target``
    missing, with both complete folders next to it as hidden siblings.
    """
    if not target.exists():
        os.rename(new, target)
        return
    ready = _make_sibling(target, "new", create=False)
    os.rename(new, ready)
    try:
        swapped = _exchange(ready, target)
    except BaseException:
        shutil.rmtree(ready, ignore_errors=True)
        raise
    if swapped:
        shutil.rmtree(ready, ignore_errors=True)  # it now holds the old folder
        return
    old = _make_sibling(target, "old", create=False)
    os.rename(target, old)
    try:
        os.rename(ready, target)
    except BaseException:
        os.rename(old, target)
        shutil.rmtree(ready, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
