"""A fused rsi_trim kernel: the speed reference the sweep benchmark measures commands against.

One numba loop per combination does everything the rule needs and nothing else: the RSI state
machine (trim above `upper`, restore below `lower`, `cooldown` sessions between switches, from
the first session of the data so the state at the period's start has its history) and a
two-asset portfolio (small cap and destination) rebalanced to the target weights at the next
session's close, with fees and slippage on each trade, keeping the final equity only. The RSI
rows (one per distinct length) are computed once with `engine.decisions.indicators.wilder_rsi`.
It keeps none of the statistics, per-block sums or checks the sweep's kernel keeps, so it is a
floor, not a rival: issue 20 put it at 31 us per combination on the two-core machine. Its final
equity is printed next to the sweep's as a sanity check (slippage is charged on the trade's
value here, on the fill price by vectorbt, so the two differ by a little).
"""

from __future__ import annotations

import time
from typing import Any

import numba
import numpy as np
from numba import prange


@numba.njit(parallel=True, cache=False)
def fused_final_equity(rsi, row_of, upper, lower, cooldown, small, dest, start, core_w, trim_w,
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
    setup: Any, sweep_final: np.ndarray | None = None, repeats: int = 5
) -> dict[str, Any]:
    """The fused kernel on a loaded rsi_trim sweep's grid: seconds and CPU seconds of all its
    threads (after compiling; the fastest of `repeats` runs), and the
    largest relative gap of its final equity from the sweep's (`sweep_final`, one per row of
    the setup's table), on up to 200 rows."""
    from engine.decisions.indicators import wilder_rsi
    from strategies.rsi_trim import signal_series

    params, table = setup.cfg.params, setup.table
    window = setup.window(1)
    prices = setup.data.adj_close
    end = window.end + 1
    small = prices[params.small_cap].to_numpy(dtype=float)[:end]
    dest = prices[params.destination].to_numpy(dtype=float)[:end]
    backtest = setup.cfg.backtest
    cost = (backtest.fees_bps + backtest.slippage_bps) / 1e4
    args = (params.core_weight, params.trim_weight, cost, float(backtest.initial_cash))
    lengths = table["n"].to_numpy() if "n" in table else np.full(len(table), params.n)

    def run(rows: np.ndarray) -> np.ndarray:
        distinct, row_of = np.unique(lengths[rows], return_inverse=True)
        signal = signal_series(setup.data, params)
        rsi = np.vstack([wilder_rsi(signal, int(n)).to_numpy(dtype=float)[:end] for n in distinct])
        pick = {}
        for k in ("upper", "lower", "cooldown"):
            column = table[k].to_numpy(dtype=float) if k in table else None
            pick[k] = column[rows] if column is not None else np.full(len(rows), getattr(params, k))
        return fused_final_equity(rsi, row_of.astype(np.int64), pick["upper"], pick["lower"],
                                  pick["cooldown"], small, dest, window.start, *args)  # fmt: skip

    run(np.arange(min(2, len(table))))  # compile
    timings = []
    for _ in range(repeats):  # the fastest: a few thousand combinations take milliseconds
        started, cpu = time.perf_counter(), time.process_time()
        final = run(np.arange(len(table)))
        timings.append((time.perf_counter() - started, time.process_time() - cpu))
    seconds, cpu = min(timings)
    gap = float("nan")
    if sweep_final is not None:
        sample = np.linspace(0, len(table) - 1, min(200, len(table))).astype(int)
        gap = float(np.max(np.abs(final[sample] / sweep_final[sample] - 1)))
    return {"combinations": len(table), "seconds": seconds, "cpu_s": cpu, "max_gap": gap}
