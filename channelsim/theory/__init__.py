"""Closed-form results the simulator is validated against.

Everything here is a pure function of its arguments (no randomness, no simulation state) so that
tests and the validation report can compare simulated numbers with textbook ones:

* queueing: Erlang B, Erlang C (M/M/c), Erlang A (M/M/c+M, exponential patience), M/G/inf;
* demand: Bass (1969) diffusion;
* subscriptions: geometric and shifted-beta-geometric retention;
* direct sales force: headcount under a binding recruiting capacity (Little's law);
* channel economics: Kotler's break-even between a salaried team and commissioned agents;
* decisions: the best share of leads for a team that loses what it cannot take (Erlang B), and
  the EVPI of two strategies whose difference is linear in one uniform parameter;
* statistics: the Student t confidence interval used for every summary number.

Units are whatever the caller uses, as long as they are consistent (the simulator uses days).
Functions that take a time accept a scalar or an array and return a float for a scalar input.
"""

from channelsim.theory.arguments import FloatOrArray
from channelsim.theory.decisions import best_direct_share, evpi_linear_uniform, share_routing_value
from channelsim.theory.diffusion import (
    bass_cumulative,
    bass_expected_between,
    bass_peak_time,
    bass_rate,
)
from channelsim.theory.queues import (
    ErlangA,
    erlang_a,
    erlang_b,
    erlang_c,
    mm_inf_busy_pmf,
    mm_inf_mean_busy,
    mmc_mean_wait,
    mmc_mean_wait_given_wait,
    mmc_utilization,
)
from channelsim.theory.retention import geometric_survival, sbg_survival
from channelsim.theory.statistics import TInterval, student_t_ci
from channelsim.theory.teams import breakeven_sales, headcount_path, steady_headcount

__all__ = [
    "FloatOrArray",
    "ErlangA",
    "TInterval",
    "bass_cumulative",
    "bass_expected_between",
    "bass_peak_time",
    "bass_rate",
    "best_direct_share",
    "breakeven_sales",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "evpi_linear_uniform",
    "geometric_survival",
    "headcount_path",
    "mm_inf_busy_pmf",
    "mm_inf_mean_busy",
    "mmc_mean_wait",
    "mmc_mean_wait_given_wait",
    "mmc_utilization",
    "sbg_survival",
    "share_routing_value",
    "steady_headcount",
    "student_t_ci",
]
