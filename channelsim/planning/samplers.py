"""Sweep points: a full grid, or a sample drawn by Latin hypercube, scrambled Sobol' or uniform.

Samplers use :mod:`scipy.stats.qmc` seeded from the scenario seed (a stream of its own, never
a replication's), so the same command draws the same points. Values are converted as the key's
type says (whole numbers rounded, numbers tidied to 10 significant digits), so ``points.csv``
holds exactly what was simulated.
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
import warnings
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from channelsim.errors import Problem, UsageError
from channelsim.planning.parameters import ParamSpec
from channelsim.scenario import FieldSpec

__all__ = ["MAX_POINTS", "SAMPLERS", "make_points"]

SAMPLERS: tuple[str, ...] = ("grid", "lhs", "sobol", "random")
"""How points are chosen: a full grid, Latin hypercube, scrambled Sobol' or uniform random."""

MAX_POINTS = 1_000_000
"""Most points a sweep may have (each point is at least one replication of every strategy)."""


def _sampler_rng(seed: int) -> np.random.Generator:
    """The sampler's generator, from the scenario seed (same command, same points).

    It is a stream of its own, never one of the replications' streams.
    """
    return np.random.default_rng(
        np.random.SeedSequence([seed, zlib.crc32(b"channelsim.sweep.sampler")])
    )


def _unit_sample(sampler: str, d: int, samples: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc  # 0.5 s to import: only when a sampler draws

    rng = _sampler_rng(seed)
    if sampler == "random":
        return rng.random((samples, d))
    cls = qmc.LatinHypercube if sampler == "lhs" else qmc.Sobol
    try:
        engine = cls(d, scramble=True, rng=rng)
    except TypeError:  # scipy < 1.15 calls it seed
        engine = cls(d, scramble=True, seed=rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return engine.random(samples)


def _dedupe(values: list[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for v in values:
        k = json.dumps(v, sort_keys=True)
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out


def make_points(
    specs: Sequence[ParamSpec],
    fields: Mapping[str, FieldSpec],
    sampler: str = "grid",
    samples: int | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """The points of a sweep, as ``{key: value}`` dicts in point order.

    ``grid``: every combination, the first parameter varying slowest; a range ``lo:hi:n``
    gives n evenly spaced values, ends included (whole-number keys are rounded and repeated
    values dropped). ``lhs``, ``sobol``, ``random``: ``samples`` points drawn in the box of
    the ranges (a list parameter takes one of its values, equally likely) by
    ``scipy.stats.qmc.LatinHypercube``, scrambled ``qmc.Sobol`` or numpy uniform draws, from
    a generator seeded by the scenario seed, so the same command gives the same points.

    Args:
        specs: the parameters.
        fields: each key's kind and bounds (:func:`channelsim.planning.parameters.check_param`).
        sampler: one of :data:`SAMPLERS`.
        samples: number of points for the samplers.
        seed: the scenario seed.

    Returns:
        The points.

    Raises:
        UsageError: unknown sampler, missing or bad ``--samples``, a grid range without n,
            a sampler range with n, a Sobol' sample size that is not a power of 2, more than
            :data:`MAX_POINTS` points.
    """
    if sampler not in SAMPLERS:
        close = difflib.get_close_matches(sampler, SAMPLERS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(
            Problem(
                None,
                "--sampler",
                f"unknown sampler {sampler!r}{hint}; expected one of: {', '.join(SAMPLERS)}",
            )
        )
    if not specs:
        raise UsageError(Problem(None, "--param", "give at least one parameter to sweep"))
    keys = [s.key for s in specs]
    if sampler == "grid":
        if samples is not None:
            raise UsageError(
                Problem(None, "--samples", "is for --sampler lhs, sobol or random, not grid")
            )
        size = math.prod(len(s.values) if s.values is not None else (s.n or 1) for s in specs)
        if size > MAX_POINTS:  # checked before building anything: a typo must not hang
            raise UsageError(
                Problem(
                    None,
                    "--param",
                    f"this grid has {size:,} points, more than {MAX_POINTS:,}; use fewer values, "
                    "or a sampler (--sampler lhs --samples N)",
                )
            )
        axes = []
        for spec in specs:
            fs = fields[spec.key]
            if spec.values is not None:
                values = [fs.convert(v) for v in spec.values]
            else:
                if spec.n is None:
                    raise UsageError(
                        Problem(
                            None,
                            f"--param {spec.key}",
                            f"the grid needs a number of values: {spec.key}="
                            f"{spec.low:.10g}:{spec.high:.10g}:n (or choose --sampler lhs, "
                            "sobol or random with --samples N)",
                        )
                    )
                values = [fs.convert(float(v)) for v in np.linspace(spec.low, spec.high, spec.n)]
            axes.append(_dedupe(values))
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes)]

    if samples is None:
        raise UsageError(Problem(None, "--samples", f"--sampler {sampler} needs --samples N"))
    if samples < 1:
        raise UsageError(Problem(None, "--samples", f"must be at least 1, got {samples}"))
    if samples > MAX_POINTS:
        raise UsageError(
            Problem(None, "--samples", f"must be at most {MAX_POINTS:,}, got {samples:,}")
        )
    if sampler == "sobol" and samples & (samples - 1):
        raise UsageError(
            Problem(
                None,
                "--samples",
                f"Sobol' points need a power of 2 (e.g. 64 or 128), got {samples}",
            )
        )
    for spec in specs:
        if spec.n is not None:
            raise UsageError(
                Problem(
                    None,
                    f"--param {spec.key}",
                    f"n is for --sampler grid; with --sampler {sampler} write {spec.key}="
                    f"{spec.low:.10g}:{spec.high:.10g} and set the number of points with "
                    "--samples",
                )
            )
    unit = _unit_sample(sampler, len(specs), samples, seed)
    points = []
    for row in unit:
        point = {}
        for spec, u in zip(specs, row, strict=True):
            fs = fields[spec.key]
            if spec.values is not None:
                k = len(spec.values)
                point[spec.key] = fs.convert(spec.values[min(int(u * k), k - 1)])
            else:
                assert spec.low is not None and spec.high is not None
                point[spec.key] = fs.convert(float(spec.low + u * (spec.high - spec.low)))
        points.append(point)
    return points
