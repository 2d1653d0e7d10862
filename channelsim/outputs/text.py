"""Tables and values as text: the one CSV and JSON format of every output file.

:func:`frame_csv` and :func:`rows_csv` write CSV with 10 significant digits, NaN as an empty
cell and no ``-0``, so the same run gives the same bytes on any machine; JSON numbers are
finite or ``null``. :mod:`channelsim.outputs.files` re-exports these names.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from channelsim.scenario import toml_value

__all__ = [
    "FLOAT_FORMAT",
    "csv_cell",
    "frame_csv",
    "json_number",
    "json_value",
    "rows_csv",
    "table_csv",
]

FLOAT_FORMAT = "%.10g"
"""How floats are written in CSV files (10 significant digits, the same on every machine)."""


def frame_csv(frame: pd.DataFrame) -> str:
    """A table as CSV text: floats with :data:`FLOAT_FORMAT`, NaN empty, ``-0`` as ``0``.

    The bytes are those of ``frame.to_csv(index=False, float_format=FLOAT_FORMAT, na_rep="")``
    with ``-0.0`` written as ``0`` (``tests/test_text.py`` holds the two side by side on random
    tables), in about a quarter of its time: float columns are formatted in one pass each and
    every other value goes to the csv module as pandas hands it over. Columns of any other
    kind (dates, categories) are left to pandas.
    """
    columns = []
    for k in range(frame.shape[1]):
        column = frame.iloc[:, k]
        kind = column.dtype.kind
        if kind == "f":
            values = column.to_numpy(dtype=float) + 0.0  # -0.0 -> 0.0: "-0" in a CSV looks wrong
            columns.append([FLOAT_FORMAT % v if v == v else "" for v in values.tolist()])
        elif kind in "iub":
            columns.append(column.tolist())
        elif kind in "OT" or pd.api.types.is_string_dtype(column.dtype):
            values = column.to_numpy(dtype=object)
            missing = pd.isna(values)
            columns.append(
                ["" if m else v for v, m in zip(values.tolist(), missing.tolist(), strict=True)]
            )
        else:
            return _pandas_csv(frame)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(frame.columns))
    writer.writerows(zip(*columns, strict=True) if columns else [])
    return buf.getvalue()


def _pandas_csv(frame: pd.DataFrame) -> str:
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column] + 0.0
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
