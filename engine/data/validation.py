"""Checks run on every loaded history: findings are reported as DataIssue, never fixed.

Why report instead of repair: a backtest must use the prices as published; the user decides
whether a flagged value is real (VIX doubling, negative T-bill yields) or a data error.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from pandas.tseries.holiday import USFederalHolidayCalendar

from engine.data.model import DataIssue

# Series whose close is a yield in percent: zero or negative values are real, not errors.
YIELD_TICKERS = frozenset({"^IRX", "^TNX", "^FVX", "^TYX"})
# the data.max_daily_move default (engine.config.settings.DataSettings)
DEFAULT_MAX_DAILY_MOVE = 0.25
RANGE_REL_TOL = 1e-6
RANGE_ABS_TOL = 1e-6
MAX_LISTED_DATES = 1000


def iso_dates(dates: Iterable[pd.Timestamp], limit: int = MAX_LISTED_DATES) -> tuple[str, ...]:
    """ISO strings of at most `limit` dates (messages give the full count)."""
    out = []
    for i, d in enumerate(dates):
        if i >= limit:
            break
        out.append(pd.Timestamp(d).date().isoformat())
    return tuple(out)


def _preview(dates: tuple[str, ...], total: int, shown: int = 5) -> str:
    head = ", ".join(dates[:shown])
    return head + (f" and {total - shown} more" if total > shown else "")


def duplicate_dates(
    ticker: str, frame: pd.DataFrame, lines: tuple[int, ...] = ()
) -> DataIssue | None:
    """An error issue when the history has a date twice (the value to use is ambiguous).

    `lines` (the source line of each row, when the source is a file) lets the message point at
    the rows to fix.
    """
    repeated = frame.index.duplicated(keep=False)
    dup = frame.index[frame.index.duplicated(keep="first")].unique()
    if dup.empty:
        return None
    dates = iso_dates(dup)
    shown = _preview(dates, len(dup))
    if len(lines) == len(frame):
        at = np.asarray(lines)[repeated]
        days = frame.index[repeated]
        parts = [f"{d.date()} on lines {', '.join(str(n) for n in at[days == d])}" for d in dup[:5]]
        shown = "; ".join(parts) + (f" and {len(dup) - 5} more" if len(dup) > 5 else "")
    return DataIssue(
        ticker=ticker,
        kind="duplicate_dates",
        severity="error",
        message=f"{ticker}: {len(dup)} date(s) appear more than once ({shown}); keep one row "
        "per date in the source (mirror CSV) and reload",
        dates=dates,
    )


def bond_market_holidays(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The dates that are US federal holidays (Columbus Day, Veterans Day, ...): the Treasury
    market closes on them while NYSE may trade, so a yield series has no value there."""
    if dates.empty:
        return dates
    holidays = USFederalHolidayCalendar().holidays(dates.min(), dates.max())
    return dates[dates.isin(holidays)]


def validate(
    ticker: str,
    rows: pd.DataFrame,
    history_first: pd.Timestamp,
    history_last: pd.Timestamp,
    first_session: pd.Timestamp,
    last_session: pd.Timestamp,
    max_daily_move: float = DEFAULT_MAX_DAILY_MOVE,
) -> list[DataIssue]:
    """Issues of one ticker's rows inside the requested sessions (non-sessions already removed).

    `history_first/last` are the ends of the full stored history, `first/last_session` the
    ends of the requested range; `max_daily_move` the one-session move flagged on a fund.
    """
    issues: list[DataIssue] = []
    issues += _bad_prices(ticker, rows)
    issues += _close_outside_range(ticker, rows)
    issues += _large_moves(ticker, rows, max_daily_move)
    if history_first > first_session:
        issues.append(
            DataIssue(
                ticker,
                "starts_late",
                "info",
                f"{ticker}: history starts on {history_first.date()}, after the first requested "
                f"session {first_session.date()}; earlier sessions are NaN",
                (history_first.date().isoformat(),),
            )
        )
    if history_last < last_session:
        issues.append(
            DataIssue(
                ticker,
                "ends_early",
                "info",
                f"{ticker}: history ends on {history_last.date()}, before the last requested "
                f"session {last_session.date()}; later sessions are NaN",
                (history_last.date().isoformat(),),
            )
        )
    return issues


