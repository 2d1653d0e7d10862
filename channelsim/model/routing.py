"""Routing of company leads: which channel each lead goes to, as policy objects.

One class per policy (STYLE.md, 6): ``direct`` and ``indirect`` send every lead to one side;
hybrid strategies route by a fixed ``share``, by ``overflow`` of the team's queue, or by each
``segment``'s channel. Among partner programs, :class:`PartnerPicker` weighs them by free slots.
"""

from __future__ import annotations

from channelsim.model.selling import Channel, Lead


class PartnerPicker:
    """Sends a company lead to a program in proportion to its free slots.

    When no program has a free slot, in proportion to its slots (the lead queues there); when no
    program has any active partner yet, to the programs in equal shares.
    """

    def __init__(self, channels: list[Channel], uniform) -> None:
        self.channels = channels
        self._u = uniform

    def pick(self) -> Channel | None:
        """The program channel for the next company lead (None if there is no program)."""
        chans = self.channels
        if not chans:
            return None
        if len(chans) == 1:
            return chans[0]
        weights = [c.free_slots for c in chans]
        total = sum(weights)
        if total <= 0:
            weights = [c.slots for c in chans]
            total = sum(weights)
        if total <= 0:
            weights = [1] * len(chans)
            total = len(chans)
        x = self._u() * total
        for chan, w in zip(chans, weights, strict=True):
            x -= w
            if x < 0:
                return chan
        return chans[-1]


class Router:
    """Chooses the channel of each company lead (``choose``).

    ``only`` names the channel when every lead goes to the same one, so that the arrival loop
    need not ask lead by lead.
    """

    only: Channel | None = None

    def choose(self, lead: Lead) -> Channel:  # pragma: no cover - every router overrides it
        """The channel for ``lead``."""
        raise NotImplementedError


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
        return self.picker.pick()


class ShareRouting(Router):
    """Hybrid ``share``: a fixed share of company leads to the team, the rest to partners."""

    def __init__(self, direct: Channel, picker: PartnerPicker, share: float, uniform) -> None:
        self.direct, self.picker, self.share, self._u = direct, picker, share, uniform

    def choose(self, lead: Lead) -> Channel:
        """The channel for ``lead``."""
        if self._u() < self.share:
            return self.direct
        return self.picker.pick() or self.direct


class OverflowRouting(Router):
    """Hybrid ``overflow``: the team first; partners when the team's queue is at the threshold.

    A lead goes to partners when no rep slot is free and at least ``threshold`` leads already
    wait for the team (so ``overflow_queue = 0`` means nobody waits for the team).
    """

    def __init__(self, direct: Channel, picker: PartnerPicker, threshold: int, force) -> None:
        self.direct, self.picker, self.threshold, self.force = direct, picker, threshold, force

    def choose(self, lead: Lead) -> Channel:
        """The channel for ``lead``."""
        d = self.direct
        waiting = d.waiting(lead.arrival)
        if d.free_slots and not waiting or waiting < self.threshold:
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
            return self.fallback.picker.pick() or self.direct
        return self.fallback.choose(lead)
