"""``frame_csv`` writes the bytes pandas' ``to_csv`` writes for the same table, on random
tables: floats of every size with NaN, infinities and ``-0.0``, whole numbers, booleans, text
with commas, quotes and line breaks, missing values, one column or none.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from channelsim.outputs.text import FLOAT_FORMAT, frame_csv


def pandas_csv(frame: pd.DataFrame) -> str:
    """The reference: pandas itself, with ``-0.0`` written as ``0`` as the outputs want."""
    frame = frame.copy()
    for k in range(frame.shape[1]):
        if frame.iloc[:, k].dtype.kind == "f":
            frame.isetitem(k, frame.iloc[:, k] + 0.0)
    return frame.to_csv(index=False, float_format=FLOAT_FORMAT, na_rep="", lineterminator="\n")


floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [-0.0, 0.0, 1e-300, 123456789.123456, math.nan, 2.5e17]
)
texts = st.text(alphabet=st.sampled_from(list('ab ,"\n\r;é-')), max_size=6)


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 6))
    kinds = draw(st.lists(st.sampled_from(["float", "int", "bool", "text", "mixed"]), max_size=5))
    data = {}

    def column(values: st.SearchStrategy) -> list:
        return draw(st.lists(values, min_size=n, max_size=n))

    for k, kind in enumerate(kinds):
        if kind == "float":
            values = pd.Series(column(floats), dtype=float)
        elif kind == "int":
            values = pd.Series(column(st.integers(-(10**12), 10**12)), dtype="int64")
        elif kind == "bool":
            values = pd.Series(column(st.booleans()), dtype=bool)
        elif kind == "text":
            values = pd.Series(column(texts | st.none()))
        else:
            values = pd.Series(column(texts | floats | st.none()), dtype=object)
        data[f"{kind},{k}" if k % 2 else f"c{k}"] = values
    return pd.DataFrame(data)


@settings(max_examples=300, deadline=None)
@given(tables())
def test_the_bytes_are_pandas_bytes(frame: pd.DataFrame) -> None:
    assert frame_csv(frame) == pandas_csv(frame)


def test_minus_zero_and_missing_by_hand() -> None:
    frame = pd.DataFrame({"x": [-0.0, np.nan, 1 / 3], "name": ["a,b", None, 'say "hi"']})
    assert frame_csv(frame) == 'x,name\n0,"a,b"\n,\n0.3333333333,"say ""hi"""\n'


def test_other_kinds_of_column_are_left_to_pandas() -> None:
    frame = pd.DataFrame({"day": pd.to_datetime(["2026-01-31"]), "v": [-0.0]})
    assert frame_csv(frame) == "day,v\n2026-01-31,0\n"
