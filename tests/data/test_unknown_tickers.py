"""An unknown ticker is bad input with a short message and the closest known tickers, even
when Yahoo Finance cannot be reached to confirm it (tests/data/conftest.py keeps every test
offline: yfinance.download fails like it does without a network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli.main import main
from engine.data import update_tickers
from engine.errors import DataUnavailableError, UnknownTickerError
from strategies import discover

from .conftest import FakeDownload, ohlcv_rows, sessions, write_csv

STRATEGIES = discover()


@pytest.fixture
def known(mirror_dir: Path) -> Path:
    for ticker in ("QQQ", "SPY", "IWM"):
        write_csv(mirror_dir, ticker, ohlcv_rows(sessions("2024-01-02", "2024-03-28")))
    return mirror_dir


def test_a_typo_with_yahoo_unreachable_is_bad_input_with_a_suggestion(
    known: Path, make_settings, no_network: FakeDownload, waits: list[float]
) -> None:
    settings = make_settings(download_retries=3)
    with pytest.raises(UnknownTickerError) as err:
        update_tickers(["QQQQ"], settings, Path("/"))
    message = str(err.value)
    assert message.startswith(
        "update failed for QQQQ: unknown ticker (no mirror file or cache entry, and Yahoo "
        "Finance could not be reached to check it); did you mean QQQ? Fix the spelling, or put "
        "a QQQQ.csv file"
    )
    assert "Could not resolve host" in message  # Yahoo's own words, shortened
    assert len(message) < 900
    assert len(no_network.calls) == 1 and waits == []  # one attempt, no retry, no backoff


def test_through_the_cli_it_is_exit_2_and_one_line(known: Path, cache_dir: Path, capsys) -> None:
    argv = ["data", "update", "SPYY", "--set", f"data.mirror_dir='{known}'"]
    argv += ["--set", f"data.cache_dir='{cache_dir}'"]
    code = main(STRATEGIES, argv)
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "SPYY: unknown ticker" in err and "did you mean SPY?" in err


def test_a_far_name_with_yahoo_unreachable_stays_a_failure_with_retries(
    known: Path, make_settings, no_network: FakeDownload, waits: list[float]
) -> None:
    """Nothing close is known: it may be a real ticker and the network the problem (exit 1),
    so the download is retried as configured."""
    with pytest.raises(DataUnavailableError) as err:
        update_tickers(["XBI"], make_settings(download_retries=3), Path("/"))
    assert not isinstance(err.value, UnknownTickerError)
    assert "XBI: no provider could supply it" in str(err.value)
    assert len(no_network.calls) == 3 and waits == [0.5, 1.0]


def test_a_typo_of_a_ticker_yahoo_says_does_not_exist_also_suggests(
    known: Path, make_settings, no_network: FakeDownload
) -> None:
    no_network.outcomes = [
        (
            None,
            [
                "\n1 Failed download:",
                "['IWMM']: YFTzMissingError('possibly delisted; no timezone found')",
            ],
        )
    ]
    with pytest.raises(UnknownTickerError) as err:
        update_tickers(["IWMM"], make_settings(), Path("/"))
    assert "did you mean IWM?" in str(err.value) and "no provider has it" in str(err.value)
