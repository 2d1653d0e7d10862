"""``results.xlsx``: the output folder's tables as a workbook an analyst opens in Excel.

Numbers are written as numbers (never as text), each sheet's header row is frozen, columns are
sized to their content, and each column gets the number format of its metric's unit from the
catalogue: money in the scenario's currency (``#,##0 "EUR"``), shares as percentages, months
and small counts with one decimal. Text is written as text, never as a formula (a strategy named
``=HYPERLINK(...)`` stays a name). Written with XlsxWriter in constant-memory mode (each row is
streamed to a temporary file, so a large table never sits in memory whole), about three times
as fast as openpyxl's write-only mode with a sixth of its import time (measured on the
200,000-lead run's workbook: 0.9 s against 2.6 s on one machine); the file is written
atomically like every other output. The tests read workbooks back with openpyxl, a reader
independent of the writer.

**Same run, same bytes.** The writer stamps the save time into ``docProps/core.xml`` (created)
and a platform into the zip entries. :func:`write_workbook`
rewrites the archive with those stamps removed (the core properties lose their dates, every
entry gets the zip epoch, 1980-01-01), so the workbook is as reproducible as the CSV files
(``run.json`` alone records when a folder was written).

**Where it is written.** :func:`write_folder_workbook` builds the workbook of a run or
comparison folder from the folder's own files (``summary.csv``, ``differences.csv``,
``monthly.csv``, ``scenario.resolved.toml``), so ``channelsim report DIR`` rebuilds exactly the
workbook the run wrote and every value equals the CSV's. The report writes it in one
of the workers that draw the plots (:func:`channelsim.outputs.figures.save_plots`).

Sheets of a run or comparison folder: in a comparison, ``decision`` first (the recommendation
and what would change it, the same sentences as the terminal and the report, so a forwarded
workbook opens on the answer) and ``swing`` (``swing.csv``); then ``summary`` (every metric,
strategy and channel with its unit and interval), ``differences`` (comparisons), ``monthly``
(the mean over replications of every monthly metric, by strategy, channel and month, money
headers naming the currency, e.g. ``revenue (EUR)``; ``monthly.csv`` has every replication) and
``assumptions`` (every key of the resolved scenario with its value and description). A sweep
folder: ``points``, ``summary``, ``differences`` (two strategies) and ``assumptions``
(:func:`sweep_sheets`); the other planners' folders: their result tables and ``assumptions``
(:func:`planner_sheets`, the tables chosen in :mod:`channelsim.planning.workbooks`).

**Size.** XlsxWriter writes some tens of thousands of cells a second, and Excel holds at most
:data:`EXCEL_MAX_ROWS` rows a sheet. A sweep's long tables (a row per point, strategy and
metric) keep every metric up to :data:`FULL_SHEET_ROWS` rows; beyond that only the plotted
metric's rows, and a ``notes`` sheet says so (the CSV files hold everything).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from channelsim.analysis.decision import recommend_for, swing_sentences
from channelsim.errors import ScenarioError
from channelsim.metrics.catalogue import metric as catalogue_entry
from channelsim.outputs.files import (
    DIFFERENCES_CSV,
    MONTHLY_CSV,
    REPLICATIONS_CSV,
    RESOLVED_SCENARIO,
    RESULTS_XLSX,
    SUMMARY_CSV,
    SWING_CSV,
    atomic_write,
)
from channelsim.outputs.reading import currency_code, read_scenario, read_table
from channelsim.scenario import Scenario, flat_fields, loads_scenario, toml_value

__all__ = [
    "EXCEL_MAX_ROWS",
    "FULL_SHEET_ROWS",
    "RESULTS_XLSX",
    "Sheet",
    "assumptions_frame",
    "folder_sheets",
    "metric_formats",
    "number_format",
    "planner_sheets",
    "run_sheets",
    "sweep_sheets",
    "unit_label",
    "write_folder_workbook",
    "write_workbook",
]

EXCEL_MAX_ROWS = 1_048_576
"""Rows of an Excel sheet, the header included."""

FULL_SHEET_ROWS = 100_000
"""A sweep's long tables keep every metric up to this many rows (about 1M cells)."""

