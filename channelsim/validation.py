"""The model against theory: a table of checks, generated into ``docs/validation.md``.

Run it as::

    python -m channelsim.validation [--out docs/validation.md] [--quick] [--jobs N]

Each check builds a small scenario whose answer is known in closed form (Erlang C and A,
Little's law, M/G/inf, Bass diffusion, steady headcount under a recruiting cap, Kotler's
break-even, the cost elasticity of commissions), simulates it over independent replications,
and compares the theoretical value with the simulated mean and its 95% Student t interval.

The verdict: **pass** when the theoretical value lies in the 95% interval (widened by a stated
tolerance where the model's discretisation justifies one); **pass (chance)** when it lies
outside the 95% interval but inside the simultaneous interval of the whole table (Bonferroni:
each interval at level ``1 - 0.05 / K`` for K checks, so a correct model passes every check
with probability at least 95%); **FAIL** otherwise. The script exits with status 1 when any
check fails.

Replications and strategies run through the same executors as ``simulate``; results are
gathered in job order, so the report does not depend on the number of processes.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from channelsim import __version__, theory
from channelsim.executors import make_executor
from channelsim.model.ledger import MONTH
from channelsim.scenario import Scenario

__all__ = [
    "CHECK_NAMES",
    "FULL",
    "QUICK",
    "CheckResult",
    "Effort",
    "Measurement",
    "main",
    "render_markdown",
    "run_checks",
]

SEED = 20260707
"""Root seed of every validation scenario (chosen once, before the first run)."""

LEVEL = 0.95
"""Confidence level of the intervals shown in the table."""

FAMILY_ERROR = 0.05
"""Family-wise error rate of the whole table (Bonferroni) behind the FAIL verdict."""

YEAR_DAYS = 365.25


@dataclass(frozen=True)
class Effort:
    """How much simulation the checks get.

    Attributes:
        name: ``full`` (the committed report) or ``quick`` (the test suite).
        reps: replications of each check.
        queue_months: horizon of the queueing checks (months).
        warmup_months: months discarded at the start of the queueing checks (the model starts
            with an empty queue; steady-state formulas describe the long run).
        bass_months: horizon of the Bass diffusion check (months).
        headcount_months: horizon of the headcount check (months).
    """

    name: str
    reps: int
    queue_months: int
    warmup_months: int
    bass_months: int
    headcount_months: int


FULL = Effort("full", reps=40, queue_months=120, warmup_months=3, bass_months=24,
              headcount_months=240)  # fmt: skip
QUICK = Effort("quick", reps=20, queue_months=36, warmup_months=2, bass_months=18,
               headcount_months=120)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Measurement:
    """One check's theoretical value and its simulated per-replication values.

    Attributes:
        name: stable identifier (listed in the report; tests look it up).
        title: what is checked, in words.
        scenario: the scenario in short, with its key numbers.
        theory: the theoretical value.
        values: one simulated value per replication.
        unit: unit of the values (shown after the numbers).
        digits: decimals shown.
        tolerance: absolute tolerance added on both sides of the interval (0: none).
        tolerance_note: why the tolerance is justified (shown in the report).
        formula: the theoretical formula, as text.
        details: how the simulated value is measured (shown below the table).
        appendix: extra markdown shown with the details (e.g. a month-by-month table).
    """

    name: str
    title: str
    scenario: str
    theory: float
    values: np.ndarray
    unit: str = ""
    digits: int = 3
    tolerance: float = 0.0
    tolerance_note: str = ""
    formula: str = ""
    details: str = ""
    appendix: str = ""


@dataclass(frozen=True)
class CheckResult:
    """A measurement with its intervals and verdict.

    Attributes:
        measurement: what was measured.
        mean: mean of the simulated values.
        low: lower end of the 95% interval.
        high: upper end of the 95% interval.
        family_low: lower end of the simultaneous (Bonferroni) interval.
        family_high: upper end of the simultaneous interval.
        n: replications.
        verdict: ``pass``, ``pass (chance)`` or ``FAIL``.
    """

    measurement: Measurement
    mean: float
    low: float
    high: float
    family_low: float
    family_high: float
    n: int
    verdict: str

    @property
    def passed(self) -> bool:
        """True unless the verdict is FAIL."""
        return self.verdict != "FAIL"


@dataclass(frozen=True)
class _Job:
    """One unit of work for a worker process (picklable)."""

    kind: str  # "world": raw ledger arrays; "task": run_task summary; "compare": elasticities
    scenario: Scenario
    strategy: str
    replication: int = 0
    demand_scale: float = 1.0


def _run_job(job: _Job) -> Any:
    """Run one job (module level, so worker processes can unpickle it)."""
    if job.kind == "world":
        from channelsim.model.world import World

        world = World(job.scenario, job.strategy, job.replication, job.strategy, job.demand_scale)
        return world.run().arrays
    if job.kind == "task":
        from channelsim.experiment import Task, run_task

        result = run_task(Task(job.scenario, job.strategy, job.replication, job.demand_scale))
        return result.summary
    if job.kind == "compare":
        from channelsim.comparison import compare

        cmp = compare(job.scenario, [job.strategy], jobs=1)
        el = cmp.elasticity
        rows = el[(el.strategy == job.strategy) & (el.channel == "total")]
        return rows.sort_values("replication")["cost_elasticity"].to_numpy(dtype=float)
    raise ValueError(f"unknown job kind {job.kind!r}")


@dataclass
class _Plan:
    """The jobs of a group of checks and how to turn their results into measurements."""

    jobs: list[_Job]
    evaluate: Callable[[list[Any]], list[Measurement]]
    names: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Scenario builders


def queue_scenario_data(
    c: int,
    lam_per_day: float,
    cycle: Any,
    months: int,
    reps: int,
    *,
    patience: Any = math.inf,
    deals_per_rep: int = 1,
    seed: int = SEED,
    name: str = "validation queue",
) -> dict[str, Any]:
    """Scenario data of a direct team of fixed size (no hiring, no attrition): an M/G/c (+G) queue.

    ``c`` reps of ``deals_per_rep`` slots, Poisson leads at ``lam_per_day``, sales cycles drawn
    from ``cycle``, patience from ``patience``; the tests build their queues from it too.
    """
    return {
        "scenario": {
            "name": name,
            "horizon_months": months,
            "replications": reps,
            "seed": seed,
            "strategy": "direct",
        },
        "product": {"price": 1000.0, "unit_cost": 0.0},
        "demand": {
            "leads_per_month": lam_per_day * MONTH,
            "growth": "none",
            "patience_days": patience,
            "reputation_sensitivity": 0.0,
        },
        "direct": {
            "initial_reps": c,
            "max_reps": c,
            "deals_per_rep": deals_per_rep,
            "sales_cycle_days": cycle,
            "win_rate": 0.5,
            "attrition_annual": 0.0,
            "hiring": {"max_hires_per_month": 0},
        },
    }


def _queue_scenario(
    c: int,
    lam_per_day: float,
    cycle: Any,
    months: int,
    reps: int,
    *,
    patience: Any = math.inf,
    deals_per_rep: int = 1,
) -> Scenario:
    """The validated scenario of :func:`queue_scenario_data`."""
    return Scenario.model_validate(
        queue_scenario_data(
            c, lam_per_day, cycle, months, reps, patience=patience, deals_per_rep=deals_per_rep
        )
    )


def _textbook_scenario(revenue_a_year: float, reps: int, deal_size_cv: float = 0.0) -> Scenario:
    """Kotler's classroom case: 3 reps at 30k and a manager at 160k (5%) against agents (25%)."""
    price, win = 1000.0, 0.5
    return Scenario.model_validate(
        {
            "scenario": {
                "name": "validation break-even",
                "horizon_months": 12,
                "replications": reps,
                "seed": SEED,
                "discount_rate": 0.0,
                "strategy": "direct",
            },
            "product": {"price": price, "unit_cost": 0.0, "deal_size_cv": deal_size_cv},
            "demand": {
                "leads_per_month": revenue_a_year / price / 12 / win,
                "reputation_sensitivity": 0.0,
            },
            "direct": {
                "initial_reps": 3,
                "max_reps": 3,
                "deals_per_rep": 1000,
                "sales_cycle_days": {"dist": "exponential", "mean": 5.0},
                "win_rate": win,
                "attrition_annual": 0.0,
                "salary_annual": 30_000,
                "commission_rate": 0.05,
                "manager_span": 8,
                "manager_salary_annual": 160_000,
                "fixed_cost_per_month": 0.0,
                "service_quality": 1.0,
                "hiring": {"max_hires_per_month": 0},
            },
            "partners": [
                {
                    "name": "agents",
                    "kind": "agent",
                    "initial": 100,
                    "recruit_per_month": 0,
                    "churn_annual": 0.0,
                    "deals_per_partner": 100,
                    "sourced_leads_per_month": 0.0,
                    "sales_cycle_days": {"dist": "exponential", "mean": 5.0},
                    "win_rate": win,
                    "commission_rate": 0.25,
                    "onboarding_cost": 0.0,
                    "mdf_per_active_partner_month": 0.0,
                    "manager_salary_annual": 0.0,
                    "fixed_cost_per_month": 0.0,
                    "service_quality": 1.0,
                }
            ],
        }
    )


