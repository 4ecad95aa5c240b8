"""first10days: hold small caps for the rest of the year when they lead its first N sessions.

The rule from the press: "when small caps lead the market over the first 10 trading days of the
year, the rest of the year tends to be good - for small caps and for stocks".

Decision: at the close of the year's Nth session, each universe member's return since the anchor
is compared; if the small-cap ticker has the highest, the "lead" allocation is wanted from that
close until the horizon ends, otherwise (and before day N) the "base" allocation. A member with
no price at the anchor or on day N is left out of the comparison; if the small-cap ticker itself
has none, no decision is made that year and base is kept.

Horizon: "year_end" wants lead until the year's last session and base after its close, so with
the engine's one-session lag the switch back trades on the new year's first session. An integer
H wants lead for H sessions after day N (capped at the year's last session).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from engine.data.model import MarketData
from engine.settings import Strict, check_weight_map
from engine.strategy import Strategy
from strategies import rules

ANCHORS = ("prior_close", "first_close", "first_open")


class Params(Strict):
    """Defaults here are the documented defaults; strategies/first10days.toml repeats them."""

    lead_days: int = Field(default=10, ge=1, le=60, description="N: the decision session")
    universe: list[str] = Field(default=["SPY", "QQQ", "IWM", "DIA"], min_length=2)
    small_cap: str = Field(default="IWM", description="The member whose leadership is tested")
    market: str = Field(default="SPY", description="Shown next to small_cap in the per-year table")
    anchor: Literal["prior_close", "first_close", "first_open"] = "prior_close"
    price_field: Literal["adj_close", "close"] = Field(
        default="adj_close", description="Total return (adj_close) or price return (close)"
    )
    horizon: Literal["year_end"] | Annotated[int, Field(ge=1, le=252)] = "year_end"
    lead: dict[str, float] = Field(default={"IWM": 1.0}, min_length=1)
    base: dict[str, float] = Field(default={"SPY": 1.0}, min_length=1)

    @field_validator("universe")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"universe has duplicates: {v}")
        return v

    @field_validator("lead", "base")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        check_weight_map(v)
        return v

    @model_validator(mode="after")
    def _members(self) -> Params:
        if self.small_cap not in self.universe:
            raise ValueError(f"small_cap {self.small_cap!r} is not in universe {self.universe}")
        return self


def tickers(params: Params) -> list[str]:
    wanted = [*params.universe, params.market, *params.lead, *params.base]
    return list(dict.fromkeys(wanted))


def _anchor_prices(data: MarketData, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Prices to measure from (per anchor) and to measure to (day N close)."""
    close = data.field(params.price_field)[params.universe]
    if params.anchor == "first_open":
        opens = data.field("adj_open" if params.price_field == "adj_close" else "open")
        return opens[params.universe], close
    return close, close


def _outcomes(
    prices: pd.DataFrame, day_n: pd.Timestamp, prior_close: pd.Timestamp | None, year: int
) -> dict[str, object]:
    """Rest-of-year (day N close to year end) and full-year returns, total return."""
    year_rows = prices[prices.index.year == year].dropna(how="all")
    if year_rows.empty:
        return {}
    year_end = year_rows.index[-1]
    row: dict[str, object] = {
        "year_end_date": year_end.date(),
        "year_complete": bool(year_end == rules.last_session_of_year(year)),
    }
    for ticker in prices.columns:
        at_end = prices.at[year_end, ticker]
        row[f"{ticker}_rest_ret"] = float(at_end / prices.at[day_n, ticker] - 1.0)
        if prior_close is not None:
            row[f"{ticker}_year_ret"] = float(at_end / prices.at[prior_close, ticker] - 1.0)
    return row


def _leadership(rets: pd.Series, params: Params) -> dict[str, object]:
    valid = rets.dropna()
    if params.small_cap not in valid.index:
        return {"note": f"no {params.small_cap} price at the anchor or on day {params.lead_days}"}
    if len(valid) < 2:
        return {"note": "fewer than two members have prices"}
    return {
        "leader": str(valid.idxmax()),
        "small_cap_rank": int((valid > valid[params.small_cap]).sum() + 1),
        "members_compared": len(valid),
    }


