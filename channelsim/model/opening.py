"""Today's pipeline at t = 0: the open deals of ``scenario.initial_state`` in their channels.

The team is set up by the sales force and the programs (the first ``direct.initial_reps`` reps
take the tenures of the state's direct sellers, in file order; a program's ``initial``
partners are its state sellers, in file order). This module puts the open deals in place, in
file order, each in its owner's channel (``direct``, or a program by name):

- **remaining cycle**: a deal open for ``a`` days has ``R = S^-1(v S(a)) - a`` left, with
  ``S`` the survival function of its channel's ``sales_cycle_days`` and ``v`` uniform on
  (0, 1] (:meth:`~channelsim.distributions.Spec.remaining`): the cycle conditioned on having
  lasted ``a`` days. A deal the cycle gives less than a one-in-a-billion chance of lasting
  that long (or older than a bounded cycle's longest) ends at once, at t = 0;
- **slot**: it holds one of its owner's slots (``deals_per_rep``, ``deals_per_partner``); if
  the owner is not among the channel's sellers at t = 0, or is full, another seller with a
  free slot takes it; if none is free it waits at the head of the queue (never reneging) and
  starts its remaining cycle when a slot frees;
- **outcome**: won with the channel's win probability times its segment's factor times its
  seller's productivity on the day the deal was created (the ramp by tenure then), decided by
  its own uniform draw at the end of its cycle, like any deal;
- **segment and value**: as the file says (``amount`` is the deal's value; its size in units
  is its segment's ``deal_size``); where it says nothing, drawn as a company lead's are;
- **a channel the strategy does not use** (the team under ``indirect``, the programs under
  ``direct``): nobody works its open deals, which are lost at t = 0 (``lost_deals`` of month 0).

Open deals are not leads of the run: they are not counted in ``leads`` and did not wait in it
(a deal that waits for a slot counts its wait from t = 0). Every draw comes from streams of
its own (``initial:cycle``, ``initial:outcome``, ``initial:segment``, ``initial:value``), one
number per deal in file order whatever the strategy, so the company leads of the run are the
ones a run without the state meets, and a deal meets the same fate in every strategy that
works it alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from channelsim.distributions import Spec
from channelsim.model.demand import DemandSpec, LeadAttributes
from channelsim.model.selling import Channel, Lead, Seller

if TYPE_CHECKING:
    from channelsim.randomness import Streams
    from channelsim.scenario.initial_state import InitialState, TeamMember


@dataclass
class ChannelStart:
    """One channel as the initial state's deals find it at t = 0.

    Attributes:
        channel: the channel.
        cycle: its sales cycle.
        owners: owner name -> the seller standing for them (the state's sellers of this
            channel mapped onto its sellers at t = 0).
        works: whether the strategy works this channel at all.
    """

    channel: Channel
    cycle: Spec
    owners: dict[str, Seller]
    works: bool


def owners_of(members: list[TeamMember], sellers: list[Seller]) -> dict[str, Seller]:
    """The state's sellers of a channel matched, in order, with its sellers at t = 0."""
    return {m.owner: s for m, s in zip(members, sellers, strict=False)}


def remaining_cycles(cycle: Spec, ages: np.ndarray, v: np.ndarray) -> np.ndarray:
    """What is left of the cycles of deals open for ``ages`` days (``v`` uniform in (0, 1])."""
    if not len(ages):
        return np.empty(0)
    rest = cycle.remaining(ages, v)
    return np.where(np.isfinite(rest), rest, 0.0)


def open_pipeline(
    state: InitialState,
    channels: dict[str, ChannelStart],
    spec: DemandSpec,
    segment_names: list[str],
    streams: Streams,
) -> None:
    """Put every open deal of ``state`` in place at t = 0 (see the module notes).

    Args:
        state: the initial state (its channels and segments are the scenario's: checked
            when it was loaded).
        channels: every channel by name.
        spec: the demand (segment shares and sizes, price, deal-size noise).
        segment_names: the scenario's segment names (empty: no segments).
        streams: the replication's streams.
    """
    deals = state.deals
    n = len(deals)
    if not n:
        return
    v = 1.0 - streams("initial:cycle").random(n)  # in (0, 1]: v = 0 would be an endless cycle
    u = streams("initial:outcome").random(n)
    seg_u = streams("initial:segment").random(n)
    z = streams("initial:value").standard_normal(n)
    attributes = LeadAttributes(spec)
    seg = attributes.segments(seg_u)
    index = {name: i for i, name in enumerate(segment_names)}
    for i, d in enumerate(deals):
        if d.segment is not None and d.segment in index:
            seg[i] = index[d.segment]
    size, value = attributes.values(seg, z)
    for i, d in enumerate(deals):
        if d.amount is not None:
            value[i] = d.amount
    ages = np.array([d.age_days for d in deals], dtype=float)
    rest = np.zeros(n)
    for name, start in channels.items():
        mine = np.array([j for j, d in enumerate(deals) if d.channel == name], dtype=int)
        if mine.size:
            rest[mine] = remaining_cycles(start.cycle, ages[mine], v[mine])
    seg_l, size_l, value_l, u_l, rest_l = (a.tolist() for a in (seg, size, value, u, rest))
    for i, d in enumerate(deals):
        start = channels[d.channel]
        lead = Lead(0.0, seg_l[i], value_l[i], size_l[i], u_l[i])
        if not start.works:
            start.channel.abandon_deal(lead, d.age_days)
            continue
        owner = start.owners.get(d.owner) if d.owner is not None else None
        start.channel.open_deal(lead, owner, rest_l[i], d.age_days)
