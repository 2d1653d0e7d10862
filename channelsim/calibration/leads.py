"""Company lead arrivals a month: level, trend and seasonality, by Poisson maximum likelihood.

**The counts.** Every company-sourced deal counts once in the calendar month it was created.
A month counts in the fit only if the export covers it whole: the last month is cut when the
export date falls before its last day; the first month is cut when the first deal came later
than three mean gaps between deals after the month began (a full month's first deal comes that
late in 5% of months: ``exp(-3)``). Cut months are left out and listed. A calendar month of
``d`` days is ``d / (365.25 / 12)`` simulated months of exposure.

**The model.** ``count_k ~ Poisson(exposure_k * season[calendar month of k] * rate(t_k))`` with
``t_k`` the month's midpoint in simulated months. Trend kinds are the schema's ``none``,
``linear`` (``L (1 + g t)``), ``exponential`` (``L (1 + g)^t``) and, with at least 12 months,
``logistic`` (``C / (1 + (C / L - 1) e^{-g t})``); with at least 24 months each also comes with
12 seasonal factors (mean 1). **The criterion**: the lowest AIC wins, except that the simplest
kind within 2 AIC points of it is preferred (a difference under 2 is no real evidence;
Burnham & Anderson 2002). Bass diffusion is not a candidate: a few years of one company's leads
cannot separate its three parameters.

**What goes into the scenario.** The simulation starts at the export date, so
``demand.leads_per_month`` is the fitted rate there (without seasonality) and the trend is
re-expressed from that origin: ``linear``'s share ``g`` becomes ``g / (1 + g T)``; exponential
and logistic keep ``g`` (and the ceiling). Its interval comes from the observed information
(:func:`~.estimate.observed_information_interval`), for ``none`` the exact Poisson interval.
Seasonality is written in calendar order (element 0 is January) and ``scenario.start_month``
says which calendar month the simulation starts in: the one holding the middle of the first
simulated month (:func:`start_month_at`), so that an export dated the last day of a month
starts the next month, and one dated the 3rd starts the month it is in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from channelsim.calibration.estimate import (
    Estimate,
    Z,
    covariance,
    observed_information_interval,
    poisson_rate_interval,
)
from channelsim.model.ledger import MONTH

__all__ = ["LeadFit", "MonthlyLeads", "fit_leads", "monthly_leads", "start_month_at"]

SEASONAL_MONTHS = 24
"""Full months needed before seasonality is fitted (two of each calendar month)."""

LOGISTIC_MONTHS = 12
"""Full months needed before a logistic trend is a candidate."""

AIC_TOLERANCE = 2.0
"""A richer model must beat the simplest one within this many AIC points to be chosen."""

_DAY = pd.Timedelta(days=1)


def start_month_at(at: pd.Timestamp) -> int:
    """``scenario.start_month`` of a simulation that starts at date ``at`` (1 = January).

    The calendar month holding the middle of the first simulated month: most of month 0
    falls in it (for ``at`` on the 31st, the next month; on the 3rd, the month itself).
    """
    return int((at + pd.Timedelta(days=MONTH / 2)).month)


@dataclass
class MonthlyLeads:
    """Company leads per calendar month of the export, and which months the fit uses."""

    months: pd.PeriodIndex
    counts: np.ndarray
    exposure: np.ndarray  # simulated months each calendar month covers
    used: np.ndarray  # bool: whole months the fit uses
    cut: list[str] = field(default_factory=list)  # why edge months were left out
    origin: pd.Timestamp = field(default_factory=lambda: pd.Timestamp(0))  # t = 0 of the fit

    def times(self) -> np.ndarray:
        """Each month's midpoint, in simulated months from the origin."""
        mid = (
            self.months.to_timestamp(how="start")
            + (self.months.to_timestamp(how="end") - self.months.to_timestamp(how="start")) / 2
        )
        return np.asarray((mid - self.origin) / _DAY, dtype=float) / MONTH


