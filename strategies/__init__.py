"""Every rule set rotation-lab can run: one module per strategy, each exposing `STRATEGY`.

Discovery walks this package, so adding a strategy is adding a module (and its TOML config);
nothing in the engine names a strategy. A strategy kept outside the package loads from a folder
with `--strategies-dir DIR` (or `discover(DIR)`, `rl.load_strategies(DIR)`).
"""

from __future__ import annotations

from pathlib import Path

from engine.decisions.discovery import collect, load_folder, merge_strategies, package_modules
from engine.decisions.strategy import Strategy

__all__ = ["discover"]


def discover(*folders: str | Path) -> dict[str, Strategy]:
    """Name -> Strategy for every module of this package that defines STRATEGY, plus those of
    the `folders` given (a name defined twice is refused)."""
    found = collect(package_modules(__name__))
    for folder in folders:
        found = merge_strategies(found, load_folder(folder), f"--strategies-dir {folder}")
    return found
