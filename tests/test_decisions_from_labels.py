"""Decisions.from_labels on a hand-made label matrix: merged equal rows, keeps, forced rows."""

from __future__ import annotations

import numpy as np
import pytest

from engine.calendar import nyse_sessions
from engine.decisions.batch import Decisions

INDEX = nyse_sessions("2021-03-01", "2021-03-08")  # 6 sessions
# Rows 0 and 2 are the same allocation: switching between their labels is no change.
PALETTE = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64])
def test_events_merge_equal_rows_and_skip_no_decision(dtype):
    labels = np.array([[-1, 0, 2, -1, 1, 0], [1, 1, -1, 2, 2, 1]], dtype=dtype)
    out = Decisions.from_labels(labels, PALETTE, INDEX, ["A", "B"])
    assert out.palette.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert out.events(0)[0].tolist() == [1, 4, 5]  # 0 -> 2 is the same weights
    assert out.events(0)[1].tolist() == [0, 1, 0]
    assert out.events(1)[0].tolist() == [0, 3, 5]
    assert out.events(1)[1].tolist() == [1, 0, 1]


def test_forced_rows_are_emitted_even_unchanged():
    labels = np.array([[0, 0, 0, 1, 1, 1]])
    force = np.array([[False, True, False, False, False, True]])
    out = Decisions.from_labels(labels, PALETTE, INDEX, ["A", "B"], force=force)
    assert out.events(0)[0].tolist() == [0, 1, 3, 5]


def test_a_label_without_a_palette_row_is_refused():
    with pytest.raises(ValueError, match="label 3 has no palette row"):
        Decisions.from_labels(np.array([[0, 3, 1, 0, 0, 0]]), PALETTE, INDEX, ["A", "B"])