def yearly_leadership(data: MarketData, params: Params) -> pd.DataFrame:
    """One row per calendar year: the N-day returns, the leader and the rest-of-year outcome."""
    start_prices, end_prices = _anchor_prices(data, params)
    outcome = data.adj_close[list(dict.fromkeys([params.small_cap, params.market]))]
    index = data.index
    rows = []
    for year in np.unique(index.year):
        sessions = index[index.year == year]
        prior = index[index.year < year]
        prior_close = prior[-1] if len(prior) else None
        row: dict[str, object] = {"year": int(year), "decision_date": None, "leader": None}
        if len(sessions) < params.lead_days:
            rows.append({**row, "note": f"fewer than {params.lead_days} sessions"})
            continue
        day_n = sessions[params.lead_days - 1]
        anchor_day = prior_close if params.anchor == "prior_close" else sessions[0]
        if anchor_day is None:
            rows.append({**row, "note": "no session before the year in the data"})
            continue
        row.update(anchor_date=anchor_day.date(), decision_date=day_n.date())
        rets = end_prices.loc[day_n] / start_prices.loc[anchor_day] - 1.0
        row.update({f"{ticker}_ret": float(value) for ticker, value in rets.items()})
        row.update(_leadership(rets, params))
        row.update(_outcomes(outcome, day_n, prior_close, int(year)))
        rows.append(row)
    table = pd.DataFrame(rows).set_index("year")
    table["signal"] = np.where(table["leader"] == params.small_cap, "lead", "base")
    # Years before the small-cap ticker's first price say nothing about the rule: leave them out.
    first_year = data.adj_close[params.small_cap].first_valid_index()
    if first_year is not None:
        table = table[table.index >= first_year.year]
    return _ordered(table, params)


def _ordered(table: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Decision inputs first, then the decision, then what followed."""
    outcome = list(dict.fromkeys([params.small_cap, params.market]))
    columns = [
        "anchor_date",
        "decision_date",
        *[f"{t}_ret" for t in params.universe],
        "leader",
        "small_cap_rank",
        "signal",
        *[f"{t}_rest_ret" for t in outcome],
        *[f"{t}_year_ret" for t in outcome],
        "year_end_date",
        "year_complete",
        "members_compared",
        "note",
    ]
    table = table.reindex(columns=columns)
    for col in ("small_cap_rank", "members_compared"):
        table[col] = table[col].astype("Int64")
    return table


def target_weights(data: MarketData, params: Params) -> pd.DataFrame:
    """Rows only where the wanted allocation changes (and on the first session)."""
    index = data.index
    wants_lead = pd.Series(False, index=index)
    table = yearly_leadership(data, params)
    for year, row in table.iterrows():
        if row["signal"] != "lead":
            continue
        sessions = index[index.year == year]
        n = params.lead_days - 1
        if params.horizon == "year_end":
            last_lead = len(sessions) - 2  # base is wanted after the year's last close
        else:
            last_lead = min(n + params.horizon - 1, len(sessions) - 2)
        wants_lead[sessions[n : last_lead + 1]] = True
    columns = rules.weight_columns(params.base, params.lead)
    return rules.flag_rows(wants_lead, on=params.lead, off=params.base, columns=columns)


def tables(data: MarketData, params: Params) -> dict[str, pd.DataFrame]:
    return {"per_year": yearly_leadership(data, params)}


STRATEGY = Strategy(
    name="first10days",
    description="Hold small caps for the rest of the year when they lead the first N sessions.",
    params_model=Params,
    default_config=Path(__file__).with_suffix(".toml"),
    tickers=tickers,
    target_weights=target_weights,
    tables=tables,
    lookback_sessions=lambda params: 260,
    key_params=("lead_days", "anchor", "small_cap", "horizon", "lead", "base"),
)
