"""Downloading daily bars from Yahoo Finance through yfinance.

yfinance never raises on a failed download: it logs to the "yfinance" logger and returns an
empty frame. So this module listens to that logger during the call, retries with exponential
backoff, and turns the outcome into either a History or one of our errors carrying Yahoo's own
words. yfinance is imported lazily: only a download pays for it.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from engine.calendar import nyse_sessions
from engine.config.settings import DataSettings
from engine.data.cache import History, empty_history_frame, utc_now_iso
from engine.errors import DataUnavailableError, UnknownTickerError

FULL_HISTORY_START = "1900-01-01"
PARTIAL_TAIL_SESSIONS = 5  # a download ending more sessions than this before its due date is cut
COLUMN_MAP = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
}
# Yahoo's words for "this symbol does not exist" (vs. a network or server problem).
UNKNOWN_MARKERS = ("delisted", "no price data found", "no timezone found", "not found")
NETWORK_MARKERS = (
    "resolve host",
    "curl",
    "timed out",
    "timeout",
    "connection",
    "dnserror",
    "too many requests",
    "rate limit",
    "status_code = 5",
    "ssl",
)

sleep: Callable[[float], None] = time.sleep  # module-level so tests can replace it


class _Capture(logging.Handler):
    """Collects what yfinance logs during one call, for the error message."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage().strip()
        except Exception:  # a malformed log record must not break the download
            text = str(record.msg)
        if text and text not in self.messages:
            self.messages.append(text)


def _download_once(ticker: str, timeout: float) -> tuple[pd.DataFrame | None, list[str]]:
    """One yfinance call; returns its frame (None if it raised) and what it logged."""
    import yfinance

    logger = logging.getLogger("yfinance")
    capture = _Capture()
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(capture)
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    logger.propagate = False  # we report Yahoo's messages ourselves, once
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # yfinance's own pandas deprecation noise
            frame = yfinance.download(
                ticker,
                start=FULL_HISTORY_START,
                end=tomorrow,
                auto_adjust=False,
                actions=False,
                progress=False,
                threads=False,
                multi_level_index=True,
                timeout=timeout,
            )
    except Exception as exc:  # yfinance should not raise, but a bug there is still transient
        frame = None
        capture.messages.append(f"{type(exc).__name__}: {exc}")
    finally:
        logger.removeHandler(capture)
        logger.setLevel(old_level)
        logger.propagate = old_propagate
    return frame, capture.messages


