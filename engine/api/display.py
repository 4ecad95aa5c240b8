"""What the result objects share: numeric statistics, a figure, a compact HTML summary."""

from __future__ import annotations

import datetime as dt
import html
import textwrap
from typing import TYPE_CHECKING, Any

import pandas as pd

from engine.report.toolkit.format import format_stats
from engine.stats.metrics import METRICS, drawdown

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn
    from matplotlib.figure import Figure

__all__ = [
    "DATE_ROWS",
    "SUMMARY_ROWS",
    "StatsTable",
    "claims_text",
    "curves_figure",
    "numeric_stats",
    "summary_html",
    "summary_text",
]

DATE_ROWS = ("start", "end")  # kept apart (`.period`) so that `.stats` is all numbers
SUMMARY_ROWS = ("cagr", "ann_volatility", "sharpe", "max_drawdown", "turnover")


class StatsTable(pd.DataFrame):
    """Metrics x runs, all float64, shown with counts (sessions, rebalances) as whole numbers.

    pandas formats a float column with one number of decimals, so `max_drawdown_sessions` would
    print as `840.0000`; only the display differs, the values and dtypes are the frame's. Any
    operation on it returns a plain DataFrame (pandas' documented subclassing hooks).
    """

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    def _shown(self) -> pd.DataFrame:
        shown = pd.DataFrame(self).astype(object)
        for key in shown.index:
            whole = METRICS.get(str(key), ("", ""))[1] == "int"
            shown.loc[key] = [_plain(v, whole) for v in self.loc[key]]
        return shown

    def __repr__(self) -> str:
        return repr(self._shown())

    def _repr_html_(self) -> str | None:
        return self._shown()._repr_html_()


def _plain(value: object, whole: bool) -> str:
    """A float as pandas would show it alone; a count without decimals."""
    number = float(value)  # type: ignore[arg-type]
    if number != number:
        return "NaN"
    if whole and number.is_integer():
        return f"{int(number):,d}".replace(",", "")
    return f"{number:.6g}"


def numeric_stats(stats: pd.DataFrame) -> pd.DataFrame:
    """Metrics x runs as floats: the report's table without its date rows."""
    table = stats.drop(index=[r for r in DATE_ROWS if r in stats.index]).astype(float)
    table.columns = [str(c) for c in table.columns]
    table.columns.name = "run"
    return StatsTable(table)


def curves_figure(equity: pd.DataFrame, title: str, highlight: list[str]) -> Figure:
    """Growth (log scale) and drawdown of every column, the `highlight` ones drawn bold.

    A `matplotlib.figure.Figure` made without pyplot, so no global figure state leaks into the
    caller's session; Jupyter shows it as the cell's value, `fig.savefig(...)` writes it.
    """
    from matplotlib.figure import Figure

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
        f"{shown.to_html(escape=True)}" + (f"<ul>{notes}</ul>" if notes else "") + "</div>"
    )


def summary_text(title: str, period: tuple[object, object], stats: pd.DataFrame, lines=()) -> str:
    """The plain-text twin of `summary_html` (for `print(result)` outside Jupyter): the answer
    lines first, then the key metrics of every run."""
    from tabulate import tabulate

    keys = [k for k in SUMMARY_ROWS if k in stats.index]
    shown = format_stats(stats.loc[keys]) if keys else stats
    table = tabulate(
        shown.reset_index().values.tolist(),
        headers=["", *map(str, shown.columns)],
        tablefmt="simple",
        disable_numparse=True,
        colalign=("left", *(["right"] * len(shown.columns))),
    )
    text = [f"{title}: {_iso(period[0])} to {_iso(period[1])}"]
    text += [
        textwrap.fill(str(line), 100, initial_indent="- ", subsequent_indent="  ") for line in lines
    ]
    return "\n".join([*text, table])


def claim_block(result: Any) -> list[str]:
    """One claim in plain text: its title, the quotes, the answer and the verdict with n."""
    lines = [f"{result.name}: {result.title}"]
    for quote in result.quotes:
        lines += textwrap.wrap(f'"{quote}"', 100, initial_indent="  ", subsequent_indent="   ")
    for sentence in result.headline or [result.findings[0].label]:
        lines += textwrap.wrap(sentence, 100, initial_indent="  - ", subsequent_indent="    ")
    n = result.findings[0].n if result.findings else 0
    lines.append(f"  Verdict: {result.verdict_label}, n = {n}")
    return lines


def claims_text(results: list[Any], verbose: bool = False) -> str:
    """One block per claim (with `verbose`, each claim's full statement: definition and every
    finding), nothing repeated: the `claims` command's output and `print()` of a claim result."""
    if verbose:
        from engine.claim_checks.summary import claim_summary

        return "\n\n".join(claim_summary(r) for r in results)
    return "\n\n".join("\n".join(claim_block(r)) for r in results)
