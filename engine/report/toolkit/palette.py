"""One colour per run and one per ticker across every chart of a report.

The strategy (or the first compared strategy) is always dark blue, the main benchmark always
grey-black, so a reader learns them once; the other series and the tickers take colours from
palettes that keep apart from those two. Cash is light grey everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CASH", "MAIN_BENCHMARK", "STRATEGY", "run_colors", "ticker_colors"]

STRATEGY = "#1f4e9c"
MAIN_BENCHMARK = "#3b3b3b"
CASH = "#d9d9d9"
# Further strategies: strong colours (matplotlib tab10 without its blue and grey).
STRATEGIES = ("#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
# Further benchmarks: muted, so the strategies stand out.
BENCHMARKS = ("#c08a3e", "#6f9f8f", "#a88bb8", "#b0766c", "#8fa3bf")
# Tickers: a qualitative palette (tab20's strong then light halves, blue first for SPY-like
# cores), assigned in the order the tickers first appear in the report.
TICKERS = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#1f77b4", "#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#dbdb8d", "#9edae5", "#17becf",
)  # fmt: skip


def run_colors(strategies: Iterable[str], benchmarks: Iterable[str]) -> dict[str, str]:
    """Series name -> colour: the first strategy blue, the main (first) benchmark near black."""
    out: dict[str, str] = {}
    for i, name in enumerate(strategies):
        out[name] = STRATEGY if i == 0 else STRATEGIES[(i - 1) % len(STRATEGIES)]
    for i, name in enumerate(benchmarks):
        out.setdefault(name, MAIN_BENCHMARK if i == 0 else BENCHMARKS[(i - 1) % len(BENCHMARKS)])
    return out


def ticker_colors(tickers: Iterable[str]) -> dict[str, str]:
    """Ticker -> colour, in order of first appearance; `cash` is always light grey."""
    out: dict[str, str] = {"cash": CASH}
    for ticker in tickers:
        if ticker not in out:
            out[ticker] = TICKERS[(len(out) - 1) % len(TICKERS)]
    return out
