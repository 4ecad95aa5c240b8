"""Daily-series building blocks: runs of qualifying sessions, episodes, forward returns.

Everything is positional on the data index (NYSE sessions): "h sessions later" is h rows down.
An episode is counted once: a run of qualifying sessions becomes one event on the session it
first reaches length k; a threshold cross counts only after m sessions on the other side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.decisions.indicators import run_length


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, end) positions of every maximal run of True values."""
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def episode_events(mask: np.ndarray, k: int) -> np.ndarray:
    """True on the session where a run of qualifying sessions first reaches length k."""
    return run_length(mask) == k


def first_crosses(above: np.ndarray, defined: np.ndarray, min_below: int) -> np.ndarray:
    """True at t when `above` holds at t and, on each of the `min_below` sessions before t, the
    indicator was defined and not above (a cross after at least m sessions below)."""
    above = np.asarray(above, dtype=bool) & np.asarray(defined, dtype=bool)
    below = np.asarray(defined, dtype=bool) & ~above
    below_run = run_length(below)
    prior = np.concatenate([[0], below_run[:-1]])
    return above & (prior >= min_below)


def forward_return(prices: pd.Series, horizon: int) -> pd.Series:
    """Return from each session's price to the price `horizon` sessions later (NaN if absent)."""
    return prices.shift(-horizon) / prices - 1.0


def forward_low_return(prices: pd.Series, horizon: int) -> pd.Series:
    """Lowest price over the next `horizon` sessions relative to today's (NaN if any is absent)."""
    values = prices.to_numpy(dtype=float)
    n = len(values)
    ahead = np.full((n, horizon), np.nan)
    for step in range(1, min(horizon, n - 1) + 1):
        ahead[: n - step, step - 1] = values[step:]
    low = ahead.min(axis=1)  # NaN propagates: a window past the data gives NaN
    return pd.Series(low / values - 1.0, index=prices.index)


def daily_change(prices: pd.Series) -> pd.Series:
    """Session-to-session change; NaN when either price is missing (never bridged)."""
    return prices / prices.shift(1) - 1.0