def _world_jobs(scenario: Scenario, mode: str, reps: int) -> list[_Job]:
    return [_Job("world", scenario, mode, r) for r in range(reps)]


def _after_warmup(arrays: dict[str, np.ndarray], field_name: str, row: int, warmup: int) -> float:
    return float(arrays[field_name][row, warmup:].sum())


# --------------------------------------------------------------------------------------------
# The checks


def _erlang_c(effort: Effort) -> _Plan:
    c, mu = 10, 1.0
    loads = (0.5, 0.7, 0.9)
    scenarios = [
        _queue_scenario(
            c,
            rho * c * mu,
            {"dist": "exponential", "mean": 1 / mu},
            effort.queue_months,
            effort.reps,
        )  # fmt: skip
        for rho in loads
    ]
    jobs = [job for sc in scenarios for job in _world_jobs(sc, "direct", effort.reps)]
    w = effort.warmup_months
    names = [f"erlang_c_wait_load_{rho:.1f}" for rho in loads]

    def evaluate(results: list[Any]) -> list[Measurement]:
        out = []
        for k, rho in enumerate(loads):
            chunk = results[k * effort.reps : (k + 1) * effort.reps]
            waits = np.array(
                [
                    _after_warmup(a, "wait_days", 0, w) / _after_warmup(a, "served", 0, w)
                    for a in chunk
                ]
            )
            lam = rho * c * mu
            out.append(
                Measurement(
                    name=names[k],
                    title=f"Erlang C: mean wait in queue at load {rho:.1f}",
                    scenario=f"M/M/{c}: {c} reps x 1 slot, lambda = {lam:g} leads/day, "
                    f"exponential cycle {1 / mu:g} day, patience inf",
                    theory=theory.mmc_mean_wait(lam, mu, c),
                    values=waits,
                    unit="days",
                    digits=4,
                    formula="W_q = C(c, a) / (c mu - lambda), a = lambda / mu",
                    details="a direct team of fixed size (no hiring, no attrition, "
                    "`deals_per_rep = 1`); total wait of the leads that reached a "
                    "rep / their number (`mean_wait_days`), after the warm-up.",
                )
            )
        return out

    return _Plan(jobs, evaluate, names)


