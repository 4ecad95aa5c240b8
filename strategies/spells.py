"""Two-state rules as spells: from the spells of the "on" state to `Decisions`, in a batch.

A rule such as first10days holds an "on" allocation over spells of sessions (from day N to the
year's end) and an "off" one otherwise. Many combinations share few distinct spell sets (one
per distinct indicator and horizon), so the change-only events are computed once per spell set
(a numba kernel) and every combination's events are gathered from its set with array indexing;
no dense (combinations x sessions) label array is ever built (5,000 combinations on 6,600
sessions would need 260 MB per int64 copy).
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np
import pandas as pd

from engine.decisions.batch import Decisions
from strategies import rules

__all__ = ["spell_decisions", "weight_palette"]


@numba.njit(cache=True)
def _spell_events(
    spell_offsets: np.ndarray, starts: np.ndarray, ends: np.ndarray, n_sessions: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Change-only events of each group's ordered, disjoint spells [start, end]: off on the
    first session, on at each start, off again after each end (two passes: count, fill). A
    spell starting on the first session replaces the initial off event."""
    n_groups = len(spell_offsets) - 1
    counts = np.zeros(n_groups, np.int64)
    for g in range(n_groups):
        c = 1
        for k in range(spell_offsets[g], spell_offsets[g + 1]):
            if ends[k] < starts[k]:
                continue
            c += 0 if starts[k] == 0 else 1
            c += 1 if ends[k] + 1 < n_sessions else 0
        counts[g] = c
    offsets = np.zeros(n_groups + 1, np.int64)
    for g in range(n_groups):
        offsets[g + 1] = offsets[g] + counts[g]
    positions = np.empty(offsets[-1], np.int64)
    flags = np.empty(offsets[-1], np.bool_)
    for g in range(n_groups):
        e = offsets[g]
        positions[e] = 0
        flags[e] = False
        for k in range(spell_offsets[g], spell_offsets[g + 1]):
            if ends[k] < starts[k]:
                continue
            if starts[k] != 0:
                e += 1
            positions[e] = starts[k]
            flags[e] = True
            if ends[k] + 1 < n_sessions:
                e += 1
                positions[e] = ends[k] + 1
                flags[e] = False
    return offsets, positions, flags


def weight_palette(maps: list[dict[str, float]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Columns (tickers in first-seen order), the distinct weight rows, and each map's row
    (maps with equal weights share a row, so switching between them is no change)."""
    keys = [tuple(m.items()) for m in maps]
    distinct = list(dict.fromkeys(keys))
    columns = list(dict.fromkeys(t for key in distinct for t, _ in key))
    rows = np.array([rules.weight_row(dict(key), columns) for key in distinct])
    _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    per_key = {key: int(rank[inverse.reshape(-1)[i]]) for i, key in enumerate(distinct)}
    return columns, rows[np.sort(first)], np.array([per_key[k] for k in keys], dtype=np.int64)


def spell_decisions(
    index: pd.DatetimeIndex,
    columns: Sequence[str],
    palette: np.ndarray,
    on_row: np.ndarray,
    off_row: np.ndarray,
    group_spells: Sequence[tuple[np.ndarray, np.ndarray]],
    group_of: np.ndarray,
) -> Decisions:
    """Decisions of combinations whose "on" spells are `group_spells[group_of[j]]` ((starts,
    ends) positions, ordered and disjoint) and whose allocations are palette rows
    `on_row[j]` / `off_row[j]`: "off" from the first session, "on" from each start, "off" again
    after each end. Equal on and off rows give one event, the first session."""
    n_sessions, n_combos = len(index), len(group_of)
    spell_counts = np.array([len(s) for s, _ in group_spells], dtype=np.int64)
    spell_offsets = np.concatenate([[0], np.cumsum(spell_counts)]).astype(np.int64)
    empty = np.empty(0, np.int64)
    group_start, flat_pos, flat_on = _spell_events(
        spell_offsets,
        np.concatenate([empty, *(s for s, _ in group_spells)]).astype(np.int64),
        np.concatenate([empty, *(e for _, e in group_spells)]).astype(np.int64),
        n_sessions,
    )
    group_len = np.diff(group_start)
    counts = np.where(on_row == off_row, 1, group_len[group_of])
    offsets = np.zeros(n_combos + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    owner = np.repeat(np.arange(n_combos), counts)
    source = group_start[:-1][group_of[owner]] + np.arange(offsets[-1]) - offsets[owner]
    rows = np.where(flat_on[source], on_row[owner], off_row[owner])
    return Decisions(index, tuple(columns), palette, offsets, flat_pos[source], rows)
