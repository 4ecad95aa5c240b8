"""rotation-lab's engine, and its Python API: `import engine as rl`.

    rl.strategies(), rl.run(...), rl.compare(...), rl.sweep(...), rl.claim(...), rl.claims(...),
    rl.signals(...)
    rl.Strategy, rl.Strict, rl.Decisions, rl.param_values (to write a strategy; see examples/)
    rl.BadInputError (bad input: a ValueError carrying the command line's message)

See `engine.api` and the README ("Using it from Python", "Writing a strategy"). The API is
imported on first use, so `import engine.x` (and the command line) stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from engine import numba_cache

# Before any kernel of engine/ or strategies/ is decorated: compiled kernels are kept in the
# user's cache folder, keyed by content, so another clone of the same code reuses them.
numba_cache.install()

__all__ = [
    "BadInputError",
    "ClaimCheck",
    "ClaimsResult",
    "CompareResult",
    "Decisions",
    "RunResult",
    "Strategy",
    "StrategyInfo",
    "Strict",
    "SweepResult",
    "claim",
    "claims",
    "compare",
    "data_status",
    "load_claims",
    "load_strategies",
    "param_values",
    "run",
    "signals",
    "strategies",
    "sweep",
    "update_data",
]

_HOMES = {
    "BadInputError": "engine.errors",
    "Decisions": "engine.decisions.batch",
    "Strategy": "engine.decisions.strategy",
    "Strict": "engine.config.settings",
    "param_values": "engine.decisions.batch",
}


def __getattr__(name: str) -> Any:
    """Resolve the API's names lazily (PEP 562): the heavy imports wait for the first call."""
    if name in __all__:
        module = importlib.import_module(_HOMES.get(name, "engine.api"))
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'engine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