def _erlang_a(effort: Effort) -> _Plan:
    c, mu, lam = 10, 1.0, 10.0
    patiences = (1.0, 0.25)
    scenarios = [
        _queue_scenario(
            c,
            lam,
            {"dist": "exponential", "mean": 1 / mu},
            effort.queue_months,
            effort.reps,
            patience={"dist": "exponential", "mean": p},
        )
        for p in patiences
    ]
    jobs = [job for sc in scenarios for job in _world_jobs(sc, "direct", effort.reps)]
    w = effort.warmup_months
    names = []
    for p in patiences:
        names += [f"erlang_a_abandon_patience_{p:g}", f"erlang_a_wait_served_patience_{p:g}"]

    def evaluate(results: list[Any]) -> list[Measurement]:
        out = []
        for k, p in enumerate(patiences):
            chunk = results[k * effort.reps : (k + 1) * effort.reps]
            expected = theory.erlang_a(lam, mu, c, 1 / p)
            lost = np.array(
                [
                    _after_warmup(a, "lost_leads", 0, w) / _after_warmup(a, "leads", 0, w)
                    for a in chunk
                ]
            )
            waits = np.array(
                [
                    _after_warmup(a, "wait_days", 0, w) / _after_warmup(a, "served", 0, w)
                    for a in chunk
                ]
            )
            where = (
                f"M/M/{c}+M: {c} reps x 1 slot, lambda = {lam:g}/day, cycle {1 / mu:g} day "
                f"(load 1.0), exponential patience mean {p:g} day"
            )
            out.append(
                Measurement(
                    name=f"erlang_a_abandon_patience_{p:g}",
                    title=f"Erlang A: share of leads lost while waiting, patience {p:g} day",
                    scenario=where,
                    theory=expected.p_abandon,
                    values=lost,
                    digits=4,
                    formula="P(abandon) = theta E[queue] / lambda, from the stationary "
                    "birth-death chain of M/M/c+M (`theory.erlang_a`)",
                    details="`lost_lead_share` (leads whose patience ran out "
                    "before a rep was free / leads), after the warm-up.",
                )
            )
            out.append(
                Measurement(
                    name=f"erlang_a_wait_served_patience_{p:g}",
                    title=f"Erlang A: mean wait of the served leads, patience {p:g} day",
                    scenario=where,
                    theory=expected.mean_wait_served,
                    values=waits,
                    unit="days",
                    digits=4,
                    formula="E[W | served] = sum_j pi_{c+j} S_j T_j / P(served), from the same "
                    "chain (`theory.erlang_a`)",
                    details="`mean_wait_days` (wait of the leads that reached a rep), "
                    "after the warm-up.",
                )
            )
        return out

    return _Plan(jobs, evaluate, names)


