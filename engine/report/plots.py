"""The single-run report's charts, rendered to PNG bytes, and the chart pieces compare shares.

`equity_chart` and `drawdown_chart` draw any list of curves: `equity_png` and `drawdown_png`
use them for one strategy over its benchmarks, `engine.report.compare_plots` for several.
Colours come from `engine.reporting.palette`: one per run and one per ticker, the same in every
chart of a report. The primitives (figures without pyplot, ticks) are engine.reporting.charts.
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
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from engine.metrics import (
    PERIODS_PER_YEAR,
    drawdown,
    drawdown_periods,
    monthly_returns,
    rolling_beta,
    rolling_return,
    rolling_sharpe,
)
from engine.report.model import ReportInput
from engine.reporting import palette
from engine.reporting.charts import (
    DPI,
    FIGSIZE,
    annotated_heatmap,
    date_axis,
    equity_ticks,
    log_ticks,
    money,
    new_figure,
    percent_text,
    png,
)

__all__ = [
    "FIGSIZE",
    "Curve",
    "allocation_png",
    "date_axis",
    "drawdown_chart",
    "drawdown_png",
    "equity_chart",
    "equity_png",
    "exposure_figure",
    "log_ticks",
    "money",
    "monthly_heatmap_figure",
    "monthly_png",
    "new_figure",
    "png",
    "rolling_figure",
    "rolling_png",
    "yearly_bars_figure",
    "yearly_png",
]

ROLLING = PERIODS_PER_YEAR  # sessions in the rolling windows (12 months)
LOWS_MARKED = 2  # the strategy's deepest troughs written on the equity chart
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


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
) -> bytes:
    """Every curve rescaled to start at `initial`, on one log axis labelled over its whole range
    (the start value and the first highlighted curve's deepest lows included), as PNG bytes."""
    fig, ax = new_figure()
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
    curves: Sequence[Curve],
    title: str,
    shade: bool = False,
    legend_size: float = 10.0,
    periods: pd.DataFrame | None = None,
) -> bytes:
    """Distance below the running peak, in percent, of every curve, as PNG bytes.

    With `shade`, the area between each highlighted curve and zero is tinted in its colour;
    `periods` (engine.metrics.drawdown_periods) are marked as numbered bands, peak to recovery.
    """
    fig, ax = new_figure()
    if periods is not None:
        for i, p in enumerate(periods.itertuples(index=False), 1):
            end = p.recovery if p.recovered else None
            last = max(c.equity.index[-1] for c in curves) if end is None else end
            ax.axvspan(p.peak, last, color="#f2d7a6", alpha=0.35, zorder=0, linewidth=0)
            ax.annotate(str(i), (p.trough, p.depth * 100.0), xytext=(0, -12),
                        textcoords="offset points", ha="center", fontsize=9,
                        fontweight="bold", color="#8a5a00")  # fmt: skip
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
    return equity_chart(_curves(inp), initial, f"{inp.title}: growth of {money(initial)}")


def drawdown_png(inp: ReportInput) -> bytes:
    """The strategy's drawdowns (shaded) over its main benchmark's; other benchmarks light."""
    curves = [c._replace(style={**c.style, "linewidth": 1.3}) if c.highlight else c
              for c in _curves(inp)]  # fmt: skip
    worst = drawdown_periods(inp.strategy.equity, top=5)
    title = f"{inp.title}: drawdowns (bands: its 5 worst, numbered as in the table)"
    return drawdown_chart(curves, title, shade=True, periods=worst)


# --------------------------------------------------------------------------- allocation


