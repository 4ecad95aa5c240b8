"""The sweep report's tables: the ranking, the default row, and their display form."""

from __future__ import annotations

import pandas as pd

from engine.report.toolkit.format import column_kind, format_value, human_column
from engine.report.toolkit.tables import Table, frame_table
from engine.stats.sweep_columns import STAT_COLUMNS
from engine.tuning.study import Study

__all__ = [
    "compact",
    "compact_windows",
    "default_row",
    "display_table",
    "format_table",
    "top_table",
]

# The statistics the page's ranking shows, so the table fits 1,400 px; top.csv has them all.
SHOWN = ("cagr", "sharpe", "max_drawdown", "ann_volatility", "information_ratio", "turnover")


def format_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as text by their column's kind (engine.report.toolkit.format.column_kind)."""
    out = frame.copy().astype(object)
    for col in frame.columns:
        if pd.api.types.is_float_dtype(frame[col].dtype):
            kind = column_kind(col, frame[col])
            out[col] = [format_value(v, kind) for v in frame[col]]
    return out


def top_table(study: Study) -> pd.DataFrame:
    sweep = study.sweep
    top = sweep.top.head(study.options.top)  # the best rows, kept as the sweep streamed
    columns = ["rank", *sweep.setup.grid.names, *STAT_COLUMNS]
    return top[columns].reset_index(drop=True)


def default_row(study: Study) -> pd.DataFrame:
    sweep = study.sweep
    row = {"rank": sweep.default_rank, **sweep.setup.default_values(), **sweep.default_stats}
    return pd.DataFrame([row])


def display_table(frame: pd.DataFrame, title: str = "", note: str = "") -> Table:
    """A sweep table in words: formatted values, human column names, numbers right-aligned."""
    shown = format_table(frame).fillna("n/a")
    table = frame_table(shown, title, note, label=human_column)
    offset = len(table.columns) - len(frame.columns)
    table.numeric = [False] * offset + [
        bool(pd.api.types.is_numeric_dtype(frame.iloc[:, i].dtype))
        for i in range(len(frame.columns))
    ]
    return table


def compact(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The ranking's rank, parameters, ranking metric and the key statistics (SHOWN)."""
    stats = set(STAT_COLUMNS)
    keep = [c for c in frame.columns if c not in stats or c == metric or c in SHOWN]
    return frame[keep]


def compact_windows(windows: pd.DataFrame) -> pd.DataFrame:
    """The walk-forward windows as the page shows them: the test dates, the choice and the
    out-of-sample results (the training dates and in-sample CAGRs are in walk_forward.csv)."""
    drop = ("train_start", "train_end")
    keep = [
        c
        for c in windows.columns
        if c not in drop
        and not c.endswith("_is_cagr")
        and not c.startswith(("default_is_", "benchmark_is_"))
    ]
    return windows[keep]
