"""Every batch form equals its single runs and looks no further ahead than they do.

Generic over `strategies.discover()`: for each strategy with a batch form, hypothesis draws
tables of combinations two ways: rows of its default `[sweep]` grid, and rows with every
parameter drawn from its model (`model_rows`: each reading or mode of a Literal, booleans, whole
numbers and thresholds near their defaults, the model's tickers and weight maps swapped between
fields and reordered), over a drawn base. The bars are synthetic for every ticker any row needs
(the look-ahead test's generator), with or without missing prices and a late listing.
Combination j of a batch must equal a single run with row j's parameters (`Strategy.weights`,
the batch of one) exactly, and rewriting every price after day t must leave each combination's
weights up to t unchanged. So every strategy's every mode is checked here, not in each
strategy's own tests.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest
from annotated_types import Ge, Gt, Le, Lt
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.config.run_config import load_config, read_toml
from engine.data.model import MarketData
from engine.decisions.batch import combo_params
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


def _bounds(metadata: list) -> tuple[float | None, float | None, bool, bool]:
    """(low, high, low excluded, high excluded) from a field's pydantic constraints."""
    lo = hi = None
    lo_open = hi_open = False
    for m in metadata:
        if isinstance(m, Ge):
            lo = m.ge
        elif isinstance(m, Gt):
            lo, lo_open = m.gt, True
        elif isinstance(m, Le):
            hi = m.le
        elif isinstance(m, Lt):
            hi, hi_open = m.lt, True
    return lo, hi, lo_open, hi_open


def _values(annotation: Any, metadata: list, default: Any, pools: dict) -> st.SearchStrategy | None:
    """Values of one parameter: every Literal choice, whole numbers and thresholds near the
    default, the model's tickers and weight maps; None for what is not varied (lists)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is typing.Annotated:
        return _values(args[0], [*metadata, *args[1].metadata], default, pools)
    if origin in (typing.Union, types.UnionType):
        parts = [_values(a, metadata, default, pools) for a in args]
        parts = [p for p in parts if p is not None and typing.get_origin(args[0]) is not dict]
        return st.one_of(*parts) if parts else None
    lo, hi, lo_open, hi_open = _bounds(metadata)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        low = int(lo) + int(lo_open) if lo is not None else 0
        start = default if isinstance(default, int) else low
        top = max(low + 40, 2 * start)
        high = min(int(hi) - int(hi_open), top) if hi is not None else top
        return st.integers(low, high)
    if annotation is float:
        base = float(default)
        near = [base + d for d in (-0.02, -0.005, 0.0, 0.005, 0.02)] + [base * 0.8, base * 1.2]
        ok = [
            v
            for v in near
            if (lo is None or v > lo or (v == lo and not lo_open))
            and (hi is None or v < hi or (v == hi and not hi_open))
        ]
        return st.sampled_from(sorted(set(ok)))
    if origin is dict:
        return st.sampled_from(pools["maps"])
    if annotation is str:
        return st.sampled_from(pools["tickers"])
    return None


def model_values(model: type) -> dict[str, st.SearchStrategy]:
    """Parameter name -> the values `model_rows` draws for it."""
    fields = model.model_fields
    maps = [
        dict(f.default) for f in fields.values() if isinstance(f.default, Mapping) and f.default
    ]
    pools = {
        "maps": maps + [dict(reversed(list(m.items()))) for m in maps],
        "tickers": sorted({f.default for f in fields.values() if f.annotation is str}),
    }
    out = {}
    for name, f in fields.items():
        values = _values(f.annotation, list(f.metadata), f.default, pools)
        if values is not None and (f.annotation is not str or pools["tickers"]):
            out[name] = values
    return out


def valid(model: type, base: dict[str, Any], row: dict[str, Any]) -> bool:
    try:
        model.model_validate({**base, **row})
        return True
    except ValueError:
        return False


@st.composite
def model_rows(draw, strategy) -> tuple[Any, pd.DataFrame]:
    """(base parameters, a table of 1-6 combinations), every parameter drawn from the model."""
    model = strategy.params_model
    values = model_values(model)
    default = load_config(strategy).params.model_dump()
    row = st.fixed_dictionaries(values)
    base_row = draw(row, label="base")
    assume(valid(model, default, base_row))
    base = model.model_validate({**default, **base_row})
    swept = draw(st.sets(st.sampled_from(sorted(values)), min_size=1), label="swept")
    rows = [r for r in draw(st.lists(row, min_size=1, max_size=6), label="rows")]
    rows = [{n: r[n] for n in sorted(swept)} for r in rows]
    rows = [r for r in rows if valid(model, base.model_dump(), r)]
    assume(rows)
    columns = {}
    for name in sorted(swept):
        column = [r[name] for r in rows]
        plain = all(isinstance(v, (int, float, bool)) for v in column)
        columns[name] = pd.Series(column, dtype=None if plain else object)
    return base, pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))


def with_holes(data: MarketData, seed: int) -> MarketData:
    """`data` with about 2% of the sessions of each ticker missing (every field at once), and
    its last ticker listed late (no bars in the first quarter of the span)."""
    mask = np.random.default_rng(seed).random(data.adj_close.shape) < 0.02
    mask[: len(mask) // 4, -1] = True
    return MarketData(fields={n: f.mask(mask) for n, f in data.fields.items()})


_CACHE: dict[str, tuple] = {}
_DATA: dict[tuple[str, bool], MarketData] = {}


def market_for(name: str, holes: bool) -> MarketData:
    """Synthetic bars for every ticker the strategy's grid or model rows can name."""
    if (name, holes) not in _DATA:
        data = fixture_for(name)[3]
        _DATA[(name, holes)] = with_holes(data, sum(map(ord, name))) if holes else data
    return _DATA[(name, holes)]


