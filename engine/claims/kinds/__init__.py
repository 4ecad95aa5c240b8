"""The kinds of claim computation. A claim file names its kind; the kind knows which tickers to
load, how far back, and how to turn prices into events, tables and findings.

Each kind module exposes `KIND`; adding a kind is adding a module here and its model in
`engine.claims.definitions`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from engine.claims.definitions import ClaimBase
from engine.claims.result import ClaimResult, Finding
from engine.data.model import MarketData


@dataclass(frozen=True)
class Kind:
    name: str
    tickers: Callable[[ClaimBase], list[str]]  # every ticker the definition reads
    data_start: Callable[[ClaimBase], dt.date | None]  # first date to load (None = all)
    findings: Callable[[MarketData, ClaimBase], list[Finding]]  # the headline statistics
    compute: Callable[[MarketData, ClaimBase], ClaimResult]  # findings, events, tables, notes


def registry() -> dict[str, Kind]:
    """Kind name -> Kind (imported lazily: the CLI's --list needs none of them)."""
    from engine.claims.kinds import early_window, leadership, relative_start, rsi, streak

    kinds = [leadership.KIND, streak.KIND, rsi.KIND, early_window.KIND, relative_start.KIND]
    return {k.name: k for k in kinds}
