"""The uncertain inputs of a value-of-information analysis: ranges, files, the sample.

An uncertain input is a numeric key spread over a range, uniform or triangular
(``--param KEY=LO:HI[:dist[:mode]]``, or an entry of a ranges file). Keys are checked as a
sweep's parameters are (:mod:`.parameters`), both ends must be values the schema accepts.
The sample is a Latin hypercube (``scipy.stats.qmc.LatinHypercube``, seeded by the scenario
seed in a stream of its own): each input's range is cut into ``samples`` equal-probability
strata with one sample in each, what the per-input regressions of EVPPI need; a triangular
input is drawn through its quantile function (``scipy.stats.triang``).
"""

from __future__ import annotations

import json
import math
import tomllib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from channelsim.errors import Problem, UsageError
from channelsim.planning.parameters import ParamSpec, apply_values, check_param
from channelsim.planning.variables import refuse_non_numeric
from channelsim.scenario import FieldSpec, Scenario

__all__ = [
    "DISTRIBUTIONS",
    "UncertainParam",
    "parse_uncertain",
    "read_ranges",
    "resolve_uncertain",
    "sample_points",
]

DISTRIBUTIONS: tuple[str, ...] = ("uniform", "triangular")
"""How an uncertain parameter is spread over its range."""


@dataclass(frozen=True)
class UncertainParam:
    """An uncertain input: a numeric key spread over a range.

    Attributes:
        key: the dotted key.
        low: the lowest value.
        high: the highest value.
        dist: ``uniform`` or ``triangular``.
        mode: the peak of a triangular spread (None: the middle of the range).
    """

    key: str
    low: float
    high: float
    dist: str = "uniform"
    mode: float | None = None

    def text(self) -> str:
        """As written on the command line, e.g. ``key=0.2:0.6:triangular:0.3``."""
        out = f"{self.key}={self.low:.10g}:{self.high:.10g}"
        if self.dist != "uniform":
            out += f":{self.dist}" + (f":{self.mode:.10g}" if self.mode is not None else "")
        return out

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready description (in the manifest and ``voi.json``)."""
        return {
            "key": self.key,
            "low": self.low,
            "high": self.high,
            "dist": self.dist,
            "mode": self.mode,
        }

    def quantiles(self, u: np.ndarray) -> np.ndarray:
        """The values at probabilities ``u`` (the inverse of the distribution function)."""
        if self.dist == "uniform":
            return self.low + u * (self.high - self.low)
        from scipy import stats  # imported here: half a second, only when sampling

        mode = (self.low + self.high) / 2 if self.mode is None else self.mode
        width = self.high - self.low
        return stats.triang((mode - self.low) / width, loc=self.low, scale=width).ppf(u)


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        return math.nan
    return value


def _checked(
    key: str, low: float, high: float, dist: str, mode: float | None, where: str, file: str | None
) -> UncertainParam:
    if not (math.isfinite(low) and math.isfinite(high)):
        raise UsageError(Problem(file, where, "low and high must be numbers"))
    if not low < high:
        raise UsageError(
            Problem(file, where, f"low must be below high (got {low:.10g} >= {high:.10g})")
        )
    if dist not in DISTRIBUTIONS:
        raise UsageError(
            Problem(file, where, f"unknown distribution {dist!r}; expected uniform or triangular")
        )
    if mode is not None and not (math.isfinite(mode) and low <= mode <= high):
        raise UsageError(Problem(file, where, f"the mode must lie between {low:g} and {high:g}"))
    if dist == "uniform" and mode is not None:
        raise UsageError(Problem(file, where, "a uniform range has no mode"))
    return UncertainParam(key, low, high, dist, mode)


def parse_uncertain(text: str) -> UncertainParam:
    """Read ``KEY=LO:HI``, ``KEY=LO:HI:uniform``, ``KEY=LO:HI:triangular[:MODE]``.

    Raises:
        UsageError: no ``=``, a range that is not two numbers, ``LO >= HI``, an unknown
            distribution, a mode outside the range.
    """
    key, sep, rest = text.partition("=")
    key = key.strip()
    example = "e.g. --param partners.VARs.activation_rate=0.2:0.6 or ...=0.2:0.6:triangular"
    if not sep or not key or not rest.strip():
        raise UsageError(
            Problem(None, "--param", f"expected KEY=LO:HI[:dist], got {text!r} ({example})")
        )
    parts = [p.strip() for p in rest.split(":")]
    where = f"--param {key}"
    if not 2 <= len(parts) <= 4:
        raise UsageError(Problem(None, where, f"expected LO:HI[:dist[:mode]], got {rest!r}"))
    low, high = _number(parts[0]), _number(parts[1])
    dist = parts[2] if len(parts) > 2 else "uniform"
    mode = _number(parts[3]) if len(parts) > 3 else None
    return _checked(key, low, high, dist, mode, where, None)


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables to dotted keys: a leaf is a list or a table with ``low`` and ``high``."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and not {"low", "high"} <= set(value):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def read_ranges(path: str | Path) -> list[UncertainParam]:
    """The uncertain parameters of a ranges file (TOML, or JSON for a ``.json`` name).

    The file maps dotted keys to ``[low, high]``, optionally ``[low, high, "triangular"]`` or
    ``[low, high, "triangular", mode]``, or to a table ``{low, high, dist, mode}``. Bare dotted
    TOML keys (nested tables) work as well as quoted ones; a top-level ``ranges`` table (or
    ``[sensitivity] ranges``) is read when present.

    Raises:
        UsageError: a missing or unreadable file, an entry that is not a range.
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(Problem(file, "--ranges", f"cannot read: {exc.strerror or exc}")) from None
    try:
        data = json.loads(text) if str(path).endswith(".json") else tomllib.loads(text)
    except ValueError as exc:
        raise UsageError(Problem(file, "--ranges", f"not valid TOML/JSON: {exc}")) from None
    if not isinstance(data, Mapping):
        raise UsageError(Problem(file, "--ranges", "expected a table of key = [low, high]"))
    if isinstance(data.get("sensitivity"), Mapping) and "ranges" in data["sensitivity"]:
        data = data["sensitivity"]
    if isinstance(data.get("ranges"), Mapping):
        data = data["ranges"]
    out = []
    for key, value in _flatten(data).items():
        if isinstance(value, Mapping):
            low, high = _as_float(value.get("low")), _as_float(value.get("high"))
            dist, mode = str(value.get("dist", "uniform")), value.get("mode")
        elif isinstance(value, list) and 2 <= len(value) <= 4:
            low, high = _as_float(value[0]), _as_float(value[1])
            dist = str(value[2]) if len(value) > 2 else "uniform"
            mode = value[3] if len(value) > 3 else None
        else:
            raise UsageError(
                Problem(
                    file, key, f'expected [low, high] (or [low, high, "triangular"]), got {value!r}'
                )
            )
        mode = None if mode is None else _as_float(mode)
        out.append(_checked(key, low, high, dist, mode, key, file))
    if not out:
        raise UsageError(Problem(file, "--ranges", "names no parameter"))
    return out


