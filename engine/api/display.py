"""What the result objects share: numeric statistics, a figure, a compact HTML summary."""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd
from matplotlib.figure import Figure

from engine.metrics import drawdown
from engine.report.toolkit.format import format_stats

__all__ = ["DATE_ROWS", "SUMMARY_ROWS", "curves_figure", "numeric_stats", "summary_html"]

DATE_ROWS = ("start", "end")  # kept apart (`.period`) so that `.stats` is all numbers
SUMMARY_ROWS = ("cagr", "ann_volatility", "sharpe", "max_drawdown", "turnover")


def numeric_stats(stats: pd.DataFrame) -> pd.DataFrame:
    """Metrics x runs as floats: the report's table without its date rows."""
    table = stats.drop(index=[r for r in DATE_ROWS if r in stats.index]).astype(float)
    table.columns = [str(c) for c in table.columns]
    table.columns.name = "run"
    return table


def curves_figure(equity: pd.DataFrame, title: str, highlight: list[str]) -> Figure:
    """Growth (log scale) and drawdown of every column, the `highlight` ones drawn bold.

    A `matplotlib.figure.Figure` made without pyplot, so no global figure state leaks into the
    caller's session; Jupyter shows it as the cell's value, `fig.savefig(...)` writes it.
    """
    fig = Figure(figsize=(10, 7), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    for name in equity.columns:
        values = equity[name].dropna()
        values = values[values > 0]
        if values.empty:
            continue
        bold = name in highlight
        style = {"linewidth": 1.8 if bold else 1.0, "alpha": 1.0 if bold else 0.8}
        top.plot(values.index, values.to_numpy(), label=str(name), **style)
        bottom.plot(values.index, drawdown(values).to_numpy() * 100.0, label=str(name), **style)
    top.set_yscale("log")
    top.set_ylabel("equity (log scale)")
    top.set_title(title)
    top.legend(loc="upper left", fontsize=8)
    top.grid(True, color="#d0d5db", linewidth=0.6)
    bottom.set_ylabel("drawdown (%)")
    bottom.grid(True, color="#d0d5db", linewidth=0.6)
    return fig


def _iso(value: object) -> str:
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()[:10]
    return str(value)


def summary_html(title: str, period: tuple[object, object], stats: pd.DataFrame, lines=()) -> str:
    """A heading, the period, key metrics of every run and a few lines of notes."""
    keys = [k for k in SUMMARY_ROWS if k in stats.index]
    shown = format_stats(stats.loc[keys]) if keys else stats
    notes = "".join(f"<li>{html.escape(str(line))}</li>" for line in lines)
    return (
        f"<div><b>{html.escape(title)}</b>: {_iso(period[0])} to {_iso(period[1])}"
        f"{shown.to_html(escape=True)}"
        + (f"<ul>{notes}</ul>" if notes else "")
        + "</div>"
    )
