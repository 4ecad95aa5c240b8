"""Calendar-year bookkeeping shared by the yearly claims: sessions, anchors, windows, endings.

Positions (row numbers of the data index) are used throughout so that recomputing a claim
under many conventions stays fast. A year's outcome counts only when the year is complete in
the data: the series has a price on the year's last session, confirmed either by a later price
(the next year has started) or by the NYSE calendar (the data end exactly on the year's last
session). A year whose end is not in the data is "incomplete": it is listed, never counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from engine.calendar import nyse_sessions


@dataclass(frozen=True)
class YearSlice:
    """One calendar year of the data index, as positions in it."""

    year: int
    first: int  # position of the year's first session
    last: int  # position of the year's last session in the data index
    dates: pd.DatetimeIndex  # the whole data index

    @property
    def prior(self) -> int | None:
        """Position of the last session before the year (None at the start of the data)."""
        return self.first - 1 if self.first > 0 else None

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    def date(self, pos: int | None) -> object:
        return self.dates[pos].date() if pos is not None else None


def year_slices(
    index: pd.DatetimeIndex, start_year: int | None = None, end_year: int | None = None
) -> list[YearSlice]:
    """The index cut into calendar years, within [start_year, end_year]."""
    years = np.asarray(index.year)
    values, firsts = np.unique(years, return_index=True)
    lasts = np.append(firsts[1:], len(years)) - 1
    return [
        YearSlice(int(y), int(f), int(la), index)
        for y, f, la in zip(values, firsts, lasts, strict=True)
        if (start_year is None or y >= start_year) and (end_year is None or y <= end_year)
    ]


@lru_cache(maxsize=512)
def calendar_last_session(year: int) -> pd.Timestamp | None:
    sessions = nyse_sessions(f"{year}-12-01", f"{year}-12-31")
    return sessions[-1] if len(sessions) else None


class Prices:
    """One price series as an array, with what completeness checks need."""

    def __init__(self, series: pd.Series) -> None:
        self.name = str(series.name)
        self.values = series.to_numpy(dtype=float)
        finite = np.flatnonzero(np.isfinite(self.values))
        self.last_valid = int(finite[-1]) if len(finite) else -1

    def at(self, pos: int | None) -> float:
        return float(self.values[pos]) if pos is not None else float("nan")

    def complete(self, ys: YearSlice) -> bool:
        """True when the series has the year's closing price (see the module docstring)."""
        if not np.isfinite(self.values[ys.last]):
            return False
        return self.last_valid > ys.last or ys.dates[ys.last] == calendar_last_session(ys.year)


def window_end(ys: YearSlice, window: str | int) -> int | None:
    """Position of the last session of the year's opening window: "january", or the N-th
    session (N int). None when the year has not reached it in the data."""
    if window == "january":
        months = np.asarray(ys.dates.month[ys.first : ys.last + 1])
        jan = np.flatnonzero(months == 1)
        if len(jan) == 0 or len(jan) == len(months):
            return None  # January absent, or no later session yet to show it has ended
        return ys.first + int(jan[-1])
    n = int(window)
    return ys.first + n - 1 if ys.length >= n else None


def window_text(window: str | int) -> str:
    return "January" if window == "january" else f"the first {int(window)} sessions"


def window_phrase(window: str | int) -> str:
    """For "years whose ... were up": "January" or "first 5 sessions"."""
    return "January" if window == "january" else f"first {int(window)} sessions"


def anchor_position(ys: YearSlice, anchor: str) -> int | None:
    """The session a year's window return is measured from."""
    return ys.prior if anchor == "prior_close" else ys.first


def table_period(
    table: pd.DataFrame, prices: list[Prices], index: pd.DatetimeIndex
) -> tuple[str, str]:
    """From the first anchor a yearly table uses to the last price of the series it reads."""
    anchors = pd.to_datetime(table["anchor_date"].dropna()) if "anchor_date" in table else []
    first = str(min(anchors).date()) if len(anchors) else ""
    last_pos = max((p.last_valid for p in prices), default=-1)
    return first, str(index[last_pos].date()) if last_pos >= 0 else ""


def returned(start: float, end: float) -> float:
    return end / start - 1.0 if np.isfinite(start) and np.isfinite(end) else float("nan")
