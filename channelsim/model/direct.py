"""The in-house sales force: reps whose number grows by hiring and shrinks by attrition.

Hiring is limited the way real teams are: a requisition takes ``time_to_hire_days`` to fill,
at most ``max_hires_per_month`` new reps may start in a calendar month (recruiting capacity; a
ready candidate waits for the next month's quota), headcount never exceeds ``max_reps``, and
hiring never fires anyone: a target below headcount is reached through attrition only.
Who to hire is a policy object (plan, demand, budget), so a new policy is a new class.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol

import simpy

from channelsim.model.ledger import MONTH, Ledger, managers_cost
from channelsim.model.selling import Channel, Seller

YEAR = 365.25


class HiringPolicy(Protocol):
    """Decides the headcount the team should have; the sales force does the hiring."""

    def target(self, force: SalesForce, now: float) -> int:
        """Desired headcount at time ``now`` (before the ``max_reps`` cap)."""
        ...


class PlanPolicy:
    """Follow a headcount schedule ``[[month, headcount], ...]`` (a step function).

    The plan says how many reps the team has at each month, so requisitions open ahead of it:
    each review hires for the plan's headcount ``lookahead_days`` later, the mean time to hire
    plus half the review interval, so that on average a planned rep starts at the planned month
    (the last review before a step opens its requisitions; a candidate arrives, on average,
    within half a review interval of the step). Recruiting capacity and attrition still apply.
    """

    def __init__(self, plan: list[tuple[int, int]], initial: int, lookahead_days: float) -> None:
        self.plan = sorted(plan)
        self.initial = initial
        self.lookahead = lookahead_days

    def target(self, force: SalesForce, now: float) -> int:
        """The plan's headcount ``lookahead_days`` from now."""
        month = (now + self.lookahead) / MONTH
        target = self.initial
        for start, headcount in self.plan:
            if start <= month + 1e-9:
                target = headcount
        return target


class DemandPolicy:
    """Hire for the slot demand of the last review period (Little's law), plus a buffer.

    Slots needed = arrival rate of leads offered to the team x mean sales cycle; the target is
    that times ``1 + buffer``, divided by deals per rep, rounded up.
    """

    def __init__(self, mean_cycle_days: float, deals_per_rep: int, buffer: float) -> None:
        self.mean_cycle = mean_cycle_days
        self.deals_per_rep = deals_per_rep
        self.buffer = buffer

    def target(self, force: SalesForce, now: float) -> int:
        """Headcount for the demand seen since the last review (resets the count)."""
        elapsed = now - force.demand_since
        if elapsed <= 0:
            return force.headcount
        rate = force.take_demand_count() / elapsed
        force.demand_since = now
        slots = rate * self.mean_cycle * (1.0 + self.buffer)
        # clamp before rounding: an absurd cycle or buffer must not make ceil(inf)
        return math.ceil(min(slots / self.deals_per_rep, force.max_reps) - 1e-9)


class BudgetPolicy:
    """Forrester's market-growth rule: the sales budget is a share of trailing revenue.

    Target = share x mean monthly net revenue of the company over the last ``window`` complete
    months / monthly loaded cost of a rep (salary plus the rep's share of a manager).
    """

    def __init__(self, share: float, window: int, monthly_cost_per_rep: float) -> None:
        self.share = share
        self.window = window
        self.cost = monthly_cost_per_rep

    def target(self, force: SalesForce, now: float) -> int:
        """Headcount the trailing revenue pays for."""
        done = int(now / MONTH + 1e-9)
        if done == 0 or self.cost <= 0:
            return force.headcount
        months = range(max(0, done - self.window), done)
        revenue = sum(force.company_net_revenue(m) for m in months) / len(months)
        return max(0, math.floor(min(self.share * revenue / self.cost, force.max_reps) + 1e-9))


