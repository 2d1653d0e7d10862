"""``results.xlsx``: the output folder's tables as a workbook an analyst opens in Excel.

Numbers are written as numbers (never as text), each sheet's header row is frozen, columns are
sized to their content, and each column gets the number format of its metric's unit from the
catalogue: money in the scenario's currency (``#,##0 "EUR"``), shares as percentages, months
and small counts with one decimal. Written with openpyxl in write-only mode (streamed, so a
large monthly table does not hold the whole workbook in memory); the file is written
atomically like every other output.

Sheets of a run or comparison folder: ``summary`` (every metric, strategy and channel with its
interval), ``differences`` (comparisons), ``monthly means`` (the mean over replications of every
monthly metric, by strategy, channel and month; ``monthly.csv`` has every replication) and
``assumptions`` (every key of the resolved scenario with its value and description). A sweep
folder: ``points``, ``summary``, ``differences`` (two strategies) and ``assumptions``
(:func:`sweep_sheets`); the other planners' folders: their result tables and ``assumptions``
(:func:`planner_sheets`).

**Same inputs, same bytes.** An ``.xlsx`` file is a zip archive: openpyxl stamps the
document's created and modified times and the zip stamps each member with the time it was
written. Both are set to :data:`FIXED_TIME` (``run.json`` says when a folder was written), so
the same tables give the same bytes, like every other output except ``run.json``.

**Size.** openpyxl writes some tens of thousands of cells a second, and Excel holds at most
:data:`EXCEL_MAX_ROWS` rows a sheet. A sweep's long tables (a row per point, strategy and
metric) keep every metric up to :data:`FULL_SHEET_ROWS` rows; beyond that only the plotted
metric's rows, and a ``notes`` sheet says so (the CSV files hold everything).
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from channelsim import __version__
from channelsim.metrics.catalogue import metric as catalogue_entry
from channelsim.outputs.files import atomic_write
from channelsim.scenario import Scenario, flat_fields, toml_value

__all__ = [
    "EXCEL_MAX_ROWS",
    "FIXED_TIME",
    "FULL_SHEET_ROWS",
    "RESULTS_XLSX",
    "Sheet",
    "assumptions_frame",
    "metric_formats",
    "number_format",
    "planner_sheets",
    "run_sheets",
    "sweep_sheets",
    "write_workbook",
]

RESULTS_XLSX = "results.xlsx"

FIXED_TIME = _dt.datetime(2000, 1, 1)
"""The created and modified times of every workbook, and of its zip members."""

EXCEL_MAX_ROWS = 1_048_576
"""Rows of an Excel sheet, the header included."""

FULL_SHEET_ROWS = 100_000
"""A sweep's long tables keep every metric up to this many rows (about 1M cells)."""

_MAX_WIDTH = 60


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name, its table, and the number format of some columns.

    Attributes:
        name: the sheet's name (at most 31 characters, as Excel wants).
        frame: the table; its columns become the header row.
        formats: column -> Excel number format.
        row_formats: for a long table of metrics, the column naming each row's metric; the
            ``value_columns`` of that row take the metric's own format.
        value_columns: the columns formatted by the row's metric.
        currency: the ISO 4217 code that labels money.
    """

    name: str
    frame: pd.DataFrame
    formats: Mapping[str, str] | None = None
    row_formats: str | None = None
    value_columns: Sequence[str] = ()
    currency: str = "USD"


def number_format(metric: str, currency: str) -> str:
    """The Excel number format of a metric's values."""
    try:
        unit = catalogue_entry(metric).unit
    except KeyError:
        return "General"
    if unit.startswith("currency"):
        return f'#,##0 "{currency}";-#,##0 "{currency}"'
    if unit == "share":
        return "0.0%"
    if unit == "month":
        return "0.0"
    if unit in ("index", "elasticity"):
        return "0.000"
    return "#,##0.0"


def _cell_value(value: Any) -> Any:
    """A value as Excel stores it: numbers as numbers, NaN as an empty cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int | float | str):
        return value
    return str(value)


def write_workbook(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` to an ``.xlsx`` file at ``path`` (atomically).

    Args:
        path: the workbook to write.
        sheets: its sheets, in order.

    Returns:
        ``path``.
    """
    from openpyxl import Workbook  # 0.3 s to import: only when a workbook is written
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name[:31])
        frame = sheet.frame
        columns = [str(c) for c in frame.columns]
        widths = [len(c) for c in columns]
        rows = frame.itertuples(index=False, name=None)
        values = [[_cell_value(v) for v in row] for row in rows]
        for row in values:
            for k, v in enumerate(row):
                text = f"{v:,.2f}" if isinstance(v, float) else str(v) if v is not None else ""
                widths[k] = max(widths[k], len(text))
        for k, width in enumerate(widths):
            ws.column_dimensions[get_column_letter(k + 1)].width = min(width + 2, _MAX_WIDTH)
        ws.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for c in columns:
            cell = WriteOnlyCell(ws, value=c)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        fixed = dict(sheet.formats or {})
        by_row = columns.index(sheet.row_formats) if sheet.row_formats in columns else None
        per_row = {columns.index(c) for c in sheet.value_columns if c in columns}
        currency = sheet.currency
        for row in values:
            row_metric = str(row[by_row]) if by_row is not None else None
            cells = []
            for k, v in enumerate(row):
                fmt = fixed.get(columns[k])
                if row_metric is not None and k in per_row:
                    fmt = number_format(row_metric, currency)
                if fmt is None or not isinstance(v, int | float) or isinstance(v, bool):
                    cells.append(v)
                    continue
                cell = WriteOnlyCell(ws, value=v)
                cell.number_format = fmt
                cells.append(cell)
            ws.append(cells)
    atomic_write(path, _reproducible(wb))
    return path


