"""Subscription customers of one channel, kept as cohorts: recurring revenue, renewals, churn.

A won sale of a subscription business becomes a customer of the channel that sold it (it stays
with that channel). Customers are never kept one by one: a channel holds cohorts keyed by the
month of their sale and whether that sale had a bad experience, each with its count, the sum
of its monthly fees and the sum of the commissions paid on its sales. Memory grows with
months x channels, never with leads.

**Billing.** At each month's close every cohort pays its fees: ``fee_per_month`` times the
deal's value relative to list price (segment deal size, deal-size noise, a program's deal-size
factor), from the month of the sale on, billed monthly whatever the term; serving them costs
``cost_per_month`` scaled the same way (booked as ``cogs``). Fees are revenue paid by end
customers; a reseller keeps its discount on every fee it bills; commissions are
``commission_rate`` on a customer's fees in its first term (new business) and
``renewal_commission_rate`` after it (trail).

**Renewals.** At the close of the last month of each term (every ``term_months`` after the
sale month), a share of the cohort does not renew: the number lost is binomial with the
hazard of that renewal. With a fixed churn ``p`` the hazard is ``p`` at every renewal. With a
distribution, each customer has its own probability, drawn once: the survivors of ``k``
renewals are those with low ones, and the hazard of renewal ``k`` is
``E[p (1 - p)^k] / E[(1 - p)^k]``; for ``{dist = "beta", a, b}`` (the shifted-beta-geometric
model) it is ``a / (a + b + k)``, and the share still active after ``k`` renewals is
``B(a, b + k) / B(a, b)``. A bad experience multiplies a customer's probability by
``bad_experience_churn_factor`` (capped at 1). Each customer's draw is independent, so a
cohort's losses are exactly binomial. A cohort's fees are its customers' mean fee times its
count (the customers lost take the mean fee with them), and grow by ``expansion_annual`` at
each renewal. Draws come from the channel's own ``customers:NAME`` stream.

**Clawbacks.** With ``cash.commission_clawback_months``, a refund, or a customer lost at a
renewal within that many months of its sale, takes back the commission paid on that sale.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from channelsim.distributions import Beta, Fixed, Spec
from channelsim.model.ledger import Ledger

_GRID = 4096


def renewal_hazards(churn: Spec, factor: float, renewals: int) -> np.ndarray:
    """Probability of not renewing at each renewal ``k = 0 .. renewals - 1``, for survivors.

    Args:
        churn: a fixed probability or its distribution over customers (within 0..1).
        factor: multiplies each customer's probability (bad experience), capped at 1.
        renewals: how many renewals to tabulate.

    Returns:
        The hazards, an array of ``renewals`` probabilities.
    """
    k = np.arange(max(renewals, 1), dtype=float)
    if isinstance(churn, Fixed):
        return np.full(k.size, min(1.0, factor * churn.value))
    if isinstance(churn, Beta) and factor == 1.0:
        return churn.a / (churn.a + churn.b + k)
    # E[g(p)] over the customers by the midpoint rule on the quantile function
    p = np.minimum(1.0, factor * churn.quantile((np.arange(_GRID) + 0.5) / _GRID))
    survive = (1.0 - p)[None, :] ** k[:, None]
    alive = survive.mean(axis=1)
    lost = (p[None, :] * survive).mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(alive > 0, lost / np.where(alive > 0, alive, 1.0), 1.0)


class CustomerBase:
    """The customers of one channel (see the module docstring).

    Args:
        ledger: where fees, discounts, commissions, churn and clawbacks are booked.
        index: the channel's ledger row.
        months: the horizon (months).
        term_months: contract term.
        hazards: the renewal hazards of customers without a bad experience.
        bad_hazards: those of customers whose sale had one.
        expansion: a retained customer's fee multiplier at each renewal.
        cost_ratio: cost of serving a customer over its fee (booked as ``cogs``).
        discount: the channel's share of each fee it keeps (a reseller's discount).
        commission_rate: commission on fees in a customer's first term.
        renewal_rate: commission on fees after it.
        network_fee_rate: a network's share on top of the commissions.
        clawback_months: a customer lost within this many months of its sale takes back its
            sale's commission (0: never).
        binomial: draws ``binomial(n, p)`` from the channel's stream.
    """

    def __init__(
        self,
        ledger: Ledger,
        index: int,
        *,
        months: int,
        term_months: int,
        hazards: np.ndarray,
        bad_hazards: np.ndarray,
        expansion: float,
        discount: float,
        cost_ratio: float = 0.0,
        commission_rate: float,
        renewal_rate: float,
        network_fee_rate: float,
        clawback_months: int,
        binomial: Callable[[int, float], int],
    ) -> None:
        self.months = months
        self.term = term_months
        self._hazards = (hazards, bad_hazards)
        self.expansion = expansion
        self.discount = discount
        self.cost_ratio = cost_ratio
        self.commission_rate = commission_rate
        self.renewal_rate = renewal_rate
        self.network_fee_rate = network_fee_rate
        self.clawback_months = clawback_months
        self._binomial = binomial
        # (month sold, bad) -> [count, fee sum, commission sum of the sales]
        self.cohorts: dict[tuple[int, bool], list[float]] = {}
        self._future: dict[bool, np.ndarray] = {}
        row = ledger.row
        self._revenue = row("revenue", index)
        self._recurring = row("recurring_revenue", index)
        self._recent = row("recurring_revenue_new12", index)
        self._net = row("recurring_net_revenue", index)
        self._discounts = row("discounts", index)
        self._cogs = row("cogs", index)
        self._commissions = row("commissions", index)
        self._network_fees = row("network_fees", index)
        self._churned = row("churned_customers", index)
        self._active = row("active_customers", index)
        self._clawbacks = row("commission_clawbacks", index)

    def future_cost(self, bad: bool) -> np.ndarray:
        """Expected variable cost of sales of a customer won in each month, per unit of fee.

        Over the rest of the horizon: the discount and commissions on the fees it is expected
        to pay (survival times fee growth). For the shadow runs of
        :mod:`channelsim.model.elasticity`, which book a won sale's whole cost of sales.
        """
        cached = self._future.get(bad)
        if cached is not None:
            return cached
        months, term = self.months, self.term
        hazards = self._hazards[bad]
        ages = np.arange(months)
        renewals = ages // term  # renewals a customer has met before it is billed at an age
        keep = np.cumprod(np.concatenate(([1.0], 1.0 - hazards)))
        alive = keep[np.minimum(renewals, keep.size - 1)]
        grown = (1.0 + self.expansion) ** (renewals * term / 12.0)
        rate = np.where(ages < term, self.commission_rate, self.renewal_rate)
        per_age = alive * grown * (self.discount + rate * (1.0 + self.network_fee_rate))
        # a customer won in month m is billed at ages 0 .. months - 1 - m
        cum = np.concatenate(([0.0], np.cumsum(per_age)))
        out = cum[months - ages]
        self._future[bad] = out
        return out

    def add(self, month: int, fee: float, bad: bool, commission: float) -> None:
        """A customer won in ``month`` with a monthly ``fee`` (at list) and its commission."""
        cohort = self.cohorts.get((month, bad))
        if cohort is None:
            self.cohorts[(month, bad)] = [1.0, fee, commission]
        else:
            cohort[0] += 1
            cohort[1] += fee
            cohort[2] += commission

    def close_month(self, month: int) -> None:
        """Bill the month's fees, then renew the cohorts whose term ends with this month."""
        fees = first_term = recent = 0.0
        for (sold, bad), cohort in self.cohorts.items():
            count, fee_sum, commission = cohort
            if count <= 0:
                continue
            age = month - sold  # whole months since the sale month
            fees += fee_sum
            if age < self.term:
                first_term += fee_sum
            if age < 12:
                recent += fee_sum
            if (age + 1) % self.term:
                continue
            k = (age + 1) // self.term - 1  # 0 for the first renewal
            hazards = self._hazards[bad]
            h = float(hazards[min(k, len(hazards) - 1)])
            lost = self._binomial(int(count), h) if h > 0 else 0
            if lost:
                keep = (count - lost) / count
                self._churned[month] += lost
                if self.clawback_months and (k + 1) * self.term <= self.clawback_months:
                    self._clawbacks[month] += commission * (1.0 - keep)
                cohort[0] = count - lost
                cohort[1] = fee_sum * keep
                cohort[2] = commission * keep
            if self.expansion:
                cohort[1] *= (1.0 + self.expansion) ** (self.term / 12.0)
        if not fees:
            self._active[month] = 0.0
            return
        self._revenue[month] += fees
        self._recurring[month] += fees
        self._recent[month] += recent
        self._net[month] += fees * (1.0 - self.discount)
        self._discounts[month] += fees * self.discount
        if self.cost_ratio:
            self._cogs[month] += fees * self.cost_ratio
        pay = first_term * self.commission_rate + (fees - first_term) * self.renewal_rate
        if pay:
            self._commissions[month] += pay
            if self.network_fee_rate:
                self._network_fees[month] += pay * self.network_fee_rate
        self._active[month] = sum(c[0] for c in self.cohorts.values())


def renewals_within(months: int, term_months: int) -> int:
    """How many renewals a customer can meet within a horizon of ``months``."""
    return max(1, math.ceil(months / term_months))
