"""Numba kernels of the performance statistics: the one implementation of each.

`engine.stats.metrics` (single runs, reports), the portfolio kernel
(`engine.simulate.portfolio_nb`, on each
combination's equity path), walk-forward, the overfitting statistics (`engine.tuning`) and the
verdicts call these, so a sweep row and a single run of the same parameters report the same
numbers by construction. The forms follow vectorbt's `returns/nb.py`: 1-d (`*_nb`), 2-d with a
column per combination (`*_2d_nb`), rolling (`rolling_*_nb`, NaN until a window is full) and
from running sums (`running_sums_nb`, `per_period_sharpe_from_sums_nb`: CSCV's Sharpe ratio of
any union of blocks). Formatting lives elsewhere.

Conventions (stated once, in `engine.stats.metrics` too): 252 sessions a year; returns are simple
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
    "beta_correlation_nb",
    "cagr_nb",
    "calmar_nb",
    "drawdown_nb",
    "max_drawdown_nb",
    "per_period_sharpe_2d_nb",
    "per_period_sharpe_from_sums_nb",
    "per_period_sharpe_nb",
    "returns_block_sums_nb",
    "returns_nb",
    "rolling_beta_nb",
    "rolling_sharpe_nb",
    "running_sums_nb",
    "sharpe_nb",
    "sortino_nb",
    "total_return_nb",
    "turnover_nb",
]

PERIODS_PER_YEAR = 252  # sessions a year: the one annualisation constant of the project
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
def per_period_sharpe_nb(returns: np.ndarray, rf_daily: float) -> float:
    """Mean daily excess return over its sample standard deviation (ddof=1), not annualised:
    the Sharpe ratio of the deflated Sharpe ratio's paper."""
    mean, sd = _mean_sd(returns, rf_daily)
    if not sd > 0:
        return np.nan
    return mean / sd


@numba.njit(cache=True)
def sharpe_nb(returns: np.ndarray, rf_daily: float) -> float:
    """Mean daily excess return over its sample standard deviation, times sqrt(252)."""
    return per_period_sharpe_nb(returns, rf_daily) * math.sqrt(PERIODS_PER_YEAR)


@numba.njit(cache=True)
def per_period_sharpe_2d_nb(returns: np.ndarray, rf_daily: float) -> np.ndarray:
    """`per_period_sharpe_nb` of each column of (sessions, combinations) daily returns."""
    out = np.empty(returns.shape[1])
    for c in range(returns.shape[1]):
        out[c] = per_period_sharpe_nb(np.ascontiguousarray(returns[:, c]), rf_daily)
    return out


@numba.njit(cache=True)
def running_sums_nb(returns: np.ndarray, lo: int, hi: int) -> tuple[float, float]:
    """Sum and sum of squares of returns[lo:hi], summed in order (no reassociation: CSCV's block
    sums are compared exactly)."""
    s1 = 0.0
    s2 = 0.0
    for t in range(lo, hi):
        r = returns[t]
        s1 += r
        s2 += r * r
    return s1, s2


@numba.njit(cache=True)
def returns_block_sums_nb(
    equity: np.ndarray, out: np.ndarray, bounds: np.ndarray, sums: np.ndarray
) -> None:
    """`returns_nb` of `equity` into `out` and, in the same pass, `running_sums_nb` of
    out[bounds[b]:bounds[b+1]] into sums[b] for each block b (bounds ascending, from 1): the
    same numbers, one walk (the sweep keeps both for every combination)."""
    out[0] = 0.0
    for t in range(1, min(bounds[0], equity.shape[0])):
        out[t] = equity[t] / equity[t - 1] - 1.0
    for b in range(bounds.shape[0] - 1):
        s1 = 0.0
        s2 = 0.0
        for t in range(bounds[b], bounds[b + 1]):
            r = equity[t] / equity[t - 1] - 1.0
            out[t] = r
            s1 += r
            s2 += r * r
        sums[b, 0] = s1
        sums[b, 1] = s2
    for t in range(max(1, bounds[-1]), equity.shape[0]):
        out[t] = equity[t] / equity[t - 1] - 1.0


