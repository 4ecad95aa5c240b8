"""A mirror file's bytes, read with its type and size checked first, and its SHA-256 (the
cache compares it to tell a file changed in place)."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from engine.errors import DataUnavailableError
from engine.files import MB, read_limited

__all__ = ["MAX_MIRROR_BYTES", "current_sha256", "file_sha256", "read_file"]

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


# Digests this process has computed, by path: (inode, size, mtime, ctime) when hashed, digest.
_HASHED: dict[str, tuple[tuple[int, int, int, int], str]] = {}
_MAX_HASHED = 4096
# A file changed within the clock's coarse tick of its last change may keep its time stamps:
# one changed this recently is hashed on every call (git's "racily clean" rule).
_SETTLED_NS = 2_000_000_000


def current_sha256(path: Path, ticker: str) -> str:
    """`file_sha256`, hashed again only when the file may have changed since this process last
    hashed it: a write, a rename over it or a restored time stamp all move its status-change
    time (ctime), which no program can set back. A notebook re-running a strategy so checks its
    mirror files with one `stat` each instead of reading them."""
    stat = path.stat()
    key = (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    known = _HASHED.get(str(path))
    if known is not None and known[0] == key:
        return known[1]
    digest = file_sha256(path, ticker)
    if time.time_ns() - stat.st_ctime_ns > _SETTLED_NS:
        if len(_HASHED) >= _MAX_HASHED:
            _HASHED.clear()
        _HASHED[str(path)] = (key, digest)
    return digest
