"""Where the compiled numba kernels of engine/ and strategies/ are kept, and the first-run notice.

numba caches a `cache=True` function next to its source (`__pycache__/`), stamped with a hash of
the source file's content; `NUMBA_CACHE_DIR` moves it to a folder named after the source's
absolute path. Either way a fresh clone, or the same code in another folder, compiles every
kernel again (about a minute on 2 cores), and a kernel is not recompiled when only a kernel it
calls (in another module) or a constant it imports has changed.

The project's kernels are therefore cached under the user's cache folder
(`~/.cache/rotation-lab/numba`, `$XDG_CACHE_HOME`, `~/Library/Caches` on macOS, `%LOCALAPPDATA%`
on Windows; `$NUMBA_CACHE_DIR/rotation-lab` when that is set), in one folder per source file
named by a hash of its content, of the project modules it imports (followed through those that
use numba) and of the Python, numba, numpy and vectorbt versions. The same code anywhere on the
machine finds its kernels compiled; any change that can alter a kernel gets a fresh folder. The
folder can be deleted at any time (it only costs one compile). Modules outside engine/ and
strategies/ (a `--strategies-dir` folder) keep numba's own cache.

This module imports nothing heavy; `install()` imports numba (which the engine needs anyway).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

__all__ = ["cache_root", "compile_progress", "first_run_notice", "install", "mark_warm"]

PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # holds engine/ and strategies/
PROJECT_PACKAGES = ("engine", "strategies")
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+((?:engine|strategies)(?:\.\w+)*)[ \t]+import[ \t]+"
    r"(\([^)]*\)|[^\n]*)|import[ \t]+((?:engine|strategies)(?:\.\w+)*))",
    re.MULTILINE,
)
_INSTALLED: list[bool] = []


def cache_root(environ: os._Environ[str] | dict[str, str] | None = None) -> Path:
    """The folder holding the project's compiled kernels (see the module docstring)."""
    env = os.environ if environ is None else environ
    if env.get("NUMBA_CACHE_DIR"):
        return Path(env["NUMBA_CACHE_DIR"]).expanduser() / "rotation-lab"
    if sys.platform == "win32":
        base = Path(env.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base.expanduser() / "rotation-lab" / "numba"


def _module_file(module: str) -> Path | None:
    """The source file of a project module (`engine.stats.returns_nb`), without importing it."""
    parts = module.split(".")
    if parts[0] not in PROJECT_PACKAGES:
        return None
    base = PACKAGE_ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def _read(path: Path) -> bytes:
    return path.read_bytes()


def _direct_imports(path: Path) -> list[Path]:
    """Project modules a source file imports (`from engine import stats_nb` names a module)."""
    found: list[Path] = []
    text = _read(path).decode("utf-8", errors="replace")
    for match in _IMPORT.finditer(text):
        package, names, plain = match.groups()
        if plain:
            modules = [plain]
        else:
            listed = names.strip("()").replace("\n", " ").split("#")[0].split(",")
            names_list = [n.split()[0] for n in listed if n.strip()]
            modules = [f"{package}.{n}" for n in names_list if _module_file(f"{package}.{n}")]
            modules = modules or [package]
        for module in modules:
            file = _module_file(module)
            if file is not None and file != path and file not in found:
                found.append(file)
    return found


@cache
def source_key(path: Path) -> str:
    """A hash of everything a file's compiled kernels depend on: its text, the text of the
    project modules it imports (constants are frozen into kernels), followed through the ones
    that use numba (their kernels are compiled into the caller's), and the versions that
    change the generated code."""
    digest = hashlib.sha256(_versions().encode())
    seen: set[Path] = {path}
    todo = [path]
    while todo:
        current = todo.pop()
        digest.update(str(current.relative_to(PACKAGE_ROOT)).encode() + b"\0" + _read(current))
        if current != path and b"numba" not in _read(current):
            continue  # hashed for its constants; its own imports cannot reach a kernel
        for dep in _direct_imports(current):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return digest.hexdigest()[:20]


@lru_cache(maxsize=1)
def _versions() -> str:
    from importlib import metadata

    names = ("numba", "llvmlite", "numpy", "vectorbt")
    found = []
    for name in names:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=none")
    return f"python={sys.version_info[:3]};" + ";".join(found)


def _is_project_file(path: Path) -> bool:
    try:
        relative = path.resolve().relative_to(PACKAGE_ROOT)
    except ValueError:
        return False
    return relative.parts[0] in PROJECT_PACKAGES and path.suffix == ".py"


def _locator_class() -> type:
    """numba's cache locator for the project's files (a class numba's API asks for)."""
    from numba.core.caching import _CacheLocator

    class ProjectCacheLocator(_CacheLocator):
        """Caches a project kernel under `cache_root()/<module>_<source_key>`."""

        def __init__(self, py_func: Any, py_file: str) -> None:
            self._py_file = Path(py_file).resolve()
            self._lineno = py_func.__code__.co_firstlineno
            relative = self._py_file.relative_to(PACKAGE_ROOT).with_suffix("")
            folder = "_".join(relative.parts) + "_" + source_key(self._py_file)
            self._cache_path = str(cache_root() / folder)

        def get_cache_path(self) -> str:
            return self._cache_path

        def get_source_stamp(self) -> str:
            return source_key(self._py_file)

        def get_disambiguator(self) -> str:
            return str(self._lineno)

        @classmethod
        def from_function(cls, py_func: Any, py_file: str) -> ProjectCacheLocator | None:
            if not os.path.exists(py_file) or not _is_project_file(Path(py_file)):
                return None
            self = cls(py_func, py_file)
            try:
                self.ensure_cache_path()
            except OSError:  # not writable: numba's own locators take over
                return None
            return self

    return ProjectCacheLocator


def install() -> None:
    """Put the project locator first in numba's list (once per process). It must run before the
    first `@njit(cache=True)` of engine/ or strategies/ is decorated: `engine/__init__` does it."""
    if _INSTALLED:
        return
    from numba.core.caching import CacheImpl

    CacheImpl._locator_classes.insert(0, _locator_class())
    _INSTALLED.append(True)


# --------------------------------------------------------------------------- first run


def _marker(root: Path) -> Path:
    """One file per version of the project's kernels (the keys of the modules that use numba):
    present once a run of that version has finished."""
    digest = hashlib.sha256(_versions().encode())
    for package in PROJECT_PACKAGES:
        for path in sorted((PACKAGE_ROOT / package).rglob("*.py")):
            if b"numba" in _read(path):
                digest.update(source_key(path).encode())
    return root / f"warm-{digest.hexdigest()[:20]}"


def first_run_notice(stream: Any = None) -> bool:
    """Say at once, before the slow imports, that this code's kernels are not compiled yet on
    this machine. Returns True when it said so."""
    root = cache_root()
    try:
        if _marker(root).exists():
            return False
    except OSError:
        return False
    print(
        "first run of this version on this machine: numba compiles the engine's kernels once "
        f"(about a minute on 2 cores) into {root}; later runs, and other clones of the same "
        "code, reuse them",
        file=stream or sys.stderr,
        flush=True,
    )
    return True


def mark_warm() -> None:
    """Record that a run of this code finished, so the notice is not repeated."""
    root = cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
        _marker(root).touch()
    except OSError:
        pass  # an unwritable cache only means the notice may be repeated


@contextmanager
def compile_progress(stream: Any = None) -> Iterator[None]:
    """While the block runs, report numba compilations as they happen: one line rewritten in
    place on a terminal, a line every 10 s otherwise, and a closing count."""
    from numba.core import event

    out = stream or sys.stderr
    tty = bool(getattr(out, "isatty", lambda: False)())
    state = {"count": 0, "started": 0.0, "shown": 0.0}

    class Progress(event.Listener):
        def on_start(self, ev: Any) -> None:
            now = time.perf_counter()
            if not state["count"]:
                state["started"] = now
            state["count"] += 1
            name = getattr(ev.data.get("dispatcher"), "__qualname__", "a kernel")
            text = (
                f"compiling numba kernels (once): {state['count']} so far, "
                f"{now - state['started']:.0f} s, now {name}"
            )
            if tty:
                print(f"\r{text[:110]}\x1b[K", end="", file=out, flush=True)
            elif state["count"] == 1 or now - state["shown"] >= 10:
                print(text, file=out, flush=True)
                state["shown"] = now

        def on_end(self, ev: Any) -> None:
            pass

    try:
        with event.install_listener("numba:compile", Progress()):
            yield
    finally:
        if state["count"]:
            took = time.perf_counter() - state["started"]
            print(
                f"{chr(13) if tty else ''}compiled {state['count']} numba kernel(s) in "
                f"{took:.0f} s; they are cached in {cache_root()}" + ("\x1b[K" if tty else ""),
                file=out,
                flush=True,
            )
