"""The paired difference of two strategies as a function of one key, evaluated on demand.

Every evaluation runs both strategies on the same replications (common random numbers: the
same seeds at every value), so the noise of the difference is mostly common to neighbouring
values and the curve is smooth enough for root finding. Without strategy B (``b=None``) the
curve is strategy A's metric itself, and its root is where that metric crosses zero. Values are
cached: a root search asks for the same value more than once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from channelsim.analysis.intervals import confidence_intervals
from channelsim.experiments.executors import Executor
from channelsim.experiments.replications import Progress
from channelsim.planning.parameters import apply_values
from channelsim.planning.points import run_points
from channelsim.scenario import FieldSpec, Scenario

__all__ = ["DifferenceCurve", "Evaluation"]


@dataclass(frozen=True)
class Evaluation:
    """The paired difference A - B (A's metric when there is no B) at one parameter value.

    Attributes:
        value: the parameter value simulated.
        diffs: the difference in each replication (NaN where the metric is undefined).
        mean: mean difference.
        std: standard deviation over replications.
        ci_low: lower end of the 95% interval of the mean.
        ci_high: upper end.
        n: replications where the difference is defined.
    """

    value: float
    diffs: np.ndarray
    mean: float
    std: float
    ci_low: float
    ci_high: float
    n: int


class DifferenceCurve:
    """The difference curve, evaluated on demand and cached by parameter value."""

    def __init__(
        self,
        scenario: Scenario,
        key: str,
        fs: FieldSpec,
        a: str,
        b: str | None,
        metric: str,
        channel: str,
        replications: int,
        executor: Executor,
        progress: Progress | None,
    ) -> None:
        self.scenario, self.key, self.fs = scenario, key, fs
        self.a, self.b, self.metric, self.channel = a, b, metric, channel
        self.replications, self.executor, self.progress = replications, executor, progress
        self.strategies = [a] if b is None else [a, b]
        self.cache: dict[float, Evaluation] = {}
        self._runs_done = 0

    def evaluate(self, xs: Sequence[float]) -> list[Evaluation]:
        """Evaluate several values at once (in parallel on the executor)."""
        values = [self.fs.convert(float(x)) for x in xs]
        todo = list(dict.fromkeys(v for v in values if float(v) not in self.cache))
        if todo:
            points = [
                (i, apply_values(self.scenario, {self.key: v}, f"{self.key}={v}"))
                for i, v in enumerate(todo)
            ]
            batch = len(todo) * len(self.strategies) * self.replications
            start = self._runs_done

            def step(done: int, _total: int) -> None:
                if self.progress is not None:
                    self.progress(start + done, start + batch)

            for runs in run_points(points, self.strategies, self.replications, self.executor, step):
                v = todo[runs.point]
                if not runs.ok:
                    strategy, rep, message = runs.errors[0]
                    raise RuntimeError(
                        f"the model failed at {self.key}={v} ({strategy}, replication {rep}): "
                        f"{message}"
                    )
                d = runs.values(self.a, self.metric, self.replications, self.channel)
                if self.b is not None:
                    d = d - runs.values(self.b, self.metric, self.replications, self.channel)
                mean, std, low, high, n = confidence_intervals(d)
                self.cache[float(v)] = Evaluation(
                    float(v), d, mean[0], std[0], low[0], high[0], int(n[0])
                )
            self._runs_done += batch
        return [self.cache[float(v)] for v in values]

    def at(self, x: float) -> Evaluation:
        """One evaluation."""
        return self.evaluate([x])[0]

    def table(self) -> pd.DataFrame:
        """Every evaluation so far, by parameter value."""
        rows = [
            (e.value, e.mean, e.std, e.ci_low, e.ci_high, e.n)
            for e in sorted(self.cache.values(), key=lambda e: e.value)
        ]
        return pd.DataFrame(rows, columns=["value", "mean", "std", "ci_low", "ci_high", "n"])