class SalesForce:
    """Reps of the direct channel: hiring pipeline, recruiting quota, ramp, attrition and payroll.

    Args:
        env: the SimPy environment.
        channel: the direct channel whose slots the reps provide.
        ledger: where hires, departures and payroll are booked (row ``channel.index``).
        policy: the hiring policy (None: no hiring at all).
        tenure: sampler of rep tenures in days (exponential at the attrition rate).
        time_to_hire: sampler of requisition fill times in days.
        company_net_revenue: month -> company net revenue, for the budget policy.
        tenures: days already served by the first initial reps (``scenario.initial_state``):
            each starts at that point of the ramp; the others are fully ramped. Tenure is
            exponential, so a rep's remaining time is drawn as a new rep's (memoryless: having
            stayed ``t`` days already changes nothing), from the same stream as without them.
    """

    def __init__(
        self,
        env: simpy.Environment,
        channel: Channel,
        ledger: Ledger,
        *,
        policy: HiringPolicy | None,
        initial_reps: int,
        max_reps: int,
        deals_per_rep: int,
        ramp_days: float,
        ramp_start: float,
        tenure: Callable[[], float],
        time_to_hire: Callable[[], float],
        max_hires_per_month: int,
        review_every_days: float,
        salary_annual: float,
        recruiting_cost: float,
        onboarding_cost: float,
        manager_span: int,
        manager_salary_annual: float,
        fixed_cost_per_month: float,
        company_net_revenue: Callable[[int], float],
        horizon_days: float,
        tenures: Sequence[float] = (),
    ) -> None:
        self.env = env
        self.channel = channel
        self.policy = policy
        self.max_reps = max_reps
        self.deals_per_rep = deals_per_rep
        self.ramp_days = ramp_days
        self.ramp_start = ramp_start
        self._tenure = tenure
        self._time_to_hire = time_to_hire
        self.max_hires_per_month = max_hires_per_month
        self.review_every = review_every_days
        self.salary_annual = salary_annual
        self.recruiting_cost = recruiting_cost
        self.onboarding_cost = onboarding_cost
        self.manager_span = manager_span
        self.manager_salary_annual = manager_salary_annual
        self.fixed_cost_per_month = fixed_cost_per_month
        self.company_net_revenue = company_net_revenue
        self.horizon = horizon_days
        i = channel.index
        self._hires = ledger.row("hires", i)
        self._departures = ledger.row("departures", i)
        self._salaries = ledger.row("salaries", i)
        self._managers = ledger.row("manager_costs", i)
        self._recruiting = ledger.row("recruiting_costs", i)
        self._onboarding = ledger.row("onboarding_costs", i)
        self._fixed = ledger.row("fixed_costs", i)
        self._headcount_row = ledger.row("headcount", i)
        self._seller_days = ledger.row("seller_days", i)
        self.headcount = 0
        self.pipeline = 0  # requisitions open, candidate not ready yet
        self.ready = 0  # candidates ready, waiting for next month's recruiting quota
        self.starts_this_month = 0
        self.overflowed = 0  # leads the team saw but sent to partners since the last review
        self._arrivals_seen = channel.arrivals
        self.demand_since = 0.0
        self._t_acc = 0.0
        self._rep_days = 0.0
        self.initial_sellers: list[Seller] = []  # in order: the first ones have ``tenures``
        for i in range(initial_reps):
            rep = (
                Seller(deals_per_rep, -tenures[i], ramp_days, ramp_start)
                if i < len(tenures)
                else Seller(deals_per_rep)
            )
            self.initial_sellers.append(rep)
            self._add_rep(rep)

    def start(self) -> None:
        """Start the hiring reviews (call once, before running)."""
        if self.policy is not None and self.max_hires_per_month > 0:
            self.env.process(self._reviews())

    def offered(self) -> None:
        """Count a lead the team saw but sent to partners (demand signal, with its arrivals)."""
        self.overflowed += 1

    def take_demand_count(self) -> int:
        """Leads offered to the team since the last call: its arrivals plus the overflow."""
        arrivals = self.channel.arrivals
        count = arrivals - self._arrivals_seen + self.overflowed
        self._arrivals_seen = arrivals
        self.overflowed = 0
        return count

    # -- payroll -----------------------------------------------------------------------------
    def _accrue(self, now: float) -> None:
        self._rep_days += self.headcount * (now - self._t_acc)
        self._t_acc = now

    def close_month(self, month: int, now: float) -> None:
        """Book the month's payroll, managers and fixed cost; open next month's hiring quota."""
        self._accrue(now)
        rep_days = self._rep_days
        self._rep_days = 0.0
        self._seller_days[month] += rep_days
        self._salaries[month] += rep_days * self.salary_annual / YEAR
        mean_reps = rep_days / MONTH
        self._managers[month] += managers_cost(
            mean_reps, self.manager_span, self.manager_salary_annual
        )
        self._fixed[month] += self.fixed_cost_per_month
        self._headcount_row[month] = self.headcount
        self.starts_this_month = 0
        while (
            now < self.horizon and self.ready and self.starts_this_month < self.max_hires_per_month
        ):
            self.ready -= 1
            self._start_hire()

    # -- hiring ------------------------------------------------------------------------------
    def _reviews(self):
        env = self.env
        while True:
            target = min(self.policy.target(self, env.now), self.max_reps)
            gap = target - (self.headcount + self.pipeline + self.ready)
            for _ in range(max(0, gap)):
                self._open_requisition()
            yield env.timeout(self.review_every)

    def _open_requisition(self) -> None:
        delay = self._time_to_hire()
        if self.env.now + delay >= self.horizon:
            return  # would not start within the run
        self.pipeline += 1
        ev = self.env.timeout(delay)
        ev.callbacks.append(self._candidate_ready)

    def _candidate_ready(self, _ev: simpy.Event) -> None:
        self.pipeline -= 1
        if self.starts_this_month < self.max_hires_per_month:
            self._start_hire()
        else:
            self.ready += 1

    def _start_hire(self) -> None:
        if self.headcount >= self.max_reps:
            return
        now = self.env.now
        m = int(now / MONTH)
        self.starts_this_month += 1
        self._hires[m] += 1
        self._recruiting[m] += self.recruiting_cost
        self._onboarding[m] += self.onboarding_cost
        self._add_rep(Seller(self.deals_per_rep, now, self.ramp_days, self.ramp_start))

    def _add_rep(self, rep: Seller) -> None:
        now = self.env.now
        self._accrue(now)
        self.headcount += 1
        tenure = self._tenure()
        if now + tenure < self.horizon:
            ev = self.env.timeout(tenure, rep)
            ev.callbacks.append(self._leave)
        self.channel.add_seller(rep)

    def _leave(self, ev: simpy.Event) -> None:
        rep: Seller = ev.value
        now = self.env.now
        self._accrue(now)
        self.headcount -= 1
        self._departures[int(now / MONTH)] += 1
        self.channel.remove_seller(rep)