_MAX_WIDTH = 60

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""The earliest time a zip entry can carry: every entry gets it (no clock time in the file)."""
_CLOCK_STAMPS = re.compile(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>")


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


def unit_label(metric: str, currency: str) -> str:
    """A metric's unit as a column shows it: the currency code for money (``EUR per sale``).

    Args:
        metric: a metric of the catalogue (other names have no unit: "").
        currency: the scenario's ISO 4217 code.

    Returns:
        The unit, with ``currency`` replaced by the code.
    """
    try:
        unit = catalogue_entry(metric).unit
    except KeyError:
        return ""
    return unit.replace("currency", currency, 1) if unit.startswith("currency") else unit


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


def _text_width(value: Any) -> int:
    """How wide a value reads: money-like with two decimals for floats, else as text."""
    if value is None:
        return 0
    return len(f"{value:,.2f}") if isinstance(value, float) else len(str(value))


def _column_cells(column: pd.Series) -> tuple[list[Any], int]:
    """A column's cell values (see :func:`_cell_value`) and the width of its widest value.

    A column of floats or whole numbers is converted at once, and its widest value is its
    largest or its most negative one (the text only grows with the magnitude); any other
    column goes value by value.
    """
    kind = column.dtype.kind
    if kind == "f":
        array = column.to_numpy(dtype=float)
        finite = np.isfinite(array)
        values = [v if ok else None for v, ok in zip(array.tolist(), finite.tolist(), strict=True)]
        ends = [float(array[finite].min()), float(array[finite].max())] if finite.any() else []
    elif kind in "iu":
        values = column.tolist()
        ends = [min(values), max(values)] if values else []
    else:
        values = [_cell_value(v) for v in column.tolist()]
        ends = values
    return values, max((_text_width(v) for v in ends), default=0)


def write_workbook(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` to an ``.xlsx`` file at ``path`` (atomically).

    Args:
        path: the workbook to write.
        sheets: its sheets, in order.

    Returns:
        ``path``.
    """
    import xlsxwriter  # 0.05 s to import: only when a workbook is written

    raw = io.BytesIO()
    # constant_memory streams each row to a temporary file as it is written (a sweep's long
    # tables never sit in memory whole); the zip goes to ``raw``
    wb = xlsxwriter.Workbook(
        raw,
        {"constant_memory": True, "tmpdir": str(Path(path).parent), "strings_to_numbers": False},
    )
    wb.set_properties({"author": "channelsim"})
    formats: dict[str, Any] = {}

    def style(fmt: str) -> Any:
        if fmt not in formats:
            formats[fmt] = wb.add_format({"num_format": fmt})
        return formats[fmt]

    bold = wb.add_format({"bold": True})
    for sheet in sheets:
        ws = wb.add_worksheet(_sheet_name(sheet.name))
        frame = sheet.frame
        columns = [str(c) for c in frame.columns]
        cells = [_column_cells(frame.iloc[:, k]) for k in range(len(columns))]
        widths = [max(len(c), width) for c, (_, width) in zip(columns, cells, strict=True)]
        values = list(zip(*(v for v, _ in cells), strict=True)) if cells else []
        for k, width in enumerate(widths):
            ws.set_column(k, k, min(width + 2, _MAX_WIDTH))
        ws.freeze_panes(1, 0)
        for k, c in enumerate(columns):
            ws.write_string(0, k, c, bold)
        fixed = dict(sheet.formats or {})
        column_style = [style(fixed[c]) if c in fixed else None for c in columns]
        by_row = columns.index(sheet.row_formats) if sheet.row_formats in columns else None
        per_row = {columns.index(c) for c in sheet.value_columns if c in columns}
        currency = sheet.currency
        for r, row in enumerate(values, start=1):
            row_style = None
            if by_row is not None:
                row_style = style(number_format(str(row[by_row]), currency))
            for k, v in enumerate(row):
                if v is None or v == "":
                    continue  # an empty cell
                if isinstance(v, str):
                    ws.write_string(r, k, v)
                elif isinstance(v, bool):
                    ws.write_boolean(r, k, v)
                else:
                    fmt = row_style if row_style is not None and k in per_row else column_style[k]
                    ws.write_number(r, k, v, fmt)
    wb.close()
    return atomic_write(path, _without_clock(raw.getvalue()))


