"""The sweep report's charts: heatmaps of the metric over two parameters (tables of coloured
cells, centred on the main benchmark's value), and equity curves of the best combinations
beside the benchmarks."""

from __future__ import annotations

import itertools
import math
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib import ticker as mticker
from matplotlib.colors import TwoSlopeNorm

from engine.errors import RotationLabError
from engine.report.toolkit import palette
from engine.report.toolkit.charts import date_axis, equity_ticks, money, new_figure, png
from engine.report.toolkit.heat_table import HeatTable, Mark, heat_markdown, heat_table
from engine.stats.metrics import METRICS
from engine.stats.sweep_columns import LOWER_IS_BETTER, STAT_COLUMNS
from engine.tuning.study import Study

__all__ = [
    "Others",
    "SweepReportError",
    "cell_text",
    "equity_png",
    "heatmap_csv_frame",
    "heatmap_frame",
    "heatmap_markdown",
    "heatmap_pairs",
    "heatmap_table",
]


class SweepReportError(RotationLabError):
    """The sweep report cannot be written as asked (a bad --heatmap pair, a failed write)."""


MAX_HEATMAPS = 3  # by default: the pairs of the first three swept parameters (--heatmap: more)
Others = Literal["mean", "best", "default"]
FORMATS = {k: METRICS[k][1] for k in STAT_COLUMNS if k in METRICS}
FORMATS.update({"trades": "int", "fees": "money"})


def heatmap_pairs(study: Study, wanted: list[tuple[str, str]]) -> list[tuple[str, str]]:
    grid = study.sweep.setup.grid
    if wanted:
        refusal = grid.heatmap_refusal(wanted)
        if refusal:
            raise SweepReportError(refusal)
        return wanted
    return list(itertools.combinations(grid.swept[:3], 2))[:MAX_HEATMAPS]


def heatmap_frame(study: Study, x: str, y: str, others: Others) -> tuple[pd.DataFrame, str]:
    """Metric over (y rows, x columns); the other parameters averaged or fixed. The cells are
    reduced as the sweep streams (sums and counts per cell) or read from its dataset
    (`engine.tuning.results.SweepResult.heatmap`), never from a table of every row."""
    return study.sweep.heatmap(x, y, others)


def heatmap_table(
    study: Study, x: str, y: str, others: Others, center: float | None = None
) -> tuple[HeatTable, pd.DataFrame, str]:
    """The metric over two parameters as a table of coloured cells (`toolkit.heat_table`), on a
    diverging scale centred on `center` (the main benchmark's value: green beats it, red does
    not; the default's value when there is none), the default parameters outlined in black
    and the best combination dashed in blue; with the cells' frame (y rows, x columns) and
    what the cells hold."""
    frame, note = heatmap_frame(study, x, y, others)
    grid = frame.iloc[::-1]  # the largest y value on top
    metric = study.sweep.metric
    values = grid.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if center is None or not math.isfinite(center):
        center = float(study.sweep.default_stats.get(metric, np.nan))
    if not math.isfinite(center):
        center = float(np.median(finite)) if finite.size else 0.0
    span = float(np.max(np.abs(finite - center))) if finite.size else 1.0
    span = span if span > 0 else 1.0
    norm = TwoSlopeNorm(vmin=center - span, vcenter=center, vmax=center + span)
    cmap = "RdYlGn_r" if metric in LOWER_IS_BETTER else "RdYlGn"
    cols, rows = list(grid.columns), list(grid.index)
    marks = []
    default = study.sweep.setup.default_values()
    if default[x] in cols and default[y] in rows:
        cell = frozenset({(rows.index(default[y]), cols.index(default[x]))})
        marks.append(Mark("default parameters", "mark-default", cell))
    best = study.sweep.best_values()
    if best[x] in cols and best[y] in rows:
        cell = frozenset({(rows.index(best[y]), cols.index(best[x]))})
        marks.append(Mark("best combination", "mark-best", cell, emphasis="_"))
    ticks_x, ticks_y = [_tick(v) for v in cols], [_tick(v) for v in rows]

    def title(i: int, j: int) -> str:
        return f"{x} {ticks_x[j]}, {y} {ticks_y[i]}"

    table = heat_table(
        values,
        ticks_y,
        ticks_x,
        norm,
        cmap,
        lambda v: cell_text(v, metric),
        corner=f"{y} \\ {x}",
        title=title if values.size <= MAX_HOVER else None,
        marks=marks,
        scale_name=f"{metric}, centred on {cell_text(center, metric)}",
        write_values=len(cols) <= MAX_WRITTEN_COLUMNS,
    )
    return table, frame, note


