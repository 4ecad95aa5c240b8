"""Reusable pieces of rule sets: batched indicators, batch decisions and change-only weight rows.

Every function here is causal: a value dated t depends on inputs dated t or earlier, so a
strategy built from them cannot look ahead. Conventions shared by the strategies that use them:

- Indicators are batched: one series (a 1-d array, NaN = no value that session) and the
  distinct values of a parameter in, one row per value out, so a sweep computes each indicator
  once per distinct value (one k-session return per k, one average per window).
- A *decision* is 1.0 (condition holds), 0.0 (it does not) or NaN (no decision possible that
  session: an input is missing or an indicator is still warming up); in label form, a palette
  row or -1. No decision keeps the previous state; before the first one the `initial` (off)
  state is wanted (`held_labels`, `hold_state`).
- `threshold_decisions` turns measures plus per-combination thresholds and weight maps into
  `Decisions` for a whole batch; a single run is the batch of one.
- `allocation_rows` turns a per-session label into target-weight rows emitted only where the
  wanted allocation changes (and on the first session), the format `engine.simulate.portfolio`
  expects.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from engine.decisions.batch import Decisions
from engine.decisions.strategy import Strategy
from strategies.kernels import threshold_labels

__all__ = [
    "EVERY_SESSION",
    "MODULE_FUNCTIONS",
    "WeightMap",
    "allocation_rows",
    "carry_last_published",
    "decided_span",
    "explain_latest",
    "flag_rows",
    "group_rows",
    "held_labels",
    "hold_state",
    "module_strategy",
    "ratio_distance",
    "return_spread",
    "session_returns",
    "sessions_since",
    "sma_on_observations",
    "threshold_decision",
    "threshold_decisions",
    "two_state_palette",
    "weight_columns",
    "weight_row",
    "yearly_state_summary",
]

WeightMap = Mapping[str, float]


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


def held_labels(labels: np.ndarray, initial: int) -> np.ndarray:
    """The label held after each session, per row: the last non-negative label so far (a
    negative one is no decision and keeps it), `initial` before the first one."""
    labels = np.atleast_2d(np.asarray(labels))
    seen = np.where(labels >= 0, np.arange(labels.shape[1]), -1)
    np.maximum.accumulate(seen, axis=1, out=seen)
    held = np.take_along_axis(labels, np.maximum(seen, 0), axis=1)
    return np.where(seen >= 0, held, initial)


def hold_state(decisions: pd.Series, initial: bool = False) -> pd.Series:
    """Boolean state per session: the last decision made (1.0/0.0, NaN = none), `initial` before
    the first one."""
    labels = np.nan_to_num(decisions.to_numpy(dtype=float), nan=-1.0).astype(np.int64)
    return pd.Series(held_labels(labels, int(initial))[0] == 1, index=decisions.index)


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


# ---------------------------------------------------------------- batched indicators
# Each takes one series as a 1-d array (NaN = no value that session) and the distinct values
# of a parameter, and returns one row per value: (len(values), sessions).


def session_returns(prices: np.ndarray, sessions: np.ndarray) -> np.ndarray:
    """Return over the last k sessions (close t vs close t-k), one row per k; NaN if either
    close is missing, so a gap is never bridged silently."""
    prices = np.asarray(prices, dtype=np.float64)
    out = np.full((len(sessions), len(prices)), np.nan)
    for i, k in enumerate(np.asarray(sessions, dtype=np.int64)):
        if 0 < k < len(prices):
            out[i, k:] = prices[k:] / prices[:-k] - 1.0
    return out


def sma_on_observations(values: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """Simple moving average of the last m published values, one row per m, placed on the
    sessions that have a value (NaN elsewhere). Series that skip sessions (a yield on
    bond-market holidays) average their own observations instead of counting gaps as sessions.
    Each window is summed on its own (numpy's pairwise sum), so no drift accumulates."""
    values = np.asarray(values, dtype=np.float64)
    where = np.flatnonzero(~np.isnan(values))
    observed = values[where]
    out = np.full((len(windows), len(values)), np.nan)
    for i, m in enumerate(np.asarray(windows, dtype=np.int64)):
        if 0 < m <= len(observed):
            means = np.lib.stride_tricks.sliding_window_view(observed, m).mean(axis=1)
            out[i, where[m - 1 :]] = means
    return out


def carry_last_published(values: np.ndarray, max_sessions: int) -> np.ndarray:
    """The last published value on sessions without one, for at most `max_sessions` sessions in
    a row (along the last axis). For signals only: a traded price must never be filled."""
    values = np.asarray(values, dtype=np.float64)
    if max_sessions <= 0:
        return values
    sessions = np.arange(values.shape[-1])
    seen = np.where(np.isnan(values), -1, sessions)
    np.maximum.accumulate(seen, axis=-1, out=seen)
    carried = np.take_along_axis(values, np.maximum(seen, 0), axis=-1)
    return np.where((seen >= 0) & (sessions - seen <= max_sessions), carried, np.nan)


def ratio_distance(small: np.ndarray, large: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """(small / large) / SMA_m(ratio) - 1 per m: the ratio's distance above its average (NaN
    where either price or the average is missing)."""
    ratio = np.asarray(small, dtype=np.float64) / np.asarray(large, dtype=np.float64)
    return ratio / sma_on_observations(ratio, windows) - 1.0


def return_spread(small: np.ndarray, large: np.ndarray, sessions: np.ndarray) -> np.ndarray:
    """small's k-session return minus large's, per k."""
    return session_returns(small, sessions) - session_returns(large, sessions)


def sessions_since(trigger: np.ndarray) -> np.ndarray:
    """Sessions since the last true value of each row of `trigger` (0 on a trigger session,
    inf before the first). Holding for h sessions from a trigger, a new one restarting the
    count, is `sessions_since(trigger) < h`."""
    trigger = np.atleast_2d(np.asarray(trigger, dtype=bool))
    sessions = np.arange(trigger.shape[1])
    seen = np.where(trigger, sessions, -1)
    np.maximum.accumulate(seen, axis=1, out=seen)
    return np.where(seen >= 0, (sessions - seen).astype(np.float64), np.inf)


# ---------------------------------------------------------------- decisions of a batch


def group_rows(*columns: np.ndarray) -> dict[tuple, np.ndarray]:
    """Row positions per distinct combination of values (first-seen order): the rows that need
    the same inputs (e.g. the same signal tickers and mode) share one computation."""
    groups: dict[tuple, list[int]] = {}
    for j, key in enumerate(zip(*columns, strict=True)):
        groups.setdefault(key, []).append(j)
    return {key: np.asarray(rows, dtype=np.int64) for key, rows in groups.items()}


def two_state_palette(
    on: np.ndarray, off: np.ndarray
) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    """(palette, columns, on row, off row) for per-combination weight maps `on` and `off`.

    Columns are the tickers of on_0, off_0, on_1, ... in first-seen order (a batch of one gets
    `weight_columns(on, off)`, as a single run does); each distinct map is one palette row.
    """
    keys: dict[int, tuple] = {}  # id of a map object -> its items (maps repeat by reference)
    rows: dict[tuple, int] = {}
    maps: list[WeightMap] = []
    index = np.empty((2, len(on)), dtype=np.int64)
    for j in range(len(on)):
        for side, allocation in enumerate((on[j], off[j])):
            key = keys.get(id(allocation))
            if key is None:
                key = keys[id(allocation)] = tuple(allocation.items())
            if key not in rows:
                rows[key] = len(maps)
                maps.append(allocation)
            index[side, j] = rows[key]
    columns = weight_columns(*maps)
    palette = np.vstack([weight_row(allocation, columns) for allocation in maps])
    return palette, columns, index[0], index[1]


def threshold_decisions(
    measures: np.ndarray,
    which: np.ndarray,
    thresholds: np.ndarray,
    on: np.ndarray,
    off: np.ndarray,
    palette: np.ndarray,
    index: pd.DatetimeIndex,
    columns: list[str],
    block_rows: int = 1024,
) -> Decisions:
    """Decisions of two-state rules: combination j wants palette row `on[j]` after a close where
    `measures[which[j]]` is above `thresholds[j]`, `off[j]` where it is not, keeps its allocation
    where the measure is NaN, and wants `off[j]` before its first decision.

    Labels are built `block_rows` combinations at a time so a chunk of thousands never holds
    more than a block's (combinations x sessions) integers.
    """
    measures = np.ascontiguousarray(measures, dtype=np.float64)
    which = np.asarray(which, dtype=np.int64)
    thresholds = np.asarray(thresholds, dtype=np.float64)
    on, off = np.asarray(on, dtype=np.int64), np.asarray(off, dtype=np.int64)
    parts = []
    for lo in range(0, len(which), block_rows):
        rows = slice(lo, lo + block_rows)
        labels = threshold_labels(
            measures, which[rows], thresholds[rows], on[rows], off[rows], True
        )
        parts.append(Decisions.from_labels(labels, palette, index, columns))
    return parts[0] if len(parts) == 1 else Decisions.concat(parts)


def threshold_decision(measure: np.ndarray, threshold: float) -> np.ndarray:
    """One series' decisions as floats: 1.0 above `threshold`, 0.0 at or below, NaN where the
    measure is NaN (the same kernel as the batch, for diagnostics of a single run)."""
    one = np.ones(1, dtype=np.int64)
    labels = threshold_labels(
        np.atleast_2d(np.asarray(measure, dtype=np.float64)),
        np.zeros(1, dtype=np.int64),
        np.array([threshold], dtype=np.float64),
        one,
        one * 0,
        False,
    )[0]
    return np.where(labels < 0, np.nan, labels.astype(np.float64))


EVERY_SESSION = "every session (at each close)"


def explain_latest(
    decision: pd.Series, describe: Callable[[int], str], missing: str, initial: str
) -> dict[str, str]:
    """`explain` of a rule that decides at every close: `describe(p)` words the inputs of the
    latest decision (session position p); later sessions without one keep it, and `missing`
    says why they could not decide (e.g. the data ends before the index does)."""
    decided = np.flatnonzero(decision.notna().to_numpy())
    if not len(decided):
        return {
            "inputs": f"no decision yet ({missing}): {initial} wanted",
            "next_decision": EVERY_SESSION,
        }
    p = int(decided[-1])
    inputs = describe(p)
    if p < len(decision) - 1:
        inputs += (
            f"; decided on {decision.index[p].date()}, kept since: no decision after it ({missing})"
        )
    return {"inputs": inputs, "next_decision": EVERY_SESSION}


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


def cross_checked(*fields: str) -> Callable[[pd.DataFrame, BaseModel], np.ndarray]:
    """A `Strategy.valid_combinations` for a model whose cross-field checks read only `fields`:
    one model is validated per distinct value of those fields (the others at the base values),
    since the grid already checked every value of every axis alone. With no fields, every
    combination of individually valid values is valid."""

    def valid(table: pd.DataFrame, base: BaseModel) -> np.ndarray:
        present = [f for f in fields if f in table.columns]
        if not present:
            return np.ones(len(table), dtype=bool)
        keys = table[present].map(repr).agg("|".join, axis=1)
        codes, uniques = pd.factorize(keys)
        dump = base.model_dump()
        ok = np.empty(len(uniques), dtype=bool)
        for i in range(len(uniques)):
            row = table.iloc[int(np.argmax(codes == i))]
            values = {
                f: v.item() if isinstance(v, np.generic) else v for f, v in row[present].items()
            }
            try:
                type(base).model_validate({**dump, **values})
                ok[i] = True
            except ValueError:
                ok[i] = False
        return ok[codes]

    return valid


# The `Strategy` fields a strategy module fills with functions of the same name.
MODULE_FUNCTIONS = (
    "tickers",
    "optional_tickers",
    "decide",
    "valid_combinations",
    "explain",
    "active_and_base",
    "tables",
    "lookback_sessions",
)


def module_strategy(namespace: Mapping[str, Any], **fields: Any) -> Strategy:
    """The `Strategy` of a strategy module, given its namespace (`globals()`): the TOML beside
    the module's file, and each function the module defines under a name of
    `MODULE_FUNCTIONS`; `fields` (name, description, params_model, ...) gives the rest and
    wins over both."""
    found = {
        name: namespace[name]
        for name in MODULE_FUNCTIONS
        if callable(namespace.get(name))
        and getattr(namespace[name], "__module__", None) == namespace["__name__"]
    }
    default_config = Path(namespace["__file__"]).with_suffix(".toml")
    return Strategy(**{"default_config": default_config, **found, **fields})
