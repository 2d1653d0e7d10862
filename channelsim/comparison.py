"""Strategy comparison: paired differences on common random numbers, cost elasticity, verdict.

Every strategy of a replication sees the same company demand, so the difference A - B is taken
replication by replication (paired); its interval is usually far narrower than the one from
two independent samples, and ``differences`` reports both so users see what pairing buys.
``cost_elasticity`` reruns every strategy with demand scaled by 0.9 and 1.1 on the same random
numbers and measures d ln(cost_of_sales) / d ln(sales): about 1 when cost follows success
(commissions, discounts), about 0 when it is fixed (payroll).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from channelsim.executors import Executor, make_executor
from channelsim.experiment import Progress, Task, build_run_result, prepare, run_tasks
from channelsim.metrics import SUMMARY_METRICS, confidence_intervals
from channelsim.results import RunResult
from channelsim.scenario import Scenario

ELASTICITY_SCALES = (0.9, 1.1)
"""Demand scales of the elasticity reruns."""

LOWER_IS_BETTER = frozenset(
    {
        "lost_leads",
        "lost_deals",
        "disrupted_deals",
        "lost_lead_share",
        "discounts",
        "refunds",
        "cogs",
        "fixed_channel_cost",
        "variable_channel_cost",
        "channel_cost",
        "cost_of_sales",
        "cost_per_sale",
        "commissions",
        "network_fees",
        "escalation_costs",
        "salaries",
        "manager_costs",
        "recruiting_costs",
        "onboarding_costs",
        "mdf",
        "fixed_costs",
        "escalations",
        "departures",
        "partners_churned",
        "mean_wait_days",
        "payback_month",
        "peak_investment",
        "months_to_target",
        "open_deals_end",
    }
)
"""Metrics where a smaller value is the better one (for ``p_better``)."""

DIFFERENCE_COLUMNS = (
    "a",
    "b",
    "channel",
    "metric",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "n",
    "p_better",
    "unpaired_ci_low",
    "unpaired_ci_high",
)

BRIDGE_STEPS = (
    "revenue",
    "discounts",
    "refunds",
    "cogs",
    "fixed_channel_cost",
    "variable_channel_cost",
    "contribution",
)


@dataclass
class Comparison:
    """Results of ``compare``.

    Attributes:
        run: the base runs of every strategy (``summary`` includes ``cost_elasticity``).
        differences: paired differences A - B per channel and metric (see DIFFERENCE_COLUMNS).
        elasticity: per strategy, replication and channel: ``cost_elasticity``.
    """

    run: RunResult
    differences: pd.DataFrame
    elasticity: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def summary(self) -> pd.DataFrame:
        """Summary table of every strategy (as ``RunResult.summary``)."""
        return self.run.summary

    @property
    def monthly(self) -> pd.DataFrame:
        """Monthly table of every strategy (as ``RunResult.monthly``)."""
        return self.run.monthly

    @property
    def replications(self) -> pd.DataFrame:
        """Per-replication summary values of every strategy."""
        return self.run.replications

    def verdict(self) -> list[str]:
        """The plain-language verdict (only claims whose 95% interval excludes zero)."""
        target = self.run.scenario.targets.sales_per_month
        return verdict_lines(self.summary, self.differences, self.monthly, target)

    def save(self, out_dir: str | Path) -> Path:
        """Write the output folder, with ``differences.csv``, plots and report."""
        from channelsim.output import write_run

        return write_run(self.run, Path(out_dir), differences=self.differences)


# -- computing ---------------------------------------------------------------------------------
def compare(
    scenario: Scenario,
    strategies: Sequence[str] | None = None,
    *,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    elasticity: bool = True,
) -> Comparison:
    """Simulate strategies side by side on common random numbers and compare them.

    Args:
        scenario: a loaded scenario.
        strategies: names to compare (default: direct, indirect, hybrid and every named
            strategy of the scenario; ``indirect`` is left out when there is no partner program).
        replications: overrides ``scenario.replications``.
        seed: overrides ``scenario.seed``.
        jobs: worker processes (None: all cores). Ignored with ``executor``.
        executor: where to run.
        progress: called as ``progress(done, total)`` after each simulated replication.
        elasticity: also rerun every strategy at 0.9x and 1.1x demand for ``cost_elasticity``.

    Returns:
        A :class:`Comparison`.
    """
    if strategies is None:
        strategies = [s for s in scenario.strategy_names() if s != "indirect" or scenario.partners]
    scenario, strategies = prepare(scenario, strategies, replications, seed)
    n = scenario.scenario.replications
    scales = (1.0, *ELASTICITY_SCALES) if elasticity else (1.0,)
    tasks = [Task(scenario, s, r, k) for k in scales for s in strategies for r in range(n)]
    started = time.perf_counter()
    results = run_tasks(tasks, executor or make_executor(jobs), progress)
    base = [r for r in results if r.demand_scale == 1.0]
    run = build_run_result(scenario, strategies, base, started)
    elastic = pd.DataFrame()
    if elasticity:
        elastic = _elasticity(results)
        run = _with_elasticity(run, elastic)
    return Comparison(
        run=run, differences=paired_differences(run.replications, strategies), elasticity=elastic
    )


def _elasticity(results) -> pd.DataFrame:
    rows = {}
    for r in results:
        for channel in r.channels:
            key = (r.strategy, r.replication, channel)
            s = r.summary[channel]
            rows.setdefault(key, {})[r.demand_scale] = (s["cost_of_sales"], s["sales"])
    out = []
    lo, hi = ELASTICITY_SCALES
    for (strategy, rep, channel), by_scale in rows.items():
        (c0, s0), (c1, s1) = by_scale[lo], by_scale[hi]
        value = math.nan
        if min(c0, c1, s0, s1) > 0 and s1 != s0:
            value = math.log(c1 / c0) / math.log(s1 / s0)
        out.append((strategy, rep, channel, value))
    return pd.DataFrame(out, columns=["strategy", "replication", "channel", "cost_elasticity"])


def _with_elasticity(run: RunResult, elastic: pd.DataFrame) -> RunResult:
    reps = run.replications.merge(elastic, on=["strategy", "replication", "channel"], how="left")
    rows = []
    for (strategy, channel), grp in reps.groupby(["strategy", "channel"], sort=False):
        mean, std, low, high, n = confidence_intervals(grp["cost_elasticity"].to_numpy())
        rows.append(
            (strategy, channel, "cost_elasticity", mean[0], std[0], low[0], high[0], int(n[0]))
        )
    extra = pd.DataFrame(rows, columns=run.summary.columns)
    summary = pd.concat([run.summary, extra], ignore_index=True)
    order = {m: i for i, m in enumerate([*SUMMARY_METRICS, "cost_elasticity"])}
    strategies = {s: i for i, s in enumerate(run.strategies)}
    channels = {c: i for i, c in enumerate(dict.fromkeys(run.summary.channel))}
    summary = summary.sort_values(
        ["strategy", "channel", "metric"],
        key=lambda col: col.map(
            {"strategy": strategies, "channel": channels, "metric": order}[col.name]
        ),
        kind="stable",
    ).reset_index(drop=True)
    return RunResult(
        scenario=run.scenario,
        strategies=run.strategies,
        summary=summary,
        monthly=run.monthly,
        replications=reps,
        meta=run.meta,
    )


def _welch_ci(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Interval of mean(a) - mean(b) per column, the samples taken as independent (Welch).

    ``a`` and ``b`` are (replications, k) arrays; NaN values are left out column by column.
    """
    na = (~np.isnan(a)).sum(axis=0)
    nb = (~np.isnan(b)).sum(axis=0)
    ok = (na >= 2) & (nb >= 2)
    # columns with fewer than two values get NaN (below), so numpy's warnings say nothing new
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        va = np.nanvar(a, axis=0, ddof=1) / na
        vb = np.nanvar(b, axis=0, ddof=1) / nb
        d = np.nanmean(a, axis=0) - np.nanmean(b, axis=0)
        se2 = va + vb
        denom = np.where(va > 0, va**2 / (na - 1), 0.0) + np.where(vb > 0, vb**2 / (nb - 1), 0.0)
        df = np.where(se2 > 0, se2**2 / np.where(denom > 0, denom, 1.0), 1.0)
        half = np.where(se2 > 0, special.stdtrit(df, 0.5 + level / 2) * np.sqrt(se2), 0.0)
    low = np.where(ok, d - half, np.nan)
    high = np.where(ok, d + half, np.nan)
    return low, high


