"""Finished chunks of a sweep on disk, so an interrupted sweep resumes where it stopped.

Each chunk's results (statistics and CSCV block sums, one row per combination) are written as
one Parquet file as soon as the chunk finishes, atomically (temporary name, then rename): the
folder is a partitioned Parquet dataset of the sweep's results. Its name is a fingerprint of
everything the numbers depend on (strategy, grid, config, prices, window, chunking), so a
resumed sweep reuses only chunks of the very same sweep; a different sweep starts afresh.
`sweep --resume` reads the finished chunks and runs the others; a sweep that completes removes
its folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

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
    digest.update(pd.util.hash_pandas_object(setup.plan.table, index=False).to_numpy().tobytes())
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

    def finished(self) -> set[tuple[int, int]]:
        if not self.folder.is_dir():
            return set()
        out = set()
        for path in self.folder.glob("part-*.parquet"):
            _, start, stop = path.stem.split("-")
            out.add((int(start), int(stop)))
        return out

    def write(self, start: int, stop: int, result: ChunkResult) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        columns = {name: result.stats[:, i] for i, name in enumerate(STAT_COLUMNS)}
        for b in range(self.blocks):
            columns[f"block_{b}_sum"] = result.blocks[:, b, 0]
            columns[f"block_{b}_sum_sq"] = result.blocks[:, b, 1]
        frame = pd.DataFrame(columns)
        frame.insert(0, "combination", np.arange(start, stop, dtype=np.int64))
        final = self._path(start, stop)
        temporary = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        frame.to_parquet(temporary, index=False)
        os.replace(temporary, final)

    def read(self, start: int, stop: int) -> ChunkResult:
        frame = pd.read_parquet(self._path(start, stop))
        stats = frame[list(STAT_COLUMNS)].to_numpy(dtype=np.float64)
        blocks = np.empty((len(frame), self.blocks, 2))
        for b in range(self.blocks):
            blocks[:, b, 0] = frame[f"block_{b}_sum"].to_numpy()
            blocks[:, b, 1] = frame[f"block_{b}_sum_sq"].to_numpy()
        return ChunkResult(stats=stats, blocks=blocks)
