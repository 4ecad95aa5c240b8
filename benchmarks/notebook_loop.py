"""The researcher's notebook loop: a warm `rl.run("first10days")` against one vectorbt
`Portfolio.from_orders` call on the same data, side by side.

Target (the researcher's loop): the warm run costs at most 3x the single `from_orders` call. Both
are timed warm (compiled kernels, the data loaded once before), alternately, as the median of
several repetitions in the same process: the ratio is what matters on a shared machine. Usage:

    python benchmarks/notebook_loop.py [--repeat 11] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import vectorbt as vbt

import engine as rl
from engine.paths import project_root
from engine.simulate.pipeline import (
    load_data_for,
    period_index,
    strategy_period,
    trim_weights,
)
from engine.simulate.portfolio import prepare_run, shifted_orders

TARGET_RATIO = 3.0
STRATEGY = "first10days"


def seconds(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def interleaved_medians(first, second, repeat: int) -> tuple[float, float]:
    """Median seconds of each call, timed alternately so both see the same machine load."""
    a, b = [], []
    for _ in range(repeat):
        a.append(seconds(first))
        b.append(seconds(second))
    return statistics.median(a), statistics.median(b)


def from_orders_call():
    """One `from_orders` call on the run's own inputs (the strategy's weights over its period,
    its costs and lag), built once outside the timing."""
    from engine.api.inputs import config_for
    from engine.decisions.discovery import library

    strategy = library()[STRATEGY]
    cfg = config_for(strategy)
    data = load_data_for(strategy, cfg, project_root())
    index = period_index(data, strategy_period(strategy, cfg, data))
    weights = trim_weights(strategy.weights(data, cfg.params), index)
    run = prepare_run(weights, data, cfg.backtest)
    inputs = run.inputs
    size = shifted_orders(run, cfg.backtest.lag, index)
    close = size.copy()
    close[:] = inputs.close
    price = size.copy()
    price[:] = inputs.fill

    def call():
        return vbt.Portfolio.from_orders(
            close=close, size=size, size_type="targetpercent", direction="longonly",
            price=price, fees=inputs.fees[None, :], slippage=inputs.slippage[None, :],
            init_cash=cfg.backtest.initial_cash, group_by=True, cash_sharing=True,
            call_seq="auto", freq="1D",
        )  # fmt: skip

    return call


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--profile", action="store_true", help="print rl.run's top functions")
    args = parser.parse_args()

    run = lambda: rl.run(STRATEGY)  # noqa: E731
    vectorbt = from_orders_call()
    run(), run(), vectorbt(), vectorbt()  # warm: kernels compiled, caches filled
    run_s, vbt_s = interleaved_medians(run, vectorbt, args.repeat)
    ratio = run_s / vbt_s
    print(f"warm rl.run({STRATEGY!r}):           {run_s * 1000:8.1f} ms (median of {args.repeat})")
    print(f"one vectorbt from_orders, same data: {vbt_s * 1000:8.1f} ms (median of {args.repeat})")
    print(f"ratio: {ratio:.2f}x (target at most {TARGET_RATIO:g}x): "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}")  # fmt: skip
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(run)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
