"""The main benchmark of a sweep, bought and held over any window of the data.

The question a tuned rule must answer is "did it beat the benchmark", not "did it beat zero":
the deflated Sharpe ratio of the best combination's returns in excess of the benchmark, and
the walk-forward test windows next to the benchmark over the same sessions, both use these
returns. The main benchmark is the config's first `[[benchmarks]]` entry. It is bought at the
window's first close with its weights (the rest in cash earning nothing) and held without
costs or rebalancing: a plain reference that needs no decision, so it earns every session of
the window.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from engine.config import RunConfig
from engine.data.model import MarketData
from engine.errors import DataQualityError

__all__ = ["buy_and_hold_returns", "main_benchmark"]


def main_benchmark(cfg: RunConfig) -> tuple[str, dict[str, float]] | None:
    """(name, weights) of the config's first benchmark, or None when it names none."""
    if not cfg.benchmarks:
        return None
    first = cfg.benchmarks[0]
    return first.name, {t.upper(): float(w) for t, w in first.weights.items()}


def buy_and_hold_returns(
    data: MarketData, weights: Mapping[str, float], start: int, end: int
) -> np.ndarray:
    """Daily returns (end - start values) of `weights` bought at the close of data position
    `start` and held to `end`: equity_t = (1 - sum w) + sum w_i P_i,t / P_i,start."""
    tickers = list(weights)
    prices = data.adj_close[tickers].to_numpy(dtype=float)[start : end + 1]
    if not np.isfinite(prices).all() or (prices <= 0).any():
        bad = [t for i, t in enumerate(tickers) if not np.isfinite(prices[:, i]).all()]
        raise DataQualityError(
            f"benchmark {', '.join(bad) or tickers} lacks a price between "
            f"{data.index[start].date()} and {data.index[end].date()}"
        )
    w = np.array([weights[t] for t in tickers])
    equity = (1.0 - w.sum()) + (prices / prices[0]) @ w
    return equity[1:] / equity[:-1] - 1.0
