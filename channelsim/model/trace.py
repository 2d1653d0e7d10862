"""The opt-in per-lead trace: one row per lead, saying where it went and how it ended.

Tracing is for looking inside a run (teaching, debugging a scenario), not for production sweeps:
it keeps a record per lead, so its memory grows with the leads traced, which the model itself
never does. It costs nothing when off, because it lives in a subclass: a traced World builds
:class:`TracedChannel` objects, which record each step and then do exactly what
:class:`~channelsim.model.selling.Channel` does, so a traced run has the same numbers as an
untraced one (tested).

Columns of a trace (``TRACE_COLUMNS``): ``lead`` (arrival order in the replication), ``source``
(``company``, ``partner`` for leads a program's partners brought in, or ``initial`` for the
deals open at t = 0 of ``scenario.initial_state``: ``arrival_day`` is minus their age, and so is
``start_day`` unless they had to wait for a slot), ``segment``, ``channel``
(where it was sold to or waited), ``value`` (the deal's list value), ``arrival_day``,
``start_day`` and ``wait_days`` (empty if it never reached a seller), ``end_day`` (when it was
won, lost or gave up; empty if still open at the horizon), ``outcome`` (``sale``, ``lost_deal``,
``reneged`` or ``open``), ``disruptions`` (times its seller left mid-cycle) and ``owner``
(the seller who last took it: ``rep-N`` for the team, ``PROGRAM-N`` for a program's partners,
numbered in the order they first took a lead; empty if no seller ever did). The owner column is
what a CRM export records as the deal owner (:mod:`channelsim.calibration.synthetic`).
"""

from __future__ import annotations

import math

import simpy

from channelsim.model.selling import WAITING, Channel, Lead, Seller

TRACE_COLUMNS = (
    "lead",
    "source",
    "segment",
    "channel",
    "value",
    "arrival_day",
    "start_day",
    "wait_days",
    "end_day",
    "outcome",
    "disruptions",
    "owner",
)
"""Columns of the per-lead trace, in order."""

# positions in a record (a list, updated as the lead moves on)
(
    _ID,
    _SOURCE,
    _SEG,
    _CHANNEL,
    _VALUE,
    _ARRIVAL,
    _START,
    _WAIT,
    _END,
    _OUTCOME,
    _DISRUPT,
    _OWNER,
) = range(12)


class Tracer:
    """Collects the records of one replication.

    Args:
        segments: segment names by index (``["all"]`` when the scenario has none).
    """

    def __init__(self, segments: list[str]) -> None:
        self.segments = segments
        self.source = "company"  # set by the World around the arrival of a partner's lead
        self._open: dict[Lead, list] = {}
        self._done: list[list] = []
        self._next_id = 0
        self._owners: dict[Seller, str] = {}  # identity-keyed: sellers are not compared
        self._owner_counts: dict[str, int] = {}

    def arrived(self, lead: Lead, channel: str) -> None:
        """A lead entered ``channel``."""
        self._open[lead] = [
            self._next_id,
            self.source,
            self.segments[lead.seg],
            channel,
            lead.value,
            lead.arrival,
            math.nan,
            math.nan,
            math.nan,
            "open",
            0,
            "",
        ]
        self._next_id += 1

    def opened(self, lead: Lead, channel: str, age: float) -> None:
        """A deal of the initial state entered ``channel``, open for ``age`` days already."""
        source, self.source = self.source, "initial"
        self.arrived(lead, channel)
        self.source = source
        self._open[lead][_ARRIVAL] = -age

    def started(self, lead: Lead, now: float, wait: float | None = None) -> None:
        """A seller took the lead for the first time, ``wait`` days after its arrival (default)."""
        rec = self._open[lead]
        rec[_START] = now
        rec[_WAIT] = now - lead.arrival if wait is None else wait

    def assigned(self, lead: Lead, seller: Seller, channel: str) -> None:
        """A seller of ``channel`` took the lead (first time or after a disruption)."""
        owner = self._owners.get(seller)
        if owner is None:
            prefix = "rep" if channel == "direct" else channel
            n = self._owner_counts.get(prefix, 0) + 1
            self._owner_counts[prefix] = n
            owner = self._owners[seller] = f"{prefix}-{n}"
        self._open[lead][_OWNER] = owner

    def ended(self, lead: Lead, now: float, outcome: str) -> None:
        """The lead's story ended: a sale, a lost deal, or it gave up waiting."""
        rec = self._open.pop(lead)
        rec[_END] = now
        rec[_OUTCOME] = outcome
        self._done.append(rec)

    def disrupted(self, lead: Lead) -> None:
        """The lead's seller left mid-cycle; it went back to the queue."""
        self._open[lead][_DISRUPT] += 1

    def rows(self) -> list[list]:
        """Every record (ended ones, then the open ones), in arrival order."""
        rows = self._done + list(self._open.values())
        rows.sort(key=lambda r: r[_ID])
        return rows


class TracedChannel(Channel):
    """A :class:`Channel` that reports every step of every lead to a :class:`Tracer`."""

    def __init__(self, *args, tracer: Tracer, name: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tracer = tracer
        self.name = name

    def arrive(self, lead: Lead, patience: float) -> None:  # noqa: D102 - as Channel
        self.tracer.arrived(lead, self.name)
        super().arrive(lead, patience)

    def open_deal(  # noqa: D102 - as Channel
        self, lead: Lead, seller: Seller | None, remaining: float, age: float
    ) -> bool:
        self.tracer.opened(lead, self.name, age)
        placed = super().open_deal(lead, seller, remaining, age)
        if placed:
            self.tracer.started(lead, -age, wait=0.0)
            assert lead.seller is not None
            self.tracer.assigned(lead, lead.seller, self.name)
        return placed

    def abandon_deal(self, lead: Lead, age: float) -> None:  # noqa: D102 - as Channel
        self.tracer.opened(lead, self.name, age)
        self.tracer.ended(lead, self.env.now, "lost_deal")
        super().abandon_deal(lead, age)

    def _start(self, lead: Lead, now: float) -> None:
        if not lead.served:
            self.tracer.started(lead, now)
        super()._start(lead, now)
        assert lead.seller is not None
        self.tracer.assigned(lead, lead.seller, self.name)

    def _on_finish(self, ev: simpy.Event) -> None:
        lead: Lead = ev.value
        if lead.ev is ev:
            won = lead.u < self._win[lead.seg] * lead.prod
            self.tracer.ended(lead, self.env.now, "sale" if won else "lost_deal")
        super()._on_finish(ev)

    def expire(self, now: float) -> None:  # noqa: D102 - as Channel
        heap = self._deadlines
        due = [0]  # walk the heap from its root, only into entries that are due
        while due:
            i = due.pop()
            if i < len(heap) and heap[i][0] <= now:
                deadline, _, lead = heap[i]
                if lead.state == WAITING and not lead.served:
                    self.tracer.ended(lead, deadline, "reneged")
                due += (2 * i + 1, 2 * i + 2)
        super().expire(now)

    def remove_seller(self, seller: Seller) -> int:  # noqa: D102 - as Channel
        for lead in seller.deals:
            self.tracer.disrupted(lead)
        return super().remove_seller(seller)
