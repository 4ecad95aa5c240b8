"""Batched top-k momentum picks: the numeric pieces of a rotation rule, shared by every combination.

A rotation decides on a schedule of sessions: rank the members by their L-session return, keep
those with enough history (and in the wanted group), hold the first k. For a batch, the costly
parts are computed once per distinct value (`price_runs` once, `momentum_ranks` once per
lookback and schedule), and `top_k_events` walks every combination over them in one numba pass,
emitting each decision as a bit set of picked members plus an integer key for its weight row.
`intern` then numbers the distinct keys, so each distinct weight row is built once.

Members are bits of one int64 word, hence at most `MAX_MEMBERS` per universe.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "MAX_MEMBERS",
    "intern",
    "member_bits",
    "momentum",
    "momentum_ranks",
    "price_runs",
    "top_k_events",
]

MAX_MEMBERS = 62


def price_runs(prices: np.ndarray) -> np.ndarray:
    """(sessions, members): how many sessions in a row, ending at t, have a price (0 if t has
    none). A member has a price on each of the last H + 1 sessions up to t iff runs[t] > H."""
    index = np.arange(len(prices))[:, None]
    last_gap = np.maximum.accumulate(np.where(np.isnan(prices), index, -1), axis=0)
    return (index - last_gap).astype(np.int64)


def momentum(prices: np.ndarray, positions: np.ndarray, lookback: int) -> np.ndarray:
    """(len(positions), members): return over the last `lookback` sessions at each position,
    close t against close t - lookback (NaN where either is missing or t < lookback)."""
    out = np.full((len(positions), prices.shape[1]), np.nan)
    ok = positions >= lookback
    now, then = prices[positions[ok]], prices[positions[ok] - lookback]
    out[ok] = now / then - 1.0
    return out


def momentum_ranks(prices: np.ndarray, positions: np.ndarray, lookback: int) -> np.ndarray:
    """Members by decreasing momentum at each position (ties: the member listed first), those
    without a value last; int16 member numbers."""
    value = momentum(prices, positions, lookback)
    key = np.where(np.isnan(value), np.inf, -value)
    return np.argsort(key, axis=1, kind="stable").astype(np.int16)


def member_bits(bits: np.ndarray, n_members: int) -> np.ndarray:
    """(len(bits), n_members) bool: which members each bit set holds."""
    shifts = np.arange(n_members, dtype=np.int64)
    return ((bits[:, None] >> shifts) & 1).astype(bool)


@numba.njit(cache=True)
def _walk(
    j: int,
    fill: bool,
    top_k: np.ndarray,
    rank_id: np.ndarray,
    freq_id: np.ndarray,
    history: np.ndarray,
    regime_id: np.ndarray,
    vol_id: np.ndarray,
    schedule: np.ndarray,
    n_scheduled: np.ndarray,
    ranks: np.ndarray,
    runs: np.ndarray,
    states: np.ndarray,
    groups: np.ndarray,
    k_radix: int,
    v_radix: int,
    positions: np.ndarray,
    picks: np.ndarray,
    keys: np.ndarray,
    start: int,
) -> int:
    """Decisions of combination j (written from `start` when `fill`); returns their number.

    Warm-up: nothing is decided before the first scheduled session with an eligible candidate.
    A regime state of 0 (undefined) makes no decision; 1 and 2 pick from groups 1 and 2.
    """
    f, q, hist, g, v, k = freq_id[j], rank_id[j], history[j], regime_id[j], vol_id[j], top_k[j]
    n_members = ranks.shape[2]
    started = False
    count = 0
    for i in range(n_scheduled[f]):
        t = schedule[f, i]
        group = 0
        if g >= 0:
            group = states[g, i]
            if group == 0:
                continue
        held = np.int64(0)
        m = 0
        for r in range(n_members):
            member = ranks[q, i, r]
            if runs[t, member] > hist and groups[group, member]:
                held |= np.int64(1) << np.int64(member)
                m += 1
                if m == k:
                    break
        if m == 0 and not started:
            continue
        started = True
        if fill:
            positions[start + count] = t
            picks[start + count] = held
            # The weight row depends on k and, with inverse volatility, on V and the session.
            keys[start + count] = k + k_radix * (v + 1 + v_radix * (t if v >= 0 else 0))
        count += 1
    return count


@numba.njit(cache=True)
def top_k_events(
    top_k: np.ndarray,
    rank_id: np.ndarray,
    freq_id: np.ndarray,
    history: np.ndarray,
    regime_id: np.ndarray,
    vol_id: np.ndarray,
    schedule: np.ndarray,
    n_scheduled: np.ndarray,
    ranks: np.ndarray,
    runs: np.ndarray,
    states: np.ndarray,
    groups: np.ndarray,
    k_radix: int,
    v_radix: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(offsets, positions, picks, row keys) of every combination's decisions (count, then fill).

    Per combination j: `top_k[j]` picks, momentum ranks `ranks[rank_id[j]]` on schedule
    `freq_id[j]`, eligibility runs > `history[j]`, regime states `states[regime_id[j]]` (-1 =
    no filter: group 0), volatility table `vol_id[j]` (-1 = equal weights).
    """
    n_combos = len(top_k)
    offsets = np.zeros(n_combos + 1, dtype=np.int64)
    empty = np.empty(0, dtype=np.int64)
    for j in range(n_combos):
        offsets[j + 1] = offsets[j] + _walk(
            j, False, top_k, rank_id, freq_id, history, regime_id, vol_id, schedule,
            n_scheduled, ranks, runs, states, groups, k_radix, v_radix, empty, empty, empty, 0,
        )  # fmt: skip
    total = offsets[n_combos]
    positions = np.empty(total, dtype=np.int64)
    picks = np.empty(total, dtype=np.int64)
    keys = np.empty(total, dtype=np.int64)
    for j in range(n_combos):
        _walk(
            j, True, top_k, rank_id, freq_id, history, regime_id, vol_id, schedule,
            n_scheduled, ranks, runs, states, groups, k_radix, v_radix, positions, picks, keys,
            offsets[j],
        )  # fmt: skip
    return offsets, positions, picks, keys