def paired_differences(reps: pd.DataFrame, strategies: Sequence[str]) -> pd.DataFrame:
    """Paired differences A - B for every pair of strategies (A listed before B).

    Args:
        reps: per-replication summary values (``RunResult.replications``).
        strategies: the order that decides which strategy is A.

    Returns:
        One row per (a, b, channel, metric) with the mean and Student-t interval of the
        per-replication difference, ``p_better`` (share of replications where A beats B; ties
        count half) and the unpaired (Welch) interval for comparison.
    """
    metrics = [m for m in (*SUMMARY_METRICS, "cost_elasticity") if m in reps.columns]
    lower = np.array([m in LOWER_IS_BETTER for m in metrics])
    indexed = {s: grp.set_index(["replication", "channel"]) for s, grp in reps.groupby("strategy")}
    frames = []
    for i, a in enumerate(strategies):
        for b in strategies[i + 1 :]:
            A, B = indexed[a], indexed[b]
            common = A.index.intersection(B.index)
            for channel in dict.fromkeys(common.get_level_values("channel")):
                idx = [k for k in common if k[1] == channel]
                x = A.loc[idx, metrics].to_numpy(dtype=float)
                y = B.loc[idx, metrics].to_numpy(dtype=float)
                d = x - y  # NaN where either is missing: left out of that metric's pair
                mean, std, low, high, n = confidence_intervals(d)
                with np.errstate(invalid="ignore"):
                    better = np.where(lower, d < 0, d > 0).sum(axis=0)
                    ties = (d == 0).sum(axis=0)
                    p_better = np.where(n > 0, (better + 0.5 * ties) / np.maximum(n, 1), np.nan)
                ulow, uhigh = _welch_ci(x, y)
                frames.append(
                    pd.DataFrame(
                        {
                            "a": a,
                            "b": b,
                            "channel": channel,
                            "metric": metrics,
                            "mean": mean,
                            "std": std,
                            "ci_low": low,
                            "ci_high": high,
                            "n": n.astype(int),
                            "p_better": p_better,
                            "unpaired_ci_low": ulow,
                            "unpaired_ci_high": uhigh,
                        }
                    )
                )
    if not frames:
        return pd.DataFrame(columns=list(DIFFERENCE_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(DIFFERENCE_COLUMNS)]


def margin_bridge(summary: pd.DataFrame, channel: str = "total") -> pd.DataFrame:
    """From revenue to contribution, per strategy (mean over replications).

    Returns:
        Columns ``strategy, step, value``: revenue, then the deductions as negative numbers
        (discounts, refunds, cogs, fixed and variable channel cost), then contribution.
    """
    s = summary[summary.channel == channel]
    rows = []
    for strategy in dict.fromkeys(s.strategy):
        means = s[s.strategy == strategy].set_index("metric")["mean"]
        for step in BRIDGE_STEPS:
            value = float(means.get(step, math.nan))
            if step not in ("revenue", "contribution"):
                value = -value
            rows.append((strategy, step, value))
    return pd.DataFrame(rows, columns=["strategy", "step", "value"])


def _fit(sales: np.ndarray, cost: np.ndarray) -> tuple[float, float, float]:
    ok = ~(np.isnan(sales) | np.isnan(cost))
    x, y = sales[ok], cost[ok]
    if len(x) < 2 or np.ptp(x) == 0:
        return math.nan, math.nan, math.nan
    # ordinary least squares (as scipy.stats.linregress, whose import alone takes 0.6 s)
    dx, dy = x - x.mean(), y - y.mean()
    sxx, sxy, syy = float(dx @ dx), float(dx @ dy), float(dy @ dy)
    slope = sxy / sxx
    r2 = sxy * sxy / (sxx * syy) if syy > 0 else math.nan  # a constant cost explains nothing
    return float(y.mean() - slope * x.mean()), slope, min(r2, 1.0)


def cost_fits(monthly: pd.DataFrame, channel: str = "total") -> pd.DataFrame:
    """Least-squares ``cost_of_sales = fixed + variable x sales`` over months and replications.

    Returns:
        Columns ``strategy, fixed_per_month, variable_per_sale, r2``.
    """
    m = monthly[monthly.channel == channel]
    rows = []
    for strategy in dict.fromkeys(m.strategy):
        g = m[m.strategy == strategy]
        rows.append((strategy, *_fit(g.sales.to_numpy(float), g.cost_of_sales.to_numpy(float))))
    return pd.DataFrame(rows, columns=["strategy", "fixed_per_month", "variable_per_sale", "r2"])


def crossover_sales(monthly: pd.DataFrame, a: str, b: str, channel: str = "total") -> np.ndarray:
    """Per replication, the monthly sales at which A's and B's fitted cost lines cross.

    Below it the strategy with the lower fixed cost is cheaper per sale. NaN where the lines do
    not cross at a positive volume.
    """
    m = monthly[monthly.channel == channel]
    out = []
    for rep in sorted(set(m.replication)):
        fa = _fit(*_xy(m, a, rep))
        fb = _fit(*_xy(m, b, rep))
        fixed_gap, var_gap = fa[0] - fb[0], fb[1] - fa[1]
        x = fixed_gap / var_gap if var_gap else math.nan
        out.append(x if x > 0 and fixed_gap * var_gap > 0 else math.nan)
    return np.asarray(out, dtype=float)


def _xy(m: pd.DataFrame, strategy: str, rep: int) -> tuple[np.ndarray, np.ndarray]:
    g = m[(m.strategy == strategy) & (m.replication == rep)]
    return g.sales.to_numpy(float), g.cost_of_sales.to_numpy(float)


# -- verdict -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    """One sentence of the verdict and the interval that supports it."""

    text: str
    metric: str
    ci_low: float
    ci_high: float

    @property
    def supported(self) -> bool:
        """True when the 95% interval excludes zero (or, for a level, is finite)."""
        return bool(np.isfinite(self.ci_low) and np.isfinite(self.ci_high))


def _money(x: float) -> str:
    ax = abs(x)
    if ax >= 1e9:
        return f"{x / 1e9:,.2f}bn"
    if ax >= 1e6:
        return f"{x / 1e6:,.2f}M"
    if ax >= 1e4:
        return f"{x / 1e3:,.0f}k"
    return f"{x:,.0f}"


def _excludes_zero(row: pd.Series) -> bool:
    return bool(
        np.isfinite(row.ci_low) and np.isfinite(row.ci_high) and (row.ci_low > 0 or row.ci_high < 0)
    )


def _tied_with(best: str, strategies: list[str], differences: pd.DataFrame | None) -> str:
    """A clause naming the strategies whose paired NPV difference from ``best`` includes 0."""
    if differences is None or differences.empty:
        return ""
    d = differences[(differences.channel == "total") & (differences.metric == "npv")]
    tied = []
    for other in strategies:
        if other == best:
            continue
        rows = d[((d.a == best) & (d.b == other)) | ((d.a == other) & (d.b == best))]
        if len(rows) and not _excludes_zero(rows.iloc[0]):
            tied.append(other)
    if not tied:
        return ""
    return "; the paired difference from " + ", ".join(tied) + " includes zero"


def verdict_claims(
    summary: pd.DataFrame,
    differences: pd.DataFrame | None,
    monthly: pd.DataFrame | None = None,
    target: float | None = None,
) -> list[Claim]:
    """Claims the numbers support, as sentences with their intervals (channel ``total``).

    The leading strategy is the one with the highest mean NPV; it is compared with each other
    strategy on scaling speed, contribution margin, NPV and cost per sale, and only differences
    whose paired 95% interval excludes zero are stated.
    """
    tot = summary[summary.channel == "total"]
    strategies = list(dict.fromkeys(tot.strategy))
    claims: list[Claim] = []

    def level(strategy: str, metric: str) -> pd.Series | None:
        rows = tot[(tot.strategy == strategy) & (tot.metric == metric)]
        return rows.iloc[0] if len(rows) else None

    npv = {s: level(s, "npv") for s in strategies}
    ranked = sorted(
        (s for s in strategies if npv[s] is not None and np.isfinite(npv[s]["mean"])),
        key=lambda s: -npv[s]["mean"],
    )
    if not ranked:
        return claims
    best = ranked[0]
    row = npv[best]
    if len(strategies) > 1:
        claims.append(
            Claim(
                f"{best} has the highest mean NPV: {_money(row['mean'])} "
                f"(95% CI {_money(row.ci_low)} to {_money(row.ci_high)})"
                + _tied_with(best, strategies, differences)
                + ".",
                "npv",
                row.ci_low,
                row.ci_high,
            )
        )
    else:
        claims.append(
            Claim(
                f"{best}: NPV {_money(row['mean'])} (95% CI {_money(row.ci_low)} to "
                f"{_money(row.ci_high)}).",
                "npv",
                row.ci_low,
                row.ci_high,
            )
        )

    for s in strategies:
        mt = level(s, "months_to_target")
        reps = level(s, "sales")
        if target and mt is not None and reps is not None and mt.n < reps.n:
            missing = int(reps.n - mt.n)
            claims.append(
                Claim(
                    f"{s} does not reach {target:g} sales a month within the horizon in "
                    f"{missing} of {int(reps.n)} replications.",
                    "months_to_target",
                    0.0,
                    0.0,
                )
            )
        el = level(s, "cost_elasticity")
        # only a measured elasticity is worth a sentence: when sales barely respond to demand
        # (capacity-bound), the ratio of logs is noise and the interval says so
        if el is not None and np.isfinite(el.ci_low) and el.ci_high - el.ci_low <= 0.5:
            kind = (
                "follows its sales"
                if el.ci_low > 0.7
                else "is mostly fixed"
                if el.ci_high < 0.3
                else "is partly fixed"
            )
            claims.append(
                Claim(
                    f"{s}: cost of sales {kind} (elasticity {el['mean']:.2f}, "
                    f"95% CI {el.ci_low:.2f} to {el.ci_high:.2f}).",
                    "cost_elasticity",
                    el.ci_low,
                    el.ci_high,
                )
            )

    if differences is None or differences.empty:
        return claims
    d = differences[differences.channel == "total"]
    for other in strategies:
        if other == best:
            continue
        # orient every difference as best - other
        rows = d[(d.a == best) & (d.b == other)]
        sign = 1.0
        if rows.empty:
            rows, sign = d[(d.a == other) & (d.b == best)], -1.0
        by_metric = {r.metric: r for r in rows.itertuples(index=False)}
        parts: list[tuple[str, str, float, float]] = []

        def interval(r, sign: float = sign) -> tuple[float, float, float]:
            lo, hi = sorted((sign * r.ci_low, sign * r.ci_high))
            return sign * r.mean, lo, hi

        r = by_metric.get("months_to_target")
        if target and r is not None and _excludes_zero(r):
            m, lo, hi = interval(r)
            word = "sooner" if m < 0 else "later"
            parts.append(
                (
                    f"reaches {target:g} sales a month {abs(m):.1f} months {word} "
                    f"(95% CI {abs(hi if m < 0 else lo):.1f} to "
                    f"{abs(lo if m < 0 else hi):.1f})",
                    "months_to_target",
                    lo,
                    hi,
                )
            )
        r = by_metric.get("contribution_margin")
        # a margin beyond +-100% means revenue is tiny next to cost: points of it mean nothing
        if r is not None and _excludes_zero(r) and abs(r.mean) <= 1.0:
            m, lo, hi = interval(r)
            word = "more" if m > 0 else "less"
            parts.append(
                (
                    f"earns {abs(m) * 100:.1f} points {word} contribution margin "
                    f"(95% CI {lo * 100:+.1f} to {hi * 100:+.1f})",
                    "contribution_margin",
                    lo,
                    hi,
                )
            )
        r = by_metric.get("npv")
        if r is not None and _excludes_zero(r):
            m, lo, hi = interval(r)
            word = "higher" if m > 0 else "lower"
            parts.append(
                (
                    f"has an NPV {_money(abs(m))} {word} (95% CI {_money(lo)} to {_money(hi)})",
                    "npv",
                    lo,
                    hi,
                )
            )
        r = by_metric.get("cost_per_sale")
        if r is not None and _excludes_zero(r):
            m, lo, hi = interval(r)
            word = "more" if m > 0 else "less"
            parts.append(
                (
                    f"spends {_money(abs(m))} {word} per sale (95% CI {_money(lo)} to "
                    f"{_money(hi)})",
                    "cost_per_sale",
                    lo,
                    hi,
                )
            )
        if not parts:
            n = int(rows.n.max()) if len(rows) else 0
            claims.append(
                Claim(
                    f"{best} and {other} cannot be told apart on speed, margin, NPV or cost per "
                    f"sale with {n} replications.",
                    "none",
                    0.0,
                    0.0,
                )
            )
            continue
        for text, metric, lo, hi in parts:
            claims.append(Claim(f"Against {other}, {best} {text}.", metric, lo, hi))
        if monthly is not None and not monthly.empty:
            cross = crossover_sales(monthly, best, other)
            mean, _, lo, hi, n = confidence_intervals(cross)
            fits = cost_fits(monthly[monthly.strategy.isin([best, other])]).set_index("strategy")
            # only a crossing inside the monthly volumes both strategies actually reached
            m = monthly[(monthly.channel == "total") & monthly.strategy.isin([best, other])]
            reached = m.groupby("strategy").sales.agg(["min", "max"])
            inside = (
                len(reached) == 2
                and np.isfinite(hi[0])
                and lo[0] >= reached["min"].max()
                and hi[0] <= reached["max"].min()
            )
            if n[0] == len(cross) and np.isfinite(lo[0]) and lo[0] > 0 and inside:
                cheap_low = (
                    best if fits.fixed_per_month[best] < fits.fixed_per_month[other] else other
                )
                dear_low = other if cheap_low == best else best
                claims.append(
                    Claim(
                        f"{cheap_low} is cheaper per sale than {dear_low} below about "
                        f"{mean[0]:,.0f} sales a month (95% CI {lo[0]:,.0f} to {hi[0]:,.0f}), "
                        f"{dear_low} above it.",
                        "crossover_sales",
                        lo[0],
                        hi[0],
                    )
                )
    return claims


def verdict_lines(
    summary: pd.DataFrame,
    differences: pd.DataFrame | None,
    monthly: pd.DataFrame | None = None,
    target: float | None = None,
) -> list[str]:
    """The verdict as plain sentences (see :func:`verdict_claims`)."""
    return [c.text for c in verdict_claims(summary, differences, monthly, target)]
