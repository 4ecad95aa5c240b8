"""A sweep's plan over a grid: each chunk's parameter table and data starts, decoded from its
row numbers, so no table of the whole grid exists.

Plan rows are the accepted combinations (0..n-1, `engine.tuning.combinations`) and, when the
default parameters are off the grid, the default as row n. What a row needs from the data (its
tickers, the first session its lookback reaches back to) depends only on its parameters that are
not floats (`engine.tuning.batch.requirements`), so it is derived once per distinct set of
those ("profile") actually present among the combinations, and each chunk looks its rows up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from engine.config.run_config import RunConfig
from engine.data.model import MarketData
from engine.decisions.strategy import Strategy
from engine.errors import ConfigError
from engine.simulate.pipeline import data_window
from engine.tuning.batch import PROFILE_SAMPLE, BatchCore, Chunk, requirements
from engine.tuning.combinations import BLOCK, Combinations, combos_of
from engine.tuning.grid import axis_kind

__all__ = ["GridPlan", "Profiles", "data_starts", "profiles_of"]

PROFILE_LIMIT = 2_000_000  # distinct sets of non-float values a grid may hold


@dataclass(frozen=True)
class Profiles:
    """What each plan row needs from the data, by profile (its non-float axes' values)."""

    axes: tuple[int, ...]  # positions of the non-float axes in the grid
    present: np.ndarray  # per profile: does any combination have it
    lookbacks: np.ndarray  # per profile (0 for those absent, never used)
    extra_lookback: int  # the default's, when it is off the grid (else 0)
    tickers: list[str]  # every ticker any row needs
    longest: BaseModel  # parameters with the longest lookback (to load the data)


def _profile_codes(combos: Combinations, axes: tuple[int, ...], grid_rows: np.ndarray):
    codes = combos.grid.codes(grid_rows)
    lengths = combos.grid.lengths
    out = np.zeros(len(grid_rows), dtype=np.int64)
    for k in axes:
        out = out * lengths[k] + codes[k]
    return out


def profiles_of(
    strategy: Strategy, base: BaseModel, combos: Combinations, extra: dict[str, Any] | None
) -> Profiles:
    """Tickers and lookbacks of every profile present among the combinations (and of the
    default when off the grid), through `requirements` on one representative row each (the
    first in grid order) plus a random sample of rows, which it re-derives in full as a guard."""
    grid = combos.grid
    axes = tuple(k for k, a in enumerate(grid.axes) if axis_kind(a) != "float")
    count = math.prod(grid.lengths[k] for k in axes)
    if count > PROFILE_LIMIT:
        raise ConfigError(
            f"the grid's parameters that are not floats take {count:,} combinations of values "
            f"(at most {PROFILE_LIMIT:,}); sweep fewer values of "
            + ", ".join(grid.axes[k].name for k in axes)
        )
    first = np.full(count, -1, dtype=np.int64)
    for start in range(0, combos.n, BLOCK):
        rows = combos.grid_rows(start, start + BLOCK)
        codes, where = np.unique(_profile_codes(combos, axes, rows), return_index=True)
        new = first[codes] < 0
        first[codes[new]] = rows[where[new]]
    present = np.flatnonzero(first >= 0)
    present = present[np.argsort(first[present], kind="stable")]  # grid order
    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(combos.n, size=min(PROFILE_SAMPLE, combos.n), replace=False))
    parts = [grid.rows(first[present]), combos.rows(sample)]
    if extra is not None:
        parts.append(pd.DataFrame([extra]))
    table = pd.concat(parts, ignore_index=True)
    tickers, longest, lookbacks = requirements(strategy, base, table)
    per_profile = np.zeros(count, dtype=np.int64)
    per_profile[present] = lookbacks[: len(present)]
    extra_lookback = int(lookbacks[-1]) if extra is not None else 0
    mask = np.zeros(count, dtype=bool)
    mask[present] = True
    return Profiles(axes, mask, per_profile, extra_lookback, tickers, longest)


