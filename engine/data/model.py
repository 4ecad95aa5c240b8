"""What the data layer hands to the rest of the engine: aligned prices plus their provenance."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

FIELDS = ("open", "high", "low", "close", "adj_close", "volume")
Severity = Literal["info", "warning", "error"]


@dataclass(frozen=True)
class SourceInfo:
    """Where one ticker's history came from, for run.json and `data status`."""

    ticker: str
    provider: str  # "mirror" | "yfinance": who produced the bytes
    origin: str  # the mirror file path, or "Yahoo Finance (yfinance X.Y)"
    fetched_at: str  # ISO-8601 UTC time the provider was read
    first: str  # first date in the stored history (ISO)
    last: str  # last date in the stored history (ISO)
    rows: int
    served_from_cache: bool  # True when this run read it from data_cache/
    close_only: bool  # no open/high/low in the source


@dataclass(frozen=True)
class DataIssue:
    """A finding of validation: reported, never silently fixed."""

    ticker: str
    kind: str  # e.g. "duplicate_dates", "non_positive_price", "missing_sessions", "starts_late"
    severity: Severity
    message: str
    dates: tuple[str, ...] = ()  # the affected dates (ISO), possibly truncated by the producer


@dataclass
class MarketData:
    """Daily prices for several tickers, each field a frame indexed by NYSE session.

    Every frame shares the same index (NYSE sessions in the requested range) and columns (the
    tickers, in the order asked). A missing price is NaN: nothing is filled unless the data
    settings allow a bounded forward fill, and then every fill is listed in `issues`.
    """

    fields: dict[str, pd.DataFrame]
    sources: dict[str, SourceInfo] = field(default_factory=dict)
    issues: list[DataIssue] = field(default_factory=list)

    @property
    def index(self) -> pd.DatetimeIndex:
        return self.fields["adj_close"].index

    @property
    def tickers(self) -> list[str]:
        return list(self.fields["adj_close"].columns)

    @property
    def adj_close(self) -> pd.DataFrame:
        """Total-return prices (dividends and splits adjusted): what returns are computed from."""
        return self.fields["adj_close"]

    def field(self, name: str) -> pd.DataFrame:
        """One field; 'adj_open' (open scaled by the day's adj_close/close) is derived on demand."""
        if name == "adj_open":
            return self.fields["open"] * (self.fields["adj_close"] / self.fields["close"])
        if name not in self.fields:
            raise KeyError(f"unknown price field {name!r}; known: {', '.join(FIELDS)}, adj_open")
        return self.fields[name]

    def first_valid(self) -> pd.Series:
        """First session with an adjusted close, per ticker (NaT if none)."""
        return self._valid_bound(last=False)

    def last_valid(self) -> pd.Series:
        """Last session with an adjusted close, per ticker (NaT if none)."""
        return self._valid_bound(last=True)

    def _valid_bound(self, last: bool) -> pd.Series:
        frame = self.adj_close
        if not len(frame):
            return pd.Series(pd.NaT, index=frame.columns, dtype=frame.index.dtype)
        valid = ~np.isnan(frame.to_numpy(dtype=np.float64))
        pos = len(frame) - 1 - valid[::-1].argmax(axis=0) if last else valid.argmax(axis=0)
        bound = frame.index.to_numpy()[pos]
        bound[~valid.any(axis=0)] = np.datetime64("NaT")
        return pd.Series(bound, index=frame.columns)

    def select(
        self, tickers: list[str] | None = None, start: object = None, end: object = None
    ) -> MarketData:
        """A view restricted to some tickers and/or sessions; provenance is kept."""
        cols = tickers if tickers is not None else self.tickers
        sliced = {k: v.loc[start:end, cols] for k, v in self.fields.items()}
        keep = set(cols)
        return MarketData(
            fields=sliced,
            sources={t: s for t, s in self.sources.items() if t in keep},
            issues=[i for i in self.issues if i.ticker in keep],
        )

    def for_strategy(self) -> MarketData:
        """The data as a strategy receives it: new frame objects sharing the prices under
        pandas' copy-on-write, so a rule that changes its frames in place (adds a column,
        scales a price) changes only its own copy; the arrays it reads are read-only."""
        return MarketData(
            fields={k: v.copy(deep=False) for k, v in self.fields.items()},
            sources=dict(self.sources),
            issues=list(self.issues),
        )

    def fingerprint(self) -> str:
        """SHA-256 of every price used (index, columns and values), for run.json."""
        digest = hashlib.sha256()
        for name in sorted(self.fields):
            frame = self.fields[name]
            digest.update(name.encode())
            digest.update(",".join(map(str, frame.columns)).encode())
            digest.update(np.asarray(frame.index.asi8, dtype=np.int64).tobytes())
            digest.update(np.ascontiguousarray(frame.to_numpy(dtype=np.float64)).tobytes())
        return digest.hexdigest()
