"""The single-run report's charts, rendered to PNG bytes, and the chart pieces compare shares.

`equity_chart` and `drawdown_chart` draw any list of curves: `equity_png` and `drawdown_png`
use them for one strategy over its benchmarks, `engine.report.compare.plots` for several.
Colours come from `engine.report.toolkit.palette`: one per run and one per ticker, the same in every
chart of a report. The primitives (figures without pyplot, ticks) are engine.report.toolkit.charts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib import ticker as mticker
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from engine.report.model import ReportInput
from engine.report.toolkit import palette
from engine.report.toolkit.charts import (
    DPI,
    FIGSIZE,
    date_axis,
    equity_ticks,
    money,
    new_figure,
    png,
)
from engine.stats.metrics import (
    drawdown,
    drawdown_periods,
)

__all__ = [
    "Curve",
    "allocation_png",
    "drawdown_chart",
    "drawdown_panels",
    "drawdown_png",
    "equity_chart",
    "equity_png",
    "exposure_figure",
    "grouped_weights",
]

EQUITY_SIZE = (8.0, 4.6)  # inches: beside the key statistics on the report's first screen
LOWS_MARKED = 2  # the strategy's deepest troughs written on the equity chart


class Curve(NamedTuple):
    """One equity curve to draw, with its line style.

    Curves are drawn in the order given, so later ones lie on top. Highlighted curves (the
    strategies) are listed first in the legend whatever their drawing order.
    """

    name: str
    equity: pd.Series
    style: dict[str, object]
    highlight: bool = False


def colors(inp: ReportInput) -> dict[str, str]:
    """Series name -> colour for every chart of this report."""
    return palette.run_colors([inp.strategy.name], inp.benchmarks)


def _curves(inp: ReportInput) -> list[Curve]:
    """The benchmarks first and the strategy last (on top); the main benchmark stronger."""
    color = colors(inp)
    out = []
    for i, (name, result) in enumerate(inp.benchmarks.items()):
        main = i == 0
        style = {
            "color": color[name],
            "linewidth": 1.6 if main else 1.0,
            "alpha": 0.95 if main else 0.6,
            "zorder": 4 if main else 3,
        }
        out.append(Curve(name, result.equity, style))
    style = {"color": color[inp.strategy.name], "linewidth": 2.2, "zorder": 5}
    out.append(Curve(inp.strategy.name, inp.strategy.equity, style, highlight=True))
    return out


def _legend(ax: Axes, loc: str, drawn: list[tuple[Artist, Curve]], size: float) -> None:
    """Legend listing the highlighted curves (drawn last, on top) first."""
    ordered = [d for d in drawn if d[1].highlight] + [d for d in drawn if not d[1].highlight]
    if ordered:
        ax.legend([a for a, _ in ordered], [c.name for _, c in ordered], loc=loc, fontsize=size)


def _troughs(equity: pd.Series, count: int) -> list[tuple[pd.Timestamp, float]]:
    """(date, value) of the `count` deepest drawdown troughs of `equity`."""
    table = drawdown_periods(equity, top=count)
    return [(t, float(equity.loc[t])) for t in table["trough"]]


def equity_chart(
    curves: Sequence[Curve],
    initial: float,
    title: str,
    legend_size: float = 10.0,
    mark_lows: int = LOWS_MARKED,
    size: tuple[float, float] = FIGSIZE,
) -> bytes:
    """Every curve rescaled to start at `initial`, on one log axis labelled over its whole range
    (the start value and the first highlighted curve's deepest lows included), as PNG bytes."""
    fig, ax = new_figure(size)
    lo, hi = math.inf, -math.inf
    drawn: list[tuple[Artist, Curve]] = []
    lows: list[tuple[pd.Timestamp, float]] = []
    for curve in curves:
        values = curve.equity.dropna()
        values = values[values > 0]  # a log axis cannot show a wiped-out portfolio
        if values.empty:
            continue
        grown = values / float(values.iloc[0]) * initial
        (line,) = ax.plot(grown.index.to_numpy(), grown.to_numpy(), label=curve.name, **curve.style)
        drawn.append((line, curve))
        lo, hi = min(lo, float(grown.min())), max(hi, float(grown.max()))
        if curve.highlight and not lows and mark_lows and len(grown) > 2:
            lows = [(d, v) for d, v in _troughs(grown, mark_lows) if v < initial * 1.5]
            color = curve.style.get("color")
            for date, value in lows:
                ax.plot([date], [value], marker="o", markersize=5, color=color, zorder=6)
                ax.annotate(f"{date:%Y-%m-%d}: {money(value)}", (date, value),
                            xytext=(8, 2), textcoords="offset points", fontsize=8.5,
                            color=color)  # fmt: skip
    ax.set_yscale("log")
    if math.isfinite(lo) and math.isfinite(hi):
        pad = 1.04 if hi > lo else 1.1
        ax.set_ylim(lo / pad / 1.04, hi * pad)  # room under the lowest point for its label
        keep = [initial, *(v for _, v in lows)]
        ticks = equity_ticks(lo / pad / 1.04, hi * pad, keep=keep)
        ax.yaxis.set_major_locator(mticker.FixedLocator(ticks))
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(money))
    ax.yaxis.set_minor_locator(mticker.NullLocator())
    ax.set_ylabel(f"Value of {money(initial)} invested (log scale)")
    ax.set_title(title)
    date_axis(ax)
    ax.grid(True, which="major", color="#d0d5db", linewidth=0.7)
    ax.axhline(initial, color="#888888", linewidth=0.8, linestyle=":", zorder=1)
    _legend(ax, "upper left", drawn, legend_size)
    return png(fig)


