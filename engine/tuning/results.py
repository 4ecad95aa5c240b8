"""A finished sweep: its bounded summaries in memory, every row in its Parquet dataset (kept
while the result lives, or for good with `keep_dataset`).

The ranking (best first, ties in grid order, NaN last), the default's rank (one pass over the
dataset's metric column), the top rows, heatmap cells, and the whole table read back on request
for sweeps small enough to hold it (READ_BACK_LIMIT rows).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import BadInputError
from engine.stats.sweep_columns import LOWER_IS_BETTER, STAT_COLUMNS
from engine.tuning.resume import ChunkStore
from engine.tuning.summary import SweepSummary, rank_key
from engine.tuning.windows import Window

__all__ = ["READ_BACK_LIMIT", "SweepResult", "default_rank", "rank_of", "ranking"]

READ_BACK_LIMIT = 1_000_000  # rows `SweepResult.table` reads back (~360 bytes each)


def ranking(values: np.ndarray, metric: str) -> np.ndarray:
    """Positions from best to worst by `metric` (NaN last, ties in grid order)."""
    return np.argsort(rank_key(values, metric), kind="stable")


def rank_of(value: float, values: np.ndarray, metric: str) -> int:
    """1 + how many of `values` are strictly better than `value` (NaN is never better)."""
    values = np.asarray(values, dtype=float)
    if np.isnan(value):
        return int(np.sum(~np.isnan(values))) + 1
    better = values < value if metric in LOWER_IS_BETTER else values > value
    return int(np.sum(better)) + 1


def default_rank(summary: SweepSummary, store: ChunkStore, setup: Any, value: float) -> int:
    """The default's rank among the combinations: where it stands in a full ranking when it is
    one of them (ties in grid order), else 1 + those strictly better (`rank_of`). From the top
    rows when it is among them, else by one pass over the dataset's metric column."""
    row, inside, metric = setup.default_row, setup.default_in_grid, summary.metric
    if inside and row in summary.top_rows:
        return int(np.flatnonzero(summary.top_rows == row)[0]) + 1
    target = rank_key(np.array([value]), metric)[0]
    better = 0
    for frame in store.frames(["combination", metric]):
        frame = frame[frame["combination"] < summary.n]
        key = rank_key(frame[metric].to_numpy(), metric)
        better += int((key < target).sum())
        if inside:
            better += int(((key == target) & (frame["combination"].to_numpy() < row)).sum())
    return better + 1


