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

from types import SimpleNamespace
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, field_validator

from engine.calendar import last_session_of_year, nth_session_of_year, nyse_sessions
from engine.config.settings import Benchmark, Strict, check_weight_map, weight_map_fields
from engine.data.model import MarketData
from engine.decisions.batch import Decisions, param_values
from engine.decisions.yearly import Years, calendar_years, window_returns
from engine.errors import DataQualityError
from strategies import rules

__all__ = [
    "STRATEGY",
    "Params",
    "active_and_base",
    "decide",
    "explain",
    "tables",
    "yearly_barometer",
]


class Params(Strict):
    """Defaults here are the documented defaults; strategies/first_five_days.toml repeats them."""

    index_ticker: str = Field(default="^GSPC", description="Signal index (not traded)")
    window: Literal["first_five", "january"] = "first_five"
    first_sessions: int = Field(default=5, ge=1, le=60, description="Sessions in 'first_five'")
    min_return: float = Field(default=0.0, ge=-1.0, le=1.0, description="Window return needed")
    equities: dict[str, float] = Field(default={"SPY": 1.0}, min_length=1)
    cash: dict[str, float] = Field(default={"BIL": 1.0}, description="{} = 0% invested")
    before: Literal["equities", "cash"] | dict[str, float] = "equities"

    _weights = weight_map_fields("equities", "cash")

    @field_validator("before")
    @classmethod
    def _before(cls, v: str | dict[str, float]) -> str | dict[str, float]:
        if isinstance(v, dict):
            check_weight_map(v)
        return v


def before_allocation(params: Params | SimpleNamespace) -> dict[str, float]:
    """The allocation wanted before each year's decision (a parameter or a sweep structure)."""
    before = params.before
    if before == "equities":
        return dict(params.equities)
    if before == "cash":
        return dict(params.cash)
    return dict(before)


def tickers(params: Params) -> list[str]:
    wanted = [params.index_ticker, *params.equities, *params.cash, *before_allocation(params)]
    return list(dict.fromkeys(wanted))


# Labels of the wanted allocation after each close (rows of the palette).
_BEFORE, _EQUITIES, _CASH = 0, 1, 2
SIGNALS = ("none", "equities", "cash")
# Parameters that change the tickers or the allocations: combinations are batched per value.
_STRUCTURE = ("index_ticker", "equities", "cash", "before")


def _decision_positions(layout: Years, window: str, n: int) -> np.ndarray:
    """Per year, the position of the session whose close decides it (-1: the data ends first)."""
    return layout.window_end("january" if window == "january" else n)


def _window_returns(signal: np.ndarray, layout: Years, decision: np.ndarray) -> np.ndarray:
    """Per year, the index return from the prior year-end close to the decision close (NaN when
    either session is missing or has no price)."""
    return window_returns(signal, signal, layout.prior, decision)


def _signals(returns: np.ndarray, min_return: np.ndarray) -> np.ndarray:
    """(combos, years): equities where the window return is above the threshold, cash where it
    is not, none (0) where it is undefined."""
    above = returns[None, :] > np.asarray(min_return, dtype=float)[:, None]
    signals = np.where(above, _EQUITIES, _CASH).astype(np.int8)
    return np.where(np.isnan(returns)[None, :], 0, signals).astype(np.int8)


def _span_masks(layout: Years, decision: np.ndarray, n_sessions: int) -> np.ndarray:
    """True on the sessions a year's decision holds (from its close to before the year end)."""
    position = np.arange(n_sessions)
    start = decision[layout.year_of]
    return (start >= 0) & (position >= start) & (position <= layout.held_until[layout.year_of])


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
        "year_complete": bool(year_end == last_session_of_year(year)),
    }


