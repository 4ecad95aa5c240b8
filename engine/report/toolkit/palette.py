"""One colour per series and per ticker, the same in every chart of every report kind.

The strategy (or the first compared strategy) is always dark blue; further compared strategies
take strong colours no ticker uses. Benchmarks and tickers are keyed by name: a ticker has one
colour everywhere (SPY near-black, IWM orange), and a benchmark holding one ticker ("SPY buy &
hold") takes its ticker's colour, so SPY is the same line in the equity chart and the same layer
in the allocation chart. Other names get a colour from their text (stable across runs). Within
one chart a clash moves the later name to the next free colour. Cash is light grey everywhere.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

__all__ = [
    "CASH",
    "MAIN_BENCHMARK",
    "OTHER",
    "STRATEGY",
    "run_colors",
    "series_color",
    "ticker_colors",
]

STRATEGY = "#1f4e9c"
MAIN_BENCHMARK = "#3b3b3b"  # SPY's colour
CASH = "#d9d9d9"
OTHER = "#a6a6a6"  # small weights grouped in an allocation chart
# Further strategies: strong colours that no ticker or benchmark takes.
STRATEGIES = ("#d62728", "#2ca02c", "#9467bd", "#00796b", "#ad1457", "#5d4037")
# Tickers and benchmarks: muted, distinct from the strategies' colours.
TICKERS = (
    "#e08214", "#8c6d31", "#bcbd22", "#17becf", "#e377c2", "#c49c94", "#f2c14e", "#5f9ea0",
    "#ff9896", "#9edae5", "#dbdb8d", "#7f7f7f",
)  # fmt: skip
KNOWN = {
    "SPY": MAIN_BENCHMARK, "^GSPC": "#5c5c5c", "IWM": TICKERS[0], "^RUT": "#f4a259",
    "QQQ": TICKERS[1], "TLT": TICKERS[3], "GLD": TICKERS[6], "SHV": TICKERS[5],
    "BIL": TICKERS[9], "IJR": TICKERS[2], "MDY": TICKERS[7], "RSP": TICKERS[4],
}  # fmt: skip
_TICKER = re.compile(r"^\^?[A-Z][A-Z0-9.]{0,5}$")


def _keyed(name: str) -> str:
    """The colour `name` always has: its own if a known ticker, its single ticker's if it
    names one ("SPY buy & hold"), else one picked from its text."""
    if name in KNOWN:
        return KNOWN[name]
    tickers = [w for w in re.split(r"[\s/]+", name) if _TICKER.match(w)]
    if len(tickers) == 1 and tickers[0] in KNOWN:
        return KNOWN[tickers[0]]
    key = tickers[0] if len(tickers) == 1 else name
    return TICKERS[zlib.crc32(key.encode()) % len(TICKERS)]


def series_color(name: str, taken: Iterable[str] = ()) -> str:
    """The keyed colour of `name`, or the next palette colour not in `taken` if it clashes."""
    used = set(taken)
    color = _keyed(name)
    if color not in used:
        return color
    start = TICKERS.index(color) if color in TICKERS else 0
    for step in range(len(TICKERS)):
        candidate = TICKERS[(start + step) % len(TICKERS)]
        if candidate not in used:
            return candidate
    return color


def run_colors(strategies: Iterable[str], benchmarks: Iterable[str]) -> dict[str, str]:
    """Series name -> colour: the first strategy blue, the others strong colours in turn, the
    benchmarks keyed by name."""
    out: dict[str, str] = {}
    for i, name in enumerate(strategies):
        out[name] = STRATEGY if i == 0 else STRATEGIES[(i - 1) % len(STRATEGIES)]
    for name in benchmarks:
        if name not in out:
            out[name] = series_color(str(name), out.values())
    return out


def ticker_colors(tickers: Iterable[str]) -> dict[str, str]:
    """Ticker -> colour (keyed, as in `run_colors`), in order of first appearance; `cash` is
    always light grey and `other` mid grey."""
    out: dict[str, str] = {"cash": CASH, "other": OTHER}
    for ticker in tickers:
        if ticker not in out:
            out[ticker] = series_color(str(ticker), out.values())
    del out["other"]
    return out
