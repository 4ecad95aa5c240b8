"""The one portfolio simulator: sparse target-weight rows simulated with vectorbt's own order
primitives, for a single run (`simulate_recorded_nb`, with its books: equity, cash, asset values
and fills) and for every combination of a sweep in parallel (`simulate_parallel_nb`, keeping only
statistics and the per-block sums CSCV needs).

Why not `vectorbt.Portfolio.from_orders`: for a sweep, one column group per combination keeps
every order record and a dense (sessions x assets x combinations) size array, gigabytes for a
large grid; for a single run, its wrappers cost ten times the simulation. `from_orders` stays as
the cross-check (`engine.simulate.oracle`). Each order is executed as
`vectorbt.portfolio.nb.execute_order_nb` executes it in `simulate_from_orders_nb`
(`engine.simulate.order_nb`: the same checks and arithmetic, then vectorbt's `buy_nb` /
`sell_nb`):
- a row decided after session p's close executes at p + lag at the fill price (close, or open);
  the last row decided at or before the window's first session is carried in to it;
- on an execution session the group value is computed once, with every position valued at its
  latest fill price (vectorbt's `val_price`, forward-filled), orders are sorted by approximate
  order value (`approx_order_value_nb`, `insert_argsort_nb`: sells first) and executed as target
  percent, long only, with fees and slippage, buys limited by the cash available;
- holding, buying or selling a ticker on a session without a usable price (missing, non-finite
  or not positive) is refused (`engine.simulate.portfolio.unusable_prices`): the path reports the
  asset
  and session, and the Python side raises the refusal naming them. (vectorbt would silently
  keep a position it cannot sell at a missing price, and stop at a zero one.)
The equity path of each combination becomes its sweep row in `engine.stats.sweep_row_nb`,
through the one implementation of each statistic, `engine.stats.returns_nb`.
"""

# The one path (`_run_path`), its rebalance step and both entry points (single run, sweep) stay
# in one module so that nothing can make them drift apart.

from __future__ import annotations

import numba
import numpy as np
from numba import prange
from vectorbt.portfolio.enums import Direction, OrderStatus, SizeType
from vectorbt.portfolio.nb import approx_order_value_nb
from vectorbt.utils.array_ import insert_argsort_nb

from engine.simulate.order_nb import target_percent_order_nb
from engine.simulate.prices_nb import last_fill_nb, next_unusable_nb, usable, valuation_price
from engine.stats.sweep_columns import STAT_COLUMNS
from engine.stats.sweep_row_nb import sweep_row_nb

__all__ = [
    "ERR_NO_CLOSE",
    "ERR_NO_FILL",
    "N_STATS",
    "STAT_NAMES",
    "rebalance_nb",
    "simulate_parallel_nb",
    "simulate_recorded_nb",
    "simulate_serial_nb",
]

STAT_NAMES = STAT_COLUMNS  # the order each combination writes its statistics in
N_STATS = len(STAT_NAMES)
ERR_NO_FILL = 1  # a ticker to be held has no usable fill price on its trade session
ERR_NO_CLOSE = 2  # a held ticker has no usable close on a session
_WEIGHT_TOLERANCE = 1e-9  # as engine.simulate.portfolio: a weight above this counts as held
# The execution inputs a path reads, (close, bad_close, fill, last_fill, fees, slippage): prices
# by session and asset, the first session from each one on without a usable close, the last
# session up to each one with a fill price (`last_fill_nb`), costs by asset.
Market = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@numba.njit(cache=True)
def _fail(error: np.ndarray, code: int, asset: int, t: int) -> None:
    error[0] = code
    error[1] = asset
    error[2] = t