def _drawdown_lines(ax: Axes, curves: Sequence[Curve], shade: bool) -> tuple[list, float]:
    low = 0.0
    drawn: list[tuple[Artist, Curve]] = []
    for curve in curves:
        values = curve.equity.dropna()
        if values.empty:
            continue
        dd = drawdown(values).to_numpy(dtype=float) * 100.0
        x = values.index.to_numpy()
        (line,) = ax.plot(x, dd, label=curve.name, **curve.style)
        drawn.append((line, curve))
        if shade and curve.highlight:
            color = curve.style.get("color")
            ax.fill_between(x, dd, 0.0, color=color, alpha=0.12, zorder=2, linewidth=0)
        if np.isfinite(dd).any():
            low = min(low, float(np.nanmin(dd)))
    return drawn, low


def _drawdown_axes(ax: Axes, low: float) -> None:
    ax.set_ylim(min(low * 1.1, -1.0), 1.0)
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(xmax=100, decimals=0))
    date_axis(ax)
    ax.grid(True, color="#d0d5db", linewidth=0.7)
    ax.axhline(0.0, color="#555555", linewidth=0.8, zorder=1)


def drawdown_chart(
    curves: Sequence[Curve], title: str, shade: bool = False, legend_size: float = 10.0
) -> bytes:
    """Distance below the running peak, in percent, of every curve, as PNG bytes; with `shade`,
    the area between each highlighted curve and zero is tinted in its colour."""
    fig, ax = new_figure()
    drawn, low = _drawdown_lines(ax, curves, shade)
    _drawdown_axes(ax, low)
    ax.set_ylabel("Drawdown from the running peak (%)")
    ax.set_title(title)
    _legend(ax, "lower left", drawn, legend_size)
    return png(fig)


