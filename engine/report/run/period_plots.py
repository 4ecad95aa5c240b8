"""The single-run report's calendar and rolling views: calendar-year bars beside the
benchmarks, the monthly returns heatmap, and the rolling 12-month return difference, Sharpe
ratio and beta against the main benchmark. Colours as in engine.report.run.plots."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib import ticker as mticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from engine.report.model import ReportInput
from engine.report.run.plots import colors
from engine.report.toolkit.charts import (
    DPI,
    annotated_heatmap,
    date_axis,
    new_figure,
    percent_text,
    png,
)
from engine.stats.metrics import (
    PERIODS_PER_YEAR,
    monthly_returns,
    rolling_beta,
    rolling_return,
    rolling_sharpe,
)

__all__ = [
    "monthly_heatmap_figure",
    "monthly_png",
    "rolling_figure",
    "rolling_frame",
    "rolling_png",
    "yearly_bars_figure",
    "yearly_png",
]

ROLLING = PERIODS_PER_YEAR  # sessions in the rolling windows (12 months)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


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
    from engine.report.run.narrative import strategy_first

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
