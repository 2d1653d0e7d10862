"""Company demand: a non-homogeneous Poisson process of leads, by a time change of one stream.

``rate(t) = leads_per_month x growth(t) x seasonality[calendar month] x reputation effect``
(for Bass, ``market_size x dF/dt`` replaces ``leads_per_month x growth(t)``).

**One stream of candidate leads, whatever the scenario.** The replication's ``demand`` stream
yields, in blocks, a unit-rate Poisson process ``E_1 < E_2 < ...`` and each lead's own draws
(segment, deal-size noise, patience quantile, outcome): the i-th lead's draws never depend on
any scenario value. The i-th lead arrives when the cumulative intensity ``Λ(t)`` reaches
``E_i`` (the time-change theorem makes the arrivals an exact Poisson process of rate
``rate(t)``). So two strategies of one replication, or two points of a sweep, meet the same
leads in the same order: a different reputation, demand level, growth or seasonality only
moves each lead's arrival time, monotonically, and a change of service quality, routing,
hiring or partner programs moves nothing at all (common random numbers survive every
override). The reputation effect is fixed for a month (it is updated at each month's close),
so ``Λ`` is known month by month: its closed-form integral is inverted numerically (an
interpolation on a grid, then Newton steps on the exact curve).

Patience is drawn as a quantile of the lead's own uniform, so a change of the patience
distribution keeps each lead's rank too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from channelsim.distributions import Spec
from channelsim.model.ledger import MONTH

if TYPE_CHECKING:
    from channelsim.scenario import Scenario

BLOCK = 1024
"""Candidate leads drawn from the stream at a time (each with all of its own draws)."""

_GRID = 32
_NEWTON_STEPS = 3


@dataclass(frozen=True)
class DemandSpec:
    """Plain-number view of the scenario's demand (built once, outside the event loop).

    Attributes:
        seasonality: the twelve calendar-month factors, January first.
        start_month: calendar month of simulated month 0 (0 = January).
    """

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
    start_month: int = 0

    def season(self, month: int) -> float:
        """Seasonality factor of simulated month ``month`` (by calendar month)."""
        return self.seasonality[(self.start_month + month) % 12]

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

    def cumulative(self, t_months: np.ndarray | float) -> np.ndarray | float:
        """Leads expected from 0 to ``t`` months before seasonality and reputation (closed form).

        The integral of :meth:`base_rate`: ``l0 t`` (none), ``l0 (t + g t²/2)`` (linear; the
        schema keeps the rate >= 0 over the horizon), ``l0 ((1+g)^t - 1) / ln(1+g)``
        (exponential), ``c (t + ln(1 + A e^{-g t}) / g) - const`` with ``A = c / l0 - 1``
        (logistic) and ``m F(t)`` (Bass).
        """
        t = np.asarray(t_months, dtype=float)
        g, l0 = self.growth_rate, self.leads_per_month
        if self.growth == "none" or (
            self.growth in ("linear", "exponential", "logistic") and g == 0
        ):
            if self.growth == "logistic" and l0 <= 0:
                return 0.0 * t
            return l0 * t
        if self.growth == "linear":
            return l0 * (t + g * t * t / 2.0)
        if self.growth == "exponential":
            return l0 * np.expm1(t * math.log1p(g)) / math.log1p(g)
        if self.growth == "logistic":
            if l0 <= 0:
                return 0.0 * t
            c = self.ceiling if self.ceiling is not None else l0
            if c <= l0:
                return l0 * t
            # ln((1 + A e^{-g t}) / (1 + A)) = log1p(-s (1 - e^{-g t})), s = A / (1 + A): exact
            # for a tiny g t, where subtracting two logarithms would lose every digit
            s = 1.0 / (1.0 + l0 / (c - l0))
            x = -g * t
            # past x = 500, log1p(s (e^x - 1)) = x + ln s to double precision (a collapsing
            # curve, g << 0, would otherwise give inf - inf)
            big = x > 500.0
            small = np.log1p(s * np.expm1(np.where(big, 0.0, x)))
            return c * (t + np.where(big, x + math.log(s), small) / g)
        if self.growth == "bass":
            p, q, m = self.innovation, self.imitation, self.market_size
            e = np.exp(-(p + q) * t)
            return m * (1.0 - e) / (1.0 + q / p * e)
        raise ValueError(f"unknown growth kind {self.growth!r}")

    def month_base(self, month: int) -> float:
        """Leads of ``month`` before seasonality and reputation (the base curve's increase)."""
        lo, hi = self.cumulative(np.array([month, month + 1.0]))
        return float(max(hi - lo, 0.0))

    def month_leads(self, month: int) -> float:
        """Expected company leads of ``month`` with a reputation effect of 1."""
        return self.month_base(month) * self.season(month)

    def arrival_months(self, month: int, offsets: np.ndarray) -> np.ndarray:
        """The times (months) at which the base cumulative curve has grown by ``offsets``.

        ``offsets`` are amounts of base intensity since the start of ``month`` (each at most
        the month's total); the answer is ``t`` in [month, month + 1] with
        ``cumulative(t) - cumulative(month) = offset``.
        """
        if offsets.size == 0:
            return offsets.astype(float)
        grid = month + np.linspace(0.0, 1.0, _GRID + 1)
        curve = np.asarray(self.cumulative(grid), dtype=float)
        target = curve[0] + offsets
        if self.growth == "none":
            return month + offsets / max(curve[-1] - curve[0], 1e-300)
        t = np.interp(target, curve, grid)
        for _ in range(_NEWTON_STEPS):  # on the exact curve: the grid only gives the start
            slope = np.asarray(self.base_rate(t), dtype=float)
            step = np.where(
                slope > 0,
                (np.asarray(self.cumulative(t)) - target) / np.where(slope > 0, slope, 1.0),
                0.0,
            )
            t = np.clip(t - step, month, month + 1.0)
        return t


def demand_spec(sc: Scenario) -> DemandSpec:
    """The plain-number demand of a scenario (its segments, deal sizes and patience)."""
    segments = sc.demand.segments
    return DemandSpec(
        leads_per_month=sc.demand.leads_per_month,
        growth=sc.demand.growth,
        growth_rate=sc.demand.growth_rate,
        ceiling=sc.demand.ceiling_leads_per_month,
        market_size=sc.demand.market_size,
        innovation=sc.demand.innovation,
        imitation=sc.demand.imitation,
        seasonality=tuple(sc.demand.seasonality),
        price=sc.product.price,
        deal_size_cv=sc.product.deal_size_cv,
        seg_shares=tuple(s.share for s in segments) or (1.0,),
        seg_sizes=tuple(s.deal_size for s in segments) or (1.0,),
        patience=sc.demand.patience_days,
        start_month=sc.scenario.start_month - 1,
    )


class LeadAttributes:
    """Turns a lead's own uniform and normal draws into segment, size and deal value."""

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
        seg = self.segments(seg_u)
        size, value = self.values(seg, z)
        return seg, size, value

    def segments(self, seg_u: np.ndarray) -> np.ndarray:
        """Segment index of each lead, from its own uniform (by the segments' shares)."""
        seg = np.searchsorted(self.cum_shares, seg_u, side="right")
        np.minimum(seg, len(self.sizes) - 1, out=seg)
        return seg

    def values(self, seg: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Size (units) and deal value of leads of segments ``seg``, from their own normals."""
        size = self.sizes[seg]
        value = self.price * size
        if self.sigma:  # lognormal noise with mean 1 and the given coefficient of variation
            value = value * np.exp(self.sigma * z - self.sigma**2 / 2)
        return size, value


class DemandStream:
    """Draws each month's company leads (times in days, segment, value, size, patience, u).

    Args:
        spec: the demand.
        rng: the replication's ``demand`` stream (its draws depend on no scenario value).
    """

    def __init__(self, spec: DemandSpec, rng: np.random.Generator) -> None:
        self.spec = spec
        self.rng = rng
        self._attributes = LeadAttributes(spec)
        self.position = 0.0  # unit time reached: the cumulative intensity of the past months
        self._epochs = np.empty(0)  # unit-rate arrival epochs of the candidates not yet used
        self._draws = np.empty((4, 0))  # their own draws: segment u, noise z, patience u, u
        self._last = 0.0  # the last epoch drawn

    def _extend(self) -> None:
        rng, n = self.rng, BLOCK
        epochs = self._last + np.cumsum(rng.standard_exponential(n))
        draws = np.stack([rng.random(n), rng.standard_normal(n), rng.random(n), rng.random(n)])
        self._last = float(epochs[-1])
        self._epochs = np.concatenate([self._epochs, epochs])
        self._draws = np.concatenate([self._draws, draws], axis=1)

    def candidates(self, up_to: float) -> tuple[np.ndarray, np.ndarray]:
        """Take the candidates whose unit epoch is below ``up_to``: (epochs, draws)."""
        while self._last < up_to:
            self._extend()
        k = int(np.searchsorted(self._epochs, up_to, side="left"))
        epochs, draws = self._epochs[:k], self._draws[:, :k]
        self._epochs, self._draws = self._epochs[k:], self._draws[:, k:]
        return epochs, draws

    def month(self, month: int, reputation_effect: float) -> list[tuple]:
        """Leads arriving in ``month`` as ``(time, segment, value, size, patience, u)`` rows.

        Rows are sorted by time (days); ``u`` is the lead's own U(0, 1) draw that decides its
        outcome, so the same lead meets the same fate in every strategy that sells to it alike.
        """
        spec = self.spec
        scale = spec.season(month) * max(reputation_effect, 0.0)
        intensity = spec.month_base(month) * scale
        start = self.position
        self.position = start + intensity
        if intensity <= 0:
            return []
        epochs, draws = self.candidates(self.position)
        if not epochs.size:
            return []
        t = spec.arrival_months(month, (epochs - start) / scale)
        seg, size, value = self._attributes(draws[0], draws[1])
        patience = spec.patience.quantile(draws[2])
        columns = (t * MONTH, seg, value, size, patience, draws[3])
        return list(zip(*(c.tolist() for c in columns), strict=True))


class LeadMaker:
    """Draws single partner-sourced leads (segment, value, size, patience, u) in blocks."""

    def __init__(self, spec: DemandSpec, rng: np.random.Generator, block: int = 256) -> None:
        self.spec = spec
        self.rng = rng
        self.block = block
        self._attributes = LeadAttributes(spec)
        self._buf: list[tuple[int, float, float, float, float]] = []

    def _refill(self) -> None:
        rng, n = self.rng, self.block
        seg, size, value = self._attributes(rng.random(n), rng.standard_normal(n))
        patience = self.spec.patience.quantile(rng.random(n))
        u = rng.random(n)
        columns = (seg, value, size, patience, u)
        self._buf = list(zip(*(c.tolist() for c in columns), strict=True))[::-1]

    def __call__(self) -> tuple[int, float, float, float, float]:
        """One lead's (segment, value, size, patience, u)."""
        if not self._buf:
            self._refill()
        return self._buf.pop()
