"""Calendar schedules known in advance: the NYSE sessions that close a week, month, quarter or year.

Rules that rebalance "at the month end" read it from the exchange calendar, not from the data,
so a series that ends mid-month does not rebalance on its last row, and the next rebalance date
can be told before the data reaches it (`next_period_end`, for `explain`). Each schedule is a
boolean mask over a session index, computed once per frequency and shared by every combination
of a batch that uses it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.calendar import nyse_sessions

__all__ = [
    "CALENDAR_PERIODS",
    "calendar_period_ends",
    "next_period_end",
    "nth_session_of_year",
    "period_end_mask",
]

CALENDAR_PERIODS = {"weekly": "W", "monthly": "M", "quarterly": "Q", "yearly": "Y"}
# Longest calendar period plus margin: reading this far past a date always reaches the next
# period's end (a year) and the session after it.
_HORIZON = pd.Timedelta(days=400)


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
