"""Wilder's RSI against the textbook worked example and an independent pandas computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.decisions.indicators import wilder_rsi

# The 14-period worked example popularised by StockCharts ("RSI" ChartSchool article).
CLOSES = [
    44.3389, 44.0902, 44.1497, 43.6124, 44.3278, 44.8264, 45.0955, 45.4245, 45.8433, 46.0826,
    45.8931, 46.0328, 45.6140, 46.2820, 46.2820, 46.0028, 46.0328, 46.4116, 46.2222, 45.6439,
    46.2122, 46.2521, 45.7137, 46.4515, 45.7835, 45.3548, 44.0288, 44.1783, 44.2181, 44.5672,
    43.4205, 42.6628, 43.1314,
]  # fmt: skip
PUBLISHED = [
    70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42, 39.99,
    41.46, 41.87, 45.46, 37.30, 33.08, 37.77,
]  # fmt: skip


def test_matches_the_published_worked_example():
    rsi = wilder_rsi(pd.Series(CLOSES), 14)
    assert rsi.iloc[:14].isna().all()
    np.testing.assert_allclose(rsi.iloc[14:].round(2), PUBLISHED, atol=0.011)


def test_agrees_with_an_ewm_seeded_by_the_simple_mean():
    rng = np.random.default_rng(0)
    prices = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 400))))
    n = 10
    change = prices.diff()
    gain, loss = change.clip(lower=0), (-change).clip(lower=0)
    seeded_gain = gain.copy()
    seeded_loss = loss.copy()
    seeded_gain.iloc[:n] = np.nan
    seeded_loss.iloc[:n] = np.nan
    seeded_gain.iloc[n] = gain.iloc[1 : n + 1].mean()
    seeded_loss.iloc[n] = loss.iloc[1 : n + 1].mean()
    avg_gain = seeded_gain.ewm(alpha=1 / n, adjust=False).mean()
    avg_loss = seeded_loss.ewm(alpha=1 / n, adjust=False).mean()
    expected = 100 - 100 / (1 + avg_gain / avg_loss)
    pd.testing.assert_series_equal(wilder_rsi(prices, n), expected, check_names=False)


def test_missing_prices_are_skipped_not_filled():
    prices = pd.Series([np.nan, np.nan, 10, 11, 10, 12, np.nan, 13, 12.5])
    rsi = wilder_rsi(prices, 2)
    compact = wilder_rsi(prices.dropna().reset_index(drop=True), 2)
    assert rsi.isna().tolist() == [True, True, True, True, False, False, True, False, False]
    np.testing.assert_allclose(rsi.dropna().to_numpy(), compact.dropna().to_numpy())


def test_one_way_moves_give_0_and_100():
    assert wilder_rsi(pd.Series(np.arange(1.0, 30.0)), 14).iloc[-1] == 100.0
    assert wilder_rsi(pd.Series(np.arange(30.0, 1.0, -1)), 14).iloc[-1] == 0.0
    assert wilder_rsi(pd.Series(np.full(20, 5.0)), 14).iloc[-1] == 50.0


def test_frames_are_computed_per_column():
    frame = pd.DataFrame({"A": CLOSES, "B": CLOSES[::-1]})
    out = wilder_rsi(frame, 14)
    pd.testing.assert_series_equal(out["A"], wilder_rsi(frame["A"], 14))
    with pytest.raises(ValueError, match="at least 1"):
        wilder_rsi(frame, 0)