def data_starts(
    strategy: Strategy, cfg: RunConfig, data: MarketData, lookbacks: np.ndarray
) -> np.ndarray:
    """The session (position in `data`) a single run with each lookback loads its data from, so
    indicators that remember their seed (Wilder's RSI) start where the single run's do; all
    from the earliest when the strategy's decisions do not depend on it (one view, one
    batch)."""
    values, where = np.unique(lookbacks, return_inverse=True)
    starts = np.array(
        [data.index.searchsorted(data_window(strategy, cfg, lookback=int(v))[0]) for v in values],
        dtype=np.int64,
    )
    out = starts[where.reshape(-1)]
    if strategy.history_independent and len(out):
        out[:] = out.min()
    return out


@dataclass
class GridPlan:
    """The rows of a sweep (combinations, then the default when off the grid), sliced into
    chunks on demand; `core` runs them (`engine.tuning.batch.BatchCore`)."""

    core: BatchCore
    combos: Combinations
    extra: dict[str, Any] | None  # the default's values when off the grid (plan row n)
    profiles: Profiles
    firsts: np.ndarray  # first data session per profile
    extra_first: int

    @classmethod
    def build(
        cls,
        strategy: Strategy,
        cfg: RunConfig,
        data: MarketData,
        combos: Combinations,
        extra: dict[str, Any] | None,
        profiles: Profiles,
        per_row: bool = False,
    ) -> GridPlan:
        """Each profile starts from the session a single run with its lookback loads from
        (`data_starts`)."""
        present = np.flatnonzero(profiles.present)
        off_grid = [profiles.extra_lookback] if extra is not None else []
        starts = data_starts(
            strategy, cfg, data, np.append(profiles.lookbacks[present], off_grid).astype(np.int64)
        )
        firsts = np.zeros(len(profiles.lookbacks), dtype=np.int64)
        firsts[present] = starts[: len(present)]
        extra_first = int(starts[-1]) if extra is not None else 0
        core = BatchCore(strategy, cfg, data, per_row=per_row)
        return cls(core, combos, extra, profiles, firsts, extra_first)

    @property
    def size(self) -> int:
        return self.combos.n + (0 if self.extra is None else 1)

    def _firsts(self, grid_rows: np.ndarray) -> np.ndarray:
        return self.firsts[_profile_codes(self.combos, self.profiles.axes, grid_rows)]

    def rows(self, positions: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        """Parameters and data starts of plan rows, in the order given."""
        positions = np.asarray(positions, dtype=np.int64)
        n = self.combos.n
        inside = positions < n
        grid_rows = self.combos.grid_rows_of(positions[inside])
        table = self.combos.grid.rows(grid_rows)
        first = np.empty(len(positions), dtype=np.int64)
        first[inside] = self._firsts(grid_rows)
        if inside.all():
            return table, first
        first[~inside] = self.extra_first
        table.index = np.flatnonzero(inside)
        default = pd.DataFrame([self.extra] * int((~inside).sum()), index=np.flatnonzero(~inside))
        return pd.concat([table, default]).sort_index().reset_index(drop=True), first

    @property
    def first(self) -> np.ndarray:
        """The data start of every plan row (one int each: for inspection, not for sweeps)."""
        return self.rows(np.arange(self.size))[1]

    def table(self, start: int, stop: int) -> pd.DataFrame:
        """Parameters of plan rows start..stop-1."""
        return self.rows(np.arange(start, min(stop, self.size)))[0]

    def values(self, row: int) -> dict[str, Any]:
        """One plan row as plain Python values."""
        return combos_of(self.rows(np.array([row]))[0])[0]

    def payload(self, start: int, stop: int) -> Chunk:
        table, first = self.rows(np.arange(start, min(stop, self.size)))
        return Chunk(table, first, key=(start, stop))

    def select(self, positions: np.ndarray) -> Chunk:
        table, first = self.rows(positions)
        return Chunk(table, first)