def _little_lead_queue(effort: Effort) -> _Plan:
    c, lam = 10, 8.5
    cycle = {"dist": "lognormal", "mean": 1.0, "sd": 1.5}
    sc = _queue_scenario(c, lam, cycle, effort.queue_months, effort.reps)
    w = effort.warmup_months

    def evaluate(results: list[Any]) -> list[Measurement]:
        diffs, lq, lw = [], [], []
        days = (sc.scenario.horizon_months - w) * MONTH
        for a in results:
            queue = _after_warmup(a, "waiting_lead_days", 0, w) / days  # time-average queue
            arrival_rate = _after_warmup(a, "leads", 0, w) / days
            wait = _after_warmup(a, "wait_days", 0, w) / _after_warmup(a, "served", 0, w)
            lq.append(queue)
            lw.append(arrival_rate * wait)
            diffs.append(queue - arrival_rate * wait)
        return [
            Measurement(
                name="little_lead_queue",
                title="Little's law on the lead queue: L_q - lambda W_q = 0",
                scenario=f"M/G/{c}: lambda = {lam:g}/day, lognormal cycle mean 1 sd 1.5 days, "
                f"patience inf; L_q about {np.mean(lq):.2f}, lambda W_q about {np.mean(lw):.2f} "
                "leads",
                theory=0.0,
                values=np.array(diffs),
                unit="leads",
                digits=3,
                formula="L_q = lambda W_q (any queue discipline, any distributions)",
                details="lognormal cycles: M/G/c has no closed form for the wait, so two "
                "measurements of the same run are compared, per replication. L_q (mean number "
                "of leads waiting): the time integral of the queue (`waiting_lead_days`) / "
                "days; lambda: leads / days; W_q: `mean_wait_days` (wait of the leads that "
                "reached a rep); all after the warm-up. The two differ only by the leads "
                "that straddle the ends of the measured window.",
            )
        ]

    return _Plan(_world_jobs(sc, "direct", effort.reps), evaluate, ["little_lead_queue"])


def _little_sales_force(effort: Effort) -> _Plan:
    reps, slots, lam, mean_cycle = 8, 5, 6.0, 5.0
    cycle = {"dist": "gamma", "mean": mean_cycle, "sd": 3.0}
    sc = _queue_scenario(reps, lam, cycle, effort.queue_months, effort.reps, deals_per_rep=slots)
    w = effort.warmup_months

    def evaluate(results: list[Any]) -> list[Measurement]:
        days = (sc.scenario.horizon_months - w) * MONTH
        busy = np.array([_after_warmup(a, "busy_slot_days", 0, w) / days for a in results])
        return [
            Measurement(
                name="little_sales_force",
                title="Little's law on the sales force: busy slots = throughput x mean cycle",
                scenario=f"{reps} reps x {slots} slots, lambda = {lam:g} leads/day, gamma cycle "
                f"mean {mean_cycle:g} sd 3 days, patience inf (utilization "
                f"{lam * mean_cycle / (reps * slots):.2f})",
                theory=lam * mean_cycle,
                values=busy,
                unit="slots",
                digits=3,
                formula="L = lambda E[S]: every lead is served (no patience limit, stable team)",
                details="time-average busy slots (`busy_slot_days` / days) after "
                "the warm-up; `utilization` is this over the slots.",
            )
        ]

    return _Plan(_world_jobs(sc, "direct", effort.reps), evaluate, ["little_sales_force"])


def _partner_mg_inf(effort: Effort) -> _Plan:
    company, partners, sourced, mean_cycle = 10.0, 100, 3.0, 5.0
    data = _queue_scenario(1, company, 1.0, effort.queue_months, effort.reps).model_dump(
        by_alias=True
    )
    data["scenario"]["strategy"] = "indirect"
    data["partners"] = [
        {
            "name": "agents",
            "kind": "agent",
            "initial": partners,
            "recruit_per_month": 0,
            "max_partners": partners,
            "churn_annual": 0.0,
            "deals_per_partner": 10,
            "sourced_leads_per_month": sourced,
            "sales_cycle_days": {"dist": "lognormal", "mean": mean_cycle, "sd": 4.0},
            "win_rate": 0.3,
        }
    ]
    sc = Scenario.model_validate(data)
    lam = company + partners * sourced / MONTH
    w = effort.warmup_months

    def evaluate(results: list[Any]) -> list[Measurement]:
        days = (sc.scenario.horizon_months - w) * MONTH
        busy = np.array([_after_warmup(a, "busy_slot_days", 1, w) / days for a in results])
        return [
            Measurement(
                name="mg_inf_partner_slots",
                title="M/G/inf: mean busy partner slots = lambda x mean cycle",
                scenario=f"indirect, {partners} agents x 10 slots (ample), no churn; "
                f"{company:g} company leads/day + {sourced:g} sourced leads a month per "
                f"partner (lambda = {lam:.3f}/day); lognormal cycle mean {mean_cycle:g} sd 4",
                theory=theory.mm_inf_mean_busy(lam, mean_cycle),
                values=busy,
                unit="slots",
                digits=3,
                formula="E[N] = lambda E[S] for M/G/inf (insensitive to the cycle distribution)",
                details="a partner program whose capacity never binds (1,000 slots for about "
                "100 busy); arrivals are the company leads routed to it plus the leads its "
                "partners source (Poisson at active partners x `sourced_leads_per_month`); "
                "the value is the program's time-average busy slots after the warm-up.",
            )
        ]

    return _Plan(_world_jobs(sc, "indirect", effort.reps), evaluate, ["mg_inf_partner_slots"])


