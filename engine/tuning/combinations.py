"""The combinations a sweep runs: the grid's rows the strategy accepts, numbered in grid order.

Combination p (0..n-1) is the p-th accepted row of the grid. The grid is validated block by
block (BLOCK rows at a time, never as one table); what is kept is one bit per grid row (only when
some row is refused) and the number accepted before each block, so any range of combinations is
decoded on its own: a chunk of a 10-million-row sweep costs what the chunk costs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from engine.decisions.strategy import Strategy
from engine.tuning.grid import Grid

__all__ = ["BLOCK", "Combinations", "accepted_combinations", "combos_of"]

BLOCK = 1 << 16  # grid rows validated (and decoded for a lookup) at a time; a multiple of 8
FULL_VALIDATION_LIMIT = 1_000  # above this, combinations are checked by the strategy's mask
VALIDATION_SAMPLE = 500  # rows the mask is checked against the parameter model on


def combos_of(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Table rows as plain-Python parameter dicts."""
    records = table.to_dict(orient="records")
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()} for r in records
    ]


@dataclass(frozen=True)
class Combinations:
    """The accepted rows of `grid`, by number (0..n-1, grid order)."""

    grid: Grid
    n: int
    skipped: int  # rows the strategy refused (e.g. lower > upper)
    reason: str | None  # the first refusal's reason
    packed: np.ndarray | None  # np.packbits of "accepted" per grid row; None: all accepted
    before: np.ndarray  # combinations before each block of BLOCK grid rows (blocks + 1)

    def _accepted(self, block: int) -> np.ndarray:
        """Grid rows of the block's accepted combinations."""
        lo = block * BLOCK
        hi = min(lo + BLOCK, self.grid.size)
        if self.packed is None:
            return np.arange(lo, hi, dtype=np.int64)
        bits = np.unpackbits(self.packed[lo // 8 : (hi + 7) // 8], count=hi - lo)
        return np.flatnonzero(bits).astype(np.int64) + lo

    def grid_rows(self, start: int, stop: int) -> np.ndarray:
        """Grid rows of combinations start..stop-1."""
        stop = min(stop, self.n)
        if start >= stop:
            return np.empty(0, dtype=np.int64)
        if self.packed is None:
            return np.arange(start, stop, dtype=np.int64)
        out = []
        block = int(np.searchsorted(self.before, start, side="right")) - 1
        while start < stop:
            accepted = self._accepted(block)
            taken = accepted[start - self.before[block] : stop - self.before[block]]
            out.append(taken)
            start += len(taken)
            block += 1
        return np.concatenate(out)

    def grid_rows_of(self, numbers: np.ndarray) -> np.ndarray:
        """Grid rows of the given combination numbers (any order)."""
        numbers = np.asarray(numbers, dtype=np.int64)
        if self.packed is None:
            return numbers.copy()
        blocks = np.searchsorted(self.before, numbers, side="right") - 1
        out = np.empty(len(numbers), dtype=np.int64)
        for block in np.unique(blocks):
            where = blocks == block
            out[where] = self._accepted(int(block))[numbers[where] - self.before[block]]
        return out

    def number_of(self, grid_row: int | None) -> int | None:
        """The combination number of a grid row, or None (off the grid, or refused)."""
        if grid_row is None:
            return None
        if self.packed is None:
            return int(grid_row)
        block = grid_row // BLOCK
        accepted = self._accepted(block)
        k = int(np.searchsorted(accepted, grid_row))
        if k == len(accepted) or accepted[k] != grid_row:
            return None
        return int(self.before[block]) + k

    def table(self, start: int, stop: int) -> pd.DataFrame:
        """Parameters of combinations start..stop-1."""
        return self.grid.rows(self.grid_rows(start, stop))

    def rows(self, numbers: np.ndarray) -> pd.DataFrame:
        """Parameters of the given combinations, in the order given."""
        return self.grid.rows(self.grid_rows_of(numbers))

    def values(self, number: int) -> dict[str, Any]:
        """One combination as plain Python values, each keeping its axis's type."""
        return combos_of(self.rows(np.array([number])))[0]


def _block_mask(
    strategy: Strategy, base: BaseModel, table: pd.DataFrame, sample: np.ndarray | None
) -> tuple[np.ndarray, str | None]:
    """Which rows of one block the strategy accepts as a whole, and the first refusal's reason.

    With `sample` (row positions in the block), the block goes through the strategy's
    vectorised `valid_combinations`, checked against the parameter model on those rows."""
    model = strategy.params_model
    dump = base.model_dump()
    if sample is not None:
        mask = np.asarray(strategy.valid_combinations(table, base), dtype=bool)  # type: ignore[misc]
        for i, combo in zip(sample, combos_of(table.iloc[sample]), strict=True):
            try:
                model.model_validate({**dump, **combo})
                ok = True
            except ValidationError:
                ok = False
            if ok != mask[i]:
                raise RuntimeError(
                    f"{strategy.name}: valid_combinations disagrees with the model on {combo}"
                )
        return mask, None if mask.all() else "refused by the strategy's cross-checks"
    mask = np.ones(len(table), dtype=bool)
    reason = None
    for i, combo in enumerate(combos_of(table)):
        try:
            model.model_validate({**dump, **combo})
        except ValidationError as exc:
            mask[i] = False
            if reason is None:
                reason = f"{combo}: {exc.errors()[0]['msg']}"
    return mask, reason


def accepted_combinations(strategy: Strategy, base: BaseModel, grid: Grid) -> Combinations:
    """Validate the grid block by block. Large grids use the strategy's vectorised
    `valid_combinations` when it offers one, checked against the parameter model on a sample
    of VALIDATION_SAMPLE rows of the whole grid."""
    size = grid.size
    sample = None
    if strategy.valid_combinations is not None and size > FULL_VALIDATION_LIMIT:
        sample = np.sort(np.random.default_rng(0).choice(size, VALIDATION_SAMPLE, replace=False))
    blocks = max(1, math.ceil(size / BLOCK))
    before = np.zeros(blocks + 1, dtype=np.int64)
    packed = np.zeros((size + 7) // 8, dtype=np.uint8)
    reason = None
    for block in range(blocks):
        lo, hi = block * BLOCK, min((block + 1) * BLOCK, size)
        mine = None
        if sample is not None:
            mine = sample[(sample >= lo) & (sample < hi)] - lo
        mask, why = _block_mask(strategy, base, grid.chunk(lo, hi), mine)
        packed[lo // 8 : (hi + 7) // 8] = np.packbits(mask)
        before[block + 1] = before[block] + int(mask.sum())
        reason = reason or why
    n = int(before[-1])
    return Combinations(
        grid=grid,
        n=n,
        skipped=size - n,
        reason=reason,
        packed=None if n == size else packed,
        before=before,
    )
