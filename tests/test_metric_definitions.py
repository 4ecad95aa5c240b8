"""Each metric agrees with the library METRIC_DEFINITIONS names: the library's published formula
(empyrical 0.5.5 / quantstats `stats.py`) written out here on the same series, neither library
being a dependency."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.simulate.result import BacktestResult
from engine.stats import metrics as m

RF_PCT = 2.0
ANN = 252


def _run() -> tuple[BacktestResult, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    r = rng.normal(0.0004, 0.012, 600)
    index = pd.bdate_range("2020-01-01", periods=601)
    equity = pd.Series(100.0 * np.concatenate([[1.0], np.cumprod(1 + r)]), index=index)
    weights = pd.DataFrame({"X": 1.0}, index=index)
    empty = pd.DataFrame(columns=["date", "ticker", "side", "quantity", "price", "value", "fees"])
    result = BacktestResult("x", equity, equity.pct_change().fillna(0.0), weights,
                            1 - weights.sum(axis=1), weights, empty)  # fmt: skip
    bench = rng.normal(0.0003, 0.01, 600) + 0.5 * r
    return result, r, bench


def test_every_metric_has_a_definition():
    assert set(m.METRIC_DEFINITIONS) <= set(m.METRICS)
    missing = set(m.METRICS) - set(m.METRIC_DEFINITIONS) - {"start", "end", "final_equity"}
    assert not missing
    table = m.definitions_table()
    assert table.loc["Sortino", "agrees with"].startswith("empyrical sortino_ratio")


def test_metrics_match_the_empyrical_and_quantstats_formulas():
    result, r, bench = _run()
    stats = m.compute_stats(result, pd.Series(np.concatenate([[0.0], bench]),
                                              index=result.equity.index), RF_PCT)  # fmt: skip
    rf = (1 + RF_PCT / 100) ** (1 / ANN) - 1  # quantstats' to_excess_returns(nperiods=252)
    adj = r - rf
    # empyrical.annual_return: cum_returns_final ** (1 / (len(returns) / 252)) - 1
    annual_return = np.prod(1 + r) ** (1 / (len(r) / ANN)) - 1
    assert stats["cagr"] == pytest.approx(annual_return, rel=1e-12)
    # empyrical.annual_volatility: nanstd(ddof=1) * sqrt(252)
    assert stats["ann_volatility"] == pytest.approx(np.std(r, ddof=1) * np.sqrt(ANN), rel=1e-12)
    # empyrical.sharpe_ratio: mean(r - rf) / nanstd(r - rf, ddof=1) * sqrt(252)
    assert stats["sharpe"] == pytest.approx(adj.mean() / adj.std(ddof=1) * np.sqrt(ANN), rel=1e-12)
    # empyrical.sortino_ratio: mean(adj) * 252 / (sqrt(nanmean(clip(adj, max=0)^2)) * sqrt(252))
    downside = np.sqrt(np.mean(np.clip(adj, None, 0) ** 2)) * np.sqrt(ANN)
    assert stats["sortino"] == pytest.approx(adj.mean() * ANN / downside, rel=1e-12)
    # quantstats.sortino: sqrt(sum(r[r<0]^2) / len(r)) as the downside, on excess returns
    qs_down = np.sqrt((adj[adj < 0] ** 2).sum() / len(adj))
    assert stats["sortino"] == pytest.approx(adj.mean() / qs_down * np.sqrt(ANN), rel=1e-12)
    # empyrical.max_drawdown on cum_returns(starting_value=100)
    cum = 100 * np.cumprod(1 + r)
    cum = np.concatenate([[100.0], cum])
    mdd = np.min((cum - np.maximum.accumulate(cum)) / np.maximum.accumulate(cum))
    assert stats["max_drawdown"] == pytest.approx(mdd, rel=1e-12)
    # empyrical.calmar_ratio: annual_return / |max_drawdown|
    assert stats["calmar"] == pytest.approx(annual_return / abs(mdd), rel=1e-12)
    # empyrical.beta: cov(r, b) / var(b) (the ddof cancels)
    beta = np.cov(r, bench)[0, 1] / np.var(bench, ddof=1)
    assert stats["beta"] == pytest.approx(beta, rel=1e-12)
    assert stats["correlation"] == pytest.approx(np.corrcoef(r, bench)[0, 1], rel=1e-12)


def test_quantstats_cagr_differs_by_counting_calendar_days():
    result, _, _ = _run()
    eq = result.equity
    days = (eq.index[-1] - eq.index[0]).days
    qs_cagr = (eq.iloc[-1] / eq.iloc[0]) ** (365 / days) - 1
    assert m.cagr(eq) != pytest.approx(qs_cagr, rel=1e-6)  # the definition says so
