"""The engine core: a case computed by hand to the cent, timing, costs, validation, cash yield."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.config.settings import BacktestSettings
from engine.errors import DataQualityError
from engine.simulate.portfolio import (
    cash_returns_from_series,
    run_backtest,
    static_mix_weights,
    validate_target_weights,
)
from tests.helpers import market_data, random_walk

INDEX = pd.DatetimeIndex(
    pd.to_datetime(
        ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09"]
    ),
    name="date",
)
PRICES = pd.DataFrame(
    {"A": [10.0, 11.0, 12.0, 11.0, 13.0, 14.0], "B": [20.0, 19.0, 21.0, 22.0, 20.0, 21.0]},
    index=INDEX,
)


def _weights(rows: dict[int, list[float]]) -> pd.DataFrame:
    w = pd.DataFrame(np.nan, index=INDEX, columns=["A", "B"])
    for i, row in rows.items():
        w.iloc[i] = row
    return w


def test_hand_computed_two_assets_with_fees_to_the_cent():
    """Day 0: want 100% A; day 2: want 50/50. Fees 10 bps, fills one session later at the close.

    Day 1 buys A at 11 with all 1000 of cash: a buy is limited by cash including its fee, so
    qty = 1000 / (11 * 1.001) = 90.818273. Day 3 (A 11, B 22): value = 90.818273 * 11 = 999.00;
    sell half the A value (499.50) and receive 499.50 * 0.999 = 499.00; buy B with that cash:
    qty = 499.00 / (22 * 1.001) = 22.659204.
    """
    fee = 0.001
    qty_a = 1000 / (11 * (1 + fee))
    value_day3 = qty_a * 11
    sold_a = value_day3 / 2 / 11
    cash_day3 = sold_a * 11 * (1 - fee)
    qty_b = cash_day3 / (22 * (1 + fee))
    held_a = qty_a - sold_a
    expected = [
        1000.00,
        qty_a * 11,
        qty_a * 12,
        held_a * 11 + qty_b * 22,
        held_a * 13 + qty_b * 20,
        held_a * 14 + qty_b * 21,
    ]
    assert [round(x, 2) for x in expected] == [1000.00, 999.00, 1089.82, 998.00, 1043.50, 1111.57]

    settings = BacktestSettings(initial_cash=1000, fees_bps=10, slippage_bps=0)
    res = run_backtest(_weights({0: [1.0, 0.0], 2: [0.5, 0.5]}), market_data(PRICES), settings)

    assert np.round(res.equity.to_numpy(), 2).tolist() == [round(x, 2) for x in expected]
    np.testing.assert_allclose(res.equity.to_numpy(), expected, rtol=1e-12)
    orders = res.orders
    assert orders[["ticker", "side"]].values.tolist() == [["A", "buy"], ["A", "sell"], ["B", "buy"]]
    assert orders["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-03",
        "2024-01-05",
        "2024-01-05",
    ]
    np.testing.assert_allclose(orders["quantity"], [qty_a, sold_a, qty_b], rtol=1e-12)
    np.testing.assert_allclose(
        orders["fees"], [qty_a * 11 * fee, sold_a * 11 * fee, qty_b * 22 * fee], rtol=1e-12
    )
    assert round(orders["fees"].sum(), 2) == 2.00
    np.testing.assert_allclose(res.weights.loc["2024-01-08", "A"], held_a * 13 / expected[4])
    np.testing.assert_allclose(res.returns.iloc[2], expected[2] / expected[1] - 1)


def test_slippage_moves_the_fill_price_against_the_trader():
    settings = BacktestSettings(initial_cash=1000, fees_bps=0, slippage_bps=50)
    res = run_backtest(_weights({0: [1.0, 0.0], 3: [0.0, 0.0]}), market_data(PRICES), settings)
    buy, sell = res.orders.iloc[0], res.orders.iloc[1]
    assert buy["price"] == pytest.approx(11 * 1.005)
    assert sell["price"] == pytest.approx(13 * 0.995)
    qty = 1000 / (11 * 1.005)
    assert res.equity.iloc[-1] == pytest.approx(qty * 13 * 0.995)


def test_lag_two_trades_two_sessions_after_the_decision():
    settings = BacktestSettings(initial_cash=1000, fees_bps=0, slippage_bps=0, lag=2)
    res = run_backtest(_weights({0: [1.0, 0.0]}), market_data(PRICES), settings)
    assert res.orders["date"].iloc[0] == pd.Timestamp("2024-01-04")
    assert res.equity.iloc[-1] == pytest.approx(1000 / 12 * 14)


def test_trade_at_open_fills_at_the_adjusted_open():
    opens = PRICES * 0.99
    settings = BacktestSettings(initial_cash=1000, fees_bps=0, slippage_bps=0, trade_at="open")
    res = run_backtest(_weights({0: [1.0, 0.0]}), market_data(PRICES, opens), settings)
    assert res.orders["price"].iloc[0] == pytest.approx(11 * 0.99)
    assert res.equity.iloc[-1] == pytest.approx(1000 / (11 * 0.99) * 14)


def test_all_nan_rows_mean_no_change_and_positions_drift():
    settings = BacktestSettings(initial_cash=1000, fees_bps=0, slippage_bps=0)
    res = run_backtest(_weights({0: [0.5, 0.5]}), market_data(PRICES), settings)
    assert len(res.orders) == 2  # bought once, never rebalanced
    a_w = res.weights["A"]
    assert a_w.iloc[2] != pytest.approx(0.5)  # drifted with prices
    assert res.cash_weight.iloc[3] == pytest.approx(0.0)


def test_partial_rows_hold_the_rest_in_cash():
    settings = BacktestSettings(initial_cash=1000, fees_bps=0, slippage_bps=0)
    res = run_backtest(_weights({0: [0.25, np.nan]}), market_data(PRICES), settings)
    assert res.weights.loc["2024-01-03", "A"] == pytest.approx(0.25)
    assert res.cash_weight.loc["2024-01-03"] == pytest.approx(0.75)
    assert res.equity.iloc[-1] == pytest.approx(750 + 250 / 11 * 14)


@pytest.mark.parametrize(
    ("row", "message"),
    [([1.2, 0.0], r"\[0, 1\]"), ([-0.1, 0.5], r"\[0, 1\]"), ([0.7, 0.7], "sum to 1.4")],
)
def test_invalid_weights_are_refused(row, message):
    with pytest.raises(DataQualityError, match=message):
        validate_target_weights(_weights({1: row}), INDEX)


def test_holding_a_ticker_without_price_is_refused_with_ticker_and_date():
    prices = PRICES.copy()
    prices.loc["2024-01-08", "B"] = np.nan
    settings = BacktestSettings(initial_cash=1000)
    with pytest.raises(DataQualityError, match=r"hold B on 2024-01-08"):
        run_backtest(_weights({0: [0.5, 0.5]}), market_data(prices), settings)


def test_cash_yield_accrues_on_the_uninvested_part():
    """Half in A, half in cash earning 25.2% a year (0.1%/session compounded, roughly)."""
    yield_pct = pd.Series(25.2, index=INDEX)
    daily = cash_returns_from_series(yield_pct, "annual_yield_pct")
    assert daily.iloc[0] == 0.0  # no yield known before the first close
    assert daily.iloc[1] == pytest.approx(1.252 ** (1 / 252) - 1)
    settings = BacktestSettings(initial_cash=1000, fees_bps=0, slippage_bps=0)
    res = run_backtest(_weights({0: [0.5, 0.0]}), market_data(PRICES), settings, cash_returns=daily)
    # Half goes into A on day 1 at 11; the other half earns the yield from day 2 to day 5.
    r = 1.252 ** (1 / 252) - 1
    cash_part = 500 * (1 + r) ** 4
    assert res.orders["ticker"].tolist() == ["A"]  # the synthetic cash asset never shows
    assert res.equity.iloc[-1] == pytest.approx(500 / 11 * 14 + cash_part, rel=1e-12)
    assert res.cash_earned == pytest.approx(cash_part - 500, rel=1e-9)
    assert res.cash_weight.iloc[-1] == pytest.approx(cash_part / res.equity.iloc[-1])


def test_cash_leg_pays_no_fees():
    daily = cash_returns_from_series(pd.Series(5.0, index=INDEX), "annual_yield_pct")
    settings = BacktestSettings(initial_cash=1000, fees_bps=10, slippage_bps=0)
    weights = _weights({0: [0.5, 0.0], 2: [0.2, 0.0]})
    res = run_backtest(weights, market_data(PRICES), settings, cash_returns=daily)
    traded = res.orders["value"].sum()
    assert res.orders["ticker"].tolist() == ["A", "A"]
    assert res.orders["fees"].sum() == pytest.approx(traded * 0.001)


def test_static_mix_rebalances_on_the_last_session_of_each_month():
    index = pd.DatetimeIndex(pd.bdate_range("2024-01-01", "2024-03-31"), name="date")
    w = static_mix_weights(index, {"A": 0.5, "B": 0.5}, "monthly")
    set_days = w.dropna(how="all").index.strftime("%Y-%m-%d").tolist()
    assert set_days == ["2024-01-01", "2024-01-31", "2024-02-29", "2024-03-29"]
    assert static_mix_weights(index, {"A": 1.0}, "none").notna().sum().sum() == 1


def test_prices_after_t_never_change_orders_or_equity_up_to_t():
    """Perturbing every price after day t leaves everything up to t unchanged (no look-ahead)."""
    prices = random_walk(["A", "B"], "2023-01-01", "2023-12-31", seed=3)
    w = static_mix_weights(prices.index, {"A": 0.6, "B": 0.4}, "monthly")
    settings = BacktestSettings(initial_cash=10_000, fees_bps=5, slippage_bps=5)
    base = run_backtest(w, market_data(prices), settings)
    rng = np.random.default_rng(7)
    for t in rng.integers(5, len(prices) - 5, size=5):
        cut = prices.index[t]
        shocked = prices.copy()
        shocked.iloc[t + 1 :] *= rng.uniform(0.5, 1.5, size=shocked.iloc[t + 1 :].shape)
        other = run_backtest(w, market_data(shocked), settings)
        pd.testing.assert_series_equal(base.equity.loc[:cut], other.equity.loc[:cut])
        before = base.orders[base.orders["date"] <= cut].reset_index(drop=True)
        after = other.orders[other.orders["date"] <= cut].reset_index(drop=True)
        pd.testing.assert_frame_equal(before, after)
