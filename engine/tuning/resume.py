"""A sweep's results on disk: the resume store and the result dataset in one.

Each chunk's results (the combination number, its parameters, statistics and CSCV block sums,
one row per combination) are written as one Parquet file as soon as the chunk finishes,
atomically (temporary name, then rename): the folder is a partitioned Parquet dataset of the
sweep's results, and the only place every row is kept (memory holds bounded summaries,
`engine.tuning.summary`). Its name is a fingerprint of everything the numbers depend on
(strategy, grid, config, prices, window, chunking), so a resumed sweep reuses only chunks of the
very same sweep; a different sweep starts afresh. `sweep --resume` reads the finished chunks
and runs the others. A completed sweep's dataset holds its result's rows (`.dataset` of the
result, removed with the result unless kept): the command line removes it once the report
holds every row, and keeps it with --no-report only for a sweep too large to read back (it
prints where).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engine.stats.sweep_columns import STAT_COLUMNS
from engine.tuning.windows import ChunkResult, Window

__all__ = ["ChunkStore", "fingerprint"]


def fingerprint(setup: Any, window: Window, chunk_size: int) -> str:
    """A SHA-256 of what a sweep's numbers depend on: strategy, grid, config, prices, window
    and chunking."""
    digest = hashlib.sha256()
    for part in (
        setup.strategy.name,
        setup.grid.describe(),
        repr(setup.cfg),
        (window.start, window.end, tuple(window.edges.tolist())),
        chunk_size,
        setup.plan_size,
    ):
        digest.update(repr(part).encode())
    digest.update(np.ascontiguousarray(setup.data.adj_close.to_numpy()).tobytes())
    combos = setup.combos
    for part in (combos.n, combos.skipped, setup.default_row, setup.default_in_grid):
        digest.update(repr(part).encode())
    if combos.packed is not None:  # which rows the strategy refused
        digest.update(combos.packed.tobytes())
    return digest.hexdigest()[:24]


class ChunkStore:
    """The folder of one sweep's finished chunks: part-<start>-<stop>.parquet."""

    def __init__(self, folder: Path, blocks: int) -> None:
        self.folder = folder
        self.blocks = blocks

    def _path(self, start: int, stop: int) -> Path:
        return self.folder / f"part-{start:012d}-{stop:012d}.parquet"

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def block_columns(self) -> list[str]:
        return [f"block_{b}_{k}" for b in range(self.blocks) for k in ("sum", "sum_sq")]

    def finished(self) -> set[tuple[int, int]]:
        if not self.folder.is_dir():
            return set()
        out = set()
        for path in self.folder.glob("part-*.parquet"):
            _, start, stop = path.stem.split("-")
            out.add((int(start), int(stop)))
        return out

    def write(
        self, start: int, stop: int, result: ChunkResult, params: pd.DataFrame | None = None
    ) -> None:
        """One chunk's rows: combination, parameters (object columns as text), statistics and
        block sums."""
        self.folder.mkdir(parents=True, exist_ok=True)
        columns: dict[str, Any] = {"combination": np.arange(start, stop, dtype=np.int64)}
        if params is not None:
            for name in params.columns:
                column = params[name].to_numpy()
                if column.dtype == object:  # text, mixed or structured values: as text
                    column = np.array([str(v) for v in column], dtype=object)
                columns[name] = column
        columns.update({name: result.stats[:, i] for i, name in enumerate(STAT_COLUMNS)})
        for b in range(self.blocks):
            columns[f"block_{b}_sum"] = np.ascontiguousarray(result.blocks[:, b, 0])
            columns[f"block_{b}_sum_sq"] = np.ascontiguousarray(result.blocks[:, b, 1])
        final = self._path(start, stop)
        temporary = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        pq.write_table(pa.table(columns), temporary)  # pyarrow directly: no DataFrame copy
        os.replace(temporary, final)

    def frames(self, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
        """The dataset's parts in row order, one at a time (only `columns` read)."""
        for start, stop in sorted(self.finished()):
            yield pd.read_parquet(self._path(start, stop), columns=columns)

    def rows(self, numbers: np.ndarray, columns: list[str]) -> pd.DataFrame:
        """`columns` of the given rows (combination numbers), in the order given; only the
        parts holding them are read."""
        numbers = np.asarray(numbers, dtype=np.int64)
        out = pd.DataFrame(index=range(len(numbers)), columns=columns, dtype=float)
        for start, stop in sorted(self.finished()):
            inside = (numbers >= start) & (numbers < stop)
            if inside.any():
                frame = pd.read_parquet(self._path(start, stop), columns=columns)
                out.loc[inside, columns] = frame.to_numpy()[numbers[inside] - start]
        return out

    def read(self, start: int, stop: int) -> ChunkResult:
        names = [*STAT_COLUMNS, *self.block_columns()]
        frame = pd.read_parquet(self._path(start, stop), columns=names)
        stats = frame[list(STAT_COLUMNS)].to_numpy(dtype=np.float64)
        blocks = np.empty((len(frame), self.blocks, 2))
        for b in range(self.blocks):
            blocks[:, b, 0] = frame[f"block_{b}_sum"].to_numpy()
            blocks[:, b, 1] = frame[f"block_{b}_sum_sq"].to_numpy()
        return ChunkResult(stats=stats, blocks=blocks)
