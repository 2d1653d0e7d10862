"""Files and folders channelsim writes: their names, atomic writes, and folder replacement.

**One atomic write.** :func:`atomic_write` (text or bytes) and :func:`atomic_path` (for writers
that want a path, such as matplotlib) write next to the target under a hidden temporary name
and rename it into place, so a reader never sees half a file; ``durable=True`` also fsyncs the
file (the sweep store, which must survive a crash).

**Folder replacement.** :func:`replace_folder` writes a whole output folder into a hidden
sibling, then swaps it in with renames (:func:`swap_in`), so an interrupted write leaves the
previous complete folder (or the new complete one), never a half-written one.
:func:`check_out_dir` refuses a target that is not empty and not a previous output folder.

**Tables as text.** :func:`frame_csv` and :func:`rows_csv` write CSV in the one format of every
output (10 significant digits, NaN as an empty cell, no ``-0``), so the same run gives the same
bytes on any machine.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import errno
import io
import math
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from channelsim.errors import Problem, UsageError
from channelsim.scenario import toml_value

__all__ = [
    "BACKTEST_CSV",
    "BREAKEVEN_JSON",
    "CALIBRATION_DIR",
    "CALIBRATION_HTML",
    "DIFFERENCES_CSV",
    "ERRORS_CSV",
    "EVALUATIONS_CSV",
    "EVALUATIONS_JOURNAL",
    "FIT_JSON",
    "FLOAT_FORMAT",
    "INITIAL_STATE_JSON",
    "JOURNAL",
    "MANIFEST_JSON",
    "MONTHLY_CSV",
    "OPTIMUM_JSON",
    "PLOTS_DIR",
    "POINTS_CSV",
    "RANGES_TOML",
    "REPORT_HTML",
    "RESOLVED_SCENARIO",
    "RESULTS_CSV",
    "RUN_JSON",
    "SENSITIVITY_CSV",
    "SUMMARY_COLUMNS",
    "SUMMARY_CSV",
    "SUMMARY_JSON",
    "TRACE_CSV",
    "VOI_CSV",
    "VOI_JSON",
    "atomic_path",
    "atomic_write",
    "check_out_dir",
    "csv_cell",
    "frame_csv",
    "fsync_dir",
    "json_number",
    "json_value",
    "make_sibling",
    "replace_folder",
    "rows_csv",
    "safe_name",
    "swap_in",
    "table_csv",
]

RESOLVED_SCENARIO = "scenario.resolved.toml"
SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
MONTHLY_CSV = "monthly.csv"
RUN_JSON = "run.json"
DIFFERENCES_CSV = "differences.csv"
TRACE_CSV = "trace.csv"
CALIBRATION_DIR = "calibration"
"""The folder ``calibrate`` writes beside the calibrated scenario."""
FIT_JSON = "fit.json"
CALIBRATION_HTML = "calibration.html"
RANGES_TOML = "sensitivity-ranges.toml"
INITIAL_STATE_JSON = "initial_state.json"
BACKTEST_CSV = "backtest.csv"
REPORT_HTML = "report.html"
PLOTS_DIR = "plots"
MANIFEST_JSON = "manifest.json"
POINTS_CSV = "points.csv"
RESULTS_CSV = "results.csv"
ERRORS_CSV = "errors.csv"
JOURNAL = "done.jsonl"
BREAKEVEN_JSON = "breakeven.json"
SENSITIVITY_CSV = "sensitivity.csv"
OPTIMUM_JSON = "optimum.json"
EVALUATIONS_CSV = "evaluations.csv"
EVALUATIONS_JOURNAL = "evaluations.jsonl"
VOI_JSON = "voi.json"
VOI_CSV = "voi.csv"

SUMMARY_COLUMNS: tuple[str, ...] = (
    "strategy",
    "channel",
    "metric",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "n",
    "median",
)
"""Columns of ``summary.csv``: the interval of each metric is the one its catalogue entry calls
for (:mod:`channelsim.analysis.intervals`); ``median`` counts "never" as later than the horizon
for censored times."""

FLOAT_FORMAT = "%.10g"
"""How floats are written in CSV files (10 significant digits, the same on every machine)."""


# --- atomic writes ----------------------------------------------------------------------------


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


@contextlib.contextmanager
def atomic_path(path: Path, *, durable: bool = False) -> Iterator[Path]:
    """A temporary path to write ``path`` through: renamed into place when the block succeeds.

    Args:
        path: the file to write (its folder is created if needed).
        durable: fsync the file before the rename.

    Yields:
        The temporary path (a hidden sibling of ``path``); it is removed if the block fails.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(path)
    try:
        yield tmp
        if durable:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write(path: Path, data: str | bytes, *, durable: bool = False) -> Path:
    """Write text (UTF-8, newline line ends) or bytes to ``path`` atomically.

    Args:
        path: the file.
        data: its contents.
        durable: fsync the file before the rename (for files that must survive a crash).

    Returns:
        ``path``.
    """
    with atomic_path(path, durable=durable) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(data)
    return Path(path)


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (new names, renames) durable, where the system allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- folders ----------------------------------------------------------------------------------


