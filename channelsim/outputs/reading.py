"""Reading an output folder back: its tables, its meta data and its resolved scenario.

``channelsim report DIR`` and the plots rebuild everything from these files alone.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from channelsim.outputs.files import RESOLVED_SCENARIO, SUMMARY_JSON

__all__ = ["read_meta", "read_scenario", "read_table", "target_sales"]


def read_table(path: Path) -> pd.DataFrame | None:
    """A CSV table of an output folder, or None when the file is absent.

    Only empty cells are read as missing, so a program or strategy named "NA" stays a name.

    Args:
        path: the CSV file.

    Returns:
        The table, or None.
    """
    if not path.is_file():
        return None
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def read_meta(folder: Path) -> dict[str, Any]:
    """The ``meta`` object of the folder's ``summary.json`` ({} when absent)."""
    path = Path(folder) / SUMMARY_JSON
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as fh:
        return dict(json.load(fh).get("meta", {}))


def read_scenario(folder: Path) -> tuple[str, dict[str, Any]]:
    """The folder's resolved scenario: its text and its parsed data ("" and {} when absent)."""
    path = Path(folder) / RESOLVED_SCENARIO
    if not path.is_file():
        return "", {}
    text = path.read_text(encoding="utf-8")
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return text, {}


def target_sales(folder: Path) -> float | None:
    """``targets.sales_per_month`` of the folder's resolved scenario (None when absent or 0).

    Args:
        folder: an output folder.

    Returns:
        The target, or None.
    """
    path = Path(folder) / RESOLVED_SCENARIO
    if not path.is_file():
        return None
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    value = data.get("targets", {}).get("sales_per_month")
    return float(value) if value else None
