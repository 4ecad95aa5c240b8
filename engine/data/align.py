"""Putting every ticker on the same NYSE session index, reporting what did not fit.

Alignment never hides anything: rows on non-session dates, rows dated where no daily price can
exist (before the modelled calendar, or in the future), sessions without a price (left NaN),
bounded forward fills: each is a DataIssue. Why a separate module: the calendar rules change
for other reasons (exchange calendars, bond holidays) than the provider chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from engine.calendar import CALENDAR_START, nyse_sessions
from engine.data import validation
from engine.data.cache import History
from engine.data.model import DataIssue

__all__ = [
    "RELIABLE_CALENDAR_FROM",
    "Aligned",
    "align_one",
    "calendar_rows",
    "implausible_dates",
    "implausible_mask",
    "pre1990_drops",
]

RELIABLE_CALENDAR_FROM = pd.Timestamp("1990-01-02")


def implausible_mask(index: pd.DatetimeIndex, today: pd.Timestamp | None = None) -> np.ndarray:
    """Rows dated before the first modelled NYSE session or after today: no such daily price
    exists, so such a row is a typo in the source (1902 for 2002, 2092 for 2029)."""
    now = (today or pd.Timestamp.today()).normalize()
    return np.asarray((index < CALENDAR_START) | (index > now))


def implausible_dates(history: History, today: pd.Timestamp | None = None) -> DataIssue | None:
    """A warning naming the rows `implausible_mask` leaves out (with their file lines), or None.

    They used to be dropped silently with the other non-session rows; they are reported
    whatever the requested period, since they say the source itself is wrong.
    """
    mask = implausible_mask(history.frame.index, today)
    if not mask.any():
        return None
    dates = validation.iso_dates(history.frame.index[mask])
    shown = list(dates[:5])
    if len(history.source_lines) == len(history.frame):
        lines = np.asarray(history.source_lines)[mask]
        shown = [f"{d} (line {n})" for d, n in zip(dates[:5], lines[:5], strict=False)]
    more = f" and {int(mask.sum()) - 5} more" if mask.sum() > 5 else ""
    now = (today or pd.Timestamp.today()).normalize()
    return DataIssue(
        history.ticker,
        "implausible_dates",
        "warning",
        f"{history.ticker}: {int(mask.sum())} row(s) dated before {CALENDAR_START.date()} (the "
        f"first NYSE session modelled) or after today {now.date()} are not used: "
        f"{', '.join(shown)}{more}. Fix the dates in the source ({history.origin})",
        dates,
    )


def calendar_rows(history: History) -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    """(rows on NYSE sessions, dates that are not sessions) of the history's plausible rows
    (see `implausible_dates`: rows dated before the calendar or after today are left out)."""
    frame = history.frame
    frame = frame[~implausible_mask(frame.index)]
    if frame.empty:
        return frame, pd.DatetimeIndex([], name="date").as_unit("ns")
    calendar = nyse_sessions(frame.index[0], frame.index[-1])
    on_session = frame.index.isin(calendar)
    return frame[on_session], frame.index[~on_session]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, end) positions of consecutive True values."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _sessions_between(a: pd.Timestamp, b: pd.Timestamp) -> int:
    """Sessions strictly between two dates."""
    if b - a <= pd.Timedelta(days=1):
        return 0
    return len(nyse_sessions(a + pd.Timedelta(days=1), b - pd.Timedelta(days=1)))


@dataclass
class Aligned:
    frame: pd.DataFrame  # index x FIELDS
    issues: list[DataIssue]


def align_one(ticker: str, rows: pd.DataFrame, index: pd.DatetimeIndex, max_ffill: int) -> Aligned:
    """Reindex one ticker's session rows onto `index`, report gaps, bounded forward fill."""
    aligned = rows.reindex(index)
    issues: list[DataIssue] = []
    if rows.empty or index.empty:
        return Aligned(aligned, issues)
    first, last = rows.index[0], rows.index[-1]
    inside = (index > first) & (index < last)
    missing = inside & ~index.isin(rows.index)
    filled: list[pd.Timestamp] = []
    if max_ffill > 0 and missing.any():
        for i0, i1 in _runs(missing):
            before = rows.index[rows.index < index[i0]][-1]
            after = rows.index[rows.index > index[i1]][0]
            length = i1 - i0 + 1
            if i0 == 0:
                length += _sessions_between(before, index[0])
            if i1 == len(index) - 1:
                length += _sessions_between(index[-1], after)
            if length > max_ffill:
                continue
            _fill(aligned, index[i0 : i1 + 1], rows.loc[before])
            filled.extend(index[i0 : i1 + 1])
            missing[i0 : i1 + 1] = False
    if filled:
        dates = validation.iso_dates(filled)
        issues.append(
            DataIssue(
                ticker,
                "forward_filled",
                "warning",
                f"{ticker}: {len(filled)} missing session(s) forward-filled from the previous "
                f"close (gaps of at most {max_ffill} session(s)): {', '.join(dates)}",
                dates,
            )
        )
    if missing.any():
        issues.append(_gap_issue(ticker, index[missing]))
    return Aligned(aligned, issues)


def _gap_issue(ticker: str, gap: pd.DatetimeIndex) -> DataIssue:
    """NYSE sessions inside a ticker's history without a price: left NaN, reported.

    A yield series (^TNX, ^IRX...) follows the bond-market calendar, which closes on US federal
    holidays such as Columbus Day and Veterans Day while NYSE trades. Those gaps are expected:
    the message states the alignment rule and they are reported as info when every gap is one.
    """
    dates = validation.iso_dates(gap)
    shown = ", ".join(dates[:10]) + (f" and {len(gap) - 10} more" if len(gap) > 10 else "")
    message = (
        f"{ticker}: no price on {len(gap)} NYSE session(s) inside its history, left NaN ({shown})"
    )
    severity: Literal["info", "warning"] = "warning"
    if ticker in validation.YIELD_TICKERS:
        holidays = validation.bond_market_holidays(gap)
        message += (
            f"; {len(holidays)} of them are US federal holidays (bond market closed, NYSE open). "
            "Rule: a yield is aligned to NYSE sessions like any series; sessions without a "
            "published value stay NaN (unless data.max_ffill_sessions allows a reported fill) "
            "and a cash yield carries the last published rate over them"
        )
        if len(holidays) == len(gap):
            severity = "info"
    return DataIssue(ticker, "missing_sessions", severity, message, dates)


def _fill(aligned: pd.DataFrame, dates: pd.DatetimeIndex, prev: pd.Series) -> None:
    """A flat bar at the previous close: prices carried, no volume traded."""
    close = prev["close"]
    aligned.loc[dates, "close"] = close
    aligned.loc[dates, "adj_close"] = prev["adj_close"]
    for name in ("open", "high", "low"):
        if pd.notna(prev[name]):
            aligned.loc[dates, name] = close
    if pd.notna(prev["volume"]):
        aligned.loc[dates, "volume"] = 0.0


def pre1990_drops(
    sessions: pd.DatetimeIndex, in_range: dict[str, pd.DataFrame]
) -> pd.DatetimeIndex:
    """Pre-1990 calendar sessions no loaded ticker has a row for (likely old holidays)."""
    early = sessions[sessions < RELIABLE_CALENDAR_FROM]
    if early.empty:
        return early
    seen = early[:0]
    for rows in in_range.values():
        seen = seen.union(rows.index[rows.index < RELIABLE_CALENDAR_FROM])
    return early.difference(seen)
