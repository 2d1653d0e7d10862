"""Brand and service: the reputation index that feeds back into company demand."""

from __future__ import annotations


class Reputation:
    """Customer satisfaction relative to the company's own standard, weighted by sales.

    Satisfaction is the share of sales without a bad experience; the baseline is the direct
    team's ``service_quality`` (the company's own standard), so a company selling only through
    its own team keeps a reputation near 1 and partners with weaker service pull it down.

    The index is an exponentially weighted average over *sales*, not over months: each month
    counts by its number of sales, and older months fade by ``1 - alpha`` a month with
    ``alpha = 2 / (memory + 1)``. It starts at 1 backed by ``prior_sales`` sales at the
    standard (a pseudo-count that fades like any month), so one bad sale in a month of one sale
    barely moves it, while a month of many sales at steady volume moves it by ``alpha`` towards
    its satisfaction, as a monthly average would. A month without sales leaves it unchanged.
    It multiplies company lead arrivals by ``max(0, 1 + sensitivity x (reputation - 1))`` and
    is capped at ``CAP`` (2): with a near-zero baseline it could otherwise multiply demand
    without bound.
    """

    CAP = 2.0
    """Highest value the index may take (a month far above the baseline cannot explode demand)."""

    def __init__(
        self, baseline: float, memory_months: float, sensitivity: float, prior_sales: float
    ) -> None:
        self.baseline = max(baseline, 1e-6)
        self.alpha = 2.0 / (memory_months + 1.0)
        self.sensitivity = sensitivity
        self._weight = prior_sales  # sales behind the index, faded
        self._good = prior_sales  # of which satisfied, relative to the baseline
        self.value = 1.0

    @property
    def effect(self) -> float:
        """Multiplier on company lead arrivals."""
        return max(0.0, 1.0 + self.sensitivity * (self.value - 1.0))

    def update(self, sales: float, bad: float) -> float:
        """Fold one month of sales and bad experiences into the index; return the new value."""
        if sales > 0:
            keep = 1.0 - self.alpha
            self._weight = keep * self._weight + sales
            self._good = keep * self._good + (sales - bad) / self.baseline
            self.value = min(self._good / self._weight, self.CAP)
        return self.value