@numba.njit(cache=True, error_model="numpy")
def per_period_sharpe_from_sums_nb(s1: float, s2: float, count: float, rf: float) -> float:
    """Per-period Sharpe ratio (ddof=1) of `count` returns from their sum and sum of squares:
    exact for any union of blocks whose running sums are known (CSCV). NaN without a positive
    variance. Written without an early return and with numpy's error model (no zero-division
    check: the ratio is computed, then dropped, when the variance is not positive), so a loop
    calling it over many combinations runs several per instruction: CSCV calls it ~10^7 times."""
    if count < 2:
        return np.nan
    var = (s2 - s1 * s1 / count) / (count - 1.0)
    sharpe = (s1 / count - rf) / math.sqrt(var)
    return sharpe if var > 0 else np.nan


@numba.njit(cache=True)
def rolling_sharpe_nb(returns: np.ndarray, window: int, rf_daily: float) -> np.ndarray:
    """`sharpe_nb` over each trailing `window` of returns; NaN until the window is full."""
    n = returns.shape[0]
    out = np.full(n, np.nan)
    for t in range(window - 1, n):
        out[t] = sharpe_nb(returns[t - window + 1 : t + 1], rf_daily)
    return out


@numba.njit(cache=True)
def beta_correlation_nb(returns: np.ndarray, benchmark: np.ndarray) -> tuple[float, float]:
    """Beta (sample covariance / benchmark variance, ddof=1: empyrical's `beta`) and Pearson
    correlation of two return arrays of the same sessions; NaN with fewer than 3 sessions or
    a benchmark that never moves. Which sessions to pass is the caller's choice."""
    n = returns.shape[0]
    if n < 3:
        return np.nan, np.nan
    mean_a = 0.0
    mean_b = 0.0
    for i in range(n):
        mean_a += returns[i]
        mean_b += benchmark[i]
    mean_a /= n
    mean_b /= n
    var_a = 0.0
    var_b = 0.0
    cov = 0.0
    for i in range(n):
        da = returns[i] - mean_a
        db = benchmark[i] - mean_b
        var_a += da * da
        var_b += db * db
        cov += da * db
    if not var_b > 0:
        return np.nan, np.nan
    beta = cov / var_b
    corr = cov / math.sqrt(var_a * var_b) if var_a > 0 else np.nan
    return beta, corr


@numba.njit(cache=True)
def rolling_beta_nb(returns: np.ndarray, benchmark: np.ndarray, window: int) -> np.ndarray:
    """`beta_correlation_nb`'s beta over each trailing `window`; NaN until the window is full."""
    n = returns.shape[0]
    out = np.full(n, np.nan)
    for t in range(window - 1, n):
        lo = t - window + 1
        out[t] = beta_correlation_nb(returns[lo : t + 1], benchmark[lo : t + 1])[0]
    return out


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
def drawdown_nb(equity: np.ndarray) -> np.ndarray:
    """Fraction below the running peak at each point (0 at a new high); NaN stays NaN and does
    not move the peak (pandas' `cummax`)."""
    out = np.empty(equity.shape[0])
    peak = -np.inf
    for i in range(equity.shape[0]):
        value = equity[i]
        if value > peak:
            peak = value
        out[i] = value / peak - 1.0
    return out


@numba.njit(cache=True)
def max_drawdown_nb(equity: np.ndarray) -> float:
    """Deepest fall below the running peak, as a (negative) fraction of that peak.

    Divides only where a new deepest fall is possible: below `bound`, a hair above
    peak * (1 + worst), so a value at or over it gives value / peak - 1 > worst. The result is
    the one dividing at every point gives (the same quotient at the deepest point); with a
    peak that is not positive every point is divided."""
    peak = -np.inf
    worst = 0.0
    bound = np.inf
    for i in range(equity.shape[0]):
        value = equity[i]
        if value > peak:
            peak = value
            bound = peak * (1.0 + worst) * (1.0 + 1e-12)
        elif value < bound or not peak > 0:
            dd = value / peak - 1.0
            if dd < worst:
                worst = dd
                bound = peak * (1.0 + worst) * (1.0 + 1e-12)
    return worst


@numba.njit(cache=True)
def calmar_nb(cagr: float, max_drawdown: float) -> float:
    """CAGR over the depth of the deepest drawdown; NaN without a drawdown."""
    return cagr / abs(max_drawdown) if max_drawdown < 0 else np.nan


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
