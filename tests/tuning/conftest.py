"""Synthetic markets and configs shared by the tuning tests (no files, no network)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.config.run_config import build_config
from engine.data.model import MarketData
from strategies import discover
from tests.helpers import market_data, random_walk

STRATEGIES = discover()
RSI_TRIM = STRATEGIES["rsi_trim"]


def rsi_config(**backtest: Any):
    """rsi_trim's defaults with some [backtest] values changed."""
    return build_config(RSI_TRIM, {"backtest": backtest})


@pytest.fixture(scope="session")
def walk_data() -> MarketData:
    """IWM and SPY random walks over 2009-2016 (~2,000 sessions), with distinct opens."""
    prices = random_walk(["IWM", "SPY"], "2009-01-01", "2016-12-31", seed=21, drift=0.0004)
    opens = prices.shift(1).fillna(prices) * 1.001
    return market_data(prices, opens)
