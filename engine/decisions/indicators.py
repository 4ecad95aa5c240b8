"""Indicators as the press means them: Wilder's RSI, and the run length of a streak.

vectorbt's `vbt.RSI` smooths with a plain rolling or exponential mean, which is not the RSI
quoted in market commentary. Wilder's RSI seeds the average gain and loss with the simple mean
of the first n changes and then smooths recursively: avg_t = (avg_{t-1} * (n - 1) + x_t) / n.
The numeric kernel is numba-compiled so sweeps can reuse it on many series.
"""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd


@numba.njit(cache=True)
def wilder_rsi_kernel(values: np.ndarray, n: int) -> np.ndarray:
    """RSI of a 1-D array with no NaN inside; out[i] is NaN until n changes are known."""
    out = np.full(values.shape[0], np.nan)
    if values.shape[0] <= n:
        return out
    avg_gain = 0.0
    avg_loss = 0.0
    for i in range(1, n + 1):
        change = values[i] - values[i - 1]
        if change > 0:
            avg_gain += change
        else:
            avg_loss -= change
    avg_gain /= n
    avg_loss /= n
    for i in range(n, values.shape[0]):
        if i > n:
            change = values[i] - values[i - 1]
            gain = change if change > 0 else 0.0
            loss = -change if change < 0 else 0.0
            avg_gain = (avg_gain * (n - 1) + gain) / n
            avg_loss = (avg_loss * (n - 1) + loss) / n
        if avg_loss == 0.0:
            out[i] = 50.0 if avg_gain == 0.0 else 100.0
        else:
            out[i] = 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)
    return out


def wilder_rsi(prices: pd.Series | pd.DataFrame, n: int = 14) -> pd.Series | pd.DataFrame:
    """Wilder's RSI(n) of each column, on the sessions where the price exists.

    Missing prices (before a ticker's first date, or gaps) are skipped, not filled: the change
    is measured between consecutive available closes, and the RSI is NaN on missing sessions.
    """
    if n < 1:
        raise ValueError(f"RSI length must be at least 1, got {n}")
    if isinstance(prices, pd.DataFrame):
        return prices.apply(lambda col: wilder_rsi(col, n))
    valid = prices.dropna()
    rsi = wilder_rsi_kernel(valid.to_numpy(dtype=np.float64), n)
    return pd.Series(rsi, index=valid.index, name=prices.name).reindex(prices.index)


def run_length(flag: np.ndarray) -> np.ndarray:
    """Number of consecutive sessions, ending at each session, on which `flag` is true (along
    the last axis; 0 where it is false): the length of the current streak, for the strategies'
    streak rules and the streak claims alike."""
    flag = np.asarray(flag, dtype=bool)
    sessions = np.arange(flag.shape[-1])
    last_false = np.where(flag, -1, sessions)
    np.maximum.accumulate(last_false, axis=-1, out=last_false)
    return sessions - last_false
