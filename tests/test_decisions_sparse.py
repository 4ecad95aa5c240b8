"""`Decisions.from_sparse`: a rule's own events, with equal rows merged and no-ops dropped."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.decisions.batch import Decisions


def test_equal_palette_rows_merge_and_repeated_allocations_are_dropped():
    """Combination 0 switches core -> trimmed -> core; combination 1 has no event; combination
    2's trimmed row equals its core row, so its switches are no change at all."""
    index = pd.bdate_range("2024-01-01", periods=6)
    palette = np.array([[1.0, 0.0], [0.5, 0.5], [1.0, 0.0], [0.5, 0.5], [1.0, 0.0], [1.0, 0.0]])
    offsets = np.array([0, 3, 3, 6])
    positions = np.array([0, 2, 4, 0, 1, 3])
    rows = np.array([0, 1, 0, 4, 5, 4])
    d = Decisions.from_sparse(index, ["IWM", "SPY"], palette, offsets, positions, rows)
    assert d.palette.tolist() == [[1.0, 0.0], [0.5, 0.5]]
    assert d.offsets.tolist() == [0, 3, 3, 4]
    assert d.positions.tolist() == [0, 2, 4, 0] and d.rows.tolist() == [0, 1, 0, 0]
    assert d.frame(1).isna().all().all()
    assert d.frame(2).dropna(how="all").index.tolist() == [index[0]]
