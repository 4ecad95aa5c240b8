"""Combinations whose decisions are identical are simulated once.

Many grids hold parameters that do not matter in some combinations (a volatility window under
equal weights, a regime threshold with the filter off, a cooldown longer than any spell): their
decisions, hence their portfolios and statistics, are the same. The kernel runs one
representative of each set of identical event lists and the others copy its results. Equality
is decided on the events themselves (a hash to group, then an exact comparison), never assumed
from the parameters.
"""

from __future__ import annotations

import numba
import numpy as np

from engine.decisions.batch import Decisions

__all__ = ["distinct_combinations"]


@numba.njit(cache=True)
def _event_hashes(offsets: np.ndarray, positions: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """A 64-bit FNV-style hash of each combination's (position, row) sequence."""
    n = len(offsets) - 1
    out = np.empty(n, dtype=np.uint64)
    prime = np.uint64(1099511628211)
    for j in range(n):
        h = np.uint64(14695981039346656037) ^ np.uint64(offsets[j + 1] - offsets[j])
        for e in range(offsets[j], offsets[j + 1]):
            h = (h ^ np.uint64(positions[e])) * prime
            h = (h ^ np.uint64(rows[e])) * prime
        out[j] = h
    return out


def _same(decisions: Decisions, a: int, b: int) -> bool:
    o = decisions.offsets
    sa, sb = slice(o[a], o[a + 1]), slice(o[b], o[b + 1])
    return bool(
        o[a + 1] - o[a] == o[b + 1] - o[b]
        and np.array_equal(decisions.positions[sa], decisions.positions[sb])
        and np.array_equal(decisions.rows[sa], decisions.rows[sb])
    )


def distinct_combinations(decisions: Decisions) -> tuple[np.ndarray, np.ndarray] | None:
    """(representatives, each combination's number among them), or None when all differ.

    Combinations are identical when their event positions and weight-row numbers are equal
    (one palette, so equal numbers are equal rows)."""
    n = decisions.n_combos
    if n < 2:
        return None
    hashes = _event_hashes(decisions.offsets, decisions.positions, decisions.rows)
    _, firsts, number = np.unique(hashes, return_index=True, return_inverse=True)
    number = number.reshape(-1)
    if len(firsts) == n:
        return None
    representatives = list(firsts)
    for j in np.flatnonzero(firsts[number] != np.arange(n)):  # a hash seen before
        if not _same(decisions, int(firsts[number[j]]), int(j)):  # a collision: its own
            representatives.append(int(j))
            number[j] = len(representatives) - 1
    return np.asarray(representatives, dtype=np.int64), number