@numba.njit(cache=True)
def rebalance_nb(
    t: int,
    target: np.ndarray,
    fill: np.ndarray,
    fees: np.ndarray,
    slippage: np.ndarray,
    pos: np.ndarray,
    last_val: np.ndarray,
    cash: float,
    free_cash: float,
    active: np.ndarray,
    n_active: int,
    order_value: np.ndarray,
    seq: np.ndarray,
    counted: int,
    records: np.ndarray,
    n_records: int,
    record: bool,
) -> tuple[float, float, int, float, float, int]:
    """Execute the target row at session t as `simulate_from_orders_nb` does (target percent,
    long only, group value computed once, sells first by approximate order value).

    Only the `active` assets (ascending, n_active of them: a target or a position) are ordered:
    vectorbt ignores the others, and its insertion sort (stable, NaN last) puts the active ones
    in the same relative order with or without them.

    Returns (cash, free_cash, fills, traded value, fees, records written). Fills of assets from
    `counted` on (the synthetic cash asset) are not trades: they count in neither fills, traded
    value nor fees. With `record`, each fill is written to `records` as (session, asset, size,
    price, fees, side: 0 buy, 1 sell), in execution order as vectorbt's order records."""
    value = cash
    for i in range(n_active):
        a = active[i]
        if pos[a] != 0:
            value += pos[a] * last_val[a]
    for i in range(n_active):
        a = active[i]
        order_value[i] = approx_order_value_nb(
            target[a], SizeType.TargetPercent, Direction.LongOnly,
            cash, pos[a], free_cash, last_val[a], value,
        )  # fmt: skip
        seq[i] = a
    insert_argsort_nb(order_value[:n_active], seq[:n_active])
    fills = 0
    traded = 0.0
    fees_paid = 0.0
    for i in range(n_active):
        a = seq[i]
        exec_state, result = target_percent_order_nb(
            target[a], fill[t, a], fees[a], slippage[a], cash, pos[a], free_cash, last_val[a],
            value,
        )  # fmt: skip
        cash = exec_state.cash
        pos[a] = exec_state.position
        free_cash = exec_state.free_cash
        if result.status == OrderStatus.Filled:
            if record:
                records[n_records, 0] = t
                records[n_records, 1] = a
                records[n_records, 2] = result.size
                records[n_records, 3] = result.price
                records[n_records, 4] = result.fees
                records[n_records, 5] = result.side
                n_records += 1
            if a < counted:
                fills += 1
                traded += result.size * result.price
                fees_paid += result.fees
    return cash, free_cash, fills, traded, fees_paid, n_records


@numba.njit(cache=True)
def _run_path(
    market: Market,
    palette: np.ndarray,
    positions: np.ndarray,
    rows: np.ndarray,
    lo: int,
    hi: int,
    shift: int,
    counted: int,
    init_cash: float,
    lag: int,
    start: int,
    end: int,
    equity: np.ndarray,
    totals: np.ndarray,
    error: np.ndarray,
    record: bool,
    records: np.ndarray,
    cash_out: np.ndarray,
    asset_value_out: np.ndarray,
) -> int:
    """One portfolio on sessions [start, end] of `close` from the events lo..hi of `positions`
    and `rows` (decision sessions, offset by shift, and palette rows).

    Writes the equity at each close to `equity` and (fills, rebalances, traded value, fees) to
    `totals`. Holding or trading an asset without a usable price stops the path with `error`
    set to (code, asset, session). With `record`, the cash and each asset's value at each close
    go to `cash_out` and `asset_value_out` and the fills to `records`; returns the fills
    recorded."""
    close, bad_close, fill, last_fill, fees, slippage = market
    n_assets = close.shape[1]
    pos = np.zeros(n_assets)
    last_val = np.full(n_assets, np.nan)
    target = np.zeros(n_assets)
    active = np.empty(n_assets, dtype=np.int64)  # assets with a target or a position
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
    n_records = 0

    # The execution sessions: the row carried in to `start`, then each later row.
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

    error[0] = 0
    for t in range(start, end + 1):
        if t == next_exec:
            row = rows[next_event]
            next_event += 1
            next_exec = positions[next_event] + shift + lag if next_event < hi else -1
            until = next_exec if 0 <= next_exec <= end else end + 1
            n_active = 0
            for a in range(n_assets):
                was_held = target[a] > _WEIGHT_TOLERANCE  # the previous row's target
                target[a] = palette[row, a]
                if target[a] > _WEIGHT_TOLERANCE:
                    if not usable(fill[t, a]):
                        _fail(error, ERR_NO_FILL, a, t)
                        return n_records
                    if bad_close[t, a] < until:  # held until the next trade without a price
                        _fail(error, ERR_NO_CLOSE, a, bad_close[t, a])
                        return n_records
                elif was_held and not usable(fill[t, a]):  # a sale needs a price too
                    _fail(error, ERR_NO_FILL, a, t)
                    return n_records
                if target[a] != 0.0 or pos[a] != 0.0:
                    last_val[a] = valuation_price(fill, last_fill, t, a, start)
                    active[n_active] = a
                    n_active += 1
            cash, free_cash, n_fills, value, paid, n_records = rebalance_nb(
                t, target, fill, fees, slippage, pos, last_val, cash, free_cash, active,
                n_active, order_value, seq, counted, records, n_records, record,
            )  # fmt: skip
            if n_fills:
                rebalances += 1
            fills += n_fills
            traded += value
            fees_paid += paid
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
        if record:
            cash_out[t - start] = cash
            for a in range(n_assets):
                asset_value_out[t - start, a] = pos[a] * close[t, a] if pos[a] != 0 else 0.0
    totals[0] = fills
    totals[1] = rebalances
    totals[2] = traded
    totals[3] = fees_paid
    return n_records