def monthly_leads(created: pd.Series, as_of: pd.Timestamp) -> MonthlyLeads:
    """Count company leads per calendar month and find the months the export cuts.

    Args:
        created: creation dates of company-sourced deals.
        as_of: the export date.

    Returns:
        The counts, exposures and the months left out with the reason.
    """
    created = created.sort_values()
    months = pd.period_range(created.iloc[0].to_period("M"), as_of.to_period("M"), freq="M")
    counts = created.dt.to_period("M").value_counts().reindex(months, fill_value=0).to_numpy()
    days = np.array([m.days_in_month for m in months], dtype=float)
    used = np.ones(len(months), dtype=bool)
    cut: list[str] = []
    last = months[-1]
    if as_of < last.to_timestamp(how="end").normalize():
        used[-1] = False
        cut.append(f"{last}: the export ends on {as_of.date()}, before the month does")
    if len(months) > 2:
        inner = counts[1:-1][used[1:-1]] if used[-1] else counts[1:-1]
        rate = inner.sum() / max(days[1 : len(inner) + 1].sum(), 1.0)
        first = months[0]
        late = (created.iloc[0] - first.to_timestamp(how="start")) / _DAY
        if rate > 0 and late > 3 / rate:
            used[0] = False
            cut.append(
                f"{first}: its first deal came on day {late + 1:.0f}, later than 3 mean gaps "
                f"({3 / rate:.1f} days): the export probably starts mid-month"
            )
    if used.sum() == 0:  # too short to cut anything: use what there is, by its exposure
        used[:] = True
        cut = ["(none left out: the export is shorter than two whole months)"]
    exposure = days / MONTH
    if cut and cut[0].startswith("(none"):
        exposure[-1] = ((as_of - last.to_timestamp(how="start")) / _DAY + 1) / MONTH
    origin = months[int(np.argmax(used))].to_timestamp(how="start")
    return MonthlyLeads(months, counts, exposure, used, cut, origin)


# --- trend kinds: rate(t; theta), theta unconstrained ------------------------------------


def _rate(kind: str, theta: np.ndarray, t: np.ndarray) -> np.ndarray:
    level = np.exp(theta[0])
    if kind == "none":
        return level + 0.0 * t
    if kind == "linear":
        return level * (1.0 + theta[1] * t)
    if kind == "exponential":
        return level * np.exp(theta[1] * t)  # theta[1] = log(1 + g)
    if kind == "logistic":
        ceiling = level * (1.0 + np.exp(theta[2]))
        with np.errstate(over="ignore"):
            return ceiling / (1.0 + (ceiling / level - 1.0) * np.exp(-theta[1] * t))
    raise ValueError(kind)


_TREND_PARAMS = {"none": 1, "linear": 2, "exponential": 2, "logistic": 3}


@dataclass
class _Candidate:
    kind: str
    seasonal: bool
    theta: np.ndarray
    nll: float
    k: int

    @property
    def aic(self) -> float:
        return 2 * self.k + 2 * self.nll

    @property
    def name(self) -> str:
        return self.kind + (" + seasonality" if self.seasonal else "")


def _season(theta: np.ndarray, seasonal: bool, months: pd.PeriodIndex | np.ndarray) -> np.ndarray:
    """Each month's seasonal factor (``months``: periods, or calendar month indices 0-11)."""
    index = months if isinstance(months, np.ndarray) else np.asarray(months.month) - 1
    if not seasonal:
        return np.ones(len(index))
    logs = np.append(theta, -theta.sum())  # 12 factors whose logs sum to 0
    factors = np.exp(logs)
    factors = factors / factors.mean()
    return factors[index]


def _fit(kind: str, seasonal: bool, data: MonthlyLeads) -> _Candidate | None:
    m = data.used
    y, e, t = data.counts[m], data.exposure[m], data.times()[m]
    months = np.asarray(data.months[m].month) - 1  # computed once: the optimiser calls mu often
    k_trend = _TREND_PARAMS[kind]

    def mu(theta: np.ndarray) -> np.ndarray:
        return e * _rate(kind, theta[:k_trend], t) * _season(theta[k_trend:], seasonal, months)

    def nll(theta: np.ndarray) -> float:
        lam = mu(theta)
        if not np.all(np.isfinite(lam)) or np.any(lam <= 0):
            return 1e300
        return float(np.sum(lam - y * np.log(lam) + special.gammaln(y + 1)))

    level0 = math.log(max(y.sum() / e.sum(), 1e-3))
    starts = {
        "none": [[level0]],
        "linear": [[level0, 0.0]],
        "exponential": [[level0, 0.0]],
        "logistic": [[level0 - 0.3, 0.1, 1.0], [level0 - 0.1, 0.05, 2.0], [level0, -0.05, 0.5]],
    }[kind]
    best = None
    for start in starts:
        x0 = np.array(start + ([0.0] * 11 if seasonal else []), dtype=float)
        # the Poisson likelihood is smooth: quasi-Newton from the start, the simplex only as a
        # fallback when the line search fails (a logistic start far from its optimum)
        res = optimize.minimize(nll, x0, method="BFGS")
        if not res.success:
            res = optimize.minimize(
                nll,
                res.x,
                method="Nelder-Mead",
                options={"maxiter": 20_000, "maxfev": 20_000, "xatol": 1e-8, "fatol": 1e-10},
            )
            res = optimize.minimize(nll, res.x, method="BFGS")
        if best is None or res.fun < best.fun:
            best = res
    if best is None or best.fun >= 1e299:
        return None
    return _Candidate(kind, seasonal, best.x, float(best.fun), len(best.x))


