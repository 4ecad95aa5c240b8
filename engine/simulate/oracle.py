"""The cross-check of the simulator: the same execution inputs through vectorbt's
`Portfolio.from_orders`.

Single runs and sweeps simulate with the one portfolio kernel (`engine.simulate.portfolio_nb`).
`simulate_with_vectorbt`, given to `engine.simulate.portfolio.run_backtest` as its simulator,
feeds the inputs `prepare_run` builds for the kernel to vectorbt's own simulator and reads the
portfolio back as a `BacktestResult`, so the two can be compared figure by figure: the tests
do so on hand-computed cases and on every strategy's default run, and a sweep re-runs sampled
rows through it at run time (`engine.tuning.sweep.check_against_engine`).
It is never the path of a result a user sees.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import vectorbt as vbt

from engine.config.run_config import RunConfig
from engine.config.settings import BacktestSettings
from engine.data.model import MarketData
from engine.decisions.strategy import Strategy
from engine.simulate.pipeline import data_window, trim_weights
from engine.simulate.portfolio import (
    CASH_COLUMN,
    PreparedRun,
    cash_returns_from_series,
    refuse_unusable_prices,
    run_backtest,
    shifted_orders,
)
from engine.simulate.result import ORDER_COLUMNS, BacktestResult

__all__ = ["oracle_combination", "simulate_with_vectorbt"]


def simulate_with_vectorbt(
    run: PreparedRun, settings: BacktestSettings, index: pd.DatetimeIndex, name: str
) -> BacktestResult:
    """A `Simulator` for `engine.simulate.portfolio.run_backtest`: the prepared inputs through
    vectorbt's `Portfolio.from_orders` (unusable prices refused first, as the kernel does)."""
    refuse_unusable_prices(run, int(settings.lag), index)
    inputs = run.inputs
    columns = list(inputs.columns)
    pf = vbt.Portfolio.from_orders(
        close=pd.DataFrame(inputs.close, index=index, columns=columns),
        size=shifted_orders(run, int(settings.lag), index),
        size_type="targetpercent",
        direction="longonly",
        price=pd.DataFrame(inputs.fill, index=index, columns=columns),
        fees=inputs.fees[None, :],
        slippage=inputs.slippage[None, :],
        init_cash=settings.initial_cash,
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        freq="1D",
    )
    return _result_from_portfolio(pf, name, run)


def _result_from_portfolio(pf: vbt.Portfolio, name: str, run: PreparedRun) -> BacktestResult:
    tickers = list(run.inputs.columns[: run.inputs.counted])
    equity = pf.value().rename(name)
    asset_value = pf.asset_value(group_by=False)
    weights = asset_value[tickers].div(equity, axis=0)
    cash_weight = (1.0 - weights.sum(axis=1)).rename("cash")
    cash_earned = 0.0
    if run.inputs.has_cash_asset:
        cash_earned = float(pf.total_profit(group_by=False)[CASH_COLUMN])

    records = pf.orders.records  # structured array: id, col, idx, size, price, fees, side
    columns = list(pf.wrapper.columns)
    orders = pd.DataFrame(
        {
            "date": pf.wrapper.index[records["idx"]],
            "ticker": [columns[c] for c in records["col"]],
            "side": np.where(records["side"] == 0, "buy", "sell"),
            "quantity": records["size"].astype(float),
            "price": records["price"].astype(float),
            "fees": records["fees"].astype(float),
        }
    )
    orders["value"] = orders["quantity"] * orders["price"]
    orders = orders[orders["ticker"] != CASH_COLUMN]
    orders = orders.sort_values(["date"], kind="stable").reset_index(drop=True)  # fill order kept
    return BacktestResult(
        name=name,
        equity=equity,
        returns=equity.pct_change().fillna(0.0).rename(name),
        weights=weights,
        cash_weight=cash_weight,
        target_weights=run.wanted,
        orders=orders[list(ORDER_COLUMNS)],
        cash_earned=cash_earned,
    )


def oracle_combination(
    strategy: Strategy, cfg: RunConfig, data: MarketData, params: Any, window: Any
) -> BacktestResult:
    """One combination of a sweep on `window` (an `engine.tuning.windows.Window`) through
    vectorbt, exactly as a single run would prepare it: the independent cross-check of sampled
    sweep rows. The decisions come from `Strategy.weights` on the row's own data."""
    first, _ = data_window(strategy, dataclasses.replace(cfg, params=params))
    own = data.select(start=first)
    index = data.index[window.start : window.end + 1]
    weights = trim_weights(strategy.weights(own, params), index)
    cash = None
    settings = cfg.backtest
    if settings.cash_ticker:
        series = data.adj_close[settings.cash_ticker.upper()]
        cash = cash_returns_from_series(series, settings.cash_ticker_kind).reindex(index)
    return run_backtest(
        weights, data, settings, strategy.name, cash, simulator=simulate_with_vectorbt
    )
