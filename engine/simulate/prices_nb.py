"""Which prices the simulator may use, found once per sweep rather than on each rebalance of
each path: the first unusable close from each session on, and the last fill price up to it.

A price is usable when it is finite and positive (`engine.simulate.portfolio.unusable_prices`
states the same rule for single runs' inputs).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["last_fill_nb", "next_unusable_nb", "usable", "valuation_price"]


@numba.njit(cache=True)
def usable(price: float) -> bool:
    return np.isfinite(price) and price > 0


@numba.njit(cache=True)
def next_unusable_nb(prices: np.ndarray) -> np.ndarray:
    """For each session t and asset a, the first session >= t whose price is unusable (missing,
    non-finite or not positive), or len(prices): holding from t0 to t1 is safe when it is >= t1."""
    n, m = prices.shape
    out = np.empty((n + 1, m), dtype=np.int64)
    for a in range(m):
        out[n, a] = n
        for t in range(n - 1, -1, -1):
            out[t, a] = t if not usable(prices[t, a]) else out[t + 1, a]
    return out


@numba.njit(cache=True)
def last_fill_nb(fill: np.ndarray) -> np.ndarray:
    """For each session t and asset a, the last session <= t with a fill price (not NaN), or -1:
    vectorbt's forward-filled valuation price is then read in one step (`valuation_price`),
    once for every path of a sweep rather than searched on each rebalance of each path."""
    n, m = fill.shape
    out = np.empty((n, m), dtype=np.int64)
    for a in range(m):
        last = -1
        for t in range(n):
            if not np.isnan(fill[t, a]):
                last = t
            out[t, a] = last
    return out


@numba.njit(cache=True)
def valuation_price(fill: np.ndarray, last_fill: np.ndarray, t: int, a: int, start: int) -> float:
    """vectorbt's forward-filled valuation price: the latest fill price since the window began
    (NaN when there is none)."""
    s = last_fill[t, a]
    return fill[s, a] if s >= start else np.nan
