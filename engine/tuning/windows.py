"""What every evaluator shares: the window a chunk is run on and the statistics it returns.

Stat columns follow `engine.stats.metrics` exactly (252 sessions a year, Sharpe and Sortino on daily
excess returns, volatility with ddof=1, CAGR over the number of daily steps, turnover = traded
value / average equity per year, rebalances = sessions with at least one fill), so a sweep row
and a single run of the same parameters report the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.stats.sweep_columns import STAT_COLUMNS

STAT_INDEX = {name: i for i, name in enumerate(STAT_COLUMNS)}


@dataclass(frozen=True)
class Window:
    """Sessions [start, end] (positions in the data index, end included) a portfolio runs on.

    The portfolio starts in cash at `start` and trades its first decision `lag` sessions later;
    decisions may use any history before `start` (indicators), never after `end`.
    `edges` cut the daily returns (sessions start+1..end) into contiguous blocks for CSCV:
    block b holds the returns of sessions edges[b] <= t < edges[b+1].
    """

    start: int
    end: int
    edges: np.ndarray

    @classmethod
    def of(cls, start: int, end: int, blocks: int = 1) -> Window:
        if end <= start:
            raise ValueError(f"a window needs at least two sessions, got [{start}, {end}]")
        blocks = max(1, min(blocks, end - start))
        edges = np.round(np.linspace(start + 1, end + 1, blocks + 1)).astype(np.int64)
        return cls(start=start, end=end, edges=edges)

    @property
    def sessions(self) -> int:
        return self.end - self.start + 1

    @property
    def blocks(self) -> int:
        return len(self.edges) - 1

    def block_counts(self) -> np.ndarray:
        return np.diff(self.edges)


@dataclass
class ChunkResult:
    """Per-combination statistics (rows follow the chunk's combinations)."""

    stats: np.ndarray  # (n, len(STAT_COLUMNS))
    blocks: np.ndarray  # (n, window.blocks, 2): sum of daily returns, sum of their squares


def block_sums(returns: np.ndarray, window: Window) -> np.ndarray:
    """(blocks, 2): sum and sum of squares of the daily returns (sessions start..end, first
    one 0) in each CSCV block: the reference the kernel's running sums are tested against."""
    out = np.zeros((window.blocks, 2))
    for b in range(window.blocks):
        part = returns[window.edges[b] - window.start : window.edges[b + 1] - window.start]
        out[b, 0] = part.sum()
        out[b, 1] = (part * part).sum()
    return out
