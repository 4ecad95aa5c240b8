"""The kinds of claim computation. A claim file names its kind; the kind knows which tickers to
load, how far back, and how to turn prices into events, tables and findings.

Every kind has the same skeleton (`Kind`): a *study* (prices -> the per-event frame its
findings read, computed once), the *findings* read off that study, the sentences that *describe*
the definition, and the *extras* shown beside them (events, tables, notes, period). The result
header (name, title, kind, quotes, definition) is written once, here, for every kind.

Each kind module exposes `KIND`; adding a kind is adding a module here and its model in
`engine.claims.definitions`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from engine.claims.definitions import ClaimBase
from engine.claims.result import ClaimResult, Finding
from engine.data.model import MarketData

__all__ = ["Extras", "Kind", "registry", "yearly_data_start"]


@dataclass
class Extras:
    """What a result shows beside its findings."""

    events: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    period: tuple[str, str] = ("", "")


def yearly_data_start(defn: ClaimBase) -> dt.date:
    """Yearly kinds need the prior year-end close of their first year: load from December."""
    return dt.date(defn.start_year - 1, 12, 1)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Kind:
    """One kind of claim computation (see the module docstring)."""

    name: str
    tickers: Callable[[ClaimBase], list[str]]  # every ticker the definition reads
    study: Callable[[MarketData, ClaimBase], Any]  # the per-event frame the findings read
    findings_of: Callable[[Any, MarketData, ClaimBase], list[Finding]]  # headline statistics
    describe: Callable[[ClaimBase], list[str]]  # the exact definition, one sentence each
    extras: Callable[[Any, MarketData, ClaimBase], Extras]
    data_start: Callable[[ClaimBase], dt.date | None] = yearly_data_start  # None = all

    def findings(self, data: MarketData, defn: ClaimBase) -> list[Finding]:
        """The headline statistics alone (what the sensitivity table recomputes)."""
        return self.findings_of(self.study(data, defn), data, defn)

    def compute(self, data: MarketData, defn: ClaimBase) -> ClaimResult:
        """Findings, events, tables and notes, from one study."""
        study = self.study(data, defn)
        extras = self.extras(study, data, defn)
        return ClaimResult(
            name=defn.name,
            title=defn.title,
            kind=defn.kind,
            quotes=list(defn.quotes),
            definition=self.describe(defn),
            findings=self.findings_of(study, data, defn),
            events=extras.events,
            tables=extras.tables,
            notes=extras.notes,
            period=extras.period,
        )


def registry() -> dict[str, Kind]:
    """Kind name -> Kind (imported lazily: the CLI's --list needs none of them)."""
    from engine.claims.kinds import early_window, leadership, relative_start, rsi, streak

    kinds = [leadership.KIND, streak.KIND, rsi.KIND, early_window.KIND, relative_start.KIND]
    return {k.name: k for k in kinds}