def _bad_prices(ticker: str, rows: pd.DataFrame) -> list[DataIssue]:
    """NaN closes, and non-positive prices except for yield series."""
    columns = ["close", "adj_close"] + [c for c in ("open", "high", "low") if rows[c].notna().any()]
    values = rows[columns]
    bad = values.isna()
    if ticker not in YIELD_TICKERS:
        bad |= values <= 0
    mask = bad.any(axis=1).to_numpy()
    if not mask.any():
        return []
    dates = iso_dates(rows.index[mask])
    total = int(mask.sum())
    cols = [c for c in columns if bad[c].any()]
    what = "missing" if ticker in YIELD_TICKERS else "missing, zero or negative"
    return [
        DataIssue(
            ticker,
            "non_positive_price",
            "warning",
            f"{ticker}: {total} row(s) have a {what} price in {', '.join(cols)} "
            f"({_preview(dates, total)})",
            dates,
        )
    ]


def _close_outside_range(ticker: str, rows: pd.DataFrame) -> list[DataIssue]:
    close, low, high = rows["close"], rows["low"], rows["high"]
    tol_high = high.abs() * RANGE_REL_TOL + RANGE_ABS_TOL
    tol_low = low.abs() * RANGE_REL_TOL + RANGE_ABS_TOL
    mask = ((close > high + tol_high) | (close < low - tol_low)).to_numpy()
    if not mask.any():
        return []
    dates = iso_dates(rows.index[mask])
    total = int(mask.sum())
    return [
        DataIssue(
            ticker,
            "close_outside_range",
            "info",
            f"{ticker}: close outside [low, high] on {total} session(s) ({_preview(dates, total)})",
            dates,
        )
    ]


def _large_moves(ticker: str, rows: pd.DataFrame, bound: float) -> list[DataIssue]:
    """Funds and stocks moving more than `bound` in one session (an unadjusted split, a bad
    print). Indexes and yields ('^' tickers) are skipped: VIX doubling is real."""
    if ticker.startswith("^"):
        return []
    adj = rows["adj_close"].dropna()
    adj = adj[adj > 0]
    change = adj.pct_change().iloc[1:]
    big = change[np.abs(change.to_numpy()) > bound]
    if big.empty:
        return []
    dates = iso_dates(big.index)
    worst = big.iloc[int(np.argmax(np.abs(big.to_numpy())))]
    return [
        DataIssue(
            ticker,
            "large_move",
            "warning",
            f"{ticker}: adj_close moves more than {bound * 100:g}% (data.max_daily_move = "
            f"{bound:g}) in one session on {len(big)} date(s) ({_preview(dates, len(big))}; "
            f"largest {worst:+.1%}); check for an unadjusted split or a bad print",
            dates,
        )
    ]


# A yield in percent a year stays within these bounds (T-bill yields: -0.1% to 16% since 1934);
# a fund's price is positive and a cash-like fund never moves this much in one session.
YIELD_PCT_BOUNDS = (-10.0, 30.0)
CASH_FUND_MAX_DAILY_MOVE = 0.25


def cash_series_problem(series: pd.Series, kind: str) -> str | None:
    """Why `series` cannot be the cash series of `kind`, or None.

    Read the wrong way a fund's price of about 91 becomes a 91% yield (and $100k of cash earns
    millions), and a yield read as a price turns 0.02 -> 0.05 into a 150% day. So a yield must
    look like a yield and a fund like a price."""
    values = series.dropna()
    if values.empty:
        return None
    ticker = series.name
    if kind == "annual_yield_pct":
        low, high = YIELD_PCT_BOUNDS
        outside = values[(values < low) | (values > high)]
        if len(outside):
            return (
                f"backtest.cash_ticker = {ticker!r} is read as an annual yield in percent, but "
                f"its values (median {float(values.median()):,.4g}; {outside.iloc[0]:,.4g} on "
                f"{pd.Timestamp(outside.index[0]).date()}) are not a yield's; for a fund set "
                'backtest.cash_ticker_kind = "price"'
            )
        return None
    # A zero or negative price on a few rows is a data error the engine refuses with its date
    # (engine.simulate.portfolio); a series that is mostly at or below 0 is a yield read as a price.
    positive = values[values > 0]
    if len(positive) < len(values) / 2:
        return (
            f"backtest.cash_ticker = {ticker!r} is read as a fund's price, but most of its "
            "values are at or below 0, as a yield's are; for a yield in percent set "
            'backtest.cash_ticker_kind = "annual_yield_pct"'
        )
    moves = positive.pct_change().abs()
    if (moves > CASH_FUND_MAX_DAILY_MOVE).any():
        when = pd.Timestamp(moves.idxmax()).date()
        return (
            f"backtest.cash_ticker = {ticker!r} is read as a fund's price, but it moved "
            f"{moves.max():.0%} in one session ({when}), which no cash fund does; for a yield "
            'in percent set backtest.cash_ticker_kind = "annual_yield_pct"'
        )
    return None
