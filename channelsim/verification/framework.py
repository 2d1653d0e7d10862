"""The verification framework: efforts, measurements, jobs, and the verdict of a check.

A check builds small scenarios whose answer is known in closed form, runs them as jobs through
the same model as every user scenario, and compares the theoretical value with the simulated
mean and its 95% Student t interval. **pass**: inside the 95% interval (widened by a stated
tolerance where the model's discretisation justifies one); **pass (chance)**: outside it but
inside the simultaneous interval of the whole table (Bonferroni: each at ``1 - 0.05 / K`` for K
checks); **FAIL** otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from channelsim import theory
from channelsim.experiments.compare import compare
from channelsim.experiments.replications import Task, run_task
from channelsim.model.world import World
from channelsim.scenario import Scenario

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
class Job:
    """One unit of work for a worker process (picklable)."""

    kind: str  # "world": raw ledger arrays; "task": run_task summary; "compare": elasticities
    scenario: Scenario
    strategy: str
    replication: int = 0


def run_job(job: Job) -> Any:
    """Run one job (module level, so worker processes can unpickle it)."""
    if job.kind == "world":
        world = World(job.scenario, job.strategy, job.replication, job.strategy)
        return world.run().arrays
    if job.kind == "task":
        result = run_task(Task(job.scenario, job.strategy, job.replication))
        return result.summary
    if job.kind == "compare":
        cmp = compare(job.scenario, [job.strategy], jobs=1)
        el = cmp.elasticity
        rows = el[(el.strategy == job.strategy) & (el.channel == "total")]
        return rows.sort_values("replication")["cost_elasticity"].to_numpy(dtype=float)
    raise ValueError(f"unknown job kind {job.kind!r}")


@dataclass
class CheckPlan:
    """The jobs of a group of checks and how to turn their results into measurements."""

    jobs: list[Job]
    evaluate: Callable[[list[Any]], list[Measurement]]
    names: list[str] = field(default_factory=list)


def judge(measurement: Measurement, k: int) -> CheckResult:
    """The verdict of one measurement among ``k`` checks (see the package docstring)."""
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
