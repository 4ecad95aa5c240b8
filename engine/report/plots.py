"""The report's two charts, rendered to PNG bytes, and the chart helpers the comparison shares.

Figures are built from `matplotlib.figure.Figure` with an explicit Agg canvas: pyplot is never
imported, so no global figure registry or backend switch leaks into the caller's process.
`equity_chart` and `drawdown_chart` draw any list of curves: `equity_png` and `drawdown_png`
use them for one strategy over its benchmarks, `engine.report.compare_plots` for several.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import ticker as mticker
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from engine.metrics import drawdown
from engine.report.model import ReportInput

FIGSIZE = (12.0, 6.0)  # inches; at DPI this is 1200 x 600 px
DPI = 100
STRATEGY_COLOR = "#1f4e9c"
BENCHMARK_COLORS = ("#e07b00", "#2e9b4f", "#8c5fb8", "#c23b3b", "#3aa6b9", "#8a6d3b", "#7f7f7f")


class Curve(NamedTuple):
    """One equity curve to draw, with its line style.

    Curves are drawn in the order given, so later ones lie on top. Highlighted curves (the
    strategies) are listed first in the legend whatever their drawing order.
    """

    name: str
    equity: pd.Series
    style: dict[str, object]
    highlight: bool = False


def _curves(inp: ReportInput) -> list[Curve]:
    """The benchmarks first and the strategy last (on top)."""
    out = [
        Curve(name, result.equity, _benchmark_style(i))
        for i, (name, result) in enumerate(inp.benchmarks.items())
    ]
    style = {"color": STRATEGY_COLOR, "linewidth": 2.2, "zorder": 5}
    out.append(Curve(inp.strategy.name, inp.strategy.equity, style, highlight=True))
    return out


def _benchmark_style(index: int) -> dict[str, object]:
    return {
        "color": BENCHMARK_COLORS[index % len(BENCHMARK_COLORS)],
        "linewidth": 1.2,
        "alpha": 0.9,
        "zorder": 3,
    }


def new_figure(size: tuple[float, float] = FIGSIZE) -> tuple[Figure, Axes]:
    """A figure with its own Agg canvas (no pyplot) and one axes."""
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=5, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _legend(ax: Axes, loc: str, drawn: list[tuple[Artist, Curve]], size: float) -> None:
    """Legend listing the highlighted curves (drawn last, on top) first."""
    ordered = [d for d in drawn if d[1].highlight] + [d for d in drawn if not d[1].highlight]
    if ordered:
        ax.legend([a for a, _ in ordered], [c.name for _, c in ordered], loc=loc, fontsize=size)


def png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def money(value: float, _pos: object = None) -> str:
    """An axis value in currency units: whole units from 10 up, cents below."""
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.2f}"


def log_ticks(lo: float, hi: float) -> list[float]:
    """Readable ticks for a log axis over [lo, hi]: 1-2-5 steps, finer or linear when narrow."""
    if not (lo > 0 and hi > lo):
        return [lo] if lo > 0 else []
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for mults in ((1.0,), (1.0, 2.0, 5.0), (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0)):
        ticks = [
            m * 10.0**e for e in range(first, last + 1) for m in mults if lo <= m * 10.0**e <= hi
        ]
        if 4 <= len(ticks) <= 12:
            return ticks
    linear = mticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
    return [float(t) for t in linear if lo <= t <= hi and t > 0]


def equity_chart(
    curves: Sequence[Curve], initial: float, title: str, legend_size: float = 10.0
) -> bytes:
    """Every curve rescaled to start at `initial`, on one log axis, as PNG bytes."""
    fig, ax = new_figure()
    lo, hi = math.inf, -math.inf
    drawn: list[tuple[Artist, Curve]] = []
    for curve in curves:
        values = curve.equity.dropna()
        values = values[values > 0]  # a log axis cannot show a wiped-out portfolio
        if values.empty:
            continue
        grown = values / float(values.iloc[0]) * initial
        (line,) = ax.plot(grown.index.to_numpy(), grown.to_numpy(), label=curve.name, **curve.style)
        drawn.append((line, curve))
        lo, hi = min(lo, float(grown.min())), max(hi, float(grown.max()))
    ax.set_yscale("log")
    if math.isfinite(lo) and math.isfinite(hi):
        pad = 1.04 if hi > lo else 1.1
        ax.set_ylim(lo / pad, hi * pad)
        ax.yaxis.set_major_locator(mticker.FixedLocator(log_ticks(lo / pad, hi * pad)))
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(money))
    ax.yaxis.set_minor_locator(mticker.NullLocator())
    ax.set_ylabel(f"Value of {money(initial)} invested (log scale)")
    ax.set_title(title)
    date_axis(ax)
    ax.grid(True, which="major", color="#d0d5db", linewidth=0.7)
    ax.axhline(initial, color="#888888", linewidth=0.8, linestyle=":", zorder=1)
    _legend(ax, "upper left", drawn, legend_size)
    return png(fig)


def drawdown_chart(
    curves: Sequence[Curve], title: str, shade: bool = False, legend_size: float = 10.0
) -> bytes:
    """Distance below the running peak, in percent, of every curve, as PNG bytes.

    With `shade`, the area between each highlighted curve and zero is tinted in its colour.
    """
    fig, ax = new_figure()
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
            ax.fill_between(x, dd, 0.0, color=color, alpha=0.08, zorder=2, linewidth=0)
        if np.isfinite(dd).any():
            low = min(low, float(np.nanmin(dd)))
    ax.set_ylim(min(low * 1.05, -1.0), 1.0)
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(xmax=100, decimals=0))
    ax.set_ylabel("Drawdown from the running peak (%)")
    ax.set_title(title)
    date_axis(ax)
    ax.grid(True, color="#d0d5db", linewidth=0.7)
    ax.axhline(0.0, color="#555555", linewidth=0.8, zorder=1)
    _legend(ax, "lower left", drawn, legend_size)
    return png(fig)


def equity_png(inp: ReportInput) -> bytes:
    """Growth of the initial value for the strategy and every benchmark, log y axis."""
    initial = float(inp.strategy.equity.dropna().iloc[0])
    return equity_chart(_curves(inp), initial, f"{inp.title}: growth of {money(initial)}")


def drawdown_png(inp: ReportInput) -> bytes:
    """Distance below the running peak, in percent, of every series; the strategy on top."""
    return drawdown_chart(_curves(inp), f"{inp.title}: drawdowns", shade=True)
