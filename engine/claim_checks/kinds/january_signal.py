"""january_signal: "when small caps lead in January, the market ends the year higher".

The yearly-window study (`yearly_window`) with the signal read on one series and the outcome on
another (or the same): a year is a signal year when the signal series' return over the opening
window (January, from the prior year-end) is above the threshold; the outcome is the outcome
series' full-year or rest-of-year return above 0. On the monthly factors (`data_source =
"factors"`) the signal series is `SMB` (small minus big, compounded: a January with SMB > 0 is
one in which small caps beat large caps) and the outcome series `MKT` (the market's total return,
Mkt-RF + RF, compounded) or `SMB` itself. The findings are those of `early_window`: shares of
up outcomes against the base rate (exact binomial) and the two-sample difference of yearly
means. Reported for the whole span and era by era (`era_breaks`).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import pandas as pd
from pydantic import Field

from engine.claim_checks import eras as E
from engine.claim_checks import years as Y
from engine.claim_checks.definitions import ClaimBase, PriceField, SideDirection, Window, YearEras
from engine.claim_checks.kinds import Extras, Kind
from engine.claim_checks.kinds import yearly_window as W
from engine.claim_checks.result import Finding
from engine.data.model import MarketData

DataSource = Literal["factors", "prices"]


class JanuarySignal(ClaimBase, YearEras):
    """A window's sign on one series, and the year that followed on another."""

    NOT_CONVENTIONS: ClassVar[frozenset[str]] = (
        ClaimBase.NOT_CONVENTIONS | YearEras.NOT_CONVENTIONS | {"data_source"}
    )

    kind: Literal["january_signal"]
    data_source: DataSource = Field(
        default="factors", description="factors: monthly Fama/French series; prices: tickers"
    )
    signal_series: str = Field(default="SMB", min_length=1)
    outcome_series: str = Field(default="MKT", min_length=1)
    price_field: PriceField = "close"
    window: Window = "january"
    anchor: Literal["prior_close", "first_close"] = "prior_close"
    threshold: float = Field(default=0.0, ge=-1, le=1, description="Signal: window return > this")
    outcome: Literal["full_year", "rest_of_year"] = "full_year"
    direction: SideDirection = "above_base"


def _series(defn: JanuarySignal) -> list[str]:
    return list(dict.fromkeys([defn.signal_series, defn.outcome_series]))


def tickers(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, JanuarySignal)
    return _series(defn)


def yearly_table(data: MarketData, defn: ClaimBase) -> pd.DataFrame:
    """One row per year: every series' window, full-year and rest-of-year returns, `signal`."""
    assert isinstance(defn, JanuarySignal)
    parts = []
    # the outcome series first: its columns are the ones a reader (and the chart) looks at
    for name in reversed(_series(defn)):
        one = W.window_table(
            data, [(name, defn.price_field)], defn.start_year, defn.end_year, defn.window,
            defn.anchor,
        )  # fmt: skip
        renamed = one.rename(columns={f"{p}_ret": f"{name}_{p}_ret" for p in W.PARTS})
        parts.append(renamed)
    table = parts[0]
    if len(parts) > 1:
        other = parts[1]
        table = table.join(other[[f"{defn.signal_series}_{p}_ret" for p in W.PARTS]])
        table["complete"] = table["complete"] & other["complete"]
    return W.with_signal(table, f"{defn.signal_series}_window_ret", defn.threshold)


def _outcome_column(defn: JanuarySignal) -> str:
    return f"{defn.outcome_series}_{defn.outcome}_ret"


def _findings(table: pd.DataFrame, data: MarketData, defn: ClaimBase) -> list[Finding]:
    assert isinstance(defn, JanuarySignal)
    col = _outcome_column(defn)
    up, down = W.signal_split(W.counted(table, col))
    what = W.OUTCOMES[defn.outcome]
    win = Y.window_phrase(defn.window)
    sig, out = defn.signal_series, defn.outcome_series
    led = f"years whose {win} {sig} return was above {defn.threshold:+.1%}"
    words = W.Wording(
        keys=("up_outcome_after_signal", "up_outcome_other_years", "mean_outcome_signal_vs_other"),
        measured=f"{out} {what} return",
        signal_years=led,
        other_years="the other years",
        mean_label=f"Mean {what} return of {out}: {led} vs the other years",
        mean_base=f"the other {len(down)} years",
    )
    seed_key = f"{defn.name}-{sig}-{out}-{defn.outcome}-{defn.start_year}-{defn.end_year}"
    return W.signal_findings(
        up[col].to_numpy(), down[col].to_numpy(), words, defn.direction, defn.stats, seed_key
    )


def counted_span(data: MarketData, defn: ClaimBase) -> str:
    """The years the findings count (a known signal and outcome)."""
    assert isinstance(defn, JanuarySignal)
    frame = W.counted(yearly_table(data, defn), _outcome_column(defn))
    return W.span(frame)


def describe(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, JanuarySignal)
    anchor = "the prior year-end" if defn.anchor == "prior_close" else "the first row's close"
    sources = {
        "factors": "the monthly Fama/French factors, compounded month by month (MKT: Mkt-RF + RF, "
        "the market's total return; SMB: small minus big)",
        "prices": f"daily {defn.price_field} prices",
    }
    own = [
        f"Signal year: {defn.signal_series}'s return over {Y.window_text(defn.window)}, from "
        f"{anchor}, is above {defn.threshold:+.1%}.",
        f"Outcome: {defn.outcome_series}'s {W.OUTCOMES[defn.outcome]} return above 0 (full "
        "year: prior year-end to the year's end; rest of year: the window's end to the year's "
        "end), in signal years against every counted year (the base rate), and the mean in "
        "signal years against the other years.",
    ]
    return E.described(defn, sources, own, " Incomplete years are left out.")


def _extras(table: pd.DataFrame, data: MarketData, defn: ClaimBase) -> Extras:
    assert isinstance(defn, JanuarySignal)
    notes = W.incomplete_note(table)
    if defn.outcome == "full_year" and defn.outcome_series == defn.signal_series:
        notes.append(
            "The full-year return contains the signal window itself; the rest-of-year outcome "
            "is the fair test of a forecast."
        )
    eras = E.era_table(KIND, data, defn, counted_span)
    tables = {"eras": eras} if not eras.empty else {}
    tables["outcomes"] = W.outcome_table(table.assign(**_as_measure(table, defn)), ["x"])
    return Extras(
        events=table,
        tables=tables,
        notes=notes,
        period=W.period(table, data, [(s, defn.price_field) for s in _series(defn)]),
        answer=E.era_answer(eras, "signal years", "years"),
    )


def _as_measure(table: pd.DataFrame, defn: JanuarySignal) -> dict[str, pd.Series]:
    """The outcome series' returns under the names `outcome_table` reads for one series."""
    out = defn.outcome_series
    return {f"{p}_ret": table[f"{out}_{p}_ret"] for p in W.PARTS}


KIND = Kind(
    model=JanuarySignal,
    name="january_signal",
    tickers=tickers,
    study=yearly_table,
    findings_of=_findings,
    describe=describe,
    extras=_extras,
)
