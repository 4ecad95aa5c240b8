"""The calendar and the year-window rule every yearly strategy and claim reads
(engine.decisions.yearly)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.calendar import (
    last_session_of_year,
    nth_session_of_year,
    nyse_sessions,
    period_end_mask,
)
from engine.decisions.yearly import anchor_positions, calendar_years, window_returns


def test_last_session_of_year_follows_the_calendar():
    index = nyse_sessions("2021-12-27", "2022-01-05")
    assert index[period_end_mask(index, "yearly")].tolist() == [pd.Timestamp("2021-12-31")]
    assert last_session_of_year(2022) == pd.Timestamp("2022-12-30")  # Dec 31 is a Saturday
    assert nth_session_of_year(2022, 5) == pd.Timestamp("2022-01-07")  # Jan 3 is the first


def test_years_windows_anchors_and_spans_by_hand():
    # 2019-12-02 .. 2021-01-29: 2019 starts mid-year, 2020 is whole, 2021 ends in January.
    index = nyse_sessions("2019-12-02", "2021-01-29")
    ys = calendar_years(index)
    at = {str(d.date()): i for i, d in enumerate(index)}
    assert ys.years.tolist() == [2019, 2020, 2021]
    assert ys.prior.tolist() == [-1, at["2019-12-31"], at["2020-12-31"]]
    assert ys.closes.tolist() == [True, True, False]
    # a decision holds until the session before the calendar's year end, or the data's end
    assert ys.held_until.tolist() == [at["2019-12-30"], at["2020-12-30"], at["2021-01-29"]]
    assert ys.window_end(5).tolist() == [at["2019-12-06"], at["2020-01-08"], at["2021-01-08"]]
    # January's end is the calendar's last January session: 2021-01-29 is, so it decides
    assert ys.window_end("january").tolist() == [-1, at["2020-01-31"], at["2021-01-29"]]
    assert ys.window_end(300).tolist() == [-1, -1, -1]
    assert anchor_positions(ys, "first_close").tolist() == ys.first.tolist()
    cut = calendar_years(index[: at["2021-01-28"] + 1])  # January not over in the data
    assert cut.window_end("january")[-1] == -1


def test_a_gap_before_the_year_is_no_prior_year_end():
    index = nyse_sessions("2019-12-02", "2020-03-31")
    gappy = index.delete(index.get_loc(pd.Timestamp("2019-12-31")))
    assert calendar_years(gappy).prior.tolist() == [-1, -1]


def test_window_returns_are_nan_where_a_position_or_price_is_missing():
    px = np.array([[100.0, 50.0], [110.0, np.nan], [121.0, 55.0]])
    out = window_returns(px, px, np.array([0, 0, -1]), np.array([2, 1, 2]))
    assert np.allclose(out[0], [0.21, 0.1])
    assert out[1, 0] == np.float64(110.0 / 100.0 - 1.0) and np.isnan(out[1, 1])
    assert np.isnan(out[2]).all()
