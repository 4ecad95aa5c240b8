"""Walk-forward: window dates, choices made without test data, stitched test windows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.errors import BadInputError
from engine.paths import PROJECT_ROOT
from engine.simulate.oracle import oracle_combination
from engine.stats import metrics
from engine.tuning.executors import LocalExecutor
from engine.tuning.grid import build_grid
from engine.tuning.sweep import load_sweep
from engine.tuning.walk_forward import WalkForwardSpec, run_walk_forward, splits
from engine.tuning.windows import Window
from tests.helpers import market_data
from tests.tuning.conftest import RSI_TRIM, rsi_config

AXES = ["upper=60,70,80", "lower=35,50", "n=5,14"]
SPEC = WalkForwardSpec.parse("train=3y,test=1y")


def _walk(data, spec=SPEC, metric="sharpe"):
    cfg = rsi_config(fees_bps=2, slippage_bps=1)
    grid = build_grid(RSI_TRIM.params_model, cfg.params, AXES)
    setup = load_sweep(RSI_TRIM, cfg, grid, PROJECT_ROOT, data=data)
    with LocalExecutor() as ex:
        return setup, run_walk_forward(setup, ex, spec, metric, chunk_size=5, progress=False)


@pytest.fixture(scope="module")
def walked(walk_data):
    return _walk(walk_data)


def _dates(index, split):
    return [
        str(index[p].date())
        for p in (split.train_start, split.train_end, split.test_start, split.test_end)
    ]


def test_rolling_and_expanding_windows(walk_data):
    index = walk_data.index  # sessions 2009-01-02 .. 2016-12-30
    rolling = splits(index, index, SPEC)
    assert [_dates(index, s) for s in rolling[:2]] == [
        ["2009-01-02", "2011-12-30", "2012-01-03", "2012-12-31"],
        ["2010-01-04", "2012-12-31", "2013-01-02", "2013-12-31"],
    ]
    assert len(rolling) == 5 and _dates(index, rolling[-1])[2:] == ["2016-01-04", "2016-12-30"]
    expanding = splits(index, index, WalkForwardSpec.parse("train=3y,test=2y,mode=expanding"))
    assert [_dates(index, s) for s in expanding] == [
        ["2009-01-02", "2011-12-30", "2012-01-03", "2013-12-31"],
        ["2009-01-02", "2013-12-31", "2014-01-02", "2015-12-31"],
        ["2009-01-02", "2015-12-31", "2016-01-04", "2016-12-30"],  # the short last test
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("train=8y", "both train= and test="),
        ("train=8x,test=2y", "positive number of y or m"),
        ("train=8y,test=2y,mode=sliding", "rolling or expanding"),
        ("train=8y,tests=2y", "expected train=8y,test=2y"),
    ],
)
def test_bad_specs_are_refused(text, message):
    with pytest.raises(BadInputError, match=message):
        WalkForwardSpec.parse(text)


def test_too_long_a_training_window_is_refused(walk_data):
    index = walk_data.index
    with pytest.raises(BadInputError, match="leaves no test window"):
        splits(index, index, WalkForwardSpec.parse("train=9y,test=1y"))


def engine_sharpe(setup, combo, window) -> float:
    """Sharpe of one combination on a window, recomputed through vectorbt."""
    params = setup.cfg.params.model_copy(update=combo)
    run = oracle_combination(setup.strategy, setup.cfg, setup.data, params, window)
    return metrics.sharpe(run.returns.iloc[1:], setup.cfg.backtest.risk_free_pct)


def test_the_choice_is_the_best_training_result_recomputed_by_the_engine(walked, walk_data):
    setup, result = walked
    first = splits(walk_data.index, setup.index, SPEC)[0]
    train = Window.of(first.train_start, first.train_end)
    sharpe = [engine_sharpe(setup, combo, train) for combo in setup.table.to_dict(orient="records")]
    best = setup.table.iloc[int(np.argmax(sharpe))]
    row = result.windows.iloc[0]
    assert [row[f"chosen_{k}"] for k in ("upper", "lower", "n")] == best.tolist()
    assert row["chosen_is_sharpe"] == pytest.approx(max(sharpe), rel=1e-9)


def test_stitched_curve_chains_the_test_windows(walked, walk_data):
    setup, result = walked
    growth = 1.0
    for part, (_, row) in zip(
        splits(walk_data.index, setup.index, SPEC), result.windows.iterrows(), strict=True
    ):
        combo = {k: row[f"chosen_{k}"] for k in ("upper", "lower", "n")}
        params = setup.cfg.params.model_copy(update=combo)
        run = oracle_combination(
            setup.strategy, setup.cfg, walk_data, params, Window.of(part.train_end, part.test_end)
        )
        days = walk_data.index[part.test_start : part.test_end + 1]
        np.testing.assert_allclose(
            result.oos_returns.loc[days, "chosen"], run.returns.iloc[1:], rtol=1e-9, atol=1e-14
        )
        growth *= run.equity.iloc[-1] / run.equity.iloc[0]
    final = result.oos_equity["chosen"].iloc[-1]
    assert final == pytest.approx(setup.cfg.backtest.initial_cash * growth, rel=1e-9)
    assert result.oos_returns.index.is_unique and len(result.oos_returns) == sum(
        p.test_end - p.test_start + 1 for p in splits(walk_data.index, setup.index, SPEC)
    )
    assert list(result.summary.index) == ["chosen", "default", "benchmark"]


def test_benchmark_over_the_test_windows_is_buy_and_hold(walked, walk_data):
    """The main benchmark (SPY buy & hold, rsi_trim's first) over each test window, computed
    here from SPY's closes alone: like the strategy, it starts the window in cash, buys at the
    close `lag` sessions after the last training close, paying fees and slippage (the cash
    buys 1 / ((1 + fees)(1 + slippage)) of its value in SPY), and holds to the test end."""
    setup, result = walked
    assert result.benchmark == "SPY buy & hold"
    bt = setup.cfg.backtest
    assert bt.trade_at == "close"
    cost = 1.0 / ((1 + bt.fees_bps / 1e4) * (1 + bt.slippage_bps / 1e4))
    spy = walk_data.adj_close["SPY"]
    rf = bt.risk_free_pct
    growth = 1.0
    for part, (_, row) in zip(
        splits(walk_data.index, setup.index, SPEC), result.windows.iterrows(), strict=True
    ):
        fill = part.train_end + bt.lag
        test = spy.iloc[part.train_end : part.test_end + 1]
        equity = pd.Series(1.0, index=test.index)
        equity.iloc[bt.lag :] = cost * spy.iloc[fill : part.test_end + 1] / spy.iloc[fill]
        daily = equity.pct_change().iloc[1:]
        np.testing.assert_allclose(
            result.oos_returns.loc[daily.index, "benchmark"], daily, rtol=1e-9, atol=1e-12
        )
        years = len(daily) / 252
        assert row["benchmark_oos_cagr"] == pytest.approx(
            equity.iloc[-1] ** (1 / years) - 1, rel=1e-8
        )
        excess = daily - ((1 + rf / 100) ** (1 / 252) - 1)
        assert row["benchmark_oos_sharpe"] == pytest.approx(
            excess.mean() / excess.std() * np.sqrt(252), rel=1e-8
        )
        train = spy.iloc[part.train_start + bt.lag : part.train_end + 1]
        sessions = part.train_end - part.train_start
        assert row["benchmark_is_cagr"] == pytest.approx(
            (cost * train.iloc[-1] / train.iloc[0]) ** (252 / sessions) - 1, rel=1e-8
        )
        growth *= equity.iloc[-1]
    final = result.oos_equity["benchmark"].iloc[-1]
    assert final == pytest.approx(setup.cfg.backtest.initial_cash * growth, rel=1e-8)
    assert result.summary.loc["benchmark", "oos_cagr"] == pytest.approx(
        growth ** (252 / len(result.oos_returns)) - 1, rel=1e-8
    )


def test_the_sweep_benchmark_is_the_single_run_benchmark_on_the_window():
    """One definition and timing: the main benchmark of a sweep window enters `lag` sessions
    after the window's start, at the fill price, with the run's costs, exactly as the single
    run's benchmark simulated on the same sessions."""
    import numpy as np
    import pandas as pd

    from engine.config.run_config import load_config
    from engine.config.settings import BacktestSettings
    from engine.simulate.portfolio import run_backtest, static_mix_weights
    from engine.tuning.benchmark import main_benchmark_returns
    from strategies import discover

    index = pd.bdate_range("2020-01-02", periods=120)
    rng = np.random.default_rng(2)
    prices = pd.DataFrame(
        {t: 100 * np.cumprod(1 + rng.normal(0, 0.01, 120)) for t in ("SPY", "IWM")}, index=index
    )
    data = market_data(prices)
    cfg = load_config(
        discover()["first10days"],
        overrides=["backtest.fees_bps=7", "backtest.slippage_bps=1", "backtest.lag=2"],
    )
    got = main_benchmark_returns(cfg, data, 10, 100)
    bench = cfg.benchmarks[0]
    weights = {t.upper(): float(w) for t, w in bench.weights.items()}
    single = run_backtest(
        static_mix_weights(index[10:101], weights, bench.rebalance), data, cfg.backtest
    )
    assert len(got) == 90
    assert got == pytest.approx(single.returns.to_numpy()[1:], abs=1e-15)
    # nothing is held before the fill session (start + lag); the fill session pays the costs
    assert got[0] == 0.0 and got[1] < 0 and got[1] == pytest.approx(-0.0008, abs=2e-4)
    spy = prices["SPY"].to_numpy()
    assert got[2] == pytest.approx(spy[13] / spy[12] - 1.0, rel=1e-3)
    assert isinstance(cfg.backtest, BacktestSettings)
