"""The parameters of a sensitivity analysis and their ranges.

``--param key=lo:hi`` (repeatable) names them. Without it, the scenario's ``[sensitivity]``
table is used; otherwise :data:`DEFAULT_KEYS` (and, for every partner program,
:data:`DEFAULT_PARTNER_FIELDS`): each at its value +-``spread`` (default 20%), clipped to the
key's allowed range; whole-number keys move by at least one. Keys the strategy does not use are
left out (partner keys under ``direct``, sales-team keys under ``indirect``), and so are keys
whose value is 0 (+-20% of 0 is no range) and keys the strategy itself overrides; the notes say
which.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from channelsim.errors import Problem, UsageError
from channelsim.planning.parameters import (
    ParamSpec,
    apply_values,
    as_param_specs,
    check_param,
    strategy_overrides,
)
from channelsim.scenario import FieldSpec, Scenario, field_spec, value_of

__all__ = [
    "DEFAULT_KEYS",
    "DEFAULT_PARTNER_FIELDS",
    "DEFAULT_SPREAD",
    "ParamRange",
    "default_ranges",
    "read_ranges_file",
    "resolve_ranges",
    "strategy_uses",
]

DEFAULT_KEYS: tuple[str, ...] = (
    "demand.leads_per_month",
    "demand.growth_rate",
    "product.price",
    "product.unit_cost",
    "product.subscription.fee_per_month",
    "product.subscription.churn",
    "direct.win_rate",
    "direct.salary_annual",
    "direct.commission_rate",
    "direct.attrition_annual",
    "direct.deals_per_rep",
    "direct.hiring.max_hires_per_month",
)
"""The scenario's key numeric assumptions, varied when no parameter is named."""

DEFAULT_PARTNER_FIELDS: tuple[str, ...] = (
    "commission_rate",
    "discount",
    "activation_rate",
    "win_rate",
    "recruit_per_month",
    "churn_annual",
    "sourced_leads_per_month",
)
"""Keys of every partner program (``partners.<name>.<key>``) varied by default."""

DEFAULT_SPREAD = 0.2
"""Relative half-width of the default ranges (0.2: each key from 80% to 120%)."""


@dataclass(frozen=True)
class ParamRange:
    """A parameter's range in a sensitivity analysis.

    Attributes:
        key: the dotted key.
        low: its low value.
        high: its high value.
        base: its value in the scenario.
    """

    key: str
    low: float
    high: float
    base: float


def _around(base: float, fs: FieldSpec, spread: float) -> tuple[float, float]:
    """``base`` +- ``spread``, clipped to the key's bounds (whole numbers move by at least 1)."""
    low, high = sorted((base * (1 - spread), base * (1 + spread)))
    if fs.kind == "integer":
        low = min(math.floor(low + 0.5), base - 1)
        high = max(math.floor(high + 0.5), base + 1)
    low, high = fs.clip(low), fs.clip(high)
    return fs.convert(low), fs.convert(high)


def strategy_uses(mode: str, key: str) -> bool:
    """Whether a strategy of base ``mode`` reads ``key`` at all.

    No partner program runs under ``direct`` and no sales team under ``indirect``, so their
    keys change nothing there (``tests/test_swing_reuse.py`` checks it on every shipped
    scenario); every other key may.

    Args:
        mode: ``direct``, ``indirect`` or ``hybrid``.
        key: a dotted scenario key.

    Returns:
        False when the key cannot change a run of that mode.
    """
    if key.startswith("partners."):
        return mode != "direct"
    if key.startswith("direct."):
        return mode != "indirect"
    return True


def default_ranges(
    scenario: Scenario, strategy: str, spread: float = DEFAULT_SPREAD
) -> tuple[list[ParamRange], list[str]]:
    """The default parameters and ranges for a strategy (see the module docstring).

    Args:
        scenario: the scenario.
        strategy: the strategy analysed.
        spread: relative half-width of each range (0.2: +-20%).

    Returns:
        The ranges, and notes on the keys left out.
    """
    mode, _ = scenario.resolve_strategy(strategy)
    overridden = strategy_overrides(scenario, strategy)
    keys = [*DEFAULT_KEYS]
    keys += [f"partners.{p.name}.{f}" for p in scenario.partners for f in DEFAULT_PARTNER_FIELDS]
    keys = [k for k in keys if strategy_uses(mode, k)]
    ranges: list[ParamRange] = []
    notes: list[str] = []
    zero: list[str] = []
    for key in keys:
        fs = field_spec(scenario, key)
        base = value_of(scenario, key)
        if fs is None or not fs.numeric or not isinstance(base, int | float):
            continue
        if key in overridden:
            notes.append(f"{key} left out: strategy {strategy} sets it")
            continue
        if base == 0 and fs.kind != "integer":
            zero.append(key)
            continue
        low, high = _around(float(base), fs, spread)
        if low == high:
            notes.append(f"{key} left out: no room around {base:.6g} within its allowed range")
            continue
        ranges.append(ParamRange(key, low, high, base))
    if zero:
        notes.append(
            "left out because their value is 0 (give a range with --param key=lo:hi): "
            + ", ".join(zero)
        )
    return ranges, notes


