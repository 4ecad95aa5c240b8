"""early_window: "a first week up points to a bull year".

Each calendar year: the market's return over its opening window (the first N sessions, or
January) from the anchor (prior year-end close, or day-1 close). "Up" means strictly above 0.
Outcomes: the full-year return (prior year-end close to the year's last close) and the
rest-of-year return (window's last close to the year's last close). The full-year return
contains the window itself, so part of any link is mechanical; the rest-of-year return is the
fair test of a forecast. Incomplete years are listed, not counted.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from engine.claims import years as Y
from engine.claims.definitions import ClaimBase, EarlyWindow
from engine.claims.kinds import Kind
from engine.claims.result import ClaimResult, Finding
from engine.claims.studies import share_finding, yearly_mean_finding
from engine.data.model import MarketData

OUTCOMES = {"full_year": "full-year", "rest_of_year": "rest-of-year"}


def tickers(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, EarlyWindow)
    return [defn.ticker]


def data_start(defn: ClaimBase) -> dt.date:
    assert isinstance(defn, EarlyWindow)
    return dt.date(defn.start_year - 1, 12, 1)


def yearly_table(data: MarketData, defn: EarlyWindow) -> pd.DataFrame:
    px = Y.Prices(data.field(defn.price_field)[defn.ticker])
    rows = []
    for ys in Y.year_slices(data.index, defn.start_year, defn.end_year):
        anchor = Y.anchor_position(ys, defn.anchor)
        end_w = Y.window_end(ys, defn.window)
        window_ret = Y.returned(px.at(anchor), px.at(end_w))
        complete = px.complete(ys)
        end = px.at(ys.last) if complete else float("nan")
        rows.append(
            {
                "year": ys.year,
                "anchor_date": ys.date(anchor),
                "window_end": ys.date(end_w),
                "window_ret": window_ret,
                "signal_up": bool(window_ret > 0) if np.isfinite(window_ret) else None,
                "complete": complete,
                "year_end_date": ys.date(ys.last),
                "full_year_ret": Y.returned(px.at(ys.prior), end),
                "rest_of_year_ret": Y.returned(px.at(end_w), end),
            }
        )
    table = pd.DataFrame(rows).set_index("year")
    for col in ("signal_up", "complete"):
        table[col] = table[col].astype("boolean")
    return table


def _counted(table: pd.DataFrame, outcome: str) -> pd.DataFrame:
    col = f"{outcome}_ret"
    return table[table["signal_up"].notna() & table[col].notna()]


def _findings(table: pd.DataFrame, defn: EarlyWindow) -> list[Finding]:
    col = f"{defn.outcome}_ret"
    counted = _counted(table, defn.outcome)
    up = counted[counted["signal_up"].fillna(False)]
    down = counted[~counted["signal_up"].fillna(True)]
    span = f"{counted.index.min()}-{counted.index.max()}" if len(counted) else "none"
    base = float((counted[col] > 0).mean()) if len(counted) else np.nan
    what = OUTCOMES[defn.outcome]
    win = Y.window_phrase(defn.window)
    was = "was" if defn.window == "january" else "were"
    base_label = f"{defn.ticker} {what} return above 0 in {len(counted)} years ({span})"
    return [
        share_finding(
            "up_window_up_outcome",
            f"{defn.ticker} {what} return above 0 in years whose {win} {was} up",
            hits=int((up[col] > 0).sum()),
            n=len(up),
            base=base,
            base_n=len(counted),
            base_label=base_label,
            direction=defn.direction,
            settings=defn.stats,
        ),
        share_finding(
            "down_window_up_outcome",
            f"{defn.ticker} {what} return above 0 in years whose {win} {was} down",
            hits=int((down[col] > 0).sum()),
            n=len(down),
            base=base,
            base_n=len(counted),
            base_label=base_label,
            direction="none",
            settings=defn.stats,
        ),
        yearly_mean_finding(
            "mean_up_vs_down",
            f"Mean {what} return of {defn.ticker}: years with {win} up vs down",
            up[col].to_numpy(),
            down[col].to_numpy(),
            f"years whose {win} {was} down",
            defn.direction,
            defn.stats,
            seed_key=f"{defn.name}-{defn.outcome}-{defn.window}-{defn.start_year}",
        ),
    ]


def findings(data: MarketData, defn: ClaimBase) -> list[Finding]:
    assert isinstance(defn, EarlyWindow)
    return _findings(yearly_table(data, defn), defn)


def _summary(table: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for outcome in OUTCOMES:
        counted = _counted(table, outcome)
        col = f"{outcome}_ret"
        for label, part in (
            ("up", counted[counted["signal_up"].fillna(False)]),
            ("down", counted[~counted["signal_up"].fillna(True)]),
            ("all", counted),
        ):
            rows.append(
                {
                    "outcome": outcome,
                    "window": label,
                    "years": len(part),
                    "share_up": float((part[col] > 0).mean()) if len(part) else np.nan,
                    "mean_ret": float(part[col].mean()) if len(part) else np.nan,
                    "median_ret": float(part[col].median()) if len(part) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def describe(defn: EarlyWindow) -> list[str]:
    anchor = "the prior year-end close" if defn.anchor == "prior_close" else "day 1's close"
    return [
        f"{defn.ticker} ({defn.price_field} prices), years {defn.start_year} to "
        f"{defn.end_year or 'the latest'}.",
        f"Signal: the return from {anchor} to the close of {Y.window_text(defn.window)} is "
        "strictly above 0 ('up'), else 'down'.",
        f"Outcome: the {OUTCOMES[defn.outcome]} return above 0 (full year: prior year-end "
        "close to the year's last close; rest of year: the window's last close to the year's "
        "last close).",
        "Base rate: the outcome over every counted year. Incomplete years are left out.",
    ]


def compute(data: MarketData, defn: ClaimBase) -> ClaimResult:
    assert isinstance(defn, EarlyWindow)
    table = yearly_table(data, defn)
    notes = []
    incomplete = table.index[~table["complete"].fillna(False)]
    if len(incomplete):
        notes.append(
            f"Incomplete year(s) left out: {', '.join(map(str, incomplete))} (the year's last "
            "session is not in the data)."
        )
    if defn.outcome == "full_year":
        notes.append(
            "The full-year return contains the signal window itself, so an up window makes an "
            "up year more likely mechanically; the rest-of-year rows of the sensitivity table "
            "test the forecast without that overlap."
        )
    return ClaimResult(
        name=defn.name,
        title=defn.title,
        kind=defn.kind,
        quotes=list(defn.quotes),
        definition=describe(defn),
        findings=_findings(table, defn),
        events=table,
        tables={"summary": _summary(table)},
        notes=notes,
        period=Y.table_period(
            table, [Y.Prices(data.field(defn.price_field)[defn.ticker])], data.index
        ),
    )


KIND = Kind(
    name="early_window", tickers=tickers, data_start=data_start, findings=findings, compute=compute
)