@dataclass
class SweepResult:
    """A finished sweep. `top` (the best `summary.keep` rows) and the default's statistics and
    rank are in memory; `table` reads every row back from `dataset` (small sweeps only)."""

    setup: Any  # engine.tuning.sweep.SweepSetup
    metric: str
    window: Window
    summary: SweepSummary
    store: ChunkStore
    default_stats: pd.Series
    default_rank: int  # among the grid's combinations, by `metric` (1 = best)
    seconds: float
    executor: str
    timings: dict[str, float] = field(default_factory=dict)
    finalizer: Any = field(default=None, repr=False)  # removes the dataset with the result

    def keep_dataset(self) -> Path:
        """Keep the dataset after this result is gone (it is removed with it otherwise)."""
        if self.finalizer is not None:
            self.finalizer.detach()
        return self.dataset

    def remove_dataset(self) -> None:
        """Remove the dataset now (`top`, the default's figures and the summaries stay)."""
        if self.finalizer is not None:
            self.finalizer()
        else:
            shutil.rmtree(self.dataset, ignore_errors=True)

    @property
    def dataset(self) -> Path:
        """The folder of Parquet parts holding every row (combination, parameters,
        statistics, CSCV block sums)."""
        return self.store.folder

    @property
    def order(self) -> np.ndarray:
        """The best `summary.keep` combinations, best first (the head of a full ranking)."""
        return self.summary.top_rows

    @property
    def best_row(self) -> int:
        return int(self.order[0])

    def best_values(self) -> dict[str, Any]:
        return self.setup.plan.values(self.best_row)

    @property
    def top(self) -> pd.DataFrame:
        """The best rows: rank, parameters and every statistic."""
        summary = self.summary
        params = self.setup.combos.rows(summary.top_rows)
        stats = pd.DataFrame(summary.top_stats, columns=list(STAT_COLUMNS))
        top = pd.concat([params, stats], axis=1)
        top.insert(0, "rank", np.arange(1, len(top) + 1, dtype=np.int64))
        return top

    def stats_of(self, row: int) -> np.ndarray:
        """One plan row's statistics: from memory when kept, else read from the dataset."""
        if row in self.summary.watched:
            return self.summary.watched[row]
        hit = np.flatnonzero(self.summary.top_rows == row)
        if len(hit):
            return self.summary.top_stats[hit[0]]
        return self.store.rows(np.array([row]), list(STAT_COLUMNS)).to_numpy()[0]

    def _check_size(self, what: str, limit: int) -> None:
        if not self.dataset.is_dir():
            raise BadInputError(
                f"the sweep's dataset {self.dataset} was removed (remove_dataset, or a later "
                "run of the same sweep replaced it); run the sweep again"
            )
        n = self.setup.n_combos
        if n > limit:
            raise BadInputError(
                f"the sweep has {n:,} combinations: too many to read back as {what} (at most "
                f"{limit:,}). Read the Parquet dataset {self.dataset} in parts (pyarrow.dataset "
                "or pandas.read_parquet with columns=), or use .top for the best rows"
            )

    def read_table(self, limit: int = READ_BACK_LIMIT) -> pd.DataFrame:
        """Every combination: parameters, statistics and rank, in grid order."""
        self._check_size("one table", limit)
        n = self.setup.n_combos
        stats = pd.concat(list(self.store.frames(["combination", *STAT_COLUMNS])))
        stats = stats[stats["combination"] < n].reset_index(drop=True)
        table = pd.concat([self.setup.combos.table(0, n), stats[list(STAT_COLUMNS)]], axis=1)
        rank = np.empty(n, dtype=np.int64)
        rank[ranking(table[self.metric].to_numpy(), self.metric)] = np.arange(1, n + 1)
        table["rank"] = rank
        return table

    @property
    def table(self) -> pd.DataFrame:
        """`read_table()`: parameters + STAT_COLUMNS + rank, grid order."""
        return self.read_table()

    @property
    def blocks(self) -> np.ndarray:
        """(combinations, blocks, 2) CSCV block sums, read back from the dataset."""
        self._check_size("block sums", READ_BACK_LIMIT)
        names = self.store.block_columns()
        parts = [f[f["combination"] < self.setup.n_combos] for f in self.store.frames(
            ["combination", *names])]  # fmt: skip
        values = pd.concat(parts)[names].to_numpy()
        return values.reshape(len(values), self.window.blocks, 2)

    def heatmap(self, x: str, y: str, others: str) -> tuple[pd.DataFrame, str]:
        """The metric over (y rows, x columns): the other parameters averaged (mean of each
        cell's finite values, reduced chunk by chunk) or fixed at the best or default
        combination's values (those rows read from the dataset)."""
        setup, metric = self.setup, self.metric
        grid = setup.grid
        names = grid.names
        rest = [name for name in names if name not in (x, y)]
        note = f"{metric} averaged over {', '.join(rest)}" if rest else metric
        axes = {a.name: list(a.values) for a in grid.axes}
        values = None
        if rest and others != "mean":
            anchor = self.best_values() if others == "best" else setup.default_values()
            values = self._anchored(x, y, rest, anchor)
            if values is not None:
                fixed = ", ".join(f"{n}={anchor[n]}" for n in rest)
                note = f"{metric} with {fixed} (the {others} combination's values)"
            else:
                note += f" (the {others} values of the others are not on the grid)"
        if values is None:
            values = self.summary.mean_cells(names.index(x), names.index(y))
            if values is None:
                raise BadInputError(
                    f"--heatmap {x},{y}: {len(axes[x]) * len(axes[y]):,} cells are too many "
                    "for a heatmap; choose parameters with fewer values"
                )
        frame = pd.DataFrame(
            values, index=pd.Index(axes[y], name=y), columns=pd.Index(axes[x], name=x)
        )
        return frame, note

    def _anchored(
        self, x: str, y: str, rest: list[str], anchor: dict[str, Any]
    ) -> np.ndarray | None:
        """The metric of the rows with the other parameters at `anchor`'s values (NaN where
        refused), or None when a value is off its axis or every such row is refused."""
        grid, combos = self.setup.grid, self.setup.combos
        base = 0
        for name in rest:
            code = grid.position(name, anchor[name])
            if code is None:
                return None
            base += code * grid.strides[grid.names.index(name)]
        ix, iy = grid.names.index(x), grid.names.index(y)
        ys, xs = np.meshgrid(
            np.arange(grid.lengths[iy]), np.arange(grid.lengths[ix]), indexing="ij"
        )
        rows = base + ys.ravel() * grid.strides[iy] + xs.ravel() * grid.strides[ix]
        numbers = [combos.number_of(int(r)) for r in rows]
        known = np.array([k is not None for k in numbers])
        if not known.any():
            return None
        out = np.full(len(rows), np.nan)
        wanted = np.array([k for k in numbers if k is not None], dtype=np.int64)
        out[known] = self.store.rows(wanted, [self.metric])[self.metric].to_numpy(dtype=float)
        return out.reshape(len(grid.axes[iy].values), len(grid.axes[ix].values))
