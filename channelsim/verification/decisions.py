"""The checks of the deciding planners: ``optimize`` against Erlang B, ``voi`` against EVPI.

Each check runs the planner itself (a ``call`` job: the whole optimisation or analysis, in one
worker) several times on independent seeds; the measurements are one number per run, judged
like every other check against a closed form (:mod:`channelsim.theory.decisions`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from channelsim import theory
from channelsim.model.ledger import MONTH
from channelsim.planning.optimize import optimize
from channelsim.planning.options import RunOptions
from channelsim.planning.voi import voi
from channelsim.scenario import Scenario
from channelsim.verification.framework import SEED, CheckPlan, Effort, Job, Measurement

__all__ = [
    "SHARE_CASE",
    "VOI_CASE",
    "linear_voi_scenario",
    "share_routing_scenario",
]

SHARE_CASE = {
    "slots": 10,  # reps of one slot each
    "leads_per_day": 15.0,
    "cycle_days": 1.0,  # exponential, both channels
    "price": 1000.0,
    "team_win": 0.5,
    "team_commission": 0.05,
    "partner_win": 0.3,
    "partner_commission": 0.25,
    "salary_annual": 91_312.5,  # ten reps: 2,500 a day, fixed whatever the share
    "base_share": 0.9,
}
"""The share-routing case of the optimiser check."""

VOI_CASE = {
    "leads_per_day": 5.0,
    "cycle_days": 5.0,  # a fixed cycle: the leads of the last 5 days are not sold in time
    "price": 1000.0,
    "win": 0.5,
    "fixed_commission": 0.25,  # strategy fixed_fee
    "commission_range": (0.05, 0.35),  # uncertain, uniform: strategy indirect pays it
    "salary_range": (50_000.0, 150_000.0),  # uncertain, and no strategy has a team
}
"""The linear value-of-information case."""

_MONTHS = 12
_EVALUATIONS = 40


def _program(win: float, commission: float, cycle: Any) -> dict[str, Any]:
    """Commission-only agents with ample capacity (100 x 100 slots), all active from day 0."""
    return {
        "name": "agents",
        "kind": "agent",
        "initial": 100,
        "recruit_per_month": 0,
        "max_partners": 100,
        "activation_rate": 1.0,
        "churn_annual": 0.0,
        "deals_per_partner": 100,
        "sourced_leads_per_month": 0.0,
        "sales_cycle_days": cycle,
        "win_rate": win,
        "commission_rate": commission,
        "onboarding_cost": 0.0,
        "mdf_per_active_partner_month": 0.0,
        "manager_salary_annual": 0.0,
        "fixed_cost_per_month": 0.0,
        "service_quality": 1.0,
    }


def share_routing_scenario(reps: int, seed: int = SEED) -> Scenario:
    """A fixed team of 10 that loses the leads it cannot take at once, and ample agents."""
    k = SHARE_CASE
    cycle = {"dist": "exponential", "mean": k["cycle_days"]}
    return Scenario.model_validate(
        {
            "scenario": {
                "name": "validation share routing",
                "horizon_months": _MONTHS,
                "replications": reps,
                "seed": seed,
                "strategy": "hybrid",
                "discount_rate": 0.0,
            },  # fmt: skip
            "product": {"price": k["price"], "unit_cost": 0.0},
            "demand": {
                "leads_per_month": k["leads_per_day"] * MONTH,
                "growth": "none",
                "patience_days": 0.0,
                "reputation_sensitivity": 0.0,
            },  # fmt: skip
            "routing": {"policy": "share", "direct_share": k["base_share"]},
            "direct": {
                "initial_reps": k["slots"],
                "max_reps": k["slots"],
                "deals_per_rep": 1,
                "sales_cycle_days": cycle,
                "win_rate": k["team_win"],
                "commission_rate": k["team_commission"],
                "salary_annual": k["salary_annual"],
                "attrition_annual": 0.0,
                "manager_salary_annual": 0.0,
                "fixed_cost_per_month": 0.0,
                "service_quality": 1.0,
                "hiring": {"max_hires_per_month": 0},
            },
            "partners": [_program(k["partner_win"], k["partner_commission"], cycle)],
        }
    )


def share_routing_npv_rate(share: float) -> float:
    """The closed-form objective: expected NPV a day (discount 0) at a share, salaries paid."""
    k = SHARE_CASE
    value = theory.share_routing_value(
        share,
        k["slots"],
        k["leads_per_day"],
        k["cycle_days"],
        k["team_win"] * k["price"] * (1 - k["team_commission"]),
        k["partner_win"] * k["price"] * (1 - k["partner_commission"]),
    )
    return value - k["slots"] * k["salary_annual"] / (12 * MONTH)


def best_share() -> float:
    """The closed-form optimal share (:func:`channelsim.theory.best_direct_share`)."""
    k = SHARE_CASE
    return theory.best_direct_share(
        k["slots"],
        k["leads_per_day"],
        k["cycle_days"],
        k["team_win"] * k["price"] * (1 - k["team_commission"]),
        k["partner_win"] * k["price"] * (1 - k["partner_commission"]),
    )


def _optimise_share(scenario: Scenario, run: int) -> float:
    """One whole optimisation of the share (a ``call`` job); returns the chosen share."""
    result = optimize(
        scenario,
        {"routing.direct_share": (0.0, 1.0)},
        strategy="hybrid",
        evaluations=_EVALUATIONS,
        options=RunOptions(seed=SEED + 1000 * run, jobs=1),
    )
    return float(result.values["routing.direct_share"])


def optimize_share_routing(effort: Effort) -> CheckPlan:
    """The optimiser lands where the closed-form objective is within 1% of its maximum."""
    runs, reps = max(4, effort.reps // 5), max(8, effort.reps // 2)
    sc = share_routing_scenario(reps)
    jobs = [Job("call", sc, "hybrid", run, call=_optimise_share) for run in range(runs)]
    k = SHARE_CASE
    best = best_share()
    top = share_routing_npv_rate(best)
    xs = np.linspace(0.0, 1.0, 2001)
    band = xs[np.array([share_routing_npv_rate(x) for x in xs]) >= 0.99 * top]

    def evaluate(results: list[Any]) -> list[Measurement]:
        shares = np.asarray(results, dtype=float)
        ratio = np.array([share_routing_npv_rate(s) for s in shares]) / top
        landed = ", ".join(f"{s:.3f}" for s in shares)
        return [
            Measurement(
                name="optimize_share_erlang_b",
                title="optimize: the share of leads for a loss-system team, against Erlang B",
                scenario=f"hybrid, routing share; a team of {k['slots']} reps x 1 slot, patience 0 "
                f"(leads that find the team busy are lost), {k['leads_per_day']:g} leads a day, "
                f"exponential cycles of {k['cycle_days']:g} day; team wins {k['team_win']:g} at "
                f"{k['team_commission']:.0%} commission, agents (ample) win {k['partner_win']:g} "
                f"at {k['partner_commission']:.0%}; 2,500 a day of salaries; optimum share "
                f"{best:.4f}, within 1% of the maximum from {band[0]:.3f} to {band[-1]:.3f}",
                theory=1.0,
                values=ratio,
                digits=4,
                tolerance=0.01,
                tolerance_note="the issue's criterion: the landing point's closed-form objective "
                "within 1% of the maximum",
                formula="J(s) = lambda [s (1 - B(c, s lambda E[S])) m_d + (1 - s) m_p] - salaries; "
                "optimum: m_d [1 - B (1 + c - x (1 - B))] = m_p at x = s lambda E[S], B = Erlang "
                "B(c, x)",
                details=f"{runs} independent runs of `channelsim optimize --var "
                f"routing.direct_share=0:1 --evaluations {_EVALUATIONS} --reps {reps}` (objective "
                "mean npv, discount 0, 12 months), each on its own seed, from a base share of "
                f"{k['base_share']:g}; the value is J(chosen share) / J(optimum), the closed-form "
                "objective where the optimiser landed over its maximum. Routing by a share thins "
                "the Poisson leads, so the team sees Poisson leads at s lambda and, losing those "
                "that find every rep busy, is an M/G/c/c loss system: the share it loses is "
                "Erlang B, insensitive to the cycle distribution; the agents lose nothing. "
                f"Chosen shares: {landed}.",
            )
        ]

    return CheckPlan(jobs, evaluate, ["optimize_share_erlang_b"])


def linear_voi_scenario(reps: int, seed: int = SEED) -> Scenario:
    """Agents paid an uncertain commission (strategy indirect) or a fixed one (fixed_fee)."""
    k = VOI_CASE
    return Scenario.model_validate(
        {
            "scenario": {
                "name": "validation voi",
                "horizon_months": _MONTHS,
                "replications": reps,
                "seed": seed,
                "strategy": "indirect",
                "discount_rate": 0.0,
            },  # fmt: skip
            "product": {"price": k["price"], "unit_cost": 0.0},
            "demand": {
                "leads_per_month": k["leads_per_day"] * MONTH,
                "growth": "none",
                "reputation_sensitivity": 0.0,
            },  # fmt: skip
            "direct": {"initial_reps": 1, "max_reps": 1, "hiring": {"max_hires_per_month": 0}},
            "partners": [_program(k["win"], k["fixed_commission"], k["cycle_days"])],
            "strategies": {
                "fixed_fee": {
                    "base": "indirect",
                    "set": {"partners.agents.commission_rate": k["fixed_commission"]},
                }
            },
        }
    )


def linear_evpi() -> float:
    """The closed-form EVPI of the linear case: E[revenue] x EVPI of INB = theta - 0.25."""
    k = VOI_CASE
    revenue = k["price"] * k["win"] * k["leads_per_day"] * (_MONTHS * MONTH - k["cycle_days"])
    low, high = k["commission_range"]
    return revenue * theory.evpi_linear_uniform(-k["fixed_commission"], 1.0, low, high)


def _analyse(scenario: Scenario, run: int) -> tuple[float, float, float]:
    """One whole value-of-information analysis (a ``call`` job)."""
    k = VOI_CASE
    result = voi(
        scenario,
        {
            "partners.agents.commission_rate": k["commission_range"],
            "direct.salary_annual": k["salary_range"],
        },
        strategies=["indirect", "fixed_fee"],
        samples=32,
        options=RunOptions(seed=SEED + 1000 * run, jobs=1),
    )
    est = result.estimates
    return (
        est.evpi.value,
        est.evppi["partners.agents.commission_rate"].value,
        est.evppi["direct.salary_annual"].value,
    )


def voi_linear(effort: Effort) -> CheckPlan:
    """EVPI and EVPPI of a decision linear in one uniform input, against the closed form."""
    runs, reps = effort.reps // 2, max(2, effort.reps // 10)
    sc = linear_voi_scenario(reps)
    jobs = [Job("call", sc, "indirect", run, call=_analyse) for run in range(runs)]
    k = VOI_CASE
    evpi = linear_evpi()
    low, high = k["commission_range"]
    names = ["voi_linear_evpi", "voi_linear_evppi", "voi_evppi_irrelevant"]
    where = (
        f"agents (ample, fixed {k['cycle_days']:g}-day cycle, win {k['win']:g}) paid a commission "
        f"uniform on [{low:g}, {high:g}] (strategy indirect) or a fixed {k['fixed_commission']:g} "
        f"(strategy fixed_fee); {k['leads_per_day']:g} leads a day, 12 months, objective npv "
        "(discount 0)"
    )
    formula = (
        "EVPI = E[R] min(u^2, v^2) / (2 (v - u)), INB = R (theta - 0.25) uniform on [u, v] "
        "= E[R] [-0.2, 0.1]; E[R] = price x win x leads a day x (365.25 - 5) days"
    )
    how = (
        f"{runs} independent runs of `channelsim voi --strategies indirect,fixed_fee --param "
        f"partners.agents.commission_rate={low:g}:{high:g} --param "
        f"direct.salary_annual=50000:150000 --samples 32 --reps {reps}`, each on its own seed "
        "(its own sample and replications). "
        "Revenue R does not depend on the commission (common random numbers: the same leads and "
        "outcomes), so the difference fixed_fee - indirect is R (theta - 0.25), linear in theta."
    )

    def evaluate(results: list[Any]) -> list[Measurement]:
        values = np.asarray(results, dtype=float)
        return [
            Measurement(
                name=names[0],
                title="voi: EVPI of a decision linear in one uniform input",
                scenario=where,
                theory=evpi,
                values=values[:, 0],
                unit="",
                digits=0,
                formula=formula,
                details=how + " EVPI = mean over samples of the best net benefit - the best mean.",
            ),
            Measurement(
                name=names[1],
                title="voi: EVPPI of the input that decides = EVPI",
                scenario=where,
                theory=evpi,
                values=values[:, 1],
                digits=0,
                formula="EVPPI(theta) = EVPI when theta is the only input that matters",
                details=how + " EVPPI by the regression method of Strong, Oakley and Brennan "
                "(2014): the incremental net benefit regressed on theta (a regression spline "
                "whose size GCV chooses).",
            ),
            Measurement(
                name=names[2],
                title="voi: EVPPI of an input that changes nothing = 0",
                scenario=where + "; direct.salary_annual uniform on [50k, 150k], and no strategy "
                "has a sales team",
                theory=0.0,
                values=values[:, 2],
                digits=0,
                tolerance=0.02 * evpi,
                tolerance_note="2% of the EVPI: on 32 samples, a fitted wiggle can cross the "
                "decision boundary (the small upward bias of regression EVPPI)",
                formula="EVPPI(phi) = 0 when no net benefit depends on phi",
                details=how + " The same regression on the salary, which no strategy pays.",
            ),
        ]

    return CheckPlan(jobs, evaluate, names)
