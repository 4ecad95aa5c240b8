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

Rows are emitted on the first session and only where the wanted allocation changes. The rule
is written once, in batch form (`decide`): one RSI per distinct signal and length, one state
machine pass per combination.
"""

from __future__ import annotations

from typing import Literal

import numba
import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from engine.config.settings import Strict
from engine.data.model import MarketData
from engine.decisions.batch import Decisions, param_values
from engine.decisions.indicators import wilder_rsi
from engine.decisions.strategy import single_combination
from strategies import rules
from strategies.kernels import grown

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
def trim_events(
    rsi_rows: np.ndarray,
    row_of: np.ndarray,
    upper: np.ndarray,
    lower: np.ndarray,
    cooldown: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offsets, session positions, states) of every combination's trim events: the state
    after the first close, then each session after whose close the state switched (1 =
    trimmed). Starts untrimmed; a NaN RSI holds the state; after a switch at t0, none before
    t0 + cooldown + 1.

    One pass over the sessions per combination into a buffer of one combination's events, then
    copied to arrays that double when full (a count pass first would walk every session
    twice)."""
    n_combos, n_sessions = row_of.shape[0], rsi_rows.shape[1]
    offsets = np.zeros(n_combos + 1, dtype=np.int64)
    positions = np.empty(max(16, 4 * n_combos), dtype=np.int64)
    states = np.empty(len(positions), dtype=np.int8)
    one_positions = np.empty(n_sessions, dtype=np.int64)
    one_states = np.empty(n_sessions, dtype=np.int8)
    for j in range(n_combos):
        count = _switches(rsi_rows[row_of[j]], upper[j], lower[j], cooldown[j], one_positions,
                          one_states)  # fmt: skip
        k = offsets[j]
        while k + count > len(positions):
            positions = grown(positions, k, 2 * len(positions))
            states = grown(states, k, 2 * len(states))
        positions[k : k + count] = one_positions[:count]
        states[k : k + count] = one_states[:count]
        offsets[j + 1] = k + count
    return offsets, positions[: offsets[-1]].copy(), states[: offsets[-1]].copy()


@numba.njit(cache=True)
def _switches(
    values: np.ndarray,
    up: float,
    lo: float,
    cd: int,
    positions: np.ndarray,
    states: np.ndarray,
) -> int:
    """One combination's trim events (`trim_events`) into `positions` and `states`; their
    count."""
    trimmed = False
    last_switch = -(1 << 30)
    k = 0
    for t in range(len(values)):
        value = values[t]
        switched = False
        if t - last_switch > cd:
            if not trimmed and value > up:
                trimmed = True
                last_switch = t
                switched = True
            elif trimmed and value < lo:
                trimmed = False
                last_switch = t
                switched = True
        if t == 0 or switched:
            positions[k] = t
            states[k] = trimmed
            k += 1
    return k


def trim_states(values: np.ndarray, upper: float, lower: float, cooldown: int) -> np.ndarray:
    """Trimmed (True) or not after each close, for one RSI series (the batch of one)."""
    rows = np.ascontiguousarray(values, dtype=np.float64)[None, :]
    _, positions, states = trim_events(
        rows, np.zeros(1, np.int64), np.array([upper]), np.array([lower]), np.array([cooldown])
    )
    out = np.zeros(rows.shape[1], dtype=bool)
    for k in range(len(positions)):
        out[positions[k] :] = bool(states[k])
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


SIGNAL_KEYS = ("signal", "signal_ticker", "ratio_to", "price_field", "n")