def yearly_barometer(data: MarketData, params: Params) -> pd.DataFrame:
    """One row per calendar year: the window return, the decision and what followed."""
    index = data.index
    prices = data.adj_close[tickers(params)]
    signal_prices = prices[params.index_ticker]
    first_price = signal_prices.first_valid_index()
    layout = calendar_years(index)
    decision = _decision_positions(layout, params.window, params.first_sessions)
    returns = _window_returns(signal_prices.to_numpy(dtype=float), layout, decision)
    signals = _signals(returns, np.array([params.min_return]))[0]
    rows = []
    for y, year in enumerate(layout.years.tolist()):
        if first_price is None or year < first_price.year:
            continue
        row: dict[str, object] = {"year": int(year), "decision_date": None, "signal": "none"}
        if layout.prior[y] < 0:
            rows.append({**row, "note": "no prior year-end session in the data"})
            continue
        if decision[y] < 0:
            rows.append({**row, "note": "the data ends before the decision session"})
            continue
        anchor, decided = index[layout.prior[y]], index[decision[y]]
        row.update(anchor_date=anchor.date(), decision_date=decided.date())
        if np.isnan(returns[y]):
            note = f"no {params.index_ticker} price on the anchor or decision session"
            rows.append({**row, "note": note})
            continue
        row["window_ret"] = float(returns[y])
        row["signal"] = SIGNALS[signals[y]]
        row.update(_outcomes(prices, params, int(year), decided))
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


def _allocations(structure: dict[str, Any]) -> tuple[list[str], np.ndarray]:
    """Columns and the palette rows before / equities / cash of one structure."""
    before = before_allocation(SimpleNamespace(**structure))
    allocations = (before, dict(structure["equities"]), dict(structure["cash"]))
    columns = rules.weight_columns(allocations[1], allocations[2], allocations[0])
    return columns, np.vstack([rules.weight_row(a, columns) for a in allocations])


def _batch(
    data: MarketData,
    structure: dict[str, Any],
    window: np.ndarray,
    n: np.ndarray,
    floor: np.ndarray,
    layout: Years,
) -> Decisions:
    """Decisions of combinations sharing one structure: one schedule and one window return per
    (window, sessions), one label row per distinct (schedule, yearly signals)."""
    index = data.index
    columns, palette = _allocations(structure)
    ticker = structure["index_ticker"]
    if ticker not in data.tickers:
        raise DataQualityError(f"first_five_days needs prices for {ticker}; none were loaded")
    signal = data.adj_close[ticker].to_numpy(dtype=float)
    # "january" ignores the session count: one schedule for all of its combinations.
    windows, schedule = _codes(
        [(w, int(k) if w == "first_five" else 0) for w, k in zip(window, n, strict=True)]
    )
    spans, signals = [], np.empty((len(window), len(layout.years)), dtype=np.int8)
    stop = layout.held_until + 1  # the session after a year's decision span
    changes = [np.array([0]), stop[stop < len(index)]]
    for number, (w, k) in enumerate(windows):
        decision = _decision_positions(layout, w, k)
        spans.append(_span_masks(layout, decision, len(index)))
        changes.append(decision[decision >= 0])
        rows = schedule == number
        signals[rows] = _signals(_window_returns(signal, layout, decision), floor[rows])
    # The wanted label changes only on a year's decision or year-end session (or the first):
    # labels on those sessions alone describe every row, and events map back to sessions.
    key = np.unique(np.concatenate(changes))
    keyed = np.column_stack([schedule, signals])
    distinct, inverse = np.unique(keyed, axis=0, return_inverse=True)
    span = np.vstack([spans[s][key] for s in distinct[:, 0]])
    year_of = np.broadcast_to(layout.year_of[key], span.shape)
    labels = np.where(span, np.take_along_axis(distinct[:, 1:], year_of, axis=1), _BEFORE)
    compact = Decisions.from_labels(labels, palette, index[key], columns)
    sessions = Decisions(
        index, compact.columns, compact.palette, compact.offsets, key[compact.positions],
        compact.rows,
    )  # fmt: skip
    return sessions.select(inverse.reshape(-1))


def _codes(values: list[Any]) -> tuple[list[Any], np.ndarray]:
    """Distinct values (first-seen order) and each entry's number among them."""
    lookup: dict[Any, int] = {}
    numbers = [lookup.setdefault(v, len(lookup)) for v in values]
    return list(lookup), np.array(numbers, dtype=np.int64)


def _frozen(value: Any) -> Any:
    return tuple(value.items()) if isinstance(value, dict) else value