def _scenario_ranges(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Ranges from the scenario's ``[sensitivity]`` table, when the schema has one."""
    table = getattr(scenario, "sensitivity", None)
    ranges = getattr(table, "ranges", None) or {}
    return {str(k): (float(v[0]), float(v[1])) for k, v in dict(ranges).items()}


def _scenario_spread(scenario: Scenario) -> float | None:
    table = getattr(scenario, "sensitivity", None)
    spread = getattr(table, "default_spread", None)
    return float(spread) if spread is not None else None


def read_ranges_file(path: str | Path) -> list[str]:
    """The ranges of a TOML file's ``[sensitivity] ranges`` table, as ``key=lo:hi`` items.

    The file has the shape of a scenario's ``[sensitivity]`` table (``calibrate`` writes one
    from its fitted intervals: ``calibration/sensitivity-ranges.toml``).

    Args:
        path: the TOML file.

    Returns:
        ``key=low:high`` strings, as ``--param`` takes them.

    Raises:
        UsageError: a missing or unreadable file, no ``[sensitivity] ranges`` table, or an
            entry that is not a ``[low, high]`` pair of numbers.
    """
    file = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(Problem(file, "", "file not found")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(Problem(file, "", f"cannot read: {exc}")) from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(Problem(file, "", f"invalid TOML: {exc}")) from None
    ranges = data.get("sensitivity", {}).get("ranges") if isinstance(data, dict) else None
    if not isinstance(ranges, dict) or not ranges:
        raise UsageError(
            Problem(file, "sensitivity.ranges", 'expected a table such as {"key" = [low, high]}')
        )
    items = []
    for key, pair in ranges.items():
        ok = isinstance(pair, list) and len(pair) == 2
        ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair)
        if not ok:
            raise UsageError(
                Problem(file, f"sensitivity.ranges.{key}", f"expected [low, high], got {pair!r}")
            )
        items.append(f"{key}={pair[0]!r}:{pair[1]!r}")
    return items


def resolve_ranges(
    scenario: Scenario,
    strategy: str,
    params: Iterable[ParamSpec | str] | Mapping[str, Any] | None,
    spread: float | None,
) -> tuple[list[ParamRange], list[str]]:
    """The parameters of an analysis: ``params``, else ``[sensitivity]``, else the defaults.

    Args:
        scenario: the scenario.
        strategy: the strategy analysed.
        params: ``key=lo:hi`` strings, ParamSpec ranges or ``{key: (lo, hi)}``.
        spread: relative half-width of default ranges (None: the scenario's, else 20%).

    Returns:
        The ranges and notes.

    Raises:
        UsageError: a parameter that is not a ``lo:hi`` range, names no numeric key, or whose
            range the schema refuses; a bad spread; no parameter left.
    """
    explicit: list[ParamSpec] = []
    if params:
        explicit = as_param_specs(params)
    else:
        explicit = [
            ParamSpec(k, low=lo, high=hi) for k, (lo, hi) in _scenario_ranges(scenario).items()
        ]
    if explicit:
        ranges = []
        for spec in explicit:
            if not spec.is_range or spec.n is not None:
                raise UsageError(
                    Problem(
                        None,
                        f"--param {spec.key}",
                        "give a range low:high, e.g. --param demand.leads_per_month=200:400",
                    )
                )
            fs = check_param(scenario, spec)
            assert spec.low is not None and spec.high is not None
            low, high = fs.convert(spec.low), fs.convert(spec.high)
            if not low < high:
                raise UsageError(
                    Problem(None, f"--param {spec.key}", "the range holds a single whole number")
                )
            for v in (low, high):
                apply_values(scenario, {spec.key: v})
            base = value_of(scenario, spec.key)
            base = float(base) if isinstance(base, int | float) else math.nan
            ranges.append(ParamRange(spec.key, low, high, base))
        return ranges, []
    if spread is None:
        spread = _scenario_spread(scenario) or DEFAULT_SPREAD
    if not 0 < spread < 1:
        raise UsageError(Problem(None, "--spread", f"must be between 0 and 1, got {spread:g}"))
    ranges, notes = default_ranges(scenario, strategy, spread)
    if not ranges:
        raise UsageError(
            Problem(None, "--param", "no default parameter applies: name some with --param")
        )
    return ranges, notes
