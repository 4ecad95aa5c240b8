"""NYSE sessions, the one time axis every frame in rotation-lab is indexed by, and the calendar
schedules known in advance from it: the sessions that close a week, month, quarter or year.

Rules that rebalance "at the month end" or decide "at the year end" read it from the exchange
calendar, not from the data, so a series that ends mid-month does not rebalance on its last row,
and the next decision date can be told before the data reaches it (for `explain`).

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

__all__ = [
    "CALENDAR_PERIODS",
    "CALENDAR_START",
    "calendar_period_ends",
    "last_session_of_year",
    "next_period_end",
    "nth_session_of_year",
    "nyse_sessions",
    "period_end_mask",
]

# exchange_calendars models XNYS from 1885; the earliest data here, the monthly Fama/French
# factors from July 1926, need their first year-end session (1926-12-31) and no earlier.
CALENDAR_START = pd.Timestamp("1925-12-01")
CALENDAR_PERIODS = {"weekly": "W", "monthly": "M", "quarterly": "Q", "yearly": "Y"}
# Longest calendar period plus margin: reading this far past a date always reaches the next
# period's end (a year) and the session after it.
_HORIZON = pd.Timedelta(days=400)


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
    sessions = _xnys_sessions()  # sorted: a slice, not a mask over a century of sessions
    lo = sessions.searchsorted(pd.Timestamp(start), side="left")
    hi = sessions.searchsorted(pd.Timestamp(end), side="right")
    return sessions[lo:hi]


def _ends(sessions: pd.DatetimeIndex, frequency: str) -> pd.DatetimeIndex:
    """Sessions of `sessions` followed by a session of another period (the last one is unknown)."""
    if frequency not in CALENDAR_PERIODS:
        raise ValueError(f"unknown calendar frequency {frequency!r}")
    labels = sessions.to_period(CALENDAR_PERIODS[frequency])
    is_last = np.asarray(labels[:-1] != labels[1:], dtype=bool)
    return sessions[:-1][is_last]


def calendar_period_ends(
    start: pd.Timestamp, end: pd.Timestamp, frequency: str
) -> pd.DatetimeIndex:
    """The NYSE sessions in [start, end] that are the last session of their calendar week
    (Monday to Sunday), month, quarter or year, according to the exchange calendar."""
    # Read past `end` so the last session of the range can be told apart from a mid-period one.
    sessions = nyse_sessions(start, pd.Timestamp(end) + pd.Timedelta(days=14))
    ends = _ends(sessions, frequency)
    return ends[ends <= pd.Timestamp(end)]


def period_end_mask(index: pd.DatetimeIndex, frequency: str) -> np.ndarray:
    """True on the sessions of `index` that close a calendar period ("none": never)."""
    if frequency == "none" or index.empty:
        return np.zeros(len(index), dtype=bool)
    return np.asarray(index.isin(calendar_period_ends(index[0], index[-1], frequency)))


def next_period_end(after: pd.Timestamp, frequency: str) -> pd.Timestamp | None:
    """The first calendar period end strictly after `after`; None where the calendar stops."""
    after = pd.Timestamp(after)
    ends = _ends(nyse_sessions(after, after + _HORIZON), frequency)
    later = ends[ends > after]
    return later[0] if len(later) else None


def nth_session_of_year(year: int, n: int) -> pd.Timestamp | None:
    """The calendar's n-th session (1-based) of `year`; None where the calendar stops."""
    sessions = nyse_sessions(f"{year}-01-01", f"{year}-12-31")
    return sessions[n - 1] if len(sessions) >= n else None


@lru_cache(maxsize=512)
def last_session_of_year(year: int) -> pd.Timestamp | None:
    """The calendar's last session of `year` (known in advance, unlike the data's end); None
    where the calendar stops."""
    sessions = nyse_sessions(f"{year}-12-01", f"{year}-12-31")
    return sessions[-1] if len(sessions) else None
