"""Analysis: pure functions of result tables (no simulator import).

Intervals over replications, paired differences, the margin bridge and cost fits, the verdict
and a sweep's summary tables. Everything here reads tables and returns tables or sentences, so
a report can be rebuilt from an output folder without simulating.
"""

from channelsim.analysis.costs import BRIDGE_STEPS, cost_fits, crossover_sales, margin_bridge
from channelsim.analysis.differences import DIFFERENCE_COLUMNS, paired_differences
from channelsim.analysis.intervals import confidence_intervals
from channelsim.analysis.verdict import Claim, verdict_claims, verdict_lines

__all__ = [
    "BRIDGE_STEPS",
    "DIFFERENCE_COLUMNS",
    "Claim",
    "confidence_intervals",
    "cost_fits",
    "crossover_sales",
    "margin_bridge",
    "paired_differences",
    "verdict_claims",
    "verdict_lines",
]
