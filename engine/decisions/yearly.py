"""Calendar years of a session index and their opening windows: one rule for strategies and claims.

"The first five days", "January", "the first 10 sessions", "the prior year-end close" and "until
the year ends" are decided here once, for the strategies that trade on them (first10days,
first_five_days) and for the yearly claim kinds, so a year can never be read two ways.

Everything is a position (row number) in the index, per calendar year, -1 where there is none:

- `prior`: the last session before the year, when it is the calendar's last session of the
  year before (so the return "from the prior year-end close" never spans a gap);
- an opening window ends on the year's Nth session, or on its last January session when that is
  the calendar's (so January's end is known on its close, not when February's first session
  arrives), -1 when the data end first;
- `held_until`: the last session a decision made during the year holds: the session before the
  calendar's year-end (the next year's allocation is wanted from that close, so with the
  engine's lag the new year starts in it), or the data's last session when the data end first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from engine.calendar import nyse_sessions

__all__ = ["ANCHORS", "Years", "anchor_positions", "calendar_years", "window_returns"]

ANCHORS: tuple[str, ...] = ("prior_close", "first_close", "first_open")


@dataclass(frozen=True)
class Years:
    """The calendar years of a session index, as positions in it (computed once per index)."""

    index: pd.DatetimeIndex
    years: np.ndarray  # calendar year
    first: np.ndarray  # position of the year's first session
    last: np.ndarray  # position of the year's last session in the index
    prior: np.ndarray  # position of the calendar's prior year-end session (-1: not in the index)
    closes: np.ndarray  # bool: the index holds the calendar's last session of the year
    year_of: np.ndarray  # per session: its year's row in `years`
    calendar_january: np.ndarray  # per year: the calendar's last January session (NaT: none)

    @property
    def held_until(self) -> np.ndarray:
        """Per year, the last position a decision made in the year holds (module docstring)."""
        return np.where(self.closes, self.last - 1, self.last)

    def window_end(self, window: str | int) -> np.ndarray:
        """Per year, the position of the opening window's last session: "january", or the
        year's N-th session (N int); -1 where the index does not reach it."""
        if window != "january":
            n = int(window)
            return np.where(self.last - self.first + 1 >= n, self.first + n - 1, -1)
        in_january = np.flatnonzero(np.asarray(self.index.month) == 1)
        last_january = np.full(len(self.years), -1, dtype=np.int64)
        last_january[self.year_of[in_january]] = in_january  # increasing: the last one stays
        days = np.asarray(self.index[np.maximum(last_january, 0)], dtype="datetime64[ns]")
        return np.where((last_january >= 0) & (days == self.calendar_january), last_january, -1)


def calendar_years(index: pd.DatetimeIndex) -> Years:
    """The calendar years of `index` with the calendar's year-end and January-end sessions."""
    year_of_session = np.asarray(index.year)
    years, first = np.unique(year_of_session, return_index=True)
    last = np.append(first[1:], len(index)) - 1
    prior = np.full(len(years), -1, dtype=np.int64)
    closes = np.zeros(len(years), dtype=bool)
    january = np.full(len(years), np.datetime64("NaT"), dtype="datetime64[ns]")
    if len(years):
        ends, januaries = _calendar_marks(int(years[0]) - 1, int(years[-1]))
        before = np.asarray(index[np.maximum(first - 1, 0)], dtype="datetime64[ns]")
        prior_end = np.array([ends.get(int(y) - 1) for y in years], dtype="datetime64[ns]")
        own_end = np.array([ends.get(int(y)) for y in years], dtype="datetime64[ns]")
        ok = (first > 0) & (before == prior_end)
        prior[ok] = first[ok] - 1
        closes = np.asarray(index[last], dtype="datetime64[ns]") == own_end
        january = np.array([januaries.get(int(y)) for y in years], dtype="datetime64[ns]")
    year_of = np.searchsorted(years, year_of_session)
    return Years(index, years.astype(int), first, last, prior, closes, year_of, january)


@lru_cache(maxsize=32)
def _calendar_marks(
    first_year: int, last_year: int
) -> tuple[dict[int, pd.Timestamp], dict[int, pd.Timestamp]]:
    """The NYSE calendar's last session of each year and of each January (one calendar read).

    Kept per span of years (the calendar does not change while the process runs): a notebook
    re-running a rule reads it once. Callers only look values up."""
    sessions = nyse_sessions(f"{first_year}-01-01", f"{last_year}-12-31")
    dates = pd.Series(sessions, index=sessions)
    ends = dates.groupby(sessions.year).max()
    january = dates[sessions.month == 1]
    januaries = january.groupby(january.index.year).max()
    return (
        {int(y): pd.Timestamp(d) for y, d in ends.items()},
        {int(y): pd.Timestamp(d) for y, d in januaries.items()},
    )


def anchor_positions(years: Years, anchor: str) -> np.ndarray:
    """Per year, the session a window return runs from: the prior year-end close, or the
    year's first session (its close or its open, which `window_returns` reads from prices)."""
    if anchor not in ANCHORS:
        raise ValueError(f"anchor {anchor!r} is not one of {', '.join(ANCHORS)}")
    return years.prior.copy() if anchor == "prior_close" else years.first.copy()


def window_returns(
    start_px: np.ndarray, end_px: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Per year (rows) and series (columns of the (sessions, series) price arrays), the return
    from `start_px` at position `start` to `end_px` at `end`; NaN where either position is -1
    or either price is missing. 1-d prices give one value per year."""
    start_px, end_px = np.asarray(start_px, dtype=float), np.asarray(end_px, dtype=float)
    ok = (start >= 0) & (end >= 0)
    out = np.full((len(start), *start_px.shape[1:]), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[ok] = end_px[end[ok]] / start_px[start[ok]] - 1.0
    return out
