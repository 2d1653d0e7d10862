"""What a decision planner scores: ``METRIC@CHANNEL`` targets, risk measures and constraints.

A target is a summary metric of the catalogue on one channel: ``npv`` (channel ``total``, the
default), ``lost_lead_share@direct``, ``sales@VARs``. Its better direction is the catalogue's.
A risk measure (``mean``, ``cvar:0.1``, ``p_loss``, see :mod:`channelsim.analysis.risk`) turns
a target's values over replications into one number. A constraint ``METRIC<=X`` or
``METRIC>=X`` bounds the **mean** of a target over replications (a chance constraint would need
many more replications to be told apart from noise).
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from channelsim.analysis.risk import RISKS, Risk
from channelsim.errors import Problem, UsageError
from channelsim.metrics.catalogue import lower_is_better
from channelsim.planning.parameters import channel_names, check_metric
from channelsim.scenario import Scenario

__all__ = ["Constraint", "Target", "parse_constraint", "parse_risk", "parse_target"]

_CONSTRAINT = re.compile(r"^\s*([^<>=\s]+)\s*(<=|>=)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Target:
    """A summary metric on one channel.

    Attributes:
        metric: the metric name.
        channel: the channel (``total``, ``direct``, ``partners`` or a program).
    """

    metric: str
    channel: str = "total"

    @property
    def name(self) -> str:
        """``metric`` on channel total, ``metric@channel`` otherwise."""
        return self.metric if self.channel == "total" else f"{self.metric}@{self.channel}"

    @property
    def lower_is_better(self) -> bool:
        """The catalogue's better direction."""
        return lower_is_better(self.metric)


@dataclass(frozen=True)
class Constraint:
    """A bound on the mean of a target over replications.

    Attributes:
        target: what is bounded.
        op: ``<=`` or ``>=``.
        limit: the bound.
    """

    target: Target
    op: str
    limit: float

    def text(self) -> str:
        """As written, e.g. ``lost_lead_share@direct<=0.1``."""
        return f"{self.target.name}{self.op}{self.limit:g}"

    def met(self, mean: float) -> bool:
        """Whether a mean satisfies the bound (an undefined mean does not)."""
        if not math.isfinite(mean):
            return False
        return mean <= self.limit if self.op == "<=" else mean >= self.limit


def parse_target(
    text: str, scenario: Scenario | None = None, option: str = "--objective"
) -> Target:
    """Read ``METRIC`` or ``METRIC@CHANNEL``, checked against the catalogue and the channels.

    Args:
        text: what the user wrote.
        scenario: the scenario whose channels a ``@CHANNEL`` must name (None: not checked).
        option: the option, for messages.

    Returns:
        The target.

    Raises:
        UsageError: an unknown metric (with a "did you mean") or channel, an empty part.
    """
    metric, sep, channel = text.strip().partition("@")
    metric, channel = metric.strip(), channel.strip()
    if not metric or (sep and not channel):
        raise UsageError(
            Problem(None, option, f"expected METRIC or METRIC@CHANNEL, e.g. npv@VARs, got {text!r}")
        )
    check_metric(metric, option)
    channel = channel or "total"
    if scenario is not None:
        channels = channel_names(scenario)
        if channel not in channels:
            close = difflib.get_close_matches(channel, channels, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(
                Problem(
                    None,
                    option,
                    f"unknown channel {channel!r} in {text!r}{hint}; this scenario has: "
                    f"{', '.join(channels)}",
                )
            )
    return Target(metric, channel)


def parse_risk(text: str, target: Target | None = None) -> Risk:
    """Read ``mean``, ``cvar:ALPHA`` (0 < ALPHA <= 1) or ``p_loss``.

    Args:
        text: what the user wrote.
        target: the objective (``p_loss`` needs a metric where higher is better).

    Returns:
        The risk measure.

    Raises:
        UsageError: an unknown measure, a bad ALPHA, ``p_loss`` of a metric where lower is
            better.
    """
    kind, _, arg = text.strip().partition(":")
    kind = kind.strip()
    if kind not in RISKS:
        close = difflib.get_close_matches(kind, RISKS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(
            Problem(
                None,
                "--risk",
                f"unknown risk measure {text!r}{hint}; expected mean, cvar:ALPHA (e.g. "
                "cvar:0.1, the mean of the worst 10% of replications) or p_loss",
            )
        )
    if kind == "cvar":
        try:
            alpha = float(arg)
        except ValueError:
            alpha = math.nan
        if not 0 < alpha <= 1:
            raise UsageError(
                Problem(
                    None,
                    "--risk",
                    f"cvar needs a tail share between 0 and 1, e.g. cvar:0.1, got {text!r}",
                )
            )
        return Risk("cvar", alpha)
    if arg:
        raise UsageError(Problem(None, "--risk", f"{kind} takes no ':' argument, got {text!r}"))
    if kind == "p_loss" and target is not None and target.lower_is_better:
        raise UsageError(
            Problem(
                None,
                "--risk",
                f"p_loss is the chance of a value below zero, a loss, so it needs a metric where "
                f"higher is better; {target.metric} is better lower",
            )
        )
    return Risk(kind)


def parse_constraint(text: str, scenario: Scenario | None = None) -> Constraint:
    """Read ``METRIC<=X`` or ``METRIC>=X`` (``METRIC`` may be ``METRIC@CHANNEL``).

    Args:
        text: what the user wrote.
        scenario: the scenario whose channels are checked.

    Returns:
        The constraint on the mean over replications.

    Raises:
        UsageError: no ``<=``/``>=``, an unknown metric or channel, a bound that is not a
            number.
    """
    match = _CONSTRAINT.match(text)
    if match is None:
        raise UsageError(
            Problem(
                None,
                "--constraint",
                f"expected METRIC<=X or METRIC>=X, e.g. lost_lead_share@direct<=0.1, got {text!r}",
            )
        )
    target = parse_target(match.group(1), scenario, option="--constraint")
    try:
        limit = float(match.group(3))
    except ValueError:
        limit = math.nan
    if not math.isfinite(limit):
        raise UsageError(
            Problem(
                None,
                "--constraint",
                f"the bound of {text!r} must be a finite number, got {match.group(3)!r}",
            )
        )
    return Constraint(target, match.group(2), limit)
