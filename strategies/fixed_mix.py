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

Batch form: every combination of a table (calendar frequency x band, per weight map) runs the
same drift loop in one numba pass; each calendar schedule is computed once per frequency.
"""

from __future__ import annotations

import os
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numba
import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from engine.calendar import next_period_end, period_end_mask
from engine.config.settings import Strict, weight_map_fields
from engine.data.model import MarketData
from engine.decisions.batch import Decisions, param_values
from strategies import rules
from strategies.kernels import grown

__all__ = ["STRATEGY", "Params", "decide", "explain", "rebalances", "tables"]

# The "trader playbook" (the default): see strategies/fixed_mix.toml for the reasoning.
PLAYBOOK = {"SPY": 0.30, "QQQ": 0.20, "IWM": 0.35, "XLI": 0.075, "XLF": 0.075}
REASONS = ("start", "calendar", "band")
_START, _CALENDAR, _BAND = 0, 1, 2

# One weight map on the data: adjusted closes (sessions, tickers), the sessions where every
# ticker has a price, the target row and its cash part (numba takes the tuple as one argument).
Mix = namedtuple("Mix", "values priced target cash")


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

    _weights = weight_map_fields("weights")


def tickers(params: Params) -> list[str]:
    return list(params.weights)


# --------------------------------------------------------------------------- kernels


@numba.njit(cache=True)
def drifted_weights(
    target: np.ndarray, cash: float, now: np.ndarray, anchor: np.ndarray, out: np.ndarray
) -> float:
    """The target bought at `anchor` prices, drifted to `now` prices (cash earns nothing), as
    weights of the whole portfolio in `out`; returns the largest |weight - target|."""
    total = cash
    for i in range(len(target)):
        out[i] = target[i] * now[i] / anchor[i]
        total += out[i]
    largest = 0.0
    for i in range(len(target)):
        out[i] = out[i] / total
        gap = abs(out[i] - target[i])
        if gap > largest:
            largest = gap
    return largest


@numba.njit(cache=True)
def _largest_drift(mix: Mix, t: int, anchor: int, held: np.ndarray) -> float:
    """`drifted_weights(target, cash, values[t], values[anchor], ...)` without its row copies:
    the same operations in the same order, so the same number."""
    target, values = mix.target, mix.values
    total = mix.cash
    for i in range(len(target)):
        held[i] = target[i] * values[t, i] / values[anchor, i]
        total += held[i]
    largest = 0.0
    for i in range(len(target)):
        gap = abs(held[i] / total - target[i])
        if gap > largest:
            largest = gap
    return largest


@numba.njit(cache=True, nogil=True)
def _mix_events(
    mix: Mix, calendars: np.ndarray, frequency: np.ndarray, band: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offsets, positions, reasons) of every combination's rebalance decisions.

    A combination's drift depends only on its last anchor, so combinations sharing an anchor
    share its drift: per calendar, the combinations sorted by band are kept as contiguous
    groups with one anchor each. At each session a group's largest drift is computed once; the
    members whose band it exceeds (a prefix: the smallest bands) rebalance and form a new group
    anchored there; a calendar rebalance merges everything back into one group. The calendars
    walk the sessions together and a drift from one anchor is computed once per session for
    all of them (until their calendars part, they hold the same anchors). The cost follows the
    number of distinct anchors, not of combinations.
    """
    priced = mix.priced
    n_combos, n_sessions, n_calendars = len(band), len(priced), calendars.shape[0]
    # Events in session order first: (combination, session, reason).
    capacity = max(16, n_combos * 8)
    ev_combo = np.empty(capacity, dtype=np.int64)
    ev_session = np.empty(capacity, dtype=np.int64)
    ev_reason = np.empty(capacity, dtype=np.int8)
    k = 0
    held = np.empty(len(mix.target))
    # No band = never fires on drift: sorted last, beyond every drift.
    effective = np.where(band > 0, band, np.inf)
    # Each calendar's combinations sorted by band: members[first[f]:first[f + 1]].
    members = np.empty(n_combos, dtype=np.int64)
    first = np.zeros(n_calendars + 1, dtype=np.int64)
    for f in range(n_calendars):
        group = np.flatnonzero(frequency == f)
        group = group[np.argsort(effective[group], kind="mergesort")]
        first[f + 1] = first[f] + len(group)
        members[first[f] : first[f + 1]] = group
    bands = effective[members]
    # Groups of calendar f: lo[f, g]..hi[f, g] (positions in `members`), anchored at anchor[f, g].
    width = n_combos + 1
    lo = np.empty((n_calendars, width), dtype=np.int64)
    hi = np.empty((n_calendars, width), dtype=np.int64)
    anchor = np.empty((n_calendars, width), dtype=np.int64)
    new_lo = np.empty(width, dtype=np.int64)
    new_hi = np.empty(width, dtype=np.int64)
    new_anchor = np.empty(width, dtype=np.int64)
    n_groups = np.zeros(n_calendars, dtype=np.int64)
    drift_of = np.empty(n_sessions)  # drift at the current session from each anchor ...
    drift_at = np.full(n_sessions, -1, dtype=np.int64)  # ... computed at this session
    for t in range(n_sessions):
        if not priced[t]:
            continue
        for f in range(n_calendars):
            if first[f + 1] == first[f]:
                continue
            whole = n_groups[f] == 0 or calendars[f, t]
            reason = _START if n_groups[f] == 0 else _CALENDAR
            if whole:  # everyone rebalances: one group anchored here
                size = first[f + 1] - first[f]
                if k + size > capacity:
                    while k + size > capacity:
                        capacity *= 2
                    ev_combo = grown(ev_combo, k, capacity)
                    ev_session = grown(ev_session, k, capacity)
                    ev_reason = grown(ev_reason, k, capacity)
                for m in range(first[f], first[f + 1]):
                    ev_combo[k] = members[m]
                    ev_session[k] = t
                    ev_reason[k] = reason
                    k += 1
                lo[f, 0], hi[f, 0], anchor[f, 0], n_groups[f] = first[f], first[f + 1], t, 1
                continue
            n_new = 0
            for g in range(n_groups[f]):
                a, start, stop = anchor[f, g], lo[f, g], hi[f, g]
                cut = start
                if bands[start] != np.inf:  # a group without a band has nothing to check
                    if drift_at[a] != t:
                        drift_of[a] = _largest_drift(mix, t, a, held)
                        drift_at[a] = t
                    drift = drift_of[a]
                    while cut < stop and bands[cut] < drift:
                        cut += 1
                if cut > start:  # members with a band below the drift rebalance here
                    if k + (cut - start) > capacity:
                        while k + (cut - start) > capacity:
                            capacity *= 2
                        ev_combo = grown(ev_combo, k, capacity)
                        ev_session = grown(ev_session, k, capacity)
                        ev_reason = grown(ev_reason, k, capacity)
                    for m in range(start, cut):
                        ev_combo[k] = members[m]
                        ev_session[k] = t
                        ev_reason[k] = _BAND
                        k += 1
                    if n_new > 0 and new_anchor[n_new - 1] == t and new_hi[n_new - 1] == start:
                        new_hi[n_new - 1] = cut
                    else:
                        new_lo[n_new], new_hi[n_new], new_anchor[n_new] = start, cut, t
                        n_new += 1
                if cut < stop:
                    new_lo[n_new], new_hi[n_new], new_anchor[n_new] = cut, stop, a
                    n_new += 1
            lo[f, :n_new] = new_lo[:n_new]
            hi[f, :n_new] = new_hi[:n_new]
            anchor[f, :n_new] = new_anchor[:n_new]
            n_groups[f] = n_new
    # Regroup by combination (counting sort; sessions stay increasing within each).
    offsets = np.zeros(n_combos + 1, dtype=np.int64)
    for e in range(k):
        offsets[ev_combo[e] + 1] += 1
    for j in range(n_combos):
        offsets[j + 1] += offsets[j]
    cursor = offsets[:-1].copy()
    positions = np.empty(k, dtype=np.int64)
    reasons = np.empty(k, dtype=np.int8)
    for e in range(k):
        j = ev_combo[e]
        positions[cursor[j]] = ev_session[e]
        reasons[cursor[j]] = ev_reason[e]
        cursor[j] += 1
    return offsets, positions, reasons


