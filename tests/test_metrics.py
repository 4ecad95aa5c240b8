"""Metrics: hand-computed values on tiny curves, and cross-checks against vectorbt's returns
accessor (an independent implementation with the same 252-session convention)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import vectorbt  # noqa: F401  (registers the .vbt accessor used below)

from engine.report.toolkit.format import format_stats
from engine.simulate.result import BacktestResult
from engine.stats import metrics as m


def _curve(values: list[float], start: str = "2024-01-02") -> pd.Series:
    return pd.Series(values, index=pd.bdate_range(start, periods=len(values)), dtype=float)


def test_drawdown_depth_and_lengths_by_hand():
    eq = _curve([100, 110, 99, 88, 105, 111, 100, 120, 119])
    # Peak 110 -> trough 88 (-20%), recovered at 111 (position 5): 4 sessions from the peak.
    assert m.max_drawdown(eq) == pytest.approx(88 / 110 - 1)
    assert m.max_drawdown_sessions(eq) == 4
    # Spells: 110@1 -> 111@5 (4), 111@5 -> 120@7 (2), 120@7 -> end@8 (1).
    assert m.longest_drawdown_sessions(eq) == 4
    assert m.drawdown(eq).iloc[-1] == pytest.approx(119 / 120 - 1)


def test_unrecovered_drawdown_runs_to_the_last_session():
    eq = _curve([100, 90, 95, 80, 85])
    assert m.max_drawdown_sessions(eq) == 4
    assert m.longest_drawdown_sessions(eq) == 4


def test_cagr_uses_252_sessions_a_year():
    eq = pd.Series(100 * 1.1 ** (np.arange(505) / 252))  # 504 steps = 2 years at 10%
    assert m.cagr(eq) == pytest.approx(0.10, rel=1e-12)
    assert m.total_return(eq) == pytest.approx(0.21, rel=1e-12)


def test_calendar_year_returns_chain_from_the_previous_year_end():
    idx = pd.to_datetime(["2021-06-01", "2021-12-31", "2022-03-01", "2022-12-30", "2023-02-01"])
    eq = pd.Series([100.0, 120.0, 90.0, 108.0, 113.4], index=idx)
    years = m.calendar_year_returns(eq)
    assert years.to_dict() == pytest.approx({2021: 0.2, 2022: -0.1, 2023: 0.05})


def _random_returns(seed: int = 1, n: int = 700) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(rng.normal(0.0004, 0.011, n), index=pd.bdate_range("2019-01-01", periods=n))


@pytest.mark.parametrize("rf", [0.0, 3.0])
def test_ratios_agree_with_vectorbt(rf):
    r = _random_returns()
    acc = r.vbt.returns(freq="1D", year_freq="252D")
    daily_rf = m.daily_risk_free(rf)
    assert m.sharpe(r, rf) == pytest.approx(acc.sharpe_ratio(risk_free=daily_rf), rel=1e-10)
    assert m.sortino(r, rf) == pytest.approx(acc.sortino_ratio(required_return=daily_rf), rel=1e-10)
    assert m.ann_volatility(r) == pytest.approx(acc.annualized_volatility(), rel=1e-10)
    eq = (1 + r).cumprod()
    assert m.max_drawdown(eq) == pytest.approx(acc.max_drawdown(), rel=1e-12)


def test_beta_and_correlation_against_numpy():
    rng = np.random.default_rng(5)
    bench = pd.Series(rng.normal(0, 0.01, 500))
    r = 1.5 * bench + pd.Series(rng.normal(0, 0.005, 500))
    beta, corr = m.beta_correlation(r, bench)
    slope = np.polyfit(bench, r, 1)[0]
    assert beta == pytest.approx(slope, rel=1e-10)
    assert corr == pytest.approx(np.corrcoef(r, bench)[0, 1], rel=1e-12)


def _result(equity: pd.Series, orders: pd.DataFrame, weights: pd.DataFrame) -> BacktestResult:
    return BacktestResult(
        name="x",
        equity=equity,
        returns=equity.pct_change().fillna(0.0),
        weights=weights,
        cash_weight=1 - weights.sum(axis=1),
        target_weights=weights,
        orders=orders,
    )


def test_turnover_rebalances_and_time_in_market():
    n = 253  # exactly one year of steps
    idx = pd.bdate_range("2020-01-01", periods=n)
    eq = pd.Series(1000.0, index=idx)
    weights = pd.DataFrame({"A": np.r_[np.zeros(53), np.ones(200)]}, index=idx)
    orders = pd.DataFrame(
        {
            "date": [idx[53], idx[100], idx[100]],
            "ticker": ["A", "A", "B"],
            "side": ["buy", "sell", "buy"],
            "quantity": [1.0, 1.0, 1.0],
            "price": [1000.0, 500.0, 500.0],
            "value": [1000.0, 500.0, 500.0],
            "fees": [0.0, 0.0, 0.0],
        }
    )
    stats = m.compute_stats(_result(eq, orders, weights))
    assert stats["turnover"] == pytest.approx(2.0)  # 2000 traded / 1000 average / 1 year
    assert stats["rebalances"] == 2
    assert stats["time_in_market"] == pytest.approx(200 / 253)
    assert math.isnan(stats["sharpe"])  # flat equity: no volatility, Sharpe undefined
    assert math.isnan(stats["beta"])


def test_format_stats_labels_and_formats():
    eq = _curve([100, 101, 99, 103])
    empty = pd.DataFrame(columns=["date", "ticker", "side", "quantity", "price", "value", "fees"])
    res = _result(eq, empty, pd.DataFrame({"A": [1.0] * 4}, index=eq.index))
    table = m.stats_table({"S": res})
    shown = format_stats(table)
    assert shown.loc["Total return", "S"] == "3.00%"
    assert shown.loc["Rebalances", "S"] == "0"
    assert list(table.index) == list(m.METRICS)


def test_buying_and_holding_the_beta_ticker_has_beta_one_exactly():
    """With a one-session lag and costs, the first session's return is costs only; beta and
    correlation use the sessions the run held a position at the previous close, so holding
    the beta ticker itself gives 1 up to float error."""
    from engine.config.settings import BacktestSettings
    from engine.simulate.portfolio import run_backtest, static_mix_weights
    from tests.helpers import market_data

    index = pd.bdate_range("2020-01-02", periods=300)
    rng = np.random.default_rng(4)
    prices = pd.DataFrame({"SPY": 100 * np.cumprod(1 + rng.normal(0, 0.01, 300))}, index=index)
    settings = BacktestSettings(initial_cash=1000, fees_bps=5, slippage_bps=5, lag=1)
    result = run_backtest(
        static_mix_weights(index, {"SPY": 1.0}, "none"), market_data(prices), settings
    )
    spy = prices["SPY"].pct_change().fillna(0.0)
    stats = m.compute_stats(result, spy)
    assert stats["beta"] == pytest.approx(1.0, abs=1e-12)
    assert stats["correlation"] == pytest.approx(1.0, abs=1e-12)
    # All sessions, the fill session included, give the 0.9989-style shortfall.
    beta_all, _ = m.beta_correlation(result.returns.iloc[1:], spy.iloc[1:])
    assert abs(beta_all - 1.0) > 1e-6
