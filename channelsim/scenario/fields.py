"""Field types shared by every scenario table, and the errors a table validator raises.

Numbers refuse booleans (pydantic would read ``true`` as 1), money is bounded, and every table
forbids unknown keys, NaN and infinities (a distribution may still be ``inf``, see
:mod:`channelsim.distributions`).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from channelsim.distributions import (
    DIST_KINDS,
    Beta,
    DistSpec,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
)
from channelsim.errors import CONTROL_CHARACTERS

DIST_CLASSES: dict[str, type[BaseModel]] = {
    "fixed": Fixed,
    "exponential": Exponential,
    "lognormal": Lognormal,
    "gamma": Gamma,
    "triangular": Triangular,
    "uniform": Uniform,
    "beta": Beta,
}
"""The distribution models by their ``dist`` tag."""
assert tuple(DIST_CLASSES) == DIST_KINDS


def reject_bool(value: Any) -> Any:
    """Refuse ``true``/``false`` where a number is expected (pydantic would read them as 1/0)."""
    if isinstance(value, bool):
        raise PydanticCustomError(
            "bool_not_number", "expected a number, got {value}", {"value": value}
        )
    return value


Number = Annotated[float, BeforeValidator(reject_bool)]
"""A finite number (models forbid NaN and inf through ``allow_inf_nan=False``)."""

Count = Annotated[int, BeforeValidator(reject_bool)]
"""A whole number."""

MAX_AMOUNT = 1e12
"""Largest currency amount a key may hold: a trillion per item (a price, a salary, a fee).

Money is summed in floats: with amounts this size, the totals of millions of sales over the
longest horizon stay far inside float range (a price of 1e308 would make every result inf)."""

Money = Annotated[float, Field(le=MAX_AMOUNT), BeforeValidator(reject_bool)]
"""A currency amount, at most :data:`MAX_AMOUNT` (each field sets its lower bound).

The bound comes before the validator so that the JSON Schema states it as ``maximum``."""


def control_character(text: str) -> str | None:
    """Why ``text`` cannot be a name (a control character, shown escaped), or None."""
    found = CONTROL_CHARACTERS.search(text)
    if found is None:
        return None
    return (
        f"must not contain control characters, found {ascii(found.group())} at position "
        f"{found.start()} (names are shown in terminals, files and reports)"
    )


def refuse_control(value: Any) -> Any:
    """Refuse a name holding a control character: it would reach terminals and reports as is."""
    if isinstance(value, str):
        problem = control_character(value)
        if problem is not None:
            raise PydanticCustomError("control_character", problem)
    return value


Name = Annotated[str, AfterValidator(refuse_control)]
"""A name shown to readers (scenario, segment, partner program): no control characters."""

PositiveNumber = Annotated[float, BeforeValidator(reject_bool), Field(gt=0)]
NonNegativeCount = Annotated[int, BeforeValidator(reject_bool), Field(ge=0)]
SeasonalFactor = Annotated[float, BeforeValidator(reject_bool), Field(ge=0)]


def currency_code(value: Any) -> Any:
    """An ISO 4217 code: three letters, written in capitals (``usd`` is read as ``USD``)."""
    if isinstance(value, str):
        code = value.strip().upper()
        if len(code) == 3 and code.isascii() and code.isalpha():
            return code
    raise PydanticCustomError(
        "currency_code",
        "must be a three-letter ISO 4217 currency code such as USD, EUR or GBP",
        {"value": value},
    )


CurrencyCode = Annotated[str, BeforeValidator(currency_code)]
"""A currency, as its ISO 4217 code."""


class Table(BaseModel):
    """Common configuration of every scenario table."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=True)


class Invalid(ValueError):
    """Cross-field problems found by a model validator, each with a path relative to the model.

    Pydantic wraps a ValueError raised in a validator and keeps the original object in the
    error's context, which is how the paths reach :func:`translate`.
    """

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" if p else m for p, m in problems))


def finite_cycle(cycle: DistSpec) -> list[tuple[str, str]]:
    """A sales cycle must end: an infinite one holds its slot for ever (and breaks hiring)."""
    if math.isfinite(cycle.mean):
        return []
    return [("sales_cycle_days", "must be finite (every sales cycle ends), got inf")]