def _as_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def resolve_uncertain(
    scenario: Scenario,
    params: Iterable[UncertainParam | str] | Mapping[str, Any] | None,
    ranges: str | Path | None,
) -> tuple[list[UncertainParam], dict[str, FieldSpec]]:
    """The uncertain inputs: ``params``, then the ranges file, else ``[sensitivity] ranges``.

    Args:
        scenario: the base scenario.
        params: ``KEY=LO:HI[:dist[:mode]]`` strings, UncertainParam objects or ``{key: (lo,
            hi[, dist[, mode]])}``; they take precedence over the file, key by key.
        ranges: a ranges file (:func:`read_ranges`) or None.

    Returns:
        The inputs and each key's kind.

    Raises:
        UsageError: no input, a key given twice, an unknown or non-numeric key, a
            whole-number range with fewer than two values, an end the schema refuses.
    """
    items: list[UncertainParam] = []
    if isinstance(params, Mapping):
        for key, value in params.items():
            low, high, *rest = value
            dist = str(rest[0]) if rest else "uniform"
            mode = float(rest[1]) if len(rest) > 1 else None
            items.append(
                _checked(str(key), float(low), float(high), dist, mode, f"--param {key}", None)
            )
    else:
        for p in params or ():
            items.append(p if isinstance(p, UncertainParam) else parse_uncertain(str(p)))
    if ranges is not None:
        given = {p.key for p in items}
        items += [p for p in read_ranges(ranges) if p.key not in given]
    if not items:
        table = getattr(getattr(scenario, "sensitivity", None), "ranges", None) or {}
        items = [UncertainParam(str(k), float(v[0]), float(v[1])) for k, v in table.items()]
    if not items:
        raise UsageError(
            Problem(
                None,
                "--param",
                "name the uncertain inputs: --param KEY=LO:HI (repeatable) or --ranges FILE",
            )
        )
    fields: dict[str, FieldSpec] = {}
    for p in items:
        if p.key in fields:
            raise UsageError(Problem(None, f"--param {p.key}", "given twice"))
        refuse_non_numeric(scenario, p.key, f"--param {p.key}", "an uncertain input")
        fs = check_param(scenario, ParamSpec(p.key, low=p.low, high=p.high))
        if fs.kind == "integer" and math.floor(p.high) - math.ceil(p.low) < 1:
            raise UsageError(
                Problem(
                    None, f"--param {p.key}", "takes whole numbers; the range holds fewer than two"
                )
            )
        for end in (p.low, p.high):
            apply_values(scenario, {p.key: fs.convert(end)})
        fields[p.key] = fs
    return items, fields


def _sample_seed(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(b"channelsim.voi")]))


def sample_points(
    params: Sequence[UncertainParam], fields: Mapping[str, FieldSpec], samples: int, seed: int
) -> list[dict[str, Any]]:
    """The Latin hypercube sample of the uncertain parameters (see the module docstring).

    Args:
        params: the uncertain parameters.
        fields: each key's kind (whole-number keys are rounded).
        samples: points to draw (at least 8).
        seed: the scenario seed (its own stream, never a replication's).

    Returns:
        One ``{key: value}`` per sample.
    """
    from scipy.stats import qmc  # imported here: half a second, only when sampling

    engine = qmc.LatinHypercube(len(params), rng=_sample_seed(seed))
    unit = engine.random(samples)
    columns = [p.quantiles(unit[:, j]) for j, p in enumerate(params)]
    pairs = list(zip(params, columns, strict=True))
    return [
        {p.key: fields[p.key].convert(float(col[i])) for p, col in pairs} for i in range(samples)
    ]