# --------------------------------------------------------------------------- shared pieces


def _mix(data: MarketData, weights: dict[str, float]) -> Mix:
    """One weight map (its tickers in the map's order) on `data`."""
    values = np.ascontiguousarray(data.adj_close[list(weights)].to_numpy(dtype=float))
    target = np.array(list(weights.values()), dtype=float)
    return Mix(values, ~np.isnan(values).any(axis=1), target, float(1.0 - target.sum()))


def _schedules(index: pd.DatetimeIndex, rebalance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One calendar mask per distinct frequency, and each combination's frequency number."""
    code, frequencies = pd.factorize(np.asarray(rebalance, dtype=object))
    calendars = np.vstack([period_end_mask(index, f) for f in frequencies])
    return calendars, code.astype(np.int64)


def _events(
    data: MarketData,
    weights: dict[str, float],
    calendars: np.ndarray,
    frequency: np.ndarray,
    band: np.ndarray,
) -> tuple[Mix, np.ndarray, np.ndarray, np.ndarray]:
    """Rebalance events of combinations sharing one weight map, as (mix, offsets, positions,
    reasons); `calendars` and `frequency` as `_schedules` gives."""
    mix = _mix(data, weights)
    offsets, positions, reasons = _mix_events(mix, calendars, frequency, band.astype(float))
    return mix, offsets, positions, reasons


def _single_events(
    data: MarketData, params: Params
) -> tuple[Mix, np.ndarray, np.ndarray, np.ndarray]:
    """`_events` of one combination."""
    calendars, frequency = _schedules(data.index, np.array([params.rebalance], dtype=object))
    return _events(data, params.weights, calendars, frequency, np.array([params.band]))


def decide(data: MarketData, params: BaseModel, table: pd.DataFrame) -> Decisions:
    """Decisions of every combination: the target row on each rebalance, nothing elsewhere.
    Calendars are read once for the table; the drift loop runs once per weight map, the maps
    on every core (the loop is compiled and releases the GIL)."""
    maps = param_values(table, params, "weights")
    calendars, frequency = _schedules(data.index, param_values(table, params, "rebalance"))
    band = param_values(table, params, "band").astype(float)
    lookup: dict[tuple, int] = {}
    if "weights" in table.columns:
        number = np.array([lookup.setdefault(tuple(m.items()), len(lookup)) for m in maps])
    else:
        lookup[tuple(params.weights.items())] = 0
        number = np.zeros(len(band), dtype=np.int64)
    order = [np.flatnonzero(number == g) for g in range(len(lookup))]

    def one_map(key: tuple, rows: np.ndarray) -> Decisions:
        mix, offsets, positions, _ = _events(
            data, dict(key), calendars, frequency[rows], band[rows]
        )
        one_allocation = np.zeros(len(positions), dtype=np.int64)  # the target
        target = mix.target.reshape(1, -1)
        return Decisions(data.index, tuple(dict(key)), target, offsets, positions, one_allocation)

    workers = min(len(lookup), os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(one_map, lookup, order))
    if len(parts) == 1:
        return parts[0]
    # Back to the table's order: combination i of the concatenation is table row order[i].
    merged = Decisions.concat(parts)
    placed = np.concatenate(order)
    if np.array_equal(placed, np.arange(len(placed))):  # maps already in table order
        return merged
    return merged.select(np.argsort(placed, kind="stable"))


def rebalances(data: MarketData, params: Params) -> pd.DataFrame:
    """One row per rebalance decision: its reason ("start", "calendar" or "band"), the largest
    absolute drift from target just before it, and each ticker's drifted weight then."""
    (values, _, target, cash), _, positions, reasons = _single_events(data, params)
    columns = list(params.weights)
    names = ["date", "reason", "max_drift", *[f"{t}_drifted" for t in columns]]
    rows: list[list[object]] = []
    drifted = np.empty(len(target))
    for i, (position, reason) in enumerate(zip(positions, reasons, strict=True)):
        if i == 0:
            drifted[:] = target
            largest = 0.0
        else:
            largest = drifted_weights(
                target, cash, values[position], values[positions[i - 1]], drifted
            )
        rows.append([data.index[position], REASONS[reason], float(largest), *drifted.tolist()])
    return pd.DataFrame(rows, columns=names).set_index("date")


def explain(data: MarketData, params: Params) -> dict[str, str]:
    """The drift on the last session against the band, and the next calendar rebalance."""
    (values, _, target, cash), _, positions, reasons = _single_events(data, params)
    columns = list(params.weights)
    band_text = f"{params.band * 100:g}-pt band" if params.band > 0 else "no band"
    schedule = f"{params.rebalance} rebalance" if params.rebalance != "none" else "no calendar"
    priced = np.flatnonzero(~np.isnan(values).any(axis=1))
    if not len(positions) or not len(priced):
        inputs = f"{schedule}; no session with a price for every ticker yet"
    else:
        last, anchor = int(priced[-1]), int(positions[-1])
        drifted = np.empty(len(target))
        largest = drifted_weights(target, cash, values[last], values[anchor], drifted)
        worst = columns[int(np.argmax(np.abs(drifted - target)))]
        day = data.index[anchor].date()
        if anchor == last:
            inputs = f"{schedule}; rebalanced to target on {day} ({REASONS[reasons[-1]]})"
        else:
            relation = ">" if params.band > 0 and largest > params.band else "<="
            limit = f" {relation} {band_text}" if params.band > 0 else f" ({band_text})"
            inputs = (
                f"{schedule}; largest drift from the {day} target on "
                f"{data.index[last].date()}: {worst} {largest * 100:.1f} pts{limit}"
            )
    after = data.index[-1] if len(data.index) else pd.Timestamp.today()
    due = next_period_end(after, params.rebalance) if params.rebalance != "none" else None
    if params.rebalance != "none":
        when = str(due.date()) if due is not None else "beyond the exchange calendar"
        if params.band > 0:
            when += f" (or any session a weight drifts past the {band_text})"
    elif params.band > 0:
        when = f"any session a weight drifts past the {band_text}"
    else:
        when = "never (held as bought)"
    return {"inputs": inputs, "next_decision": when}


def tables(data: MarketData, params: Params) -> dict[str, pd.DataFrame]:
    return {"rebalances": rebalances(data, params)}


STRATEGY = rules.module_strategy(
    globals(),
    name="fixed_mix",
    description="A static weight map, rebalanced on a calendar and/or when a weight drifts off.",
    params_model=Params,
    valid_combinations=rules.cross_checked(),
    lookback_sessions=lambda params: 0,  # no indicator: nothing to warm up
    key_params=("weights", "rebalance", "band"),
)