def drawdown_panels(
    strategies: Sequence[Curve], main: Curve | None, title: str, columns: int = 2
) -> bytes:
    """Small multiples: one panel per strategy, its drawdown shaded over the main benchmark's,
    on one shared scale, so several runs stay readable."""
    n = len(strategies)
    cols = 1 if n == 1 else columns
    rows = math.ceil(n / cols)
    height = FIGSIZE[1] if rows <= 2 else 2.8 * rows  # the usual 1200 x 600 up to 4 panels
    fig = Figure(figsize=(12.0, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False).ravel()
    low = 0.0
    for ax, curve in zip(axes, strategies, strict=False):
        shown = [main, curve] if main is not None else [curve]
        drawn, lo = _drawdown_lines(ax, [c for c in shown if c is not None], shade=True)
        low = min(low, lo)
        ax.set_title(curve.name, fontsize=10, loc="left", color=curve.style.get("color"))
        _legend(ax, "lower left", drawn, 8.0)
    for ax in axes[:n]:
        _drawdown_axes(ax, low)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle(title)
    return png(fig)


def equity_png(inp: ReportInput) -> bytes:
    """Growth of the initial value for the strategy and every benchmark, log y axis."""
    initial = float(inp.strategy.equity.dropna().iloc[0])
    title = f"{inp.title}: growth of {money(initial)}"
    return equity_chart(_curves(inp), initial, title, legend_size=9.0, size=EQUITY_SIZE)


def drawdown_png(inp: ReportInput) -> bytes:
    """The strategy's drawdowns (shaded) over its main benchmark's line: two series, one fill
    (the other benchmarks are in the statistics and in the compare report)."""
    curves = _curves(inp)
    strategy = curves[-1]._replace(style={**curves[-1].style, "linewidth": 1.3})
    shown = [curves[0], strategy] if len(curves) > 1 else [strategy]
    return drawdown_chart(shown, f"{inp.title}: drawdowns", shade=True)


# --------------------------------------------------------------------------- allocation


MONTHLY_PAST = 750  # sessions: longer allocation charts show monthly average weights
MAX_COLOURS = 6  # layers of one allocation chart, cash and "other" included


def grouped_weights(weights: pd.DataFrame, colours: int = MAX_COLOURS) -> pd.DataFrame:
    """The held tickers' weights, at most `colours - 1` layers (cash is the last colour): past
    that, the tickers with the largest average weight keep their layer and the rest are summed
    as "other"."""
    held = [c for c in weights.columns if (weights[c].abs() > 1e-12).any()]
    frame = weights[held].fillna(0.0)
    if len(held) <= colours - 1:
        return frame
    average = frame.abs().mean().sort_values(ascending=False, kind="stable")
    kept = list(average.index[: colours - 2])
    out = frame[kept].copy()
    out["other"] = frame.drop(columns=kept).sum(axis=1)
    return out


def exposure_figure(
    label: str,
    weights: pd.DataFrame,
    cash: pd.Series,
    ticker_colors: Mapping[str, str] | None = None,
    size: tuple[float, float] = FIGSIZE,
) -> Figure:
    """Realised weights stacked (tickers never held left out, small ones grouped as "other")
    with cash as the remainder; `ticker_colors` keeps one colour per ticker across charts."""
    shown = grouped_weights(weights)
    cash = cash.reindex(shown.index).fillna(0.0)
    every = "at each close"
    if len(shown) > MONTHLY_PAST:  # daily switches would draw a barcode: monthly averages
        shown = shown.groupby(shown.index.to_period("M")).mean()
        cash = cash.groupby(cash.index.to_period("M")).mean()
        shown.index = cash.index = shown.index.to_timestamp()
        every = "monthly averages"
    held = [str(c) for c in shown.columns if c != "other"]
    color_of = dict(ticker_colors or palette.ticker_colors(held))
    # Layers in the palette's order, so a ticker sits at the same height in every chart.
    order = {name: i for i, name in enumerate(color_of)}
    held.sort(key=lambda c: order.get(c, len(order)))
    if "other" in shown.columns:
        held.append("other")
    fig, ax = new_figure(size)
    x = shown.index.to_numpy()
    layers = [shown[c].to_numpy(dtype=float) * 100.0 for c in held]
    fallback = palette.ticker_colors(held)
    tints = [palette.OTHER if c == "other" else color_of.get(c, fallback[c]) for c in held]
    layers.append(cash.to_numpy(dtype=float) * 100.0)
    tints.append(palette.CASH)
    ax.stackplot(x, *layers, labels=[*held, "cash"], colors=tints, linewidth=0)
    top = max(100.0, float(np.nansum(np.vstack(layers), axis=0).max())) if len(x) else 100.0
    ax.set_ylim(0.0, top)
    if len(x) > 1:
        ax.set_xlim(x[0], x[-1])
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(xmax=100, decimals=0))
    ax.set_ylabel("Share of the portfolio (%)")
    ax.set_title(f"{label}: allocation over time (realised weights, {every})")
    date_axis(ax)
    ax.legend(loc="upper left", fontsize=9, ncols=len(held) + 1, framealpha=0.9)
    return fig


def allocation_png(inp: ReportInput) -> bytes:
    result = inp.strategy
    tickers = palette.ticker_colors(result.weights.columns)
    figure = exposure_figure(inp.title, result.weights, result.cash_weight, tickers, (12.0, 4.2))
    return png(figure)
