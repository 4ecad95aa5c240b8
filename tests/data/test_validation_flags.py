"""Suspicious data is flagged, never altered; bad requests are refused naming every culprit.

Covers the configurable one-day move bound (`data.max_daily_move`), a late-starting history,
the alignment rule of yield series on bond-market holidays, duplicate dates named by file line,
several unknown tickers named in one message, and a period in which no ticker has a price.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.config.settings import DataSettings
from engine.data import DataIssue, MarketData, load_market_data
from engine.errors import BadInputError, DataQualityError, DataUnavailableError, UnknownTickerError

from .conftest import HEADER, ohlcv_rows, sessions, write_csv


def issues_of(data: MarketData, kind: str, ticker: str | None = None) -> list[DataIssue]:
    return [i for i in data.issues if i.kind == kind and (ticker is None or i.ticker == ticker)]


def load(settings: DataSettings, tickers: list[str], start: str, end: str) -> MarketData:
    return load_market_data(tickers, start, end, settings, Path("."))


def closes_csv(folder: Path, ticker: str, closes: dict[str, float]) -> Path:
    """A close-only mirror file (empty open/high/low/volume)."""
    return write_csv(folder, ticker, [f"{d},,,,{c},{c}," for d, c in closes.items()])


def test_one_day_move_bound_is_configurable_and_values_are_kept(
    mirror_dir: Path, make_settings: Callable[..., DataSettings]
) -> None:
    days = sessions("2024-01-02", "2024-01-12")
    moves = [1.0, 1.0, 1.15, 1.0, 1.0, 0.68, 1.0, 1.0, 1.0]  # +15% on day 2, -32% on day 5
    closes = dict(zip([d.date().isoformat() for d in days], 100 * np.cumprod(moves), strict=True))
    closes_csv(mirror_dir, "ETF", closes)

    default = load(make_settings(providers=["mirror"]), ["ETF"], "2024-01-02", "2024-01-12")
    assert DataSettings().max_daily_move == 0.25
    [move] = issues_of(default, "large_move")
    assert move.severity == "warning" and move.dates == ("2024-01-09",)
    assert move.message == (
        "ETF: adj_close moves more than 25% (data.max_daily_move = 0.25) in one session on 1 "
        "date(s) (2024-01-09; largest -32.0%); check for an unadjusted split or a bad print"
    )

    tight = load(
        make_settings(providers=["mirror"], max_daily_move=0.1), ["ETF"], "2024-01-02", "2024-01-12"
    )
    [move] = issues_of(tight, "large_move")
    assert move.dates == ("2024-01-04", "2024-01-09")
    assert "more than 10% (data.max_daily_move = 0.1)" in move.message
    for data in (default, tight):  # flagged, never altered
        np.testing.assert_allclose(data.adj_close["ETF"].to_numpy(), list(closes.values()))

    loose = load(
        make_settings(providers=["mirror"], max_daily_move=0.5), ["ETF"], "2024-01-02", "2024-01-12"
    )
    assert not issues_of(loose, "large_move")


def test_a_history_starting_after_the_requested_start_is_flagged(
    mirror_dir: Path, make_settings: Callable[..., DataSettings]
) -> None:
    write_csv(mirror_dir, "NEW", ohlcv_rows(sessions("2024-01-10", "2024-01-31")))
    data = load(make_settings(providers=["mirror"]), ["NEW"], "2024-01-02", "2024-01-31")
    [late] = issues_of(data, "starts_late")
    assert late.severity == "info" and late.dates == ("2024-01-10",)
    assert late.message == (
        "NEW: history starts on 2024-01-10, after the first requested session 2024-01-02; "
        "earlier sessions are NaN"
    )
    assert data.adj_close["NEW"][:"2024-01-09"].isna().all()
    assert data.adj_close["NEW"]["2024-01-10":].notna().all()


def test_yield_gaps_on_bond_market_holidays_follow_a_stated_rule(
    mirror_dir: Path, make_settings: Callable[..., DataSettings]
) -> None:
    """^TNX skips Columbus Day and Veterans Day 2022 (NYSE open, bond market shut)."""
    days = sessions("2022-10-03", "2022-11-18")
    holidays = ["2022-10-10", "2022-11-11"]
    kept = days.drop(pd.DatetimeIndex(holidays))
    closes_csv(mirror_dir, "^TNX", {d.date().isoformat(): 4.0 for d in kept})
    data = load(make_settings(providers=["mirror"]), ["^TNX"], "2022-10-03", "2022-11-18")
    [gaps] = issues_of(data, "missing_sessions")
    assert gaps.severity == "info"  # every gap is explained by the bond-market calendar
    assert gaps.dates == tuple(holidays)
    assert "2 of them are US federal holidays (bond market closed, NYSE open)" in gaps.message
    assert "Rule: a yield is aligned to NYSE sessions like any series" in gaps.message
    assert "a cash yield carries the last published rate over them" in gaps.message
    assert data.adj_close["^TNX"][holidays].isna().all()  # aligned, never silently filled

    # A gap on an ordinary session of a yield series stays a warning.
    closes_csv(
        mirror_dir,
        "^TNX",
        {d.date().isoformat(): 4.0 for d in kept.drop(pd.Timestamp("2022-10-19"))},
    )
    data = load(make_settings(providers=["mirror"]), ["^TNX"], "2022-10-03", "2022-11-18")
    [gaps] = issues_of(data, "missing_sessions")
    assert gaps.severity == "warning" and "2 of them are US federal holidays" in gaps.message
    assert gaps.dates == ("2022-10-10", "2022-10-19", "2022-11-11")


@pytest.mark.realdata
def test_real_ten_year_yield_gaps_are_all_bond_market_holidays(
    real_data: Path, tmp_path: Path
) -> None:
    settings = DataSettings(
        providers=["mirror"], mirror_dir=str(real_data), cache_dir=str(tmp_path / "c")
    )
    data = load(settings, ["^TNX"], "2000-01-01", "2026-07-31")
    [gaps] = issues_of(data, "missing_sessions")
    assert gaps.dates == (
        "2003-11-11",
        "2005-10-10",
        "2005-11-11",
        "2006-10-09",
        "2010-10-11",
        "2016-11-11",
    )
    assert gaps.severity == "info" and "6 of them are US federal holidays" in gaps.message


def test_duplicate_dates_are_refused_naming_file_and_lines(
    mirror_dir: Path, make_settings: Callable[..., DataSettings], cache_dir: Path
) -> None:
    rows = ohlcv_rows(sessions("2024-01-02", "2024-01-10"))
    path = write_csv(mirror_dir, "DUP", [*rows[:3], rows[2].replace(",102.", ",99."), *rows[3:]])
    settings = make_settings(providers=["cache", "mirror"])
    with pytest.raises(DataQualityError) as err:
        load(settings, ["DUP"], "2024-01-02", "2024-01-10")
    message = str(err.value)
    assert message.startswith("DUP: 1 date(s) appear more than once (2024-01-04 on lines 4, 5);")
    assert f"(source: {path.resolve()})" in message
    assert not (cache_dir / "DUP.parquet").exists()


def test_every_unknown_ticker_is_named_in_one_message(
    mirror_dir: Path, make_settings: Callable[..., DataSettings]
) -> None:
    write_csv(mirror_dir, "AAA", ohlcv_rows(sessions("2024-01-02", "2024-01-31")))
    settings = make_settings(providers=["mirror"])
    with pytest.raises(UnknownTickerError) as err:
        load(settings, ["ZZZ", "AAA", "YYY"], "2024-01-02", "2024-01-31")
    message = str(err.value)
    assert message.startswith("2 tickers could not be loaded (ZZZ, YYY); no provider has ZZZ, YYY.")
    assert "ZZZ: no provider has this ticker (mirror: no file" in message
    assert "YYY: no provider has this ticker (mirror: no file" in message
    assert err.value.exit_code == 2


def test_unknown_and_unreadable_tickers_are_named_together_as_a_failure(
    mirror_dir: Path, make_settings: Callable[..., DataSettings]
) -> None:
    bad = mirror_dir / "BAD.csv"
    bad.write_text(f"{HEADER}\n2024-01-02,1,2,0.5,1.5,1.5,10\n2024-01-33,1,2,0.5,1.5,1.5,10\n")
    with pytest.raises(DataUnavailableError) as err:
        load(make_settings(providers=["mirror"]), ["BAD", "ZZZ"], "2024-01-02", "2024-01-31")
    message = str(err.value)
    assert not isinstance(err.value, UnknownTickerError) and err.value.exit_code == 1
    assert message.startswith("2 tickers could not be loaded (BAD, ZZZ); no provider has ZZZ.")
    assert f"{bad}, line 3: unparsable date '2024-01-33'" in message


def test_a_period_without_any_price_is_refused(
    mirror_dir: Path, make_settings: Callable[..., DataSettings]
) -> None:
    write_csv(mirror_dir, "AAA", ohlcv_rows(sessions("2024-01-02", "2024-01-31")))
    write_csv(mirror_dir, "BBB", ohlcv_rows(sessions("2024-01-10", "2024-01-31")))
    settings = make_settings(providers=["mirror"])
    for start, end in (("2023-06-01", "2023-12-29"), ("1960-01-04", "1960-12-30")):
        with pytest.raises(BadInputError) as err:
            load(settings, ["AAA", "BBB"], start, end)
        assert str(err.value).startswith(f"no price for any of AAA, BBB between {start} and {end}")
        assert "AAA 2024-01-02 to 2024-01-31, BBB 2024-01-10 to 2024-01-31" in str(err.value)
        assert "(backtest.start / backtest.end)" in str(err.value)
