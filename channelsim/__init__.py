"""channelsim: direct, indirect or hybrid sales? A discrete-event simulator of sales channels.

The public API is re-exported here and imported on first use, so ``import channelsim`` (and the
command line's ``--help``) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_scenario": "channelsim.scenario",
    "Scenario": "channelsim.scenario",
    "ScenarioError": "channelsim.errors",
    "simulate": "channelsim.experiments.replications",
    "RunResult": "channelsim.experiments.results",
    "compare": "channelsim.experiments.compare",
    "Comparison": "channelsim.experiments.compare",
    "RunOptions": "channelsim.planning.options",
    "sweep": "channelsim.planning.sweep",
    "SweepResult": "channelsim.planning.sweep",
    "breakeven": "channelsim.planning.breakeven",
    "BreakevenResult": "channelsim.planning.breakeven",
    "sensitivity": "channelsim.planning.sensitivity",
    "SensitivityResult": "channelsim.planning.sensitivity",
    "optimize": "channelsim.planning.optimize",
    "OptimizeResult": "channelsim.planning.optimize",
    "voi": "channelsim.planning.voi",
    "VoiResult": "channelsim.planning.voi",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'channelsim' has no attribute {name!r}")
    return getattr(import_module(module), name)