def exposure_figure(
    label: str,
    weights: pd.DataFrame,
    cash: pd.Series,
    ticker_colors: Mapping[str, str] | None = None,
    size: tuple[float, float] = FIGSIZE,
) -> Figure:
    """Realised weights stacked (tickers never held left out) with cash as the remainder;
    `ticker_colors` keeps one colour per ticker across a report's charts."""
    held = [c for c in weights.columns if (weights[c].abs() > 1e-12).any()]
    color_of = dict(ticker_colors or palette.ticker_colors(held))
    # Layers in the palette's order, so a ticker sits at the same height in every chart.
    order = {name: i for i, name in enumerate(color_of)}
    held.sort(key=lambda c: order.get(str(c), len(order)))
    fig, ax = new_figure(size)
    x = weights.index.to_numpy()
    n = len(held)
    layers = [weights[c].fillna(0.0).to_numpy(dtype=float) * 100.0 for c in held]
    fallback = palette.ticker_colors(held)
    tints = [color_of.get(str(c), fallback[str(c)]) for c in held]
    layers.append(cash.reindex(weights.index).fillna(0.0).to_numpy(dtype=float) * 100.0)
    tints.append(palette.CASH)
    ax.stackplot(x, *layers, labels=[*map(str, held), "cash"], colors=tints, linewidth=0)
    top = max(100.0, float(np.nansum(np.vstack(layers), axis=0).max())) if len(x) else 100.0
    ax.set_ylim(0.0, top)
    if len(x) > 1:
        ax.set_xlim(x[0], x[-1])
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(xmax=100, decimals=0))
    ax.set_ylabel("Share of the portfolio (%)")
    ax.set_title(f"{label}: allocation over time (realised weights at each close)")
    date_axis(ax)
    if n + 1 > 8:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    else:
        ax.legend(loc="upper left", fontsize=9, ncols=min(n + 1, 8), framealpha=0.9)
    return fig


def allocation_png(inp: ReportInput) -> bytes:
    result = inp.strategy
    tickers = palette.ticker_colors(result.weights.columns)
    figure = exposure_figure(inp.title, result.weights, result.cash_weight, tickers, (12.0, 4.2))
    return png(figure)


# --------------------------------------------------------------------------- calendar years


def yearly_bars_figure(yearly: pd.DataFrame, strategy: str, colors: Mapping[str, str]) -> Figure:
    """Each calendar year's return, the strategy's bar beside every benchmark's (the main one
    first, the others lighter), so a year it lagged stands out."""
    names = [strategy, *(c for c in yearly.columns if c != strategy)]
    years = [int(y) for y in yearly.index]
    x = np.arange(len(years), dtype=float)
    width = 0.8 / len(names)
    fig, ax = new_figure((12.0, 4.6))
    for i, name in enumerate(names):
        values = yearly[name].to_numpy(dtype=float) * 100.0
        alpha = 1.0 if i < 2 else 0.55
        ax.bar(x - 0.4 + width * (i + 0.5), values, width=width, color=colors.get(name),
               alpha=alpha, label=name, linewidth=0)  # fmt: skip
    ax.axhline(0.0, color="#555555", linewidth=0.8)
    ax.set_xticks(x, labels=[str(y) for y in years], rotation=90 if len(years) > 20 else 0)
    ax.set_xlim(-0.6, len(years) - 0.4)
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(xmax=100, decimals=0))
    ax.grid(True, axis="y", color="#d0d5db", linewidth=0.7)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=9, frameon=False,
              ncols=min(len(names), 6))  # fmt: skip
    ax.set_title("Calendar-year returns (the first and last years may be partial)", loc="right",
                 fontsize=10)  # fmt: skip
    return fig


def yearly_png(inp: ReportInput) -> bytes:
    from engine.report.html import strategy_first

    yearly = strategy_first(inp.yearly, inp.strategy.name)
    return png(yearly_bars_figure(yearly, inp.strategy.name, colors(inp)))


# --------------------------------------------------------------------------- monthly returns


def monthly_heatmap_figure(equity: pd.Series, title: str) -> Figure:
    """Monthly returns, years as rows and months as columns, on a scale centred on zero."""
    table = monthly_returns(equity)
    values = table.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    # The scale spans the 98th percentile of |return|, so one crash month does not wash out
    # the colours of every other; cells beyond it take the end colour and keep their number.
    span = float(np.quantile(np.abs(finite), 0.98)) if finite.size else 0.01
    span = max(span, 0.01)
    height = 1.2 + 0.27 * len(table.index)
    fig, ax = new_figure((12.0, max(height, 3.0)))
    texts = [[percent_text(v) if not math.isnan(v) else "" for v in row] for row in values]
    norm = TwoSlopeNorm(vmin=-span, vcenter=0.0, vmax=span)
    annotated_heatmap(ax, values, norm, "RdYlGn", texts, mticker.PercentFormatter(xmax=1.0),
                      fontsize=8.0)  # fmt: skip
    ax.set_xticks(range(12), labels=list(MONTHS))
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(table.index)), labels=[str(y) for y in table.index])
    ax.set_title(title)
    return fig


