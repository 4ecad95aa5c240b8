"""month_effect: "small caps beat large caps in January" (the small-cap January effect).

One calendar month's returns against the other months': each month's return of a series (from
the prior month's last row to the month's last row), or the spread of two series' monthly
returns (`laggard`). On the monthly factors (`data_source = "factors"`) the series is `SMB`,
itself a spread: small minus big. On daily prices the month's return runs from the last session
of the prior month to the month's last session, each price as published (a missing one leaves
the month out; nothing is filled), and a month counts once a later session shows it has ended.
Findings: the month's mean against the other months' (the two-sample difference of means of
`yearly_mean_finding`: permutation test and bootstrap interval, months taken as independent),
then the share of those months with a positive value against the other months' share (exact
binomial). Reported for the whole span and era by era (`era_breaks`).
"""

from __future__ import annotations

import calendar
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from engine.claim_checks import eras as E
from engine.claim_checks.definitions import ClaimBase, PriceField, SideDirection, YearEras
from engine.claim_checks.kinds import Extras, Kind
from engine.claim_checks.result import Finding
from engine.claim_checks.studies import share_finding, yearly_mean_finding
from engine.data.model import MarketData


class MonthEffect(ClaimBase, YearEras):
    """One calendar month's returns (or spread) against the other months'."""

    NOT_CONVENTIONS: ClassVar[frozenset[str]] = (
        ClaimBase.NOT_CONVENTIONS | YearEras.NOT_CONVENTIONS | {"data_source"}
    )

    kind: Literal["month_effect"]
    data_source: Literal["factors", "prices"] = "factors"
    series: str = Field(default="SMB", min_length=1)
    laggard: str | None = Field(default=None, description="Spread: series minus this one")
    price_field: PriceField = "close"
    month: int = Field(default=1, ge=1, le=12, description="The month tested (1 = January)")
    direction: SideDirection = "above_base"

    @model_validator(mode="after")
    def _two_series(self) -> MonthEffect:
        if self.laggard == self.series:
            raise ValueError(f"series and laggard are both {self.series!r}")
        return self


def tickers(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, MonthEffect)
    return [defn.series] + ([defn.laggard] if defn.laggard else [])


def monthly_returns(prices: pd.Series, every_row_a_month: bool) -> pd.DataFrame:
    """Month-end value and the month's return, one row per calendar month the index covers.

    A month's return needs the prior calendar month's last row too; with daily rows a month
    is complete only when a later row exists (monthly rows are complete by construction)."""
    months = prices.index.to_period("M")
    last_rows = pd.Series(np.arange(len(prices)), index=prices.index).groupby(months).max()
    ends = prices.to_numpy(dtype=float)[last_rows.to_numpy()]
    periods = pd.PeriodIndex(last_rows.index, freq="M")
    frame = pd.DataFrame({"end_value": ends}, index=periods)
    full = pd.period_range(periods[0], periods[-1], freq="M")
    frame = frame.reindex(full)  # a month without rows stays NaN: its neighbours cannot count
    ret = frame["end_value"] / frame["end_value"].shift(1) - 1.0
    if not every_row_a_month:
        ret.iloc[-1] = np.nan  # the last month may not have ended
    frame["ret"] = ret
    frame.index.name = "month"
    return frame


def month_table(data: MarketData, defn: ClaimBase) -> pd.DataFrame:
    """One row per calendar month in the years asked: each series' return, the `measure`
    (the return, or the spread), and whether it is the month tested."""
    assert isinstance(defn, MonthEffect)
    monthly = defn.data_source == "factors"
    parts = {}
    for name in tickers(defn):
        prices = data.field(defn.price_field)[name]
        parts[f"{name}_ret"] = monthly_returns(prices, monthly)["ret"]
    table = pd.DataFrame(parts)
    names = list(parts)
    first, second = names[0], names[-1]
    table["measure"] = table[first] - table[second] if defn.laggard else table[first]
    years = table.index.year
    keep = (years >= defn.start_year) & (
        years <= (defn.end_year if defn.end_year is not None else 9999)
    )
    table = table[keep].copy()
    table.insert(0, "year", table.index.year)
    table.insert(1, "calendar_month", table.index.month)
    table["tested_month"] = table["calendar_month"] == defn.month
    table.index = pd.Index([str(p) for p in table.index], name="month")  # "1927-01"
    return table


