"""Charts of a comparison report, rendered to PNG bytes.

Overlaid equity (log scale) and drawdowns of every strategy and benchmark, a calendar-year
heatmap, a correlation heatmap and one stacked-area exposure chart per strategy. The heatmaps
and exposure charts are built by `*_figure` functions returning the figure, so what is drawn can
be inspected; the `*_png` functions render them. The equity and drawdown charts are
`engine.report.run.plots.equity_chart` and `drawdown_chart`, as in the single-run report; like
there, pyplot is never imported: each figure has its own Agg canvas.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib import ticker as mticker
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure

from engine.report.run.plots import (
    Curve,
    drawdown_chart,
    drawdown_panels,
    equity_chart,
    exposure_figure,
)
from engine.report.toolkit import palette
from engine.report.toolkit.charts import annotated_heatmap, money, new_figure, percent_text, png

__all__ = [
    "correlation_figure",
    "correlation_png",
    "drawdown_png",
    "equity_png",
    "exposure_figure",
    "exposure_png",
    "yearly_heatmap_figure",
    "yearly_heatmap_png",
]

MIN_HEATMAP_SPAN = 0.01  # the yearly colour scale spans at least +-1%


def _curves(
    strategies: Mapping[str, pd.Series], benchmarks: Mapping[str, pd.Series]
) -> list[Curve]:
    """Benchmarks first (dashed, underneath), then the strategies (solid, highlighted); colours
    from the report's palette, so a series has one colour in every chart."""
    color = palette.run_colors(strategies, benchmarks)
    out: list[Curve] = []
    for i, (name, series) in enumerate(benchmarks.items()):
        main = i == 0
        style = {"color": color[name], "linewidth": 1.5 if main else 1.0, "linestyle": "--",
                 "alpha": 0.95 if main else 0.6, "zorder": 4 if main else 3}  # fmt: skip
        out.append(Curve(name, series, style))
    for name, series in strategies.items():
        style = {"color": color[name], "linewidth": 1.8, "zorder": 5}
        out.append(Curve(name, series, style, highlight=True))
    return out


def equity_png(
    strategies: Mapping[str, pd.Series], benchmarks: Mapping[str, pd.Series], initial: float
) -> bytes:
    """Every equity curve rescaled to start at `initial`, on one log axis."""
    curves = _curves(strategies, benchmarks)
    return equity_chart(curves, initial, f"Growth of {money(initial)}", legend_size=9)


def drawdown_png(strategies: Mapping[str, pd.Series], benchmarks: Mapping[str, pd.Series]) -> bytes:
    """Small multiples: each strategy's drawdown over the main benchmark's, one shared scale;
    a single series (or no benchmark) gets one plain chart."""
    curves = _curves(strategies, benchmarks)
    highlighted = [c for c in curves if c.highlight]
    main = next((c for c in curves if not c.highlight), None)
    if len(highlighted) <= 1:
        return drawdown_chart(curves, "Drawdowns", shade=True, legend_size=9)
    title = "Drawdowns" + (f" against {main.name}" if main is not None else "")
    return drawdown_panels(highlighted, main, title)


def _column_labels(ax: Axes, names: list[str]) -> None:
    """Series names under the columns, slanted so long benchmark names do not collide."""
    ax.set_xticks(range(len(names)), labels=names)
    ax.tick_params(axis="x", labelrotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")


def yearly_heatmap_figure(yearly: pd.DataFrame) -> Figure:
    """Calendar-year returns, years as rows and series as columns, coloured around 0."""
    values = yearly.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    span = max(float(np.abs(finite).max()) if finite.size else 0.0, MIN_HEATMAP_SPAN)
    width = 2.2 + 1.25 * len(yearly.columns)
    height = 1.6 + 0.3 * len(yearly.index)
    fig, ax = new_figure((max(width, 6.0), max(height, 3.0)))
    texts = [[percent_text(v) for v in row] for row in values]
    norm = TwoSlopeNorm(vmin=-span, vcenter=0.0, vmax=span)
    annotated_heatmap(ax, values, norm, "RdYlGn", texts, mticker.PercentFormatter(xmax=1.0))
    _column_labels(ax, [str(c) for c in yearly.columns])
    ax.set_yticks(range(len(yearly.index)), labels=[str(y) for y in yearly.index])
    ax.set_title("Calendar-year returns")
    return fig


def correlation_norm(values: np.ndarray) -> Normalize:
    """The colour scale of a correlation matrix, spanning the data: from the lowest pairwise
    correlation (rounded down to 0.05) to 1; centred on 0 when some pairs are negative."""
    off = values[~np.eye(len(values), dtype=bool)] if values.size else values
    off = off[np.isfinite(off)]
    low = float(off.min()) if off.size else 0.0
    low = math.floor(min(low, 0.95) * 20.0) / 20.0
    if low < 0:
        return TwoSlopeNorm(vmin=low, vcenter=0.0, vmax=1.0)
    return Normalize(vmin=low, vmax=1.0)


def correlation_figure(correlations: pd.DataFrame) -> Figure:
    """The correlation matrix of daily returns, values printed, on a scale fitted to the data
    (correlations of long-only equity strategies all lie near 0.8-1: a -1..1 scale hides them)."""
    values = correlations.to_numpy(dtype=float)
    size = max(5.0, 2.5 + 0.75 * len(correlations.columns))
    fig, ax = new_figure((min(size + 1.5, 12.0), min(size, 10.0)))
    texts = [["n/a" if math.isnan(v) else f"{v:.2f}" for v in row] for row in values]
    norm = correlation_norm(values)
    cmap = "RdBu_r" if isinstance(norm, TwoSlopeNorm) else "YlGnBu"
    annotated_heatmap(ax, values, norm, cmap, texts)
    _column_labels(ax, [str(c) for c in correlations.columns])
    ax.set_yticks(range(len(correlations.index)), labels=[str(n) for n in correlations.index])
    ax.set_title("Correlation of daily returns")
    return fig


def yearly_heatmap_png(yearly: pd.DataFrame) -> bytes:
    return png(yearly_heatmap_figure(yearly))


def correlation_png(correlations: pd.DataFrame) -> bytes:
    return png(correlation_figure(correlations))


def exposure_png(
    label: str,
    weights: pd.DataFrame,
    cash: pd.Series,
    ticker_colors: Mapping[str, str] | None = None,
) -> bytes:
    return png(exposure_figure(label, weights, cash, ticker_colors))
