"""first_five_days: the "January barometer" - stay in stocks for the year only if it began well.

The rule from the press: "as the first five days of January go, so goes the year". Each year
the signal index (^GSPC by default) is measured from the prior year-end close to the close of
the decision session:

- window "first_five": the year's `first_sessions`-th session (5, the classic rule);
- window "january": January's last session (the full-month barometer).

If that return is above `min_return` (0 = it rose), the "equities" allocation is wanted from
that close for the rest of the year, else the "cash" one (BIL by default; an empty map holds
nothing, so the engine's `backtest.cash_ticker` yield applies, e.g. "^IRX"). Before each year's
decision the "before" allocation is wanted: "equities", "cash" or a weight map. It is wanted
from the prior year's last close (the NYSE calendar's, known in advance), so with the engine's
lag the year starts in it. A year without a prior close or a price on the decision session
makes no decision and stays in "before".

BIL starts 2007-05-30, so with BIL as the cash leg (or the "BIL buy & hold" benchmark) the
period starts then. To test from 2000, set `cash = {}` and `backtest.cash_ticker = "^IRX"` (the
uninvested part earns the 13-week T-bill yield) and leave BIL out of the benchmarks; IWM's first
date (2000-05-26) then bounds the start while it is a benchmark.

The per-year table measures the legs from the decision close to the year's last close in the
data, as buy-and-hold weight maps (their uninvested part earns nothing there); the strategy
itself trades a session later, so its own returns differ by that session and by costs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from engine.calendar import nyse_sessions
from engine.data.model import MarketData
from engine.settings import Benchmark, Strict, check_weight_map
from engine.strategy import Strategy
from strategies import rules


class Params(Strict):
    """Defaults here are the documented defaults; strategies/first_five_days.toml repeats them."""

    index_ticker: str = Field(default="^GSPC", description="Signal index (not traded)")
    window: Literal["first_five", "january"] = "first_five"
    first_sessions: int = Field(default=5, ge=1, le=60, description="Sessions in 'first_five'")
    min_return: float = Field(default=0.0, ge=-1.0, le=1.0, description="Window return needed")
    equities: dict[str, float] = Field(default={"SPY": 1.0}, min_length=1)
    cash: dict[str, float] = Field(default={"BIL": 1.0}, description="{} = 0% invested")
    before: Literal["equities", "cash"] | dict[str, float] = "equities"

    @field_validator("equities", "cash")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        check_weight_map(v)
        return v

    @field_validator("before")
    @classmethod
    def _before(cls, v: str | dict[str, float]) -> str | dict[str, float]:
        if isinstance(v, dict):
            check_weight_map(v)
        return v


def before_allocation(params: Params) -> dict[str, float]:
    if params.before == "equities":
        return dict(params.equities)
    if params.before == "cash":
        return dict(params.cash)
    return dict(params.before)


def tickers(params: Params) -> list[str]:
    wanted = [params.index_ticker, *params.equities, *params.cash, *before_allocation(params)]
    return list(dict.fromkeys(wanted))


def _decision_day(sessions: pd.DatetimeIndex, year: int, params: Params) -> pd.Timestamp | None:
    """The session whose close decides `year`, if the data's sessions reach it."""
    if params.window == "first_five":
        n = params.first_sessions
        return sessions[n - 1] if len(sessions) >= n else None
    january = sessions[sessions.month == 1]
    last_january = nyse_sessions(f"{year}-01-01", f"{year}-01-31")[-1]
    return last_january if len(january) and january[-1] == last_january else None


def _leg_return(
    prices: pd.DataFrame, allocation: dict[str, float], start: pd.Timestamp, end: pd.Timestamp
) -> float:
    """Buy-and-hold return of a weight map from `start`'s close to `end`'s (cash part earns 0)."""
    total = 0.0
    for ticker, weight in allocation.items():
        total += weight * (prices.at[end, ticker] / prices.at[start, ticker] - 1.0)
    return float(total)