def _what(defn: MonthEffect) -> str:
    return f"{defn.series} minus {defn.laggard}" if defn.laggard else defn.series


def _findings(table: pd.DataFrame, data: MarketData, defn: ClaimBase) -> list[Finding]:
    assert isinstance(defn, MonthEffect)
    known = table[table["measure"].notna()]
    tested, others = known[known["tested_month"]], known[~known["tested_month"]]
    name = calendar.month_name[defn.month]
    span = f"{known['year'].min()}-{known['year'].max()}" if len(known) else "none"
    what = _what(defn)
    base_share = float((others["measure"] > 0).mean()) if len(others) else np.nan
    seed_key = f"{defn.name}-{defn.month}-{defn.start_year}-{defn.end_year}"
    return [
        yearly_mean_finding(
            "month_vs_other_months",
            f"Mean monthly {what} return: {name} vs the other months ({span})",
            tested["measure"].to_numpy(),
            others["measure"].to_numpy(),
            f"the other {len(others)} months",
            defn.direction,
            defn.stats,
            seed_key=seed_key,
        ),
        share_finding(
            "month_positive_share",
            f"Share of {_plural(name)} with {what} above 0, against the other months ({span})",
            hits=int((tested["measure"] > 0).sum()),
            n=len(tested),
            base=base_share,
            base_n=len(others),
            base_label=f"{what} above 0 in the other {len(others)} months",
            direction=defn.direction,
            settings=defn.stats,
        ),
    ]


def counted_span(data: MarketData, defn: ClaimBase) -> str:
    assert isinstance(defn, MonthEffect)
    known = month_table(data, defn)
    known = known[known["measure"].notna() & known["tested_month"]]
    if known.empty:
        return "none"
    return f"{known['year'].min()}-{known['year'].max()}"


def describe(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, MonthEffect)
    name = calendar.month_name[defn.month]
    sources = {
        "factors": "the monthly Fama/French factors (SMB: small minus big, monthly, as published)",
        "prices": f"daily {defn.price_field} prices, each month from the prior month's last "
        "session to its own last session",
    }
    own = [
        f"Measure: the monthly return of {_what(defn)}"
        + (" (the spread of the two monthly returns)." if defn.laggard else "."),
        f"Test: {name}'s values against every other month's: the difference of means (the "
        "months taken as independent draws) and the share above 0 against the other months' "
        "share.",
    ]
    return E.described(defn, sources, own)


def _extras(table: pd.DataFrame, data: MarketData, defn: ClaimBase) -> Extras:
    assert isinstance(defn, MonthEffect)
    eras = E.era_table(KIND, data, defn, counted_span)
    by_month = (
        table.groupby("calendar_month")["measure"]
        .agg(months="count", mean_ret="mean", median_ret="median")
        .assign(share_above_0=table.groupby("calendar_month")["measure"].apply(_share_up))
    )
    by_month.index = [calendar.month_name[m] for m in by_month.index]
    by_month.index.name = "month"
    tables = {"eras": eras} if not eras.empty else {}
    tables["by_month"] = by_month
    known = table[table["measure"].notna()]
    first = str(pd.Period(known.index[0], "M").start_time.date()) if len(known) else ""
    last = str(pd.Period(known.index[-1], "M").end_time.date()) if len(known) else ""
    notes = []
    if defn.data_source == "factors":
        notes.append(
            "SMB is a spread of portfolio returns, not a traded fund: it says when small caps "
            "beat large caps, not what a small-cap fund earned after costs."
        )
    return Extras(
        events=table,
        tables=tables,
        notes=notes,
        period=(first, last),
        answer=E.era_answer(eras, _plural(calendar.month_name[defn.month]), "other months"),
    )


def _plural(month: str) -> str:
    return month[:-1] + "ies" if month.endswith("y") else month + "s"


def _share_up(values: pd.Series) -> float:
    known = values.dropna()
    return float((known > 0).mean()) if len(known) else np.nan


KIND = Kind(
    model=MonthEffect,
    name="month_effect",
    tickers=tickers,
    study=month_table,
    findings_of=_findings,
    describe=describe,
    extras=_extras,
)
