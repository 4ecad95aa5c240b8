"""Charts of a comparison report, rendered to PNG bytes.

Overlaid equity (log scale) and drawdowns of every strategy and benchmark, a calendar-year
heatmap, a correlation heatmap and one stacked-area exposure chart per strategy. The heatmaps
and exposure charts are built by `*_figure` functions returning the figure, so what is drawn can
be inspected; the `*_png` functions render them. The equity and drawdown charts are
`engine.report.plots.equity_chart` and `drawdown_chart`, as in the single-run report; like
there, pyplot is never imported: each figure has its own Agg canvas.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib import ticker as mticker
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure

from engine.report.plots import (
    Curve,
    date_axis,
    drawdown_chart,
    equity_chart,
    money,
    new_figure,
    png,
)

STRATEGY_COLORS = tuple(colormaps["tab10"].colors)  # strong colours, solid lines
BENCHMARK_COLORS = ("#555555", "#999999", "#b07aa1", "#9c755f", "#bab0ac", "#76b7b2")
CASH_COLOR = "#d9d9d9"
NAN_COLOR = "#eeeeee"
MIN_HEATMAP_SPAN = 0.01  # the yearly colour scale spans at least +-1%


def _curves(
    strategies: Mapping[str, pd.Series], benchmarks: Mapping[str, pd.Series]
) -> list[Curve]:
    """Benchmarks first (dashed, underneath), then the strategies (solid, highlighted)."""
    out: list[Curve] = []
    for i, (name, series) in enumerate(benchmarks.items()):
        color = BENCHMARK_COLORS[i % len(BENCHMARK_COLORS)]
        style = {"color": color, "linewidth": 1.1, "linestyle": "--", "zorder": 3}
        out.append(Curve(name, series, style))
    for i, (name, series) in enumerate(strategies.items()):
        color = STRATEGY_COLORS[i % len(STRATEGY_COLORS)]
        style = {"color": color, "linewidth": 1.8, "zorder": 5}
        out.append(Curve(name, series, style, highlight=True))
    return out


def equity_png(
    strategies: Mapping[str, pd.Series], benchmarks: Mapping[str, pd.Series], initial: float
) -> bytes:
    """Every equity curve rescaled to start at `initial`, on one log axis."""
    curves = _curves(strategies, benchmarks)
    return equity_chart(curves, initial, f"Growth of {money(initial)}", legend_size=9)


def drawdown_png(strategies: Mapping[str, pd.Series], benchmarks: Mapping[str, pd.Series]) -> bytes:
    """Distance below the running peak, in percent, of every equity curve."""
    return drawdown_chart(_curves(strategies, benchmarks), "Drawdowns", legend_size=9)


def _annotated_heatmap(
    ax: Axes,
    values: np.ndarray,
    norm: Normalize,
    cmap_name: str,
    texts: list[list[str]],
    bar_format: mticker.Formatter | None = None,
) -> None:
    """`values` as coloured cells (NaN in light grey) with each cell's text written on it."""
    cmap = colormaps[cmap_name].with_extremes(bad=NAN_COLOR)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
    for (row, col), value in np.ndenumerate(values):
        if math.isnan(value):
            color = "#333333"
        else:  # white text on the darkest quarter of the scale at either end
            color = "white" if abs(float(norm(value)) - 0.5) > 0.35 else "black"
        ax.text(col, row, texts[row][col], ha="center", va="center", fontsize=8.5, color=color)
    bar = ax.figure.colorbar(image, ax=ax, shrink=0.8)
    if bar_format is not None:
        bar.ax.yaxis.set_major_formatter(bar_format)


def _column_labels(ax: Axes, names: list[str]) -> None:
    """Series names under the columns, slanted so long benchmark names do not collide."""
    ax.set_xticks(range(len(names)), labels=names)
    ax.tick_params(axis="x", labelrotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")


def percent_text(value: float) -> str:
    """A return as the heatmap writes it: one decimal, with a sign when negative."""
    return "n/a" if math.isnan(value) else f"{value * 100:.1f}%"


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
    _annotated_heatmap(ax, values, norm, "RdYlGn", texts, mticker.PercentFormatter(xmax=1.0))
    _column_labels(ax, [str(c) for c in yearly.columns])
    ax.set_yticks(range(len(yearly.index)), labels=[str(y) for y in yearly.index])
    ax.set_title("Calendar-year returns")
    return fig


def correlation_figure(correlations: pd.DataFrame) -> Figure:
    """The correlation matrix of daily returns on a -1..1 diverging scale."""
    values = correlations.to_numpy(dtype=float)
    size = max(5.0, 2.5 + 0.75 * len(correlations.columns))
    fig, ax = new_figure((size + 1.0, size))
    texts = [["n/a" if math.isnan(v) else f"{v:.2f}" for v in row] for row in values]
    norm = TwoSlopeNorm(vmin=-1.0, vcenter=0.0, vmax=1.0)
    _annotated_heatmap(ax, values, norm, "RdBu_r", texts)
    _column_labels(ax, [str(c) for c in correlations.columns])
    ax.set_yticks(range(len(correlations.index)), labels=[str(n) for n in correlations.index])
    ax.set_title("Correlation of daily returns")
    return fig


def exposure_figure(label: str, weights: pd.DataFrame, cash: pd.Series) -> Figure:
    """Realised weights stacked (tickers never held left out) with cash as the remainder."""
    held = [c for c in weights.columns if (weights[c].abs() > 1e-12).any()]
    fig, ax = new_figure()
    x = weights.index.to_numpy()
    n = len(held)
    palette = colormaps["tab10" if n <= 10 else "tab20"]
    layers = [weights[c].fillna(0.0).to_numpy(dtype=float) * 100.0 for c in held]
    colors = [palette(i % palette.N) for i in range(n)]
    layers.append(cash.reindex(weights.index).fillna(0.0).to_numpy(dtype=float) * 100.0)
    colors.append(CASH_COLOR)
    ax.stackplot(x, *layers, labels=[*map(str, held), "cash"], colors=colors, linewidth=0)
    top = max(100.0, float(np.nansum(np.vstack(layers), axis=0).max())) if len(x) else 100.0
    ax.set_ylim(0.0, top)
    if len(x) > 1:
        ax.set_xlim(x[0], x[-1])
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(xmax=100, decimals=0))
    ax.set_ylabel("Share of the portfolio (%)")
    ax.set_title(f"{label}: exposure (realised weights at each close; cash is the remainder)")
    date_axis(ax)
    if n + 1 > 8:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    else:
        ax.legend(loc="upper left", fontsize=9, ncols=min(n + 1, 4))
    return fig


def yearly_heatmap_png(yearly: pd.DataFrame) -> bytes:
    return png(yearly_heatmap_figure(yearly))


def correlation_png(correlations: pd.DataFrame) -> bytes:
    return png(correlation_figure(correlations))


def exposure_png(label: str, weights: pd.DataFrame, cash: pd.Series) -> bytes:
    return png(exposure_figure(label, weights, cash))
