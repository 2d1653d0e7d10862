"""Patience without timers: deadlines settled lazily must behave exactly like one timer per lead.

A channel with one seller (one slot) and a fixed 10-day cycle makes every fate computable by
hand, including a deadline that falls in the next month and one that falls after the horizon.
"""

from __future__ import annotations

import math

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from channelsim.model.ledger import MONTH, Ledger
from channelsim.model.selling import Channel, Lead, Seller, Terms


def _channel(months: int = 3, slots: int = 1, cycle: float = 10.0):
    """A channel whose months are closed at every month end, as the World does."""
    env = simpy.Environment()
    ledger = Ledger(1, months)
    chan = Channel(env, 0, ledger, lambda: cycle, Terms(win_rate=0.0), [1.0])
    if slots:
        chan.add_seller(Seller(slots))
    for m in range(months - 1):
        ev = env.timeout((m + 1) * MONTH)
        ev.callbacks.append(lambda _ev, m=m: chan.close_month(m, (m + 1) * MONTH))
    return env, ledger, chan


def _run(env, chan, months: int = 3) -> None:
    """Run to the horizon and close the last month, as the World does."""
    env.run(until=months * MONTH)
    chan.close_month(months - 1, months * MONTH)


def _arrive_at(env, chan, t: float, patience: float) -> None:
    def fire(_ev):
        chan.arrive(Lead(env.now, 0, 1.0, 1.0, 0.5), patience)

    env.timeout(t).callbacks.append(fire)


def test_deadlines_book_losses_in_the_month_they_fall():
    env, ledger, chan = _channel()
    _arrive_at(env, chan, 0.0, math.inf)  # served at once, busy until day 10
    _arrive_at(env, chan, 1.0, 5.0)  # deadline day 6: lost in month 0
    _arrive_at(env, chan, 2.0, 20.0)  # served at day 10 after 8 days, busy until 20
    _arrive_at(env, chan, 3.0, 10.0)  # deadline day 13: lost in month 0
    _arrive_at(env, chan, 4.0, MONTH)  # served at day 20 after 16 days, busy until 30
    _arrive_at(env, chan, 25.0, 1e6)  # served at day 30 (still month 0) after 5 days
    _arrive_at(env, chan, 28.0, MONTH - 20.0)  # deadline day 38.4 (month 1): lost in month 1
    _arrive_at(env, chan, 29.0, 1e6)  # served at day 40 (month 1) after 11 days
    _run(env, chan)
    assert ledger.lost_leads[0] == [2.0, 1.0, 0.0]
    assert ledger.served[0] == [4.0, 1.0, 0.0]
    assert ledger.wait_days[0] == [29.0, 11.0, 0.0]
    assert chan.n_waiting == 0
    # the queue's time integral: every queued lead's wait, split at the month end
    first = 5 + 8 + 10 + 16 + 5 + (MONTH - 28) + (MONTH - 29)
    second = (28 + MONTH - 20 - MONTH) + (40 - MONTH)
    assert ledger.waiting_lead_days[0] == pytest.approx([first, second, 0.0], abs=1e-9)


def test_a_lead_that_waits_past_the_month_end_is_open_at_the_close():
    env, ledger, chan = _channel(slots=0)
    _arrive_at(env, chan, MONTH - 1.0, 2.0)  # deadline one day into month 1
    _run(env, chan)
    assert ledger.open_deals[0] == [1.0, 0.0, 0.0]
    assert ledger.lost_leads[0] == [0.0, 1.0, 0.0]


def test_served_leads_leave_no_pile_of_stale_deadlines():
    env, _, chan = _channel(months=40, slots=5, cycle=1.0)
    peak = 0

    def watch(_ev):
        nonlocal peak
        peak = max(peak, len(chan._deadlines), len(chan.queue))

    for k in range(20_000):
        _arrive_at(env, chan, k * 0.05, 50.0)  # 20 a day for 5 a day of capacity
        env.timeout(k * 0.05 + 0.01).callbacks.append(watch)
    env.run(until=40 * MONTH)
    # about 20 x 50 leads wait at any time; nothing grows with the 20,000 leads of the run
    assert peak < 2 * 20 * 50 + 64 + 20


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 80), st.floats(0.01, 60)),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 3),
)
def test_every_lead_is_sold_lost_or_open(arrivals, slots):
    env, ledger, chan = _channel(slots=slots, cycle=7.0)
    for t, patience in arrivals:
        _arrive_at(env, chan, t, patience)
    _run(env, chan)
    leads = sum(ledger.leads[0])
    ended = sum(ledger.lost_leads[0]) + sum(ledger.lost_deals[0]) + ledger.open_deals[0][2]
    assert leads == len(arrivals) == ended
    # nobody reneges after being served, nobody is served after their deadline
    assert sum(ledger.served[0]) + sum(ledger.lost_leads[0]) <= leads
