"""Every rule set rotation-lab can run: one module per strategy, each exposing `STRATEGY`.

Discovery walks this package, so adding a strategy is adding a module (and its TOML config);
nothing in the engine names a strategy.
"""

from __future__ import annotations

import importlib
import pkgutil

from engine.strategy import Strategy


def discover() -> dict[str, Strategy]:
    """Name -> Strategy for every module of this package that defines STRATEGY."""
    found: dict[str, Strategy] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        strategy = getattr(module, "STRATEGY", None)
        if isinstance(strategy, Strategy):
            if strategy.name in found:
                raise RuntimeError(f"two strategy modules are named {strategy.name!r}")
            found[strategy.name] = strategy
    return found
