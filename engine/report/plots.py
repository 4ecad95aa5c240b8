"""The report's two charts, rendered to PNG bytes.

Figures are built from `matplotlib.figure.Figure` with an explicit Agg canvas: pyplot is never
imported, so no global figure registry or backend switch leaks into the caller's process.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import ticker as mticker
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from engine.metrics import drawdown
from engine.report.model import ReportInput

FIGSIZE = (12.0, 6.0)  # inches; at DPI this is 1200 x 600 px
DPI = 100
STRATEGY_COLOR = "#1f4e9c"
BENCHMARK_COLORS = ("#e07b00", "#2e9b4f", "#8c5fb8", "#c23b3b", "#3aa6b9", "#8a6d3b", "#7f7f7f")


def _series(inp: ReportInput) -> list[tuple[str, pd.Series, bool]]:
    """(name, equity, is_strategy) for the benchmarks first and the strategy last (on top)."""
    out = [(name, result.equity, False) for name, result in inp.benchmarks.items()]
    out.append((inp.strategy.name, inp.strategy.equity, True))
    return out


def _style(index: int, is_strategy: bool) -> dict[str, object]:
    if is_strategy:
        return {"color": STRATEGY_COLOR, "linewidth": 2.2, "zorder": 5}
    return {
        "color": BENCHMARK_COLORS[index % len(BENCHMARK_COLORS)],
        "linewidth": 1.2,
        "alpha": 0.9,
        "zorder": 3,
    }


def _new_figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=5, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _legend(ax: Axes, loc: str) -> None:
    """Legend with the strategy (drawn last, so on top) listed first."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        order = [len(handles) - 1, *range(len(handles) - 1)]
        ax.legend([handles[i] for i in order], [labels[i] for i in order], loc=loc, fontsize=10)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _money(value: float, _pos: object = None) -> str:
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


def equity_png(inp: ReportInput) -> bytes:
    """Growth of the initial value for the strategy and every benchmark, log y axis."""
    fig, ax = _new_figure()
    initial = float(inp.strategy.equity.dropna().iloc[0])
    lo, hi = math.inf, -math.inf
    for i, (name, equity, is_strategy) in enumerate(_series(inp)):
        values = equity.dropna()
        values = values[values > 0]  # a log axis cannot show a wiped-out portfolio
        if values.empty:
            continue
        grown = values / float(values.iloc[0]) * initial
        ax.plot(grown.index.to_numpy(), grown.to_numpy(), label=name, **_style(i, is_strategy))
        lo, hi = min(lo, float(grown.min())), max(hi, float(grown.max()))
    ax.set_yscale("log")
    if math.isfinite(lo) and math.isfinite(hi):
        pad = 1.04 if hi > lo else 1.1
        ax.set_ylim(lo / pad, hi * pad)
        ax.yaxis.set_major_locator(mticker.FixedLocator(log_ticks(lo / pad, hi * pad)))
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(_money))
    ax.yaxis.set_minor_locator(mticker.NullLocator())
    ax.set_ylabel(f"Value of {_money(initial)} invested (log scale)")
    ax.set_title(f"{inp.title}: growth of {_money(initial)}")
    _date_axis(ax)
    ax.grid(True, which="major", color="#d0d5db", linewidth=0.7)
    ax.axhline(initial, color="#888888", linewidth=0.8, linestyle=":", zorder=1)
    _legend(ax, "upper left")
    return _png(fig)


def drawdown_png(inp: ReportInput) -> bytes:
    """Distance below the running peak, in percent, of every series; the strategy on top."""
    fig, ax = _new_figure()
    low = 0.0
    for i, (name, equity, is_strategy) in enumerate(_series(inp)):
        values = equity.dropna()
        if values.empty:
            continue
        dd = drawdown(values).to_numpy(dtype=float) * 100.0
        x = values.index.to_numpy()
        ax.plot(x, dd, label=name, **_style(i, is_strategy))
        if is_strategy:
            ax.fill_between(x, dd, 0.0, color=STRATEGY_COLOR, alpha=0.08, zorder=2, linewidth=0)
        if np.isfinite(dd).any():
            low = min(low, float(np.nanmin(dd)))
    ax.set_ylim(min(low * 1.05, -1.0), 1.0)
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(xmax=100, decimals=0))
    ax.set_ylabel("Drawdown from the running peak (%)")
    ax.set_title(f"{inp.title}: drawdowns")
    _date_axis(ax)
    ax.grid(True, color="#d0d5db", linewidth=0.7)
    ax.axhline(0.0, color="#555555", linewidth=0.8, zorder=1)
    _legend(ax, "lower left")
    return _png(fig)
