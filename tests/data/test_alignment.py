"""Alignment on NYSE sessions and validation findings, on small synthetic mirror files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.config.settings import DataSettings
from engine.data import DataIssue, MarketData, load_market_data
from engine.errors import BadInputError, DataQualityError, UnknownTickerError

from .conftest import ohlcv_rows, sessions, write_csv


def issues_of(data: MarketData, kind: str, ticker: str | None = None) -> list[DataIssue]:
    return [i for i in data.issues if i.kind == kind and (ticker is None or i.ticker == ticker)]


@pytest.fixture
def mirror_only(make_settings: Callable[..., DataSettings]) -> DataSettings:
    return make_settings(providers=["mirror"])


def load(settings: DataSettings, tickers: list[str], start: str, end: str) -> MarketData:
    return load_market_data(tickers, start, end, settings, Path("."))


def test_frames_share_session_index_and_requested_column_order(
    mirror_dir: Path, mirror_only: DataSettings
) -> None:
    write_csv(mirror_dir, "BBB", ohlcv_rows(sessions("2024-01-02", "2024-03-28")))
    write_csv(mirror_dir, "AAA", ohlcv_rows(sessions("2024-01-02", "2024-03-28")))
    data = load(mirror_only, ["bbb", "AAA"], "2024-01-01", "2024-03-31")
    expected = sessions("2024-01-01", "2024-03-31")
    for name, frame in data.fields.items():
        assert list(frame.columns) == ["BBB", "AAA"], name
        assert frame.index.equals(expected) and frame.index.name == "date"
        assert str(frame.index.dtype) == "datetime64[ns]"
        assert (frame.dtypes == "float64").all()
    assert "2024-03-29" not in data.index.strftime("%Y-%m-%d")  # Good Friday 2024
    assert not data.issues


def test_request_errors(mirror_dir: Path, mirror_only: DataSettings) -> None:
    write_csv(mirror_dir, "AAA", ohlcv_rows(sessions("2024-01-02", "2024-01-31")))
    with pytest.raises(BadInputError, match="AAA is requested twice"):
        load(mirror_only, ["AAA", "aaa"], "2024-01-01", "2024-01-31")
    with pytest.raises(BadInputError, match="not a valid symbol"):
        load(mirror_only, ["../etc/passwd"], "2024-01-01", "2024-01-31")
    with pytest.raises(BadInputError, match="no NYSE session"):
        load(mirror_only, ["AAA"], "2024-01-13", "2024-01-15")
    with pytest.raises(UnknownTickerError, match=r"ZZZ: .*mirror: no file .*ZZZ\.csv"):
        load(mirror_only, ["ZZZ"], "2024-01-01", "2024-01-31")


def test_missing_session_is_nan_and_reported(mirror_dir: Path, mirror_only: DataSettings) -> None:
    days = sessions("2024-01-02", "2024-01-31")
    gap = pd.Timestamp("2024-01-10")
    write_csv(mirror_dir, "AAA", ohlcv_rows(days.drop(gap)))
    data = load(mirror_only, ["AAA"], "2024-01-01", "2024-01-31")
    assert gap in data.index
    assert data.fields["close"].loc[gap].isna().all()
    [issue] = issues_of(data, "missing_sessions")
    assert issue.ticker == "AAA" and issue.severity == "warning"
    assert issue.dates == ("2024-01-10",)


def test_non_session_date_is_dropped_and_reported(
    mirror_dir: Path, mirror_only: DataSettings
) -> None:
    days = sessions("2024-01-02", "2024-01-31")
    dates = days.union(pd.DatetimeIndex(["2024-01-13", "2024-01-15"]))  # Saturday, MLK day
    write_csv(mirror_dir, "AAA", ohlcv_rows(dates))
    data = load(mirror_only, ["AAA"], "2024-01-01", "2024-01-31")
    assert data.index.equals(sessions("2024-01-01", "2024-01-31"))
    [issue] = issues_of(data, "non_session_dates")
    assert issue.severity == "info" and issue.dates == ("2024-01-13", "2024-01-15")
    assert not issues_of(data, "missing_sessions")


def test_bounded_forward_fill(mirror_dir: Path, make_settings: Callable[..., DataSettings]) -> None:
    days = sessions("2024-01-02", "2024-02-29")
    one = ["2024-01-10"]
    two = ["2024-01-17", "2024-01-18"]
    three = ["2024-01-24", "2024-01-25", "2024-01-26"]
    write_csv(mirror_dir, "AAA", ohlcv_rows(days.drop(pd.DatetimeIndex(one + two + three))))
    settings = make_settings(providers=["mirror"], max_ffill_sessions=2)
    data = load(settings, ["AAA"], "2023-12-20", "2024-03-08")
    close = data.fields["close"]["AAA"]

    [filled] = issues_of(data, "forward_filled")
    assert filled.severity == "warning"
    assert filled.dates == tuple(one + two)
    assert close["2024-01-10"] == close["2024-01-09"]
    assert close["2024-01-17"] == close["2024-01-18"] == close["2024-01-16"]
    assert (
        data.fields["adj_close"]["AAA"]["2024-01-18"]
        == data.fields["adj_close"]["AAA"]["2024-01-16"]
    )
    assert data.fields["open"]["AAA"]["2024-01-10"] == close["2024-01-09"]  # flat bar
    assert data.fields["volume"]["AAA"]["2024-01-10"] == 0.0
    assert close[three].isna().all()  # a 3-session gap is longer than the bound
    [missing] = issues_of(data, "missing_sessions")
    assert missing.dates == tuple(three)
    assert close[:"2024-01-01"].isna().all()  # never before the first row
    assert close["2024-03-01":].isna().all()  # never after the last row
    assert [i.kind for i in data.issues if i.kind in ("starts_late", "ends_early")] == [
        "starts_late",
        "ends_early",
    ]


def test_forward_fill_counts_the_gap_outside_the_requested_range(
    mirror_dir: Path, make_settings: Callable[..., DataSettings]
) -> None:
    days = sessions("2024-01-02", "2024-01-31")
    gap = pd.DatetimeIndex(["2024-01-09", "2024-01-10", "2024-01-11"])
    write_csv(mirror_dir, "AAA", ohlcv_rows(days.drop(gap)))
    settings = make_settings(providers=["mirror"], max_ffill_sessions=2)
    data = load(settings, ["AAA"], "2024-01-10", "2024-01-31")  # sees 2 of the 3 gap days
    assert not issues_of(data, "forward_filled")
    assert issues_of(data, "missing_sessions")[0].dates == ("2024-01-10", "2024-01-11")
    settings = make_settings(providers=["mirror"], max_ffill_sessions=3)
    data = load(settings, ["AAA"], "2024-01-10", "2024-01-31")
    assert issues_of(data, "forward_filled")[0].dates == ("2024-01-10", "2024-01-11")
    assert data.fields["close"]["AAA"]["2024-01-10"] == 104.0  # close of 2024-01-08


def test_pre1990_calendar_sessions_nobody_traded_are_dropped(
    mirror_dir: Path, mirror_only: DataSettings
) -> None:
    old = sessions("1985-06-03", "1985-06-28")
    holiday = pd.Timestamp("1985-06-12")  # pretend the calendar is wrong about this day
    only_a = pd.Timestamp("1985-06-19")
    write_csv(mirror_dir, "AAA", ohlcv_rows(old.drop(holiday)))
    write_csv(mirror_dir, "BBB", ohlcv_rows(old.drop([holiday, only_a])))
    data = load(mirror_only, ["AAA", "BBB"], "1985-06-01", "1985-06-30")
    assert holiday not in data.index and only_a in data.index
    [calendar] = issues_of(data, "calendar_pre1990")
    assert calendar.ticker == "*" and calendar.severity == "info"
    assert calendar.dates == ("1985-06-12",) and calendar.message.startswith("1 pre-1990")
    assert np.isnan(data.fields["close"]["BBB"][only_a])
    assert issues_of(data, "missing_sessions", "BBB")[0].dates == ("1985-06-19",)


def test_from_1990_a_session_nobody_traded_is_a_gap(
    mirror_dir: Path, mirror_only: DataSettings
) -> None:
    days = sessions("1995-06-01", "1995-06-30")
    gap = pd.Timestamp("1995-06-14")
    write_csv(mirror_dir, "AAA", ohlcv_rows(days.drop(gap)))
    data = load(mirror_only, ["AAA"], "1995-06-01", "1995-06-30")
    assert gap in data.index
    assert not issues_of(data, "calendar_pre1990")
    assert issues_of(data, "missing_sessions")[0].dates == ("1995-06-14",)


def _rows(values: list[tuple[str, str]]) -> list[str]:
    """CSV lines from (date, 'open,high,low,close,adj_close,volume')."""
    return [f"{d},{v}" for d, v in values]


def test_validation_findings_are_reported_not_changed(
    mirror_dir: Path, mirror_only: DataSettings
) -> None:
    write_csv(
        mirror_dir,
        "ETF",
        _rows(
            [
                ("2024-01-02", "10,11,9,10,10,100"),
                ("2024-01-03", "10,11,9,11.5,11,100"),  # close above high
                ("2024-01-04", "10,11,0,0,10.5,100"),  # zero low and close
                ("2024-01-05", "10,11,9,10,14,100"),  # +33% adj_close
                ("2024-01-08", "10,11,9,10,,100"),  # missing adj_close
            ]
        ),
    )
    write_csv(
        mirror_dir,
        "^IRX",
        _rows([("2024-01-02", ",,,-0.05,-0.05,"), ("2024-01-03", ",,,0.10,0.10,")]),
    )
    write_csv(
        mirror_dir,
        "^VIX",
        _rows([("2024-01-02", "12,13,11,12,12,0"), ("2024-01-03", "24,25,23,24,24,0")]),
    )
    data = load(mirror_only, ["ETF", "^IRX", "^VIX"], "2024-01-02", "2024-01-08")
    [outside] = issues_of(data, "close_outside_range", "ETF")
    assert outside.severity == "info" and outside.dates == ("2024-01-03",)
    [bad] = issues_of(data, "non_positive_price", "ETF")
    assert bad.dates == ("2024-01-04", "2024-01-08")
    [move] = issues_of(data, "large_move", "ETF")
    assert move.severity == "warning" and move.dates == ("2024-01-05",)
    assert data.fields["close"]["ETF"]["2024-01-04"] == 0.0  # reported, never altered
    assert data.fields["close"]["ETF"]["2024-01-03"] == 11.5
    assert not issues_of(data, "non_positive_price", "^IRX")  # a yield may go negative
    assert data.fields["close"]["^IRX"]["2024-01-02"] == -0.05
    assert data.sources["^IRX"].close_only
    assert not issues_of(data, "large_move", "^VIX")  # indexes are not checked for moves
    assert [i.ticker for i in issues_of(data, "ends_early")] == ["^IRX", "^VIX"]


def test_close_only_ticker_loads_with_nan_ohlcv(
    mirror_dir: Path, mirror_only: DataSettings
) -> None:
    days = sessions("2024-01-02", "2024-01-31")
    write_csv(mirror_dir, "CLO", [f"{d.date()},,,,{10 + i},{10 + i}," for i, d in enumerate(days)])
    data = load(mirror_only, ["CLO"], "2024-01-02", "2024-01-31")
    assert data.sources["CLO"].close_only
    for name in ("open", "high", "low", "volume"):
        assert data.fields[name]["CLO"].isna().all()
    assert data.fields["close"]["CLO"].notna().all()
    assert not data.issues


def test_duplicate_dates_raise_data_quality_error(
    mirror_dir: Path, make_settings: Callable[..., DataSettings], cache_dir: Path
) -> None:
    rows = ohlcv_rows(sessions("2024-01-02", "2024-01-10"))
    write_csv(mirror_dir, "DUP", [*rows[:3], rows[2].replace(",102.", ",99."), *rows[3:]])
    with pytest.raises(DataQualityError) as err:
        load(make_settings(providers=["cache", "mirror"]), ["DUP"], "2024-01-02", "2024-01-10")
    assert "DUP" in str(err.value) and "2024-01-04" in str(err.value)
    assert not (cache_dir / "DUP.parquet").exists()  # ambiguous data is never cached


def test_malformed_mirror_with_no_other_provider_names_file_and_line(
    mirror_dir: Path, mirror_only: DataSettings
) -> None:
    path = write_csv(mirror_dir, "BAD", ["2024-01-02,1,2,0.5,1.5,1.5,10", "bad-date,1,1,1,1,1,1"])
    with pytest.raises(Exception) as err:
        load(mirror_only, ["BAD"], "2024-01-02", "2024-01-10")
    assert not isinstance(err.value, UnknownTickerError)
    assert f"{path}, line 3" in str(err.value)
