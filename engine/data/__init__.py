"""Market data for the engine: load aligned prices, inspect and refresh the local cache.

Everything else in rotation-lab goes through these three functions; the providers (cache,
mirror, yfinance) and the validation rules stay behind them.
"""

from __future__ import annotations

from engine.data.loader import load_market_data
from engine.data.maintenance import data_status, update_tickers
from engine.data.model import FIELDS, DataIssue, MarketData, SourceInfo

__all__ = [
    "FIELDS",
    "DataIssue",
    "MarketData",
    "SourceInfo",
    "data_status",
    "load_market_data",
    "update_tickers",
]