@dataclass
class LeadFit:
    """The lead-arrival fit: the chosen model, every candidate's AIC and the estimates."""

    data: MonthlyLeads
    chosen: str
    aic: dict[str, float]
    estimates: list[Estimate]
    fitted: np.ndarray  # expected count of every month of the export, chosen model
    seasonality: list[float] | None  # by calendar month, January first
    notes: list[str]
    kind: str = "none"
    theta: np.ndarray = field(default_factory=lambda: np.zeros(1))

    def rate(self, at: pd.Timestamp) -> float:
        """The fitted rate (leads a month, without seasonality) at date ``at``."""
        k = _TREND_PARAMS[self.kind]
        t = ((at - self.data.origin) / _DAY) / MONTH
        return float(_rate(self.kind, self.theta[:k], np.array([t]))[0])

    def demand_at(self, at: pd.Timestamp) -> dict[str, Any]:
        """The demand keys of a simulation that starts at date ``at``.

        The trend is re-expressed from that origin (see the module docstring); the
        seasonality stays in calendar order and ``scenario.start_month`` says where the
        simulation enters it.
        """
        th = self.theta
        t = ((at - self.data.origin) / _DAY) / MONTH
        growth = 0.0
        if self.kind == "linear":
            growth = th[1] / (1 + th[1] * t)
        elif self.kind == "exponential":
            growth = math.expm1(th[1])
        elif self.kind == "logistic":
            growth = th[1]
        keys: dict[str, Any] = {
            "demand.leads_per_month": round(self.rate(at), 4),
            "demand.growth": self.kind,
            "demand.growth_rate": round(float(growth), 6),
        }
        if self.kind == "logistic":
            keys["demand.ceiling_leads_per_month"] = round(
                float(math.exp(th[0]) * (1 + math.exp(th[2]))), 4
            )
        keys["scenario.start_month"] = start_month_at(at)
        if self.seasonality is not None:
            keys["demand.seasonality"] = [round(float(f), 4) for f in self.seasonality]
        return keys


