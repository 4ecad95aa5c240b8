"""What a sweep keeps in memory: bounded summaries reduced chunk by chunk, in whatever order the
chunks finish (every row's statistics stream to the result dataset, `engine.tuning.resume`).

- the best `keep` combinations by the ranking metric, with their statistics (the report's top
  table, the equity curves of the best, SPA/StepM's top 100); ties in grid order, NaN last,
  exactly the first rows of a full ranking (`engine.tuning.sweep.ranking`);
- the statistics of watched rows (the default, the rows sampled for the cross-check);
- the mean, count and variance of the trials' Sharpe and information ratios (deflated Sharpe);
- per pair of swept parameters, the sum and count of the metric in each cell (heatmaps);
- CSCV block sums for PBO: every combination up to PBO_MAX_COMBINATIONS, above it a seeded
  random sample of that many (the report says so).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from engine.stats.sweep_columns import LOWER_IS_BETTER, STAT_COLUMNS
from engine.tuning.combinations import Combinations
from engine.tuning.windows import STAT_INDEX, ChunkResult

__all__ = ["MAX_HEATMAP_CELLS", "PBO_MAX_COMBINATIONS", "Moments", "SweepSummary", "rank_key"]

PBO_MAX_COMBINATIONS = 250_000  # block sums kept for CSCV (16 blocks: 64 MB)
MAX_HEATMAP_CELLS = 250_000  # cells of one parameter pair reduced for its heatmap


def rank_key(values: np.ndarray, metric: str) -> np.ndarray:
    """Smaller is better: the metric, negated unless lower is better; NaN last (inf)."""
    key = np.array(values, dtype=float)
    if metric not in LOWER_IS_BETTER:
        key = -key
    key[np.isnan(key)] = np.inf
    return key


@dataclass
class Moments:
    """Count, mean and sum of squared deviations of the finite values seen (Chan et al.'s
    pairwise update, as numpy's two-pass variance to rounding)."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, values: np.ndarray) -> None:
        values = values[np.isfinite(values)]
        if not len(values):
            return
        n, mean = len(values), float(values.mean())
        m2 = float(((values - mean) ** 2).sum())
        total = self.count + n
        delta = mean - self.mean
        self.m2 += m2 + delta * delta * self.count * n / total
        self.mean += delta * n / total
        self.count = total

    @property
    def variance(self) -> float:
        """Sample variance (ddof=1); 0 with fewer than two values."""
        return self.m2 / (self.count - 1) if self.count > 1 else 0.0


@dataclass
class SweepSummary:
    """Reductions of one sweep's rows (plan rows: combinations 0..n-1, then the default)."""

    combos: Combinations
    metric: str
    keep: int  # best rows kept
    blocks: int  # CSCV blocks
    watch: set[int] = field(default_factory=set)  # plan rows whose statistics are kept
    pbo_rows: np.ndarray | None = None  # sorted combinations sampled for PBO; None: all
    heatmaps: bool = True  # reduce heatmap cells
    pbo: bool = True  # keep CSCV block sums
    top_rows: np.ndarray = field(init=False)
    top_stats: np.ndarray = field(init=False)
    watched: dict[int, np.ndarray] = field(init=False, default_factory=dict)
    moments: dict[str, Moments] = field(init=False)
    cells: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = field(init=False)
    pbo_blocks: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.top_rows = np.empty(0, dtype=np.int64)
        self.top_stats = np.empty((0, len(STAT_COLUMNS)))
        self.moments = {"sharpe": Moments(), "information_ratio": Moments()}
        lengths = self.combos.grid.lengths
        swept = [k for k, length in enumerate(lengths) if length > 1]
        self.cells = {
            (i, j): (np.zeros(lengths[i] * lengths[j]), np.zeros(lengths[i] * lengths[j], int))
            for i, j in itertools.combinations(swept, 2)
            if self.heatmaps and lengths[i] * lengths[j] <= MAX_HEATMAP_CELLS
        }
        kept = self.combos.n if self.pbo_rows is None else len(self.pbo_rows)
        self.pbo_blocks = np.zeros((kept if self.pbo else 0, self.blocks, 2))

    @property
    def n(self) -> int:
        return self.combos.n

    def add(self, start: int, stop: int, result: ChunkResult) -> None:
        """Fold in plan rows start..stop-1."""
        for row in self.watch:
            if start <= row < stop:
                self.watched[row] = result.stats[row - start].copy()
        stop = min(stop, self.n)
        if start >= stop:
            return
        stats, blocks = result.stats[: stop - start], result.blocks[: stop - start]
        self._top(start, stats)
        for name, moments in self.moments.items():
            moments.add(stats[:, STAT_INDEX[name]])
        self._cells(start, stop, stats[:, STAT_INDEX[self.metric]])
        if not self.pbo:
            return
        if self.pbo_rows is None:
            self.pbo_blocks[start:stop] = blocks
        else:
            lo, hi = np.searchsorted(self.pbo_rows, [start, stop])
            self.pbo_blocks[lo:hi] = blocks[self.pbo_rows[lo:hi] - start]

    def _top(self, start: int, stats: np.ndarray) -> None:
        key = rank_key(stats[:, STAT_INDEX[self.metric]], self.metric)
        rows = np.arange(start, start + len(stats), dtype=np.int64)
        if len(self.top_rows) >= self.keep:  # only rows that beat the last kept one
            last = rank_key(self.top_stats[-1:, STAT_INDEX[self.metric]], self.metric)[0]
            better = (key < last) | ((key == last) & (rows < self.top_rows[-1]))
            key, rows, stats = key[better], rows[better], stats[better]
            if not len(rows):
                return
        all_rows = np.concatenate([self.top_rows, rows])
        all_stats = np.concatenate([self.top_stats, stats])
        all_keys = np.concatenate(
            [rank_key(self.top_stats[:, STAT_INDEX[self.metric]], self.metric), key]
        )
        order = np.lexsort((all_rows, all_keys))[: self.keep]
        self.top_rows, self.top_stats = all_rows[order], all_stats[order]

    def _cells(self, start: int, stop: int, values: np.ndarray) -> None:
        if not self.cells:
            return
        codes = self.combos.grid.codes(self.combos.grid_rows(start, stop))
        lengths = self.combos.grid.lengths
        finite = np.isfinite(values)
        for (i, j), (sums, counts) in self.cells.items():
            cell = codes[i][finite] * lengths[j] + codes[j][finite]
            sums += np.bincount(cell, weights=values[finite], minlength=len(sums))
            counts += np.bincount(cell, minlength=len(counts))

    def mean_cells(self, x: int, y: int) -> np.ndarray | None:
        """(len(y), len(x)): the metric's mean per cell (NaN where no finite value), or None
        when the pair has too many cells to be reduced."""
        i, j = min(x, y), max(x, y)
        if (i, j) not in self.cells:
            return None
        sums, counts = self.cells[(i, j)]
        lengths = self.combos.grid.lengths
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        mean = mean.reshape(lengths[i], lengths[j])
        return mean if y == i else mean.T
