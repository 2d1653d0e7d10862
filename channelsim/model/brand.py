"""Brand and service: the reputation index that feeds back into company demand."""

from __future__ import annotations


class Reputation:
    """Monthly EWMA of customer satisfaction relative to the company's own standard.

    Satisfaction in a month is the share of that month's sales without a bad experience; the
    baseline is the direct team's ``service_quality`` (the company's own standard), so a company
    selling only through its own team keeps a reputation near 1 and partners with weaker service
    pull it down. The index starts at 1, moves by ``alpha = 2 / (memory + 1)`` a month towards
    satisfaction / baseline, and multiplies company lead arrivals by
    ``max(0, 1 + sensitivity x (reputation - 1))``. A month without sales leaves it unchanged.
    The index is capped at ``CAP`` (2): with a near-zero baseline it could otherwise multiply
    demand without bound.
    """

    CAP = 2.0
    """Highest value the index may take (a month far above the baseline cannot explode demand)."""

    def __init__(self, baseline: float, memory_months: float, sensitivity: float) -> None:
        self.baseline = max(baseline, 1e-6)
        self.alpha = 2.0 / (memory_months + 1.0)
        self.sensitivity = sensitivity
        self.value = 1.0

    @property
    def bound(self) -> float:
        """Largest demand effect the index can reach (satisfaction 1 in every month)."""
        top = min(1.0 / self.baseline, self.CAP)
        return max(1.0, 1.0 + self.sensitivity * (top - 1.0))

    @property
    def effect(self) -> float:
        """Multiplier on company lead arrivals."""
        return max(0.0, 1.0 + self.sensitivity * (self.value - 1.0))

    def update(self, sales: float, bad: float) -> float:
        """Fold one month of sales and bad experiences into the index; return the new value."""
        if sales > 0:
            satisfaction = 1.0 - bad / sales
            self.value += self.alpha * (satisfaction / self.baseline - self.value)
            self.value = min(self.value, self.CAP)
        return self.value
