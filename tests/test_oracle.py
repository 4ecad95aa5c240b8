"""The portfolio kernel against its oracle, vectorbt's `Portfolio.from_orders`, on the same
execution inputs: every shipped strategy's default run (and its benchmarks) on the real mirror,
2015-2020, must agree in equity, realised weights, cash, order log, cash earned and every
statistic to 1e-12; so must variants with a cash yield, fills at the open and a lag of two."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.config.run_config import load_config
from engine.config.settings import BacktestSettings
from engine.decisions.discovery import library
from engine.errors import DataQualityError
from engine.paths import PROJECT_ROOT
from engine.simulate.oracle import simulate_with_vectorbt
from engine.simulate.pipeline import (
    beta_returns,
    load_data_for,
    period_index,
    strategy_period,
    trim_weights,
)
from engine.simulate.portfolio import (
    cash_returns_from_series,
    prepare_run,
    refuse_unusable_prices,
    run_backtest,
    static_mix_weights,
)
from engine.simulate.portfolio_nb import simulate_recorded_nb
from engine.simulate.result import BacktestResult
from engine.stats.metrics import stats_table
from tests.helpers import MIRROR, market_data, mirror_overrides

needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no market-data mirror at {MIRROR}")

PERIOD = ["backtest.start=2015-01-01", "backtest.end=2020-12-31"]
# ^IRX: the 13-week bill yield, a cash asset that earns; fills at the open; lag 2
VARIANT = [
    "backtest.cash_ticker='^IRX'",
    "backtest.trade_at='open'",
    "backtest.lag=2",
    "backtest.fees_bps=7",
    "backtest.slippage_bps=3",
]
# Every strategy runs its default config; a few (a cash-holding rule, a rotation through many
# tickers, a calendar rule) run the variant too. A ticker without opens (BIL) is refused by
# both with the same words.
CASES = [(name, []) for name in sorted(library())] + [
    (name, VARIANT) for name in ("first10days", "rsi_trim", "sector_rotation", "macro_regime")
]
TOL = 1e-12


def _assert_same(kernel: BacktestResult, oracle: BacktestResult) -> None:
    def close(a, b) -> None:
        np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=TOL, atol=TOL)

    assert kernel.equity.index.equals(oracle.equity.index)
    close(kernel.equity, oracle.equity)
    close(kernel.returns, oracle.returns)
    assert list(kernel.weights.columns) == list(oracle.weights.columns)
    close(kernel.weights, oracle.weights)
    close(kernel.cash_weight, oracle.cash_weight)
    assert kernel.cash_earned == pytest.approx(oracle.cash_earned, rel=1e-9, abs=1e-6)
    pd.testing.assert_frame_equal(kernel.orders, oracle.orders, rtol=TOL, atol=1e-9)
    pd.testing.assert_frame_equal(kernel.target_weights, oracle.target_weights)


def _same_stats(a: pd.DataFrame, b: pd.DataFrame) -> None:
    for key in a.index:
        for col in a.columns:
            x, y = a.loc[key, col], b.loc[key, col]
            if isinstance(x, float) or isinstance(y, float):
                assert x == pytest.approx(y, rel=TOL, abs=TOL, nan_ok=True), (key, col)
            else:
                assert x == y, (key, col)


@pytest.fixture(scope="module")
def tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("oracle")


@pytest.mark.realdata
@needs_mirror
@pytest.mark.parametrize(("name", "variant"), CASES, ids=[f"{n}-{bool(v)}" for n, v in CASES])
def test_kernel_equals_vectorbt_on_every_strategy(name: str, variant: list, tmp) -> None:
    strategy = library()[name]
    overrides = [*mirror_overrides(tmp), *PERIOD, *variant]
    cfg = load_config(strategy, overrides=overrides)
    data = load_data_for(strategy, cfg, PROJECT_ROOT)
    period = strategy_period(strategy, cfg, data)
    index = period_index(data, period)
    cash = None
    if cfg.backtest.cash_ticker:
        series = data.adj_close[cfg.backtest.cash_ticker.upper()]
        cash = cash_returns_from_series(series, cfg.backtest.cash_ticker_kind).reindex(index)
    runs = {strategy.name: trim_weights(strategy.weights(data, cfg.params), index)}
    for bench in cfg.benchmarks:
        runs[bench.name] = static_mix_weights(index, bench.weights, bench.rebalance)
    kernel, oracle = {}, {}
    for label, weights in runs.items():
        try:
            kernel[label] = run_backtest(weights, data, cfg.backtest, label, cash)
        except DataQualityError as refused:
            with pytest.raises(DataQualityError) as also:
                run_backtest(weights, data, cfg.backtest, label, cash, simulate_with_vectorbt)
            assert str(also.value) == str(refused)
            return
        oracle[label] = run_backtest(
            weights, data, cfg.backtest, label, cash, simulate_with_vectorbt
        )
        _assert_same(kernel[label], oracle[label])
    assert len(kernel[strategy.name].orders) > 0
    if cash is not None and (kernel[strategy.name].cash_weight.iloc[5:] > 0.05).any():
        assert kernel[strategy.name].cash_earned > 0.0  # the bills paid on what was left in cash
    beta = beta_returns(cfg, data, period)
    rf = cfg.backtest.risk_free_pct
    _same_stats(stats_table(kernel, beta, rf), stats_table(oracle, beta, rf))


def test_the_kernel_refuses_exactly_the_runs_the_frame_check_refuses() -> None:
    """Random sparse weight rows on prices with random gaps and zeros: the kernel's own refusal
    (which a single run turns into the frame check's message) fires exactly when the frame
    check (`check_prices_for_holdings`) raises."""
    rng = np.random.default_rng(4)
    index = pd.bdate_range("2024-01-01", periods=40)
    refused = accepted = 0
    for trial in range(60):
        prices = pd.DataFrame(
            rng.uniform(50, 150, size=(40, 3)), index=index, columns=["A", "B", "C"]
        )
        bad = rng.random(prices.shape) < 0.03
        prices = prices.mask(bad, np.where(rng.random(prices.shape) < 0.5, np.nan, 0.0))
        weights = pd.DataFrame(np.nan, index=index, columns=prices.columns)
        for row in rng.choice(40, size=4, replace=False):
            weights.iloc[row] = rng.dirichlet(np.ones(3)) * rng.choice([0.0, 1.0], size=3)
        settings = BacktestSettings(initial_cash=1000, lag=1 + trial % 2)
        data = market_data(prices)
        run = prepare_run(weights, data, settings)
        error = simulate_recorded_nb(
            run.inputs.close, run.inputs.fill, run.inputs.fees, run.inputs.slippage,
            run.palette, run.events.astype(np.int64), np.arange(len(run.events)),
            run.inputs.counted, 1000.0, settings.lag,
        )[4]  # fmt: skip
        try:
            refuse_unusable_prices(run, settings.lag, index)
        except DataQualityError:
            assert error[0] != 0
            refused += 1
        else:
            assert error[0] == 0
            accepted += 1
    assert refused > 5 and accepted > 5  # both outcomes exercised
