"""Compiled loops over (combinations x sessions) for the batch forms of the rules.

Kept apart from `strategies.rules` (numpy and pandas) as vectorbt keeps its `nb` modules: these
functions take and return plain arrays only, so numba compiles them once and caches them.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["grown", "threshold_labels"]


@numba.njit(cache=True)
def threshold_labels(
    measures: np.ndarray,
    which: np.ndarray,
    thresholds: np.ndarray,
    on: np.ndarray,
    off: np.ndarray,
    fill_first: bool,
) -> np.ndarray:
    """Label per combination j and session t: `on[j]` where `measures[which[j], t]` is above
    `thresholds[j]`, `off[j]` where it is not, -1 (no decision) where the measure is NaN.

    With `fill_first`, a combination without a decision on the first session gets `off[j]`
    there: the allocation wanted before the first decision. One pass per combination over a
    shared measure row, so each indicator is computed once per distinct parameter value.
    """
    n = which.shape[0]
    sessions = measures.shape[1]
    out = np.empty((n, sessions), dtype=np.int32)
    for j in range(n):
        row = measures[which[j]]
        threshold = thresholds[j]
        hi = on[j]
        lo = off[j]
        for t in range(sessions):
            value = row[t]
            if value > threshold:
                out[j, t] = hi
            elif value <= threshold:
                out[j, t] = lo
            else:  # NaN: an input is missing or the indicator is warming up
                out[j, t] = -1
        if fill_first and sessions > 0 and out[j, 0] < 0:
            out[j, 0] = lo
    return out


@numba.njit(cache=True)
def grown(array: np.ndarray, used: int, capacity: int) -> np.ndarray:
    """`array` with room for `capacity` entries, its first `used` kept: event buffers whose
    final size is known only at the end grow by doubling."""
    out = np.empty(capacity, dtype=array.dtype)
    out[:used] = array[:used]
    return out