def check_out_dir(out_dir: Path) -> None:
    """Refuse an output path that :func:`replace_folder` must not replace.

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


def make_sibling(target: Path, kind: str, *, create: bool) -> Path:
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


@contextlib.contextmanager
def replace_folder(out_dir: str | Path, *, check: bool = True) -> Iterator[Path]:
    """Write a whole folder aside, then swap it in for ``out_dir`` in one step.

    Args:
        out_dir: the folder to (re)write: absent, empty or a previous output folder.
        check: refuse any other folder first (:func:`check_out_dir`).

    Yields:
        The hidden folder to write into; it replaces ``out_dir`` when the block succeeds and
        is deleted when it fails.
    """
    target = Path(os.path.realpath(out_dir))
    if check:
        check_out_dir(target)
    tmp = make_sibling(target, "tmp", create=True)
    try:
        yield tmp
        swap_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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


def swap_in(new: Path, target: Path) -> None:
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
    ready = make_sibling(target, "new", create=False)
    os.rename(new, ready)
    try:
        swapped = _exchange(ready, target)
    except BaseException:
        shutil.rmtree(ready, ignore_errors=True)
        raise
    if swapped:
        shutil.rmtree(ready, ignore_errors=True)  # it now holds the old folder
        return
    old = make_sibling(target, "old", create=False)
    os.rename(target, old)
    try:
        os.rename(ready, target)
    except BaseException:
        os.rename(old, target)
        shutil.rmtree(ready, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def safe_name(text: str) -> str:
    """A file-name-safe version of a strategy or metric name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "x"


# --- tables and values as text ----------------------------------------------------------------


def frame_csv(frame: pd.DataFrame) -> str:
    """A table as CSV text: floats with :data:`FLOAT_FORMAT`, NaN empty, ``-0`` as ``0``."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column] + 0.0  # turns -0.0 into 0.0: "-0" in a CSV looks wrong
    return frame.to_csv(index=False, float_format=FLOAT_FORMAT, na_rep="", lineterminator="\n")


def csv_cell(value: Any) -> str:
    """One CSV cell in the output format (floats fixed, NaN empty, tables as TOML values)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        value = float(value)
        if math.isnan(value):
            return ""
        return FLOAT_FORMAT % (value + 0.0)
    if isinstance(value, str):
        return value
    return toml_value(value)


def rows_csv(rows: Iterable[Sequence[Any]]) -> str:
    """Rows (the first one the header) as CSV text, each cell by :func:`csv_cell`."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buf.getvalue()


def table_csv(frame: pd.DataFrame) -> str:
    """A table as CSV text through :func:`csv_cell` (tables and lists in cells as TOML)."""
    return rows_csv([list(frame.columns), *frame.itertuples(index=False, name=None)])


def json_number(value: Any) -> float | None:
    """A number for JSON: non-finite values are ``null``, ``-0.0`` is ``0.0``."""
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return number + 0.0


def json_value(value: Any) -> Any:
    """Numpy scalars and containers -> plain JSON values (non-finite floats -> None)."""
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float):
        return json_number(value)
    return value