def _sheet_name(name: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, no brackets, colon, star, slashes."""
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31]


def _without_clock(data: bytes) -> bytes:
    """The workbook's zip archive again, without the save time the writer stamps into it."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                part = _CLOCK_STAMPS.sub(b"", part)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # the same bytes whatever system writes it
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, part)
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
    scenario: Scenario | None,
    summary: pd.DataFrame,
    monthly: pd.DataFrame | None,
    differences: pd.DataFrame | None,
    currency: str | None = None,
) -> list[Sheet]:
    """The sheets of a run or comparison folder (see the module docstring).

    Args:
        scenario: the scenario as run (None: no ``assumptions`` sheet).
        summary: the ``summary.csv`` table.
        monthly: the ``monthly.csv`` table (None or empty: no ``monthly`` sheet).
        differences: the ``differences.csv`` table (None or empty: no ``differences`` sheet).
        currency: the ISO 4217 code of money (default: the scenario's, else USD).

    Returns:
        The sheets, in workbook order.
    """
    if currency is None:
        currency = scenario.scenario.currency if scenario is not None else "USD"
    stats = [c for c in ("mean", "std", "ci_low", "ci_high", "median") if c in summary.columns]
    sheets = [
        Sheet(
            "summary",
            _with_units(summary, currency),
            {"n": "0"},
            row_formats="metric",
            value_columns=stats,
            currency=currency,
        )
    ]
    if differences is not None and not differences.empty:
        values = ["mean", "std", "ci_low", "ci_high", "unpaired_ci_low", "unpaired_ci_high"]
        sheets.append(
            Sheet(
                "differences",
                _with_units(differences, currency),
                {"p_better": "0%", "n": "0"},
                row_formats="metric",
                value_columns=values,
                currency=currency,
            )
        )
    if monthly is not None and not monthly.empty:
        sheets.append(_monthly_sheet(monthly, currency))
    if scenario is not None:
        sheets.append(Sheet("assumptions", assumptions_frame(scenario)))
    return sheets


