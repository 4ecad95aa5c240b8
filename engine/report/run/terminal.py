"""The compact summary of a single run printed in the terminal: key metrics, one column per
series (engine.report.run.writer writes the report folder)."""

from __future__ import annotations

from tabulate import tabulate

from engine.report.model import ReportInput
from engine.report.run.narrative import strategy_first
from engine.report.toolkit.format import format_stats, iso

__all__ = ["RISK_RETURN_METRICS", "SUMMARY_METRICS", "abbreviate", "render_terminal_summary"]

# Risk and return: the comparison's terminal summary, and the first rows of a single run's.
RISK_RETURN_METRICS = ("cagr", "ann_volatility", "sharpe", "sortino", "max_drawdown", "calmar")
SUMMARY_METRICS = (
    *RISK_RETURN_METRICS,
    "total_return",
    "turnover",
    "time_in_market",
    "best_year",
    "worst_year",
)
SUMMARY_WIDTH = 120  # characters the table aims to fit in
MIN_NAME_WIDTH = 5  # series names are never cut shorter than this


def abbreviate(name: str, width: int) -> str:
    """`name` cut to `width` characters, keeping its start and end ('50/50 IWM~monthly')."""
    if len(name) <= width:
        return name
    if width <= 3:
        return name[:width]
    tail = (width - 1) // 3
    head = width - 1 - tail
    return f"{name[:head]}~{name[len(name) - tail :]}"


def render_terminal_summary(inp: ReportInput) -> str:
    """Key metrics of the strategy and its benchmarks as a plain-text table, one column each."""
    keys = [k for k in SUMMARY_METRICS if k in inp.stats.index]
    table = format_stats(strategy_first(inp.stats, inp.strategy.name).loc[keys])
    names = [str(c) for c in table.columns]
    labels = [str(label) for label in table.index]
    rows = [[label, *map(str, table.iloc[i])] for i, label in enumerate(labels)]

    def render(width: int) -> str:
        return tabulate(
            rows,
            headers=["", *(abbreviate(name, width) for name in names)],
            tablefmt="simple",
            disable_numparse=True,
            colalign=("left", *(["right"] * len(names))),
        )

    # Shorten the series names until the table fits (the values themselves are never cut).
    width = max((len(name) for name in names), default=0)
    body = render(width)
    while width > MIN_NAME_WIDTH and max(map(len, body.splitlines())) > SUMMARY_WIDTH:
        width -= 1
        body = render(width)
    header = f"{inp.title}: {iso(inp.period[0])} to {iso(inp.period[1])}"
    return f"{header}\n{body}"
