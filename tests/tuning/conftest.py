"""Synthetic markets and configs shared by the tuning tests (no files, no network)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from engine.config.run_config import build_config
from engine.data.model import MarketData
from engine.decisions.strategy import Strategy
from engine.tuning.batch import BatchCore, Chunk, requirements
from engine.tuning.plan import data_starts
from strategies import discover
from tests.helpers import market_data, random_walk

STRATEGIES = discover()
RSI_TRIM = STRATEGIES["rsi_trim"]


def rsi_config(**backtest: Any):
    """rsi_trim's defaults with some [backtest] values changed."""
    return build_config(RSI_TRIM, {"backtest": backtest})


def table_plan(
    strategy: Strategy, cfg: Any, data: MarketData, table: pd.DataFrame
) -> tuple[BatchCore, Chunk]:
    """The batch core and one chunk of every row of `table` (any rows, not a grid), each row
    starting from the session a single run with its lookback loads from, as a sweep plans."""
    lookbacks = requirements(strategy, cfg.params, table)[2]
    first = data_starts(strategy, cfg, data, lookbacks)
    core = BatchCore(strategy, cfg, data)
    return core, Chunk(table.reset_index(drop=True), first, key=(0, len(table)))


@pytest.fixture(scope="session")
def walk_data() -> MarketData:
    """IWM and SPY random walks over 2009-2016 (~2,000 sessions), with distinct opens."""
    prices = random_walk(["IWM", "SPY"], "2009-01-01", "2016-12-31", seed=21, drift=0.0004)
    opens = prices.shift(1).fillna(prices) * 1.001
    return market_data(prices, opens)
