"""What each finished deal would have paid with every win probability scaled: cost proportionality.

The article's claim is that a partner's cost "is proportional to its success": paid per sale,
where a sales team's payroll is paid whatever sells. channelsim measures it as the
**elasticity of the cost of sales to success**: every seller's win probability is scaled by
0.9 and 1.1 on the same leads, with the base run's capacity decisions (hires, departures,
partner recruits, activations, churn) and its reputation held as they were, and
``d ln(cost_of_sales) / d ln(sales)`` is read between the two. Only what is paid per success
can then move: a salaried team shows its variable share, commission-only partners 1, and MDF
or partner managers pull a program below 1.

No rerun is needed. With capacity and leads held, nothing in a run depends on whether a deal is
won but the money booked on it (slots free at the end of a cycle, won or lost; routing weighs
slots and queues, never outcomes). So the two scaled runs are booked in the base run itself:
when a deal ends, :class:`ElasticChannel` also asks whether it would have been won with the
win probability scaled (the lead's own ``u`` against ``min(1, s p)``) and books that sale's
variable cost of sales (discount, commission, bounty, network fee, escalation) in shadow
ledger rows. Fixed costs are the base run's. This is exactly what replaying the base run's
decisions in two reruns would give, at the cost of a few operations per deal.
"""

from __future__ import annotations

import simpy

from channelsim.model.ledger import MONTH
from channelsim.model.selling import Channel, Lead

WIN_SCALES: tuple[float, float] = (0.9, 1.1)
"""The win-probability scales of the two shadow runs."""

SHADOW_FIELDS: tuple[str, ...] = (
    "win_low_sales",
    "win_low_variable_cost",
    "win_high_sales",
    "win_high_variable_cost",
)
"""Ledger rows of the shadow runs: sales and variable cost of sales at each scale."""


class ElasticChannel(Channel):
    """A :class:`Channel` that also books its deals as if win probabilities were scaled."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        row, i = self.ledger.row, self.index
        self._shadow = [
            (WIN_SCALES[0], row("win_low_sales", i), row("win_low_variable_cost", i)),
            (WIN_SCALES[1], row("win_high_sales", i), row("win_high_variable_cost", i)),
        ]

    def _on_finish(self, ev: simpy.Event) -> None:
        lead: Lead = ev.value
        if lead.ev is ev:  # a deal that really ends (not one whose seller left)
            self._book_shadows(lead, int(self.env.now / MONTH))
        super()._on_finish(ev)

    def _book_shadows(self, lead: Lead, m: int) -> None:
        t = self.terms
        p = self._win[lead.seg] * lead.prod
        for scale, sales, variable in self._shadow:
            ps = min(1.0, scale * p)
            if lead.u >= ps:
                continue
            value = lead.value * t.size_factor
            pay = value * t.commission_rate + t.bounty
            cost = value * t.discount + pay + pay * t.network_fee_rate
            if lead.u / ps >= t.service_quality:  # given a win, u / p is U(0, 1): its fate
                cost += t.escalation_cost
            sales[m] += 1
            variable[m] += cost
