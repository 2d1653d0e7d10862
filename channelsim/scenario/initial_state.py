"""Today's pipeline and team (``scenario.initial_state``): the file, its checks, plain data.

A run normally starts from an empty world: no deal in progress, every initial rep fully ramped.
``scenario.initial_state`` names a JSON file (``channelsim calibrate`` writes one as
``calibration/initial_state.json``) holding the deals open at the export date with their ages
and owners, and the sellers then active with their tenures; the model puts them in place at
t = 0 (:mod:`channelsim.model.opening`).

**The file** (``format = "channelsim-initial-state"``, ``version = 1``): ``as_of`` (ISO date,
optional), ``source`` (optional), ``deals`` (each ``channel``, ``age_days`` and optionally
``owner``, ``segment``, ``amount``, ``line``) and ``sellers`` (each ``owner``, ``channel``,
``tenure_days`` and optionally ``open_deals``). A channel is ``direct`` or a partner program of
the scenario; a segment, when the scenario has segments, is one of them (empty or null: drawn
by the segments' shares).

**Read once, when the scenario is loaded** (:func:`attach_initial_state`, called by
:func:`~.document.build`): a path relative to the folder of the scenario file (of the working
directory for a scenario given as text) is made absolute, so that the resolved scenario an
output folder holds reruns from anywhere; the file is parsed, validated with the schema's own
messages (the file, the JSON path such as ``deals[3].age_days``, what was expected and found)
and checked against the scenario (known channels and segments), then kept on the scenario as
plain tuples (:class:`InitialState`, ``Scenario.start_state``): the model reads no file and no
pydantic object, and a scenario derived by overrides, a strategy or a sweep point keeps the data
it was loaded with (also in worker processes, which may not see the file). The file's sha256 is
written into the resolved scenario's header, so that ``sweep --resume`` notices a changed file.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from channelsim.errors import Problem, ScenarioError
from channelsim.scenario.fields import Count, Invalid, Money, Name, NonNegativeCount, Number, Table
from channelsim.scenario.messages import did_you_mean, translate

__all__ = [
    "FORMAT",
    "VERSION",
    "InitialState",
    "OpenDeal",
    "TeamMember",
    "attach_initial_state",
    "absolute_state_path",
    "read_initial_state",
]

FORMAT = "channelsim-initial-state"
"""The ``format`` value of an initial-state file."""

VERSION = 1
"""The ``version`` of the format this code reads."""

DIRECT = "direct"


# --- the file's schema (validation only) --------------------------------------------------


class _Deal(Table):
    """One deal open at the export date."""

    line: Count | None = Field(None, ge=1, description="Its line in the export.")
    channel: Name = Field(min_length=1, description='"direct" or a partner program\'s name.')
    owner: str | None = Field(None, description="The rep or partner working it.")
    segment: Name | None = Field(None, description="Its segment (empty: drawn by shares).")
    amount: Money | None = Field(None, ge=0, description="Its value (null: drawn).")
    age_days: Number = Field(ge=0, le=36525, description="Days open at the export date.")


class _Seller(Table):
    """One seller active at the export date."""

    owner: str = Field(min_length=1)  # matched, never shown as a name
    channel: Name = Field(min_length=1)
    tenure_days: Number = Field(ge=0, le=36525)
    open_deals: NonNegativeCount | None = None


class _File(Table):
    """The whole file."""

    format: Literal["channelsim-initial-state"]
    version: Literal[1]
    as_of: str | None = None
    source: str | None = None
    deals: list[_Deal] = Field(default_factory=list)
    sellers: list[_Seller] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> _File:
        problems: list[tuple[str, str]] = []
        if self.as_of is not None:
            try:
                _dt.date.fromisoformat(self.as_of)
            except ValueError:
                problems.append(("as_of", f"expected an ISO date (2025-12-31), got {self.as_of!r}"))
        seen: dict[tuple[str, str], int] = {}
        for i, s in enumerate(self.sellers):
            key = (s.owner, s.channel)
            if key in seen:
                problems.append(
                    (
                        f"sellers[{i}].owner",
                        f"{s.owner!r} of {s.channel!r} is listed twice (also sellers[{seen[key]}])",
                    )
                )
            seen.setdefault(key, i)
        if problems:
            raise Invalid(problems)
        return self


# --- the plain data the model reads --------------------------------------------------------


@dataclass(frozen=True)
class OpenDeal:
    """A deal in progress at t = 0."""

    channel: str
    age_days: float
    owner: str | None = None
    segment: str | None = None  # None: drawn by the segments' shares
    amount: float | None = None  # None: drawn as a company lead's value
    line: int | None = None


@dataclass(frozen=True)
class TeamMember:
    """A seller (rep or partner) active at t = 0."""

    owner: str
    channel: str
    tenure_days: float


@dataclass(frozen=True)
class InitialState:
    """Today's pipeline and team, as plain data (see the module notes).

    Attributes:
        path: the file's absolute path.
        sha256: the hex digest of its bytes.
        as_of: the export date (ISO), or None.
        deals: the open deals, in file order.
        sellers: the active sellers, in file order.
    """

    path: str
    sha256: str
    as_of: str | None
    deals: tuple[OpenDeal, ...]
    sellers: tuple[TeamMember, ...]

    def deals_in(self, channel: str) -> list[OpenDeal]:
        """The open deals of ``channel``, in file order."""
        return [d for d in self.deals if d.channel == channel]

    def sellers_in(self, channel: str) -> list[TeamMember]:
        """The sellers of ``channel``, in file order."""
        return [s for s in self.sellers if s.channel == channel]

    def summary(self) -> str:
        """One line: how many open deals and sellers, from where, as of when."""
        when = f" (as of {self.as_of})" if self.as_of else ""
        return (
            f"{len(self.deals)} open deals and {len(self.sellers)} sellers from {self.path}{when}"
        )


# --- reading and checking ------------------------------------------------------------------


def absolute_state_path(raw: str, scenario_file: str | None) -> tuple[str, str]:
    """Where ``scenario.initial_state = raw`` points: (as shown in messages, absolute).

    A relative path is relative to the scenario file's folder (the working directory when
    there is no file).
    """
    expanded = os.path.expanduser(raw)
    if os.path.isabs(expanded):
        return expanded, os.path.normpath(expanded)
    base = os.path.dirname(scenario_file) if scenario_file else ""
    shown = os.path.normpath(os.path.join(base, expanded))
    return shown, os.path.abspath(shown)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _with_export_line(problem: Problem, data: Any) -> Problem:
    """Add the export line to a problem about one deal, when the deal names it."""
    if not problem.path.startswith("deals["):
        return problem
    try:
        index = int(problem.path[len("deals[") : problem.path.index("]")])
        line = data["deals"][index].get("line")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return problem
    if isinstance(line, int) and not isinstance(line, bool) and line > 0:
        return Problem(problem.file, problem.path, f"{problem.message} (export line {line})")
    return problem


def read_initial_state(shown: str, path: str) -> InitialState:
    """Read and validate an initial-state file.

    Args:
        shown: the path as messages name it.
        path: its absolute path.

    Returns:
        The plain data.

    Raises:
        ScenarioError: the file is missing, unreadable, not JSON or not a valid state; each
            problem names the file and the JSON path.
    """
    try:
        raw = open(path, "rb").read()  # noqa: SIM115 - read in one go, closed at once
    except FileNotFoundError:
        raise ScenarioError(Problem(shown, "", "initial state file not found")) from None
    except IsADirectoryError:
        raise ScenarioError(Problem(shown, "", "not a file")) from None
    except OSError as exc:
        raise ScenarioError(Problem(shown, "", f"cannot read: {exc.strerror}")) from None
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ScenarioError(Problem(shown, "", "not a UTF-8 text file")) from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            Problem(shown, "", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
        ) from None
    except (ValueError, RecursionError) as exc:
        raise ScenarioError(Problem(shown, "", f"invalid JSON: {exc}")) from None
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else type(data).__name__
        message = f"expected a JSON object (format, version, deals, sellers), got {kind}"
        raise ScenarioError(Problem(shown, "", message))
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        problems = translate(_File, exc, data, shown)
        raise ScenarioError([_with_export_line(p, data) for p in problems]) from None
    return InitialState(
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        as_of=parsed.as_of,
        deals=tuple(
            OpenDeal(
                channel=d.channel,
                age_days=float(d.age_days),
                owner=d.owner or None,
                segment=d.segment or None,
                amount=None if d.amount is None else float(d.amount),
                line=d.line,
            )
            for d in parsed.deals
        ),
        sellers=tuple(
            TeamMember(owner=s.owner, channel=s.channel, tenure_days=float(s.tenure_days))
            for s in parsed.sellers
        ),
    )


def _unknown(what: str, word: str, known: list[str]) -> str:
    return f"unknown {what} {word!r}{did_you_mean(word, known)}; the scenario has: " + ", ".join(
        known
    )


def check_state(
    state: InitialState, shown: str, channels: list[str], segments: list[str]
) -> list[Problem]:
    """What in ``state`` the scenario cannot place: unknown channels and segments.

    Args:
        state: the state read from ``shown``.
        shown: the file as messages name it.
        channels: ``direct`` and the scenario's program names.
        segments: the scenario's segment names (none: every lead is alike and a deal's
            segment is not used).
    """
    problems: list[Problem] = []
    for i, d in enumerate(state.deals):
        line = f" (export line {d.line})" if d.line else ""
        if d.channel not in channels:
            message = _unknown("channel", d.channel, channels) + line
            problems.append(Problem(shown, f"deals[{i}].channel", message))
        if segments and d.segment is not None and d.segment not in segments:
            message = _unknown("segment", d.segment, segments) + line
            problems.append(Problem(shown, f"deals[{i}].segment", message))
    for i, s in enumerate(state.sellers):
        if s.channel not in channels:
            problems.append(
                Problem(shown, f"sellers[{i}].channel", _unknown("channel", s.channel, channels))
            )
    return problems


def attach_initial_state(
    raw: Any,
    scenario_file: str | None,
    channels: list[str],
    segments: list[str],
    known: InitialState | None = None,
) -> InitialState | None:
    """The state ``scenario.initial_state = raw`` names, read (or reused) and checked.

    Args:
        raw: the key's value (None: no initial state).
        scenario_file: the scenario file, for relative paths and messages.
        channels: ``direct`` and the scenario's program names.
        segments: the scenario's segment names.
        known: a state already read (the scenario this one derives from): reused when it is
            the same file, so a derived scenario reads nothing.

    Returns:
        The state, or None.

    Raises:
        ScenarioError: the file cannot be read, is invalid, or names channels or segments
            the scenario does not have.
    """
    if raw is None:
        return None
    shown, path = absolute_state_path(str(raw), scenario_file)
    if known is not None and known.path == path:
        state = known
    else:
        state = read_initial_state(shown, path)
    problems = check_state(state, shown, channels, segments)
    if problems:
        raise ScenarioError(problems)
    return state
