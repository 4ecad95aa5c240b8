"""The yfinance provider against fakes shaped exactly like yfinance 1.7's download()."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.config.settings import DataSettings
from engine.data import cache, load_market_data, yahoo
from engine.errors import DataUnavailableError, UnknownTickerError

from .conftest import (
    DNS_ERROR,
    FakeDownload,
    offline,
    sessions,
    yf_download_shape,
    yf_failure_frame,
    yf_per_ticker,
)

DELISTED = "['XYZQ']: possibly delisted; no price data found  (1d 1900-01-01 -> 2026-11-24)"


def good_frame(ticker: str = "IWM", n: int = 10) -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    index = sessions("2024-03-01", "2024-04-30")[:n]
    i = np.arange(n, dtype=float)
    values = {
        "Open": 100 + i,
        "High": 102 + i,
        "Low": 99 + i,
        "Close": 101 + i,
        "Adj Close": 95 + i,
        "Volume": 1_000_000 + i,
    }
    return yf_download_shape(ticker, yf_per_ticker(index, values)), index


def test_fake_has_yfinance_download_shape() -> None:
    frame, _ = good_frame()
    assert frame.columns.names == ["Price", "Ticker"]
    assert list(frame.columns.get_level_values(0)) == [
        "Adj Close",
        "Close",
        "High",
        "Low",
        "Open",
        "Volume",
    ]
    assert frame.index.name == "Date" and frame.index.tz is None
    failure = yf_failure_frame("XYZQ")
    assert failure.empty and failure.columns.names == ["Price", "Ticker"]


def test_download_maps_columns_to_fields(
    make_settings: Callable[..., DataSettings], no_network: FakeDownload
) -> None:
    frame, index = good_frame()
    no_network.outcomes = [(frame, [])]
    history = yahoo.download_history("IWM", make_settings(download_timeout_s=7.5))
    out = history.frame
    assert list(out.index) == list(index)
    assert out.index.name == "date" and str(out.index.dtype) == "datetime64[ns]"
    first = out.iloc[0]
    assert (first["open"], first["high"], first["low"]) == (100.0, 102.0, 99.0)
    assert (first["close"], first["adj_close"], first["volume"]) == (101.0, 95.0, 1_000_000.0)
    assert (out.dtypes == "float64").all()
    assert history.provider == "yfinance" and history.origin.startswith("Yahoo Finance (yfinance")
    call = no_network.calls[0]
    assert call["tickers"] == "IWM"
    assert call["auto_adjust"] is False and call["actions"] is False
    assert call["progress"] is False and call["threads"] is False
    assert call["multi_level_index"] is True and call["timeout"] == 7.5
    assert call["start"] == "1900-01-01"
    assert pd.Timestamp(call["end"]) > pd.Timestamp.now().normalize()


def test_rows_without_any_close_are_dropped(
    make_settings: Callable[..., DataSettings], no_network: FakeDownload
) -> None:
    index = sessions("2024-03-01", "2024-03-31")[:4]
    nan = np.nan
    values = {
        "Open": np.array([1.0, nan, 3.0, 4.0]),
        "High": np.array([1.0, nan, 3.0, 4.0]),
        "Low": np.array([1.0, nan, 3.0, 4.0]),
        "Close": np.array([1.0, nan, nan, 4.0]),
        "Adj Close": np.array([1.0, nan, 3.0, 4.0]),
        "Volume": np.array([1.0, nan, 3.0, 4.0]),
    }
    no_network.outcomes = [(yf_download_shape("ABC", yf_per_ticker(index, values)), [])]
    out = yahoo.download_history("ABC", make_settings()).frame
    assert list(out.index) == [index[0], index[2], index[3]]
    assert np.isnan(out.loc[index[2], "close"]) and out.loc[index[2], "adj_close"] == 3.0


def test_empty_result_after_retries_names_ticker_and_yahoos_words(
    make_settings: Callable[..., DataSettings], no_network: FakeDownload, waits: list[float]
) -> None:
    no_network.outcomes = [offline("IWM")]
    with pytest.raises(DataUnavailableError) as err:
        yahoo.download_history("IWM", make_settings(download_retries=3, download_backoff_s=2))
    message = str(err.value)
    assert message.startswith("IWM:")
    assert "Could not resolve host" in message and "3 attempt(s)" in message
    assert "mirror folder" in message
    assert not isinstance(err.value, UnknownTickerError)
    assert len(no_network.calls) == 3
    assert waits == [2.0, 4.0]


def test_all_nan_closes_is_a_failure(
    make_settings: Callable[..., DataSettings], no_network: FakeDownload
) -> None:
    index = sessions("2024-03-01", "2024-03-31")[:3]
    nan3 = np.full(3, np.nan)
    values = {k: nan3 for k in ("Open", "High", "Low", "Close", "Adj Close", "Volume")}
    frame = yf_download_shape("ABC", yf_per_ticker(index, values))
    no_network.outcomes = [(frame, [])]
    with pytest.raises(DataUnavailableError, match=r"ABC: .*every close was empty"):
        yahoo.download_history("ABC", make_settings(download_retries=2))
    assert len(no_network.calls) == 2


def test_transient_failure_then_success_is_retried_with_backoff(
    make_settings: Callable[..., DataSettings], no_network: FakeDownload, waits: list[float]
) -> None:
    frame, _ = good_frame("SPY")
    no_network.outcomes = [offline("SPY"), offline("SPY"), (frame, [])]
    history = yahoo.download_history(
        "SPY", make_settings(download_retries=4, download_backoff_s=1.5)
    )
    assert history.rows == 10
    assert len(no_network.calls) == 3
    assert waits == [1.5, 3.0]


def test_possibly_delisted_is_an_unknown_ticker_without_retries(
    make_settings: Callable[..., DataSettings], no_network: FakeDownload, waits: list[float]
) -> None:
    no_network.outcomes = [(None, ["\n1 Failed download:", DELISTED])]
    with pytest.raises(UnknownTickerError) as err:
        yahoo.download_history("XYZQ", make_settings(download_retries=3))
    assert "XYZQ" in str(err.value) and "possibly delisted" in str(err.value)
    assert "spelling" in str(err.value)
    assert len(no_network.calls) == 1 and waits == []


def test_a_raising_yfinance_is_treated_as_transient(
    make_settings: Callable[..., DataSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    import yfinance

    def boom(*args: object, **kwargs: object) -> pd.DataFrame:
        raise RuntimeError("internal yfinance bug")

    monkeypatch.setattr(yfinance, "download", boom)
    with pytest.raises(DataUnavailableError, match="RuntimeError: internal yfinance bug"):
        yahoo.download_history("IWM", make_settings(download_retries=1))


def test_yfinance_logs_do_not_leak_and_logger_is_restored(
    make_settings: Callable[..., DataSettings], capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    logger = logging.getLogger("yfinance")
    before = (logger.level, logger.propagate, list(logger.handlers))
    with pytest.raises(DataUnavailableError):
        yahoo.download_history("IWM", make_settings(download_retries=1))
    assert (logger.level, logger.propagate, list(logger.handlers)) == before
    assert DNS_ERROR not in capsys.readouterr().err


def test_loader_downloads_caches_and_unknown_ticker_lists_provider_answers(
    cache_dir: Path, make_settings: Callable[..., DataSettings], no_network: FakeDownload
) -> None:
    frame, index = good_frame("QQQ")
    no_network.outcomes = [(frame, [])]
    settings = make_settings()
    data = load_market_data(["qqq"], index[0], index[-1], settings, Path("."))
    assert data.tickers == ["QQQ"]
    assert data.sources["QQQ"].provider == "yfinance"
    assert data.fields["adj_close"]["QQQ"].iloc[0] == 95.0
    assert cache.read_meta(cache_dir / "QQQ.parquet")["provider"] == "yfinance"

    no_network.outcomes = [(None, ["\n1 Failed download:", DELISTED])]
    with pytest.raises(UnknownTickerError) as err:
        load_market_data(["XYZQ"], index[0], index[-1], settings, Path("."))
    message = str(err.value)
    assert "cache: no entry" in message and "mirror: no file" in message
    assert "XYZQ.csv" in message and "yfinance:" in message and "possibly delisted" in message


def test_offline_unknown_ticker_is_unavailable_not_unknown(
    make_settings: Callable[..., DataSettings],
) -> None:
    with pytest.raises(DataUnavailableError) as err:
        load_market_data(["NEWCO"], "2024-01-02", "2024-01-31", make_settings(), Path("."))
    assert not isinstance(err.value, UnknownTickerError)
    assert "NEWCO" in str(err.value) and "Could not resolve host" in str(err.value)


def test_broken_mirror_file_falls_through_to_yahoo_with_a_warning(
    mirror_dir: Path, make_settings: Callable[..., DataSettings], no_network: FakeDownload
) -> None:
    path = mirror_dir / "QQQ.csv"
    path.write_text("date,open,high,low,close,adj_close,volume\nnot-a-date,1,1,1,1,1,1\n")
    frame, index = good_frame("QQQ")
    no_network.outcomes = [(frame, [])]
    data = load_market_data(["QQQ"], index[0], index[-1], make_settings(), Path("."))
    assert data.sources["QQQ"].provider == "yfinance"
    [failed] = [i for i in data.issues if i.kind == "provider_failed"]
    assert failed.severity == "warning" and f"{path}, line 2" in failed.message
