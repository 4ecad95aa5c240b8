"""Identical decisions are simulated once; a history-independent strategy is decided on one
view of the data; either way every sweep row equals its own single run."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from engine.config.run_config import build_config
from engine.decisions.batch import Decisions
from engine.paths import PROJECT_ROOT
from engine.simulate.pipeline import common_period, needed_tickers, simulate_strategy
from engine.tuning.dedup import _equal_to, distinct_combinations
from engine.tuning.executors import LocalExecutor
from engine.tuning.grid import build_grid
from engine.tuning.sweep import load_sweep, run_sweep
from tests.helpers import market_data, random_walk
from tests.tuning.conftest import STRATEGIES


def _decisions(events: list[list[tuple[int, int]]]) -> Decisions:
    index = pd.bdate_range("2020-01-01", periods=20)
    offsets = np.cumsum([0, *map(len, events)]).astype(np.int64)
    flat = [e for combo in events for e in combo]
    positions = np.array([p for p, _ in flat], dtype=np.int64)
    rows = np.array([r for _, r in flat], dtype=np.int64)
    palette = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    return Decisions(index, ("A", "B"), palette, offsets, positions, rows)


def test_identical_event_lists_share_one_representative():
    a, b, c = [(1, 0), (5, 1)], [(1, 0), (5, 2)], [(1, 0)]
    decisions = _decisions([a, b, a, c, b, a])
    representatives, number = distinct_combinations(decisions)
    assert sorted(representatives.tolist()) == [0, 1, 3]
    assert representatives[number].tolist() == [0, 1, 0, 3, 1, 0]
    assert distinct_combinations(_decisions([a, b, c])) is None  # all differ: nothing to do


def test_events_compared_exactly_when_hashes_agree():
    """The exact comparison behind a shared hash: same length, positions and rows, in order."""
    a, b, c, d = [(1, 0), (5, 1)], [(1, 0), (5, 2)], [(1, 0)], [(1, 0), (6, 1)]
    decisions = _decisions([a, b, c, d, a, []])
    pairs = np.array([[0, 4], [0, 1], [0, 2], [0, 3], [2, 0], [5, 5], [1, 1]], dtype=np.int64)
    same = _equal_to(decisions.offsets, decisions.positions, decisions.rows, pairs)
    assert same.tolist() == [True, False, False, False, False, True, True]


def test_sector_rotation_rows_equal_single_runs_on_their_own_data():
    """Lookbacks differ (so would the data each single run loads), equal-weight rows differ
    only in an unused vol_days: the sweep decides once on one view and simulates the distinct
    rows once, and every row is still its single run, to the cent."""
    strategy = STRATEGIES["sector_rotation"]
    members = ["XLB", "XLE", "XLF", "XLI", "XLK"]
    prices = random_walk([*members, "SPY"], "2012-01-01", "2016-12-31", seed=8)
    prices.loc[:"2013-06-28", "XLK"] = np.nan  # listed later: joins once it has the history
    data = market_data(prices)
    doc = {
        "universe": members,
        "late_listed": ["XLK"],
        "backtest": {"start": "2014-01-02"},
        "benchmarks": [{"name": "XLB", "weights": {"XLB": 1.0}}],
    }
    cfg = build_config(strategy, doc)
    axes = ["momentum_days=21,63", "weighting=equal,inverse_vol", "vol_days=21,42", "top_k=2"]
    grid = build_grid(strategy.params_model, cfg.params, axes)
    setup = load_sweep(strategy, cfg, grid, PROJECT_ROOT, data=data)
    assert len(set(setup.plan.first.tolist())) == 1  # one view for every lookback
    with LocalExecutor() as ex:
        result = run_sweep(setup, ex, progress=False, blocks=2)
    period = common_period(data, needed_tickers(strategy, cfg), cfg)
    table = result.table
    for i, row in setup.table.iterrows():
        combo = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        params = cfg.params.model_copy(update=combo)
        single = simulate_strategy(strategy, dataclasses.replace(cfg, params=params), data, period)
        assert table["final_equity"].iloc[i] == single.equity.iloc[-1] or np.isclose(
            table["final_equity"].iloc[i], single.equity.iloc[-1], rtol=1e-12
        )
        assert table["trades"].iloc[i] == len(single.orders)
    equal = table[table["weighting"] == "equal"]
    pairs = equal.groupby("momentum_days")["final_equity"].nunique()
    assert (pairs == 1).all()  # vol_days unused under equal weights: the same portfolio
