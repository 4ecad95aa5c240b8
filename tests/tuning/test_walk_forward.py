"""Walk-forward: window dates, choices made without test data, stitched test windows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import metrics
from engine.errors import BadInputError
from engine.oracle import oracle_combination
from engine.paths import PROJECT_ROOT
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
    sharpe = [
        engine_sharpe(setup, combo, train) for combo in setup.table.to_dict(orient="records")
    ]
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
        run = oracle_combination(setup.strategy, setup.cfg, walk_data, params, Window.of(
            part.train_end, part.test_end
        ))
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
    here from SPY's closes alone: bought at the last training close, held to the test end."""
    setup, result = walked
    assert result.benchmark == "SPY buy & hold"
    spy = walk_data.adj_close["SPY"]
    rf = setup.cfg.backtest.risk_free_pct
    growth = 1.0
    for part, (_, row) in zip(
        splits(walk_data.index, setup.index, SPEC), result.windows.iterrows(), strict=True
    ):
        test = spy.iloc[part.train_end : part.test_end + 1]
        daily = test.pct_change().iloc[1:]
        np.testing.assert_allclose(
            result.oos_returns.loc[daily.index, "benchmark"], daily, rtol=1e-12, atol=1e-15
        )
        years = len(daily) / 252
        assert row["benchmark_oos_cagr"] == pytest.approx(
            (test.iloc[-1] / test.iloc[0]) ** (1 / years) - 1, rel=1e-10
        )
        excess = daily - ((1 + rf / 100) ** (1 / 252) - 1)
        assert row["benchmark_oos_sharpe"] == pytest.approx(
            excess.mean() / excess.std() * np.sqrt(252), rel=1e-10
        )
        train = spy.iloc[part.train_start : part.train_end + 1]
        assert row["benchmark_is_cagr"] == pytest.approx(
            (train.iloc[-1] / train.iloc[0]) ** (252 / (len(train) - 1)) - 1, rel=1e-10
        )
        growth *= test.iloc[-1] / test.iloc[0]
    final = result.oos_equity["benchmark"].iloc[-1]
    assert final == pytest.approx(setup.cfg.backtest.initial_cash * growth, rel=1e-10)
    assert result.summary.loc["benchmark", "oos_cagr"] == pytest.approx(
        growth ** (252 / len(result.oos_returns)) - 1, rel=1e-10
    )


def test_choices_never_use_data_from_after_the_training_window(walked, walk_data):
    """Property: perturbing every price after window k's training end leaves the choices and
    in-sample statistics of windows 1..k unchanged (and does change what follows)."""
    setup, base = walked
    parts = splits(walk_data.index, setup.index, SPEC)
    rng = np.random.default_rng(17)
    for k in (0, 2):
        cut = parts[k].train_end
        prices = walk_data.adj_close.copy()
        tail = prices.iloc[cut + 1 :]
        prices.iloc[cut + 1 :] = tail * rng.uniform(0.9, 1.1, size=tail.shape).cumprod(axis=0)
        _, other = _walk(market_data(prices, walk_data.field("open").copy()))
        keep = [c for c in base.windows.columns if c.startswith("chosen_") and "oos" not in c]
        keep += ["default_is_sharpe", "default_is_cagr"]
        pd.testing.assert_frame_equal(
            other.windows.loc[:k, keep], base.windows.loc[:k, keep], check_exact=True
        )
        assert other.windows.loc[k, "chosen_oos_sharpe"] != base.windows.loc[k, "chosen_oos_sharpe"]
