"""early_window: "a first week up points to a bull year".

The yearly-window study (`yearly_window`) on one series: a year's signal is its window return
strictly above 0 ("up"); outcomes are the full-year or rest-of-year return above 0. The full-year
return contains the window itself, so part of any link is mechanical; the rest-of-year return is
the fair test of a forecast. Incomplete years are listed, not counted.
"""

from __future__ import annotations

from functools import partial
from typing import Literal

import pandas as pd
from pydantic import Field

from engine.claim_checks import years as Y
from engine.claim_checks.definitions import ClaimBase, PriceField, SideDirection, Window
from engine.claim_checks.kinds import Kind
from engine.claim_checks.kinds import yearly_window as W
from engine.claim_checks.result import Finding
from engine.data.model import MarketData


class EarlyWindow(ClaimBase):
    """The market's direction over the year's first sessions vs the rest of the year."""

    kind: Literal["early_window"]
    ticker: str = "^GSPC"
    price_field: PriceField = "close"
    window: Window = 5
    anchor: Literal["prior_close", "first_close"] = "prior_close"
    outcome: Literal["full_year", "rest_of_year"] = "full_year"
    direction: SideDirection = "above_base"
    start_year: int = Field(default=1950, ge=1929, le=2100)
    end_year: int | None = Field(default=None, ge=1929, le=2100)


FULL_YEAR_NOTE = (
    "The full-year return contains the signal window itself, so an up window makes an up year "
    "more likely mechanically; the rest-of-year rows of the sensitivity table test the forecast "
    "without that overlap."
)


def _series(defn: ClaimBase) -> list[tuple[str, str]]:
    assert isinstance(defn, EarlyWindow)
    return [(defn.ticker, defn.price_field)]


def tickers(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, EarlyWindow)
    return [defn.ticker]


def yearly_table(data: MarketData, defn: ClaimBase) -> pd.DataFrame:
    assert isinstance(defn, EarlyWindow)
    table = W.window_table(
        data, _series(defn), defn.start_year, defn.end_year, defn.window, defn.anchor
    )
    return W.with_signal(table, "window_ret", 0.0)


def _findings(table: pd.DataFrame, data: MarketData, defn: ClaimBase) -> list[Finding]:
    assert isinstance(defn, EarlyWindow)
    col = W.measure(defn.outcome, [defn.ticker])
    up, down = W.signal_split(W.counted(table, col))
    what = W.OUTCOMES[defn.outcome]
    win = Y.window_phrase(defn.window)
    was = "was" if defn.window == "january" else "were"
    words = W.Wording(
        keys=("up_window_up_outcome", "down_window_up_outcome", "mean_up_vs_down"),
        measured=f"{defn.ticker} {what} return",
        signal_years=f"years whose {win} {was} up",
        other_years=f"years whose {win} {was} down",
        mean_label=f"Mean {what} return of {defn.ticker}: years with {win} up vs down",
        mean_base=f"years whose {win} {was} down",
    )
    seed_key = f"{defn.name}-{defn.outcome}-{defn.window}-{defn.start_year}"
    return W.signal_findings(
        up[col].to_numpy(), down[col].to_numpy(), words, defn.direction, defn.stats, seed_key
    )


def findings(data: MarketData, defn: ClaimBase) -> list[Finding]:
    return KIND.findings(data, defn)


def describe(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, EarlyWindow)
    return [
        f"{defn.ticker} ({defn.price_field} prices), years {defn.start_year} to "
        f"{defn.end_year or 'the latest'}.",
        f"Signal: the return from {W.ANCHORS[defn.anchor]} to the close of "
        f"{Y.window_text(defn.window)} is strictly above 0 ('up'), else 'down'.",
        f"Outcome: the {W.OUTCOMES[defn.outcome]} return above 0 {W.OUTCOME_SPANS}.",
        "Comparison: the years after an up window against the other (down) years, never "
        "against a rate over all years, which would contain the years tested. Incomplete "
        "years are left out.",
    ]


KIND = Kind(
    model=EarlyWindow,
    name="early_window",
    tickers=tickers,
    study=yearly_table,
    findings_of=_findings,
    describe=describe,
    extras=partial(W.extras, series_of=_series, full_year_note=FULL_YEAR_NOTE),
)
