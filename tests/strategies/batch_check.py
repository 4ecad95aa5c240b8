"""The property every batch form must have: each combination of a batch decides exactly what
a single run with that combination's parameters decides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from pydantic import BaseModel

from engine.data.model import MarketData
from engine.strategy import Strategy


def sweep_table(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> pd.DataFrame:
    """A sweep table of `names` (object columns, as the grid builds for maps and words)."""
    columns = {}
    for name in names:
        values = [row[name] for row in rows]
        maps = any(isinstance(v, Mapping) for v in values)
        columns[name] = pd.Series(values, dtype=object if maps else None)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))


def combination(base: BaseModel, row: Mapping[str, Any], names: Sequence[str]) -> BaseModel:
    """The validated parameters of one row: `base` with the row's swept values."""
    return type(base).model_validate({**base.model_dump(), **{n: row[n] for n in names}})


def assert_batch_equals_single(
    strategy: Strategy,
    data: MarketData,
    base: BaseModel,
    rows: Sequence[Mapping[str, Any]],
    names: Sequence[str],
) -> None:
    """`decide(data, base, table).frame(j)` is `strategy.weights(data, params_j)` for every j.

    The batch's columns are the union over its combinations: a combination's own columns must
    match exactly, the others must be 0 on its set rows and NaN elsewhere. The batch of that one
    row alone must equal the single run including its columns.
    """
    table = sweep_table(rows, names)
    batch = strategy.decide(data, base, table)
    assert batch.n_combos == len(rows)
    for j, row in enumerate(rows):
        single = strategy.weights(data, combination(base, row, names))
        frame = batch.frame(j)
        pd.testing.assert_frame_equal(frame[list(single.columns)], single)
        extra = [c for c in frame.columns if c not in single.columns]
        set_rows = single.notna().any(axis=1).to_numpy()
        assert (frame.loc[set_rows, extra] == 0).all().all()
        assert frame.loc[~set_rows, extra].isna().all().all()
        alone = strategy.decide(data, base, table.iloc[[j]].reset_index(drop=True)).frame(0)
        pd.testing.assert_frame_equal(alone, single)
