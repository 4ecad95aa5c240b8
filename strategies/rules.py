"""Reusable pieces of rule sets: signals on session-indexed prices and change-only weight rows.

Every function here is causal: a value dated t depends on inputs dated t or earlier, so a
strategy built from them cannot look ahead. Conventions shared by the strategies that use them:

- A *decision* series is float per session: 1.0 (condition holds), 0.0 (it does not) or NaN (no
  decision possible that session: an input is missing or an indicator is still warming up).
- `hold_state` turns decisions into the state wanted after each close: a NaN keeps the previous
  state (no decision = no change), and before the first decision the `initial` state is wanted.
- `allocation_rows` turns a per-session label into target-weight rows emitted only where the
  wanted allocation changes (and on the first session), the format `engine.backtest` expects.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

from engine.calendar import nyse_sessions

WeightMap = Mapping[str, float]
RelativeMode = Literal["return_spread", "ratio_ma"]


def weight_columns(*allocations: WeightMap) -> list[str]:
    """Every ticker named by the allocations, in first-seen order (the weight frame's columns)."""
    return list(dict.fromkeys(t for allocation in allocations for t in allocation))


def weight_row(allocation: WeightMap, columns: list[str]) -> np.ndarray:
    """The allocation as a row over `columns`: unnamed tickers get 0, the rest stays cash."""
    return np.array([float(allocation.get(t, 0.0)) for t in columns])


def allocation_rows(
    wanted: pd.Series, allocations: Mapping[Hashable, WeightMap], columns: list[str] | None = None
) -> pd.DataFrame:
    """Target weights from the label wanted after each session's close.

    A row is written on the first session and wherever the allocation (the weights, not the
    label) differs from the previous session's; all other rows are NaN ("no change"), so two
    labels with the same weights never cause a rebalance between them.
    """
    columns = columns or weight_columns(*allocations.values())
    if wanted.isna().any():
        first = wanted.index[wanted.isna().to_numpy()][0]
        raise ValueError(f"no allocation label wanted on {first.date()}")
    unknown = set(wanted.unique()) - set(allocations)
    if unknown:
        raise ValueError(f"labels without an allocation: {sorted(map(str, unknown))}")
    rows = {label: weight_row(allocation, columns) for label, allocation in allocations.items()}
    matrix = np.vstack([rows[label] for label in wanted]) if len(wanted) else np.empty((0, 0))
    weights = pd.DataFrame(np.nan, index=wanted.index, columns=columns)
    if not len(wanted):
        return weights
    changed = np.ones(len(wanted), dtype=bool)
    changed[1:] = (matrix[1:] != matrix[:-1]).any(axis=1)
    weights.iloc[changed] = matrix[changed]
    return weights


def hold_state(decisions: pd.Series, initial: bool = False) -> pd.Series:
    """Boolean state per session: the last decision made, `initial` before the first one."""
    return decisions.astype(float).ffill().fillna(float(initial)).astype(bool)


def flag_rows(
    decisions: pd.Series,
    on: WeightMap,
    off: WeightMap,
    initial: bool = False,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """Change-only weight rows holding `on` while the (held) decision is true, `off` otherwise.

    Columns default to the tickers of `on`, then those of `off`.
    """
    state = hold_state(decisions, initial)
    columns = columns or weight_columns(on, off)
    return allocation_rows(state.map({True: "on", False: "off"}), {"on": on, "off": off}, columns)


def decide(condition: pd.Series, *inputs: pd.Series) -> pd.Series:
    """1.0/0.0 where every input has a value on that session, NaN (no decision) elsewhere."""
    known = pd.concat(inputs, axis=1).notna().all(axis=1)
    return condition.astype(float).where(known)


def session_return(prices: pd.Series, sessions: int) -> pd.Series:
    """Return over the last `sessions` sessions (close t vs close t-sessions); NaN if either is
    missing, so a gap is never bridged silently."""
    return prices / prices.shift(sessions) - 1.0


def sma_on_observations(series: pd.Series, window: int) -> pd.Series:
    """Simple moving average of the last `window` published values, placed on the sessions that
    have a value (NaN elsewhere). Series that skip sessions (a yield on bond-market holidays)
    average their own observations instead of counting gaps as sessions."""
    observed = series.dropna()
    return observed.rolling(window, min_periods=window).mean().reindex(series.index)


def carry_last_published(series: pd.Series, max_sessions: int) -> pd.Series:
    """The last published value on sessions without one, for at most `max_sessions` sessions in a
    row. For signals only: a price that is traded must never be filled this way."""
    return series.ffill(limit=max_sessions) if max_sessions > 0 else series


def relative_decision(
    small: pd.Series,
    large: pd.Series,
    mode: RelativeMode,
    lookback: int,
    ma_sessions: int,
    threshold: float,
) -> tuple[pd.Series, pd.Series]:
    """Does `small` lead `large`? Returns (decision, measure) per session.

    "return_spread": measure = small's minus large's `lookback`-session return; leads when the
    measure is above `threshold`. "ratio_ma": measure = (small / large) / SMA_`ma_sessions`(ratio)
    - 1, the ratio's distance above its average; leads when above `threshold` (0 = just above).
    """
    if mode == "return_spread":
        measure = session_return(small, lookback) - session_return(large, lookback)
    elif mode == "ratio_ma":
        ratio = small / large
        measure = ratio / sma_on_observations(ratio, ma_sessions) - 1.0
    else:
        raise ValueError(f"unknown relative mode {mode!r}")
    return decide(measure > threshold, measure), measure


def run_length(condition: pd.Series) -> pd.Series:
    """Number of consecutive sessions, ending at each session, on which `condition` is true."""
    flag = condition.fillna(False).astype(bool)
    runs = (~flag).cumsum()
    return flag.astype(int).groupby(runs).cumsum()


def hold_for(trigger: pd.Series, sessions: int) -> pd.Series:
    """True on a trigger session and the `sessions - 1` sessions after it (a new trigger inside
    that window restarts the count): the state wanted after each close for `sessions` sessions."""
    flag = trigger.fillna(False).astype(float)
    return flag.rolling(sessions, min_periods=1).max().astype(bool)


def last_session_of_year(year: int) -> pd.Timestamp:
    """The NYSE calendar's last session of `year` (known in advance, unlike the data's end)."""
    return nyse_sessions(f"{year}-12-01", f"{year}-12-31")[-1]


def is_last_session_of_year(index: pd.DatetimeIndex) -> np.ndarray:
    """True on the sessions of `index` that close an NYSE calendar year."""
    ends = {year: last_session_of_year(int(year)) for year in np.unique(index.year)}
    return np.array([day == ends[day.year] for day in index], dtype=bool)


def year_sessions(index: pd.DatetimeIndex, year: int) -> pd.DatetimeIndex:
    return index[index.year == year]


def prior_session(index: pd.DatetimeIndex, day: pd.Timestamp) -> pd.Timestamp | None:
    """The last session of `index` before `day` (e.g. the prior year-end close), if any."""
    before = index[index < day]
    return before[-1] if len(before) else None


def decided_span(state: pd.Series, decisions: pd.Series) -> pd.Series:
    """`state` from the first to the last session with a decision: outside that span it only
    shows the initial or a stale state (warm-up, before a listing, after an input's last date),
    which summaries should not count as choices."""
    decided = decisions.notna().to_numpy()
    if not decided.any():
        return state.iloc[:0]
    first = int(decided.argmax())
    last = len(decided) - int(decided[::-1].argmax())
    return state.iloc[first:last]


def yearly_state_summary(state: pd.Series, label: str) -> pd.DataFrame:
    """Per calendar year: sessions, sessions ending in `state` true, that share, and the number
    of switches (changes of state from the previous session, which may be in the prior year)."""
    flag = state.astype(bool)
    values = flag.to_numpy()
    changed = np.zeros(len(values), dtype=bool)
    changed[1:] = values[1:] != values[:-1]
    switches = pd.Series(changed, index=flag.index)
    years = flag.index.year
    table = pd.DataFrame(
        {
            "sessions": flag.groupby(years).size(),
            f"{label}_sessions": flag.groupby(years).sum().astype(int),
            "switches": switches.groupby(years).sum().astype(int),
        }
    )
    table.insert(2, f"{label}_share", table[f"{label}_sessions"] / table["sessions"])
    table.index.name = "year"
    return table
