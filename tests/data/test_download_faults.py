"""Failed, empty and partial Yahoo downloads: a clear error naming the ticker, the cache kept
and used, and a partial download never cached as if it were complete.

"Partial" here means: a row inside the history without a close or adjusted close (Yahoo sent
the date but not the price), or a history ending more than `yahoo.PARTIAL_TAIL_SESSIONS` NYSE
sessions before the last session the request needs that has closed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.config.settings import DataSettings
from engine.data import cache, load_market_data, update_tickers, yahoo
from engine.data.cache import History
from engine.errors import DataUnavailableError, UnknownTickerError

from .conftest import (
    FakeDownload,
    ohlcv_rows,
    sessions,
    write_csv,
    yf_download_shape,
    yf_per_ticker,
)

JANUARY = sessions("2024-01-02", "2024-01-31")  # 21 sessions
TIMEOUT = (
    "['IWM']: Timeout('Failed to perform, curl: (28) Operation timed out after 20001 "
    "milliseconds with 0 bytes received')"
)
HTTP_500 = (
    "['IWM']: possibly delisted; no price data found  (1d 1900-01-01 -> 2026-11-24)"
    "(Yahoo status_code = 500)"
)
RATE_LIMIT = "['IWM']: YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')"
OFFLINE = (
    "['IWM']: DNSError('Failed to perform, curl: (6) Could not resolve host: "
    "query2.finance.yahoo.com.')"
)


def yahoo_frame(index: pd.DatetimeIndex, base: float = 100.0, ticker: str = "IWM") -> pd.DataFrame:
    """A download() result with a consistent rising bar per session."""
    close = base + np.arange(len(index), dtype=float)
    values = {
        "Open": close - 0.5,
        "High": close + 1,
        "Low": close - 1,
        "Close": close,
        "Adj Close": close * 0.98,
        "Volume": np.full(len(index), 1e6),
    }
    return yf_download_shape(ticker, yf_per_ticker(index, values))


def with_holes(index: pd.DatetimeIndex, blank: list[str], ticker: str = "IWM") -> pd.DataFrame:
    """A download() result where Yahoo sent the `blank` dates with no price at all."""
    frame = yahoo_frame(index, ticker=ticker)
    for day in blank:
        frame.loc[pd.Timestamp(day), :] = np.nan
    return frame


def file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def old_entry(cache_dir: Path, ticker: str = "IWM", days: int = 5) -> Path:
    """A yfinance cache entry covering January 2024, fetched `days` ago (so it is stale)."""
    fetched = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat(timespec="seconds")
    frame = yahoo.to_history_frame(yahoo_frame(JANUARY, base=50.0, ticker=ticker), ticker)
    history = History(ticker, frame, "yfinance", "Yahoo Finance (test)", fetched)
    return cache.write_entry(cache_dir, history)


# ----------------------------------------------------------------------- failed downloads


@pytest.mark.parametrize(
    ("said", "words"),
    [
        (OFFLINE, "Could not resolve host"),
        (TIMEOUT, "Operation timed out"),
        (HTTP_500, "Yahoo status_code = 500"),
        (RATE_LIMIT, "Too Many Requests"),
    ],
    ids=["offline", "timeout", "http-500", "rate-limit"],
)
def test_transient_failures_name_the_ticker_yahoos_words_and_the_fix(
    make_settings: Callable[..., DataSettings],
    no_network: FakeDownload,
    waits: list[float],
    said: str,
    words: str,
) -> None:
    no_network.outcomes = [(None, ["\n1 Failed download:", said])]
    with pytest.raises(DataUnavailableError) as err:
        yahoo.download_history("IWM", make_settings(download_retries=3, download_backoff_s=1))
    message = str(err.value)
    assert not isinstance(err.value, UnknownTickerError)  # retried, not "no such symbol"
    assert message.startswith("IWM: the Yahoo Finance download failed after 3 attempt(s)")
    assert words in message
    assert "Check the network connection" in message and "mirror folder" in message
    assert len(no_network.calls) == 3 and waits == [1.0, 2.0]


def test_an_empty_frame_without_a_message_is_a_failure_not_an_empty_history(
    make_settings: Callable[..., DataSettings], no_network: FakeDownload
) -> None:
    no_network.outcomes = [(None, [])]  # download() returns the empty failure frame, logs nothing
    with pytest.raises(DataUnavailableError) as err:
        yahoo.download_history("IWM", make_settings(download_retries=2))
    assert "IWM: the Yahoo Finance download failed after 2 attempt(s)" in str(err.value)
    assert "an empty result and no message" in str(err.value)


@pytest.mark.parametrize(
    ("said", "words"),
    [
        (OFFLINE, "Could not resolve host"),
        (TIMEOUT, "Operation timed out"),
        (HTTP_500, "Yahoo status_code = 500"),
        (None, "an empty result and no message"),
    ],
    ids=["offline", "timeout", "http-500", "empty"],
)
def test_failed_refresh_keeps_the_cached_copy_byte_for_byte_and_uses_it(
    cache_dir: Path,
    make_settings: Callable[..., DataSettings],
    no_network: FakeDownload,
    said: str | None,
    words: str,
) -> None:
    path = old_entry(cache_dir)
    before = file_sha(path)
    no_network.outcomes = [(None, ["\n1 Failed download:", said] if said else [])]
    settings = make_settings(providers=["cache", "yfinance"], download_retries=2)
    data = load_market_data(["IWM"], "2024-01-02", "2024-01-31", settings, Path("."))
    assert data.sources["IWM"].served_from_cache
    assert data.fields["close"]["IWM"].iloc[0] == 50.0 and data.fields["close"]["IWM"].notna().all()
    [stale] = [i for i in data.issues if i.kind == "stale_cache"]
    assert stale.severity == "warning" and stale.message.startswith("IWM: using the cached copy")
    assert "refreshing failed" in stale.message
    assert words in stale.message
    assert file_sha(path) == before
    assert sorted(p.name for p in cache_dir.iterdir()) == ["IWM.parquet", "IWM.parquet.lock"]


def test_a_ticker_yahoo_does_not_know_is_bad_input_named_with_the_fix(
    cache_dir: Path,
    make_settings: Callable[..., DataSettings],
    no_network: FakeDownload,
    waits: list[float],
) -> None:
    delisted = "['XYZQ']: possibly delisted; no price data found  (1d 1900-01-01 -> 2026-11-24)"
    no_network.outcomes = [(None, ["\n1 Failed download:", delisted])]
    settings = make_settings(providers=["cache", "mirror", "yfinance"])
    with pytest.raises(UnknownTickerError) as err:
        load_market_data(["XYZQ"], "2024-01-02", "2024-01-31", settings, Path("."))
    message = str(err.value)
    assert err.value.exit_code == 2
    assert message.startswith("XYZQ: no provider has this ticker (cache: no entry")
    assert "yfinance: XYZQ: Yahoo Finance does not know this symbol" in message
    assert "Check the ticker's spelling" in message and "XYZQ.csv" in message
    assert len(no_network.calls) == 1 and waits == []  # no retry: waiting will not help
    assert not cache_dir.exists() or not list(cache_dir.iterdir())


def test_no_cache_and_no_network_names_the_ticker_and_every_provider(
    make_settings: Callable[..., DataSettings], cache_dir: Path
) -> None:
    with pytest.raises(DataUnavailableError) as err:
        load_market_data(["IWM"], "2024-01-02", "2024-01-31", make_settings(), Path("."))
    message = str(err.value)
    assert message.startswith("IWM: no provider could supply it (cache: no entry")
    assert "mirror: no file" in message and "Could not resolve host" in message
    assert "Fix the problem above (network, file) and retry" in message
    assert not cache_dir.exists() or not list(cache_dir.glob("*.parquet"))


# ----------------------------------------------------------------------- partial downloads


def test_holes_are_detected_on_the_raw_download() -> None:
    frame = with_holes(JANUARY, ["2024-01-10", "2024-01-11"])
    assert yahoo.holes(frame, "IWM") == (
        "2 row(s) without a close or adjusted close inside it (2024-01-10, 2024-01-11)"
    )
    assert yahoo.holes(yahoo_frame(JANUARY), "IWM") == ""
    trailing = with_holes(JANUARY, ["2024-01-31"])  # after the last priced row: not inside
    assert yahoo.holes(trailing, "IWM") == ""


def test_truncation_is_measured_in_sessions_before_the_due_date() -> None:
    history = History(
        "IWM", yahoo.to_history_frame(yahoo_frame(JANUARY[:9]), "IWM"), "yfinance", "", ""
    )
    assert history.frame.index[-1] == pd.Timestamp("2024-01-12")
    # 2024-01-16..2024-01-22 are 5 sessions (MLK day 2024-01-15 is not one): tolerated
    assert yahoo.truncated(history, pd.Timestamp("2024-01-22")) == ""
    assert yahoo.truncated(history, pd.Timestamp("2024-01-23")) == (
        "it ends on 2024-01-12, 6 sessions before 2024-01-23, the last closed session the "
        "request needs"
    )


def test_the_last_closed_session_excludes_today_and_holidays() -> None:
    at = pd.Timestamp
    # Tuesday 2024-01-16, mid-session: Monday was MLK day, so the last close is Friday's.
    assert yahoo.last_closed_session(at("2024-01-16 15:00", tz="UTC")) == at("2024-01-12")
    assert yahoo.last_closed_session(at("2024-01-17 01:00", tz="UTC")) == at("2024-01-16")


def test_a_download_with_holes_is_retried_and_a_whole_one_wins(
    cache_dir: Path, make_settings: Callable[..., DataSettings], no_network: FakeDownload
) -> None:
    no_network.outcomes = [(with_holes(JANUARY, ["2024-01-10"]), []), (yahoo_frame(JANUARY), [])]
    settings = make_settings(providers=["cache", "yfinance"])
    data = load_market_data(["IWM"], "2024-01-02", "2024-01-31", settings, Path("."))
    assert len(no_network.calls) == 2
    assert not [i for i in data.issues if i.kind == "partial_download"]
    assert data.fields["close"]["IWM"].notna().all()
    assert cache.read_entry(cache_dir, "IWM") is not None  # the whole copy was cached


def test_a_download_with_holes_is_used_flagged_and_never_cached(
    cache_dir: Path, make_settings: Callable[..., DataSettings], no_network: FakeDownload
) -> None:
    no_network.outcomes = [(with_holes(JANUARY, ["2024-01-10", "2024-01-11"]), [])]
    settings = make_settings(providers=["cache", "yfinance"], download_retries=3)
    data = load_market_data(["IWM"], "2024-01-02", "2024-01-31", settings, Path("."))
    assert len(no_network.calls) == 3  # retried: Yahoo's holes are often transient
    [partial] = [i for i in data.issues if i.kind == "partial_download"]
    assert partial.severity == "warning"
    assert partial.message.startswith(
        "IWM: the yfinance download is partial (2 row(s) without a close or adjusted close "
        "inside it (2024-01-10, 2024-01-11)); it is used for this run as published (gaps stay "
        "NaN) but not cached."
    )
    assert "data update IWM" in partial.message
    close = data.fields["close"]["IWM"]
    assert close[["2024-01-10", "2024-01-11"]].isna().all()  # never filled
    [gaps] = [i for i in data.issues if i.kind == "missing_sessions"]
    assert gaps.dates == ("2024-01-10", "2024-01-11")
    assert not data.sources["IWM"].served_from_cache
    assert not (cache_dir / "IWM.parquet").exists()
    leftovers = [p.name for p in cache_dir.iterdir()] if cache_dir.exists() else []
    assert [n for n in leftovers if not n.endswith(".lock")] == []


def test_a_truncated_download_is_flagged_and_not_cached(
    cache_dir: Path, make_settings: Callable[..., DataSettings], no_network: FakeDownload
) -> None:
    no_network.outcomes = [(yahoo_frame(JANUARY[:9]), [])]  # ends 2024-01-12
    settings = make_settings(providers=["cache", "yfinance"])
    data = load_market_data(["IWM"], "2024-01-02", "2024-01-31", settings, Path("."))
    [partial] = [i for i in data.issues if i.kind == "partial_download"]
    assert "it ends on 2024-01-12, 12 sessions before 2024-01-31" in partial.message
    assert [i.kind for i in data.issues if i.kind == "ends_early"] == ["ends_early"]
    assert data.fields["close"]["IWM"]["2024-01-16":].isna().all()
    assert not (cache_dir / "IWM.parquet").exists()
    # The same short download is whole for a request ending within the tolerance: cached.
    data = load_market_data(["IWM"], "2024-01-02", "2024-01-19", settings, Path("."))
    assert not [i for i in data.issues if i.kind == "partial_download"]
    assert cache.read_entry(cache_dir, "IWM") is not None


def test_a_partial_download_keeps_a_cached_copy_that_covers_the_request(
    cache_dir: Path, make_settings: Callable[..., DataSettings], no_network: FakeDownload
) -> None:
    path = old_entry(cache_dir)
    before = file_sha(path)
    no_network.outcomes = [(with_holes(JANUARY, ["2024-01-10"]), [])]
    settings = make_settings(providers=["cache", "yfinance"], download_retries=1)
    data = load_market_data(["IWM"], "2024-01-02", "2024-01-31", settings, Path("."))
    [partial] = [i for i in data.issues if i.kind == "partial_download"]
    assert "the cached copy fetched at" in partial.message
    assert "covers the request and was used, and left unchanged" in partial.message
    assert data.sources["IWM"].served_from_cache
    assert data.fields["close"]["IWM"].notna().all()  # the cached copy has no hole
    assert data.fields["close"]["IWM"].iloc[0] == 50.0
    assert file_sha(path) == before


def test_a_partial_download_falls_through_to_a_later_provider(
    mirror_dir: Path,
    cache_dir: Path,
    make_settings: Callable[..., DataSettings],
    no_network: FakeDownload,
) -> None:
    write_csv(mirror_dir, "IWM", ohlcv_rows(JANUARY))
    no_network.outcomes = [(with_holes(JANUARY, ["2024-01-10"]), [])]
    settings = make_settings(providers=["cache", "yfinance", "mirror"], download_retries=1)
    data = load_market_data(["IWM"], "2024-01-02", "2024-01-31", settings, Path("."))
    assert data.sources["IWM"].provider == "mirror"
    [failed] = [i for i in data.issues if i.kind == "provider_failed"]
    assert "yfinance: partial download: 1 row(s) without a close" in failed.message
    assert cache.read_entry(cache_dir, "IWM").provider == "mirror"  # type: ignore[union-attr]


def test_data_update_refuses_a_partial_download_and_leaves_the_cache(
    cache_dir: Path, make_settings: Callable[..., DataSettings], no_network: FakeDownload
) -> None:
    path = old_entry(cache_dir)
    before = file_sha(path)
    no_network.outcomes = [(with_holes(JANUARY, ["2024-01-10"]), [])]
    settings = make_settings(download_retries=1)
    with pytest.raises(DataUnavailableError) as err:
        update_tickers(["IWM"], settings, Path("."), source="yfinance")
    message = str(err.value)
    assert "update failed for IWM: no provider could supply it (yfinance: partial download:" in (
        message
    )
    assert "1 row(s) without a close or adjusted close inside it (2024-01-10)" in message
    assert message.endswith("The cache entry was left unchanged.")
    assert file_sha(path) == before


def test_the_cache_refuses_a_partial_history(cache_dir: Path) -> None:
    frame = yahoo.to_history_frame(yahoo_frame(JANUARY), "IWM")
    partial = History("IWM", frame, "yfinance", "test", cache.utc_now_iso(), partial="holes")
    with pytest.raises(DataUnavailableError, match=r"IWM: not cached: the history is partial"):
        cache.write_entry(cache_dir, partial)
    assert not (cache_dir / "IWM.parquet").exists()
