"""Reading an output folder back: its tables, its meta data and its resolved scenario.

``channelsim report DIR`` and the plots rebuild everything from these files alone. A folder's
files may have been edited (the report is rebuilt from edited or merged tables on purpose) or
damaged (truncated by a full disk, overwritten by another program): every reader checks what it
reads and a damaged file is a :class:`~channelsim.errors.UsageError` naming the file and the
problem (a short row, a missing column, text where a number belongs, JSON or TOML that does not
parse), never a traceback or a report built from half a table.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from channelsim.errors import Problem, UsageError
from channelsim.outputs.files import (
    DIFFERENCES_CSV,
    MANIFEST_JSON,
    MONTHLY_CSV,
    RESOLVED_SCENARIO,
    SUMMARY_CSV,
    SUMMARY_JSON,
    read_manifest,
)

__all__ = [
    "TABLE_COLUMNS",
    "check_report_folder",
    "currency_code",
    "read_meta",
    "read_scenario",
    "read_table",
    "target_sales",
]

_KEYS = {
    SUMMARY_CSV: ("strategy", "channel", "metric"),
    MONTHLY_CSV: ("strategy", "replication", "month", "channel"),
    DIFFERENCES_CSV: ("a", "b", "channel", "metric"),
}
_NUMBERS = {
    SUMMARY_CSV: ("mean", "std", "ci_low", "ci_high", "n"),
    MONTHLY_CSV: ("replication", "month"),
    DIFFERENCES_CSV: (
        "mean",
        "ci_low",
        "ci_high",
        "n",
        "p_better",
        "unpaired_ci_low",
        "unpaired_ci_high",
    ),
}
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(dict.fromkeys((*_KEYS[name], *_NUMBERS[name]))) for name in _KEYS
}
"""The columns the report and the plots read from each table of a run or comparison folder."""
_NUMBERS[SUMMARY_CSV] += ("median",)  # a number where present (folders written before it lack it)

_TEXT_COLUMNS = {"strategy", "channel", "metric", "a", "b"}


def _damaged(path: Path, message: str) -> UsageError:
    return UsageError(Problem(str(path), "", message))


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _damaged(path, "not a UTF-8 text file: it was damaged or overwritten") from None
    except OSError as exc:
        raise _damaged(path, f"cannot read: {exc.strerror or exc}") from None


def _check_rows(path: Path, text: str, required: Sequence[str]) -> None:
    """Every row as wide as the header, and the columns the report needs."""
    if not text.strip():
        raise _damaged(path, "is empty")
    if "\x00" in text:
        raise _damaged(path, "holds NUL bytes: it was damaged or overwritten")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    missing = [c for c in required if c not in header]
    if missing:
        raise _damaged(
            path,
            f"has no column {', '.join(repr(c) for c in missing)} (the header is "
            f"{','.join(header)[:120]}): not a table channelsim wrote, or edited",
        )
    for row in reader:
        if len(row) != len(header):
            line = reader.line_num
            raise _damaged(
                path,
                f"line {line} has {len(row)} fields where the header has {len(header)}: the "
                "file looks truncated or edited",
            )
    if not text.endswith("\n"):
        raise _damaged(path, f"line {reader.line_num} is cut short: the file looks truncated")


def read_table(path: Path, *, columns: Sequence[str] | None = None) -> pd.DataFrame | None:
    """A CSV table of an output folder, or None when the file is absent.

    Only empty cells are read as missing, so a program or strategy named "NA" stays a name.
    The tables of a run folder (``summary.csv``, ``monthly.csv``, ``differences.csv``) are
    checked: every row as wide as the header, the columns of :data:`TABLE_COLUMNS`, numbers
    where numbers belong (every column but the key columns of ``monthly.csv``).

    Args:
        path: the CSV file.
        columns: the columns it must have (default: those of :data:`TABLE_COLUMNS` for its
            name).

    Returns:
        The table, or None.

    Raises:
        UsageError: the file is damaged; the message names it and says how.
    """
    path = Path(path)
    if not path.is_file():
        return None
    text = _text(path)
    required = tuple(columns) if columns is not None else TABLE_COLUMNS.get(path.name, ())
    _check_rows(path, text, required)
    try:
        frame = pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])
    except (ValueError, pd.errors.ParserError) as exc:
        raise _damaged(path, f"not a readable table: {' '.join(str(exc).split())}") from None
    numeric = _NUMBERS.get(path.name, ())
    if path.name == MONTHLY_CSV:
        numeric = [c for c in frame.columns if c not in _TEXT_COLUMNS]
    for column in numeric:
        if column in frame and not pd.api.types.is_numeric_dtype(frame[column]):
            values = pd.to_numeric(frame[column], errors="coerce")
            bad = frame[column][values.isna() & frame[column].notna()]
            if not bad.empty:
                line = int(bad.index[0]) + 2  # the header is line 1
                raise _damaged(
                    path,
                    f"line {line}, column {column}: expected a number, got {str(bad.iloc[0])!r}",
                )
    for column in _TEXT_COLUMNS & set(frame.columns):
        frame[column] = frame[column].astype(str)
    return frame


def read_meta(folder: Path) -> dict[str, Any]:
    """The ``meta`` object of the folder's ``summary.json`` ({} when absent).

    Raises:
        UsageError: ``summary.json`` is not valid JSON (truncated, edited).
    """
    path = Path(folder) / SUMMARY_JSON
    if not path.is_file():
        return {}
    try:
        doc = json.loads(_text(path))
    except ValueError as exc:
        raise _damaged(
            path, f"not valid JSON ({' '.join(str(exc).split())}): truncated or edited"
        ) from None
    meta = doc.get("meta", {}) if isinstance(doc, dict) else None
    if not isinstance(meta, dict):
        raise _damaged(path, "its meta is not a JSON object: not a file channelsim wrote")
    return dict(meta)


def read_scenario(folder: Path) -> tuple[str, dict[str, Any]]:
    """The folder's resolved scenario: its text and its parsed data ("" and {} when absent).

    Raises:
        UsageError: the file is not valid TOML (truncated, edited).
    """
    path = Path(folder) / RESOLVED_SCENARIO
    if not path.is_file():
        return "", {}
    text = _text(path)
    if not text.strip():
        raise _damaged(path, "is empty")
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _damaged(path, f"not valid TOML ({exc}): truncated or edited") from None


def target_sales(folder: Path) -> float | None:
    """``targets.sales_per_month`` of the folder's resolved scenario (None when absent or 0).

    Args:
        folder: an output folder.

    Returns:
        The target, or None.
    """
    _text, data = read_scenario(folder)
    targets = data.get("targets", {})
    value = targets.get("sales_per_month") if isinstance(targets, dict) else None
    return float(value) if isinstance(value, int | float) and value else None


def check_report_folder(folder: Path) -> str:
    """Check that ``channelsim report`` can rebuild ``folder``: its kind and every file it reads.

    Args:
        folder: the folder named on the command line.

    Returns:
        Its kind (``run`` or ``compare``).

    Raises:
        UsageError: not a run or comparison folder, or a file it needs is missing or damaged.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise _damaged(folder, "is not a folder" if folder.exists() else "no such folder")
    manifest = read_manifest(folder)
    if manifest is None:
        raise _damaged(folder, f"is not a channelsim output folder (no {MANIFEST_JSON})")
    kind = str(manifest["kind"])
    if kind not in ("run", "compare"):
        raise _damaged(
            folder,
            f"is a {kind} folder (its {MANIFEST_JSON} says so): report rebuilds the report of "
            "a run or compare folder",
        )
    listed = set(manifest["files"])
    for name in (RESOLVED_SCENARIO, SUMMARY_CSV, SUMMARY_JSON, MONTHLY_CSV, DIFFERENCES_CSV):
        needed = name in listed or name in (RESOLVED_SCENARIO, SUMMARY_CSV)
        if needed and not (folder / name).is_file():
            raise _damaged(folder / name, f"is missing (the folder's {MANIFEST_JSON} lists it)")
    for name in (SUMMARY_CSV, MONTHLY_CSV, DIFFERENCES_CSV):
        read_table(folder / name)
    read_meta(folder)
    read_scenario(folder)
    return kind


def currency_code(folder: Path) -> str:
    """``scenario.currency`` of the folder's resolved scenario (the schema's default if absent).

    Args:
        folder: an output folder.

    Returns:
        The ISO 4217 code that labels the folder's money.
    """
    _text, data = read_scenario(folder)
    meta = data.get("scenario", {})
    code = meta.get("currency") if isinstance(meta, dict) else None
    if isinstance(code, str) and code:
        return code
    from channelsim.scenario import Meta  # the default lives in the schema, nowhere else

    return str(Meta.model_fields["currency"].default)
