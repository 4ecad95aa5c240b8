"""The engine against an independent, slow reference: a plain-Python loop, no vectorbt.

The loop implements the engine's documented execution rules from scratch (README,
"Conventions"; `engine.simulate.portfolio`):

- a target-weight row dated t is traded `lag` sessions later, at that session's close (or its
  adjusted open with trade_at="open"); an all-NaN row changes nothing, a NaN in a set row is 0;
- each target is a percent of the portfolio's value at that session's fill price, measured
  once before any of the session's trades (cash plus every position at the fill price);
- sells go before buys (orders run in increasing order of the value they trade, so the sells,
  negative, come first and the largest buy last);
- slippage moves the fill price against the trader: buys pay price * (1 + s), sells get
  price * (1 - s); the fee is a fraction of the traded value at that price;
- a buy is limited by the cash available including its fee: if the shares wanted cost more
  than the cash, the buy spends exactly the cash: shares = cash / (1 + fee) / buy price;
- equity is cash plus every position at the session's adjusted close.

Floating-point noise below 1e-9 relative counts as equal (a sale that empties a position
leaves exactly 0 shares; a buy within 1e-9 of the cash is filled whole).

The loop and the engine must agree to 1e-9 relative on every session, for `first10days` and a
static monthly mix, on synthetic data and on the real mirror data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.config.run_config import load_config
from engine.config.settings import BacktestSettings
from engine.data import load_market_data
from engine.data.model import MarketData
from engine.simulate.pipeline import common_period, needed_tickers, period_index, trim_weights
from engine.simulate.portfolio import run_backtest, static_mix_weights
from strategies import discover
from tests.helpers import MIRROR, market_data, random_walk

FIRST10 = discover()["first10days"]
REL = 1e-9
MIX = {"SPY": 0.5, "QQQ": 0.3, "IWM": 0.2}


# --------------------------------------------------------------------------- the reference loop


def _close(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= max(1e-9 * max(abs(a), abs(b)), 1e-12)


@dataclass
class Fill:
    date: pd.Timestamp
    ticker: str
    side: str
    quantity: float
    price: float
    fees: float


def reference_run(
    weights: pd.DataFrame,
    close: pd.DataFrame,
    fill_price: pd.DataFrame,
    settings: BacktestSettings,
) -> tuple[pd.Series, list[Fill]]:
    """Equity per session and every fill, by the rules in the module docstring."""
    tickers = list(weights.columns)
    fee = settings.fees_bps / 1e4
    slip = settings.slippage_bps / 1e4
    rows = weights.to_numpy(dtype=float).tolist()  # plain Python floats from here on
    closes = close.to_numpy(dtype=float).tolist()
    prices = fill_price.to_numpy(dtype=float).tolist()
    cash = float(settings.initial_cash)
    shares = [0.0] * len(tickers)
    equity: list[float] = []
    fills: list[Fill] = []
    for i, day in enumerate(weights.index):
        decided = i - settings.lag
        row = rows[decided] if decided >= 0 else None
        if row is not None and any(not math.isnan(w) for w in row):
            target = [0.0 if math.isnan(w) else w for w in row]
            price = prices[i]
            value = cash + sum(q * p for q, p in zip(shares, price, strict=True) if q != 0)
            trades = [(target[k] * value - shares[k] * price[k], k) for k in range(len(tickers))]
            for _, k in sorted(trades, key=lambda trade: trade[0]):  # stable: sells first
                delta = target[k] * value / price[k] - shares[k]
                if _close(delta, 0.0):
                    continue
                if delta < 0:
                    quantity = min(shares[k], -delta)
                    paid = price[k] * (1 - slip)
                    proceeds = quantity * paid
                    cash += proceeds - proceeds * fee
                    shares[k] = 0.0 if _close(shares[k], quantity) else shares[k] - quantity
                    fills.append(Fill(day, tickers[k], "sell", quantity, paid, proceeds * fee))
                else:
                    if _close(cash, 0.0):
                        continue  # nothing left to buy with
                    paid = price[k] * (1 + slip)
                    cost = delta * paid * (1 + fee)
                    if cost < cash or _close(cost, cash):
                        quantity, fees = delta, delta * paid * fee
                        cash = 0.0 if _close(cash, cost) else cash - cost
                    else:  # spend exactly the cash, fee included
                        quantity = cash / (1 + fee) / paid
                        fees = cash - cash / (1 + fee)
                        cash = 0.0
                    shares[k] += quantity
                    fills.append(Fill(day, tickers[k], "buy", quantity, paid, fees))
        equity.append(cash + sum(q * c for q, c in zip(shares, closes[i], strict=True)))
    return pd.Series(equity, index=weights.index), fills


# --------------------------------------------------------------------------- comparison


def assert_same_run(
    weights: pd.DataFrame, data: MarketData, settings: BacktestSettings
) -> tuple[int, int]:
    """Engine and loop agree on every session and every fill; returns (sessions, fills)."""
    index = weights.index
    tickers = list(weights.columns)
    engine = run_backtest(weights, data, settings)
    close = data.adj_close.loc[index, tickers]
    price = close if settings.trade_at == "close" else data.field("adj_open").loc[index, tickers]
    equity, fills = reference_run(weights, close, price, settings)
    np.testing.assert_allclose(engine.equity.to_numpy(), equity.to_numpy(), rtol=REL, atol=0)
    orders = engine.orders
    assert len(orders) == len(fills)
    assert orders["date"].tolist() == [f.date for f in fills]
    assert orders["ticker"].tolist() == [f.ticker for f in fills]
    assert orders["side"].tolist() == [f.side for f in fills]
    for column in ("quantity", "price", "fees"):
        expected = [getattr(f, column) for f in fills]
        np.testing.assert_allclose(orders[column].to_numpy(), expected, rtol=REL, atol=1e-12)
    return len(index), len(fills)


SETTINGS = {
    "close-lag1": BacktestSettings(initial_cash=100_000, fees_bps=1, slippage_bps=1),
    "costly-lag2": BacktestSettings(initial_cash=250_000, fees_bps=25, slippage_bps=15, lag=2),
    "open-lag1": BacktestSettings(
        initial_cash=10_000, fees_bps=10, slippage_bps=5, trade_at="open"
    ),
}


# --------------------------------------------------------------------------- synthetic data


@pytest.fixture(scope="module")
def synthetic() -> MarketData:
    closes = random_walk(["SPY", "QQQ", "IWM", "DIA"], "2015-01-01", "2019-12-31", seed=11)
    rng = np.random.default_rng(5)
    opens = closes.shift(1).bfill() * np.exp(rng.normal(0, 0.004, closes.shape))
    return market_data(closes, opens)


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_first10days_matches_the_reference_on_synthetic_data(synthetic, setting) -> None:
    params = FIRST10.params_model()
    index = synthetic.index[synthetic.index >= "2016-01-04"]  # 2015 is the rule's history
    weights = trim_weights(FIRST10.weights(synthetic, params), index)
    sessions, fills = assert_same_run(weights, synthetic, SETTINGS[setting])
    assert sessions == 1006 and fills >= 3  # the rule did switch on this path


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_a_monthly_mix_matches_the_reference_on_synthetic_data(synthetic, setting) -> None:
    index = synthetic.index[synthetic.index >= "2016-01-04"]
    weights = static_mix_weights(index, MIX, "monthly")
    sessions, fills = assert_same_run(weights, synthetic, SETTINGS[setting])
    assert sessions == 1006 and fills > 100  # 48 monthly rebalances of three tickers


def test_a_switch_with_cash_limited_buys_and_a_partial_row(synthetic) -> None:
    """Hand-made rows: full switch (the buy is cash-limited), a row with a NaN (= 0), a row
    with room left as cash, and all-NaN rows in between."""
    index = synthetic.index[:30]
    weights = pd.DataFrame(np.nan, index=index, columns=["SPY", "IWM", "QQQ"])
    weights.iloc[0] = [1.0, 0.0, 0.0]
    weights.iloc[5] = [0.0, 1.0, 0.0]
    weights.iloc[9] = [0.3, np.nan, 0.5]
    weights.iloc[17] = [0.0, 0.0, 0.0]
    weights.iloc[18] = [0.25, 0.25, 0.25]
    settings = BacktestSettings(initial_cash=1_000, fees_bps=50, slippage_bps=30)
    _, fills = assert_same_run(weights, synthetic, settings)
    assert fills == 1 + 2 + 3 + 2 + 3


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory):
    if not MIRROR.is_dir():
        pytest.skip(f"no market-data mirror at {MIRROR}")
    tmp = tmp_path_factory.mktemp("reference")
    cfg = load_config(
        FIRST10,
        overrides=[
            f"data.cache_dir='{tmp / 'cache'}'",
            f"data.mirror_dir='{MIRROR}'",
            "data.providers=['mirror']",
            "backtest.end=2026-08-21",
        ],
    )
    tickers = needed_tickers(FIRST10, cfg)
    data = load_market_data(tickers, "1999-01-04", "2026-08-21", cfg.data, Path("."))
    period = common_period(data, tickers, cfg)
    return cfg, data, period_index(data, period)


@pytest.mark.realdata
@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_first10days_matches_the_reference_on_real_data(real, setting) -> None:
    cfg, data, index = real
    weights = trim_weights(FIRST10.weights(data, cfg.params), index)
    sessions, fills = assert_same_run(weights, data, SETTINGS[setting])
    assert index[0] == pd.Timestamp("2000-05-26") and sessions == 6598
    assert fills >= 20


@pytest.mark.realdata
@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_a_monthly_mix_matches_the_reference_on_real_data(real, setting) -> None:
    _, data, index = real
    weights = static_mix_weights(index, MIX, "monthly")
    sessions, fills = assert_same_run(weights, data, SETTINGS[setting])
    assert sessions == 6598 and fills > 900