def _bass(effort: Effort) -> _Plan:
    m, p, q = 20_000.0, 0.01, 0.3
    months = effort.bass_months
    data = _queue_scenario(50, 1.0, 10.0, months, effort.reps, deals_per_rep=100).model_dump(
        by_alias=True
    )
    data["demand"].update(growth="bass", market_size=m, innovation=p, imitation=q)
    sc = Scenario.model_validate(data)
    edges = np.arange(months + 1, dtype=float)
    expected = m * np.diff(np.asarray(theory.bass_cumulative(edges, p, q)))

    def evaluate(results: list[Any]) -> list[Measurement]:
        leads = np.array([a["leads"][0] for a in results])  # (reps, months)
        pearson = ((leads - expected) ** 2 / expected).sum(axis=1)
        where = f"growth = bass, m = {m:,.0f}, p = {p:g}, q = {q:g} a month, {months} months"
        rows = ["| month t | m (F(t+1) - F(t)) | simulated leads [95% CI] |", "| --- | --- | --- |"]
        for t in range(months):
            ci = theory.student_t_ci(leads[:, t])
            rows.append(
                f"| {t} | {expected[t]:,.1f} | {ci.mean:,.1f} [{ci.low:,.1f}, {ci.high:,.1f}] |"
            )
        return [
            Measurement(
                name="bass_cumulative_leads",
                title=f"Bass diffusion: leads over {months} months = m F({months})",
                scenario=where,
                theory=float(expected.sum()),
                values=leads.sum(axis=1),
                unit="leads",
                digits=0,
                formula="m F(T), F(t) = (1 - e^(-(p+q) t)) / (1 + (q/p) e^(-(p+q) t))",
                details="company leads of a direct team with ample capacity (50 reps x 100 "
                "slots) and no reputation feedback; the leads over the horizon.",
            ),
            Measurement(
                name="bass_monthly_curve",
                title="Bass curve month by month: sum_t (N_t - mu_t)^2 / mu_t = months",
                scenario=where + ", mu_t = m (F(t+1) - F(t))",
                theory=float(months),
                values=pearson,
                digits=2,
                formula="E[sum_t (N_t - mu_t)^2 / mu_t] = T when the monthly counts N_t are "
                "independent Poisson with means mu_t",
                details="the Pearson statistic of each replication's monthly lead counts "
                "against the Bass curve: a wrong curve in any month, or counts that are not "
                "Poisson (too regular or too dispersed), move it away from the number of months. "
                "The curve itself, averaged over replications:",
                appendix="\n".join(rows),
            ),
        ]

    return _Plan(
        _world_jobs(sc, "direct", effort.reps),
        evaluate,
        ["bass_cumulative_leads", "bass_monthly_curve"],
    )


def _headcount(effort: Effort) -> _Plan:
    hires_per_month, attrition, months = 2, 0.5, effort.headcount_months
    steady = theory.steady_headcount(12 * hires_per_month, attrition)
    data = _queue_scenario(1, 0.0, 1.0, months, effort.reps).model_dump(by_alias=True)
    data["demand"]["leads_per_month"] = 0.0
    data["direct"].update(
        initial_reps=round(steady),
        max_reps=1000,
        attrition_annual=attrition,
        hiring={
            "policy": "plan",
            "headcount_plan": [[0, 1000]],
            "max_hires_per_month": hires_per_month,
            "time_to_hire_days": 10,
            "review_every_days": 15,
        },
    )
    sc = Scenario.model_validate(data)

    def evaluate(results: list[Any]) -> list[Measurement]:
        mean_headcount = np.array([a["seller_days"][0].sum() / (months * MONTH) for a in results])
        capped = all(a["hires"][0].max() <= hires_per_month for a in results)
        return [
            Measurement(
                name="steady_headcount",
                title="Steady headcount under a binding recruiting cap = hires a year / attrition",
                scenario=f"plan asks for 1,000 reps, at most {hires_per_month} hires a month "
                f"({'never exceeded' if capped else 'EXCEEDED'}), attrition {attrition:g} a "
                f"year, starts at {round(steady)} reps, {months} months",
                theory=steady,
                values=mean_headcount if capped else mean_headcount * math.nan,
                unit="reps",
                digits=2,
                formula="H = 12 x max_hires_per_month / attrition_annual (Little's law: hires "
                "a year x mean tenure)",
                details="the recruiting cap binds every month, so hires run at exactly 24 a "
                "year (they start at month boundaries; Little's law holds for any arrival "
                "pattern); tenure is exponential; the value is the mean headcount "
                "(rep-days / days) over the horizon; a month with more hires than the cap would "
                "fail the check.",
            )
        ]

    return _Plan(_world_jobs(sc, "direct", effort.reps), evaluate, ["steady_headcount"])


