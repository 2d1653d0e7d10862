"""Reading a CRM export: one row per deal, mapped onto the canonical fields.

**The canonical fields** (:data:`FIELDS`): ``created`` (when the deal was opened or engaged),
``closed`` (when it was won or lost; ignored for open deals, since Salesforce's ``CloseDate``
holds a forecast until the deal closes), ``stage`` (its outcome), ``amount``, ``owner`` (the
rep or partner who worked it) and the optional ``channel`` (``direct``, or a partner program's
name; empty means direct), ``segment`` and ``source`` (``company``, or a value starting with
``partner`` for a partner-sourced lead; empty means company).

**Mapping.** A preset (``--format salesforce|hubspot``) or the canonical names fill the column
of every field; ``--map FIELD=COLUMN`` replaces one. ``--won`` and ``--lost`` name the stage
values that mean won and lost (compared without case or surrounding blanks); any other stage is
open. Dates are ISO 8601 (``2024-03-15``, a time allowed) unless ``--date-format`` gives a
``strptime`` format such as ``%m/%d/%Y``.

**Bad input.** A missing column, an export with no won or lost deal, a negative amount (credit
notes mixed into an opportunity export would bias the deal size without a sound), or a file in
which nothing usable remains stop the command with exit 2, each problem naming the line and the
column. A row that cannot be read (a date that is not a date, a closed deal without its close
date, a close before its creation, an amount that is not a number) is left out and reported by
line and column; more than :data:`WARN_DROPPED_SHARE` of the rows left out is a warning, more
than :data:`MAX_DROPPED_SHARE` an error (the export is not what the mapping says).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from channelsim.errors import Problem, UsageError

__all__ = [
    "DIRECT",
    "FIELDS",
    "FORMATS",
    "MAX_DROPPED_SHARE",
    "OPTIONAL_FIELDS",
    "WARN_DROPPED_SHARE",
    "Deals",
    "ExportFormat",
    "RowProblem",
    "read_deals",
]

FIELDS: tuple[str, ...] = ("created", "closed", "stage", "amount", "owner")
"""Fields every export must have a column for."""

OPTIONAL_FIELDS: tuple[str, ...] = ("channel", "segment", "source")
"""Fields an export may have: without them every deal is direct, of one segment, company-sourced."""

DIRECT = "direct"
"""The channel value of the company's own sales team (any other value names a program)."""

WARN_DROPPED_SHARE = 0.02
"""Share of rows left out above which the command warns."""

MAX_DROPPED_SHARE = 0.5
"""Share of rows left out above which the export is refused: the mapping must be wrong."""

MAX_LISTED = 10
"""Row problems listed one by one (the rest are counted)."""


@dataclass(frozen=True)
class ExportFormat:
    """Column names and outcome values of one CRM's export."""

    columns: Mapping[str, str]
    won: tuple[str, ...]
    lost: tuple[str, ...]


FORMATS: dict[str, ExportFormat] = {
    "canonical": ExportFormat({f: f for f in (*FIELDS, *OPTIONAL_FIELDS)}, ("won",), ("lost",)),
    "salesforce": ExportFormat(
        {
            "created": "CreatedDate",
            "closed": "CloseDate",
            "stage": "StageName",
            "amount": "Amount",
            "owner": "Owner",
        },
        ("Closed Won",),
        ("Closed Lost",),
    ),
    "hubspot": ExportFormat(
        {
            "created": "Create Date",
            "closed": "Close Date",
            "stage": "Deal Stage",
            "amount": "Amount",
            "owner": "Deal owner",
        },
        ("closedwon",),
        ("closedlost",),
    ),
}
"""Presets of ``--format``; ``canonical`` (the default) uses the field names as columns."""


@dataclass(frozen=True)
class RowProblem:
    """A row left out: its line in the file, the column and what was wrong."""

    line: int
    column: str
    message: str

    def text(self, file: str) -> str:
        """``FILE: line N, column 'C': message``."""
        return f"{file}: line {self.line}, column {self.column!r}: {self.message}"