def _outcomes(
    prices: pd.DataFrame, params: Params, year: int, decision: pd.Timestamp
) -> dict[str, object]:
    """Index and legs from the decision close to the year's last close in the data."""
    year_rows = prices[params.index_ticker][prices.index.year == year].dropna()
    year_end = year_rows.index[-1]
    return {
        "index_rest_ret": float(year_rows.iloc[-1] / year_rows.at[decision] - 1.0),
        "equities_rest_ret": _leg_return(prices, params.equities, decision, year_end),
        "cash_rest_ret": _leg_return(prices, params.cash, decision, year_end),
        "year_end_date": year_end.date(),
        "year_complete": bool(year_end == rules.last_session_of_year(year)),
    }


def yearly_barometer(data: MarketData, params: Params) -> pd.DataFrame:
    """One row per calendar year: the window return, the decision and what followed."""
    index = data.index
    prices = data.adj_close[tickers(params)]
    signal_prices = prices[params.index_ticker]
    first_price = signal_prices.first_valid_index()
    rows = []
    for year in np.unique(index.year):
        if first_price is None or year < first_price.year:
            continue
        sessions = rules.year_sessions(index, int(year))
        row: dict[str, object] = {"year": int(year), "decision_date": None, "signal": "none"}
        anchor = rules.prior_session(index, sessions[0])
        decision = _decision_day(sessions, int(year), params)
        if anchor is None or anchor != rules.last_session_of_year(int(year) - 1):
            rows.append({**row, "note": "no prior year-end session in the data"})
            continue
        if decision is None:
            rows.append({**row, "note": "the data ends before the decision session"})
            continue
        row.update(anchor_date=anchor.date(), decision_date=decision.date())
        window_ret = signal_prices.at[decision] / signal_prices.at[anchor] - 1.0
        if np.isnan(window_ret):
            note = f"no {params.index_ticker} price on the anchor or decision session"
            rows.append({**row, "note": note})
            continue
        row["window_ret"] = float(window_ret)
        row["signal"] = "equities" if window_ret > params.min_return else "cash"
        row.update(_outcomes(prices, params, int(year), decision))
        rows.append(row)
    columns = [
        "anchor_date",
        "decision_date",
        "window_ret",
        "signal",
        "index_rest_ret",
        "equities_rest_ret",
        "cash_rest_ret",
        "year_end_date",
        "year_complete",
        "note",
    ]
    return pd.DataFrame(rows, columns=["year", *columns]).set_index("year")


def wanted_labels(data: MarketData, params: Params) -> pd.Series:
    """The allocation label wanted after each session's close: before, equities or cash."""
    index = data.index
    labels = pd.Series("before", index=index, dtype=object)
    year_end = rules.is_last_session_of_year(index)
    for year, row in yearly_barometer(data, params).iterrows():
        if row["signal"] not in ("equities", "cash"):
            continue
        decided = (index >= pd.Timestamp(row["decision_date"])) & (index.year == year) & ~year_end
        labels[decided] = row["signal"]
    return labels


def target_weights(data: MarketData, params: Params) -> pd.DataFrame:
    """Rows only where the wanted allocation changes (and on the first session)."""
    allocations = {
        "before": before_allocation(params),
        "equities": params.equities,
        "cash": params.cash,
    }
    columns = rules.weight_columns(params.equities, params.cash, allocations["before"])
    return rules.allocation_rows(wanted_labels(data, params), allocations, columns)


def tables(data: MarketData, params: Params) -> dict[str, pd.DataFrame]:
    return {"per_year": yearly_barometer(data, params)}


BENCHMARKS = (
    Benchmark(name="SPY buy & hold", weights={"SPY": 1.0}),
    Benchmark(name="IWM buy & hold", weights={"IWM": 1.0}),
    Benchmark(name="BIL buy & hold", weights={"BIL": 1.0}),
)

STRATEGY = Strategy(
    name="first_five_days",
    description="January barometer: equities for the year if the index rose over its first days.",
    params_model=Params,
    default_config=Path(__file__).with_suffix(".toml"),
    tickers=tickers,
    target_weights=target_weights,
    tables=tables,
    # The decision for the year holding the start needs the prior year-end close: <= a year back.
    lookback_sessions=lambda params: 260,
    default_benchmarks=BENCHMARKS,
    key_params=("index_ticker", "window", "first_sessions", "equities", "cash", "before"),
)
