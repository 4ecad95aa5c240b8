"""fixed_mix: a static allocation, rebalanced on a calendar and/or when it drifts out of a band.

The press gives allocations, not signals ("overweight small caps, trim tech, add industrials and
financials"; "30% small caps, 20% cyclicals, 20% value, the rest core"). This rule holds such a
weight map (the part not named is cash) and brings it back to target:

- on the calendar: at the last NYSE session of each month, quarter or year ("none" = never),
  read from the exchange calendar, which is known in advance, so a data series that ends
  mid-month does not rebalance on its last row;
- on drift: at the close of any session where some ticker's weight in the rule's own simulated
  holdings is more than `band` (absolute, 0.05 = 5 points) away from its target (0 = no band).

The simulated holdings are the target weights bought at the close of the last rebalance
decision and left to drift with price relatives (adjusted closes) up to the current close; the
cash part earns nothing in this simulation. It uses prices up to t only and ignores costs and
the engine's fill `lag`, so it measures the drift the rule can see at its decision close.

The rule acts only on sessions where every ticker of the map has a price: the first row is the
first such session, and a missing price (a data gap, or after the data ends) skips that session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from engine.calendar import nyse_sessions
from engine.data.model import MarketData
from engine.settings import Strict, check_weight_map
from engine.strategy import Strategy

CALENDAR_PERIODS = {"weekly": "W", "monthly": "M", "quarterly": "Q", "yearly": "Y"}

# The "trader playbook" (the default): see strategies/fixed_mix.toml for the reasoning.
PLAYBOOK = {"SPY": 0.30, "QQQ": 0.20, "IWM": 0.35, "XLI": 0.075, "XLF": 0.075}


class Params(Strict):
    """Defaults here are the documented defaults; strategies/fixed_mix.toml repeats them."""

    weights: dict[str, float] = Field(
        default=PLAYBOOK, min_length=1, description="Target weight per ticker; the rest is cash"
    )
    rebalance: Literal["none", "monthly", "quarterly", "yearly"] = Field(
        default="quarterly", description="Calendar rebalance at each period's last session"
    )
    band: float = Field(
        default=0.03,
        ge=0.0,
        le=0.5,
        description="Rebalance when a weight is more than this (absolute) off target; 0 = off",
    )

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        check_weight_map(v)
        return v


def calendar_period_ends(
    start: pd.Timestamp, end: pd.Timestamp, frequency: str
) -> pd.DatetimeIndex:
    """The NYSE sessions in [start, end] that are the last session of their calendar week
    (Monday to Sunday), month, quarter or year, according to the exchange calendar."""
    if frequency not in CALENDAR_PERIODS:
        raise ValueError(f"unknown calendar frequency {frequency!r}")
    # Read past `end` so the last session of the range can be told apart from a mid-period one.
    sessions = nyse_sessions(start, pd.Timestamp(end) + pd.Timedelta(days=14))
    labels = sessions.to_period(CALENDAR_PERIODS[frequency])
    is_last = np.asarray(labels[:-1] != labels[1:], dtype=bool)
    ends = sessions[:-1][is_last]
    return ends[ends <= pd.Timestamp(end)]


def rebalance_sessions(index: pd.DatetimeIndex, frequency: str) -> pd.DatetimeIndex:
    """The sessions of `index` that close a calendar period ("none" gives none)."""
    if frequency == "none" or index.empty:
        return index[:0]
    return index[index.isin(calendar_period_ends(index[0], index[-1], frequency))]


def tickers(params: Params) -> list[str]:
    return list(params.weights)


def rebalances(data: MarketData, params: Params) -> pd.DataFrame:
    """One row per rebalance decision: its reason ("start", "calendar" or "band"), the largest
    absolute drift from target just before it, and each ticker's drifted weight then."""
    columns = list(params.weights)
    prices = data.adj_close[columns]
    values = prices.to_numpy(dtype=float)
    priced = ~np.isnan(values).any(axis=1)
    on_calendar = prices.index.isin(rebalance_sessions(prices.index, params.rebalance))
    target = np.array([params.weights[t] for t in columns], dtype=float)
    cash = 1.0 - target.sum()
    rows: list[dict[str, object]] = []
    anchor: np.ndarray | None = None  # prices at the last rebalance decision
    for i in np.flatnonzero(priced):
        if anchor is None:
            drifted, reason = target, "start"
        else:
            held = target * values[i] / anchor
            drifted = held / (held.sum() + cash)
            if on_calendar[i]:
                reason = "calendar"
            elif params.band > 0 and np.abs(drifted - target).max() > params.band:
                reason = "band"
            else:
                continue
        rows.append(
            {
                "date": prices.index[i],
                "reason": reason,
                "max_drift": float(np.abs(drifted - target).max()),
                **{f"{t}_drifted": float(w) for t, w in zip(columns, drifted, strict=True)},
            }
        )
        anchor = values[i]
    table = pd.DataFrame(
        rows, columns=["date", "reason", "max_drift", *[f"{t}_drifted" for t in columns]]
    )
    return table.set_index("date")


def target_weights(data: MarketData, params: Params) -> pd.DataFrame:
    """The target row on every rebalance decision, NaN ("no change": let it drift) elsewhere."""
    columns = list(params.weights)
    weights = pd.DataFrame(np.nan, index=data.index, columns=columns)
    dates = rebalances(data, params).index
    if len(dates):
        weights.loc[dates] = np.array([params.weights[t] for t in columns], dtype=float)
    return weights


def tables(data: MarketData, params: Params) -> dict[str, pd.DataFrame]:
    return {"rebalances": rebalances(data, params)}


STRATEGY = Strategy(
    name="fixed_mix",
    description="A static weight map, rebalanced on a calendar and/or when a weight drifts off.",
    params_model=Params,
    default_config=Path(__file__).with_suffix(".toml"),
    tickers=tickers,
    target_weights=target_weights,
    tables=tables,
    lookback_sessions=lambda params: 0,  # no indicator: nothing to warm up
    key_params=("weights", "rebalance", "band"),
)
