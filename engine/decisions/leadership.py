"""Which member led the year's first N sessions: one rule for the claim check and the strategy.

"Small caps led the first 10 trading days" is decided here once, for the `year_start_leadership`
claim kind and for any strategy that trades on it (strategies may import the engine, never the
reverse), so the two can never disagree about a year.

Rule. Each member's return runs from the anchor (the prior year-end close, the close of the
year's first session, or its open) to the close of the year's Nth session. A member without a
price at either end is left out of that year's comparison. A year is *decided* when the
small-cap member and at least `min_members` members (itself included) have returns.

Tie rule (the only one): a member leads when its return is strictly above every other compared
member's. When two or more share the highest return, no member leads (`leader` = NO_LEADER),
so the small-cap member does not lead that year; its rank counts only members strictly above
it, so tied members share a rank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.data.model import MarketData
from engine.decisions.yearly import (
    ANCHORS,
    Years,
    anchor_positions,
    calendar_years,
    window_returns,
)

__all__ = [
    "ANCHORS",
    "NO_LEADER",
    "Leadership",
    "YearStart",
    "anchor_prices",
    "leadership",
    "year_start_of",
    "year_start_positions",
    "year_start_returns",
]

NO_LEADER = -1


@dataclass(frozen=True)
class YearStart:
    """Per calendar year of an index, as positions in it (-1: none)."""

    years: np.ndarray  # calendar year
    first: np.ndarray  # position of the year's first session
    last: np.ndarray  # position of the year's last session in the index
    anchor: np.ndarray  # position the returns run from (-1: no prior year-end session)
    decision: np.ndarray  # position of the year's Nth session (-1: not reached in the index)
    held_until: np.ndarray  # last position a decision of the year holds (engine.decisions.yearly)


def year_start_positions(index: pd.DatetimeIndex, lead_days: int, anchor: str) -> YearStart:
    """Anchor and decision-day positions of every calendar year of `index`
    (engine.decisions.yearly)."""
    return year_start_of(calendar_years(index), lead_days, anchor)


def year_start_of(ys: Years, lead_days: int, anchor: str) -> YearStart:
    """`year_start_positions` from the index's years computed once: a sweep of many lead days
    and anchors reads the calendar once, not once per combination of the two."""
    start = anchor_positions(ys, anchor)
    return YearStart(ys.years, ys.first, ys.last, start, ys.window_end(lead_days), ys.held_until)


def anchor_prices(
    data: MarketData, members: list[str], price_field: str, anchor: str
) -> tuple[np.ndarray, np.ndarray]:
    """(prices measured from, prices measured to) as (sessions, members) arrays.

    The day-1 open of a total-return series is the adjusted open, so that an open anchor and a
    close end are on the same (dividend-adjusted) scale.
    """
    end = data.field(price_field)[members].to_numpy(dtype=float)
    if anchor != "first_open":
        return end, end
    opens = "adj_open" if price_field == "adj_close" else "open"
    return data.field(opens)[members].to_numpy(dtype=float), end


def year_start_returns(start_px: np.ndarray, end_px: np.ndarray, ys: YearStart) -> np.ndarray:
    """(years, members) returns from the anchor to the decision day; NaN where either is absent."""
    return window_returns(start_px, end_px, ys.anchor, ys.decision)


@dataclass(frozen=True)
class Leadership:
    """The leadership decision of each row (year) of a returns matrix."""

    compared: np.ndarray  # (years, members) bool: the member has a return
    leader: np.ndarray  # member position strictly highest, NO_LEADER on a tie or undecided
    decided: np.ndarray  # bool: the small-cap member and at least min_members compared
    small_leads: np.ndarray  # bool: decided and the small-cap member is the leader
    small_rank: np.ndarray  # 1 + members strictly above the small-cap one (0: not compared)
    tied: np.ndarray  # bool: two or more compared members share the highest return


def leadership(returns: np.ndarray, small: int, min_members: int = 2) -> Leadership:
    """Apply the module's rule to each row of `returns` (years, members); NaN = not compared."""
    returns = np.atleast_2d(np.asarray(returns, dtype=float))
    compared = np.isfinite(returns)
    masked = np.where(compared, returns, -np.inf)
    best = masked.max(axis=1) if returns.shape[1] else np.full(len(returns), -np.inf)
    at_best = compared & (masked == best[:, None])
    n_best = at_best.sum(axis=1)
    decided = compared[:, small] & (compared.sum(axis=1) >= min_members)
    tied = n_best > 1
    single = decided & (n_best == 1)
    leader = np.where(single, np.argmax(at_best, axis=1), NO_LEADER)
    small_px = masked[:, small]
    above = (compared & (masked > small_px[:, None])).sum(axis=1)
    rank = np.where(compared[:, small], above + 1, 0)
    return Leadership(compared, leader, decided, decided & (leader == small), rank, tied & decided)