BREAKEVEN_SCALES = (0.9, 1.0, 1.1)
"""Demand scales of the break-even fit (common random numbers up to 1.1)."""


def _breakeven(effort: Effort) -> _Plan:
    fixed = 3 * 30_000 + 160_000
    expected = theory.breakeven_sales(fixed, 0.25, 0.05)
    sc = _textbook_scenario(expected, effort.reps)
    jobs = [
        _Job("task", sc, strategy, r, scale)
        for r in range(effort.reps)
        for scale in BREAKEVEN_SCALES
        for strategy in ("direct", "indirect")
    ]

    def evaluate(results: list[Any]) -> list[Measurement]:
        roots = []
        per_rep = 2 * len(BREAKEVEN_SCALES)
        for r in range(effort.reps):
            chunk = results[r * per_rep : (r + 1) * per_rep]
            revenue, gap = [], []
            for k in range(len(BREAKEVEN_SCALES)):
                team, agents = chunk[2 * k]["total"], chunk[2 * k + 1]["total"]
                revenue.append((team["revenue"] + agents["revenue"]) / 2)
                gap.append(team["contribution"] - agents["contribution"])
            slope, intercept = np.polyfit(revenue, gap, 1)
            roots.append(-intercept / slope)  # a 12-month horizon: revenue a year
        return [
            Measurement(
                name="kotler_breakeven",
                title="Kotler's break-even: salaried team vs commissioned agents",
                scenario="3 reps at 30k + a manager at 160k a year, 5% commission; agents at "
                "25%; price 1,000, ample capacity, 12 months",
                theory=expected,
                values=np.array(roots),
                unit="a year",
                digits=0,
                formula="S* = fixed / (agent rate - team rate) = 250k / (0.25 - 0.05) = 1.25M",
                details="strategies `direct` and `indirect` of one scenario whose demand is "
                "about the break-even; per replication, contribution(team) - "
                "contribution(agents) at 0.9, 1.0 and 1.1 x demand (common random numbers) is "
                "fitted by a line in revenue; its root is the simulated break-even revenue. "
                "Everything goes through the ledger and `channelsim.metrics` (salaries accrue "
                "by the day, the manager by the month).",
            )
        ]

    return _Plan(jobs, evaluate, ["kotler_breakeven"])


def _elasticity(effort: Effort) -> _Plan:
    sc = _textbook_scenario(1.25e6, effort.reps, deal_size_cv=0.3)

    def evaluate(results: list[Any]) -> list[Measurement]:
        return [
            Measurement(
                name="elasticity_commission_only",
                title="Cost elasticity of a commission-only channel = 1",
                scenario="agents paid 25% of revenue, no fixed cost, ample capacity, deal "
                "values lognormal (cv 0.3)",
                theory=1.0,
                values=results[0],
                digits=4,
                formula="d ln(cost of sales) / d ln(sales) = 1 when cost = rate x revenue",
                details="`cost_elasticity` of channel total as `compare()` computes it: reruns "
                "at 0.9 and 1.1 x demand on common random numbers; no onboarding, MDF, "
                "managers or fixed cost; the lognormal deal values make revenue (so cost) "
                "only proportional to sales on average.",
            )
        ]

    return _Plan([_Job("compare", sc, "indirect")], evaluate, ["elasticity_commission_only"])


_CHECK_GROUPS: tuple[Callable[[Effort], _Plan], ...] = (
    _erlang_c,
    _erlang_a,
    _little_lead_queue,
    _little_sales_force,
    _partner_mg_inf,
    _bass,
    _headcount,
    _breakeven,
    _elasticity,
)

CHECK_NAMES: tuple[str, ...] = tuple(name for group in _CHECK_GROUPS for name in group(QUICK).names)
"""Every check of the report, in table order."""


# --------------------------------------------------------------------------------------------
# Running and judging


