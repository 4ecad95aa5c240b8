"""The kinds of claim computation. A claim file names its kind; the kind knows which tickers to
load, how far back, and how to turn prices into events, tables and findings.

Every kind has the same skeleton (`Kind`): a *study* (prices -> the per-event frame its
findings read, computed once), the *findings* read off that study, the sentences that *describe*
the definition, and the *extras* shown beside them (events, tables, notes, period). The result
header (name, title, kind, quotes, definition) is written once, here, for every kind.

Each kind module exposes `KIND`, which holds the kind's pydantic model (written in the same
module, beside the code that reads it). Kinds are discovered: adding a kind is adding a module
here; nothing lists them.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from engine.claim_checks.definitions import ClaimBase
from engine.claim_checks.result import ClaimResult, Finding
from engine.data.model import MarketData

__all__ = ["Extras", "Kind", "registry", "yearly_data_start"]


@dataclass
class Extras:
    """What a result shows beside its findings."""

    events: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    period: tuple[str, str] = ("", "")
    answer: list[str] = field(default_factory=list)  # lines added to the headline's answer


def claim_data_source(defn: ClaimBase) -> str:
    """The data a claim reads: its `data_source` where its kind lets it choose ("factors": the
    monthly Fama/French factors), else daily prices (`engine.data.load_market_data`)."""
    return str(getattr(defn, "data_source", "prices"))


def yearly_data_start(defn: ClaimBase) -> dt.date:
    """Yearly kinds need the prior year-end close of their first year: load from December."""
    return dt.date(defn.start_year - 1, 12, 1)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Kind:
    """One kind of claim computation (see the module docstring)."""

    model: type[ClaimBase]  # the claim file's keys for this kind (a ClaimBase subclass)
    name: str
    tickers: Callable[[ClaimBase], list[str]]  # every ticker the definition reads
    study: Callable[[MarketData, ClaimBase], Any]  # the per-event frame the findings read
    findings_of: Callable[[Any, MarketData, ClaimBase], list[Finding]]  # headline statistics
    describe: Callable[[ClaimBase], list[str]]  # the exact definition, one sentence each
    extras: Callable[[Any, MarketData, ClaimBase], Extras]
    data_start: Callable[[ClaimBase], dt.date | None] = yearly_data_start  # None = all
    # "prices" (daily, by ticker) or "factors" (the monthly Fama/French factors)
    data_source: Callable[[ClaimBase], str] = claim_data_source

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
            headline=list(extras.answer),
        )


def registry() -> dict[str, Kind]:
    """Kind name -> Kind, for every module of this package that defines `KIND` (imported
    lazily: the CLI's --list needs none of the computations)."""
    found: dict[str, Kind] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        kind = getattr(module, "KIND", None)
        if not isinstance(kind, Kind):
            continue
        if kind.name in found:
            raise RuntimeError(f"two claim kind modules define the kind {kind.name!r}")
        found[kind.name] = kind
    return found
