"""The one portfolio kernel against a hand-computed case and against vectorbt
(engine.simulate.portfolio)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.calendar import nyse_sessions
from engine.errors import DataQualityError
from engine.simulate.oracle import oracle_combination
from engine.simulate.result import BacktestResult
from engine.stats import metrics
from engine.tuning.benchmark import main_benchmark_returns
from engine.tuning.windows import STAT_COLUMNS, Window, block_sums
from tests.helpers import market_data
from tests.tuning.conftest import RSI_TRIM, rsi_config, table_plan


def stats_row(result: BacktestResult, risk_free_pct: float, spy: pd.Series) -> np.ndarray:
    """STAT_COLUMNS of one vectorbt run, from its equity curve and order log; the information
    ratio against SPY bought and held (rsi_trim's first benchmark) over the same sessions, as
    the single run's benchmark trades it (`spy`: its daily returns on those sessions)."""
    eq, r, orders = result.equity, result.returns.iloc[1:], result.orders
    mdd, growth = metrics.max_drawdown(eq), metrics.cagr(eq)
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
        "information_ratio": metrics.sharpe(r - spy.loc[r.index], 0.0),
    }
    return np.array([values[k] for k in STAT_COLUMNS], dtype=np.float64)


def test_hand_computed_trim_and_restore_with_fees():
    """n=3 on IWM closes 10, 11, 12, 13, 12, 11, 10, 10.5 (SPY flat at 100), fee 10 bps.

    RSI: 100 on day 3 (trim decided), 44.4 on day 5 (restore decided); trades one session later.
    Day 1: buy IWM at 11 with 1000 -> q = 1000 / (11 * 1.001).
    Day 4 (IWM 12): value V = 12q; sell half the IWM (q/2) for 6q * 0.999; SPY is short of cash
    by the fees, so it buys cash / (100 * 1.001).
    Day 6 (IWM 10): sell all SPY for 100 s * 0.999, buy IWM with that cash / (10 * 1.001).
    Day 7: equity = IWM held * 10.5.
    """
    index = nyse_sessions("2024-01-02", "2024-01-31")[:8]
    prices = pd.DataFrame(
        {"IWM": [10, 11, 12, 13, 12, 11, 10, 10.5], "SPY": [100.0] * 8}, index=index
    )
    data = market_data(prices)
    fee = 0.001
    q = 1000 / (11 * (1 + fee))
    spy = (q / 2 * 12 * (1 - fee)) / (100 * (1 + fee))
    iwm = q / 2 + spy * 100 * (1 - fee) / (10 * (1 + fee))
    expected = iwm * 10.5
    cfg = rsi_config(initial_cash=1000, fees_bps=10, slippage_bps=0)
    core, chunk = table_plan(RSI_TRIM, cfg, data, pd.DataFrame({"n": [3]}))
    result = core.run(chunk, Window.of(0, 7))
    stats = dict(zip(STAT_COLUMNS, result.stats[0], strict=True))
    assert stats["final_equity"] == pytest.approx(expected, rel=1e-12)
    assert stats["trades"] == 5 and stats["rebalances"] == 3
    paid = 1000 - q * 11 + q / 2 * 12 * fee + (q / 2 * 12 * (1 - fee) - spy * 100)
    paid += spy * 100 * fee + (spy * 100 * (1 - fee) - (iwm - q / 2) * 10)
    assert stats["fees"] == pytest.approx(paid, rel=1e-9)


COMBOS = pd.DataFrame(
    {
        "n": [14, 5, 9, 21, 7, 3, 14, 11],
        "upper": [70.0, 60, 65, 75, 62, 80, 70, 66],
        "lower": [50.0, 40, 45, 30, 62, 20, 50, 44],
        "cooldown": [0, 0, 5, 2, 0, 10, 0, 3],
        "trim_weight": [0.5, 0.0, 0.2, 0.5, 0.7, 0.3, 0.5, 0.4],
        "core_weight": [1.0, 1.0, 0.9, 1.0, 1.0, 0.6, 1.0, 0.95],
        "destination": pd.array(["SPY", "SPY", "cash", "SPY", "SPY", "cash", "SPY", "SPY"]),
        "signal": pd.array(
            ["price", "price", "price", "ratio", "price", "ratio", "price", "price"]
        ),
        "price_field": pd.array(["adj_close"] * 7 + ["close"]),
    }
)


def _engine_runs(cfg, data, table, window):
    base = cfg.params
    rows = table.to_dict(orient="records")
    return [
        oracle_combination(RSI_TRIM, cfg, data, base.model_copy(update=r), window) for r in rows
    ]


