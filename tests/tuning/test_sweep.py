"""Sweeps: the same table whatever the chunking, executor or path; ranks; refused rows."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from engine.config.run_config import build_config
from engine.paths import PROJECT_ROOT
from engine.simulate.oracle import oracle_combination
from engine.simulate.pipeline import common_period, needed_tickers, simulate_strategy
from engine.tuning.executors import DaskExecutor, LocalExecutor
from engine.tuning.grid import build_grid
from engine.tuning.sweep import load_sweep, rank_of, ranking, run_sweep
from engine.tuning.windows import STAT_COLUMNS
from tests.helpers import market_data, random_walk
from tests.tuning.conftest import RSI_TRIM, STRATEGIES, rsi_config

GRID = ["upper=60:80:10", "lower=30,50", "n=5,9", "cooldown=0,3"]


def _setup(data, axes=GRID, engine="auto", **backtest):
    cfg = rsi_config(**backtest)
    grid = build_grid(RSI_TRIM.params_model, cfg.params, axes)
    return load_sweep(RSI_TRIM, cfg, grid, PROJECT_ROOT, engine=engine, data=data)


@pytest.fixture(scope="module")
def reference(walk_data):
    setup = _setup(walk_data)
    with LocalExecutor() as ex:
        return setup, run_sweep(setup, ex, chunk_size=1000, progress=False, blocks=8)


def test_chunking_does_not_change_any_number(walk_data, reference):
    setup, ref = reference
    with LocalExecutor() as ex:
        again = run_sweep(setup, ex, chunk_size=7, progress=True, blocks=8)
    pd.testing.assert_frame_equal(again.table, ref.table)
    np.testing.assert_array_equal(again.blocks, ref.blocks)


def test_dask_cluster_gives_the_same_table(reference):
    from distributed import Client, LocalCluster

    setup, ref = reference
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        executor = DaskExecutor.from_client(client)
        result = run_sweep(setup, executor, chunk_size=5, progress=False, blocks=8)
        assert len(client.scheduler_info()["workers"]) == 1
    pd.testing.assert_frame_equal(result.table, ref.table)
    np.testing.assert_array_equal(result.blocks, ref.blocks)
    assert result.executor == "dask"


def test_single_form_gives_the_same_table_as_the_batch_form(walk_data):
    """The whole grid asked one combination at a time equals the batch form's table."""
    axes = ["upper=65,75", "lower=40", "n=5,9"]
    fast = _setup(walk_data, axes, fees_bps=5, slippage_bps=3)
    slow = _setup(walk_data, axes, engine="single", fees_bps=5, slippage_bps=3)
    assert (fast.engine, slow.engine) == ("batch", "single")
    with LocalExecutor(workers=1) as ex:
        a = run_sweep(fast, ex, progress=False, blocks=4)
        b = run_sweep(slow, ex, progress=False, blocks=4)
    np.testing.assert_allclose(
        a.table[list(STAT_COLUMNS)], b.table[list(STAT_COLUMNS)], rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(a.blocks, b.blocks, rtol=1e-9, atol=1e-13)


def test_rank_and_default_rank(reference):
    setup, ref = reference
    assert setup.default_in_grid is False  # n=14 is not on the grid: the default is extra
    sharpe = ref.table["sharpe"].to_numpy()
    expected_order = sorted(range(len(sharpe)), key=lambda i: (-sharpe[i], i))
    assert ref.order.tolist() == expected_order
    assert ref.table["rank"].iloc[expected_order[0]] == 1
    assert ref.default_rank == 1 + int((sharpe > ref.default_stats["sharpe"]).sum())
    assert rank_of(np.nan, sharpe, "sharpe") == len(sharpe) + 1
    assert ranking(np.array([3.0, np.nan, 1.0]), "turnover").tolist() == [2, 0, 1]


def test_default_inside_the_grid_is_ranked_where_it_stands(walk_data):
    setup = _setup(walk_data, ["upper=60,70,80", "n=7,14"])
    assert setup.default_in_grid and setup.plan_size == setup.n_combos == 6
    with LocalExecutor() as ex:
        result = run_sweep(setup, ex, metric="cagr", progress=False, blocks=4)
    row = setup.default_row
    assert setup.table.iloc[row].to_dict() == {"upper": 70.0, "n": 14}
    assert result.default_rank == result.table["rank"].iloc[row]
    assert result.default_stats["cagr"] == result.table["cagr"].iloc[row]


def test_refused_combinations_are_counted_and_left_out(walk_data):
    setup = _setup(walk_data, ["upper=60,70", "lower=50,65"])
    assert setup.n_combos == 3 and setup.skipped == 1
    assert "must not exceed upper" in setup.skip_reason
    assert not ((setup.table["upper"] == 60) & (setup.table["lower"] == 65)).any()


def test_cash_yield_sweeps_in_batch_and_equals_vectorbt(walk_data):
    """Cash earning a fund's return no longer needs a slow path: the kernel holds the same
    synthetic cash asset as engine.simulate.portfolio."""
    prices = walk_data.adj_close.assign(BIL=100 * 1.0001 ** np.arange(len(walk_data.index)))
    data = market_data(prices)
    cfg = build_config(RSI_TRIM, {"backtest": {"cash_ticker": "BIL", "cash_ticker_kind": "price"}})
    grid = build_grid(RSI_TRIM.params_model, cfg.params, ["upper=65,75", "destination=cash"])
    setup = load_sweep(RSI_TRIM, cfg, grid, PROJECT_ROOT, data=data)
    assert setup.engine == "batch"
    with LocalExecutor() as ex:
        result = run_sweep(setup, ex, progress=False, blocks=2)
    window = setup.window(1)
    for i in range(setup.n_combos):
        params = cfg.params.model_copy(update=setup.table.iloc[i].to_dict())
        engine = oracle_combination(RSI_TRIM, cfg, data, params, window)
        assert result.table["final_equity"].iloc[i] == pytest.approx(
            engine.equity.iloc[-1], rel=1e-9
        )
        assert engine.cash_earned > 0


def test_first10days_sweeps_through_the_engine_like_single_runs():
    """Each row equals a single run of the same parameters (batch form or not)."""
    strategy = STRATEGIES["first10days"]
    prices = random_walk(["SPY", "QQQ", "IWM", "DIA"], "2013-10-01", "2016-12-31", seed=3)
    data = market_data(prices)
    cfg = build_config(strategy, {"backtest": {"start": "2014-01-01"}})
    grid = build_grid(strategy.params_model, cfg.params, ["lead_days=5,10", "anchor=prior_close"])
    setup = load_sweep(strategy, cfg, grid, PROJECT_ROOT, data=data)
    assert setup.n_combos == 2 and setup.default_in_grid
    with LocalExecutor(workers=2) as ex:  # a real two-process pool (chunks of one row)
        result = run_sweep(setup, ex, chunk_size=1, progress=False, blocks=2)
    period = common_period(data, needed_tickers(strategy, cfg), cfg)
    for i, row in setup.table.iterrows():
        params = strategy.params_model(lead_days=int(row["lead_days"]), anchor=row["anchor"])
        single = simulate_strategy(strategy, dataclasses.replace(cfg, params=params), data, period)
        assert result.table["final_equity"].iloc[i] == single.equity.iloc[-1]
        assert result.table["trades"].iloc[i] == len(single.orders)