def _rsi_rows(data: MarketData, base: Params, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """One Wilder RSI per distinct (signal, n) among the combinations, and each one's row."""
    keys = pd.MultiIndex.from_arrays([param_values(table, base, k) for k in SIGNAL_KEYS])
    codes, uniques = pd.factorize(keys)
    signals: dict[tuple, pd.Series] = {}
    rows = np.empty((len(uniques), len(data.index)))
    for i, key in enumerate(uniques):
        params = base.model_copy(update=dict(zip(SIGNAL_KEYS, key, strict=True)))
        if key[:-1] not in signals:
            signals[key[:-1]] = signal_series(data, params)
        rows[i] = wilder_rsi(signals[key[:-1]], int(key[-1])).to_numpy(dtype=np.float64)
    return rows, codes.astype(np.int64)


def _events(
    data: MarketData, base: Params, table: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rsi_rows, row_of = _rsi_rows(data, base, table)
    return trim_events(
        rsi_rows,
        row_of,
        param_values(table, base, "upper").astype(np.float64),
        param_values(table, base, "lower").astype(np.float64),
        param_values(table, base, "cooldown").astype(np.int64),
    )


def _palette(base: Params, table: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Rows 2j (core) and 2j+1 (trimmed) of each combination j, as `allocations` builds them."""
    small = param_values(table, base, "small_cap").astype(object)
    destination = param_values(table, base, "destination").astype(object)
    core = param_values(table, base, "core_weight").astype(np.float64)
    trim = param_values(table, base, "trim_weight").astype(np.float64)
    to_ticker = destination != CASH
    columns = list(dict.fromkeys([*small, *destination[to_ticker]]))
    where = pd.Index(columns)
    n = len(table)
    palette = np.zeros((2 * n, len(columns)))
    small_col = where.get_indexer(small)
    palette[2 * np.arange(n), small_col] = core
    palette[2 * np.arange(n) + 1, small_col] = trim
    moved = np.flatnonzero(to_ticker)
    palette[2 * moved + 1, where.get_indexer(destination[moved])] = core[moved] - trim[moved]
    return palette, columns


def decide(data: MarketData, base: Params, table: pd.DataFrame) -> Decisions:
    """Every combination's trim state after each close, as core/trimmed palette rows."""
    palette, columns = _palette(base, table)
    offsets, positions, states = _events(data, base, table)
    combo = np.repeat(np.arange(len(table), dtype=np.int64), np.diff(offsets))
    rows = 2 * combo + states  # palette rows 2j (core) and 2j + 1 (trimmed)
    return Decisions.from_sparse(data.index, columns, palette, offsets, positions, rows)


def _states(data: MarketData, params: Params) -> pd.Series:
    rows, _ = _rsi_rows(data, params, single_combination())
    states = trim_states(rows[0], params.upper, params.lower, params.cooldown)
    return pd.Series(states, index=data.index, name="trimmed")


def valid_combinations(table: pd.DataFrame, base: Params) -> np.ndarray:
    """The model's cross-checks (lower <= upper, trim <= core, destination != small cap),
    vectorised for very large grids."""
    lower = param_values(table, base, "lower").astype(float)
    upper = param_values(table, base, "upper").astype(float)
    trim = param_values(table, base, "trim_weight").astype(float)
    core = param_values(table, base, "core_weight").astype(float)
    destination = param_values(table, base, "destination")
    small = param_values(table, base, "small_cap")
    return (lower <= upper) & (trim <= core) & (destination != small)


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


def _signal_name(params: Params) -> str:
    if params.signal == "ratio":
        return f"{params.signal_ticker}/{params.ratio_to}"
    return params.signal_ticker


def explain(data: MarketData, params: Params) -> dict[str, str]:
    """The latest RSI against the thresholds, and since when the state holds."""
    states = _states(data, params)
    if states.empty:
        return {"inputs": "no data", "next_decision": "every session"}
    values = rsi(data, params)
    trimmed = bool(states.iloc[-1])
    since = states.index[states.ne(states.shift(1)).to_numpy()][-1].date()
    last = values.iloc[-1]
    name = f"RSI({params.n}) of {_signal_name(params)}"
    if np.isnan(last):
        reading = f"{name} has no value on {states.index[-1].date()}"
    elif trimmed:
        reading = f"{name} {last:.1f}, restore below {params.lower:g}"
    else:
        reading = f"{name} {last:.1f}, trim above {params.upper:g}"
    state = "trimmed" if trimmed else "core allocation"
    return {"inputs": f"{reading}: {state} since {since}", "next_decision": "every session"}


def active_and_base(params: Params) -> tuple[dict[str, float], dict[str, float]]:
    core, trimmed = allocations(params)
    return trimmed.to_dict(), core.to_dict()


STRATEGY = rules.module_strategy(
    globals(),
    name="rsi_trim",
    description="Hold small caps; trim them when their RSI closes above a level, restore below.",
    params_model=Params,
    key_params=("small_cap", "n", "upper", "lower", "trim_weight", "destination", "signal"),
)
