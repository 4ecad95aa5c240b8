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

from engine.data.cache import History, empty_history_frame, utc_now_iso
from engine.errors import DataUnavailableError, UnknownTickerError
from engine.settings import DataSettings

FULL_HISTORY_START = "1900-01-01"
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


def to_history_frame(frame: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """yfinance's single-ticker frame (MultiIndex Price/Ticker columns) -> our history frame."""
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
    keep = out["close"].notna() | out["adj_close"].notna()
    return out[keep.to_numpy()].sort_index(kind="stable")


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
    """
    wait = sleep_fn or sleep
    said: list[str] = []
    attempts = settings.download_retries
    for attempt in range(attempts):
        frame, messages = _download_once(ticker, settings.download_timeout_s)
        said = messages or said
        if frame is not None and not frame.empty:
            history = to_history_frame(frame, ticker)
            if len(history):
                return History(
                    ticker=ticker,
                    frame=history,
                    provider="yfinance",
                    origin=_origin(),
                    fetched_at=utc_now_iso(),
                )
            if not messages:
                said = ["the download had rows but every close was empty"]
        if messages and _classify(messages) == "unknown":
            raise UnknownTickerError(
                f"{ticker}: Yahoo Finance does not know this symbol (it said: "
                f"{_quote(messages)}). Check the ticker's spelling (index tickers start with "
                "'^', e.g. ^RUT), or put a <TICKER>.csv file in the mirror folder."
            )
        if attempt + 1 < attempts:
            wait(settings.download_backoff_s * 2**attempt)
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
