"""NYSE sessions, the one time axis every frame in rotation-lab is indexed by.

Building the XNYS calendar from 1927 takes exchange_calendars most of a second, on every
command; the session dates are therefore kept in the user's cache folder (beside the compiled
kernels, `engine.numba_cache.cache_root()`), keyed by the exchange_calendars version and valid
while they reach a year past today. A missing or unreadable file is simply rebuilt.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

# exchange_calendars models XNYS from 1885; older sessions than this are never needed here.
CALENDAR_START = pd.Timestamp("1927-12-30")


def _calendar_version() -> str:
    from importlib import metadata

    return metadata.version("exchange-calendars")


def _cache_file() -> Path:
    from engine.numba_cache import cache_root

    return cache_root().parent / f"xnys-sessions-{_calendar_version()}.npy"


def _build(end: pd.Timestamp) -> pd.DatetimeIndex:
    import exchange_calendars as xcals

    cal = xcals.get_calendar("XNYS", start=CALENDAR_START, end=end)
    return pd.DatetimeIndex(cal.sessions.tz_localize(None), name="date").as_unit("ns")


def _load(path: Path, needed_end: pd.Timestamp) -> pd.DatetimeIndex | None:
    try:
        values = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if values.dtype != np.dtype("datetime64[ns]") or len(values) < 2:
        return None
    sessions = pd.DatetimeIndex(values, name="date")
    if sessions[0] != CALENDAR_START or sessions[-1] < needed_end:
        return None
    return sessions


def _save(path: Path, sessions: pd.DatetimeIndex) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            np.save(out, sessions.to_numpy(dtype="datetime64[ns]"), allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        pass  # an unwritable cache folder only costs the rebuild next time


@lru_cache(maxsize=1)
def _xnys_sessions() -> pd.DatetimeIndex:
    """Sessions from CALENDAR_START to at least a year past today (the calendar's rules known in
    advance); built two years ahead so the cached copy serves for a year."""
    today = pd.Timestamp.today().normalize()
    needed_end = today + pd.DateOffset(years=1)
    path = _cache_file()
    cached = _load(path, needed_end)
    if cached is not None:
        return cached[cached <= needed_end]
    sessions = _build(today + pd.DateOffset(years=2))
    _save(path, sessions)
    return sessions[sessions <= needed_end]


def nyse_sessions(start: pd.Timestamp | str, end: pd.Timestamp | str) -> pd.DatetimeIndex:
    """NYSE sessions in [start, end], tz-naive, midnight-stamped, named 'date'."""
    sessions = _xnys_sessions()
    return sessions[(sessions >= pd.Timestamp(start)) & (sessions <= pd.Timestamp(end))]