@dataclass
class Deals:
    """The deals of an export, one row each, in the canonical fields.

    Attributes:
        frame: columns ``line`` (in the file), ``created`` and ``closed`` (timestamps; closed
            is NaT while open), ``outcome`` (``won``, ``lost`` or ``open``), ``amount`` (NaN
            when empty), ``owner`` ("" when empty), ``channel``, ``segment`` ("" without a
            segment column) and ``source`` (``company`` or ``partner``).
        as_of: the export date: open deals are censored here.
        file: the file name, for messages.
        columns: the column each field was read from (optional fields only when present).
        rows: rows in the file (the header excluded).
        dropped: rows left out, with the reason.
        stages: how many rows had each stage value, as written.
    """

    frame: pd.DataFrame
    as_of: pd.Timestamp
    file: str
    columns: dict[str, str]
    rows: int
    dropped: list[RowProblem] = field(default_factory=list)
    stages: dict[str, int] = field(default_factory=dict)

    @property
    def closed(self) -> pd.DataFrame:
        """Won and lost deals."""
        return self.frame[self.frame.outcome != "open"]

    def warnings(self) -> list[str]:
        """One line per row left out (the first few) and the share dropped when it is large."""
        lines = [p.text(self.file) + " (row left out)" for p in self.dropped[:MAX_LISTED]]
        if len(self.dropped) > MAX_LISTED:
            lines.append(f"{self.file}: {len(self.dropped) - MAX_LISTED} more rows left out")
        if self.rows and len(self.dropped) > WARN_DROPPED_SHARE * self.rows:
            share = len(self.dropped) / self.rows
            lines.append(
                f"{self.file}: {len(self.dropped)} of {self.rows} rows ({share:.0%}) could not be "
                "read and were left out: check the column mapping and --date-format"
            )
        return lines


def _mapping(
    fmt: str, overrides: Iterable[str], won: Sequence[str] | None, lost: Sequence[str] | None
) -> tuple[dict[str, str], tuple[str, ...], tuple[str, ...], set[str]]:
    if fmt not in FORMATS:
        known = ", ".join(FORMATS)
        raise UsageError(Problem(None, "--format", f"unknown format {fmt!r}; expected {known}"))
    preset = FORMATS[fmt]
    columns = dict(preset.columns)
    explicit: set[str] = set()
    for item in overrides:
        name, sep, column = item.partition("=")
        name = name.strip().lower()
        if not sep or not column.strip():
            raise UsageError(
                Problem(None, f"--map {item}", "expected FIELD=COLUMN, e.g. --map owner=Rep")
            )
        if name not in (*FIELDS, *OPTIONAL_FIELDS):
            known = ", ".join((*FIELDS, *OPTIONAL_FIELDS))
            raise UsageError(Problem(None, f"--map {item}", f"unknown field; expected {known}"))
        columns[name] = column.strip()
        explicit.add(name)
    return columns, tuple(won or preset.won), tuple(lost or preset.lost), explicit


