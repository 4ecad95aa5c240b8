"""What each rule says today: the allocation a strategy wants after the latest close, and why.

This is the question a researcher brings from the press ("small caps are overbought: trim?").
For a strategy with its config, on the latest data it can use (up to the earliest last date
among the tickers it needs, as a run would stop), `compute_signal` gives the allocation wanted
after that close, when the wanted allocation last changed (decision date, and the session the
engine would fill it, `lag` later), the inputs of the decision and when the next one falls due
(`Strategy.explain`, or a generic statement when the strategy offers none), and the data's last
date with the ticker that sets it.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.calendar import nyse_sessions
from engine.config.run_config import RunConfig
from engine.decisions.strategy import Strategy
from engine.simulate.pipeline import load_data_for, strategy_period

__all__ = ["Signal", "compute_signal", "latest_change", "render_signal", "signals"]

WEIGHT_TOL = 1e-9


@dataclass(frozen=True)
class Signal:
    strategy: str
    data_end: dt.date  # the last close the decision uses
    data_end_reason: str  # which ticker's last date sets it
    wanted: dict[str, float]  # ticker -> weight wanted after that close (the rest is cash)
    decided: dt.date | None  # when the wanted allocation last changed (a decision date)
    filled: dt.date | None  # the session the engine fills that decision (lag sessions later)
    inputs: str
    next_decision: str
    explained: bool  # the strategy gave its own explanation


def latest_change(weights: pd.DataFrame) -> tuple[dict[str, float], pd.Timestamp | None]:
    """(the allocation wanted after the last row, the decision date it was first wanted on in
    its current spell). Rows that repeat the allocation (rebalances) do not count as changes."""
    rows = weights.dropna(how="all").fillna(0.0)
    if rows.empty:
        return {}, None
    values = rows.to_numpy(float)
    last = values[-1]
    same = np.abs(values - last).max(axis=1) <= WEIGHT_TOL
    k = len(same) - 1
    while k > 0 and same[k - 1]:
        k -= 1
    wanted = {c: float(w) for c, w in zip(rows.columns, last, strict=True) if abs(w) > WEIGHT_TOL}
    return wanted, rows.index[k]


def _fill_date(decided: pd.Timestamp, index: pd.DatetimeIndex, lag: int) -> pd.Timestamp | None:
    """The session `lag` after `decided`: from the data, or the NYSE calendar past its end
    (None beyond the calendar's range)."""
    pos = int(index.get_loc(decided)) + lag
    if pos < len(index):
        return index[pos]
    missing = pos - len(index) + 1  # sessions needed past the data's last one
    ahead = nyse_sessions(
        index[-1] + pd.Timedelta(days=1), index[-1] + pd.Timedelta(days=7 * missing + 10)
    )
    return ahead[missing - 1] if len(ahead) >= missing else None


def _changes(weights: pd.DataFrame) -> pd.DatetimeIndex:
    """Decision dates where the wanted allocation differs from the one before (the first row
    included); rows repeating an allocation (rebalances) are not changes."""
    rows = weights.dropna(how="all").fillna(0.0)
    values = rows.to_numpy(float)
    differs = np.ones(len(rows), dtype=bool)
    differs[1:] = np.abs(np.diff(values, axis=0)).max(axis=1) > WEIGHT_TOL
    return rows.index[differs]


def _generic(weights: pd.DataFrame) -> dict[str, str]:
    """Words for a strategy without `explain`: what its decision rows show."""
    changes = _changes(weights)
    recent = changes[changes > weights.index[-1] - pd.DateOffset(years=1)]
    return {
        "inputs": "not stated (the strategy has no explain): the allocation is its latest decision",
        "next_decision": (
            f"not stated; the wanted allocation changed {len(recent)} time(s) in the last year "
            "of data"
        ),
    }


def compute_signal(strategy: Strategy, cfg: RunConfig, project_root: Path) -> Signal:
    """The signal of `strategy` under `cfg` on the latest data it can use."""
    loaded = load_data_for(strategy, cfg, project_root)
    period = strategy_period(strategy, cfg, loaded)
    data = loaded.select(end=period.end)  # the sessions after it hold no price of a needed ticker
    weights = strategy.weights(data, cfg.params)
    wanted, decided = latest_change(weights)
    explained = strategy.explain is not None
    words = strategy.explain(data, cfg.params) if explained else _generic(weights)
    lag = cfg.backtest.lag
    filled = _fill_date(decided, weights.index, lag) if decided is not None else None
    return Signal(
        strategy=strategy.name,
        data_end=period.end.date(),
        data_end_reason=period.end_reason,
        wanted=wanted,
        decided=decided.date() if decided is not None else None,
        filled=filled.date() if filled is not None else None,
        inputs=str(words.get("inputs", "")),
        next_decision=str(words.get("next_decision", "")),
        explained=explained,
    )


def _allocation(wanted: dict[str, float]) -> str:
    if not wanted:
        return "all cash"
    text = ", ".join(f"{t} {_pct(w)}" for t, w in wanted.items())
    cash = 1.0 - sum(wanted.values())
    return text + (f", cash {_pct(cash)}" if cash > 1e-6 else "")


def _pct(weight: float) -> str:
    return f"{weight * 100:.4g}%"


def render_signal(s: Signal, width: int = 100) -> str:
    """A few lines for the terminal."""
    since = (
        f"since the close of {s.decided} (filled {s.filled})" if s.decided else "no decision yet"
    )
    lines = [
        f"{s.strategy}: data through {s.data_end}, {s.data_end_reason}",
        f"wants: {_allocation(s.wanted)}, {since}",
        f"inputs: {s.inputs}",
        f"next decision: {s.next_decision}",
    ]
    return "\n".join(
        textwrap.fill(
            line, width, initial_indent="" if i == 0 else "  ", subsequent_indent="      "
        )
        for i, line in enumerate(lines)
    )


def signals(
    strategies: Mapping[str, Strategy],
    project_root: Path,
    configs: Mapping[str, RunConfig] | None = None,
) -> list[Signal]:
    """The signal of every strategy given (name -> Strategy), each with its config from
    `configs` or its default one; for the CLI and the Python API alike."""
    from engine.config.run_config import load_config

    configs = configs or {}
    return [
        compute_signal(strategy, configs.get(name) or load_config(strategy), project_root)
        for name, strategy in strategies.items()
    ]
