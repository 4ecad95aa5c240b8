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


@numba.njit(cache=True)
def _equal_to(
    offsets: np.ndarray, positions: np.ndarray, rows: np.ndarray, pairs: np.ndarray
) -> np.ndarray:
    """For each (a, b) of `pairs`: whether combinations a and b have the same events."""
    out = np.empty(len(pairs), dtype=np.bool_)
    for p in range(len(pairs)):
        a, b = pairs[p, 0], pairs[p, 1]
        n = offsets[a + 1] - offsets[a]
        same = n == offsets[b + 1] - offsets[b]
        e = 0
        while same and e < n:
            ea, eb = offsets[a] + e, offsets[b] + e
            same = positions[ea] == positions[eb] and rows[ea] == rows[eb]
            e += 1
        out[p] = same
    return out


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
    seen = np.flatnonzero(firsts[number] != np.arange(n))  # a hash seen before
    pairs = np.stack([firsts[number[seen]], seen], axis=1).astype(np.int64)
    same = _equal_to(decisions.offsets, decisions.positions, decisions.rows, pairs)
    for j in seen[~same]:  # a collision: its own
        representatives.append(int(j))
        number[j] = len(representatives) - 1
    return np.asarray(representatives, dtype=np.int64), number