MAX_WRITTEN_COLUMNS = 24  # wider heatmaps keep their colours; the values are in the CSV file
MAX_HOVER = 2_500  # cells that name themselves on hover, at most (page size)


def heatmap_csv_frame(frame: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """The cells as heatmap_<x>_<y>.csv holds them: one row per y value, one column per x."""
    return frame.rename_axis(index=f"{y} \\ {x}", columns=None)


def _tick(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def cell_text(value: float, metric: str) -> str:
    fmt = FORMATS.get(metric, "ratio")
    if fmt == "pct":
        return f"{value * 100:.1f}"
    if fmt in ("int", "money"):
        return f"{value:,.0f}"
    return f"{value:.2f}"


DEFAULT_COLOR = "#9a9a9a"  # the default parameters: light grey dashed, apart from SPY near-black


def equity_png(
    curves: pd.DataFrame, title: str, benchmarks: pd.DataFrame | None = None, log: bool = True
) -> bytes:
    """The curves on one log axis labelled over its whole range, the default dashed, and the
    `benchmarks` (rescaled to the curves' start) in their keyed colours, thinner."""
    fig, ax = new_figure((12, 5.5))
    bench = pd.DataFrame(index=curves.index) if benchmarks is None else benchmarks
    bench = bench.reindex(curves.index).ffill().dropna(axis=1, how="all")
    runs = [str(c) for c in curves.columns if not _is_default(c)]
    colors = palette.run_colors(runs, [str(c) for c in bench.columns])
    first = curves.iloc[0].dropna()
    start = float(first.iloc[0]) if len(first) else 1.0
    for name in bench.columns:
        values = bench[name].dropna()
        if values.empty:
            continue
        grown = values / float(values.iloc[0]) * start
        ax.plot(grown.index, grown, label=str(name), linewidth=1.3, alpha=0.9,
                color=colors[str(name)], zorder=2)  # fmt: skip
    for name in curves.columns:
        is_default = _is_default(name)
        ax.plot(
            curves.index,
            curves[name],
            label=str(name),
            linewidth=2.0 if is_default or name == curves.columns[0] else 1.1,
            color=DEFAULT_COLOR if is_default else colors[str(name)],
            linestyle="--" if is_default else "-",
            zorder=5 if is_default else 3,
        )
    if log:
        ax.set_yscale("log")
        shown = pd.concat([curves, bench], axis=1).to_numpy(dtype=float)
        finite = shown[np.isfinite(shown) & (shown > 0)]
        if finite.size:
            lo, hi = float(finite.min()) / 1.04, float(finite.max()) * 1.04
            ax.set_ylim(lo, hi)
            # round values only: a start value of 99,980 after the first fees is no tick
            ax.yaxis.set_major_locator(mticker.FixedLocator(equity_ticks(lo, hi)))
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(money))
        ax.yaxis.set_minor_locator(mticker.NullLocator())
    date_axis(ax)
    ax.set_title(title)
    ax.grid(True, color="#d0d5db", linewidth=0.7)
    ax.legend(fontsize=9, loc="upper left")
    return png(fig)


def _is_default(name: object) -> bool:
    return str(name).startswith("default")


def heatmap_markdown(table: HeatTable, csv_name: str) -> str:
    """A heatmap in report.md: its values as a Markdown table (the default and best marked),
    or, when its columns are too many for one, where its values are."""
    shape = f"{len(table.rows)} x {len(table.columns)}"
    if not table.written:
        return f"The {shape} cells are too many to write here: their values are in {csv_name}."
    return f"{heat_markdown(table)} The cells' values are in {csv_name}."
