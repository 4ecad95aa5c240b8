"""The sweep report's table files: where every combination's row goes, and the folder that
writes them (CSV without an index, a linked Parquet dataset for sweeps too large to read back)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pandas as pd

from engine.report.toolkit.folder import ReportFolder
from engine.tuning.results import READ_BACK_LIMIT

__all__ = ["CSV_MAX_ROWS", "DATASET", "SweepFolder", "files_words", "parquet_safe", "shown_files"]

CSV_MAX_ROWS = 100_000
DATASET = "combinations"  # the linked Parquet dataset of sweeps too large to read back


class SweepFolder(ReportFolder):
    """The sweep folder: ReportFolder (files with their SHA-256) with the sweep's CSV default
    of no index."""

    def write(self, name: str, data: bytes | str) -> None:
        if isinstance(data, str):
            self.write_text(name, data)
        else:
            self.write_bytes(name, data)

    def csv(self, name: str, frame: pd.DataFrame, index: bool = False) -> None:
        self.write_csv(name, frame, index=index)

    def link_dataset(self, name: str, source: Path) -> None:
        """The Parquet parts of `source` as name/part-*.parquet: hard links (no copy, no
        memory) where the file system allows, else copies; each file's SHA-256 recorded."""
        target = self.path / name
        target.mkdir(parents=True, exist_ok=True)
        for part in sorted(source.glob("part-*.parquet")):
            try:
                os.link(part, target / part.name)
            except OSError:
                shutil.copy2(part, target / part.name)
            with open(part, "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
            entry = {"name": f"{name}/{part.name}", "bytes": part.stat().st_size, "sha256": digest}
            self.files.append(entry)


def files_words(n: int, top: int) -> str:
    """Where every combination's row is, in the report's words."""
    if n > READ_BACK_LIMIT:
        return (
            f"The {n:,} combinations are too many to hold as one table: their parameters, "
            f"statistics and CSCV block sums are in the Parquet dataset {DATASET}/ (one part "
            "per chunk, each combination numbered in grid order; sort by the metric for a "
            f"rank); top.csv holds the best {top:,}."
        )
    if n > CSV_MAX_ROWS:
        return (
            f"All {n:,} combinations, with every statistic and their rank, are in "
            f"combinations.parquet (too many for a CSV file: above {CSV_MAX_ROWS:,} rows)."
        )
    return (
        f"All {n:,} combinations, with every statistic and their rank, are in "
        "combinations.csv and combinations.parquet."
    )


def shown_files(names: list[str]) -> list[str]:
    """File names for the page: a linked dataset's parts as one entry."""
    parts = [n for n in names if n.startswith(f"{DATASET}/")]
    rest = [n for n in names if not n.startswith(f"{DATASET}/")]
    if parts:
        rest.append(f"{DATASET}/ ({len(parts):,} Parquet parts)")
    return sorted(rest)


def parquet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Parameter columns mixing types (horizon = "year_end" or 63) as text: parquet columns
    hold one type. The CSV and the in-memory table keep the values as they are."""
    out = table.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object and len({type(v) for v in column}) > 1:
            out[name] = column.map(str)
    return out
