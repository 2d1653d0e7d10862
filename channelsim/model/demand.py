"""Company demand: a non-homogeneous Poisson process of leads, drawn a month at a time.

``rate(t) = leads_per_month x growth(t) x seasonality[month] x reputation_effect`` (for Bass,
``market_size x dF/dt`` replaces ``leads_per_month x growth(t)``). Each month, candidates are
drawn from a homogeneous Poisson process at a bound ``R_m`` that depends only on the scenario's
demand settings, then thinned (Lewis-Shedler) with acceptance ``rate(t) / R_m``. Because the
candidates and every per-candidate draw (acceptance, segment, deal value, patience) come from
one stream in a fixed order, two strategies of one replication see the same leads even when
their reputation, and so their accepted set, differs: common random numbers survive feedback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from channelsim.distributions import Spec
from channelsim.model.ledger import MONTH

SCALE_BOUND = 1.1
"""Demand scales up to this factor reuse the same candidates (elasticity reruns at 0.9/1.1)."""


@dataclass(frozen=True)
class DemandSpec:
    """Plain-number view of the scenario's demand (built once, outside the event loop)."""

    leads_per_month: float
    growth: str
    growth_rate: float
    ceiling: float | None
    market_size: float
    innovation: float
    imitation: float
    seasonality: tuple[float, ...]
    price: float
    deal_size_cv: float
    seg_shares: tuple[float, ...]
    seg_sizes: tuple[float, ...]
    patience: Spec
    scale: float = 1.0
    reputation_bound: float = 1.0

    def base_rate(self, t_months: np.ndarray | float) -> np.ndarray | float:
        """Leads per month at time ``t`` (months), before seasonality and reputation."""
        t = t_months
        g, l0 = self.growth_rate, self.leads_per_month
        if self.growth == "none":
            return l0 + 0.0 * t
        if self.growth == "linear":
            return np.maximum(l0 * (1.0 + g * t), 0.0)
        if self.growth == "exponential":
            return l0 * np.power(1.0 + g, t)
        if self.growth == "logistic":
            if l0 <= 0:
                return 0.0 * t
            c = self.ceiling if self.ceiling is not None else l0
            with np.errstate(over="ignore"):  # exp overflows to inf: the rate is then 0
                return c / (1.0 + (c / l0 - 1.0) * np.exp(-g * t))
        if self.growth == "bass":
            p, q, m = self.innovation, self.imitation, self.market_size
            e = np.exp(-(p + q) * t)
            return m * (p + q) ** 2 / p * e / (1.0 + q / p * e) ** 2
        raise ValueError(f"unknown growth kind {self.growth!r}")

    def month_bound(self, month: int) -> float:
        """Upper bound of the candidate rate in ``month`` (leads per month)."""
        ends = [float(self.base_rate(float(month))), float(self.base_rate(float(month + 1)))]
        if self.growth == "bass" and self.imitation > self.innovation:
            peak = math.log(self.imitation / self.innovation) / (self.innovation + self.imitation)
            if month < peak < month + 1:
                ends.append(float(self.base_rate(peak)))
        season = self.seasonality[month % 12]
        return max(ends) * season * max(self.scale, SCALE_BOUND) * self.reputation_bound


class _Attributes:
    """Turns uniform and normal draws into segments, sizes and deal values (vectorised)."""

    def __init__(self, spec: DemandSpec) -> None:
        self.price = spec.price
        self.cum_shares = np.cumsum(spec.seg_shares)
        self.cum_shares[-1] = 1.0
        self.sizes = np.asarray(spec.seg_sizes, dtype=float)
        cv = spec.deal_size_cv
        self.sigma = math.sqrt(math.log1p(cv * cv)) if cv > 0 else 0.0

    def __call__(
        self, seg_u: np.ndarray, z: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Segment index, size (units) and deal value of each lead."""
        seg = np.searchsorted(self.cum_shares, seg_u, side="right")
        np.minimum(seg, len(self.sizes) - 1, out=seg)
        size = self.sizes[seg]
        value = self.price * size
        if self.sigma:  # lognormal noise with mean 1 and the given coefficient of variation
            value = value * np.exp(self.sigma * z - self.sigma**2 / 2)
        return seg, size, value


class DemandStream:
    """Draws each month's company leads (times in days, segment, value, size, patience)."""

    def __init__(self, spec: DemandSpec, rng: np.random.Generator) -> None:
        self.spec = spec
        self.rng = rng
        self._attributes = _Attributes(spec)

    def month(self, month: int, reputation_effect: float) -> list[tuple]:
        """Leads arriving in ``month`` as ``(time, segment, value, size, patience, u)`` rows.

        Rows are sorted by time (days); ``u`` is the lead's own U(0, 1) draw that decides its
        outcome, so the same lead meets the same fate in every strategy that sells to it alike.
        """
        spec, rng = self.spec, self.rng
        bound = spec.month_bound(month)
        n = int(rng.poisson(bound)) if bound > 0 else 0
        t = np.sort(rng.random(n)) + month  # months
        accept = rng.random(n)
        seg_u = rng.random(n)
        z = rng.standard_normal(n)
        patience = spec.patience.sample(rng, n)
        u = rng.random(n)
        if n == 0:
            return []
        season = spec.seasonality[month % 12]
        rate = spec.base_rate(t) * season * spec.scale * reputation_effect
        keep = accept * bound < rate
        seg, size, value = self._attributes(seg_u[keep], z[keep])
        columns = (t[keep] * MONTH, seg, value, size, patience[keep], u[keep])
        return list(zip(*(c.tolist() for c in columns), strict=True))


class LeadMaker:
    """Draws single partner-sourced leads (segment, value, size, patience, u) in blocks."""

    def __init__(self, spec: DemandSpec, rng: np.random.Generator, block: int = 256) -> None:
        self.spec = spec
        self.rng = rng
        self.block = block
        self._attributes = _Attributes(spec)
        self._buf: list[tuple[int, float, float, float, float]] = []

    def _refill(self) -> None:
        rng, n = self.rng, self.block
        seg, size, value = self._attributes(rng.random(n), rng.standard_normal(n))
        patience = self.spec.patience.sample(rng, n)
        u = rng.random(n)
        columns = (seg, value, size, patience, u)
        self._buf = list(zip(*(c.tolist() for c in columns), strict=True))[::-1]

    def __call__(self) -> tuple[int, float, float, float, float]:
        """One lead's (segment, value, size, patience, u)."""
        if not self._buf:
            self._refill()
        return self._buf.pop()
