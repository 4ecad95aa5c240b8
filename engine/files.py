"""Reading a user's file with bounded time and memory.

A path in a config or a mirror folder may name a named pipe (reading blocks forever), a device
(`/dev/zero` never ends), or a huge unrelated file. So the file's type and size are checked
before it is opened, and no more than the limit (plus one byte, to notice a file that grew)
is ever read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from engine.errors import BadInputError, RotationLabError

__all__ = ["MB", "file_kind", "read_limited"]

MB = 2**20


def file_kind(mode: int) -> str:
    """'a named pipe', 'a device', 'a folder', ... for a stat mode that is not a regular file."""
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_limited(
    path: Path,
    limit: int,
    what: str,
    error: type[RotationLabError] = BadInputError,
    fix: str = "",
) -> tuple[bytes, os.stat_result]:
    """The bytes of the regular file `path` (at most `limit`) and its stat; anything else (a
    pipe, a device, a folder, a larger file) is refused with `error` before a byte is read.
    FileNotFoundError propagates so callers can say what a missing file means to them."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise
    except (OSError, RuntimeError) as exc:  # a symlink loop, a permission problem
        reason = getattr(exc, "strerror", None) or str(exc)
        raise error(f"{what} {path} cannot be read: {reason}") from None
    tail = f"; {fix}" if fix else ""
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{what} {path} is {file_kind(info.st_mode)}, not a file{tail}")
    if info.st_size > limit:
        raise error(
            f"{what} {path} is {info.st_size / MB:,.1f} MB, more than the {limit / MB:g} MB "
            f"such a file can hold{tail}"
        )
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise error(f"{what} {path} cannot be read: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise error(f"{what} {path} grew past {limit / MB:g} MB while being read{tail}")
    return raw, info
