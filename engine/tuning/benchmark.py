"""The main benchmark of a sweep over any window of the data, timed and charged as in a single run.

The question a tuned rule must answer is "did it beat the benchmark", not "did it beat zero":
the deflated Sharpe ratio of the best combination's returns in excess of the benchmark, the SPA
test, and the walk-forward test windows next to the benchmark over the same sessions all use
these returns. The main benchmark is the config's first `[[benchmarks]]` entry, and it is the
single-run benchmark itself (`engine.simulate.pipeline.simulate_benchmarks`'s definition): its
weights set
on the window's first session and run through the engine with the run's `[backtest]` settings,
so it enters on the session the strategy first trades (the same lag), at the same fill price,
with the same fees and slippage and the same cash yield, and rebalances as configured. One
definition and one timing for single runs, sweeps and walk-forward.
"""

from __future__ import annotations

import numpy as np

from engine.config.run_config import RunConfig
from engine.data.model import MarketData
from engine.errors import DataQualityError
from engine.simulate.pipeline import cash_returns_for
from engine.simulate.portfolio import run_backtest, static_mix_weights

__all__ = ["main_benchmark", "main_benchmark_returns"]


def main_benchmark(cfg: RunConfig) -> tuple[str, dict[str, float]] | None:
    """(name, weights) of the config's first benchmark, or None when it names none."""
    if not cfg.benchmarks:
        return None
    first = cfg.benchmarks[0]
    return first.name, {t.upper(): float(w) for t, w in first.weights.items()}


def main_benchmark_returns(cfg: RunConfig, data: MarketData, start: int, end: int) -> np.ndarray:
    """Daily returns (end - start values, sessions start+1..end) of the main benchmark run on
    the window [start, end] exactly as a single run's benchmark is."""
    bench = cfg.benchmarks[0]
    weights = {t.upper(): float(w) for t, w in bench.weights.items()}
    index = data.index[start : end + 1]
    prices = data.adj_close[list(weights)].to_numpy(dtype=float)[start : end + 1]
    if not np.isfinite(prices[cfg.backtest.lag :]).all():
        bad = [t for i, t in enumerate(weights) if not np.isfinite(prices[:, i]).all()]
        raise DataQualityError(
            f"benchmark {', '.join(bad) or list(weights)} lacks a price between "
            f"{index[0].date()} and {index[-1].date()}"
        )
    result = run_backtest(
        static_mix_weights(index, weights, bench.rebalance),
        data,
        cfg.backtest,
        name=bench.name,
        cash_returns=cash_returns_for(data, cfg, index),
    )
    return result.returns.to_numpy(dtype=float)[1:]
