"""Metrics: the catalogue every module reads, the ledger-to-metrics step, number formatting.

``channelsim.metrics`` itself re-exports the catalogue and the formatter (both light, for the
command line); the computation from ledger arrays is :mod:`channelsim.metrics.compute`.
"""

from channelsim.metrics.catalogue import (
    ACTIVITY_METRICS,
    CATALOGUE,
    CENSORED_METRICS,
    COMPARISON_METRICS,
    FLOW_METRICS,
    KINDS,
    MONTHLY_METRICS,
    RATIO_METRICS,
    SCALAR_METRICS,
    STOCK_METRICS,
    SUMMARY_METRICS,
    Metric,
    lower_is_better,
    metric,
)
from channelsim.metrics.formatting import (
    axis_money,
    format_estimate,
    format_interval,
    format_number,
    format_value,
    money_words,
    undefined_text,
)

__all__ = [
    "ACTIVITY_METRICS",
    "CATALOGUE",
    "CENSORED_METRICS",
    "COMPARISON_METRICS",
    "FLOW_METRICS",
    "KINDS",
    "MONTHLY_METRICS",
    "RATIO_METRICS",
    "SCALAR_METRICS",
    "STOCK_METRICS",
    "SUMMARY_METRICS",
    "Metric",
    "axis_money",
    "format_interval",
    "format_number",
    "format_estimate",
    "format_value",
    "lower_is_better",
    "metric",
    "money_words",
    "undefined_text",
]
