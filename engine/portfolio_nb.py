"""The portfolio kernel of every sweep: sparse target-weight rows of many combinations, simulated
in parallel with vectorbt's own order primitives.

Why not `vectorbt.Portfolio.from_orders` with one column group per combination: it keeps every
order record and a dense (sessions x assets x combinations) size array, gigabytes for a large
grid. This kernel runs one combination per thread-iteration, keeps only its statistics (and the
per-block sums CSCV needs), and executes each order with `vectorbt.portfolio.nb.execute_order_nb`
exactly as `simulate_from_orders_nb` does for `engine.backtest.run_backtest`:
- a row decided after session p's close executes at p + lag at the fill price (close, or open);
  the last row decided at or before the window's first session is carried in to it;
- on an execution session the group value is computed once, with every position valued at its
  latest fill price (vectorbt's `val_price`, forward-filled), orders are sorted by approximate
  order value (`approx_order_value_nb`, `insert_argsort_nb`: sells first) and executed as target
  percent, long only, with fees and slippage, buys limited by the cash available;
- holding or trading a ticker on a session without a usable price (missing, non-finite or not
  positive) is refused like `engine.backtest` refuses it: the combination reports the asset and
  session, and the Python side raises the same error a single run would.
The equity path of each combination goes through the one implementation of each statistic,
`engine.stats_nb`.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange
from vectorbt.portfolio.enums import Direction, OrderStatus, ProcessOrderState, SizeType
from vectorbt.portfolio.nb import approx_order_value_nb, execute_order_nb, order_nb
from vectorbt.utils.array_ import insert_argsort_nb

from engine import stats_nb
from engine.tuning.columns import STAT_COLUMNS

__all__ = [
    "ERR_NO_CLOSE",
    "ERR_NO_FILL",
    "N_STATS",
    "STAT_NAMES",
    "next_unusable_nb",
    "simulate_parallel_nb",
    "simulate_serial_nb",
]

STAT_NAMES = STAT_COLUMNS  # the order each combination writes its statistics in
N_STATS = len(STAT_NAMES)
ERR_NO_FILL = 1  # a ticker to be held has no usable fill price on its trade session
ERR_NO_CLOSE = 2  # a held ticker has no usable close on a session
_WEIGHT_TOLERANCE = 1e-9  # as engine.backtest: a weight above this counts as held


@numba.njit(cache=True)
def _usable(price: float) -> bool:
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
            out[t, a] = t if not _usable(prices[t, a]) else out[t + 1, a]
    return out


@numba.njit(cache=True)
def _valuation_price(
    fill: np.ndarray, t: int, a: int, scanned: np.ndarray, latest: np.ndarray
) -> float:
    """vectorbt's forward-filled valuation price: the latest fill price since the window began.

    `scanned[a]` is the last session already read for asset a and `latest[a]` the latest fill
    price found up to it, so each session is read once per combination, not once per execution
    session (a fund listed years into the window would otherwise be searched back to the
    window's start on every rebalance)."""
    for s in range(scanned[a] + 1, t + 1):
        if not np.isnan(fill[s, a]):
            latest[a] = fill[s, a]
    scanned[a] = t
    return latest[a]


@numba.njit(cache=True)
def _fail(error_out, stats_out, j, code, asset, t) -> None:  # fmt: skip
    error_out[j, 0] = code
    error_out[j, 1] = asset
    error_out[j, 2] = t
    stats_out[j, :] = np.nan


@numba.njit(cache=True)
def _simulate_one(
    j: int,
    close: np.ndarray,
    bad_close: np.ndarray,
    fill: np.ndarray,
    fees: np.ndarray,
    slippage: np.ndarray,
    palette: np.ndarray,
    offsets: np.ndarray,
    positions: np.ndarray,
    rows: np.ndarray,
    shift: int,
    counted: int,
    init_cash: float,
    lag: int,
    rf_daily: float,
    bench: np.ndarray,
    has_bench: bool,
    start: int,
    end: int,
    edges: np.ndarray,
    stats_out: np.ndarray,
    blocks_out: np.ndarray,
    returns_out: np.ndarray,
    want_returns: bool,
    error_out: np.ndarray,
) -> None:
    """Combination j on sessions [start, end] of `close` (its decisions are offset by shift).

    `bench` holds the main benchmark's daily return of each session (session t: from t-1's
    close to t's) for the information ratio, the Sharpe ratio of the daily returns in excess of
    it. Fills of assets from `counted` on (the synthetic cash asset) are not trades: they count in
    neither trades, rebalances, turnover nor fees, as `engine.backtest` leaves them out."""
    n_assets = close.shape[1]
    sessions = end - start + 1
    equity = np.empty(sessions)
    pos = np.zeros(n_assets)
    last_val = np.full(n_assets, np.nan)
    scanned = np.full(n_assets, start - 1, dtype=np.int64)  # see _valuation_price
    latest = np.full(n_assets, np.nan)
    target = np.zeros(n_assets)
    held = np.empty(n_assets, dtype=np.int64)  # assets with a position, for the daily value
    n_held = 0
    order_value = np.empty(n_assets)
    seq = np.empty(n_assets, dtype=np.int64)
    cash = init_cash
    free_cash = init_cash
    fills = 0
    rebalances = 0
    traded = 0.0
    fees_paid = 0.0

    # The execution sessions: the row carried in to `start`, then each later row.
    lo = offsets[j]
    hi = offsets[j + 1]
    k = lo
    carried = -1
    while k < hi and positions[k] + shift <= start:
        carried = k
        k += 1
    next_event = carried if carried >= 0 else k
    next_exec = -1
    if next_event < hi:
        decided = max(positions[next_event] + shift, start)
        next_exec = decided + lag

    error_out[j, 0] = 0
    for t in range(start, end + 1):
        if t == next_exec:
            row = rows[next_event]
            next_event += 1
            next_exec = positions[next_event] + shift + lag if next_event < hi else -1
            until = next_exec if 0 <= next_exec <= end else end + 1
            for a in range(n_assets):
                target[a] = palette[row, a]
                if target[a] > _WEIGHT_TOLERANCE:
                    if not _usable(fill[t, a]):
                        _fail(error_out, stats_out, j, ERR_NO_FILL, a, t)
                        return
                    if bad_close[t, a] < until:  # held until the next trade without a price
                        _fail(error_out, stats_out, j, ERR_NO_CLOSE, a, bad_close[t, a])
                        return
                last_val[a] = _valuation_price(fill, t, a, scanned, latest)
            value = cash
            for a in range(n_assets):
                if pos[a] != 0:
                    value += pos[a] * last_val[a]
            # An asset neither held nor wanted gets an order of size 0, which vectorbt ignores
            # without touching any state: only the others are valued, sorted and executed (the
            # stable sort keeps their relative order, so the fills are the same).
            n_orders = 0
            for a in range(n_assets):
                if pos[a] == 0 and target[a] == 0:
                    continue
                order_value[n_orders] = approx_order_value_nb(
                    target[a], SizeType.TargetPercent, Direction.LongOnly,
                    cash, pos[a], free_cash, last_val[a], value,
                )  # fmt: skip
                seq[n_orders] = a
                n_orders += 1
            insert_argsort_nb(order_value[:n_orders], seq[:n_orders])
            filled_here = False
            for i in range(n_orders):
                a = seq[i]
                order = order_nb(
                    size=target[a],
                    price=fill[t, a],
                    size_type=SizeType.TargetPercent,
                    direction=Direction.LongOnly,
                    fees=fees[a],
                    slippage=slippage[a],
                )
                state = ProcessOrderState(
                    cash=cash, position=pos[a], debt=0.0, free_cash=free_cash,
                    val_price=last_val[a], value=value, oidx=0, lidx=0,
                )  # fmt: skip
                exec_state, result = execute_order_nb(state, order)
                cash = exec_state.cash
                pos[a] = exec_state.position
                free_cash = exec_state.free_cash
                if result.status == OrderStatus.Filled and a < counted:
                    fills += 1
                    filled_here = True
                    traded += result.size * result.price
                    fees_paid += result.fees
            if filled_here:
                rebalances += 1
            n_held = 0
            for a in range(n_assets):
                if pos[a] != 0:
                    held[n_held] = a
                    n_held += 1
        eq = cash
        for i in range(n_held):
            a = held[i]
            eq += pos[a] * close[t, a]
        equity[t - start] = eq

    returns = np.empty(sessions)
    stats_nb.returns_nb(equity, returns)
    if want_returns:
        returns_out[j, :] = returns
    for b in range(edges.shape[0] - 1):
        s1 = 0.0
        s2 = 0.0
        for t in range(edges[b], edges[b + 1]):
            r = returns[t - start]
            s1 += r
            s2 += r * r
        blocks_out[j, b, 0] = s1
        blocks_out[j, b, 1] = s2
    daily = returns[1:]
    cagr = stats_nb.cagr_nb(equity)
    mdd = stats_nb.max_drawdown_nb(equity)
    out = stats_out[j]
    out[0] = equity[-1]
    out[1] = stats_nb.total_return_nb(equity)
    out[2] = cagr
    out[3] = stats_nb.ann_volatility_nb(daily)
    out[4] = stats_nb.sharpe_nb(daily, rf_daily)
    out[5] = stats_nb.sortino_nb(daily, rf_daily)
    out[6] = mdd
    out[7] = cagr / abs(mdd) if mdd < 0 else np.nan
    out[8] = fills
    out[9] = rebalances
    out[10] = stats_nb.turnover_nb(traded, equity)
    out[11] = fees_paid
    out[12] = np.nan
    if has_bench:
        excess = np.empty(sessions - 1)
        for i in range(sessions - 1):
            excess[i] = daily[i] - bench[start + 1 + i]
        out[12] = stats_nb.sharpe_nb(excess, 0.0)


@numba.njit(cache=True, parallel=True)
def simulate_parallel_nb(
    close, bad_close, fill, fees, slippage, palette, offsets, positions, rows, shift, counted,
    init_cash, lag, rf_daily, bench, has_bench, start, end, edges, stats_out, blocks_out,
    returns_out, want_returns, error_out,
):  # fmt: skip
    """Every combination of the batch, spread over the CPU cores."""
    for j in prange(offsets.shape[0] - 1):
        _simulate_one(
            j, close, bad_close, fill, fees, slippage, palette, offsets, positions, rows, shift,
            counted, init_cash, lag, rf_daily, bench, has_bench, start, end, edges, stats_out,
            blocks_out, returns_out, want_returns, error_out,
        )  # fmt: skip


@numba.njit(cache=True, nogil=True)
def simulate_serial_nb(
    close, bad_close, fill, fees, slippage, palette, offsets, positions, rows, shift, counted,
    init_cash, lag, rf_daily, bench, has_bench, start, end, edges, stats_out, blocks_out,
    returns_out, want_returns, error_out,
):  # fmt: skip
    """The same on one thread without the GIL: for Dask workers and process pools."""
    for j in range(offsets.shape[0] - 1):
        _simulate_one(
            j, close, bad_close, fill, fees, slippage, palette, offsets, positions, rows, shift,
            counted, init_cash, lag, rf_daily, bench, has_bench, start, end, edges, stats_out,
            blocks_out, returns_out, want_returns, error_out,
        )  # fmt: skip
