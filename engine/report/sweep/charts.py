"""The sweep report's charts: heatmaps of the metric over two parameters, centred on the main
benchmark's value, and equity curves of the best combinations beside the benchmarks."""

from __future__ import annotations

import itertools
import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib import ticker as mticker
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.legend import Legend

from engine.errors import RotationLabError
from engine.report.toolkit import palette
from engine.report.toolkit.charts import (
    annotated_heatmap,
    date_axis,
    equity_ticks,
    label_cells,
    money,
    new_figure,
    png,
)
from engine.stats.metrics import METRICS
from engine.stats.sweep_columns import LOWER_IS_BETTER, STAT_COLUMNS
from engine.tuning.study import Study

__all__ = [
    "Others",
    "SweepReportError",
    "cell_text",
    "equity_png",
    "heatmap_frame",
    "heatmap_pairs",
    "heatmap_png",
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


def heatmap_png(
    study: Study, x: str, y: str, others: Others, center: float | None = None
) -> tuple[bytes, str]:
    """The metric over two parameters on a diverging scale centred on `center` (the main
    benchmark's value: green beats it, red does not; the default's value when there is none),
    the default parameters outlined in black and the best combination dashed in blue."""
    grid, note = heatmap_frame(study, x, y, others)
    grid = grid.iloc[::-1]  # the largest y value on top
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
    width = min(12.0, 2.6 + 0.8 * max(4, grid.shape[1]))
    # No layout engine: a constrained layout lays every text out in an extra pass, which
    # doubled the time of a report's heatmaps; `_place` sets the margins from the labels.
    fig, ax = new_figure((width, 1.2 + 0.5 * max(4, grid.shape[0])), layout=None)
    blank = [["" for _ in row] for row in values]
    annotated_heatmap(ax, values, norm, cmap, blank, colorbar=False)  # values written below
    bar_ax = fig.add_axes((0.9, 0.1, 0.02, 0.8))
    fig.colorbar(ax.images[0], cax=bar_ax, label=metric)
    ax.set_xticks(range(grid.shape[1]), [_tick(v) for v in grid.columns], rotation=45)
    ax.set_yticks(range(grid.shape[0]), [_tick(v) for v in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{note}; colour centred on {cell_text(center, metric)}", fontsize=9)
    cols, rows = list(grid.columns), list(grid.index)
    marks = []
    default = study.sweep.setup.default_values()
    if default[x] in cols and default[y] in rows:
        j, i = cols.index(default[x]), rows.index(default[y])
        ax.add_patch(_rect((j - 0.5, i - 0.5), edgecolor="black", label="default parameters"))
        marks.append("default")
    best = study.sweep.best_values()
    if best[x] in cols and best[y] in rows:
        j, i = cols.index(best[x]), rows.index(best[y])
        ax.add_patch(_rect((j - 0.42, i - 0.42), edgecolor=palette.STRATEGY, linestyle="--",
                           label="best combination", size=0.84))  # fmt: skip
        marks.append("best")
    legend = None
    if marks:  # below the cells, in the figure's corner (`_place` leaves room for it)
        legend = fig.legend(handles=ax.patches[:], loc="lower left", fontsize=8, frameon=False,
                            ncols=2)  # fmt: skip
    _place(fig, ax, bar_ax, legend)
    _write_values(ax, values, metric)
    return png(fig), note


MAX_WRITTEN = 225  # cells whose values are written on them, at most (each is a text to draw)


def _write_values(ax: Axes, values: np.ndarray, metric: str) -> None:
    """Each cell's value on it, when there are at most MAX_WRITTEN cells and the widest value
    fits its cell (the colours and the colour bar tell the rest)."""
    if values.size > MAX_WRITTEN:
        return
    from matplotlib.font_manager import FontProperties

    texts = [[cell_text(v, metric) if np.isfinite(v) else "" for v in row] for row in values]
    size = 11.0 if values.size <= 64 else 9.5 if values.size <= 144 else 8.0
    widest = max((t for row in texts for t in row), key=len, default="")
    renderer = ax.figure.canvas.get_renderer()
    text_w, text_h, _ = renderer.get_text_width_height_descent(
        widest, FontProperties(size=size), ismath=False
    )
    box = ax.get_window_extent(renderer)
    if text_w + 4 <= box.width / values.shape[1] and text_h + 2 <= box.height / values.shape[0]:
        label_cells(ax.images[0], texts, size)


PAD_PX = 8.0  # between the figure's edge and the outermost label
BAR_PX = (14.0, 20.0)  # the colour bar's gap from the cells and its width


def _place(fig: Figure, ax: Axes, bar_ax: Axes, legend: Legend | None) -> None:
    """Axes, colour bar and legend placed so every label fits: the labels' extents beyond
    each axes are measured once (they do not depend on where the axes sit), and the cells
    take the rest; the colour bar spans 85% of their height, the legend sits below."""
    renderer = fig.canvas.get_renderer()
    for text in ax.texts:  # the cells' own values never reach outside the axes
        text.set_in_layout(False)
    width, height = fig.bbox.width, fig.bbox.height

    def overhang(axes: Axes) -> tuple[float, float, float, float]:
        box, tight = axes.get_window_extent(renderer), axes.get_tightbbox(renderer)
        return box.x0 - tight.x0, box.y0 - tight.y0, tight.x1 - box.x1, tight.y1 - box.y1

    left, bottom, _, top = overhang(ax)
    _, _, bar_right, _ = overhang(bar_ax)
    below = PAD_PX
    if legend is not None:
        legend.set_bbox_to_anchor((PAD_PX / width, PAD_PX / height))
        below += legend.get_window_extent(renderer).height + PAD_PX
    x0, y0 = PAD_PX + left, below + bottom
    x1 = width - PAD_PX - bar_right - BAR_PX[1] - BAR_PX[0]
    y1 = height - PAD_PX - top
    ax.set_position((x0 / width, y0 / height, (x1 - x0) / width, (y1 - y0) / height))
    bar_height = 0.85 * (y1 - y0)
    bar_y0 = y0 + (y1 - y0 - bar_height) / 2
    bar_ax.set_position(((x1 + BAR_PX[0]) / width, bar_y0 / height, BAR_PX[1] / width,
                         bar_height / height))  # fmt: skip


def _rect(xy: tuple[float, float], size: float = 1.0, **kwargs: Any):
    from matplotlib.patches import Rectangle

    return Rectangle(xy, size, size, fill=False, linewidth=2, **kwargs)


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