def _with_units(table: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The table with a ``unit`` column after ``metric`` (money in the currency's code)."""
    units = {m: unit_label(m, currency) for m in table["metric"].unique()}
    out = table.copy()
    out.insert(list(out.columns).index("metric") + 1, "unit", out["metric"].map(units))
    return out


def _monthly_sheet(monthly: pd.DataFrame, currency: str) -> Sheet:
    """Monthly means over replications; money headers carry the currency (``revenue (EUR)``)."""
    keys = [c for c in ("strategy", "channel", "month") if c in monthly.columns]
    metrics = [c for c in monthly.columns if c not in (*keys, "replication")]
    groups = monthly.groupby(keys, sort=False)
    means = groups[metrics].mean()
    means.insert(0, "replications", groups.size())
    means = means.reset_index()
    headers = {}
    for m in metrics:
        unit = unit_label(m, currency)
        headers[m] = f"{m} ({unit})" if unit.startswith(currency) else m
    formats = {headers[m]: number_format(m, currency) for m in metrics}
    return Sheet("monthly", means.rename(columns=headers), formats, currency=currency)


def folder_sheets(folder: Path) -> list[Sheet]:
    """The sheets of a run or comparison folder, read from the folder's own files.

    Args:
        folder: a folder with at least ``summary.csv``; ``differences.csv``, ``monthly.csv``
            and ``scenario.resolved.toml`` add their sheets where present.

    Returns:
        The sheets (none when the folder has no ``summary.csv``).

    Raises:
        UsageError: a table is damaged (see :func:`channelsim.outputs.reading.read_table`).
    """
    folder = Path(folder)
    summary = read_table(folder / SUMMARY_CSV)
    if summary is None:
        return []
    text, _data = read_scenario(folder)
    currency = currency_code(folder)
    scenario = None
    if text:
        try:
            scenario = loads_scenario(text, file=str(folder / RESOLVED_SCENARIO))
        except ScenarioError:
            scenario = None  # a folder of an older schema: the workbook goes without assumptions
    differences = read_table(folder / DIFFERENCES_CSV)
    sheets = run_sheets(
        scenario=scenario,
        summary=summary,
        monthly=read_table(folder / MONTHLY_CSV),
        differences=differences,
        currency=currency,
    )
    if differences is None or differences.empty or not _data:
        return sheets
    swing = read_table(folder / SWING_CSV)
    return (
        decision_sheets(
            _data, summary, differences, read_table(folder / REPLICATIONS_CSV), swing, currency
        )
        + sheets
    )


def decision_sheets(
    scenario: Mapping[str, Any],
    summary: pd.DataFrame,
    differences: pd.DataFrame,
    replications: pd.DataFrame | None,
    swing: pd.DataFrame | None,
    currency: str,
) -> list[Sheet]:
    """A comparison's ``decision`` and ``swing`` sheets.

    ``decision`` holds the recommendation's sentences, then what would change it; ``swing`` is
    ``swing.csv`` (when the comparison has one).

    Args:
        scenario: the resolved scenario as a TOML table (its ``[decision]`` rule, variants,
            horizon, target and currency).
        summary: the summary table.
        differences: the paired differences.
        replications: the per-replication values (None: no share of replications is stated).
        swing: the ``swing.csv`` table (None: compare ran with ``--no-swing``).
        currency: the ISO 4217 code of money.

    Returns:
        The sheets, in workbook order.
    """
    rec = recommend_for(scenario, summary, differences, replications)
    rows = [("recommendation", s) for s in rec.sentences]
    rows += [("what would change the answer", s) for s in swing_sentences(swing, currency)]
    sheets = [Sheet("decision", pd.DataFrame(rows, columns=["section", "sentence"]))]
    if swing is not None and not swing.empty:
        money = [c for c in swing.columns if c.startswith("lead") or c == "swing"]
        fmt = number_format(str(swing["objective"].iloc[0]), currency)
        sheets.append(Sheet("swing", swing, {c: fmt for c in money}))
    return sheets


def write_folder_workbook(folder: Path) -> Path | None:
    """Write ``results.xlsx`` into a run or comparison folder from the folder's tables.

    Args:
        folder: the output folder (see :func:`folder_sheets`).

    Returns:
        The workbook's path, or None when the folder has no ``summary.csv``.
    """
    sheets = folder_sheets(folder)
    if not sheets:
        return None
    return write_workbook(Path(folder) / RESULTS_XLSX, sheets)


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
    whose statistics take each row's metric's number format; like the run workbook's they
    get a ``unit`` column after ``metric``. Above :data:`FULL_SHEET_ROWS`
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
        frame = _with_units(frame, currency)
        sheet = Sheet(name, frame, row_formats="metric", value_columns=stats, currency=currency)
        sheets.append(sheet)
    if any(len(sheet.frame) >= EXCEL_MAX_ROWS for sheet in sheets):
        return None
    if notes:
        sheets.append(Sheet("notes", pd.DataFrame({"note": notes})))
    return planner_sheets(scenario, sheets)
