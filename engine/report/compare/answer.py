"""A comparison's answer in plain words, said first in the terminal and the report: which
strategy made the most and the least over the common period, and how many beat the main
benchmark's Sharpe ratio. It states the figures only; whether a difference could be luck is
what each strategy's own run tests (its verdicts)."""

from __future__ import annotations

import math

import pandas as pd

from engine.report.toolkit.format import format_value, iso

__all__ = ["compare_answer"]


def _figures(stats: pd.DataFrame, name: str) -> str:
    cagr, sharpe = stats.loc["cagr", name], stats.loc["sharpe", name]
    return f"{format_value(cagr, 'pct')} a year, Sharpe {format_value(sharpe, 'ratio')}"


def compare_answer(
    stats: pd.DataFrame, labels: list[str], benchmarks: list[str], period: tuple
) -> str:
    """One or two sentences from `stats` (metric rows, one column per series)."""
    if "cagr" not in stats.index or "sharpe" not in stats.index or not labels:
        return ""

    def order(name: str) -> float:  # highest CAGR first, undefined last
        cagr = float(stats.loc["cagr", name])
        return -cagr if math.isfinite(cagr) else math.inf

    by_cagr = sorted(labels, key=order)
    top, bottom = by_cagr[0], by_cagr[-1]
    text = f"From {iso(period[0])} to {iso(period[1])}, {top} made the most "
    text += f"({_figures(stats, top)})"
    if bottom != top:
        text += f" and {bottom} the least ({_figures(stats, bottom)})"
    if not benchmarks:
        return text + "."
    main = benchmarks[0]
    bar = stats.loc["sharpe", main]
    beat = [n for n in labels if stats.loc["sharpe", n] > bar]
    text += f"; {main} made {_figures(stats, main)}. "
    if len(labels) == 1:
        verdict = "has a higher" if beat else "does not have a higher"
        return text + f"{labels[0]} {verdict} Sharpe ratio than {main}."
    if not beat:
        return text + f"None of the {len(labels)} has a higher Sharpe ratio than {main}."
    names = ", ".join(beat)
    return text + f"{len(beat)} of {len(labels)} have a higher Sharpe ratio than {main} ({names})."
