"""ftroi's core: token counting, the cost model, break-even, uncertainty and reports."""

from __future__ import annotations

from .core.errors import InputError
from .model.engine import evaluate, simulate
from .model.result import Result
from .model.scenario import (
    OPTIONS,
    FinetuneConfig,
    HybridConfig,
    PromptConfig,
    RagConfig,
    Scenario,
    SelfhostConfig,
    Workload,
    dumps_scenario,
    example_scenario,
    load_scenario,
    save_scenario,
)
from .model.uncertainty import (
    Lognormal,
    MonteCarloResult,
    SavingsGrid,
    Triangular,
    Uniform,
    monte_carlo,
    savings_grid,
    sensitivity,
)

__all__ = [
    "OPTIONS",
    "FinetuneConfig",
    "HybridConfig",
    "InputError",
    "Lognormal",
    "MonteCarloResult",
    "PromptConfig",
    "RagConfig",
    "Result",
    "SavingsGrid",
    "Scenario",
    "SelfhostConfig",
    "Triangular",
    "Uniform",
    "Workload",
    "dumps_scenario",
    "evaluate",
    "example_scenario",
    "load_scenario",
    "monte_carlo",
    "save_scenario",
    "savings_grid",
    "sensitivity",
    "simulate",
]
