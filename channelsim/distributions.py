"""Distribution specs for durations and amounts, and fast block samplers.

A scenario value that can vary is either a plain number (fixed) or a table such as
``{dist = "lognormal", mean = 45, sd = 20}``. Each spec checks its own parameters, prints
itself, exposes its exact ``mean`` and ``variance`` and hands out a sampler that draws
numbers from numpy in blocks (the event loop then pays one Python call per draw, not one
numpy call). Describing a distribution needs no numpy: only drawing does, so the methods that
draw import it themselves and checking a scenario (``channelsim validate``) never loads it.

**What is left of a duration that has already lasted.** A deal open for ``a`` days when a run
starts (``scenario.initial_state``) has a remaining cycle ``R = T - a`` given ``T > a``, drawn by
inverse transform on the survival function ``S(t) = P(T > t)``: ``R = S^-1(v S(a)) - a`` with
``v`` uniform on (0, 1] (:meth:`Spec.remaining`). Each spec gives ``S`` and ``S^-1`` in closed
form (scipy.special for the normal, gamma and beta integrals), computed on the survival side so
that a small ``S(a)`` keeps its digits (``1 - cdf`` would round it to 0). Where ``S(a)`` is
below :data:`SURVIVAL_FLOOR` (past the end of a bounded support, or far in a tail) the duration
ends at once: ``R = 0``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import chain
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_serializer,
    model_validator,
)

if TYPE_CHECKING:
    import numpy as np

BLOCK = 1024
"""How many numbers a sampler draws from numpy at a time."""

Sampler = Callable[[], float]

SURVIVAL_FLOOR = 1e-9
"""Below this survival ``S(a)`` a duration that has lasted ``a`` ends at once (see the module
notes): the distribution gives fewer than one chance in a billion of lasting that long, so its
far tail says nothing about such a case, and past a bounded support ``S(a)`` is 0."""


def block_sampler(draw: Callable[[int], np.ndarray]) -> Sampler:
    """Turn a vectorised ``draw(n)`` into a zero-argument sampler that refills in blocks."""
    stream = chain.from_iterable(iter(lambda: draw(BLOCK).tolist(), None))
    return stream.__next__


class Spec(BaseModel):
    """A distribution: its exact mean and variance, vectorised draws and a block sampler."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def variance(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values as a numpy array."""
        raise NotImplementedError  # pragma: no cover

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The inverse distribution function at ``u`` in [0, 1) (vectorised).

        Drawing ``quantile(rng.random(n))`` consumes exactly ``n`` uniforms whatever the
        distribution, so a value keeps its rank when a distribution or its parameters change
        (common random numbers across a sweep of, say, patience).
        """
        raise NotImplementedError  # pragma: no cover

    def survival(self, x: np.ndarray) -> np.ndarray:
        """``S(x) = P(X > x)`` (vectorised)."""
        raise NotImplementedError  # pragma: no cover

    def inverse_survival(self, p: np.ndarray) -> np.ndarray:
        """``S^-1(p)``: the value exceeded with probability ``p`` in (0, 1] (vectorised)."""
        raise NotImplementedError  # pragma: no cover

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """``F(x) = P(X <= x)`` (vectorised)."""
        return 1.0 - self.survival(x)

    def remaining(self, age: np.ndarray, v: np.ndarray) -> np.ndarray:
        """What is left of durations that have lasted ``age``: ``S^-1(v S(age)) - age``.

        Args:
            age: how long each has lasted already (>= 0).
            v: one uniform draw in (0, 1] each (``1 - rng.random(n)``): ``v = 1`` gives 0.

        Returns:
            The remaining times (>= 0); 0 where ``S(age)`` is below :data:`SURVIVAL_FLOOR`.
        """
        import numpy as np

        age = np.asarray(age, dtype=float)
        v = np.asarray(v, dtype=float)
        s = np.asarray(self.survival(age), dtype=float)
        alive = s >= SURVIVAL_FLOOR
        out = np.zeros(np.broadcast(age, v).shape)
        if alive.any():
            a, p = np.broadcast_arrays(age, v * s)
            end = self.inverse_survival(p[alive])
            # the inverse may round a hair below the age: a remaining time is never negative
            out[alive] = np.maximum(end - a[alive], 0.0)
        return out

    def sampler(self, rng: np.random.Generator) -> Sampler:
        """Return a zero-argument function that yields one draw per call."""
        return block_sampler(lambda n: self.sample(rng, n))

    def __repr__(self) -> str:
        dumped = self.model_dump()
        if not isinstance(dumped, dict):
            dumped = {"value": dumped}
        args = ", ".join(f"{k}={v!r}" for k, v in dumped.items() if k != "dist")
        return f"{type(self).__name__}({args})"

    __str__ = __repr__


class Fixed(Spec):
    """Always the same value (``inf`` means never)."""

    dist: Literal["fixed"] = "fixed"
    value: float = Field(ge=0)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        import numpy as np

        return np.full(n, self.value)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        import numpy as np

        return np.full(np.shape(u), self.value)

    def survival(self, x: np.ndarray) -> np.ndarray:
        import numpy as np

        return np.where(np.asarray(x, dtype=float) < self.value, 1.0, 0.0)

    def inverse_survival(self, p: np.ndarray) -> np.ndarray:
        import numpy as np

        return np.full(np.shape(p), self.value)

    def sampler(self, rng: np.random.Generator) -> Sampler:
        value = self.value
        return lambda: value

    @model_serializer
    def _as_number(self) -> float:
        return self.value


class Exponential(Spec):
    """Exponential with the given mean (memoryless waits, Poisson gaps)."""

    dist: Literal["exponential"]
    mean_: float = Field(alias="mean", gt=0, allow_inf_nan=False)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.mean_**2

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean_, n)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        import numpy as np

        return -self.mean_ * np.log1p(-np.asarray(u, dtype=float))

    def survival(self, x: np.ndarray) -> np.ndarray:
        import numpy as np

        return np.exp(-np.maximum(np.asarray(x, dtype=float), 0.0) / self.mean_)

    def inverse_survival(self, p: np.ndarray) -> np.ndarray:
        import numpy as np

        return -self.mean_ * np.log(np.asarray(p, dtype=float))

    @model_serializer
    def _ser(self) -> dict[str, Any]:
        return {"dist": "exponential", "mean": self.mean_}


class Lognormal(Spec):
    """Lognormal given by its own mean and standard deviation (not those of the log)."""

    dist: Literal["lognormal"]
    mean_: float = Field(alias="mean", gt=0, allow_inf_nan=False)
    sd: float = Field(ge=0, allow_inf_nan=False)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.sd**2

    def _log_params(self) -> tuple[float, float]:
        s2 = math.log1p((self.sd / self.mean_) ** 2)
        return math.log(self.mean_) - s2 / 2, math.sqrt(s2)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        mu, sigma = self._log_params()
        return rng.lognormal(mu, sigma, n)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        import numpy as np
        from scipy import special  # 0.7 s to import: only when a lognormal is drawn this way

        mu, sigma = self._log_params()
        return np.exp(mu + sigma * special.ndtri(np.asarray(u, dtype=float)))

    def survival(self, x: np.ndarray) -> np.ndarray:
        import numpy as np
        from scipy import special

        mu, sigma = self._log_params()
        x = np.asarray(x, dtype=float)
        if sigma == 0:  # sd = 0: every value is the mean
            return np.where(x < self.mean_, 1.0, 0.0)
        with np.errstate(divide="ignore"):
            z = (np.log(np.maximum(x, 0.0)) - mu) / sigma
        return special.ndtr(-z)  # ndtr(-z), not 1 - ndtr(z): a far tail keeps its digits

    def inverse_survival(self, p: np.ndarray) -> np.ndarray:
        import numpy as np
        from scipy import special

        mu, sigma = self._log_params()
        return np.exp(mu - sigma * special.ndtri(np.asarray(p, dtype=float)))

    @model_serializer
    def _ser(self) -> dict[str, Any]:
        return {"dist": "lognormal", "mean": self.mean_, "sd": self.sd}


class Gamma(Spec):
    """Gamma given by its mean and standard deviation."""

    dist: Literal["gamma"]
    mean_: float = Field(alias="mean", gt=0, allow_inf_nan=False)
    sd: float = Field(gt=0, allow_inf_nan=False)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _representable(self) -> Gamma:
        shape, scale = (self.mean_ / self.sd) ** 2, self.sd * (self.sd / self.mean_)
        if not (shape > 0 and math.isfinite(scale)):
            raise ValueError(
                f"mean={self.mean_:g} and sd={self.sd:g} give a gamma shape or scale that a "
                "float cannot hold; use numbers of comparable size"
            )
        return self

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.sd * self.sd

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        # scale from sd^2 / mean: dividing by an underflowed shape would fail
        return rng.gamma((self.mean_ / self.sd) ** 2, self.sd * (self.sd / self.mean_), n)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        import numpy as np
        from scipy import special  # 0.7 s to import: only when a gamma is drawn this way

        shape, scale = (self.mean_ / self.sd) ** 2, self.sd * (self.sd / self.mean_)
        return scale * special.gammaincinv(shape, np.asarray(u, dtype=float))

    def survival(self, x: np.ndarray) -> np.ndarray:
        import numpy as np
        from scipy import special

        shape, scale = (self.mean_ / self.sd) ** 2, self.sd * (self.sd / self.mean_)
        return special.gammaincc(shape, np.maximum(np.asarray(x, dtype=float), 0.0) / scale)

    def inverse_survival(self, p: np.ndarray) -> np.ndarray:
        import numpy as np
        from scipy import special

        shape, scale = (self.mean_ / self.sd) ** 2, self.sd * (self.sd / self.mean_)
        return scale * special.gammainccinv(shape, np.asarray(p, dtype=float))

    @model_serializer
    def _ser(self) -> dict[str, Any]:
        return {"dist": "gamma", "mean": self.mean_, "sd": self.sd}


class Triangular(Spec):
    """Triangular on [low, high] with the given mode."""

    dist: Literal["triangular"]
    low: float = Field(ge=0, allow_inf_nan=False)
    mode: float = Field(ge=0, allow_inf_nan=False)
    high: float = Field(ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError(
                f"needs low <= mode <= high and low < high, got low={self.low}, "
                f"mode={self.mode}, high={self.high}"
            )
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, n)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        import numpy as np

        a, c, b = self.low, self.mode, self.high
        u = np.asarray(u, dtype=float)
        left = (c - a) / (b - a)
        with np.errstate(invalid="ignore"):
            low_side = a + np.sqrt(u * (b - a) * (c - a))
            high_side = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
        return np.where(u < left, low_side, high_side)

    def survival(self, x: np.ndarray) -> np.ndarray:
        import numpy as np

        a, c, b = self.low, self.mode, self.high
        x = np.clip(np.asarray(x, dtype=float), a, b)
        with np.errstate(invalid="ignore", divide="ignore"):
            below = 1.0 - (x - a) ** 2 / ((b - a) * (c - a))
            above = (b - x) ** 2 / ((b - a) * (b - c))
        return np.where(x <= c, np.where(c > a, below, 1.0), np.where(b > c, above, 0.0))

    def inverse_survival(self, p: np.ndarray) -> np.ndarray:
        import numpy as np

        a, c, b = self.low, self.mode, self.high
        p = np.asarray(p, dtype=float)
        right = (b - c) / (b - a)  # S(mode)
        with np.errstate(invalid="ignore"):
            high_side = b - np.sqrt(p * (b - a) * (b - c))
            low_side = a + np.sqrt((1.0 - p) * (b - a) * (c - a))
        return np.where(p <= right, high_side, low_side)


class Uniform(Spec):
    """Uniform on [low, high]."""

    dist: Literal["uniform"]
    low: float = Field(ge=0, allow_inf_nan=False)
    high: float = Field(ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(f"needs low < high, got low={self.low}, high={self.high}")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        import numpy as np

        return self.low + np.asarray(u, dtype=float) * (self.high - self.low)

    def survival(self, x: np.ndarray) -> np.ndarray:
        import numpy as np

        x = np.asarray(x, dtype=float)
        return np.clip((self.high - x) / (self.high - self.low), 0.0, 1.0)

    def inverse_survival(self, p: np.ndarray) -> np.ndarray:
        import numpy as np

        return self.high - np.asarray(p, dtype=float) * (self.high - self.low)


class Beta(Spec):
    """Beta with shapes ``a`` and ``b`` on [0, 1]: a probability that varies from case to case.

    As the churn of ``[product.subscription]`` it is the shifted-beta-geometric model (Fader
    and Hardie 2007): each customer draws its own probability of not renewing once.
    """

    dist: Literal["beta"]
    a: float = Field(gt=0, allow_inf_nan=False)
    b: float = Field(gt=0, allow_inf_nan=False)

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)

    @property
    def variance(self) -> float:
        s = self.a + self.b
        return self.a * self.b / (s * s * (s + 1))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.beta(self.a, self.b, n)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        import numpy as np
        from scipy import special  # 0.7 s to import: only when a beta is drawn this way

        return special.betaincinv(self.a, self.b, np.asarray(u, dtype=float))

    def survival(self, x: np.ndarray) -> np.ndarray:
        import numpy as np
        from scipy import special

        x = np.clip(np.asarray(x, dtype=float), 0.0, 1.0)
        return special.betaincc(self.a, self.b, x)

    def inverse_survival(self, p: np.ndarray) -> np.ndarray:
        import numpy as np
        from scipy import special

        return special.betainccinv(self.a, self.b, np.asarray(p, dtype=float))


DIST_KINDS = ("fixed", "exponential", "lognormal", "gamma", "triangular", "uniform", "beta")


def _number_to_fixed(value: Any) -> Any:
    """Let a plain number (or the string "inf") stand for a fixed value."""
    if isinstance(value, bool):
        return value  # let pydantic reject it with a clear type error
    if isinstance(value, int | float):
        return {"dist": "fixed", "value": value}
    if isinstance(value, str) and value.strip().lower() in ("inf", "+inf", "infinity"):
        return {"dist": "fixed", "value": math.inf}
    if isinstance(value, dict) and "dist" not in value:
        raise ValueError(f"a distribution table needs a 'dist' key, one of {', '.join(DIST_KINDS)}")
    if isinstance(value, dict) and value.get("dist") not in DIST_KINDS:
        raise ValueError(
            f"unknown dist {value.get('dist')!r}; expected one of {', '.join(DIST_KINDS)}"
        )
    return value


DistSpec = Annotated[
    Fixed | Exponential | Lognormal | Gamma | Triangular | Uniform | Beta,
    Field(discriminator="dist"),
    BeforeValidator(_number_to_fixed),
]
"""A duration or amount: a number (fixed, ``inf`` allowed) or a distribution table."""
