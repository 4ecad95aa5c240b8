"""Fused rsi_trim kernels: the speed references the sweep benchmark measures against.

`fused_sweep_rows` is the kind of kernel issue 20 measured (rsi_trim's old fused sweep path, 31
us a combination on the two-core machine): one numba loop per combination runs the RSI state
machine, executes each decision at the next session with the simulator's own rebalance step
(vectorbt's order primitives, sells first), values the portfolio at each close, and keeps
running sums from which it ends with the sweep's whole row (the 13 statistics and the CSCV
block sums that `engine.stats.sweep_row_nb` computes from a stored path). It skips what the
rule does not need (decision tables, palettes, the price checks) and simulates every
combination, alike or not; its row equals the sweep's to rounding (`measure_fused` gives the
largest gap: 4e-15 on the issue's 10,000 combinations).

`final_equity_floor` does less: the state machine and a two-asset equity with a simplified
cost (slippage charged on the trade's value), final equity only. It is a floor for the
simulation alone, printed beside the reference, not a rival to a sweep row.

The RSI rows (one per distinct length and data start, as the sweep seeds them) are computed
with `engine.decisions.indicators.wilder_rsi` inside the timed part, as the issue's kernel
computed them in its plan.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numba
import numpy as np
from numba import prange

from engine.simulate.portfolio_nb import N_STATS, rebalance_nb
from engine.simulate.prices_nb import last_fill_nb, valuation_price


@numba.njit(parallel=True, cache=False)
def fused_sweep_rows(rsi, row_of, first, upper, lower, cooldown, weights, close, fill, fees,
                     slippage, init_cash, rf_daily, bench, has_bench, start, end, edges,
                     stats_out, blocks_out):  # fmt: skip
    """The sweep row of each combination j on sessions start..end, decided from session
    first[j] on (its RSI row `rsi[row_of[j]]`), with `weights[j, 0]` untrimmed and
    `weights[j, 1]` trimmed; decisions trade one session after their close (lag 1)."""
    last_fill = last_fill_nb(fill)
    by_asset = np.ascontiguousarray(close.T)
    for j in prange(row_of.shape[0]):
        _fused_row(rsi[row_of[j]], first[j], upper[j], lower[j], cooldown[j], weights[j], by_asset,
                   fill, last_fill, fees, slippage, init_cash, rf_daily, bench, has_bench, start,
                   end, edges, stats_out[j], blocks_out[j])  # fmt: skip


@numba.njit(cache=False)
def _fused_row(values, first, upper, lower, cooldown, weights, close, fill, last_fill, fees,
               slippage, init_cash, rf_daily, bench, has_bench, start, end, edges, stats_out,
               blocks_out):  # fmt: skip
    """One combination of `fused_sweep_rows`: two assets, their positions kept in registers
    between trades; the statistics from running sums, the drawdown divided out only when the
    equity may have set a new low (as issue 20's kernel did)."""
    root = math.sqrt(252.0)
    sessions = end - start + 1
    close0 = close[0]  # asset-major: each asset's closes contiguous
    close1 = close[1]
    totals = np.zeros(4)
    pos = np.zeros(2)
    last_val = np.full(2, np.nan)
    target = np.zeros(2)
    active = np.empty(2, dtype=np.int64)
    order_value = np.empty(2)
    seq = np.empty(2, dtype=np.int64)
    no_records = np.empty((0, 6))
    cash = init_cash
    free_cash = init_cash
    p0 = p1 = 0.0
    trimmed = False
    last_switch = -(1 << 30)
    trade_at = -1
    trade_row = 0
    block = 0
    next_edge = edges[1]
    b1 = b2 = s1 = s2 = 0.0
    first_eq = last_eq = peak = bound = -np.inf
    worst = down2 = ex1 = ex2 = eq_sum = 0.0
    for t in range(first, end + 1):
        if t == trade_at:
            n_active = 0
            for a in range(2):
                target[a] = weights[trade_row, a]
                if target[a] != 0.0 or pos[a] != 0.0:
                    last_val[a] = valuation_price(fill, last_fill, t, a, start)
                    active[n_active] = a
                    n_active += 1
            cash, free_cash, fills, traded, paid, _ = rebalance_nb(
                t, target, fill, fees, slippage, pos, last_val, cash, free_cash, active,
                n_active, order_value, seq, 2, no_records, 0, False,
            )  # fmt: skip
            p0, p1 = pos[0], pos[1]
            totals[0] += fills
            totals[1] += 1 if fills else 0
            totals[2] += traded
            totals[3] += paid
        if t >= start:
            eq = cash  # the sweep's order: cash, then each held asset
            if p0 != 0:
                eq += p0 * close0[t]
            if p1 != 0:
                eq += p1 * close1[t]
            if t == start:
                first_eq = eq
            else:  # the daily return's sums: per block, below the risk-free rate, over bench
                r = eq / last_eq - 1.0
                if t >= next_edge:
                    blocks_out[block, 0] = b1
                    blocks_out[block, 1] = b2
                    s1 += b1
                    s2 += b2
                    b1 = b2 = 0.0
                    block += 1
                    next_edge = edges[block + 1]
                b1 += r
                b2 += r * r
                below = min(r - rf_daily, 0.0)
                down2 += below * below
                over = r - bench[t]
                ex1 += over
                ex2 += over * over
            if eq > peak:
                peak = eq
                bound = peak * (1.0 + worst) * (1.0 + 1e-12)
            elif eq < bound:
                worst = min(worst, eq / peak - 1.0)
                bound = peak * (1.0 + worst) * (1.0 + 1e-12)
            eq_sum += eq
            last_eq = eq
        switched = False  # the state after t's close, as strategies.rsi_trim decides it
        if t - last_switch > cooldown:
            if not trimmed and values[t] > upper:
                trimmed, last_switch, switched = True, t, True
            elif trimmed and values[t] < lower:
                trimmed, last_switch, switched = False, t, True
        if t == first or switched:  # a row decided by the window's start is carried in
            trade_at = max(t, start) + 1
            trade_row = 1 if trimmed else 0
    blocks_out[block, 0] = b1
    blocks_out[block, 1] = b2
    s1 += b1
    s2 += b2
    # The statistics from the sums, as engine.stats.returns_nb defines them (mean and sd of the
    # daily returns, ddof=1; the downside deviation over all sessions; 252 sessions a year).
    n = sessions - 1
    mean = s1 / n
    sd = math.sqrt(max(s2 - s1 * mean, 0.0) / (n - 1))
    years = n / 252.0
    growth = last_eq / first_eq
    cagr = growth ** (1.0 / years) - 1.0 if growth > 0 else -1.0
    out = stats_out
    out[0] = last_eq
    out[1] = growth - 1.0
    out[2] = cagr
    out[3] = sd * root
    out[4] = (mean - rf_daily) / sd * root if sd > 0 else np.nan
    downside = math.sqrt(down2 / n)
    out[5] = (mean - rf_daily) / downside * root if downside > 0 else np.nan
    out[6] = worst
    out[7] = cagr / abs(worst) if worst < 0 else np.nan
    out[8] = totals[0]
    out[9] = totals[1]
    out[10] = totals[2] / (eq_sum / sessions) / years if totals[2] != 0 else 0.0
    out[11] = totals[3]
    ex_mean = ex1 / n
    ex_sd = math.sqrt(max(ex2 - ex1 * ex_mean, 0.0) / (n - 1))
    out[12] = ex_mean / ex_sd * root if has_bench and ex_sd > 0 else np.nan


@numba.njit(parallel=True, cache=False)
def final_equity_floor(rsi, row_of, upper, lower, cooldown, small, dest, start, core_w, trim_w,
                       cost, cash0):  # fmt: skip
    """Final equity of each combination over sessions start..end of `small` and `dest`."""
    n, sessions = row_of.shape[0], small.shape[0]
    out = np.empty(n)
    for j in prange(n):
        values = rsi[row_of[j]]
        trimmed = False
        last_switch = -(1 << 30)
        cash = cash0
        units_small = 0.0
        units_dest = 0.0
        trade_at = start + 1  # the state after the first close is bought at the next
        for t in range(sessions):
            if t == trade_at:
                value = cash + units_small * small[t] + units_dest * dest[t]
                w_small = trim_w if trimmed else core_w
                w_dest = core_w - trim_w if trimmed else 0.0
                new_small = value * w_small / small[t]
                new_dest = value * w_dest / dest[t]
                traded = abs(new_small - units_small) * small[t]
                traded += abs(new_dest - units_dest) * dest[t]
                cash = value - new_small * small[t] - new_dest * dest[t] - traded * cost
                units_small = new_small
                units_dest = new_dest
            if t - last_switch > cooldown[j]:
                if not trimmed and values[t] > upper[j]:
                    trimmed = True
                    last_switch = t
                    trade_at = max(t + 1, start + 1)
                elif trimmed and values[t] < lower[j]:
                    trimmed = False
                    last_switch = t
                    trade_at = max(t + 1, start + 1)
        last = sessions - 1
        out[j] = cash + units_small * small[last] + units_dest * dest[last]
    return out


def measure_fused(
    setup: Any, sweep_stats: np.ndarray | None = None, repeats: int = 5
) -> dict[str, Any]:
    """Both kernels on a loaded rsi_trim sweep's grid, after compiling, the fastest of `repeats`
    runs each: seconds and CPU seconds of all threads (`seconds`, `cpu_s` for the reference,
    `floor_seconds` for the floor), and the largest relative gap of the reference's statistics
    from the sweep's (`sweep_stats`, rows of STAT_COLUMNS in the setup's table order), on up to
    200 rows; NaN without them."""
    import pandas as pd

    from engine.decisions.indicators import wilder_rsi
    from engine.simulate.portfolio import execution_inputs
    from engine.stats.metrics import daily_risk_free
    from engine.tuning.benchmark import main_benchmark_returns
    from strategies.rsi_trim import signal_series

    params, table, data = setup.cfg.params, setup.table, setup.data
    backtest, window = setup.cfg.backtest, setup.window(16)
    if backtest.lag != 1 or backtest.cash_ticker or params.destination == "cash":
        raise ValueError("the fused reference runs lag 1, no cash ticker, a destination ticker")
    chunk = setup.plan.payload(0, setup.plan_size)
    columns = [params.small_cap, params.destination]
    inputs = execution_inputs(data, columns, backtest, slice(None))
    bench = np.full(len(data.index), np.nan)
    bench[window.start + 1 : window.end + 1] = main_benchmark_returns(
        setup.cfg, data, window.start, window.end
    )
    rf = daily_risk_free(backtest.risk_free_pct)

    def column(name: str) -> np.ndarray:
        if name in chunk.table:
            return chunk.table[name].to_numpy(dtype=float)
        return np.full(len(chunk.table), float(getattr(params, name)))

    def rsi_rows() -> tuple[np.ndarray, np.ndarray]:
        """One RSI per (length, data start), seeded where the sweep's view of the row starts."""
        keys = pd.MultiIndex.from_arrays([column("n").astype(int), chunk.first])
        code, distinct = pd.factorize(keys)
        rows = np.full((len(distinct), len(data.index)), np.nan)
        signal = signal_series(data, params)
        for i, (n, first) in enumerate(distinct):
            rows[i, first:] = wilder_rsi(signal.iloc[first:], int(n)).to_numpy(dtype=float)
        return rows, code.astype(np.int64)

    def reference() -> np.ndarray:
        rsi, row_of = rsi_rows()
        core, trim = column("core_weight"), column("trim_weight")
        weights = np.zeros((len(core), 2, 2))
        weights[:, 0, 0], weights[:, 1, 0], weights[:, 1, 1] = core, trim, core - trim
        stats = np.empty((len(core), N_STATS))
        blocks = np.zeros((len(core), window.blocks, 2))
        fused_sweep_rows(rsi, row_of, chunk.first.astype(np.int64), column("upper"),
                         column("lower"), column("cooldown").astype(np.int64), weights,
                         inputs.close, inputs.fill, inputs.fees, inputs.slippage,
                         float(backtest.initial_cash), rf, bench, True, window.start,
                         window.end, window.edges, stats, blocks)  # fmt: skip
        return stats

    def floor() -> np.ndarray:
        rsi, row_of = rsi_rows()
        end = window.end + 1
        cost = (backtest.fees_bps + backtest.slippage_bps) / 1e4
        return final_equity_floor(rsi[:, :end], row_of, column("upper"), column("lower"),
                                  column("cooldown"), inputs.close[:end, 0], inputs.close[:end, 1],
                                  window.start, params.core_weight, params.trim_weight, cost,
                                  float(backtest.initial_cash))  # fmt: skip

    reference(), floor()  # compile
    timed: dict[str, list[tuple[float, float]]] = {"reference": [], "floor": []}
    stats = None
    for _ in range(repeats):  # the fastest: a few thousand combinations take milliseconds
        for name, kernel in (("reference", reference), ("floor", floor)):
            started, cpu = time.perf_counter(), time.process_time()
            out = kernel()
            timed[name].append((time.perf_counter() - started, time.process_time() - cpu))
            stats = out if name == "reference" else stats
    seconds, cpu = min(timed["reference"])
    gap = float("nan")
    if sweep_stats is not None and stats is not None:
        sample = np.linspace(0, len(table) - 1, min(200, len(table))).astype(int)
        mine, theirs = stats[sample], sweep_stats[sample]
        scale = np.maximum(np.abs(theirs), 1.0)
        gap = float(np.nanmax(np.abs(mine - theirs) / scale))
    return {"combinations": len(table), "seconds": seconds, "cpu_s": cpu,
            "floor_seconds": min(timed["floor"])[0], "max_gap": gap}  # fmt: skip
