"""A sweep's row of one portfolio path: its statistics in `STAT_COLUMNS` order and the per-block
sums CSCV needs, each through the one implementation in `engine.stats.returns_nb`. The sweep's
kernel calls it for every combination as it goes, so no equity curve outlives its row."""

from __future__ import annotations

import numba
import numpy as np

from engine.stats import returns_nb as stats_nb

__all__ = ["sweep_row_nb"]


@numba.njit(cache=True)
def sweep_row_nb(
    equity: np.ndarray,
    totals: np.ndarray,
    rf_daily: float,
    bench: np.ndarray,
    has_bench: bool,
    start: int,
    edges: np.ndarray,
    out: np.ndarray,
    blocks: np.ndarray,
    returns: np.ndarray,
) -> None:
    """A sweep row of one path on sessions start.. : its statistics in STAT_NAMES order to
    `out`, the (sum, sum of squares) of its daily returns in each CSCV block to `blocks`, and
    its daily returns (0 on the first session) to `returns`. `totals` are the path's (fills,
    rebalances, traded value, fees); `bench` the main benchmark's daily return of each session
    (session t: from t-1's close to t's) for the information ratio, the Sharpe ratio of the
    daily returns in excess of it."""
    sessions = equity.shape[0]
    stats_nb.returns_block_sums_nb(equity, returns, edges - start, blocks)
    daily = returns[1:]
    cagr = stats_nb.cagr_nb(equity)
    mdd = stats_nb.max_drawdown_nb(equity)
    out[0] = equity[-1]
    out[1] = stats_nb.total_return_nb(equity)
    out[2] = cagr
    out[3] = stats_nb.ann_volatility_nb(daily)
    out[4] = stats_nb.sharpe_nb(daily, rf_daily)
    out[5] = stats_nb.sortino_nb(daily, rf_daily)
    out[6] = mdd
    out[7] = stats_nb.calmar_nb(cagr, mdd)
    out[8] = totals[0]
    out[9] = totals[1]
    out[10] = stats_nb.turnover_nb(totals[2], equity)
    out[11] = totals[3]
    out[12] = np.nan
    if has_bench:
        excess = np.empty(sessions - 1)
        for i in range(sessions - 1):
            excess[i] = daily[i] - bench[start + 1 + i]
        out[12] = stats_nb.sharpe_nb(excess, 0.0)