def fit_leads(created: pd.Series, as_of: pd.Timestamp, horizon_months: int) -> LeadFit:
    """Fit company lead arrivals and express them from the export date.

    Args:
        created: creation dates of company-sourced deals.
        as_of: the export date (the simulation's t = 0).
        horizon_months: the calibrated scenario's horizon (a linear decline must keep the rate
            >= 0 over it).

    Returns:
        The fit, with estimates for ``demand.leads_per_month``, ``demand.growth``,
        ``demand.growth_rate`` (and the ceiling, the seasonality when fitted).
    """
    data = monthly_leads(created, as_of)
    full = int(data.used.sum())
    candidates: list[_Candidate] = []
    kinds = ["none", "linear", "exponential"] if full >= 3 else ["none"]
    if full >= LOGISTIC_MONTHS:
        kinds.append("logistic")
    for seasonal in [False, True] if full >= SEASONAL_MONTHS else [False]:
        for kind in kinds:
            fit = _fit(kind, seasonal, data)
            if fit is not None:
                candidates.append(fit)
    t_asof = ((as_of - data.origin) / _DAY) / MONTH
    notes = [f"lead months left out: {c}" for c in data.cut]
    valid = []
    for c in candidates:
        k = _TREND_PARAMS[c.kind]
        if c.kind == "linear":
            end = 1 + c.theta[1] * (t_asof + horizon_months)
            if end < 0 or 1 + c.theta[1] * t_asof <= 0:
                notes.append(f"{c.name} left out: its decline reaches 0 leads within the horizon")
                continue
        if c.kind == "logistic" and c.theta[2] > 12:
            continue  # ceiling out of sight: the exponential kind says the same with fewer
        if c.kind == "logistic" and c.theta[1] <= 0:
            continue  # a logistic decline is not what the schema's logistic means
        valid.append((c, k))
    best_aic = min(c.aic for c, _ in valid)
    simplest = min(
        (c for c, _ in valid if c.aic <= best_aic + AIC_TOLERANCE), key=lambda c: (c.k, c.aic)
    )
    chosen = simplest
    k = _TREND_PARAMS[chosen.kind]
    theta = chosen.theta
    months = data.months
    t_all = data.times()
    fitted = (
        data.exposure
        * _rate(chosen.kind, theta[:k], t_all)
        * _season(theta[k:], chosen.seasonal, months)
    )
    level = float(_rate(chosen.kind, theta[:k], np.array([t_asof]))[0])
    y, e = data.counts[data.used], data.exposure[data.used]
    n = int(data.used.sum())

    def nll(th: np.ndarray) -> float:
        m = data.used
        lam = e * _rate(chosen.kind, th[:k], t_all[m]) * _season(th[k:], chosen.seasonal, months[m])
        if np.any(lam <= 0) or not np.all(np.isfinite(lam)):
            return 1e300
        return float(np.sum(lam - y * np.log(lam) + special.gammaln(y + 1)))

    if chosen.kind == "none":
        low, high = poisson_rate_interval(int(y.sum()), float(e.sum()))
        method = "Poisson maximum likelihood, exact (Garwood) interval"
    else:
        low, high = observed_information_interval(
            nll, theta, lambda th: float(_rate(chosen.kind, th[:k], np.array([t_asof]))[0])
        )
        method = f"Poisson maximum likelihood ({chosen.name}), observed-information interval"
    estimates = [
        Estimate(
            "demand.leads_per_month",
            level,
            low,
            high,
            n,
            f"{method}; rate at the export date, {int(y.sum())} leads in {n} whole months",
            written=round(level, 4),
            unit="leads a month",
        ),
        Estimate(
            "demand.growth",
            math.nan,
            math.nan,
            math.nan,
            n,
            "lowest AIC, the simplest within 2 points: "
            + ", ".join(f"{c.name} {c.aic:.1f}" for c, _ in sorted(valid, key=lambda v: v[0].aic)),
            written=chosen.kind,
        ),
    ]
    if chosen.kind != "none":
        cov = covariance(nll, theta)
        se = math.sqrt(cov[1, 1]) if cov is not None else math.nan
        g_raw, lo_raw, hi_raw = theta[1], theta[1] - Z * se, theta[1] + Z * se
        if chosen.kind == "linear":

            def rebase(g: float) -> float:
                return g / (1 + g * t_asof)
        elif chosen.kind == "exponential":

            def rebase(g: float) -> float:
                return math.exp(g) - 1
        else:

            def rebase(g: float) -> float:
                return g

        g = rebase(g_raw)
        estimates.append(
            Estimate(
                "demand.growth_rate",
                g,
                rebase(lo_raw),
                rebase(hi_raw),
                n,
                f"{chosen.kind} trend from the Poisson fit, a month, from the export date",
                written=round(g, 6),
                unit="a month",
            )
        )
        if chosen.kind == "logistic":
            ceiling = float(math.exp(theta[0]) * (1 + math.exp(theta[2])))
            clow, chigh = observed_information_interval(
                nll, theta, lambda th: float(math.exp(th[0]) * (1 + math.exp(th[2])))
            )
            estimates.append(
                Estimate(
                    "demand.ceiling_leads_per_month",
                    ceiling,
                    clow,
                    chigh,
                    n,
                    "logistic ceiling from the Poisson fit",
                    written=round(ceiling, 4),
                    unit="leads a month",
                )
            )
    season = None
    if chosen.seasonal:
        factors = np.exp(np.append(theta[k:], -theta[k:].sum()))
        season = list(factors / factors.mean())
        estimates.append(
            Estimate(
                "demand.seasonality",
                math.nan,
                math.nan,
                math.nan,
                n,
                "12 monthly factors (mean 1) fitted with the trend, January first; the "
                f"simulation starts in calendar month {start_month_at(as_of)} "
                "(scenario.start_month)",
                written=[round(float(f), 4) for f in season],
            )
        )
    elif full < SEASONAL_MONTHS:
        notes.append(
            f"seasonality not fitted: {full} whole months of history, {SEASONAL_MONTHS} needed "
            "(two of each calendar month)"
        )
    return LeadFit(
        data=data,
        chosen=chosen.name,
        aic={c.name: c.aic for c, _ in valid},
        estimates=estimates,
        fitted=fitted,
        seasonality=season,
        notes=notes,
        kind=chosen.kind,
        theta=theta,
    )