@numba.njit(cache=True)
def _slot(key: np.int64, mask: np.uint64) -> np.int64:
    h = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(29)
    return np.int64(h & mask)


@numba.njit(cache=True)
def intern(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(number of each key, first position of each distinct key) for non-negative int64 keys.

    An open-addressing hash table that doubles at half load: its size follows the distinct
    keys (weight rows), not the events, which are far more numerous in a large batch.
    """
    capacity = 1024
    table = np.full(capacity, -1, dtype=np.int64)
    numbers = np.empty(capacity, dtype=np.int64)
    out = np.empty(len(keys), dtype=np.int64)
    firsts = np.empty(len(keys), dtype=np.int64)
    count = 0
    for i in range(len(keys)):
        key = keys[i]
        mask = np.uint64(capacity - 1)
        h = _slot(key, mask)
        while table[h] != -1 and table[h] != key:
            h = (h + 1) & (capacity - 1)
        if table[h] == key:
            out[i] = numbers[h]
            continue
        table[h] = key
        numbers[h] = count
        firsts[count] = i
        out[i] = count
        count += 1
        if 2 * count > capacity:
            old_table, old_numbers = table, numbers
            capacity *= 2
            mask = np.uint64(capacity - 1)
            table = np.full(capacity, -1, dtype=np.int64)
            numbers = np.empty(capacity, dtype=np.int64)
            for s in range(len(old_table)):
                if old_table[s] != -1:
                    h = _slot(old_table[s], mask)
                    while table[h] != -1:
                        h = (h + 1) & (capacity - 1)
                    table[h] = old_table[s]
                    numbers[h] = old_numbers[s]
    return out, firsts[:count].copy()
