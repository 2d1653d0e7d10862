"""The selling lifecycle shared by every channel: wait for a slot, renege, sell, win or lose.

A channel owns a FIFO queue of waiting leads and the selling slots of its sellers (reps or
partners). Nothing here creates a process per lead: a lead that finds a free slot starts at once;
the end of a sales cycle is a SimPy ``Timeout`` with a callback.

Patience needs no event at all. A lead that queues pushes its deadline on a small heap, and
before anything looks at the channel (a lead arrives, a slot frees, the router reads the queue,
the month closes) every deadline that has passed is settled: the lead reneged at its deadline,
and is booked lost in the month of that deadline. Since nothing can observe the channel between
two of those moments, this is exactly what a timer per lead would do, for a third of the events.
Reneged leads are dropped from the queue lazily and both queue and heap are compacted when stale
entries pile up, so memory follows the number of waiting leads, not the number of leads in the
run.

**Deals already open at t = 0** (``scenario.initial_state``, :mod:`.opening`) enter through
:meth:`Channel.open_deal`, never through :meth:`Channel.arrive`: they are not this run's leads.
One that finds a free slot holds it for its remaining cycle at once; one that does not (more
open deals than slots) waits at the head of the queue, never reneges (it already reached a
seller once) and, when a slot frees, starts its remaining cycle then. That takes a wrapper
around ``_start`` set on the instance only while such deals wait, so a run without them pays
nothing for it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from heapq import heapify, heappop, heappush

import simpy

from channelsim.model.ledger import MONTH, Ledger

WAITING, SELLING, DONE = 0, 1, 2


class Lead:
    """One prospective customer (kept only while it waits or is being sold to)."""

    __slots__ = ("arrival", "seg", "value", "size", "u", "state", "ev", "seller", "served", "prod")

    def __init__(self, arrival: float, seg: int, value: float, size: float, u: float) -> None:
        self.arrival = arrival
        self.seg = seg
        self.value = value
        self.size = size
        self.u = u  # the lead's own U(0,1): decides win, bad experience and refund
        self.state = WAITING
        self.ev: simpy.Event | None = None
        self.seller: Seller | None = None
        self.served = False
        self.prod = 1.0


class Seller:
    """A rep or an active partner: ``capacity`` concurrent deals and a productivity ramp."""

    __slots__ = (
        "capacity",
        "free",
        "gone",
        "in_stack",
        "deals",
        "start",
        "ramp_end",
        "p0",
        "slope",
    )

    def __init__(
        self, capacity: int, start: float = -math.inf, ramp_days: float = 0.0, p0: float = 1.0
    ) -> None:
        self.capacity = capacity
        self.free = capacity
        self.gone = False
        self.in_stack = False
        self.deals: dict[Lead, None] = {}  # insertion-ordered: reproducible
        self.start = start
        self.ramp_end = start + ramp_days
        self.p0 = p0
        self.slope = (1.0 - p0) / ramp_days if ramp_days > 0 else 0.0

    def productivity(self, now: float) -> float:
        """Share of full productivity at time ``now`` (linear ramp, then 1)."""
        if now >= self.ramp_end:
            return 1.0
        return self.p0 + self.slope * (now - self.start)

    def productivity_at_creation(self, age: float) -> float:
        """Productivity on a deal that was created ``age`` days before t = 0.

        A deal's win probability is set by its seller's productivity when they took it (the
        ramp the calibration fits is by tenure at the deal's creation); a deal older than its
        seller's tenure (handed over) counts from the seller's start.
        """
        return self.productivity(max(-age, self.start))


@dataclass(frozen=True)
class Terms:
    """What a won sale pays and costs in one channel (plain numbers, read in the hot path)."""

    win_rate: float
    commission_rate: float = 0.0
    bounty: float = 0.0
    discount: float = 0.0
    network_fee_rate: float = 0.0
    size_factor: float = 1.0
    unit_cost: float = 0.0
    service_quality: float = 1.0
    refund_rate: float = 0.0
    escalation_cost: float = 0.0
    message_control: float = 1.0
    fee_per_unit_value: float = 0.0  # subscription fee a month per unit of deal value


class Channel:
    """Queue and slots of one channel, writing its outcomes into row ``index`` of the ledger.

    Args:
        env: the SimPy environment.
        index: the channel's row in the ledger.
        ledger: where outcomes are accumulated.
        cycle: sampler of sales-cycle durations (days).
        terms: the channel's economics.
        seg_factors: win-rate factor per segment.
    """

    def __init__(
        self,
        env: simpy.Environment,
        index: int,
        ledger: Ledger,
        cycle: Callable[[], float],
        terms: Terms,
        seg_factors: list[float],
    ) -> None:
        self.env = env
        self.index = index
        self.terms = terms
        self._cycle = cycle
        self._win = [min(1.0, terms.win_rate * f) for f in seg_factors]
        self.queue: deque[Lead] = deque()
        self.n_waiting = 0
        self._deadlines: list[tuple[float, int, Lead]] = []  # heap of waiting leads' deadlines
        self._seq = 0
        self.stack: list[Seller] = []
        self.free_slots = 0
        self.slots = 0
        self.busy = 0
        self._t_acc = 0.0
        self._slot_days = 0.0
        self._busy_days = 0.0
        row = ledger.row
        self.ledger = ledger
        self.customers = None  # a CustomerBase when the product is a subscription
        self.clawback_refunds = False  # cash.commission_clawback_months > 0
        self._clawbacks = ledger.row("commission_clawbacks", index)
        i = index
        self._leads = row("leads", i)
        self._sales = row("sales", i)
        self._lost_leads = row("lost_leads", i)
        self._lost_deals = row("lost_deals", i)
        self._disrupted = row("disrupted_deals", i)
        self._revenue = row("revenue", i)
        self._discounts = row("discounts", i)
        self._refunds = row("refunds", i)
        self._cogs = row("cogs", i)
        self._commissions = row("commissions", i)
        self._network_fees = row("network_fees", i)
        self._esc_costs = row("escalation_costs", i)
        self._escalations = row("escalations", i)
        self._controlled = row("controlled_sales", i)
        self._wait_days = row("wait_days", i)
        self._waiting_row = row("waiting_lead_days", i)
        self._served = row("served", i)
        self._slot_row = row("slot_days", i)
        self._busy_row = row("busy_slot_days", i)
        self._open_row = row("open_deals", i)
        # per-month counts kept in plain attributes and booked when the month closes
        self.arrivals = 0  # leads that entered this channel (read by the demand hiring policy)
        self._arrivals_booked = 0
        self._n_served = 0  # leads that reached a seller this month
        self._wait_sum = 0.0  # and the days they waited
        self._queue_area = 0.0  # integral of the number of leads waiting (lead-days)
        self._queue_t = 0.0  # when n_waiting last changed (or the integral was last brought up)
        self._timeout = env.timeout  # bound once: the hot path schedules one Timeout per sale
        self._finish_cb = self._on_finish
        self._pending: dict[Lead, float] = {}  # open deals of t = 0 waiting: remaining cycle

    # -- time-weighted slot accounting -------------------------------------------------------
    def _accrue(self, now: float) -> None:
        dt = now - self._t_acc
        if dt:
            self._slot_days += self.slots * dt
            self._busy_days += self.busy * dt
            self._t_acc = now

    def close_month(self, month: int, now: float) -> None:
        """Book the month's slot-days and open deals (called at the month boundary)."""
        self.expire(now)  # settles passed deadlines and brings the queue integral to now
        self._accrue(now)
        self._slot_row[month] += self._slot_days
        self._busy_row[month] += self._busy_days
        self._slot_days = self._busy_days = 0.0
        self._open_row[month] = self.n_waiting + self.busy
        self._leads[month] += self.arrivals - self._arrivals_booked
        self._arrivals_booked = self.arrivals
        self._served[month] += self._n_served
        self._wait_days[month] += self._wait_sum
        # (the deadlines' corrections may leave -1e-15 where no one waited: not a negative count)
        self._waiting_row[month] += max(self._queue_area, 0.0)
        self._queue_area = 0.0
        self._n_served = 0
        self._wait_sum = 0.0

    # -- sellers -----------------------------------------------------------------------------
    def add_seller(self, seller: Seller) -> None:
        """A new rep or active partner brings its slots; waiting leads take them."""
        self._accrue(self.env.now)
        self.slots += seller.capacity
        self.free_slots += seller.free
        if seller.free and not seller.in_stack:
            seller.in_stack = True
            self.stack.append(seller)
        if self.n_waiting:
            self._dispatch()

    def remove_seller(self, seller: Seller) -> int:
        """A seller leaves; its open deals go back to the head of the queue. Returns their count."""
        now = self.env.now
        self._accrue(now)
        seller.gone = True
        self.slots -= seller.capacity
        self.free_slots -= seller.free
        disrupted = len(seller.deals)
        if disrupted:
            self._queue_area += self.n_waiting * (now - self._queue_t)
            self._queue_t = now
            self.busy -= disrupted
            for lead in seller.deals:
                lead.ev = None
                lead.seller = None
                lead.state = WAITING
                self.queue.appendleft(lead)
            self.n_waiting += disrupted
            self._disrupted[int(now / MONTH)] += disrupted
            seller.deals = {}
            if self.free_slots:
                self._dispatch()
        return disrupted

    # -- deals open at t = 0 ------------------------------------------------------------------
    def open_deal(self, lead: Lead, seller: Seller | None, remaining: float, age: float) -> bool:
        """Put a deal of the initial state in progress now (see the module notes).

        Args:
            lead: the deal (its segment, value and outcome draw set).
            seller: its owner's seller, when the owner is one of the channel's sellers; any
                seller with a free slot takes it otherwise.
            remaining: what is left of its cycle (days).
            age: how long it has been open already (days), for its win probability.

        Returns:
            Whether it holds a slot now (False: it waits for one).
        """
        now = self.env.now
        if seller is None or seller.gone or not seller.free:
            seller = self._free_seller()
        if seller is None:
            lead.state = WAITING  # not served: the seller who takes it sets its productivity
            self._queue_area += self.n_waiting * (now - self._queue_t)
            self._queue_t = now
            self.queue.append(lead)
            self.n_waiting += 1
            if not self._pending:
                self._start = self._start_pending  # until every waiting open deal has started
            self._pending[lead] = remaining
            return False
        self._accrue(now)
        seller.free -= 1  # the stack is lazy: a full seller left in it is skipped by _start
        self.free_slots -= 1
        self.busy += 1
        seller.deals[lead] = None
        lead.seller = seller
        lead.state = SELLING
        lead.served = True
        lead.prod = seller.productivity_at_creation(age)
        ev = self._timeout(remaining, lead)
        lead.ev = ev
        ev.callbacks.append(self._finish_cb)
        return True

    def abandon_deal(self, lead: Lead, age: float) -> None:
        """A deal of the initial state that no seller of this strategy works: lost at t = 0.

        ``age`` (days open) is for the trace.
        """
        lead.state = DONE
        self._lost_deals[int(self.env.now / MONTH)] += 1

    def _free_seller(self) -> Seller | None:
        stack = self.stack
        while stack and (stack[-1].gone or not stack[-1].free):
            stack.pop().in_stack = False
        return stack[-1] if stack else None

    def _start_pending(self, lead: Lead, now: float) -> None:
        start = type(self)._start
        rest = self._pending.pop(lead, None)
        if rest is None:
            start(self, lead, now)
        else:
            cycle = self._cycle
            self._cycle = lambda: rest  # the deal goes on with its own remaining cycle
            try:
                start(self, lead, now)
            finally:
                self._cycle = cycle
        if not self._pending:
            del self._start  # back to the class's method

    # -- leads -------------------------------------------------------------------------------
    def arrive(self, lead: Lead, patience: float) -> None:
        """A lead enters this channel now (``lead.arrival`` is now): sold to or queued."""
        now = lead.arrival
        self.arrivals += 1
        # Waiting leads only exist while no slot is free (a freed slot takes the head of the
        # queue at once), so the choice needs no settling of passed deadlines here.
        if self.free_slots and not self.n_waiting:
            self._start(lead, now)
            return
        lead.state = WAITING
        self.queue.append(lead)
        self._queue_area += self.n_waiting * (now - self._queue_t)
        self._queue_t = now
        self.n_waiting += 1
        if patience < math.inf:
            self._seq += 1
            heappush(self._deadlines, (now + patience, self._seq, lead))

    def waiting(self, now: float) -> int:
        """Leads waiting at ``now`` (passed deadlines settled first), for a router to weigh."""
        if self.n_waiting:
            self.expire(now)
        return self.n_waiting

    def expire(self, now: float) -> None:
        """Settle every patience deadline up to ``now``: those leads reneged at their deadline."""
        deadlines = self._deadlines
        lost = self._lost_leads
        # bring the waiting integral to now, then take back the time each reneged lead was
        # counted after its deadline (deadlines are settled late, never before their month)
        self._queue_area += self.n_waiting * (now - self._queue_t)
        self._queue_t = now
        while deadlines and deadlines[0][0] <= now:
            deadline, _, lead = heappop(deadlines)
            if lead.state == WAITING and not lead.served:
                lead.state = DONE
                self.n_waiting -= 1
                self._queue_area -= now - deadline
                lost[int(deadline / MONTH)] += 1
        if len(self.queue) > 2 * self.n_waiting + 64:
            self.queue = deque(q for q in self.queue if q.state == WAITING)
        if len(deadlines) > 2 * self.n_waiting + 64:
            self._deadlines = [e for e in deadlines if e[2].state == WAITING and not e[2].served]
            heapify(self._deadlines)

    def _dispatch(self) -> None:
        now = self.env.now
        deadlines = self._deadlines
        if deadlines and deadlines[0][0] <= now:
            self.expire(now)
        self._queue_area += self.n_waiting * (now - self._queue_t)
        self._queue_t = now
        queue = self.queue
        while self.free_slots and self.n_waiting:
            lead = queue.popleft()
            if lead.state != WAITING:
                continue
            self.n_waiting -= 1
            self._start(lead, now)

    def _start(self, lead: Lead, now: float) -> None:
        stack = self.stack
        seller = stack[-1]
        while seller.gone or not seller.free:
            stack.pop()
            seller.in_stack = False
            seller = stack[-1]
        seller.free -= 1
        if not seller.free:
            stack.pop()
            seller.in_stack = False
        self.free_slots -= 1
        dt = now - self._t_acc  # self._accrue(now), inlined: twice per sale
        if dt:
            self._slot_days += self.slots * dt
            self._busy_days += self.busy * dt
            self._t_acc = now
        self.busy += 1
        seller.deals[lead] = None
        lead.seller = seller
        lead.state = SELLING
        if not lead.served:
            lead.served = True
            lead.prod = 1.0 if now >= seller.ramp_end else seller.productivity(now)
            self._wait_sum += now - lead.arrival
            self._n_served += 1
        # now may run ahead of env.now when a lead is started on arrival (see World._on_arrival)
        ev = self._timeout(self._cycle() + (now - self.env.now), lead)
        lead.ev = ev
        ev.callbacks.append(self._finish_cb)

    def _on_finish(self, ev: simpy.Event) -> None:
        lead: Lead = ev.value
        if lead.ev is not ev:
            return  # the seller left mid-cycle; the lead went back to the queue
        now = self.env.now
        m = int(now / MONTH)
        seller = lead.seller
        del seller.deals[lead]
        lead.state = DONE
        lead.ev = None
        lead.seller = None
        dt = now - self._t_acc
        if dt:
            self._slot_days += self.slots * dt
            self._busy_days += self.busy * dt
            self._t_acc = now
        self.busy -= 1
        if not seller.gone:
            seller.free += 1
            self.free_slots += 1
            if not seller.in_stack:
                seller.in_stack = True
                self.stack.append(seller)
        p = self._win[lead.seg] * lead.prod
        if lead.u < p:
            # given a win, u / p is again U(0, 1): it decides the after-sale fate
            self._book_sale(lead, m, lead.u / p)
        else:
            self._lost_deals[m] += 1
        if self.n_waiting:
            self._dispatch()

    def _book_sale(self, lead: Lead, m: int, v: float) -> None:
        t = self.terms
        value = lead.value * t.size_factor
        self._sales[m] += 1
        self._revenue[m] += value
        discount = value * t.discount
        if discount:
            self._discounts[m] += discount
        pay = value * t.commission_rate + t.bounty
        if pay:
            self._commissions[m] += pay
            if t.network_fee_rate:
                self._network_fees[m] += pay * t.network_fee_rate
        self._cogs[m] += t.unit_cost * lead.size * t.size_factor
        self._controlled[m] += t.message_control
        bad = v >= t.service_quality
        if bad:
            self._escalations[m] += 1
            self._esc_costs[m] += t.escalation_cost
            # given a bad experience, (v - q) / (1 - q) is U(0, 1) again
            if (v - t.service_quality) < t.refund_rate * (1.0 - t.service_quality):
                self._refunds[m] += value - discount
                if self.clawback_refunds:  # the refund takes back the sale's commission
                    self._clawbacks[m] += pay
                return  # a refunded sale starts no subscription
        if self.customers is not None:
            self.customers.add(m, value * t.fee_per_unit_value, bad, pay)