def monthly_png(inp: ReportInput) -> bytes:
    return png(monthly_heatmap_figure(inp.strategy.equity, f"{inp.title}: monthly returns"))


# --------------------------------------------------------------------------- rolling views


def rolling_frame(inp: ReportInput, window: int = ROLLING) -> pd.DataFrame:
    """The rolling views against the main benchmark: return difference, Sharpe ratios, beta."""
    equity = inp.strategy.equity
    returns = inp.strategy.returns.iloc[1:]  # the first return is 0 by construction, not data
    rf = float(inp.config.get("backtest", {}).get("risk_free_pct", 0.0) or 0.0)
    out = {"strategy_return": rolling_return(equity, window),
           "strategy_sharpe": rolling_sharpe(returns, window, rf)}  # fmt: skip
    if inp.benchmarks:
        main = next(iter(inp.benchmarks.values()))
        bench = rolling_return(main.equity, window)
        out["benchmark_return"] = bench
        out["return_difference"] = out["strategy_return"] - bench
        out["benchmark_sharpe"] = rolling_sharpe(main.returns.iloc[1:], window, rf)
        out["beta"] = rolling_beta(returns, main.returns.iloc[1:], window)
    frame = pd.DataFrame(out)
    frame.index.name = "date"
    return frame


def rolling_figure(inp: ReportInput, window: int = ROLLING) -> Figure:
    """Three panels over one time axis: the 12-month return difference against the main
    benchmark (green above zero, red below), rolling Sharpe ratios and rolling beta."""
    frame = rolling_frame(inp, window).dropna(how="all")
    color = colors(inp)
    name = inp.strategy.name
    main = next(iter(inp.benchmarks), None)
    fig = Figure(figsize=(12.0, 8.0), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    top, middle, bottom = fig.subplots(3, 1, sharex=True)
    x = frame.index.to_numpy()
    if main is not None and "return_difference" in frame:
        diff = frame["return_difference"].to_numpy(dtype=float) * 100.0
        top.fill_between(x, diff, 0, where=diff >= 0, color="#2e9b4f", alpha=0.45, linewidth=0,
                         interpolate=True)  # fmt: skip
        top.fill_between(x, diff, 0, where=diff < 0, color="#c23b3b", alpha=0.45, linewidth=0,
                         interpolate=True)  # fmt: skip
        top.plot(x, diff, color=color[name], linewidth=0.8)
        top.set_title(f"{window}-session return of {name} minus {main}", loc="left", fontsize=10)
    else:
        top.plot(x, frame["strategy_return"] * 100.0, color=color[name], linewidth=1.0)
        top.set_title(f"{window}-session return of {name}", loc="left", fontsize=10)
    top.yaxis.set_major_formatter(mticker.PercentFormatter(xmax=100, decimals=0))
    top.axhline(0.0, color="#555555", linewidth=0.8)
    middle.plot(x, frame["strategy_sharpe"], color=color[name], linewidth=1.3, label=name)
    if main is not None:
        middle.plot(x, frame["benchmark_sharpe"], color=color[main], linewidth=1.0, alpha=0.8,
                    label=main)  # fmt: skip
        bottom.plot(x, frame["beta"], color=color[name], linewidth=1.3)
        bottom.axhline(1.0, color="#888888", linewidth=0.8, linestyle=":")
        bottom.set_title(f"{window}-session beta of {name} against {main}", loc="left",
                         fontsize=10)  # fmt: skip
    middle.axhline(0.0, color="#555555", linewidth=0.8)
    middle.set_title(f"{window}-session Sharpe ratio", loc="left", fontsize=10)
    middle.legend(loc="upper left", fontsize=8.5, ncols=2)
    for ax in (top, middle, bottom):
        ax.grid(True, color="#d0d5db", linewidth=0.7)
    date_axis(bottom)
    return fig


def rolling_png(inp: ReportInput) -> bytes:
    return png(rolling_figure(inp))