def _judge(measurement: Measurement, k: int) -> CheckResult:
    values = np.asarray(measurement.values, dtype=float)
    if values.size < 2 or not np.all(np.isfinite(values)):
        mean = float(np.mean(values)) if values.size else math.nan
        return CheckResult(measurement, mean, math.nan, math.nan, math.nan, math.nan,
                           int(values.size), "FAIL")  # fmt: skip
    ci = theory.student_t_ci(values, LEVEL)
    family = theory.student_t_ci(values, 1 - FAMILY_ERROR / max(k, 1))
    # a zero-width interval (a deterministic quantity) still gets float rounding room
    tol = measurement.tolerance + 1e-9 * max(1.0, abs(measurement.theory))
    t = measurement.theory
    if ci.low - tol <= t <= ci.high + tol:
        verdict = "pass"
    elif family.low - tol <= t <= family.high + tol:
        verdict = "pass (chance)"
    else:
        verdict = "FAIL"
    return CheckResult(measurement, ci.mean, ci.low, ci.high, family.low, family.high, ci.n,
                       verdict)  # fmt: skip


def run_checks(effort: Effort = FULL, jobs: int | None = None) -> list[CheckResult]:
    """Simulate every check and judge it.

    Args:
        effort: ``FULL`` or ``QUICK`` (or a custom :class:`Effort`).
        jobs: worker processes (None: all cores; 1: in this process). The results do not
            depend on it.

    Returns:
        One :class:`CheckResult` per check, in table order.
    """
    plans = [group(effort) for group in _CHECK_GROUPS]
    all_jobs = [job for plan in plans for job in plan.jobs]
    results: list[Any] = [None] * len(all_jobs)
    for i, res in make_executor(jobs).map_unordered(_run_job, all_jobs):
        results[i] = res
    measurements: list[Measurement] = []
    start = 0
    for plan in plans:
        measurements += plan.evaluate(results[start : start + len(plan.jobs)])
        start += len(plan.jobs)
    k = len(measurements)
    return [_judge(m, k) for m in measurements]


# --------------------------------------------------------------------------------------------
# The report


def _fmt(x: float, digits: int) -> str:
    if not math.isfinite(x):
        return "-"
    return f"{x + 0.0:,.{digits}f}"


def _cell_theory(r: CheckResult) -> str:
    m = r.measurement
    unit = f" {m.unit}" if m.unit else ""
    return f"{_fmt(m.theory, m.digits)}{unit}"


def _cell_sim(r: CheckResult) -> str:
    d = r.measurement.digits
    return f"{_fmt(r.mean, d)} [{_fmt(r.low, d)}, {_fmt(r.high, d)}]"


def _cell_verdict(r: CheckResult) -> str:
    m = r.measurement
    text = "**FAIL**" if r.verdict == "FAIL" else r.verdict
    if m.tolerance:
        text += f" (tolerance ±{_fmt(m.tolerance, m.digits)})"
    return text