def fixture_for(name: str):
    """(strategy, base params, grid table, synthetic data for every ticker of the grid)."""
    if name not in _CACHE:
        strategy = STRATEGIES[name]
        base, table = grid_table(strategy)
        tickers, _, _ = requirements(strategy, base, table)
        fields = strategy.params_model.model_fields
        named = [f.default for f in fields.values() if f.annotation is str]
        maps = [t for f in fields.values() if isinstance(f.default, Mapping) for t in f.default]
        wanted = [*tickers_for(strategy), *tickers, *named, *maps]
        names = list(dict.fromkeys(t.upper() for t in wanted))
        data = synthetic_data(names, sum(map(ord, name)))
        _CACHE[name] = (strategy, base, table, data)
    return _CACHE[name]


def drawn(name: str, data: st.DataObject) -> tuple[Any, Any, pd.DataFrame, MarketData]:
    """(strategy, base, table of model rows, bars with or without missing prices), drawn."""
    strategy = STRATEGIES[name]
    base, table = data.draw(model_rows(strategy), label="combinations")
    market = market_for(name, data.draw(st.booleans(), label="missing prices"))
    return strategy, base, table, market


def assert_batch_equals_single(strategy, market: MarketData, base, table: pd.DataFrame) -> None:
    """`batch(market, base, table).frame(j)` is `weights(market, params_j)` for every j: a
    combination's own columns exactly; the columns only other combinations need are 0 on its
    set rows and NaN elsewhere; and the batch of that row alone is the single run, columns too."""
    batch = strategy.batch(market, base, table)
    assert batch.n_combos == len(table)
    for j, params in enumerate(combo_params(base, table)):
        single = strategy.weights(market, params)
        frame = batch.frame(j)
        pd.testing.assert_frame_equal(
            frame.reindex(columns=single.columns), single, check_freq=False, obj=f"row {j}"
        )
        extra = frame.drop(columns=single.columns)
        set_rows = single.notna().any(axis=1).to_numpy()
        assert (extra[set_rows] == 0.0).all().all()
        assert extra[~set_rows].isna().all().all()
        alone = strategy.batch(market, base, table.iloc[[j]].reset_index(drop=True)).frame(0)
        pd.testing.assert_frame_equal(alone, single, check_freq=False, obj=f"row {j} alone")


@pytest.mark.parametrize("name", sorted(SWEPT))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_each_combination_of_a_batch_equals_its_single_run(name: str, data) -> None:
    strategy, base, table, market = fixture_for(name)
    rows = data.draw(
        st.lists(st.integers(0, len(table) - 1), min_size=1, max_size=6), label="grid rows"
    )
    assert_batch_equals_single(strategy, market, base, table.iloc[rows].reset_index(drop=True))


@pytest.mark.parametrize("name", sorted(SWEPT))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_parameters_in_a_batch_equal_their_single_runs(name: str, data) -> None:
    """Every mode and reading, swept or as the base, on bars with or without missing prices."""
    strategy, base, table, market = drawn(name, data)
    assert_batch_equals_single(strategy, market, base, table)


def frames_of(strategy, base, table: pd.DataFrame):
    """Every combination's weights side by side, as a function of the bars."""

    def all_frames(d: MarketData) -> pd.DataFrame:
        batch = strategy.batch(d, base, table)
        frames = [batch.frame(j) for j in range(batch.n_combos)]
        return pd.concat(frames, axis=1, keys=range(batch.n_combos))

    return all_frames


@pytest.mark.parametrize("name", sorted(SWEPT))
def test_a_batch_looks_no_further_ahead_than_a_single_run(name: str) -> None:
    strategy, base, table, market = fixture_for(name)
    rng = np.random.default_rng(7)
    chosen = table.iloc[rng.choice(len(table), size=min(6, len(table)), replace=False)]
    chosen = chosen.reset_index(drop=True)
    seed = sum(map(ord, name))
    problem = first_look_ahead(frames_of(strategy, base, chosen), market, cut_days(seed), seed)
    assert problem is None, f"{name}: {problem}"


@pytest.mark.parametrize("name", sorted(SWEPT))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_parameters_look_ahead(name: str, data) -> None:
    """Every mode and reading (drawn as in `model_rows`) decides at t from bars up to t only."""
    strategy, base, table, market = drawn(name, data)
    seed = sum(map(ord, name))
    problem = first_look_ahead(frames_of(strategy, base, table), market, cut_days(seed), seed)
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