@numba.njit(cache=True)
def simulate_recorded_nb(
    close: np.ndarray,
    fill: np.ndarray,
    fees: np.ndarray,
    slippage: np.ndarray,
    palette: np.ndarray,
    positions: np.ndarray,
    rows: np.ndarray,
    counted: int,
    init_cash: float,
    lag: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One portfolio over every session of `close`, with its books: a single run.

    Returns (equity, cash, asset values, fills, error) at each close; the fills are rows of
    (session, asset, size, price, fees, side: 0 buy, 1 sell) in execution order, and `error`
    is (code, asset, session), code 0 when every price held or traded was usable."""
    n, n_assets = close.shape
    equity = np.empty(n)
    cash = np.empty(n)
    asset_value = np.zeros((n, n_assets))
    records = np.empty((positions.shape[0] * n_assets, 6))
    totals = np.zeros(4)
    error = np.zeros(3, dtype=np.int64)
    count = _run_path(
        (close, next_unusable_nb(close), fill, last_fill_nb(fill), fees, slippage), palette,
        positions, rows, 0,
        positions.shape[0], 0, counted, init_cash, lag, 0, n - 1, equity, totals, error, True,
        records, cash, asset_value,
    )  # fmt: skip
    return equity, cash, asset_value, records[:count], error


@numba.njit(cache=True)
def _simulate_one(
    j: int,
    market: Market,
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
    it. Fills of the synthetic cash asset (from `counted` on) are not trades, as in single
    runs' order log."""
    sessions = end - start + 1
    equity = np.empty(sessions)
    totals = np.zeros(4)
    _run_path(
        market, palette, positions, rows, offsets[j], offsets[j + 1], shift, counted, init_cash,
        lag, start, end, equity, totals, error_out[j], False, np.empty((0, 6)), np.empty(0),
        np.empty((0, 0)),
    )  # fmt: skip
    if error_out[j, 0] != 0:
        stats_out[j, :] = np.nan
        return

    returns = returns_out[j] if want_returns else np.empty(sessions)
    sweep_row_nb(
        equity, totals, rf_daily, bench, has_bench, start, edges, stats_out[j], blocks_out[j],
        returns,
    )  # fmt: skip


def _batch_kernel(parallel: bool):
    """The batch entry point, compiled once per mode: over the CPU cores (`prange`, for a
    local sweep) or on one thread without the GIL (`range`, for Dask workers and process
    pools). One body serves both; numba caches each under its own key (the closure's loop)."""
    loop = prange if parallel else range

    def simulate_batch_nb(
        close, bad_close, fill, fees, slippage, palette, offsets, positions, rows, shift,
        counted, init_cash, lag, rf_daily, bench, has_bench, start, end, edges, stats_out,
        blocks_out, returns_out, want_returns, error_out,
    ):  # fmt: skip
        """Every combination of the batch: `_simulate_one` for j = 0 .. combinations - 1."""
        last_fill = last_fill_nb(fill)
        for j in loop(offsets.shape[0] - 1):
            _simulate_one(
                j, (close, bad_close, fill, last_fill, fees, slippage), palette, offsets,
                positions, rows, shift, counted, init_cash, lag, rf_daily, bench, has_bench,
                start, end, edges, stats_out, blocks_out, returns_out, want_returns, error_out,
            )  # fmt: skip

    return numba.njit(cache=True, parallel=parallel, nogil=not parallel)(simulate_batch_nb)


simulate_parallel_nb = _batch_kernel(parallel=True)  # every combination, over the CPU cores
simulate_serial_nb = _batch_kernel(parallel=False)  # the same on one thread, GIL released
