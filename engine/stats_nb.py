"""Numba kernels of the performance statistics: the one implementation of each.

`engine.metrics` (single runs, reports) calls these on numpy arrays, and the sweep kernel
(`engine.portfolio_nb`) calls them on each combination's equity path, so a sweep row and a
single run of the same parameters report the same numbers by construction.

Conventions (stated once, in `engine.metrics` too): 252 sessions a year; returns are simple
daily returns of the equity curve and exclude the first session (whose return is 0 by
construction); the risk-free rate is a daily rate; volatility uses ddof=1. The Sharpe, Sortino
and annualised volatility definitions agree with empyrical's (`sharpe_ratio`,
`sortino_ratio` with `required_return`, `annual_volatility`) and quantstats' (the tests check
the first to 1e-10).
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = [
    "PERIODS_PER_YEAR",
    "ann_volatility_nb",
    "cagr_nb",
    "max_drawdown_nb",
    "returns_nb",
    "sharpe_nb",
    "sortino_nb",
    "total_return_nb",
    "turnover_nb",
]

PERIODS_PER_YEAR = 252
# Sums may be reassociated (so LLVM vectorises them: a sweep evaluates each statistic on every
# combination's 6,600-session path); NaN and infinity keep their IEEE meaning.
_SUMS = {"reassoc", "contract"}


@numba.njit(cache=True, fastmath=_SUMS)
def returns_nb(equity: np.ndarray, out: np.ndarray) -> None:
    """Simple returns: out[0] = 0, out[t] = equity[t] / equity[t-1] - 1."""
    out[0] = 0.0
    for t in range(1, equity.shape[0]):
        out[t] = equity[t] / equity[t - 1] - 1.0


@numba.njit(cache=True)
def total_return_nb(equity: np.ndarray) -> float:
    return equity[-1] / equity[0] - 1.0


@numba.njit(cache=True)
def cagr_nb(equity: np.ndarray) -> float:
    """Compound annual growth over len(equity)-1 daily steps of 1/252 year each; -100% if the
    equity was wiped out (empyrical's cagr counts years the same way)."""
    years = (equity.shape[0] - 1) / PERIODS_PER_YEAR
    if years <= 0:
        return np.nan
    growth = equity[-1] / equity[0]
    return growth ** (1.0 / years) - 1.0 if growth > 0 else -1.0


@numba.njit(cache=True, fastmath=_SUMS)
def _mean_sd(returns: np.ndarray, shift: float) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1) of returns - shift, two-pass."""
    n = returns.shape[0]
    if n == 0:
        return np.nan, np.nan
    total = 0.0
    for i in range(n):  # indexed loops: with _SUMS, LLVM vectorises them
        total += returns[i] - shift
    mean = total / n
    if n < 2:
        return mean, np.nan
    ss = 0.0
    for i in range(n):
        d = returns[i] - shift - mean
        ss += d * d
    return mean, math.sqrt(ss / (n - 1))


@numba.njit(cache=True)
def ann_volatility_nb(returns: np.ndarray) -> float:
    return _mean_sd(returns, 0.0)[1] * math.sqrt(PERIODS_PER_YEAR)


@numba.njit(cache=True)
def sharpe_nb(returns: np.ndarray, rf_daily: float) -> float:
    """Mean daily excess return over its sample standard deviation, times sqrt(252)."""
    mean, sd = _mean_sd(returns, rf_daily)
    if not sd > 0:
        return np.nan
    return mean / sd * math.sqrt(PERIODS_PER_YEAR)


@numba.njit(cache=True, fastmath=_SUMS)
def sortino_nb(returns: np.ndarray, rf_daily: float) -> float:
    """Mean daily excess return over the downside deviation, times sqrt(252). The downside
    deviation is the root mean square of min(excess, 0) over *all* sessions (empyrical's
    `downside_risk`), not the standard deviation of the negative ones."""
    n = returns.shape[0]
    if n == 0:
        return np.nan
    total = 0.0
    down2 = 0.0
    for i in range(n):
        excess = returns[i] - rf_daily
        total += excess
        below = min(excess, 0.0)
        down2 += below * below
    downside = math.sqrt(down2 / n)
    if downside == 0:
        return np.nan
    return total / n / downside * math.sqrt(PERIODS_PER_YEAR)


@numba.njit(cache=True)
def max_drawdown_nb(equity: np.ndarray) -> float:
    """Deepest fall below the running peak, as a (negative) fraction of that peak."""
    peak = -np.inf
    worst = 0.0
    for value in equity:
        if value > peak:
            peak = value
        dd = value / peak - 1.0
        if dd < worst:
            worst = dd
    return worst


@numba.njit(cache=True, fastmath=_SUMS)
def turnover_nb(traded_value: float, equity: np.ndarray) -> float:
    """Traded value (buys plus sells) over the average equity, per year: a full switch of the
    portfolio counts 200%."""
    years = (equity.shape[0] - 1) / PERIODS_PER_YEAR
    if years <= 0 or traded_value == 0:
        return 0.0
    total = 0.0
    for i in range(equity.shape[0]):
        total += equity[i]
    return traded_value / (total / equity.shape[0]) / years
