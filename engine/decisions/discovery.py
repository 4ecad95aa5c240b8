"""Finding `Strategy` objects: in a package of modules, or in a folder of the user's own files.

A strategy module exposes `STRATEGY = Strategy(...)`. The shipped library (the `strategies`
package) is found by its package name, as any plugin would be: the engine's computation never
imports it, and nothing here names a strategy. `--strategies-dir DIR` (and
`rl.load_strategies(DIR)`) loads every `*.py` file of a folder the same way, without installing
or editing anything.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import pkgutil
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType

from engine.decisions.strategy import Strategy
from engine.errors import BadInputError

__all__ = ["LIBRARY_PACKAGE", "collect", "library", "load_folder", "merge_strategies"]

LIBRARY_PACKAGE = "strategies"  # the package of shipped rule sets, found like any plugin


def collect(modules: Iterable[tuple[str, ModuleType]]) -> dict[str, Strategy]:
    """Name -> Strategy for every module that defines STRATEGY; two with one name are refused."""
    found: dict[str, Strategy] = {}
    where: dict[str, str] = {}
    for origin, module in modules:
        strategy = getattr(module, "STRATEGY", None)
        if not isinstance(strategy, Strategy):
            continue
        if strategy.name in found:
            raise BadInputError(
                f"two strategy modules are named {strategy.name!r}: {where[strategy.name]} and "
                f"{origin}; rename one (Strategy(name=...))"
            )
        found[strategy.name], where[strategy.name] = strategy, origin
    return found


def package_modules(package: str) -> list[tuple[str, ModuleType]]:
    """Every module of an importable package, in name order."""
    pkg = importlib.import_module(package)
    infos = sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name)
    return [(f"{package}.{i.name}", importlib.import_module(f"{package}.{i.name}")) for i in infos]


def library() -> dict[str, Strategy]:
    """The shipped strategies (see `strategies.discover`)."""
    return collect(package_modules(LIBRARY_PACKAGE))


def _import_file(path: Path) -> ModuleType:
    """Import one file under a private module name (stable for a path, distinct across folders),
    registered in sys.modules so tracebacks and forked sweep workers find it."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # a symlink loop is a RuntimeError before 3.13
        raise BadInputError(
            f"strategy file {path} cannot be opened ({getattr(exc, 'strerror', None) or exc}); "
            "fix or remove the link"
        ) from None
    digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:12]
    name = f"rotation_lab_user_{digest}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise BadInputError(f"{path} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SystemExit as exc:  # sys.exit() at import must not end the command as a success
        del sys.modules[name]
        raise BadInputError(
            f"strategy file {path} called sys.exit({exc.code!r}) while being imported; a "
            "strategy module only defines STRATEGY: remove the exit (or guard it with "
            '`if __name__ == "__main__":`)'
        ) from None
    except Exception as exc:
        del sys.modules[name]
        raise BadInputError(
            f"strategy file {path} failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    return module


def load_folder(folder: str | Path) -> dict[str, Strategy]:
    """Every `*.py` file of `folder` (not starting with '_') that defines STRATEGY."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise BadInputError(
            f"--strategies-dir {folder}: no such folder; give a folder of strategy modules "
            "(*.py files that define STRATEGY = Strategy(...))"
        )
    files = sorted(p for p in path.glob("*.py") if not p.name.startswith("_"))
    found = collect((str(p), _import_file(p)) for p in files)
    if not found:
        raise BadInputError(
            f"--strategies-dir {folder}: no *.py file there defines STRATEGY = Strategy(...)"
        )
    return found


def merge_strategies(
    base: Mapping[str, Strategy], extra: Mapping[str, Strategy], origin: str
) -> dict[str, Strategy]:
    """`base` plus `extra`; a name in both is refused rather than silently shadowed."""
    clash = sorted(set(base) & set(extra))
    if clash:
        raise BadInputError(
            f"{origin} defines {', '.join(clash)}, already a strategy's name; rename it"
        )
    return {**base, **extra}
