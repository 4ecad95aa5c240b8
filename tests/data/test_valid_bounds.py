"""MarketData's first and last valid sessions per ticker equal pandas' first/last_valid_index."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data.model import MarketData


def test_valid_bounds_match_pandas_with_gaps_and_an_empty_ticker() -> None:
    index = pd.DatetimeIndex(pd.bdate_range("2020-01-01", periods=6), name="date").as_unit("ns")
    frame = pd.DataFrame(
        {"A": [np.nan, 1, 2, np.nan, 3, np.nan], "B": [1.0] * 6, "C": [np.nan] * 6}, index=index
    )
    data = MarketData(fields={"adj_close": frame}, sources={}, issues=[])
    first = frame.apply(lambda s: s.first_valid_index())
    last = frame.apply(lambda s: s.last_valid_index())
    pd.testing.assert_series_equal(data.first_valid(), first)
    pd.testing.assert_series_equal(data.last_valid(), last)
    assert data.first_valid()["A"] == index[1] and data.last_valid()["A"] == index[4]
    assert pd.isna(data.first_valid()["C"])
