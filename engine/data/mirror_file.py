"""A mirror file's bytes, read with its type and size checked first, and its SHA-256 (the
cache compares it to tell a file changed in place)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from engine.errors import DataUnavailableError
from engine.files import MB, read_limited

__all__ = ["MAX_MIRROR_BYTES", "file_sha256", "read_file"]

# A century of daily bars is about 3 MB of CSV; anything far larger is not a price file.
MAX_MIRROR_BYTES = 64 * MB


def read_file(path: Path, ticker: str) -> tuple[bytes, os.stat_result]:
    """A mirror file's bytes, its type and size checked first (a pipe, a device or a huge
    unrelated file is refused before it is read); FileNotFoundError when it is absent."""
    fix = f"put {ticker}'s daily prices there as CSV or remove it from the mirror folder"
    return read_limited(
        path, MAX_MIRROR_BYTES, f"{ticker}: the mirror file", DataUnavailableError, fix
    )


def file_sha256(path: Path, ticker: str) -> str:
    """The SHA-256 of a mirror file's bytes (bounded like `read_file`)."""
    return hashlib.sha256(read_file(path, ticker)[0]).hexdigest()
