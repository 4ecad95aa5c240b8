"""What a strategy is, as the engine sees it: a pure function from prices to target weights.

A strategy never reads files, plots or simulates; the pipeline hands it `MarketData` and its
validated parameters and receives a target-weight frame (see `engine.backtest` for the timing
convention). The engine never refers to a strategy by name: strategies register themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from engine.data.model import MarketData
from engine.settings import DEFAULT_BENCHMARKS, Benchmark


def _default_lookback(params: BaseModel) -> int:
    return 260


def _no_tables(data: MarketData, params: BaseModel) -> dict[str, pd.DataFrame]:
    return {}


def _no_optional_tickers(params: BaseModel) -> list[str]:
    return []


@dataclass(frozen=True)
class Strategy:
    """A rule set: its parameters' model, the tickers it needs and its weight function.

    `tickers(params)` are the tickers the rule cannot run without: the backtest period starts
    when the last of them starts trading. `optional_tickers(params)` are loaded too but do not
    bound the period: the rule must treat them as ineligible while they have no price (e.g. a
    sector fund launched later). `lookback_sessions(params)` is how much history before
    the period start the rule needs to make its first decision. `tables` returns diagnostics
    for the report (e.g. a per-year table), computed from the same data. `default_benchmarks`
    are used when a config names none (the strategy's TOML states the same list).
    """

    name: str
    description: str
    params_model: type[BaseModel]
    default_config: Path
    tickers: Callable[[BaseModel], list[str]]
    target_weights: Callable[[MarketData, BaseModel], pd.DataFrame]
    tables: Callable[[MarketData, BaseModel], dict[str, pd.DataFrame]] = _no_tables
    lookback_sessions: Callable[[BaseModel], int] = _default_lookback
    optional_tickers: Callable[[BaseModel], list[str]] = _no_optional_tickers
    key_params: tuple[str, ...] = field(default_factory=tuple)
    default_benchmarks: tuple[Benchmark, ...] = tuple(DEFAULT_BENCHMARKS)
