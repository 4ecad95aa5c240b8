"""Fixtures of the data-layer tests: tiny mirror folders, settings, a yfinance that never
touches the network, and builders of frames shaped exactly like yfinance 1.7 returns them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.calendar import nyse_sessions
from engine.config.settings import DataSettings
from engine.data import yahoo

HEADER = "date,open,high,low,close,adj_close,volume"
REAL_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "market-data"
DNS_ERROR = (
    "DNSError('Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com.')"
)


def ohlcv_rows(dates: Iterable[pd.Timestamp], base: float = 100.0) -> list[str]:
    """CSV lines with a slowly rising, internally consistent OHLCV bar per date."""
    lines = []
    for i, d in enumerate(dates):
        close = base + i
        lines.append(
            f"{pd.Timestamp(d).date()},{close - 0.5:.6f},{close + 1:.6f},{close - 1:.6f},"
            f"{close:.6f},{close * 0.9:.6f},{1000 + i}"
        )
    return lines


def write_csv(folder: Path, ticker: str, lines: Iterable[str], header: str = HEADER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ticker}.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def sessions(start: str, end: str) -> pd.DatetimeIndex:
    return nyse_sessions(start, end)


@pytest.fixture
def mirror_dir(tmp_path: Path) -> Path:
    path = tmp_path / "mirror"
    path.mkdir()
    return path


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def make_settings(mirror_dir: Path, cache_dir: Path) -> Callable[..., DataSettings]:
    """DataSettings pointing at the test folders (absolute), no backoff wait."""

    def make(**overrides: object) -> DataSettings:
        values: dict[str, object] = {
            "mirror_dir": str(mirror_dir),
            "cache_dir": str(cache_dir),
            "download_backoff_s": 0.5,
        }
        values.update(overrides)
        return DataSettings(**values)

    return make


# ----------------------------------------------------------------------------- yfinance fakes


def yf_per_ticker(index: pd.DatetimeIndex, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """One ticker's history as yfinance's Ticker.history gives it (tz-aware 'Date' index)."""
    frame = pd.DataFrame(
        {k: values[k] for k in ("Open", "High", "Low", "Close", "Adj Close", "Volume")},
        index=pd.DatetimeIndex(index).tz_localize("America/New_York"),
    )
    frame.index.name = "Date"
    return frame


def yf_download_shape(ticker: str, per_ticker: pd.DataFrame) -> pd.DataFrame:
    """Assemble the download() result exactly as yfinance/multi.py does for one ticker."""
    from yfinance import multi

    dfs = {ticker.upper(): per_ticker.copy()}
    for key, df in dfs.items():  # ignore_tz=True for daily bars
        if df is not None and df.shape[0] > 0:
            dfs[key].index = df.index.tz_localize(None)
    dfs = multi.reindex_dfs(dfs, True)
    data = pd.concat(dfs.values(), axis=1, sort=True, keys=dfs.keys(), names=["Ticker", "Price"])
    data.columns = data.columns.swaplevel(0, 1)
    return data.sort_index(level=0, axis=1)


def yf_failure_frame(ticker: str) -> pd.DataFrame:
    """What download() returns when the ticker failed: utils.empty_df() through multi.py."""
    from yfinance import utils

    return yf_download_shape(ticker, utils.empty_df())


class FakeDownload:
    """Stands in for yfinance.download: replays scripted outcomes and records the calls.

    Each outcome is (frame_or_None, [log messages]); the messages are logged to the
    'yfinance' logger at ERROR level like multi.py does. The last outcome repeats.
    """

    def __init__(self, outcomes: list[tuple[pd.DataFrame | None, list[str]]]) -> None:
        self.outcomes = outcomes
        self.calls: list[dict[str, object]] = []

    def __call__(self, tickers: str, **kwargs: object) -> pd.DataFrame:
        self.calls.append({"tickers": tickers, **kwargs})
        frame, messages = self.outcomes[min(len(self.calls), len(self.outcomes)) - 1]
        logger = logging.getLogger("yfinance")
        for message in messages:
            logger.error(message)
        return frame if frame is not None else yf_failure_frame(str(tickers))


def offline(ticker: str = "X") -> tuple[None, list[str]]:
    """The outcome of a download on a machine without network."""
    return None, ["\n1 Failed download:", f"['{ticker}']: {DNS_ERROR}"]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> FakeDownload:
    """Every test runs offline: yfinance.download fails like it does without a network."""
    import yfinance

    fake = FakeDownload([offline()])
    monkeypatch.setattr(yfinance, "download", fake)
    return fake


@pytest.fixture(autouse=True)
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff waits the downloader asked for (nothing really sleeps)."""
    recorded: list[float] = []
    monkeypatch.setattr(yahoo, "sleep", recorded.append)
    return recorded


@pytest.fixture
def real_data() -> Path:
    if not REAL_DATA.is_dir():
        pytest.skip(f"the offline market-data mirror {REAL_DATA} is absent")
    return REAL_DATA.resolve()
