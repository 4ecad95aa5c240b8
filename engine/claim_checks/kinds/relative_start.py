"""relative_start: "the Russell averaged 18% in post-rotation years vs 12% for the S&P",
"equal weight beat cap weight by about 4 points to start the year".

The yearly-window study (`yearly_window`) on a spread: the leader's minus the laggard's return
over the opening window from the anchor. A year is a signal year when that spread is above the
threshold. Outcomes, for years complete for both series: the full-year and rest-of-year spreads.
The full-year spread contains the window's, so part of any link is mechanical; rest of year is
the fair test.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from engine.claim_checks import years as Y
from engine.claim_checks.definitions import (
    ClaimBase,
    Pair,
    SideDirection,
    Window,
    check_choice,
)
from engine.claim_checks.kinds import Kind
from engine.claim_checks.kinds import yearly_window as W
from engine.claim_checks.quotes import quoted_mean_test
from engine.claim_checks.result import Finding
from engine.claim_checks.studies import (
    count_above_zero,
    fact_finding,
    share_finding,
    yearly_mean_finding,
)
from engine.config.settings import Strict
from engine.data.model import MarketData


class RelativeClaimed(Strict):
    window_spread: float | None = Field(default=None, description="Quoted leader - laggard")
    tolerance: float = Field(default=0.01, ge=0)
    leader_mean: float | None = None
    laggard_mean: float | None = None


class RelativeStart(ClaimBase):
    """Years in which the leader beat the laggard over an early window, and what followed."""

    DATE_FIELD: ClassVar[str | None] = "as_of"

    kind: Literal["relative_start"]
    pairs: dict[str, Pair] = Field(min_length=1)
    pair: str
    window: Window = "january"
    anchor: Literal["prior_close", "first_close"] = "prior_close"
    threshold: float = Field(default=0.0, ge=-1, le=1, description="Signal: spread > this")
    outcome: Literal["full_year", "rest_of_year"] = "full_year"
    direction: SideDirection = "above_base"
    start_year: int = Field(default=1988, ge=1929, le=2100)
    end_year: int | None = Field(default=None, ge=1929, le=2100)
    as_of: dt.date | None = Field(default=None, description="Year of the quoted spread")
    claimed: RelativeClaimed = RelativeClaimed()

    @model_validator(mode="after")
    def _pair_known(self) -> RelativeStart:
        check_choice(self.pair, self.pairs, "pair")
        return self


FULL_YEAR_NOTE = (
    "The full-year spread contains the window's own spread, which is positive in signal years by "
    "definition; the rest-of-year rows of the sensitivity table remove it."
)


def _series(defn: ClaimBase) -> list[tuple[str, str]]:
    assert isinstance(defn, RelativeStart)
    p = defn.pairs[defn.pair]
    return [(p.leader, p.price_field), (p.laggard, p.price_field)]


def tickers(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, RelativeStart)
    return [t for t, _ in _series(defn)]


def yearly_table(data: MarketData, defn: ClaimBase) -> pd.DataFrame:
    assert isinstance(defn, RelativeStart)
    table = W.window_table(
        data, _series(defn), defn.start_year, defn.end_year, defn.window, defn.anchor
    )
    return W.with_signal(table, "spread_window_ret", defn.threshold)


def _fact(table: pd.DataFrame, defn: RelativeStart) -> Finding:
    c = defn.claimed
    known = table[table["spread_window_ret"].notna()]
    year = defn.as_of.year if defn.as_of is not None else int(known.index.max())
    value = float(known.loc[year, "spread_window_ret"]) if year in known.index else np.nan
    others = known.drop(index=year, errors="ignore")["spread_window_ret"]
    at_least = int((others >= value).sum()) if np.isfinite(value) else 0
    p = defn.pairs[defn.pair]
    return fact_finding(
        "window_spread",
        f"{p.leader} minus {p.laggard} return over {Y.window_text(defn.window)} of {year}",
        value=value,
        unit="return",
        claimed=c.window_spread,
        claimed_text=f"about {c.window_spread * 100:+.0f} points" if c.window_spread else "",
        tolerance=c.tolerance,
        base=at_least / len(others) if len(others) else np.nan,
        base_n=len(others),
        base_label=f"share of the other {len(others)} years ({W.span(others.to_frame())}) with "
        "a spread at least as large",
        detail=f"a spread at least this large happened in {at_least} of the other "
        f"{len(others)} years",
    )


def _findings(table: pd.DataFrame, data: MarketData, defn: ClaimBase) -> list[Finding]:
    assert isinstance(defn, RelativeStart)
    p = defn.pairs[defn.pair]
    col = W.measure(defn.outcome, ["leader", "laggard"])
    frame = W.counted(table, col)
    sig, other = W.signal_split(frame)
    ours, theirs = sig[col].to_numpy(), other[col].to_numpy()
    what = W.OUTCOMES[defn.outcome]
    win = Y.window_text(defn.window)
    c = defn.claimed
    lead_mean = float(sig[f"{p.leader}_{defn.outcome}_ret"].mean()) if len(sig) else np.nan
    lag_mean = float(sig[f"{p.laggard}_{defn.outcome}_ret"].mean()) if len(sig) else np.nan
    quoted = ""
    if c.leader_mean is not None and c.laggard_mean is not None:
        quoted = f" (quoted {c.leader_mean:.0%} vs {c.laggard_mean:.0%})"
    detail = (
        f"in the {len(sig)} signal years {p.leader} averaged {lead_mean:.1%} and {p.laggard} "
        f"{lag_mean:.1%} {what}{quoted}"
    )
    out = []
    if c.window_spread is not None:
        out.append(_fact(table, defn))
    seed_key = f"{defn.name}-{defn.pair}-{defn.window}-{defn.outcome}-{defn.start_year}"
    spread = yearly_mean_finding(
        "spread_after_signal",
        f"Mean {what} spread {p.leader} minus {p.laggard}: years {p.leader} led over {win} "
        f"vs the other years ({W.span(frame)})",
        ours,
        theirs,
        f"the other {len(other)} years",
        defn.direction,
        defn.stats,
        seed_key=seed_key,
        detail=detail,
    )
    if c.leader_mean is not None and c.laggard_mean is not None:
        spread = quoted_mean_test(
            spread,
            quoted=(c.leader_mean, c.laggard_mean),
            observed=(lead_mean, lag_mean),
            text=f"{c.leader_mean:.0%} vs {c.laggard_mean:.0%}",
            events=ours,
            others=theirs,
            settings=defn.stats,
            seed_key=seed_key,
        )
    out.append(spread)
    out.append(
        share_finding(
            "leader_beat_after_signal",
            f"Share of signal years in which {p.leader} also beat {p.laggard} {what}",
            *count_above_zero(ours),
            f"the other {len(other)} years, {p.leader} beating {p.laggard} {what}",
            defn.direction,
            defn.stats,
            others=count_above_zero(theirs),
        )
    )
    return out


def findings(data: MarketData, defn: ClaimBase) -> list[Finding]:
    return KIND.findings(data, defn)


def describe(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, RelativeStart)
    p = defn.pairs[defn.pair]
    anchor = W.ANCHORS[defn.anchor]
    return [
        f"Pair '{defn.pair}': {p.leader} vs {p.laggard}, {p.price_field} prices; years "
        f"{defn.start_year} to {defn.end_year or 'the latest'}.",
        f"Window: {Y.window_text(defn.window)} of each year, measured from {anchor}. Spread = "
        f"{p.leader}'s return minus {p.laggard}'s.",
        f"Signal year: the window spread is above {defn.threshold:+.1%}.",
        f"Outcome: the {W.OUTCOMES[defn.outcome]} spread {W.OUTCOME_SPANS}, in signal years vs "
        "the other years. Years not complete for both are left out.",
    ]


KIND = Kind(
    model=RelativeStart,
    name="relative_start",
    tickers=tickers,
    study=yearly_table,
    findings_of=_findings,
    describe=describe,
    extras=partial(W.extras, series_of=_series, full_year_note=FULL_YEAR_NOTE),
)