def decide(data: MarketData, params: BaseModel, table: pd.DataFrame) -> Decisions:
    """Decisions of every combination: before / equities / cash rows where the wish changes."""
    window = param_values(table, params, "window")
    n = param_values(table, params, "first_sessions").astype(np.int64)
    floor = param_values(table, params, "min_return").astype(float)
    layout = calendar_years(
        data.index
    )  # the calendar years of the index: shared by every structure
    base = {name: getattr(params, name) for name in _STRUCTURE}
    swept = [name for name in _STRUCTURE if name in table.columns]
    if not swept:
        return _batch(data, base, window, n, floor, layout)
    columns = [
        [_frozen(v) for v in table[s].tolist()] if s in swept else [_frozen(base[s])] * len(table)
        for s in _STRUCTURE
    ]
    keys = list(zip(*columns, strict=True))
    distinct, code = _codes(keys)
    parts, order = [], []
    for number, key in enumerate(distinct):
        rows = np.flatnonzero(code == number)
        structure = {
            s: dict(v) if isinstance(v, tuple) else v for s, v in zip(_STRUCTURE, key, strict=True)
        }
        parts.append(_batch(data, structure, window[rows], n[rows], floor[rows], layout))
        order.append(rows)
    return Decisions.concat(parts).select(np.argsort(np.concatenate(order), kind="stable"))


def _describe(allocation: dict[str, float]) -> str:
    held = {t: w for t, w in allocation.items() if w > 0}
    if not held:
        return "0% invested"
    if len(held) == 1 and next(iter(held.values())) == 1.0:
        return next(iter(held))
    return ", ".join(f"{t} {w * 100:g}%" for t, w in held.items())


def _reading_day(year: int, params: Params) -> pd.Timestamp | None:
    """The calendar's decision session of `year` (known in advance)."""
    if params.window == "first_five":
        return nth_session_of_year(year, params.first_sessions)
    january = nyse_sessions(f"{year}-01-01", f"{year}-01-31")
    return january[-1] if len(january) else None


def explain(data: MarketData, params: Params) -> dict[str, str]:
    """The barometer reading behind the allocation wanted on the last session, and the next one."""
    index = data.index
    if not len(index):
        return {"inputs": "no sessions", "next_decision": "unknown"}
    layout = calendar_years(index)
    decision = _decision_positions(layout, params.window, params.first_sessions)
    signal = data.adj_close[params.index_ticker].to_numpy(dtype=float)
    returns = _window_returns(signal, layout, decision)
    y, last = len(layout.years) - 1, len(index) - 1
    year = int(layout.years[y])
    label = _signals(returns, np.array([params.min_return]))[0, y]
    window = (
        f"the first {params.first_sessions} sessions"
        if params.window == "first_five"
        else "January"
    )
    before = f"'before' allocation ({_describe(before_allocation(params))})"
    if decision[y] >= 0 and last <= layout.held_until[y] and label != 0:
        leg = params.equities if label == _EQUITIES else params.cash
        relation = ">" if label == _EQUITIES else "<="
        inputs = (
            f"{params.index_ticker} {returns[y] * 100:+.1f}% over {window} of {year} "
            f"({relation} {params.min_return * 100:g}%): {_describe(leg)} for the rest of the year"
        )
        due_year = year + 1
    elif last > layout.held_until[y]:
        inputs = f"{year} has ended: {before} until the {year + 1} reading"
        due_year = year + 1
    elif decision[y] < 0:
        inputs = f"before the {year} reading over {window}: {before}"
        due_year = year
    else:
        inputs = f"no {params.index_ticker} reading for {year}: {before} kept"
        due_year = year + 1
    due = _reading_day(due_year, params)
    return {
        "inputs": inputs,
        "next_decision": str(due.date()) if due is not None else "beyond the exchange calendar",
    }


def active_and_base(params: Params) -> tuple[dict[str, float], dict[str, float]]:
    """Invested (equities) against the cash leg."""
    return dict(params.equities), dict(params.cash)


def tables(data: MarketData, params: Params) -> dict[str, pd.DataFrame]:
    return {"per_year": yearly_barometer(data, params)}


BENCHMARKS = (
    Benchmark(name="SPY buy & hold", weights={"SPY": 1.0}),
    Benchmark(name="IWM buy & hold", weights={"IWM": 1.0}),
    Benchmark(name="BIL buy & hold", weights={"BIL": 1.0}),
)

STRATEGY = rules.module_strategy(
    globals(),
    name="first_five_days",
    description="January barometer: equities for the year if the index rose over its first days.",
    params_model=Params,
    valid_combinations=rules.cross_checked(),
    # The decision for the year holding the start needs the prior year-end close: <= a year back.
    lookback_sessions=lambda params: 260,
    default_benchmarks=BENCHMARKS,
    key_params=("index_ticker", "window", "first_sessions", "equities", "cash", "before"),
)
