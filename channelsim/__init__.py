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
    "simulate": "channelsim.experiment",
    "RunResult": "channelsim.results",
    "compare": "channelsim.comparison",
    "Comparison": "channelsim.comparison",
    "sweep": "channelsim.parameter_sweep",
    "SweepResult": "channelsim.parameter_sweep",
    "breakeven": "channelsim.breakeven_search",
    "BreakevenResult": "channelsim.breakeven_search",
    "sensitivity": "channelsim.sensitivity_analysis",
    "SensitivityResult": "channelsim.sensitivity_analysis",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'channelsim' has no attribute {name!r}")
    return getattr(import_module(module), name)