def render_table(results: Sequence[CheckResult]) -> str:
    """The markdown table: check, scenario, theory, simulated mean and 95% CI, verdict.

    Args:
        results: what :func:`run_checks` returned.

    Returns:
        A markdown table, one row per check.
    """
    lines = [
        "| check | scenario | theory | simulated mean [95% CI] | verdict |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in results:
        m = r.measurement
        lines.append(
            f"| `{m.name}`: {m.title} | {m.scenario} | {_cell_theory(r)} | {_cell_sim(r)} | "
            f"{_cell_verdict(r)} |"
        )
    return "\n".join(lines)


def _details(results: Sequence[CheckResult]) -> str:
    parts = []
    for r in results:
        m = r.measurement
        text = f"- **`{m.name}`**. Theory: {m.formula}. Measured: {m.details}"
        if m.tolerance_note:
            text += f" Tolerance: {m.tolerance_note}"
        if m.appendix:
            text += "\n\n" + "\n".join("  " + line for line in m.appendix.splitlines())
        parts.append(text)
    return "\n".join(parts)


def render_markdown(results: Sequence[CheckResult], effort: Effort) -> str:
    """The whole ``docs/validation.md`` (deterministic: no dates, no run times).

    Args:
        results: what :func:`run_checks` returned.
        effort: the effort the results were computed with.

    Returns:
        Markdown text ending with a newline.
    """
    k = len(results)
    failed = [r.measurement.name for r in results if not r.passed]
    family_pct = 100 * (1 - FAMILY_ERROR / k)
    if failed:
        status = f"**{len(failed)} of {k} checks FAIL:** " + ", ".join(f"`{n}`" for n in failed)
    else:
        status = f"**All {k} checks pass** ({effort.name} run, {effort.reps} replications each)."
    tolerances = [r for r in results if r.measurement.tolerance]
    if tolerances:
        tol_text = "; ".join(
            f"`{r.measurement.name}`: {r.measurement.tolerance_note}" for r in tolerances
        )
    else:
        tol_text = (
            "none is needed: every quantity compared here is exact in expectation in the "
            "model (demand thinning gives an exact non-homogeneous Poisson process; hires "
            "start at month boundaries, but Little's law holds for any arrival pattern). "
            "Only float rounding (1e-9 relative) is allowed around zero-width intervals."
        )
    return f"""# Validation: the model against theory

<!-- Generated by `python -m channelsim.validation --out docs/validation.md` (channelsim
     {__version__}, {effort.name} run). Do not edit by hand: rerun it. -->

A strategy decision made on a simulator is only as good as the simulator. This page checks
channelsim against results known in closed form: queueing theory (Erlang C, Erlang A, M/G/inf),
Little's law, Bass diffusion, the steady headcount of a team whose hiring is capped, Kotler's
break-even between a salaried team and commissioned agents, and the cost elasticity of a
commission-only channel. Each check builds a small scenario for the purpose and runs it through
the same model as every user scenario (`channelsim.model.world.World`; `run_task` and the
metrics for the break-even, `compare()` for the elasticity).

{status}

## Method

- **Replications.** Each check runs {effort.reps} independent replications (root seed {SEED},
  chosen before the first run; replication `r` uses the `r`-th child of the seed tree). Each
  replication gives one number (a ratio of sums over the replication, e.g. total wait / leads
  served); the table shows their mean and the 95% Student t interval over replications.
  Waits near saturation are skewed from one replication to the next, and with ten or fewer
  replications the t interval is too narrow for them: no check uses fewer than 20.
- **Horizons.** Queueing checks run {effort.queue_months} months and drop the first
  {effort.warmup_months} as warm-up (the model starts with an empty queue and idle sellers; the
  formulas describe the steady state). Bass runs {effort.bass_months} months from launch, the
  headcount check {effort.headcount_months} months.
- **Common random numbers.** The break-even and elasticity checks compare runs of one
  replication at 0.9x, 1.0x and 1.1x demand, team against agents: they see the same candidate
  leads, so their differences are measured pairwise, with far less noise.
- **What a pass means.** *pass*: the theoretical value lies inside the 95% interval.
  *pass (chance)*: outside the 95% interval but inside the simultaneous interval of the whole
  table (Bonferroni over the {k} checks, each at {family_pct:.2f}%): with {k} checks at 95%
  about {0.05 * k:.1f} would miss by chance even for a perfect model, so a miss at 95% alone is
  no evidence of a bug. **FAIL**: outside the simultaneous interval; a correct model shows a
  FAIL anywhere in the table with probability below 5%. The script exits with status 1 on any
  FAIL.
- **Tolerances:** {tol_text}

## Results

{render_table(results)}

## The checks in detail

{_details(results)}

Formulas are implemented in `channelsim/theory.py`, each function with its assumptions.

## How to rerun

```bash
python -m channelsim.validation --out docs/validation.md   # the full run: this page
python -m channelsim.validation --quick                    # fewer replications, shorter runs
```

The full run takes one to two minutes on 2 cores (`--jobs N` sets the worker processes; the
numbers do not depend on it). `--quick` uses {QUICK.reps} replications and shorter horizons and
takes under 40 seconds; `tests/test_validation.py` runs it and requires every check to pass.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the validation checks; print the table, optionally write the report.

    Args:
        argv: command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        0 when every check passes, 1 when any fails.
    """
    parser = argparse.ArgumentParser(
        prog="python -m channelsim.validation",
        description="Check the model against theory and write the validation report.",
    )
    parser.add_argument("--out", type=Path, help="write the markdown report here")
    parser.add_argument(
        "--quick", action="store_true", help="fewer replications and shorter horizons"
    )
    parser.add_argument(
        "--jobs", type=int, default=None, help="worker processes (default: all cores)"
    )
    args = parser.parse_args(argv)
    effort = QUICK if args.quick else FULL
    started = time.perf_counter()
    results = run_checks(effort, jobs=args.jobs)
    seconds = time.perf_counter() - started
    width = max(len(r.measurement.name) for r in results)
    for r in results:
        print(
            f"{r.measurement.name:<{width}}  theory {_cell_theory(r):>18}  "
            f"sim {_cell_sim(r):>40}  {r.verdict}"
        )
    failed = [r for r in results if not r.passed]
    print(
        f"{len(results) - len(failed)}/{len(results)} checks pass ({effort.name} run, "
        f"{seconds:.1f} s, {args.jobs or os.cpu_count()} jobs)"
    )
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(render_markdown(results, effort), encoding="utf-8")
        print(f"wrote {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