def _mapped(frame: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """yfinance's single-ticker frame (MultiIndex Price/Ticker columns), every row kept."""
    if isinstance(frame.columns, pd.MultiIndex):
        level = "Ticker" if "Ticker" in frame.columns.names else 1
        names = list(dict.fromkeys(frame.columns.get_level_values(level)))
        key = ticker if ticker in names else (names[0] if len(names) == 1 else None)
        if key is None:
            return empty_history_frame()
        frame = frame.xs(key, axis=1, level=level)
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    index = index.as_unit("ns").rename("date")
    out = empty_history_frame(index)
    for source, target in COLUMN_MAP.items():
        if source in frame.columns:
            out[target] = pd.to_numeric(frame[source], errors="coerce").to_numpy(np.float64)
    return out.sort_index(kind="stable")


def to_history_frame(frame: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """yfinance's single-ticker frame -> our history frame (rows without any close dropped)."""
    out = _mapped(frame, ticker)
    keep = out["close"].notna() | out["adj_close"].notna()
    return out[keep.to_numpy()]


def holes(frame: pd.DataFrame, ticker: str) -> str:
    """Why a downloaded frame has holes, or "": rows inside its history without a close or an
    adjusted close (Yahoo sent the date but not the price). Such a download is partial."""
    out = _mapped(frame, ticker)
    priced = (out["close"].notna() | out["adj_close"].notna()).to_numpy()
    if not priced.any():
        return ""
    first, last = np.flatnonzero(priced)[[0, -1]]
    inside = out.iloc[first : last + 1]
    gaps = inside.index[(inside["close"].isna() | inside["adj_close"].isna()).to_numpy()]
    if gaps.empty:
        return ""
    shown = ", ".join(d.date().isoformat() for d in gaps[:5])
    more = f" and {len(gaps) - 5} more" if len(gaps) > 5 else ""
    return f"{len(gaps)} row(s) without a close or adjusted close inside it ({shown}{more})"


def truncated(history: History, expected_last: pd.Timestamp) -> str:
    """Why a download ends too early, or "": its last date is more than PARTIAL_TAIL_SESSIONS
    NYSE sessions before `expected_last` (the last session the request needs that has closed).

    Yahoo publishes a session's bar within hours, so a longer shortfall means a cut-off
    response (or a ticker that stopped trading): either way the copy is not whole.
    """
    if history.frame.empty:
        return ""
    last = history.frame.index[-1]
    if last >= expected_last:
        return ""
    missing = nyse_sessions(last + pd.Timedelta(days=1), expected_last)
    if len(missing) <= PARTIAL_TAIL_SESSIONS:
        return ""
    return (
        f"it ends on {last.date()}, {len(missing)} sessions before {expected_last.date()}, the "
        "last closed session the request needs"
    )


def last_closed_session(now: pd.Timestamp | None = None) -> pd.Timestamp:
    """The latest NYSE session strictly before today (today's bar may still be forming)."""
    today = (now or pd.Timestamp.now(tz="UTC")).tz_localize(None).normalize()
    return nyse_sessions(today - pd.Timedelta(days=15), today - pd.Timedelta(days=1))[-1]


def _classify(messages: list[str]) -> str:
    """'unknown' when Yahoo says the symbol does not exist, else 'transient'."""
    text = " ".join(messages).lower()
    if any(m in text for m in NETWORK_MARKERS):
        return "transient"
    if any(m in text for m in UNKNOWN_MARKERS):
        return "unknown"
    return "transient"


def download_history(
    ticker: str,
    settings: DataSettings,
    sleep_fn: Callable[[float], None] | None = None,
) -> History:
    """The ticker's full daily history from Yahoo, with retries and backoff.

    Raises UnknownTickerError when Yahoo says the symbol does not exist (no retry: it will not
    appear by waiting), DataUnavailableError when nothing usable came back after the retries.
    A download with holes (see `holes`) is retried too; if every attempt has them, the last one
    is returned with `partial` set, for the caller to flag and never cache.
    """
    wait = sleep_fn or sleep
    said: list[str] = []
    attempts = settings.download_retries
    partial: History | None = None
    for attempt in range(attempts):
        frame, messages = _download_once(ticker, settings.download_timeout_s)
        said = messages or said
        if frame is not None and not frame.empty:
            rows = to_history_frame(frame, ticker)
            if len(rows):
                got = History(
                    ticker=ticker,
                    frame=rows,
                    provider="yfinance",
                    origin=_origin(),
                    fetched_at=utc_now_iso(),
                    partial=holes(frame, ticker),
                )
                if not got.partial:
                    return got
                partial = got
            elif not messages:
                said = ["the download had rows but every close was empty"]
        if messages and _classify(messages) == "unknown" and partial is None:
            raise UnknownTickerError(
                f"{ticker}: Yahoo Finance does not know this symbol (it said: "
                f"{_quote(messages)}). Check the ticker's spelling (index tickers start with "
                "'^', e.g. ^RUT), or put a <TICKER>.csv file in the mirror folder."
            )
        if attempt + 1 < attempts:
            wait(settings.download_backoff_s * 2**attempt)
    if partial is not None:
        return partial  # every attempt had holes: the caller flags it and never caches it
    said = said or ["an empty result and no message"]
    raise DataUnavailableError(
        f"{ticker}: the Yahoo Finance download failed after {attempts} attempt(s) (it said: "
        f"{_quote(said)}). Check the network connection and the ticker's spelling, or work "
        "offline: put a <TICKER>.csv file in the mirror folder or use the cached copy."
    )


def _quote(messages: list[str]) -> str:
    text = " | ".join(m.replace("\n", " ").strip() for m in messages)
    return text if len(text) <= 600 else text[:597] + "..."


def _origin() -> str:
    import yfinance

    return f"Yahoo Finance (yfinance {yfinance.__version__})"
