"""Calendar-year bookkeeping of the yearly claims: per-year slices, prices, completeness.

The years, anchors and opening windows themselves are `engine.decisions.yearly`'s (the rule the
strategies trade on); this module walks them one year at a time for the claims' tables.

Positions (row numbers of the data index) are used throughout so that recomputing a claim
under many conventions stays fast. A year's outcome counts only when the year is complete in
the data: the series has a price on the year's last session, confirmed either by a later price
(the next year has started) or by the NYSE calendar (the data end exactly on the year's last
session). A year whose end is not in the data is "incomplete": it is listed, never counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.calendar import last_session_of_year
from engine.decisions.yearly import Years, anchor_positions, calendar_years


@dataclass(frozen=True)
class YearSlice:
    """One calendar year of the data index, as positions in it (row `row` of `layout`)."""

    year: int
    first: int  # position of the year's first session
    last: int  # position of the year's last session in the data index
    layout: Years  # the index's calendar years (engine.decisions.yearly), shared by every slice
    row: int

    @property
    def dates(self) -> pd.DatetimeIndex:
        return self.layout.index

    @property
    def prior(self) -> int | None:
        """Position of the prior year-end session (None when it is not in the data)."""
        prior = int(self.layout.prior[self.row])
        return prior if prior >= 0 else None

    def date(self, pos: int | None) -> object:
        return self.dates[pos].date() if pos is not None else None


def year_slices(
    index: pd.DatetimeIndex, start_year: int | None = None, end_year: int | None = None
) -> list[YearSlice]:
    """The index cut into calendar years, within [start_year, end_year]."""
    layout = calendar_years(index)
    return [
        YearSlice(int(y), int(layout.first[i]), int(layout.last[i]), layout, i)
        for i, y in enumerate(layout.years)
        if (start_year is None or y >= start_year) and (end_year is None or y <= end_year)
    ]


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
        return self.last_valid > ys.last or ys.dates[ys.last] == last_session_of_year(ys.year)


def window_end(ys: YearSlice, window: str | int) -> int | None:
    """Position of the last session of the year's opening window (engine.decisions.yearly's rule):
    "january", or the N-th session (N int). None when the data do not reach it."""
    end = int(ys.layout.window_end(window)[ys.row])
    return end if end >= 0 else None


def window_text(window: str | int) -> str:
    return "January" if window == "january" else f"the first {int(window)} sessions"


def window_phrase(window: str | int) -> str:
    """For "years whose ... were up": "January" or "first 5 sessions"."""
    return "January" if window == "january" else f"first {int(window)} sessions"


def anchor_position(ys: YearSlice, anchor: str) -> int | None:
    """The session a year's window return is measured from (engine.decisions.yearly's rule)."""
    start = int(anchor_positions(ys.layout, anchor)[ys.row])
    return start if start >= 0 else None


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