def _reproducible(wb: Any) -> bytes:
    """The workbook's bytes with fixed document times and zip member times (module doc)."""
    from openpyxl.writer.excel import ExcelWriter

    wb.properties.created = wb.properties.modified = FIXED_TIME
    wb.properties.creator = f"channelsim {__version__}"
    raw = io.BytesIO()
    # ExcelWriter, not Workbook.save: save() stamps the modified time with the clock
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as dst,
    ):
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


def assumptions_frame(scenario: Scenario) -> pd.DataFrame:
    """Every key of the scenario, its value as it ran and what it means (with its unit)."""
    data = scenario.to_toml_dict()
    docs = {f.key: f.description for f in flat_fields()}
    rows = []

    def walk(prefix: str, value: Any, doc_prefix: str) -> None:
        if isinstance(value, dict) and "dist" not in value and prefix.split(".")[-1] != "set":
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else k, v, f"{doc_prefix}.{k}" if doc_prefix else k)
            return
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            placeholder = doc_prefix + ".<name>"
            for item in value:
                name = item.get("name", "?")
                for k, v in item.items():
                    walk(f"{prefix}.{name}.{k}", v, f"{placeholder}.{k}")
            return
        shown = value if isinstance(value, int | float | str) else toml_value(value)
        rows.append((prefix, shown, docs.get(doc_prefix, "")))

    walk("", data, "")
    return pd.DataFrame(rows, columns=["key", "value", "description"])


def run_sheets(
    *,
    scenario: Scenario,
    summary: pd.DataFrame,
    monthly: pd.DataFrame,
    differences: pd.DataFrame | None,
) -> list[Sheet]:
    """The sheets of a run or comparison folder (see the module docstring)."""
    currency = scenario.scenario.currency
    stats = [c for c in ("mean", "ci_low", "ci_high", "median") if c in summary.columns]
    sheets = [
        Sheet("summary", summary, row_formats="metric", value_columns=stats, currency=currency)
    ]
    if differences is not None and not differences.empty:
        values = ["mean", "std", "ci_low", "ci_high", "unpaired_ci_low", "unpaired_ci_high"]
        sheets.append(
            Sheet(
                "differences",
                differences,
                {"p_better": "0%"},
                row_formats="metric",
                value_columns=values,
                currency=currency,
            )
        )
    metrics = [
        c for c in monthly.columns if c not in ("strategy", "replication", "month", "channel")
    ]
    means = (
        monthly.groupby(["strategy", "channel", "month"], sort=False)[metrics].mean().reset_index()
    )
    formats = {m: number_format(m, currency) for m in metrics}
    sheets.append(Sheet("monthly means", means, formats))
    sheets.append(Sheet("assumptions", assumptions_frame(scenario)))
    return sheets


# --- the planners' workbooks ---------------------------------------------------------------------

_STAT_COLUMNS = ("mean", "std", "ci_low", "ci_high", "median")


def metric_formats(columns: Sequence[str], metric: str, currency: str) -> dict[str, str]:
    """The number format of ``metric`` for each of ``columns`` (a wide table of one metric)."""
    fmt = number_format(metric, currency)
    return {str(c): fmt for c in columns}


def planner_sheets(scenario: Scenario, tables: Sequence[Sheet]) -> list[Sheet]:
    """A planner's sheets: its tables, then ``assumptions`` (the scenario as it ran)."""
    return [*tables, Sheet("assumptions", assumptions_frame(scenario))]


def sweep_sheets(
    scenario: Scenario,
    points: pd.DataFrame,
    summary: pd.DataFrame,
    differences: pd.DataFrame | None,
    metric: str,
) -> list[Sheet] | None:
    """The sheets of a sweep folder: ``points``, ``summary``, ``differences``, ``assumptions``.

    ``summary`` and ``differences`` are long tables (a row per point, strategy and metric)
    whose statistics take each row's metric's number format. Above :data:`FULL_SHEET_ROWS`
    rows they keep only ``metric``'s rows, and a ``notes`` sheet says so.

    Args:
        scenario: the swept scenario (its currency and assumptions).
        points: ``points.csv``.
        summary: ``summary.csv``.
        differences: ``differences.csv`` (None: not two strategies).
        metric: the sweep's metric (``--metric``), kept when a table is cut.

    Returns:
        The sheets, or None when even the cut tables would not fit in Excel's rows.
    """
    currency = scenario.scenario.currency
    notes: list[str] = []
    tables = [("summary", summary)]
    if differences is not None and not differences.empty:
        tables.append(("differences", differences))
    sheets = [Sheet("points", points)]
    for name, frame in tables:
        if len(frame) > FULL_SHEET_ROWS:
            notes.append(
                f"{name} holds {metric} only: every metric would be {len(frame):,} rows; "
                f"{name}.csv has them all"
            )
            frame = frame[frame["metric"] == metric]
        stats = [c for c in _STAT_COLUMNS if c in frame.columns]
        sheet = Sheet(name, frame, row_formats="metric", value_columns=stats, currency=currency)
        sheets.append(sheet)
    if any(len(sheet.frame) >= EXCEL_MAX_ROWS for sheet in sheets):
        return None
    if notes:
        sheets.append(Sheet("notes", pd.DataFrame({"note": notes})))
    return planner_sheets(scenario, sheets)
