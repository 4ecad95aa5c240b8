"""Where relative paths in a config (data_cache/, reports/, the mirror) are resolved from.

The project folder is, in order: the `ROTATION_LAB_ROOT` environment variable; the source
checkout the package runs from (a clone, or an editable install: the folder holding
`pyproject.toml` beside `engine/`); else the working folder. An installed copy (`pip install .`)
therefore never writes into site-packages: it works in the folder it is run from, as git or
pytest do. An absolute path in the config is used as given.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PACKAGE_ROOT", "PROJECT_ROOT", "ROOT_ENV", "checkout_root", "project_root", "resolve"]

ROOT_ENV = "ROTATION_LAB_ROOT"
PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # the folder holding engine/ (and strategies/)


def checkout_root(package_root: Path = PACKAGE_ROOT) -> Path | None:
    """The source checkout the package runs from, or None for an installed copy.

    A wheel installs engine/ into site-packages without the project's pyproject.toml, so the
    presence of this project's pyproject.toml next to engine/ tells a checkout from an install.
    """
    pyproject = package_root / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    return package_root if 'name = "rotation-lab"' in text else None


def project_root(
    environ: os._Environ[str] | dict[str, str] | None = None,
    package_root: Path = PACKAGE_ROOT,
    cwd: Path | None = None,
) -> Path:
    """The folder relative config paths resolve from (see the module docstring), evaluated now."""
    env = os.environ if environ is None else environ
    if env.get(ROOT_ENV):
        root = Path(env[ROOT_ENV]).expanduser()
        if not root.is_dir():  # else every relative path (the mirror too) silently misses
            from engine.errors import BadInputError

            raise BadInputError(
                f"{ROOT_ENV}={env[ROOT_ENV]} is not a folder; point it at the project folder "
                f"(the one holding data_cache/ and reports/) or unset it"
            )
        return root.resolve()
    checkout = checkout_root(package_root)
    if checkout is not None:
        return checkout
    return (cwd or Path.cwd()).resolve()


# The project folder when the engine was imported; callers that may outlive a `chdir` (a
# notebook) call `project_root()` instead.
def _root_at_import() -> Path:
    """The project folder at import; a bad ROTATION_LAB_ROOT is refused when it is used."""
    try:
        return project_root()
    except ValueError:
        return checkout_root() or Path.cwd().resolve()


PROJECT_ROOT = _root_at_import()


def resolve(path: str | Path, root: Path | None = None) -> Path:
    """An absolute path as given, else relative to `root` (default: the project folder now)."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else ((root or project_root()) / p).resolve()
