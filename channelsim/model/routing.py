"""Routing of company leads: which channel each lead goes to, as policy objects.

One class per policy (STYLE.md, 6): ``direct`` and ``indirect`` send every lead to one side;
hybrid strategies route by a fixed ``share``, by ``overflow`` of the team's queue, or by each
``segment``'s channel. Among partner programs, :class:`PartnerPicker` weighs them by free slots.
"""

from __future__ import annotations

from channelsim.model.selling import Channel, Lead


class PartnerPicker:
    """Sends a company lead to a program in proportion to its free slots.

    When no program has a free slot, in proportion to its slots (the lead queues there).
    :meth:`pick` never chooses a program without an active partner; when no program has one
    yet, a router sends the lead to the team if it has reps, and only otherwise does
    :meth:`pick_any` queue it at the programs in equal shares (nobody else could take it).
    """

    def __init__(self, channels: list[Channel], uniform) -> None:
        self.channels = channels
        self._u = uniform

    def pick(self) -> Channel | None:
        """A program with an active partner for the next company lead (None if none has one)."""
        chans = self.channels
        if len(chans) == 1:
            return chans[0] if chans[0].slots > 0 else None
        weights = [c.free_slots for c in chans]
        total = sum(weights)
        if total <= 0:
            weights = [c.slots for c in chans]
            total = sum(weights)
        if total <= 0:
            return None
        return self._draw(weights, total)

    def pick_any(self) -> Channel | None:
        """:meth:`pick`, else a program in equal shares (None if there is no program)."""
        chans = self.channels
        if not chans:
            return None
        chan = self.pick()
        if chan is None:
            chan = chans[0] if len(chans) == 1 else self._draw([1] * len(chans), len(chans))
        return chan

    def _draw(self, weights: list[int], total: int) -> Channel:
        x = self._u() * total
        for chan, w in zip(self.channels, weights, strict=True):
            x -= w
            if x < 0:
                return chan
        return self.channels[-1]


class Router:
    """Chooses the channel of each company lead (``choose``).

    ``only`` names the channel when every lead goes to the same one, so that the arrival loop
    need not ask lead by lead.
    """

    only: Channel | None = None

    def choose(self, lead: Lead) -> Channel:  # pragma: no cover - every router overrides it
        """The channel for ``lead``."""
        raise NotImplementedError


def _to_partners(picker: PartnerPicker, direct: Channel) -> Channel:
    """A program with an active partner; else the team if it has reps; else a program's queue."""
    chan = picker.pick()
    if chan is not None:
        return chan
    if direct.slots > 0:
        return direct
    return picker.pick_any() or direct


class DirectRouting(Router):
    """Strategy ``direct``: every company lead goes to the team."""

    def __init__(self, direct: Channel) -> None:
        self.direct = direct
        self.only = direct

    def choose(self, lead: Lead) -> Channel:
        """The channel for ``lead``."""
        return self.direct


class PartnerRouting(Router):
    """Strategy ``indirect``: every company lead goes to a partner program."""

    def __init__(self, picker: PartnerPicker) -> None:
        self.picker = picker

    def choose(self, lead: Lead) -> Channel:
        """The channel for ``lead``."""
        return self.picker.pick_any()


class ShareRouting(Router):
    """Hybrid ``share``: a fixed share of company leads to the team, the rest to partners."""

    def __init__(self, direct: Channel, picker: PartnerPicker, share: float, uniform) -> None:
        self.direct, self.picker, self.share, self._u = direct, picker, share, uniform

    def choose(self, lead: Lead) -> Channel:
        """The channel for ``lead``."""
        if self._u() < self.share:
            return self.direct
        return _to_partners(self.picker, self.direct)


class OverflowRouting(Router):
    """Hybrid ``overflow``: the team first; partners when the team's queue is longer than a limit.

    A lead goes to partners when more than ``threshold`` leads already wait for the team
    (``overflow_queue = 0``: a lead waits for the team only when nobody else does), and a
    program has an active partner to take it.
    """

    def __init__(self, direct: Channel, picker: PartnerPicker, threshold: int, force) -> None:
        self.direct, self.picker, self.threshold, self.force = direct, picker, threshold, force

    def choose(self, lead: Lead) -> Channel:
        """The channel for ``lead``."""
        d = self.direct
        if d.slots > 0 and d.waiting(lead.arrival) <= self.threshold:
            return d
        chan = self.picker.pick()
        if chan is None:
            return d
        if self.force is not None:
            self.force.offered()  # the team saw this demand even though it overflowed
        return chan


class SegmentRouting(Router):
    """Hybrid ``segment``: each segment's ``channel``; ``any`` segments follow the share rule."""

    def __init__(self, seg_channels: list[str], direct: Channel, fallback: ShareRouting) -> None:
        self.seg_channels, self.direct, self.fallback = seg_channels, direct, fallback

    def choose(self, lead: Lead) -> Channel:
        """The channel for ``lead``."""
        where = self.seg_channels[lead.seg]
        if where == "direct":
            return self.direct
        if where == "partners":
            return _to_partners(self.fallback.picker, self.direct)
        return self.fallback.choose(lead)
