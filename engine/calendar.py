"""NYSE sessions, the one time axis every frame in rotation-lab is indexed by."""

from __future__ import annotations

from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd

# exchange_calendars models XNYS from 1885; older sessions than this are never needed here.
CALENDAR_START = pd.Timestamp("1927-12-30")


@lru_cache(maxsize=1)
def _xnys_sessions() -> pd.DatetimeIndex:
    end = pd.Timestamp.today().normalize() + pd.DateOffset(years=1)
    cal = xcals.get_calendar("XNYS", start=CALENDAR_START, end=end)
    sessions = pd.DatetimeIndex(cal.sessions.tz_localize(None), name="date")
    return sessions.as_unit("ns")


def nyse_sessions(start: pd.Timestamp | str, end: pd.Timestamp | str) -> pd.DatetimeIndex:
    """NYSE sessions in [start, end], tz-naive, midnight-stamped, named 'date'."""
    sessions = _xnys_sessions()  # sorted: a slice, not a mask over a century of sessions
    lo = sessions.searchsorted(pd.Timestamp(start), side="left")
    hi = sessions.searchsorted(pd.Timestamp(end), side="right")
    return sessions[lo:hi]
