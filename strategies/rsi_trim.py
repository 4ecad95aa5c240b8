"""rsi_trim: hold small caps, trim them when their RSI runs hot, restore when it cools.

The rule from the press: "trim small caps when RSI > 70". The portfolio holds a core allocation
(`core_weight` of `small_cap`, default 100% IWM). When Wilder's RSI(n) of the signal closes above
`upper`, the small-cap weight is cut to `trim_weight` and the difference goes to `destination`
(a ticker such as SPY, or "cash"). When the RSI closes below `lower`, the core allocation is
restored. The signal is the price of `signal_ticker` (default IWM) or, with `signal = "ratio"`,
the ratio of its price to `ratio_to`'s (IWM/SPY: small caps' strength relative to the market).

Timing: the state after day t's close is decided from the RSI at that close, which uses prices
up to t only. With `cooldown = c`, after a trim or a restore on day t0 no new switch is made
before day t0 + c + 1 (sessions counted on the data's index). Before the RSI exists (its first n
changes), and on sessions where the signal has no price, the state is held.

Rows are emitted on the first session and only where the wanted allocation changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numba
import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from engine.data.model import MarketData
from engine.indicators import wilder_rsi
from engine.settings import Strict
from engine.strategy import Strategy

CASH = "cash"


class Params(Strict):
    """Defaults here are the documented defaults; strategies/rsi_trim.toml repeats them."""

    small_cap: str = Field(default="IWM", min_length=1, description="The core holding")
    core_weight: float = Field(default=1.0, gt=0, le=1, description="Small-cap weight untrimmed")
    trim_weight: float = Field(default=0.5, ge=0, le=1, description="Small-cap weight trimmed")
    destination: str = Field(
        default="SPY", min_length=1, description="Where the trimmed part goes: a ticker or 'cash'"
    )
    signal: Literal["price", "ratio"] = Field(
        default="price", description="RSI of signal_ticker's price, or of its ratio to ratio_to"
    )
    signal_ticker: str = Field(default="IWM", min_length=1)
    ratio_to: str = Field(default="SPY", min_length=1, description="Denominator when ratio")
    price_field: Literal["adj_close", "close"] = Field(
        default="adj_close", description="Prices the RSI is computed on"
    )
    n: int = Field(default=14, ge=2, le=250, description="RSI length (Wilder smoothing)")
    upper: float = Field(default=70.0, gt=0, lt=100, description="Trim when RSI closes above")
    lower: float = Field(default=50.0, gt=0, lt=100, description="Restore when RSI closes below")
    cooldown: int = Field(default=0, ge=0, le=252, description="Sessions with no new switch")

    @field_validator("destination")
    @classmethod
    def _cash_word(cls, v: str) -> str:
        return CASH if v.strip().lower() == CASH else v

    @model_validator(mode="after")
    def _consistent(self) -> Params:
        if self.lower > self.upper:
            raise ValueError(f"lower ({self.lower}) must not exceed upper ({self.upper})")
        if self.trim_weight > self.core_weight:
            raise ValueError(
                f"trim_weight ({self.trim_weight}) must not exceed core_weight ({self.core_weight})"
            )
        if self.destination == self.small_cap:
            raise ValueError(f"destination must differ from small_cap ({self.small_cap})")
        return self


def tickers(params: Params) -> list[str]:
    wanted = [params.small_cap, params.signal_ticker]
    if params.destination != CASH:
        wanted.append(params.destination)
    if params.signal == "ratio":
        wanted.append(params.ratio_to)
    return list(dict.fromkeys(wanted))


def lookback_sessions(params: Params) -> int:
    """Enough history for Wilder's smoothing to forget its seed: (1 - 1/n)^(10n) < 5e-5."""
    return max(260, 10 * params.n)


def signal_series(data: MarketData, params: Params) -> pd.Series:
    """The series whose RSI is watched: a price, or the ratio of two prices (NaN if either is)."""
    prices = data.field(params.price_field)
    series = prices[params.signal_ticker]
    if params.signal == "ratio":
        series = series / prices[params.ratio_to]
    return series.rename("signal")


def rsi(data: MarketData, params: Params) -> pd.Series:
    return wilder_rsi(signal_series(data, params), params.n).rename("rsi")


@numba.njit(cache=True)
def trim_states(rsi_values: np.ndarray, upper: float, lower: float, cooldown: int) -> np.ndarray:
    """Trimmed (True) or not after each close; starts untrimmed. NaN RSI holds the state."""
    out = np.zeros(rsi_values.shape[0], dtype=np.bool_)
    trimmed = False
    last_switch = -(1 << 30)
    for t in range(rsi_values.shape[0]):
        value = rsi_values[t]
        if t - last_switch > cooldown:
            if not trimmed and value > upper:
                trimmed = True
                last_switch = t
            elif trimmed and value < lower:
                trimmed = False
                last_switch = t
        out[t] = trimmed
    return out


def allocations(params: Params) -> tuple[pd.Series, pd.Series]:
    """(core, trimmed) weight rows over the strategy's columns."""
    columns = [params.small_cap]
    if params.destination != CASH:
        columns.append(params.destination)
    core = pd.Series(0.0, index=columns)
    trimmed = pd.Series(0.0, index=columns)
    core[params.small_cap] = params.core_weight
    trimmed[params.small_cap] = params.trim_weight
    if params.destination != CASH:
        trimmed[params.destination] = params.core_weight - params.trim_weight
    return core, trimmed


def _states(data: MarketData, params: Params) -> pd.Series:
    values = rsi(data, params).to_numpy(dtype=np.float64)
    states = trim_states(values, float(params.upper), float(params.lower), int(params.cooldown))
    return pd.Series(states, index=data.index, name="trimmed")


def target_weights(data: MarketData, params: Params) -> pd.DataFrame:
    """Rows only where the wanted allocation changes (and on the first session)."""
    states = _states(data, params)
    core, trimmed = allocations(params)
    weights = pd.DataFrame(np.nan, index=data.index, columns=core.index)
    if len(states) == 0:
        return weights
    if core.equals(trimmed):  # a trim that changes nothing is no change
        weights.iloc[0] = core.to_numpy()
        return weights
    changes = states.ne(states.shift(1)).to_numpy().copy()
    changes[0] = True
    for day in states.index[changes]:
        weights.loc[day] = (trimmed if states[day] else core).to_numpy()
    return weights


def switches(data: MarketData, params: Params) -> pd.DataFrame:
    """Every trim and restore with the RSI that triggered it (decision dates, before the lag)."""
    states = _states(data, params)
    values = rsi(data, params)
    changed = states.ne(states.shift(1)) & (np.arange(len(states)) > 0)
    days = states.index[changed.to_numpy()]
    table = pd.DataFrame(
        {
            "rsi": values.reindex(days).to_numpy(),
            "action": np.where(states[days].to_numpy(), "trim", "restore"),
        },
        index=pd.DatetimeIndex(days, name="date"),
    )
    return table


def tables(data: MarketData, params: Params) -> dict[str, pd.DataFrame]:
    return {"switches": switches(data, params)}


STRATEGY = Strategy(
    name="rsi_trim",
    description="Hold small caps; trim them when their RSI closes above a level, restore below.",
    params_model=Params,
    default_config=Path(__file__).with_suffix(".toml"),
    tickers=tickers,
    target_weights=target_weights,
    tables=tables,
    lookback_sessions=lookback_sessions,
    key_params=("small_cap", "n", "upper", "lower", "trim_weight", "destination", "signal"),
)
