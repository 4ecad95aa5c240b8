"""The generic (slow) path: each combination's target weights through `engine.backtest`.

Any strategy can be swept this way, with the engine's full semantics (cash yield, gap checks,
bounded forward fills). Each combination sees the data a single run with its parameters would
load (its own lookback), so a sweep row equals `run_backtest.py STRATEGY --set ...` on the same
period. It costs a vectorbt run per combination: fine for tens or hundreds of combinations.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from engine import metrics
from engine.backtest import cash_returns_from_series, run_backtest
from engine.config import RunConfig
from engine.data.model import MarketData
from engine.pipeline import data_window, trim_weights
from engine.results import BacktestResult
from engine.strategy import Strategy
from engine.tuning.windows import STAT_COLUMNS, ChunkResult, Window


@cache
def strategy_named(name: str) -> Strategy:
    """Strategies are found again by name where a chunk runs (their objects need not pickle)."""
    from strategies import discover

    return discover()[name]


def stats_row(result: BacktestResult, risk_free_pct: float) -> np.ndarray:
    """STAT_COLUMNS of one engine result, computed by `engine.metrics`."""
    eq = result.equity
    r = result.returns.iloc[1:]
    mdd = metrics.max_drawdown(eq)
    growth = metrics.cagr(eq)
    orders = result.orders
    values = {
        "final_equity": float(eq.iloc[-1]),
        "total_return": metrics.total_return(eq),
        "cagr": growth,
        "ann_volatility": metrics.ann_volatility(r),
        "sharpe": metrics.sharpe(r, risk_free_pct),
        "sortino": metrics.sortino(r, risk_free_pct),
        "max_drawdown": mdd,
        "calmar": growth / abs(mdd) if mdd < 0 else float("nan"),
        "trades": float(len(orders)),
        "rebalances": float(orders["date"].nunique()) if len(orders) else 0.0,
        "turnover": metrics.turnover(result),
        "fees": float(orders["fees"].sum()) if len(orders) else 0.0,
    }
    return np.array([values[k] for k in STAT_COLUMNS], dtype=np.float64)


def block_sums(returns: np.ndarray, window: Window) -> np.ndarray:
    """(blocks, 2): sum and sum of squares of the daily returns in each CSCV block."""
    out = np.zeros((window.blocks, 2))
    for b in range(window.blocks):
        part = returns[window.edges[b] - window.start : window.edges[b + 1] - window.start]
        out[b, 0] = part.sum()
        out[b, 1] = (part * part).sum()
    return out


@dataclass
class GenericCore:
    """Shared inputs: the strategy (the object, or a library name), the config and the data.

    The object itself travels to forked workers, so a strategy defined outside the library (in
    a notebook, or loaded with --strategies-dir) sweeps too."""

    strategy_name: str | Strategy
    cfg: RunConfig
    data: MarketData

    kind = "generic"

    @property
    def strategy(self) -> Strategy:
        if isinstance(self.strategy_name, Strategy):
            return self.strategy_name
        return strategy_named(self.strategy_name)

    def params(self, combo: dict[str, Any]) -> Any:
        strategy = self.strategy
        return strategy.params_model.model_validate({**self.cfg.params.model_dump(), **combo})

    def result(self, combo: dict[str, Any], window: Window) -> BacktestResult:
        """One combination on the window, exactly as a single run would simulate it."""
        strategy = self.strategy
        params = self.params(combo)
        first, _ = data_window(strategy, dataclasses.replace(self.cfg, params=params))
        own = self.data.select(start=first)
        index = self.data.index[window.start : window.end + 1]
        weights = trim_weights(strategy.weights(own, params), index)
        cash = None
        settings = self.cfg.backtest
        if settings.cash_ticker:
            series = self.data.adj_close[settings.cash_ticker.upper()]
            cash = cash_returns_from_series(series, settings.cash_ticker_kind).reindex(index)
        return run_backtest(weights, self.data, settings, name=strategy.name, cash_returns=cash)

    def run(self, combos: list[dict[str, Any]], window: Window, parallel: bool = False):
        stats = np.empty((len(combos), len(STAT_COLUMNS)))
        blocks = np.zeros((len(combos), window.blocks, 2))
        for i, combo in enumerate(combos):
            result = self.result(combo, window)
            stats[i] = stats_row(result, self.cfg.backtest.risk_free_pct)
            blocks[i] = block_sums(result.returns.to_numpy(), window)
        return ChunkResult(stats=stats, blocks=blocks)

    def returns(self, combos: list[dict[str, Any]], window: Window) -> np.ndarray:
        return np.vstack([self.result(c, window).returns.to_numpy() for c in combos])


@dataclass
class GenericPlan:
    """The combinations as parameter dicts (one per table row)."""

    core: GenericCore
    combos: list[dict[str, Any]]

    def payload(self, start: int, stop: int) -> list[dict[str, Any]]:
        return self.combos[start:stop]

    def select(self, positions: np.ndarray) -> list[dict[str, Any]]:
        return [self.combos[int(i)] for i in positions]


def combos_of(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Table rows as plain-Python parameter dicts."""
    records = table.to_dict(orient="records")
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()} for r in records
    ]
