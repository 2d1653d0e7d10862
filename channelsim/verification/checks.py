"""The checks of ``docs/validation.md``: each a plan of jobs and how to measure their results.

Erlang C and A (queues of a fixed team), Little's law (on the lead queue and on the team's
slots), M/G/inf (partner slots), Bass diffusion, the steady headcount under a recruiting cap,
Kotler's break-even and the cost elasticity of a commission-only channel.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from channelsim import theory
from channelsim.model.ledger import MONTH
from channelsim.scenario import Scenario
from channelsim.verification.framework import (
    QUICK,
    CheckPlan,
    Effort,
    Job,
    Measurement,
)
from channelsim.verification.scenarios import (
    after_warmup,
    queue_scenario,
    textbook_scenario,
    world_jobs,
)


def _erlang_c(effort: Effort) -> CheckPlan:
    c, mu = 10, 1.0
    loads = (0.5, 0.7, 0.9)
    scenarios = [
        queue_scenario(
            c,
            rho * c * mu,
            {"dist": "exponential", "mean": 1 / mu},
            effort.queue_months,
            effort.reps,
        )  # fmt: skip
        for rho in loads
    ]
    jobs = [job for sc in scenarios for job in world_jobs(sc, "direct", effort.reps)]
    w = effort.warmup_months
    names = [f"erlang_c_wait_load_{rho:.1f}" for rho in loads]

    def evaluate(results: list[Any]) -> list[Measurement]:
        out = []
        for k, rho in enumerate(loads):
            chunk = results[k * effort.reps : (k + 1) * effort.reps]
            waits = np.array(
                [
                    after_warmup(a, "wait_days", 0, w) / after_warmup(a, "served", 0, w)
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

    return CheckPlan(jobs, evaluate, names)


def _erlang_a(effort: Effort) -> CheckPlan:
    c, mu, lam = 10, 1.0, 10.0
    patiences = (1.0, 0.25)
    scenarios = [
        queue_scenario(
            c,
            lam,
            {"dist": "exponential", "mean": 1 / mu},
            effort.queue_months,
            effort.reps,
            patience={"dist": "exponential", "mean": p},
        )
        for p in patiences
    ]
    jobs = [job for sc in scenarios for job in world_jobs(sc, "direct", effort.reps)]
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
                    after_warmup(a, "lost_leads", 0, w) / after_warmup(a, "leads", 0, w)
                    for a in chunk
                ]
            )
            waits = np.array(
                [
                    after_warmup(a, "wait_days", 0, w) / after_warmup(a, "served", 0, w)
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

    return CheckPlan(jobs, evaluate, names)


def _little_lead_queue(effort: Effort) -> CheckPlan:
    c, lam = 10, 8.5
    cycle = {"dist": "lognormal", "mean": 1.0, "sd": 1.5}
    sc = queue_scenario(c, lam, cycle, effort.queue_months, effort.reps)
    w = effort.warmup_months

    def evaluate(results: list[Any]) -> list[Measurement]:
        diffs, lq, lw = [], [], []
        days = (sc.scenario.horizon_months - w) * MONTH
        for a in results:
            queue = after_warmup(a, "waiting_lead_days", 0, w) / days  # time-average queue
            arrival_rate = after_warmup(a, "leads", 0, w) / days
            wait = after_warmup(a, "wait_days", 0, w) / after_warmup(a, "served", 0, w)
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

    return CheckPlan(world_jobs(sc, "direct", effort.reps), evaluate, ["little_lead_queue"])


def _little_sales_force(effort: Effort) -> CheckPlan:
    reps, slots, lam, mean_cycle = 8, 5, 6.0, 5.0
    cycle = {"dist": "gamma", "mean": mean_cycle, "sd": 3.0}
    sc = queue_scenario(reps, lam, cycle, effort.queue_months, effort.reps, deals_per_rep=slots)
    w = effort.warmup_months

    def evaluate(results: list[Any]) -> list[Measurement]:
        days = (sc.scenario.horizon_months - w) * MONTH
        busy = np.array([after_warmup(a, "busy_slot_days", 0, w) / days for a in results])
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

    return CheckPlan(world_jobs(sc, "direct", effort.reps), evaluate, ["little_sales_force"])


def _partner_mg_inf(effort: Effort) -> CheckPlan:
    company, partners, sourced, mean_cycle = 10.0, 100, 3.0, 5.0
    data = queue_scenario(1, company, 1.0, effort.queue_months, effort.reps).model_dump(
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
        busy = np.array([after_warmup(a, "busy_slot_days", 1, w) / days for a in results])
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

    return CheckPlan(world_jobs(sc, "indirect", effort.reps), evaluate, ["mg_inf_partner_slots"])


def _bass(effort: Effort) -> CheckPlan:
    m, p, q = 20_000.0, 0.01, 0.3
    months = effort.bass_months
    data = queue_scenario(50, 1.0, 10.0, months, effort.reps, deals_per_rep=100).model_dump(
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

    return CheckPlan(
        world_jobs(sc, "direct", effort.reps),
        evaluate,
        ["bass_cumulative_leads", "bass_monthly_curve"],
    )


def _headcount(effort: Effort) -> CheckPlan:
    hires_per_month, attrition, months = 2, 0.5, effort.headcount_months
    steady = theory.steady_headcount(12 * hires_per_month, attrition)
    data = queue_scenario(1, 0.0, 1.0, months, effort.reps).model_dump(by_alias=True)
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

    return CheckPlan(world_jobs(sc, "direct", effort.reps), evaluate, ["steady_headcount"])


BREAKEVEN_SCALES = (0.9, 1.0, 1.1)
"""Demand levels of the break-even fit, as multiples of the break-even demand."""


def _breakeven(effort: Effort) -> CheckPlan:
    fixed = 3 * 30_000 + 160_000
    expected = theory.breakeven_sales(fixed, 0.25, 0.05)
    sc = textbook_scenario(expected, effort.reps)
    leads = sc.demand.leads_per_month
    levels = [sc.with_overrides({"demand.leads_per_month": leads * k}) for k in BREAKEVEN_SCALES]
    jobs = [
        Job("task", level, strategy, r)
        for r in range(effort.reps)
        for level in levels
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
                "contribution(agents) at 0.9, 1.0 and 1.1 x that demand is fitted by a line in "
                "revenue; its root is the simulated break-even revenue. The three demand "
                "levels meet the same leads (the i-th lead keeps its draws, only its arrival "
                "time moves), so the fit is on common random numbers. Everything goes through "
                "the ledger and `channelsim.metrics` (salaries accrue by the day, the manager "
                "by the month).",
            )
        ]

    return CheckPlan(jobs, evaluate, ["kotler_breakeven"])


def _arc_elasticity(fixed: float, variable: float) -> float:
    """Arc elasticity between win scales 0.9 and 1.1 of a cost ``fixed + variable x scale``."""
    return math.log((fixed + 1.1 * variable) / (fixed + 0.9 * variable)) / math.log(1.1 / 0.9)


def _elasticity(effort: Effort) -> CheckPlan:
    sc = textbook_scenario(1.25e6, effort.reps, deal_size_cv=0.3)
    # revenue booked within the year: a lead arriving at t is won by the horizon H only if its
    # exponential cycle (mean 5 days) ends before H, so E[revenue] = 1.25M x (1 - mu (1 -
    # e^(-H / mu)) / H) (the M/G/inf departures by H)
    mu, horizon = 5.0, 12 * MONTH
    revenue = 1.25e6 * (1 - mu * (1 - math.exp(-horizon / mu)) / horizon)
    team_fixed = 3 * 30_000 + 160_000  # three salaries and one manager a year
    mdf, partners = 100.0, 100  # a month per active partner, partners always active
    with_mdf = sc.with_overrides({"partners.agents.mdf_per_active_partner_month": mdf})
    plans = [("indirect", sc), ("direct", sc), ("indirect", with_mdf)]
    jobs = [Job("compare", scenario, strategy) for strategy, scenario in plans]
    common = (
        "`cost_elasticity` of channel total as `compare()` measures it: every deal is booked "
        "again with the win probability scaled by 0.9 and 1.1, same leads, same capacity; "
        "lognormal deal values (cv 0.3) make revenue only proportional to sales on average."
    )

    def evaluate(results: list[Any]) -> list[Measurement]:
        return [
            Measurement(
                name="elasticity_commission_only",
                title="Cost elasticity of a commission-only channel = 1",
                scenario="agents paid 25% of revenue, no fixed cost, ample capacity",
                theory=1.0,
                values=results[0],
                digits=4,
                formula="d ln(cost of sales) / d ln(sales) = 1 when cost = rate x revenue",
                details=common + " No onboarding, MDF, managers or fixed cost.",
            ),
            Measurement(
                name="elasticity_salaried_team",
                title="Cost elasticity of a salaried team = its variable share",
                scenario="3 reps at 30k and a manager at 160k a year, 5% commission, "
                "1.25M revenue a year",
                theory=_arc_elasticity(team_fixed, 0.05 * revenue),
                values=results[1],
                digits=4,
                formula="ln((F + 1.1 c R) / (F + 0.9 c R)) / ln(1.1 / 0.9) with F = 250k and "
                "c R = 5% of the revenue booked within the year (1.25M x (1 - 5 (1 - e^(-365.25 / "
                "5)) / 365.25) = 1.233M: deals still in their 5-day cycle at the horizon are not "
                "booked); to first order the variable share c R / (F + c R) = 0.2",
                details=common + " Payroll does not move with the win rate.",
            ),
            Measurement(
                name="elasticity_program_with_mdf",
                title="MDF pulls a commissioned program below 1",
                scenario=f"agents at 25% plus MDF of {mdf:g} a month for each of "
                f"{partners} active partners",
                theory=_arc_elasticity(12 * mdf * partners, 0.25 * revenue),
                values=results[2],
                digits=4,
                formula="the same arc formula with F = 12 x 100 x 100 = 120k of MDF and "
                "c R = 25% of the 1.233M booked",
                details=common + " The MDF is paid per active partner, whatever sells.",
            ),
        ]

    names = [
        "elasticity_commission_only",
        "elasticity_salaried_team",
        "elasticity_program_with_mdf",
    ]
    return CheckPlan(jobs, evaluate, names)


CHECK_GROUPS: tuple[Callable[[Effort], CheckPlan], ...] = (
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

CHECK_NAMES: tuple[str, ...] = tuple(name for group in CHECK_GROUPS for name in group(QUICK).names)
"""Every check of the report, in table order."""
