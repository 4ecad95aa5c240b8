"""Every batch form equals its single runs and looks no further ahead than they do.

Generic over `strategies.discover()`: for each strategy with a batch form and a default `[sweep]`
grid, hypothesis draws several rows of that grid into one table, on synthetic bars for every
ticker any row needs (the look-ahead test's generator). Combination j of the batch must equal a
single run with row j's parameters (`Strategy.weights`, the batch of one) exactly, and rewriting
every price after day t must leave each combination's weights up to t unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import load_config, read_toml
from engine.decisions import combo_params
from engine.tuning.batch import requirements
from engine.tuning.grid import build_grid
from tests.test_lookahead import STRATEGIES, cut_days, first_look_ahead, synthetic_data, tickers_for

SWEPT = {
    name: s
    for name, s in sorted(STRATEGIES.items())
    if s.has_batch_form and "sweep" in read_toml(s.default_config)
}


def grid_table(strategy) -> tuple[object, pd.DataFrame]:
    """The strategy's default parameters and the valid rows of its default [sweep] grid."""
    base = load_config(strategy).params
    grid = build_grid(strategy.params_model, base, (), read_toml(strategy.default_config)["sweep"])
    table = grid.table()
    dump = base.model_dump()
    keep = []
    for i, row in enumerate(table.to_dict(orient="records")):
        try:
            strategy.params_model.model_validate({**dump, **row})
            keep.append(i)
        except ValueError:
            pass
    return base, table.iloc[keep].reset_index(drop=True)


_CACHE: dict[str, tuple] = {}


def fixture_for(name: str):
    """(strategy, base params, grid table, synthetic data for every ticker of the grid)."""
    if name not in _CACHE:
        strategy = STRATEGIES[name]
        base, table = grid_table(strategy)
        tickers, _, _ = requirements(strategy, base, table)
        names = list(dict.fromkeys([*tickers_for(strategy), *(t.upper() for t in tickers)]))
        data = synthetic_data(names, sum(map(ord, name)))
        _CACHE[name] = (strategy, base, table, data)
    return _CACHE[name]


@pytest.mark.parametrize("name", sorted(SWEPT))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_each_combination_of_a_batch_equals_its_single_run(name: str, data) -> None:
    strategy, base, table, market = fixture_for(name)
    rows = data.draw(
        st.lists(st.integers(0, len(table) - 1), min_size=1, max_size=6), label="grid rows"
    )
    chosen = table.iloc[rows].reset_index(drop=True)
    batch = strategy.batch(market, base, chosen)
    assert batch.n_combos == len(chosen)
    for j, params in enumerate(combo_params(base, chosen)):
        single = strategy.weights(market, params)
        got = batch.frame(j).reindex(columns=single.columns)
        extra = batch.frame(j).drop(columns=single.columns)
        pd.testing.assert_frame_equal(got, single, check_freq=False, obj=f"{name} row {j}")
        # columns other combinations need stay unheld whenever this one sets a row
        assert (extra.fillna(0.0) == 0.0).all().all()


@pytest.mark.parametrize("name", sorted(SWEPT))
def test_a_batch_looks_no_further_ahead_than_a_single_run(name: str) -> None:
    strategy, base, table, market = fixture_for(name)
    rng = np.random.default_rng(7)
    chosen = table.iloc[rng.choice(len(table), size=min(6, len(table)), replace=False)]
    chosen = chosen.reset_index(drop=True)

    def all_frames(d):
        batch = strategy.batch(d, base, chosen)
        return pd.concat([batch.frame(j) for j in range(batch.n_combos)], axis=1, keys=range(6))

    seed = sum(map(ord, name))
    problem = first_look_ahead(all_frames, market, cut_days(seed), seed)
    assert problem is None, f"{name}: {problem}"


def test_every_shipped_strategy_has_a_batch_form_and_a_default_grid() -> None:
    """A strategy without a batch form still sweeps, slowly; the shipped ones all have one."""
    assert sorted(SWEPT) == sorted(STRATEGIES), sorted(set(STRATEGIES) - set(SWEPT))


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_the_vectorised_validity_of_a_grid_equals_the_models(name: str) -> None:
    """Large sweeps trust `valid_combinations` (sampled against the model); on each default
    grid, with a row the model refuses where the strategy has cross-field checks, every row
    must agree with a full validation."""
    strategy = STRATEGIES[name]
    base = load_config(strategy).params
    grid = build_grid(strategy.params_model, base, (), read_toml(strategy.default_config)["sweep"])
    table = grid.table()
    bad = {
        "rsi_trim": {"upper": 60.0, "lower": 65.0},
        "small_cap_lead": {"small": "SPY", "large": "SPY"},
        "equal_weight_tilt": {"equal_weight": "SPY", "cap_weight": "SPY"},
        "sector_rotation": {"top_k": 13},
        "first10days": {"small_cap": "TLT"},
    }.get(name)
    if bad is not None:
        first = table.to_dict(orient="records")[0]  # each column keeps its own type
        table = pd.concat([table, pd.DataFrame([{**first, **bad}])])
        table = table.reset_index(drop=True)
    dump = base.model_dump()
    expected = []
    for row in table.to_dict(orient="records"):
        try:
            strategy.params_model.model_validate({**dump, **row})
            expected.append(True)
        except ValueError:
            expected.append(False)
    got = strategy.valid_combinations(table, base)
    assert got.tolist() == expected
    assert (bad is None) or not expected[-1]