@pytest.mark.parametrize(
    "backtest",
    [
        {"fees_bps": 10, "slippage_bps": 5},
        {"fees_bps": 1, "slippage_bps": 1, "lag": 2},
        {"fees_bps": 3, "slippage_bps": 2, "trade_at": "open", "risk_free_pct": 2.0},
        {"fees_bps": 2, "slippage_bps": 1, "cash_ticker": "^IRX"},
    ],
)
def test_every_statistic_matches_vectorbt_combination_by_combination(walk_data, backtest):
    if "cash_ticker" in backtest:  # a yield series for the cash to earn, with holiday gaps
        prices = walk_data.adj_close.copy()
        prices["^IRX"] = 4.0 + np.sin(np.arange(len(prices)) / 50.0)
        prices.iloc[::97, prices.columns.get_loc("^IRX")] = np.nan
        walk_data = market_data(prices, walk_data.field("adj_open").assign(**{"^IRX": np.nan}))
    cfg = rsi_config(**backtest)
    start, end = 300, len(walk_data.index) - 1
    window = Window.of(start, end, blocks=8)
    core, chunk = table_plan(RSI_TRIM, cfg, walk_data, COMBOS)
    kernel = core.run(chunk, window)
    runs = _engine_runs(cfg, walk_data, COMBOS, window)
    spy = pd.Series(
        main_benchmark_returns(cfg, walk_data, start, end),
        index=walk_data.index[start + 1 : end + 1],
    )
    engine_stats = np.vstack([stats_row(r, cfg.backtest.risk_free_pct, spy) for r in runs])
    engine_returns = np.vstack([r.returns.to_numpy() for r in runs])
    engine_blocks = np.stack([block_sums(row, window) for row in engine_returns])
    assert (engine_stats[:, STAT_COLUMNS.index("trades")] > 5).all()  # the rule trades
    np.testing.assert_allclose(kernel.stats, engine_stats, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(kernel.blocks, engine_blocks, rtol=1e-9, atol=1e-13)
    returns = core.returns(chunk, window)
    np.testing.assert_allclose(returns, engine_returns, rtol=1e-9, atol=1e-14)


def test_parallel_and_single_threaded_kernels_agree_bit_for_bit(walk_data):
    core, chunk = table_plan(RSI_TRIM, rsi_config(), walk_data, COMBOS)
    window = Window.of(100, len(walk_data.index) - 1, blocks=4)
    a = core.run(chunk, window, parallel=True)
    b = core.run(chunk, window, parallel=False)
    np.testing.assert_array_equal(a.stats, b.stats)
    np.testing.assert_array_equal(a.blocks, b.blocks)


def test_a_window_inside_the_data_uses_the_history_before_it(walk_data):
    """The state entering a window comes from decisions before it: a window starting while
    trimmed buys the trimmed allocation on its first trade."""
    cfg = rsi_config(fees_bps=0, slippage_bps=0)
    table = pd.DataFrame({"n": [5], "upper": [60.0], "lower": [30.0]})
    core, chunk = table_plan(RSI_TRIM, cfg, walk_data, table)
    params = RSI_TRIM.params_model(n=5, upper=60, lower=30)
    rows = RSI_TRIM.weights(walk_data, params)
    held = rows["IWM"].ffill()
    trimmed_days = np.flatnonzero((held == 0.5).to_numpy()[50:-5]) + 50
    start = int(trimmed_days[len(trimmed_days) // 2])
    assert held.iloc[start] == 0.5 and rows.iloc[start].isna().all()  # trimmed, no new row
    window = Window.of(start, start + 3)
    engine = oracle_combination(RSI_TRIM, cfg, walk_data, params, window)
    assert engine.weights["IWM"].iloc[1] == pytest.approx(0.5)
    kernel = core.run(chunk, window).stats[0, 0]
    assert kernel == pytest.approx(float(engine.equity.iloc[-1]), rel=1e-12)


@pytest.mark.parametrize("bad", [np.nan, 0.0, -3.0, np.inf])
def test_a_held_ticker_without_a_usable_price_is_refused_like_a_single_run(walk_data, bad):
    """A gap, a zero, a negative or an infinite close of a held ticker stops the sweep with the
    ticker, the date and the parameters, as engine.simulate.portfolio stops a single run."""
    prices = walk_data.adj_close.copy()
    day = prices.index[400]
    prices.loc[day, "IWM"] = bad
    data = market_data(prices)
    core, chunk = table_plan(RSI_TRIM, rsi_config(), data, pd.DataFrame({"n": [14]}))
    with pytest.raises(DataQualityError, match=rf"hold IWM on {day.date()} with parameters"):
        core.run(chunk, Window.of(300, len(data.index) - 1))
