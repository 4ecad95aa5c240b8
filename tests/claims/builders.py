"""Claim definitions and price frames for the claim tests, with answers known by construction."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from engine.calendar import nyse_sessions
from engine.claim_checks.kinds.early_window import EarlyWindow
from engine.claim_checks.kinds.leadership import YearStartLeadership
from engine.claim_checks.kinds.relative_start import RelativeStart
from engine.claim_checks.kinds.rsi import RsiCross
from engine.claim_checks.kinds.streak import RelativeStreak

COMMON: dict[str, Any] = {"title": "test claim", "quotes": ["a quote"]}


def streak_def(**kw: Any) -> RelativeStreak:
    doc = {
        **COMMON,
        "name": "streak",
        "kind": "relative_streak",
        "pairs": {"p": {"leader": "A", "laggard": "B", "price_field": "close"}},
        "pair": "p",
        "horizons": [3, 5],
        "episode_lengths": [3, 5],
        "headline_k": 5,
        "headline_horizon": 3,
        **kw,
    }
    return RelativeStreak.model_validate(doc)


def rsi_def(**kw: Any) -> RsiCross:
    doc = {
        **COMMON,
        "name": "rsi",
        "kind": "rsi_cross",
        "ticker": "A",
        "benchmark": "B",
        "price_field": "close",
        "horizons": [2, 5],
        "headline_horizon": 2,
        **kw,
    }
    return RsiCross.model_validate(doc)


def leadership_def(**kw: Any) -> YearStartLeadership:
    doc = {
        **COMMON,
        "name": "lead",
        "kind": "year_start_leadership",
        "universes": {
            "u": {
                "members": ["BIG", "TECH", "SMALL", "DOW"],
                "small_cap": "SMALL",
                "market": "BIG",
                "price_field": "close",
            }
        },
        "universe": "u",
        "lead_days": 10,
        "start_year": 2015,
        "recent_years": 3,
        **kw,
    }
    return YearStartLeadership.model_validate(doc)


def early_def(**kw: Any) -> EarlyWindow:
    doc = {
        **COMMON,
        "name": "early",
        "kind": "early_window",
        "ticker": "BIG",
        "window": 5,
        "start_year": 2015,
        **kw,
    }
    return EarlyWindow.model_validate(doc)


def relative_def(**kw: Any) -> RelativeStart:
    doc = {
        **COMMON,
        "name": "relative",
        "kind": "relative_start",
        "pairs": {"p": {"leader": "SMALL", "laggard": "BIG", "price_field": "close"}},
        "pair": "p",
        "window": "january",
        "start_year": 2015,
        **kw,
    }
    return RelativeStart.model_validate(doc)


def flat(tickers: list[str], start: str, end: str, level: float = 100.0) -> pd.DataFrame:
    index = nyse_sessions(start, end)
    return pd.DataFrame(level, index=index, columns=tickers)


def with_daily_returns(prices: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """Prices compounding `daily` returns from the first row's level."""
    return prices.iloc[0] * (1.0 + daily).cumprod()


def planted_path(index: pd.DatetimeIndex, moves: dict[pd.Timestamp, float]) -> pd.Series:
    """A price path at 100 that moves by the given returns on the given sessions only."""
    daily = pd.Series(0.0, index=index)
    for day, ret in moves.items():
        daily[day] = ret
    return 100.0 * (1.0 + daily).cumprod()


def rng_walk(index: pd.DatetimeIndex, seed: int, vol: float = 0.01) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.cumsum(rng.normal(0.0, vol, len(index))))
