"""Where the project lives, so relative paths in configs do not depend on the working folder."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def resolve(path: str | Path, root: Path = PROJECT_ROOT) -> Path:
    """An absolute path as given, else relative to the project root."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (root / p).resolve()
