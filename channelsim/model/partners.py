"""A partner program: recruitment, onboarding, activation, churn and the leads partners bring.

Recruits arrive as a Poisson process at ``recruit_per_month`` while the program has room
(onboarding + active < ``max_partners``); each costs ``onboarding_cost``, onboards for
``onboarding_days`` and then becomes active with probability ``activation_rate`` (an inactive
recruit is gone, its onboarding cost spent). Active partners churn at ``churn_annual``
(exponential tenure); a churned partner's open deals go back to the program's queue. Active
partners bring their own leads, a Poisson process at ``active x sourced_leads_per_month``:
when the active count changes the next arrival is redrawn at the new rate, which is exact
because exponential gaps are memoryless.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import simpy

from channelsim.model.ledger import MONTH, Ledger, managers_cost
from channelsim.model.selling import Channel, Seller

YEAR = 365.25


class PartnerNetwork:
    """The partners of one program and their lifecycle.

    Args:
        env: the SimPy environment.
        channel: the program's selling channel.
        ledger: where recruitment, churn and program costs are booked.
        uniform: sampler of U(0, 1) draws (activation).
        expo: sampler of standard exponential draws (recruit gaps, sourced-lead gaps, tenures).
        onboarding: sampler of onboarding durations (days).
        new_lead: makes a partner-sourced lead and hands it to the channel.
    """

    def __init__(
        self,
        env: simpy.Environment,
        channel: Channel,
        ledger: Ledger,
        *,
        uniform: Callable[[], float],
        expo: Callable[[], float],
        onboarding: Callable[[], float],
        new_lead: Callable[[], None],
        initial: int,
        recruit_per_month: float,
        max_partners: int,
        activation_rate: float,
        churn_annual: float,
        deals_per_partner: int,
        sourced_leads_per_month: float,
        onboarding_cost: float,
        mdf_per_active_partner_month: float,
        manager_span: int,
        manager_salary_annual: float,
        fixed_cost_per_month: float,
        horizon_days: float,
    ) -> None:
        self.env = env
        self.channel = channel
        self._u = uniform
        self._expo = expo
        self._onboarding = onboarding
        self._new_lead = new_lead
        self.recruit_rate = recruit_per_month / MONTH  # a day
        self.max_partners = max_partners
        self.activation_rate = activation_rate
        self.mean_tenure = YEAR / churn_annual if churn_annual > 0 else math.inf
        self.deals_per_partner = deals_per_partner
        self.sourced_rate = sourced_leads_per_month / MONTH  # a day, per active partner
        self.onboarding_cost = onboarding_cost
        self.mdf = mdf_per_active_partner_month
        self.manager_span = manager_span
        self.manager_salary_annual = manager_salary_annual
        self.fixed_cost_per_month = fixed_cost_per_month
        self.horizon = horizon_days
        i = channel.index
        self._recruited = ledger.row("partners_recruited", i)
        self._activated = ledger.row("partners_activated", i)
        self._churned = ledger.row("partners_churned", i)
        self._onboarding_costs = ledger.row("onboarding_costs", i)
        self._mdf = ledger.row("mdf", i)
        self._managers = ledger.row("manager_costs", i)
        self._fixed = ledger.row("fixed_costs", i)
        self._active_row = ledger.row("partners_active", i)
        self._seller_days = ledger.row("seller_days", i)
        self.active = 0
        self.onboarding = 0
        self._t_acc = 0.0
        self._active_days = 0.0
        self._source_ev: simpy.Event | None = None
        # kept so that the initial state's open deals can find their owners
        self.initial_partners = [self._activate() for _ in range(min(initial, max_partners))]

    def start(self) -> None:
        """Start recruiting (call once, before running)."""
        if self.recruit_rate > 0 and self.max_partners > 0:
            self.env.process(self._recruiting())

    # -- costs -------------------------------------------------------------------------------
    def _accrue(self, now: float) -> None:
        self._active_days += self.active * (now - self._t_acc)
        self._t_acc = now

    def close_month(self, month: int, now: float) -> None:
        """Book MDF, partner managers and the program's fixed cost for the month."""
        self._accrue(now)
        days = self._active_days
        self._active_days = 0.0
        self._seller_days[month] += days
        mean_active = days / MONTH
        self._mdf[month] += self.mdf * mean_active
        self._managers[month] += managers_cost(
            mean_active, self.manager_span, self.manager_salary_annual
        )
        self._fixed[month] += self.fixed_cost_per_month
        self._active_row[month] = self.active

    # -- lifecycle ---------------------------------------------------------------------------
    def _recruiting(self):
        env = self.env
        rate = self.recruit_rate
        while True:
            yield env.timeout(self._expo() / rate)
            if self.onboarding + self.active >= self.max_partners:
                continue
            m = int(env.now / MONTH)
            self._recruited[m] += 1
            self._onboarding_costs[m] += self.onboarding_cost
            self.onboarding += 1
            delay = self._onboarding()
            if env.now + delay < self.horizon:
                ev = env.timeout(delay)
                ev.callbacks.append(self._onboarded)

    def _onboarded(self, _ev: simpy.Event) -> None:
        self.onboarding -= 1
        if self._u() < self.activation_rate:
            self._activated[int(self.env.now / MONTH)] += 1
            self._activate()

    def _activate(self) -> Seller:
        env = self.env
        self._accrue(env.now)
        self.active += 1
        partner = Seller(self.deals_per_partner)
        # no churn: no draw (0 x inf would be NaN) and no event
        tenure = self._expo() * self.mean_tenure if self.mean_tenure < math.inf else math.inf
        if env.now + tenure < self.horizon:
            ev = env.timeout(tenure, partner)
            ev.callbacks.append(self._churn)
        self.channel.add_seller(partner)
        self._reschedule_sourced()
        return partner

    def _churn(self, ev: simpy.Event) -> None:
        now = self.env.now
        self._accrue(now)
        self.active -= 1
        self._churned[int(now / MONTH)] += 1
        self.channel.remove_seller(ev.value)
        self._reschedule_sourced()

    # -- partner-sourced leads ---------------------------------------------------------------
    def _reschedule_sourced(self) -> None:
        rate = self.active * self.sourced_rate
        if rate <= 0:
            self._source_ev = None
            return
        ev = self.env.timeout(self._expo() / rate)
        self._source_ev = ev
        ev.callbacks.append(self._sourced_lead)

    def _sourced_lead(self, ev: simpy.Event) -> None:
        if ev is not self._source_ev:
            return  # superseded by a redraw after the active count changed
        self._new_lead()
        self._reschedule_sourced()
