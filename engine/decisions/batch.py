"""Decisions of many parameter combinations at once: sparse target-weight rows.

A strategy's batch form turns prices plus a table of parameter combinations into one
`Decisions`: for each combination, the sessions after whose close a new allocation is wanted
and which allocation. Allocations are rows of a shared *palette* (distinct weight rows over
`columns`), so a two-asset rule swept over a million combinations stores two weight rows and a
few integers per switch, not a million dense frames.

Semantics are those of a target-weight frame (`engine.simulate.portfolio`): an event of combination
j at
session position p is the row dated `index[p]` of j's frame; every other row is all-NaN ("no
change"). `frame(j)` rebuilds exactly that frame, so a single run (a batch of one) and a sweep
row come from the same decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd
from pydantic import BaseModel

__all__ = ["Decisions", "combo_params", "param_values"]


@dataclass(frozen=True)
class Decisions:
    """Sparse target-weight rows of `n_combos` combinations on the sessions `index`.

    `palette` (rows, len(columns)) holds each distinct allocation once (0 = not held; the rest
    of 1 - row sum is cash). The events of combination j are `offsets[j]:offsets[j+1]` of
    `positions` (session positions into `index`, increasing) and `rows` (palette rows).
    """

    index: pd.DatetimeIndex
    columns: tuple[str, ...]
    palette: np.ndarray
    offsets: np.ndarray
    positions: np.ndarray
    rows: np.ndarray

    def __post_init__(self) -> None:
        if self.palette.ndim != 2 or self.palette.shape[1] != len(self.columns):
            raise ValueError("palette must be (rows, len(columns))")
        if len(self.positions) != len(self.rows) or self.offsets[-1] != len(self.positions):
            raise ValueError("offsets, positions and rows do not describe the same events")

    def problem(self, n_combos: int, index: pd.DatetimeIndex) -> str | None:
        """What is wrong with these decisions as the answer for `n_combos` combinations on
        `index`, or None. Compiled code (the portfolio kernel) indexes prices, the palette and
        the result rows with these integers without bounds checks, so every shape, type and
        range is checked here first."""
        arrays = {"offsets": self.offsets, "positions": self.positions, "rows": self.rows}
        for label, values in arrays.items():
            if not isinstance(values, np.ndarray) or values.ndim != 1:
                return f"Decisions.{label} must be a 1-D numpy array"
            if values.dtype.kind not in "iu":
                return f"Decisions.{label} must hold integers, not {values.dtype}"
        if not isinstance(self.palette, np.ndarray) or self.palette.dtype.kind not in "fiub":
            return "Decisions.palette must be a numeric numpy array"
        if len(self.offsets) != n_combos + 1:
            return (
                f"it returned decisions for {len(self.offsets) - 1} combination(s) where the "
                f"table has {n_combos} row(s); return one per row of `table`"
            )
        if len(self.offsets) and (self.offsets[0] != 0 or (np.diff(self.offsets) < 0).any()):
            return "Decisions.offsets must start at 0 and never decrease"
        if not isinstance(self.index, pd.DatetimeIndex) or not self.index.equals(index):
            return "its decisions are not on data.index; build them on the sessions it was given"
        if len(self.positions) and (self.positions.min() < 0 or self.positions.max() >= len(index)):
            return f"a decision's session position is outside 0..{len(index) - 1}"
        later = np.diff(self.positions) > 0
        starts = self.offsets[1:-1]
        later[starts[(starts > 0) & (starts < len(self.positions))] - 1] = True
        if not later.all():
            return "a combination's decision positions must increase"
        if len(self.rows) and (self.rows.min() < 0 or self.rows.max() >= len(self.palette)):
            return f"a decision names palette row {self.rows.max()}; the palette has " + str(
                len(self.palette)
            )
        return None

    @property
    def n_combos(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_events(self) -> int:
        return len(self.positions)

    def events(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """(positions, palette rows) of combination j."""
        lo, hi = int(self.offsets[j]), int(self.offsets[j + 1])
        return self.positions[lo:hi], self.rows[lo:hi]

    def frame(self, j: int = 0) -> pd.DataFrame:
        """Combination j as the target-weight frame `engine.simulate.portfolio.run_backtest`
        takes."""
        positions, rows = self.events(j)
        values = np.full((len(self.index), len(self.columns)), np.nan)
        values[positions] = self.palette[rows]
        return pd.DataFrame(values, index=self.index, columns=list(self.columns))

    def select(self, combos: Sequence[int] | np.ndarray) -> Decisions:
        """The decisions of some combinations, in the order given."""
        combos = np.asarray(combos, dtype=np.int64)
        counts = self.offsets[combos + 1] - self.offsets[combos]
        offsets = np.zeros(len(combos) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        # event e of the result is event (e - offsets[its combination]) of its source combination
        take = np.arange(offsets[-1], dtype=np.int64)
        take += np.repeat(self.offsets[combos] - offsets[:-1], counts)
        return Decisions(
            self.index, self.columns, self.palette, offsets, self.positions[take], self.rows[take]
        )

    # ------------------------------------------------------------------ builders

    @classmethod
    def from_labels(
        cls,
        labels: np.ndarray,
        palette: np.ndarray,
        index: pd.DatetimeIndex,
        columns: Sequence[str],
        force: np.ndarray | None = None,
    ) -> Decisions:
        """Events from the palette row wanted after each close, per combination.

        `labels` (combos, sessions) holds palette rows; a negative label makes no decision
        (the wanted allocation stays). A row is emitted on the first labelled session and
        wherever the wanted *weights* change (labels of equal rows are merged first), and,
        where `force` (same shape) is true, even if unchanged (a rebalance that undoes drift).
        """
        labels = np.atleast_2d(np.asarray(labels))
        if labels.shape[1] != len(index):
            raise ValueError(f"labels cover {labels.shape[1]} sessions, the index {len(index)}")
        palette, remap = _unique_rows(np.asarray(palette, dtype=np.float64))
        if labels.dtype.kind not in "iu":
            labels = labels.astype(np.int64)
        if labels.size and labels.max() >= len(remap):
            raise ValueError(
                f"label {labels.max()} has no palette row (the palette has {len(remap)})"
            )
        if force is None:
            force = np.zeros((1, 1), dtype=np.bool_)
        force = np.asarray(force, dtype=np.bool_)
        # The kernel maps labels through `remap` itself: no (combos x sessions) temporaries.
        offsets, positions, rows = _label_events(
            labels, remap.astype(np.int64), force, force.shape == labels.shape
        )
        return cls(pd.DatetimeIndex(index), tuple(columns), palette, offsets, positions, rows)

    @classmethod
    def from_sparse(
        cls,
        index: pd.DatetimeIndex,
        columns: Sequence[str],
        palette: np.ndarray,
        offsets: np.ndarray,
        positions: np.ndarray,
        rows: np.ndarray,
    ) -> Decisions:
        """Events a rule produced itself (e.g. a state machine's switches): equal palette rows
        are merged, and an event that wants the allocation its combination already wants is
        dropped, so two states with the same weights never cause a rebalance between them."""
        palette, remap = _unique_rows(np.asarray(palette, dtype=np.float64))
        rows = remap[np.asarray(rows, dtype=np.int64)]
        offsets = np.asarray(offsets, dtype=np.int64)
        combo = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
        keep = np.ones(len(rows), dtype=bool)
        keep[1:] = (rows[1:] != rows[:-1]) | (combo[1:] != combo[:-1])
        new_offsets = np.zeros(len(offsets), dtype=np.int64)
        np.cumsum(np.bincount(combo[keep], minlength=len(offsets) - 1), out=new_offsets[1:])
        return cls(
            pd.DatetimeIndex(index),
            tuple(columns),
            palette,
            new_offsets,
            np.asarray(positions, dtype=np.int64)[keep],
            rows[keep],
        )

    @classmethod
    def from_events(
        cls,
        combos: np.ndarray,
        positions: np.ndarray,
        weights: np.ndarray,
        n_combos: int,
        index: pd.DatetimeIndex,
        columns: Sequence[str],
    ) -> Decisions:
        """Events given one by one: combination, session position and weight row (dense)."""
        combos = np.asarray(combos, dtype=np.int64)
        positions = np.asarray(positions, dtype=np.int64)
        order = np.lexsort((positions, combos))
        palette, rows = _unique_rows(np.asarray(weights, dtype=np.float64).reshape(len(combos), -1))
        counts = np.bincount(combos, minlength=n_combos)
        offsets = np.zeros(n_combos + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return cls(
            pd.DatetimeIndex(index),
            tuple(columns),
            palette,
            offsets,
            positions[order],
            rows[order].astype(np.int64),
        )

    @classmethod
    def from_frames(cls, frames: Iterable[pd.DataFrame], index: pd.DatetimeIndex) -> Decisions:
        """Decisions of target-weight frames (one per combination, all on `index`).

        For rules without a batch form: their frames, one by one, feed the same kernel.
        """
        frames = list(frames)
        columns = list(dict.fromkeys(c for f in frames for c in f.columns))
        combos, positions, weights = [], [], []
        for j, frame in enumerate(frames):
            aligned = frame.reindex(index=index, columns=columns).astype(float)
            values = aligned.to_numpy()
            set_rows = ~np.isnan(values).all(axis=1)
            where = np.flatnonzero(set_rows)
            combos.append(np.full(len(where), j, dtype=np.int64))
            positions.append(where)
            weights.append(np.nan_to_num(values[where], nan=0.0))
        width = len(columns)
        return cls.from_events(
            np.concatenate(combos) if combos else np.empty(0, np.int64),
            np.concatenate(positions) if positions else np.empty(0, np.int64),
            np.vstack(weights) if weights else np.empty((0, width)),
            len(frames),
            index,
            columns,
        )

    @classmethod
    def concat(cls, parts: Sequence[Decisions]) -> Decisions:
        """Combinations of several batches on the same index, one after the other."""
        if not parts:
            raise ValueError("nothing to concatenate")
        index = parts[0].index
        columns = list(dict.fromkeys(c for p in parts for c in p.columns))
        palettes, offsets, positions, rows = [], [np.zeros(1, np.int64)], [], []
        base_row, base_event = 0, 0
        for part in parts:
            if not part.index.equals(index):
                raise ValueError("decisions to concatenate must share their index")
            wide = np.zeros((len(part.palette), len(columns)))
            wide[:, [columns.index(c) for c in part.columns]] = part.palette
            palettes.append(wide)
            offsets.append(part.offsets[1:] + base_event)
            positions.append(part.positions)
            rows.append(part.rows + base_row)
            base_row += len(part.palette)
            base_event += part.n_events
        palette, remap = _unique_rows(np.vstack(palettes))
        return cls(
            index,
            tuple(columns),
            palette,
            np.concatenate(offsets),
            np.concatenate(positions),
            remap[np.concatenate(rows)].astype(np.int64),
        )


def _unique_rows(palette: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows (first-seen order) and, per input row, its position among them."""
    if len(palette) == 0:
        return palette.reshape(0, palette.shape[1] if palette.ndim == 2 else 0), np.empty(0, int)
    _, first, inverse = np.unique(palette, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)  # keep first-seen order: row 0 stays row 0
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return palette[np.sort(first)], rank[inverse.reshape(-1)].astype(np.int64)


@numba.njit(cache=True)
def _row_events(
    labels: np.ndarray,
    remap: np.ndarray,
    force: np.ndarray,
    has_force: bool,
    j: int,
    positions: np.ndarray,
    rows: np.ndarray,
    start: int,
    write: bool,
) -> int:
    """Change-only events of label row j (labels mapped through `remap`): how many, and, when
    `write`, their positions and rows stored from `start`."""
    k = start
    last = -1
    for t in range(labels.shape[1]):
        if labels[j, t] < 0:
            continue
        label = remap[labels[j, t]]
        if label != last or (has_force and force[j, t]):
            if write:
                positions[k] = t
                rows[k] = label
            k += 1
            last = label
    return k - start


@numba.njit(cache=True)
def _label_events(
    labels: np.ndarray, remap: np.ndarray, force: np.ndarray, has_force: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Change-only events of label rows, labels mapped to distinct rows through `remap` (two
    passes of one scan: count, then fill)."""
    n_combos = labels.shape[0]
    none = np.empty(0, dtype=np.int64)
    offsets = np.zeros(n_combos + 1, dtype=np.int64)
    for j in range(n_combos):
        count = _row_events(labels, remap, force, has_force, j, none, none, 0, False)
        offsets[j + 1] = offsets[j] + count
    positions = np.empty(offsets[-1], dtype=np.int64)
    rows = np.empty(offsets[-1], dtype=np.int64)
    for j in range(n_combos):
        _row_events(labels, remap, force, has_force, j, positions, rows, offsets[j], True)
    return offsets, positions, rows


def param_values(table: pd.DataFrame, base: BaseModel, name: str) -> np.ndarray:
    """One parameter's value for every combination: the table's column, else the base value."""
    if name in table.columns:
        return table[name].to_numpy()
    return np.full(len(table), getattr(base, name), dtype=object if _is_obj(base, name) else None)


def _is_obj(base: BaseModel, name: str) -> bool:
    return not isinstance(getattr(base, name), (int, float, bool, np.number))


def combo_params(base: BaseModel, table: pd.DataFrame) -> list[Any]:
    """Every combination as a validated parameter model (base values where the table is silent).

    Combinations were validated before the sweep runs, so `model_copy` (no re-validation) is
    exact and cheap.
    """
    if table.empty and len(table.columns) == 0:
        return [base] * max(1, len(table.index))
    records = table.to_dict(orient="records")
    return [
        base.model_copy(
            update={k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()}
        )
        for r in records
    ]
