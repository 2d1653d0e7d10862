"""The simulated company: build -> run -> collect, for one strategy and one replication.

``World`` turns a resolved scenario into plain numbers, samplers and policy objects once, so
the event loop touches no pydantic model and no pandas. Channels: row 0 of the ledger is the
direct team, rows 1.. are the partner programs in file order; every strategy has the same rows
(an unused channel stays at zero), so strategies line up in every table. With
``scenario.initial_state`` the first reps take their tenures from it and its open deals are put
in place before the clock starts (:mod:`channelsim.model.opening`); without it nothing of that
runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import simpy

from channelsim.distributions import block_sampler
from channelsim.model.brand import Reputation
from channelsim.model.customers import CustomerBase, renewal_hazards, renewals_within
from channelsim.model.demand import DemandStream, LeadMaker, demand_spec
from channelsim.model.direct import YEAR, BudgetPolicy, DemandPolicy, PlanPolicy, SalesForce
from channelsim.model.elasticity import ElasticChannel
from channelsim.model.ledger import MONTH, Ledger
from channelsim.model.opening import ChannelStart, open_pipeline, owners_of
from channelsim.model.partners import PartnerNetwork
from channelsim.model.routing import (
    ConflictRouting,
    DirectRouting,
    OverflowRouting,
    PartnerPicker,
    PartnerRouting,
    SegmentRouting,
    ShareRouting,
)
from channelsim.model.selling import Channel, Lead, Terms
from channelsim.model.trace import TracedChannel, Tracer
from channelsim.randomness import Streams

if TYPE_CHECKING:
    from channelsim.scenario import Scenario
    from channelsim.scenario.initial_state import InitialState

MODES = ("direct", "indirect", "hybrid")


@dataclass
class ReplicationResult:
    """Raw output of one replication: ledger arrays of shape (channels, months)."""

    strategy: str
    replication: int
    arrays: dict[str, np.ndarray]
    channels: list[str]
    trace: list[list] | None = None  # per-lead records, when traced (TRACE_COLUMNS)


def _expo_sampler(rng: np.random.Generator):
    return block_sampler(rng.standard_exponential)


def _uniform_sampler(rng: np.random.Generator):
    return block_sampler(rng.random)


class World:
    """One company, one strategy, one replication.

    Args:
        scenario: the scenario with the strategy's overrides already applied.
        mode: ``direct``, ``indirect`` or ``hybrid``.
        replication: replication index (selects the random streams).
        strategy: the strategy's name (recorded in the result).
        tracer: records every lead (the opt-in per-lead trace, :mod:`channelsim.model.trace`).
        elasticity: also book every deal with win probabilities scaled by 0.9 and 1.1
            (:mod:`channelsim.model.elasticity`), for ``cost_elasticity``.
    """

    def __init__(
        self,
        scenario: Scenario,
        mode: str,
        replication: int,
        strategy: str | None = None,
        tracer: Tracer | None = None,
        elasticity: bool = False,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        self.strategy = strategy or mode
        self.replication = replication
        sc = scenario
        self.months = sc.scenario.horizon_months
        self.horizon = self.months * MONTH
        streams = Streams(sc.scenario.seed, replication)
        self.env = env = simpy.Environment()
        programs = sc.partners
        self.channel_names = ["direct", *[p.name for p in programs]]
        self.tracer = tracer

        if tracer is not None and elasticity:
            raise ValueError("a traced run does not measure cost elasticity: choose one")

        def channel(index: int, *args) -> Channel:
            if elasticity:
                return ElasticChannel(env, index, ledger, *args)
            if tracer is None:
                return Channel(env, index, ledger, *args)
            name = self.channel_names[index]
            return TracedChannel(env, index, ledger, *args, tracer=tracer, name=name)

        self.ledger = ledger = Ledger(len(self.channel_names), self.months)
        state = sc.start_state

        segments = sc.demand.segments
        seg_factors = [s.win_rate_factor for s in segments] or [1.0]
        d = sc.direct
        self.reputation = Reputation(
            d.service_quality,
            sc.brand.reputation_memory_months,
            sc.demand.reputation_sensitivity,
            sc.brand.reputation_prior_sales,
        )
        self.spec = demand_spec(sc)
        self.demand = DemandStream(self.spec, streams("demand"))
        refund = sc.brand.refund_rate
        unit_cost = sc.product.unit_cost
        sub = sc.product.subscription
        fee_per_unit = sub.fee_per_month / sc.product.price if sub is not None else 0.0

        # direct channel and sales force
        self.direct = channel(
            0,
            d.sales_cycle_days.sampler(streams("direct:cycle")),
            Terms(
                win_rate=d.win_rate,
                commission_rate=d.commission_rate,
                unit_cost=unit_cost,
                service_quality=d.service_quality,
                refund_rate=refund,
                escalation_cost=d.escalation_cost,
                message_control=d.message_control,
                fee_per_unit_value=fee_per_unit,
            ),
            seg_factors,
        )
        self._subscribe(self.direct, streams, sc, d.commission_rate, d.renewal_commission_rate)
        self.force: SalesForce | None = None
        if mode != "indirect":
            h = d.hiring
            policy = None
            if h.policy == "plan":
                lookahead = h.time_to_hire_days.mean + h.review_every_days / 2
                policy = PlanPolicy([tuple(x) for x in h.headcount_plan], d.initial_reps, lookahead)
            elif h.policy == "demand":
                policy = DemandPolicy(d.sales_cycle_days.mean, d.deals_per_rep, h.headcount_buffer)
            elif h.policy == "budget":
                loaded = d.salary_annual / 12 + d.manager_salary_annual / 12 / d.manager_span
                policy = BudgetPolicy(h.budget_share_of_revenue, h.budget_window_months, loaded)
            tenure_mean = YEAR / d.attrition_annual if d.attrition_annual > 0 else math.inf
            expo = _expo_sampler(streams("direct:tenure"))
            team = state.sellers_in("direct")[: d.initial_reps] if state is not None else []
            self.force = SalesForce(
                env,
                self.direct,
                ledger,
                policy=policy,
                initial_reps=d.initial_reps,
                max_reps=d.max_reps,
                deals_per_rep=d.deals_per_rep,
                ramp_days=d.ramp_months * MONTH,
                ramp_start=d.ramp_start_productivity,
                tenure=(lambda: expo() * tenure_mean)
                if tenure_mean < math.inf
                else lambda: math.inf,
                time_to_hire=h.time_to_hire_days.sampler(streams("direct:hire")),
                max_hires_per_month=h.max_hires_per_month,
                review_every_days=h.review_every_days,
                salary_annual=d.salary_annual,
                recruiting_cost=d.recruiting_cost_per_hire,
                onboarding_cost=d.onboarding_cost_per_hire,
                manager_span=d.manager_span,
                manager_salary_annual=d.manager_salary_annual,
                fixed_cost_per_month=d.fixed_cost_per_month,
                company_net_revenue=self._net_revenue,
                horizon_days=self.horizon,
                tenures=[m.tenure_days for m in team],
            )

        # partner programs
        self.program_channels: list[Channel] = []
        self.networks: list[PartnerNetwork] = []
        for i, p in enumerate(programs, start=1):
            prefix = f"partner:{p.name}:"
            chan = channel(
                i,
                p.sales_cycle_days.sampler(streams(prefix + "cycle")),
                Terms(
                    win_rate=p.win_rate,
                    commission_rate=p.commission_rate,
                    bounty=p.bounty,
                    discount=p.discount,
                    network_fee_rate=p.network_fee_rate,
                    size_factor=p.deal_size_factor,
                    unit_cost=unit_cost,
                    service_quality=p.service_quality,
                    refund_rate=refund,
                    escalation_cost=p.escalation_cost,
                    message_control=p.message_control,
                    fee_per_unit_value=fee_per_unit,
                ),
                seg_factors,
            )
            self._subscribe(
                chan,
                streams,
                sc,
                p.commission_rate,
                p.renewal_commission_rate,
                discount=p.discount,
                network_fee_rate=p.network_fee_rate,
            )
            self.program_channels.append(chan)
            if mode == "direct":
                continue
            maker = LeadMaker(self.spec, streams(prefix + "leads"))
            self.networks.append(
                PartnerNetwork(
                    env,
                    chan,
                    ledger,
                    uniform=_uniform_sampler(streams(prefix + "activation")),
                    expo=_expo_sampler(streams(prefix + "life")),
                    onboarding=p.onboarding_days.sampler(streams(prefix + "onboarding")),
                    new_lead=self._sourced_lead_fn(
                        chan,
                        maker,
                        sc.conflict.partner_sourced_overlap,
                        _uniform_sampler(streams(prefix + "conflict")),
                    ),
                    initial=p.initial,
                    recruit_per_month=p.recruit_per_month,
                    max_partners=p.max_partners,
                    activation_rate=p.activation_rate,
                    churn_annual=p.churn_annual,
                    deals_per_partner=p.deals_per_partner,
                    sourced_leads_per_month=p.sourced_leads_per_month,
                    onboarding_cost=p.onboarding_cost,
                    mdf_per_active_partner_month=p.mdf_per_active_partner_month,
                    manager_span=p.manager_span,
                    manager_salary_annual=p.manager_salary_annual,
                    fixed_cost_per_month=p.fixed_cost_per_month,
                    horizon_days=self.horizon,
                )
            )

        if state is not None:
            self._open_pipeline(state, streams, sc)

        # routing of company leads
        routing_u = _uniform_sampler(streams("routing"))
        picker = PartnerPicker(self.program_channels if mode != "direct" else [], routing_u)
        if mode == "direct":
            self.router = DirectRouting(self.direct)
        elif mode == "indirect":
            self.router = PartnerRouting(picker)
        else:
            r = sc.routing
            share = ShareRouting(self.direct, picker, r.direct_share, routing_u)
            if r.policy == "share":
                self.router = share
            elif r.policy == "overflow":
                self.router = OverflowRouting(self.direct, picker, r.overflow_queue, self.force)
            else:
                self.router = SegmentRouting(
                    [s.channel for s in segments] or ["any"], self.direct, share
                )
        self.conflict: ConflictRouting | None = None
        c = sc.conflict
        if mode != "direct" and (c.partner_sourced_overlap > 0 or c.price_undercut > 0):
            pairs = zip(self.program_channels, programs, strict=True)
            resellers = [ch for ch, p in pairs if p.discount > 0]
            self.conflict = self.router = ConflictRouting(
                self.router,
                self.direct,
                self.program_channels,
                PartnerPicker(resellers, _uniform_sampler(streams("conflict:undercut")))
                if resellers
                else None,
                direct_first=c.deal_registration == "direct_first" and mode == "hybrid",
                undercut=c.price_undercut if mode == "hybrid" else 0.0,
                uniform=_uniform_sampler(streams("conflict:undercut-share")),
                cannibalized=ledger.cannibalized_leads,
                month_of=lambda t: min(int(t / MONTH), self.months - 1),
            )

    # -- helpers -----------------------------------------------------------------------------
    def _open_pipeline(self, state: InitialState, streams: Streams, sc: Scenario) -> None:
        """Today's open deals in their channels (:mod:`channelsim.model.opening`)."""
        starts = {
            "direct": ChannelStart(
                self.direct,
                sc.direct.sales_cycle_days,
                owners_of(state.sellers_in("direct"), self.force.initial_sellers)
                if self.force is not None
                else {},
                works=self.force is not None,
            )
        }
        networks = {net.channel.index: net for net in self.networks}
        for i, (p, chan) in enumerate(zip(sc.partners, self.program_channels, strict=True), 1):
            net = networks.get(i)
            starts[p.name] = ChannelStart(
                chan,
                p.sales_cycle_days,
                owners_of(state.sellers_in(p.name), net.initial_partners) if net else {},
                works=net is not None,
            )
        open_pipeline(state, starts, self.spec, [s.name for s in sc.demand.segments], streams)

    def _subscribe(
        self,
        chan: Channel,
        streams: Streams,
        sc: Scenario,
        commission_rate: float,
        renewal_rate: float,
        *,
        discount: float = 0.0,
        network_fee_rate: float = 0.0,
    ) -> None:
        """Give a channel its subscription customers (none for one-time sales) and clawbacks."""
        chan.clawback_refunds = sc.cash.commission_clawback_months > 0
        sub = sc.product.subscription
        if sub is None:
            return
        renewals = renewals_within(self.months, sub.term_months) + 1
        rng = streams(f"customers:{self.channel_names[chan.index]}")
        chan.customers = CustomerBase(
            self.ledger,
            chan.index,
            months=self.months,
            term_months=sub.term_months,
            hazards=renewal_hazards(sub.churn, 1.0, renewals),
            bad_hazards=renewal_hazards(sub.churn, sub.bad_experience_churn_factor, renewals),
            expansion=sub.expansion_annual,
            cost_ratio=sub.cost_per_month / sub.fee_per_month,
            discount=discount,
            commission_rate=commission_rate,
            renewal_rate=renewal_rate,
            network_fee_rate=network_fee_rate,
            clawback_months=sc.cash.commission_clawback_months,
            binomial=lambda n, p: int(rng.binomial(n, p)),
        )

    def _net_revenue(self, month: int) -> float:
        led = self.ledger
        return sum(
            led.revenue[c][month] - led.discounts[c][month] - led.refunds[c][month]
            for c in range(led.n_channels)
        )

    def _sourced_lead_fn(self, chan: Channel, maker: LeadMaker, overlap: float, uniform):
        """What a partner finding a lead does.

        With ``[conflict] partner_sourced_overlap``, that share of the leads are company leads
        the partner registered first: no new lead, a claim on the next company lead
        (:class:`~channelsim.model.routing.ConflictRouting`). The lead's draws are made all
        the same, so that the other sourced leads stay the ones of a run without conflict.
        """
        env = self.env
        sourced = self.ledger.row("sourced_leads", chan.index)
        position = chan.index - 1

        def new_lead() -> None:
            seg, value, size, patience, u = maker()
            if overlap and uniform() < overlap and self.conflict is not None:
                self.conflict.claim(position)
                return
            sourced[int(env.now / MONTH)] += 1
            chan.arrive(Lead(env.now, seg, value, size, u), patience)

        tracer = self.tracer
        if tracer is None:
            return new_lead

        def new_traced_lead() -> None:
            tracer.source = "partner"
            new_lead()
            tracer.source = "company"

        return new_traced_lead

    def _channels(self) -> list[Channel]:
        return [self.direct, *self.program_channels]

    def _close_month(self, month: int) -> None:
        now = (month + 1) * MONTH
        for chan in self._channels():
            chan.close_month(month, now)
            if chan.customers is not None:
                chan.customers.close_month(month)
        if self.force is not None:
            self.force.close_month(month, now)
        for net in self.networks:
            net.close_month(month, now)
        led = self.ledger
        sales = sum(led.sales[c][month] for c in range(led.n_channels))
        bad = sum(led.escalations[c][month] for c in range(led.n_channels))
        rep = self.reputation.update(sales, bad)
        for c in range(led.n_channels):
            led.reputation[c][month] = rep

    # -- run ---------------------------------------------------------------------------------
    # Company leads arrive through a chain of Timeout callbacks (no generator process): one
    # event per lead, and the month's batch is drawn when the month starts, after the previous
    # month is closed and the reputation index updated.
    def _start_month(self, month: int) -> None:
        if month:
            self._close_month(month - 1)
        self._month = month
        self._batch = self.demand.month(month, self.reputation.effect)
        self._batch.reverse()
        self._next_arrival()

    def _next_arrival(self) -> None:
        env = self.env
        if self._batch:
            ev = self._timeout(self._batch[-1][0] - env.now)
            ev.callbacks.append(self._arrival_cb)
        else:
            ev = self._timeout((self._month + 1) * MONTH - env.now)
            ev.callbacks.append(self._on_month_end)

    def _on_arrival(self, _ev: simpy.Event) -> None:
        # The leads that arrive before the next scheduled event are handled in this callback,
        # each at its own arrival time: nothing else can happen in between, so the order of
        # state changes is the one of a Timeout per lead, for fewer events. (Code that a lead's
        # arrival reaches uses ``lead.arrival`` as now, never ``env.now``.)
        batch = self._batch
        choose = self._choose
        only = self._only_channel
        peek = self.env.peek
        now = self.env.now
        while True:
            _t, seg, value, size, patience, u = batch.pop()
            lead = Lead(now, seg, value, size, u)
            (only or choose(lead)).arrive(lead, patience)
            if not batch:
                self._next_arrival()
                return
            now = batch[-1][0]
            if now >= peek():
                self._timeout(now - self.env.now).callbacks.append(self._arrival_cb)
                return

    def _on_month_end(self, _ev: simpy.Event) -> None:
        if self._month + 1 < self.months:
            self._start_month(self._month + 1)

    def run(self) -> ReplicationResult:
        """Simulate the horizon and return the ledger as arrays."""
        env = self.env
        self._timeout = env.timeout
        self._arrival_cb = self._on_arrival
        self._choose = self.router.choose
        self._only_channel = self.router.only
        if self.force is not None:
            self.force.start()
        for net in self.networks:
            net.start()
        self._start_month(0)
        env.run(until=self.horizon)
        self._close_month(self.months - 1)
        return ReplicationResult(
            strategy=self.strategy,
            replication=self.replication,
            arrays=self.ledger.to_arrays(),
            channels=list(self.channel_names),
            trace=None if self.tracer is None else self.tracer.rows(),
        )