def _sniff(text: str) -> csv.Dialect | type[csv.Dialect]:
    try:
        return csv.Sniffer().sniff(text[:20_000], delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _read_rows(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    file = str(path)
    if not path.is_file():
        raise UsageError(Problem(file, "", "file not found" if not path.exists() else "not a file"))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = path.read_text(encoding="cp1252")  # Excel's "CSV" on Windows
        except UnicodeDecodeError:
            raise UsageError(Problem(file, "", "not a text file (UTF-8 or Windows-1252)")) from None
    reader = csv.reader(io.StringIO(text, newline=""), _sniff(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise UsageError(Problem(file, "", "the file is empty")) from None
    except csv.Error as exc:
        raise UsageError(Problem(file, "line 1", f"not a CSV header: {exc}")) from None
    rows, lines = [], []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise UsageError(Problem(file, f"line {reader.line_num}", f"not CSV: {exc}")) from None
    return header, rows, lines


def _parse_dates(values: pd.Series, date_format: str | None) -> pd.Series:
    text = values.str.strip()
    if date_format:
        return pd.to_datetime(text, format=date_format, errors="coerce")
    return pd.to_datetime(text, format="ISO8601", errors="coerce")


def read_deals(
    path: str | Path,
    *,
    fmt: str = "canonical",
    mapping: Iterable[str] = (),
    won: Sequence[str] | None = None,
    lost: Sequence[str] | None = None,
    date_format: str | None = None,
    as_of: str | None = None,
) -> Deals:
    """Read and check a CRM export.

    Args:
        path: the CSV file (comma, semicolon, tab or bar separated; UTF-8 or Windows-1252).
        fmt: ``canonical``, ``salesforce`` or ``hubspot`` (see :data:`FORMATS`).
        mapping: ``FIELD=COLUMN`` items that replace the preset's columns.
        won: stage values that mean won (default: the preset's).
        lost: stage values that mean lost (default: the preset's).
        date_format: a ``strptime`` format for non-ISO dates, e.g. ``%m/%d/%Y``.
        as_of: the export date (ISO, or in ``date_format``); default the latest date in the
            file.

    Returns:
        The deals, with the rows left out and why.

    Raises:
        UsageError: a missing column, no won or lost deal, negative amounts, a bad ``as_of``,
            or too few readable rows; every problem names the line and the column.
    """
    path = Path(path)
    file = str(path)
    columns, won_values, lost_values, explicit = _mapping(fmt, mapping, won, lost)
    header, rows, lines = _read_rows(path)
    index = {name: i for i, name in enumerate(header)}
    missing = [
        Problem(
            file,
            "line 1",
            f"no column {columns[f]!r} for the field {f!r} (the header has "
            f"{', '.join(repr(h) for h in header)}); map it with --map {f}=COLUMN",
        )
        for f in FIELDS
        if columns[f] not in index
    ]
    missing += [
        Problem(file, "line 1", f"no column {columns[f]!r} for the field {f!r} named by --map")
        for f in OPTIONAL_FIELDS
        if f in explicit and columns[f] not in index
    ]
    if missing:
        raise UsageError(missing)
    used = {f: columns[f] for f in (*FIELDS, *OPTIONAL_FIELDS) if columns.get(f) in index}
    width = len(header)
    table = pd.DataFrame(
        [(row + [""] * width)[:width] for row in rows], columns=range(width), dtype=object
    ).fillna("")
    for f in OPTIONAL_FIELDS:  # an optional column that is empty throughout is no column
        if f in used and not table[index[used[f]]].astype(str).str.strip().any():
            del used[f]

    def col(f: str) -> pd.Series:
        if f not in used:
            return pd.Series([""] * len(rows), dtype=object)
        return table[index[used[f]]].astype(str)

    line = pd.Series(lines, dtype=int)
    stage = col("stage").str.strip()
    key = stage.str.casefold()
    outcome = pd.Series("open", index=stage.index, dtype=object)
    outcome[key.isin({v.strip().casefold() for v in lost_values})] = "lost"
    outcome[key.isin({v.strip().casefold() for v in won_values})] = "won"
    problems: list[RowProblem] = []
    bad = pd.Series(False, index=stage.index)

    def drop(mask: pd.Series, f: str, message) -> None:
        nonlocal bad
        mask = mask & ~bad
        for i in np.flatnonzero(mask.to_numpy()):
            problems.append(RowProblem(int(line[i]), used[f], message(i)))
        bad = bad | mask

    fmt_text = date_format or "ISO 8601, e.g. 2024-03-15"
    created_raw = col("created")
    created = _parse_dates(created_raw, date_format)
    drop(created_raw.str.strip() == "", "created", lambda i: "empty creation date")
    drop(
        created.isna(),
        "created",
        lambda i: f"cannot read {created_raw[i].strip()!r} as a date ({fmt_text})",
    )
    closed_raw = col("closed")
    closed = _parse_dates(closed_raw, date_format)
    is_closed = outcome != "open"
    drop(
        is_closed & (closed_raw.str.strip() == ""),
        "closed",
        lambda i: f"a {outcome[i]} deal without its close date",
    )
    drop(
        is_closed & closed.isna(),
        "closed",
        lambda i: f"cannot read {closed_raw[i].strip()!r} as a date ({fmt_text})",
    )
    drop(
        is_closed & (closed < created),
        "closed",
        lambda i: (
            f"closed {closed_raw[i].strip()} before it was created ({created_raw[i].strip()})"
        ),
    )
    amount_raw = col("amount").str.strip().str.replace(",", "", regex=False)
    amount = pd.to_numeric(amount_raw.str.lstrip("$€£"), errors="coerce")
    drop(
        (amount_raw != "") & amount.isna(),
        "amount",
        lambda i: f"cannot read {col('amount')[i].strip()!r} as a number",
    )
    negative = (amount < 0) & ~bad
    if negative.any():
        shown = [
            Problem(
                file,
                f"line {int(line[i])}, column {used['amount']!r}",
                f"negative amount "
                f"{amount[i]:g}: amounts must be >= 0 (credit notes or refunds in the export?)",
            )
            for i in np.flatnonzero(negative.to_numpy())[:MAX_LISTED]
        ]
        more = int(negative.sum()) - len(shown)
        if more > 0:
            shown.append(Problem(file, "", f"{more} more rows with a negative amount"))
        raise UsageError(shown)

    frame = pd.DataFrame(
        {
            "line": line,
            "created": created,
            "closed": closed.where(is_closed),
            "outcome": outcome,
            "amount": amount.astype(float),
            "owner": col("owner").str.strip(),
            "channel": col("channel").str.strip().replace("", DIRECT),
            "segment": col("segment").str.strip(),
            "source": np.where(
                col("source").str.strip().str.casefold().str.startswith("partner"),
                "partner",
                "company",
            ),
        }
    )
    frame.loc[frame.channel.str.casefold() == DIRECT, "channel"] = DIRECT
    if "segment" in used:
        frame.loc[frame.segment == "", "segment"] = "unknown"
    frame = frame[~bad.to_numpy()].reset_index(drop=True)
    stages = stage.value_counts().to_dict()

    total = len(rows)
    if frame.empty or len(problems) > MAX_DROPPED_SHARE * total:
        shown = [Problem(file, "", p.text(file).split(": ", 1)[1]) for p in problems[:MAX_LISTED]]
        reason = "no row" if frame.empty else f"only {len(frame)} of {total} rows"
        shown.append(
            Problem(
                file,
                "",
                f"{reason} could be read ({len(problems)} left out): check --map, "
                "--date-format and --format",
            )
        )
        raise UsageError(shown)
    if not (frame.outcome != "open").any():
        seen = ", ".join(repr(s) for s in list(stages)[:8]) or "none"
        raise UsageError(
            Problem(
                file,
                f"column {used['stage']!r}",
                f"no won or lost deal: stages seen are {seen}, won means "
                f"{', '.join(repr(v) for v in won_values)} and lost "
                f"{', '.join(repr(v) for v in lost_values)}; name them with --won and --lost",
            )
        )
    latest = max(frame.created.max(), frame.closed.max())
    stamp = latest.normalize() if as_of is None else _as_of(as_of, date_format)
    if stamp < latest.normalize():
        after = frame[(frame.created > stamp) | (frame.closed > stamp)]
        raise UsageError(
            Problem(
                None,
                "--as-of",
                f"{stamp.date()} is before dates in the file ({file}: line "
                f"{int(after.line.iloc[0])} is dated {latest.date()}): the export date must "
                "be on or after every date in it",
            )
        )
    return Deals(
        frame=frame,
        as_of=stamp,
        file=file,
        columns=used,
        rows=total,
        dropped=problems,
        stages={str(k): int(v) for k, v in stages.items()},
    )


def _as_of(text: str, date_format: str | None) -> pd.Timestamp:
    for fmt in ("ISO8601", date_format):
        if fmt is None:
            continue
        stamp = pd.to_datetime(pd.Series([text.strip()]), format=fmt, errors="coerce")[0]
        if not pd.isna(stamp):
            return pd.Timestamp(stamp).normalize()
    raise UsageError(Problem(None, "--as-of", f"cannot read {text!r} as a date (e.g. 2024-03-31)"))
